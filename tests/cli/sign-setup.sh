#!/bin/bash
# Signing that cannot be set up, as the reference (3.0.10 and newer) does
# it: a message, the module is built unsigned, exit 0.  The reference's
# lines are printed where it has one: a key that is missing and cannot be
# generated, a certificate that cannot be written; a sign-file that fails
# leaves a warning.  With sign_strict="yes" each of these fails the build
# (exit 1) and nothing counts as built.  The "build" is a script and the
# sign-file a stand-in that marks the file, so no compiler is needed.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "building needs root"
K=6.1.0-93-dkmstest
script_root "$K"
unset sign_file mok_signing_key mok_certificate sign_strict try_sign_modules
mkdir -p "$T/keys"
printf '#!/bin/sh\necho signed >> "$4"\n' > "$T/sign-file"
chmod +x "$T/sign-file"
script_source sg 1.0 <<'S'
#!/bin/sh
echo "sg module" > sg.ko
S
expect_rc 0 kd add sg/1.0 >/dev/null
ko=$T/dkms/sg/1.0/$K/$ARCH/module/sg.ko

# build_case NAME WANT-LINE ENV...: built unsigned, exit 0, the line said;
# then with sign_strict=yes: exit 1, not built.
build_case() {
    local name=$1 line=$2 rc=0; shift 2
    env "$@" "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        --kernelsourcedir "$T/ksrc" build sg/1.0 -k "$K" --force > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat "$T/out"; fail "$name: exit $rc, expected 0 (unsigned build)"; }
    grep -qxF "$line" "$T/out" || { cat "$T/out"; fail "$name: no line '$line'"; }
    [ -f "$ko" ] || fail "$name: not built"
    grep -q signed "$ko" && fail "$name: the module was signed"
    rc=0
    env sign_strict=yes "$@" "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        --kernelsourcedir "$T/ksrc" build sg/1.0 -k "$K" --force > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat "$T/out"; fail "$name, sign_strict: exit $rc, expected 1"; }
    grep -q "^Error! " "$T/out" || { cat "$T/out"; fail "$name, sign_strict: no error"; }
    [ ! -e "$ko" ] || fail "$name, sign_strict: a module counts as built"
}

# the key's directory does not exist: no pair can be made
build_case "missing key" "Key file $T/nowhere/mok.key not found and can't be generated, modules won't be signed" \
    sign_file="$T/sign-file" mok_signing_key="$T/nowhere/mok.key" mok_certificate="$T/keys/mok.der"
# the certificate cannot be written: no key is left without it
build_case "missing certificate" \
    "Certificate file $T/nowhere/mok.der not found and can't be generated, modules won't be signed" \
    sign_file="$T/sign-file" mok_signing_key="$T/keys/mok.key" mok_certificate="$T/nowhere/mok.der"
[ ! -e "$T/keys/mok.key" ] || fail "a key was left without its certificate"
# a key without its certificate is not replaced by a new pair
echo "an enrolled key" > "$T/keys/old.key"
touch -d '1 hour ago' "$T/keys/old.key"
build_case "half a pair" \
    "Certificate file $T/keys/old.der not found and can't be generated, modules won't be signed" \
    sign_file="$T/sign-file" mok_signing_key="$T/keys/old.key" mok_certificate="$T/keys/old.der"
[ "$(cat "$T/keys/old.key")" = "an enrolled key" ] && [ ! -e "$T/keys/old.der" ] || fail "the half pair was touched"

# sign-file itself fails (the key pair is fine)
expect_rc 0 env mok_signing_key="$T/keys/mok.key" mok_certificate="$T/keys/mok.der" \
    "$DKMS" --dkmstree "$T/dkms" generate_mok >/dev/null
build_case "failing sign-file" \
    "Warning: /bin/false exited with status 1 while signing $T/dkms/sg/1.0/build/sg.ko; the module is left unsigned." \
    sign_file=/bin/false mok_signing_key="$T/keys/mok.key" mok_certificate="$T/keys/mok.der"

# and all is well: signed
env sign_file="$T/sign-file" mok_signing_key="$T/keys/mok.key" mok_certificate="$T/keys/mok.der" sign_strict=yes \
    "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --kernelsourcedir "$T/ksrc" build sg/1.0 -k "$K" --force > "$T/out" 2>&1 || { cat "$T/out"; fail "good signing"; }
grep -q signed "$ko" || fail "not signed with a good pair"

# try_sign_modules, newer releases' policy: "false" never signs, not even
# with sign_strict; "not_in_chroot" does not sign in a chroot (fakechroot
# is how newer releases' own tests make one); "true" and unset sign
policy_build() {
    env sign_file="$T/sign-file" mok_signing_key="$T/keys/mok.key" mok_certificate="$T/keys/mok.der" sign_strict=yes \
        "$@" "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        --kernelsourcedir "$T/ksrc" build sg/1.0 -k "$K" --force > "$T/out" 2>&1 || { cat "$T/out"; fail "policy build $*"; }
}
policy_build try_sign_modules=false
grep -qx "Module signing is disabled by policy, modules won't be signed" "$T/out" || { cat "$T/out"; fail "try_sign_modules=false: no message"; }
! grep -q signed "$ko" || fail "try_sign_modules=false: the module was signed"
fake_chroot=(FAKECHROOT=true FAKECHROOT_BASE=/ LD_PRELOAD=libfakechroot.so)
policy_build try_sign_modules=not_in_chroot "${fake_chroot[@]}"
grep -qx "Running in chroot, modules won't be signed" "$T/out" || { cat "$T/out"; fail "not_in_chroot in a chroot: no message"; }
! grep -q signed "$ko" || fail "try_sign_modules=not_in_chroot: signed in a chroot"
policy_build try_sign_modules=not_in_chroot
grep -q signed "$ko" || fail "try_sign_modules=not_in_chroot: not signed outside a chroot"
policy_build try_sign_modules=true "${fake_chroot[@]}"
grep -q signed "$ko" || fail "try_sign_modules=true: not signed in a chroot"
echo PASS
