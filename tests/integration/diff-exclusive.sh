#!/bin/bash
# Differential: BUILD_EXCLUSIVE_KERNEL, and install for a kernel without a
# module directory.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612
diff_roots "$B"

dput "$FIXTURES/exclusive-1.0"
d add exclusive/1.0
d build exclusive/1.0 -k "$B";         dstatus; dtrees "after build for excluded $B"
d install -m exclusive -v 1.0 -k "$B"; dstatus; dtrees "after install for excluded $B"
d install exclusive/1.0 -k "$A";       dstatus; dtrees "after install for $A without $A's module directory"
mkdir -p "$TA/lib/modules/$A" "$TB/lib/modules/$A"
d install exclusive/1.0 -k "$A";       dstatus; dtrees "after install for $A"
d remove exclusive/1.0 --all;          dstatus; dtrees "after remove --all"
diff_end
