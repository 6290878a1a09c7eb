# shellcheck shell=bash
# Throwaway Debian bookworm roots for the package-manager system tests.
# Source it after tests/lib.sh.  Needs root and debootstrap.
#
#   chroot_enter      re-run the calling script in a private mount namespace
#                     (every mount made by the test disappears with it)
#   chroot_make       unpack the cached base root (building it first if
#                     needed) into a fresh directory $R and mount proc, sys,
#                     dev and run into it, with the cached .debs in its apt
#                     cache; everything is unmounted and removed when the
#                     script exits
#   seed_debs PAT...  offer .debs from the host's apt cache to the root
#   in_root CMD...    run CMD inside $R with a clean environment
#
# Environment:
#   DKMS_TEST_CACHE   where base tarballs and downloaded .debs are kept
#                     (default /var/cache/dkms-c-tests)
#   DKMS_TEST_MIRROR  Debian archive to debootstrap from (default: the one
#                     this machine's apt uses for bookworm, read from
#                     /etc/apt/sources.list and sources.list.d/)
#   DKMS_TEST_KEEP=1  keep the root after the test, for debugging
#                     (it is still unmounted)

CACHE=${DKMS_TEST_CACHE:-/var/cache/dkms-c-tests}
SUITE=bookworm

# host_apt_sources: this machine's apt sources, one "URI SUITE COMPONENTS"
# a line, from the one-line (.list) and deb822 (.sources) formats.
host_apt_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\)[[:space:]]\+\(.*\)$/\2 \3 \4/p' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush() { if (deb && uris != "") { n = split(uris, u, " "); m = split(suites, s, " ");
                                for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j], comps } 
                                deb = 0; uris = suites = comps = "" }
             /^[[:space:]]*$/ { flush(); next }
             /^#/ { next }
             tolower($1) == "types:" { deb = ($0 ~ /(^|[[:space:]])deb([[:space:]]|$)/) }
             tolower($1) == "enabled:" && tolower($2) == "no" { deb = 0 }
             tolower($1) == "uris:" { $1 = ""; uris = $0 }
             tolower($1) == "suites:" { $1 = ""; suites = $0 }
             tolower($1) == "components:" { $1 = ""; comps = $0 }
             END { flush() }' "$f"
    done
}
# The archive the host uses for a suite, e.g. bookworm or bookworm-security.
host_archive() { host_apt_sources | awk -v s="$1" '$2 == s { print $1; exit }'; }
MIRROR=${DKMS_TEST_MIRROR:-$(host_archive "$SUITE")}
SECURITY_MIRROR=${DKMS_TEST_SECURITY_MIRROR:-$(host_archive "$SUITE-security")}
# What a kernel module build and a kernel package install need, on top of
# minbase.  Kernel images and headers themselves are installed by the tests.
BASE_PKGS=${DKMS_TEST_BASE_PKGS:-gcc,make,libc6-dev,kmod,bc,patch,xz-utils,zstd,openssl,libkmod2,initramfs-tools,linux-base,libelf1,libssl3}

chroot_need() {
    [ "$(id -u)" = 0 ] || skip "needs root"
    [ -n "$MIRROR" ] || skip "this machine's apt has no $SUITE archive (or set DKMS_TEST_MIRROR)"
    command -v debootstrap >/dev/null || skip "debootstrap is not installed"
    command -v unshare >/dev/null || skip "unshare is not available"
    command -v chroot >/dev/null || skip "chroot is not available"
}

# Re-exec the calling script ($0 "$@") inside a new mount namespace whose
# mounts do not propagate back: if the test is killed, the kernel drops them.
chroot_enter() {
    if [ -z "${DKMS_TEST_IN_NS:-}" ]; then
        DKMS_TEST_IN_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
    fi
}

_base_tarball() {
    local key
    key=$(printf '%s %s %s\n' "$SUITE" "$MIRROR" "$BASE_PKGS" | sha256sum | cut -c1-12)
    echo "$CACHE/base-$SUITE-$key.tar.zst"
}

_write_apt_config() {
    local r=$1
    # the host's own archives for this suite, as the host's apt has them
    host_apt_sources | awk -v s="$SUITE" '$2 == s || index($2, s "-") == 1 { print "deb", $0 }' \
        >"$r/etc/apt/sources.list"
    [ -n "$MIRROR" ] && [ ! -s "$r/etc/apt/sources.list" ] && echo "deb $MIRROR $SUITE main" >"$r/etc/apt/sources.list"
    cat >"$r/etc/apt/apt.conf.d/90dkms-test" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Dpkg::Use-Pty "false";
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Keep-Downloaded-Packages "true";
EOF
    # Services never start inside the throwaway root.
    printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
    chmod 755 "$r/usr/sbin/policy-rc.d"
}

# Build the base root once and keep it as a tarball.
_build_base() {
    local tarball=$1 b
    mkdir -p "$CACHE/debs"
    b=$(mktemp -d "$CACHE/base-build.XXXXXX")
    echo "building the base root (debootstrap $SUITE, once) in $b" >&2
    if ! nice debootstrap --variant=minbase --include="$BASE_PKGS" \
            --cache-dir="$CACHE/debs" "$SUITE" "$b/root" "$MIRROR" >"$b/debootstrap.log" 2>&1; then
        tail -n 30 "$b/debootstrap.log" >&2
        _umount_under "$b/root"
        rm -rf --one-file-system "$b"
        fail "debootstrap failed"
    fi
    _write_apt_config "$b/root"
    rm -f "$b/root/var/cache/apt/archives/"*.deb
    _umount_under "$b/root"
    tar -C "$b/root" --numeric-owner -I 'zstd -T0 -3 -q' -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$b"
}

# Unmount everything mounted at or below $1, deepest first.
_umount_under() {
    local d=$1 m
    [ -d "$d" ] || return 0
    d=$(cd "$d" && pwd -P)
    awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while IFS= read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
}

_mounted_under() {
    local d
    d=$(cd "$1" && pwd -P)
    awk -v d="$d" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# _link_debs FROM TO: hard-link (or copy) the .debs of FROM missing in TO.
_link_debs() {
    local f t
    for f in "$1"/*.deb; do
        [ -f "$f" ] || continue
        t=$2/${f##*/}
        [ -e "$t" ] && continue
        ln "$f" "$t.part" 2>/dev/null || cp "$f" "$t.part" || continue
        mv "$t.part" "$t"
    done
}

chroot_cleanup() {
    [ -n "${R:-}" ] && [ -d "$R" ] || return 0
    _link_debs "$R/var/cache/apt/archives" "$CACHE/debs" 2>/dev/null
    _umount_under "$R"
    if _mounted_under "$R"; then
        echo "WARNING: something is still mounted under $R; not removing it" >&2
        return 0
    fi
    if [ -n "${DKMS_TEST_KEEP:-}" ]; then
        echo "kept the test root: $R" >&2
    else
        rm -rf --one-file-system "$(dirname "$R")"
    fi
}

# chroot_make: a fresh root in $R, mounted and ready for apt.
chroot_make() {
    local tarball
    mkdir -p "$CACHE/debs/partial"
    tarball=$(_base_tarball)
    if [ ! -s "$tarball" ]; then
        exec 9>"$CACHE/.lock"
        flock 9
        [ -s "$tarball" ] || _build_base "$tarball"
        exec 9>&-
    fi
    R=$(mktemp -d "${TMPDIR:-/tmp}/dkms-apt-test.XXXXXX")/root
    at_exit chroot_cleanup    # (lib.sh turns INT and TERM into an exit)
    mkdir "$R"
    tar -C "$R" --numeric-owner -I zstd -xf "$tarball"
    # The root is thrown away: dpkg need not fsync every file it unpacks.
    echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/90dkms-test-unsafe-io"
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    mount --bind /dev "$R/dev"
    mount -t tmpfs tmpfs "$R/run"
    # Downloaded .debs are kept between runs: hard links into the root's apt
    # cache now, new ones back into $CACHE/debs at exit.  (Not a bind mount:
    # apt in two roots at once would then fight over the archives' lock.)
    _link_debs "$CACHE/debs" "$R/var/cache/apt/archives"
    cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
}

# in_root CMD...: run CMD inside the root, as a maintainer script would see it.
in_root() {
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        chroot "$R" "$@"
}

# seed_debs PATTERN...: copy matching .debs the host already downloaded into
# the shared cache and the root's apt cache, so that apt inside the root need
# not fetch them again.
seed_debs() {
    local p f
    for p in "$@"; do
        for f in /var/cache/apt/archives/$p; do
            [ -f "$f" ] || continue
            if [ ! -e "$CACHE/debs/${f##*/}" ]; then
                cp "$f" "$CACHE/debs/${f##*/}.part" && mv "$CACHE/debs/${f##*/}.part" "$CACHE/debs/${f##*/}"
            fi
        done
    done
    if [ -n "${R:-}" ] && [ -d "$R/var/cache/apt/archives" ]; then
        _link_debs "$CACHE/debs" "$R/var/cache/apt/archives"
    fi
}

# -- shared by the package-manager tests (apt, rpm, dnf, pacman) ---------------
# step MESSAGE: a step of the test, with the seconds since it started (a
# test may define its own).
START=$SECONDS
step() { echo "== [$((SECONDS - START))s] $*"; }

# root_lib_debs BINARY: the packages of this (bookworm) machine that ship the
# shared libraries BINARY (a path inside the root) needs and the root lacks,
# one a line.  Fails naming a library that no package here ships.
root_lib_debs() {
    local l p
    for l in $(root_missing_libs "$1"); do
        p=$(dpkg -S "*/$l" 2>/dev/null | head -n 1 | cut -d: -f1)
        [ -n "$p" ] || fail "$1 needs $l, which no package of this machine provides"
        echo "$p"
    done
}

# root_missing_libs BINARY: the libraries BINARY (a path inside the root)
# needs and the root lacks: those ldd finds missing, and those it loads
# when first called (named_libs in tests/lib.sh) that the root's loader
# cache does not have.
root_missing_libs() {
    local l cache
    in_root ldd "$1" 2>&1 | awk '/not found/ { print $1 }'
    cache=$(in_root ldconfig -p)
    for l in $(named_libs "$R$1"); do
        grep -q "^[[:space:]]*${l//./\\.} (libc6,x86-64)" <<<"$cache" || echo "$l"
    done
}

# root_install_libs BINARY LOG: apt-get install in the root the packages that
# ship the shared libraries BINARY lacks there (apt's output in LOG; when apt
# cannot, the package lists are fetched and it tries again), then fail unless
# BINARY finds all its libraries.
root_install_libs() {
    local pkgs missing
    pkgs=$(root_lib_debs "$1" | sort -u | tr '\n' ' ')
    if [ -n "$pkgs" ]; then
        step "apt-get install $pkgs(libraries of ${1##*/})"
        # shellcheck disable=SC2086  # (one word a package)
        if ! in_root apt-get install -y $pkgs >"$2" 2>&1; then
            in_root apt-get update -qq >>"$2" 2>&1 ||
                { cat "$2"; skip "the Debian archive is unreachable (apt-get update failed in the root)"; }
            # shellcheck disable=SC2086
            in_root apt-get install -y $pkgs >>"$2" 2>&1 ||
                { tail -n 20 "$2"; fail "installing $pkgs in the root failed (log: $2)"; }
        fi
    fi
    missing=$(root_missing_libs "$1" | sort -u | tr '\n' ' ')
    [ -z "${missing// /}" ] || fail "$1 lacks libraries in the root: $missing"
}

conf_value() { # conf_value DIR VAR: a variable of DIR/dkms.conf
    bash -c '. "$1/dkms.conf" >/dev/null 2>&1; eval "echo \"\${$2}\""' _ "$1" "$2"
}

# (grep reads what status printed from a here-string, never from a pipe: a
# grep -q that stops at the first match could make dkms die of SIGPIPE,
# which pipefail counts as a failure.)
root_status() { in_root dkms status 2>/dev/null; }
show_status() { root_status | sed 's/^/    status: /'; }
expect_state() { # expect_state MODULE/VERSION KERNEL STATE
    local line
    line=$(root_status | grep -F "$1, $2, " || true)
    case $line in
        *": $3"*) ;;
        *) fail "dkms status for $1 on $2: '${line:-<none>}', expected '$3'
$(root_status)" ;;
    esac
}

# Where dkms installs modules, under /lib/modules/KERNEL/: Debian's
# updates/dkms; a test whose root may also be taken for Fedora's (modules
# in extra/) sets KO_DIRS="updates/dkms extra".
KO_DIRS=${KO_DIRS:-updates/dkms}
ko_of() { # ko_of KERNEL MODULE: its file under KO_DIRS, if any
    local d dirs=()
    for d in $KO_DIRS; do dirs+=("$R/lib/modules/$1/$d"); done
    find "${dirs[@]}" -name "$2.ko*" 2>/dev/null | head -n 1
}
expect_ko() { # expect_ko KERNEL MODULE: installed for KERNEL, built for it, known to depmod
    local ko vermagic
    ko=$(ko_of "$1" "$2")
    [ -n "$ko" ] || fail "no $2.ko* in /lib/modules/$1/{${KO_DIRS// /,}}"
    vermagic=$(in_root modinfo -F vermagic "${ko#"$R"}" | awk '{ print $1 }')
    [ "$vermagic" = "$1" ] || fail "${ko#"$R"} has vermagic '$vermagic', expected $1"
    grep -Eq "^(${KO_DIRS// /|})/$2\.ko[.a-z]*:" "$R/lib/modules/$1/modules.dep" ||
        fail "modules.dep of $1 does not list $2 under ${KO_DIRS// / or } (depmod not run after the install?)"
}

# chroot_in_memory NAME: the roots (and everything else under TMPDIR) of this
# test in a tmpfs that goes with its mount namespace (call after
# chroot_enter).  On a disk, every file a package manager unpacks or removes
# waits for the file system's journal: installing and removing a kernel
# (4000 files) took half a minute each.  Not with DKMS_TEST_KEEP, whose root
# must outlive the namespace.
chroot_in_memory() {
    local mem
    [ -z "${DKMS_TEST_KEEP:-}" ] || return 0
    mem=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    at_exit "umount -l $(printf %q "$mem"); rmdir $(printf %q "$mem")"
    mount -t tmpfs -o size=8g,mode=755 "$1" "$mem" || fail "cannot mount a tmpfs on $mem"
    export TMPDIR=$mem
}

# -- shared by the apt tests (apt-kernels, bootguard) ---------------------------
# Our dkms built with --prefix=/usr, one build directory per source tree (a
# stale one would build other sources).
BUILD=${DKMS_APT_BUILDDIR:-${TMPDIR:-/tmp}/dkms-apt-build-$(printf '%s' "$SRCDIR" | sha256sum | cut -c1-8)}

# build_ours: our dkms built in $BUILD, one build at a time (the lock is held
# until the script exits).
build_ours() {
    step "building our dkms in $BUILD"
    mkdir -p "$BUILD"
    exec 8>"$BUILD.lock"
    flock 8
    if [ ! -f "$BUILD/build.ninja" ]; then
        nice meson setup "$BUILD" "$SRCDIR" --prefix=/usr >"$BUILD.setup.log" 2>&1 ||
            { cat "$BUILD.setup.log"; fail "meson setup failed"; }
    fi
    nice meson compile -C "$BUILD" >"$BUILD.compile.log" 2>&1 ||
        { tail -n 30 "$BUILD.compile.log"; fail "building our dkms failed"; }
}

# root_kernel_apt [PATTERN...]: the root's apt ready to install kernels
# $K61 and $K612: their .debs (and the PATTERNs) the host has offered to it,
# the package lists fetched (skips when the archive is unreachable).
root_kernel_apt() {
    seed_debs "linux-image-${K61}_*.deb" "linux-headers-${K61}_*.deb" "linux-headers-${K61%-amd64}-common_*.deb" \
        "linux-image-${K612}_*.deb" "linux-headers-${K612}_*.deb" "linux-headers-${K612%-amd64}-common_*.deb" \
        "linux-kbuild-*.deb" "linux-compiler-gcc-12-x86_*.deb" "linux-base_*.deb" "$@"
    in_root apt-get update -qq >"$L/update.log" 2>&1 ||
        { cat "$L/update.log"; skip "the Debian archive is unreachable (apt-get update failed in the root)"; }
}

# root_no_initramfs: update-initramfs in the root only logs its calls to
# /var/log/update-initramfs.calls (initrds cost a minute each).
root_no_initramfs() {
    in_root dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.real \
        --add /usr/sbin/update-initramfs >/dev/null
    printf '#!/bin/sh\necho "update-initramfs $*" >>/var/log/update-initramfs.calls\n' >"$R/usr/sbin/update-initramfs"
    chmod 755 "$R/usr/sbin/update-initramfs"
}

# root_install_ours: our dkms from $BUILD installed into the root (meson
# install --destdir, log in $L), with the shared libraries it links.
root_install_ours() {
    step "installing our dkms in the root"
    meson install -C "$BUILD" --no-rebuild --destdir "$R" >"$L/meson-install.log" 2>&1 ||
        { tail -n 30 "$L/meson-install.log"; fail "meson install --destdir failed"; }
    root_install_libs /usr/sbin/dkms "$L/libs.log"
}

# -- drivers of the tests (all package-manager tests) --------------------------
# driver_src VAR DIR: the driver source DIR (fails without a DIR/dkms.conf)
# in VAR_SRC, its PACKAGE_NAME in VAR and PACKAGE_VERSION in VAR_V.
driver_src() {
    [ -f "$2/dkms.conf" ] || fail "${2#"$SRCDIR/"}/dkms.conf is missing"
    printf -v "$1_SRC" '%s' "$2"
    printf -v "$1" '%s' "$(conf_value "$2" PACKAGE_NAME)"
    printf -v "$1_V" '%s' "$(conf_value "$2" PACKAGE_VERSION)"
}

# root_add_driver VAR [LINE]: the driver of driver_src VAR copied into the
# root's /usr/src (LINE appended to its dkms.conf) and registered (dkms add).
root_add_driver() {
    local m=${!1} v src d
    v=$1_V; v=${!v}
    src=$1_SRC; src=${!src}
    d=$R/usr/src/$m-$v
    mkdir -p "$d"
    cp -a "$src/." "$d/"
    [ -z "${2:-}" ] || echo "$2" >>"$d/dkms.conf"
    in_root dkms add -m "$m" -v "$v" >/dev/null || fail "dkms add $m/$v failed"
}
