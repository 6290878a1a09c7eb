#!/bin/bash
# The boot guard (framework.conf boot_guard="yes") on a throwaway root, a
# fake sysfs with a PCI device 1234:11e8 that module edu drives, and two
# kernels: edu/1.0 is installed on the older one and fails to build on the
# newer one.  After autoinstall for the newer kernel:
#   GRUB (a grub.cfg in Debian's layout, GRUB_DEFAULT=saved, grubenv edited
#   with grub-editenv: the real one when installed, else a stand-in with
#   the same command line): saved_entry names the older kernel's entry of
#   the "Advanced options" submenu, the record is kept, the user is told
#   why and how to undo it; a second run changes nothing; a fixed version
#   (edu/2.0) installed by autoinstall puts saved_entry back as it was
#   (unset, or the value it had) and drops the record; a default changed
#   by the user meanwhile is left alone;
#   GRUB_DEFAULT=0: nothing is changed, and the message says what to set;
#   no boot loader: nothing is changed;
#   systemd-boot (a stand-in bootctl recording its arguments): set-default
#   with the older kernel's loader entry, then set-default "" once fixed;
#   boot_guard off: nothing is changed.
. "$(dirname "$0")/../lib.sh"
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
[ "$(id -u)" = 0 ] || skip "installing needs root"
command -v ld >/dev/null && command -v objcopy >/dev/null || skip "ld and objcopy are needed to make module files"
K1=6.1.0-90-dkmstest
K2=6.12.0-90-dkmstest
UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
EDU_ALIAS='pci:v00001234d000011E8sv*sd*bc*sc*i*'
unset mok_signing_key mok_certificate sign_file boot_guard
export sign_file=/nonexistent

# grub_cfg KERNEL...: grub.cfg as Debian's grub-mkconfig writes it (newest
# kernel first): the simple entry, then the "Advanced options" submenu
# with a normal and a recovery entry per kernel.
grub_cfg() {
    local k first=$1
    cat <<EOF
### BEGIN /etc/grub.d/00_header ###
if [ -s \$prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
else
   set default="\${saved_entry}"
fi
if [ x"\${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi
export menuentry_id_option
function savedefault {
  if [ -z "\${boot_once}" ]; then
    saved_entry="\${chosen}"
    save_env saved_entry
  fi
}
### END /etc/grub.d/00_header ###
### BEGIN /etc/grub.d/10_linux ###
function gfxmode {
	set gfxpayload="\${1}"
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-$UUID' {
	load_video
	insmod gzio
	if [ x\$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
	search --no-floppy --fs-uuid --set=root $UUID
	echo	'Loading Linux $first ...'
	linux	/boot/vmlinuz-$first root=UUID=$UUID ro  quiet
	initrd	/boot/initrd.img-$first
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-$UUID' {
EOF
    for k in "$@"; do
        cat <<EOF
	menuentry 'Debian GNU/Linux, with Linux $k' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$k-advanced-$UUID' {
		load_video
		echo	'Loading Linux $k ...'
		linux	/boot/vmlinuz-$k root=UUID=$UUID ro  quiet
		initrd	/boot/initrd.img-$k
	}
	menuentry 'Debian GNU/Linux, with Linux $k (recovery mode)' --class debian --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$k-recovery-$UUID' {
		linux	/boot/vmlinuz-$k root=UUID=$UUID ro single
		initrd	/boot/initrd.img-$k
	}
EOF
    done
    echo '}'
    echo '### END /etc/grub.d/10_linux ###'
}

# The stand-ins on PATH: bootctl (systemd-boot is not installed unless
# $T/esp exists; set-default records its arguments and sets the EFI
# variable in the fake efivars) and, without the real
# one, grub-editenv (FILE list | set NAME=VALUE | unset NAME on a file of
# NAME=VALUE lines).
fake_tools() {
    need_root_dir
    mkdir -p "$T/bin"
    cat >"$T/bin/bootctl" <<EOF
#!/bin/sh
case "\$1" in
is-installed) [ -d "$T/esp" ] && { echo yes; exit 0; }; echo no; exit 1 ;;
--print-boot-path) echo "$T/esp" ;;
set-default)
    printf '%s\n' "\$*" >>"$T/bootctl.log"
    # as bootctl does: LoaderEntryDefault in efivarfs (attributes, UTF-16LE, NUL), or none
    var=$T/efi/efivars/LoaderEntryDefault-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
    if [ -z "\$2" ]; then rm -f "\$var"; else
        { printf '\007\000\000\000'; printf '%s' "\$2" | iconv -f UTF-8 -t UTF-16LE; printf '\000\000'; } >"\$var"
    fi ;;
*) exit 1 ;;
esac
EOF
    if ! command -v grub-editenv >/dev/null; then
        cat >"$T/bin/grub-editenv" <<'EOF'
#!/bin/sh
f=$1 cmd=$2
shift 2
case $cmd in
list) [ -f "$f" ] && grep -v '^#' "$f"; exit 0 ;;
set) touch "$f"; for a; do grep -v "^${a%%=*}=" "$f" >"$f.new"; echo "$a" >>"$f.new"; mv "$f.new" "$f"; done ;;
unset) [ -f "$f" ] || exit 0; for a; do grep -v "^$a=" "$f" >"$f.new"; mv "$f.new" "$f"; done ;;
*) exit 1 ;;
esac
EOF
    fi
    chmod +x "$T/bin/"*
    PATH=$T/bin:$PATH
}

# new_root: the two kernels, the device, edu/1.0 installed on K1 and
# failing to build on K2 (its build copies prebuilt-<kernel>.ko when there
# is one), GRUB with GRUB_DEFAULT=saved, the guard on.
new_root() {
    unset boot_guard
    mkroot "$K1" "$K2"
    need_root_dir
    touch "$T/lib/modules/$K1/modules.order" "$T/lib/modules/$K2/modules.order"
    mkdir -p "$T/sys/bus/pci/devices/0000:00:04.0" "$T/efi/efivars" "$T/boot/grub" "$T/ksrc/include"
    echo 'pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00' >"$T/sys/bus/pci/devices/0000:00:04.0/modalias"
    export DKMS_SYSFS_ROOT=$T/sys DKMS_EFIVARS_DIR=$T/efi/efivars DKMS_PROC_KEYS=$T/proc-keys \
        DKMS_BOOT_DIR=$T/boot DKMS_INITRAMFS_TOOL=update-initramfs DKMS_GRUB_DEFAULT=$T/default-grub
    fake_tools
    grub_cfg "$K2" "$K1" >"$T/boot/grub/grub.cfg"
    printf 'GRUB_DEFAULT=saved\nGRUB_TIMEOUT=5\n' >"$T/default-grub"
    for v in 1.0 2.0; do
        script_source edu $v <<'EOF'
#!/bin/sh
if [ -f "prebuilt-$(uname -r).ko" ]; then cp "prebuilt-$(uname -r).ko" edu.ko; exit 0; fi
echo "edu.c:12:5: error: implicit declaration of function 'pci_enable_foo'"
exit 2
EOF
        echo AUTOINSTALL=yes >>"$T/src/edu-$v/dkms.conf"
    done
    make_ko "$T/src/edu-1.0/prebuilt-$K1.ko" "$K1" edu "$EDU_ALIAS"
    make_ko "$T/src/edu-2.0/prebuilt-$K2.ko" "$K2" edu "$EDU_ALIAS"
    make_ko "$T/src/edu-2.0/prebuilt-$K1.ko" "$K1" edu "$EDU_ALIAS"
    kd add edu/1.0 >/dev/null || fail "add edu/1.0"
    kd install edu/1.0 -k "$K1" >/dev/null 2>&1 || fail "install edu/1.0 on $K1"
    export boot_guard=yes
}
kd() { tdkms --kernelsourcedir "$T/ksrc" --no-depmod "$@"; }
# autoinstall K WANT_RC: its stdout and stderr in $T/out
autoinstall() {
    local rc=0
    kd autoinstall -k "$1" >"$T/out" 2>&1 || rc=$?
    [ "$rc" = "$2" ] || fail "$CASE: autoinstall -k $1 exited $rc, expected $2: $(cat "$T/out")"
}
saved_entry() { grub-editenv "$T/boot/grub/grubenv" list 2>/dev/null | sed -n 's/^saved_entry=//p'; }
expect_out() { grep -qF -- "$1" "$T/out" || fail "$CASE: no '$1' in the output: $(cat "$T/out")"; }
fix() { # edu/2.0 builds on K2
    kd add edu/2.0 >/dev/null || fail "$CASE: add edu/2.0"
}
K1_ENTRY="gnulinux-advanced-$UUID>gnulinux-$K1-advanced-$UUID"

# ---- GRUB: degraded, then fixed -------------------------------------------
CASE="grub: degraded"
new_root
autoinstall "$K2" 11
[ "$(saved_entry)" = "$K1_ENTRY" ] || fail "$CASE: saved_entry is '$(saved_entry)', expected $K1_ENTRY: $(cat "$T/out")"
expect_out "dkms: boot guard: kernel $K2, the newest, lacks a module that hardware of this machine needs:"
expect_out "edu (PCI 1234:11e8) will not work: edu/1.0 failed to build"
expect_out "GRUB will now boot kernel $K1 by default (saved_entry=$K1_ENTRY)."
expect_out "to boot the newest kernel anyway, undo it: grub-editenv '$T/boot/grub/grubenv' unset saved_entry"
grep -qx "kernel=$K1" "$T/dkms/.boot-guard" && grep -qx "had_previous=no" "$T/dkms/.boot-guard" ||
    fail "$CASE: record: $(cat "$T/dkms/.boot-guard" 2>&1)"
# the record is no module: status and verify do not see it
[ "$(kd status)" = "edu/1.0, $K1, $ARCH: installed" ] || fail "$CASE: status: $(kd status)"
out=$(kd verify 2>&1) || fail "$CASE: verify finds fault with the guard's record: $out"

CASE="grub: still degraded"
autoinstall "$K2" 11
[ "$(saved_entry)" = "$K1_ENTRY" ] || fail "$CASE: saved_entry is '$(saved_entry)'"
expect_out "still boots kernel $K1 by default"

CASE="grub: fixed"
fix
autoinstall "$K2" 0
[ -z "$(grub-editenv "$T/boot/grub/grubenv" list | grep '^saved_entry=')" ] ||
    fail "$CASE: saved_entry is still set: $(grub-editenv "$T/boot/grub/grubenv" list)"
[ ! -e "$T/dkms/.boot-guard" ] || fail "$CASE: the record is left"
expect_out "kernel $K2 now has the modules this machine needs."
expect_out "the newest kernel boots by default again."
autoinstall "$K1" 0
grep -q "boot guard" "$T/out" && fail "$CASE: the guard speaks with nothing to do: $(cat "$T/out")"

# ---- GRUB: a saved_entry of the user's own is put back --------------------
CASE="grub: previous saved_entry"
new_root
grub-editenv "$T/boot/grub/grubenv" set saved_entry=my-entry
autoinstall "$K2" 11
[ "$(saved_entry)" = "$K1_ENTRY" ] || fail "$CASE: saved_entry is '$(saved_entry)'"
expect_out "undo it: grub-editenv '$T/boot/grub/grubenv' set 'saved_entry=my-entry'"
fix
autoinstall "$K2" 0
[ "$(saved_entry)" = my-entry ] || fail "$CASE: saved_entry is '$(saved_entry)', expected my-entry"

# ---- GRUB: changed by the user since: left alone -------------------------
CASE="grub: changed since"
new_root
autoinstall "$K2" 11
grub-editenv "$T/boot/grub/grubenv" set saved_entry=chosen-by-hand
autoinstall "$K2" 11
[ "$(saved_entry)" = chosen-by-hand ] || fail "$CASE: still degraded: saved_entry is '$(saved_entry)'"
expect_out "the default boot entry was changed since the guard set it: left as it is."
fix
autoinstall "$K2" 0
[ "$(saved_entry)" = chosen-by-hand ] || fail "$CASE: saved_entry is '$(saved_entry)'"
expect_out "was changed since the guard set it (chosen-by-hand): left as it is"
[ ! -e "$T/dkms/.boot-guard" ] || fail "$CASE: the record is left"

# ---- GRUB_DEFAULT is not saved: untouched ---------------------------------
CASE="grub: GRUB_DEFAULT=0"
new_root
printf 'GRUB_DEFAULT=0\n' >"$T/default-grub"
autoinstall "$K2" 11
[ ! -e "$T/boot/grub/grubenv" ] || fail "$CASE: grubenv was written: $(cat "$T/boot/grub/grubenv")"
[ ! -e "$T/dkms/.boot-guard" ] || fail "$CASE: a record was written"
expect_out "GRUB boots GRUB_DEFAULT=0 ($T/default-grub), not the saved entry, so the boot guard changed nothing."
expect_out "set GRUB_DEFAULT=saved in $T/default-grub and run update-grub"
# a drop-in of /etc/default/grub.d counts, as for update-grub
mkdir -p "$T/default-grub.d"
echo GRUB_DEFAULT=saved >"$T/default-grub.d/50-saved.cfg"
autoinstall "$K2" 11
[ "$(saved_entry)" = "$K1_ENTRY" ] || fail "$CASE: with the drop-in, saved_entry is '$(saved_entry)'"

# ---- no boot loader: untouched --------------------------------------------
CASE="no boot loader"
new_root
rm "$T/boot/grub/grub.cfg"
autoinstall "$K2" 11
[ ! -e "$T/boot/grub/grubenv" ] && [ ! -e "$T/bootctl.log" ] && [ ! -e "$T/dkms/.boot-guard" ] ||
    fail "$CASE: something was changed"
expect_out "no boot loader the guard knows (GRUB with grub-editenv, systemd-boot) was found: nothing changed"

# ---- boot_guard off -------------------------------------------------------
CASE="off"
new_root
unset boot_guard
autoinstall "$K2" 11
[ ! -e "$T/boot/grub/grubenv" ] && [ ! -e "$T/dkms/.boot-guard" ] || fail "$CASE: something was changed"
grep -q "boot guard" "$T/out" && fail "$CASE: the guard speaks while off: $(cat "$T/out")"

# ---- systemd-boot ---------------------------------------------------------
CASE="systemd-boot"
new_root
rm "$T/boot/grub/grub.cfg"
mkdir -p "$T/esp/loader/entries"
for k in "$K1" "$K2"; do
    printf 'title Debian\nversion %s\nlinux /abc123/%s/linux\ninitrd /abc123/%s/initrd.img-%s\n' "$k" "$k" "$k" "$k" \
        >"$T/esp/loader/entries/abc123-$k.conf"
done
autoinstall "$K2" 11
[ "$(cat "$T/bootctl.log" 2>&1)" = "set-default abc123-$K1.conf" ] || fail "$CASE: bootctl: $(cat "$T/bootctl.log" 2>&1)"
expect_out "systemd-boot will now boot kernel $K1 by default (LoaderEntryDefault=abc123-$K1.conf)."
expect_out "undo it: bootctl set-default ''"
fix
autoinstall "$K2" 0
[ "$(tail -n 1 "$T/bootctl.log")" = "set-default " ] || fail "$CASE: bootctl after the fix: $(cat "$T/bootctl.log")"
[ ! -e "$T/dkms/.boot-guard" ] || fail "$CASE: the record is left"
CASE="systemd-boot: changed since"
new_root
rm "$T/boot/grub/grub.cfg"
mkdir -p "$T/esp/loader/entries"
for k in "$K1" "$K2"; do
    printf 'title Debian\nversion %s\nlinux /abc123/%s/linux\n' "$k" "$k" >"$T/esp/loader/entries/abc123-$k.conf"
done
autoinstall "$K2" 11
bootctl set-default by-hand.conf
fix
autoinstall "$K2" 0
[ "$(tail -n 1 "$T/bootctl.log")" = "set-default by-hand.conf" ] || fail "$CASE: bootctl after the fix: $(cat "$T/bootctl.log")"
expect_out "was changed since the guard set it (by-hand.conf): left as it is"
echo PASS
