#!/bin/bash
# The whole life of a one-module driver on both kernels: add, build,
# install, status, uninstall, unbuild, remove (-k and --all), both ways of
# naming the module, and add from a source directory.
. "$(dirname "$0")/helpers.sh"
need_dkms
need_headers "$K61" "$K612"
lifecycle hello-1.0 full hello
