#!/bin/bash
# A short run of one libFuzzer harness, as a test of the suite `fuzz`:
#   tests/fuzz/run.sh HARNESS SEEDS [libFuzzer options...]
# The committed seeds are only read: new inputs go to a scratch corpus.
# The input of a crash is kept next to the harness, in fuzz-artifacts/.
# Any failure of libFuzzer (a crash, a leak, a violated property, a
# timeout, memory exhausted) fails the test.
set -u
harness=$(realpath "$1") seeds=$(realpath "$2")
shift 2
name=$(basename "$harness")
# absolute paths: a harness may change its working directory
artifacts=$(dirname "$harness")/fuzz-artifacts
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$harness" -error_exitcode=1 -timeout_exitcode=1 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$@" "$work" "$seeds"
rc=$?
if [ $rc -ne 0 ]; then
    echo "$name failed (exit $rc); its input is in $artifacts/"
    exit 1
fi
