#!/bin/bash
# The second machine of a fleet: two machines share one artifact cache
# directory (the framework setting artifact_cache; here from the
# environment).  Machine A, a fresh tree, installs N real drivers for
# kernel K: it builds them and fills the cache.  Machine B, another fresh
# tree with the same kernel headers and its own MOK key, installs the same
# drivers: it takes the modules from the cache and only signs and installs
# them.  Goal: B's time <= 5 % of A's, and no compiler started on B.
#
# The proof: B is run a second time, on another fresh tree, under
# `strace -f -e trace=execve`; every program started, sandboxed or not, is
# listed, and the bench fails if one is a compiler, assembler, linker or
# make (gcc*, cc, cc1*, clang*, as, ld*, make).  It also fails unless every
# module B installed is signed with B's own key, not A's.
#
# The two machines run one after the other at the same path (the layout
# /var/lib/dkms has on every machine; the cache key covers the make
# command, which names the build directory).  Both use --no-depmod.  The
# reference (no cache) is timed on a third fresh tree: its full rebuild.
#   bench/cache-fleet.sh [--quick] [KERNEL=6.1.0-56-amd64] [SRC...]
# SRC: module source directories with a dkms.conf (default: examples/
# edu-dkms and, when the corpus cache has them, Debian bookworm's vpoll,
# acpi-call and v4l2loopback).  --quick: edu-dkms and vpoll.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
. bench/lib.sh
bench_args "$@"
need_bench_tools strace
default_sources vpoll-dkms --full acpi-call-dkms v4l2loopback-dkms
mkroot
W=$T M=$T/machine
export artifact_cache=$W/cache

# install_all IMPL KEYDIR OUT [WRAP...]: a fresh tree at $M with every
# source added, then `dkms install` of each, timed together; "wall cpu"
# into OUT.  WRAP: a command the installs run under (strace).
install_all() {
    local impl=$1 keys=$2 out=$3 nv wall=0 cpu=0; shift 3
    mok_keys "$keys"
    mapfile -t nvs < <(new_root "$M" "${srcs[@]}")
    for nv in "${nvs[@]}"; do
        in_root "$M" "$impl" add "$nv" >/dev/null 2>&1 || fail "$impl: add $nv failed"
    done
    for nv in "${nvs[@]}"; do
        root_cmd "$M" "$impl"
        timed "$W/t" "$@" "${RC[@]}" install "$nv" -k "$K" \
            || fail "$impl: install of $nv for $K failed (its tree: $M/dkms/$nv)"
        wall=$(echo "$wall + $(wall_of "$W/t")" | bc); cpu=$(echo "$cpu + $(cpu_of "$W/t")" | bc)
    done
    echo "$wall $cpu" > "$out"
}

# installed_modules ROOT: the module files installed under ROOT for $K
installed_modules() { find "$1/lib/modules/$K" -name '*.ko*' -type f | sort; }

# checks_signed_by_own_key ROOT OTHER: every module of ROOT is signed, and
# not with the key of the modules of OTHER.
check_own_key() {
    local f n mine theirs
    while IFS= read -r f; do
        n=${f#"$1"/}
        mine=$(modinfo -F sig_key "$f" 2>/dev/null)
        theirs=$(modinfo -F sig_key "$2/$n" 2>/dev/null)
        [ -n "$mine" ] || fail "machine B's $n is not signed"
        [ "$mine" != "$theirs" ] || fail "machine B's $n is signed with machine A's key"
    done < <(installed_modules "$1")
}

echo "fleet: ${#srcs[@]} drivers installed for $K on machine A, then on machine B,"
echo "sharing the artifact cache $artifact_cache; load now: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${srcs[@]}"; do echo "  $(conf_var "$s" PACKAGE_NAME)-$(conf_var "$s" PACKAGE_VERSION)  ($s)"; done

# machine A: builds, fills the cache
install_all ours "$W/keys-A" "$W/A.time"
[ "$(installed_modules "$M" | wc -l)" -ge "${#srcs[@]}" ] || fail "machine A did not install every driver"
entries=$(tdkms cache stats 2>/dev/null | tr '\n' ' ')
mv "$M" "$W/A"

# machine B: from the cache
install_all ours "$W/keys-B" "$W/B.time"
[ "$(installed_modules "$M" | wc -l)" = "$(installed_modules "$W/A" | wc -l)" ] \
    || fail "machine B installed $(installed_modules "$M" | wc -l) modules, A $(installed_modules "$W/A" | wc -l)"
check_own_key "$M" "$W/A"
for log in "$M"/dkms/*/*/"$K"/*/log/make.log; do
    grep -q "taken from the artifact cache" "$log" || fail "machine B built ${log#"$M"/dkms/} (no cache hit)"
done
mv "$M" "$W/B"

# machine B again, fresh, every program it starts recorded
install_all ours "$W/keys-B" "$W/B2.time" strace -f -qq -A -e trace=execve -o "$W/B.execve"
started=$(grep -E '= 0$' "$W/B.execve" | sed -n 's/^[0-9]* *execve("\([^"]*\)".*/\1/p' | sort | uniq -c)
compilers=$(awk '{ n = $2; sub(/.*\//, "", n) }
    n ~ /^(gcc|cc|c\+\+|g\+\+|clang|cc1|cc1plus|as|ld|make|gmake)([-.].*)?$/ || n ~ /-(gcc|g\+\+|as|ld)(-[0-9.]+)?$/ \
    { print }' <<<"$started")
mv "$M" "$W/B2"

# the reference on machine B: no cache, a full rebuild
install_all ref "$W/keys-B" "$W/ref.time"

read -r aw ac < "$W/A.time"; read -r bw bc_ < "$W/B.time"; read -r rw rc < "$W/ref.time"
echo
printf '  %-44s %8s %8s\n' "" "wall s" "CPU s"
printf '  %-44s %8.2f %8.2f\n' "machine A, dkms-c (builds, fills the cache)" "$aw" "$ac"
printf '  %-44s %8.2f %8.2f\n' "machine B, dkms-c (from the cache)" "$bw" "$bc_"
printf '  %-44s %8.2f %8.2f\n' "machine B, reference 3.0.10 (full rebuild)" "$rw" "$rc"
printf '  ratio B/A, dkms-c:     wall %s, CPU %s   (goal <= 0.05)\n' "$(ratio "$bw" "$aw")" "$(ratio "$bc_" "$ac")"
printf '  ratio B ours/reference: wall %s\n' "$(ratio "$bw" "$rw")"
echo "  cache after A: $entries"
echo "  programs started on machine B (strace -f execve, $(wc -l < "$W/B.execve") lines):"
sed 's/^/    /' <<<"$started"
if [ -n "$compilers" ]; then
    echo "FAIL: machine B started compilers:"; sed 's/^/    /' <<<"$compilers"
    exit 1
fi
echo "  compilers, assemblers, linkers, make started on machine B: none"
