#!/usr/bin/env python3
"""Turns the raw results of bench/compare.sh into one table.

usage: report.py RESULTS_DIR CRITERION_DIR
"""

import json
import os
import sys


def load_criterion(root):
    """full_id -> (median ns, throughput bytes or None)"""
    found = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        tp = bench.get("throughput") or {}
        found[bench["full_id"]] = (est["median"]["point_estimate"], tp.get("Bytes"))
    return found


def read_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def read_kv(path):
    kv = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    kv[parts[0]] = parts[1]
    except OSError:
        pass
    return kv


def main():
    out, crit_dir = sys.argv[1], sys.argv[2]
    crit = load_criterion(crit_dir)
    try:
        with open(os.path.join(out, "calls.json")) as f:
            for line in f:
                if line.startswith("{"):
                    r = json.loads(line)
                    crit[r["id"]] = (r["median_ns"], None)
    except OSError:
        pass
    rows = []

    def row(measure, ours, base, ratio, target, met):
        rows.append((measure, ours, base, ratio, target, met))

    def mbps(entry):
        ns, nbytes = entry
        return nbytes / ns * 1e3  # bytes/ns * 1e9 / 1e6

    docs = [("refs10k", "EntityReferences, 10,000 refs"),
            ("jobs1k", "Jobs, 1,000 Job entities"),
            ("query1k", "QueryResult, 1,000 BackupJobSessions")]
    for doc, label in docs:
        t, r = crit.get(f"xml/{doc}/typed"), crit.get(f"xml/{doc}/raw")
        if t and r:
            ratio = mbps(t) / mbps(r)
            row(f"XML decode {label} ({t[1] / 1e6:.1f} MB), MB/s: typed vs quick-xml raw loop",
                f"{mbps(t):.0f}", f"{mbps(r):.0f}", f"{ratio:.2f}x", ">= 0.70x",
                "yes" if ratio >= 0.7 else "NO")
        st = crit.get(f"xml/{doc}/stream")
        if st and r:
            row(f"  same, prototype streaming decode into the same structs (no Node tree), MB/s",
                f"{mbps(st):.0f}", f"{mbps(r):.0f}", f"{mbps(st) / mbps(r):.2f}x", "(evidence)", "-")
        mt, mr = crit.get(f"xml-mimalloc/{doc}/typed"), crit.get(f"xml-mimalloc/{doc}/raw")
        if mt and mr:
            row(f"  same, both sides allocating from mimalloc instead of glibc malloc, MB/s",
                f"{mbps(mt):.0f}", f"{mbps(mr):.0f}", f"{mbps(mt) / mbps(mr):.2f}x", "(evidence)", "-")
    for casing in ("pascal", "camel"):
        for doc, label in docs:
            t = crit.get(f"json-{casing}/{doc}/typed")
            v = crit.get(f"json-{casing}/{doc}/value")
            if t and v:
                ratio = mbps(t) / mbps(v)
                row(f"JSON ({casing}) decode {label} ({t[1] / 1e6:.1f} MB), MB/s: typed vs serde_json::Value",
                    f"{mbps(t):.0f}", f"{mbps(v):.0f}", f"{ratio:.2f}x", ">= 1.50x",
                    "yes" if ratio >= 1.5 else "NO")

    for name, label in (("alternate", "job_ref.alternate(&em)"),
                        ("query_page100", "query page of 100 BackupJobSession entities")):
        t, r = crit.get(f"calls/{name}/typed"), crit.get(f"calls/{name}/raw")
        if t and r:
            ratio = t[0] / r[0]
            row(f"call {label}, median us: typed vs reqwest + quick-xml raw loop",
                f"{t[0] / 1e3:.1f}", f"{r[0] / 1e3:.1f}", f"{ratio:.2f}x", "<= 1.10x",
                "yes" if ratio <= 1.10 else "NO")
        rt = crit.get(f"calls/{name}/raw_typed")
        if t and rt:
            row(f"  same call, median us: typed vs reqwest + the same typed decode_xml (call machinery only)",
                f"{t[0] / 1e3:.1f}", f"{rt[0] / 1e3:.1f}", f"{t[0] / rt[0]:.2f}x", "(info)", "-")

    small = read_json(os.path.join(out, "paging_small.json"))
    big = read_json(os.path.join(out, "paging_big.json"))
    py = read_json(os.path.join(out, "paging_python.json"))
    ahead = read_json(os.path.join(out, "paging_ahead.json"))
    if ahead and py:
        ratio = ahead["items_per_sec"] / py["items_per_sec"]
        row(f"paging {ahead['items']:,} BackupJobSessions (pages of 1,000), items/s: typed stream with read_ahead vs Python requests+xmltodict",
            f"{ahead['items_per_sec']:,.0f}", f"{py['items_per_sec']:,.0f}", f"{ratio:.1f}x", ">= 10x",
            "yes" if ratio >= 10 else "NO")
    if big and py:
        ratio = big["items_per_sec"] / py["items_per_sec"]
        row(f"  same, typed stream without read-ahead (each page asked for when the last is consumed)",
            f"{big['items_per_sec']:,.0f}", f"{py['items_per_sec']:,.0f}", f"{ratio:.1f}x", "(info)", "-")
    if big and py and big.get("cpu_secs") and py.get("cpu_secs"):
        pages = lambda r: r["items"] / 1000
        per_page = lambda r: (f"{r['secs'] / pages(r) * 1e3:.1f} ms wall, "
                              f"{r['cpu_secs'] / pages(r) * 1e3:.1f} ms client CPU")
        row("  same, per page of 1,000: wall time and client CPU (wall - CPU ~ em-sim's share)",
            per_page(big), per_page(py),
            f"{py['cpu_secs'] / big['cpu_secs']:.1f}x less CPU", "(info)", "-")
    if small:
        row(f"paging {small['items']:,} items: items/s, peak RSS MiB (client process)",
            f"{small['items_per_sec']:,.0f}/s, {small['vm_hwm_kib'] / 1024:.1f} MiB", "-", "-", "-", "-")
    if big:
        base = f"Python: {py['max_rss_kib'] / 1024:.1f} MiB" if py else "-"
        row(f"paging {big['items']:,} items: peak RSS MiB (client process)",
            f"{big['vm_hwm_kib'] / 1024:.1f} MiB", base, "-", "-", "-")
    if small and big:
        growth = (big["vm_hwm_kib"] - small["vm_hwm_kib"]) / 1024
        row(f"paging memory growth {small['items']:,} -> {big['items']:,} items (peak RSS), MiB",
            f"{growth:+.1f}", "-", "-", "< 10 MiB", "yes" if growth < 10 else "NO")

    stats = read_kv(os.path.join(out, "codegen_stats.txt"))
    if "expand_median_ms" in stats:
        ms = float(stats["expand_median_ms"])
        row("macro expansion of spec/em.toml (codegen parse+check+emit, median of 20), ms",
            f"{ms:.0f}", "-", "-", "< 1000 ms", "yes" if ms < 1000 else "NO")
    bc = read_kv(os.path.join(out, "build_cost.txt"))
    if "rustc_macro_expand_ms" in bc:
        ms = float(bc["rustc_macro_expand_ms"])
        row("macro expansion inside rustc for crate emrest (-Z time-passes macro_expand_crate), ms",
            f"{ms:.0f}", "-", "-", "< 1000 ms", "yes" if ms < 1000 else "NO")
    if "generated_lines" in stats:
        row("generated lines of code (prettyplease-formatted)",
            f"{int(stats['generated_lines']):,}",
            f"{stats.get('types', '?')} types, {stats.get('operations', '?')} ops", "-", "-", "-")
    for key, label in (("full_clean_s", "dev build from scratch: emrest + all dependencies, s"),
                       ("crate_clean_s", "dev build of crate emrest, clean (dependencies built), s"),
                       ("incr_touch_s", "dev incremental rebuild of emrest after touching lib.rs, s"),
                       ("incr_spec_s", "dev incremental rebuild of emrest after editing spec/em.toml, s"),
                       ("noop_s", "dev no-op build (nothing changed), s")):
        if key in bc:
            row(label, bc[key], "-", "-", "-", "-")

    header = ("measure", "ours", "baseline", "ratio", "target", "met?")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(6)]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()
    print("ratio: throughput = ours / baseline (higher is better); latency = ours / baseline (lower is better)")
    try:
        with open(os.path.join(out, "machine.txt")) as f:
            print(" ".join(l.strip() for l in f if l.strip()))
    except OSError:
        pass
    missed = [r for r in rows if r[5] == "NO"]
    print(f"targets: {sum(1 for r in rows if r[5] == 'yes')} met, {len(missed)} missed")


if __name__ == "__main__":
    main()
