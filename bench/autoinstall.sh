#!/bin/bash
# autoinstall of N small real modules for one kernel: ours (parallel
# builds, one depmod) against the reference (one module after another),
# each in its own throwaway root, real headers.  Prints both wall times
# and the ratio.   bench/autoinstall.sh [N=4] [KERNEL=6.1.0-56-amd64]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}; K=${2:-6.1.0-56-amd64}
. tests/lib.sh
need_ref
need_headers "$K"
run() { # impl root
    local impl=$1 R=$2 i n
    mkdir -p "$R/dkms" "$R/src" "$R/lib/modules/$K"
    for i in $(seq 1 "$N"); do
        n=bench$i
        mkdir -p "$R/src/$n-1.0"
        printf '#include <linux/module.h>\n#include <linux/init.h>\nMODULE_LICENSE("GPL");\nstatic int __init b_init(void) { return 0; }\nstatic void __exit b_exit(void) { }\nmodule_init(b_init);\nmodule_exit(b_exit);\n' > "$R/src/$n-1.0/$n.c"
        echo "obj-m := $n.o" > "$R/src/$n-1.0/Makefile"
        printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/updates\nAUTOINSTALL=yes\n' $n $n > "$R/src/$n-1.0/dkms.conf"
    done
    local T=$R
    for i in $(seq 1 "$N"); do "$impl" add "bench$i/1.0" >/dev/null 2>&1; done
    local t0 t1
    t0=$(date +%s.%N)
    "$impl" autoinstall -k "$K" >/dev/null 2>&1
    t1=$(date +%s.%N)
    [ "$(ls "$R/lib/modules/$K/updates/dkms/" | wc -l)" = "$N" ] || { echo "$impl did not install $N modules" >&2; exit 1; }
    echo "$t1 - $t0" | bc
}
mkroot
ref=$(run tref "$T/ref")
ours=$(run tdkms "$T/ours")
echo "autoinstall of $N modules for $K ($(nproc) CPUs):"
printf '  reference dkms 3.0.10: %8.2f s\n  dkms-c:                %8.2f s\n  ratio reference/ours:  %8.2fx\n' "$ref" "$ours" "$(echo "scale=2; $ref / $ours" | bc)"
