#!/bin/bash
# A driver written for kernels before 6.4 (two-argument class_create):
# builds and installs on 6.1, fails to build on 6.12 with exit 10, and the
# 6.1 installation is untouched by the failure.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612

it_root "$A" "$B"
nv=$(put_source "$FIXTURES/api612-1.0")
step 0 add -m api612 -v 1.0
step 0 install "$nv" -k "$A"
assert_built api612 1.0 "$A" api612
assert_installed api612 1.0 "$A" api612

step 10 install "$nv" -k "$B"
assert_gone "$T/dkms/api612/1.0/$B"
assert_not_installed api612 "$B" api612
assert_gone "$T/lib/modules/$B/updates"
assert_installed api612 1.0 "$A" api612
assert_status "api612/1.0, $A, $ARCH: installed"
step 10 build -m api612 -v 1.0 -k "$B"
assert_status "api612/1.0, $A, $ARCH: installed"

step 0 remove "$nv" --all
assert_no_trace api612
