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

# many changing commands at once on one tree: builds, installs, uninstalls
# and removes of six modules interleave; each waits for the lock, none
# corrupts another's work, and the result is what the last commands asked
K=6.1.0-56-amd64
export TMPDIR="$T/tmp" DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot" sign_file=/nonexistent SRCDIR
mkdir -p "$TMPDIR" "$T/ksrc/include"
for i in 2 3 4 5 6 7; do
    ko_build_script c$i | script_source c$i 1.0
    tdkms add c$i/1.0 >/dev/null || fail "add c$i"
done
runs=0
for round in 1 2 3; do
    for i in 2 3 4 5 6 7; do
        ( kd() { tdkms --kernelsourcedir "$T/ksrc" --no-depmod "$@" >/dev/null 2>&1; }
          kd build c$i/1.0 -k "$K"; kd install c$i/1.0 -k "$K"; kd uninstall c$i/1.0 -k "$K"
          kd remove c$i/1.0 -k "$K"; kd add c$i/1.0; kd install c$i/1.0 -k "$K" ) &
        runs=$((runs + 6))
    done
    wait
done
for i in 2 3 4 5 6 7; do
    [ "$(tdkms status c$i)" = "c$i/1.0, $K, $ARCH: installed" ] || fail "c$i after the concurrent runs: $(tdkms status c$i)"
done
tdkms verify >"$T/out" 2>&1 || { cat "$T/out"; fail "verify found problems after $runs concurrent runs"; }
echo "$runs changing commands run concurrently: every module as asked, verify clean"
