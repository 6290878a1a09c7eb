#!/bin/bash
# The in-process reading of plain dkms.conf files gives exactly what bash
# gives, on every dkms.conf of the project and of the Debian packages the
# corpus runner has downloaded, plus tricky hand-made ones.
. "$(dirname "$0")/../lib.sh"
EQUIV=${CONF_EQUIV:-$(dirname "$DKMS")/tests/unit/conf_equiv}
[ -x "$EQUIV" ] || skip "conf_equiv not built"
mkroot
cat > "$T/a.conf" <<'C'
# plain
PACKAGE_NAME="a"   # trailing comment
PACKAGE_VERSION=1.0-2+deb12u1
BUILT_MODULE_NAME[0]='a'"b"c
DEST_MODULE_LOCATION[0]=/updates/dkms
MAKE[3]="make -C /lib/modules KVER=x"
STRIP[0]=no
CLEAN=
AUTOINSTALL=yes
C
cat > "$T/b.conf" <<'C'
PACKAGE_NAME=a#notacomment
MAKE[0]="make a=b"
MAKE=override
C
cat > "$T/c.conf" <<'C'
PACKAGE_NAME=$(echo x)
C
cat > "$T/d.conf" <<'C'
PACKAGE_NAME="x
y"
C
printf 'PACKAGE_NAME=crlf\r\n' > "$T/e.conf"
cat > "$T/f.conf" <<'C'
BUILT_MODULE_NAME[08]=x
C
# bash's own variables: bash gives them values of its own
cat > "$T/g.conf" <<'C'
RANDOM=5
PACKAGE_NAME=$RANDOM
PACKAGE_VERSION=$LINENO
C
cat > "$T/h.conf" <<'C'
IFS=x
UID=0
_=y
PACKAGE_NAME=a
C
# equiv FILE...: run conf_equiv on the files; sets FAST, SLOW and BAD from
# its summary ("N files read in-process, N left to bash, N different"), and
# fails on any difference or on a summary it cannot read.
equiv() {
    local out rc=0
    out=$("$EQUIV" "$@" 2>"$T/equiv.err") || rc=$?
    [[ $out =~ ^([0-9]+)\ files\ read\ in-process,\ ([0-9]+)\ left\ to\ bash,\ ([0-9]+)\ different$ ]] ||
        { cat "$T/equiv.err" >&2; fail "conf_equiv exited $rc and printed no summary: $out"; }
    FAST=${BASH_REMATCH[1]} SLOW=${BASH_REMATCH[2]} BAD=${BASH_REMATCH[3]}
    [ "$BAD" = 0 ] && [ "$rc" = 0 ] ||
        { cat "$T/equiv.err" >&2; fail "fast path and bash disagree on $BAD file(s) (exit $rc): $out"; }
    [ $((FAST + SLOW)) = $# ] || fail "conf_equiv counted $((FAST + SLOW)) files of $#: $out"
    echo "$out"
}

# the plain hand-made file really takes the fast path, so that the
# comparison with bash is made at all
equiv "$T/a.conf" >/dev/null
[ "$FAST" = 1 ] || fail "a.conf (plain assignments) is not read in-process"
# the hand-made ones that are not plain must be left to bash
equiv "$T/c.conf" "$T/d.conf" "$T/e.conf" "$T/f.conf" >/dev/null
[ "$SLOW" = 4 ] || fail "$FAST of c.conf, d.conf, e.conf and f.conf (not plain) read in-process"
equiv "$T/g.conf" "$T/h.conf" >/dev/null
[ "$SLOW" = 2 ] || fail "$FAST of g.conf and h.conf (bash's own variables) read in-process"

# every file: the hand-made ones, the project's, the corpus's
files=("$T"/*.conf)
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$SRCDIR" /var/cache/dkms-c-tests -name dkms.conf -print0 2>/dev/null)
equiv "${files[@]}"
# the project's fixtures are plain: some of them must take the fast path
[ "$FAST" -gt 1 ] || fail "only $FAST file(s) read in-process: the comparison proves little"
