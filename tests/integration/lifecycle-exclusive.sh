#!/bin/bash
# BUILD_EXCLUSIVE_KERNEL="^6\.1\.": builds and installs on 6.1; on 6.12,
# build and install exit 77 and leave nothing behind.  Also: install for a
# kernel whose module directory ($installtree/<kernel>) is missing exits 6
# after building, and succeeds without rebuilding once it exists.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612

# only B has a module directory at first
it_root "$B"
nv=$(put_source "$FIXTURES/exclusive-1.0")
step 0 add "$nv"

step 6 install "$nv" -k "$A"
assert_built exclusive 1.0 "$A" exclusive
assert_gone "$T/dkms/exclusive/kernel-$A-$ARCH"
assert_gone "$T/lib/modules/$A"
assert_status "exclusive/1.0, $A, $ARCH: built"
mkdir -p "$T/lib/modules/$A"
mirror_kernels "$T" "$A"
before=$(stat -c %Y "$T/dkms/exclusive/1.0/$A/$ARCH/log/make.log")
step 0 install -m exclusive -v 1.0 -k "$A"
assert_installed exclusive 1.0 "$A" exclusive
assert_eq "make.log of $A untouched (no rebuild)" \
    "$(stat -c %Y "$T/dkms/exclusive/1.0/$A/$ARCH/log/make.log")" "$before"

# excluded kernel
step 77 build "$nv" -k "$B"
assert_gone "$T/dkms/exclusive/1.0/$B"
step 77 install -m exclusive -v 1.0 -k "$B"
assert_gone "$T/dkms/exclusive/1.0/$B"
assert_not_installed exclusive "$B" exclusive
assert_gone "$T/lib/modules/$B/updates"
assert_status "exclusive/1.0, $A, $ARCH: installed"

step 0 remove "$nv" --all
assert_status ""
assert_no_trace exclusive
