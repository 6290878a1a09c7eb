#!/bin/bash
# System test: dnf, as on Fedora, installs our RPM in place of the
# distribution's dkms and installs and removes a kernel, which drives our
# dkms through its kernel-install plugin (hooks/40-dkms.install.in).
#
# What is real: dnf and rpm (Debian's dnf 4 and rpm 4.18, run on this machine
# with --installroot: rpm chroots into the root for every scriptlet), two
# local repositories made with createrepo_c, our RPM (rpm/dkms-c.spec), the
# kernel and kernel-devel RPMs laid out as Fedora's with Fedora's scriptlets
# (kernel-install add in %posttrans, remove in %preun; built from Debian's
# $K61 packages, tests/system/rpm/kernel.spec), systemd's kernel-install in
# the root, and module builds against those headers.
# What stands in: the root is Debian bookworm's (tests/system/apt/chroot-lib.sh,
# the same base as rpm-kernels.sh), whose own packages are in dpkg's
# database, not rpm's; the distribution's dkms is tests/system/rpm/dkms-stub.spec
# (in two versions: 3.0.10, which ours obsoletes, and a newer one, as
# Fedora's is, which it conflicts with); and debian-root, an RPM this test
# makes, provides what the other RPMs require and the root really has --
# each requirement is checked against dpkg's database in the root first
# (a command's package installed, a file owned by a package, a shared
# library with the symbol versions asked for) -- so that dnf resolves every
# dependency itself, without --nodeps or --skip-broken.
#
# The repositories, as a Fedora machine with a third-party repository sees
# them:
#   distro   kernel, kernel-devel, dkms 3.0.10 and NEWER, debian-root
#   dkms-c   ours
# dnf runs with no repository configuration but these (reposdir empty), no
# GPG check, no plugins, no weak dependencies (dkms-c recommends
# kernel-devel: the kernel comes when the test says), and no network (its
# own network namespace).  The transactions, and what must hold after each:
#   install dkms-3.0.10 (distro)   the stand-in, debian-root pulled in for /bin/sh
#   install dkms-c                 ours replaces it (Obsoletes), provides dkms
#   (dkms add edu and broken: examples/edu-dkms builds, tests/fixtures/broken-1.0
#    made AUTOINSTALL does not)
#   install kernel kernel-devel    edu built and installed for K and known to
#                                  depmod, broken reported, not installed; the
#                                  transaction succeeds
#   remove kernel kernel-devel     edu and broken unbuilt for K, nothing of K
#                                  left, both still registered
#   remove dkms-c                  our files gone
#   install dkms (distro)          the newer stand-in
#   install dkms-c                 refused: it conflicts with that dkms
#   swap dkms dkms-c               ours replaces it
# Needs root, debootstrap, rpm/rpmbuild, dnf and createrepo_c
# (scripts/setup-deps.sh --system) and the Debian archive this machine's apt
# uses.
#   DKMS_RPM_KERNEL   the Debian kernel to package (default $K61)
#   DKMS_TEST_KEEP=1  keep the root afterwards
. "$(dirname "$0")/../../lib.sh"
. "$SRCDIR/tests/system/apt/chroot-lib.sh"
. "$SRCDIR/tests/system/rpm/rpm-lib.sh"
chroot_need
rpm_need
for p in dnf createrepo_c rpm2cpio cpio readelf; do
    command -v "$p" >/dev/null || skip "$p is not installed (scripts/setup-deps.sh --system)"
done
chroot_enter "$@"

# The root is in memory: it is thrown away.
chroot_in_memory dkms-dnf-test
K=${DKMS_RPM_KERNEL:-$K61}
KO_DIRS="updates/dkms extra"
NEWER=3.2.1            # the newer distribution dkms
driver_src EDU "$SRCDIR/examples/edu-dkms"
driver_src BAD "$SRCDIR/tests/fixtures/broken-1.0"

# -- the RPMs (tests/system/rpm/rpm-lib.sh) --------------------------------------
rpm_packages

step "preparing the root"
chroot_make
L=$(dirname "$R")     # logs, repositories and dnf's home go next to the root
for p in kernel-install gcc make depmod; do
    in_root sh -c "command -v $p" >/dev/null || fail "the root has no $p"
done
# The shared libraries our dkms links that the base root lacks.
rpm_root_libs

# -- debian-root: what the root has, as rpm names it ----------------------------
root_file_owner() { # root_file_owner PATH: the dpkg package owning PATH in the root
    local p=$1 alt
    case $p in /usr/*) alt=${p#/usr} ;; *) alt=/usr$p ;; esac   # (merged /usr)
    { in_root dpkg-query -S "$p" 2>/dev/null || in_root dpkg-query -S "$alt" 2>/dev/null; } |
        grep -v '^diversion' | head -n 1 | cut -d: -f1
}
# root_evidence REQUIREMENT: the Debian package of the root that satisfies
# REQUIREMENT (one of rpm's: a package name, a file, a shared library with
# or without a symbol version, the dynamic linker's hash style); empty when
# the root lacks it.
root_evidence() {
    local req=$1 lib ver path real
    case $req in
        /*) root_file_owner "$req" ;;
        rtld\(GNU_HASH\))
            path=$(in_root readlink -f /lib64/ld-linux-x86-64.so.2) || return 0
            readelf -W -S "$R$path" | grep -q ' .gnu.hash ' && root_file_owner "$path" ;;
        *.so*\(*\)*)
            lib=${req%%(*} ver=${req#*(} ver=${ver%%)*}
            path=$(in_root ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')
            [ -n "$path" ] || return 0
            real=$(in_root readlink -f "$path")
            if [ -n "$ver" ]; then
                readelf -W -V "$R$real" | sed -n '/^Version definition/,/^Version needs/p' |
                    grep -q "Name: $ver\$" || return 0
            fi
            root_file_owner "$path" ;;
        *[\ \<\>=]*) fail "a versioned requirement, '$req': teach this test to compare it with dpkg's version" ;;
        *) in_root dpkg-query -W -f '${db:Status-Status}' "$req" 2>/dev/null | grep -qx installed &&
               echo "$req" ;;
    esac
}
# What the packages require, less rpm's own features and what they provide
# each other.
W=$L/work
mkdir -p "$W"
stub_old=$(rpm_stub "$W/stub-old") || fail "no stand-in dkms package"
stub_new=$(rpm_stub "$W/stub-new" "$NEWER") || fail "no stand-in dkms $NEWER package"
ALL=("$OURS" "${KPKGS[@]}" "$stub_old" "$stub_new")
rpm -qp --provides "${ALL[@]}" | awk '{ print $1 }' | sort -u >"$W/provided"
rpm -qp --requires "${ALL[@]}" | sort -u >"$W/required"
step "checking in the root what the packages require"
provides=()
while IFS= read -r req; do
    case $req in rpmlib\(*) continue ;; esac
    grep -qxF "${req%% *}" "$W/provided" && continue
    deb=$(root_evidence "$req")
    [ -n "$deb" ] || fail "the packages require '$req', which the root lacks (as far as dpkg knows)"
    echo "    $req: $deb"
    provides+=("$req")
done <"$W/required"
{
    echo "Name: debian-root"
    echo "Version: $(cut -d. -f1 "$R/etc/debian_version")"
    echo "Release: 1"
    echo "Summary: What dpkg installed in the root, as rpm names it"
    echo "License: GPL-2.0-or-later"
    echo "BuildArch: noarch"
    echo "AutoReqProv: no"
    for p in "${provides[@]}"; do echo "Provides: $p"; done
    printf '%%description\nThe Debian packages of the root, for the dependencies of dkms-c'"'"'s dnf test.\n'
    printf '%%files\n'
} >"$W/debian-root.spec"
rpmbuild -bb --define "_topdir $W/debian-root" "$W/debian-root.spec" >"$W/debian-root.log" 2>&1 ||
    { tail -n 20 "$W/debian-root.log"; fail "rpmbuild of debian-root failed (log: $W/debian-root.log)"; }

# -- the repositories and dnf ------------------------------------------------------
mkdir -p "$L/repo/distro" "$L/repo/dkms-c" "$L/dnf-home"
cp "${KPKGS[@]}" "$stub_old" "$stub_new" "$W"/debian-root/RPMS/noarch/debian-root-*.rpm "$L/repo/distro/"
cp "$OURS" "$L/repo/dkms-c/"
for r in distro dkms-c; do
    createrepo_c -q "$L/repo/$r" >"$W/createrepo-$r.log" 2>&1 ||
        { cat "$W/createrepo-$r.log"; fail "createrepo_c $L/repo/$r failed"; }
done
# rpm's database where Fedora keeps it (Debian's rpm defaults to ~/.rpmdb).
echo '%_dbpath /var/lib/rpm' >"$L/dnf-home/.rpmmacros"
cat >"$L/dnf.conf" <<'EOF'
[main]
gpgcheck=0
localpkg_gpgcheck=0
install_weak_deps=0
keepcache=0
EOF
NONET=()
if unshare --net true 2>/dev/null; then NONET=(unshare --net --); fi
# dnf_run ARGS...: the machine's dnf on the root with both repositories.
dnf_run() {
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$L/dnf-home" LANG=C.UTF-8 "${NONET[@]}" \
        dnf -y --installroot="$R" --releasever=12 --config="$L/dnf.conf" --noplugins \
        --setopt=reposdir= --setopt=cachedir=/var/cache/dnf \
        --repofrompath="distro,$L/repo/distro" --repofrompath="dkms-c,$L/repo/dkms-c" "$@"
}
# dnf_step NAME ARGS...: dnf_run ARGS, its output in $L/NAME.log and shown;
# fails when dnf fails or a scriptlet failed.
dnf_step() {
    local name=$1 rc=0
    shift
    step "dnf $*"
    dnf_run "$@" >"$L/$name.log" 2>&1 || rc=$?
    sed 's/^/    | /' "$L/$name.log"
    [ "$rc" = 0 ] || fail "dnf $* exited $rc (log: $L/$name.log)"
    # (rpm's warning, dnf's error; the transaction goes on)
    if grep -Eq 'scriptlet failed|Error in [A-Z]* *scriptlet' "$L/$name.log"; then
        fail "dnf $*: a scriptlet failed (log: $L/$name.log)"
    fi
}

# -- the distribution's dkms, then ours in its place ----------------------------
dnf_step install-stub install dkms-3.0.10
expect_pkg dkms-3.0.10 debian-root
dnf_step install-ours install dkms-c
grep -Eq "Obsoleting +: dkms-3\.0\.10-" "$L/install-ours.log" || fail "dnf did not report dkms-c obsoleting dkms-3.0.10"
expect_ours

rpm_add_drivers

# -- the kernel: the plugin builds edu, reports broken ---------------------------
dnf_step install-kernel install kernel kernel-devel
show_status
expect_pkg kernel kernel-devel
expect_kernel_built dnf "$L/install-kernel.log"

# -- the kernel removed: the plugin unbuilds, nothing of K stays ---------------
dnf_step remove-kernel remove kernel kernel-devel
show_status
expect_no_pkg kernel kernel-devel
expect_kernel_gone

# -- ours removed -------------------------------------------------------------------
verify_ours
dnf_step remove-ours remove dkms-c
expect_ours_gone dnf

# -- a newer distribution dkms: dnf swap ----------------------------------------
dnf_step install-newer install --repo=distro dkms
expect_pkg "dkms-$NEWER"
step "dnf install dkms-c (must be refused)"
rc=0
dnf_run install dkms-c >"$L/install-ours-refused.log" 2>&1 || rc=$?
sed 's/^/    | /' "$L/install-ours-refused.log"
[ "$rc" != 0 ] || fail "dnf installed dkms-c next to dkms-$NEWER, which it conflicts with"
grep -q "conflicts with dkms" "$L/install-ours-refused.log" ||
    fail "dnf refused dkms-c, but not for its conflict with dkms (log: $L/install-ours-refused.log)"
expect_pkg "dkms-$NEWER"
expect_no_pkg dkms-c
dnf_step swap swap dkms dkms-c
expect_ours

step "passed"
