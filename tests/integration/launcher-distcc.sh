#!/bin/bash
# compiler_launcher=distcc with a real farm on loopback: two distccd
# daemons (127.0.0.1, two ports, --allow 127.0.0.1, each with its own log)
# compile a real two-file module for the 6.1 headers, built confined as
# usual: the sandbox shares the network only because the launcher needs
# it, and DISTCC_HOSTS reaches distcc through it.  The daemons' own logs
# prove that the module's files were compiled there, by gcc-12; the
# client's DISTCC_LOG says where it sent them.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61"
command -v distcc >/dev/null || skip "distcc is not installed (scripts/setup-deps.sh)"
command -v distccd >/dev/null || skip "distccd is not installed (scripts/setup-deps.sh)"
[ -e /usr/lib/distcc/gcc-12 ] || skip "gcc-12 is not in distccd's list of compilers (/usr/lib/distcc)"
mkroot "$K61"
mv=$(put_source "$FIXTURES/twofile-1.0")

# the daemons run as nobody: their logs are in a directory nobody may enter
logs=$(mktemp -d "${TMPDIR:-/tmp}/dkms-distcc.XXXXXX")
at_exit "rm -rf $(printf %q "$logs")"
chmod 755 "$logs"
chown 65534 "$logs"
pids=()
stop_daemons() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
at_exit stop_daemons

# start_daemon PORT: a distccd on 127.0.0.1:PORT; fails when it does not listen
start_daemon() {
    distccd --daemon --no-detach --user nobody --allow 127.0.0.1 --listen 127.0.0.1 --port "$1" \
        --log-file "$logs/distccd-$1.log" --log-level info --jobs 2 &
    pids+=($!)
    local i
    for i in $(seq 50); do
        grep -q "listening on 127.0.0.1:$1" "$logs/distccd-$1.log" 2>/dev/null && return 0
        kill -0 "${pids[-1]}" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
hosts=()
base=$((20000 + $$ % 20000))
for port in $(seq "$base" $((base + 20))); do
    start_daemon "$port" && hosts+=("127.0.0.1:$port/2")
    [ ${#hosts[@]} = 2 ] && break
done
[ ${#hosts[@]} = 2 ] || fail "two distccd daemons could not be started on 127.0.0.1 (ports $base and up)"

# DISTCC_LOG: the client's log, a file the sandboxed build may write
export compiler_launcher=distcc DISTCC_HOSTS="${hosts[*]}" DISTCC_FALLBACK=0 DISTCC_VERBOSE=1 \
    DISTCC_LOG=$logs/client.log
tdkms --no-depmod build "$mv" -k "$K61" >"$T/out" 2>&1 || { cat "$T/out" "$logs"/*.log; fail "build through distcc"; }
grep -qF "make CC='$(command -v distcc) gcc-12' " "$T/out" || { cat "$T/out"; fail "make was not given distcc"; }
ls "$T/dkms/twofile/1.0/$K61/$ARCH/module/"twofile.ko* >/dev/null 2>&1 || fail "no module built"

build=$T/dkms/twofile/1.0/build
for f in twofile_main.c twofile_util.c; do
    grep -h "COMPILE_OK .*gcc-12 $build/$f\$" "$logs"/distccd-*.log >"$T/job" ||
        { cat "$logs"/*.log; fail "$f was not compiled by a distccd daemon"; }
done
grep -q "twofile_util.c.* on 127\.0\.0\.1:" "$logs/client.log" ||
    { tail -n 30 "$logs/client.log"; fail "the client's log (DISTCC_LOG) does not show where it compiled"; }
echo "distcc: $(cat "$logs"/distccd-*.log | grep -c "COMPILE_OK .* $build/") compiles on the daemons" \
     "($(for l in "$logs"/distccd-*.log; do grep -c "COMPILE_OK .* $build/" "$l"; done | tr '\n' ' '))"
