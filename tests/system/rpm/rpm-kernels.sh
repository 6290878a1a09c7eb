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
. "$SRCDIR/tests/system/rpm/rpm-lib.sh"
chroot_need
rpm_need
chroot_enter "$@"

K=${DKMS_RPM_KERNEL:-$K61}
KO_DIRS="updates/dkms extra"
driver_src EDU "$SRCDIR/examples/edu-dkms"
driver_src BAD "$SRCDIR/tests/fixtures/broken-1.0"
# -- 1. the RPMs (tests/system/rpm/rpm-lib.sh) ---------------------------------
rpm_packages

# -- 2. the root, our dkms, two drivers --------------------------------------
step "preparing the root"
chroot_make
L=$(dirname "$R")     # logs go next to the root
for p in rpm kernel-install gcc make depmod; do
    in_root sh -c "command -v $p" >/dev/null || fail "the root has no $p"
done
# The shared libraries our dkms links that the base root lacks: Debian's
# packages that ship them on this (bookworm) host, installed with apt.
rpm_root_libs
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
            bash) cmd='bash' ;; binutils) cmd='strip' ;; coreutils) cmd='ls' ;; gawk) cmd='gawk' ;;
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
stub=$(rpm_stub "$L/stub") || fail "no stand-in dkms package"
cp "$stub" "$R/tmp/rpms/dkms-stub.rpm"
rpm_step install-stub -i --nodeps /tmp/rpms/dkms-stub.rpm
rpm_step install-ours -U --nodeps "$IN_OURS"
expect_ours
rpm_add_drivers

# -- 3. rpm installs the kernel: the plugin builds edu, reports broken --------
rpm_step install-kernel -i --nodeps "${IN_KPKGS[@]}"
show_status
grep -q "running auto installation service for kernel $K" "$L/install-kernel.log" ||
    fail "rpm's output does not show kernel-install running our plugin"
expect_kernel_built rpm "$L/install-kernel.log"

# -- 4. rpm erases the kernel: the plugin unbuilds, nothing of K stays ---------
rpm_step erase-kernel -e kernel kernel-devel
show_status
grep -q "removing $EDU/$EDU_V from kernel $K" "$L/erase-kernel.log" ||
    fail "rpm's output does not show the plugin removing $EDU/$EDU_V"
expect_kernel_gone

# -- 5. our package goes away cleanly -----------------------------------------
verify_ours
rpm_step erase-ours -e dkms-c
expect_ours_gone rpm

step "passed"
