#!/usr/bin/env bash
# `make check-asan`: configure and build the whole tree with ASan + UBSan (+ LSan)
# in a separate build directory (default build-asan, cmake/Sanitizers.cmake), run
# the full ctest suite there, and fail if any sanitizer wrote a report. Reports go
# to $BUILD/sanitizer-logs/ (ASan/LSan log_path) and every report aborts (exit
# 134), because a report in a CLI test that expects a non-zero exit would
# otherwise be masked by the expected failure. Usage: scripts/check_asan.sh [build-dir] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-asan}; shift || true
JOBS=${JOBS:-2}
[ -f third_party/llama/config.cmake ] || bash scripts/deps.sh
[ -f "$BUILD/CMakeCache.txt" ] || cmake -C cmake/Sanitizers.cmake -S . -B "$BUILD" > /dev/null
cmake --build "$BUILD" -j "$JOBS"
LOGS="$(pwd)/$BUILD/sanitizer-logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"
# verify_asan_link_order=0: tests/cli/test_measure.sh links examples/energy_meter.c, built
# without -fsanitize, against the instrumented liblle (libasan then loads as its dependency).
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$LOGS/asan"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/sanitizers/lsan.supp:print_suppressions=0"
# UBSan (in ASan mode) ignores log_path and prints to stderr; abort_on_error makes any
# report exit 134, which no test expects, so it fails the test even where a non-zero
# exit is expected.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
rc=0
(cd "$BUILD" && ctest --output-on-failure --no-tests=error -j 1 "$@") || rc=$?
if compgen -G "$LOGS/*" > /dev/null; then
    echo "check-asan: sanitizer reports:" >&2
    for f in "$LOGS"/*; do echo "==== $f" >&2; cat "$f" >&2; done
    rc=1
fi
[ "$rc" -eq 0 ] && echo "check-asan: all tests passed, no sanitizer reports"
exit "$rc"
