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
files=("$T"/*.conf)
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$SRCDIR" /var/cache/dkms-c-tests -name dkms.conf -print0 2>/dev/null)
out=$("$EQUIV" "${files[@]}") || fail "fast path and bash disagree: $out"
echo "$out"
# the hand-made ones that are not plain must be left to bash
grep -q "different" <<<"$out" || fail "no summary"
