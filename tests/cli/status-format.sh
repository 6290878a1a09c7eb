#!/bin/bash
# status on a hand-made state tree: every state, the filters, the warning
# suffixes and the order, compared line for line with the reference.
. "$(dirname "$0")/../lib.sh"
need_ref
mkroot 6.1.0-56-amd64 6.12.117+deb12-amd64

# mkmod NAME VERSION [DEST...]: a source tree and its registration
mkmod() {
    local n=$1 v=$2; shift 2
    mkdir -p "$T/src/$n-$v"
    {
        echo "PACKAGE_NAME=$n"; echo "PACKAGE_VERSION=$v"
        local i=0
        for m in "${@:-$n}"; do
            echo "BUILT_MODULE_NAME[$i]=$m"; echo "DEST_MODULE_LOCATION[$i]=/updates"; i=$((i+1))
        done
    } > "$T/src/$n-$v/dkms.conf"
    echo "obj-m := x.o" > "$T/src/$n-$v/Makefile"
    mkdir -p "$T/dkms/$n/$v/build"
    ln -s "$T/src/$n-$v" "$T/dkms/$n/$v/source"
}
# built NAME VERSION KERNEL [MODULE...]
built() {
    local n=$1 v=$2 k=$3; shift 3
    mkdir -p "$T/dkms/$n/$v/$k/x86_64/module" "$T/dkms/$n/$v/$k/x86_64/log"
    for m in "${@:-$n}"; do echo "$n $v $k $m" > "$T/dkms/$n/$v/$k/x86_64/module/$m.ko"; done
}
installed() {
    local n=$1 v=$2 k=$3
    ln -sfn "$v/$k/x86_64" "$T/dkms/$n/kernel-$k-x86_64"
    mkdir -p "$T/lib/modules/$k/updates/dkms"
    cp "$T/dkms/$n/$v/$k/x86_64/module/"*.ko "$T/lib/modules/$k/updates/dkms/"
}

mkmod alpha 1.0; built alpha 1.0 6.1.0-56-amd64; installed alpha 1.0 6.1.0-56-amd64
built alpha 1.0 6.12.117+deb12-amd64
mkmod alpha 2.0
mkmod beta 0.9 b1 b2; built beta 0.9 6.12.117+deb12-amd64 b1 b2; installed beta 0.9 6.12.117+deb12-amd64
# a built module whose installed copy differs
echo changed > "$T/lib/modules/6.12.117+deb12-amd64/updates/dkms/b2.ko"
mkmod gamma 3; built gamma 3 6.1.0-56-amd64 gamma
mkdir -p "$T/dkms/gamma/original_module/6.1.0-56-amd64/x86_64"
# a module directory missing one of its modules: not built
mkmod delta 1 d1 d2; built delta 1 6.1.0-56-amd64 d1
# leftovers of an interrupted build are not state
mkdir -p "$T/dkms/alpha/2.0/6.1.0-56-amd64/.x86_64.dkms-staging/module"
# a directory that is not a module version
mkdir -p "$T/dkms/stray/9"

filters=("" "-m alpha" "-m alpha -v 1.0" "alpha/2.0" "-k 6.1.0-56-amd64" "-k 6.12.117+deb12-amd64/x86_64"
         "-a x86_64" "-m beta -k 6.12.117+deb12-amd64" "-m nosuch" "-k 5.0" "-k 6.1.0-56-amd64 -k 6.12.117+deb12-amd64")
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
        "alpha/1.0 6.1.0-56-amd64" | "beta/0.9 6.12.117+deb12-amd64") ;;
        *) fail "IFS split of an installed row: module/version/kernel '$m/$v $k'" ;;
    esac
    [ "$a" = x86_64 ] && [ "$state" = installed ] || fail "IFS split of $m/$v on $k: arch '$a', state '$state'"
    n=$((n + 1))
done < <(tdkms status | grep ': installed')
[ "$n" = 2 ] || fail "IFS split: $n installed rows, expected 2"
# JSON carries the same rows
n_text=$(tdkms status | wc -l)
n_json=$(tdkms status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n_text" = "$n_json" ] || fail "status --json has $n_json rows, text has $n_text"
echo "status matches the reference for ${#filters[@]} filters"
