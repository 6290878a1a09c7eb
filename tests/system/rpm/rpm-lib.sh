# shellcheck shell=bash
# The RPMs of the rpm system tests (rpm-kernels.sh, dnf-kernels.sh), built
# with rpmbuild on this machine and kept in $CACHE/rpm.  Source it after
# tests/lib.sh and tests/system/apt/chroot-lib.sh.
#
#   rpm_need          skip unless the tools to build them are here
#   rpm_packages      our RPM (rpm/build-rpm.sh) in $OURS and the kernel and
#                     kernel-devel RPMs of $K (tests/system/rpm/kernel.spec,
#                     from Debian's packages of $K) in KPKGS, each built
#                     again only when its inputs change
#   rpm_stub DIR [VERSION]
#                     the stand-in for the distribution's dkms
#                     (tests/system/rpm/dkms-stub.spec), built into DIR;
#                     prints the path of the .rpm
RPMCACHE=$CACHE/rpm
# The root needs rpm, kernel-install (package systemd on bookworm), the
# libraries of our dkms and gawk, which our RPM requires, on top of the apt
# tests': a base root of its own, built once and cached like theirs.
BASE_PKGS=$BASE_PKGS,rpm,systemd,libarchive13,gawk

rpm_need() {
    local p
    for p in rpmbuild git dpkg-deb apt-get; do
        command -v "$p" >/dev/null || skip "$p is not installed (scripts/setup-deps.sh --system)"
    done
}

# rpm_ours: our RPM in $OURS.  Built again when any file of the work tree
# (tracked, or untracked and not ignored) changes.  --nocheck: the unit and
# cli suites of %check are run by the project's own test run.
rpm_ours() {
    local src_key OURS_DIR
    src_key=$(cd "$SRCDIR" && git ls-files -z -co --exclude-standard | sort -z |
              xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-12)
    OURS_DIR=$RPMCACHE/dkms-c-$src_key
    OURS=$(ls "$OURS_DIR"/dkms-c-[0-9]*."$ARCH".rpm 2>/dev/null | head -n 1 || true)
    if [ -z "$OURS" ]; then
        step "building our RPM (rpm/build-rpm.sh)"
        rm -rf "$RPMCACHE"/dkms-c-*
        RPMBUILD_OPTS=--nocheck "$SRCDIR/rpm/build-rpm.sh" "$OURS_DIR.tmp" >"$RPMCACHE/dkms-c-build.log" 2>&1 ||
            { tail -n 40 "$RPMCACHE/dkms-c-build.log"; fail "rpm/build-rpm.sh failed (log: $RPMCACHE/dkms-c-build.log)"; }
        mv "$OURS_DIR.tmp" "$OURS_DIR"
        OURS=$(ls "$OURS_DIR"/dkms-c-[0-9]*."$ARCH".rpm | head -n 1)
    fi
    step "our RPM: ${OURS#"$RPMCACHE/"}"
}

# deb_of PACKAGE: a .deb of PACKAGE already on this machine (the tests' cache,
# apt's cache), else downloaded into $CACHE/debs.
deb_of() {
    local f
    f=$(ls "$CACHE/debs/$1"_*.deb /var/cache/apt/archives/"$1"_*.deb "$CACHE/boot/$1"_*.deb 2>/dev/null |
        sort -V | tail -n 1)
    if [ -z "$f" ]; then
        (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null 2>&1) || return 1
        f=$(ls "$CACHE/debs/$1"_*.deb 2>/dev/null | sort -V | tail -n 1)
    fi
    [ -n "$f" ] && echo "$f"
}

# kernel_tree DIR: Debian's kernel K in DIR as Fedora installs it:
#   lib/modules/K/{vmlinuz,System.map,config,modules.order,modules.builtin*}
#   usr/src/kernels/K/   Debian's three headers packages merged into one tree
#                        (the common headers, the flavour's configuration and
#                        generated files, kbuild's scripts and tools), with
#                        the other architectures' directories left out
#   lib/modules/K/build -> /usr/src/kernels/K
kernel_tree() {
    local d=$1 x=$1.x image headers common='' kbuild='' p
    local src=$d/usr/src/kernels/$K
    image=$(deb_of "linux-image-$K") || fail "cannot get linux-image-$K"
    headers=$(deb_of "linux-headers-$K") || fail "cannot get linux-headers-$K"
    # The headers package names its common headers and kbuild packages.
    for p in $(dpkg-deb -f "$headers" Depends | tr ',' '\n' | awk '{ print $1 }'); do
        case $p in
            linux-headers-*-common) common=$p ;;
            linux-kbuild-*) kbuild=$p ;;
        esac
    done
    [ -n "$common" ] && [ -n "$kbuild" ] || fail "linux-headers-$K does not depend on its common headers and kbuild"

    mkdir -p "$x" "$d/lib/modules/$K" "$src"
    dpkg-deb --fsys-tarfile "$image" |
        tar -x -C "$x" --wildcards './boot/*' "./lib/modules/$K/modules.*"
    mv "$x/boot/vmlinuz-$K" "$d/lib/modules/$K/vmlinuz"
    mv "$x/boot/System.map-$K" "$d/lib/modules/$K/System.map"
    mv "$x/boot/config-$K" "$d/lib/modules/$K/config"
    mv "$x/lib/modules/$K/"modules.* "$d/lib/modules/$K/"

    for p in "$headers" "$(deb_of "$common")" "$(deb_of "$kbuild")"; do
        [ -f "$p" ] || fail "cannot get the headers of $K ($common, $kbuild)"
        dpkg -x "$p" "$x"
    done
    # The common headers, whose scripts/ and tools/ are links to kbuild's,
    # for this architecture only.
    cp -a "$x/usr/src/$common/." "$src/"
    rm -f "$src/scripts" "$src/tools"
    find "$src/arch" -mindepth 1 -maxdepth 1 ! -name x86 -exec rm -rf {} +
    # The flavour's files (.config, Module.symvers, generated headers), but
    # not its Makefile, which only includes the common one, nor its links.
    tar -C "$x/usr/src/linux-headers-$K" --exclude=./Makefile --exclude=./scripts --exclude=./tools -c . |
        tar -C "$src" -x
    # kbuild's scripts/ and tools/ themselves.
    cp -a "$x/usr/lib/$kbuild/." "$src/"
    cp "$d/lib/modules/$K/System.map" "$src/System.map"
    ln -s "/usr/src/kernels/$K" "$d/lib/modules/$K/build"
    rm -rf "$x"
}

# rpm_kernel: the kernel and kernel-devel RPMs of $K in KPKGS.
# Built again when the spec or the way the tree is made changes.
rpm_kernel() {
    local kernel_key KERNEL_DIR w
    kernel_key=$( { echo "$K"; cat "$SRCDIR/tests/system/rpm/kernel.spec"; declare -f kernel_tree; } |
                  sha256sum | cut -c1-12)
    KERNEL_DIR=$RPMCACHE/kernel-$K-$kernel_key
    if [ ! -d "$KERNEL_DIR" ]; then
        step "building the kernel RPMs of $K (once)"
        rm -rf "$RPMCACHE/kernel-$K-"*
        w=$(mktemp -d "$RPMCACHE/kernel-build.XXXXXX")
        at_exit "rm -rf $(printf %q "$w")"
        kernel_tree "$w/root"
        nice rpmbuild -bb --define "_topdir $w/top" --define "krel $K" --define "kroot $w/root" \
            "$SRCDIR/tests/system/rpm/kernel.spec" >"$w/rpmbuild.log" 2>&1 ||
            { tail -n 30 "$w/rpmbuild.log"; fail "rpmbuild of the kernel package failed"; }
        mkdir "$w/rpms"
        mv "$w"/top/RPMS/*/kernel-*.rpm "$w/rpms/"
        mv "$w/rpms" "$KERNEL_DIR"
    fi
    KPKGS=("$KERNEL_DIR"/kernel-[0-9]*.rpm "$KERNEL_DIR"/kernel-devel-[0-9]*.rpm)
    [ -f "${KPKGS[0]}" ] && [ -f "${KPKGS[1]}" ] || fail "no kernel RPMs in $KERNEL_DIR"
    step "kernel RPMs: ${KPKGS[*]##*/}"
}

# rpm_packages: $OURS and KPKGS, built by one test at a time.
rpm_packages() {
    mkdir -p "$RPMCACHE" "$CACHE/debs"
    exec 8>"$RPMCACHE/.lock"
    flock 8
    rpm_ours
    rpm_kernel
    exec 8>&-
}

# rpm_stub DIR [VERSION]: the stand-in dkms package (version 3.0.10 unless
# VERSION), built in DIR; prints the path of its .rpm.
rpm_stub() {
    local d=$1 opts=()
    [ -z "${2:-}" ] || opts=(--define "stubver $2")
    rpmbuild -bb --define "_topdir $d" "${opts[@]}" \
        "$SRCDIR/tests/system/rpm/dkms-stub.spec" >"$d.log" 2>&1 ||
        { tail -n 20 "$d.log"; fail "rpmbuild of tests/system/rpm/dkms-stub.spec failed (log: $d.log)"; }
    ls "$d"/RPMS/noarch/dkms-"${2:-3.0.10}"-*.rpm
}

# -- the root: our dkms and the drivers, and what must hold after each step ----
# (rpm-kernels.sh and dnf-kernels.sh: the root is $R, its logs in $L; the
# drivers are EDU, which builds, and BAD, which does not: driver_src in
# chroot-lib.sh)

# rpm_root_libs: the shared libraries the dkms of $OURS links, installed in
# the root where the base root lacks them.
rpm_root_libs() {
    rpm2cpio "$OURS" | cpio -i --quiet --to-stdout ./usr/sbin/dkms >"$R/tmp/dkms-ldd" ||
        fail "cannot take /usr/sbin/dkms out of ${OURS##*/}"
    chmod 755 "$R/tmp/dkms-ldd"
    root_install_libs /tmp/dkms-ldd "$L/libs.log"
    rm "$R/tmp/dkms-ldd"
}

# rpm_add_drivers: EDU and BAD registered in the root, BAD made AUTOINSTALL
# so that the plugin tries it.
rpm_add_drivers() {
    step "registering $EDU/$EDU_V and $BAD/$BAD_V"
    root_add_driver EDU
    root_add_driver BAD 'AUTOINSTALL="yes"'
}

rpmq() { in_root rpm --dbpath /var/lib/rpm "$@"; }
expect_pkg() { # expect_pkg NAME-VERSION...: installed, as rpm's database says
    local p
    for p in "$@"; do rpmq -q "$p" >/dev/null 2>&1 || fail "$p is not installed: $(rpmq -qa | sort | tr '\n' ' ')"; done
}
expect_no_pkg() { # expect_no_pkg NAME...: not installed
    local p
    for p in "$@"; do
        if rpmq -q "$p" >/dev/null 2>&1; then fail "$p is still installed: $(rpmq -q "$p")"; fi
    done
}
expect_ours() { # expect_ours: our package in place of dkms, and it runs
    local f
    expect_pkg dkms-c
    expect_no_pkg dkms
    for f in /usr/sbin/dkms /usr/lib/kernel/install.d/40-dkms.install /usr/lib/dkms/dkms_autoinstaller \
             /etc/kernel/prerm.d/dkms /etc/dkms/framework.conf /var/lib/dkms; do
        [ -e "$R$f" ] || fail "our package did not install $f"
    done
    [ "$(rpmq -q --whatprovides dkms)" = "$(rpmq -q dkms-c)" ] || fail "dkms is not provided by dkms-c"
    in_root dkms status >/dev/null || fail "dkms does not run in the root (the stand-in's?)"
}

# expect_kernel_built TOOL LOG: after TOOL (rpm, dnf; its output in LOG)
# installed the kernel K: its build link leads to the headers, EDU is
# installed for K and known to depmod, BAD is not and LOG says it failed,
# and the kernel packages' files are as they shipped.
expect_kernel_built() {
    in_root test -L "/lib/modules/$K/build" -a -e "/lib/modules/$K/build/include" ||
        fail "/lib/modules/$K/build does not lead to the headers"
    expect_state "$EDU/$EDU_V" "$K" installed
    expect_ko "$K" "$EDU"
    case $(grep -F "$BAD/$BAD_V, $K, " <<<"$(root_status)") in
        *": installed"*) fail "$BAD/$BAD_V is installed for $K" ;;
    esac
    [ -z "$(ko_of "$K" "$BAD")" ] || fail "$(ko_of "$K" "$BAD") is installed"
    grep -Eiq "(error|fail|warning).*$BAD|$BAD.*(error|fail|warning)" "$2" ||
        fail "$1's output does not report that $BAD/$BAD_V failed to build for $K (log: $2)"
    rpmq -V --nodeps kernel kernel-devel >"$L/verify-kernel.log" 2>&1 ||
        { cat "$L/verify-kernel.log"; fail "rpm -V: the kernel packages' files were changed"; }
}

# expect_kernel_gone: after the kernel K was removed: dkms lists neither
# driver for K, both stay registered for the next kernel, and nothing of K
# is left on disk.
expect_kernel_gone() {
    local m
    for m in "$EDU/$EDU_V" "$BAD/$BAD_V"; do
        if grep -qF "$m, $K, " <<<"$(root_status)"; then
            fail "dkms status still lists $m for the removed kernel $K"
        fi
        grep -q "^${m}[,:]" <<<"$(root_status)" || fail "$m is no longer registered:
$(root_status)"
    done
    [ ! -e "$R/lib/modules/$K" ] || fail "/lib/modules/$K is left behind: $(find "$R/lib/modules/$K" | head)"
    [ ! -e "$R/usr/src/kernels/$K" ] || fail "/usr/src/kernels/$K is left behind"
    [ ! -e "$R/var/lib/dkms/$EDU/$EDU_V/$K" ] || fail "the dkms tree keeps the build of $EDU/$EDU_V for $K"
}

# verify_ours: rpm -V of our package, before it is removed.
verify_ours() {
    rpmq -V --nodeps dkms-c >"$L/verify-ours.log" 2>&1 || { cat "$L/verify-ours.log"; fail "rpm -V dkms-c: our files were changed"; }
}
# expect_ours_gone TOOL: after TOOL removed our package, its files are gone.
expect_ours_gone() {
    local f
    expect_no_pkg dkms-c
    for f in /usr/sbin/dkms /usr/lib/kernel/install.d/40-dkms.install; do
        [ ! -e "$R$f" ] || fail "$f is left after $1 removed dkms-c"
    done
}
