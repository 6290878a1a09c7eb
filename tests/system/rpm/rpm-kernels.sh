#!/bin/bash
# System test: a kernel installed and erased by rpm, as on Fedora, drives our
# dkms through its kernel-install plugin (hooks/40-dkms.install.in).
#
# Fedora's kernel packages run `kernel-install add K /lib/modules/K/vmlinuz`
# in %posttrans and `kernel-install remove K` in %preun; kernel-install runs
# the plugins of /usr/lib/kernel/install.d, ours among them.  This test
#   1. builds our RPM from the work tree with rpm/dkms-c.spec
#      (rpm/build-rpm.sh) and a kernel and kernel-devel RPM laid out as
#      Fedora's (tests/system/rpm/kernel.spec) from Debian's $K61 image,
#      headers and kbuild packages; both are kept in $CACHE/rpm and built
#      again only when their inputs change;
#   2. in a throwaway Debian bookworm root (tests/system/apt/chroot-lib.sh)
#      that also has rpm and systemd's kernel-install, upgrades with the
#      root's rpm a stand-in for the distribution's dkms package
#      (tests/system/rpm/dkms-stub.spec) to our RPM, which must replace it,
#      and registers two drivers with `dkms add`:
#      examples/edu-dkms, which builds, and tests/fixtures/broken-1.0
#      (made AUTOINSTALL), which does not;
#   3. `rpm -i` the kernel and its headers: the transaction succeeds, edu is
#      installed for K and known to depmod, broken is reported and not
#      installed;
#   4. `rpm -e` them: the plugin unbuilds the modules for K, nothing of K is
#      left on disk, and both drivers stay registered for the next kernel;
#   5. `rpm -e` our package: it goes away cleanly.
# The root is Debian's, so dkms installs into updates/dkms (on Fedora,
# running_distribution from /etc/os-release sends modules to extra/; both
# are accepted).
#
# The root's own packages are in dpkg's database, not rpm's: the packages are
# installed with --nodeps, after checking that what they require is there.
# Needs root, debootstrap, rpm/rpmbuild (scripts/setup-deps.sh --system) and
# the Debian archive this machine's apt uses.
#   DKMS_RPM_KERNEL   the Debian kernel to package (default $K61)
#   DKMS_TEST_KEEP=1  keep the root afterwards
. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/apt/chroot-lib.sh"
# The root needs rpm, kernel-install (package systemd on bookworm) and the
# libraries of our dkms on top of the apt test's: a base root of its own,
# built once and cached like that one.
BASE_PKGS=$BASE_PKGS,rpm,systemd,libarchive13
chroot_need
for p in rpmbuild git dpkg-deb apt-get; do
    command -v "$p" >/dev/null || skip "$p is not installed (scripts/setup-deps.sh --system)"
done
chroot_enter "$@"

START=$SECONDS
step() { echo "== [$((SECONDS - START))s] $*"; }
K=${DKMS_RPM_KERNEL:-$K61}
RPMCACHE=$CACHE/rpm
EDU_SRC=$SRCDIR/examples/edu-dkms
BAD_SRC=$SRCDIR/tests/fixtures/broken-1.0
[ -f "$EDU_SRC/dkms.conf" ] || fail "examples/edu-dkms/dkms.conf is missing"
[ -f "$BAD_SRC/dkms.conf" ] || fail "tests/fixtures/broken-1.0/dkms.conf is missing"
mkdir -p "$RPMCACHE" "$CACHE/debs"
# One run at a time builds into $RPMCACHE (released at exit).
exec 8>"$RPMCACHE/.lock"
flock 8

# -- 1a. our RPM -----------------------------------------------------------------
# Built again when any file of the work tree (tracked, or untracked and not
# ignored) changes.  --nocheck: the unit and cli suites of %check are run by
# the project's own test run.
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

# -- 1b. the kernel RPMs ---------------------------------------------------------
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

# Built again when the spec or the way the tree is made changes.
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
exec 8>&-

# -- 2. the root, our dkms, two drivers --------------------------------------
step "preparing the root"
chroot_make
L=$(dirname "$R")     # logs go next to the root
for p in rpm kernel-install gcc make depmod; do
    in_root sh -c "command -v $p" >/dev/null || fail "the root has no $p"
done
# The packages, where the root's rpm finds them.
mkdir "$R/tmp/rpms"
cp "$OURS" "${KPKGS[@]}" "$R/tmp/rpms/"
IN_OURS=/tmp/rpms/${OURS##*/}
IN_KPKGS=()
for p in "${KPKGS[@]}"; do IN_KPKGS+=("/tmp/rpms/${p##*/}"); done

# rpm_step NAME ARGS...: run the root's rpm with ARGS, its database where
# Fedora keeps it, log to $L/NAME.log, show the log, fail when rpm fails.
rpm_step() {
    local name=$1 rc=0
    shift
    step "rpm $*"
    in_root rpm --dbpath /var/lib/rpm "$@" >"$L/$name.log" 2>&1 || rc=$?
    sed 's/^/    | /' "$L/$name.log"
    [ "$rc" = 0 ] || fail "rpm $* exited $rc"
    if grep -q "scriptlet failed" "$L/$name.log"; then fail "a scriptlet failed in rpm $*"; fi
}
rpmq() { in_root rpm --dbpath /var/lib/rpm "$@"; }

# The root's own packages are in dpkg's database, not rpm's, so rpm -i needs
# --nodeps; what the packages require is checked here instead: files by
# their presence, names by a command each provides, shared libraries in
# ldconfig's cache.
root_has_requires() { # root_has_requires RPM...
    local libs reqs req cmd
    libs=$(in_root ldconfig -p)
    reqs=$(rpm -qp --requires "$@" 2>/dev/null | sort -u) || fail "rpm -qp --requires ${*##*/} failed"
    while read -r req _; do
        case $req in
            rpmlib\(*|config\(*|rtld\(*) continue ;;
            /*) [ -e "$R$req" ] || fail "${1##*/} requires $req, which the root lacks"
                continue ;;
            *.so.*)
                grep -q "^[[:space:]]*${req%%(*} (libc6,x86-64)" <<<"$libs" ||
                    fail "${1##*/} requires $req, which the root lacks"
                continue ;;
            bash) cmd='bash' ;; binutils) cmd='strip' ;; coreutils) cmd='ls' ;; gawk) cmd='awk' ;;
            gcc) cmd='gcc' ;; kmod) cmd='depmod' ;; make) cmd='make' ;; patch) cmd='patch' ;;
            *) fail "${1##*/} requires '$req': add to this test the command that shows the root has it" ;;
        esac
        in_root sh -c "command -v $cmd" >/dev/null || fail "${1##*/} requires $req, but the root has no $cmd"
    done <<<"$reqs"
}
step "checking that the root has what the packages require"
root_has_requires "$OURS"
root_has_requires "${KPKGS[@]}"

# A stand-in for the distribution's dkms first: ours must replace it.
rpmbuild -bb --define "_topdir $L/stub" "$SRCDIR/tests/system/rpm/dkms-stub.spec" >"$L/stub.log" 2>&1 ||
    { tail -n 20 "$L/stub.log"; fail "rpmbuild of tests/system/rpm/dkms-stub.spec failed"; }
cp "$L"/stub/RPMS/noarch/dkms-[0-9]*.rpm "$R/tmp/rpms/dkms-stub.rpm"
rpm_step install-stub -i --nodeps /tmp/rpms/dkms-stub.rpm
rpm_step install-ours -U --nodeps "$IN_OURS"
if rpmq -q dkms >/dev/null 2>&1; then fail "the package dkms is still installed next to ours"; fi
for f in /usr/sbin/dkms /usr/lib/kernel/install.d/40-dkms.install /usr/lib/dkms/dkms_autoinstaller \
         /etc/kernel/prerm.d/dkms /etc/dkms/framework.conf /var/lib/dkms; do
    [ -e "$R$f" ] || fail "our package did not install $f"
done
[ "$(rpmq -q --whatprovides dkms)" = "$(rpmq -q dkms-c)" ] || fail "dkms is not provided by dkms-c"
in_root dkms status >/dev/null || fail "dkms does not run in the root (the stand-in's?)"

conf_value() { # conf_value DIR VAR: a variable of DIR/dkms.conf
    bash -c '. "$1/dkms.conf" >/dev/null 2>&1; eval "echo \"\${$2}\""' _ "$1" "$2"
}
EDU=$(conf_value "$EDU_SRC" PACKAGE_NAME) EDU_V=$(conf_value "$EDU_SRC" PACKAGE_VERSION)
BAD=$(conf_value "$BAD_SRC" PACKAGE_NAME) BAD_V=$(conf_value "$BAD_SRC" PACKAGE_VERSION)
step "registering $EDU/$EDU_V and $BAD/$BAD_V"
mkdir -p "$R/usr/src/$EDU-$EDU_V" "$R/usr/src/$BAD-$BAD_V"
cp -a "$EDU_SRC/." "$R/usr/src/$EDU-$EDU_V/"
cp -a "$BAD_SRC/." "$R/usr/src/$BAD-$BAD_V/"
echo 'AUTOINSTALL="yes"' >>"$R/usr/src/$BAD-$BAD_V/dkms.conf"   # so that the plugin tries it
in_root dkms add -m "$EDU" -v "$EDU_V" >/dev/null || fail "dkms add $EDU/$EDU_V failed"
in_root dkms add -m "$BAD" -v "$BAD_V" >/dev/null || fail "dkms add $BAD/$BAD_V failed"

# (grep reads what status printed from a here-string, never from a pipe: see
# tests/system/apt/apt-kernels.sh.)
status() { in_root dkms status 2>/dev/null; }
expect_state() { # expect_state MODULE/VERSION KERNEL STATE
    local line
    line=$(status | grep -F "$1, $2, " || true)
    case $line in
        *": $3"*) ;;
        *) fail "dkms status for $1 on $2: '${line:-<none>}', expected '$3'
$(status)" ;;
    esac
}
ko_of() { # ko_of KERNEL MODULE: its file under updates/dkms or extra, if any
    find "$R/lib/modules/$1/updates/dkms" "$R/lib/modules/$1/extra" -name "$2.ko*" 2>/dev/null | head -n 1
}

# -- 3. rpm installs the kernel: the plugin builds edu, reports broken --------
rpm_step install-kernel -i --nodeps "${IN_KPKGS[@]}"
status | sed 's/^/    status: /'
in_root test -L "/lib/modules/$K/build" -a -e "/lib/modules/$K/build/include" ||
    fail "/lib/modules/$K/build does not lead to the headers"
grep -q "running auto installation service for kernel $K" "$L/install-kernel.log" ||
    fail "rpm's output does not show kernel-install running our plugin"
expect_state "$EDU/$EDU_V" "$K" installed
ko=$(ko_of "$K" "$EDU")
[ -n "$ko" ] || fail "no $EDU.ko* in /lib/modules/$K/updates/dkms or extra"
vermagic=$(in_root modinfo -F vermagic "${ko#"$R"}" | awk '{ print $1 }')
[ "$vermagic" = "$K" ] || fail "${ko#"$R"} has vermagic '$vermagic', expected $K"
grep -Eq "^(updates/dkms|extra)/$EDU\.ko[.a-z]*:" "$R/lib/modules/$K/modules.dep" ||
    fail "modules.dep of $K does not list $EDU (depmod not run after the install?)"
case $(grep -F "$BAD/$BAD_V, $K, " <<<"$(status)") in
    *": installed"*) fail "$BAD is installed for $K" ;;
esac
[ -z "$(ko_of "$K" "$BAD")" ] || fail "$(ko_of "$K" "$BAD") is installed"
grep -Eiq "(error|fail|warning).*$BAD|$BAD.*(error|fail|warning)" "$L/install-kernel.log" ||
    fail "rpm's output does not report that $BAD failed to build"
rpmq -V --nodeps kernel kernel-devel >"$L/verify-kernel.log" 2>&1 ||
    { cat "$L/verify-kernel.log"; fail "rpm -V: the kernel packages' files were changed"; }

# -- 4. rpm erases the kernel: the plugin unbuilds, nothing of K stays ---------
rpm_step erase-kernel -e kernel kernel-devel
status | sed 's/^/    status: /'
for m in "$EDU/$EDU_V" "$BAD/$BAD_V"; do
    if grep -qF "$m, $K, " <<<"$(status)"; then
        fail "dkms status still lists $m for the erased kernel $K"
    fi
    grep -q "^${m}[,:]" <<<"$(status)" || fail "$m is no longer registered:
$(status)"
done
grep -q "removing $EDU/$EDU_V from kernel $K" "$L/erase-kernel.log" ||
    fail "rpm's output does not show the plugin removing $EDU/$EDU_V"
[ ! -e "$R/lib/modules/$K" ] || fail "/lib/modules/$K is left behind: $(find "$R/lib/modules/$K" | head)"
[ ! -e "$R/usr/src/kernels/$K" ] || fail "/usr/src/kernels/$K is left behind"
[ ! -e "$R/var/lib/dkms/$EDU/$EDU_V/$K" ] || fail "the dkms tree keeps the build of $EDU/$EDU_V for $K"

# -- 5. our package goes away cleanly -----------------------------------------
rpmq -V --nodeps dkms-c >"$L/verify-ours.log" 2>&1 || { cat "$L/verify-ours.log"; fail "rpm -V dkms-c: our files were changed"; }
rpm_step erase-ours -e dkms-c
for f in /usr/sbin/dkms /usr/lib/kernel/install.d/40-dkms.install; do
    [ ! -e "$R$f" ] || fail "$f is left after rpm -e dkms-c"
done

step "passed"
