#!/bin/bash
# The quick corpus subset (three small real drivers from Debian bookworm),
# run through the reference and through ours with tests/corpus/run.sh;
# fails on any step whose exit code or result differs.
. "$(dirname "$0")/../lib.sh"

need_ref
[ -x "$DKMS" ] || skip "dkms binary not found at $DKMS"
need_headers "$K61" "$K612"
[ "$(id -u)" = 0 ] || skip "needs root (apt-get download, a private mount namespace)"

out=$(mktemp -d "${TMPDIR:-/tmp}/dkms-corpus-quick.XXXXXX")
at_exit "rm -rf $(printf %q "$out")"
rc=0
DKMS=$DKMS REF_DKMS=$REF_DKMS K61=$K61 K612=$K612 \
    "$SRCDIR/tests/corpus/run.sh" --quick --out "$out" || rc=$?
case $rc in
    0) cat "$out/results.tsv"; exit 0 ;;
    2) skip "corpus could not be set up (packages not downloadable?)" ;;
esac
echo "Disagreements:" >&2
awk -F'\t' 'NR > 1 && ($6 == "no" || $7 == "no")' "$out/results.tsv" >&2
fail "the quick corpus disagrees with the reference (see above)"
