#!/bin/bash
# One autoinstall for 6.1 and 6.12 (-k A -k B) with real builds: the same
# module versions build for both kernels side by side under one jobserver,
# each in its own build/ (the default MAKE line names
# <dkms_tree>/<m>/<v>/build); each kernel gets modules whose vermagic is
# its own; build/ is gone afterwards, as after one kernel's build; the
# make.logs show make took the jobserver.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612

it_root "$A" "$B"
put_source "$FIXTURES/hello-1.0" > /dev/null
put_source "$FIXTURES/twomod-1.0" > /dev/null
step 0 add -m hello -v 1.0
step 0 add -m twomod -v 1.0
parallel_jobs=4 step 0 autoinstall -k "$A" -k "$B" --verbose
for k in "$A" "$B"; do
    grep -qx "Autoinstall on kernel $k ($ARCH):" "$OUT" || { show_last; fail "no summary for $k"; }
    assert_built hello 1.0 "$k" hello
    assert_installed hello 1.0 "$k" hello
    assert_built twomod 1.0 "$k" twomod_core twomod_extra
    assert_installed twomod 1.0 "$k" twomod_core twomod_extra
    # shown as the reference's line, run without -j: the jobserver's
    grep -q "^make -j4 KERNELRELEASE=$k -C " "$OUT" && grep -q "{ make KERNELRELEASE=$k -C " "$OUT" ||
        { show_last; fail "make for $k was not run under the jobserver"; }
done
assert_gone "$T/dkms/hello/1.0/build"
assert_gone "$T/dkms/twomod/1.0/build"
! grep -q "$T" /proc/self/mountinfo || fail "a build directory is still mounted"
# hello for A and for B ran at the same time: each started (the log's
# date, to the second) before the other's log was last written
start() { date -d "$(sed -n 2p "$T/dkms/hello/1.0/$1/$ARCH/log/make.log")" +%s; }
end() { stat -c %Y "$T/dkms/hello/1.0/$1/$ARCH/log/make.log"; }
[ "$(start "$A")" -le "$(end "$B")" ] && [ "$(start "$B")" -le "$(end "$A")" ] ||
    fail "hello/1.0 for $A and $B did not build at the same time"
step 0 remove hello/1.0 --all
step 0 remove twomod/1.0 --all
assert_no_trace hello
echo PASS
