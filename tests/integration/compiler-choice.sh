#!/bin/bash
# The kernel's compiler builds its modules.  The 6.1 headers were built
# with gcc 12; here `gcc` is gcc 11 (first in PATH).  The headers are a
# copy without Debian's .kernelvariables, which would name gcc-12 itself:
# kbuild's own choice is then plain `gcc`, as with upstream's or another
# distribution's headers, so only dkms's choice can make it gcc-12.
#  - dkms gives make gcc-12 and says so; the module's .comment names gcc 12;
#  - an explicit CC=gcc is used all the same, with a warning (and gcc 11
#    does not know the kernel's flags: the build fails);
#  - with gcc-12 hidden (bind mounts in a private mount namespace), the
#    warning naming the package gcc-12 is in the build's output, in
#    autoinstall's summary and in `dkms check` (text and JSON).
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61"
command -v gcc-11 >/dev/null || skip "gcc-11 is not installed (scripts/setup-deps.sh)"
command -v gcc-12 >/dev/null || skip "gcc-12 is not installed"
command -v readelf >/dev/null || skip "readelf is not installed"
command -v unshare >/dev/null || skip "unshare is not installed"
mkroot "$K61"
mkdir -p "$T/bin"
ln -s "$(command -v gcc-11)" "$T/bin/gcc"
export PATH="$T/bin:$PATH"
[ "$(gcc -dumpversion)" = 11 ] || fail "gcc in PATH is not gcc 11"
unset CC

H=$T/headers
cp -a "/lib/modules/$K61/build/." "$H"
rm -f "$H/.kernelvariables"
for l in scripts tools; do
    [ -L "$H/$l" ] && ln -sfn "$(readlink -f "/lib/modules/$K61/build/$l")" "$H/$l"
done
grep -q '^CONFIG_GCC_VERSION=12' "$H/.config" || skip "the $K61 headers were not built with gcc 12"

mv=$(put_source "$FIXTURES/hello-1.0")
kd() { tdkms --no-depmod --kernelsourcedir "$H" "$@"; }
comment() {
    local ko
    ko=$(ls "$T/dkms/hello/1.0/$K61/$ARCH/module/"hello.ko*) || fail "no module built"
    case $ko in
    *.xz) xz -dc "$ko" >"$T/h.ko" ;; *.zst) zstd -qdc "$ko" >"$T/h.ko" ;; *.gz) gzip -dc "$ko" >"$T/h.ko" ;;
    *) cp "$ko" "$T/h.ko" ;;
    esac
    readelf -p .comment "$T/h.ko"
}

# ---- gcc is 11: gcc-12 is used ---------------------------------------------
kd build "$mv" -k "$K61" >"$T/out" 2>&1 || { cat "$T/out"; fail "build with gcc-12 available"; }
grep -qxF "Using gcc-12 for kernel $K61: it was built with gcc 12, gcc is 11." "$T/out" ||
    { cat "$T/out"; fail "the substitution is not said"; }
grep -q "make CC='gcc-12' " "$T/out" || { cat "$T/out"; fail "make was not given CC=gcc-12"; }
comment >"$T/comment"
grep -q "GCC: .* 12\." "$T/comment" || { cat "$T/comment"; fail "the module was not built by gcc 12"; }
! grep -q "GCC: .* 11\." "$T/comment" || { cat "$T/comment"; fail "part of the module was built by gcc 11"; }

# ---- an explicit CC wins, with a warning -------------------------------------
kd remove "$mv" --all >/dev/null 2>&1
rc=0
CC=gcc kd build "$mv" -k "$K61" >"$T/out" 2>&1 || rc=$?
grep -q "was built with gcc 12, but CC=gcc and gcc is 11: it is used all the same" "$T/out" ||
    { cat "$T/out"; fail "no warning for an explicit CC of another version"; }
if [ "$rc" = 0 ]; then
    comment | grep -q "GCC: .* 11\." || fail "CC=gcc was not used"
else
    grep -q "make CC='gcc' " "$T/out" || { cat "$T/out"; fail "make was not given CC=gcc"; }
fi

# ---- gcc-12 hidden: the warning, in the build, the summary and check ---------
kd remove "$mv" --all >/dev/null 2>&1
kd add "$mv" >/dev/null 2>&1 || true
: >"$T/not-a-compiler"
hidden() {
    unshare -m bash -c '
        mount --make-rprivate / &&
        mount --bind "$1" /usr/bin/x86_64-linux-gnu-gcc-12 &&
        { [ ! -e /usr/bin/gcc-12 ] || [ -L /usr/bin/gcc-12 ] || mount --bind "$1" /usr/bin/gcc-12; } &&
        shift && "$@"' _ "$T/not-a-compiler" "$@"
}
rc=0
hidden "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" --no-depmod \
    --kernelsourcedir "$H" autoinstall -k "$K61" >"$T/out" 2>&1 || rc=$?
want="Kernel $K61 was built with gcc 12, but gcc is 11 and gcc 12 is not installed"
grep -F "$want" "$T/out" | grep -q "^Warning: .*Install the package gcc-12\.$" ||
    { cat "$T/out"; fail "no warning in the build's output"; }
sed -n "/^Autoinstall on kernel $K61/,\$p" "$T/out" | grep -qF "  compiler: $want" ||
    { cat "$T/out"; fail "no warning in autoinstall's summary"; }
[ "$rc" = 0 ] || [ "$rc" = 11 ] || { cat "$T/out"; fail "autoinstall exited $rc"; }

rc=0
hidden "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --kernelsourcedir "$H" check -k "$K61" --json >"$T/json" 2>"$T/err" || rc=$?
python3 - "$T/json" "$want" <<'EOF' || { cat "$T/json" "$T/err"; fail "check --json: no compiler_warning"; }
import json, sys
k = json.load(open(sys.argv[1]))["kernels"][0]
assert sys.argv[2] in k["compiler_warning"] and "gcc-12" in k["compiler_warning"], k
EOF
hidden "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --kernelsourcedir "$H" check -k "$K61" >"$T/text" 2>&1 || true
grep -qF "  compiler: $want" "$T/text" || { cat "$T/text"; fail "check: no compiler line"; }
# gcc-12 back: nothing to warn about
tdkms --kernelsourcedir "$H" check -k "$K61" --json >"$T/json" 2>/dev/null || true
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["kernels"][0]["compiler_warning"] is None' \
    "$T/json" || { cat "$T/json"; fail "check warns with gcc-12 installed"; }
echo "compiler choice: gcc-12 used for a gcc-12 kernel when gcc is 11; warned when it is missing"
