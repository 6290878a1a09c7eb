#!/bin/bash
# What autoinstall skips without failing (README, "Where it differs from
# the reference on purpose"): a module whose BUILD_EXCLUSIVE rules exclude
# the kernel, and a registered version whose source is gone.  The other
# modules are installed, the summary names each skipped one and why, and
# the exit code is 0 (the reference exits 11 and 4).  And an older version
# of a module whose newer version is installed is left alone (the
# reference tries to install it, its install refuses the older module, and
# autoinstall exits 11).
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "installing needs root"
K=6.1.0-96-dkmstest
script_root "$K"
for n in ok excl gone; do
    script_source "$n" 1.0 <<S
#!/bin/sh
echo "$n module" > $n.ko
S
    echo AUTOINSTALL=yes >> "$T/src/$n-1.0/dkms.conf"
done
echo 'BUILD_EXCLUSIVE_KERNEL="^9\."' >> "$T/src/excl-1.0/dkms.conf"
for n in ok excl gone; do expect_rc 0 kd add "$n/1.0" > /dev/null; done
rm -rf "$T/src/gone-1.0"

rc=0; kd autoinstall -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall exited $rc, expected 0"; }
grep -qx "  ok/1.0: installed" "$T/out" || { cat "$T/out"; fail "ok/1.0 not installed"; }
grep -qx "  excl/1.0: skipped (BUILD_EXCLUSIVE does not match this kernel)" "$T/out" ||
    { cat "$T/out"; fail "excl/1.0 not reported as skipped"; }
grep -qx "  gone/1.0: skipped (its source is gone: no $T/dkms/gone/1.0/source/dkms.conf)" "$T/out" ||
    { cat "$T/out"; fail "gone/1.0 not reported as skipped"; }
[ -f "$T/lib/modules/$K/updates/ok.ko" ] || [ -f "$T/lib/modules/$K/updates/dkms/ok.ko" ] ||
    fail "ok.ko is not installed"

# --- an older version than the one installed is not picked
script_source ok 0.9 <<S
#!/bin/sh
echo "ok module 0.9" > ok.ko
S
echo AUTOINSTALL=yes >> "$T/src/ok-0.9/dkms.conf"
expect_rc 0 kd add ok/0.9 > /dev/null
rc=0; kd autoinstall -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall with ok/1.0 installed and ok/0.9 added exited $rc"; }
grep -q "ok/0.9" "$T/out" && { cat "$T/out"; fail "autoinstall picked ok/0.9, older than the installed ok/1.0"; }
[ -e "$T/dkms/ok/0.9/$K" ] && fail "ok/0.9 was built"
[ "$(readlink "$T/dkms/ok/kernel-$K-$(uname -m)")" = "1.0/$K/$(uname -m)" ] || fail "ok/1.0 is no longer the installed version"
echo PASS
