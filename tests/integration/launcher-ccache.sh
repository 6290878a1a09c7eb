#!/bin/bash
# compiler_launcher=ccache with real builds, confined as usual: make gets
# CC="<ccache> gcc-12", ccache writes its cache (CCACHE_DIR) from inside
# the sandbox, and when one file of the module's source changes, the next
# build compiles that file only: ccache's log shows a miss for it and a
# hit for the other.
#
# The rebuild is of the same version (removed, its source changed, added
# again), as when a distribution's package of the same upstream version
# carries a new patch.  A new version builds in another directory, and
# kbuild's compile lines and debug information name that directory, so
# ccache finds nothing of the old one there.
#
# Also: a compiler_launcher that is not one of the four, or not installed,
# stops the build before anything is done.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61"
command -v ccache >/dev/null || skip "ccache is not installed (scripts/setup-deps.sh)"
mkroot "$K61"
src=$T/src/twofile-1.0
mv=$(put_source "$FIXTURES/twofile-1.0")

# ---- values that are refused ------------------------------------------------
for bad in gcc "ccache -s" /nonexistent/ccache; do
    rc=0
    compiler_launcher=$bad tdkms --no-depmod build "$mv" -k "$K61" >"$T/out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat "$T/out"; fail "compiler_launcher=\"$bad\": exit $rc, expected 1"; }
    grep -q "Build of twofile/1.0 for kernel $K61 ($ARCH) stopped: compiler_launcher=\"$bad\"" "$T/out" ||
        { cat "$T/out"; fail "compiler_launcher=\"$bad\": no clear error"; }
    [ ! -e "$T/dkms/twofile" ] || fail "compiler_launcher=\"$bad\": the module was added"
    [ ! -e "$T/dkms/twofile/1.0/$K61" ] || fail "compiler_launcher=\"$bad\": something was built"
done

# ---- real builds through ccache ------------------------------------------------
export compiler_launcher=ccache CCACHE_DIR=$T/ccache
mkdir -p "$CCACHE_DIR"
chown 65534:65534 "$CCACHE_DIR"   # the confined build's user writes it
ccache_of="$(command -v ccache)"

# build N: a build with its own ccache log; prints "<source> <result>"
# for each compile ccache did of this module's files.
build() {
    export CCACHE_LOGFILE=$CCACHE_DIR/build$1.log
    tdkms --no-depmod build "$mv" -k "$K61" >"$T/out$1" 2>&1 || { cat "$T/out$1"; fail "build $1"; }
    grep -qF "make CC='$ccache_of gcc-12' " "$T/out$1" || { cat "$T/out$1"; fail "build $1: make was not given ccache"; }
    [ -s "$CCACHE_LOGFILE" ] || fail "build $1: ccache wrote no log in $CCACHE_DIR"
    # the first "Result:" of each ccache process that compiled a file of the module
    awk -v dir="$T/dkms/twofile/1.0/build/" '
        / Source file: / { src[$2] = $NF }
        / Result: / && ($2 in src) && !($2 in done) {
            done[$2] = 1; f = src[$2]
            if (index(f, dir) == 1) print substr(f, length(dir) + 1), $NF
        }
    ' "$CCACHE_LOGFILE" | sort >"$T/results$1"
}

build 1
grep -qx "twofile_main.c cache_miss" "$T/results1" || { cat "$T/results1"; fail "build 1: twofile_main.c not compiled through ccache"; }
grep -qx "twofile_util.c cache_miss" "$T/results1" || { cat "$T/results1"; fail "build 1: twofile_util.c not compiled through ccache"; }
[ -n "$(find "$CCACHE_DIR" -name '*R' -type f | head -n 1)" ] || fail "nothing stored in $CCACHE_DIR"

# the same version again, one file changed
tdkms --no-depmod remove "$mv" --all >/dev/null 2>&1 || fail "remove"
sed -i 's/return 42;/return 43;/' "$src/twofile_util.c"
build 2
grep -qx "twofile_util.c cache_miss" "$T/results2" || { cat "$T/results2"; fail "build 2: the changed file was not compiled"; }
grep -qE "^twofile_main.c (direct|preprocessed)_cache_hit$" "$T/results2" ||
    { cat "$T/results2"; fail "build 2: the unchanged file was compiled again"; }
misses=$(grep -E '^twofile_(main|util)\.c ' "$T/results2" | grep -c ' cache_miss$')
[ "$misses" = 1 ] || { cat "$T/results2"; fail "build 2: $misses misses for the module's objects, expected 1"; }
echo "ccache: build 2 compiled only the changed file ($(tr '\n' ';' <"$T/results2"))"
