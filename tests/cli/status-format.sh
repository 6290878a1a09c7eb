#!/bin/bash
# status on a hand-made state tree: every state, the filters, the warning
# suffixes and the order, compared line for line with the reference.
. "$(dirname "$0")/../lib.sh"
need_ref
mkroot "$K61" "$K612"

fake_added alpha 1.0; fake_built alpha 1.0 "$K61"; fake_installed alpha 1.0 "$K61"
fake_built alpha 1.0 "$K612"
fake_added alpha 2.0
fake_added beta 0.9 b1 b2; fake_built beta 0.9 "$K612" b1 b2; fake_installed beta 0.9 "$K612"
# a built module whose installed copy differs
echo changed > "$T/lib/modules/$K612/updates/dkms/b2.ko"
fake_added gamma 3; fake_built gamma 3 "$K61"
mkdir -p "$T/dkms/gamma/original_module/$K61/$ARCH"
# a module directory missing one of its modules: not built
fake_added delta 1 d1 d2; fake_built delta 1 "$K61" d1
# leftovers of an interrupted build are not state
mkdir -p "$T/dkms/alpha/2.0/$K61/.$ARCH.dkms-staging/module"
# a directory that is not a module version
mkdir -p "$T/dkms/stray/9"

filters=("" "-m alpha" "-m alpha -v 1.0" "alpha/2.0" "-k $K61" "-k $K612/$ARCH"
         "-a $ARCH" "-m beta -k $K612" "-m nosuch" "-k 5.0" "-k $K61 -k $K612")
for f in "${filters[@]}"; do
    # shellcheck disable=SC2086
    ours=$(tdkms status $f 2>/dev/null); rc1=$?
    # shellcheck disable=SC2086
    ref=$(tref status $f 2>/dev/null); rc2=$?
    if [ "$ours" != "$ref" ] || [ $rc1 != $rc2 ]; then
        echo "status $f:"; diff -u <(echo "$ref") <(echo "$ours")
        fail "status $f differs from the reference (rc ours $rc1, ref $rc2)"
    fi
done
# the lines split as the kernel hooks split them: each installed row gives
# the module, version, kernel, arch and state (the loop reads from a
# process substitution, so that it runs in this shell and counts)
n=0
while IFS=",:/ " read -r m v k a state rest; do
    case "$m/$v $k" in
        "alpha/1.0 $K61" | "beta/0.9 $K612") ;;
        *) fail "IFS split of an installed row: module/version/kernel '$m/$v $k'" ;;
    esac
    [ "$a" = "$ARCH" ] && [ "$state" = installed ] || fail "IFS split of $m/$v on $k: arch '$a', state '$state'"
    n=$((n + 1))
done < <(tdkms status | grep ': installed')
[ "$n" = 2 ] || fail "IFS split: $n installed rows, expected 2"
# JSON carries the same rows
n_text=$(tdkms status | wc -l)
n_json=$(tdkms status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n_text" = "$n_json" ] || fail "status --json has $n_json rows, text has $n_text"
echo "status matches the reference for ${#filters[@]} filters"
