#!/bin/bash
# Lifecycle of a package with two modules: one built in a subdirectory
# (BUILT_MODULE_LOCATION), one installed under another name
# (DEST_MODULE_NAME).
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
lifecycle twomod-1.0 basic twomod_core twomod_extra
