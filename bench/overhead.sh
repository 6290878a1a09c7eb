#!/bin/bash
# The CPU time dkms adds on top of make, ours against the reference's.
# For each module source: a fresh throwaway root per run, `dkms add`
# (not counted), then `dkms build` and `dkms install` (--no-depmod for
# both: the reference's depmod would run on the machine's own
# /lib/modules), both signing with the same pre-made MOK key.
#   total    CPU (user+sys) of the two commands and of everything they
#            started: perf's task-clock
#   make     CPU of the make that builds the modules (the command dkms
#            runs with KERNELRELEASE=), counted the same way from inside
#            (perf stat's line lands in the build's make.log) by a `make`
#            wrapper first in PATH; the clean runs and everything else
#            count as overhead
#   overhead total - make: dkms.conf evaluations, clean runs, the uname
#            shim, the sandbox, strip, signing, compression, the checks
# The wrapper's own cost (a shell and perf starting, measured alone) is
# taken off both overheads.  Prints the medians and the ratio
# ours/reference, and then, from one more run of each under
# `strace -f`, the programs each started outside make.
#   bench/overhead.sh [--quick] [RUNS=5] [KERNEL=6.1.0-56-amd64] [SRC...]
# SRC: module source directories with a dkms.conf (default examples/
# edu-dkms, and vpoll-0.1 of Debian bookworm when the corpus cache has it).
# --quick: 1 run, edu-dkms only.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
. bench/lib.sh
bench_args --runs "$@"
need_bench_tools strace
J=$(nproc)
default_sources --full vpoll-dkms
mkroot
W=$T
mok_keys "$W/keys"

# The make wrapper.  It lives outside /tmp, which a confined build gets
# private, and outside the machine's trees.  Sub-makes and the clean runs
# go straight to make.
BIN=$(mktemp -d /var/tmp/dkms-bench-bin.XXXXXX)
at_exit "rm -rf $(printf %q "$BIN")"
chmod 755 "$BIN"
cat > "$BIN/make" <<'EOF'
#!/bin/sh
[ -n "${DKMS_BENCH_IN_MAKE:-}" ] && exec /usr/bin/make "$@"
export DKMS_BENCH_IN_MAKE=1
case " $* " in
*" KERNELRELEASE="*) exec perf stat -x, -e task-clock -- /usr/bin/make "$@" ;;
esac
exec /usr/bin/make "$@"
EOF
chmod 755 "$BIN/make"
export PATH="$BIN:$PATH"

# one_run SRC IMPL [WRAP...]: prints "total make" CPU seconds of build +
# install, run under WRAP (strace) when given.
one_run() {
    local src=$1 impl=$2; shift 2
    local R=$W/$impl nv n v log total=0 mk
    nv=$(new_root "$R" "$src")
    n=${nv%/*} v=${nv#*/}
    in_root "$R" "$impl" add "$nv" >/dev/null 2>&1 || fail "$impl: add $nv failed"
    for step in build install; do
        root_cmd "$R" "$impl"
        timed "$W/t" "$@" "${RC[@]}" "$step" "$nv" -k "$K" -j "$J" \
            || fail "$impl: $step of $nv for $K failed (see $R/dkms/$n/$v)"
        total=$(echo "$total + $(cpu_of "$W/t")" | bc)
    done
    [ -n "$(ls "$R/lib/modules/$K/"*/ 2>/dev/null)" ] || fail "$impl: $nv was not installed for $K"
    log=$R/dkms/$n/$v/$K/$ARCH/log/make.log
    mk=$(awk -F, '/^[0-9.]+,msec,task-clock/ { s += $1; n++ } END { if (n) printf "%.3f", s / 1000 }' "$log" 2>/dev/null)
    [ -n "$mk" ] \
        || fail "$impl: no make time in $log (the make wrapper did not run)"
    echo "$total $mk"
}

# the wrapper's own CPU time: what it adds to make's, counted as overhead
printf 'all:\n\t@:\n' > "$W/null.mk"
calib=()
for _ in 1 2 3 4 5; do
    perf stat -x, -e task-clock -o "$W/c.outer" -- "$BIN/make" -s -f "$W/null.mk" KERNELRELEASE=x 2> "$W/c.inner" \
        || fail "the make wrapper does not run"
    calib+=("$(cat "$W/c.outer" "$W/c.inner" | awk -F, '/^[0-9.]+,msec,task-clock/ { v[++n] = $1 }
        END { printf "%.3f\n", (v[1] - v[2]) / 1000 }')")
done
wrap=$(median "${calib[@]}")

echo "CPU time outside make for dkms build + install (--no-depmod), -j$J, median of $RUNS run(s);"
echo "CPU = user+sys of every process (perf task-clock); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(the make wrapper's own ${wrap} s is taken off each overhead)"
for src in "${srcs[@]}"; do
    declare -A tot=() mk=() ov=()
    for _ in $(seq 1 "$RUNS"); do
        for impl in ours ref; do
            rec=$(one_run "$src" "$impl")
            tot[$impl]+="${rec% *} "; mk[$impl]+="${rec#* } "
            ov[$impl]+="$(echo "${rec% *} - ${rec#* } - $wrap" | bc) "
        done
    done
    echo
    echo "$(conf_var "$src" PACKAGE_NAME)-$(conf_var "$src" PACKAGE_VERSION) ($src):"
    printf '  %-18s %10s %10s %12s\n' "" "total s" "make s" "overhead s"
    for impl in ours ref; do
        # shellcheck disable=SC2086
        t=$(median ${tot[$impl]}); m=$(median ${mk[$impl]}); o=$(median ${ov[$impl]})
        [ "$impl" = ours ] && oo=$o
        label="dkms-c"; [ "$impl" = ref ] && label="reference 3.0.10"
        printf '  %-18s %10.3f %10.3f %12.3f\n' "$label" "$t" "$m" "$o"
    done
    printf '  overhead ratio ours/reference: %sx\n' "$(ratio "$oo" "$o")"
    unset tot mk ov
    for impl in ours ref; do
        one_run "$src" "$impl" strace -f -qq -A -s 64 --pidns-translation -e trace=execve,clone,clone3,fork,vfork \
            -o "$W/$impl.strace" > /dev/null
        execs_outside_make "$W/$impl.strace" > "$W/$impl.execs"
        rm -f "$W/$impl.strace"
    done
    echo "  programs started outside make (strace -f; count, name):"
    printf '    %-34s %s\n' "dkms-c" "reference 3.0.10"
    paste -d'|' "$W/ours.execs" "$W/ref.execs" | awk -F'|' '{ printf "    %-34s %s\n", $1, $2 }'
done
