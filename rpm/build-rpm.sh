#!/bin/bash
# Build the dkms-c RPM with rpmbuild from a source tarball of the work tree
# (tracked and untracked, not ignored files), in a private %_topdir, so that
# neither the repository nor ~/rpmbuild gets build outputs.
#   rpm/build-rpm.sh [OUTDIR]     (default /var/cache/dkms-c-tests/rpm)
# Prints the path of the binary .rpm (the source .rpm is put next to it).
# Extra rpmbuild options can be given in RPMBUILD_OPTS (e.g. "--nocheck").
# On a system whose own packages are not in rpm's database (Debian, where
# rpmbuild would find none of the build dependencies) --nodeps is added.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/var/cache/dkms-c-tests/rpm}
spec=$top/rpm/dkms-c.spec

# The tarball is named after the project's version, which the spec must
# carry too.
version=$(sed -n "s/^[[:space:]]*version:[[:space:]]*'\([^']*\)'.*/\1/p" "$top/meson.build" | head -n 1)
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
if [ "$version" != "$spec_version" ]; then
    echo "rpm/dkms-c.spec has Version $spec_version, meson.build has $version" >&2
    exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dkms-c-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SOURCES" "$work/src/dkms-c-$version"
(cd "$top" && git ls-files -z -co --exclude-standard) \
    | (cd "$top" && xargs -0 cp --parents -t "$work/src/dkms-c-$version" 2>/dev/null || true)
tar -C "$work/src" --owner=0 --group=0 -czf "$work/SOURCES/dkms-c-$version.tar.gz" "dkms-c-$version"

opts=()
if command -v dpkg >/dev/null 2>&1 && ! rpm -q rpm >/dev/null 2>&1; then
    echo "build-rpm.sh: rpm's database does not know this system's packages: rpmbuild --nodeps" >&2
    opts+=(--nodeps)
fi
# shellcheck disable=SC2086
nice rpmbuild -ba "${opts[@]}" ${RPMBUILD_OPTS:-} \
    --define "_topdir $work" --define "_tmppath $work/tmp" "$spec" >&2

rm -f "$out"/dkms-c-*.rpm
mv "$work"/RPMS/*/dkms-c-*.rpm "$work"/SRPMS/dkms-c-*.src.rpm "$out"/
for f in "$out/dkms-c-$version"-*.rpm; do
    case $f in *.src.rpm) ;; *) echo "$f" ;; esac
done
