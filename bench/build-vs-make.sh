#!/bin/bash
# `dkms build` of a real module against raw kbuild on the same source:
#   raw:   make -C /lib/modules/K/build M=<fresh copy> -jJ modules
#   ours:  dkms build M/V -k K -jJ in a fresh throwaway root (added first,
#          not timed): copy, clean, make, checks, strip, sign, compress
#   ref:   the same with the reference dkms 3.0.10
# RUNS runs of each, interleaved; the medians of the wall time and of the
# CPU time (user+sys of every process, perf task-clock) are printed with the ratios to raw
# make.  Goal: ours <= 1.03x raw make.  Both implementations sign with the
# same pre-made MOK key.
#   bench/build-vs-make.sh [--quick] [RUNS=5] [KERNEL=6.1.0-56-amd64] [SRC...]
# SRC: module source directories with a dkms.conf (default: examples/
# edu-dkms and, when the corpus cache has it, v4l2loopback-0.12.7 of
# Debian bookworm).  --quick: 1 run, edu-dkms only.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
. bench/lib.sh
bench_args --runs "$@"
need_bench_tools
J=$(nproc)
default_sources --full v4l2loopback-dkms
mkroot
W=$T
mok_keys "$W/keys"

# one_run SRC IMPL: prints "wall user sys" of one build of SRC by IMPL
# (raw, ours, ref); fails when the module was not built.
one_run() {
    local src=$1 impl=$2 nv n v ko
    if [ "$impl" = raw ]; then
        rm -rf "$W/raw"; cp -a "$src" "$W/raw"
        timed "$W/t" make -C "/lib/modules/$K/build" M="$W/raw" -j"$J" modules \
            || fail "raw make of $src for $K failed"
        n=$(conf_var "$src" 'BUILT_MODULE_NAME[0]')
        [ -n "$(find "$W/raw" -name "$n.ko")" ] || fail "raw make of $src made no $n.ko"
    else
        nv=$(new_root "$W/$impl" "$src")
        in_root "$W/$impl" "$impl" add "$nv" >/dev/null 2>&1 || fail "$impl: add $nv failed"
        timed_in_root "$W/t" "$W/$impl" "$impl" build "$nv" -k "$K" -j "$J" \
            || fail "$impl: build of $nv for $K failed (its log: $W/$impl/dkms/$nv/build/make.log)"
        n=${nv%/*} v=${nv#*/}
        ko=$(ls "$W/$impl/dkms/$n/$v/$K/$ARCH/module/" 2>/dev/null | head -1)
        [ -n "$ko" ] || fail "$impl: build of $nv for $K left no module"
    fi
    cat "$W/t"
}

echo "dkms build vs raw make -C /lib/modules/$K/build M=... modules, -j$J,"
echo "median of $RUNS run(s) each; CPU = user+sys of all processes (perf task-clock); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
for src in "${srcs[@]}"; do
    declare -A wall=() cpu=()
    for _ in $(seq 1 "$RUNS"); do
        for impl in raw ours ref; do
            rec=$(one_run "$src" "$impl")
            wall[$impl]+="${rec% *} "
            cpu[$impl]+="${rec#* } "
        done
    done
    echo
    echo "$(conf_var "$src" PACKAGE_NAME)-$(conf_var "$src" PACKAGE_VERSION) ($src):"
    printf '  %-22s %9s %9s %12s %12s\n' "" "wall s" "CPU s" "wall/raw" "CPU/raw"
    for impl in raw ours ref; do
        # shellcheck disable=SC2086
        mw=$(median ${wall[$impl]}); mc=$(median ${cpu[$impl]})
        [ "$impl" = raw ] && { rw=$mw; rc=$mc; }
        label=$impl; [ "$impl" = raw ] && label="raw make"
        [ "$impl" = ours ] && label="dkms-c build"; [ "$impl" = ref ] && label="reference 3.0.10 build"
        printf '  %-22s %9.2f %9.2f %11sx %11sx\n' "$label" "$mw" "$mc" "$(ratio "$mw" "$rw")" "$(ratio "$mc" "$rc")"
    done
    unset wall cpu
done
echo
echo "goal: dkms-c build <= 1.03x raw make"
