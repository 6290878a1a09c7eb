# shellcheck shell=bash
# The RPMs of the rpm system tests (rpm-kernels.sh, dnf-kernels.sh), built
# with rpmbuild on this machine and kept in $CACHE/rpm.  Source it after
# tests/lib.sh and tests/system/apt/chroot-lib.sh; the test defines step.
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
