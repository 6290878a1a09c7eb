#!/bin/bash
# Build the dkms-c .deb from a copy of the work tree (tracked and untracked,
# not ignored files), so that the repository gets no build outputs.
#   debian/build-deb.sh [OUTDIR]     (default /var/cache/dkms-c-tests/deb)
# Prints the path of the .deb.  Extra dpkg-buildpackage options can be
# given in DPKG_BUILDPACKAGE_OPTS (e.g. "-Pnocheck").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/var/cache/dkms-c-tests/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dkms-c-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
(cd "$top" && git ls-files -z -co --exclude-standard) \
    | (cd "$top" && xargs -0 cp --parents -t "$work/src" 2>/dev/null || true)
cd "$work/src"
nice dpkg-buildpackage -us -uc -b ${DPKG_BUILDPACKAGE_OPTS:-} >&2
rm -f "$out"/dkms-c_*.deb "$out"/dkms-c-dbgsym_*.deb
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
ls "$out"/dkms-c_*.deb
