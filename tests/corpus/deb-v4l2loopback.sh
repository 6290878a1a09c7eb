#!/bin/bash
# System test of the Debian package: in a throwaway Debian bookworm root,
# install the dkms-c .deb (which Provides dkms), then the unmodified
# v4l2loopback-dkms package from the archive.  Its postinst
# (/usr/lib/dkms/common.postinst) must add, build and install the module
# through our dkms for the root's kernel headers; `apt-get remove` must take
# it away again.
#
#   tests/corpus/deb-v4l2loopback.sh          with our .deb (built from the
#                                             work tree, or $DKMS_C_DEB)
#   tests/corpus/deb-v4l2loopback.sh --ref    the same with Debian's own dkms,
#                                             to check the test itself
. "$(dirname "$0")/../lib.sh"
LIB=$SRCDIR/tests/system/apt/chroot-lib.sh
[ -r "$LIB" ] || skip "tests/system/apt/chroot-lib.sh is missing"
. "$LIB"
chroot_need
chroot_enter "$@"

mode=ours
[ "${1:-}" = --ref ] && mode=ref
K=$K61
PKG=v4l2loopback-dkms
MOD=v4l2loopback

if [ $mode = ours ]; then
    deb=${DKMS_C_DEB:-}
    if [ -z "$deb" ]; then
        command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed"
        dpkg-checkbuilddeps "$SRCDIR/debian/control" 2>/dev/null \
            || skip "debhelper is not installed"
        deb=$(DPKG_BUILDPACKAGE_OPTS=-Pnocheck "$SRCDIR/debian/build-deb.sh" "$CACHE/deb") \
            || fail "building the .deb failed"
    fi
    [ -f "$deb" ] || fail "no .deb at $deb"
fi

chroot_make
# The kernel's headers, from the host's apt cache when it has them.
seed_debs "linux-headers-${K}_*.deb" "linux-headers-${K%-amd64}-common_*.deb" "linux-kbuild-*.deb"
in_root apt-get update -qq >/dev/null 2>&1 || fail "apt-get update in the root failed"
in_root apt-get install -y -qq "linux-headers-$K" > "$R/../headers.log" 2>&1 \
    || { tail -20 "$R/../headers.log"; fail "installing linux-headers-$K in the root failed"; }

if [ $mode = ours ]; then
    cp "$deb" "$R/tmp/dkms-c.deb"
    in_root apt-get install -y -qq /tmp/dkms-c.deb > "$R/../dkms.log" 2>&1 \
        || { tail -30 "$R/../dkms.log"; fail "installing our .deb failed"; }
    in_root dpkg-query -W -f='${Provides}\n' dkms-c | grep -q 'dkms (= 3.0.10-99)' \
        || fail "dkms-c does not Provide dkms (= 3.0.10-99)"
else
    in_root apt-get install -y -qq dkms > "$R/../dkms.log" 2>&1 \
        || { tail -30 "$R/../dkms.log"; fail "installing Debian's dkms failed"; }
fi

echo "== apt-get install $PKG"
rc=0
in_root apt-get install -y "$PKG" > "$R/../install.log" 2>&1 || rc=$?
cat "$R/../install.log"
[ $rc = 0 ] || fail "apt-get install $PKG exited $rc"
[ $mode = ref ] || ! in_root dpkg-query -W -f='${Status}\n' dkms 2>/dev/null | grep -q 'ok installed' \
    || fail "apt pulled in Debian's dkms instead of using dkms-c"

ver=$(in_root dpkg-query -W -f='${Version}' "$PKG"); ver=${ver%-*}
st=$(in_root dkms status 2>/dev/null)
echo "== dkms status"; echo "$st"
echo "$st" | grep -qx "$MOD/$ver, $K, x86_64: installed" \
    || fail "dkms status does not show $MOD/$ver installed for $K"
ko=$(in_root find "/lib/modules/$K/updates/dkms" -name "$MOD.ko*" 2>/dev/null | head -1)
[ -n "$ko" ] || fail "no $MOD.ko* under /lib/modules/$K/updates/dkms"
vm=$(in_root modinfo -F vermagic "$ko" | awk '{print $1}')
[ "$vm" = "$K" ] || fail "$ko has vermagic $vm, expected $K"
grep -q "updates/dkms/$MOD.ko" "$R/lib/modules/$K/modules.dep" \
    || fail "modules.dep of $K does not list $MOD (depmod not run?)"

echo "== apt-get remove $PKG"
rc=0
in_root apt-get remove -y "$PKG" > "$R/../remove.log" 2>&1 || rc=$?
cat "$R/../remove.log"
[ $rc = 0 ] || fail "apt-get remove $PKG exited $rc"
[ -z "$(in_root find "/lib/modules/$K/updates" -name "$MOD.ko*" 2>/dev/null)" ] \
    || fail "$MOD is still installed after apt-get remove"
[ ! -e "$R/var/lib/dkms/$MOD" ] || fail "/var/lib/dkms/$MOD is left after apt-get remove"
! grep -q "$MOD.ko" "$R/lib/modules/$K/modules.dep" \
    || fail "modules.dep of $K still lists $MOD after apt-get remove"
[ -z "$(in_root dkms status 2>/dev/null)" ] || fail "dkms status is not empty after apt-get remove"
echo "OK ($mode)"
