#!/bin/bash
# The test library itself: `fail` fails the whole test wherever it is
# called (top level, a function, a pipeline's `while` loop, `$( )`, `( )`,
# `<( )`, a background job), nothing after it runs, the cleanups still run,
# and pipelines fail when any of their commands fails.  Each case is a small
# script that sources tests/lib.sh; its exit status and output are checked.
# Also: the fake_* helpers make trees that dkms reads as they claim.
. "$(dirname "$0")/../lib.sh"
mkroot
LIB=$SRCDIR/tests/lib.sh

# case_rc WANT NAME BODY [LINE]: a script sourcing lib.sh then running BODY
# must exit WANT and print LINE on stderr (by default "FAIL: NAME" when WANT
# is 1, nothing otherwise), never a FAIL line unless it exits 1, and never
# "REACHED" (BODY echoes it after the point where it must have stopped).
# The script and what it printed stay in $T/NAME.{sh,out,err}.
n_cases=0
case_rc() {
    local want=$1 name=$2 body=$3 line rc=0
    line=${4-$([ "$want" = 1 ] && echo "FAIL: $name")}
    printf '. %q\n%s\n' "$LIB" "$body" > "$T/$name.sh"
    (cd "$T" && bash "$T/$name.sh") > "$T/$name.out" 2> "$T/$name.err" || rc=$?
    [ "$rc" = "$want" ] || { cat "$T/$name.sh" "$T/$name.err" >&2; fail "$name: exited $rc, expected $want"; }
    if [ -n "$line" ]; then
        grep -qxF -- "$line" "$T/$name.err" || { cat "$T/$name.err" >&2; fail "$name: no '$line' on stderr"; }
    fi
    if [ "$want" != 1 ] && grep -q '^FAIL:' "$T/$name.err"; then
        cat "$T/$name.err" >&2; fail "$name: says FAIL but exited $rc"
    fi
    ! grep -q REACHED "$T/$name.out" || fail "$name: went on after it should have stopped"
    n_cases=$((n_cases + 1))
}

# --- fail, from everywhere --------------------------------------------------
case_rc 1 top 'fail top; echo REACHED'
case_rc 1 function 'f() { fail function; echo REACHED; }; f; echo REACHED'
case_rc 1 pipeline 'printf "a\nb\n" | while read -r x; do [ "$x" = a ] || fail pipeline; done; echo REACHED'
case_rc 1 cmdsubst 'x=$(fail cmdsubst; echo no); echo REACHED'
case_rc 1 subshell '( fail subshell ); echo REACHED'
case_rc 1 nested 'x=$(echo a | ( while read -r l; do fail nested; done )); echo REACHED'
case_rc 1 procsubst 'while read -r l; do :; done < <(echo a; fail procsubst); echo REACHED'
case_rc 1 background '( sleep 0.2; fail background ) & wait; echo REACHED'
# the helpers built on fail stop the test in a subshell too
case_rc 1 helper 'x=$(expect_rc 0 false) || :; echo REACHED' "FAIL: 'false' exited 1, expected 0"

# --- and the tests that must not fail ----------------------------------------
case_rc 0 pass 'printf "a\na\n" | while read -r x; do [ "$x" = a ] || fail pass; done
y=$(echo ok) && [ "$y" = ok ] || fail pass
( : ) || fail pass'
case_rc 77 skip 'skip "not here"; echo REACHED'
case_rc 5 exit-status 'exit 5'

# --- pipefail: a pipeline whose first command fails is false ------------------
case_rc 1 pipefail 'false | cat || fail pipefail; echo REACHED'
case_rc 0 pipeline-true 'printf "x\n" | grep -q x || fail pipeline-true'

# --- cleanups -----------------------------------------------------------------
# mkroot's directory is removed whether the test passes or fails from a
# subshell, and the exit status stays what it was; at_exit runs its
# commands, the last registered first.
case_rc 1 cleanup-fail 'mkroot; echo "$T" > root; echo x | while read -r l; do fail cleanup-fail; done'
[ -s "$T/root" ] && [ ! -e "$(cat "$T/root")" ] || fail "mkroot's directory is left after a failed test"
case_rc 0 cleanup-pass 'mkroot; echo "$T" > root2; touch "$T/file"'
[ -s "$T/root2" ] && [ ! -e "$(cat "$T/root2")" ] || fail "mkroot's directory is left after a passed test"
case_rc 3 at-exit 'at_exit "echo one >> order"; mkroot; at_exit "echo two >> order"; exit 3'
# the last registered runs first
[ "$(cat "$T/order")" = "two
one" ] || fail "at_exit commands ran as: $(cat "$T/order")"
# a TERM from outside (meson's timeout) ends the test, with its cleanups
case_rc 1 at-exit-term 'at_exit "echo ran > term"; kill -TERM $$; echo REACHED' ""
[ "$(cat "$T/term")" = ran ] || fail "at_exit commands did not run after a TERM"

# --- fake modules ---------------------------------------------------------------
# what fake_added, fake_built and fake_installed make is what dkms reads as
# added, built and installed
K=6.1.0-56-amd64
fake_added a 1.0
fake_added b 2 b1 b2; fake_built b 2 "$K" b1 b2
fake_added c 3; fake_built c 3 "$K/$ARCH"; fake_installed c 3 "$K/$ARCH"
mkdir -p "$T/lib/modules/$K"
[ "$(tdkms status)" = "a/1.0: added
b/2, $K, $ARCH: built
c/3, $K, $ARCH: installed" ] || fail "dkms status of the fake modules: $(tdkms status)"
[ "$(cat "$T/lib/modules/$K/updates/dkms/c.ko")" = "c.ko of c/3 for $K" ] || fail "fake_installed: c.ko"
grep -qx "obj-m := b1.o b2.o" "$T/src/b-2/Makefile" || fail "fake_source: Makefile of b"
case_rc 1 fake-not-built 'mkroot; fake_added m 1; fake_installed m 1 6.1/x' "FAIL: fake_installed: m/1 is not built for 6.1/x"

echo "lib.sh: $n_cases cases behave"
