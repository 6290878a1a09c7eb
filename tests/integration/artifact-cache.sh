#!/bin/bash
# The artifact cache with a real module on real headers: the second build
# of hello on a machine that shares the cache (the same tree layout, the
# tree itself gone) runs no compiler and gives, before signing, the same
# module byte for byte; with signing on, each tree signs with its own key.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61"
mkroot "$K61"
export artifact_cache="$T/cache" sign_file=/nonexistent
mv=$(put_source "$SRCDIR/tests/fixtures/hello-1.0")
mod=$T/dkms/hello/1.0/$K61/$ARCH/module
build() { tdkms --no-depmod build "$mv" -k "$K61" >"$T/out" 2>&1 || { cat "$T/out"; fail "build"; }; }

build
grep -q "Taken from the artifact cache" "$T/out" && fail "the first build was a hit"
cp -a "$mod" "$T/first"
# another machine: the same layout, nothing of the first tree left
rm -rf "$T/dkms"; mkdir -p "$T/dkms"
build
grep -q "Taken from the artifact cache" "$T/out" || { cat "$T/out"; fail "the second build ran make"; }
! grep -q "gcc\|CC \[M\]" "$T/dkms/hello/1.0/$K61/$ARCH/log/make.log" || fail "the compiler ran on a hit"
for f in "$T/first"/*; do
    cmp "$f" "$mod/$(basename "$f")" || fail "$(basename "$f") from the cache differs from the one built"
done
# signed after the hit, with this tree's own key
unset sign_file mok_signing_key mok_certificate
rm -rf "$T/dkms"; mkdir -p "$T/dkms"
build
grep -q "Taken from the artifact cache" "$T/out" || fail "no hit with signing on"
if grep -q "Signing module" "$T/out"; then
    modinfo -F signer "$(ls "$mod"/hello.ko*)" | grep -q . || fail "the module from the cache is not signed"
fi
echo "artifact cache: a real module from the cache is the one make built"
