# Helpers for the benchmarks that build real modules; sourced after
# tests/lib.sh (mkroot, tdkms, tref, at_exit).  Every run happens in a
# throwaway root: nothing is written to the machine's own /var/lib/dkms,
# /usr/src or /lib/modules.

# bench_args [--runs] ARGS...: a bench's command line,
#   [--quick] [RUNS=5] [KERNEL=$K61] [SRC...]   (RUNS only with --runs),
# into quick (1 with --quick, else 0), RUNS (1 with --quick), K and srcs
# (the SRCs given, or none).
bench_args() {
    local runs=0
    [ "${1:-}" = --runs ] && { runs=1; shift; }
    quick=0
    [ "${1:-}" = --quick ] && { quick=1; shift; }
    if [ $runs = 1 ]; then RUNS=${1:-5}; [ $# = 0 ] || shift; fi
    K=${1:-$K61}; [ $# = 0 ] || shift
    [ $quick = 0 ] || RUNS=1
    srcs=("$@")
}

# need_bench_tools [strace]: the bench is skipped unless the reference,
# the headers of $K, perf, our built dkms (and strace) are there.
need_bench_tools() {
    need_ref
    need_headers "$K"
    need_perf
    [ -x "$DKMS" ] || skip "our dkms is not built at $DKMS"
    [ "${1:-}" != strace ] || command -v strace >/dev/null || skip "strace is missing"
}

# default_sources [PKG...] [--full PKG...]: when no SRC was given, srcs is
# examples/edu-dkms and the source of each corpus package PKG the cache
# has; those after --full only without --quick.
default_sources() {
    local p s
    [ ${#srcs[@]} = 0 ] || return 0
    srcs=("$SRCDIR/examples/edu-dkms")
    for p in "$@"; do
        [ "$p" = --full ] && { [ "$quick" = 0 ] || break; continue; }
        s=$(corpus_source "$p")
        [ -z "$s" ] || srcs+=("$s")
    done
}

# timed OUT CMD...: runs CMD with its output discarded and writes to OUT
# "wall cpu" in seconds: the wall clock, and the CPU time (user+sys) of
# CMD and of every process it started, counted by perf's task-clock,
# which follows each child whether or not it is waited for (getrusage,
# as /usr/bin/time reads it, misses what runs under bwrap: bwrap exits
# before it reaps its sandbox's processes).  Returns CMD's exit status.
timed() {
    local out=$1 t0 t1 rc=0; shift
    t0=$(date +%s.%N)
    perf stat -x, -e task-clock -o "$out.perf" -- "$@" >/dev/null 2>&1 || rc=$?
    t1=$(date +%s.%N)
    awk -F, -v w="$(echo "$t1 - $t0" | bc)" '$3 ~ /^task-clock/ { printf "%.3f %.3f\n", w, $1 / 1000 }' \
        "$out.perf" > "$out"
    return $rc
}
need_perf() {
    perf stat -x, -e task-clock -o /dev/null -- true 2>/dev/null \
        || skip "perf stat cannot count task-clock here (linux-perf, kernel.perf_event_paranoid)"
}
# mean_wall RUNS CMD...: the mean wall time, in seconds, of RUNS runs of
# CMD (a program, not a shell function) with its output discarded, as
# perf stat measures each from its fork to its exit.
mean_wall() {
    local runs=$1; shift
    perf stat -r "$runs" -o "$T/mean-wall.perf" -- "$@" >/dev/null 2>&1 || :
    awk '/seconds time elapsed/ { print $1 }' "$T/mean-wall.perf"
}
# wall_of FILE, cpu_of FILE: the fields of a timed record.
wall_of() { awk '{print $1}' "$1"; }
cpu_of() { awk '{print $2}' "$1"; }

# median NUMBER...: the median (the mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratio A B: A / B with two decimals ("-" when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }

# conf_var DIR VAR: a variable of DIR/dkms.conf as bash sees it for kernel $K.
conf_var() {
    (cd "$1" && kernelver=$K arch=$ARCH kernel_source_dir=/lib/modules/$K/build \
        bash -c '. ./dkms.conf >/dev/null 2>&1; eval "echo \"\${$1}\""' _ "$2")
}

# corpus_source PKG: the source directory of a corpus package (a Debian
# bookworm *-dkms package unpacked by tests/corpus/run.sh), or nothing.
CORPUS_CACHE=${CORPUS_CACHE:-/var/cache/dkms-c-tests/corpus}
corpus_source() {
    local d=$CORPUS_CACHE/src/$1/usr/src
    [ -d "$d" ] || return 0
    find "$d" -mindepth 2 -maxdepth 2 -name dkms.conf -printf '%h\n' | head -1
}

# mok_keys DIR: a MOK key pair (DER certificate) in DIR, made once, and
# mok_signing_key/mok_certificate exported to it: both implementations
# sign with it instead of making (or looking for) one of their own.
mok_keys() {
    mkdir -p "$1"
    [ -e "$1/mok.key" ] || openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -outform DER \
        -subj "/CN=dkms bench" -keyout "$1/mok.key" -out "$1/mok.pub" >/dev/null 2>&1 \
        || { echo "bench: openssl could not make a MOK key" >&2; exit 1; }
    export mok_signing_key=$1/mok.key mok_certificate=$1/mok.pub
}

# in_root ROOT IMPL ARGS...: IMPL (ours or ref) on the trees of ROOT
# (ROOT/dkms, ROOT/src, ROOT/lib/modules), without depmod (the
# reference's would run on the machine's own /lib/modules).  timed_in_root
# OUT ROOT IMPL ARGS...: the same, timed (see timed).
root_cmd() { # ROOT IMPL: the command line, in the array RC
    local prog=$DKMS
    [ "$2" = ref ] && prog=$REF_DKMS
    RC=("$prog" --dkmstree "$1/dkms" --sourcetree "$1/src" --installtree "$1/lib/modules" --no-depmod)
}
in_root() { root_cmd "$1" "$2"; shift 2; "${RC[@]}" "$@"; }
timed_in_root() { local out=$1; root_cmd "$2" "$3"; shift 3; timed "$out" "${RC[@]}" "$@"; }

# new_root ROOT SRC...: a fresh root with each source directory SRC
# copied into ROOT/src/<name>-<version> and added (not timed); prints
# the name/version of each, one a line.
new_root() {
    local root=$1 s n v; shift
    rm -rf "$root"
    mkdir -p "$root/dkms" "$root/src" "$root/lib/modules/$K"
    for s in "$@"; do
        n=$(conf_var "$s" PACKAGE_NAME); v=$(conf_var "$s" PACKAGE_VERSION)
        mkdir -p "$root/src/$n-$v"
        cp -a "$s/." "$root/src/$n-$v/"
        echo "$n/$v"
    done
}

# execs_outside_make FILE: from the output of
#   strace -f -s 64 --pidns-translation -e trace=execve,clone,clone3,fork,vfork -o FILE
# the programs started outside the make that builds the modules (the one
# run with KERNELRELEASE=, and everything it starts), counted by name;
# "make (clean)" for the clean runs.
execs_outside_make() {
    awk '
    # inside(pid, i): pid runs under the modules make at line i
    function inside(pid, i) {
        if ((pid in makeat) && makeat[pid] <= i) return 1
        if (pid in parent) return inside(parent[pid], forkat[pid])
        return 0
    }
    function exec_seen(pid, i, line,    prog) {
        prog = line; sub(/^[^"]*"/, "", prog); sub(/".*/, "", prog)
        if (prog ~ /\/make$/ && line ~ /"KERNELRELEASE=/ && !(pid in makeat)) makeat[pid] = i
        sub(/.*\//, "", prog)
        if (prog == "make" && line ~ /"clean"/) prog = "make (clean)"
        ne++; epid[ne] = pid; eat[ne] = i; eprog[ne] = prog
    }
    { pid = $1 }
    / execve\(/ {
        if ($0 ~ /<unfinished \.\.\.>$/) { pend[pid] = $0; pendat[pid] = NR }
        else if ($0 ~ /= 0$/) exec_seen(pid, NR, $0)
        next
    }
    /<\.\.\. execve resumed>/ {
        if ($0 ~ /= 0$/ && (pid in pend)) exec_seen(pid, pendat[pid], pend[pid])
        delete pend[pid]; next
    }
    / (clone|clone3|fork|vfork)\(/ { cstart[pid] = NR }
    # the child: "= N", or with --pidns-translation "= n /* N in strace'"'"'s PID NS */"
    /(clone|clone3|fork|vfork)(\(| resumed>)/ && /= [0-9]+( \/\* [0-9]+ in strace.s PID NS \*\/)?$/ {
        c = $NF; if (c == "*/") c = $(NF - 5)
        parent[c] = pid; forkat[c] = cstart[pid]
    }
    END {
        for (e = 1; e <= ne; e++) if (!inside(epid[e], eat[e])) n[eprog[e]]++
        for (p in n) printf "%5d %s\n", n[p], p
    }' "$1" | sort -rn
}
