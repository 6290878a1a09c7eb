# shellcheck shell=bash
# Booting a kernel in QEMU with a small initramfs that loads the example
# driver (examples/edu-dkms) and talks to QEMU's edu device.  Source it
# after tests/lib.sh.  Needs qemu-system-x86_64, cpio, gzip and a static
# busybox (scripts/setup-deps.sh --system).

BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
BOOT_BUSYBOX=${BOOT_BUSYBOX:-/bin/busybox}

# boot_need_tools: skips the test when a tool is missing.
boot_need_tools() {
    local p
    for p in qemu-system-x86_64 cpio gzip; do
        command -v "$p" >/dev/null || skip "$p not installed (scripts/setup-deps.sh --system)"
    done
    # the guest has no C library: busybox must be the static build
    [ -x "$BOOT_BUSYBOX" ] && ! ldd "$BOOT_BUSYBOX" >/dev/null 2>&1 ||
        skip "static busybox not installed (package busybox-static)"
}

# boot_edu_init FILE [MORE]: an init that loads edu by name (depmod's
# tables), prints what the bound device says as NAME=value lines, runs the
# shell lines of the file MORE if given, and powers off.
boot_edu_init() {
    cat >"$1" <<'INIT'
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
INIT
    [ -z "${2:-}" ] || cat "$2" >>"$1"
    printf '%s\n' 'echo "BOOT-DONE"' 'poweroff -f' >>"$1"
}

# boot_initrd_dir INIT: a new directory (printed) laid out as an initramfs
# with busybox, INIT as /init and a console; fill it, then boot_initrd_pack.
boot_initrd_dir() {
    local r
    r=$(mktemp -d "${T:-${TMPDIR:-/tmp}}/initrd.XXXXXX")
    mkdir -p "$r/bin" "$r/lib/modules" "$r/dev"
    cp "$BOOT_BUSYBOX" "$r/bin/busybox"
    cp "$1" "$r/init"
    chmod 755 "$r/init" "$r/bin/busybox"
    mknod -m 600 "$r/dev/console" c 5 1
    echo "$r"
}

# boot_initrd_pack DIR OUT: DIR as a gzip'd cpio in OUT; DIR is removed.
boot_initrd_pack() {
    (cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -1) >"$2"
    rm -rf "$1"
}

# boot_mkinitrd MODDIR INIT OUT [PATH...]: a gzip'd cpio with busybox, INIT
# as /init and MODDIR (a /lib/modules/<kernel>) as /lib/modules/<kernel>:
# only the PATHs given inside it (e.g. modules.dep updates), else all of it.
boot_mkinitrd() {
    local moddir=$1 init=$2 out=$3 r k p; shift 3
    k=$(basename "$moddir")
    r=$(boot_initrd_dir "$init")
    mkdir -p "$r/lib/modules/$k"
    if [ $# = 0 ]; then
        cp -a "$moddir/." "$r/lib/modules/$k/"
    else
        for p in "$@"; do
            (cd "$moddir" && cp -a --parents $p "$r/lib/modules/$k/")
        done
    fi
    boot_initrd_pack "$r" "$out"
}

# boot_qemu VMLINUZ INITRD LOG [QEMU-ARG...]: boots with an edu device (and
# the QEMU-ARGs, e.g. more devices); LOG.txt is the console as plain text.
# Prints the time it took; fails on a timeout.
boot_qemu() {
    local vmlinuz=$1 initrd=$2 log=$3 start end ms rc=0; shift 3
    start=${EPOCHREALTIME/[.,]/}
    timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -nographic -no-reboot -m 512 \
        -nic none -kernel "$vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 quiet" -device edu "$@" \
        </dev/null >"$log" 2>&1 || rc=$?
    end=${EPOCHREALTIME/[.,]/}
    ms=$(((end - start) / 1000))
    sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[A-Za-z]//g' <"$log" >"$log.txt"
    printf 'boot %s: %d.%01d s (qemu exit %s)\n' "$(basename "$vmlinuz")" $((ms / 1000)) $((ms % 1000 / 100)) "$rc"
    [ "$rc" != 124 ] || { tail -n 30 "$log.txt" >&2; fail "boot of $vmlinuz timed out after ${BOOT_TIMEOUT}s"; }
}

# boot_marker LOG NAME: the value the guest printed as NAME=<value>.
boot_marker() { sed -n "s/^$2=//p" "$1" | tail -n1; }

# boot_check_edu LOG KERNEL: the guest came up on KERNEL, loaded edu, and
# the device answered with its identification 0x010000ed and 5! = 120.
boot_check_edu() {
    local log=$1 k=$2 v
    grep -q "^BOOT-UP kernel=$k\$" "$log" || { tail -n 30 "$log" >&2; fail "$k: the guest did not come up"; }
    grep -q "^BOOT-DONE" "$log" || { tail -n 30 "$log" >&2; fail "$k: the guest init did not finish"; }
    v=$(boot_marker "$log" EDU-MODPROBE); [ "$v" = ok ] || { cat "$log" >&2; fail "$k: modprobe edu: $v"; }
    v=$(boot_marker "$log" EDU-BOUND); [ -n "$v" ] && [ "$v" != none ] || { cat "$log" >&2; fail "$k: edu did not bind the device"; }
    v=$(boot_marker "$log" EDU-IDENT); [ "$v" = 0x010000ed ] || { cat "$log" >&2; fail "$k: ident '$v', expected 0x010000ed"; }
    v=$(boot_marker "$log" EDU-FACT); [ "$v" = 120 ] || { cat "$log" >&2; fail "$k: 5! read back as '$v', expected 120"; }
}
