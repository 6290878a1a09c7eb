#!/bin/bash
# dkms check on a throwaway root, a fake sysfs (a PCI device 1234:11e8 bound
# to "edu") and fake efivars: every state a module can be in for a kernel
# (installed and verified, failed, not built, headers missing, excluded,
# never built anywhere), Secure Boot on with unsigned, signed-but-not-
# enrolled and enrolled modules, the initramfs, the verdicts and their exit
# codes, --json against docs/check-json.md, and the failure records behind
# "failed" (kept by a build, shown by status --json, cleared by a good build
# and by remove).  The modules are object files whose .modinfo libkmod
# reads; nothing is compiled for a kernel.
. "$(dirname "$0")/../lib.sh"
command -v ld >/dev/null && command -v objcopy >/dev/null || skip "ld and objcopy are needed to make module files"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"
K1=6.1.0-90-dkmstest
K2=6.12.0-90-dkmstest
EDU_ALIAS='pci:v00001234d000011E8sv*sd*bc*sc*i*'
unset mok_signing_key mok_certificate sign_file
export sign_file=/nonexistent

# new_root: a root with the two kernels installed, a fake sysfs with the
# edu device and an efivars directory without Secure Boot.
new_root() {
    mkroot "$K1" "$K2"
    touch "$T/lib/modules/$K1/modules.order" "$T/lib/modules/$K2/modules.order"
    mkdir -p "$T/sys/bus/pci/devices/0000:00:04.0" "$T/sys/bus/pci/drivers/edu" "$T/efi/efivars" "$T/boot"
    echo 'pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00' >"$T/sys/bus/pci/devices/0000:00:04.0/modalias"
    ln -s ../../drivers/edu "$T/sys/bus/pci/devices/0000:00:04.0/driver"
    # a USB device no module here drives
    mkdir -p "$T/sys/bus/usb/devices/1-1:1.0"
    echo 'usb:v046DpC52Bd1200dc00dsc00dp00ic03isc01ip01in00' >"$T/sys/bus/usb/devices/1-1:1.0/modalias"
    export DKMS_SYSFS_ROOT=$T/sys DKMS_EFIVARS_DIR=$T/efi/efivars DKMS_PROC_KEYS=$T/proc-keys \
        DKMS_BOOT_DIR=$T/boot DKMS_INITRAMFS_TOOL=update-initramfs
}

# built_ko M V K [ALIAS...]: M/V built for K (fake_built) as a real module file.
built_ko() {
    local n=$1 v=$2 k=$3
    shift 3
    fake_built "$n" "$v" "$k"
    make_ko "$T/dkms/$n/$v/$k/$ARCH/module/$n.ko" "$k" "$n" "$@"
}

# run_check WANT_RC ARGS...: dkms check, its output in $T/out (stdout) and
# $T/err; fails unless it exits WANT_RC.
run_check() {
    local want=$1 rc=0
    shift
    tdkms check "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = "$want" ] || fail "${CASE:-}: check $* exited $rc, expected $want:
$(cat "$T/out" "$T/err")"
}
line_of() { grep -m1 "^$1: " "$T/out"; }
expect_line() { # expect_line KERNEL PATTERN: the kernel's verdict line matches
    line_of "$1" | grep -qE -- "$2" || fail "$CASE: $1's line does not match /$2/:
$(cat "$T/out")"
}

# expect_json EXPRESSION WANT [EXPRESSION WANT]...: each Python expression,
# evaluated with j = the JSON in $T/out (and mod(kernel, name), a module of
# check --json), gives WANT (strings as they are, the rest as JSON); one
# python for them all.
expect_json() {
    local got i=0 want=()
    while [ $# -gt 0 ]; do want+=("$1" "$2"); shift 2; done
    got=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
def mod(k, name):
    ks = [x for x in j["kernels"] if x["kernel"] == k]
    ms = [m for m in ks[0]["modules"] if m["name"] == name] if ks else []
    return ms[0] if ms else None
for e in sys.argv[2::2]:
    r = eval(e)
    print(r if isinstance(r, str) else json.dumps(r))' "$T/out" "${want[@]}") ||
        fail "$CASE: cannot evaluate the expressions on: $(cat "$T/out")"
    while IFS= read -r line; do
        [ "$line" = "${want[i + 1]}" ] || fail "$CASE: ${want[i]} is $line, expected ${want[i + 1]}:
$(cat "$T/out")"
        i=$((i + 2))
    done <<<"$got"
    [ "$i" = "${#want[@]}" ] || fail "$CASE: not every expression gave a value: $got"
}

# The fields docs/check-json.md promises, of the right types, everywhere.
check_schema() {
    python3 - "$T/out" "$SRCDIR/docs/check-json.md" <<'EOF' || fail "$CASE: --json does not follow docs/check-json.md"
import json, re, sys
j = json.load(open(sys.argv[1]))
doc = open(sys.argv[2]).read()
documented = set(re.findall(r'^\| `([a-z_]+)` \|', doc, re.M))
S, B, L, I, N = str, bool, list, int, type(None)
kernel_keys = {"kernel": (S,), "arch": (S,), "verdict": (S,), "summary": (S,), "compiler_warning": (S, N),
               "modules": (L,)}
module_keys = {"name": (S,), "version": (S,), "state": (S,), "verified": (B, N), "problem": (S, N),
               "exit_code": (I, N), "first_error": (S, N), "log": (S, N), "failed_at": (S, N),
               "stale": (B, N), "exclude_reason": (S, N), "headers_package": (S, N),
               "aliases_known": (B,), "devices": (L,), "signed_by": (S, N), "will_load": (B, N),
               "load_problem": (S, N), "initramfs": (B, N), "note": (S, N)}
sb_keys = {"state": (S,), "key_enrolled": (B, N), "key_pending": (B,), "certificate": (S, N)}
def same(obj, keys, what):
    assert set(obj) == set(keys), (what, set(obj) ^ set(keys))
    for k, t in keys.items():
        assert isinstance(obj[k], t) and not (I in t and isinstance(obj[k], bool)), (what, k, obj[k])
        assert k in documented, ("not documented", k)
assert set(j) == {"kernels", "secure_boot"}
for k in j["kernels"]:
    same(k, kernel_keys, "kernel")
    assert k["verdict"] in ("ready", "degraded", "unknown")
    for m in k["modules"]:
        same(m, module_keys, "module")
        assert m["state"] in ("installed", "built", "failed", "excluded", "missing-headers", "not-built")
same(j["secure_boot"], sb_keys, "secure_boot")
assert j["secure_boot"]["state"] in ("enabled", "disabled", "unknown")
EOF
}

# ---- installed and verified on both kernels: ready ------------------------
CASE="ready"
new_root
fake_added edu 1.0
built_ko edu 1.0 "$K1" "$EDU_ALIAS"
built_ko edu 1.0 "$K2" "$EDU_ALIAS"
fake_installed edu 1.0 "$K1"
fake_installed edu 1.0 "$K2"
modinfo -F alias "$T/dkms/edu/1.0/$K1/$ARCH/module/edu.ko" 2>/dev/null | grep -qxF "$EDU_ALIAS" ||
    skip "libkmod cannot read the fabricated module files"
run_check 0
[ "$(grep -c '^[^ ]' "$T/out")" = 3 ] || fail "$CASE: a line per kernel and one for Secure Boot expected: $(cat "$T/out")"
[ "$(head -n 1 "$T/out")" = "$K2: ready" ] || fail "$CASE: the newest kernel first: $(cat "$T/out")"
expect_line "$K1" "^$K1: ready\$"
grep -qx "  edu/1.0: installed and verified; not signed; will load: yes" "$T/out" || fail "$CASE: $(cat "$T/out")"
grep -qx "    needed by: PCI 1234:11e8 (0000:00:04.0) bound to edu" "$T/out" || fail "$CASE: device: $(cat "$T/out")"
grep -q $'\033' "$T/out" && fail "$CASE: colour in output that is not a terminal"
run_check 0 --json
check_schema
expect_json \
    'mod("'"$K1"'", "edu")["state"]' installed \
    'mod("'"$K1"'", "edu")["verified"]' true \
    'mod("'"$K1"'", "edu")["will_load"]' true \
    'mod("'"$K1"'", "edu")["devices"]' '["PCI 1234:11e8 (0000:00:04.0) bound to edu"]' \
    'j["secure_boot"]' '{"state": "disabled", "key_enrolled": false, "key_pending": false, "certificate": null}' \
    '[k["kernel"] for k in j["kernels"]]' "[\"$K2\", \"$K1\"]"
run_check 0 -k "$K1"
[ "$(head -n 1 "$T/out")" = "$K1: ready" ] && ! grep -q "^$K2" "$T/out" || fail "$CASE: -k: $(cat "$T/out")"

CASE="ready: an installed module that differs from the build, or is built for another kernel"
cp "$T/dkms/edu/1.0/$K1/$ARCH/module/edu.ko" "$T/lib/modules/$K2/updates/dkms/edu.ko"
run_check 13 -k "$K2"
expect_line "$K2" "degraded .* edu \(PCI 1234:11e8\) will not work: edu/1.0 will not load: edu.ko was built for kernel $K1"
grep -q "installed, but .* was built for kernel $K1" "$T/out" || fail "$CASE: $(cat "$T/out")"

# ---- a failed build: remembered, degraded, cleared -------------------------
CASE="failed"
new_root
script_source edu 1.0 <<'EOF'
#!/bin/sh
if [ -f "prebuilt-$(uname -r).ko" ]; then cp "prebuilt-$(uname -r).ko" edu.ko; exit 0; fi
echo "edu.c:12:5: error: implicit declaration of function 'pci_enable_foo'"
exit 2
EOF
fake_added edu 1.0
built_ko edu 1.0 "$K1" "$EDU_ALIAS"
fake_installed edu 1.0 "$K1"
mkdir -p "$T/hdr/include"
expect_rc 10 tdkms build edu/1.0 -k "$K2" --kernelsourcedir "$T/hdr" >/dev/null 2>&1
rec=$T/dkms/edu/1.0/failures/$K2-$ARCH
[ -f "$rec" ] && [ -f "$rec.log" ] || fail "$CASE: no failure record in $T/dkms/edu/1.0: $(find "$T/dkms/edu/1.0")"
[ ! -e "$T/dkms/edu/1.0/$K2" ] || fail "$CASE: a kernel directory without a build was left"
out=$(tdkms verify 2>&1) || fail "$CASE: verify finds fault with a failure record: $out"
grep -qx "exit_code=10" "$rec" || fail "$CASE: record: $(cat "$rec")"
grep -qx "first_error=edu.c:12:5: error: implicit declaration of function 'pci_enable_foo'" "$rec" ||
    fail "$CASE: record: $(cat "$rec")"
grep -q "pci_enable_foo" "$rec.log" || fail "$CASE: the log was not kept"
# status keeps the reference's lines: a failed build is not a row there
[ "$(tdkms status)" = "edu/1.0, $K1, $ARCH: installed" ] || fail "$CASE: status: $(tdkms status)"
tdkms status --json >"$T/out"
expect_json \
    '[r["state"] for r in j]' '["installed", "failed"]' \
    '[r for r in j if r["state"] == "failed"][0]["first_error"]' "edu.c:12:5: error: implicit declaration of function 'pci_enable_foo'" \
    '[r for r in j if r["state"] == "failed"][0]["kernel"]' "$K2" \
    '[r for r in j if r["state"] == "failed"][0]["log"]' "$rec.log"
run_check 13
expect_line "$K2" "^$K2: degraded — edu \(PCI 1234:11e8\) will not work: edu/1.0 failed to build: edu.c:12:5: error: implicit declaration of function 'pci_enable_foo'\$"
expect_line "$K1" "^$K1: ready\$"
grep -q "log: $rec.log" "$T/out" || fail "$CASE: no log named: $(cat "$T/out")"
run_check 13 --json
check_schema
expect_json \
    'mod("'"$K2"'", "edu")["state"]' failed \
    'mod("'"$K2"'", "edu")["exit_code"]' 10 \
    'mod("'"$K2"'", "edu")["log"]' "$rec.log" \
    'mod("'"$K2"'", "edu")["stale"]' false \
    'mod("'"$K2"'", "edu")["devices"]' '["PCI 1234:11e8 (0000:00:04.0) bound to edu"]' \
    '[k["verdict"] for k in j["kernels"]]' '["degraded", "ready"]'
CASE="failed: the source changed since"
echo "# a fix" >>"$T/src/edu-1.0/build.sh"
run_check 13 --json
expect_json 'mod("'"$K2"'", "edu")["stale"]' true
CASE="failed: no device needs it"
rm -r "$T/sys/bus/pci/devices/0000:00:04.0"
run_check 0
expect_line "$K2" "^$K2: ready — edu/1.0 failed to build: .*, but no device on this machine uses it\$"
CASE="failed, then built: the record goes"
make_ko "$T/src/edu-1.0/prebuilt-$K2.ko" "$K2" edu "$EDU_ALIAS"
expect_rc 0 tdkms build edu/1.0 -k "$K2" --kernelsourcedir "$T/hdr" >/dev/null 2>&1
[ ! -e "$rec" ] && [ ! -e "$rec.log" ] || fail "$CASE: the record outlived a good build"
[ ! -e "$T/dkms/edu/1.0/failures" ] || fail "$CASE: an empty failures directory was left"
run_check 0 --json
expect_json 'mod("'"$K2"'", "edu")["state"]' built
CASE="failed, then removed: the record goes"
rm "$T/src/edu-1.0/prebuilt-$K2.ko"
tdkms unbuild edu/1.0 -k "$K2" >/dev/null 2>&1
expect_rc 10 tdkms build edu/1.0 -k "$K2" --kernelsourcedir "$T/hdr" >/dev/null 2>&1
[ -f "$rec" ] || fail "$CASE: no record"
tdkms --no-depmod remove edu/1.0 --all >/dev/null 2>&1
[ ! -e "$rec" ] || fail "$CASE: the record outlived remove"

# ---- not built, headers missing, excluded, never built: --------------------
CASE="not built, headers missing, excluded"
new_root
fake_added edu 1.0
echo 'AUTOINSTALL=yes' >>"$T/src/edu-1.0/dkms.conf"
built_ko edu 1.0 "$K1" "$EDU_ALIAS"
fake_installed edu 1.0 "$K1"
fake_added k61only 1.0
printf '%s\n' 'AUTOINSTALL=yes' 'BUILD_EXCLUSIVE_KERNEL="^6\.1\."' >>"$T/src/k61only-1.0/dkms.conf"
built_ko k61only 1.0 "$K1" 'usb:v046DpC52Bd*dc*dsc*dp*ic*isc*ip*in*'
fake_installed k61only 1.0 "$K1"
fake_added quiet 1.0 # not AUTOINSTALL, installed nowhere: not expected anywhere
run_check 13 -k "$K2"
expect_line "$K2" "^$K2: degraded — edu \(PCI 1234:11e8\) will not work: edu/1.0 was not built: the kernel's headers are missing \(install [^)]*$K2[^)]*\)\$"
grep -q "quiet" "$T/out" && fail "$CASE: a module nothing asks for is listed: $(cat "$T/out")"
run_check 13 -k "$K2" --json
check_schema
expect_json \
    'mod("'"$K2"'", "edu")["state"]' missing-headers \
    "\"$K2\" in mod(\"$K2\", \"edu\")[\"headers_package\"]" true \
    'mod("'"$K2"'", "k61only")["state"]' excluded \
    'bool(mod("'"$K2"'", "k61only")["exclude_reason"])' true \
    'mod("'"$K2"'", "k61only")["devices"]' '["USB 046d:c52b (1-1:1.0), no driver bound"]'
# with headers, it is "not built yet"
mkdir -p "$T/hdr/include"
run_check 13 -k "$K2" --kernelsourcedir "$T/hdr" --json
expect_json 'mod("'"$K2"'", "edu")["state"]' not-built
CASE="never built anywhere: unknown"
rm -r "$T/sys/bus/pci/devices/0000:00:04.0"
fake_added ghost 2.0
echo 'AUTOINSTALL=yes' >>"$T/src/ghost-2.0/dkms.conf"
run_check 14 -k "$K2"
expect_line "$K2" "^$K2: unknown — ghost/2.0 was not built: .*, and which devices it drives is unknown \(no built copy of it\)\$"
run_check 14 -k "$K2" --json
expect_json \
    'mod("'"$K2"'", "ghost")["aliases_known"]' false \
    'mod("'"$K2"'", "ghost")["devices"]' '[]' \
    'mod("'"$K2"'", "edu")["devices"]' '[]'
CASE="never built here, but a copy installed for another kernel says which devices it drives"
make_ko "$T/lib/modules/$K1/updates/dkms/ghost.ko" "$K1" ghost 'usb:v046DpC52B*'
run_check 13 -k "$K2" --json
expect_json \
    'mod("'"$K2"'", "ghost")["aliases_known"]' true \
    'mod("'"$K2"'", "ghost")["devices"]' '["USB 046d:c52b (1-1:1.0), no driver bound"]'

# ---- Secure Boot ------------------------------------------------------------
EFI_GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
SHIM=605dab50-e046-4300-abb6-3dd810dd8b23
# siglist OUT CERT...: an efivars file holding an EFI signature list of the
# DER certificates.
siglist() {
    python3 - "$@" <<'EOF'
import struct, sys, uuid
x509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072").bytes_le
owner = uuid.UUID("605dab50-e046-4300-abb6-3dd810dd8b23").bytes_le
data = b""
for cert in sys.argv[2:]:
    sig = owner + open(cert, "rb").read()
    data += x509 + struct.pack("<III", 28 + len(sig), 0, len(sig)) + sig
open(sys.argv[1], "wb").write(b"\x07\x00\x00\x00" + data)
EOF
}
# sign_ko KO KEY CERT: KO signed as the kernel's sign-file signs (a detached
# PKCS#7 signature, the module_signature block and the magic string).
sign_ko() {
    openssl x509 -inform DER -in "$3" -out "$T/cert.pem" &&
        openssl cms -sign -binary -noattr -nocerts -outform DER -md sha256 -signer "$T/cert.pem" \
            -inkey "$2" -in "$1" -out "$T/sig" || fail "openssl cannot sign $1"
    python3 - "$1" "$T/sig" <<'EOF'
import struct, sys
sig = open(sys.argv[2], "rb").read()
with open(sys.argv[1], "ab") as ko:
    ko.write(sig + struct.pack(">BBBBB3xI", 0, 0, 2, 0, 0, len(sig)) + b"~Module signature appended~\n")
EOF
}
CASE="Secure Boot on, an unsigned module"
command -v openssl >/dev/null || skip "openssl is needed for the Secure Boot cases"
new_root
fake_added edu 1.0
built_ko edu 1.0 "$K1" "$EDU_ALIAS"
fake_installed edu 1.0 "$K1"
printf '\x06\x00\x00\x00\x01' >"$T/efi/efivars/SecureBoot-$EFI_GLOBAL"
run_check 13 -k "$K1"
expect_line "$K1" "^$K1: degraded — edu \(PCI 1234:11e8\) will not work: edu/1.0 will not load: it is not signed and Secure Boot is enabled\$"
run_check 13 -k "$K1" --json
check_schema
expect_json \
    'mod("'"$K1"'", "edu")["will_load"]' false \
    'mod("'"$K1"'", "edu")["signed_by"]' null \
    'j["secure_boot"]["state"]' enabled
CASE="Secure Boot on, but shim's validation off"
printf '\x06\x00\x00\x00\x01' >"$T/efi/efivars/MokSBStateRT-$SHIM"
run_check 0 -k "$K1"
rm "$T/efi/efivars/MokSBStateRT-$SHIM"

CASE="Secure Boot on, signed with a key not enrolled"
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/dkms/mok.key" -outform DER -out "$T/dkms/mok.pub" \
    -days 36500 -subj "/CN=DKMS module signing key" 2>/dev/null || fail "openssl cannot make a key"
for f in "$T/dkms/edu/1.0/$K1/$ARCH/module/edu.ko" "$T/lib/modules/$K1/updates/dkms/edu.ko"; do
    sign_ko "$f" "$T/dkms/mok.key" "$T/dkms/mok.pub"
done
modinfo -F signer "$T/lib/modules/$K1/updates/dkms/edu.ko" | grep -qx "DKMS module signing key" ||
    fail "$CASE: libkmod does not see the signature"
run_check 13 -k "$K1" --json
expect_json \
    'mod("'"$K1"'", "edu")["signed_by"]' "DKMS module signing key" \
    'mod("'"$K1"'", "edu")["will_load"]' false \
    'j["secure_boot"]["key_enrolled"]' false \
    'j["secure_boot"]["certificate"]' "$T/dkms/mok.pub"
run_check 13 -k "$K1"
grep -q "^Secure Boot: enabled; .* is not enrolled (mokutil --import $T/dkms/mok.pub" "$T/out" ||
    fail "$CASE: $(cat "$T/out")"
CASE="Secure Boot on, the key's enrolment pending"
siglist "$T/efi/efivars/MokNew-$SHIM" "$T/dkms/mok.pub"
run_check 13 -k "$K1" --json
expect_json 'j["secure_boot"]["key_pending"]' true
rm "$T/efi/efivars/MokNew-$SHIM"
CASE="Secure Boot on, the key enrolled"
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -outform DER -out "$T/other.der" \
    -days 1 -subj "/CN=someone else" 2>/dev/null
siglist "$T/efi/efivars/MokListRT-$SHIM" "$T/other.der" "$T/dkms/mok.pub"
run_check 0 -k "$K1"
grep -qx "  edu/1.0: installed and verified; signed by DKMS module signing key; will load: yes" "$T/out" ||
    fail "$CASE: $(cat "$T/out")"
grep -q "^Secure Boot: enabled; the DKMS signing certificate $T/dkms/mok.pub is enrolled" "$T/out" ||
    fail "$CASE: $(cat "$T/out")"
run_check 0 -k "$K1" --json
check_schema
expect_json 'j["secure_boot"]["key_enrolled"]' true
CASE="only another key enrolled"
siglist "$T/efi/efivars/MokListRT-$SHIM" "$T/other.der"
run_check 13 -k "$K1"
expect_line "$K1" "will not load: it is signed with key [0-9A-F:]+, which is not enrolled"
CASE="efivars unreadable, the key in the kernel's key list"
rm -r "$T/efi/efivars"
run_check 14 -k "$K1" --json
expect_json \
    'j["secure_boot"]["state"]' unknown \
    'mod("'"$K1"'", "edu")["will_load"]' null
skid=$(openssl x509 -inform DER -in "$T/dkms/mok.pub" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
echo "1a2b3c4d I------ 1 perm 1f030000 0 0 asymmetri DKMS module signing key: $skid: X509.rsa ${skid:32} []" \
    >"$T/proc-keys"
run_check 0 -k "$K1" --json
expect_json \
    'j["secure_boot"]["key_enrolled"]' true \
    'mod("'"$K1"'", "edu")["will_load"]' true

# ---- REMAKE_INITRD: is it in the initramfs? -------------------------------
CASE="initramfs"
new_root
fake_added stor 1.0
echo 'REMAKE_INITRD=yes' >>"$T/src/stor-1.0/dkms.conf"
built_ko stor 1.0 "$K1" "$EDU_ALIAS"
fake_installed stor 1.0 "$K1"
run_check 0 -k "$K1" --json
expect_json 'mod("'"$K1"'", "stor")["initramfs"]' null
mkdir -p "$T/bin"
printf '#!/bin/sh\n[ "$1" = "%s" ] && cat "%s"\n' "$T/boot/initrd.img-$K1" "$T/listing" >"$T/bin/lsinitramfs"
chmod +x "$T/bin/lsinitramfs"
touch "$T/boot/initrd.img-$K1"
printf '%s\n' "usr/lib/modules/$K1/kernel/drivers/ata/ahci.ko" >"$T/listing"
PATH=$T/bin:$PATH run_check 13 -k "$K1"
expect_line "$K1" "stor \(PCI 1234:11e8\) will not work while the system boots: stor/1.0 is not in the initramfs"
printf '%s\n' "usr/lib/modules/$K1/updates/dkms/stor.ko.xz" >>"$T/listing"
PATH=$T/bin:$PATH run_check 0 -k "$K1" --json
expect_json 'mod("'"$K1"'", "stor")["initramfs"]' true

echo "check: every state, Secure Boot, the initramfs and the failure records behave"
