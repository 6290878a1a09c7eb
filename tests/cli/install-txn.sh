#!/bin/bash
# install is one transaction: when the second of two modules cannot be put
# in place, the first is not left half-new: the version installed before
# stays installed, file for file, and nothing staged is left behind.
# The modules are fabricated already built, so nothing is compiled.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-93-dkmstest
mkroot "$K"
export DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"

# two VERSION SECOND: module "two" at VERSION, built for K, whose second
# module is installed as SECOND.ko
two() {
    local v=$1 second=$2
    fake_added two "$v" first second
    echo "DEST_MODULE_NAME[1]=$second" >> "$T/src/two-$v/dkms.conf"
    fake_built two "$v" "$K" first "$second"
}
two 1.0 second
two 2.0 second2
lib=$T/lib/modules/$K/updates/dkms

expect_rc 0 tdkms --no-depmod install two/1.0 -k "$K"
[ "$(cat "$lib/first.ko")" = "first.ko of two/1.0 for $K" ] || fail "1.0 not installed"

# second2.ko cannot be placed: a directory has its name
mkdir -p "$lib/second2.ko"
rc=0; tdkms --no-depmod --force install two/2.0 -k "$K" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 6 ] || { cat "$T/out"; fail "a failing second module: exit $rc, expected 6"; }
grep -q "Everything this install had changed was put back" "$T/out" || { cat "$T/out"; fail "no rollback message"; }
grep -q "second2.ko" "$T/out" || fail "the message does not name the module that failed"
[ "$(cat "$lib/first.ko")" = "first.ko of two/1.0 for $K" ] || fail "first.ko is not 1.0's after the rollback: $(cat "$lib/first.ko")"
[ "$(cat "$lib/second.ko")" = "second.ko of two/1.0 for $K" ] || fail "second.ko of 1.0 is gone"
[ -d "$lib/second2.ko" ] || fail "the directory in the way was touched"
[ "$(readlink "$T/dkms/two/kernel-$K-$ARCH")" = "1.0/$K/$ARCH" ] || fail "the installed mark moved"
tdkms status two -k "$K" | grep -qx "two/1.0, $K, $ARCH: installed" || { tdkms status; fail "1.0 not installed"; }
tdkms status two -k "$K" | grep -qx "two/2.0, $K, $ARCH: built" || { tdkms status; fail "2.0 not built"; }
left=$(find "$T/lib/modules" "$T/dkms" -name '.dkms-stage.*')
[ -z "$left" ] || fail "staging left behind: $left"

# with the way clear the same install goes through
rmdir "$lib/second2.ko"
expect_rc 0 tdkms --no-depmod --force install two/2.0 -k "$K"
[ "$(cat "$lib/first.ko")" = "first.ko of two/2.0 for $K" ] || fail "2.0 not installed"
[ "$(cat "$lib/second2.ko")" = "second2.ko of two/2.0 for $K" ] || fail "second2.ko not installed"
[ "$(readlink "$T/dkms/two/kernel-$K-$ARCH")" = "2.0/$K/$ARCH" ] || fail "the installed mark did not move"
echo "install is all or nothing"
