#!/bin/bash
# A driver that compiles on no kernel: build and install exit 10, the
# module stays "added", nothing is installed, and remove clears it.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
never_builds broken-1.0 10
