#!/usr/bin/env bash
# Issue #10: what keeping unknown content costs on documents that have none (target: at most
# 5 %). An A/B of the typed decoders on the three benchmark documents, XML and both JSON
# casings, measured side by side in one run:
#   A  the runtime as it ships (content no field takes is kept);
#   B  the same sources built with RUSTFLAGS="--cfg emrest_skip_unknown", whose decoders skip
#      that content instead (`emrest_runtime::codec::KEEP_UNKNOWN`; the only difference).
# The documents (em-sim's answers) have no unknown content, so B is what decoding would cost
# without the machinery. A and B run alternately, twice, on the same bytes; the table gives
# each median and the cost A/B - 1 per round. Wall time on a shared machine swings by tens of
# percent between runs, so the script also counts instructions (callgrind, when valgrind is
# installed) of one decode of each document per format, which is the steady figure.
#
# usage: bench/unknown_cost.sh [--quick]
# Environment: CARGO_TARGET_DIR (default /work/target-bench; B builds in "$CARGO_TARGET_DIR-skip").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
a_dir="${CARGO_TARGET_DIR:-/work/target-bench}"
b_dir="$a_dir-skip"
out="$a_dir/unknown-cost"
rm -rf "$out"
mkdir -p "$out/docs"
crit=(--noplot)
[ "${1:-}" = "--quick" ] && crit+=(--warm-up-time 0.3 --measurement-time 1 --sample-size 10)

cd "$root"
# Builds the decode bench into target dir $1 (extra environment before the call) and prints
# the path of the binary cargo made: the newest file by date may be another build of it (with
# `--features mimalloc`, say, which bench/compare.sh also builds).
bench_bin() {
    CARGO_TARGET_DIR="$1" cargo bench -q -p emrest-bench --bench decode --no-run \
        --message-format=json 2>>"$out/build.log" \
        | python3 -c 'import json, sys
exes = [m["executable"] for m in map(json.loads, sys.stdin)
        if m.get("reason") == "compiler-artifact" and m.get("executable")
        and m["target"]["name"] == "decode"]
print(exes[-1])'
}
echo "== building A (keeps unknown content) in $a_dir" >&2
a_bin="$(bench_bin "$a_dir")"
echo "== building B (--cfg emrest_skip_unknown) in $b_dir" >&2
b_bin="$(RUSTFLAGS="--cfg emrest_skip_unknown" bench_bin "$b_dir")"
echo "A: $a_bin" >>"$out/build.log"
echo "B: $b_bin" >>"$out/build.log"

export EMREST_BENCH_DOCS="$out/docs"
for round in 1 2; do
    for side in a b; do
        bin="$a_bin"
        [ "$side" = b ] && bin="$b_bin"
        echo "== round $round, side $side" >&2
        CRITERION_HOME="$out/$side$round" "$bin" --bench "${crit[@]}" '/typed$' >>"$out/run.log" 2>&1
    done
done

# The steady figure: instructions (valgrind's callgrind) of the benchmark's check pass, which
# decodes each document once per format, in decode::typed_xml and decode::typed_json.
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
    echo "== instructions (callgrind), A and B side by side" >&2
    for side in a b; do
        bin="$a_bin"
        [ "$side" = b ] && bin="$b_bin"
        valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$side" "$bin" --bench --list \
            >/dev/null 2>>"$out/run.log" &
    done
    wait
    for side in a b; do
        callgrind_annotate --inclusive=yes "$out/callgrind.$side" 2>/dev/null \
            | grep -E '(decode|emrest_bench)::typed_(xml|json) ' \
            | awk '{gsub(",", "", $1); print $1, $3}' \
            | sed -E 's/\?\?\?:(decode|emrest_bench):://' >"$out/instructions.$side" || true
    done
fi

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]

def medians(d):
    found = {}
    for dirpath, _dirs, files in os.walk(d):
        if os.path.basename(dirpath) == "new" and "estimates.json" in files:
            bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
            est = json.load(open(os.path.join(dirpath, "estimates.json")))
            found[bench["full_id"]] = est["median"]["point_estimate"] / 1e6
    return found

runs = {k: medians(os.path.join(out, k)) for k in ("a1", "b1", "a2", "b2")}
ids = sorted(runs["a1"])
print(f"{'document':<28} {'keep ms':>9} {'skip ms':>9} {'cost':>7}   {'keep ms':>9} {'skip ms':>9} {'cost':>7}")
for i in ids:
    cells = []
    for r in ("1", "2"):
        a, b = runs["a" + r].get(i), runs["b" + r].get(i)
        cells.append(f"{a:9.2f} {b:9.2f} {100 * (a / b - 1):+6.1f}%" if a and b else "   (missing)")
    print(f"{i:<28} {cells[0]}   {cells[1]}")

def instructions(side):
    try:
        return {n: int(c) for c, n in (l.split() for l in open(os.path.join(out, "instructions." + side)))}
    except (OSError, ValueError):
        return {}
a, b = instructions("a"), instructions("b")
if a and b:
    print()
    print(f"{'instructions (callgrind)':<28} {'keep':>15} {'skip':>15} {'cost':>7}")
    for n in sorted(a):
        if n in b:
            print(f"{n:<28} {a[n]:>15,} {b[n]:>15,} {100 * (a[n] / b[n] - 1):+6.2f}%")
PY
