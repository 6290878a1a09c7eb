#!/bin/bash
# Boot test: "the hardware works after the kernel update".
#
# Registers the example driver (examples/edu-dkms) and a driver that only
# builds for 6.1 (tests/fixtures/api612-1.0) with our dkms in a
# throwaway root, installs both for two kernels, then boots each kernel
# in QEMU with an edu PCI device and a small initramfs carrying
# /lib/modules/<kernel> exactly as dkms left it.  The guest loads the driver
# by name through depmod's tables and talks to the device; the serial
# console output is checked:
#   - on both kernels the driver binds the device, reads identification
#     0x010000ed and has the device compute 5! = 120;
#   - on 6.12 the build of api612 fails (dkms exits 10), the module is
#     absent, and the kernel still boots with the edu driver working.
#
# Kernels come from Debian's archive (apt-get download), never from /boot,
# and are kept in $BOOT_CACHE between runs.  Needs qemu-system-x86,
# busybox-static and cpio (scripts/setup-deps.sh --system).
#
# Environment: BOOT_CACHE (default /var/cache/dkms-c-tests/boot),
# BOOT_TIMEOUT seconds per boot (default 180), KEEP_LOGS=1 keeps the
# console logs in $BOOT_CACHE/logs.

. "$(dirname "$0")/../../lib.sh"

EXAMPLE=$SRCDIR/examples/edu-dkms
OLD_SRC=$SRCDIR/tests/fixtures/api612-1.0
BOOT_CACHE=${BOOT_CACHE:-/var/cache/dkms-c-tests/boot}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
KERNELS=("$K61" "$K612")

# Builds and emulation are heavy; stay polite to whatever else runs here.
renice -n 10 $$ >/dev/null 2>&1 || :

[ "$(id -u)" = 0 ] || skip "needs root (dkms builds, device nodes in the initramfs)"
[ -x "$DKMS" ] || fail "our dkms not found at $DKMS"
need_headers "${KERNELS[@]}"
for p in qemu-system-x86_64 cpio gzip depmod apt-get dpkg-deb; do
    command -v "$p" >/dev/null || skip "$p not installed (scripts/setup-deps.sh --system)"
done
BUSYBOX=/bin/busybox
# The guest has no C library: busybox must be the static build.
[ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 \
    || skip "static busybox not installed (package busybox-static)"
[ -e "$EXAMPLE/dkms.conf" ] || fail "example driver missing at $EXAMPLE"

# --- 1. kernel images from the archive, cached --------------------------------
# Only vmlinuz is taken out of each package; the package itself is kept so a
# later run needs no network.
get_vmlinuz() {
    local k=$1 deb
    [ -s "$BOOT_CACHE/vmlinuz-$k" ] && return 0
    mkdir -p "$BOOT_CACHE"
    deb=$(ls "$BOOT_CACHE"/linux-image-"$k"_*.deb 2>/dev/null | head -n1)
    if [ -z "$deb" ]; then
        (cd "$BOOT_CACHE" && apt-get download -q -o APT::Sandbox::User=root \
            "linux-image-$k" >/dev/null 2>&1) || return 1
        deb=$(ls "$BOOT_CACHE"/linux-image-"$k"_*.deb 2>/dev/null | head -n1)
        [ -n "$deb" ] || return 1
    fi
    local x
    x=$(mktemp -d "$BOOT_CACHE/.x.XXXXXX")
    if dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" "./boot/vmlinuz-$k"; then
        mv "$x/boot/vmlinuz-$k" "$BOOT_CACHE/vmlinuz-$k"
    fi
    rm -rf "$x"
    [ -s "$BOOT_CACHE/vmlinuz-$k" ]
}
for k in "${KERNELS[@]}"; do
    get_vmlinuz "$k" || skip "cannot get linux-image-$k (apt-get download failed)"
done

# --- 2. dkms: register, build and install in a throwaway root -----------------
mkroot "${KERNELS[@]}"

edu=$(put_source "$EXAMPLE")
[ "$edu" = edu/1.0 ] || fail "example dkms.conf names '$edu', expected edu/1.0"
old=$(put_source "$OLD_SRC")
tdkms add "$edu" || fail "dkms add $edu"
tdkms add "$old" || fail "dkms add $old"

for k in "${KERNELS[@]}"; do
    tdkms install "$edu" -k "$k" || fail "dkms install $edu -k $k exited $?"
done
tdkms install "$old" -k "$K61" || fail "dkms install $old -k $K61 exited $?"
rc=0; tdkms install "$old" -k "$K612" >"$T/api612-612.out" 2>&1 || rc=$?
[ "$rc" = 10 ] || { cat "$T/api612-612.out" >&2; fail "dkms install $old -k $K612 exited $rc, expected 10 (failed make)"; }

# find_ko DIR NAME: the installed module file, whatever compression it has.
find_ko() { find "$1" \( -name "$2.ko" -o -name "$2.ko.*" \) -print -quit; }

for k in "${KERNELS[@]}"; do
    md=$T/lib/modules/$k
    [ -s "$md/modules.dep" ] || fail "no $md/modules.dep after dkms install: depmod was not run for $k"
    ko=$(find_ko "$md" edu); [ -n "$ko" ] || fail "edu module not installed under $md"
    grep -q "^${ko#"$md"/}:" "$md/modules.dep" || fail "$md/modules.dep does not list ${ko#"$md"/}"
done
[ -n "$(find_ko "$T/lib/modules/$K61" api612)" ] || fail "api612 not installed for $K61"
[ -z "$(find_ko "$T/lib/modules/$K612" api612)" ] || fail "api612 installed for $K612 although its build failed"
tdkms status >"$T/status" || fail "dkms status exited $?"
grep -q "^edu/1.0, $K612, $ARCH: installed" "$T/status" || { cat "$T/status" >&2; fail "status does not show edu installed for $K612"; }
grep -q "^api612/1.0, $K612" "$T/status" && { cat "$T/status" >&2; fail "status shows api612 for $K612"; }

# --- 3. initramfs per kernel --------------------------------------------------
cat >"$T/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /tmp
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo
echo "BOOT-UP kernel=$(uname -r)"
if modprobe edu; then echo "EDU-MODPROBE=ok"; else echo "EDU-MODPROBE=failed"; fi
bound=
for d in /sys/bus/pci/drivers/edu/0000:*; do
    [ -e "$d" ] && bound=$d
done
if [ -n "$bound" ]; then
    echo "EDU-BOUND=${bound##*/}"
    echo "EDU-IDENT=$(cat "$bound/ident")"
    echo 5 > "$bound/factorial" && echo "EDU-FACT=$(cat "$bound/factorial")"
else
    echo "EDU-BOUND=none"
fi
dmesg | grep -w edu | sed 's/^/EDU-DMESG: /'
if modprobe api612 2>/dev/null; then echo "API612=loaded"; else echo "API612=absent"; fi
echo "GUEST-UPTIME=$(cut -d' ' -f1 /proc/uptime)"
echo "BOOT-DONE"
poweroff -f
EOF

mkinitrd() {
    local k=$1 out=$2 r
    r=$T/initrd-$k
    mkdir -p "$r/bin" "$r/lib/modules" "$r/dev"
    cp "$BUSYBOX" "$r/bin/busybox"
    cp "$T/init" "$r/init"
    chmod 755 "$r/init" "$r/bin/busybox"
    mknod -m 600 "$r/dev/console" c 5 1
    cp -a "$T/lib/modules/$k" "$r/lib/modules/$k"
    (cd "$r" && find . -print0 | LC_ALL=C sort -z \
        | cpio --null -o -H newc --quiet | gzip -1) >"$out"
    rm -rf "$r"
}

# --- 4. boot each kernel ------------------------------------------------------
boot() {
    local k=$1 log=$2 start end ms rc=0
    start=${EPOCHREALTIME/[.,]/}
    timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -nographic -no-reboot -m 512 \
        -nic none -kernel "$BOOT_CACHE/vmlinuz-$k" -initrd "$T/initrd-$k.gz" \
        -append "console=ttyS0 panic=-1 quiet" -device edu \
        </dev/null >"$log" 2>&1 || rc=$?
    end=${EPOCHREALTIME/[.,]/}
    ms=$(( (end - start) / 1000 ))
    # plain text: no carriage returns, no terminal escapes from the firmware
    sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[A-Za-z]//g' <"$log" >"$log.txt"
    printf 'boot %s: %d.%01d s (qemu exit %s)\n' "$k" $((ms / 1000)) $((ms % 1000 / 100)) "$rc"
    [ "$rc" != 124 ] || { tail -n 30 "$log.txt" >&2; fail "boot of $k timed out after ${BOOT_TIMEOUT}s"; }
}

# marker LOG NAME: the value printed as NAME=<value> by the guest.
marker() { sed -n "s/^$2=//p" "$1" | tail -n1; }

check_boot() {
    local k=$1 log=$2 old_want=$3 v
    grep -q "^BOOT-UP kernel=$k\$" "$log" || { tail -n 30 "$log" >&2; fail "$k: the guest did not come up"; }
    grep -q "^BOOT-DONE" "$log" || { tail -n 30 "$log" >&2; fail "$k: the guest init did not finish"; }
    v=$(marker "$log" EDU-MODPROBE); [ "$v" = ok ] || { cat "$log" >&2; fail "$k: modprobe edu: $v"; }
    v=$(marker "$log" EDU-BOUND); [ -n "$v" ] && [ "$v" != none ] || { cat "$log" >&2; fail "$k: edu driver did not bind the device"; }
    grep -q '^EDU-DMESG: .* edu device version 1\.0 bound' "$log" || { cat "$log" >&2; fail "$k: no 'bound' line from the driver in dmesg"; }
    v=$(marker "$log" EDU-IDENT); [ "$v" = 0x010000ed ] || { cat "$log" >&2; fail "$k: ident '$v', expected 0x010000ed"; }
    v=$(marker "$log" EDU-FACT); [ "$v" = 120 ] || { cat "$log" >&2; fail "$k: 5! read back as '$v', expected 120"; }
    v=$(marker "$log" API612); [ "$v" = "$old_want" ] || { cat "$log" >&2; fail "$k: api612 $v, expected $old_want"; }
    echo "$k: edu bound $(marker "$log" EDU-BOUND), ident $(marker "$log" EDU-IDENT), 5! = $(marker "$log" EDU-FACT), api612 $v, guest uptime at the end $(marker "$log" GUEST-UPTIME) s"
}

for k in "${KERNELS[@]}"; do
    mkinitrd "$k" "$T/initrd-$k.gz"
    boot "$k" "$T/console-$k.log"
    if [ "${KEEP_LOGS:-0}" = 1 ]; then
        mkdir -p "$BOOT_CACHE/logs" && cp "$T/console-$k.log.txt" "$BOOT_CACHE/logs/console-$k.log"
    fi
    case $k in
        "$K61")  check_boot "$k" "$T/console-$k.log.txt" loaded ;;
        *)       check_boot "$k" "$T/console-$k.log.txt" absent ;;
    esac
done
echo "PASS: edu driver works on ${KERNELS[*]}; api612 absent on $K612 and the boot came up"
exit 0
