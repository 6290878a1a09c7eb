#!/bin/bash
# docs/exit-codes.md and src/exitcode.h name the same exit codes with the
# same numbers, so the hooks' documentation cannot drift from the code.
. "$(dirname "$0")/../lib.sh"
hdr=$SRCDIR/src/exitcode.h doc=$SRCDIR/docs/exit-codes.md
from_header=$(sed -n 's/^\t\(EX_[A-Z_]*\) = \([0-9]*\),.*/\2 \1/p' "$hdr" | sort)
from_doc=$(sed -n 's/^| \([0-9]*\) | `\(EX_[A-Z_]*\)` |.*/\1 \2/p' "$doc" | sort)
[ "$(wc -l <<<"$from_header")" -ge 20 ] || fail "too few codes read from $hdr"
[ "$from_header" = "$from_doc" ] ||
    fail "exit codes differ between $hdr and $doc: $(diff <(echo "$from_header") <(echo "$from_doc"))"
# every name the code uses is declared (the compiler checks) and every
# declared name is documented above; the hooks' success codes are there
grep -q '^| 77 | `EX_EXCLUDED`' "$doc" || fail "77 is not documented"
echo "exit codes documented: $(wc -l <<<"$from_header")"
