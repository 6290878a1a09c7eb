#!/bin/bash
# REMAKE_INITRD="yes": the initramfs of a kernel is regenerated once per
# command, whatever the number of such modules, with the distribution's
# tool; never with --no-initrd, never for other modules, never when the
# kernel has no initramfs.  The tool is a fake that records its arguments
# and the images live in the throwaway root: the machine's /boot and its
# update-initramfs are never used (the kernels do not exist either).
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "install needs root"
KA=6.1.0-91-dkmstest
KB=6.1.0-92-dkmstest
mkroot "$KA" "$KB"

mkdir -p "$T/bin" "$T/boot"
for tool in update-initramfs dracut mkinitcpio; do
    cat > "$T/bin/$tool" <<EOF
#!/bin/sh
echo "$tool \$*" >> "$T/tool.log"
exit \${FAKE_TOOL_STATUS:-0}
EOF
    chmod +x "$T/bin/$tool"
done
export DKMS_INITRAMFS_TOOL="$T/bin/update-initramfs" DKMS_BOOT_DIR="$T/boot"
touch "$T/boot/initrd.img-$KA" "$T/boot/initrd.img-$KB"

# mkmod NAME REMAKE(yes|"") : registered, and built for both kernels
mkmod() {
    local n=$1 remake=$2
    fake_added "$n" 1.0
    {
        echo "AUTOINSTALL=yes"
        [ -n "$remake" ] && echo "REMAKE_INITRD=\"$remake\""
    } >> "$T/src/$n-1.0/dkms.conf"
    fake_built "$n" 1.0 "$KA"
    fake_built "$n" 1.0 "$KB"
}
mkmod alpha yes
mkmod beta yes
mkmod plain ""

# calls: what the fake tools were asked since the last call
calls() { cat "$T/tool.log" 2>/dev/null; rm -f "$T/tool.log"; }
expect_calls() {
    local want=$1 got; got=$(calls)
    [ "$got" = "$want" ] || fail "$2: tool calls were '$got', expected '$want'"
}
pending_clean() { [ ! -e "$T/dkms/.pending" ] || fail "$1: marks left in $T/dkms/.pending"; }

# two REMAKE_INITRD modules installed for one kernel in one command: once
expect_rc 0 tdkms autoinstall --no-depmod -k "$KA" >"$T/out" 2>&1
expect_calls "update-initramfs -u -k $KA" "autoinstall of two REMAKE_INITRD modules"
grep -q "Regenerating the initramfs of kernel $KA" "$T/out" || fail "no message about the initramfs"
for n in alpha beta plain; do
    [ -e "$T/lib/modules/$KA/updates/dkms/$n.ko" ] || fail "$n not installed on $KA"
done
pending_clean autoinstall

# one install command for two kernels: once per kernel
expect_rc 0 tdkms install --no-depmod alpha/1.0 -k "$KA" -k "$KB" >/dev/null 2>&1
expect_calls "update-initramfs -u -k $KB" "install on an already installed and a new kernel"
expect_rc 0 tdkms uninstall --no-depmod alpha/1.0 -k "$KA" -k "$KB" >/dev/null 2>&1
expect_calls "update-initramfs -u -k $KA
update-initramfs -u -k $KB" "uninstall on two kernels"
expect_rc 0 tdkms install --no-depmod alpha/1.0 -k "$KA" -k "$KB" >/dev/null 2>&1
expect_calls "update-initramfs -u -k $KA
update-initramfs -u -k $KB" "install on two kernels"

# a module without REMAKE_INITRD: never
expect_rc 0 tdkms install --no-depmod plain/1.0 -k "$KB" >/dev/null 2>&1
expect_rc 0 tdkms uninstall --no-depmod plain/1.0 -k "$KB" >/dev/null 2>&1
expect_calls "" "module without REMAKE_INITRD"

# --no-initrd: never, and nothing left pending
expect_rc 0 tdkms uninstall --no-depmod --no-initrd beta/1.0 -k "$KA" >/dev/null 2>&1
expect_rc 0 tdkms install --no-depmod --no-initrd beta/1.0 -k "$KA" >/dev/null 2>&1
expect_calls "" "--no-initrd"
pending_clean --no-initrd

# no initramfs for the kernel: skipped, said so
rm "$T/boot/initrd.img-$KB"
expect_rc 0 tdkms install --no-depmod beta/1.0 -k "$KB" >"$T/out" 2>&1
expect_calls "" "kernel without an initramfs"
grep -q "Not regenerating the initramfs of kernel $KB" "$T/out" || fail "skip not reported"
touch "$T/boot/initrd.img-$KB"

# a failing tool: reported with kernel, tool and status, and in the exit
# code (6); the install stands
expect_rc 0 tdkms uninstall --no-depmod beta/1.0 -k "$KB" >/dev/null 2>&1
calls >/dev/null
rc=0; FAKE_TOOL_STATUS=3 tdkms install --no-depmod beta/1.0 -k "$KB" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 6 ] || { cat "$T/out"; fail "a failing initramfs tool: exit $rc, expected 6"; }
grep -q "initramfs of kernel $KB was not regenerated: .*update-initramfs failed with exit status 3" "$T/out" ||
    { cat "$T/out"; fail "tool failure not reported"; }
[ -e "$T/lib/modules/$KB/updates/dkms/beta.ko" ] || fail "install undone by the tool's failure"
expect_rc 0 tdkms status beta/1.0 -k "$KB" >"$T/out"
grep -q ": installed" "$T/out" || fail "beta not installed after the tool failed"
calls >/dev/null

# dracut and mkinitcpio are called their own way
touch "$T/boot/initramfs-$KA.img"
expect_rc 0 tdkms uninstall --no-depmod alpha/1.0 -k "$KA" >/dev/null 2>&1
DKMS_INITRAMFS_TOOL="$T/bin/dracut" tdkms install --no-depmod alpha/1.0 -k "$KA" >/dev/null 2>&1 ||
    fail "install with dracut"
expect_calls "update-initramfs -u -k $KA
dracut -f --kver $KA" "dracut"
echo linux-test > "$T/lib/modules/$KA/pkgbase"
touch "$T/boot/initramfs-linux-test.img"
expect_rc 0 tdkms uninstall --no-depmod alpha/1.0 -k "$KA" >/dev/null 2>&1
DKMS_INITRAMFS_TOOL="$T/bin/mkinitcpio" tdkms install --no-depmod alpha/1.0 -k "$KA" >/dev/null 2>&1 ||
    fail "install with mkinitcpio"
expect_calls "update-initramfs -u -k $KA
mkinitcpio -k $KA -g $T/boot/initramfs-linux-test.img" "mkinitcpio"
pending_clean end

# without a chosen tool, modules installed outside the system's module tree
# never make dkms run the machine's initramfs tool
expect_rc 0 tdkms uninstall --no-depmod alpha/1.0 -k "$KA" >/dev/null 2>&1
calls >/dev/null
env -u DKMS_INITRAMFS_TOOL -u DKMS_BOOT_DIR "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" \
    --installtree "$T/lib/modules" install --no-depmod alpha/1.0 -k "$KA" >"$T/out" 2>&1 || fail "install without a tool"
grep -q "Not regenerating the initramfs of kernel $KA: the install tree $T/lib/modules is not the system's" "$T/out" ||
    { cat "$T/out"; fail "throwaway install tree not refused"; }
expect_calls "" "throwaway install tree"
pending_clean "throwaway install tree"
echo "initramfs regenerated once per kernel and command, as asked"
