#!/bin/bash
# autoinstall's live lines on a terminal (aiprogress.h), through a pty
# (script(1)): a line per running build, "[n/total] m/v kernel: building
# m:ss", redrawn in place with ANSI sequences and coloured; each build's
# end as a line of its own (installed green, failed red); the summaries
# unchanged.  NO_COLOR drops the colours; TERM=dumb and output that is not
# a terminal get no live line and no escape sequence at all.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "installing needs root"
command -v script > /dev/null || skip "script (util-linux) is not installed"
export build_sandbox=no parallel_jobs=2
K1=6.1.0-96-dkmstest
K2=6.12.0-97-dkmstest
script_root "$K1" "$K2"
ESC=$(printf '\033')

setup() {
    rm -rf "$T/dkms"/* "$T/src"/* "$T/lib/modules/$K1"/* "$T/lib/modules/$K2"/*
    for n in a b c; do
        script_source "$n" 1.0 <<S
#!/bin/sh
sleep 1.2
echo "$n" > $n.ko
S
        echo AUTOINSTALL=yes >> "$T/src/$n-1.0/dkms.conf"
        expect_rc 0 tdkms add "$n/1.0" > /dev/null
    done
    printf '#!/bin/sh\nexit 3\n' > "$T/src/c-1.0/build.sh"
}

cmd="$(printf '%q ' "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib/modules" \
    --kernelsourcedir "$T/ksrc" --no-depmod autoinstall -k "$K1" -k "$K2")"

# on_tty FILE [ENV...]: the autoinstall on a pty, its screen output in FILE
# with the carriage returns taken out; rc its exit code.
on_tty() {
    local out=$1; shift
    setup
    rc=0; env "$@" script -qfec "$cmd" /dev/null > "$out.raw" 2>&1 || rc=$?
    tr -d '\r' < "$out.raw" > "$out"
}

summary_ok() {
    local f=$1 k
    for k in "$K1" "$K2"; do
        grep -qx "Autoinstall on kernel $k ($ARCH):" "$f" || { cat -v "$f"; fail "$2: no summary for $k"; }
        sed -n "/^Autoinstall on kernel $k /,/^Error/p" "$f" > "$T/sum"
        grep -qx "  a/1.0: installed" "$T/sum" && grep -qx "  b/1.0: installed" "$T/sum" &&
            grep -q "^  c/1.0: failed (exit 10)" "$T/sum" || { cat -v "$f"; fail "$2: the summary for $k is not intact"; }
    done
}

on_tty "$T/tty" TERM=xterm
[ "$rc" = 11 ] || { cat -v "$T/tty"; fail "autoinstall on a terminal exited $rc, expected 11"; }
grep -q "^$ESC\[33m\[[1-6]/6\] a/1.0 $K1: building 0:0[0-9]$ESC\[0m\$" "$T/tty" ||
    { cat -v "$T/tty"; fail "no live 'building' line for a/1.0 on $K1"; }
grep -q "$ESC\[[0-9]A$ESC\[J" "$T/tty" || grep -q "$ESC\[[0-9]A.$ESC\[J" "$T/tty" ||
    { cat -v "$T/tty"; fail "the live lines are not redrawn in place"; }
grep -q "$ESC\[32m\[[1-6]/6\] b/1.0 $K2: installed 0:0[0-9]$ESC\[0m" "$T/tty" ||
    { cat -v "$T/tty"; fail "no green 'installed' line for b/1.0 on $K2"; }
grep -q "$ESC\[31m\[[1-6]/6\] c/1.0 $K1: failed 0:0[0-9]$ESC\[0m" "$T/tty" ||
    { cat -v "$T/tty"; fail "no red 'failed' line for c/1.0 on $K1"; }
summary_ok "$T/tty" terminal

on_tty "$T/nocolor" TERM=xterm NO_COLOR=1
grep -q "^\[[1-6]/6\] a/1.0 $K1: building" "$T/nocolor" || { cat -v "$T/nocolor"; fail "NO_COLOR: no live line"; }
grep -q "$ESC\[3[0-9]m" "$T/nocolor" && { cat -v "$T/nocolor"; fail "NO_COLOR: colours used"; }
summary_ok "$T/nocolor" NO_COLOR

for how in dumb pipe; do
    setup
    rc=0
    if [ $how = dumb ]; then
        TERM=dumb script -qfec "$cmd" /dev/null > "$T/plain.raw" 2>&1 || rc=$?
    else
        eval "$cmd" > "$T/plain.raw" 2>&1 || rc=$?
    fi
    tr -d '\r' < "$T/plain.raw" > "$T/plain"
    [ "$rc" = 11 ] || { cat "$T/plain"; fail "$how: exited $rc, expected 11"; }
    grep -q "$ESC" "$T/plain" && { cat -v "$T/plain"; fail "$how: escape sequences in the output"; }
    grep -q '^\[[0-9]*/6\]' "$T/plain" && { cat "$T/plain"; fail "$how: live lines in the output"; }
    summary_ok "$T/plain" "$how"
done
echo PASS
