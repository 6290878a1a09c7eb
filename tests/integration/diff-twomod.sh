#!/bin/bash
# Differential: two modules in one package (one built in a subdirectory,
# one installed under another name) on both kernels.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612
diff_roots "$A" "$B"

dput "$FIXTURES/twomod-1.0"
d add twomod/1.0
d install -m twomod -v 1.0 -k "$A"; dstatus; dtrees "after install for $A"
d install twomod/1.0 -k "$B";       dstatus; dtrees "after install for $B"
dstatus -m twomod -k "$A"
d uninstall twomod/1.0 -k "$A";     dstatus; dtrees "after uninstall for $A"
d remove twomod/1.0 -k "$B";        dstatus; dtrees "after remove for $B"
d remove twomod/1.0 --all;          dstatus; dtrees "after remove --all"
diff_end
