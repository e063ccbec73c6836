#!/usr/bin/env bash
# Typed decoding next to its baselines in instructions (callgrind), not seconds: the steady
# stand-in for bench/compare.sh's MB/s ratios on a shared machine, where wall-time medians
# swing by ±25 % between runs. For each document and format it counts the instructions of
# one decode by each side (inside `decode_once`'s measured loop only) and prints
# baseline / typed: above 1 the typed decoder executes fewer instructions than its baseline.
# Issue #10's targets: XML typed ≥ 0.7× the raw quick-xml loop, JSON typed ≥ 1.5× Value.
# Instructions are not cycles (cache misses and branch mispredictions are not counted), so
# read this next to compare.sh's table, not instead of it.
#
#   bench/instructions.sh [N]   N decodes per count (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
export EMREST_BENCH_DOCS="${EMREST_BENCH_DOCS:-$CARGO_TARGET_DIR/bench-docs}"
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind" >&2; exit 2; }
cargo build --release -q -p emrest-bench --bin decode_once
bin="$CARGO_TARGET_DIR/release/decode_once"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" xml refs10k raw >/dev/null # fetches and keeps the documents outside the count
count() {
    valgrind --tool=callgrind --toggle-collect='decode_once::measured' \
        --callgrind-out-file="$out/cg" "$bin" "$@" >/dev/null 2>"$out/log"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log"
}
printf '%-22s %15s %15s %8s %7s\n' "document" "typed" "baseline" "ratio" "target"
for set in xml json-pascal json-camel; do
    if [ "$set" = xml ]; then base=raw; target=0.7; else base=value; target=1.5; fi
    for doc in refs10k jobs1k query1k; do
        t=$(count "$set" "$doc" typed "$n")
        b=$(count "$set" "$doc" "$base" "$n")
        ratio=$(python3 -c "print(f'{$b/$t:.2f}')")
        printf '%-22s %15s %15s %8s %7s\n' "$set/$doc" "$t" "$b" "$ratio" "$target"
    done
done
