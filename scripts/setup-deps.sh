#!/bin/bash
# Install everything needed to build dkms-c and run its tests on Debian
# bookworm, and extract the reference dkms (Debian's 3.0.10) next to it for
# differential tests.  Idempotent; run as root.
set -euo pipefail

KERNELS=${DKMS_TEST_KERNELS:-"6.1.0-56-amd64 6.12.117+deb12-amd64"}
REF_ROOT=${DKMS_REF_ROOT:-/opt/dkms-ref}

pkgs=(meson ninja-build pkg-config gcc make libc6-dev libcmocka-dev
      libkmod-dev kmod libarchive-dev liblzma-dev libzstd-dev zlib1g-dev
      libssl-dev nettle-dev openssl bash patch xz-utils zstd gzip file binutils
      bc flex bison libelf-dev python3 diffutils bubblewrap
      clang libclang-rt-14-dev    # the libFuzzer harnesses (tests/fuzz)
      gcc-11                      # a gcc other than the kernel's (tests/integration/compiler-choice)
      ccache distcc icecc         # compiler_launcher (tests/integration/launcher-*)
      zsh)                        # the zsh completion (tests/cli/completion-zsh)
for k in $KERNELS; do pkgs+=("linux-headers-$k"); done
# --bench: what bench/ measures with (perf stat, strace)
[ "${1:-}" = --bench ] && pkgs+=(linux-perf strace)
# --system: debootstrap roots (tests/system/apt, rpm, pacman), QEMU boots
# (tests/system/boot), building our .deb (debian/) and RPM (rpm/); pacman,
# makepkg and bsdtar (which Debian's makepkg uses without depending on it)
# for tests/system/pacman; dnf and createrepo_c for tests/system/rpm.
[ "${1:-}" = --system ] && pkgs+=(debootstrap qemu-system-x86 busybox-static cpio debhelper dpkg-dev fakeroot rpm git
                                 pacman-package-manager makepkg libarchive-tools dnf createrepo-c)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$REF_ROOT/usr/sbin/dkms" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq dkms 2>/dev/null || { apt-get update -qq && apt-get download -qq dkms; })
    mkdir -p "$REF_ROOT"
    dpkg -x "$tmp"/dkms_*.deb "$REF_ROOT"
    rm -rf "$tmp"
fi
