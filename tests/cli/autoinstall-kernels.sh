#!/bin/bash
# autoinstall for two kernels at once (-k A -k B): one module version
# builds for both side by side (the builds' time windows overlap), each in
# its own build directory although MAKE names <dkms_tree>/m/v/build
# (buildns.h); each kernel gets its own module (vermagic); BUILD_DEPENDS
# hold per kernel; build/ is gone after good builds as with one kernel,
# and after a failed one build/make.log is where the summary says.  Run
# confined (bwrap) when it works here, and unconfined.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "installing needs root"
command -v ld > /dev/null && command -v objcopy > /dev/null || skip "no binutils"
K1=6.1.0-96-dkmstest
K2=6.12.0-97-dkmstest
script_root "$K1" "$K2"

# timed_source NAME [fail]: a module whose build prints "start TIME" and
# "end TIME" (into make.log), sleeps between, and makes NAME.ko for the
# kernel `uname -r` names; "fail" makes it fail after printing an error.
timed_source() {
    {
        ko_build_script
        echo 'echo "start $(date +%s.%N) $(uname -r)"'
        echo 'sleep 1'
        echo 'echo "end $(date +%s.%N)"'
        [ "${2:-}" = fail ] && echo 'echo "error: $(uname -r) is not supported"; exit 2'
        echo "make_ko $1.ko \"\$(uname -r)\" $1 || exit 1"
    } | script_source "$1" 1.0
    echo AUTOINSTALL=yes >> "$T/src/$1-1.0/dkms.conf"
}

# window NAME K: "start end" of NAME's build for kernel K, from its log
window() {
    awk '/^start /{ s = $2 } /^end /{ e = $2 } END { print s, e }' "$T/dkms/$1/1.0/$2/$ARCH/log/make.log"
}

overlap() {
    local s1 e1 s2 e2
    read -r s1 e1 <<<"$(window "$1" "$K1")"
    read -r s2 e2 <<<"$(window "$1" "$K2")"
    [ -n "$s1" ] && [ -n "$s2" ] || fail "$1: no times in the make.logs"
    awk -v s1="$s1" -v e1="$e1" -v s2="$s2" -v e2="$e2" 'BEGIN { exit !(s1 < e2 && s2 < e1) }'
}

run() {
    local mode=$1
    rm -rf "$T/dkms"/* "$T/src"/* "$T/lib/modules/$K1"/* "$T/lib/modules/$K2"/*
    timed_source m
    timed_source dep
    echo 'BUILD_DEPENDS=(m)' >> "$T/src/dep-1.0/dkms.conf"
    timed_source bad fail
    for n in m dep bad; do expect_rc 0 kd add "$n/1.0" > /dev/null; done
    rc=0; parallel_jobs=4 build_sandbox=$mode kd autoinstall -k "$K1" -k "$K2" > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 11 ] || { cat "$T/out"; fail "$mode: autoinstall with a failing module exited $rc, expected 11"; }
    for k in "$K1" "$K2"; do
        grep -qx "Autoinstall on kernel $k ($ARCH):" "$T/out" || { cat "$T/out"; fail "$mode: no summary for $k"; }
        for n in m dep; do
            f=$T/lib/modules/$k/updates/dkms/$n.ko
            [ -f "$f" ] || { cat "$T/out"; fail "$mode: $n.ko not installed for $k"; }
            vm=$(modinfo -F vermagic "$f" | cut -d' ' -f1)
            [ "$vm" = "$k" ] || fail "$mode: $n.ko for $k has vermagic $vm"
        done
        # BUILD_DEPENDS on each kernel: dep built after m was installed
        read -r _ m_end <<<"$(window m "$k")"
        read -r dep_start _ <<<"$(window dep "$k")"
        awk -v a="$m_end" -v b="$dep_start" 'BEGIN { exit !(a < b) }' ||
            fail "$mode: dep for $k started ($dep_start) before m ended ($m_end)"
    done
    overlap m || fail "$mode: m/1.0 for $K1 and $K2 did not build at the same time: $(window m "$K1") / $(window m "$K2")"
    # the summaries come in the order of the kernels, each after its jobs
    s1=$(grep -n "^Autoinstall on kernel $K1 " "$T/out" | cut -d: -f1)
    s2=$(grep -n "^Autoinstall on kernel $K2 " "$T/out" | cut -d: -f1)
    j2=$(grep -n "^---- m/1.0 on kernel $K2 " "$T/out" | cut -d: -f1)
    [ "$s1" -lt "$j2" ] && [ "$j2" -lt "$s2" ] || { cat "$T/out"; fail "$mode: output not kernel after kernel"; }
    [ ! -e "$T/dkms/m/1.0/build" ] || fail "$mode: m/1.0/build left after good builds"
    log=$T/dkms/bad/1.0/build/make.log
    [ -f "$log" ] || { cat "$T/out"; fail "$mode: $log missing after a failed build"; }
    grep -q "is not supported" "$log" || fail "$mode: $log is not the failed build's log"
    # each kernel's summary names that kernel's log and error
    for k in "$K1" "$K2"; do
        l=$(sed -n "/^Autoinstall on kernel $k /,/^Error/s/^  bad\/1.0: failed (exit 10): error: $k is not supported, log: //p" "$T/out")
        [ -n "$l" ] && [ -f "$l" ] || { cat "$T/out"; fail "$mode: the summary for $k names no log of its failed build"; }
        grep -q "error: $k is not supported" "$l" || fail "$mode: $l is not the log of bad/1.0 for $k"
    done
    # nothing left mounted or in the temporary directory
    ! grep -q "$T" /proc/self/mountinfo || fail "$mode: a build directory is still mounted"
}

run no
if command -v bwrap > /dev/null && bwrap --ro-bind / / true 2> /dev/null; then
    run yes
fi

# killed while both kernels build: by SIGTERM (dkms passes it on and
# cleans up) and by SIGKILL of the whole group; nothing stays mounted, and
# a rerun sweeps the private directories and installs both.
killed() {
    local sig=$1 pid i
    rm -rf "$T/dkms"/* "$T/src"/* "$T/lib/modules/$K1"/* "$T/lib/modules/$K2"/* "$TMPDIR"/*
    timed_source m
    expect_rc 0 kd add m/1.0 > /dev/null
    parallel_jobs=2 build_sandbox=no setsid "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" \
        --installtree "$T/lib/modules" --kernelsourcedir "$T/ksrc" --no-depmod \
        autoinstall -k "$K1" -k "$K2" > "$T/out" 2>&1 &
    pid=$!
    for i in $(seq 100); do
        [ "$(find "$TMPDIR" -maxdepth 1 -name 'dkms-build.*' | wc -l)" = 2 ] && break
        sleep 0.05
    done
    [ "$i" != 100 ] || { cat "$T/out"; fail "SIG$sig: the two builds did not start"; }
    sleep 0.3
    if [ "$sig" = KILL ]; then kill -KILL -- "-$pid"; else kill -TERM "$pid"; fi
    wait "$pid" 2> /dev/null || true
    for i in $(seq 50); do pgrep -s "$pid" > /dev/null || break; sleep 0.1; done
    ! grep -q "$T" /proc/self/mountinfo || fail "SIG$sig: a build directory is still mounted"
    if [ "$sig" = TERM ]; then
        [ -z "$(ls -A "$TMPDIR")" ] || fail "SIG$sig: left in $TMPDIR: $(ls -A "$TMPDIR")"
    fi
    rc=0; parallel_jobs=2 build_sandbox=no kd autoinstall -k "$K1" -k "$K2" > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat "$T/out"; fail "SIG$sig: the rerun exited $rc"; }
    for k in "$K1" "$K2"; do
        [ -f "$T/lib/modules/$k/updates/dkms/m.ko" ] || fail "SIG$sig: m.ko not installed for $k by the rerun"
    done
    [ -z "$(ls -A "$TMPDIR")" ] || fail "SIG$sig: left in $TMPDIR after the rerun: $(ls -A "$TMPDIR")"
}
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
killed TERM
killed KILL
echo PASS
