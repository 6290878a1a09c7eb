#!/bin/bash
# Corpus run: real DKMS packages from Debian bookworm, driven through the
# reference dkms 3.0.10 and through ours, step by step, in throwaway trees.
#
#   tests/corpus/run.sh [options] [package...]
#
#   --quick          only the quick subset ($QUICK_PKGS below)
#   --impl WHICH     ref, ours or both (default both)
#   --reuse-ref      keep the reference's results of an earlier run of the
#                    same .deb instead of running it again
#   --out DIR        where RESULTS.md and results.tsv go (default: this
#                    directory for a run of the whole corpus, otherwise
#                    $CACHE/last)
#   --no-sandbox     do not enter a private mount namespace (see below)
#   --report-only    run nothing: write the table from the results kept in
#                    $CACHE/runs by earlier runs
#
# For every package: `apt-get download` into $CACHE/debs, `dpkg -x`, take the
# source under usr/src/<name>-<version>/, then for each implementation in its
# own throwaway root T:
#     add; for each kernel: build, install; status; remove --all
# with --dkmstree T/dkms --sourcetree T/src --installtree T/lib/modules
# --no-depmod.  T/lib/modules/<k>/ exists for each kernel.  Signing keys are
# kept in T/dkms (the reference would otherwise write /var/lib/dkms/mok.key).
#
# Steps are compared on exit code, and where it applies on what they leave:
#   build    the files in T/dkms/<name>/<version>/<k>/<arch>/module/
#   install  the files under T/lib/modules/<k>/ (name, place, compression),
#            and each module's vermagic release and whether it is signed
#   status   the lines of `dkms status` (T's path replaced by "T")
#   remove   what is left under T/lib/modules and T/dkms
#
# Safety: the runs take place in a private mount namespace in which /usr/src,
# /lib/modules, /etc and /boot are read-only, so that neither implementation
# nor a package's Makefile (some hard-code /usr/src or /var/lib/dkms) can
# change the machine.  Everything that is written lands in T or in $CACHE.
#
# Environment: DKMS (ours, default /tmp/corpus-build/dkms), REF_DKMS,
# K61, K612 (the two kernels), CORPUS_CACHE (default
# /var/cache/dkms-c-tests/corpus), CORPUS_STEP_TIMEOUT (seconds, default 1800).
# Exit status: 0 when every compared cell agrees, 1 when some disagree,
# 2 on a usage or setup error.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=${SRCDIR:-$(cd "$HERE/../.." && pwd)}
DKMS=${DKMS:-/tmp/corpus-build/dkms}
REF_DKMS=${REF_DKMS:-/opt/dkms-ref/usr/sbin/dkms}
K61=${K61:-6.1.0-56-amd64}
K612=${K612:-6.12.117+deb12-amd64}
KERNELS=("$K61" "$K612")
CACHE=${CORPUS_CACHE:-/var/cache/dkms-c-tests/corpus}
STEP_TIMEOUT=${CORPUS_STEP_TIMEOUT:-1800}
ARCH=$(uname -m)

ALL_PKGS=(v4l2loopback-dkms acpi-call-dkms bbswitch-dkms ddcci-dkms
    digimend-dkms dm-writeboost-dkms dpdk-kmods-dkms evdi-dkms
    falcosecurity-scap-dkms gost-crypto-dkms langford-dkms
    librem-ec-acpi-dkms lime-forensics-dkms nat-rtsp-dkms openvpn-dco-dkms
    rapiddisk-dkms tp-smapi-dkms vpoll-dkms west-chamber-dkms
    xtables-addons-dkms openafs-modules-dkms dahdi-dkms)
QUICK_PKGS=(v4l2loopback-dkms acpi-call-dkms vpoll-dkms)

# What a package needs on the machine to build, beyond a compiler, make and
# the kernel headers (from each package's Depends; run-time-only
# dependencies such as xserver-xorg-input-wacom or xtables-addons-common
# are left out).
declare -A deps=(
    [dpdk-kmods-dkms]="libelf-dev make"
    [west-chamber-dkms]="bzip2 libxtables-dev make"
    [openafs-modules-dkms]="perl libc6-dev make gcc"
    [dahdi-dkms]="make libc6-dev dpkg-dev gcc gawk"
)
# Always needed: the reference is a bash program that uses these.
BASE_DEPS="bash make gcc kmod xz-utils zstd gzip openssl patch coreutils findutils"

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }

impls=(ref ours) quick=0 reuse_ref=0 out="" sandbox=1 pkgs=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --impl) shift; case ${1:-} in ref) impls=(ref) ;; ours) impls=(ours) ;;
                both) impls=(ref ours) ;; none) impls=() ;; *) usage ;; esac ;;
        --reuse-ref) reuse_ref=1 ;;
        --out) shift; out=${1:-}; [ -n "$out" ] || usage ;;
        --no-sandbox) sandbox=0 ;;
        --report-only) impls=() ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) pkgs+=("$1") ;;
    esac
    shift
done
whole=0
if [ ${#pkgs[@]} -eq 0 ]; then
    if [ $quick = 1 ]; then pkgs=("${QUICK_PKGS[@]}"); else pkgs=("${ALL_PKGS[@]}"); whole=1; fi
fi
if [ -z "$out" ]; then
    if [ $whole = 1 ]; then out=$HERE; else out=$CACHE/last; fi
fi
mkdir -p "$out" "$CACHE/debs" "$CACHE/src" "$CACHE/runs" || exit 2
out=$(cd "$out" && pwd)

log() { echo "corpus: $*" >&2; }

for i in ${impls[@]+"${impls[@]}"}; do
    case $i in
        ref) [ -x "$REF_DKMS" ] || { log "reference dkms not found at $REF_DKMS"; exit 2; } ;;
        ours) [ -x "$DKMS" ] || { log "our dkms not found at $DKMS (set DKMS=)"; exit 2; } ;;
    esac
done
for k in "${KERNELS[@]}"; do
    [ -e "/lib/modules/$k/build/include" ] || { log "no headers for $k"; exit 2; }
done

# ---------------------------------------------------------------- fetching --
# Everything that needs the network or dpkg happens here, before the
# sandbox is entered.
if [ ${#impls[@]} = 0 ]; then
    :
elif [ -z "${CORPUS_IN_NS:-}" ]; then
    need=()
    for p in $BASE_DEPS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    for pkg in "${pkgs[@]}"; do
        for p in ${deps[$pkg]:-}; do
            dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
        done
    done
    if [ ${#need[@]} -gt 0 ]; then
        log "installing build dependencies: ${need[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=600 "${need[@]}" > "$CACHE/apt.log" 2>&1 \
            || { tail -20 "$CACHE/apt.log" >&2; log "apt-get install failed"; exit 2; }
    fi
    for pkg in "${pkgs[@]}"; do
        if ! ls "$CACHE/debs/${pkg}_"*.deb >/dev/null 2>&1; then
            log "downloading $pkg"
            dl=$(mktemp -d) && chmod 777 "$dl"
            if ! (cd "$dl" && apt-get download -qq "$pkg" >&2); then
                (apt-get update -qq >&2; cd "$dl" && apt-get download -qq "$pkg" >&2) \
                    || { rm -rf "$dl"; log "cannot download $pkg"; exit 2; }
            fi
            mv "$dl"/*.deb "$CACHE/debs/" && rm -rf "$dl"
        fi
        deb=$(ls "$CACHE/debs/${pkg}_"*.deb | sort -V | tail -1)
        stamp=$CACHE/src/$pkg/.from
        if [ "$(cat "$stamp" 2>/dev/null)" != "$(basename "$deb")" ]; then
            rm -rf "$CACHE/src/$pkg"
            mkdir -p "$CACHE/src/$pkg"
            dpkg -x "$deb" "$CACHE/src/$pkg" || { log "cannot extract $deb"; exit 2; }
            basename "$deb" > "$stamp"
        fi
    done
    if [ $sandbox = 1 ]; then
        if unshare -m --propagation private true 2>/dev/null; then
            export CORPUS_IN_NS=1
            exec unshare -m --propagation private "$0" --out "$out" \
                --impl "$(if [ ${#impls[@]} = 2 ]; then echo both; else echo "${impls[0]}"; fi)" \
                $([ $reuse_ref = 1 ] && echo --reuse-ref) "${pkgs[@]}"
        fi
        log "WARNING: no private mount namespace; running without the read-only guard"
    fi
else
    for d in /usr/src /lib/modules /etc /boot /var/lib/dkms; do
        [ -d "$d" ] || continue
        mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" \
            || { log "cannot make $d read-only"; exit 2; }
    done
fi

# ----------------------------------------------------------------- running --
# name and version of a source tree, from its dkms.conf
conf_var() { # dir var
    (cd "$1" && kernelver=$K61 arch=$ARCH kernel_source_dir=/lib/modules/$K61/build \
        bash -c '. ./dkms.conf >/dev/null 2>&1; eval "echo \"\${$1}\""' _ "$2")
}

# list_files DIR: files and links below DIR, one per line, sorted
list_files() {
    [ -d "$1" ] || return 0
    find "$1" -mindepth 1 \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort
}

# modinfo_lines DIR: for each module below DIR, "path vermagic-release signed"
modinfo_lines() {
    [ -d "$1" ] || return 0
    local f vm sig
    while IFS= read -r f; do
        vm=$(modinfo -F vermagic "$1/$f" 2>/dev/null | awk '{print $1}')
        sig=$(modinfo -F sig_id "$1/$f" 2>/dev/null)
        echo "$f ${vm:-?} $([ -n "$sig" ] && echo signed || echo unsigned)"
    done < <(find "$1" -mindepth 1 -name '*.ko*' -type f -printf '%P\n' | LC_ALL=C sort)
}

# run_impl PKG IMPL: the whole sequence for one implementation; results in
# $CACHE/runs/PKG/IMPL/
run_impl() {
    local pkg=$1 impl=$2 srcroot name ver T R k rc prog start
    R=$CACHE/runs/$pkg/$impl
    rm -rf "$R"; mkdir -p "$R"
    srcroot=$(find "$CACHE/src/$pkg/usr/src" -mindepth 2 -maxdepth 2 -name dkms.conf -printf '%h\n' | head -1)
    [ -n "$srcroot" ] || { echo "no usr/src/*/dkms.conf in $pkg" > "$R/error"; return; }
    name=$(conf_var "$srcroot" PACKAGE_NAME)
    ver=$(conf_var "$srcroot" PACKAGE_VERSION)
    echo "$name/$ver" > "$R/module"
    T=$(mktemp -d "${TMPDIR:-/tmp}/dkms-corpus.XXXXXX")
    mkdir -p "$T/dkms" "$T/src/$name-$ver" "$T/lib/modules"
    for k in "${KERNELS[@]}"; do mkdir -p "$T/lib/modules/$k"; done
    cp -a "$srcroot/." "$T/src/$name-$ver/"
    if [ "$impl" = ref ]; then prog=$REF_DKMS; else prog=$DKMS; fi
    step() { # label args...
        local label=$1; shift
        local t0=$SECONDS
        mok_signing_key="$T/dkms/mok.key" mok_certificate="$T/dkms/mok.pub" \
        TMPDIR="$T" nice -n 10 timeout "$STEP_TIMEOUT" \
            "$prog" --dkmstree "$T/dkms" --sourcetree "$T/src" \
            --installtree "$T/lib/modules" --no-depmod "$@" \
            > "$R/$label.out" 2>&1 < /dev/null
        rc=$?
        echo "$rc" > "$R/$label.rc"
        echo "$((SECONDS - t0))" > "$R/$label.secs"
        sed -i "s|$T|T|g" "$R/$label.out"
    }
    start=$SECONDS
    step add add -m "$name" -v "$ver"
    for k in "${KERNELS[@]}"; do
        step "build@$k" build -m "$name" -v "$ver" -k "$k"
        list_files "$T/dkms/$name/$ver/$k/$ARCH/module" > "$R/build@$k.files"
        cp "$T/dkms/$name/$ver/$k/$ARCH/log/make.log" "$R/build@$k.make.log" 2>/dev/null \
            || cp "$T/dkms/$name/$ver/build/make.log" "$R/build@$k.make.log" 2>/dev/null
        step "install@$k" install -m "$name" -v "$ver" -k "$k"
        list_files "$T/lib/modules/$k" > "$R/install@$k.files"
        modinfo_lines "$T/lib/modules/$k" > "$R/install@$k.modinfo"
    done
    step status status
    # status lines only, without the implementation's own warnings on stderr
    mok_signing_key="$T/dkms/mok.key" mok_certificate="$T/dkms/mok.pub" \
        "$prog" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        status 2>/dev/null | sed "s|$T|T|g" > "$R/status.lines"
    step remove remove -m "$name" -v "$ver" --all
    { list_files "$T/lib/modules" | sed 's|^|lib/modules/|'
      list_files "$T/dkms" | grep -v '^mok\.' | sed 's|^|dkms/|'; } > "$R/remove.files"
    echo "$((SECONDS - start))" > "$R/total.secs"
    basename "$(cat "$CACHE/src/$pkg/.from")" > "$R/deb"
    touch "$R/done"
    rm -rf "$T"
}

for pkg in "${pkgs[@]}"; do
    for impl in ${impls[@]+"${impls[@]}"}; do
        R=$CACHE/runs/$pkg/$impl
        if [ "$impl" = ref ] && [ $reuse_ref = 1 ] && [ -e "$R/done" ] \
            && [ "$(cat "$R/deb" 2>/dev/null)" = "$(cat "$CACHE/src/$pkg/.from")" ]; then
            log "$pkg: reusing the reference's earlier results"
            continue
        fi
        log "$pkg: $impl ..."
        run_impl "$pkg" "$impl"
        log "$pkg: $impl done in $(cat "$R/total.secs" 2>/dev/null || echo ?)s"
    done
done

# --------------------------------------------------------------- the table --
TSV=$out/results.tsv
MD=$out/RESULTS.md
cell() { cat "$1" 2>/dev/null || echo -; }
same() { # fileA fileB -> yes/no/-
    if [ ! -e "$1" ] || [ ! -e "$2" ]; then echo -; return; fi
    if cmp -s "$1" "$2"; then echo yes; else echo no; fi
}
disagree=0 cells=0 cells_ok=0
printf 'package\tkernel\tstep\tref_rc\tours_rc\trc_agree\toutput_agree\tdetail\n' > "$TSV"
for pkg in "${pkgs[@]}"; do
    A=$CACHE/runs/$pkg/ref B=$CACHE/runs/$pkg/ours
    rows=("-|add" )
    for k in "${KERNELS[@]}"; do rows+=("$k|build" "$k|install"); done
    rows+=("-|status" "-|remove")
    for row in "${rows[@]}"; do
        k=${row%%|*} s=${row#*|}
        if [ "$k" = - ]; then label=$s; else label=$s@$k; fi
        ra=$(cell "$A/$label.rc") rb=$(cell "$B/$label.rc")
        if [ "$ra" = - ] || [ "$rb" = - ]; then rca=-; elif [ "$ra" = "$rb" ]; then rca=yes; else rca=no; fi
        detail=""
        case $s in
            build) oa=$(same "$A/$label.files" "$B/$label.files")
                   [ "$oa" = no ] && detail="module/: ref{$(paste -sd' ' "$A/$label.files")} ours{$(paste -sd' ' "$B/$label.files")}" ;;
            install) oa=$(same "$A/$label.files" "$B/$label.files")
                   [ "$oa" = no ] && detail="files: ref{$(paste -sd' ' "$A/$label.files")} ours{$(paste -sd' ' "$B/$label.files")}"
                   m=$(same "$A/$label.modinfo" "$B/$label.modinfo")
                   if [ "$m" = no ]; then
                       [ "$oa" = yes ] && oa=no
                       detail="${detail:+$detail; }modinfo: ref{$(paste -sd';' "$A/$label.modinfo")} ours{$(paste -sd';' "$B/$label.modinfo")}"
                   fi ;;
            status) oa=$(same "$A/status.lines" "$B/status.lines")
                   [ "$oa" = no ] && detail="status: ref{$(paste -sd'|' "$A/status.lines")} ours{$(paste -sd'|' "$B/status.lines")}" ;;
            remove) oa=$(same "$A/remove.files" "$B/remove.files")
                   [ "$oa" = no ] && detail="left: ref{$(paste -sd' ' "$A/remove.files")} ours{$(paste -sd' ' "$B/remove.files")}" ;;
            *) oa=- ;;
        esac
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pkg" "$k" "$s" "$ra" "$rb" "$rca" "$oa" "$detail" >> "$TSV"
        if [ "$rca" != - ]; then
            cells=$((cells + 1))
            if [ "$rca" = yes ] && [ "$oa" != no ]; then cells_ok=$((cells_ok + 1)); else disagree=1; fi
        fi
    done
done

{
    echo "# Corpus results"
    echo
    echo "Real DKMS packages of Debian bookworm, each driven through the reference"
    echo "dkms 3.0.10 and through ours (\`tests/corpus/run.sh\`): add, build and"
    echo "install for $K61 and $K612, status, remove --all, each"
    echo "implementation in its own throwaway trees."
    echo
    echo "Run: $(date -u +%Y-%m-%d) on $(uname -m); ours: $(cd "$SRCDIR" && git rev-parse --short HEAD 2>/dev/null || echo '?')."
    echo "Steps compared: $cells; agreeing on exit code and on what they leave: $cells_ok."
    echo
    echo "Columns: exit code of the reference / of ours; *rc* whether they agree;"
    echo "*out* whether the step's result agrees (build: files in the dkms tree's"
    echo "module/ directory; install: installed files with name, place and"
    echo "compression, their vermagic and signature; status: the status lines;"
    echo "remove: what is left behind). Details are in results.tsv."
    echo
    hdr="| package | add |"; sep="|---|---|"
    for k in "${KERNELS[@]}"; do hdr+=" build $k | install $k |"; sep+="---|---|"; done
    hdr+=" status | remove | time ref/ours (s) |"; sep+="---|---|---|"
    echo "$hdr"; echo "$sep"
    for pkg in "${pkgs[@]}"; do
        line="| $pkg |"
        while IFS=$'\t' read -r p k s ra rb rca oa detail; do
            [ "$p" = "$pkg" ] || continue
            mark=""
            if [ "$rca" = no ] || [ "$oa" = no ]; then mark=" **≠**"; fi
            o=""; [ "$oa" != - ] && o=" out:$oa"
            line+=" $ra / $rb$o$mark |"
        done < "$TSV"
        line+=" $(cell "$CACHE/runs/$pkg/ref/total.secs") / $(cell "$CACHE/runs/$pkg/ours/total.secs") |"
        echo "$line"
    done
    if [ -e "$HERE/NOTES.md" ] && [ "$out" = "$HERE" ]; then
        echo
        cat "$HERE/NOTES.md"
    fi
} > "$MD"

log "results: $MD, $TSV ($cells_ok of $cells steps agree)"
exit $disagree
