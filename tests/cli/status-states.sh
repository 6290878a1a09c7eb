#!/bin/bash
# status --json names the states newer releases call "broken" (the source
# or the link to it is gone) and "incomplete" (some built modules are
# missing for a kernel); the text lines stay the reference's, line for
# line, for the same trees.
. "$(dirname "$0")/../lib.sh"
need_ref
mkroot "$K61"

fake_added gone 1                                 # source removed
rm -rf "$T/src/gone-1"
fake_source unlinked 1                            # link removed, source kept
mkdir -p "$T/dkms/unlinked/1"
fake_added half 1 h1 h2; fake_built half 1 "$K61" h1 h2; fake_installed half 1 "$K61"
rm "$T/dkms/half/1/$K61/$ARCH/module/h2.ko"       # installed, one module gone
fake_added part 1; fake_built part 1 "$K61"
rm "$T/dkms/part/1/$K61/$ARCH/module/part.ko"     # built, its module gone
fake_added fine 1; fake_built fine 1 "$K61"

ours=$(tdkms status 2>/dev/null); ref=$(tref status 2>/dev/null)
[ "$ours" = "$ref" ] || { diff -u <(echo "$ref") <(echo "$ours"); fail "text status differs from the reference"; }

tdkms status --json > "$T/json" || fail "status --json failed"
cat > "$T/check.py" <<'PY'
import json, sys
t, k, a = sys.argv[1:4]
rows = json.load(sys.stdin)
by = {}
for r in rows:
    by.setdefault(r["module"], []).append(r)
def one(m):
    assert len(by.get(m, [])) == 1, (m, by.get(m))
    return by[m][0]
g = one("gone")
assert g["state"] == "broken" and "kernel" not in g, g
assert f"{t}/dkms/gone/1/source points to nothing" in g["reason"], g
u = one("unlinked")
assert u["state"] == "broken" and f"{t}/src/unlinked-1" in u["reason"], u
h = one("half")
assert (h["state"], h["kernel"], h["arch"], h["marked_installed"]) == ("incomplete", k, a, True), h
assert h["reason"].endswith(": h2.ko"), h
p = one("part")
assert (p["state"], p["marked_installed"]) == ("incomplete", False), p
assert p["reason"].endswith(": part.ko"), p
f = one("fine")
assert (f["state"], f["kernel"]) == ("built", k), f
PY
python3 "$T/check.py" "$T" "$K61" "$ARCH" < "$T/json" || { cat "$T/json"; fail "status --json rows are wrong"; }
# the filters apply to them as to the other rows
n=$(tdkms status --json -m half | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 1 ] || fail "status --json -m half gave $n rows"
n=$(tdkms status --json -m gone | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 1 ] || fail "status --json -m gone gave $n rows"
echo PASS
