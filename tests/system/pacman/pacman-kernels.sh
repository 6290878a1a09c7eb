#!/bin/bash
# System test: pacman drives our dkms through our ALPM hooks.
#
# Everything is a real pacman package, built with makepkg (as the user
# nobody: makepkg refuses to run as root) and installed and removed with
# pacman in a throwaway Debian bookworm root (tests/system/apt/chroot-lib.sh):
#   debian-system  what dpkg installed in the root (bash, gcc, make, kmod,
#                  the libraries), as names pacman's dependencies can see
#   dkms-c         ours, from dist/arch/PKGBUILD and a tarball of this tree;
#                  it provides dkms and ships the hooks in
#                  /usr/share/libalpm/hooks/
#   linux, linux-headers
#                  Debian's 6.1 kernel laid out as Arch's packages
#                  (tests/system/pacman/linux/PKGBUILD)
#   edu-dkms, hello-dkms
#                  Arch-style driver packages: only the source in
#                  /usr/src/NAME-VERSION/, depending on dkms
#                  (tests/system/pacman/drivers/PKGBUILD)
# pacman runs with --sysroot: it chroots into the root first, so it reads
# the root's pacman.conf, database and hooks and runs the hooks in there, as
# it would on the machine itself.  (With --root, pacman 6.0 also runs the
# root's hooks chrooted into it, but reads this machine's pacman.conf and
# /etc/pacman.d/hooks/.)  The root and makepkg's work are in memory.
#
# The steps, and what a user's machine should have after each:
#   install dkms-c                 the hooks are in place; dkms runs
#   install edu-dkms (no kernel)   edu registered ("added"), nothing built
#   install linux, linux-headers   edu built and installed for the kernel
#   install hello-dkms             hello built and installed for it
#   reinstall hello-dkms           taken out before, back again after
#   remove hello-dkms              hello gone: modules, builds, registration
#   remove linux, linux-headers    edu's modules for that kernel gone, edu
#                                  still registered for the next kernel
#   remove edu-dkms                nothing left in dkms status
# and pacman never reports a hook that failed.
#
# Needs root, debootstrap, pacman, makepkg, bsdtar and fakeroot
# (scripts/setup-deps.sh --system), and the Debian archive this machine's
# apt uses.  The packages are kept in $DKMS_TEST_CACHE/pacman/ (under a hash
# of what they are made from), the kernel's .debs in $DKMS_TEST_CACHE/debs/.
#   DKMS_TEST_KEEP=1   keep the root afterwards (it is then made on disk)
. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/apt/chroot-lib.sh"
chroot_need
for c in pacman makepkg bsdtar fakeroot runuser; do
    command -v "$c" >/dev/null || skip "$c is not installed (scripts/setup-deps.sh --system installs it)"
done
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || skip "the test kernel is Debian's amd64 one"
id nobody >/dev/null 2>&1 || skip "there is no user nobody to run makepkg as (it refuses root)"
chroot_enter "$@"

# The root and makepkg's work are in memory: they are thrown away.
chroot_in_memory dkms-pacman-test
K=$K61
HERE=$SRCDIR/tests/system/pacman
PKGCACHE=$CACHE/pacman
mkdir -p "$PKGCACHE" "$CACHE/debs"

EDU_SRC=$SRCDIR/examples/edu-dkms
HELLO_SRC=$SRCDIR/tests/fixtures/hello-1.0
EDU=$(conf_value "$EDU_SRC" PACKAGE_NAME) EDU_V=$(conf_value "$EDU_SRC" PACKAGE_VERSION)
HELLO=$(conf_value "$HELLO_SRC" PACKAGE_NAME) HELLO_V=$(conf_value "$HELLO_SRC" PACKAGE_VERSION)
[ "$EDU/$EDU_V $HELLO/$HELLO_V" = "edu/1.0 hello/1.0" ] ||
    fail "drivers/PKGBUILD packages edu 1.0 and hello 1.0, the sources are $EDU/$EDU_V and $HELLO/$HELLO_V"

# -- makepkg, as nobody ---------------------------------------------------------
# $W holds the PKGBUILDs with their sources, and makepkg's work.
W=$(mktemp -d "${TMPDIR:-/tmp}/dkms-pacman-build.XXXXXX")
at_exit "rm -rf $(printf %q "$W")"
chmod 755 "$W"
mkdir "$W/in" "$W/bin" "$W/pacman-db"
chown nobody "$W/pacman-db"
# makepkg records the packages installed on the build machine (pacman -Qi)
# in .BUILDINFO; this machine's are dpkg's, and nobody may not create
# pacman's database in /var/lib/pacman: an empty one of its own.
cat >"$W/bin/pacman" <<EOF
#!/bin/sh
exec /usr/bin/pacman --dbpath $(printf %q "$W/pacman-db") "\$@"
EOF
chmod 755 "$W/bin/pacman"
cat >"$W/makepkg.conf" <<'EOF'
source /etc/makepkg.conf
# Packages are made once and kept in the test cache: fast compression.
PKGEXT='.pkg.tar.zst'
COMPRESSZST=(zstd -c -T0 -q -1 -)
CFLAGS='-O2 -pipe'
MAKEFLAGS="-j$(nproc)"
EOF

# makepkg_cached NAME DIR [VAR=VALUE...]: the packages of the PKGBUILD in
# DIR (its sources beside it, plain files or links), made by makepkg as
# nobody with VAR=VALUE in its environment, kept in $PKGCACHE/NAME-KEY/
# with KEY a hash of DIR's files and the VARs: the same inputs are made
# once (the key also covers makepkg's version and configuration).  Sets
# PKGDIR to that directory.
makepkg_cached() {
    local name=$1 dir=$2 key b f; shift 2
    key=$({ (cd "$dir" && sha256sum -- *); printf '%s\n' "$@"; cat "$W/makepkg.conf" /etc/makepkg.conf
            makepkg --version | head -n 1; } |
        sha256sum | cut -c1-16)
    PKGDIR=$PKGCACHE/$name-$key
    if [ -d "$PKGDIR" ]; then
        step "$name: the packages made before (${PKGDIR##*/})"
        touch "$PKGDIR"    # (used last: kept longest)
        return 0
    fi
    step "makepkg $name"
    b=$W/make-$name
    mkdir "$b"
    for f in "$dir"/*; do ln -s "$(realpath "$f")" "$b/${f##*/}"; done
    chown nobody "$b"
    if ! runuser -u nobody -- env -i PATH="$W/bin:/usr/bin:/bin" HOME="$b" LANG=C.UTF-8 "$@" \
            sh -c 'cd "$1" && exec makepkg --config "$2" --nodeps --noconfirm --nocolor' _ "$b" "$W/makepkg.conf" \
            >"$b.log" 2>&1; then
        tail -n 40 "$b.log"
        fail "makepkg $name failed"
    fi
    # (--nodeps: this machine's packages are dpkg's, which makepkg cannot see.)
    mkdir "$PKGDIR.new"
    mv "$b"/*.pkg.tar.zst "$PKGDIR.new/"
    chown -R root:root "$PKGDIR.new"
    rm -rf "$b"
    mv "$PKGDIR.new" "$PKGDIR"
    # The packages of the three inputs used last are kept (a tree, a branch
    # of it, and back); older ones go.
    ls -dt "$PKGCACHE/$name"-* | tail -n +4 | while IFS= read -r f; do rm -rf "$f"; done
}

# reproducible_tar DIR PREFIX OUT: the files named (NUL-separated) on stdin,
# relative to DIR, as OUT (.tar.gz or .tar.xz) with PREFIX/ before each
# name, the same bytes for the same files.
reproducible_tar() {
    local z
    case $3 in *.xz) z=(xz -T1 -c) ;; *) z=(gzip -n -c) ;; esac
    tar -C "$1" --null -T - --transform "s,^,$2/,S" --sort=name --mtime=@1 \
        --owner=0 --group=0 --numeric-owner -cf - | "${z[@]}" >"$3"
}

# Packaging is serialised: two runs would make the same packages at once.
exec 7>"$PKGCACHE/.lock"
flock 7

# ours, from the tree as it is (committed or not), as `meson dist` would
# pack it.
pkgver=$(. "$SRCDIR/dist/arch/PKGBUILD" && echo "$pkgver")
version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$SRCDIR/meson.build" | head -n 1)
[ "$pkgver" = "$version" ] || fail "dist/arch/PKGBUILD has pkgver=$pkgver, meson.build version $version"
mkdir "$W/in/dkms-c"
cp "$SRCDIR/dist/arch/PKGBUILD" "$W/in/dkms-c/"
# The files of the tree: git's (tracked, or new and not ignored), else all
# but .git and the build directories at the top.
if git -C "$SRCDIR" -c safe.directory="$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$SRCDIR" -c safe.directory="$SRCDIR" ls-files -z --cached --others --exclude-standard >"$W/files.all" ||
        fail "git ls-files failed in $SRCDIR"
    while IFS= read -r -d '' f; do
        if [ -e "$SRCDIR/$f" ] || [ -L "$SRCDIR/$f" ]; then printf '%s\0' "$f"; fi   # (not deleted)
    done <"$W/files.all" >"$W/files"
else
    (cd "$SRCDIR" && find . -path ./.git -prune -o -path './build*' -prune -o \( -type f -o -type l \) -printf '%P\0') >"$W/files"
fi
reproducible_tar "$SRCDIR" "dkms-c-$version" "$W/in/dkms-c/dkms-c-$version.tar.xz" <"$W/files" ||
    fail "could not make the source tarball of $SRCDIR"
makepkg_cached dkms-c "$W/in/dkms-c"
DKMS_PKG=$(echo "$PKGDIR"/dkms-c-"$version"-*.pkg.tar.zst)
[ -f "$DKMS_PKG" ] || fail "makepkg made no dkms-c package: $(ls "$PKGDIR")"

# the drivers
mkdir "$W/in/drivers"
cp "$HERE/drivers/PKGBUILD" "$W/in/drivers/"
(cd "$EDU_SRC" && find . -type f -printf '%P\0') | reproducible_tar "$EDU_SRC" edu-1.0 "$W/in/drivers/edu-1.0.tar.gz"
(cd "$HELLO_SRC" && find . -type f -printf '%P\0') | reproducible_tar "$HELLO_SRC" hello-1.0 "$W/in/drivers/hello-1.0.tar.gz"
makepkg_cached drivers "$W/in/drivers"
DRIVERS=$PKGDIR

# the kernel, from Debian's .debs: the image and headers of $K, and the
# shared headers and kbuild that its headers depend on, all of one version;
# those the host's apt has, else downloaded into the cache.
seed_debs "linux-image-${K}_*.deb" "linux-headers-${K}_*.deb" "linux-headers-${K%-amd64}-common_*.deb" \
    "linux-kbuild-*.deb"
cached_deb() { # cached_deb PACKAGE [VERSION]: its newest .deb in the cache
    local v=${2:-*}
    v=${v//:/%3a}
    ls -- "$CACHE/debs/$1"_${v}_*.deb 2>/dev/null | sort -V | tail -n 1
}
fetch_deb() { # fetch_deb PACKAGE [VERSION]: its .deb, downloaded if not cached
    local f
    f=$(cached_deb "$@")
    if [ -z "$f" ]; then
        step "apt-get download $1${2:+=$2}" >&2
        (cd "$CACHE/debs" && apt-get download -q "$1${2:+=$2}" >"$W/download.log" 2>&1) ||
            { cat "$W/download.log" >&2; return 1; }
        f=$(cached_deb "$@")
    fi
    [ -n "$f" ] && echo "$f"
}
image=$(fetch_deb "linux-image-$K") || skip "linux-image-$K cannot be downloaded (apt-get download failed)"
debver=${image##*/} debver=${debver#*_} debver=${debver%%_*} debver=${debver//%3a/:}
headers=$(fetch_deb "linux-headers-$K" "$debver") || skip "linux-headers-$K $debver cannot be downloaded"
common=$(dpkg-deb -f "$headers" Depends | grep -o 'linux-headers-[^ ,]*-common' | head -n 1)
kbuild=$(dpkg-deb -f "$headers" Depends | grep -o 'linux-kbuild-[^ ,]*' | head -n 1)
[ -n "$common" ] && [ -n "$kbuild" ] || fail "$headers depends on no shared headers or kbuild package"
common=$(fetch_deb "$common" "$debver") || skip "$common $debver cannot be downloaded"
kbuild=$(fetch_deb "$kbuild" "$debver") || skip "$kbuild $debver cannot be downloaded"
mkdir "$W/in/linux"
cp "$HERE/linux/PKGBUILD" "$W/in/linux/"
ln -s "$image" "$W/in/linux/linux-image.deb"
ln -s "$headers" "$W/in/linux/linux-headers.deb"
ln -s "$common" "$W/in/linux/linux-headers-common.deb"
ln -s "$kbuild" "$W/in/linux/linux-kbuild.deb"
makepkg_cached linux "$W/in/linux" "KVER=$K" "DEBVER=$debver"
KERNEL=$PKGDIR

# debian-system: provides what dkms-c depends on.
# shellcheck disable=SC2154  # (depends is the PKGBUILD's)
system_provides=$(. "$SRCDIR/dist/arch/PKGBUILD" && printf "'%s' " "${depends[@]}")
mkdir "$W/in/debian-system"
cat >"$W/in/debian-system/PKGBUILD" <<EOF
# What dpkg installed in the root, for pacman's dependency checks.
pkgname=debian-system
pkgver=12
pkgrel=1
pkgdesc="Debian's packages installed by dpkg"
arch=('any')
provides=($system_provides)
EOF
makepkg_cached debian-system "$W/in/debian-system"
SYSTEM=$PKGDIR
exec 7>&-

# -- the root ------------------------------------------------------------------
step "preparing the root"
chroot_make
L=$(dirname "$R")     # logs go next to the root
mkdir -p "$R/var/lib/pacman" "$R/var/cache/pacman/pkg"
cat >"$R/etc/pacman.conf" <<'EOF'
[options]
Architecture = auto
# The test's packages are made here and not signed.
SigLevel = Never
EOF
# The packages go into the root's own package cache (pacman --sysroot takes
# paths inside the root).
for f in "$DKMS_PKG" "$DRIVERS"/*.pkg.tar.zst "$KERNEL"/*.pkg.tar.zst "$SYSTEM"/*.pkg.tar.zst; do
    ln "$f" "$R/var/cache/pacman/pkg/" 2>/dev/null || cp "$f" "$R/var/cache/pacman/pkg/"
done
pkg() { # pkg NAME: the path in the root of package NAME's file
    local f
    for f in "$R"/var/cache/pacman/pkg/"$1"-*.pkg.tar.zst; do
        # NAME-VERSION-REL-ARCH: NAME is all but the last three fields
        [ "$(basename "$f" | rev | cut -d- -f4- | rev)" = "$1" ] && { echo "${f#"$R"}"; return; }
    done
    fail "no package $1 in $R/var/cache/pacman/pkg"
}

# The shared libraries our dkms links that the base root lacks: Debian's
# packages that ship them on this (bookworm) host, installed with apt.
bsdtar -xOf "$DKMS_PKG" usr/bin/dkms >"$R/tmp/dkms-ldd"
chmod 755 "$R/tmp/dkms-ldd"
root_install_libs /tmp/dkms-ldd "$L/libs.log"
rm "$R/tmp/dkms-ldd"

# pm NAME ARGS...: pacman ARGS on the root, its output in $L/NAME.log and
# shown; fails when pacman fails or reports a hook that failed.
pm() {
    local name=$1 rc=0
    shift
    step "pacman $*"
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        pacman --sysroot "$R" --noconfirm --noprogressbar "$@" >"$L/$name.log" 2>&1 || rc=$?
    sed 's/^/    | /' "$L/$name.log"
    [ "$rc" = 0 ] || fail "pacman $* exited $rc"
    # (pacman goes on when a hook fails; our hook warns about a driver that
    # failed and goes on too.)
    if grep -Eq '^error:|failed to execute|could not satisfy|^==> WARNING' "$L/$name.log"; then
        fail "pacman $* reported an error (above)"
    fi
}
hook_ran() { # hook_ran NAME DESCRIPTION: pacman's output of step NAME shows the hook run
    grep -q "$2" "$L/$1.log" || fail "pacman's output does not show the hook '$2' running"
}

expect_added() { # expect_added MODULE/VERSION: registered, built for no kernel
    grep -qx "$1: added" <<<"$(root_status)" || fail "$1 is not registered (and only that):
$(root_status)"
}
expect_no_line() { # expect_no_line TEXT: dkms status does not mention TEXT
    if grep -qF "$1" <<<"$(root_status)"; then
        fail "dkms status still shows '$1':
$(root_status)"
    fi
}
MODS=$R/usr/lib/modules/$K
expect_no_ko() { # expect_no_ko MODULE: nowhere in the kernel's tree, nor in modules.dep
    local left
    left=$(find "$MODS" -name "$1.ko*" 2>/dev/null)
    [ -z "$left" ] || fail "still installed: $left"
    if [ -f "$MODS/modules.dep" ] && grep -q "/$1\.ko" "$MODS/modules.dep"; then
        fail "modules.dep of $K still lists $1"
    fi
}

# -- ours ----------------------------------------------------------------------
pm dkms-c -U "$(pkg debian-system)" "$(pkg dkms-c)"
for f in /usr/bin/dkms /usr/share/libalpm/hooks/70-dkms-install.hook /usr/share/libalpm/hooks/71-dkms-remove.hook \
         /usr/share/libalpm/scripts/dkms-hook /etc/dkms/framework.conf /var/lib/dkms; do
    [ -e "$R$f" ] || fail "the dkms-c package did not install $f"
done
[ ! -e "$R/etc/kernel/postinst.d/dkms" ] || fail "the dkms-c package ships Debian's kernel hooks"
grep -q "^Exec = /usr/share/libalpm/scripts/dkms-hook " "$R/usr/share/libalpm/hooks/70-dkms-install.hook" ||
    fail "70-dkms-install.hook does not run /usr/share/libalpm/scripts/dkms-hook"
in_root dkms --version >/dev/null || fail "dkms does not run in the root"
pacman --sysroot "$R" -T dkms >/dev/null || fail "pacman does not see dkms-c as providing dkms"

# -- a driver before any kernel: registered only -------------------------------
pm edu -U "$(pkg edu-dkms)"
hook_ran edu "Install DKMS modules"
show_status
expect_added "$EDU/$EDU_V"

# -- the kernel and its headers: the driver is built for it ---------------------
pm linux -U "$(pkg linux)" "$(pkg linux-headers)"
hook_ran linux "Install DKMS modules"
show_status
[ "$(cat "$MODS/pkgbase")" = linux ] || fail "/usr/lib/modules/$K/pkgbase is not 'linux'"
expect_state "$EDU/$EDU_V" "$K" installed
expect_ko "$K" "$EDU"

# -- a driver for the installed kernel: built at once ---------------------------
pm hello -U "$(pkg hello-dkms)"
show_status
expect_state "$HELLO/$HELLO_V" "$K" installed
expect_ko "$K" "$HELLO"
expect_state "$EDU/$EDU_V" "$K" installed

# -- reinstalled (an upgrade for pacman): out before, back after ----------------
pm hello-again -U "$(pkg hello-dkms)"
hook_ran hello-again "Remove DKMS modules"
hook_ran hello-again "Install DKMS modules"
show_status
expect_state "$HELLO/$HELLO_V" "$K" installed
expect_ko "$K" "$HELLO"

# -- the driver removed: its modules, builds and registration go ----------------
pm hello-remove -R hello-dkms
hook_ran hello-remove "Remove DKMS modules"
show_status
expect_no_line "$HELLO/$HELLO_V"
expect_no_ko "$HELLO"
[ ! -e "$R/var/lib/dkms/$HELLO" ] || fail "/var/lib/dkms/$HELLO is left behind"
[ ! -e "$R/usr/src/$HELLO-$HELLO_V" ] || fail "/usr/src/$HELLO-$HELLO_V is left behind"
expect_state "$EDU/$EDU_V" "$K" installed
expect_ko "$K" "$EDU"

# -- the kernel removed: its modules go, the driver stays registered ------------
pm linux-remove -R linux linux-headers
hook_ran linux-remove "Remove DKMS modules"
grep -q "removing $EDU/$EDU_V from kernel $K" "$L/linux-remove.log" ||
    fail "pacman's output does not show the hook removing $EDU/$EDU_V from $K"
show_status
expect_no_line ", $K, "
expect_added "$EDU/$EDU_V"
expect_no_ko "$EDU"
if [ -e "$MODS/kernel" ] || [ -e "$MODS/build" ]; then
    fail "pacman left the kernel's files in /usr/lib/modules/$K"
fi
# (What depmod wrote there is not the package's, and stays, as it does
# without a depmod hook to clean up: on Arch, kmod's.)
if [ -d "$MODS" ]; then
    echo "    left in /usr/lib/modules/$K: $(cd "$MODS" && find . -mindepth 1 -printf '%P ' | head -c 300)"
fi

# -- the last driver removed: nothing left ------------------------------------------
pm edu-remove -R edu-dkms
hook_ran edu-remove "Remove DKMS modules"
[ -z "$(root_status)" ] || fail "dkms status is not empty:
$(root_status)"
[ ! -e "$R/var/lib/dkms/$EDU" ] || fail "/var/lib/dkms/$EDU is left behind"

step "passed"
