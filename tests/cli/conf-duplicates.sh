#!/bin/bash
# Two records of one dkms.conf naming the same module (BUILT_MODULE_NAME
# with its BUILT_MODULE_LOCATION, or DEST_MODULE_NAME), refused as newer
# releases refuse them: add exits 8 with the record named and registers
# nothing; the same name in two locations is two modules.  A version
# registered before keeps its way out: remove still works.
. "$(dirname "$0")/../lib.sh"
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
mkroot "$K61"

fake_source dup 1.0 one two one
rc=0; tdkms add dup/1.0 > "$T/out" 2>&1 || rc=$?
[ "$rc" = 8 ] || { cat "$T/out"; fail "add of dup/1.0 with BUILT_MODULE_NAME 'one' twice exited $rc, expected 8"; }
grep -qx "dkms.conf: Error! Duplicate module 'one' in 'BUILT_MODULE_NAME\[2\]'." "$T/out" ||
    { cat "$T/out"; fail "add of dup/1.0 does not name the duplicate record"; }
grep -q "Bad conf file" "$T/out" || { cat "$T/out"; fail "add of dup/1.0 lacks the reference's Bad conf file line"; }
[ ! -e "$T/dkms/dup" ] || fail "add of dup/1.0 registered it although refused"

# the same built name in two directories is fine unless both keep the name
fake_source loc 1.0 one one
printf '%s\n' 'BUILT_MODULE_LOCATION[0]=a/' 'BUILT_MODULE_LOCATION[1]=b/' >> "$T/src/loc-1.0/dkms.conf"
rc=0; tdkms add loc/1.0 > "$T/out" 2>&1 || rc=$?
[ "$rc" = 8 ] && grep -qx "dkms.conf: Error! Duplicate module 'one' in 'DEST_MODULE_NAME\[1\]'." "$T/out" ||
    { cat "$T/out"; fail "add of loc/1.0 (two modules installed as 'one') exited $rc, expected 8 naming DEST_MODULE_NAME[1]"; }
echo 'DEST_MODULE_NAME[1]=one_b' >> "$T/src/loc-1.0/dkms.conf"
rc=0; tdkms add loc/1.0 > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "add of loc/1.0 (a/one and b/one, installed as one and one_b) exited $rc"; }

# registered before the rule: it can still be removed
fake_added old 1.0 x x
rc=0; tdkms remove old/1.0 --all > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] && [ ! -e "$T/dkms/old/1.0" ] || { cat "$T/out"; fail "remove of old/1.0 (duplicate names) exited $rc"; }
echo PASS
