#!/usr/bin/env bash
# Issue #6: builds and runs every emrest benchmark next to its baseline and prints ONE table
#   measure | ours | baseline | ratio | target | met?
#
# usage: bench/compare.sh [--quick] [--no-full-clean]
#   --quick          short criterion runs, 20,000 paging items, no from-scratch build (smoke
#                    test; figures are rough)
#   --no-full-clean  skip the from-scratch dev build of generated-client with all its
#                    dependencies (the last step; a few minutes on 2 cores)
#
# Environment: CARGO_TARGET_DIR (default /work/target-bench), PYTHON (default python3).
# Raw results land in $CARGO_TARGET_DIR/bench-results/ (criterion data in …/criterion/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
PYTHON="${PYTHON:-python3}"
quick=0
full_clean=1
for a in "$@"; do
    case "$a" in
        --quick) quick=1; full_clean=0 ;;
        --no-full-clean) full_clean=0 ;;
        *) echo "usage: $0 [--quick] [--no-full-clean]" >&2; exit 2 ;;
    esac
done

out="$CARGO_TARGET_DIR/bench-results"
rm -rf "$out" "$CARGO_TARGET_DIR/criterion"
mkdir -p "$out"
log="$out/log.txt"
say() { echo "== $*" >&2; }

{
    echo "nproc=$(nproc)"
    echo "mem=$(free -m | awk '/^Mem:/{print $2 " MiB total, " $7 " MiB available"}')"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "rustc=$(rustc --version)"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"
cat "$out/machine.txt" >&2

cd "$root"
say "building (release): emrest-bench, em-sim, emrest-codegen"
cargo build --release -q -p emrest-bench -p emrest-sim -p emrest-codegen --bins --benches 2>>"$log"
bin="$CARGO_TARGET_DIR/release"

crit_args=(--noplot)
if [ "$quick" = 1 ]; then
    crit_args+=(--warm-up-time 0.3 --measurement-time 1 --sample-size 10)
fi

# 1 + 2: decoding next to quick-xml's raw loop and serde_json::Value.
say "decode benchmarks (XML, JSON PascalCase, JSON camelCase)"
cargo bench -q -p emrest-bench --bench decode -- "${crit_args[@]}" >>"$log" 2>&1
# The XML group again with both sides allocating from mimalloc: the typed side allocates what
# it returns and the raw loop almost nothing, so this row shows how much of the gap is the
# system allocator's (glibc's heap trimming re-faults the pages of each decoded document).
say "decode benchmarks, XML, under mimalloc (evidence)"
cargo bench -q -p emrest-bench --features mimalloc --bench decode -- "${crit_args[@]}" xml-mimalloc/ >>"$log" 2>&1

# 3: typed calls next to a hand-written reqwest request.
say "call-overhead benchmarks"
calls_args=(--bench)
[ "$quick" = 1 ] && calls_args+=(--quick)
cargo bench -q -p emrest-bench --bench calls -- "${calls_args[@]}" >"$out/calls.json" 2>>"$log"

# Issue #11 item 6: em-sim's own cost of one 1,000-item page (in process, no HTTP), to set
# against the paging figures below (what share of a page em-sim is).
say "em-sim: render one 1,000-item QueryResult page (in process)"
render_args=()
[ "$quick" = 1 ] && render_args+=(--quick)
cargo bench -q -p emrest-sim --bench render_page -- "${render_args[@]}" >"$out/render_page.txt" 2>>"$log"

# 4 + 6: paging at scale, typed client and the Python script, on one em-sim (own process).
say "paging: em-sim --size large (own process)"
sim_out="$out/em-sim.out"
"$bin/em-sim" --size large --port 0 --idle-timeout 86400 >"$sim_out" 2>>"$log" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [ -s "$sim_out" ] && break
    sleep 0.1
done
url="$(head -1 "$sim_out" | sed 's/^listening on //')"
echo "em-sim at $url" >>"$log"

big=100000
small=10000
[ "$quick" = 1 ] && big=20000
# Warm the server once (first query pages touch cold data), then measure.
"$bin/paging" --url "$url" --items 2000 >/dev/null
say "paging: typed client, $small items"
"$bin/paging" --url "$url" --items "$small" >"$out/paging_small.json"
say "paging: typed client, $big items"
"$bin/paging" --url "$url" --items "$big" >"$out/paging_big.json"
say "paging: typed client with read-ahead, $big items"
"$bin/paging" --url "$url" --items "$big" --read-ahead >"$out/paging_ahead.json"

# $PYTHON itself when it has requests and xmltodict, else a venv in bench/.venv with them.
py="$PYTHON"
if ! "$py" -c 'import requests, xmltodict' 2>/dev/null; then
    py="$here/.venv/bin/python"
    if [ ! -x "$py" ]; then
        "$PYTHON" -m venv "$here/.venv" >>"$log" 2>&1
    fi
    if ! "$py" -c 'import requests, xmltodict' 2>/dev/null; then
        "$here/.venv/bin/pip" install -q requests xmltodict >>"$log" 2>&1
    fi
fi
say "paging: Python (requests + xmltodict, $py), $big items"
"$py" "$here/paging.py" "$url" "$big" >"$out/paging_python.json"
kill "$sim_pid" 2>/dev/null || true
wait "$sim_pid" 2>/dev/null || true
trap - EXIT

# 5: build cost.
say "build cost: codegen stats (parse + check + emit of spec/em.toml)"
"$bin/emrest-codegen" stats spec/em.toml 20 >"$out/codegen_stats.txt"
"$here/build_cost.sh" "$out" "$full_clean" 2>>"$log"

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
"$PYTHON" "$here/report.py" "$out" "$CARGO_TARGET_DIR/criterion"

# Issue #11 item 6: em-sim's share of each page, and the paging ratio against Python with and
# without it (the paging benchmark is meant to measure the client).
"$PYTHON" - "$out" <<'PY'
import json, os, re, sys
out = sys.argv[1]
def last_json(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None
render = {}
try:
    with open(os.path.join(out, "render_page.txt")) as f:
        for line in f:
            m = re.match(r"render_page/(\S+): .*median ([0-9.]+) ms, min ([0-9.]+) ms", line)
            if m:
                render[m.group(1)] = (float(m.group(2)), float(m.group(3)))
except OSError:
    pass
big, py = last_json("paging_big.json"), last_json("paging_python.json")
rows = []
row = lambda *r: rows.append(tuple(str(c) for c in r))
for fmt, label in (("xml", "XML"), ("json-pascal", "JSON PascalCase"), ("json-camel", "JSON camelCase")):
    if fmt in render:
        med, mn = render[fmt]
        row(f"em-sim renders one 1,000-item page in process ({label}), median (min) ms",
            f"{med:.2f} ({mn:.2f})", "<= 5 ms", "yes" if med <= 5 else "NO")
page = lambda r: r["secs"] / (r["items"] / 1000) * 1e3
sim_ms = render.get("xml", (None,))[0]
if big and sim_ms:
    row("  em-sim's share of a typed-client page (render median / page wall time)",
        f"{sim_ms:.2f} / {page(big):.2f} ms = {sim_ms / page(big):.0%}", "(info)", "-")
if py and sim_ms:
    row("  em-sim's share of a Python page (render median / page wall time)",
        f"{sim_ms:.2f} / {page(py):.2f} ms = {sim_ms / page(py):.0%}", "(info)", "-")
ahead = last_json("paging_ahead.json")
if ahead and py:
    ratio = ahead["items_per_sec"] / py["items_per_sec"]
    row("paging ratio, items/s: typed stream with read_ahead / Python requests+xmltodict",
        f"{ratio:.1f}x", ">= 10x", "yes" if ratio >= 10 else "NO")
if big and py:
    ratio = big["items_per_sec"] / py["items_per_sec"]
    row("paging ratio, items/s: typed stream without read-ahead / Python requests+xmltodict",
        f"{ratio:.1f}x", "(info)", "-")
    if sim_ms and page(big) > sim_ms:
        client = (page(py) - sim_ms) / (page(big) - sim_ms)
        row("  same, em-sim's render time taken out of both pages (the clients alone)",
            f"{client:.1f}x", "(info)", "-")
if rows:
    header = ("em-sim's share per page (issue #11 item 6)", "ours", "target", "met?")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print()
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
PY
