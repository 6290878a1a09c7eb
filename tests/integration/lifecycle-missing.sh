#!/bin/bash
# make succeeds but one module declared in dkms.conf (BUILT_MODULE_NAME[1])
# is never produced: build and install exit 7 and nothing is kept or
# installed, not even the module that was produced.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
never_builds missing-1.0 7
