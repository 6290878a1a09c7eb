#!/bin/bash
# verify: a clean tree reports nothing and exits 0; each problem planted
# alone is reported on one line with its kind and exit code 12; --repair
# fixes what needs no rebuild (then verify exits 0) and leaves the rest
# reported; --json is valid JSON with the documented fields.  Modules are
# fabricated already built, as ELF objects with a .modinfo section that
# names their kernel (ld and objcopy, no compiler), and installed with the
# real install.
. "$(dirname "$0")/../lib.sh" || exit 1
[ "$(id -u)" = 0 ] || skip "install and verify --repair need root"
command -v ld >/dev/null && command -v objcopy >/dev/null || skip "no ld/objcopy to make module files"
K=6.1.0-94-dkmstest
KX=6.1.0-95-dkmstest   # compresses its modules with xz (its modules.dep says so)
mkroot "$K" "$KX"
printf 'kernel/drivers/foo.ko.xz:\n' > "$T/lib/modules/$KX/modules.dep"
export DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"

mkko() { make_ko "$@"; }
# mkmod NAME VERSION KERNEL MODULE...: registered (fake_added), and built
# for KERNEL as modules whose vermagic names it (.ko.xz on $KX)
mkmod() {
    local n=$1 v=$2 k=$3 sfx="" m; shift 3
    [ "$k" = "$KX" ] && sfx=.xz
    fake_added "$n" "$v" "$@"
    mkdir -p "$T/dkms/$n/$v/$k/$ARCH/module" "$T/dkms/$n/$v/$k/$ARCH/log"
    for m in "$@"; do mkko "$T/dkms/$n/$v/$k/$ARCH/module/$m.ko$sfx" "$k" "$m"; done
}
# the kernels' own modules, as a real kernel has
mkdir -p "$T/lib/modules/$K/kernel/drivers" "$T/lib/modules/$KX/kernel/drivers"
mkko "$T/lib/modules/$K/kernel/drivers/foo.ko" "$K" foo
mkko "$T/lib/modules/$KX/kernel/drivers/foo.ko.xz" "$KX" foo
v() { tdkms verify "$@"; }
# verify_reports KIND ARGS...: verify exits 12 and prints a KIND line
verify_reports() {
    local kind=$1 rc=0; shift
    v "$@" >"$T/out" 2>&1 || rc=$?
    [ "$rc" = 12 ] || { cat "$T/out"; fail "verify with $kind planted: exit $rc, expected 12"; }
    grep -q "^$kind: " "$T/out" || { cat "$T/out"; fail "verify does not report $kind"; }
}
# repairs KIND: verify --repair fixes it (exit 0, the line says so), and
# a second verify finds nothing
repairs() {
    local rc=0
    v --repair >"$T/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat "$T/out"; fail "verify --repair of $1: exit $rc, expected 0"; }
    grep -q "^$1: .* \[repaired\]$" "$T/out" || { cat "$T/out"; fail "--repair does not say $1 was repaired"; }
    clean "after repairing $1"
}
clean() {
    local rc=0
    v >"$T/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] && [ ! -s "$T/out" ] || { cat "$T/out"; fail "verify $1: exit $rc, expected 0 and no output"; }
}

mkmod hello 1.0 "$K" hello world
mkmod hello 1.0 "$KX" hello world
expect_rc 0 tdkms --no-depmod install hello/1.0 -k "$K" >/dev/null
expect_rc 0 tdkms --no-depmod install hello/1.0 -k "$KX" >/dev/null
lib=$T/lib/modules/$K/updates/dkms libx=$T/lib/modules/$KX/updates/dkms
built=$T/dkms/hello/1.0/$K/$ARCH/module
[ -f "$libx/hello.ko.xz" ] || fail "the xz kernel did not get hello.ko.xz"
[ "$(modinfo -F vermagic "$lib/hello.ko" | cut -d' ' -f1)" = "$K" ] || fail "the fabricated module has no vermagic"

# a clean tree: nothing reported, exit 0; JSON with no problems
clean "on a clean tree"
v --json > "$T/json" || fail "verify --json on a clean tree failed"
python3 -m json.tool "$T/json" >/dev/null || fail "verify --json is not JSON: $(cat "$T/json")"
[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["repair"], d["problems"])' "$T/json")" = \
  "False []" ] || fail "JSON of a clean tree: $(cat "$T/json")"

# an installed module deleted
rm "$lib/world.ko"
verify_reports installed-module-missing
grep -qx "installed-module-missing: hello/1.0, $K, $ARCH: $lib/world.ko: .*; repair: reinstall it from $built/world.ko" \
    "$T/out" || { cat "$T/out"; fail "the line of a missing module"; }
repairs installed-module-missing
cmp -s "$lib/world.ko" "$built/world.ko" || fail "the reinstalled module is not the built one"
[ ! -e "$T/dkms/.pending" ] || fail "the depmod of the repair is still pending"

# an installed module altered, plain and compressed
echo "garbage" >> "$lib/hello.ko"
cp "$libx/world.ko.xz" "$libx/hello.ko.xz"
verify_reports installed-module-differs
[ "$(grep -c '^installed-module-differs: ' "$T/out")" = 2 ] || { cat "$T/out"; fail "two altered modules"; }
grep -q "^installed-module-differs: hello/1.0, $KX, $ARCH: $libx/hello.ko.xz: " "$T/out" ||
    { cat "$T/out"; fail "the altered compressed module"; }
repairs installed-module-differs
cmp -s "$libx/hello.ko.xz" "$T/dkms/hello/1.0/$KX/$ARCH/module/hello.ko.xz" || fail "hello.ko.xz not repaired"

# staging directories of killed runs, here and there
mkdir -p "$T/lib/modules/$K/.dkms-stage.AbC123" "$T/dkms/hello/.dkms-stage.XyZ789" "$T/dkms/.dkms-stage.q1"
touch "$T/lib/modules/$K/.dkms-stage.AbC123/0.staged"
verify_reports stale-staging
[ "$(grep -c '^stale-staging: ' "$T/out")" = 3 ] || { cat "$T/out"; fail "three staging directories"; }
grep -q "^stale-staging: $K: $T/lib/modules/$K/.dkms-stage.AbC123: " "$T/out" || { cat "$T/out"; fail "line of install-tree staging"; }
repairs stale-staging
! find "$T" -name '.dkms-stage.*' | grep -q . || fail "staging left after --repair"

# what older versions left: temporary files and build staging
touch "$lib/.hello.ko.dkms-tmp" "$T/dkms/hello/kernel-$K-$ARCH.dkms-tmp.123"
mkdir -p "$T/dkms/hello/1.0/$K/.$ARCH.dkms-staging/module"
verify_reports old-leftover
[ "$(grep -c '^old-leftover: ' "$T/out")" = 3 ] || { cat "$T/out"; fail "three leftovers of older versions"; }
repairs old-leftover

# a kernel link to a missing directory
mkdir -p "$T/dkms/gone"
ln -s "9.9/$K/$ARCH" "$T/dkms/gone/kernel-$K-$ARCH"
verify_reports dangling-kernel-link
grep -q "^dangling-kernel-link: gone/9.9, $K, $ARCH: $T/dkms/gone/kernel-$K-$ARCH: " "$T/out" ||
    { cat "$T/out"; fail "the line of a dangling kernel link"; }
repairs dangling-kernel-link
[ ! -L "$T/dkms/gone/kernel-$K-$ARCH" ] || fail "the dangling link is still there"
rmdir "$T/dkms/gone"

# a kernel directory that holds no build (a killed build's)
mkdir -p "$T/dkms/hello/1.0/6.1.0-99-dkmstest"
verify_reports empty-kernel-dir
repairs empty-kernel-dir
[ ! -e "$T/dkms/hello/1.0/6.1.0-99-dkmstest" ] || fail "the empty kernel directory is still there"

# depmod left pending by a killed run: --repair runs it
mkdir -p "$T/dkms/.pending" && touch "$T/dkms/.pending/depmod-$K"
verify_reports pending-work
grep -q "^pending-work: $K: $T/dkms/.pending/depmod-$K: .*; repair: run depmod for kernel $K$" "$T/out" ||
    { cat "$T/out"; fail "the line of pending depmod"; }
rm -f "$T/lib/modules/$K/modules.dep"
repairs pending-work
grep -q "updates/dkms/hello.ko:" "$T/lib/modules/$K/modules.dep" || fail "depmod did not run for $K"
# with --no-depmod the work stays pending: not repaired
mkdir -p "$T/dkms/.pending" && touch "$T/dkms/.pending/depmod-$K"
expect_rc 12 v --repair --no-depmod >"$T/out" 2>&1
grep -q "^pending-work: .* \[not repaired\]$" "$T/out" || { cat "$T/out"; fail "pending depmod under --no-depmod"; }
expect_rc 0 v --repair >/dev/null 2>&1

# needs a rebuild: reported, not repaired
mv "$built/world.ko" "$T/world.ko"
verify_reports built-module-missing
grep -q "^built-module-missing: .*; repair: none: rebuild and reinstall it (dkms install --force hello/1.0 -k $K/$ARCH)$" \
    "$T/out" || { cat "$T/out"; fail "the advice for a missing built module"; }
expect_rc 12 v --repair >"$T/out" 2>&1
grep -q "^built-module-missing: .* \[not repaired\]$" "$T/out" || { cat "$T/out"; fail "--repair of a missing build"; }
grep -qx "1 problem found, 0 repaired." "$T/out" || { cat "$T/out"; fail "the count after --repair"; }
mv "$T/world.ko" "$built/world.ko"
clean "with the built module back"

# vermagic: a module built for another kernel, plain and compressed; a
# file that is no module
mkmod magic 1.0 "$K" magic
mkmod magic 1.0 "$KX" magic
mkko "$T/dkms/magic/1.0/$K/$ARCH/module/magic.ko" 6.1.0-1-other magic
mkko "$T/dkms/magic/1.0/$KX/$ARCH/module/magic.ko.xz" 6.1.0-1-other magic
mkmod junk 1.0 "$K" junk
echo "not a module" > "$T/dkms/junk/1.0/$K/$ARCH/module/junk.ko"
for m in magic junk; do expect_rc 0 tdkms --no-depmod install $m/1.0 -k "$K" >/dev/null; done
expect_rc 0 tdkms --no-depmod install magic/1.0 -k "$KX" >/dev/null
verify_reports vermagic-mismatch
grep -q "^vermagic-mismatch: magic/1.0, $K, $ARCH: .*: the built module is for kernel 6.1.0-1-other, not $K;" "$T/out" ||
    { cat "$T/out"; fail "the vermagic line"; }
grep -q "^vermagic-mismatch: magic/1.0, $KX, $ARCH: .*magic.ko.xz: " "$T/out" || { cat "$T/out"; fail "the vermagic of an xz module"; }
grep -q "^module-unreadable: junk/1.0, $K, $ARCH: " "$T/out" || { cat "$T/out"; fail "a file that is no module"; }
# the module filter: only magic
expect_rc 12 v -m magic >"$T/out" 2>&1
! grep -q junk "$T/out" || fail "-m magic reports junk"
# the kernel filter: the xz kernel has only magic's problem
expect_rc 12 v -k "$KX" >"$T/out" 2>&1
[ "$(grep -c '^[a-z-]*: ' "$T/out")" = 1 ] && grep -q "^vermagic-mismatch: magic/1.0, $KX" "$T/out" ||
    { cat "$T/out"; fail "-k $KX"; }
# an installed copy of a module of the wrong kernel is not reinstalled
rm "$T/lib/modules/$K/updates/dkms/magic.ko"
expect_rc 12 v --repair >"$T/out" 2>&1
grep -q "^installed-module-missing: magic/1.0, $K, $ARCH: .*; repair: none: the built module must be rebuilt first \[not repaired\]$" \
    "$T/out" || { cat "$T/out"; fail "reinstall of a module for another kernel"; }

# JSON with problems: parses, the documented fields
v --json >"$T/json" 2>"$T/err"; rc=$?
[ "$rc" = 12 ] || fail "verify --json with problems: exit $rc"
python3 -m json.tool "$T/json" >/dev/null || fail "verify --json is not JSON: $(cat "$T/json")"
python3 - "$T/json" "$K" <<'PY' || fail "the JSON document: $(cat "$T/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["repair"] is False
keys = {"kind", "module", "version", "kernel", "arch", "path", "message", "repair", "repairable", "repaired"}
for p in d["problems"]:
    assert set(p) == keys, p
    assert p["repaired"] is False
kinds = {(p["kind"], p["module"], p["kernel"]) for p in d["problems"]}
assert ("vermagic-mismatch", "magic", sys.argv[2]) in kinds, kinds
assert ("module-unreadable", "junk", sys.argv[2]) in kinds, kinds
miss = [p for p in d["problems"] if p["kind"] == "installed-module-missing"][0]
assert miss["repairable"] is False and miss["version"] == "1.0", miss
PY
for m in magic junk; do expect_rc 0 tdkms --no-depmod remove $m/1.0 --all >/dev/null; done
clean "after removing the bad modules"

# --json --repair: the repair's messages stay off stdout
rm "$lib/hello.ko"
v --json --repair >"$T/json" 2>/dev/null || fail "verify --json --repair failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["repair"] and all(p["repaired"] for p in d["problems"]) and d["problems"]' \
    "$T/json" || fail "the JSON of a repair: $(cat "$T/json")"
clean "after a JSON repair"

# a dangling source link is reported, not removed (the version would be lost to status and remove)
mv "$T/src/hello-1.0" "$T/src/hello-1.0.away"
verify_reports dangling-source-link
expect_rc 12 v --repair >/dev/null 2>&1
[ -L "$T/dkms/hello/1.0/source" ] || fail "--repair removed the source link"
mv "$T/src/hello-1.0.away" "$T/src/hello-1.0"
clean "with the source back"

# a run holding the lock may be staging right now: verify waits for it
# rather than report its work as stale
mkdir "$T/dkms/.dkms-stage.live"
exec 9<"$T/dkms"
flock -x 9
# (KILL: a dkms waiting for the lock does not end on TERM)
rc=0; timeout --foreground -s KILL 2 "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" verify \
    >"$T/out" 2>&1 || rc=$?
flock -u 9
exec 9<&-
[ "$rc" = 137 ] || { cat "$T/out"; fail "verify did not wait for the lock (exit $rc)"; }
grep -q "^Waiting for another dkms process" "$T/out" || { cat "$T/out"; fail "no message while waiting"; }
rmdir "$T/dkms/.dkms-stage.live"

# the command line
expect_rc 3 v -m nosuch >/dev/null 2>&1
expect_rc 3 v hello/2.0 >/dev/null 2>&1
expect_rc 0 v hello/1.0 >/dev/null 2>&1
expect_rc 5 v --all >/dev/null 2>&1
expect_rc 1 v -m 'a b' >/dev/null 2>&1
expect_rc 0 tdkms status >/dev/null
echo "verify ok"
