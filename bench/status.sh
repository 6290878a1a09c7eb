#!/bin/bash
# dkms status: ours against the reference on the same state tree of N
# modules, each built and installed for two kernels (fabricated: status
# reads the tree, it builds nothing).  Prints the mean wall time of each
# (perf stat) and the ratio.   bench/status.sh [N=20] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}; RUNS=${2:-5}
. tests/lib.sh
. bench/lib.sh
need_ref
need_perf
mkroot "$K61" "$K612"
for i in $(seq 1 "$N"); do
    n=mod$i
    mkdir -p "$T/src/$n-1.0"
    printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/updates\nMAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"\nAUTOINSTALL=yes\n' $n $n > "$T/src/$n-1.0/dkms.conf"
    mkdir -p "$T/dkms/$n/1.0/build"; ln -s "$T/src/$n-1.0" "$T/dkms/$n/1.0/source"
    for k in "$K61" "$K612"; do
        mkdir -p "$T/dkms/$n/1.0/$k/$ARCH/module" "$T/lib/modules/$k/updates/dkms"
        echo "$n $k" > "$T/dkms/$n/1.0/$k/$ARCH/module/$n.ko"
        cp "$T/dkms/$n/1.0/$k/$ARCH/module/$n.ko" "$T/lib/modules/$k/updates/dkms/"
        ln -s "1.0/$k/$ARCH" "$T/dkms/$n/kernel-$k-$ARCH"
    done
done
[ "$(tdkms status)" = "$(tref status 2>/dev/null)" ] || { echo "outputs differ"; exit 1; }
trees=(--dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules")
declare -f tref | grep -q 'REF_DKMS' || { echo "tests/lib.sh's tref changed: update this bench"; exit 1; }
ours=$(mean_wall "$RUNS" "$DKMS" "${trees[@]}" status)
ref=$(mean_wall "$RUNS" env mok_signing_key="$T/dkms/mok.key" mok_certificate="$T/dkms/mok.pub" \
    "$REF_DKMS" "${trees[@]}" --no-depmod status)
echo "status, $N modules x 2 kernels ($((N*2)) lines), mean of $RUNS runs:"
printf '  reference dkms 3.0.10: %8.3f s\n  dkms-c:                %8.3f s\n  ratio reference/ours:  %8.1fx\n' "$ref" "$ours" "$(echo "scale=1; $ref / $ours" | bc)"
