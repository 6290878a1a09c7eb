#!/bin/bash
# --root DIR: dkms works on the system in DIR, a merged-/usr root whose
# /lib and kernels' build links are absolute links (/usr/lib,
# /usr/src/linux-headers-<k>), without leaving it.  Every command runs in
# a private mount namespace where the whole file system is read-only but
# DIR and a scratch directory for tmp_location: a write outside DIR fails
# the command.  Checked: the kernel defaults to DIR's newest (not the
# host's uname -r), autoinstall takes all of DIR's kernels, DIR's
# framework.conf and os-release are read and the paths are DIR's, the
# source link is relative (an absolute one made inside DIR is read inside
# it, then made relative), the build sees DIR's headers at /usr/src and
# /lib/modules (the host has other files there) and DIR's
# /usr/lib/linux-kbuild-* (one the host lacks) next to the host's
# libraries, depmod -b runs on DIR, the initramfs, post_transaction and
# POST_INSTALL are left alone with a message, and bad roots change
# nothing.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v unshare >/dev/null || skip "no unshare"
bwrap --unshare-net --ro-bind / / true 2>/dev/null || skip "bwrap cannot make a sandbox here"
mkroot
R=$T/image S=$T/scratch
KNEW=6.1.0-56-amd64 KOLD=5.10.0-30-amd64
mkdir -p "$R/usr/lib" "$R/usr/src" "$R/etc/dkms" "$R/var/lib" "$R/boot" "$S"
ln -s /usr/lib "$R/lib"   # absolute: followed on the host it would be the host's
for k in $KNEW $KOLD; do
    h=$R/usr/src/linux-headers-$k
    mkdir -p "$h/include" "$R/usr/lib/modules/$k/kernel"
    echo "headers of $k in the image" > "$h/image-marker"
    ln -s "/usr/src/linux-headers-$k" "$R/usr/lib/modules/$k/build"
done
# a kbuild directory the host does not have: the build sees it at
# /usr/lib, next to the host's libraries
mkdir -p "$R/usr/lib/linux-kbuild-9.9-dkmstest"
echo "kbuild in the image" > "$R/usr/lib/linux-kbuild-9.9-dkmstest/image-marker"
[ -e /usr/lib/linux-kbuild-9.9-dkmstest ] && skip "the host has a /usr/lib/linux-kbuild-9.9-dkmstest"
# the root's framework.conf names a tree as the root sees it
# and a command meant for that system, not for the host
printf '%s\n' 'dkms_tree="/var/lib/dkms-image"' "post_transaction=\"touch $S/post-transaction-ran\"" > "$R/etc/dkms/framework.conf"
echo ID=debian > "$R/etc/os-release"   # where modules go: the root's distribution
export sign_file=/nonexistent TMPDIR=$S

# the module: its build checks that it sees the image's headers where the
# headers' absolute paths point, then makes edu.ko
( T=$R/usr; script_source edu 1.0 <<'SH'
#!/bin/bash
k=$(uname -r)
grep -q "in the image" /usr/src/linux-headers-$k/image-marker || { echo "not the image's /usr/src" >&2; exit 1; }
grep -q "in the image" /lib/modules/$k/build/image-marker || { echo "not the image's /lib/modules" >&2; exit 1; }
grep -q "in the image" /usr/lib/linux-kbuild-9.9-dkmstest/image-marker || { echo "not the image's kbuild" >&2; exit 1; }
SH
)
ko_build_script edu >> "$R/usr/src/edu-1.0/build.sh"
printf "%s\n" REMAKE_INITRD=yes AUTOINSTALL=yes POST_INSTALL=post.sh >> "$R/usr/src/edu-1.0/dkms.conf"
# install-time scripts run unconfined, as root: on the host, not in the root
printf '#!/bin/sh\ntouch %s/post-install-ran\n' "$S" > "$R/usr/src/edu-1.0/post.sh"
chmod +x "$R/usr/src/edu-1.0/post.sh"

listing() { (cd "$T" && find . -path ./image -prune -o -print | sort; ls -A "$S"); }
before=$(listing)
host_before=$(ls -d /var/lib/dkms/edu* /var/lib/dkms-image /lib/modules/*/updates/dkms/edu.ko* 2>/dev/null)

# rdkms ARGS: dkms --root $R where only $R and $S may be written
rdkms() {
    unshare -m --propagation private bash -c '
        mount --bind "$1" "$1" && mount --bind "$2" "$2" && mount -o remount,bind,ro / || exit 99
        shift 2; exec "$@"' _ "$R" "$S" "$DKMS" --root "$R" "$@"
}

# a module registered by a dkms running inside the root: its source link
# is absolute, as that system sees it (the host has no /usr/src/old-2.0)
( T=$R/usr; script_source old 2.0 </dev/null )
mkdir -p "$R/var/lib/dkms-image/old/2.0/build"
ln -s /usr/src/old-2.0 "$R/var/lib/dkms-image/old/2.0/source"
[ -e /usr/src/old-2.0 ] && skip "the host has a /usr/src/old-2.0"
out=$(rdkms status 2>&1) || fail "status --root: $out"
[ "$out" = "old/2.0: added" ] || fail "status --root with an absolute source link inside the root: $out"
out=$(rdkms verify 2>&1) || fail "verify --root with an absolute source link inside the root: $out"

out=$(rdkms add edu/1.0 2>&1) || fail "add edu/1.0 --root: $out"
[ "$(readlink "$R/var/lib/dkms-image/old/2.0/source")" = ../../../../../usr/src/old-2.0 ] ||
    fail "the absolute source link of old/2.0 was not made relative: $(readlink "$R/var/lib/dkms-image/old/2.0/source")"
link=$(readlink "$R/var/lib/dkms-image/edu/1.0/source") || fail "add: no source link in the root's dkms tree (framework.conf's dkms_tree); $out"
[[ $link != /* ]] || fail "add: the source link is absolute: $link"
[ "$(cd "$R/var/lib/dkms-image/edu/1.0" && cd "$link" && pwd -P)" = "$(cd "$R/usr/src/edu-1.0" && pwd -P)" ] ||
    fail "add: source link $link does not name $R/usr/src/edu-1.0"

# no -k: the newest kernel of the root, not the host's $(uname -r)
out=$(rdkms install edu/1.0 2>&1) || fail "install edu/1.0 --root (default kernel): $out"
ko=$R/usr/lib/modules/$KNEW/updates/dkms/edu.ko
[ -f "$ko" ] || fail "install: $ko missing; $out"
[ -e "$R/var/lib/dkms-image/edu/1.0/$KOLD" ] && fail "install without -k built for $KOLD too"
grep -q "updates/dkms/edu.ko" "$R/usr/lib/modules/$KNEW/modules.dep" ||
    fail "depmod -b did not index edu.ko in $R/usr/lib/modules/$KNEW/modules.dep; $out"
grep -q "Not regenerating the initramfs of kernel $KNEW in $R" <<<"$out" ||
    fail "install: no word about the initramfs of the root: $out"
[ -e "/lib/modules/$(uname -r)/updates/dkms/edu.ko" ] && fail "edu.ko landed in the host's module tree"
grep -q "post_install script of edu/1.0 is not run with --root" <<<"$out" || fail "install: no word about POST_INSTALL: $out"
grep -q "Not running the post_transaction command of $R" <<<"$out" || fail "install: no word about post_transaction: $out"

# status: the root's state
out=$(rdkms status 2>&1) || fail "status --root: $out"
grep -q "edu/1.0, $KNEW, $ARCH: installed" <<<"$out" || fail "status --root: $out"

# autoinstall: every kernel of the root
out=$(rdkms autoinstall 2>&1) || fail "autoinstall --root: $out"
[ -f "$R/usr/lib/modules/$KOLD/updates/dkms/edu.ko" ] || fail "autoinstall --root skipped $KOLD: $out"

# the host's headers are where the image's point: a build that used them fails
out=$(rdkms build edu/1.0 -k $KNEW --force 2>&1) || fail "rebuild for $KNEW: $out"

# uninstall and remove leave the root as it was
out=$(rdkms remove edu/1.0 --all 2>&1) || fail "remove --all --root: $out"
[ -e "$ko" ] && fail "remove: $ko still there"
[ -e "$R/var/lib/dkms-image/edu" ] && fail "remove: the root's dkms tree still has edu"

out=$(rdkms remove old/2.0 --all 2>&1) || fail "remove old/2.0 --root: $out"

# bad roots: an error, nothing changed
expect_rc 1 "$DKMS" --root "$T/nonexistent" status
mkdir -p "$T/empty"
out=$("$DKMS" --root "$T/empty" build edu/1.0 2>&1) && fail "build in a root without kernels succeeded: $out"
grep -q "name one with -k" <<<"$out" || fail "no kernel in the root: unclear message: $out"
rmdir "$T/empty"

after=$(listing)
[ "$before" = "$after" ] || fail "files changed outside $R: $(diff <(echo "$before") <(echo "$after"))"
host_after=$(ls -d /var/lib/dkms/edu* /var/lib/dkms-image /lib/modules/*/updates/dkms/edu.ko* 2>/dev/null)
[ "$host_before" = "$host_after" ] || fail "the host's trees changed"
echo "ok"
