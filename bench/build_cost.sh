#!/usr/bin/env bash
# Issue #6, item 5: what the generated client costs to build (dev profile), measured on a
# private copy of the workspace so no one else's files are touched:
#   - clean build of the `emrest` crate (generated-client) with its dependencies prebuilt;
#   - incremental rebuild after touching generated-client/src/lib.rs, and after an edit of
#     spec/em.toml (a comment appended: the macro runs again, the generated code is unchanged);
#   - time rustc spends expanding macros in that crate (`-Z time-passes`, reached on stable
#     through RUSTC_BOOTSTRAP=1 for this one measurement: macro_expand_crate is the real
#     generate_client! plus the derives it emits);
#   - with FULL_CLEAN=1, a from-scratch build including every dependency.
# usage: build_cost.sh OUT_DIR [FULL_CLEAN(0|1)]    writes OUT_DIR/build_cost.txt (key value)
set -euo pipefail

out="$1"
full_clean="${2:-0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
base="${CARGO_TARGET_DIR:-/work/target-bench}/buildcost"
ws="$base/ws"
export CARGO_TARGET_DIR="$base/target"
res="$out/build_cost.txt"
: >"$res"

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l | awk '{printf "%.2f", $1}'; }

# A fresh copy each run: files a previous copy left (a module since moved) would not build.
rm -rf "$ws"
mkdir -p "$ws"
tar -C "$root" --exclude=./target --exclude=./.git --exclude=./fuzz --exclude=./bench/.venv \
    -cf - . | tar -C "$ws" -xf -
cd "$ws"

echo "== build cost: dev build of dependencies (not timed)" >&2
cargo build -q -p emrest

echo "== build cost: clean build of the emrest crate" >&2
best_clean=""
for _ in 1 2; do
    cargo clean -q -p emrest
    t=$(now)
    cargo build -q -p emrest
    s=$(elapsed "$t")
    if [ -z "$best_clean" ] || [ "$(echo "$s < $best_clean" | bc)" = 1 ]; then best_clean=$s; fi
done
echo "crate_clean_s $best_clean" >>"$res"

echo "== build cost: incremental rebuilds" >&2
best_touch=""
for _ in 1 2 3; do
    touch generated-client/src/lib.rs
    t=$(now)
    cargo build -q -p emrest
    s=$(elapsed "$t")
    if [ -z "$best_touch" ] || [ "$(echo "$s < $best_touch" | bc)" = 1 ]; then best_touch=$s; fi
done
echo "incr_touch_s $best_touch" >>"$res"

best_spec=""
for i in 1 2 3; do
    echo "# build-cost edit $i" >>spec/em.toml
    t=$(now)
    cargo build -q -p emrest
    s=$(elapsed "$t")
    if [ -z "$best_spec" ] || [ "$(echo "$s < $best_spec" | bc)" = 1 ]; then best_spec=$s; fi
done
echo "incr_spec_s $best_spec" >>"$res"

t=$(now)
cargo build -q -p emrest
echo "noop_s $(elapsed "$t")" >>"$res"

echo "== build cost: macro expansion inside rustc (-Z time-passes)" >&2
best_exp=""
for _ in 1 2 3; do
    touch generated-client/src/lib.rs
    passes=$(RUSTC_BOOTSTRAP=1 cargo rustc -q -p emrest --lib -- -Z time-passes 2>&1 || true)
    ms=$(echo "$passes" | awk '/macro_expand_crate/ { for (i = 1; i <= NF; i++) if ($i == "time:") { v = $(i+1); sub(";", "", v); printf "%.0f", v * 1000 } }' | head -1)
    if [ -n "$ms" ] && { [ -z "$best_exp" ] || [ "$ms" -lt "$best_exp" ]; }; then best_exp=$ms; fi
done
[ -n "$best_exp" ] && echo "rustc_macro_expand_ms $best_exp" >>"$res"

if [ "$full_clean" = 1 ]; then
    echo "== build cost: from-scratch dev build of generated-client and all dependencies" >&2
    rm -rf "$CARGO_TARGET_DIR"
    t=$(now)
    cargo build -q -p emrest
    echo "full_clean_s $(elapsed "$t")" >>"$res"
fi

cat "$res" >&2
