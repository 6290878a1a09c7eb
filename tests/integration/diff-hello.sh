#!/bin/bash
# Differential: the life of a one-module driver on both kernels, step by
# step, with the reference and with ours.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612
diff_roots "$A" "$B"

dput "$FIXTURES/hello-1.0"
d add -m hello -v 1.0;              dstatus; dtrees "after add"
d add hello/1.0
d build hello/1.0 -k "$A";          dstatus; dtrees "after build for $A"
d build -m hello -v 1.0 -k "$A"
d install hello/1.0 -k "$A";        dstatus; dtrees "after install for $A"
d install -m hello -v 1.0 -k "$B";  dstatus; dtrees "after install for $B"
dstatus hello/1.0 -k "$B"
d install hello/1.0 -k "$B"
d uninstall hello/1.0 -k "$B";      dstatus; dtrees "after uninstall for $B"
d uninstall hello/1.0 -k "$B"
d unbuild -m hello -v 1.0 -k "$A";  dstatus; dtrees "after unbuild for $A"
d unbuild hello/1.0 -k "$A"
d remove hello/1.0 -k "$B";         dstatus; dtrees "after remove for $B"
d remove hello/1.0 --all
d add "$FIXTURES/hello-1.0";        dstatus; dtrees "after add from a directory"
d remove -m hello -v 1.0 --all;     dstatus; dtrees "after remove --all"
diff_end
