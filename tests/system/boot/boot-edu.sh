#!/bin/bash
# Boot test: "the hardware works after the kernel update", and `dkms check`
# says beforehand which hardware will not.
#
# Registers the example driver (examples/edu-dkms) and a driver that only
# builds for 6.1 (tests/fixtures/api612-1.0, which drives QEMU's
# pci-testdev) with our dkms in a throwaway root, and runs `dkms
# autoinstall` for two kernels as a kernel update does: api612's build for
# 6.12 fails and leaves a failure record.  Then it boots each kernel in
# QEMU with an edu PCI device, a pci-testdev and a small initramfs carrying
# /lib/modules of both kernels exactly as dkms left them, the dkms tree,
# our dkms with its libraries (no bash: edu's dkms.conf, which only bash
# reads, comes from the evaluation autoinstall kept) and a framework.conf
# naming the trees.  The guest loads the drivers by name through depmod's
# tables, talks to the edu device, and runs `dkms check` and `dkms check
# --json` against its real /sys; the serial console output is checked:
#   - on both kernels the edu driver binds the device, reads identification
#     0x010000ed and has the device compute 5! = 120;
#   - api612 binds the pci-testdev on 6.1 and is absent on 6.12, which
#     still boots with the edu driver working;
#   - in both guests `dkms check --json` (parsed with python3) says 6.1 is
#     ready and 6.12 degraded, names api612 as failed there with its first
#     compiler error and its log, and the pci-testdev as the device that
#     needs it; it exits 13.
#
# Kernels come from Debian's archive (apt-get download), never from /boot,
# and are kept in $BOOT_CACHE between runs.  Needs qemu-system-x86,
# busybox-static, cpio and python3 (scripts/setup-deps.sh --system).
#
# Environment: BOOT_CACHE (default /var/cache/dkms-c-tests/boot),
# BOOT_TIMEOUT seconds per boot (default 180), KEEP_LOGS=1 keeps the
# console logs in $BOOT_CACHE/logs.

. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/boot/boot-lib.sh"

EXAMPLE=$SRCDIR/examples/edu-dkms
OLD_SRC=$SRCDIR/tests/fixtures/api612-1.0
BOOT_CACHE=${BOOT_CACHE:-/var/cache/dkms-c-tests/boot}
KERNELS=("$K61" "$K612")

# Builds and emulation are heavy; stay polite to whatever else runs here.
renice -n 10 $$ >/dev/null 2>&1 || :

[ "$(id -u)" = 0 ] || skip "needs root (dkms builds, device nodes in the initramfs)"
[ -x "$DKMS" ] || fail "our dkms not found at $DKMS"
need_headers "${KERNELS[@]}"
for p in depmod apt-get dpkg-deb ldd python3; do
    command -v "$p" >/dev/null || skip "$p not installed (scripts/setup-deps.sh --system)"
done
boot_need_tools
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

# --- 2. dkms: register, then autoinstall each kernel, in a throwaway root ---
mkroot "${KERNELS[@]}"

edu=$(put_source "$EXAMPLE")
[ "$edu" = edu/1.0 ] || fail "example dkms.conf names '$edu', expected edu/1.0"
# A line only bash reads, as many packages' dkms.conf files have: dkms
# evaluates it with bash at autoinstall and keeps the result
# (src/evalcache.c); the guest, which has no bash, reads it from there.
echo 'if [ -n "$kernelver" ]; then AUTOINSTALL="yes"; fi' >>"$T/src/edu-1.0/dkms.conf"
old=$(put_source "$OLD_SRC")
[ "$old" = api612/1.0 ] || fail "fixture dkms.conf names '$old', expected api612/1.0"
tdkms add "$edu" || fail "dkms add $edu"
tdkms add "$old" || fail "dkms add $old"

# What a kernel package's postinst runs: both drivers say AUTOINSTALL.
tdkms autoinstall -k "$K61" >"$T/ai-61.out" 2>&1 || { cat "$T/ai-61.out" >&2; fail "dkms autoinstall -k $K61 exited $?"; }
rc=0; tdkms autoinstall -k "$K612" >"$T/ai-612.out" 2>&1 || rc=$?
[ "$rc" = 11 ] || { cat "$T/ai-612.out" >&2; fail "dkms autoinstall -k $K612 exited $rc, expected 11 (api612's build fails)"; }
[ -n "$(ls -A "$T/dkms/edu/1.0/.conf-cache" 2>/dev/null)" ] || fail "autoinstall kept no evaluation of edu/1.0's dkms.conf in $T/dkms/edu/1.0/.conf-cache"
failure=$T/dkms/api612/1.0/failures/$K612-$ARCH
[ -s "$failure" ] && [ -s "$failure.log" ] || { cat "$T/ai-612.out" >&2; fail "autoinstall -k $K612: no failure record $failure (and .log) for api612/1.0"; }

# find_ko DIR NAME: the installed module file, whatever compression it has.
find_ko() { find "$1" \( -name "$2.ko" -o -name "$2.ko.*" \) -print -quit; }

for k in "${KERNELS[@]}"; do
    md=$T/lib/modules/$k
    [ -s "$md/modules.dep" ] || fail "no $md/modules.dep after dkms autoinstall: depmod was not run for $k"
    ko=$(find_ko "$md" edu); [ -n "$ko" ] || fail "edu module not installed under $md"
    grep -q "^${ko#"$md"/}:" "$md/modules.dep" || fail "$md/modules.dep does not list ${ko#"$md"/}"
done
[ -n "$(find_ko "$T/lib/modules/$K61" api612)" ] || fail "api612 not installed for $K61"
[ -z "$(find_ko "$T/lib/modules/$K612" api612)" ] || fail "api612 installed for $K612 although its build failed"
tdkms status >"$T/status" || fail "dkms status exited $?"
grep -q "^edu/1.0, $K612, $ARCH: installed" "$T/status" || { cat "$T/status" >&2; fail "status does not show edu installed for $K612"; }
grep -q "^api612/1.0, $K612" "$T/status" && { cat "$T/status" >&2; fail "status shows api612 for $K612"; }

# --- 3. initramfs per kernel --------------------------------------------------
# The guest sees the trees at the paths dkms used on the host ($T/dkms,
# $T/src: the source links and the failure record's log name them), and
# /lib/modules of both kernels as a machine with both installed has them;
# /etc/dkms/framework.conf names the trees, so `dkms check` runs as on a
# real machine, without options.
# After boot-lib.sh's init has talked to the edu device:
cat >"$T/init.more" <<'EOF'
dmesg | grep -w edu | sed 's/^/EDU-DMESG: /'
if modprobe api612 2>/dev/null; then echo "API612=loaded"; else echo "API612=absent"; fi
bound=none
for d in /sys/bus/pci/drivers/api612/0000:*; do
    [ -e "$d" ] && bound=${d##*/}
done
echo "API612-BOUND=$bound"
# dkms check, as a person reads it and as JSON, against this machine's /sys
echo "GUEST-BASH=$(command -v bash || echo none)"
/usr/sbin/dkms check >/tmp/check.txt 2>&1
echo "CHECK-TEXT-RC=$?"
echo "CHECK-TEXT-BEGIN"; cat /tmp/check.txt; echo "CHECK-TEXT-END"
t0=$(cut -d' ' -f1 /proc/uptime)
/usr/sbin/dkms check --json >/tmp/check.json 2>/tmp/check.err
echo "CHECK-JSON-RC=$?"
echo "CHECK-JSON-SECONDS=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { print b - a }')"
echo "CHECK-JSON-BEGIN"; cat /tmp/check.json; echo; echo "CHECK-JSON-END"
sed 's/^/CHECK-STDERR: /' /tmp/check.err
echo "GUEST-UPTIME=$(cut -d' ' -f1 /proc/uptime)"
EOF
boot_edu_init "$T/init" "$T/init.more"
cat >"$T/framework.conf" <<EOF
dkms_tree="$T/dkms"
source_tree="$T/src"
install_tree="/lib/modules"
EOF

# copy_to ROOT FILE...: each FILE at its own path below ROOT, links followed.
copy_to() {
    local r=$1 f; shift
    for f in "$@"; do
        mkdir -p "$r$(dirname "$f")" && cp -L "$f" "$r$f" || return 1
    done
}

# Our dkms, the shared libraries it needs and the loader (ldd lists both),
# and those it loads when first called (named_libs, tests/lib.sh; dkms
# check needs libkmod) with what they need.
libs_of() { ldd "$1" | sed -n 's/^[[:space:]]*\(.* => \)\{0,1\}\(\/[^ ]*\) (0x.*/\2/p'; }
dkms_libs=$(libs_of "$DKMS")
[ -n "$dkms_libs" ] || fail "ldd $DKMS listed no libraries"
for so in $(named_libs "$DKMS"); do
    p=$(ldconfig -p | awk -v l="$so" '$1 == l && /x86-64/ { print $NF; exit }')
    [ -n "$p" ] || fail "$DKMS loads $so, which this machine lacks"
    dkms_libs+=$'\n'"$p"$'\n'"$(libs_of "$p")"
done
dkms_libs=$(sort -u <<<"$dkms_libs")

mkinitrd() {
    local k=$1 out=$2 r kk
    r=$(boot_initrd_dir "$T/init")
    mkdir -p "$r/usr/sbin" "$r/etc/dkms" "$r$T"
    for kk in "${KERNELS[@]}"; do cp -a "$T/lib/modules/$kk" "$r/lib/modules/$kk"; done
    cp "$DKMS" "$r/usr/sbin/dkms"
    # shellcheck disable=SC2086 # one path a word
    copy_to "$r" $dkms_libs || fail "cannot copy the libraries of $DKMS into the initramfs"
    cp "$T/framework.conf" "$r/etc/dkms/framework.conf"
    cp -a "$T/dkms" "$T/src" "$r$T/"
    boot_initrd_pack "$r" "$out"
}

# --- 4. boot each kernel ------------------------------------------------------
# check_boot KERNEL LOG API612-WANT: boot-lib.sh's checks of the edu
# device, the driver's line in dmesg, and api612 loaded or absent as wanted.
check_boot() {
    local k=$1 log=$2 old_want=$3 v b
    boot_check_edu "$log" "$k"
    grep -q '^EDU-DMESG: .* edu device version 1\.0 bound' "$log" || { cat "$log" >&2; fail "$k: no 'bound' line from the driver in dmesg"; }
    v=$(boot_marker "$log" API612); [ "$v" = "$old_want" ] || { cat "$log" >&2; fail "$k: api612 $v, expected $old_want"; }
    b=$(boot_marker "$log" API612-BOUND)
    if [ "$old_want" = loaded ]; then
        [ -n "$b" ] && [ "$b" != none ] || { cat "$log" >&2; fail "$k: api612 loaded but did not bind the pci-testdev"; }
    else
        [ "$b" = none ] || { cat "$log" >&2; fail "$k: api612 bound '$b' although it is absent"; }
    fi
    echo "$k: edu bound $(boot_marker "$log" EDU-BOUND), ident $(boot_marker "$log" EDU-IDENT), 5! = $(boot_marker "$log" EDU-FACT), api612 $v (bound $b), guest uptime at the end $(boot_marker "$log" GUEST-UPTIME) s"
}

# between LOG BEGIN END: the lines the guest printed between two markers.
between() { sed -n "/^$2\$/,/^$3\$/{/^$2\$/d;/^$3\$/d;p}" "$1"; }

# check_report BOOTED LOG: what `dkms check` said in the guest running
# kernel BOOTED, about both kernels.
check_report() {
    local k=$1 log=$2 v
    v=$(boot_marker "$log" GUEST-BASH)
    [ "$v" = none ] || fail "$k guest: has a bash ($v), so it does not show that check needs none"
    v=$(boot_marker "$log" CHECK-JSON-RC)
    [ "$v" = 13 ] || { cat "$log" >&2; fail "$k guest: dkms check --json exited '$v', expected 13 (a kernel degraded)"; }
    v=$(boot_marker "$log" CHECK-TEXT-RC)
    [ "$v" = 13 ] || { cat "$log" >&2; fail "$k guest: dkms check exited '$v', expected 13 (a kernel degraded)"; }
    between "$log" CHECK-TEXT-BEGIN CHECK-TEXT-END >"$log.check.txt"
    between "$log" CHECK-JSON-BEGIN CHECK-JSON-END >"$log.check.json"
    grep -q "^$K61: ready" "$log.check.txt" && grep -q "^$K612: degraded" "$log.check.txt" \
        || { cat "$log.check.txt" >&2; fail "$k guest: dkms check does not say $K61 ready and $K612 degraded"; }
    python3 - "$log.check.json" "$k" "$K61" "$K612" "$T/dkms" "$ARCH" <<'PY' || { cat "$log" >&2; fail "$k guest: dkms check --json is not what the boot needs (above)"; }
import json, re, sys
path, booted, k61, k612, tree, arch = sys.argv[1:]
def need(cond, what):
    if not cond:
        sys.exit(f"FAIL: {booted} guest: dkms check --json: {what}")
try:
    report = json.load(open(path))
except ValueError as e:
    sys.exit(f"FAIL: {booted} guest: dkms check --json printed no JSON: {e}")
kernels = {k["kernel"]: k for k in report["kernels"]}
need(set(kernels) == {k61, k612}, f"kernels checked are {sorted(kernels)}, expected {k61} and {k612}")
need([k["kernel"] for k in report["kernels"]] == [k612, k61], "kernels are not newest first")
need(report["secure_boot"]["state"] == "disabled", f"secure_boot.state {report['secure_boot']['state']!r} in a BIOS guest")
def module(k, name):
    mods = [m for m in kernels[k]["modules"] if m["name"] == name]
    need(len(mods) == 1, f"{k}: module {name} listed {len(mods)} times")
    return mods[0]
testdev = re.compile(r"^PCI 1b36:0005 \(0000:00:[0-9a-f]{2}\.0\)")
edu_dev = re.compile(r"^PCI 1234:11e8 \(0000:00:[0-9a-f]{2}\.0\) bound to edu$")
# the driver bound in the running guest: api612 on 6.1, none on 6.12
bound = " bound to api612" if booted == k61 else ", no driver bound"
for k in (k61, k612):
    edu = module(k, "edu")
    need(edu["state"] == "installed" and edu["verified"] is True and edu["will_load"] is True,
         f"{k}: edu/1.0 is {edu['state']}, verified {edu['verified']}, will_load {edu['will_load']}: {edu['problem']} {edu['load_problem']}")
    need(any(edu_dev.match(d) for d in edu["devices"]), f"{k}: edu's devices {edu['devices']} lack the bound edu device")
k = kernels[k61]
need(k["verdict"] == "ready", f"{k61} is {k['verdict']}, expected ready: {k['summary']}")
api = module(k61, "api612")
need(api["state"] == "installed" and api["verified"] is True, f"{k61}: api612/1.0 is {api['state']}, verified {api['verified']}")
need(any(testdev.match(d) and d.endswith(bound) for d in api["devices"]),
     f"{k61}: api612's devices {api['devices']} lack the pci-testdev{bound}")
k = kernels[k612]
need(k["verdict"] == "degraded", f"{k612} is {k['verdict']}, expected degraded: {k['summary']}")
need("api612" in k["summary"] and "1b36:0005" in k["summary"], f"{k612}: the summary does not name api612 and its device: {k['summary']!r}")
api = module(k612, "api612")
need(api["state"] == "failed", f"{k612}: api612/1.0 is {api['state']}, expected failed")
need(isinstance(api["exit_code"], int) and api["exit_code"] != 0, f"{k612}: api612 exit_code {api['exit_code']!r}")
need(re.search(r":[0-9]+:[0-9]+: error: .*class_create", api["first_error"] or ""),
     f"{k612}: api612's first_error {api['first_error']!r} is not the compiler's error about class_create")
log = f"{tree}/api612/1.0/failures/{k612}-{arch}.log"
need(api["log"] == log, f"{k612}: api612's log is {api['log']!r}, expected {log}")
need(api["aliases_known"] is True, f"{k612}: api612's aliases are unknown although it was built for {k61}")
need(any(testdev.match(d) and d.endswith(bound) for d in api["devices"]),
     f"{k612}: api612's devices {api['devices']} lack the pci-testdev{bound}")
print(f"{booted} guest: dkms check: {k61} ready; {k612} degraded: {k['summary']}")
PY
    echo "$k guest: dkms check --json took $(boot_marker "$log" CHECK-JSON-SECONDS) s (emulated CPU)"
}

for k in "${KERNELS[@]}"; do
    mkinitrd "$k" "$T/initrd-$k.gz"
    boot_qemu "$BOOT_CACHE/vmlinuz-$k" "$T/initrd-$k.gz" "$T/console-$k.log" -device pci-testdev
    if [ "${KEEP_LOGS:-0}" = 1 ]; then
        mkdir -p "$BOOT_CACHE/logs" && cp "$T/console-$k.log.txt" "$BOOT_CACHE/logs/console-$k.log"
    fi
    case $k in
        "$K61")  check_boot "$k" "$T/console-$k.log.txt" loaded ;;
        *)       check_boot "$k" "$T/console-$k.log.txt" absent ;;
    esac
    check_report "$k" "$T/console-$k.log.txt"
done
echo "PASS: edu driver works on ${KERNELS[*]}; api612 bound on $K61, absent on $K612 and the boot came up; dkms check foresaw it"
exit 0
