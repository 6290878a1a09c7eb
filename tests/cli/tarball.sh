#!/bin/bash
# mktarball and ldtarball on a hand-made state tree: round trips (full,
# --source-only, --binaries-only), names, the layout against the
# reference's tarballs, loading each other's tarballs, and exit codes.
. "$(dirname "$0")/../lib.sh"
need_ref
mkroot "$K61" "$K612"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR" "$T/out"
A=$ARCH

# a module source with a nested dot file and links inside the tree
fake_source hello 1.0
mkdir -p "$T/src/hello-1.0/sub"
echo "int x;" > "$T/src/hello-1.0/hello.c"
echo keep > "$T/src/hello-1.0/sub/.dotfile"
ln -s Makefile "$T/src/hello-1.0/mk"
ln -s ../hello.c "$T/src/hello-1.0/sub/hello.c"
cp -a "$T/src/hello-1.0" "$T/pristine-src"

# fresh KERNEL...: hello/1.0 added anew, and built for the kernels given
fresh() {
    rm -rf "$T/dkms/hello" "$T/src/hello-1.0"
    cp -a "$T/pristine-src" "$T/src/hello-1.0"
    tdkms add hello/1.0 >/dev/null || fail "add"
    for k in "$@"; do fake_built hello 1.0 "$k"; done
}
no_leftovers() {
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left in tmp_location: $(ls -A "$TMPDIR")"
    local left
    left=$(find "$T/dkms" "$T/out" -name '.dkms-stage.*')
    [ -z "$left" ] || fail "$1: temporary files left in the trees: $left"
}
listing() { tar -tf "$1" | sort; }
# the <kernel>/<arch> directories, names and contents
snapshot() { (cd "$T/dkms/hello/1.0" && find . -mindepth 1 -maxdepth 1 -name '[0-9]*' -exec find {} \; | sort &&
              find . -mindepth 1 -maxdepth 1 -name '[0-9]*' -exec find {} -type f \; | sort | xargs cat); }

# --- round trips ------------------------------------------------------
# roundtrip KIND OPTS...: mktarball, remove everything, ldtarball; status,
# the module directories and the source must come back.
roundtrip() {
    local kind=$1; shift
    fresh "$K61" "$K612"
    local before after snap_before
    tdkms mktarball hello/1.0 -k "$K61" -k "$K612" "$@" --archive="$T/out/$kind.tar.gz" >/dev/null ||
        fail "$kind: mktarball"
    case $kind in
        source) before="hello/1.0: added" ;;
        *) before=$(tdkms status); snap_before=$(snapshot) ;;
    esac
    tdkms remove hello/1.0 --all >/dev/null || fail "$kind: remove"
    rm -rf "$T/src/hello-1.0"
    [ -z "$(tdkms status)" ] || fail "$kind: not removed"
    tdkms ldtarball "$T/out/$kind.tar.gz" >/dev/null || fail "$kind: ldtarball exited $?"
    after=$(tdkms status)
    [ "$before" = "$after" ] || { diff -u <(echo "$before") <(echo "$after"); fail "$kind: status after the round trip"; }
    case $kind in
        binaries)
            [ -f "$T/dkms/hello/1.0/source/dkms.conf" ] && [ ! -L "$T/dkms/hello/1.0/source" ] ||
                fail "binaries: no source/dkms.conf stub"
            [ ! -e "$T/src/hello-1.0" ] || fail "binaries: a source tree appeared" ;;
        *)
            diff -r --no-dereference "$T/pristine-src" "$T/src/hello-1.0" || fail "$kind: source differs"
            [ -L "$T/src/hello-1.0/mk" ] || fail "$kind: symlink not kept" ;;
    esac
    if [ "$kind" != source ]; then
        [ "$snap_before" = "$(snapshot)" ] || fail "$kind: module directories differ"
    fi
    no_leftovers "$kind"
}
roundtrip full
roundtrip source --source-only
roundtrip binaries --binaries-only

# the reference's remove then ldtarball of our tarball, and the other way
fresh "$K61"
tdkms mktarball hello/1.0 -k "$K61" --archive="$T/out/ours.tgz" >/dev/null || fail "mktarball ours.tgz"
tref mktarball hello/1.0 -k "$K61" --archive="$T/out/ref.tgz" >/dev/null 2>&1 || fail "reference mktarball"
want=$(tdkms status)
tdkms remove hello/1.0 --all >/dev/null; rm -rf "$T/src/hello-1.0"
tdkms ldtarball "$T/out/ref.tgz" >/dev/null || fail "ours loading the reference's tarball"
[ "$(tdkms status)" = "$want" ] || fail "status after loading the reference's tarball"
tdkms remove hello/1.0 --all >/dev/null; rm -rf "$T/src/hello-1.0"
tref ldtarball "$T/out/ours.tgz" >/dev/null 2>&1 || fail "the reference loading our tarball"
[ "$(tref status 2>/dev/null)" = "$want" ] || fail "reference status after loading our tarball"

# --- layout against the reference -------------------------------------
# (one kernel per tarball: the reference's loop over several kernels
# archives the first kernel again and again, its variables being
# `local -r`; ours archives each one, checked against two single-kernel
# reference tarballs below)
fresh "$K61" "$K612"
for opts in "" "--source-only" "--binaries-only"; do
    # shellcheck disable=SC2086
    tdkms mktarball hello/1.0 -k "$K61" $opts --archive="$T/out/o.tgz" >/dev/null || fail "mktarball $opts"
    # shellcheck disable=SC2086
    tref mktarball hello/1.0 -k "$K61" $opts --archive="$T/out/r.tgz" >/dev/null 2>&1 || fail "ref $opts"
    diff -u <(listing "$T/out/r.tgz") <(listing "$T/out/o.tgz") || fail "layout differs from the reference ($opts)"
    [ "$(tar -xOzf "$T/out/o.tgz" ./dkms_main_tree/$K61/$A/module/hello.ko 2>/dev/null)" = "hello.ko of hello/1.0 for $K61" ] ||
        [ "$opts" = --source-only ] || fail "module content ($opts)"
done
tdkms mktarball hello/1.0 -k "$K61" -k "$K612" --archive="$T/out/o2.tgz" >/dev/null || fail "mktarball two kernels"
tref mktarball hello/1.0 -k "$K61" --archive="$T/out/r1.tgz" >/dev/null 2>&1 || fail "ref $K61"
tref mktarball hello/1.0 -k "$K612" --archive="$T/out/r2.tgz" >/dev/null 2>&1 || fail "ref $K612"
diff -u <(sort -u <(listing "$T/out/r1.tgz") <(listing "$T/out/r2.tgz")) <(listing "$T/out/o2.tgz") ||
    fail "a two-kernel tarball is not the union of the reference's one-kernel tarballs"
for f in PACKAGE_NAME PACKAGE_VERSION dkms.conf; do
    cmp <(tar -xOzf "$T/out/r.tgz" "./dkms_binaries_only/$f") <(tar -xOzf "$T/out/o.tgz" "./dkms_binaries_only/$f") ||
        fail "dkms_binaries_only/$f differs from the reference's"
done

# --- names --------------------------------------------------------------
tb="$T/dkms/hello/1.0/tarball"
names_of() { (cd "$tb" && ls); }
rm -rf "$tb"
tdkms mktarball hello/1.0 -k "$K61" -k "$K612" >/dev/null || fail "default name"
tdkms mktarball hello/1.0 --source-only >/dev/null || fail "source-only name"
tdkms mktarball hello/1.0 -k "$K61" --archive=bare.tar.xz >/dev/null || fail "bare --archive"
ours=$(names_of); rm -rf "$tb"
tref mktarball hello/1.0 -k "$K61" -k "$K612" >/dev/null 2>&1
tref mktarball hello/1.0 --source-only >/dev/null 2>&1
tref mktarball hello/1.0 -k "$K61" --archive=bare.tar.xz >/dev/null 2>&1
ref=$(names_of)
[ "$ours" = "$ref" ] || { diff -u <(echo "$ref") <(echo "$ours"); fail "tarball names differ"; }
echo "$ours" | grep -qx "hello-1.0-kernel$K61-$A-kernel$K612-$A.dkms.tar.gz" || fail "default name: $ours"
[ "$(head -c6 "$tb/bare.tar.xz" | od -An -tx1 | tr -d ' ')" = fd377a585a00 ] || fail "bare.tar.xz is not xz"
# more than 200 characters of kernel names: manykernels
ks=()
for i in $(seq 10 19); do k="6.1.0-$i-amd64-with-a-long-local-suffix"; fake_built hello 1.0 "$k"; ks+=(-k "$k"); done
tdkms mktarball hello/1.0 "${ks[@]}" >/dev/null || fail "many kernels"
[ -f "$tb/hello-1.0-manykernels.dkms.tar.gz" ] || fail "no manykernels name: $(names_of)"
list=$(tar -tzf "$tb/hello-1.0-manykernels.dkms.tar.gz") || fail "manykernels tarball does not list"
grep -q "6.1.0-19-amd64-with-a-long-local-suffix/$A/module/hello.ko" <<<"$list" ||
    fail "manykernels tarball lacks a kernel"
# a plain tar for other suffixes, as tar -a
tdkms mktarball hello/1.0 -k "$K61" --archive="$T/out/plain.tar" >/dev/null || fail "plain tar"
tar -tf "$T/out/plain.tar" >/dev/null && [ "$(head -c2 "$T/out/plain.tar")" = "./" ] || fail "plain.tar is not a plain tar"
no_leftovers names

# --- exit codes -----------------------------------------------------------
expect_rc 6 tdkms mktarball hello/1.0 -k 6.1.0-99-amd64
expect_rc 3 tdkms mktarball nosuch/1.0 -k "$K61"
expect_rc 1 tdkms mktarball -k "$K61"
touch "$T/afile"
expect_rc 9 tdkms mktarball hello/1.0 -k "$K61" --archive="$T/afile/x.tgz"
expect_rc 8 tdkms mktarball hello/1.0 --source-only --binaries-only
expect_rc 2 tdkms ldtarball --archive="$T/out/missing.tgz"
echo junk > "$T/out/junk.tgz"
expect_rc 7 tdkms ldtarball "$T/out/junk.tgz"
expect_rc 8 tdkms ldtarball "$T/out/o.tgz"
# a tarball from mktarball without any dkms.conf in it
mkdir -p "$T/mk/dkms_main_tree" "$T/mk/dkms_source_tree"; echo x > "$T/mk/dkms_source_tree/Makefile"
tar -C "$T/mk" -czf "$T/out/noconf.tgz" .
expect_rc 7 tdkms ldtarball "$T/out/noconf.tgz"
# a plain source tarball (not from mktarball): loaded and added
mkdir -p "$T/plain/world-2.0"
printf 'PACKAGE_NAME=world\nPACKAGE_VERSION=2.0\nBUILT_MODULE_NAME[0]=world\nDEST_MODULE_LOCATION[0]=/updates\n' \
    > "$T/plain/world-2.0/dkms.conf"
tar -C "$T/plain" -czf "$T/out/world-2.0.tar.gz" world-2.0
tdkms ldtarball "$T/out/world-2.0.tar.gz" >/dev/null || fail "plain source tarball"
[ "$(tdkms status -m world)" = "world/2.0: added" ] || fail "plain source tarball not added"
expect_rc 8 tdkms ldtarball "$T/out/world-2.0.tar.gz"
mkdir -p "$T/none/x"; echo x > "$T/none/x/Makefile"
tar -C "$T/none" -czf "$T/out/none.tgz" x
expect_rc 3 tdkms ldtarball "$T/out/none.tgz"
# --force reloads over an existing version
fresh "$K61"
tdkms mktarball hello/1.0 -k "$K61" --archive="$T/out/f.tgz" >/dev/null
echo changed > "$T/dkms/hello/1.0/$K61/$A/module/hello.ko"
tdkms ldtarball "$T/out/f.tgz" --force >/dev/null || fail "--force reload"
[ "$(cat "$T/dkms/hello/1.0/$K61/$A/module/hello.ko")" = "hello.ko of hello/1.0 for $K61" ] || fail "--force did not reload"
no_leftovers "exit codes"
echo "mktarball/ldtarball: round trips, layout, names and exit codes match"
