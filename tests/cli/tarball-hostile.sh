#!/bin/bash
# ldtarball of hostile archives: each is refused as a whole, says which
# entry and why, changes nothing in the trees and writes nothing outside
# its private temporary directory (which is gone afterwards).
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to write hostile archives"
mkroot "$K61"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR" "$T/outside" "$T/archives"
A=$ARCH
# a module already in the trees, to see that it stays as it is
fake_source keep 1.0
tdkms add keep/1.0 >/dev/null || fail "add keep"
fake_built keep 1.0 "$K61"
etc_probe="dkms-c-hostile-test-$$-$RANDOM"

# hostile KIND: an archive that looks like mktarball's for evil/1.0, with
# the hostile entry after the good ones (so a loader checking late would
# already have unpacked something).
hostile() {
    python3 - "$1" "$T" "$etc_probe" "$K61" "$A" <<'EOF'
import io, sys, tarfile
kind, T, probe, K, A = sys.argv[1:]
out = tarfile.open(f"{T}/archives/{kind}.tgz", "w:gz", format=tarfile.GNU_FORMAT)
def add(name, type=tarfile.REGTYPE, data=b"", link="", dev=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode = type, link, 0o755 if type == tarfile.DIRTYPE else 0o644
    ti.devmajor, ti.devminor = dev
    ti.size = len(data) if type == tarfile.REGTYPE else 0
    out.addfile(ti, io.BytesIO(data) if ti.size else None)
conf = b"PACKAGE_NAME=evil\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=evil\nDEST_MODULE_LOCATION[0]=/updates\n"
plain = kind.startswith("plain-")
src = "./a/b/c/d/" if kind == "plain-deep-etc" else "./" if plain else "./dkms_source_tree/"
if not plain:
    add("./", tarfile.DIRTYPE)
    add("./dkms_main_tree/", tarfile.DIRTYPE)
    add(f"./dkms_main_tree/{K}/{A}/module/evil.ko", data=b"ko")
    add(src, tarfile.DIRTYPE)
add(src + "dkms.conf", data=conf)
add(src + "Makefile", data=b"obj-m := evil.o\n")
if kind == "absolute":
    add(f"{T}/outside/absolute", data=b"pwned")
elif kind == "dotdot":
    add(src + "../../../outside/dotdot", data=b"pwned")
elif kind == "dotdot-plain":
    add("../outside/dotdot", data=b"pwned")
elif kind == "symlink-etc":
    add(src + "etc", tarfile.SYMTYPE, link="/etc")
    add(src + "etc/" + probe, data=b"pwned")
elif kind == "symlink-up":
    add(src + "up", tarfile.SYMTYPE, link="../../../outside")
    add(src + "up/through", data=b"pwned")
elif kind == "symlink-dir-then-file":
    # a link to a directory inside the archive, then a file through it
    add(src + "sub/", tarfile.DIRTYPE)
    add(src + "alias", tarfile.SYMTYPE, link="sub")
    add(src + "alias/x", data=b"pwned")
elif kind == "device":
    add(src + "null", tarfile.CHRTYPE, dev=(1, 3))
elif kind == "blockdev":
    add(src + "sda", tarfile.BLKTYPE, dev=(8, 0))
elif kind == "fifo":
    add(src + "fifo", tarfile.FIFOTYPE)
elif kind == "hardlink-abs":
    add(src + "passwd", tarfile.LNKTYPE, link="/etc/passwd")
elif kind == "hardlink-up":
    add(src + "hl", tarfile.LNKTYPE, link="../../../outside/target")
elif kind == "hardlink-symlink":
    # a hard link to a link of the archive would move it elsewhere
    add(src + "d/", tarfile.DIRTYPE)
    add(src + "d/l", tarfile.SYMTYPE, link="../Makefile")
    add("./l2", tarfile.LNKTYPE, link=src + "d/l")
elif kind == "plain-deep-etc":
    # inside the archive, but not inside the directory that is copied
    add(src + "etc", tarfile.SYMTYPE, link="../../../../etc")
elif kind == "source-tree-up":
    # dkms_source_tree is copied; this link stays in the archive only
    add(src + "up", tarfile.SYMTYPE, link="../dkms_main_tree")
elif kind == "plain-symlink-chain":
    # both links look inside, but b goes through a (".") and then up
    add("b", tarfile.SYMTYPE, link="a/..")
    add("a", tarfile.SYMTYPE, link=".")
out.close()
EOF
}

kinds=(absolute dotdot dotdot-plain symlink-etc symlink-up symlink-dir-then-file device blockdev fifo
       hardlink-abs hardlink-up hardlink-symlink plain-symlink-chain plain-deep-etc source-tree-up)
state() {
    (cd "$T" && find . -path ./archives -prune -o -printf '%p %y %s %m %l\n' | sort
     find dkms src -type f -print0 | sort -z | xargs -0 cat)
}
before=$(state)
for kind in "${kinds[@]}"; do
    hostile "$kind" || fail "could not write the $kind archive"
    rc=0
    msg=$(tdkms ldtarball "$T/archives/$kind.tgz" 2>&1) || rc=$?
    [ "$rc" = 7 ] || fail "$kind: exited $rc, expected 7: $msg"
    echo "$msg" | grep -q "Refusing to load .*: its entry '.*' " || fail "$kind: no reason given: $msg"
    after=$(state)
    [ "$before" = "$after" ] || { diff -u <(echo "$before") <(echo "$after"); fail "$kind: something changed"; }
    [ -z "$(ls -A "$T/outside")" ] || fail "$kind: wrote outside: $(ls -A "$T/outside")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$kind: left its temporary directory"
    if [ -e "/etc/$etc_probe" ]; then rm -f "/etc/$etc_probe"; fail "$kind: wrote into /etc"; fi
    echo "$kind: $(echo "$msg" | head -n1)"
done

# the same layout without a hostile entry loads: the checks are not
# refusing everything
for kind in clean plain-clean; do
    hostile "$kind"
    tdkms ldtarball "$T/archives/$kind.tgz" >/dev/null || fail "$kind archive refused"
    [ "$(tdkms status -m evil)" != "" ] || fail "$kind archive not loaded"
    tdkms remove evil/1.0 --all >/dev/null; rm -rf "$T/src/evil-1.0"
done
[ -z "$(ls -A "$TMPDIR")" ] || fail "temporary directory left after clean loads"
echo "${#kinds[@]} hostile archives refused, nothing changed"
