#!/bin/bash
# A fresh autoinstall of real Debian drivers (the corpus's fast ones, see
# tests/corpus) for one kernel: the reference (one module after another,
# each make -j<CPUs>) against ours (all side by side under one make
# jobserver), each in its own throwaway root.  For each it prints the wall
# time, the CPU time of the children (user+sys), the limit
# 1.05 x CPU / cores (what a run that kept every core busy would take) and
# wall / limit; then the ratio of the wall times.
#
#   bench/autoinstall-corpus.sh [--quick] [KERNEL=6.1.0-56-amd64]
#
# --quick: 4 drivers instead of 12.  The .debs must be in the corpus cache
# (tests/corpus/run.sh downloads and extracts them); the runs take place in
# a private mount namespace where /usr/src, /lib/modules, /etc, /boot and
# /var/lib/dkms are read-only, as the corpus runs do (some Makefiles name
# those paths).
set -euo pipefail
cd "$(dirname "$0")/.."
ARGS=("$@")
QUICK=0
if [ "${1:-}" = --quick ]; then QUICK=1; shift; fi
K=${1:-6.1.0-56-amd64}
. tests/lib.sh
need_ref
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
need_headers "$K"
[ "$(id -u)" = 0 ] || skip "needs root"
CACHE=${CORPUS_CACHE:-/var/cache/dkms-c-tests/corpus}

# Each builds for 6.1 in well under a minute on one core.
DRIVERS=(vpoll-dkms langford-dkms acpi-call-dkms tp-smapi-dkms rapiddisk-dkms v4l2loopback-dkms
    lime-forensics-dkms bbswitch-dkms nat-rtsp-dkms gost-crypto-dkms ddcci-dkms openvpn-dco-dkms)
[ $QUICK = 1 ] && DRIVERS=(vpoll-dkms langford-dkms acpi-call-dkms tp-smapi-dkms)

if [ -z "${BENCH_IN_NS:-}" ]; then
    unshare -m --propagation private true 2> /dev/null || skip "no private mount namespace"
    BENCH_IN_NS=1 exec unshare -m --propagation private "$0" ${ARGS[@]+"${ARGS[@]}"}
fi
for d in /usr/src /lib/modules /etc /boot /var/lib/dkms; do
    [ -d "$d" ] && mount --bind "$d" "$d" && mount -o remount,bind,ro "$d"
done

srcs=()
for p in "${DRIVERS[@]}"; do
    s=$(find "$CACHE/src/$p/usr/src" -mindepth 2 -maxdepth 2 -name dkms.conf -printf '%h\n' 2> /dev/null | head -1)
    [ -n "$s" ] || skip "$p is not in the corpus cache $CACHE (run tests/corpus/run.sh $p first)"
    srcs+=("$s")
done
# No signing; and ours unconfined like the reference: CPU time is read from
# the children's rusage, and bwrap does not wait for the processes of its
# PID namespace, so a confined build's CPU would not be counted.
export sign_file=/nonexistent build_sandbox=no

# run IMPL ROOT: prints "wall cpu" of a fresh autoinstall of every driver.
run() {
    local impl=$1 T=$2 s n
    mkdir -p "$T/dkms" "$T/src" "$T/lib/modules/$K"
    for s in "${srcs[@]}"; do
        cp -a "$s" "$T/src/"
        n=$(basename "$s")
        "$impl" add "$T/src/$n" > /dev/null 2>&1 || { echo "$impl could not add $n" >&2; return 1; }
    done
    local t0 t1 cpu
    t0=$(date +%s.%N)
    cpu=$( ("$impl" autoinstall -k "$K" > "$T/out" 2>&1 || true; times) | tail -1)
    t1=$(date +%s.%N)
    local got
    got=$(find "$T/lib/modules/$K" -name '*.ko*' | wc -l)
    [ "$got" -ge "${#srcs[@]}" ] || { cat "$T/out" >&2; echo "$impl installed $got modules for ${#srcs[@]} drivers" >&2; return 1; }
    # times: "XmY.YYYs XmY.YYYs" for the children's user and sys
    echo "$t0 $t1 $cpu" | awk '{
        split($3, u, "m"); split($4, s, "m");
        printf "%.2f %.2f\n", $2 - $1, u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}
mkroot
cores=$(nproc)
read -r ref_wall ref_cpu <<<"$(run tref "$T/ref")"
read -r our_wall our_cpu <<<"$(run tdkms "$T/ours")"
echo "autoinstall of ${#srcs[@]} corpus drivers for $K ($cores cores, load $(cut -d' ' -f1 /proc/loadavg)):"
printf '  %-22s %8s %8s %8s %12s\n' "" "wall s" "CPU s" "limit s" "wall/limit"
for who in ref ours; do
    if [ $who = ref ]; then w=$ref_wall c=$ref_cpu name="reference dkms 3.0.10"; else w=$our_wall c=$our_cpu name="dkms-c"; fi
    awk -v n="$name" -v w="$w" -v c="$c" -v k="$cores" 'BEGIN {
        l = 1.05 * c / k; printf "  %-22s %8.2f %8.2f %8.2f %12.2f\n", n, w, c, l, w / l }'
done
awk -v r="$ref_wall" -v o="$our_wall" 'BEGIN { printf "  wall reference/ours: %.2fx\n", r / o }'
