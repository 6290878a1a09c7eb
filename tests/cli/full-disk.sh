#!/bin/bash
# A full disk on each tree: the source tree (add), the dkms tree (build),
# the module tree (install), and TMPDIR (ldtarball).  Each is a small tmpfs
# in a private mount namespace.  Every command fails with a message and
# leaves nothing half-made: no truncated source, no module padded with
# zeros, no half-installed version, no staging; once there is room, the
# same command succeeds.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "mounting needs root"
command -v unshare >/dev/null || skip "unshare not found"
if [ -z "${DKMS_FULL_DISK_NS:-}" ]; then
    DKMS_FULL_DISK_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
K=6.1.0-97-dkmstest
script_root "$K"
export TMPDIR="$T/tmp" DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"
mkdir -p "$TMPDIR" "$T/orig"
small() {
    mount -t tmpfs -o "size=$2" dkms-test "$1" || skip "cannot mount a tmpfs"
    at_exit "umount $(printf %q "$1")"
}
roomy() { mount -o remount,size=64m "$1" || fail "remount $1"; }
left() { find "$T/dkms" "$T/src" "$T/lib/modules" -name '.dkms-stage.*' 2>/dev/null; ls -A "$TMPDIR"; }

# a module whose "build" writes a 3 MiB module, and a 2 MiB source file
cat > "$T/orig/dkms.conf" <<'C'
PACKAGE_NAME=big
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=big
DEST_MODULE_LOCATION[0]=/updates
MAKE[0]="head -c 3145728 /dev/urandom > big.ko"
CLEAN=true
STRIP[0]=no
C
head -c 2097152 /dev/urandom > "$T/orig/blob.c"

# the source tree full: add DIR fails, no truncated copy, not registered
small "$T/src" 1m
rc=0; kd add "$T/orig" >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "add on a full source tree succeeded"
grep -q "No space left on device" "$T/out" || { cat "$T/out"; fail "add: the full disk is not said"; }
[ ! -e "$T/src/big-1.0" ] || fail "add left a truncated $T/src/big-1.0"
[ ! -e "$T/dkms/big" ] || fail "add registered a module it could not copy"
[ -z "$(left)" ] || fail "add left: $(left)"
roomy "$T/src"
expect_rc 0 kd add "$T/orig"
cmp -s "$T/orig/blob.c" "$T/src/big-1.0/blob.c" || fail "the source copied after the retry differs"

# the dkms tree full: the build fails, the module stays added
cp -a "$T/dkms" "$T/dkms.saved"
small "$T/dkms" 2m
cp -a "$T/dkms.saved/." "$T/dkms/"
rc=0; kd build big/1.0 -k "$K" >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "build on a full dkms tree succeeded"
[ "$(kd status big)" = "big/1.0: added" ] || fail "after a failed build status says: $(kd status big)"
[ -z "$(left)" ] || fail "build left: $(left)"
roomy "$T/dkms"
expect_rc 0 kd build big/1.0 -k "$K"
[ "$(kd status big)" = "big/1.0, $K, $ARCH: built" ] || fail "rebuild: $(kd status big)"

# the module tree full: install fails, nothing placed, not marked
small "$T/lib/modules/$K" 1m
rc=0; kd install big/1.0 -k "$K" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 6 ] || { cat "$T/out"; fail "install on a full module tree: exit $rc, expected 6"; }
grep -q "No space left on device" "$T/out" || { cat "$T/out"; fail "install: the full disk is not said"; }
[ ! -e "$T/lib/modules/$K/updates/big.ko" ] && [ ! -e "$T/lib/modules/$K/updates/dkms/big.ko" ] ||
    fail "install left a module behind"
[ "$(kd status big)" = "big/1.0, $K, $ARCH: built" ] || fail "after a failed install status says: $(kd status big)"
[ -z "$(left)" ] || fail "install left: $(left)"
roomy "$T/lib/modules/$K"
expect_rc 0 kd install big/1.0 -k "$K"
[ "$(kd status big)" = "big/1.0, $K, $ARCH: installed" ] || fail "reinstall: $(kd status big)"
expect_rc 0 kd mktarball big/1.0 -k "$K" --archive "$T/big.tar.gz"
expect_rc 0 kd remove big/1.0 --all
rm -rf "$T/src/big-1.0"

# TMPDIR full: ldtarball loads nothing (not a module padded with zeros)
small "$TMPDIR" 2m
rc=0; kd ldtarball "$T/big.tar.gz" >"$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || { cat "$T/out"; fail "ldtarball with a full TMPDIR succeeded"; }
grep -q "No space left on device" "$T/out" || { cat "$T/out"; fail "ldtarball: the full disk is not said"; }
[ -z "$(kd status big)" ] || fail "ldtarball with a full TMPDIR loaded: $(kd status big)"
[ ! -e "$T/src/big-1.0" ] || fail "ldtarball with a full TMPDIR copied the source"
[ -z "$(left)" ] || fail "ldtarball left: $(left)"
roomy "$TMPDIR"
expect_rc 0 kd ldtarball "$T/big.tar.gz"
[ "$(kd status big)" = "big/1.0, $K, $ARCH: built" ] || fail "ldtarball after the retry: $(kd status big)"
kd verify >"$T/out" 2>&1 || { cat "$T/out"; fail "verify found problems after the retries"; }
echo "full source tree, dkms tree, module tree and TMPDIR: each refused cleanly, each retried"
