#!/bin/bash
# The upstream dkms v3.0.10 test suite (run_test.sh and test/, unmodified,
# read from the shared copy) run against our dkms and against the
# reference, each in its own private mount namespace, compared step by step.
#
#   tests/upstream/run.sh [--impl both|ours|ref] [--kernel K] [--out DIR]
#   tests/upstream/run.sh --table DIR     the table again from DIR's logs
#
# run_test.sh works on the machine's own trees: /var/lib/dkms, /usr/src,
# /lib/modules/<k>/updates, /etc/dkms/framework.conf.d, /tmp/dkms_test_*,
# and runs `dkms` from its own directory.  Here each implementation runs
# with overlays on /etc, /var/lib, /usr/src and /usr/lib/modules and a fresh
# /tmp, all on a tmpfs that goes away with the namespace, and the rest of /
# read-only: the machine is not touched.  /etc/dkms/framework.conf is the
# implementation's own (both are comments only).
#
# run_test.sh stops at its first failed check.  The runner runs a copy of
# it (in the namespace's /tmp) that sources steps.sh once its helpers are
# defined, so that each check passes or fails on its own and the run goes
# on.  A step is one call of run_with_expected_output,
# run_with_expected_error or run_status_with_expected_output, numbered
# 1, 2, ... in the order of run_test.sh; an inline check (a test that a
# file was made or removed, and check_no_dkms_test) is a row of its own,
# named L<line>.  A step that did not run (its `if` was false) shows "-".
#
# The kernel: --kernel, else $KERNEL_VER (which run_test.sh honours), else
# the first kernel under /lib/modules with headers whose modules are not
# compressed (on Debian run_test.sh expects plain .ko files).
#
# Prints a table (step, reference, ours, what) and the totals.  Exits 1 when
# ours fails a step that the reference passes, unless EXCEPTIONS.md lists
# it; 77 when it cannot run (not root, no namespace or overlay, no
# reference, no kernel headers).  Logs: --out DIR (default: a temporary
# directory, removed when everything passed): <impl>.log, the whole run of
# each implementation with each step's output and verdict.
. "$(dirname "$0")/../lib.sh"

UPSTREAM=${UPSTREAM_SUITE:-/work/shared/upstream-dkms-v3.0.10}
HERE=$SRCDIR/tests/upstream
MARK="echo 'Preparing a clean test environment'"

# ------------------------------------------------------- in the namespace --
# overlay DIR SCRATCH: DIR shows its contents, changes go to SCRATCH.
overlay() {
    local n=${1//\//_}
    mkdir -p "$2/ov/$n/upper" "$2/ov/$n/work"
    mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/ov/$n/upper,workdir=$2/ov/$n/work" "$1"
}

# The implementation, its framework.conf and the suite's copy in
# SCRATCH/tmp/upstream (the namespace's /tmp/upstream).
stage_suite() { # impl scratch
    local w=$2/tmp/upstream
    mkdir -p "$w"
    cp -r "$UPSTREAM/run_test.sh" "$UPSTREAM/test" "$w/" && chmod -R u+w "$w" || return 1
    [ "$(grep -cxF "$MARK" "$w/run_test.sh")" = 1 ] || { echo "run_test.sh: no line: $MARK"; return 1; }
    # steps.sh is sourced on the line of the first check's heading, so
    # that every line keeps its number
    sed -i "s|^$MARK\$|. /tmp/upstream/steps.sh; $MARK|" "$w/run_test.sh"
    cp "$HERE/steps.sh" "$w/"
    if [ "$1" = ours ]; then
        cp "$DKMS" "$w/dkms" && cp "$SRCDIR/hooks/framework.conf" "$2/framework.conf"
    else
        cp "$REF_DKMS" "$w/dkms" && cp "$(dirname "$REF_DKMS")/../../etc/dkms/framework.conf" "$2/framework.conf"
    fi
}

in_namespace() { # impl kernel scratch
    local impl=$1 k=$2 S=$3 d
    # steps.sh's verdicts and step outputs go with the rest to stdout, a
    # pipe: a file open for writing would keep / from becoming read-only
    exec 3>&1 4>&1
    mount -t tmpfs -o size=2g,mode=755 dkms-upstream "$S" || exit 77
    stage_suite "$impl" "$S" || exit 2
    for d in /etc /var/lib /usr/src /usr/lib/modules; do
        overlay "$d" "$S" || { echo "cannot put an overlay on $d"; exit 77; }
    done
    # as the package leaves them
    rm -rf /etc/dkms /var/lib/dkms
    mkdir -p /etc/dkms/framework.conf.d /var/lib/dkms
    cp "$S/framework.conf" /etc/dkms/framework.conf
    mount --bind "$S/tmp" /tmp || exit 77
    mount -o remount,bind,ro / || exit 77
    cd /tmp/upstream || exit 2
    echo "== $impl, kernel $k"
    KERNEL_VER=$k TMPDIR=/tmp bash ./run_test.sh
    echo "@@ done $?"
    exit 0
}

if [ "${1:-}" = --in-ns ]; then
    shift
    in_namespace "$@"
fi

# ------------------------------------------------------------------ outside --
impls=(ref ours)
out=
kernel=
table_only=0
while [ $# -gt 0 ]; do
    case $1 in
    --table) out=${2:-}; table_only=1; shift ;;
    --impl) case ${2:-} in both) impls=(ref ours) ;; ours | ref) impls=("$2") ;; *) fail "--impl ${2:-}" ;; esac; shift ;;
    --kernel) kernel=${2:-}; shift ;;
    --out) out=${2:-}; shift ;;
    *) fail "usage: $0 [--impl both|ours|ref] [--kernel K] [--out DIR] | --table DIR" ;;
    esac
    shift
done

# Skips unless the suite can run here; sets kernel and out.
prepare_run() {
    [ "$(id -u)" = 0 ] || skip "run_test.sh needs root"
    [ -r "$UPSTREAM/run_test.sh" ] || skip "no upstream suite at $UPSTREAM"
    need_ref
    [ -x "$DKMS" ] || fail "our dkms is not at $DKMS"
    unshare --mount --propagation private true 2>/dev/null || skip "cannot make a private mount namespace"
    # the kernel whose headers the suite builds against
    local b k
    kernel=${kernel:-${KERNEL_VER:-}}
    if [ -z "$kernel" ]; then
        for b in /lib/modules/*/build; do
            k=${b%/build}
            k=${k##*/}
            if have_headers "$k" && uncompressed "$k"; then kernel=$k; break; fi
        done
    fi
    [ -n "$kernel" ] || skip "no kernel with headers and uncompressed modules under /lib/modules"
    have_headers "$kernel" || skip "no headers for $kernel"
    [ -n "$out" ] || { out=$(mktemp -d "${TMPDIR:-/tmp}/dkms-upstream.XXXXXX"); keep=0; }
    mkdir -p "$out"
}
uncompressed() { ! grep -qE '^CONFIG_MODULE_COMPRESS_(GZIP|XZ|ZSTD)=y' "/lib/modules/$1/build/.config"; }

keep=1
if [ "$table_only" = 1 ]; then
    [ -f "$out/ref.log" ] || impls=(ours)
    [ -f "$out/ours.log" ] || impls=(ref)
else
    prepare_run
fi
out=$(cd "$out" && pwd)

# The rows of the table, from run_test.sh, in its order:
#   step<TAB>N<TAB>line<TAB>what   a call of one of its three check functions;
#       what is the heading run_test.sh echoes before it and the command
#   check<TAB>LN<TAB>line<TAB>what  an inline check (`exit 1` or `return 1`
#       after a test of the trees, or check_no_dkms_test), which upstream
#       runs only to fail; what is its message.
awk '
/^[ \t]*echo [\047"]/ && !/>/ && !/echo [\047"](Error|Warning|Using|Ignore)/ {
    h = $0; sub(/^[ \t]*echo [\047"]/, "", h); sub(/[\047"][ \t]*$/, "", h)
}
/^[ \t]*(run_with_expected_output|run_with_expected_error|run_status_with_expected_output) / {
    c = $0; sub(/^[ \t]*/, "", c); sub(/ *<< *EOF.*$/, "", c)
    gsub(/ -k "\$\{KERNEL_VER\}"/, "", c)
    if (sub(/^run_status_with_expected_output /, "status ", c)) gsub(/\047/, "", c)
    else if (sub(/^run_with_expected_error /, "", c)) { e = c; sub(/ .*/, "", e); sub(/^[0-9]+ /, "", c); c = c " (exit " e ")" }
    else sub(/^run_with_expected_output /, "", c)
    printf "step\t%d\t%d\t%s: %s\n", ++n, NR, h, c
}
/^    (exit|return) 1$/ {
    m = prev; sub(/^[ \t]*echo >&2 [\047"](Error: )?/, "", m); sub(/[\047"][ \t]*$/, "", m)
    sub(/\/lib\/modules\/\$\{KERNEL_VER\}\/\$\{expected_dest_loc\}\//, "<module dir>/", m); sub(/\$\{mod_compression_ext\}/, "", m)
    printf "check\tL%d\t%d\tcheck: %s\n", NR, NR, m
}
/^check_no_dkms_test$/ { printf "check\tL%d\t%d\tcheck: %s\n", NR, NR, h }
{ prev = $0 }' "$UPSTREAM/run_test.sh" > "$out/rows.tsv"

# Both implementations at once, each in its own namespace.
pids=()
[ "$table_only" = 1 ] || for impl in "${impls[@]}"; do
    S=$(mktemp -d "${TMPDIR:-/tmp}/dkms-upstream-ns.XXXXXX")
    at_exit "rmdir $(printf %q "$S") 2>/dev/null"
    timeout 1500 unshare --mount --propagation private -- bash "$0" --in-ns "$impl" "$kernel" "$S" 2>&1 |
        cat > "$out/$impl.log" &
    pids+=($!)
done
for i in "${!pids[@]}"; do
    wait "${pids[i]}"
    rc=$?
    [ "$rc" = 77 ] && skip "${impls[i]}: $(tail -n 1 "$out/${impls[i]}.log")"
    grep -q '^@@ step ' "$out/${impls[i]}.log" || { cat "$out/${impls[i]}.log"; fail "${impls[i]}: no step ran"; }
done

# verdict[IMPL:LINE]: pass or fail; a check passes when the run went past
# it without recording its failure.  last[IMPL]: how far the run went.
declare -A verdict last
for impl in "${impls[@]}"; do
    last[$impl]=0
    while read -r _ kind line v; do
        case $kind in
        step | check) verdict[$impl:$line]=$v; [ "$line" -gt "${last[$impl]}" ] && last[$impl]=$line ;;
        done) last[$impl]=999999 ;;
        esac
    done < <(grep '^@@ ' "$out/$impl.log")
done
result() { # impl kind line
    local v=${verdict[$1:$3]:-}
    if [ -z "$v" ] && [ "$2" = check ] && [ "$3" -lt "${last[$1]}" ]; then v=pass; fi
    echo "${v:--}"
}

# Rows listed in EXCEPTIONS.md: "| <step or LN> | ..." lines of its table.
excepted=" $(sed -n 's/^| *\(L\{0,1\}[0-9][0-9]*\) *|.*/\1/p' "$HERE/EXCEPTIONS.md" | tr '\n' ' ') "

printf '%5s  %-4s  %-4s  %s\n' step ref ours what
declare -A pass count
bad=() excused=()
while IFS=$'\t' read -r kind id line what; do
    r=$(result ref "$kind" "$line") o=$(result ours "$kind" "$line")
    count[$kind]=$((${count[$kind]:-0} + 1))
    [ "$r" = pass ] && pass[ref:$kind]=$((${pass[ref:$kind]:-0} + 1))
    [ "$o" = pass ] && pass[ours:$kind]=$((${pass[ours:$kind]:-0} + 1))
    [ ${#impls[@]} = 1 ] && { [ "${impls[0]}" = ref ] && o=. || r=.; }
    printf '%5s  %-4s  %-4s  %.100s\n' "$id" "$r" "$o" "$what"
    if [ ${#impls[@]} = 2 ] && [ "$r" = pass ] && [ "$o" != pass ]; then
        if [[ $excepted == *" $id "* ]]; then excused+=("$id"); else bad+=("$id:$line"); fi
    fi
done < "$out/rows.tsv"

echo
echo "(a step is a check function's call, numbered in run_test.sh's order; LN an inline check at line N)"
for impl in "${impls[@]}"; do
    name=$([ "$impl" = ref ] && echo "reference (Debian's dkms 3.0.10)" || echo "ours")
    echo "$name: ${pass[$impl:step]:-0} of ${count[step]} steps pass," \
        "${pass[$impl:check]:-0} of ${count[check]} inline checks"
done
[ ${#excused[@]} = 0 ] || echo "ours fails where the reference passes, listed in EXCEPTIONS.md: ${excused[*]}"
for b in "${bad[@]}"; do
    id=${b%%:*} line=${b#*:}
    echo
    echo "---- $id (run_test.sh line $line), ours:"
    awk -v l="=== line $line:" 'index($0, l) == 1 { on = 1 } on { print } /^=== end$/ { on = 0 }' "$out/ours.log"
    [[ $id != L* ]] || grep -B3 "^@@ check $line fail" "$out/ours.log" | grep -v '^@@'
done
if [ ${#bad[@]} -gt 0 ]; then
    echo
    echo "FAIL: ours fails where the reference passes: ${bad[*]%%:*} (logs: $out)"
    exit 1
fi
[ "$keep" = 1 ] || rm -rf "$out"
echo "OK"
