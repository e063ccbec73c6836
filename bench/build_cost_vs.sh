#!/usr/bin/env bash
# The build cost of the generated client at HEAD next to another commit, in one run:
# that commit's own bench/build_cost.sh on a worktree of it, then this tree's, then the
# commit's again, so both sides see the same machine load; prints one table (the better of
# the two runs of REV against HEAD).
# usage: bench/build_cost_vs.sh REV [OUT_DIR]      (default OUT_DIR: /work/target-bench/vs)
set -euo pipefail

rev="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${2:-/work/target-bench/vs}"
mkdir -p "$out/old1" "$out/new" "$out/old2"
old="$out/tree"
if [ ! -d "$old" ]; then
    git -C "$root" worktree add -q --detach "$old" "$rev"
fi

echo "== $rev, first run" >&2
CARGO_TARGET_DIR="$out/target-old" bash "$old/bench/build_cost.sh" "$out/old1" 0
echo "== HEAD" >&2
CARGO_TARGET_DIR="$out/target-new" bash "$root/bench/build_cost.sh" "$out/new" 0
echo "== $rev, second run" >&2
CARGO_TARGET_DIR="$out/target-old" bash "$old/bench/build_cost.sh" "$out/old2" 0

stat_lines() { (cd "$1" && cargo run -q -p emrest-codegen -- stats spec/em.toml 1 | awk '$1=="generated_lines"{print $2}'); }
lines_old=$(CARGO_TARGET_DIR="$out/target-old" stat_lines "$old")
lines_new=$(CARGO_TARGET_DIR="$out/target-new" stat_lines "$root")
python3 - "$out" "$rev" "$lines_old" "$lines_new" <<'PY'
import sys
out, rev, lo, ln = sys.argv[1:5]
def read(d):
    with open(f"{out}/{d}/build_cost.txt") as f:
        return {k: float(v) for k, v in (l.split() for l in f if l.strip())}
a, b, n = read("old1"), read("old2"), read("new")
print(f"| measure | {rev[:8]} | HEAD | HEAD / {rev[:8]} |")
print("|---|---|---|---|")
print(f"| generated lines | {int(lo):,} | {int(ln):,} | {int(ln) / int(lo):.2f} |")
for k in ["crate_clean_s", "incr_touch_s", "incr_spec_s", "rustc_macro_expand_ms"]:
    olds = [x[k] for x in (a, b) if k in x]
    if olds and k in n:
        o = min(olds)
        print(f"| {k} | {o:g} | {n[k]:g} | {n[k] / o:.2f} |")
PY
