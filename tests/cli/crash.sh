#!/bin/bash
# dkms killed in the middle of a build or an install: status reports what
# is really there, nothing half-made looks built or installed, and running
# the same command again finishes the job.  The "build" is a script that
# makes a file named like a module, so no compiler is needed.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-56-amd64
script_root --depmod "$K"
script_source slow 1.0 <<'S'
#!/bin/sh
# waits while the test's "hold" file exists, then "builds"
while [ -e "$HOLD" ]; do sleep 0.1; done
echo "not really a module" > slow.ko
S
cat > "$T/src/slow-1.0/pre_install.sh" <<'S'
#!/bin/sh
while [ -e "$HOLD" ]; do sleep 0.1; done
S
chmod +x "$T/src/slow-1.0/pre_install.sh"
echo 'PRE_INSTALL="pre_install.sh"' >> "$T/src/slow-1.0/dkms.conf"
# in the source tree: the build, confined, sees it (read-only)
export HOLD=$T/src/hold
expect_rc 0 kd add slow/1.0

# running_here SCRIPT: this test's SCRIPT runs (another test may be running
# a build.sh too).  Not by session: a confined build runs in a session of
# its own (bwrap --new-session); by the HOLD it was given.
running_here() {
    local p
    for p in $(pgrep -f "$1"); do
        tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qxF "HOLD=$HOLD" && return 0
    done
    return 1
}

# kill9_during SCRIPT ARGS...: start `dkms ARGS` in a session of its own,
# wait until it runs SCRIPT (which waits while $HOLD exists), then kill -9
# the whole session, as a power cut would
kill9_during() {
    local script=$1 pid; shift
    touch "$HOLD"
    setsid bash -c 'exec "$0" "$@"' "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        --kernelsourcedir "$T/ksrc" "$@" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do running_here "$script" && break; sleep 0.1; done
    running_here "$script" || fail "dkms $* never ran $script"
    kill -9 -- -"$pid"; wait "$pid" 2>/dev/null
    rm -f "$HOLD"
}

# kill -9 while make runs
kill9_during build.sh build slow/1.0 -k "$K"
[ "$(kd status)" = "slow/1.0: added" ] || fail "after a killed build status says: $(kd status)"
[ ! -e "$T/dkms/slow/1.0/$K/$ARCH" ] || fail "a killed build left $K/$ARCH behind"
expect_rc 0 kd build slow/1.0 -k "$K"
[ "$(kd status)" = "slow/1.0, $K, $ARCH: built" ] || fail "rerun build: $(kd status)"

# kill -9 while installing (in PRE_INSTALL, before anything is placed)
kill9_during pre_install.sh --no-depmod install slow/1.0 -k "$K"
[ "$(kd status)" = "slow/1.0, $K, $ARCH: built" ] || fail "after a killed install status says: $(kd status)"
expect_rc 0 kd --no-depmod install slow/1.0 -k "$K"
[ "$(kd status)" = "slow/1.0, $K, $ARCH: installed" ] || fail "rerun install: $(kd status)"
[ -f "$T/lib/modules/$K/updates/dkms/slow.ko" ] || fail "module not installed"
left=$(find "$T/lib/modules" "$T/dkms" -name '.dkms-stage.*')
[ -z "$left" ] || fail "temporary files left in the trees: $left"

# the lock died with the killed process: nothing waits
expect_rc 0 timeout 20 "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --no-depmod remove slow/1.0 --all
[ ! -e "$T/dkms/slow" ] || fail "remove left state behind"
[ ! -e "$T/lib/modules/$K/updates/dkms/slow.ko" ] || fail "remove left the module installed"
echo "crash ok"
