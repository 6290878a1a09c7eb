# Sourced by run.sh's runtime copy of the upstream run_test.sh, right after
# that script has defined its helpers and before its first check (the
# shared copy is never changed).  It makes every check count on its own:
#
# - run_with_expected_output, run_with_expected_error and
#   run_status_with_expected_output become wrappers that run the upstream
#   function unchanged (in a subshell, with set -e as upstream runs it),
#   record "@@ step <line> pass|fail" on fd 3, write the function's output
#   on fd 4 between "=== line <line>: ..." and "=== end", and return 0 so
#   that the script goes on;
# - the script's own inline checks (`exit 1` after a missing or leftover
#   file, check_no_dkms_test, and a top-level `return 1`) record
#   "check <line> fail" on fd 3 instead of ending the run;
# - set -e is turned off, so a command that fails because an earlier step
#   failed (removing a file that was not made) does not end the run.
#
# <line> is the line of run_test.sh the check is called from; run.sh maps
# lines to step numbers.

set +e

for _upstream_f in run_with_expected_output run_with_expected_error run_status_with_expected_output; do
    eval "_upstream_orig_$(declare -f "$_upstream_f")"
    eval "$_upstream_f() { _upstream_step $_upstream_f \"\$@\"; }"
done
unset _upstream_f

# The line of run_test.sh (the main script) that the current call came from.
_upstream_call_line() {
    local n=${#BASH_LINENO[@]}
    echo "${BASH_LINENO[n - 2]}"
}

_upstream_step() {
    local fn=$1 line rc=0 out
    shift
    line=$(_upstream_call_line)
    out=$(set -e; "_upstream_orig_$fn" "$@" 2>&1) || rc=$?
    local verdict=pass
    [ "$rc" = 0 ] || verdict=fail
    printf '=== line %s: %s (%s %s)\n%s\n=== end\n' "$line" "$verdict" "$fn" "$*" "$out" >&4
    printf '@@ step %s %s\n' "$line" "$verdict" >&3
    # upstream would have stopped here: drop what its failed check left
    [ "$rc" = 0 ] || rm -f test_cmd_output.log test_cmd_expected_output.log
    return 0
}

# An inline check's `exit 1` (in the main script or check_no_dkms_test)
# is recorded; any other exit is a real one.
exit() {
    local rc=${1:-$?}
    if [ "$rc" != 0 ] && [ "$BASHPID" = "$$" ]; then
        local line
        line=$(_upstream_call_line)
        printf '@@ check %s fail\n' "$line" >&3
        return 0
    fi
    builtin exit "$rc"
}

# A top-level `return 1` (bash refuses it outside a function) is an inline
# check that failed.
trap '[[ $BASH_COMMAND == return* ]] && printf "@@ check %s fail\n" "$LINENO" >&3' ERR
