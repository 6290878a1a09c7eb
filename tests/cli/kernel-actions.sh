#!/bin/bash
# kernel_postinst and kernel_prerm, the actions newer dkms gives kernel
# packages' hooks: postinst builds and installs every AUTOINSTALL module
# for the kernel; prerm uninstalls and unbuilds every module built for it,
# and leaves the modules registered and installed for the other kernels.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "the actions need root"
command -v ld >/dev/null && command -v objcopy >/dev/null || skip "no ld/objcopy to make module files"
K1=6.1.0-86-dkmstest K2=6.12.0-86-dkmstest
script_root "$K1" "$K2"
export TMPDIR="$T/tmp" DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"
mkdir -p "$TMPDIR"
ko_build_script ka | script_source ka 1.0
echo 'AUTOINSTALL=yes' >> "$T/src/ka-1.0/dkms.conf"
expect_rc 0 kd add ka/1.0
expect_rc 0 kd kernel_postinst -k "$K1"
expect_rc 0 kd kernel_postinst -k "$K2"
[ "$(kd status ka)" = "ka/1.0, $K1, $ARCH: installed
ka/1.0, $K2, $ARCH: installed" ] || fail "after kernel_postinst: $(kd status ka)"
expect_rc 0 kd kernel_prerm -k "$K1"
[ "$(kd status ka)" = "ka/1.0, $K2, $ARCH: installed" ] || fail "after kernel_prerm: $(kd status ka)"
[ ! -e "$T/lib/modules/$K1/updates/dkms/ka.ko" ] || fail "kernel_prerm left the module installed"
[ -f "$T/lib/modules/$K2/updates/dkms/ka.ko" ] || fail "kernel_prerm touched the other kernel"
expect_rc 0 kd kernel_prerm -k "$K1"     # nothing left to do: still fine
kd verify >"$T/out" 2>&1 || { cat "$T/out"; fail "verify after kernel_prerm"; }
echo "kernel_postinst installs, kernel_prerm takes a kernel's modules away"
