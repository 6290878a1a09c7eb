#!/bin/bash
# The whole test run: install what is needed, build (warnings are errors),
# run every suite, run the unit and command-line suites again under
# ASan+UBSan, run each libFuzzer harness briefly (suite fuzz, a clang
# build), and print one line "N passed, N failed".
#   scripts/test.sh            everything (system tests included)
#   scripts/test.sh --quick    unit, cli, integration, corpus and fuzz only (no upstream, no system)
set -uo pipefail
cd "$(dirname "$0")/.."

suites=(unit cli integration corpus upstream system)
setup_args=(--system)
if [ "${1:-}" = --quick ]; then suites=(unit cli integration corpus); setup_args=(); fi

./scripts/setup-deps.sh "${setup_args[@]}" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

status=0
build() { # dir, extra meson args...
    local dir=$1; shift
    if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
    else meson setup "$dir" "$@" >/dev/null; fi && meson compile -C "$dir"
}
build build -Dwerror=true || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
build build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    || { echo "sanitizer build failed"; echo "0 passed, 1 failed"; exit 1; }
[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null
build build-fuzz -Dwerror=true || { echo "fuzz build failed"; echo "0 passed, 1 failed"; exit 1; }

sargs=(); for s in "${suites[@]}"; do sargs+=(--suite "$s"); done
meson test -C build --print-errorlogs "${sargs[@]}" || status=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C build-san --print-errorlogs --suite unit --suite cli || status=1
meson test -C build-fuzz --print-errorlogs --suite fuzz || status=1

python3 - build/meson-logs/testlog.json build-san/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        f += 1
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"): p += 1
        elif r == "SKIP": s += 1
        else: f += 1
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
