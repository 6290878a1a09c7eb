#!/bin/bash
# The artifact cache (src/artifact.h), shared by two "machines" (two dkms
# trees with the same source and kernel): the second build runs no make
# and gives the same module; a changed source file, .config, Module.symvers
# or compiler is a miss; a damaged or foreign entry is refused, never
# used; the size cap evicts; `dkms cache stats|clear`.  The compiler is
# known by its file, never started.
# The "build" is a script that counts its runs and makes module files.
. "$(dirname "$0")/../lib.sh"
K=6.1.0-87-dkmstest
mkroot "$K"
export SRCDIR TMPDIR="$T/tmp" DKMS_INITRAMFS_TOOL=/bin/false DKMS_BOOT_DIR="$T/boot" sign_file=/nonexistent
export artifact_cache="$T/cache"
mkdir -p "$TMPDIR" "$T/ksrc/include/generated" "$T/bin"
echo 'CONFIG_X=y' > "$T/ksrc/.config"
echo 'symbols v1' > "$T/ksrc/Module.symvers"
echo '#define UTS_RELEASE "x"' > "$T/ksrc/include/generated/utsrelease.h"
# the build: counts itself, then two modules for the kernel (unconfined:
# a confined build could not write the count to $T)
export build_sandbox=no
printf '#!/bin/bash\necho run >> %q\n. "$SRCDIR/tests/lib.sh"\nT=. make_ko ac.ko "$(uname -r)" ac && T=. make_ko ac2.ko "$(uname -r)" ac2\n' \
    "$T/make.runs" | script_source ac 1.0
printf 'BUILT_MODULE_NAME[1]=ac2\nDEST_MODULE_LOCATION[1]=/updates\n' >> "$T/src/ac-1.0/dkms.conf"
runs() { [ -e "$T/make.runs" ] && wc -l < "$T/make.runs" || echo 0; }
# machine TREE: a dkms tree of its own (the source tree is shared)
kd() { local tree=$1; shift; "$DKMS" --dkmstree "$T/$tree" --sourcetree "$T/src" --installtree "$T/lib/modules" \
       --kernelsourcedir "$T/ksrc" --no-depmod "$@"; }
built() { echo "$T/$1/ac/1.0/$K/$ARCH/module/ac.ko"; }
fresh() { rm -rf "$T/$1"; mkdir -p "$T/$1"; kd "$1" add ac/1.0 >/dev/null || fail "add on $1"; }
build_on() { kd "$1" build ac/1.0 -k "$K" >"$T/out" 2>&1 || { cat "$T/out"; fail "build on $1"; }; }

fresh a; build_on a
[ "$(runs)" = 1 ] || fail "the first build did not run make"
kd a cache stats | grep -qx "entries: 1" || fail "no cache entry after a build: $(kd a cache stats)"
fresh b; build_on b
[ "$(runs)" = 1 ] || fail "the second machine ran make: a miss"
grep -q "Taken from the artifact cache" "$T/out" || fail "the hit is not said"
cmp -s "$(built a)" "$(built b)" || fail "the module from the cache differs from the one built"
[ "$(kd b status ac)" = "ac/1.0, $K, $ARCH: built" ] || fail "status after a hit: $(kd b status ac)"

# each change is a miss
miss() { # what: change made before; the build must run make
    local before; before=$(runs)
    fresh b; build_on b
    [ "$(runs)" = $((before + 1)) ] || fail "$1: taken from the cache"
}
echo '/* changed */' >> "$T/src/ac-1.0/Makefile"; miss "a source file changed"
echo 'CONFIG_Y=y' >> "$T/ksrc/.config"; miss "the .config changed"
echo 'symbols v2' > "$T/ksrc/Module.symvers"; miss "Module.symvers changed"
printf '#!/bin/sh\necho "$*" >> %q\necho "gcc (Other) 99.1"\n' "$T/gcc.runs" > "$T/bin/gcc"; chmod +x "$T/bin/gcc"
PATH="$T/bin:$PATH" miss "the compiler changed"
# the same other compiler again: a hit; the key knows the compiler by
# its file, and never starts it
before=$(runs); fresh d; PATH="$T/bin:$PATH" build_on d
[ "$(runs)" = "$before" ] || fail "the same other compiler again: a miss"
[ ! -e "$T/gcc.runs" ] || fail "the compiler was started for the cache key: $(cat "$T/gcc.runs")"
# and the same inputs again are a hit
before=$(runs); fresh c; build_on c
[ "$(runs)" = "$before" ] || fail "unchanged inputs: a miss"

# a damaged entry: refused, removed, built afresh
entry=$(dirname "$(find "$T/cache" -name manifest | head -n1)")
for e in "$T"/cache/*/*; do printf 'X' | dd of="$e/0.ko" bs=1 seek=100 conv=notrunc status=none; done
before=$(runs); fresh c; build_on c
[ "$(runs)" = $((before + 1)) ] || fail "a damaged entry was used"
grep -q "damaged or for another kernel" "$T/out" || { cat "$T/out"; fail "the damaged entry is not said"; }
cmp -s "$(built a)" "$(built c)" || fail "the module after a damaged entry differs"
# a foreign entry (another kernel's modules under this key): refused
for e in "$T"/cache/*/*; do T=. make_ko "$e/0.ko" 6.1.0-1-other ac; done
before=$(runs); fresh c; build_on c
[ "$(runs)" = $((before + 1)) ] || fail "an entry for another kernel was used"

# the cap evicts the least recently used; stats and clear
artifact_cache_size=1 kd c cache stats | grep -qx "cap: 1" || fail "the cap is not read"
echo '/* again */' >> "$T/src/ac-1.0/Makefile"
fresh d; artifact_cache_size=1 build_on d
kd d cache stats | grep -qx "entries: 0" || fail "over the cap, nothing evicted: $(kd d cache stats)"
fresh d; build_on d
kd d cache stats | grep -qx "entries: 1" || fail "stats: $(kd d cache stats)"
kd d cache clear >/dev/null || fail "cache clear"
kd d cache stats | grep -qx "entries: 0" || fail "clear left entries"
echo "artifact cache: hits run no make and give the same module; changes miss; bad entries refused"
