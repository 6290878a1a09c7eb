#!/bin/bash
# dkms status on real modules: ours against the reference on one state
# tree of 30 real DKMS sources — the dkms.conf files (and sources) of the
# 22 Debian *-dkms packages of the corpus (tests/corpus; unpacked under
# /var/cache/dkms-c-tests/corpus/src by tests/corpus/run.sh) and of the
# project's own drivers and fixtures — each built and installed for the
# 6.1 and 6.12 kernels.  The built modules are fabricated (status reads the
# tree; it builds nothing): their names and places are what bash makes of
# each dkms.conf for each kernel.  Many of these dkms.conf files only bash
# can read; ours keeps what bash made of them in the tree (evalcache.h),
# so after the first status no process is started.  Prints the mean wall
# time of each (perf stat, from fork to exit), ours' CPU time, the
# processes each starts (strace), and the ratio.   bench/status-real.sh [RUNS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
. tests/lib.sh
. bench/lib.sh
need_ref
command -v strace >/dev/null || skip "strace not installed (scripts/setup-deps.sh --bench)"
need_perf
CORPUS=${CORPUS_CACHE:-/var/cache/dkms-c-tests/corpus}/src
[ -d "$CORPUS" ] || skip "corpus sources not unpacked at $CORPUS (run tests/corpus/run.sh once)"
mkroot "$K61" "$K612"

sources=()
while IFS= read -r f; do sources+=("${f%/dkms.conf}"); done < <(find "$CORPUS" -path '*/usr/src/*/dkms.conf' | sort)
for d in examples/edu-dkms tests/fixtures/{hello,twomod,patched,shellconf,exclusive,api612,twofile}-1.0; do
    sources+=("$PWD/$d")
done

# vars DIR KERNEL: PACKAGE_NAME, PACKAGE_VERSION, then "name location" of
# each module, as bash sees DIR/dkms.conf for KERNEL
vars() {
    (cd "$1" && kernelver=$2 arch=$ARCH kernel_source_dir=/lib/modules/$2/build dkms_tree=$T/dkms \
        source_tree=$T/src bash -c '. ./dkms.conf >/dev/null 2>&1
        echo "$PACKAGE_NAME"; echo "$PACKAGE_VERSION"
        for i in "${!BUILT_MODULE_NAME[@]}"; do
            echo "${DEST_MODULE_NAME[$i]:-${BUILT_MODULE_NAME[$i]}} ${DEST_MODULE_LOCATION[$i]:-/updates}"
        done')
}
n=0
for s in "${sources[@]}"; do
    mapfile -t v < <(vars "$s" "$K61")
    name=${v[0]} ver=${v[1]}
    [ -n "$name" ] && [ -n "$ver" ] && [ ! -e "$T/src/$name-$ver" ] || continue
    cp -a "$s" "$T/src/$name-$ver"
    mkdir -p "$T/dkms/$name/$ver"
    ln -s "$T/src/$name-$ver" "$T/dkms/$name/$ver/source"
    for k in "$K61" "$K612"; do
        mapfile -t v < <(vars "$s" "$k")
        [ "${#v[@]}" -gt 2 ] || continue
        mkdir -p "$T/dkms/$name/$ver/$k/$ARCH/module" "$T/lib/modules/$k/updates/dkms"
        for mod in "${v[@]:2}"; do
            mod=${mod%% *}
            echo "$name $mod $k" > "$T/dkms/$name/$ver/$k/$ARCH/module/$mod.ko"
            cp "$T/dkms/$name/$ver/$k/$ARCH/module/$mod.ko" "$T/lib/modules/$k/updates/dkms/"
        done
        ln -s "$ver/$k/$ARCH" "$T/dkms/$name/kernel-$k-$ARCH"
    done
    n=$((n + 1))
done
lines=$(tref status 2>/dev/null | wc -l)
# the first status of ours reads with bash what only bash can read, and
# keeps it; the reference reads them with bash every time
tdkms status > "$T/ours.txt" 2>/dev/null
tref status > "$T/ref.txt" 2>/dev/null
diff -u "$T/ref.txt" "$T/ours.txt" > "$T/status.diff" || { cat "$T/status.diff"; echo "the outputs differ"; exit 1; }

execs() { # processes CMD starts, itself (and env) not counted
    strace -f -qq -e trace=execve -e signal=none -o "$T/trace" "$@" >/dev/null 2>&1 || :
    echo $(( $(grep -c 'execve(' "$T/trace") - 1 - $(grep -c 'execve("/usr/bin/env"' "$T/trace") ))
}
# the command lines of tdkms and tref (tests/lib.sh), for strace and perf
trees=(--dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules")
OURS=("$DKMS" "${trees[@]}" status)
REF=(env mok_signing_key="$T/dkms/mok.key" mok_certificate="$T/dkms/mok.pub" "$REF_DKMS" "${trees[@]}" --no-depmod status)
declare -f tref | grep -q 'REF_DKMS' || { echo "tests/lib.sh's tref changed: update this bench"; exit 1; }
# ours' first status once the files are seconds old compares each built
# module with its installed copy and lists the directories, and keeps what
# it found (samecache.h); the next ones stat files: both are shown
first=$(mean_wall 1 "${OURS[@]}")
ours=$(mean_wall "$RUNS" "${OURS[@]}")
ref=$(mean_wall "$RUNS" "${REF[@]}")
timed "$T/cpu" "${OURS[@]}" || :
echo "status on $n real modules x 2 kernels ($lines lines, the same from both), mean of $RUNS runs:"
printf '  reference dkms 3.0.10: %8.4f s wall, %5d processes started\n' "$ref" "$(execs "${REF[@]}")"
printf '  dkms-c:                %8.4f s wall, %5d processes started, %.4f s CPU\n' "$ours" "$(execs "${OURS[@]}")" \
    "$(cpu_of "$T/cpu")"
printf '  dkms-c, the first status that keeps what it finds: %.4f s wall\n' "$first"
printf '  ratio reference/ours:  %8.0fx\n' "$(echo "scale=1; $ref / $ours" | bc)"
