#!/usr/bin/env bash
# lib.sh — tiny assertion helpers shared by the CLI tests. Each test script
# sources this, calls the check_* functions, then `finish`, which prints
# "N passed, M failed" and exits non-zero when anything failed.
PASSED=0
FAILED=0
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

ok()   { PASSED=$((PASSED + 1)); }
bad()  { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }

# check_exit WANT DESC -- CMD...   (stdout -> $TMP/out, stderr -> $TMP/err)
check_exit() {
    local want="$1" desc="$2"; shift 3
    local got=0
    "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$desc: exit $got, want $want; stderr: $(head -c 400 "$TMP/err")"; fi
}

# check_usage_error DESC PATTERN -- CMD...  exit 2, one stderr line matching PATTERN
check_usage_error() {
    local desc="$1" pat="$2"; shift 3
    check_exit 2 "$desc" -- "$@"
    local lines
    lines=$(grep -c . "$TMP/err" || true)
    if [ "$lines" != 1 ]; then bad "$desc: want one error line, got $lines: $(cat "$TMP/err")"; else ok; fi
    if grep -qE -- "$pat" "$TMP/err"; then ok; else bad "$desc: stderr lacks /$pat/: $(cat "$TMP/err")"; fi
}

check_true() { # DESC CMD...
    local desc="$1"; shift
    if "$@"; then ok; else bad "$desc"; fi
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
