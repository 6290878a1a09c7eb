#!/bin/bash
# compiler_launcher=icecc with a real icecream network on one machine: an
# icecc-scheduler and an iceccd, on loopback in a private network and
# mount namespace (their broadcasts reach no other machine, their socket
# lives in a private /run), and a real two-file module built confined for
# the 6.1 headers.  The scheduler's log shows each of the module's files
# scheduled, which the client could only ask for through the network the
# sandbox shares with it; ICECC_LOGFILE, written from the sandbox, shows
# the client asking for a host.
#
# What one machine cannot show: a compile on another daemon.  With one
# iceccd the scheduler has the client compile itself ("building myself",
# in the client's log); forcing the job to the local daemon
# (ICECC_TEST_REMOTEBUILD=1) fails on this machine: the daemon, which
# runs as the user icecc, answers "Empty environment" instead of using
# the compiler environment the client sends, and the client compiles
# locally.  icecc's daemons are one per machine (a fixed socket, a fixed
# port for jobs), so a second one would need a second network namespace
# and its own root for the environments; distcc's test shows remote
# compiles instead.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61"
for p in icecc iceccd icecc-scheduler unshare ip; do
    command -v "$p" >/dev/null || skip "$p is not installed (scripts/setup-deps.sh: icecc)"
done
getent passwd icecc >/dev/null || skip "the user icecc is missing (package icecc)"
mkroot "$K61"
mv=$(put_source "$FIXTURES/twofile-1.0")
logs=$(mktemp -d "${TMPDIR:-/tmp}/dkms-icecc.XXXXXX")
at_exit "rm -rf $(printf %q "$logs")"
chmod 755 "$logs"
chown icecc "$logs"

# Inside the namespaces: loopback up, a private /run, the two daemons, the
# build, the daemons stopped.
cat >"$T/inside.sh" <<'INSIDE'
set -u
logs=$1; shift
ip link set lo up || exit 90
mount -t tmpfs -o mode=0755 tmpfs /run || exit 91
mkdir -p /run/icecc && chown icecc /run/icecc
icecc-scheduler -p 8765 -l "$logs/scheduler.log" -vv &
sched=$!
iceccd -s 127.0.0.1:8765 -l "$logs/iceccd.log" -vv -N dkms-test -m 2 -b "$logs/envs" &
daemon=$!
trap 'kill $daemon $sched 2>/dev/null; wait $daemon $sched 2>/dev/null' EXIT
for i in $(seq 300); do
    grep -q "Connected to scheduler" "$logs/iceccd.log" 2>/dev/null && [ -S /run/icecc/iceccd.socket ] && break
    sleep 0.1
done
grep -q "Connected to scheduler" "$logs/iceccd.log" || exit 92
"$@"
INSIDE
mkdir -p "$logs/envs" && chown icecc "$logs/envs"
# the compiler's environment, made beforehand: the daemon would make it on
# the first compile, slower than the client waits on a loaded machine
(cd "$logs" && icecc --build-native "$(readlink -f "$(command -v gcc-12)")" >"$logs/env.out" 2>&1) ||
    { cat "$logs/env.out"; fail "icecc --build-native gcc-12"; }
env_tar=$(ls "$logs"/*.tar.gz 2>/dev/null | head -n 1)
[ -n "$env_tar" ] || { cat "$logs/env.out"; fail "icecc --build-native made no environment"; }
export compiler_launcher=icecc ICECC_VERSION=$env_tar ICECC_DEBUG=debug ICECC_LOGFILE=$logs/client.log
rc=0
unshare -mn --propagation private bash "$T/inside.sh" "$logs" \
    "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" --no-depmod \
    build "$mv" -k "$K61" >"$T/out" 2>&1 || rc=$?
case $rc in
0) ;;
90|91) skip "no private network and mount namespace here (exit $rc)" ;;
92) cat "$logs"/*.log; fail "iceccd did not connect to the scheduler on 127.0.0.1" ;;
*) cat "$T/out"; fail "build through icecc (exit $rc)" ;;
esac
grep -qF "make CC='$(command -v icecc) gcc-12' " "$T/out" || { cat "$T/out"; fail "make was not given icecc"; }
ls "$T/dkms/twofile/1.0/$K61/$ARCH/module/"twofile.ko* >/dev/null 2>&1 || fail "no module built"
# the scheduler logs the end of each file's path
for f in twofile_main.c twofile_util.c; do
    grep -q "NEW .* client=dkms-test .*/build/$f C" "$logs/scheduler.log" ||
        { cat "$logs/scheduler.log"; grep -v "invok" "$logs/client.log" | tail -n 25
          fail "$f was not scheduled by icecc-scheduler"; }
done
grep -q "asking for host to use" "$logs/client.log" ||
    { tail -n 30 "$logs/client.log"; fail "the client's log (ICECC_LOGFILE) does not show it asking the scheduler"; }
echo "icecc: $(grep -c "NEW .*/build/twofile[a-z_.]*\.c C" "$logs/scheduler.log") compiles of the module scheduled by icecc-scheduler"
