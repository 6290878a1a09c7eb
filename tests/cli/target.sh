#!/bin/bash
# The kernel target is resolved once, from --kernelsourcedir and --config
# when given: the .config named by --config decides the module
# compression, BUILD_EXCLUSIVE_CONFIG and what dkms.conf sees as
# $kernel_config, and --verbose shows the make command, the compiler and
# the signing decision.  The "build" is a script, so no compiler is needed.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-94-dkmstest
script_root --depmod "$K"
export DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"
# the headers' own .config: no compression, no FOO
printf 'CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14) 12.2.0"\n' > "$T/ksrc/.config"
# the one given with --config: gzip, FOO set
printf 'CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14) 12.2.0"\nCONFIG_MODULE_COMPRESS_GZIP=y\nCONFIG_FOO=m\n' \
    > "$T/other.config"
fake_source cfg 1.0
cat >> "$T/src/cfg-1.0/dkms.conf" <<'C'
MAKE[0]="echo \"built with $kernel_config\" > cfg.ko"
CLEAN="true"
STRIP[0]=no
BUILD_EXCLUSIVE_CONFIG="CONFIG_FOO"
C
expect_rc 0 kd add cfg/1.0

# the headers' .config lacks CONFIG_FOO: excluded
expect_rc 77 kd build cfg/1.0 -k "$K"
# --config has it: built, compressed as that .config says, and the log
# keeps that .config
kd --config "$T/other.config" --verbose build cfg/1.0 -k "$K" >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "build with --config"; }
mod=$T/dkms/cfg/1.0/$K/$ARCH/module
[ -f "$mod/cfg.ko.gz" ] || { ls -la "$mod"; fail "--config's compression not used"; }
[ "$(zcat "$mod/cfg.ko.gz")" = "built with $T/other.config" ] || fail "dkms.conf did not see --config as kernel_config"
cmp -s "$T/other.config" "$T/dkms/cfg/1.0/$K/$ARCH/log/.config" || fail "the log does not keep --config's .config"
kd --config "$T/other.config" status cfg | grep -qx "cfg/1.0, $K, $ARCH: built" || fail "status with --config"

# --verbose: the make command, the compiler, the signing decision
grep -q '^\[verbose\] Running in .*/build: .*echo "built with' "$T/out" || { cat "$T/out"; fail "make command not shown"; }
grep -q "^\[verbose\] Kernel $K was built with gcc-12" "$T/out" || { cat "$T/out"; fail "compiler not shown"; }
grep -q "^\[verbose\] Not signing for kernel $K: /nonexistent is not an executable file" "$T/out" ||
    { cat "$T/out"; fail "signing decision not shown"; }
# and without --verbose, none of it
kd --config "$T/other.config" --force build cfg/1.0 -k "$K" >"$T/out" 2>&1 || fail "rebuild"
! grep -q '^\[verbose\]' "$T/out" || fail "verbose lines without --verbose"
echo "--config and --kernelsourcedir honoured; --verbose explains"
