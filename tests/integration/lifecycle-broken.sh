#!/bin/bash
# A driver that compiles on no kernel: build and install exit 10, the
# module stays "added", nothing is installed, and remove clears it.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612

it_root "$A" "$B"
nv=$(put_source "$FIXTURES/broken-1.0")
step 0 add "$nv"
step 10 build "$nv" -k "$A"
assert_gone "$T/dkms/broken/1.0/$A"
assert_status "broken/1.0: added"
step 10 install -m broken -v 1.0 -k "$B"
assert_gone "$T/dkms/broken/1.0/$B"
assert_gone "$T/dkms/broken/kernel-$B-$ARCH"
assert_gone "$T/lib/modules/$B/updates"
assert_status "broken/1.0: added"
step 0 remove "$nv" --all
assert_status ""
assert_no_trace broken
