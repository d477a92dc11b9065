#!/usr/bin/env bash
# test_results_report.sh — `results report` on the fixed database: one
# self-contained file (no http(s) or other external references), then
# tests/report/check_report.sh opens it in headless Chromium: the page loads
# without errors, every chart has data points (window.__lleReport via body
# attributes), and the screenshot is not blank. Chromium comes from
# scripts/deps.sh (Debian's chromium package).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
R="$TMP/results"
"$LLE_BUILD_DIR/tests/test_results" --make-db "$R" || { echo "FAIL: fixture database"; exit 1; }

check_exit 0 "report" -- "$BIN" results report --results-dir "$R" -o "$TMP/report.html"
check_true "report written" test -s "$TMP/report.html"
check_true "self-contained: no external URL, no src/href to files" bash -c \
    "! grep -Eo '(src|href)=\"[^#\"][^\"]*\"' '$TMP/report.html' | grep -q . && ! grep -q '<link' '$TMP/report.html'"
check_true "uPlot inlined" grep -q "uPlot" "$TMP/report.html"
# 4 factor charts (2 factors x J/token, tok/s), 3 latency, 6 power (first page), 1 Pareto
MIN_CHARTS=14 check_true "opens in Chromium: no errors, every chart has points, screenshot not blank" \
    bash "$LLE_SRC/tests/report/check_report.sh" "$TMP/report.html" "$TMP/check"
check_exit 0 "campaign report" -- "$BIN" results report --results-dir "$R" --campaign camp-b1 -o "$TMP/b1.html"
check_true "campaign report lists its 6 runs" grep -q "6 experiments from" "$TMP/b1.html"
check_usage_error "report of a missing database" "no results database" -- "$BIN" results report \
    --results-dir "$TMP/none" -o "$TMP/x.html"
check_true "no half-written report" test ! -e "$TMP/x.html"
check_true "missing chart library is named" bash -c "LLE_UPLOT_DIR=/nonexistent '$BIN' results report \
    --results-dir '$R' -o '$TMP/y.html' 2>&1 >/dev/null | grep -q 'uPlot'"
finish
