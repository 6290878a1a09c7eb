#!/bin/bash
# System test: the boot guard with Debian's GRUB and kernel packages.
#
# In a throwaway Debian bookworm root (tests/system/apt/chroot-lib.sh) with
# our dkms installed (meson install --destdir), boot_guard="yes" in a
# framework.conf.d file, and GRUB's packages (grub-common, grub2-common for
# update-grub and its kernel hook, grub-pc-bin) with GRUB_DEFAULT=saved:
#   - a driver that builds on 6.1 but not on 6.12 (a copy of
#     tests/fixtures/api612-1.0 given a PCI alias), and a fake sysfs whose
#     device has that alias (DKMS_SYSFS_ROOT, passed through apt to the
#     kernel hooks);
#   - apt installs kernel 6.1 (image and headers): the driver is installed,
#     nothing is guarded;
#   - apt installs kernel 6.12: the driver fails; the guard sets grubenv's
#     saved_entry (read back with grub-editenv list) to 6.1's entry of the
#     "Advanced options" submenu of the grub.cfg that grub-mkconfig made,
#     and apt's output says so;
#   - a fixed version of the driver (2.0, builds on 6.12) is added and
#     autoinstall runs for 6.12: saved_entry is unset again (the newest
#     kernel boots) and the guard's record is gone.
# grub.cfg is made by the real grub-mkconfig (update-grub, from the
# zz-update-grub kernel hook).  The root has no disk of its own, so
# grub-probe is diverted to a stand-in that answers for a disk /dev/vda1
# (ext2, msdos partition table, a fixed UUID): the rest of grub-mkconfig
# and of /etc/grub.d runs as on a real machine.
#
# Needs root, debootstrap and the Debian archive this machine's apt uses.
#   DKMS_APT_BUILDDIR   where our dkms is built with --prefix=/usr (shared
#                       with apt-kernels)
#   DKMS_TEST_KEEP=1    keep the root afterwards
. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/apt/chroot-lib.sh"
chroot_need
chroot_enter "$@"

driver_src OLD "$SRCDIR/tests/fixtures/api612-1.0"
UUID=0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0
ALIAS='pci:v00001234d000011E8sv*sd*bc*sc*i*'
MODALIAS=pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00

# -- our dkms, built for /usr (chroot-lib.sh) -------------------------------------
build_ours

# -- the root --------------------------------------------------------------------
step "preparing the root"
chroot_make
L=$(dirname "$R")
root_kernel_apt "grub*.deb"
# Initrds are not what this test is about and cost a minute each.
root_no_initramfs
root_install_ours
mkdir -p "$R/etc/dkms/framework.conf.d"
echo 'boot_guard="yes"' >"$R/etc/dkms/framework.conf.d/boot-guard.conf"

# apt_step NAME ARGS...: apt-get ARGS in the root, with the fake sysfs for
# our hooks, logged to $L/NAME.log and shown; fails when apt fails.
apt_step() {
    local name=$1 rc=0
    shift
    step "apt-get $*"
    in_root env DKMS_SYSFS_ROOT=/fake-sys apt-get -y "$@" >"$L/$name.log" 2>&1 || rc=$?
    sed 's/^/    | /' "$L/$name.log"
    [ "$rc" = 0 ] || fail "apt-get $* exited $rc"
}

# -- GRUB ------------------------------------------------------------------------
apt_step grub install grub-common grub2-common grub-pc-bin
# grub-probe asks the kernel about the disk under / and /boot, which this
# root does not have: a stand-in answers for /dev/vda1.
in_root dpkg-divert --local --rename --divert /usr/sbin/grub-probe.real --add /usr/sbin/grub-probe >/dev/null
cat >"$R/usr/sbin/grub-probe" <<EOF
#!/bin/sh
# test stand-in: the root is on /dev/vda1 (ext2, msdos partition 1)
target=
while [ \$# -gt 0 ]; do
    case \$1 in
    --target=*) target=\${1#--target=} ;;
    -t|--target) target=\$2; shift ;;
    esac
    shift
done
case \$target in
device) echo /dev/vda1 ;;
fs) echo ext2 ;;
fs_uuid) echo $UUID ;;
partuuid) echo 6d3f1a2b-01 ;;
partmap) echo msdos ;;
drive) echo '(hd0,msdos1)' ;;
compatibility_hint) echo hd0,msdos1 ;;
hints_string) echo '--hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1' ;;
abstraction|cryptodisk_uuid|fs_label) ;;
*) echo "grub-probe stand-in: unknown target \$target" >&2; exit 1 ;;
esac
EOF
chmod 755 "$R/usr/sbin/grub-probe"
cat >"$R/etc/default/grub" <<'EOF'
GRUB_DEFAULT=saved
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
GRUB_DISABLE_OS_PROBER=true
EOF
mkdir -p "$R/boot/grub"
in_root update-grub >"$L/update-grub.log" 2>&1 || { cat "$L/update-grub.log"; fail "update-grub failed in the root"; }
grubenv() { in_root grub-editenv /boot/grub/grubenv list 2>/dev/null; }
saved_entry() { grubenv | sed -n 's/^saved_entry=//p'; }

# -- the driver and the device -------------------------------------------------------
step "registering api612/1.0 with the alias $ALIAS"
mkdir -p "$R/usr/src/api612-1.0" "$R/fake-sys/bus/pci/devices/0000:00:04.0"
cp -a "$OLD_SRC/." "$R/usr/src/api612-1.0/"
echo "MODULE_ALIAS(\"$ALIAS\");" >>"$R/usr/src/api612-1.0/api612.c"
echo "$MODALIAS" >"$R/fake-sys/bus/pci/devices/0000:00:04.0/modalias"
in_root dkms add -m api612 -v 1.0 || fail "dkms add api612/1.0 failed"

# -- kernel 6.1: the driver builds; nothing to guard ----------------------------------
apt_step install-61 install "linux-image-$K61" "linux-headers-$K61"
grep -q "api612/1.0, $K61, .*: installed" <<<"$(in_root dkms status)" || fail "api612/1.0 is not installed for $K61"
grep -q "boot guard" "$L/install-61.log" && fail "the guard acted with kernel $K61 ready"
[ -z "$(saved_entry)" ] || fail "saved_entry is set after kernel $K61: $(grubenv)"
grep -q "vmlinuz-$K61" "$R/boot/grub/grub.cfg" || fail "grub.cfg has no entry for $K61 (zz-update-grub did not run?)"

# -- kernel 6.12: the driver fails; 6.1 becomes the default --------------------------
apt_step install-612 install "linux-image-$K612" "linux-headers-$K612"
if grep -q "api612/1.0, $K612, .*: installed" <<<"$(in_root dkms status)"; then
    fail "api612/1.0 is installed for $K612: the fixture should not build there"
fi
ENTRY="gnulinux-advanced-$UUID>gnulinux-$K61-advanced-$UUID"
[ "$(saved_entry)" = "$ENTRY" ] || fail "saved_entry is '$(saved_entry)', expected $ENTRY:
$(grubenv)"
# the entry names what grub-mkconfig wrote (now with 6.12 listed first)
grep -q "^submenu .*'gnulinux-advanced-$UUID' {" "$R/boot/grub/grub.cfg" &&
    grep -q "^[[:space:]]*menuentry 'Debian GNU/Linux, with Linux $K61' .*'gnulinux-$K61-advanced-$UUID' {" \
        "$R/boot/grub/grub.cfg" || fail "grub.cfg has no entry $ENTRY:
$(grep -E 'menuentry|submenu' "$R/boot/grub/grub.cfg")"
grep -q "^[[:space:]]*linux[[:space:]].*vmlinuz-$K612 " "$R/boot/grub/grub.cfg" || fail "grub.cfg does not list $K612"
for want in "dkms: boot guard: kernel $K612, the newest, lacks a module" \
    "api612 (PCI 1234:11e8) will not work: api612/1.0 failed to build" \
    "GRUB will now boot kernel $K61 by default (saved_entry=$ENTRY)." \
    "undo it: grub-editenv '/boot/grub/grubenv' unset saved_entry"; do
    grep -qF -- "$want" "$L/install-612.log" || fail "apt's output lacks '$want'"
done
[ -f "$R/var/lib/dkms/.boot-guard" ] || fail "the guard left no record"

# -- the vendor's fix: api612/2.0 builds on 6.12; autoinstall puts the default back --
step "adding api612/2.0, which builds on 6.12, and running autoinstall for $K612"
mkdir -p "$R/usr/src/api612-2.0"
cp -a "$R/usr/src/api612-1.0/." "$R/usr/src/api612-2.0/"
sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="2.0"/' "$R/usr/src/api612-2.0/dkms.conf"
# class_create lost its owner argument in 6.4
sed -i 's/#include <linux\/module.h>/&\n#include <linux\/version.h>\n#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)\n#define class_create(owner, name) class_create(name)\n#endif/' \
    "$R/usr/src/api612-2.0/api612.c"
in_root dkms add -m api612 -v 2.0 >/dev/null || fail "dkms add api612/2.0 failed"
rc=0
in_root env DKMS_SYSFS_ROOT=/fake-sys dkms autoinstall -k "$K612" >"$L/fixed.log" 2>&1 || rc=$?
sed 's/^/    | /' "$L/fixed.log"
[ "$rc" = 0 ] || fail "autoinstall -k $K612 with api612/2.0 exited $rc"
grep -q "api612/2.0, $K612, .*: installed" <<<"$(in_root dkms status)" || fail "api612/2.0 is not installed for $K612"
[ -z "$(saved_entry)" ] || fail "saved_entry is still set after the fix: $(grubenv)"
grep -qF "kernel $K612 now has the modules this machine needs." "$L/fixed.log" || fail "autoinstall does not say the default is back"
[ ! -e "$R/var/lib/dkms/.boot-guard" ] || fail "the guard's record is left after the fix"
verdict=$(in_root env DKMS_SYSFS_ROOT=/fake-sys dkms check -k "$K612" | head -n 1) || true
[ "$verdict" = "$K612: ready" ] || fail "dkms check -k $K612 says '$verdict'"

step "passed"
