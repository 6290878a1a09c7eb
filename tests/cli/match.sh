#!/bin/bash
# match --templatekernel=T -k K [module]: every module installed on T is
# installed on K; errors and exit codes as the reference's.  The modules
# are fabricated already built for both kernels, so nothing is compiled.
# The reference's match finds nothing since its status format changed
# ("name/version, kernel, arch: installed"); ours must find the modules.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "match needs root"
KT=6.1.0-91-dkmstest
KK=6.1.0-92-dkmstest
mkroot "$KT" "$KK"
mkdir -p "$T/ksrc/include"
# initramfs regeneration must never reach the machine's tools
export DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"

# mkmod NAME VERSION KERNEL...: registered and built for the kernels given
mkmod() {
    local n=$1 v=$2 k; shift 2
    fake_added "$n" "$v"
    for k in "$@"; do fake_built "$n" "$v" "$k"; done
}
mkmod alpha 1.0 "$KT" "$KK"; fake_installed alpha 1.0 "$KT"
mkmod alpha 2.0 "$KT" "$KK"                           # another version, not installed
mkmod beta 0.5 "$KT" "$KK"; fake_installed beta 0.5 "$KT"
mkmod gamma 3 "$KT" "$KK"                             # built on T, not installed
mkmod delta 1 "$KK"                                   # nothing on T
mkmod eps 1 "$KT" "$KK"; fake_installed eps 1 "$KK"   # installed on K only

m() { tdkms match --no-depmod --kernelsourcedir "$T/ksrc" "$@"; }
state() { tdkms status "$1" -k "$KK" 2>/dev/null | sed 's/.*: //'; }

# errors, in the reference's order
expect_rc 1 m -k "$KK" >/dev/null 2>&1
expect_rc 2 m --templatekernel="$KT" -k "$KT" >/dev/null 2>&1
expect_rc 3 m --templatekernel="$KT" -k "$KK" nosuch >/dev/null 2>&1
expect_rc 4 m --templatekernel="$KT" -k "$KK" -k "$KT" >/dev/null 2>&1
out=$(m --templatekernel="$KT" -k "$KK" nosuch 2>&1)
grep -q "The module: nosuch is not located in the DKMS tree." <<<"$out" || fail "message for an unknown module: $out"
out=$(m -k "$KK" 2>&1)
grep -q "Invalid number of parameters passed." <<<"$out" || fail "message without a template kernel: $out"

# nothing installed on the template: nothing to do, exit 0
mkdir -p "$T/lib/modules/6.1.0-93-dkmstest"
m --templatekernel=6.1.0-93-dkmstest -k "$KK" >"$T/out" 2>&1 || fail "empty match failed"
grep -q "There is nothing to be done for this match." "$T/out" || fail "empty match not reported"

# headers of K are needed once there is work
expect_rc 1 tdkms match --no-depmod --kernelsourcedir "$T/nosuch" --templatekernel="$KT" -k "$KK" >/dev/null 2>&1
[ "$(state alpha/1.0)" = built ] || fail "match without headers changed alpha"

# one module by name: only that one
m --templatekernel="$KT" -k "$KK" beta >"$T/out" 2>&1 || { cat "$T/out"; fail "match beta"; }
grep -q "Module:  beta" "$T/out" || fail "no match header for beta"
[ "$(state beta/0.5)" = installed ] || fail "beta not installed on K by match"
[ "$(state alpha/1.0)" = built ] || fail "match beta touched alpha"

# all of them, with --modprobe-on-install: K is not running, so nothing is loaded
m --modprobe-on-install --templatekernel="$KT" -k "$KK" >"$T/out" 2>&1 || { cat "$T/out"; fail "match"; }
grep -q "Matching modules in kernel: $KK ($ARCH)" "$T/out" || fail "match header"
grep -q "to the configuration of kernel: $KT ($ARCH)" "$T/out" || fail "match header (template)"
grep -q "Module alpha/1.0 already built for kernel $KK ($ARCH), skip." "$T/out" || fail "built module not skipped"
grep -q "Module beta/0.5 already installed on kernel $KK ($ARCH), skip." "$T/out" || fail "installed module not skipped"
grep -q "Not loading the modules (--modprobe-on-install): kernel $KK is not the running kernel" "$T/out" ||
    fail "--modprobe-on-install on another kernel not reported as skipped"
[ "$(state alpha/1.0)" = installed ] || fail "alpha/1.0 not installed on K"
[ "$(state alpha/2.0)" = built ] || fail "alpha/2.0 installed on K, only 1.0 is on T"
[ "$(state gamma/3)" = built ] || fail "gamma installed on K, it is not installed on T"
[ "$(state delta/1)" = built ] || fail "delta installed on K"
[ -e "$T/lib/modules/$KK/updates/dkms/alpha.ko" ] || fail "alpha.ko not in K's tree"
grep -qx "alpha.ko of alpha/1.0 for $KK" "$T/lib/modules/$KK/updates/dkms/alpha.ko" || fail "alpha.ko is not K's build"

# install accepts --modprobe-on-install and skips loading for another kernel
tdkms uninstall --no-depmod alpha/1.0 -k "$KK" >/dev/null 2>&1
tdkms install --no-depmod --modprobe-on-install alpha/1.0 -k "$KK" >"$T/out" 2>&1 || fail "install --modprobe-on-install"
grep -q "Not loading the modules (--modprobe-on-install): kernel $KK is not the running kernel" "$T/out" ||
    fail "install --modprobe-on-install on another kernel not reported as skipped"
echo "match installs what the template kernel has"
