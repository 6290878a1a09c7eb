# Helpers for the integration tests (sourced, not run).  They build on
# tests/lib.sh: mkroot, tdkms, tref, put_source, expect_rc.
#
# A test runs either the program under test (DKMS, via tdkms) or, with
# DKMS=$REF_DKMS, the reference, which is how a test is checked against the
# behaviour it claims to describe.  Differential tests run both.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

FIXTURES=$SRCDIR/tests/fixtures

# Module signing is not what these tests are about.  The reference takes
# sign_file from the environment, and without a signing tool it neither
# creates a key nor signs; a key would otherwise be written outside the
# throwaway root.  Keys, if anything still wants one, stay in a dead path.
export sign_file=/nonexistent/sign-file
export mok_signing_key=/nonexistent/mok.key mok_certificate=/nonexistent/mok.pub

is_ref() { [ "$(readlink -f "$DKMS")" = "$(readlink -f "$REF_DKMS")" ]; }

# run_dkms ARGS...: the program under test on $T.  The reference is always
# given --no-depmod (it would otherwise run depmod on the machine's own
# /lib/modules); ours gets it too, so both do the same work.
run_dkms() {
    if is_ref; then tref "$@"; else tdkms --no-depmod "$@"; fi
}

# need_dkms: skip unless the program under test exists.
need_dkms() { [ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"; }

# mirror_kernels ROOT K...: give each kernel directory of the throwaway root
# the module index of the machine's kernel of that name (modules.dep tells
# which compression the kernel's own modules use: .ko, .ko.xz, ...).
mirror_kernels() {
    local root=$1 k f; shift
    for k in "$@"; do
        [ -d "$root/lib/modules/$k" ] || continue
        for f in modules.dep modules.builtin modules.order; do
            [ -e "/lib/modules/$k/$f" ] && cp "/lib/modules/$k/$f" "$root/lib/modules/$k/$f"
        done
    done
    return 0
}

# it_root K...: mkroot with the kernels' module indexes mirrored.
it_root() {
    mkroot "$@"
    mirror_kernels "$T" "$@"
}

# ko_suffix K: the file suffix of modules built for kernel K (".ko", or
# ".ko.xz" etc. when that kernel's own modules are compressed).
ko_suffix() {
    local dep=/lib/modules/$1/modules.dep
    if grep -q '\.zst:' "$dep" 2>/dev/null; then echo .ko.zst
    elif grep -q '\.xz:' "$dep" 2>/dev/null; then echo .ko.xz
    elif grep -q '\.gz:' "$dep" 2>/dev/null; then echo .ko.gz
    else echo .ko
    fi
}

# ---- assertions ---------------------------------------------------------

# Run a command, keeping its output in $OUT and $ERR (files) and its exit
# code in $RC, so a failing assertion can show what the program said.
OUT=${TMPDIR:-/tmp}/it-out.$$
ERR=${TMPDIR:-/tmp}/it-err.$$
RC=0
capture() {
    RC=0
    "$@" >"$OUT" 2>"$ERR" || RC=$?
}
show_last() {
    echo "--- stdout:" >&2; sed 's/^/  /' "$OUT" >&2
    echo "--- stderr:" >&2; sed 's/^/  /' "$ERR" >&2
}
cleanup_capture() { rm -f "$OUT" "$ERR" "$OUT.ref" "$OUT.ours"; }
at_exit cleanup_capture

# step WANT ARGS...: run the program under test with ARGS on $T and require
# exit code WANT.
step() {
    local want=$1; shift
    capture run_dkms "$@"
    if [ "$RC" != "$want" ]; then
        show_last
        fail "dkms $* exited $RC, expected $want"
    fi
}

assert_eq() {  # WHAT GOT WANT
    [ "$2" = "$3" ] && return 0
    fail "$(printf '%s\n--- got:\n%s\n--- want:\n%s' "$1" "$2" "$3")"
}

# assert_status WANT ARGS...: `dkms status ARGS` prints exactly WANT.
assert_status() {
    local want=$1; shift
    capture run_dkms status "$@"
    [ "$RC" = 0 ] || { show_last; fail "dkms status $* exited $RC"; }
    assert_eq "dkms status $*" "$(cat "$OUT")" "$want"
}

assert_file() { [ -f "$1" ] || fail "missing file $1"; }
assert_dir() { [ -d "$1" ] || fail "missing directory $1"; }
assert_gone() { [ ! -e "$1" ] && [ ! -L "$1" ] || fail "should not exist: $1"; }
assert_link() {  # PATH TARGET
    [ -L "$1" ] || fail "not a symlink: $1"
    assert_eq "target of $1" "$(readlink "$1")" "$2"
}

# assert_vermagic FILE K: the module's vermagic names kernel K.
assert_vermagic() {
    local vm
    vm=$(modinfo -F vermagic "$1" 2>/dev/null) || fail "modinfo cannot read $1"
    assert_eq "vermagic kernel of $1" "${vm%% *}" "$2"
}

# tree_list ROOT [SUBDIR]: every entry under ROOT/SUBDIR as
# "path type link-target", sorted, with ROOT in link targets replaced by
# @ROOT@.  Inside a module's build/ directory only make.log is listed: the
# rest is kbuild's intermediate output.
tree_list() {
    local root=$1 sub=${2:-}
    (cd "$root" && find ./$sub -mindepth 1 -printf '%P %y %l\n' 2>/dev/null) |
        sed "s#^#${sub:+$sub/}#; s#$root#@ROOT@#g" |
        awk '{ n = split($1, p, "/");
               for (i = 1; i < n; i++) if (p[i] == "build" && i >= 3 && !(i == n - 1 && p[n] == "make.log")) next;
               # ours only, documented: failed builds remembered (dkms check),
               # what bash made of a dkms.conf (status), pending commit work,
               # modules status found equal to their installed copies
               if ($1 ~ /^dkms\/[^\/]+\/[^\/]+\/(failures|\.conf-cache)(\/|$)/ || $1 ~ /^dkms\/\.pending(\/|$)/) next;
               if ($1 == "dkms/.status-cache") next;
               print }' |
        LC_ALL=C sort
}

# installed_list ROOT: the module files under ROOT/lib/modules.
installed_list() {
    (cd "$1/lib/modules" && find . -type f \( -name '*.ko' -o -name '*.ko.*' \) -printf '%P\n') |
        LC_ALL=C sort
}

# assert_no_trace N: nothing of module N is left in the dkms tree or under
# the kernels' module directories (only the mirrored indexes remain).
assert_no_trace() {
    local n=$1 left
    assert_gone "$T/dkms/$n"
    left=$(cd "$T/lib/modules" && find . -mindepth 2 \! -name 'modules.*' -printf '%P\n')
    assert_eq "files left under lib/modules after removing $n" "$left" ""
}

# ---- the lifecycle of a module that builds on both kernels --------------

# assert_built N V K DEST...: the state tree holds N/V built for K, with one
# file per DEST module name, a make.log, and vermagic naming K.
assert_built() {
    local n=$1 v=$2 k=$3 d sfx; shift 3
    sfx=$(ko_suffix "$k")
    local base=$T/dkms/$n/$v/$k/$ARCH
    assert_file "$base/log/make.log"
    for d in "$@"; do
        assert_file "$base/module/$d$sfx"
        assert_vermagic "$base/module/$d$sfx" "$k"
    done
    assert_eq "modules kept for $n/$v on $k" \
        "$(cd "$base/module" && ls | LC_ALL=C sort)" \
        "$(for d in "$@"; do echo "$d$sfx"; done | LC_ALL=C sort)"
}

# assert_installed N V K DEST...: installed for K (kernel link and files).
assert_installed() {
    local n=$1 v=$2 k=$3 d sfx; shift 3
    sfx=$(ko_suffix "$k")
    assert_link "$T/dkms/$n/kernel-$k-$ARCH" "$v/$k/$ARCH"
    for d in "$@"; do
        assert_file "$T/lib/modules/$k/updates/dkms/$d$sfx"
        assert_vermagic "$T/lib/modules/$k/updates/dkms/$d$sfx" "$k"
    done
}

# assert_not_installed N K DEST...
assert_not_installed() {
    local n=$1 k=$2 d; shift 2
    assert_gone "$T/dkms/$n/kernel-$k-$ARCH"
    for d in "$@"; do
        assert_gone "$T/lib/modules/$k/updates/dkms/$d.ko"
        assert_gone "$T/lib/modules/$k/updates/dkms/$d$(ko_suffix "$k")"
    done
}

# lifecycle FIXTURE FULL DEST...: add, build, install, status, uninstall,
# unbuild and remove one fixture on $K61 (A) and $K612 (B), in a fresh root,
# mixing the `-m N -v V` and `N/V` forms.  With FULL=full it also goes
# through unbuild of an installed module, remove -k that leaves another
# kernel, and add from a source directory path (one more build).
lifecycle() {
    local fix=$1 full=$2 nv n v A=$K61 B=$K612; shift 2
    it_root "$A" "$B"
    nv=$(put_source "$FIXTURES/$fix")
    n=${nv%/*} v=${nv#*/}

    # add
    step 0 add -m "$n" -v "$v"
    assert_link "$T/dkms/$n/$v/source" "$T/src/$n-$v"
    assert_status "$n/$v: added"
    assert_status "$n/$v: added" -m "$n"
    step 3 add "$n/$v"
    step 3 add -m "$n" -v "$v"

    # build for A, then again (nothing to do)
    step 0 build -m "$n" -v "$v" -k "$A"
    assert_built "$n" "$v" "$A" "$@"
    assert_not_installed "$n" "$A" "$@"
    assert_status "$n/$v, $A, $ARCH: built"
    step 0 build "$n/$v" -k "$A"
    assert_built "$n" "$v" "$A" "$@"

    # install for A (already built), then for B with the kernel/arch form
    # (builds first)
    step 0 install "$n/$v" -k "$A"
    assert_installed "$n" "$v" "$A" "$@"
    assert_status "$n/$v, $A, $ARCH: installed"
    step 0 install -m "$n" -v "$v" -k "$B/$ARCH"
    assert_built "$n" "$v" "$B" "$@"
    assert_installed "$n" "$v" "$B" "$@"
    assert_status "$n/$v, $A, $ARCH: installed
$n/$v, $B, $ARCH: installed"
    assert_status "$n/$v, $B, $ARCH: installed" -m "$n" -v "$v" -k "$B"
    assert_status "$n/$v, $A, $ARCH: installed" "$n/$v" -k "$A"
    step 0 install "$n/$v" -k "$B"
    assert_installed "$n" "$v" "$B" "$@"
    # fixture-specific checks of what was built and installed
    ${LIFECYCLE_CHECK:-:} "$n" "$v"

    # uninstall B: back to built
    step 0 uninstall -m "$n" -v "$v" -k "$B"
    assert_not_installed "$n" "$B" "$@"
    assert_built "$n" "$v" "$B" "$@"
    assert_installed "$n" "$v" "$A" "$@"
    assert_status "$n/$v, $A, $ARCH: installed
$n/$v, $B, $ARCH: built"
    step 0 uninstall "$n/$v" -k "$B"

    if [ "$full" = full ]; then
        # unbuild of an installed module uninstalls it too
        step 0 unbuild "$n/$v" -k "$A"
        assert_not_installed "$n" "$A" "$@"
        assert_gone "$T/dkms/$n/$v/$A"
        assert_status "$n/$v, $B, $ARCH: built"
        step 0 unbuild -m "$n" -v "$v" -k "$A"
        # install A again (builds), then remove only B
        step 0 install "$n/$v" -k "$A"
        assert_installed "$n" "$v" "$A" "$@"
        step 0 remove -m "$n" -v "$v" -k "$B"
        assert_gone "$T/dkms/$n/$v/$B"
        assert_installed "$n" "$v" "$A" "$@"
        assert_status "$n/$v, $A, $ARCH: installed"
    fi

    # remove everything
    step 0 remove "$n/$v" --all
    assert_status ""
    assert_no_trace "$n"
    assert_dir "$T/src/$n-$v"
    step 3 remove "$n/$v" --all
    step 3 remove -m "$n" -v "$v" -k "$A"

    if [ "$full" = full ]; then
        # add from a source directory: copied into the source tree
        rm -rf "${T:?}/src/$n-$v"
        step 0 add "$FIXTURES/$fix"
        assert_file "$T/src/$n-$v/dkms.conf"
        assert_link "$T/dkms/$n/$v/source" "$T/src/$n-$v"
        assert_status "$n/$v: added"
        step 3 add "$FIXTURES/$fix"
        # remove --all of a module built for no kernel
        step 0 remove -m "$n" -v "$v" --all
        assert_no_trace "$n"
        # ... and add from the path of its dkms.conf
        step 0 add "$FIXTURES/$fix/dkms.conf"
        assert_status "$n/$v: added"
        step 0 remove "$n/$v" --all
        assert_no_trace "$n"
    fi
}

# ---- a driver that builds on no kernel -------------------------------------

# never_builds FIXTURE RC: in a fresh root, the fixture's build on $K61 and
# its install on $K612 both exit RC and keep nothing (no module directory,
# no kernel link, nothing under lib/modules); it stays "added", and
# remove --all clears it.
never_builds() {
    local fix=$1 rc=$2 nv n v A=$K61 B=$K612
    it_root "$A" "$B"
    nv=$(put_source "$FIXTURES/$fix")
    n=${nv%/*} v=${nv#*/}
    step 0 add "$nv"
    step "$rc" build "$nv" -k "$A"
    assert_gone "$T/dkms/$n/$v/$A"
    assert_status "$nv: added"
    step "$rc" install -m "$n" -v "$v" -k "$B"
    assert_gone "$T/dkms/$n/$v/$B"
    assert_gone "$T/dkms/$n/kernel-$B-$ARCH"
    assert_gone "$T/lib/modules/$B/updates"
    assert_status "$nv: added"
    step 0 remove "$nv" --all
    assert_status ""
    assert_no_trace "$n"
}

# ---- differential tests: the reference and ours on the same input --------

# diff_roots K...: two throwaway roots with the same kernels, $TA for the
# reference and $TB for ours.  Disagreements are counted in DIFFS and all
# reported; diff_end fails the test if there was any.
diff_roots() {
    local r k
    need_ref
    TA=$(mktemp -d "${TMPDIR:-/tmp}/dkms-ref.XXXXXX")
    TB=$(mktemp -d "${TMPDIR:-/tmp}/dkms-ours.XXXXXX")
    at_exit "rm -rf $(printf %q "$TA") $(printf %q "$TB")"
    for r in "$TA" "$TB"; do
        mkdir -p "$r/dkms" "$r/src" "$r/lib/modules"
        for k in "$@"; do mkdir -p "$r/lib/modules/$k"; done
        mirror_kernels "$r" "$@"
    done
    DIFFS=0
}

disagree() {
    DIFFS=$((DIFFS + 1))
    echo "DISAGREE: $*" >&2
}

# dput DIR: the same source in both source trees.
dput() { T=$TA put_source "$1" >/dev/null; T=$TB put_source "$1" >/dev/null; }

# d ARGS...: run `dkms ARGS` in both roots; the exit codes must agree.
# The outputs stay in $OUT.ref and $OUT.ours.
d() {
    local ra=0 rb=0
    T=$TA tref "$@" >"$OUT.ref" 2>&1 || ra=$?
    T=$TB tdkms --no-depmod "$@" >"$OUT.ours" 2>&1 || rb=$?
    echo "dkms $*: reference $ra, ours $rb"
    if [ "$ra" != "$rb" ]; then
        disagree "exit code of 'dkms $*': reference $ra, ours $rb"
        echo "  ours said:" >&2; tail -n 8 "$OUT.ours" | sed 's/^/    /' >&2
    fi
}

# dstatus ARGS...: `dkms status ARGS` prints the same in both (each root's
# path replaced by @ROOT@) and exits the same.
dstatus() {
    local ra=0 rb=0 sa sb
    sa=$(T=$TA tref status "$@" 2>/dev/null) || ra=$?
    sb=$(T=$TB tdkms --no-depmod status "$@" 2>/dev/null) || rb=$?
    # DSTATUS_OURS_FILTER: a sed script for a documented difference
    [ -z "${DSTATUS_OURS_FILTER:-}" ] || sb=$(sed "$DSTATUS_OURS_FILTER" <<<"$sb")
    sa=${sa//$TA/@ROOT@} sb=${sb//$TB/@ROOT@}
    echo "dkms status $*:"; [ -z "$sa" ] || echo "$sa" | sed 's/^/    /'
    [ "$ra" = "$rb" ] || disagree "exit code of 'dkms status $*': reference $ra, ours $rb"
    if [ "$sa" != "$sb" ]; then
        disagree "output of 'dkms status $*'"
        diff <(echo "$sa") <(echo "$sb") | sed 's/^/    /' >&2
    fi
}

# dtrees WHEN: the two roots hold the same entries (dkms tree, sources,
# installed modules), and the same module files are installed.
dtrees() {
    local la lb
    la=$(tree_list "$TA") lb=$(tree_list "$TB")
    la=${la//$TA/@ROOT@} lb=${lb//$TB/@ROOT@}
    if [ "$la" != "$lb" ]; then
        disagree "trees differ $1 (< reference, > ours)"
        diff <(echo "$la") <(echo "$lb") | grep '^[<>]' | sed 's/^/    /' >&2
    fi
    la=$(installed_list "$TA") lb=$(installed_list "$TB")
    [ "$la" = "$lb" ] || disagree "installed modules differ $1: reference [$la], ours [$lb]"
}

diff_end() {
    [ "$DIFFS" = 0 ] || fail "$DIFFS disagreement(s) with the reference"
    echo "no disagreement with the reference"
}
