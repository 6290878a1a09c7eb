#!/bin/bash
# A dkms.conf that only bash can read is evaluated once and kept
# (src/evalcache.h): status then starts no bash at all and prints the same;
# an edit of the file, or another kernel, is a miss and bash reads it again;
# a variable the file does not name (the install tree's path) may change,
# one it names, or may reach through eval, may not.
. "$(dirname "$0")/../lib.sh"
K1=6.1.0-88-dkmstest K2=6.12.0-88-dkmstest
mkroot "$K1" "$K2"
mkdir -p "$T/src/shellish-1.0" "$T/bin"
cat > "$T/src/shellish-1.0/dkms.conf" <<'C'
PACKAGE_NAME=shellish
PACKAGE_VERSION=$(echo 1.0)
name=shellish
BUILT_MODULE_NAME[0]=${name}
DEST_MODULE_LOCATION[0]=/updates
if [[ $kernelver == 6.1.* ]]; then BUILT_MODULE_NAME[1]=extra; DEST_MODULE_LOCATION[1]=/updates; fi
C
echo "obj-m := shellish.o" > "$T/src/shellish-1.0/Makefile"
# a bash that writes down that it was started (unconfined: a confined bash
# could not write $T/bash.log)
export build_sandbox=no
printf '#!/bin/sh\necho started >> %q\nexec /bin/bash "$@"\n' "$T/bash.log" > "$T/bin/bash"
chmod +x "$T/bin/bash"
kd() { PATH="$T/bin:$PATH" tdkms "$@"; }
started() { [ -e "$T/bash.log" ] && wc -l < "$T/bash.log" || echo 0; }

expect_rc 0 kd add shellish/1.0
[ "$(started)" -gt 0 ] || fail "the add did not use bash: the test would prove nothing"
fake_built shellish 1.0 "$K1" shellish extra
fake_built shellish 1.0 "$K2" shellish
want=$(tdkms status)   # bash reads the file for each kernel
[ "$want" = "shellish/1.0, $K1, $ARCH: built
shellish/1.0, $K2, $ARCH: built" ] || fail "status: $want"
rm -f "$T/bash.log"
got=$(kd status)
[ "$(started)" = 0 ] || fail "status started bash $(started) times with everything cached"
[ "$got" = "$want" ] || fail "status from the cache differs: '$got' vs '$want'"
got=$(kd status --json)
[ "$(started)" = 0 ] || fail "status --json started bash"
# an edit is a miss: bash again, and the new result
sed -i 's/^name=shellish/name=renamed/' "$T/src/shellish-1.0/dkms.conf"
kd status >/dev/null
[ "$(started)" -gt 0 ] || fail "an edited dkms.conf was taken from the cache"
ls "$T/dkms/shellish/1.0/.conf-cache" | grep -q . || fail "no cache entries in the version's directory"
sed -i 's/^name=renamed/name=shellish/' "$T/src/shellish-1.0/dkms.conf"

# A variable the file does not name is not in the key: with the install
# tree named by another path (as current_kernel changes at a reboot), the
# entries still serve.
ln -s lib/modules "$T/modules-elsewhere"
kd_at() { local it=$1; shift; PATH="$T/bin:$PATH" "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$it" "$@"; }
rm -f "$T/bash.log"
got=$(kd_at "$T/modules-elsewhere" status)
[ "$(started)" = 0 ] || fail "status started bash $(started) times for a file that does not name install_tree, with the install tree elsewhere"
[ "$got" = "$want" ] || fail "status from the cache, install tree elsewhere, differs: '$got' vs '$want'"
# one it names is: now it does
cp "$T/src/shellish-1.0/dkms.conf" "$T/conf.orig"
echo 'case $install_tree in */modules-elsewhere) BUILT_MODULE_NAME[2]=elsewhere; DEST_MODULE_LOCATION[2]=/updates;; esac' \
    >>"$T/src/shellish-1.0/dkms.conf"
kd status >/dev/null
rm -f "$T/bash.log"
kd_at "$T/modules-elsewhere" status >/dev/null
[ "$(started)" -gt 0 ] || fail "a file naming install_tree was taken from the cache with another install tree"
# eval may reach any variable: all of them are in the key
cp "$T/conf.orig" "$T/src/shellish-1.0/dkms.conf"
echo 'eval "x=\$install_tree"' >>"$T/src/shellish-1.0/dkms.conf"
kd status >/dev/null
rm -f "$T/bash.log"
kd_at "$T/modules-elsewhere" status >/dev/null
[ "$(started)" -gt 0 ] || fail "a file with eval was taken from the cache with another install tree"
cp "$T/conf.orig" "$T/src/shellish-1.0/dkms.conf"
expect_rc 0 kd remove shellish/1.0 --all
[ ! -e "$T/dkms/shellish" ] || fail "remove left the module's cache entries behind"
echo "status read a bash-only dkms.conf from the cache: no bash started"
