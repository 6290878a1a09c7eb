#!/bin/bash
# Two dkms runs at once serialise on the tree's lock; a run killed in the
# middle leaves a state that status reports truthfully and a rerun repairs.
. "$(dirname "$0")/../lib.sh"
mkroot 6.1.0-56-amd64
for i in 1 2 3 4 5 6; do fake_source m$i 1.0; done
for i in 1 2 3 4 5 6; do tdkms add m$i/1.0 >/dev/null & done
wait
out=$(tdkms status)
[ "$(grep -c ': added$' <<<"$out")" = 6 ] || fail "concurrent adds: $out"

# hold the lock and check that a second run waits for it
exec 9<"$T/dkms"
flock -x 9
( tdkms remove m1/1.0 --all >/dev/null 2>&1; echo done > "$T/removed" ) &
sleep 1
[ ! -e "$T/removed" ] || fail "remove did not wait for the lock"
flock -u 9
wait
[ -e "$T/removed" ] && [ ! -e "$T/dkms/m1" ] || fail "remove did not run after the lock was released"
echo "concurrency ok"
