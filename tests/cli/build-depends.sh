#!/bin/bash
# BUILD_DEPENDS as newer releases enforce it, and BUILD_DEPENDS_REBUILD:
# a build whose dependency is not installed for the kernel stops with 13
# naming module, version, kernel and dependency (--force builds anyway);
# dependencies that form a cycle are named as such, by build and by
# autoinstall; a module with BUILD_DEPENDS_REBUILD="yes" is rebuilt and
# reinstalled when its dependency is installed in another version.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "installing needs root"
K=6.1.0-96-dkmstest
script_root "$K"
ka=$K/$ARCH
# mod N V [DEP...]: a module whose build counts its builds in $T/builds-N
mod() {
    local n=$1 v=$2; shift 2
    script_source "$n" "$v" <<S
#!/bin/sh
echo "$n $v" > $n.ko
S
    # the build is confined: count from outside, by the build logs kept
    [ $# = 0 ] || echo "BUILD_DEPENDS=\"$*\"" >> "$T/src/$n-$v/dkms.conf"
    echo AUTOINSTALL=yes >> "$T/src/$n-$v/dkms.conf"
}

# --- a missing dependency
mod base 1.0
mod top 1.0 base
expect_rc 0 kd add base/1.0 > /dev/null
expect_rc 0 kd add top/1.0 > /dev/null
rc=0; kd build top/1.0 -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 13 ] || { cat "$T/out"; fail "build of top/1.0 with base not installed exited $rc, expected 13"; }
grep -q "Aborting build of module top/1.0 for kernel $K ($ARCH) due to missing BUILD_DEPENDS: base\." "$T/out" ||
    { cat "$T/out"; fail "the refusal does not name top/1.0, kernel $K and base"; }
[ ! -e "$T/dkms/top/1.0/$ka" ] || fail "top/1.0 was built for $K although refused"
# built but not installed is not enough
expect_rc 0 kd build base/1.0 -k "$K" > /dev/null
expect_rc 13 kd build top/1.0 -k "$K" > /dev/null 2>&1
# --force builds, after a warning
rc=0; kd build top/1.0 -k "$K" --force > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "build --force of top/1.0 exited $rc"; }
grep -q "Warning: Trying to build module top/1.0 for kernel $K ($ARCH) despite of missing BUILD_DEPENDS: base" "$T/out" ||
    { cat "$T/out"; fail "build --force gave no warning about base"; }
[ -d "$T/dkms/top/1.0/$ka/module" ] || fail "build --force did not build top/1.0"
expect_rc 0 kd unbuild top/1.0 -k "$K" > /dev/null
# with the dependency installed, the build goes
expect_rc 0 kd install base/1.0 -k "$K" > /dev/null
expect_rc 0 kd build top/1.0 -k "$K" > /dev/null
# no BUILD_DEPENDS_REBUILD: nothing recorded
[ ! -e "$T/dkms/top/1.0/$ka/.dep_base" ] || fail "top/1.0 recorded base's version without BUILD_DEPENDS_REBUILD"

# --- cycles: itself, and two modules
mod self 1.0 self
mod ca 1.0 cb
mod cb 1.0 ca
for n in self ca cb; do expect_rc 0 kd add "$n/1.0" > /dev/null; done
rc=0; kd build self/1.0 -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 13 ] || { cat "$T/out"; fail "build of self/1.0 (depends on itself) exited $rc, expected 13"; }
grep -q "cycle (self -> self)" "$T/out" || { cat "$T/out"; fail "the cycle of self/1.0 is not named"; }
rc=0; kd build ca/1.0 -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 13 ] || { cat "$T/out"; fail "build of ca/1.0 (ca -> cb -> ca) exited $rc, expected 13"; }
grep -q "missing BUILD_DEPENDS: cb\." "$T/out" && grep -q "cycle (ca -> cb -> ca)" "$T/out" ||
    { cat "$T/out"; fail "the build of ca/1.0 does not name cb and the cycle"; }
# autoinstall: the reference's line, and the cycle in the summary
rc=0; kd autoinstall -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 11 ] || { cat "$T/out"; fail "autoinstall with cycles exited $rc, expected 11"; }
grep -qx "ca/1.0 autoinstall failed due to missing dependencies: cb" "$T/out" ||
    { cat "$T/out"; fail "autoinstall lost the reference's line for ca/1.0"; }
grep -qx "  ca/1.0: failed, circular BUILD_DEPENDS: ca -> cb -> ca" "$T/out" ||
    { cat "$T/out"; fail "autoinstall's summary does not name the cycle of ca/1.0"; }
grep -qx "  self/1.0: failed, circular BUILD_DEPENDS: self -> self" "$T/out" ||
    { cat "$T/out"; fail "autoinstall's summary does not name the cycle of self/1.0"; }
grep -qx "  top/1.0: installed" "$T/out" || { cat "$T/out"; fail "autoinstall did not install top/1.0"; }
for n in self ca cb top; do expect_rc 0 kd remove "$n/1.0" --all > /dev/null; done

# --- BUILD_DEPENDS_REBUILD
mod dep 1.0 base
mod user 1.0 dep
echo 'BUILD_DEPENDS_REBUILD="yes"' >> "$T/src/user-1.0/dkms.conf"
mod dep 2.0 base
expect_rc 0 kd add dep/1.0 > /dev/null
expect_rc 0 kd add user/1.0 > /dev/null
expect_rc 0 kd install dep/1.0 -k "$K" > /dev/null
expect_rc 0 kd install user/1.0 -k "$K" > /dev/null
[ "$(cat "$T/dkms/user/1.0/$ka/.dep_dep" 2>/dev/null)" = 1.0 ] ||
    fail "user/1.0 did not record that it was built against dep 1.0"
first=$(stat -c "%i %z" "$T/dkms/user/1.0/$ka/module/user.ko")
# the same version again changes nothing
expect_rc 0 kd install dep/1.0 -k "$K" --force > /dev/null
[ "$(stat -c "%i %z" "$T/dkms/user/1.0/$ka/module/user.ko")" = "$first" ] ||
    fail "user/1.0 was rebuilt though dep's version did not change"
# another version: user is rebuilt and installed again
expect_rc 0 kd add dep/2.0 > /dev/null
rc=0; kd install dep/2.0 -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "install of dep/2.0 exited $rc"; }
grep -qx "Rebuilding module user/1.0 due to updated dependencies" "$T/out" ||
    { cat "$T/out"; fail "install of dep/2.0 did not rebuild user/1.0"; }
[ "$(cat "$T/dkms/user/1.0/$ka/.dep_dep" 2>/dev/null)" = 2.0 ] ||
    fail "user/1.0 did not record its rebuild against dep 2.0"
[ "$(stat -c "%i %z" "$T/dkms/user/1.0/$ka/module/user.ko")" != "$first" ] || fail "user/1.0 was not built again"
kd status user -k "$K" | grep -qx "user/1.0, $K, $ARCH: installed" ||
    { kd status; fail "user/1.0 is not installed after its rebuild"; }
# a bad value is refused as newer releases do
mod bad 1.0
echo 'BUILD_DEPENDS_REBUILD="maybe"' >> "$T/src/bad-1.0/dkms.conf"
rc=0; kd add bad/1.0 > "$T/out" 2>&1 || rc=$?
[ "$rc" = 8 ] && grep -q "Unsupported BUILD_DEPENDS_REBUILD value 'maybe'" "$T/out" ||
    { cat "$T/out"; fail "BUILD_DEPENDS_REBUILD=maybe: add exited $rc"; }
echo PASS
