#!/usr/bin/env bash
# check_report.sh REPORT.html [OUT_DIR] — open an llm-efficiency HTML report
# in Debian's headless Chromium (no network: the page must be self-contained)
# and check what a person would see:
#   1. the page ran: body has data-lle-charts (set by the report script when
#      every section drew) and no errors were recorded (window errors and
#      console.error, mirrored into data-lle-errors / data-lle-error-text);
#      Chromium's own log has no "Uncaught" line;
#   2. at least MIN_CHARTS charts (env, default 1) and every chart has data
#      points (data-lle-points: one count per chart, all > 0);
#   3. a screenshot (OUT_DIR/report.png) is not blank: the standard deviation
#      of its grey levels is above 10 and it has more than 16 distinct colours.
# Prints one line per failed check; exits 0 when all pass, 1 otherwise,
# 2 when Chromium is missing (install it: scripts/deps.sh).
set -uo pipefail
report="${1:?usage: check_report.sh REPORT.html [OUT_DIR]}"
out="${2:-$(mktemp -d)}"
min_charts="${MIN_CHARTS:-1}"
chrome="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chrome" ] || { echo "check_report: $chrome not found (apt-get install chromium)"; exit 2; }
mkdir -p "$out"
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars
       --virtual-time-budget=8000 --window-size=1280,2200)
fail=0
bad() { echo "check_report: $*"; fail=1; }

timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$out/profile-dom" --enable-logging=stderr --v=0 \
    --dump-dom "$url" >"$out/dom.html" 2>"$out/chromium-dom.log"
timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$out/profile-shot" --screenshot="$out/report.png" \
    "$url" >/dev/null 2>"$out/chromium-shot.log"

attr() { sed -n "s/.*<body[^>]* $1=\"\([^\"]*\)\".*/\1/p" "$out/dom.html" | head -1; }
charts="$(attr data-lle-charts)"
points="$(attr data-lle-points)"
errors="$(attr data-lle-errors)"
[ -n "$charts" ] || bad "the report script did not finish (no data-lle-charts on <body>); see $out/chromium-dom.log"
[ "${errors:-x}" = 0 ] || bad "page errors: ${errors:-?}: $(attr data-lle-error-text)"
if grep -q "Uncaught" "$out/chromium-dom.log"; then bad "uncaught error: $(grep -m1 Uncaught "$out/chromium-dom.log")"; fi
if [ -n "$charts" ]; then
    [ "$charts" -ge "$min_charts" ] || bad "$charts charts, want at least $min_charts"
    IFS=, read -r -a counts <<<"$points"
    [ "${#counts[@]}" = "$charts" ] || bad "${#counts[@]} point counts for $charts charts"
    for i in "${!counts[@]}"; do
        [ "${counts[$i]}" -gt 0 ] || bad "chart $((i + 1)) has no data points"
    done
fi
[ -s "$out/report.png" ] || bad "no screenshot"
if [ -s "$out/report.png" ]; then
    stats="$(python3 "$(dirname "$0")/png_stats.py" "$out/report.png")" || bad "cannot read the screenshot"
    read -r std colours <<<"$stats"
    python3 -c "import sys; sys.exit(0 if float('$std') > 10 and int('$colours') > 16 else 1)" ||
        bad "screenshot looks blank: grey std $std, $colours colours"
fi
[ "$fail" = 0 ] && echo "check_report: ok: $charts charts, points $points, screenshot $out/report.png (grey std $std, $colours colours)"
exit "$fail"
