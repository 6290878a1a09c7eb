#!/bin/bash
# kbuild's own clean (the default CLEAN) is left out where it has nothing
# to do: on a fresh copy of a source that holds no build products and no
# Makefile naming files for clean, and after the build, whose directory is
# removed next.  A source that ships objects, a Makefile with clean-files,
# and any other CLEAN are cleaned as the reference cleans them.  The
# "kernel" is a fake headers directory whose Makefile records each clean
# and makes the module; no compiler is needed.
. "$(dirname "$0")/../lib.sh"
export build_sandbox=no   # the Makefile writes $T/clean.calls
K=6.1.0-95-dkmstest
script_root "$K"
cat > "$T/ksrc/Makefile" <<M
include \$(M)/Makefile
ifneq (\$(filter clean,\$(MAKECMDGOALS)),)
clean:
	echo "kbuild clean \$(M)" >> $T/clean.calls
else
modules:
	\$(foreach o,\$(obj-m),echo "module for \$(KERNELRELEASE)" > \$(M)/\$(o:.o=.ko);)
endif
M

# build N [SETUP]: builds a fresh module N/1.0 (the one module N.ko), after
# running SETUP in its source; prints how many cleans ran.
build() {
    local n=$1 setup=${2:-true}
    fake_source "$n" 1.0
    (cd "$T/src/$n-1.0" && eval "$setup")
    rm -f "$T/clean.calls"; touch "$T/clean.calls"
    kd add "$n/1.0" > /dev/null || fail "add $n/1.0"
    kd build "$n/1.0" -k "$K" > "$T/out" 2>&1 || { cat "$T/out"; fail "build of $n/1.0 for $K failed"; }
    [ -e "$T/dkms/$n/1.0/$K/$ARCH/module/$n.ko" ] || fail "$n/1.0 built no $n.ko for $K"
    wc -l < "$T/clean.calls"
}

[ "$(build plain)" = 0 ] || fail "kbuild's clean ran on a pristine copy or before the build directory's removal: $(cat "$T/clean.calls")"
[ "$(build shipped 'echo stale > shipped.o')" = 1 ] || fail "a source that ships shipped.o was not cleaned once, before make"
[ "$(build cmdfile 'echo x > .old.o.cmd')" = 1 ] || fail "a source that ships .old.o.cmd was not cleaned once, before make"
[ "$(build listed 'echo "clean-files := gen.h" >> Makefile')" = 1 ] \
    || fail "a source whose Makefile has clean-files was not cleaned once, before make"
# a CLEAN of the module's own: before make and after the build, as always
[ "$(build own "printf 'CLEAN=\"make -C $T/ksrc M=\\\${dkms_tree}/own/1.0/build clean KEEP=1\"\n' >> dkms.conf")" = 2 ] \
    || fail "a CLEAN of the module's own did not run twice: $(cat "$T/clean.calls")"
echo PASS
