#!/bin/bash
# One make jobserver for a whole autoinstall (jobserver.h): the fake
# modules' "make" is a script that reads MAKEFLAGS, takes tokens from the
# jobserver's pipe as make does and records how many jobs run at once.
# With parallel_jobs=N (or -jN), never more than N run at once, counting
# the modules' own make jobs; modules whose make runs one job at a time
# still use all N tokens; every token comes back (later builds still get
# them); a failed build gives its tokens back too; and a confined build
# (bwrap) sees the jobserver as well.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "installing needs root"
K=6.1.0-96-dkmstest
script_root "$K"
mkdir -p "$T/rec"

# fake_make NAME WANT: the build script of module NAME: it takes up to
# WANT tokens besides its own, holds them for a while, gives them back,
# and appends "<time> +units" and "<time> -units" to $T/rec/events.
fake_make() {
    cat <<S
#!/bin/bash
rec=$T/rec
auth=\$(sed -n 's/.*--jobserver-auth=\([0-9]*\),\([0-9]*\).*/\1 \2/p' <<<"\$MAKEFLAGS")
read -r R W <<<"\$auth"
echo "MAKEFLAGS=\$MAKEFLAGS"
taken=0
if [ -n "\$R" ] && [ -e /proc/self/fd/\$R ]; then
    echo "jobserver: fds \$R,\$W open"
    for _ in \$(seq $2); do
        IFS= read -r -s -n1 -t 0.2 -u "\$R" tok || break
        taken=\$((taken + 1))
    done
fi
units=\$((taken + 1))
[ -w "\$rec" ] && echo "\$(date +%s.%N) +\$units $1" >> "\$rec/events"
sleep 0.6
[ -w "\$rec" ] && echo "\$(date +%s.%N) -\$units $1" >> "\$rec/events"
for _ in \$(seq \$taken); do printf + >&"\$W"; done
[ -e fail ] && { echo "error: $1 fails on purpose"; exit 2; }
echo "$1 module" > $1.ko
S
}

# max_running: the most jobs running at once, from the events.
max_running() {
    sort -n "$T/rec/events" | awk '{ n += $2; if (n > max) max = n } END { print max + 0 }'
}

# add_modules WANT NAME...: each a module whose make takes WANT tokens.
add_modules() {
    local want=$1 n; shift
    for n in "$@"; do
        rm -rf "$T/src/$n-1.0"
        fake_make "$n" "$want" | script_source "$n" 1.0
        echo AUTOINSTALL=yes >> "$T/src/$n-1.0/dkms.conf"
        expect_rc 0 kd add "$n/1.0" > /dev/null
    done
}

# logs: the make.log of every module built
# (into a file first: grep -q on a pipe may end the writer early)
logs() { cat "$T/dkms"/*/1.0/"$K"/*/log/make.log > "$T/logs" 2>/dev/null; cat "$T/logs"; }
logs_have() { logs > /dev/null; grep -q -- "$1" "$T/logs"; }
logs_count() { logs > /dev/null; grep -c -- "$1" "$T/logs"; }

reset() { rm -rf "$T/dkms"/* "$T/lib/modules/$K"/* "$T/rec/events"; }

# autoinstall N [ARGS]: with parallel_jobs=N, unconfined so that the
# script may record in $T/rec; fails unless every module is installed.
autoinstall() {
    local n=$1; shift
    rc=0; parallel_jobs=$n build_sandbox=no kd autoinstall -k "$K" "$@" > "$T/out" 2>&1 || rc=$?
}

# 1. greedy makes (each wants 4 more tokens): never more than 2 at once,
#    and 2 at once at some point
add_modules 4 a b c d
autoinstall 2
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall with greedy makes exited $rc"; }
[ "$(logs_count 'jobserver: fds')" = 4 ] || { logs; fail "the makes were given no jobserver (MAKEFLAGS)"; }
logs_have 'MAKEFLAGS= -j2 --jobserver-auth=' || { logs; fail "MAKEFLAGS names no jobserver of 2 tokens"; }
m=$(max_running)
[ "$m" = 2 ] || { sort -n "$T/rec/events"; fail "parallel_jobs=2: $m jobs ran at once, expected at most and at least 2"; }
[ "$(grep -c '^.* +' "$T/rec/events")" = 4 ] || fail "not every module was built"
for n in a b c d; do grep -qx "  $n/1.0: installed" "$T/out" || { cat "$T/out"; fail "$n/1.0 not installed"; }; done
# a MAKE line that starts with make runs without -j (which would turn the
# jobserver off), shown as the reference shows it
reset
add_modules 0 a
sed -i 's|^MAKE\[0\]=.*|MAKE[0]="make -f ./mk.mk"|' "$T/src/a-1.0/dkms.conf"
printf 'all:\n\t+@echo "flags: $(MAKEFLAGS)"; ./build.sh\n' > "$T/src/a-1.0/mk.mk"
autoinstall 2 --verbose
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall of a make module exited $rc"; }
grep -q "^make -j2 KERNELRELEASE=$K -f ./mk.mk\.\.\.\$" "$T/out" || { cat "$T/out"; fail "the make line is not shown as the reference's"; }
grep -q "Running in .*{ make KERNELRELEASE=$K -f ./mk.mk" "$T/out" || { cat "$T/out"; fail "make was run with -j under the jobserver"; }
logs_have "^flags: .*-j2 .*--jobserver-auth=" || { logs; fail "make did not take the jobserver from MAKEFLAGS"; }
logs_have "jobserver: fds" || { logs; fail "make's recursive recipe did not get the jobserver's fds"; }
logs_have "resetting jobserver mode" && { logs; fail "make made a jobserver of its own"; }

# 2. -j on the command line overrides parallel_jobs: 3 at once
reset
add_modules 4 a b c d
autoinstall 2 -j3
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall -j3 exited $rc"; }
m=$(max_running)
[ "$m" = 3 ] || { sort -n "$T/rec/events"; fail "-j3: $m jobs ran at once, expected 3"; }

# 3. -j1-style makes (no token taken): all 3 tokens used by 3 modules,
#    and every token back: 6 modules in two waves of 3
reset
add_modules 0 a b c d e f
autoinstall 3
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall of -j1 makes exited $rc"; }
m=$(max_running)
[ "$m" = 3 ] || { sort -n "$T/rec/events"; fail "3 tokens, -j1 makes: $m ran at once, expected 3"; }

# 4. a failed build gives its tokens back: the next wave still runs 2
reset
rm -rf "$T/src"/*
add_modules 4 a b c d
touch "$T/src/a-1.0/fail"
autoinstall 2
[ "$rc" != 0 ] || { cat "$T/out"; fail "autoinstall with a failing module exited 0"; }
grep -q "  a/1.0: failed" "$T/out" || { cat "$T/out"; fail "a/1.0 not reported failed"; }
for n in b c d; do grep -qx "  $n/1.0: installed" "$T/out" || { cat "$T/out"; fail "$n/1.0 not installed after a failure"; }; done
m=$(max_running)
[ "$m" = 2 ] || { sort -n "$T/rec/events"; fail "after a failure: $m ran at once, expected 2"; }
rm -f "$T/src/a-1.0/fail"

# 5. confined (bwrap): the make still sees the jobserver's fds
if command -v bwrap > /dev/null && bwrap --ro-bind / / true 2> /dev/null; then
    reset
    add_modules 1 a b
    rc=0; parallel_jobs=2 build_sandbox=yes kd autoinstall -k "$K" > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat "$T/out"; fail "confined autoinstall exited $rc"; }
    [ "$(logs_count 'jobserver: fds')" = 2 ] || { logs; fail "a confined make did not get the jobserver's fds"; }
fi

# 6. parallel_jobs=0 (no limit): no jobserver, the builds still run
reset
add_modules 0 a b
autoinstall 0
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall with parallel_jobs=0 exited $rc"; }

# 7. a huge parallel_jobs: the tokens are capped (the pipe must not fill)
reset
add_modules 0 a
rc=0; parallel_jobs=1000000 build_sandbox=no timeout 60 "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" \
    --installtree "$T/lib/modules" --kernelsourcedir "$T/ksrc" --no-depmod autoinstall -k "$K" > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "autoinstall with parallel_jobs=1000000 exited $rc"; }
echo PASS
