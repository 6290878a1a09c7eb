# Shared helpers for the shell tests.  Source it from a test script:
#   . "$(dirname "$0")/../lib.sh"       (adjust the relative path)
# A test exits 0 on success, 77 to be skipped, anything else on failure.
#
# Environment (set by meson, or by hand):
#   DKMS      our binary (default: build/dkms in the source tree)
#   REF_DKMS  the reference dkms 3.0.10 (default /opt/dkms-ref/usr/sbin/dkms,
#             extracted by scripts/setup-deps.sh)
#   SRCDIR    the project's source root

set -u
# A pipeline fails when any of its commands fails, not only the last one:
# `dkms status | grep -q x` is false when dkms itself failed.  (So a
# command that is expected to fail is not piped: capture its output first.)
set -o pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
DKMS=${DKMS:-$SRCDIR/build/dkms}
REF_DKMS=${REF_DKMS:-/opt/dkms-ref/usr/sbin/dkms}
K61=${K61:-6.1.0-56-amd64}
K612=${K612:-6.12.117+deb12-amd64}
ARCH=$(uname -m)

# at_exit CMD: run the shell command CMD when the test exits, however it
# exits (end of script, exit, fail, a TERM or an INT).  Commands run in the
# reverse order of their registration (the last set up is undone first,
# e.g. a mount inside the root before the root is removed); the test's
# exit status is kept.  Use it instead of
# `trap ... EXIT`, which would replace the cleanups registered before.
_at_exit=()
at_exit() { _at_exit+=("$1"); }
_run_at_exit() {
    local rc=$? i
    for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do eval "${_at_exit[i]}"; done
    exit "$rc"
}
trap _run_at_exit EXIT

# fail MESSAGE: the test fails, from wherever fail is called.  A plain
# `exit 1` would only end the current subshell when fail runs inside one --
# the body of `cmd | while read ...`, `$( )`, `( )`, `<( )` or a background
# job -- and the test would go on and pass.  So fail, in a subshell ($BASHPID
# is then not $$, which is always the top-level script's pid), also sends
# TERM to the top-level script, whose trap below turns it into `exit 1`
# once the command it is running ends; the at_exit cleanups run then.
# (A background job that fails must be waited for before the script ends.)
trap 'exit 1' TERM
trap 'exit 130' INT
fail() {
    echo "FAIL: $*" >&2
    [ "$BASHPID" = "$$" ] || kill -TERM "$$"
    exit 1
}
# skip MESSAGE: the test is skipped (exit 77); call it from the top level.
skip() { echo "SKIP: $*" >&2; exit 77; }

have_headers() { [ -e "/lib/modules/$1/build/include" ]; }
need_headers() { for k in "$@"; do have_headers "$k" || skip "no headers for $k"; done; }
need_ref() { [ -x "$REF_DKMS" ] || skip "reference dkms not found at $REF_DKMS"; }

# mkroot [kernel...]: a throwaway root in $T with dkms/, src/ and
# lib/modules/<kernel>/ for each kernel given; removed when the test exits.
# need_root_dir: the helpers below write under $T; without mkroot they
# would write into the machine's own /dkms, /src, /lib/modules.
need_root_dir() { [ -n "${T:-}" ] && [ -d "$T" ] || fail "no throwaway root: call mkroot first"; }

mkroot() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/dkms-test.XXXXXX")
    at_exit "rm -rf $(printf %q "$T")"
    mkdir -p "$T/dkms" "$T/src" "$T/lib/modules"
    for k in "$@"; do mkdir -p "$T/lib/modules/$k"; done
}

# tdkms ARGS...: run our dkms against the throwaway root $T.
tdkms() {
    need_root_dir
    "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" "$@"
}

# tref ARGS...: the same with the reference (depmod is never run by it here:
# it would write to the machine's own /lib/modules).
# The reference keeps its signing key at /var/lib/dkms/mok.key whatever
# --dkmstree says; the environment moves it into the throwaway root.
tref() {
    need_root_dir
    mok_signing_key="$T/dkms/mok.key" mok_certificate="$T/dkms/mok.pub" \
    "$REF_DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" --no-depmod "$@"
}

# put_source DIR: copy a module source tree (with dkms.conf) into $T/src
# under <PACKAGE_NAME>-<PACKAGE_VERSION>, echoing name/version.
put_source() {
    need_root_dir
    local d=$1 n v
    n=$(bash -c '. "$1/dkms.conf" >/dev/null 2>&1; echo "$PACKAGE_NAME"' _ "$d")
    v=$(bash -c '. "$1/dkms.conf" >/dev/null 2>&1; echo "$PACKAGE_VERSION"' _ "$d")
    mkdir -p "$T/src/$n-$v"
    cp -a "$d/." "$T/src/$n-$v/"
    echo "$n/$v"
}

# ---- fake modules -----------------------------------------------------------
# State trees made by hand, as dkms would leave them, for tests that need a
# module registered, built or installed without compiling anything.  The
# "modules" are one-line text files saying what they are.  A kernel is
# given as K or K/A (arch A, default $ARCH), as dkms's -k takes it.

# fake_source M V [MODULE...]: $T/src/M-V with a plain dkms.conf declaring
# each MODULE (default M), installed to /updates, and a Makefile.  A test
# appends the other directives it needs to the dkms.conf.
fake_source() {
    need_root_dir
    local n=$1 v=$2 i=0 m objs; shift 2
    mkdir -p "$T/src/$n-$v"
    {
        echo "PACKAGE_NAME=$n"; echo "PACKAGE_VERSION=$v"
        for m in "${@:-$n}"; do
            echo "BUILT_MODULE_NAME[$i]=$m"; echo "DEST_MODULE_LOCATION[$i]=/updates"
            i=$((i + 1))
        done
    } > "$T/src/$n-$v/dkms.conf"
    objs=$(printf '%s.o ' "${@:-$n}")
    echo "obj-m := ${objs% }" > "$T/src/$n-$v/Makefile"
}

# script_source M V: fake_source M V whose build is not make but the shell
# script read from stdin, kept as $T/src/M-V/build.sh: MAKE[0]="./build.sh",
# CLEAN=true, STRIP[0]=no.  The script makes M.ko (any file will do), so no
# compiler or kernel headers are needed.  (Export sign_file=/nonexistent:
# the file is not a module that could be signed.)
script_source() {
    need_root_dir
    local d=$T/src/$1-$2
    fake_source "$1" "$2"
    cat > "$d/build.sh"
    chmod +x "$d/build.sh"
    printf '%s\n' 'MAKE[0]="./build.sh"' 'CLEAN=true' 'STRIP[0]=no' >> "$d/dkms.conf"
}

# script_root [--depmod] K...: the setup of a test whose modules are
# built by scripts (script_source), with no compiler or kernel headers:
# skipped unless $DKMS is built; a throwaway root for the kernels K...
# (mkroot); $T/ksrc, an empty kernel source tree; sign_file=/nonexistent
# exported (the "modules" could not be signed); and kd ARGS...: tdkms
# with --kernelsourcedir $T/ksrc and --no-depmod (with --depmod, without
# it: depmod runs, a stand-in the test puts first in PATH, say).
script_root() {
    local depmod=no
    [ "${1:-}" = --depmod ] && { depmod=yes; shift; }
    [ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
    export sign_file=/nonexistent
    mkroot "$@"
    mkdir -p "$T/ksrc/include"
    if [ $depmod = yes ]; then
        kd() { tdkms --kernelsourcedir "$T/ksrc" "$@"; }
    else
        kd() { tdkms --kernelsourcedir "$T/ksrc" --no-depmod "$@"; }
    fi
}

# fake_added M V [MODULE...]: M/V registered, as `dkms add` leaves it:
# $T/dkms/M/V/source -> $T/src/M-V (made by fake_source M V MODULE...
# unless it has a dkms.conf already) and an empty build/.
fake_added() {
    need_root_dir
    local n=$1 v=$2
    [ -e "$T/src/$n-$v/dkms.conf" ] || fake_source "$@"
    mkdir -p "$T/dkms/$n/$v/build"
    ln -sfn "$T/src/$n-$v" "$T/dkms/$n/$v/source"
}

# fake_built M V K[/A] [MODULE...]: M/V built for kernel K, as `dkms build`
# leaves it: $T/dkms/M/V/K/A/module/MODULE.ko for each MODULE (default M),
# saying "MODULE.ko of M/V for K", and log/make.log.
fake_built() {
    need_root_dir
    local n=$1 v=$2 k=$3 a=$ARCH m d; shift 3
    if [[ $k == */* ]]; then a=${k#*/} k=${k%%/*}; fi
    d=$T/dkms/$n/$v/$k/$a
    mkdir -p "$d/module" "$d/log"
    for m in "${@:-$n}"; do echo "$m.ko of $n/$v for $k" > "$d/module/$m.ko"; done
    echo "fake build of $n/$v for $k ($a)" > "$d/log/make.log"
}

# fake_installed M V K[/A]: M/V, built for K (fake_built), installed as
# `dkms install` leaves it: the link $T/dkms/M/kernel-K-A -> V/K/A and a
# copy of each built module in $T/lib/modules/K/updates/dkms/.
fake_installed() {
    need_root_dir
    local n=$1 v=$2 k=$3 a=$ARCH
    if [[ $k == */* ]]; then a=${k#*/} k=${k%%/*}; fi
    [ -d "$T/dkms/$n/$v/$k/$a/module" ] || fail "fake_installed: $n/$v is not built for $k/$a"
    ln -sfn "$v/$k/$a" "$T/dkms/$n/kernel-$k-$a"
    mkdir -p "$T/lib/modules/$k/updates/dkms"
    cp "$T/dkms/$n/$v/$k/$a/module/"*.ko "$T/lib/modules/$k/updates/dkms/"
}

# named_libs BINARY: the shared libraries BINARY names by soname, one a
# line: those it links, and those it loads when first called (dlopen,
# src/lazylib.c), which ldd does not show.
named_libs() {
    grep -aoE 'lib[a-z0-9_+-]+\.so\.[0-9]+' "$1" | sort -u
}

# make_ko FILE KERNEL NAME [ALIAS...]: a module file that libkmod reads:
# an ELF object whose .modinfo names KERNEL in its vermagic, NAME, and
# each ALIAS a device it drives (ld and objcopy, no compiler).  FILE's
# directory is made; FILE ending in .xz is compressed as kernels do.
make_ko() {
    local f=$1 k=$2 n=$3 a d; shift 3
    mkdir -p "$(dirname "$f")" || fail "cannot make the directory of $f"
    d=$(mktemp -d "$(dirname "$f")/.make-ko.XXXXXX") || fail "cannot make a directory beside $f"
    {
        printf 'vermagic=%s SMP preempt mod_unload modversions \0name=%s\0' "$k" "$n"
        for a in "$@"; do printf 'alias=%s\0' "$a"; done
    } > "$d/modinfo"
    (cd "$d" && ld -r -b binary -o modinfo.o modinfo) || { rm -rf "$d"; fail "ld for $f"; }
    case $f in
        *.xz) objcopy --rename-section .data=.modinfo "$d/modinfo.o" "${f%.xz}" && xz -f --check=crc32 "${f%.xz}" ;;
        *) objcopy --rename-section .data=.modinfo "$d/modinfo.o" "$f" ;;
    esac || { rm -rf "$d"; fail "objcopy for $f"; }
    rm -rf "$d"
}

# ko_build_script NAME...: a build script, self-contained (it runs
# confined, where the test's own files may not be visible), that makes
# NAME.ko for each NAME, for the kernel `uname -r` names in a dkms build.
ko_build_script() {
    echo '#!/bin/bash'
    echo 'fail() { echo "$*" >&2; exit 1; }'
    declare -f make_ko
    local n
    for n in "$@"; do echo "make_ko $n.ko \"\$(uname -r)\" $n || exit 1"; done
}

# expect_rc WANT CMD...: run CMD, fail unless it exits with WANT.
expect_rc() {
    local want=$1 rc=0; shift
    "$@" || rc=$?
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
}
