#!/usr/bin/env python3
"""Issue #6, item 6: the paging workload the way EM scripts do it today.

Logs on once with Basic auth, then walks the query service page by page
(`type=BackupJobSession&format=Entities&pageSize=1000`), parsing each XML page with xmltodict
and following the `Next` link of `PagingInfo`, until N sessions were read. One `requests.get`
per page, as the scripts in the wild do (no connection reuse, TLS checks are irrelevant on
plain loopback HTTP).

usage: paging.py URL [N]    URL = http://127.0.0.1:PORT/api/   (prints one JSON line)
"""

import json
import resource
import sys
import time

import requests
import xmltodict


def main():
    base = sys.argv[1]
    if not base.endswith("/"):
        base += "/"
    wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 100000

    r = requests.post(base + "sessionMngr/?v=latest", auth=("admin", "admin"))
    r.raise_for_status()
    headers = {
        "X-RestSvcSessionId": r.headers["X-RestSvcSessionId"],
        "Accept": "application/xml",
    }

    start = time.perf_counter()
    cpu0 = time.process_time()
    url = base + "query?type=BackupJobSession&format=Entities&pageSize=1000"
    n = 0
    checksum = 0
    while url and n < wanted:
        resp = requests.get(url, headers=headers)
        resp.raise_for_status()
        doc = xmltodict.parse(resp.content)
        result = doc["QueryResult"]
        sessions = result["Entities"]["BackupJobSessions"]["BackupJobSession"]
        if isinstance(sessions, dict):
            sessions = [sessions]
        for s in sessions:
            if n >= wanted:
                break
            checksum += len(s.get("@Name", "")) + (1 if s.get("Result") else 0)
            n += 1
        links = result.get("PagingInfo", {}).get("Links", {}).get("Link", [])
        if isinstance(links, dict):
            links = [links]
        url = next((l["@Href"] for l in links if l.get("@Rel") == "Next"), None)
    secs = time.perf_counter() - start
    cpu = time.process_time() - cpu0

    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "items": n,
        "secs": round(secs, 4),
        "cpu_secs": round(cpu, 2),
        "items_per_sec": round(n / secs, 1),
        "max_rss_kib": maxrss_kib,
        "checksum": checksum,
    }))
    return 0 if n >= wanted else 1


if __name__ == "__main__":
    sys.exit(main())
