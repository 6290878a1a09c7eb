#!/bin/bash
# Lifecycle of a driver that needs its patches: PATCH[0] on every kernel
# (without it the source does not compile), PATCH[1] only where PATCH_MATCH
# matches the kernel (6.12), which the module records in its modinfo.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"

check_patches() {
    local d=$T/lib/modules
    assert_eq "patched_for on $K61" \
        "$(modinfo -F patched_for "$d/$K61/updates/dkms/patched$(ko_suffix "$K61")")" any
    assert_eq "patched_for on $K612" \
        "$(modinfo -F patched_for "$d/$K612/updates/dkms/patched$(ko_suffix "$K612")")" 6.12
    # patches are applied to the build copy, never to the source
    grep -q 'patched_answer(void)' "$T/src/$1-$2/patched.c" && fail "source tree was patched"
    grep -q '"any"' "$T/src/$1-$2/patched.h" || fail "source tree was patched"
}
LIFECYCLE_CHECK=check_patches
lifecycle patched-1.0 basic patched
