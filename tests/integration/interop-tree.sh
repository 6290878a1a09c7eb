#!/bin/bash
# One state tree, two programs: what the reference wrote, ours reads and
# changes, and the other way round.  Status must read the same through
# both, and neither rebuilds what the other built.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_ref
need_headers "$K61" "$K612"
A=$K61 B=$K612
it_root "$A" "$B"

ours() { tdkms --no-depmod "$@"; }
same_status() {
    local r o
    r=$(tref status "$@" 2>/dev/null) || fail "reference status $* failed"
    o=$(ours status "$@" 2>/dev/null) || fail "our status $* failed"
    assert_eq "status $* (ours against the reference on one tree)" "$o" "$r"
}
mtime() { stat -c %Y "$T/dkms/$1/log/make.log"; }

for f in hello twomod; do put_source "$FIXTURES/$f-1.0" >/dev/null; done

# the reference adds and installs for A; ours reads it
expect_rc 0 tref add hello/1.0 >/dev/null
expect_rc 0 tref install hello/1.0 -k "$A" >/dev/null 2>&1
same_status
assert_status "hello/1.0, $A, $ARCH: installed"
# ours installs for B (builds), the reference reads it
expect_rc 0 ours install hello/1.0 -k "$B" >/dev/null 2>&1
assert_built hello 1.0 "$B" hello
assert_installed hello 1.0 "$B" hello
same_status
same_status -k "$B"
# ours uninstalls what the reference installed, and installs it again
# without rebuilding
t=$(mtime "hello/1.0/$A/$ARCH")
expect_rc 0 ours uninstall hello/1.0 -k "$A" >/dev/null 2>&1
assert_not_installed hello "$A" hello
same_status
expect_rc 0 ours install hello/1.0 -k "$A" >/dev/null 2>&1
assert_installed hello 1.0 "$A" hello
assert_eq "make.log of $A (no rebuild)" "$(mtime "hello/1.0/$A/$ARCH")" "$t"
# the reference uninstalls and unbuilds what ours built
expect_rc 0 tref unbuild hello/1.0 -k "$B" >/dev/null 2>&1
assert_not_installed hello "$B" hello
assert_gone "$T/dkms/hello/1.0/$B"
same_status

# ours adds and builds twomod; the reference installs it without rebuilding
expect_rc 0 ours add twomod/1.0 >/dev/null 2>&1
same_status
expect_rc 0 ours build twomod/1.0 -k "$A" >/dev/null 2>&1
t=$(mtime "twomod/1.0/$A/$ARCH")
expect_rc 0 tref install twomod/1.0 -k "$A" >/dev/null 2>&1
assert_installed twomod 1.0 "$A" twomod_core twomod_extra
assert_eq "make.log of twomod on $A (no rebuild)" "$(mtime "twomod/1.0/$A/$ARCH")" "$t"
same_status
same_status -m twomod

# each removes what the other made
expect_rc 0 ours remove twomod/1.0 --all >/dev/null 2>&1
assert_gone "$T/dkms/twomod"
assert_gone "$T/lib/modules/$A/updates/dkms/twomod_core$(ko_suffix "$A")"
expect_rc 0 tref remove hello/1.0 --all >/dev/null 2>&1
same_status
assert_status ""
assert_no_trace hello
assert_no_trace twomod
