#!/bin/bash
# BUILD_DEPENDS and BUILD_DEPENDS_REBUILD with real builds on the 6.1
# headers: the dependent module's build is refused (13) until hello is
# installed; installing hello 2.0 rebuilds and reinstalls the dependent
# module with make, and it records the version it was built against.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61"
it_root "$K61"
suf=$(ko_suffix "$K61")

cp -a "$FIXTURES/hello-1.0" "$T/src/hello-1.0"
cp -a "$FIXTURES/hello-1.0" "$T/src/hello-2.0"
sed -i 's/PACKAGE_VERSION="1.0"/PACKAGE_VERSION="2.0"/' "$T/src/hello-2.0/dkms.conf"
sed -i 's/MODULE_VERSION("1.0")/MODULE_VERSION("2.0")/' "$T/src/hello-2.0/hello.c"
u=$T/src/hellouser-1.0
mkdir -p "$u"
sed 's/hello/hellouser/g' "$FIXTURES/hello-1.0/hello.c" > "$u/hellouser.c"
echo 'obj-m := hellouser.o' > "$u/Makefile"
cat > "$u/dkms.conf" <<'C'
PACKAGE_NAME="hellouser"
PACKAGE_VERSION="1.0"
BUILT_MODULE_NAME[0]="hellouser"
DEST_MODULE_LOCATION[0]="/updates/dkms"
BUILD_DEPENDS[0]="hello"
BUILD_DEPENDS_REBUILD="yes"
C
ka=$K61/$(uname -m)

step 0 add hello/1.0
step 0 add hellouser/1.0
step 13 build hellouser/1.0 -k "$K61"
grep -q "Aborting build of module hellouser/1.0 for kernel $K61 ($(uname -m)) due to missing BUILD_DEPENDS: hello\." "$ERR" ||
    { show_last; fail "the refusal does not name hellouser/1.0, $K61 and hello"; }
assert_gone "$T/dkms/hellouser/1.0/$ka"

step 0 install hello/1.0 -k "$K61"
step 0 install hellouser/1.0 -k "$K61"
assert_eq "hellouser's record of hello" "$(cat "$T/dkms/hellouser/1.0/$ka/.dep_hello")" 1.0
assert_vermagic "$T/lib/modules/$K61/updates/dkms/hellouser$suf" "$K61"
touch -d '1 hour ago' "$T/dkms/hellouser/1.0/$ka/log/make.log"

step 0 add hello/2.0
step 0 install hello/2.0 -k "$K61"
grep -qx "Rebuilding module hellouser/1.0 due to updated dependencies" "$OUT" ||
    { show_last; fail "installing hello/2.0 did not rebuild hellouser/1.0"; }
assert_eq "hellouser's record of hello after the rebuild" "$(cat "$T/dkms/hellouser/1.0/$ka/.dep_hello")" 2.0
[ -n "$(find "$T/dkms/hellouser/1.0/$ka/log/make.log" -newermt '-10 minutes')" ] ||
    fail "hellouser/1.0 was not built again (its make.log is old)"
assert_vermagic "$T/lib/modules/$K61/updates/dkms/hellouser$suf" "$K61"
assert_status "hellouser/1.0, $K61, $(uname -m): installed" hellouser
echo PASS
