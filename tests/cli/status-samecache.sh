#!/bin/bash
# status compares each built module with its installed copy, as the
# reference does; a pair found equal is kept in <dkms_tree>/.status-cache
# with each file's stat (samecache.h), and the next status stats the two
# files instead of reading them.  A file rewritten since, even with the
# same size and the old mtime put back, is read and compared again; a
# file changed in the last seconds is never kept; a damaged cache file
# is no record.  The listings of the tree's directories are kept the
# same way: an entry added or removed since changes the directory's
# times, and status sees it at once.
. "$(dirname "$0")/../lib.sh"
mkroot "$K61" "$K612"
cache=$T/dkms/.status-cache
inst=$T/lib/modules/$K61/updates/dkms

fake_added eq 1 e1 e2; fake_built eq 1 "$K61" e1 e2; fake_installed eq 1 "$K61"
# files changed in the last seconds: compared, not kept
tdkms status > "$T/out" || fail "status failed"
grep -q "^eq/1, $K61, $ARCH: installed$" "$T/out" || { cat "$T/out"; fail "eq/1 is not plainly installed"; }
[ ! -s "$cache" ] || { cat "$cache"; fail "status kept files changed a moment ago"; }

# settled files (the change time, which touch cannot set back, over two
# seconds old): kept, and then not read again
sleep 3
tdkms status > "$T/out" || fail "status failed"
[ "$(grep -c "$inst/e[12].ko" "$cache")" = 2 ] || { cat "$cache"; fail "the two equal pairs are not kept"; }
if command -v strace >/dev/null; then
    # (LeakSanitizer cannot run under ptrace: a sanitized build is traced without it)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -e trace=open,openat -o "$T/trace" "$DKMS" --dkmstree "$T/dkms" --sourcetree "$T/src" \
        --installtree "$T/lib/modules" status > "$T/out2" || fail "status under strace failed"
    ! grep -q '\.ko"' "$T/trace" || { grep '\.ko"' "$T/trace"; fail "status read a module the cache knows equal"; }
    cmp -s "$T/out" "$T/out2" || fail "status with the cache says something else"
fi

# same size, same mtime, other bytes: the change time gives it away
old=$(stat -c %y "$inst/e1.ko")
sed -i 's/e1/x1/' "$inst/e1.ko"
touch -d "$old" "$inst/e1.ko"
tdkms status > "$T/out" || fail "status failed"
grep -q "^eq/1, $K61, $ARCH: installed (WARNING! Diff between built and installed module!)$" "$T/out" ||
    { cat "$T/out"; fail "a rewritten module was taken as equal"; }
! grep -q "$inst/e1.ko" "$cache" || fail "the record of a pair that differs now is still kept"

# put back: equal again, and a damaged cache file is no record
cp -p "$T/dkms/eq/1/$K61/$ARCH/module/e1.ko" "$inst/e1.ko"
printf 'garbage\n%s\t%s\tnot:an:identity\t1\n\t\t\t\n' "$T/dkms/eq/1/$K61/$ARCH/module/e2.ko" "$inst/e2.ko" >> "$cache"
sleep 3
tdkms status > "$T/out" || fail "status failed"
grep -q "^eq/1, $K61, $ARCH: installed$" "$T/out" || { cat "$T/out"; fail "eq/1 is not plainly installed"; }
[ "$(grep -c "$inst/e[12].ko" "$cache")" = 2 ] || { cat "$cache"; fail "the pairs are not kept again"; }
! grep -q garbage "$cache" || fail "a damaged line was written back"

# listings: kept, and a kernel built or taken away since is seen at once
grep -q "^$T/dkms/eq/1	/	" "$cache" || { cat "$cache"; fail "the listing of eq/1 is not kept"; }
fake_built eq 1 "$K612" e1 e2
tdkms status > "$T/out" || fail "status failed"
grep -q "^eq/1, $K612, $ARCH: built$" "$T/out" || { cat "$T/out"; fail "a kernel built since the listing was kept is not seen"; }
sleep 3
tdkms status > /dev/null || fail "status failed"
rm -rf "$T/dkms/eq/1/$K612"
tdkms status > "$T/out" || fail "status failed"
! grep -q "$K612" "$T/out" || { cat "$T/out"; fail "a kernel taken away since the listing was kept is still shown"; }
# a kernel link whose build is gone is followed each time, not taken from the listing
sleep 3
tdkms status > /dev/null || fail "status failed"
mv "$T/dkms/eq/1/$K61" "$T/dkms/eq/1/.moved"
tdkms status > "$T/out" || fail "status failed"
grep -q "^eq/1: added$" "$T/out" || { cat "$T/out"; fail "eq/1 is not just added after its build moved away"; }

# remove leaves no record behind
tdkms remove eq/1 --all >/dev/null 2>&1 || fail "remove failed"
[ ! -e "$cache" ] || fail "remove left $cache"
echo PASS
