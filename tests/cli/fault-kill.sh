#!/bin/bash
# kill -9 at every step: each command (add, build, install, uninstall,
# unbuild, remove, autoinstall) is killed at every named failure point it
# passes (DKMS_FAULT, see src/util/fault.h).  After each kill, `status`
# tells the truth about what is on disk; running the same command again
# completes it; and nothing is left behind: no staging directory, no
# scratch directory, no pending mark, nothing half-installed.
# The "build" is a script writing two files named like modules.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-96-dkmstest
script_root "$K"
export SRCDIR TMPDIR="$T/tmp" DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"
mkdir -p "$TMPDIR" "$T/pristine"
cat > "$T/pristine/dkms.conf" <<'C'
PACKAGE_NAME=fk
PACKAGE_VERSION=1.0
BUILT_MODULE_NAME[0]=fk_a
DEST_MODULE_LOCATION[0]=/updates
BUILT_MODULE_NAME[1]=fk_b
DEST_MODULE_LOCATION[1]=/updates
MAKE[0]="./build.sh"
CLEAN=true
STRIP[0]=no
AUTOINSTALL=yes
REMAKE_INITRD=yes
C
echo "obj-m := fk_a.o fk_b.o" > "$T/pristine/Makefile"
# the "build": two module files whose vermagic names the kernel
ko_build_script fk_a fk_b > "$T/pristine/build.sh"
chmod +x "$T/pristine/build.sh"
lib=$T/lib/modules/$K/updates/dkms
built=$T/dkms/fk/1.0/$K/$ARCH/module

# the states the commands start from
state_source() { rm -rf "$T/dkms" "$T/src" "$T/lib/modules/$K"; mkdir -p "$T/dkms" "$T/lib/modules/$K";
                 cp -a "$T/pristine" "$T/src/fk-1.0" 2>/dev/null || { mkdir -p "$T/src"; cp -a "$T/pristine" "$T/src/fk-1.0"; }; }
state_added() { state_source; kd add fk/1.0 >/dev/null 2>&1 || fail "setup: add"; }
state_built() { state_added; kd build fk/1.0 -k "$K" >/dev/null 2>&1 || fail "setup: build"; }
state_installed() { state_built; kd install fk/1.0 -k "$K" >/dev/null 2>&1 || fail "setup: install"; }

# truth: every status row agrees with the files
truth() {
    local what=$1 line n placed=0
    line=$(kd status fk 2>&1)
    for n in fk_a fk_b; do cmp -s "$built/$n.ko" "$lib/$n.ko" 2>/dev/null && placed=$((placed + 1)); done
    case $line in
        "") [ ! -e "$T/dkms/fk/1.0/source" ] || fail "$what: status says nothing, but fk/1.0 is registered" ;;
        "fk/1.0: added")
            [ ! -e "$built" ] || fail "$what: status says added, but $built exists" ;;
        "fk/1.0, $K, $ARCH: built")
            [ -f "$built/fk_a.ko" ] && [ -f "$built/fk_b.ko" ] || fail "$what: built, but the modules are not all there"
            [ "$placed" = 0 ] || fail "$what: status says built, but $placed modules are in place" ;;
        "fk/1.0, $K, $ARCH: built (WARNING! Modules in place but not marked installed!)")
            [ "$placed" -gt 0 ] || fail "$what: warns of placed modules that are not there" ;;
        "fk/1.0, $K, $ARCH: installed")
            [ "$placed" = 2 ] || fail "$what: status says installed, but $placed of 2 modules are in place" ;;
        "fk/1.0, $K, $ARCH: installed (WARNING! Installed module missing!)"*)
            [ "$placed" -lt 2 ] || fail "$what: warns of a missing module, but both are in place" ;;
        *) fail "$what: status line not expected: $line" ;;
    esac
}
# clean: nothing left behind by the run that finished the job
clean() {
    local left
    left=$(find "$T/dkms" "$T/src" "$T/lib/modules" -name '.dkms-stage.*'; ls -A "$TMPDIR"; ls -A "$T/dkms/.pending" 2>/dev/null)
    [ -z "$left" ] || fail "$1: left behind: $left"
}

# kills FROM EXPECT CMD...: CMD from state FROM, killed at each of its
# points; status true; the rerun gives status EXPECT and leaves nothing.
kills=0
kills() {
    local from=$1 expect=$2 p points rc; shift 2
    "state_$from"
    points=$(DKMS_FAULT=list kd "$@" 2>&1 >/dev/null | sed -n 's/^fault point: //p' | sort -u)
    [ -n "$points" ] || fail "$*: passes no failure point"
    for p in $points; do
        "state_$from"
        rc=0; DKMS_FAULT=$p kd "$@" >/dev/null 2>&1 || rc=$?
        # autoinstall's builds run in forked jobs: a job killed is a
        # failed module (11); the parent goes on
        [ "$rc" = 137 ] || { [ "$rc" = 11 ] && [ "$1" = autoinstall ]; } ||
            fail "$* killed at $p: exit $rc, expected 137"
        kills=$((kills + 1))
        truth "$* killed at $p"
        done_before=$(kd status fk 2>&1)
        rc=0; kd "$@" >"$T/out" 2>&1 || rc=$?
        # an add or remove killed after its work was done: the rerun says
        # it is done already (exit 3), as the reference's would
        [ "$rc" = 0 ] || { [ "$rc" = 3 ] && [ "$done_before" = "$expect" ]; } ||
            { cat "$T/out"; fail "$* after a kill at $p: rerun exit $rc"; }
        truth "$* rerun after $p"
        [ "$(kd status fk 2>&1)" = "$expect" ] || fail "$* after a kill at $p: status '$(kd status fk)', expected '$expect'"
        clean "$* after a kill at $p"
        kd verify >"$T/out" 2>&1 || { cat "$T/out"; fail "$* after a kill at $p: verify found problems"; }
    done
    echo "$*: killed at $(echo $points | wc -w) points, each repaired by a rerun"
}

kills source "fk/1.0: added" add fk/1.0
kills added "fk/1.0, $K, $ARCH: built" build fk/1.0 -k "$K"
kills built "fk/1.0, $K, $ARCH: installed" install fk/1.0 -k "$K"
kills added "fk/1.0, $K, $ARCH: installed" install fk/1.0 -k "$K"
kills installed "fk/1.0, $K, $ARCH: built" uninstall fk/1.0 -k "$K"
kills installed "fk/1.0: added" unbuild fk/1.0 -k "$K"
kills installed "" remove fk/1.0 --all
kills added "fk/1.0, $K, $ARCH: installed" autoinstall -k "$K"
# depmod and the initramfs are pending work: a kill before the commit
# leaves it for the next command, which does it
state_built
rc=0; DKMS_FAULT=commit:before-depmod tdkms --kernelsourcedir "$T/ksrc" install fk/1.0 -k "$K" >/dev/null 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "install killed before depmod: exit $rc"
[ -e "$T/dkms/.pending/depmod-$K" ] && [ -e "$T/dkms/.pending/initramfs-$K" ] || fail "no pending work recorded"
tdkms --kernelsourcedir "$T/ksrc" status >/dev/null
[ -e "$T/dkms/.pending/depmod-$K" ] || fail "status (no lock) took the pending work"
tdkms --kernelsourcedir "$T/ksrc" build fk/1.0 -k "$K" >"$T/out" 2>&1 || { cat "$T/out"; fail "next command"; }
[ ! -e "$T/dkms/.pending" ] || fail "the next command did not finish the pending work"
[ -f "$T/lib/modules/$K/modules.dep" ] || fail "depmod was not run by the next command"
echo "$kills kills survived: status true after each, a rerun repaired each, nothing left behind, verify clean"
