#!/bin/bash
# Long runs of the libFuzzer harnesses, not part of the test suite:
#   tests/fuzz/run-long.sh [SECONDS] [HARNESS...]
# SECONDS per harness (default 600); harnesses: conf cli tarpath unpack
# (default all).  Builds build-fuzz (CC=clang, -Dfuzz=true) when needed, runs each
# harness on a corpus kept in build-fuzz/fuzz-corpus/<name> (grown from
# the committed seeds, run after run), the conf harness comparing every
# FUZZ_BASH_EVERY-th (default 4th) text it reads in-process with bash, and
# ends with a table: executions, executions per second, peak memory.
# Crashing inputs are kept in build-fuzz/tests/fuzz/fuzz-artifacts/.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(conf cli tarpath unpack)

if [ ! -d build-fuzz ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null || exit 1
fi
meson compile -C build-fuzz >/dev/null || { echo "build-fuzz does not build"; exit 1; }

export FUZZ_BASH_EVERY=${FUZZ_BASH_EVERY:-4}
artifacts=$PWD/build-fuzz/tests/fuzz/fuzz-artifacts
mkdir -p "$artifacts"
status=0
summary=()
for h in "${harnesses[@]}"; do
    corpus=$PWD/build-fuzz/fuzz-corpus/$h
    mkdir -p "$corpus"
    dict=()
    [ -f "tests/fuzz/$h.dict" ] && dict=(-dict="$PWD/tests/fuzz/$h.dict")
    log=$PWD/build-fuzz/fuzz-long-$h.log
    echo "== $h: $secs s, log in $log"
    "build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/fuzz_$h-" "${dict[@]}" \
        "$corpus" "$PWD/tests/fuzz/corpus/$h" >"$log" 2>&1
    rc=$?
    [ $rc -eq 0 ] || status=1
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    line=$(printf '%-8s %12s execs %8s exec/s %6s MB peak  corpus %5s  %s' "$h" \
        "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" "$(stat peak_rss_mb)" \
        "$(ls "$corpus" | wc -l)" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")
    extra=$(grep '^fuzz_conf:' "$log" | tail -1)
    [ -n "$extra" ] && line+=$'\n         '"$extra"
    summary+=("$line")
done
printf '%s\n' "${summary[@]}"
exit $status
