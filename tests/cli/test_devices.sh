#!/usr/bin/env bash
# test_devices.sh — the `devices` subcommand (alias `doctor`) through the real
# binary: the report as JSON and text with and without a cached calibration,
# a quick calibration (LLE_CALIBRATE_QUICK=1: tiny shapes) that leaves exactly
# one cache file, keys (thread count, workload) that miss, a corrupt cache
# file that is reported and replaced, and every bad flag (exit 2, one line).
# Needs $LLE_BIN; uses its own cache directory under $TMP.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${LLE_BIN:?set LLE_BIN to the llm-efficiency binary}"
BIN="$LLE_BIN"
export LLE_CACHE_DIR="$TMP/cache"
unset LLE_CALIBRATE_QUICK
CAL="$LLE_CACHE_DIR/calibration"
jqt() { jq -e "$@" >/dev/null; } # jq as a test: exit status only

# --- help ----------------------------------------------------------------------------
check_exit 0 "devices --help" -- "$BIN" devices --help
check_true "help names --calibrate" grep -q -- '--calibrate' "$TMP/out"
check_exit 0 "top-level help lists devices" -- "$BIN" --help
check_true "help lists devices" grep -q '^  devices' "$TMP/out"

# --- the report without a calibration --------------------------------------------------
check_exit 0 "devices --json" -- "$BIN" devices --json
cp "$TMP/out" "$TMP/none.json"
check_true "json parses" jqt . "$TMP/none.json"
check_true "machine fields" \
    jqt '.machine.cpu_cores >= 1 and (.machine.cpu_model | type == "string") and (.machine.llama_cpp_release | length > 0)' "$TMP/none.json"
check_true "a CPU backend device" jqt '[.backends[] | select(.type == "cpu")] | length >= 1' "$TMP/none.json"
check_true "backend fields" jqt '.backends[0] | has("name") and has("description") and has("memory_total_bytes")' "$TMP/none.json"
check_true "no calibration: found false, age null, peaks unknown" \
    jqt '.calibration.found == false and .calibration.age_s == null and .calibration.peaks.source == "none" and .calibration.peaks.bandwidth_bytes_per_s == null and .calibration.measurement == null' "$TMP/none.json"
check_true "no calibration: the note says why" jqt '.calibration.note | test("no calibration cached")' "$TMP/none.json"
check_true "key: all cores, full workload" \
    jqt ".calibration.key.n_threads == $(nproc) and .calibration.key.workload == \"full\"" "$TMP/none.json"
check_true "energy sources section" jqt '(.energy_sources.sources | type == "array") and (.energy_sources | has("note"))' "$TMP/none.json"
check_exit 0 "doctor alias" -- "$BIN" doctor --json
check_true "doctor gives the same report" \
    test "$(jq -c '.machine, .calibration.found' "$TMP/out")" = "$(jq -c '.machine, .calibration.found' "$TMP/none.json")"
check_exit 0 "devices text" -- "$BIN" devices
check_true "text: machine" grep -q '^machine' "$TMP/out"
check_true "text: says how to calibrate" grep -q 'llm-efficiency devices --calibrate' "$TMP/out"
check_true "text: energy sources" grep -q '^energy sources' "$TMP/out"
check_true "nothing cached by a report" test ! -e "$CAL"

# --- a quick calibration --------------------------------------------------------------
check_exit 0 "quick calibration" -- env LLE_CALIBRATE_QUICK=1 "$BIN" devices --calibrate --threads 1 --json
cp "$TMP/out" "$TMP/cal.json"
check_true "stderr names the cache file" grep -qF "cached in $CAL/peaks-" "$TMP/err"
check_true "exactly one cache file, no temp file" test "$(ls -A "$CAL" | grep -c .)" = 1
check_true "cache file named peaks-<hash>.json" bash -c "ls '$CAL' | grep -qE '^peaks-[0-9a-f]{16}\.json$'"
check_true "cache file is the calibration document" \
    jqt '.schema == "llm-efficiency/calibration" and .key.n_threads == 1 and .key.workload == "quick" and .source == "measured"' "$CAL"/peaks-*.json
check_true "found, with age and source" \
    jqt '.calibration.found == true and .calibration.age_s >= 0 and (.calibration.peaks.source | startswith("calibrated "))' "$TMP/cal.json"
check_true "positive peaks per type" \
    jqt '[.calibration.peaks.flops_per_s[]] | length >= 5 and all(. > 0)' "$TMP/cal.json"
check_true "bandwidth peak is the highest measured" \
    jqt '.calibration.measurement as $m | .calibration.peaks.bandwidth_bytes_per_s == ([$m.bandwidth.stream_read_bytes_per_s.best, $m.bandwidth.stream_copy_bytes_per_s.best] + [$m.types[].decode_bytes_per_s.best] | max)' "$TMP/cal.json"
check_true "best >= median everywhere" \
    jqt '[.calibration.measurement.types[] | .prefill_flops_per_s, .decode_bytes_per_s | .best >= .median] | all' "$TMP/cal.json"
check_exit 0 "report shows the cached quick peaks" -- env LLE_CALIBRATE_QUICK=1 "$BIN" devices --threads 1
check_true "text: calibrated" grep -q 'source *calibrated ' "$TMP/out"
check_true "text: quick is flagged" grep -q 'not real peaks' "$TMP/out"
check_true "text: a q4_K row" grep -qE '^  q4_K +[A-Z_|]+ +[0-9.]+' "$TMP/out"

# --- other keys miss --------------------------------------------------------------------
check_exit 0 "another thread count" -- env LLE_CALIBRATE_QUICK=1 "$BIN" devices --threads 2 --json
check_true "2 threads: not found" jqt '.calibration.found == false' "$TMP/out"
check_exit 0 "the full workload" -- "$BIN" devices --threads 1 --json
check_true "full: quick peaks are never used" jqt '.calibration.found == false' "$TMP/out"

# --- a corrupt cache file is reported, then replaced --------------------------------------
F="$(ls "$CAL"/peaks-*.json)"
printf '{"schema": "llm-efficiency/calibration", "schema_version": 1, "key": 5}' >"$F"
check_exit 0 "corrupt cache: report still works" -- env LLE_CALIBRATE_QUICK=1 "$BIN" devices --threads 1 --json
check_true "corrupt cache: note names the file and field" \
    jqt --arg f "$F" '.calibration.found == false and (.calibration.note | contains($f) and contains("key"))' "$TMP/out"
check_exit 0 "recalibrate over it" -- env LLE_CALIBRATE_QUICK=1 "$BIN" -q devices --calibrate --threads 1 --types q8_0
check_true "replaced" jqt '.types | map(.type) == ["q8_0"]' "$F"

# --- bad input: exit 2, one line ------------------------------------------------------------
check_usage_error "unknown flag" "unknown option '--bogus'" -- "$BIN" devices --bogus
check_usage_error "stray argument" "unexpected argument 'gpu'" -- "$BIN" devices gpu
check_usage_error "threads 0" '--threads: 0 is out of range' -- "$BIN" devices --threads 0
check_usage_error "threads not a number" "--threads: 'two'" -- "$BIN" devices --threads two
check_usage_error "threads missing value" '--threads: a number is required' -- "$BIN" devices --threads
check_usage_error "types without calibrate" '--types only applies with --calibrate' -- "$BIN" devices --types q4_0
check_usage_error "types empty" '--types: a comma-separated list' -- "$BIN" devices --calibrate --types=
check_usage_error "unknown type" "unknown ggml type 'q9_9'" -- \
    env LLE_CALIBRATE_QUICK=1 "$BIN" -q devices --calibrate --types q4_0,q9_9
check_true "a failed calibration caches nothing new" test "$(ls -A "$CAL" | grep -c .)" = 1

finish
