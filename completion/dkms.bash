# bash completion for dkms: actions and options as `dkms --help` lists
# them (so they follow the program), registered module/version pairs from
# the dkms tree, and the kernels that have a module directory.
# Installed as /usr/share/bash-completion/completions/dkms.

# The root of the system the command line works on (--root), "" for the
# running one.
_dkms_root() {
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            --root=*) echo "${COMP_WORDS[i]#--root=}"; return ;;
            --root) echo "${COMP_WORDS[i + 1]}"; return ;;
        esac
    done
}

# The dkms tree of the command line being completed (--dkmstree), else
# the default, in the --root given.
_dkms_tree() {
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            --dkmstree=*) echo "${COMP_WORDS[i]#--dkmstree=}"; return ;;
            --dkmstree) echo "${COMP_WORDS[i + 1]}"; return ;;
        esac
    done
    echo "$(_dkms_root)/var/lib/dkms"
}

_dkms_installtree() {
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            --installtree=*) echo "${COMP_WORDS[i]#--installtree=}"; return ;;
            --installtree) echo "${COMP_WORDS[i + 1]}"; return ;;
        esac
    done
    echo "$(_dkms_root)/lib/modules"
}

# name/version of every registered module
_dkms_modules() {
    local tree d
    tree=$(_dkms_tree)
    for d in "$tree"/*/*/source; do
        [[ -e $d || -L $d ]] || continue
        d=${d%/source}
        echo "${d#"$tree"/}"
    done
}

_dkms_kernels() {
    local d
    for d in "$(_dkms_installtree)"/*/; do
        [[ -d $d ]] && basename "$d"
    done
}

_dkms() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local help actions opts i have_action=
    help=$("${COMP_WORDS[0]}" --help 2>/dev/null) || help=$(dkms --help 2>/dev/null)
    actions=$(sed -n '/\[action\] *=/,/}/p' <<<"$help" | sed 's/.*{//; s/}.*//' | tr -c 'a-z_' '\n' |
              grep -v '^$')
    opts=$(grep -o -- '--[a-z_-]*\|^ *-[a-zA-Z]\b' <<<"$help" | tr -d ' ' | sort -u)
    COMPREPLY=()
    case $prev in
        -k|--kernelver|--templatekernel)
            mapfile -t COMPREPLY < <(compgen -W "$(_dkms_kernels)" -- "$cur"); return ;;
        -m|--module)
            mapfile -t COMPREPLY < <(compgen -W "$(_dkms_modules)" -- "$cur"); return ;;
        -c|--config|--archive|--dkmstree|--sourcetree|--installtree|--kernelsourcedir)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        --root)
            mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    esac
    for ((i = 1; i < COMP_CWORD; i++)); do
        grep -qx -- "${COMP_WORDS[i]}" <<<"$actions" && have_action=1
    done
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    elif [[ -z $have_action ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$actions" -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -W "$(_dkms_modules)" -- "$cur")
    fi
}
complete -F _dkms dkms
