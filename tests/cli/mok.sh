#!/bin/bash
# dkms generate_mok in a throwaway dkms tree: it creates the MOK pair the
# builds sign with (private key 0600, a DER certificate for "DKMS module
# signing key" valid 100 years), keeps an existing pair, honours
# mok_signing_key/mok_certificate with $kernelver, and refuses to replace
# half of a pair.
. "$(dirname "$0")/../lib.sh"
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
[ "$(id -u)" = 0 ] || skip "generate_mok needs root"
command -v openssl >/dev/null || skip "openssl not installed"
unset sign_file mok_signing_key mok_certificate
mkroot
KEY=$T/dkms/mok.key CERT=$T/dkms/mok.pub

tdkms generate_mok > "$T/out" 2>&1 || { cat "$T/out"; fail "generate_mok exited $?"; }
grep -qx "Signing key: $KEY" "$T/out" || { cat "$T/out"; fail "does not say where the key is"; }
grep -qx "Public certificate (MOK): $CERT" "$T/out" || { cat "$T/out"; fail "does not say where the certificate is"; }
# how to enrol it: import, reboot, confirm with the password chosen
grep -qx "  1. mokutil --import $CERT" "$T/out" || { cat "$T/out"; fail "does not say how to enrol the certificate"; }
grep -q "MOK manager" "$T/out" && grep -q "password" "$T/out" || { cat "$T/out"; fail "enrolment steps incomplete"; }
[ -f "$KEY" ] && [ -f "$CERT" ] || fail "key or certificate not created"
[ "$(stat -c %a "$KEY")" = 600 ] || fail "key has mode $(stat -c %a "$KEY"), expected 600"
openssl x509 -inform DER -in "$CERT" -noout -subject -enddate -text > "$T/cert.txt" 2>&1 \
    || { cat "$T/cert.txt"; fail "certificate is not DER X.509"; }
grep -q "subject=CN = DKMS module signing key" "$T/cert.txt" || { cat "$T/cert.txt"; fail "wrong subject"; }
grep -q "Public-Key: (2048 bit)" "$T/cert.txt" || fail "not an RSA 2048 key"
end=$(sed -n 's/^notAfter=//p' "$T/cert.txt")
[ $(( $(date -d "$end" +%s) - $(date +%s) )) -gt $((99 * 365 * 86400)) ] || fail "certificate expires $end"
openssl pkey -in "$KEY" -noout 2>/dev/null || fail "key is not a PEM private key"
[ "$(openssl pkey -in "$KEY" -pubout | sha256sum)" = \
  "$(openssl x509 -inform DER -in "$CERT" -pubkey -noout | sha256sum)" ] || fail "key and certificate do not match"

# A rerun keeps the pair.
sum=$(sha256sum "$KEY" "$CERT")
tdkms generate_mok > "$T/out" 2>&1 || { cat "$T/out"; fail "second generate_mok exited $?"; }
grep -q "already exists" "$T/out" || { cat "$T/out"; fail "rerun does not say the pair exists"; }
grep -q "mokutil" "$T/out" && { cat "$T/out"; fail "enrolment steps for a key that was not created"; }
[ "$sum" = "$(sha256sum "$KEY" "$CERT")" ] || fail "rerun replaced the pair"

# Half a pair is an error naming the missing file; the other is kept.
# (An old key: a half pair made seconds ago is waited for, as another run
# may be writing it.)
mv "$CERT" "$T/saved.pub"
touch -d '1 hour ago' "$KEY"
rc=0; tdkms generate_mok > "$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out"; fail "key without certificate: exit $rc, expected 1"; }
grep -q "certificate $CERT is missing" "$T/out" || { cat "$T/out"; fail "error does not name $CERT"; }
[ ! -e "$CERT" ] || fail "a certificate was made for an existing key"
mv "$T/saved.pub" "$CERT"

# A key that does not belong to the certificate is refused.
mkdir "$T/other"
tdkms generate_mok --dkmstree "$T/other" > /dev/null 2>&1 || fail "generate_mok in a second tree"
rc=0; mok_signing_key=$T/other/mok.key mok_certificate=$CERT tdkms generate_mok > "$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out"; fail "mismatched pair: exit $rc, expected 1"; }
grep -q "does not belong" "$T/out" || { cat "$T/out"; fail "mismatch not explained"; }

# Configured paths, with $kernelver, from the environment.
mkdir -p "$T/keys/6.1.0-test"
mok_signing_key="$T/keys/\$kernelver/signing.key" mok_certificate="$T/keys/\${kernelver}/signing.der" \
    tdkms generate_mok -k 6.1.0-test > "$T/out" 2>&1 || { cat "$T/out"; fail "configured paths"; }
[ -f "$T/keys/6.1.0-test/signing.key" ] && [ -f "$T/keys/6.1.0-test/signing.der" ] \
    || { cat "$T/out"; fail "\$kernelver not expanded in the configured paths"; }
[ "$(stat -c %a "$T/keys/6.1.0-test/signing.key")" = 600 ] || fail "configured key not 0600"

# A configured directory that does not exist: a clear error, exit 1.
rc=0; mok_signing_key=$T/nowhere/k.key mok_certificate=$T/nowhere/k.der tdkms generate_mok > "$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out"; fail "missing directory: exit $rc, expected 1"; }
grep -q "$T/nowhere/k.key" "$T/out" || { cat "$T/out"; fail "error does not name the key file"; }

# An existing key is never overwritten, even by a concurrent run: both
# runs end with the same one pair.
rm -f "$KEY" "$CERT"
tdkms generate_mok > "$T/o1" 2>&1 & p1=$!
tdkms generate_mok > "$T/o2" 2>&1 & p2=$!
wait $p1 || { cat "$T/o1"; fail "concurrent run 1"; }
wait $p2 || { cat "$T/o2"; fail "concurrent run 2"; }
[ "$(openssl pkey -in "$KEY" -pubout | sha256sum)" = \
  "$(openssl x509 -inform DER -in "$CERT" -pubkey -noout | sha256sum)" ] || fail "concurrent runs left a mismatched pair"
echo PASS
