#!/bin/bash
# bash completion: actions and options come from `dkms --help` (so they
# follow the option table), module/version pairs from the dkms tree given
# with --dkmstree, kernels from the install tree.
. "$(dirname "$0")/../lib.sh"
mkroot 6.1.0-90-dkmstest 6.12.0-90-dkmstest
fake_added alpha 1.0
fake_added beta 2.1
. "$SRCDIR/completion/dkms.bash"
# complete WORDS...: what completing the last word offers, sorted
complete_words() {
    COMP_WORDS=("$DKMS" --dkmstree "$T/dkms" --installtree "$T/lib/modules" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _dkms
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
got=$(complete_words "")
for a in add remove build unbuild install uninstall match autoinstall mktarball ldtarball status generate_mok; do
    [[ " $got " == *" $a "* ]] || fail "action $a not offered: $got"
done
[[ " $got " != *" dkms "* && " $got " != *" Usage "* ]] || fail "not an action offered: $got"
[ "$(complete_words inst)" = "install " ] || fail "inst: $(complete_words inst)"
got=$(complete_words install --kernel)
[ "$got" = "--kernelsourcedir --kernelver " ] || fail "--kernel…: $got"
got=$(complete_words install --no-)
[ "$got" = "--no-depmod --no-initrd " ] || fail "--no-…: $got"
[ "$(complete_words install "")" = "alpha/1.0 beta/2.1 " ] || fail "modules: $(complete_words install "")"
[ "$(complete_words install -m b)" = "beta/2.1 " ] || fail "-m b: $(complete_words install -m b)"
[ "$(complete_words install alpha/1.0 -k 6.1.)" = "6.1.0-90-dkmstest " ] || fail "-k: $(complete_words install alpha/1.0 -k 6.1.)"
# --root: the trees of that root
mkdir -p "$T/img/var/lib/dkms/gamma/3.0" "$T/img/lib/modules/5.10.0-90-dkmstest"
ln -s /usr/src/gamma-3.0 "$T/img/var/lib/dkms/gamma/3.0/source"
root_words() {
    COMP_WORDS=("$DKMS" --root "$T/img" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _dkms
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
[ "$(root_words install "")" = "gamma/3.0 " ] || fail "--root modules: $(root_words install "")"
[ "$(root_words install gamma/3.0 -k "")" = "5.10.0-90-dkmstest " ] || fail "--root -k: $(root_words install gamma/3.0 -k "")"
[[ " $(complete_words --ro) " == *" --root "* ]] || fail "--root not offered: $(complete_words --ro)"
echo "bash completion offers actions, options, modules and kernels"
