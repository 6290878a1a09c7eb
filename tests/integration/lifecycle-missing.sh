#!/bin/bash
# make succeeds but one module declared in dkms.conf (BUILT_MODULE_NAME[1])
# is never produced: build and install exit 7 and nothing is kept or
# installed, not even the module that was produced.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612

it_root "$A" "$B"
nv=$(put_source "$FIXTURES/missing-1.0")
step 0 add "$nv"
step 7 build "$nv" -k "$A"
assert_gone "$T/dkms/missing/1.0/$A"
assert_status "missing/1.0: added"
step 7 install -m missing -v 1.0 -k "$B"
assert_gone "$T/dkms/missing/1.0/$B"
assert_gone "$T/lib/modules/$B/updates"
assert_status "missing/1.0: added"
step 0 remove "$nv" --all
assert_no_trace missing
