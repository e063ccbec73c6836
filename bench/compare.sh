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

# 3: typed calls next to a hand-written reqwest request.
say "call-overhead benchmarks"
calls_args=(--bench)
[ "$quick" = 1 ] && calls_args+=(--quick)
cargo bench -q -p emrest-bench --bench calls -- "${calls_args[@]}" >"$out/calls.json" 2>>"$log"

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

say "paging: Python (requests + xmltodict) in $here/.venv, $big items"
if [ ! -x "$here/.venv/bin/python" ]; then
    "$PYTHON" -m venv "$here/.venv" >>"$log" 2>&1
fi
if ! "$here/.venv/bin/python" -c 'import requests, xmltodict' 2>/dev/null; then
    "$here/.venv/bin/pip" install -q requests xmltodict >>"$log" 2>&1
fi
"$here/.venv/bin/python" "$here/paging.py" "$url" "$big" >"$out/paging_python.json"
kill "$sim_pid" 2>/dev/null || true
wait "$sim_pid" 2>/dev/null || true
trap - EXIT

# 5: build cost.
say "build cost: codegen stats (parse + check + emit of spec/em.toml)"
"$bin/emrest-codegen" stats spec/em.toml 20 >"$out/codegen_stats.txt"
"$here/build_cost.sh" "$out" "$full_clean" 2>>"$log"

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
"$PYTHON" "$here/report.py" "$out" "$CARGO_TARGET_DIR/criterion"
