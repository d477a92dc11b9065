#!/usr/bin/env bash
# test_measure.sh — `llm-efficiency measure -- CMD` end to end: the command's
# exit status passed through (codes, signals, not found), the result document
# (estimates labelled, never measured; totals kept apart; carbon), storage
# (JSON file, database row, time series rows, CSV), the idle baseline and its
# cache, bad input (exit 2, one line), and the readers behind it: a fake
# RAPL tree whose counters never move, energy_uj readable by root only (the
# fix is printed and the estimate used), and the fake NVML library.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
R="$TMP/results"
# Deterministic sources: nothing real is read, so results do not depend on the host.
export LLE_POWERCAP_ROOT="$TMP/no-powercap" LLE_PERF_SYSFS_ROOT="$TMP/no-perf"
export LLE_NVML_LIBRARY="$TMP/no-nvml.so" LLE_AMDSMI_LIBRARY="$TMP/no-amdsmi.so"
export LLE_DATA_DIR="$LLE_SRC/data" LLE_CACHE_DIR="$TMP/cache"
M=("$BIN" measure --idle-baseline 0 --interval 0.01)

# --- exit status passed through --------------------------------------------------------
check_exit 0 "true" -- "${M[@]}" --no-save -- true
check_exit 3 "exit 3 passed through" -- "${M[@]}" --no-save -- sh -c 'exit 3'
check_exit 137 "SIGKILL -> 128+9" -- "${M[@]}" --no-save -- sh -c 'kill -9 $$'
check_exit 127 "command not found" -- "${M[@]}" --no-save -- no-such-command-lle
check_true "not found: one error line" test "$(grep -c . "$TMP/err")" = 1
check_true "not found: names the command" grep -q "no-such-command-lle" "$TMP/err"

# --- the document ---------------------------------------------------------------------------
check_exit 0 "json" -- "${M[@]}" --json --results-dir "$R" --timeseries "$TMP/ts.csv" -o "$TMP/doc.json" -- sleep 0.3
cp "$TMP/out" "$TMP/m.json"
check_true "-o file = stdout" test "$(jq -S . "$TMP/doc.json")" = "$(jq -S . "$TMP/m.json")"
check_usage_error "-o into a missing directory" "no-dir" -- "${M[@]}" --no-save -o "$TMP/no-dir/x.json" -- true
J="$TMP/m.json"
check_true "kind measure" test "$(jq -r .kind "$J")" = measure
check_true "argv recorded" test "$(jq -c .command.argv "$J")" = '["sleep","0.3"]'
check_true "exit code recorded" test "$(jq .command.exit_code "$J")" = 0
check_true "duration >= 0.3 s" test "$(jq '.energy.window.duration_s >= 0.3' "$J")" = true
check_true "wall_s = window" test "$(jq '.metrics.wall_s == .energy.window.duration_s' "$J")" = true
check_true "estimates only here" test "$(jq -r .energy.total.method "$J")" = estimated
check_true "estimates labelled estimated" test "$(jq '[.energy.window.sources[] | select(.kind == "estimate") | .method == "estimated"] | all' "$J")" = true
check_true "nothing measured claimed" test "$(jq '[.energy.window.sources[] | select(.method == "measured")] | length' "$J")" = 0
check_true "every source says how" test "$(jq '[.energy.window.sources[] | .how | length > 10] | all' "$J")" = true
check_true "per-source fields" test "$(jq '[.energy.window.sources[] | has("energy_j") and has("avg_power_w") and has("peak_power_w") and has("method") and has("source")] | all' "$J")" = true
check_true "measured_j 0, estimated_j = total" test "$(jq '.energy.total | .measured_j == 0 and (.estimated_j - .energy_j | fabs) < 1e-9' "$J")" = true
check_true "carbon = kWh x 475" test "$(jq '.energy.carbon | ((.g_co2e - .kwh * 475) | fabs) < 1e-12' "$J")" = true
check_true "rapl unavailable, with the reason" test "$(jq '[.energy.unavailable[] | select(.kind == "rapl")] | length' "$J")" -ge 1
check_true "sampler cost reported" test "$(jq '.energy.sampler.samples > 0 and .energy.sampler.thread_cpu_s >= 0' "$J")" = true
id=$(jq -r .id "$J")
check_true "result file saved" test -f "$R/$id.json"
db="$R/results.db"
check_true "db row" test "$(sqlite3 "$db" "select count(*) from experiments where id='$id'")" = 1
check_true "db status" test "$(sqlite3 "$db" "select status from experiments where id='$id'")" = completed
check_true "db timeseries power rows" test "$(sqlite3 "$db" "select count(*) from timeseries where experiment_id='$id' and metric='power_w'")" -gt 0
check_true "db timeseries cpu rows" test "$(sqlite3 "$db" "select count(*) from timeseries where experiment_id='$id' and source='sys:cpu'")" -gt 0
check_true "csv header" test "$(head -1 "$TMP/ts.csv")" = "t_s,source,metric,value"
check_true "csv has estimate power" grep -q ",estimate:cpu,power_w," "$TMP/ts.csv"
check_true "no temp files" test -z "$(find "$R" -name '*.tmp*')"

# --- carbon and table ----------------------------------------------------------------------
check_exit 0 "carbon FRA" -- "${M[@]}" --json --no-save --carbon-intensity FRA --pue 1.2 -- true
check_true "FRA intensity" test "$(jq '.energy.carbon.intensity_g_per_kwh' "$TMP/out")" = 56.039
check_true "pue recorded" test "$(jq '.energy.carbon.pue' "$TMP/out")" = 1.2
check_exit 0 "table" -- "${M[@]}" --no-save -- true
check_true "table names the method" grep -q "estimated" "$TMP/err"
check_true "table gives totals apart" grep -q "measured 0.000 J + estimated" "$TMP/err"

# --- idle baseline and cache -----------------------------------------------------------------
B=("$BIN" measure --interval 0.02 --idle-baseline 0.3 --json --no-save)
check_exit 0 "baseline measured" -- "${B[@]}" -- sleep 0.1
check_true "baseline origin measured" test "$(jq -r .energy.baseline.origin "$TMP/out")" = measured
check_true "net = gross - idle x duration" test "$(jq '.energy.window as $w | [$w.sources[] | ((.net_energy_j - (.energy_j - .idle_power_w * $w.duration_s)) | fabs) < 1e-9] | all' "$TMP/out")" = true
check_true "baseline cached" test -f "$TMP/cache/energy-baseline.json"
check_exit 0 "baseline from cache" -- "${B[@]}" -- true
check_true "baseline origin cache" test "$(jq -r .energy.baseline.origin "$TMP/out")" = cache
check_exit 0 "baseline refreshed" -- "${B[@]}" --refresh-baseline -- true
check_true "baseline origin measured again" test "$(jq -r .energy.baseline.origin "$TMP/out")" = measured

# --- bad input --------------------------------------------------------------------------------
check_usage_error "no command" "no command" -- "$BIN" measure --no-save
check_usage_error "interval too short" "--interval" -- "$BIN" measure --interval 0.001 -- true
check_usage_error "bad carbon region" "Atlantis" -- "$BIN" measure --carbon-intensity Atlantis -- true
check_usage_error "bad pue" "--pue" -- "$BIN" measure --pue 0.5 -- true
check_usage_error "unknown source kind" "tachyon" -- "$BIN" measure --sources rapl,tachyon -- true
check_usage_error "unknown option" "--frobnicate" -- "$BIN" measure --frobnicate -- true
check_exit 0 "help" -- "$BIN" measure --help
check_true "help names --idle-baseline" grep -q -- "--idle-baseline" "$TMP/out"

# --- a RAPL tree whose counters never move (a VM's PMU): dropped, estimates used -------------
P="$TMP/powercap"
mkdir -p "$P/intel-rapl:0"
echo package-0 > "$P/intel-rapl:0/name"
echo 262143328850 > "$P/intel-rapl:0/max_energy_range_uj"
echo 1000000 > "$P/intel-rapl:0/energy_uj"
check_exit 0 "stuck rapl" -- env LLE_POWERCAP_ROOT="$P" "${M[@]}" --json --no-save -- true
check_true "stuck counter reported" test "$(jq '[.energy.unavailable[] | select(.id == "rapl:package-0" and (.status | test("did not change")))] | length' "$TMP/out")" = 1
check_true "stuck: estimate used" test "$(jq -r .energy.total.method "$TMP/out")" = estimated

# --- energy_uj readable by root only: the fix is printed, the estimate used ------------------
chmod 755 "$TMP" "$P" "$P/intel-rapl:0"
chmod 0400 "$P/intel-rapl:0/energy_uj"
if [ "$(id -u)" = 0 ]; then UNPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups); else UNPRIV=(); fi
check_exit 0 "root-only energy_uj" -- env LLE_POWERCAP_ROOT="$P" HOME="$TMP" "${UNPRIV[@]}" "${M[@]}" --no-save -- true
check_true "permission denied named" grep -q "Permission denied" "$TMP/err"
check_true "chmod fix printed" grep -q "chmod o+r" "$TMP/err"
check_true "perf fix printed" grep -q "cap_perfmon" "$TMP/err"
check_true "estimate used instead" grep -q "estimate:cpu" "$TMP/err"

# --- the fake NVML library: a measured GPU next to estimated CPU/RAM -------------------------
printf 'gpus 1\nname NVIDIA Fake H100\np 0 200\np 100 200\n' > "$TMP/trace"
check_exit 0 "fake nvml" -- env LLE_NVML_LIBRARY="$LLE_FAKE_NVML" LLE_FAKE_NVML_TRACE="$TMP/trace" \
    "${M[@]}" --json --no-save -- sleep 0.3
check_true "gpu measured" test "$(jq -r '.energy.window.sources[] | select(.source == "nvml:0") | .method' "$TMP/out")" = measured
check_true "gpu ~200 W" test "$(jq '.energy.window.sources[] | select(.source == "nvml:0") | (.avg_power_w - 200 | fabs) < 5' "$TMP/out")" = true
check_true "mixed total" test "$(jq -r .energy.total.method "$TMP/out")" = mixed
check_true "measured_j is the gpu" test "$(jq '.energy as $e | ($e.total.measured_j - ([$e.window.sources[] | select(.kind == "nvml") | .energy_j] | add) | fabs) < 1e-9' "$TMP/out")" = true

# --- the meter API through the installed library and header (examples/energy_meter.c) --------
PFX="$TMP/prefix"
check_exit 0 "install" -- cmake --install "$LLE_BUILD_DIR" --prefix "$PFX"
check_true "energy header installed" test -f "$PFX/include/lle/energy.h"
check_exit 0 "example compiles" -- cc -std=c11 -Wall -Wextra -Werror -I"$PFX/include" "$LLE_SRC/examples/energy_meter.c" \
    -o "$TMP/energy_meter" -L"$PFX/lib" -llle -lm -Wl,-rpath,"$PFX/lib"
check_exit 0 "example runs" -- "$TMP/energy_meter" 0.2
check_true "example reports the whole window" grep -q "^whole: " "$TMP/out"
check_true "example reports the nested window" grep -q "^second half: " "$TMP/out"
check_true "example labels estimates" grep -q "estimate:cpu  *estimated" "$TMP/out"
finish
