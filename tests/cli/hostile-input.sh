#!/bin/bash
# Bad input gets a clear error and changes nothing: names that a shell
# would run or that leave a tree, kernel and arch values likewise, a FIFO
# or a huge file as dkms.conf, an add of a directory whose dkms.conf is
# invalid (exit 8, as the reference), and a module that a killed build left
# half-made can still be removed.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-95-dkmstest
mkroot "$K"
export DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot"
export sign_file=/nonexistent
mkdir -p "$T/ksrc/include"
cd "$T" || fail "cd"
snapshot() { (cd "$T" && find . -path ./out -prune -o -printf '%p %y %s\n' | sort); }

# a module name with $(...) in it: refused, nothing run, nothing made
mkdir -p "$T/src/h\$(touch\${IFS}PWNED)-1.0"
before=$(snapshot)
expect_rc 1 tdkms add -m 'h$(touch${IFS}PWNED)' -v 1.0
expect_rc 1 tdkms build -m 'h$(touch${IFS}PWNED)' -v 1.0 -k "$K"
for bad in 'a;b' 'a b' 'a`id`' "a'b" 'a|b' 'a>b' '..'; do
    out=$(tdkms add -m "$bad" -v 1.0 2>&1) && fail "module name '$bad' accepted"
    echo "$out" | grep -q "Invalid module name or version" || fail "no reason for '$bad': $out"
done
[ ! -e "$T/PWNED" ] && [ ! -e PWNED ] || fail "a command in a module name was run"
[ "$before" = "$(snapshot)" ] || fail "a refused name changed something"

# a good module, built by a script
script_source good 1.0 <<'S'
#!/bin/sh
echo ko > good.ko
S
expect_rc 0 tdkms add good/1.0

# -k and -a that would leave the trees, or reach make's command line
before=$(snapshot)
for k in ../../../escapedK '6.1;touch${IFS}PWNED' '' '.'; do
    out=$(tdkms --kernelsourcedir "$T/ksrc" build good/1.0 -k "$k" 2>&1); rc=$?
    [ "$rc" = 1 ] || fail "build -k '$k' exited $rc: $out"
    out=$(tdkms --kernelsourcedir "$T/ksrc" install good/1.0 -k "$k" 2>&1); rc=$?
    [ "$rc" = 1 ] || fail "install -k '$k' exited $rc: $out"
done
echo "$out" | grep -q "Invalid kernel version" || fail "no reason for a bad kernel: $out"
out=$(tdkms --kernelsourcedir "$T/ksrc" build good/1.0 -k "$K" -a ../x 2>&1) && fail "-a ../x accepted"
echo "$out" | grep -q "Invalid arch '../x'" || fail "no reason for a bad arch: $out"
[ "$before" = "$(snapshot)" ] || { diff <(echo "$before") <(snapshot); fail "a refused kernel or arch changed something"; }
[ ! -e "$T/PWNED" ] && [ ! -e PWNED ] || fail "a command in a kernel version was run"

# a FIFO as dkms.conf: an error at once, no hang, the lock let go
mkdir -p "$T/src/fifo-1.0"; mkfifo "$T/src/fifo-1.0/dkms.conf"
rc=0; timeout 20 "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    add fifo/1.0 >"$T/out" 2>&1 || rc=$?
[ "$rc" = 8 ] || { cat "$T/out"; fail "a FIFO dkms.conf: exit $rc, expected 8"; }
grep -q "is not a regular file" "$T/out" || fail "the FIFO is not named as the reason"
expect_rc 0 timeout 20 "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" status
# a dkms.conf of more than 1 MiB
mkdir -p "$T/src/big-1.0"
{ printf 'PACKAGE_NAME=big\nPACKAGE_VERSION=1.0\n'; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } > "$T/src/big-1.0/dkms.conf"
rc=0; tdkms add big/1.0 >"$T/out" 2>&1 || rc=$?
[ "$rc" = 8 ] || { cat "$T/out"; fail "a huge dkms.conf: exit $rc, expected 8"; }
grep -q "is larger than" "$T/out" || fail "the size is not named as the reason"
[ ! -e "$T/dkms/fifo" ] && [ ! -e "$T/dkms/big" ] || fail "a refused dkms.conf left the module registered"

# add DIR whose dkms.conf names the package but is otherwise invalid:
# copied, then refused by the add with 8 (the reference's code)
mkdir -p "$T/elsewhere/bad"
printf 'PACKAGE_NAME=badconf\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/nowhere\n' \
    > "$T/elsewhere/bad/dkms.conf"
rc=0; tdkms add "$T/elsewhere/bad" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 8 ] || { cat "$T/out"; fail "add DIR with an invalid dkms.conf: exit $rc, expected 8"; }
[ ! -e "$T/dkms/badconf" ] || fail "the invalid module was registered"

# a build killed after make: its kernel directory is left without a
# build; remove --all still removes the module completely
mkdir -p "$T/dkms/good/1.0/$K" "$T/dkms/good/1.0/$K/.$ARCH.dkms-staging/module"
expect_rc 0 tdkms remove good/1.0 --all
[ ! -e "$T/dkms/good" ] || { find "$T/dkms/good"; fail "remove --all left a half-built module registered"; }
echo "bad names, kernels, arches and dkms.conf files refused; nothing changed"
