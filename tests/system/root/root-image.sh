#!/bin/bash
# dkms --root on an offline image: a merged-/usr Debian root made from the
# real packages of kernel $K61 (linux-image, linux-headers, -common,
# linux-kbuild), unpacked with dpkg-deb into a scratch directory.  Our dkms,
# run from the host, adds, builds and installs examples/edu-dkms into it
# (no -k: the root's own kernel is taken, not the host's), in a private
# mount namespace where the host's copies of those headers
# (/usr/src/linux-headers-$K61{,-common}, /usr/lib/linux-kbuild-6.1) are
# empty: the build can only have used the root's.  Then the root's own
# vmlinuz boots in QEMU with an initramfs made from the root's
# /lib/modules/$K61 (its depmod tables and the installed module), and the
# guest loads edu and reads the device's identification 0x010000ed.
#
# The packages are taken from /var/cache/dkms-c-tests/debs or .../boot when
# there, else downloaded (apt-get download) into /var/cache/dkms-c-tests/root.
. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/boot/boot-lib.sh"
renice -n 10 $$ >/dev/null 2>&1 || :
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$DKMS" ] || fail "our dkms not found at $DKMS"
for p in unshare dpkg-deb apt-get make gcc depmod; do
    command -v "$p" >/dev/null || skip "$p not installed"
done
bwrap --unshare-net --ro-bind / / true 2>/dev/null || skip "bwrap cannot make a sandbox here"
boot_need_tools
CACHE=/var/cache/dkms-c-tests
KBUILD=linux-kbuild-${K61%%.0-*}   # linux-kbuild-6.1

# deb NAME: the package file, from a cache or downloaded into one.
deb() {
    local f
    f=$(ls "$CACHE"/debs/"$1"_*.deb "$CACHE"/boot/"$1"_*.deb "$CACHE"/root/"$1"_*.deb 2>/dev/null | head -n1)
    if [ -z "$f" ]; then
        mkdir -p "$CACHE/root"
        (cd "$CACHE/root" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null 2>&1) || return 1
        f=$(ls "$CACHE"/root/"$1"_*.deb 2>/dev/null | head -n1)
    fi
    [ -n "$f" ] && echo "$f"
}

# --- 1. the image ---------------------------------------------------------------
mkroot
R=$T/image
mkdir -p "$R/usr/lib" "$R/usr/bin" "$R/usr/sbin" "$R/etc" "$R/var/lib" "$R/boot"
for d in lib bin sbin; do ln -s "usr/$d" "$R/$d"; done
printf 'ID=debian\nVERSION_ID="12"\n' > "$R/etc/os-release"
start=$SECONDS
for p in "linux-image-$K61" "linux-headers-$K61" "linux-headers-${K61%-amd64}-common" "$KBUILD"; do
    f=$(deb "$p") || skip "cannot get package $p"
    # --keep-directory-symlink: /lib/modules lands in usr/lib, as dpkg does
    dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$R" || fail "unpacking $f"
done
echo "image unpacked in $((SECONDS - start)) s"
[ -L "$R/lib/modules/$K61/build" ] || fail "$p: no build link in the image"
[ -e "$R/usr/lib/modules/$K61/kernel" ] || fail "the image's modules are not under usr/lib"
mkdir -p "$R/usr/src/edu-1.0"
cp -a "$SRCDIR/examples/edu-dkms/." "$R/usr/src/edu-1.0/"

# --- 2. dkms --root, where the host has no such headers -------------------------
# rdkms ARGS: dkms --root $R in a mount namespace where the host's headers
# for $K61 are empty directories
rdkms() {
    unshare -m --propagation private bash -c '
        for d in /usr/src/linux-headers-'"$K61"' /usr/src/linux-headers-'"${K61%-amd64}"'-common /usr/lib/'"$KBUILD"'; do
            [ -d "$d" ] && { mount -t tmpfs none "$d" || exit 99; }
        done
        exec "$@"' _ "$DKMS" --root "$R" "$@"
}
start=$SECONDS
rdkms add edu/1.0 > "$T/add.out" 2>&1 || { cat "$T/add.out" >&2; fail "dkms --root $R add edu/1.0"; }
rdkms install edu/1.0 > "$T/install.out" 2>&1 || { cat "$T/install.out" >&2; fail "dkms --root $R install edu/1.0 (kernel $K61, the image's only one)"; }
echo "add + build + install in the image: $((SECONDS - start)) s"
log=$R/var/lib/dkms/edu/1.0/$K61/$ARCH/log/make.log
[ -f "$log" ] || fail "no make.log at $log"
grep -q "$R/usr/src/linux-headers-$K61" "$log" || { cat "$log" >&2; fail "make did not use the image's headers"; }
ko=$(find "$R/usr/lib/modules/$K61/updates" \( -name edu.ko -o -name 'edu.ko.*' \) -print -quit)
[ -n "$ko" ] || { cat "$T/install.out" >&2; fail "edu not installed under $R/usr/lib/modules/$K61/updates"; }
rel=${ko#"$R/usr/lib/modules/$K61/"}
grep -q "^$rel:" "$R/usr/lib/modules/$K61/modules.dep" || fail "the image's modules.dep does not list $rel (depmod -b)"
[ -e "/lib/modules/$K61/$rel" ] && fail "edu landed in the host's /lib/modules/$K61"
[ -e /var/lib/dkms/edu/1.0 ] && fail "edu registered in the host's dkms tree"
grep -q "Not regenerating the initramfs" "$T/install.out" && echo "initramfs: $(grep 'Not regenerating' "$T/install.out")"
rdkms status > "$T/status" 2>&1 || fail "status --root"
grep -q "^edu/1.0, $K61, $ARCH: installed" "$T/status" || { cat "$T/status" >&2; fail "status --root does not show edu installed"; }

# --- 3. boot the image's kernel -------------------------------------------------
boot_edu_init "$T/init"
boot_mkinitrd "$R/usr/lib/modules/$K61" "$T/init" "$T/initrd.gz" 'modules.*' "${rel%/*}"
boot_qemu "$R/boot/vmlinuz-$K61" "$T/initrd.gz" "$T/console.log"
boot_check_edu "$T/console.log.txt" "$K61"
echo "PASS: edu built by dkms --root into the image loads on the image's kernel: ident $(boot_marker "$T/console.log.txt" EDU-IDENT), 5! = $(boot_marker "$T/console.log.txt" EDU-FACT)"
