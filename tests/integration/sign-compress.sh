#!/bin/bash
# Compression and signing of built modules, on both kernels, in a
# throwaway root: the example edu driver is built and installed for 6.12
# (CONFIG_MODULE_COMPRESS_XZ: the result is .ko.xz with a CRC32 check, the
# only one the kernel's xz decoder takes) and 6.1 (no compression: .ko);
# both are signed with the MOK pair made in the dkms tree, and the
# signature verifies against that certificate.  Uninstall removes the
# .ko.xz.  A configured key that cannot be used leaves the module unsigned
# with a warning naming the file, as the reference does; with
# sign_strict="yes" it fails the build.
. "$(dirname "$0")/../lib.sh"
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
need_headers "$K61" "$K612"
for k in "$K61" "$K612"; do
    [ -x "/lib/modules/$k/build/scripts/sign-file" ] || skip "no sign-file for $k"
done
command -v openssl >/dev/null || skip "openssl not installed"
command -v xz >/dev/null || skip "xz not installed"
unset sign_file mok_signing_key mok_certificate
mkroot "$K61" "$K612"
mv=$(put_source "$SRCDIR/examples/edu-dkms") || fail "put_source"
m=${mv%/*} v=${mv#*/}
CERT=$T/dkms/mok.pub KEY=$T/dkms/mok.key

# verify_sig KO: the module's appended signature is a PKCS#7 signature of
# the module's bytes before it, made by the key of $CERT.
# The trailer: <signature> <12-byte struct module_signature, sig_len
# big-endian in its last 4 bytes> "~Module signature appended~\n".
verify_sig() {
    local ko=$1 size magic siglen body
    size=$(stat -c %s "$ko")
    magic=$(tail -c 28 "$ko")
    [ "$magic" = "~Module signature appended~" ] || fail "$ko carries no module signature"
    siglen=$(tail -c 40 "$ko" | head -c 12 | tail -c 4 | od -An -tu1 | awk '{print $1*16777216+$2*65536+$3*256+$4}')
    body=$((size - 40 - siglen))
    [ "$body" -gt 0 ] || fail "$ko: bad signature length $siglen"
    head -c "$body" "$ko" > "$T/body"
    tail -c $((40 + siglen)) "$ko" | head -c "$siglen" > "$T/sig.p7"
    openssl x509 -inform DER -in "$CERT" -out "$T/cert.pem" || fail "certificate $CERT does not parse"
    openssl cms -verify -binary -inform DER -in "$T/sig.p7" -content "$T/body" \
        -certfile "$T/cert.pem" -nointern -noverify -out /dev/null 2>"$T/cms.err" \
        || { cat "$T/cms.err" >&2; fail "signature of $ko does not verify with $CERT"; }
}

for k in "$K612" "$K61"; do
    nice "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        --no-depmod install "$m/$v" -k "$k" > "$T/out.$k" 2>&1 \
        || { cat "$T/out.$k"; fail "install of $m/$v for $k failed"; }
    grep -q "^Signing module " "$T/out.$k" || { cat "$T/out.$k"; fail "no module was signed for $k"; }
done
[ -f "$KEY" ] && [ -f "$CERT" ] || fail "no MOK pair was created in the dkms tree"
[ "$(stat -c %a "$KEY")" = 600 ] || fail "mok.key has mode $(stat -c %a "$KEY")"

# 6.12: compressed with xz, CRC32, in the dkms tree and installed as is.
inst=$T/lib/modules/$K612/updates/dkms
[ -f "$inst/$m.ko.xz" ] || { ls -l "$inst"; fail "no $m.ko.xz installed for $K612"; }
[ ! -e "$inst/$m.ko" ] || fail "an uncompressed $m.ko was installed for $K612"
built=$T/dkms/$m/$v/$K612/$ARCH/module/$m.ko.xz
[ -f "$built" ] || fail "the dkms tree does not keep $m.ko.xz for $K612"
cmp -s "$built" "$inst/$m.ko.xz" || fail "the installed module differs from the built one"
xz -t "$inst/$m.ko.xz" || fail "xz -t rejects $inst/$m.ko.xz"
checks=$(xz --list -vv "$inst/$m.ko.xz" | awk '$1 == "Check:" {print $2}' | sort -u)
[ "$checks" = CRC32 ] || fail "$m.ko.xz has check '$checks', the kernel needs CRC32"
[ "$(modinfo -F vermagic "$inst/$m.ko.xz" | cut -d' ' -f1)" = "$K612" ] || fail "modinfo cannot read $m.ko.xz"
[ "$(modinfo -F signer "$inst/$m.ko.xz")" = "DKMS module signing key" ] || fail "$m.ko.xz: wrong signer"
[ "$(modinfo -F sig_hashalgo "$inst/$m.ko.xz")" = sha256 ] || fail "$m.ko.xz not signed with the kernel's sha256"
xz -dc "$inst/$m.ko.xz" > "$T/edu612.ko"
verify_sig "$T/edu612.ko"
echo "6.12: $(stat -c %s "$T/edu612.ko") bytes signed, $(stat -c %s "$inst/$m.ko.xz") as .ko.xz"

# 6.1: no compression.
inst61=$T/lib/modules/$K61/updates/dkms
[ -f "$inst61/$m.ko" ] || { ls -l "$inst61"; fail "no $m.ko installed for $K61"; }
[ -z "$(find "$inst61" -name "$m.ko.*")" ] || fail "a compressed module was installed for $K61"
[ "$(modinfo -F signer "$inst61/$m.ko")" = "DKMS module signing key" ] || fail "$m.ko ($K61): wrong signer"
verify_sig "$inst61/$m.ko"

tdkms status "$m/$v" > "$T/status"
grep -qx "$m/$v, $K612, $ARCH: installed" "$T/status" || { cat "$T/status"; fail "status for $K612"; }
grep -qx "$m/$v, $K61, $ARCH: installed" "$T/status" || { cat "$T/status"; fail "status for $K61"; }

# Uninstall finds and removes the .ko.xz.
tdkms --no-depmod uninstall "$m/$v" -k "$K612" > "$T/out" 2>&1 || { cat "$T/out"; fail "uninstall for $K612"; }
[ ! -e "$inst/$m.ko.xz" ] || fail "uninstall left $inst/$m.ko.xz"
tdkms status "$m/$v" -k "$K612" | grep -qx "$m/$v, $K612, $ARCH: built" || fail "not 'built' after uninstall"

# The same pair is reused: a rebuild does not make a new key.
sum=$(sha256sum "$KEY" "$CERT")
tdkms unbuild "$m/$v" -k "$K61" > /dev/null 2>&1 || fail "unbuild for $K61"
nice "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    build "$m/$v" -k "$K61" > "$T/out" 2>&1 || { cat "$T/out"; fail "rebuild for $K61"; }
[ "$sum" = "$(sha256sum "$KEY" "$CERT")" ] || fail "the rebuild replaced the MOK pair"
grep -q "generating self signed" "$T/out" && fail "the rebuild generated a new pair"
tdkms unbuild "$m/$v" -k "$K61" > /dev/null 2>&1 || fail "unbuild for $K61"

# A configured key that is not a key: as in the reference, the build goes
# on and leaves the module unsigned, with a warning naming the file.
printf 'not a key\n' > "$T/bad.key"
mok_signing_key=$T/bad.key mok_certificate=$CERT \
    nice "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    build "$m/$v" -k "$K61" > "$T/out" 2>&1 || { cat "$T/out"; fail "build with a bad key failed"; }
grep -q "^Warning: The signing key $T/bad.key is not a PEM private key.*modules won't be signed" "$T/out" \
    || { cat "$T/out"; fail "no warning naming the bad key"; }
grep -q "^Signing module" "$T/out" && fail "signed with a bad key?"
[ -z "$(modinfo -F signer "$T/dkms/$m/$v/$K61/$ARCH/module/$m.ko")" ] || fail "signed with a bad key?"
tdkms unbuild "$m/$v" -k "$K61" > /dev/null 2>&1 || fail "unbuild for $K61"

# sign_strict="yes": the same build fails, naming the file, and nothing
# counts as built.
rc=0
sign_strict=yes mok_signing_key=$T/bad.key mok_certificate=$CERT \
    nice "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    build "$m/$v" -k "$K61" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out"; fail "strict build with a bad key exited $rc, expected 1"; }
grep -q "$T/bad.key" "$T/out" || { cat "$T/out"; fail "the error does not name the key file"; }
[ ! -e "$T/dkms/$m/$v/$K61/$ARCH/module" ] || fail "a module counts as built with an unusable key"

# A configured key the user cannot read (permissions), sign_strict: run as
# nobody, with a dkms tree nobody owns and the root-only key.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
    chmod 755 "$T"
    mkdir "$T/dkms-nobody"
    chown 65534:65534 "$T/dkms-nobody"
    cp "$KEY" "$T/root-only.key"
    chmod 600 "$T/root-only.key"
    rc=0
    HOME=/nonexistent sign_strict=yes mok_signing_key=$T/root-only.key mok_certificate=$CERT TMPDIR=/tmp \
        setpriv --reuid=65534 --regid=65534 --clear-groups \
        nice "$DKMS" --dkmstree "$T/dkms-nobody" --sourcetree "$T/src" --installtree "$T/lib/modules" \
        build "$m/$v" -k "$K61" > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat "$T/out"; fail "build with an unreadable key exited $rc, expected 1"; }
    grep -q "$T/root-only.key cannot be read: Permission denied" "$T/out" \
        || { cat "$T/out"; fail "no clear error for the unreadable key"; }
    [ ! -e "$T/dkms-nobody/$m/$v/$K61/$ARCH/module" ] || fail "a module counts as built with an unreadable key"
fi

# No sign-file at all: the reference's case, the build goes on unsigned.
sign_file=/nonexistent/sign-file nice "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" \
    --installtree "$T/lib/modules" build "$m/$v" -k "$K61" > "$T/out" 2>&1 \
    || { cat "$T/out"; fail "build without sign-file failed"; }
grep -q "modules won't be signed" "$T/out" || fail "no 'modules won't be signed' message"
[ -z "$(modinfo -F signer "$T/dkms/$m/$v/$K61/$ARCH/module/$m.ko")" ] || fail "signed without sign-file?"
echo "PASS"
