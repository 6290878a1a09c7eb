#!/bin/bash
# The main job on the bundled example driver: install what is needed,
# build dkms, then register examples/edu-dkms and build and install it for
# every kernel on this machine that has headers, in a throwaway root
# (default /tmp/dkms-demo; the machine's own /var/lib/dkms, /usr/src and
# /lib/modules are not touched), and show `dkms status`.
#   DEMO_ROOT=/some/dir scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${DEMO_ROOT:-/tmp/dkms-demo}

./scripts/setup-deps.sh
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
meson compile -C build >/dev/null
DKMS=$PWD/build/dkms

rm -rf "$ROOT"
mkdir -p "$ROOT/var/lib/dkms" "$ROOT/usr/src" "$ROOT/lib/modules"
dk() { "$DKMS" --dkmstree "$ROOT/var/lib/dkms" --sourcetree "$ROOT/usr/src" --installtree "$ROOT/lib/modules" "$@"; }

kernels=()
for b in /lib/modules/*/build; do
    [ -e "$b/include" ] || continue
    k=${b%/build}; k=${k##*/}
    kernels+=("$k")
    mkdir -p "$ROOT/lib/modules/$k"
done
[ ${#kernels[@]} -gt 0 ] || { echo "No kernel headers found under /lib/modules/*/build." >&2; exit 1; }

echo "== dkms add examples/edu-dkms"
dk add examples/edu-dkms
rc=0
for k in "${kernels[@]}"; do
    echo "== dkms install edu/1.0 -k $k"
    dk install edu/1.0 -k "$k" || rc=$?
done
echo "== dkms status"
dk status
echo
for k in "${kernels[@]}"; do
    for f in "$ROOT/lib/modules/$k/updates/dkms/"edu.ko*; do
        [ -e "$f" ] && echo "$f: vermagic $(modinfo -F vermagic "$f")"
    done
done
echo "State tree: $ROOT/var/lib/dkms   installed modules: $ROOT/lib/modules"
exit $rc
