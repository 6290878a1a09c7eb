#!/bin/bash
# Lifecycle of a driver whose dkms.conf is a bash program (case on
# $kernelver, backticks, $(...), arithmetic, a function, sort -V, arrays
# filled in a loop, a grep of the kernel's .config).  The module refuses to
# compile unless dkms.conf computed its values for the target kernel, and
# records them in its modinfo.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"

check_values() {
    local k f
    for k in "$K61" "$K612"; do
        f=$T/lib/modules/$k/updates/dkms/shellconf_main$(ko_suffix "$k")
        case $k in
            6.1.*)  assert_eq "series on $k" "$(modinfo -F series "$f")" old
                    assert_eq "api on $k" "$(modinfo -F api "$f")" 601 ;;
            6.12.*) assert_eq "series on $k" "$(modinfo -F series "$f")" new
                    assert_eq "api on $k" "$(modinfo -F api "$f")" 612 ;;
        esac
    done
}
LIFECYCLE_CHECK=check_values
lifecycle shellconf-1.0 basic shellconf_main shellconf_aux
