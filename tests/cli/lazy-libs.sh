#!/bin/bash
# libarchive, libcrypto, libkmod and the compression libraries are loaded
# on first use (src/lazylib.c): --version and status load none of them;
# mktarball/ldtarball, generate_mok and verify load the one they need and
# work; one that cannot be loaded is an error naming it.
. "$(dirname "$0")/../lib.sh"
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
mkroot "$K61" "$K612"
LAZY='lib(archive|crypto|kmod|lzma|zstd|z)\.so'

# loads NAME ARGS...: run tdkms ARGS with the dynamic loader's trace of the
# files it maps (LD_DEBUG=files) in $T/ld/NAME.*; output in $T/NAME.out.
loads() {
    local name=$1; shift
    mkdir -p "$T/ld"
    LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld/$name" tdkms "$@" >"$T/$name.out" 2>&1
}
# mapped NAME: the libraries mapped in run NAME (by dkms and the programs
# it started), one a line.
mapped() {
    cat "$T/ld/$1".* 2>/dev/null | sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u
}

# a module/version installed for two kernels, its modules real ELF files
fake_source hello 1.0
fake_added hello 1.0
for k in "$K61" "$K612"; do
    fake_built hello 1.0 "$k"
    make_ko "$T/dkms/hello/1.0/$k/$ARCH/module/hello.ko" "$k" hello
    fake_installed hello 1.0 "$k"
done

# --- status and --version: none of them -------------------------------
loads version --version || { cat "$T/version.out"; fail "--version exited $?"; }
loads status status || { cat "$T/status.out"; fail "status exited $?"; }
grep -qx "hello/1.0, $K61, $ARCH: installed" "$T/status.out" || { cat "$T/status.out"; fail "status output"; }
for run in version status; do
    # the trace must be there for its absence of a library to mean anything
    mapped $run | grep -q 'libc\.so\.6' || fail "$run: no trace of the libraries mapped (LD_DEBUG=files)"
    found=$(mapped $run | grep -E "$LAZY") && fail "$run maps libraries it does not use: $found"
done

# --- the actions that need them load them, and work ---------------------
# verify reads what each built module says about itself with libkmod
loads verify verify hello/1.0 || { cat "$T/verify.out"; fail "verify exited $?"; }
mapped verify | grep -q 'libkmod\.so' || fail "verify: libkmod was not loaded"
loads mktarball mktarball hello/1.0 -k "$K61" --archive="$T/hello.tar.gz" ||
    { cat "$T/mktarball.out"; fail "mktarball exited $?"; }
mapped mktarball | grep -q 'libarchive\.so' || fail "mktarball: libarchive was not loaded"
# (listed first: grep -q stopping early would make tar fail with SIGPIPE)
listing=$(tar -tzf "$T/hello.tar.gz") || fail "mktarball: tar cannot list $T/hello.tar.gz"
grep -q "dkms_main_tree/$K61/$ARCH/module/hello.ko" <<<"$listing" ||
    fail "mktarball: the tarball lacks the module: $listing"
tdkms remove hello/1.0 --all >/dev/null 2>&1 || fail "remove exited $?"
rm -rf "$T/src/hello-1.0"
loads ldtarball ldtarball "$T/hello.tar.gz" || { cat "$T/ldtarball.out"; fail "ldtarball exited $?"; }
[ -f "$T/dkms/hello/1.0/$K61/$ARCH/module/hello.ko" ] || fail "ldtarball: the module was not loaded back"
[ -f "$T/src/hello-1.0/dkms.conf" ] || fail "ldtarball: the source was not loaded back"

if [ "$(id -u)" = 0 ]; then
    loads mok generate_mok || { cat "$T/mok.out"; fail "generate_mok exited $?"; }
    mapped mok | grep -q 'libcrypto\.so' || fail "generate_mok: libcrypto was not loaded"
    [ -s "$T/dkms/mok.key" ] && [ -s "$T/dkms/mok.pub" ] || fail "generate_mok: no key pair made"
fi

# --- a library that cannot be loaded: an error naming it ----------------
# the soname dkms loads, as the build wrote it into the binary
sonames=$(grep -aoE 'libarchive\.so\.[0-9]+' "$DKMS") || fail "no libarchive soname in $DKMS"
so=${sonames%%$'\n'*}
mkdir -p "$T/broken"
echo "not a library" > "$T/broken/$so"
rc=0
LD_LIBRARY_PATH="$T/broken" tdkms mktarball hello/1.0 -k "$K61" --archive="$T/again.tar.gz" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out"; fail "mktarball without a usable $so: exit $rc, expected 1"; }
grep -q "Cannot load $so, needed for source tarballs" "$T/out" || { cat "$T/out"; fail "the error does not name $so"; }
[ ! -e "$T/again.tar.gz" ] || fail "a tarball was made without $so"
# status never needed it
LD_LIBRARY_PATH="$T/broken" tdkms status >"$T/out" 2>&1 || { cat "$T/out"; fail "status with a broken $so exited $?"; }

# the RPM requires each library loaded on first use by its soname (rpm
# finds only those a program links)
spec=$SRCDIR/rpm/dkms-c.spec
linked=$(ldd "$DKMS")
for so in $(named_libs "$DKMS"); do
    grep -q "$so" <<<"$linked" && continue
    grep -qE "^Requires: +${so//./\\.}%" "$spec" || fail "$spec does not require $so, which $DKMS loads"
done
exit 0
