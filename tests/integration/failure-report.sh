#!/bin/bash
# When a build fails, the user is told which module, version and kernel
# failed, sees the first compiler error, and gets the path of the build log,
# which exists and holds that error.  (The wording is ours; the reference
# does not show the compiler error, so it does not pass this test.)
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"

it_root "$K61" "$K612"

# check_report N V K ACTION: ACTION (build or install) fails with exit 10
# and reports it properly on stderr.
check_report() {
    local n=$1 v=$2 k=$3 action=$4 logs log first msg plain
    step 10 "$action" "$n/$v" -k "$k"
    logs=$(grep -oE "$T/[^[:space:]'\"]*\.log" "$ERR" | sort -u)
    [ -n "$logs" ] || { show_last; fail "$n/$v on $k: no log path on stderr"; }
    for log in $logs; do
        [ -f "$log" ] || { show_last; fail "$n/$v on $k: log $log named on stderr does not exist"; }
    done
    log=$(echo "$logs" | head -n1)
    first=$(grep -m1 'error:' "$log") || fail "$n/$v on $k: no compiler error in $log"
    msg=${first#*error:}
    grep -qF -- "$msg" "$ERR" ||
        { show_last; fail "$n/$v on $k: stderr lacks the first compiler error:$msg"; }
    # name, version and kernel, outside of any path into the root
    plain=$(sed "s#$T[^[:space:]:'\"]*##g" "$ERR")
    for w in "$n" "$v" "$k"; do
        grep -qwF -- "$w" <<<"$plain" ||
            { show_last; fail "$n/$v on $k: stderr does not name '$w' (outside of paths)"; }
    done
}

nv=$(put_source "$FIXTURES/broken-1.0")
step 0 add "$nv"
check_report broken 1.0 "$K61" build
check_report broken 1.0 "$K612" install

nv=$(put_source "$FIXTURES/api612-1.0")
step 0 add "$nv"
check_report api612 1.0 "$K612" build
grep -q 'class_create' "$ERR" || { show_last; fail "api612 on $K612: the error shown does not mention class_create"; }
