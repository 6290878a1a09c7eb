#!/bin/bash
# The reference's progress and failure lines, which scripts and people
# read, are printed as it prints them: "Cleaning build area..." and the
# make line end in "(bad exit status: N)" when the command fails, "depmod..."
# follows an install (with its status when depmod fails), and a failed make
# and a module whose BUILD_DEPENDS are missing get the reference's line,
# then ours.  Builds are scripts and depmod a stand-in: no compiler needed.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "installing needs root"
K=6.1.0-94-dkmstest
script_root --depmod "$K"
mkdir -p "$T/bin"
# depmod: records its arguments, exits $FAKE_DEPMOD_STATUS
printf '#!/bin/sh\necho "$@" >> "%s/depmod.calls"\nexit "${FAKE_DEPMOD_STATUS:-0}"\n' "$T" > "$T/bin/depmod"
chmod +x "$T/bin/depmod"
export PATH="$T/bin:$PATH"
# has FILE LINE...: FILE holds these lines, one after the other
has() {
    local f=$1; shift
    python3 - "$f" "$@" <<'P' || { cat "$f"; fail "$f lacks, in this order: $*"; }
import sys
lines = open(sys.argv[1]).read().split("\n")
want = sys.argv[2:]
for i in range(len(lines) - len(want) + 1):
    if lines[i:i + len(want)] == want:
        sys.exit(0)
sys.exit(1)
P
}

# a build whose clean and make fail
script_source fails 1.0 <<'S'
#!/bin/sh
echo "fails.c:1:1: error: nothing here" >&2
exit 2
S
sed -i 's/^CLEAN=true$/CLEAN="exit 3"/' "$T/src/fails-1.0/dkms.conf"
rc=0; kd build fails/1.0 -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 10 ] || { cat "$T/out"; fail "failing build exited $rc, expected 10"; }
has "$T/out" "Cleaning build area...(bad exit status: 3)" "./build.sh...(bad exit status: 2)" \
    "Error! Bad return status for module build on kernel: $K ($ARCH)" \
    "Consult $T/dkms/fails/1.0/build/make.log for more information." \
    "Error! Build of fails/1.0 for kernel $K ($ARCH) failed: make exited with status 2" \
    "First error: fails.c:1:1: error: nothing here"

# an install: "depmod..." after it, once per kernel
script_source good 1.0 <<'S'
#!/bin/sh
echo "good module" > good.ko
S
# (unconfined: a confined build's CLEAN after the build, on a directory
# removed next, is left out, as newer dkms releases leave it out)
build_sandbox=no kd install good/1.0 -k "$K" > "$T/out" 2>&1 || { cat "$T/out"; fail "install"; }
has "$T/out" "Cleaning build area..." "./build.sh..." "Cleaning build area..."
[ "$(tail -n 1 "$T/out")" = "depmod..." ] || { cat "$T/out"; fail "depmod... is not the last line"; }
[[ $(tail -n 2 "$T/out" | head -n 1) == "   - Installing to $T/lib/modules/$K/"* ]] ||
    { cat "$T/out"; fail "depmod... does not follow the install"; }
[ "$(wc -l < "$T/depmod.calls")" = 1 ] || fail "depmod ran $(wc -l < "$T/depmod.calls") times"
# confined: CLEAN after the build is left out (it could change nothing but
# the build directory, removed next, as newer dkms releases leave it out),
# and its line is printed all the same, as the reference prints it
if bwrap --unshare-net --ro-bind / / true 2>/dev/null; then
    script_source confined 1.0 <<'S'
#!/bin/sh
echo "confined module" > confined.ko
S
    build_sandbox=yes kd build confined/1.0 -k "$K" --verbose > "$T/out" 2>&1 || { cat "$T/out"; fail "confined build"; }
    [ "$(grep -c "^Cleaning build area\.\.\.$" "$T/out")" = 2 ] ||
        { cat "$T/out"; fail "a confined build does not print the reference's two Cleaning build area... lines"; }
    grep -q "is removed: CLEAN is not run on it" "$T/out" ||
        { cat "$T/out"; fail "a confined build cleaned its build directory after the build"; }
fi
# --no-depmod: no depmod, no line
kd uninstall good/1.0 -k "$K" --no-depmod > "$T/out" 2>&1 || { cat "$T/out"; fail "uninstall"; }
grep -q "^depmod" "$T/out" && { cat "$T/out"; fail "depmod... with --no-depmod"; }
# depmod fails: its status on the line, exit 6
rc=0; FAKE_DEPMOD_STATUS=5 kd install good/1.0 -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 6 ] || { cat "$T/out"; fail "install with a failing depmod exited $rc, expected 6"; }
has "$T/out" "depmod...(bad exit status: 5)"

# autoinstall: a module whose BUILD_DEPENDS is missing
script_source needy 1.0 <<'S'
#!/bin/sh
echo "needy module" > needy.ko
S
printf 'BUILD_DEPENDS="absent other"\nAUTOINSTALL=yes\n' >> "$T/src/needy-1.0/dkms.conf"
expect_rc 0 kd add needy/1.0 > /dev/null
rc=0; kd autoinstall -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 11 ] || { cat "$T/out"; fail "autoinstall exited $rc, expected 11"; }
has "$T/out" "needy/1.0 autoinstall failed due to missing dependencies: absent other" "" \
    "Autoinstall on kernel $K ($ARCH):" "  needy/1.0: failed, missing dependencies: absent other"
echo PASS
