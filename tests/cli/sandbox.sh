#!/bin/bash
# Builds cannot touch the system: make, PRE_BUILD, POST_BUILD and the bash
# that reads dkms.conf run confined (bubblewrap, as nobody, read-only but
# for the build directory, no network).  A module whose dkms.conf, scripts
# and make try to write /etc, /root and the dkms tree outside the build
# directory, and to reach a listener on 127.0.0.1, writes nothing and
# reaches nothing; the same module with build_sandbox="no" shows that the
# attempts are real (there they aim inside the throwaway root only).  Then
# the fallback: a bwrap that cannot make namespaces gives one warning and
# an unconfined build, or a failed build when build_sandbox="yes".  The
# "build" is a script, so no compiler is needed.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
bwrap --unshare-net --ro-bind / / true 2>/dev/null || skip "bwrap cannot make a sandbox here"
K=6.1.0-94-dkmstest
mkroot "$K"
export sign_file=/nonexistent DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"
PROBE=dkms-sandbox-probe-$$-$RANDOM
export PROBE
# anything that reached the real /etc or /root is removed, and fails the test
at_exit 'rm -f /etc/"$PROBE"* /root/"$PROBE"*'
leaked() { ls -d /etc/"$PROBE"* /root/"$PROBE"* 2>/dev/null; }

# a listener on loopback that notes every connection
python3 - "$T/port" "$T/connected" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    open(sys.argv[2], "a").write("connected\n")
    c.close()
PY
at_exit "kill $! 2>/dev/null"
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the listener did not start"
export PORT=$(cat "$T/port") TREE=$T/dkms

mkdir -p "$T/ksrc/include"
S=$T/src/probe-1.0
# each attempt is noted in the module it "builds": ok when it got through
script_source probe 1.0 <<'B'
#!/bin/bash
try() { if ( eval "$2" ) 2>/dev/null; then echo "$1 ok"; else echo "$1 denied"; fi; }
{
    try etc "echo x > '$ETC_DIR/$PROBE'"
    try root "echo x > '$ROOT_DIR/$PROBE'"
    try tree "echo x > '$TREE/$PROBE'"
    try source "echo x > '$TREE/probe/1.0/source/$PROBE'"
    try net "echo x > /dev/tcp/127.0.0.1/$PORT"
    try user "[ \$(id -u) = 0 ]"
} > probe.ko
B
printf '#!/bin/sh\necho x > "$ETC_DIR/$PROBE-pre_build"\necho x > "$TREE/$PROBE-pre_build"\n' > "$S/pre.sh"
printf '#!/bin/sh\necho x > "$ETC_DIR/$PROBE-post_build"\n' > "$S/post.sh"
chmod +x "$S"/*.sh
cat >> "$S/dkms.conf" <<'C'
PRE_BUILD=pre.sh
POST_BUILD=post.sh
# read by bash, which tries to write as it reads
echo x 2>/dev/null > "$ETC_DIR/$PROBE-conf"
echo x 2>/dev/null > "$dkms_tree/$PROBE-conf"
C
kd() { tdkms --kernelsourcedir "$T/ksrc" --no-depmod "$@"; }
built=$T/dkms/probe/1.0/$K/$ARCH/module/probe.ko

# confined: every attempt denied, nothing written anywhere
export ETC_DIR=/etc ROOT_DIR=/root
expect_rc 0 kd add probe/1.0
build_sandbox=yes kd build probe/1.0 -k "$K" --verbose >"$T/out" 2>&1 || { cat "$T/out"; fail "confined build"; }
printf '%s\n' "etc denied" "root denied" "tree denied" "source denied" "net denied" "user denied" > "$T/want"
diff -u "$T/want" "$built" || fail "a confined build got through"
[ -z "$(leaked)" ] || fail "written outside: $(leaked)"
written=$(find "$T" -name "$PROBE*")
[ -z "$written" ] || fail "written in the trees: $written"
[ ! -e "$T/connected" ] || fail "a confined build reached 127.0.0.1:$PORT"
grep -q '^\[verbose\] Sandbox: .*bwrap .*--unshare-net .*--ro-bind / / ' "$T/out" ||
    { cat "$T/out"; fail "--verbose does not show the bwrap command line"; }
[ -z "$(find "$T/dkms" -user nobody)" ] || fail "files left owned by nobody"
expect_rc 0 kd remove probe/1.0 --all

# unconfined, aimed inside the throwaway root: the same attempts succeed
mkdir -p "$T/etc" "$T/root"
export ETC_DIR=$T/etc ROOT_DIR=$T/root build_sandbox=no
expect_rc 0 kd add probe/1.0
kd build probe/1.0 -k "$K" >"$T/out" 2>&1 || { cat "$T/out"; fail "unconfined build"; }
printf '%s\n' "etc ok" "root ok" "tree ok" "source ok" "net ok" "user ok" > "$T/want"
diff -u "$T/want" "$built" || fail "the attempts do not work unconfined: the test proves nothing"
for f in etc/$PROBE root/$PROBE dkms/$PROBE src/probe-1.0/$PROBE etc/$PROBE-pre_build dkms/$PROBE-pre_build \
         etc/$PROBE-post_build etc/$PROBE-conf dkms/$PROBE-conf; do
    [ -e "$T/$f" ] || fail "unconfined, $f was not written: the test proves nothing"
done
[ -s "$T/connected" ] || fail "unconfined, the build did not reach the listener"
expect_rc 0 kd remove probe/1.0 --all
unset build_sandbox
[ -z "$(leaked)" ] || fail "written outside: $(leaked)"

# no sandbox can be made (a bwrap that fails as in a container without
# namespaces): one warning and an unconfined build, or with
# build_sandbox="yes" a failed build that says why
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n' > "$T/bin/bwrap"
chmod +x "$T/bin/bwrap"
for m in plain plain2; do
    fake_source $m 1.0
    printf 'MAKE[0]="echo %s > %s.ko"\nCLEAN=true\nSTRIP[0]=no\nAUTOINSTALL=yes\n' $m $m >> "$T/src/$m-1.0/dkms.conf"
    expect_rc 0 kd add $m/1.0
done
PATH=$T/bin:$PATH kd autoinstall -k "$K" >"$T/out" 2>&1 || { cat "$T/out"; fail "autoinstall without a sandbox"; }
n=$(grep -c '^Warning: builds and dkms.conf run unconfined, as root: bwrap: Creating new namespace failed: Operation not permitted; build_sandbox=' "$T/out")
[ "$n" = 1 ] || { cat "$T/out"; fail "$n warnings instead of one"; }
[ "$(cat "$T/dkms/plain/1.0/$K/$ARCH/module/plain.ko")" = plain ] || fail "the unconfined build did not run"
expect_rc 0 kd uninstall plain/1.0 -k "$K"
expect_rc 0 kd unbuild plain/1.0 -k "$K"
build_sandbox=yes PATH=$T/bin:$PATH kd build plain/1.0 -k "$K" >"$T/out" 2>&1 &&
    { cat "$T/out"; fail "a required sandbox that cannot be made did not fail the build"; }
grep -q 'build_sandbox="yes" but no sandbox can be made here: bwrap: Creating new namespace failed' "$T/out" ||
    { cat "$T/out"; fail "the failure does not say why"; }
[ ! -e "$T/dkms/plain/1.0/$K/$ARCH" ] || fail "built without the required sandbox"
[ -z "$(leaked)" ] || fail "written outside: $(leaked)"
echo "confined builds wrote nothing outside their build directory and reached no network"
