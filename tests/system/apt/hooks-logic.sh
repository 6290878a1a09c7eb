#!/bin/bash
# The logic of the scripts in hooks/ (kernel postinst/prerm hooks,
# dkms_autoinstaller, common.postinst, the kernel-install plugin and the
# pacman hook script), run against a fake `dkms` that records its arguments
# and keeps a pretend state.  Nothing on the machine changes: the test runs
# in a private mount namespace where /etc is an overlay and /lib/modules,
# /boot and /usr/src are empty scratch directories.
. "$(dirname "$0")/../../lib.sh"

HOOKS=$SRCDIR/hooks

if [ -z "${HOOKS_TEST_IN_NS:-}" ]; then
    command -v unshare >/dev/null || skip "unshare is not available"
    ns=(unshare --mount --propagation private)
    [ "$(id -u)" = 0 ] || ns=(unshare --mount --map-root-user --propagation private)
    "${ns[@]}" true 2>/dev/null || skip "cannot make a private mount namespace"
    HOOKS_TEST_IN_NS=1 exec "${ns[@]}" -- "$0" "$@"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/dkms-hooks.XXXXXX")
cleanup() {
    umount /usr/src /boot /usr/lib/modules /etc 2>/dev/null
    rm -rf --one-file-system "$T"
}
at_exit cleanup
mkdir -p "$T"/{bin,sbin,lib/dkms,hooks,etc-upper,etc-work,modules,boot,src,dkms}

# Markers: nothing is ever deleted below /etc/dkms, /lib/modules, /boot or
# /usr/src unless it is this test's scratch copy.
for d in etc-upper modules boot src; do touch "$T/$d/.dkms-hooks-test"; done
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc-upper,workdir=$T/etc-work" /etc ||
    skip "cannot mount an overlay on /etc"
mount --bind "$T/modules" /usr/lib/modules || skip "cannot bind-mount /usr/lib/modules"
mount --bind "$T/boot" /boot || skip "cannot bind-mount /boot"
mount --bind "$T/src" /usr/src || skip "cannot bind-mount /usr/src"
scratch() { # scratch DIR...: fail unless each DIR is this test's scratch copy
    local d
    for d in "$@"; do
        [ -e "$d/.dkms-hooks-test" ] || fail "$d is not the test's scratch directory; stopping"
    done
}
scratch /etc /lib/modules /boot /usr/src
rm -rf /etc/dkms
mkdir -p /etc/dkms/framework.conf.d
echo "dkms_tree=$T/dkms" >/etc/dkms/framework.conf

# The hooks, configured for this scratch layout.
for f in "$HOOKS"/*.in; do
    b=${f##*/}
    b=${b%.in}
    sed -e "s|@DKMS_LIBDIR@|$T/lib/dkms|g" -e "s|@DKMS_SBINDIR@|$T/sbin|g" \
        -e "s|@DKMS_KERNEL_PRERM@|$T/hooks/kernel-prerm|g" \
        -e "s|@DKMS_ALPM_SCRIPT@|$T/hooks/dkms-hook|g" "$f" >"$T/hooks/$b"
    chmod 755 "$T/hooks/$b"
done
cp "$T/hooks/dkms_autoinstaller" "$T/hooks/common.postinst" "$T/lib/dkms/"

# A fake dkms: appends "ARGS" to $T/calls; $T/status holds `dkms status`
# lines; $T/rc.ACTION, when present, is the exit status of ACTION;
# $T/check.out, what `check` prints.
cat >"$T/bin/dkms" <<'EOF'
#!/bin/bash
echo "$*" >>"$FAKE/calls"
action=$1; shift
m= v= k= a=x86_64 all=
while [ $# -gt 0 ]; do
    case $1 in
        -m) m=$2; shift ;; -v) v=$2; shift ;; -k) k=$2; shift ;; -a) a=$2; shift ;;
        --all) all=1 ;;
    esac
    shift
done
st=$FAKE/status
touch "$st"
rc=0
[ -f "$FAKE/rc.$action" ] && rc=$(cat "$FAKE/rc.$action")
case $action in
    status)
        while IFS= read -r line; do
            [ -n "$m" ] && [[ $line != "$m/$v"[,:]* ]] && continue
            [ -n "$k" ] && [[ $line == *", "* && $line != *", $k, "* ]] && continue
            echo "$line"
        done <"$st" ;;
    add)
        mkdir -p "$FAKE/dkms/$m/$v"
        ln -sfn "/usr/src/$m-$v" "$FAKE/dkms/$m/$v/source"
        echo "$m/$v: added" >>"$st" ;;
    build)
        if [ "$rc" = 0 ]; then
            sed -i "\|^$m/$v: added|d; \|^$m/$v, $k, |d" "$st"
            echo "$m/$v, $k, $a: built" >>"$st"
        fi ;;
    install)
        [ "$rc" = 0 ] && sed -i "s|^$m/$v, $k, $a: built|$m/$v, $k, $a: installed|" "$st" ;;
    check)
        # the verdict line, then details; $T/check.out (with @K@ for the
        # kernel) says something else
        if [ -f "$FAKE/check.out" ]; then sed "s/@K@/$k/g" "$FAKE/check.out"
        else printf '%s\n' "$k: ready" "  edu/1.0: installed and verified"; fi ;;
    remove|unbuild)
        if [ -n "$all" ]; then
            sed -i "\|^$m/$v[,:]|d" "$st"
            rm -rf "${FAKE:?}/dkms/$m/$v"
        else
            sed -i "\|^$m/$v, $k, |d" "$st"
        fi ;;
esac
exit "$rc"
EOF
# `uname -r` answers $FAKE_UNAME_R when set.
cat >"$T/bin/uname" <<'EOF'
#!/bin/sh
if [ "$1" = -r ] && [ -n "${FAKE_UNAME_R:-}" ]; then echo "$FAKE_UNAME_R"; else exec /bin/uname "$@"; fi
EOF
chmod 755 "$T/bin/dkms" "$T/bin/uname"
export FAKE=$T PATH="$T/bin:$PATH"
unset FAKE_UNAME_R

KA=6.1.0-56-amd64          # a kernel with headers
KB=6.12.117+deb12-amd64    # a kernel without headers
KBR=${KB//+/\\+}          # ... as a regular expression
add_kernel() { # add_kernel KERNEL [headers]
    mkdir -p "/lib/modules/$1/kernel"
    touch "/boot/config-$1"
    [ "${2:-}" = headers ] && mkdir -p "/lib/modules/$1/build/include"
    return 0
}
reset() {
    rm -f "$T/calls" "$T/status" "$T"/rc.* "$T/check.out" /etc/dkms/no-autoinstall
    scratch /etc /lib/modules /boot /usr/src
    # shellcheck disable=SC2115
    rm -rf "${T:?}/dkms"/* /lib/modules/* /boot/* /usr/src/*
    touch "$T/calls" "$T/status"
}
calls() { cat "$T/calls"; }
expect_calls() { # expect_calls LINE... : the fake was called exactly so
    local want
    want=$(printf '%s\n' "$@")
    [ "$(calls)" = "$want" ] || fail "$CASE: dkms calls were:
$(calls)
expected:
$want"
}
expect_out() { # expect_out PATTERN : the last run's output matches
    grep -qE -- "$1" "$T/out" || fail "$CASE: output lacks /$1/:
$(cat "$T/out")"
}
run() { # run WANT_RC CMD... : output to $T/out
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || fail "$CASE: '$*' exited $rc, expected $want:
$(cat "$T/out")"
}

hook=kernel-postinst  # installed as postinst.d/dkms and header_postinst.d/dkms
{
    CASE="postinst: autoinstall for the new kernel, then the check's verdict"
    reset; add_kernel "$KA" headers
    run 0 "$T/hooks/$hook" "$KA"
    expect_calls "autoinstall -k $KA" "check -k $KA"
    expect_out "^dkms: $KA: ready\$"
    grep -q "edu/1.0: installed" "$T/out" && fail "$CASE: more than the verdict line: $(cat "$T/out")"

    CASE="postinst: a degraded kernel is one line, and does not fail the hook"
    reset; add_kernel "$KA" headers
    printf '%s\n' "@K@: degraded — edu (PCI 1234:11e8) will not work: edu/1.0 failed to build: x" \
        "  edu/1.0: failed to build: x" >"$T/check.out"
    echo 13 >"$T/rc.check"
    run 0 "$T/hooks/$hook" "$KA"
    expect_out "^dkms: $KA: degraded — edu \\(PCI 1234:11e8\\) will not work"
    [ "$(grep -c "edu/1.0" "$T/out")" = 1 ] || fail "$CASE: $(cat "$T/out")"

    CASE="postinst: a failed module is reported and does not fail the hook"
    reset; add_kernel "$KA" headers
    echo 11 >"$T/rc.autoinstall"
    printf '%s\n' "edu/1.0, $KA, x86_64: installed" "api612/1.0: added" >"$T/status"
    run 0 "$T/hooks/$hook" "$KA"
    expect_out "WARNING: autoinstall for kernel $KA failed"
    expect_out "not installed for kernel $KA: api612/1.0\$"
    expect_out "missing when kernel $KA runs"
    expect_out "installation of kernel $KA goes on"
    expect_out "^dkms: $KA: ready\$"

    CASE="postinst: missing headers name the package"
    reset; add_kernel "$KB"
    run 0 "$T/hooks/$hook" "$KB"
    expect_calls "check -k $KB"
    expect_out "headers of kernel $KBR are missing"
    expect_out "install the linux-headers-$KBR package"

    CASE="postinst: no-autoinstall"
    reset; add_kernel "$KA" headers; touch /etc/dkms/no-autoinstall
    run 0 "$T/hooks/$hook" "$KA"
    expect_calls "check -k $KA"
    expect_out "disabled"

    CASE="postinst: no kernel given"
    reset
    run 0 "$T/hooks/$hook"
    expect_calls
}

CASE="autoinstaller: usage"
reset
run 2 "$T/hooks/dkms_autoinstaller"
run 0 "$T/hooks/dkms_autoinstaller" stop
expect_calls
CASE="autoinstaller: running kernel by default, status of dkms returned"
reset; add_kernel "$KA" headers; echo 11 >"$T/rc.autoinstall"
FAKE_UNAME_R=$KA run 11 "$T/hooks/dkms_autoinstaller" start
expect_calls "autoinstall -k $KA" "status"

CASE="prerm: uninstalls and unbuilds that kernel's modules, without depmod"
reset; add_kernel "$KA" headers
mkdir -p "/lib/modules/$KA/updates/dkms"
printf '%s\n' "edu/1.0, $KA, x86_64: installed" "edu/1.0, $KB, x86_64: installed" \
    "foo-bar/2.1.3, $KA, x86_64: built" "warn/1, $KA, x86_64: installed (WARNING! Diff between built and installed module!)" \
    "api612/1.0: added" >"$T/status"
run 0 "$T/hooks/kernel-prerm" "$KA"
expect_calls "status -k $KA" \
    "unbuild -m edu -v 1.0 -k $KA -a x86_64 --no-depmod --no-initrd" \
    "unbuild -m foo-bar -v 2.1.3 -k $KA -a x86_64 --no-depmod --no-initrd" \
    "unbuild -m warn -v 1 -k $KA -a x86_64 --no-depmod --no-initrd"
[ ! -e "/lib/modules/$KA/updates" ] || fail "$CASE: empty updates/dkms left behind"

CASE="prerm: a failing remove does not fail the hook"
reset; printf '%s\n' "edu/1.0, $KA, x86_64: installed" >"$T/status"; echo 5 >"$T/rc.unbuild"
run 0 "$T/hooks/kernel-prerm" "$KA"
expect_out "WARNING: could not remove edu/1.0"

CASE="prerm: no-autoinstall"
reset; printf '%s\n' "edu/1.0, $KA, x86_64: installed" >"$T/status"; touch /etc/dkms/no-autoinstall
run 0 "$T/hooks/kernel-prerm" "$KA"
expect_calls

CASE="kernel-install plugin"
reset; add_kernel "$KA" headers; printf '%s\n' "edu/1.0, $KA, x86_64: installed" >"$T/status"
echo 14 >"$T/rc.check"
run 0 "$T/hooks/40-dkms.install" add "$KA" "/boot/efi/x/$KA" "/boot/vmlinuz-$KA"
expect_calls "autoinstall -k $KA" "check -k $KA"
expect_out "^dkms: $KA: ready\$"
rm "$T/rc.check"
: >"$T/calls"
echo 10 >"$T/rc.unbuild"
run 0 "$T/hooks/40-dkms.install" remove "$KA" "/boot/efi/x/$KA"
expect_calls "status -k $KA" "unbuild -m edu -v 1.0 -k $KA -a x86_64 --no-depmod --no-initrd"

# common.postinst NAME VERSION [TARBALL_DIR] [ARCH] [OLD_VERSION]
CASE="common.postinst: usage"
reset
run 1 "$T/hooks/common.postinst" foo

CASE="common.postinst: in a chroot, first install builds for every kernel with headers"
reset; add_kernel "$KA" headers; add_kernel "$KB"; mkdir -p /usr/src/foo-1.0
run 0 "$T/hooks/common.postinst" foo 1.0 /usr/share/foo "" ""
expect_out "Building for $KA and $KBR"
expect_out "Module build for kernel $KBR was skipped"
expect_calls "add -m foo -v 1.0" \
    "status -m foo -v 1.0 -k $KA" "build -m foo -v 1.0 -k $KA" "status -m foo -v 1.0 -k $KA" \
    "install -m foo -v 1.0 -k $KA" \
    "status -m foo -v 1.0 -k $KB"
grep -qx "foo/1.0, $KA, x86_64: installed" "$T/status" || fail "$CASE: not installed: $(cat "$T/status")"

CASE="common.postinst: running kernel and the newest one"
reset; add_kernel "$KA" headers; add_kernel "$KB" headers; mkdir -p /usr/src/foo-1.0
FAKE_UNAME_R=$KA run 0 "$T/hooks/common.postinst" foo 1.0
expect_out "Building for $KA and $KBR"
[ "$(grep -c ": installed" "$T/status")" = 2 ] || fail "$CASE: $(cat "$T/status")"

CASE="common.postinst: only the running kernel when it is the newest"
reset; add_kernel "$KA" headers; add_kernel "$KB" headers; mkdir -p /usr/src/foo-1.0
FAKE_UNAME_R=$KB run 0 "$T/hooks/common.postinst" foo 1.0
expect_out "^Building for $KBR\$"

CASE="common.postinst: autoinstall_all_kernels"
reset; add_kernel "$KA" headers; add_kernel "$KB" headers; mkdir -p /usr/src/foo-1.0
echo "autoinstall_all_kernels=1" >/etc/dkms/framework.conf.d/all.conf
FAKE_UNAME_R=$KB run 0 "$T/hooks/common.postinst" foo 1.0
rm /etc/dkms/framework.conf.d/all.conf
expect_out "Building for $KA and $KBR"

CASE="common.postinst: upgrade in a chroot builds for the newest kernel"
reset; add_kernel "$KA" headers; add_kernel "$KB" headers; mkdir -p /usr/src/foo-1.0
FAKE_UNAME_R=5.10.0-1-amd64 run 0 "$T/hooks/common.postinst" foo 1.0 "" "" 0.9
expect_out "belongs to a chroot's host"
expect_out "^Building for $KBR\$"

CASE="common.postinst: an old registration of the same version is removed first"
reset; add_kernel "$KA" headers; mkdir -p /usr/src/foo-1.0 "$T/dkms/foo/1.0"
run 0 "$T/hooks/common.postinst" foo 1.0
[ "$(head -n 1 "$T/calls")" = "remove -m foo -v 1.0 --all" ] || fail "$CASE: $(calls)"

CASE="common.postinst: BUILD_EXCLUSIVE skip (77) is not an error"
reset; add_kernel "$KA" headers; mkdir -p /usr/src/foo-1.0; echo 77 >"$T/rc.build"
run 0 "$T/hooks/common.postinst" foo 1.0
expect_out "^Skipped\.\$"

CASE="common.postinst: a failed build fails with dkms's status"
reset; add_kernel "$KA" headers; mkdir -p /usr/src/foo-1.0; echo 10 >"$T/rc.build"
run 10 "$T/hooks/common.postinst" foo 1.0
expect_out "Building foo/1.0 for kernel $KA failed"

CASE="common.postinst: ARCH given as a Debian architecture"
reset; add_kernel "$KA" headers; mkdir -p /usr/src/foo-1.0
run 0 "$T/hooks/common.postinst" foo 1.0 "" amd64
expect_out "Building for architecture x86_64"
grep -qx "build -m foo -v 1.0 -k $KA -a x86_64" "$T/calls" || fail "$CASE: $(calls)"

CASE="common.postinst: no-autoinstall"
reset; add_kernel "$KA" headers; mkdir -p /usr/src/foo-1.0; touch /etc/dkms/no-autoinstall
run 0 "$T/hooks/common.postinst" foo 1.0
expect_calls

CASE="common.postinst: BOOT variants are skipped"
reset; add_kernel "$KA-BOOT" headers; mkdir -p /usr/src/foo-1.0
run 0 "$T/hooks/common.postinst" foo 1.0
expect_out "BOOT variant"
grep -q "^build" "$T/calls" && fail "$CASE: built: $(calls)"

# pacman: dkms-hook install|remove, matched paths on stdin
if command -v bash >/dev/null; then
    CASE="alpm: a new kernel gets autoinstall, one without headers a warning"
    reset; add_kernel "$KA" headers; add_kernel "$KB"
    printf '%s\n' "usr/lib/modules/$KA/" "usr/lib/modules/$KB/" >"$T/in"
    run 0 "$T/hooks/dkms-hook" install <"$T/in"
    # the kernels come in any order; each ends with the check's verdict
    [ "$(sort "$T/calls")" = "$(printf '%s\n' "autoinstall -k $KA" "check -k $KA" "check -k $KB" | sort)" ] ||
        fail "$CASE: dkms calls were: $(calls)"
    [ "$(grep -A1 "^autoinstall -k $KA\$" "$T/calls" | tail -n 1)" = "check -k $KA" ] ||
        fail "$CASE: the check does not follow the autoinstall: $(calls)"
    expect_out "headers of kernel $KBR are missing"
    expect_out "^==> dkms: $KA: ready\$"
    expect_out "^==> dkms: $KBR: ready\$"

    CASE="alpm: two new kernels with headers get one autoinstall for both"
    reset; add_kernel "$KA" headers; add_kernel "$KB" headers
    printf '%s\n' "usr/lib/modules/$KA/" "usr/lib/modules/$KB/" >"$T/in"
    run 0 "$T/hooks/dkms-hook" install <"$T/in"
    grep -qxF -e "autoinstall -k $KA -k $KB" -e "autoinstall -k $KB -k $KA" "$T/calls" ||
        fail "$CASE: dkms calls were: $(calls)"
    [ "$(grep -c '^autoinstall' "$T/calls")" = 1 ] || fail "$CASE: more than one autoinstall: $(calls)"
    [ "$(grep -c '^check -k' "$T/calls")" = 2 ] || fail "$CASE: not one check per kernel: $(calls)"

    CASE="alpm: a new module source is added and installed for every kernel with headers"
    reset; add_kernel "$KA" headers; add_kernel "$KB"; mkdir -p /usr/src/foo-bar-1.2
    echo 10 >"$T/rc.install"
    printf '%s\n' "usr/src/foo-bar-1.2/dkms.conf" >"$T/in"
    run 0 "$T/hooks/dkms-hook" install <"$T/in"
    expect_calls "status -m foo-bar -v 1.2" "add -m foo-bar -v 1.2" "install -m foo-bar -v 1.2 -k $KA"
    expect_out "foo-bar/1.2 could not be built or installed for kernel $KA"

    CASE="alpm: removing a kernel and a module source"
    reset; add_kernel "$KA" headers
    printf '%s\n' "edu/1.0, $KA, x86_64: installed" "foo-bar/1.2, $KB, x86_64: installed" >"$T/status"
    printf '%s\n' "usr/lib/modules/$KA/" "usr/src/foo-bar-1.2/dkms.conf" >"$T/in"
    run 0 "$T/hooks/dkms-hook" remove <"$T/in"
    expect_calls "status -k $KA" "unbuild -m edu -v 1.0 -k $KA -a x86_64" \
        "status -m foo-bar -v 1.2" "remove -m foo-bar -v 1.2 --all"

    CASE="alpm: no-autoinstall"
    reset; add_kernel "$KA" headers; touch /etc/dkms/no-autoinstall
    run 0 "$T/hooks/dkms-hook" install <<<"usr/lib/modules/$KA/"
    expect_calls
fi

CASE="framework.conf documents every setting"
for s in source_tree dkms_tree install_tree tmp_location verbose symlink_modules \
         autoinstall_all_kernels modprobe_on_install parallel_jobs post_transaction \
         sign_file mok_signing_key mok_certificate compress_gzip_opts compress_xz_opts \
         compress_zstd_opts build_environment sign_strict build_sandbox; do
    grep -q "^#$s=" "$HOOKS/framework.conf" || fail "$CASE: $s missing"
done
bash -n "$HOOKS/framework.conf" || fail "$CASE: not valid shell"

echo "hooks-logic: all cases passed"
