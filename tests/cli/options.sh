#!/bin/bash
# The reference's less common options and directives, on fake builds (a
# script that makes a file named like a module): --directive, -c,
# OBSOLETE_BY with and without --force, a same-named module already in the
# kernel with and without --force-version-override, --symlink-modules.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-56-amd64
script_root "$K"
script_source opt 1.0 <<'S'
#!/bin/sh
echo "${1:-default}" > opt.ko
S
inst="$T/lib/modules/$K/updates/dkms/opt.ko"
# the "module" says which MAKE built it
built_by() { cat "$T/dkms/opt/1.0/$K/$ARCH/module/opt.ko"; }

expect_rc 0 kd add opt/1.0
# --directive overrides a directive of dkms.conf
expect_rc 0 kd build opt/1.0 -k "$K" "--directive=MAKE=./build.sh from-directive"
[ "$(built_by)" = from-directive ] || fail "--directive did not replace MAKE[0]"
expect_rc 0 kd unbuild opt/1.0 -k "$K"
# -c reads another dkms.conf
sed 's|MAKE\[0\]=.*|MAKE[0]="./build.sh from-c"|' "$T/src/opt-1.0/dkms.conf" > "$T/alt.conf"
expect_rc 0 kd build opt/1.0 -k "$K" -c "$T/alt.conf"
[ "$(built_by)" = from-c ] || fail "-c did not read the other dkms.conf"

# --symlink-modules: the installed module is a link into the tree
post_transaction="touch $T/post-transaction; echo said \$kernelver" kd install opt/1.0 -k "$K" --symlink-modules > "$T/out" ||
    fail "install opt/1.0 --symlink-modules failed"
[ -e "$T/post-transaction" ] || fail "post_transaction did not run after an install"
grep -qx "Executing post-transaction command..." "$T/out" || { cat "$T/out"; fail "no post-transaction progress line"; }
# its output is kept in the dkms tree, with the command and the exit code
pl=$T/dkms/post_transaction.log
grep -qx "# command: touch $T/post-transaction; echo said \$kernelver" "$pl" && grep -qx "said $K" "$pl" &&
    grep -qx "# exit code: 0" "$pl" || { cat "$pl"; fail "post_transaction.log lacks the command, its output or its exit code"; }
rm "$T/post-transaction"
# a failing command: reported with its log; the log is made anew
post_transaction="echo second; exit 3" kd install opt/1.0 -k "$K" --force --symlink-modules > "$T/out" 2>&1 ||
    { cat "$T/out"; fail "a failing post_transaction failed the install"; }
grep -q "exited with status 3; its output is in $pl" "$T/out" || { cat "$T/out"; fail "the failing post_transaction is not reported"; }
! grep -q "said" "$pl" && grep -qx "second" "$pl" && grep -qx "# exit code: 3" "$pl" ||
    { cat "$pl"; fail "post_transaction.log was not made anew for the second command"; }
post_transaction="touch $T/post-transaction" expect_rc 0 tdkms status
[ ! -e "$T/post-transaction" ] || fail "post_transaction ran after a command that changed nothing"
[ -L "$inst" ] || fail "--symlink-modules installed a copy"
[ "$(readlink -f "$inst")" = "$(readlink -f "$T/dkms/opt/1.0/$K/$ARCH/module/opt.ko")" ] || fail "the link points elsewhere"
expect_rc 0 kd uninstall opt/1.0 -k "$K"
[ ! -e "$inst" ] || fail "uninstall left the module"

# a module of the same name and version already in the kernel: not
# replaced, unless --force-version-override
mkdir -p "$T/lib/modules/$K/kernel/drivers/misc"
echo module > "$T/lib/modules/$K/kernel/drivers/misc/opt.ko"
kd install opt/1.0 -k "$K" >"$T/out" 2>&1
grep -q "exactly matches" "$T/out" || fail "no version check message: $(cat "$T/out")"
[ ! -e "$inst" ] || fail "installed over the kernel's own module of the same version"
kd uninstall opt/1.0 -k "$K" >/dev/null 2>&1
expect_rc 0 kd install opt/1.0 -k "$K" --force-version-override
[ -f "$inst" ] || fail "--force-version-override did not install"
expect_rc 0 kd uninstall opt/1.0 -k "$K"
rm -r "$T/lib/modules/$K/kernel"

# OBSOLETE_BY: a kernel at or above it does not get the module, unless --force
echo 'OBSOLETE_BY="6.1.0"' >> "$T/src/opt-1.0/dkms.conf"
kd install opt/1.0 -k "$K" >"$T/out" 2>&1
grep -q "obsoleted" "$T/out" || fail "no OBSOLETE_BY message: $(cat "$T/out")"
[ ! -e "$inst" ] || fail "installed on a kernel that obsoletes it"
kd uninstall opt/1.0 -k "$K" >/dev/null 2>&1
expect_rc 0 kd install opt/1.0 -k "$K" --force
[ -f "$inst" ] || fail "--force did not install over OBSOLETE_BY"
expect_rc 0 kd remove opt/1.0 --all
[ ! -e "$T/dkms/opt" ] && [ ! -e "$inst" ] || fail "remove left state"

# --rpm_safe_upgrade: add and remove under one rpm process (an upgrade's
# new and old scriptlets) leave the module registered; a remove under
# another process removes it.
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
# rpm runs each scriptlet as a child; a scriptlet runs dkms
cat > "$T/scriptlet" <<S
#!/bin/bash
"$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" --rpm_safe_upgrade "\$@"
exit \$?
S
cat > "$T/rpm" <<S
#!/bin/bash
"$T/scriptlet" add opt/1.0
"$T/scriptlet" remove opt/1.0 --all
exit 0
S
chmod +x "$T/scriptlet" "$T/rpm"
"$T/rpm" >/dev/null 2>&1
[ "$(tdkms status)" = "opt/1.0: added" ] || fail "an upgrade's remove removed the module: $(tdkms status)"
[ -z "$(ls "$TMPDIR")" ] || fail "the upgrade note was not consumed: $(ls "$TMPDIR")"
expect_rc 0 tdkms --rpm_safe_upgrade remove opt/1.0 --all
[ ! -e "$T/dkms/opt" ] || fail "a remove outside an upgrade was cancelled"
echo "options ok"
