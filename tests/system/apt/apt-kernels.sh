#!/bin/bash
# System test: Debian's kernel packages drive our dkms through our hooks.
#
# In a throwaway Debian bookworm root (debootstrap, cached under
# $DKMS_TEST_CACHE), with our dkms and hooks installed by `meson install
# --destdir` and two drivers registered -- examples/edu-dkms, which builds for
# every kernel, and tests/fixtures/api612-1.0, which builds for 6.1 but
# not for 6.12 -- `apt-get install` the image and headers of 6.1, then of
# 6.12, then `apt-get remove` the 6.1 image, and check what a user's machine
# would have: apt succeeded, the modules are installed for the kernels they
# build for and depmod knows them, the failure is reported in apt's output,
# and removing a kernel takes its modules away.  The 6.12 image comes before
# its headers, so that the warning about missing headers and the
# header_postinst.d hook are exercised too.
#
# Needs root, debootstrap and the Debian archive this machine's apt uses.
#   DKMS_APT_BUILDDIR         where our dkms is built with --prefix=/usr
#                             (default /tmp/dkms-apt-build-<hash of SRCDIR>)
#   DKMS_APT_REAL_INITRAMFS=1 let initramfs-tools build real initrds (slower;
#                             by default update-initramfs only logs its calls)
#   DKMS_APT_REF=1            use Debian's dkms package instead of ours, to
#                             check the test itself
#   DKMS_TEST_KEEP=1          keep the root afterwards
# With DKMS_APT_REF=1 the test fails at the 6.12 headers step: Debian's dkms
# 3.0.10 makes the kernel's postinst fail when a module does not build.
. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/apt/chroot-lib.sh"
chroot_need
chroot_enter "$@"

driver_src EDU "$SRCDIR/examples/edu-dkms"
driver_src OLD "$SRCDIR/tests/fixtures/api612-1.0"

# -- our dkms, built for /usr (chroot-lib.sh) ---------------------------------
[ -n "${DKMS_APT_REF:-}" ] || build_ours

# -- the root ------------------------------------------------------------------
step "preparing the root"
chroot_make
L=$(dirname "$R")     # logs go next to the root
root_kernel_apt
# Initrds are not what this test is about and cost a minute each.
[ -n "${DKMS_APT_REAL_INITRAMFS:-}" ] || root_no_initramfs

if [ -n "${DKMS_APT_REF:-}" ]; then
    step "installing Debian's dkms in the root"
    in_root apt-get install -y dkms >"$L/dkms.log" 2>&1 || { tail -n 30 "$L/dkms.log"; fail "installing Debian's dkms failed"; }
else
    root_install_ours
    for f in /etc/kernel/postinst.d/dkms /etc/kernel/header_postinst.d/dkms /etc/kernel/prerm.d/dkms \
             /usr/lib/dkms/dkms_autoinstaller /usr/lib/dkms/common.postinst /etc/dkms/framework.conf; do
        [ -e "$R$f" ] || fail "meson install did not install $f"
    done
fi
in_root dkms --version >/dev/null 2>&1 || in_root dkms status >/dev/null 2>&1 || fail "dkms does not run in the root"

step "registering $EDU/$EDU_V and $OLD/$OLD_V"
root_add_driver EDU
root_add_driver OLD

# apt_step NAME ARGS...: run apt-get ARGS in the root, log to $L/NAME.log,
# show the log, fail when apt fails.
apt_step() {
    local name=$1 rc=0
    shift
    step "apt-get $*"
    in_root apt-get -y "$@" >"$L/$name.log" 2>&1 || rc=$?
    sed 's/^/    | /' "$L/$name.log"
    [ "$rc" = 0 ] || fail "apt-get $* exited $rc"
}

expect_not_installed() { # expect_not_installed MODULE/VERSION KERNEL
    if grep -F "$1, $2, " <<<"$(root_status)" | grep -q ": installed"; then
        fail "$1 is installed for $2:
$(root_status)"
    fi
}
expect_no_ko() {
    [ -z "$(ko_of "$1" "$2")" ] || fail "$(ko_of "$1" "$2") is still installed"
    if [ -f "$R/lib/modules/$1/modules.dep" ] && grep -q "^updates/dkms/$2\.ko" "$R/lib/modules/$1/modules.dep"; then
        fail "modules.dep of $1 still lists $2"
    fi
}

# -- kernel 6.1: both drivers build ---------------------------------------------
apt_step install-61 install "linux-image-$K61" "linux-headers-$K61"
show_status
expect_state "$EDU/$EDU_V" "$K61" installed
expect_state "$OLD/$OLD_V" "$K61" installed
expect_ko "$K61" "$EDU"
expect_ko "$K61" "$OLD"

# -- kernel 6.12, image first: no headers, nothing built, a clear warning ----
apt_step image-612 install "linux-image-$K612"
grep -q "install the linux-headers-$K612 package" "$L/image-612.log" ||
    fail "apt's output does not name the missing linux-headers-$K612 package"
if grep -qF ", $K612, " <<<"$(root_status)"; then
    fail "modules were built for $K612 without its headers:
$(root_status)"
fi

# -- then its headers: header_postinst.d builds; api612 no longer builds ------
apt_step install-612 install "linux-headers-$K612"
show_status
expect_state "$EDU/$EDU_V" "$K612" installed
expect_ko "$K612" "$EDU"
expect_not_installed "$OLD/$OLD_V" "$K612"
expect_no_ko "$K612" "$OLD"
grep -q "$OLD" "$L/install-612.log" || fail "apt's output does not name $OLD"
grep -Eiq "(error|fail|warning).*$OLD|$OLD.*(error|fail|warning)" "$L/install-612.log" ||
    fail "apt's output does not report that $OLD failed to build"
# 6.1 is untouched.
expect_state "$EDU/$EDU_V" "$K61" installed
expect_state "$OLD/$OLD_V" "$K61" installed

# -- removing the 6.1 image: the prerm hook takes its modules away ------------
apt_step remove-61 remove "linux-image-$K61"
show_status
for m in "$EDU/$EDU_V" "$OLD/$OLD_V"; do
    if grep -qF "$m, $K61, " <<<"$(root_status)"; then
        fail "dkms status still lists $m for the removed kernel $K61"
    fi
done
# (modules.dep of a kernel that goes away is left alone: no depmod for it.)
for m in "$EDU" "$OLD"; do
    [ -z "$(ko_of "$K61" "$m")" ] || fail "$(ko_of "$K61" "$m") is still installed"
done
[ ! -e "$R/lib/modules/$K61/updates/dkms" ] || fail "/lib/modules/$K61/updates/dkms is left behind"
grep -q "removing $EDU/$EDU_V from kernel $K61" "$L/remove-61.log" ||
    fail "apt's output does not show the prerm hook removing $EDU/$EDU_V"
# Both stay registered, to be built for the next kernel.
grep -q "^$OLD/${OLD_V}[,:]" <<<"$(root_status)" || fail "$OLD/$OLD_V is no longer registered:
$(root_status)"
expect_state "$EDU/$EDU_V" "$K612" installed
expect_ko "$K612" "$EDU"

step "passed"
