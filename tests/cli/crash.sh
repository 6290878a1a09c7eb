#!/bin/bash
# dkms killed in the middle of a build or an install: status reports what
# is really there, nothing half-made looks built or installed, and running
# the same command again finishes the job.  The "build" is a script that
# makes a file named like a module, so no compiler is needed.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-56-amd64
mkroot "$K"
mkdir -p "$T/ksrc/include" "$T/src/slow-1.0"
cat > "$T/src/slow-1.0/build.sh" <<'S'
#!/bin/sh
# waits while the test's "hold" file exists, then "builds"
while [ -e "$HOLD" ]; do sleep 0.1; done
echo "not really a module" > slow.ko
S
chmod +x "$T/src/slow-1.0/build.sh"
cat > "$T/src/slow-1.0/pre_install.sh" <<'S'
#!/bin/sh
while [ -e "$HOLD" ]; do sleep 0.1; done
S
chmod +x "$T/src/slow-1.0/pre_install.sh"
cat > "$T/src/slow-1.0/dkms.conf" <<'S'
PACKAGE_NAME=slow
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=slow
DEST_MODULE_LOCATION[0]=/extra
MAKE[0]="./build.sh"
CLEAN="true"
STRIP[0]=no
PRE_INSTALL="pre_install.sh"
S
export HOLD=$T/hold
export sign_file=/nonexistent   # no signing for a file that is not a module
kd() { tdkms --kernelsourcedir "$T/ksrc" "$@"; }
expect_rc 0 kd add slow/1.0

# kill -9 while make runs
touch "$HOLD"
setsid bash -c 'exec "$0" "$@"' "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --kernelsourcedir "$T/ksrc" build slow/1.0 -k "$K" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do pgrep -f build.sh >/dev/null && break; sleep 0.1; done
pgrep -f build.sh >/dev/null || fail "the build never started"
kill -9 -- -"$pid"; wait "$pid" 2>/dev/null
rm -f "$HOLD"
[ "$(kd status)" = "slow/1.0: added" ] || fail "after a killed build status says: $(kd status)"
[ ! -e "$T/dkms/slow/1.0/$K/$ARCH" ] || fail "a killed build left $K/$ARCH behind"
expect_rc 0 kd build slow/1.0 -k "$K"
[ "$(kd status)" = "slow/1.0, $K, $ARCH: built" ] || fail "rerun build: $(kd status)"

# kill -9 while installing (in PRE_INSTALL, before anything is placed)
touch "$HOLD"
setsid bash -c 'exec "$0" "$@"' "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --kernelsourcedir "$T/ksrc" --no-depmod install slow/1.0 -k "$K" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do pgrep -f pre_install.sh >/dev/null && break; sleep 0.1; done
pgrep -f pre_install.sh >/dev/null || fail "the install never reached PRE_INSTALL"
kill -9 -- -"$pid"; wait "$pid" 2>/dev/null
rm -f "$HOLD"
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
