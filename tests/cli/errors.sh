#!/bin/bash
# Bad command lines and bad input: the reference's exit codes, a clear
# message, and nothing changed.
. "$(dirname "$0")/../lib.sh"
mkroot 6.1.0-56-amd64

snapshot() { (cd "$T" && find . -printf '%p %y %l\n' | sort); }
before=$(snapshot)

expect_rc 2 tdkms status --bogus-option
expect_rc 0 tdkms --version
tdkms --version | grep -qx 'dkms-3.0.10' || fail "--version"
expect_rc 0 tdkms --help
expect_rc 2 tdkms build -k 6.1.0-56-amd64 --all
expect_rc 3 tdkms build -a x86_64 --all
expect_rc 4 tdkms build install
expect_rc 8 tdkms mktarball --binaries-only --source-only
expect_rc 1 tdkms remove
expect_rc 3 tdkms remove nosuch/1.0 --all
expect_rc 3 tdkms uninstall nosuch/1.0 -k 6.1.0-56-amd64
expect_rc 2 tdkms add nosuch/1.0
expect_rc 5 tdkms add nosuch/1.0 --all
expect_rc 1 tdkms add ../../etc/1.0
expect_rc 1 tdkms add foo/..
expect_rc 1 tdkms add foo/1.0/../../x
[ "$(snapshot)" = "$before" ] || fail "a refused command changed the tree"

# a malformed dkms.conf: exit 8, nothing registered
mkdir -p "$T/src/bad-1.0"
printf 'PACKAGE_NAME=bad\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=bad.ko\nDEST_MODULE_LOCATION[0]=/usr\n' > "$T/src/bad-1.0/dkms.conf"
out=$(tdkms add bad/1.0 2>&1); rc=$?
[ $rc = 8 ] || fail "malformed dkms.conf: exit $rc, want 8"
grep -q "BUILT_MODULE_NAME" <<<"$out" || fail "malformed dkms.conf: message does not say what is wrong: $out"
[ ! -e "$T/dkms/bad" ] || fail "malformed dkms.conf left state behind"
# a dkms.conf that fails in bash
printf 'PACKAGE_NAME=(\n' > "$T/src/bad-1.0/dkms.conf"
expect_rc 8 tdkms add bad/1.0
# a source path whose dkms.conf names a hostile version
mkdir -p "$T/hostile"
printf 'PACKAGE_NAME=evil\nPACKAGE_VERSION=../../../tmp/x\nBUILT_MODULE_NAME[0]=e\nDEST_MODULE_LOCATION[0]=/extra\n' > "$T/hostile/dkms.conf"
expect_rc 10 tdkms add "$T/hostile"
[ ! -e "$T/dkms/evil" ] || fail "hostile version registered"
# a dkms.conf with DOS line ends: exit 10, said so, nothing registered or
# copied (the reference registers names that end in a carriage return)
mkdir -p "$T/crlf"
printf 'PACKAGE_NAME=crlf\r\nPACKAGE_VERSION=1.0\r\nBUILT_MODULE_NAME[0]=crlf\r\nDEST_MODULE_LOCATION[0]=/extra\r\n' \
    > "$T/crlf/dkms.conf"
out=$(tdkms add "$T/crlf" 2>&1); rc=$?
[ $rc = 10 ] || fail "CRLF dkms.conf: exit $rc, want 10"
grep -q "DOS (CRLF) line ends" <<<"$out" || fail "CRLF dkms.conf: not said: $out"
[ -z "$(ls "$T/dkms" "$T/src" | grep crlf)" ] || fail "CRLF dkms.conf left state behind"

# add twice: 3
fake_source good 1.0
expect_rc 0 tdkms add good/1.0
expect_rc 3 tdkms add good/1.0
[ "$(readlink "$T/dkms/good/1.0/source")" = "$T/src/good-1.0" ] || fail "source link"
# install onto a kernel without a module directory: 6 (after building
# is attempted; no headers for this kernel: 1)
expect_rc 1 tdkms build good/1.0 -k 9.9.9-nosuch
expect_rc 0 tdkms remove good/1.0 --all
[ ! -e "$T/dkms/good" ] || fail "remove --all left $T/dkms/good"
echo "errors ok"
