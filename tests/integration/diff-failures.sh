#!/bin/bash
# Differential: modules that fail to build, side by side with one that
# builds: a compile error on every kernel (broken), an API change on 6.12
# (api612), a declared module never produced (missing).
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612
diff_roots "$A" "$B"

for f in broken api612 missing; do
    dput "$FIXTURES/$f-1.0"
    d add "$f/1.0"
done
d build broken/1.0 -k "$A";            dstatus; dtrees "after failed build of broken"
d install -m broken -v 1.0 -k "$B";    dstatus; dtrees "after failed install of broken"
d install api612/1.0 -k "$A"
d install api612/1.0 -k "$B";          dstatus; dtrees "after failed install of api612 on $B"
d build -m api612 -v 1.0 -k "$B"
d build missing/1.0 -k "$A";           dstatus; dtrees "after build of missing"
dstatus api612
dstatus -k "$B"
d remove broken/1.0 --all
d remove api612/1.0 -k "$A";           dstatus; dtrees "after removing api612 from $A"
d remove missing/1.0 --all
d remove api612/1.0 --all;             dstatus; dtrees "after removing all"
diff_end
