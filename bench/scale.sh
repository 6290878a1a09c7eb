#!/bin/bash
# Work that grows with the input must grow linearly.  Two cases, ours
# against the reference, each at N and 2N so that the growth shows:
#  - install of one version holding M modules (fabricated, already built)
#    into a kernel tree; the reference walks the tree once per module;
#  - ldtarball of an archive holding L symbolic links.
# Prints the times, the growth from N to 2N (2.0 is linear, 4.0 is
# quadratic) and the ratio reference/ours.
#   bench/scale.sh [M=500] [L=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-500}; L=${2:-5000}
. tests/lib.sh
need_ref
K=6.1.0-98-dkmstest

# install_case N WHO: seconds to install a version of N modules
install_case() {
    local n=$1 who=$2 i
    mkroot "$K"
    mkdir -p "$T/src/many-1.0" "$T/dkms/many/1.0/build" "$T/dkms/many/1.0/$K/$ARCH/module"
    mkdir -p "$T/lib/modules/$K/kernel/drivers/misc"
    { echo "PACKAGE_NAME=many"; echo "PACKAGE_VERSION=1.0"
      for ((i = 0; i < n; i++)); do
          echo "BUILT_MODULE_NAME[$i]=m$i"; echo "DEST_MODULE_LOCATION[$i]=/updates"
          echo "m$i" > "$T/dkms/many/1.0/$K/$ARCH/module/m$i.ko"
          # the kernel's own tree, walked by the reference for every module
          echo "k$i" > "$T/lib/modules/$K/kernel/drivers/misc/k$i.ko"
      done; } > "$T/src/many-1.0/dkms.conf"
    ln -s "$T/src/many-1.0" "$T/dkms/many/1.0/source"
    local t0 t1
    t0=$(date +%s.%N)
    if [ "$who" = ours ]; then tdkms --no-depmod install many/1.0 -k "$K" >/dev/null 2>&1
    else tref install many/1.0 -k "$K" >/dev/null 2>&1; fi
    t1=$(date +%s.%N)
    [ -f "$T/lib/modules/$K/updates/dkms/m$((n - 1)).ko" ] || { echo "$who: install of $n modules failed" >&2; exit 1; }
    rm -rf "$T"
    echo "$t1 - $t0" | bc
}

# links_case N WHO: seconds to ldtarball an archive of N symbolic links
links_case() {
    local n=$1 who=$2
    mkroot "$K"
    # the layout of mktarball, which both load
    mkdir -p "$T/a/dkms_source_tree/links"
    printf 'PACKAGE_NAME=links\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=links\nDEST_MODULE_LOCATION[0]=/updates\n' \
        > "$T/a/dkms_source_tree/dkms.conf"
    (cd "$T/a/dkms_source_tree/links" && for ((i = 0; i < n; i++)); do ln -s ../dkms.conf "l$i"; done)
    tar -C "$T/a" -czf "$T/links.tar.gz" .
    local t0 t1
    t0=$(date +%s.%N)
    if [ "$who" = ours ]; then tdkms ldtarball "$T/links.tar.gz" >/dev/null 2>&1
    else tref ldtarball "$T/links.tar.gz" >/dev/null 2>&1; fi
    t1=$(date +%s.%N)
    [ -L "$T/src/links-1.0/links/l$((n - 1))" ] || { echo "$who: ldtarball of $n links failed" >&2; exit 1; }
    rm -rf "$T"
    echo "$t1 - $t0" | bc
}

report() { # name n t_ours_n t_ours_2n t_ref_n t_ref_2n
    printf '%s\n' "$1"
    printf '  %-22s %8s %10s %10s\n' "" "N=$2" "2N=$(($2 * 2))" "growth"
    printf '  %-22s %8.3f %10.3f %9.1fx\n' "reference dkms 3.0.10" "$5" "$6" "$(echo "scale=2; $6 / $5" | bc)"
    printf '  %-22s %8.3f %10.3f %9.1fx\n' "dkms-c" "$3" "$4" "$(echo "scale=2; $4 / $3" | bc)"
    printf '  ratio reference/ours at 2N: %.1fx\n' "$(echo "scale=2; $6 / $4" | bc)"
}
report "install of one version with N modules (s)" "$M" \
    "$(install_case "$M" ours)" "$(install_case $((M * 2)) ours)" \
    "$(install_case "$M" ref)" "$(install_case $((M * 2)) ref)"
report "ldtarball of an archive with N symbolic links (s)" "$L" \
    "$(links_case "$L" ours)" "$(links_case $((L * 2)) ours)" \
    "$(links_case "$L" ref)" "$(links_case $((L * 2)) ref)"
