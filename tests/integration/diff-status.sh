#!/bin/bash
# Differential: `dkms status` with its filters (-m, -v, -k, -a, module/version)
# on a tree holding several modules, versions and kernels in every state,
# and the warning suffixes when installed files no longer match the built
# ones.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
A=$K61 B=$K612
diff_roots "$A" "$B"

# hello 2.0: the same driver under another version
for r in "$TA" "$TB"; do
    cp -a "$FIXTURES/hello-1.0" "$r/src/hello-2.0"
    sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="2.0"/' "$r/src/hello-2.0/dkms.conf"
done
for f in hello twomod broken exclusive; do dput "$FIXTURES/$f-1.0"; done

dstatus
d add hello/1.0
d add -m hello -v 2.0
d add twomod/1.0
d add broken/1.0
d add exclusive/1.0
d install hello/1.0 -k "$A"
d build hello/1.0 -k "$B"
d install twomod/1.0 -k "$A"
d build exclusive/1.0 -k "$B"
dtrees "with several modules"

dstatus
dstatus -m hello
dstatus -m hello -v 1.0
dstatus -m hello -v 2.0
dstatus hello/1.0
dstatus -v 1.0
dstatus -m twomod -k "$A"
dstatus -m twomod -k "$B"
dstatus -k "$A"
dstatus -k "$B"
dstatus -k "$A" -a "$ARCH"
dstatus -a "$ARCH"
dstatus -m hello -k "$B" -a "$ARCH"
dstatus -k "$A/$ARCH"
dstatus -m nosuch
dstatus -m hello -v 3.0
dstatus -k 6.99.0-none

# installed files that differ from the built ones
for r in "$TA" "$TB"; do
    printf '\0' >>"$r/lib/modules/$A/updates/dkms/hello$(ko_suffix "$A")"
    rm -f "$r/lib/modules/$A/updates/dkms/twomod_extra$(ko_suffix "$A")"
done
# where a module was deleted, ours says so ("Installed module missing"),
# where the reference says "Diff between built and installed module"; the
# rest of the line is compared (a deliberate difference, README)
DSTATUS_OURS_FILTER='s/(WARNING! Installed module missing!)/(WARNING! Diff between built and installed module!)/'
dstatus
dstatus -m twomod
T=$TB tdkms --no-depmod status -m twomod -k "$A" | grep -q "Installed module missing" ||
    fail "ours does not say that twomod's installed module is missing"
diff_end
