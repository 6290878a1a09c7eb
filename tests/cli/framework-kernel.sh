#!/bin/bash
# framework.conf settings that name the kernel: the reference reads the
# signing settings again when it prepares signing, with $kernelver set, so
# that sign_file="/lib/modules/${kernelver}/build/scripts/sign-file" and
# key paths under a per-kernel directory name the kernel being built for
# (newer releases do the same for post_transaction).  Each of two kernels
# gets its own sign-file and key pair; the module of each is signed by
# that kernel's sign-file with that kernel's key.  /etc is an overlay in a
# private mount namespace: the machine's /etc/dkms is not touched.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "mounting needs root"
command -v unshare >/dev/null || skip "unshare not found"
if [ -z "${DKMS_FRAMEWORK_NS:-}" ]; then
    DKMS_FRAMEWORK_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
unset sign_file mok_signing_key mok_certificate post_transaction
KA=6.1.0-91-dkmstest KB=6.1.0-92-dkmstest
mkroot "$KA" "$KB"
mkdir -p "$T/etc-upper" "$T/etc-work" "$T/ksrc/include"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc-upper,workdir=$T/etc-work" /etc ||
    skip "cannot mount an overlay on /etc"
at_exit "umount /etc"
rm -rf /etc/dkms
mkdir -p /etc/dkms/framework.conf.d
cat > /etc/dkms/framework.conf.d/per-kernel.conf <<C
sign_file="$T/signers/\${kernelver}/sign-file"
mok_signing_key="$T/keys/\${kernelver}/mok.key"
mok_certificate="$T/keys/\$kernelver/mok.der"
post_transaction="echo \$kernelver > $T/post"
C
# a sign-file per kernel, which notes who signed with which key
for k in "$KA" "$KB"; do
    mkdir -p "$T/signers/$k" "$T/keys/$k"
    printf '#!/bin/sh\necho "signed by %s with $2" >> "$4"\n' "$k" > "$T/signers/$k/sign-file"
    chmod +x "$T/signers/$k/sign-file"
done
script_source kv 1.0 <<'S'
#!/bin/sh
echo "kv module" > kv.ko
S
kd() { tdkms --kernelsourcedir "$T/ksrc" --no-depmod "$@"; }
expect_rc 0 kd add kv/1.0 >/dev/null
for k in "$KA" "$KB"; do
    kd install kv/1.0 -k "$k" >"$T/out" 2>&1 || { cat "$T/out"; fail "install for $k"; }
    grep -q "^Sign command: $T/signers/$k/sign-file$" "$T/out" || { cat "$T/out"; fail "sign_file for $k"; }
    [ -f "$T/keys/$k/mok.key" ] && [ -f "$T/keys/$k/mok.der" ] || fail "no key pair made for $k"
    ko=$T/dkms/kv/1.0/$k/$ARCH/module/kv.ko
    grep -qx "signed by $k with $T/keys/$k/mok.key" "$ko" || { cat "$ko"; fail "$ko not signed for $k"; }
done
[ "$(cat "$T/post")" = "$KB" ] || fail "post_transaction ran with kernelver '$(cat "$T/post")', not $KB"
echo PASS
