#!/usr/bin/env bash
# test_campaign.sh — `run models|controlled|scenarios|grid CONFIG` end to end
# on the synthesised tiny models (2 prompts, 8 input + 2 output tokens, so
# each run is short): every suite runs, the dry run's count equals what runs
# and what is stored, a rerun resumes (does nothing), a changed file is
# detected and refused before anything runs, failures are recorded and
# retried, --fail-fast stops, interleave reuses the loaded model, `run single`
# routes a campaign file, bad flags are usage errors, and the built-in
# scenario table in docs/scenarios.md matches the binary.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
Q8="$LLE_TESTDATA/tiny-q8_0.gguf"
F16="$LLE_TESTDATA/tiny-f16.gguf"
W="$TMP/work"
mkdir -p "$W"
EXP="  engine: {threads: 2}
  workload: {prompts: 2, max_input_tokens: 8, max_output_tokens: 2}"

# db DIR SQL — one value from a results database
db() { sqlite3 "$1/results.db" "$2"; }
# check_counts DESC CONFIG SUITE DIR — dry-run count = stored runs = done journal rows
check_counts() {
    local desc="$1" cfg="$2" suite="$3" dir="$4" planned
    planned=$("$BIN" -q run "$suite" "$cfg" --results-dir "$dir" --dry-run --json | jq .count)
    check_exit 0 "$desc runs" -- "$BIN" run "$suite" "$cfg" --results-dir "$dir"
    check_true "$desc: stored = planned ($planned)" test "$(db "$dir" "select count(*) from experiments")" = "$planned"
    check_true "$desc: journal done = planned" test \
        "$(db "$dir" "select count(*) from campaign_items where state='done'")" = "$planned"
    check_true "$desc: integrity" test "$(db "$dir" 'pragma integrity_check')" = ok
}

# --- models --------------------------------------------------------------------
cat > "$W/models.yaml" <<EOF
suite: models
experiment:
$EXP
models:
  - $Q8
  - {name: f16, model_path: $F16}
EOF
check_counts "models" "$W/models.yaml" models "$W/rm"
check_true "models: one run per model" test "$(db "$W/rm" "select count(distinct model_path) from experiments")" = 2
check_true "models: campaign block" test \
    "$(db "$W/rm" "select json_extract(document_json, '$.campaign.label') from experiments order by id limit 1")" \
    = "models/tiny-q8_0.gguf"
check_exit 0 "models: rerun" -- "$BIN" run models "$W/models.yaml" --results-dir "$W/rm" --json -q
check_true "models: rerun ran nothing" test "$(jq .ran "$TMP/out")" = 0
check_true "models: rerun all done before" test "$(jq .already_done "$TMP/out")" = 2

# --- controlled --------------------------------------------------------------------
cat > "$W/controlled.yaml" <<EOF
suite: controlled
experiment:
  model: {model_path: $Q8}
$EXP
  batching: {batch_size: 2}
factors:
  batch_size: [1, 2]
  max_output_tokens: [3]
cycles: 2
EOF
"$BIN" -q run controlled "$W/controlled.yaml" --results-dir "$W/rc" --dry-run --json > "$TMP/plan.json"
check_true "controlled: base + 2 factor values (batch 2 = base, dropped)" test "$(jq .distinct_experiments "$TMP/plan.json")" = 3
check_true "controlled: x 2 cycles" test "$(jq .count "$TMP/plan.json")" = 6
check_true "controlled: duplicate noted" grep -q "factors.batch_size=2: same configuration as base" "$TMP/plan.json"
check_counts "controlled" "$W/controlled.yaml" controlled "$W/rc"
check_true "controlled: max_output 3 measured" test \
    "$(db "$W/rc" "select count(*) from experiments where max_output_tokens = 3 and output_tokens = 6")" = 2

# --- scenarios: built-in presets --------------------------------------------------------
cat > "$W/scen.yaml" <<EOF
suite: scenarios
experiment:
  model: {model_path: $Q8}
$EXP
scenarios:
  - name: A0
  - name: R2
  - name: low-batch
    batching: {batch_size: 1}
EOF
check_counts "scenarios" "$W/scen.yaml" scenarios "$W/rs"
check_true "scenarios: A0 batch 256" test \
    "$(db "$W/rs" "select batch_size from experiments where json_extract(document_json, '$.campaign.label') like '%A0%'")" = 256
check_true "scenarios: R2 uniform traffic" test \
    "$(db "$W/rs" "select json_extract(config_json, '$.traffic') from experiments where json_extract(document_json, '$.campaign.label') like '%R2%'")" = uniform
cat > "$W/thesis.yaml" <<EOF
suite: scenarios
experiment:
  model: {preset: tiny}
$EXP
scenarios:
  - name: thesis
EOF
"$BIN" -q run scenarios "$W/thesis.yaml" --results-dir "$W/rt" --dry-run --json > "$TMP/thesis.json"
check_true "thesis: 13 built-in scenarios" test "$(jq .count "$TMP/thesis.json")" = 13
check_true "thesis: A1 is 8-bit (q8_0)" test \
    "$(jq -r '.experiments[] | select(.label | test("A1")) | .config.preset_type' "$TMP/thesis.json")" = q8_0
check_true "thesis: A0 is float16 (f16)" test \
    "$(jq -r '.experiments[] | select(.label | test("A0")) | .config.preset_type' "$TMP/thesis.json")" = f16
check_true "thesis: R7 samples at 1.2" test \
    "$(jq -r '.experiments[] | select(.label | test("R7")) | .config.temperature' "$TMP/thesis.json")" = 1.2
check_true "thesis: dry run created no database" test ! -e "$W/rt/results.db"
"$BIN" run scenarios --list-scenarios --markdown > "$TMP/table.md"
check_true "docs/scenarios.md embeds the current table" python3 -c "
import sys
doc = open('$LLE_SRC/docs/scenarios.md').read()
a, b = doc.index('<!-- scenarios:begin -->\n') + len('<!-- scenarios:begin -->\n'), doc.index('<!-- scenarios:end -->')
sys.exit(0 if doc[a:b] == open('$TMP/table.md').read() else 1)"

# --- grid: exclude, include, dedup; interleave reuses the model ---------------------------
cat > "$W/grid.yaml" <<EOF
name: grid-test
suite: grid
experiment:
  model: {model_path: $Q8}
$EXP
grid:
  batch_size: [1, 2]
  temperature: [0, 0.7]
  top_k: [0, 40]
exclude:
  - {temperature: 0, top_k: 40}
include:
  - {batch_size: 1}
cycles: 2
EOF
"$BIN" -q run grid "$W/grid.yaml" --results-dir "$W/rg" --dry-run --json > "$TMP/grid.json"
check_true "grid: 8 - 2 excluded, include = a combination" test "$(jq .distinct_experiments "$TMP/grid.json")" = 6
check_true "grid: dedup note" test "$(jq '.notes | length' "$TMP/grid.json")" = 1
check_exit 0 "grid: interleave" -- "$BIN" -q run grid "$W/grid.yaml" --results-dir "$W/rg" --order interleave --json
check_true "grid: interleave reuses the loaded model between cycles" test "$(jq .engine_reuses "$TMP/out")" = 6
check_true "grid: 12 stored" test "$(db "$W/rg" "select count(*) from experiments")" = 12
check_true "grid: reuse recorded per result" test \
    "$(db "$W/rg" "select count(*) from experiments where json_extract(document_json, '$.campaign.engine') = 'reused'")" = 6

# --- changed campaign: detected, reported, refused; then accepted ---------------------------
sed 's/batch_size: \[1, 2\]/batch_size: [1, 4]/' "$W/grid.yaml" > "$W/grid2.yaml"
check_exit 2 "changed set refused" -- "$BIN" run grid "$W/grid2.yaml" --results-dir "$W/rg"
check_true "changed set: counts in the message" grep -q "6 added, 6 removed" "$TMP/err"
check_true "changed set: nothing ran" test "$(db "$W/rg" "select count(*) from experiments")" = 12
"$BIN" -q run grid "$W/grid2.yaml" --results-dir "$W/rg" --dry-run > "$TMP/dry.txt"
check_true "changed set: dry run lists an added run" grep -q '^  + grid{batch_size: 4, temperature: 0, top_k: 0} (cycle 1)$' "$TMP/dry.txt"
check_true "changed set: dry run lists a removed run" grep -q '^  - grid{batch_size: 2' "$TMP/dry.txt"
check_exit 0 "changed set accepted" -- "$BIN" -q run grid "$W/grid2.yaml" --results-dir "$W/rg" --accept-changes --json
check_true "accepted: only the added runs ran" test "$(jq .ran "$TMP/out")" = 6
check_exit 0 "restart" -- "$BIN" -q run grid "$W/grid2.yaml" --results-dir "$W/rg" --restart --json
check_true "restart: everything ran again" test "$(jq .ran "$TMP/out")" = 12

# --- failures: recorded, the campaign goes on, retried, --fail-fast --------------------------
echo "not a model" > "$W/broken.gguf"
cat > "$W/fail.yaml" <<EOF
suite: models
experiment:
$EXP
models: [$W/broken.gguf, $Q8]
max_retries: 1
EOF
check_exit 1 "failure: exit 1" -- "$BIN" run models "$W/fail.yaml" --results-dir "$W/rf"
check_true "failure: the good model still ran" test "$(db "$W/rf" "select count(*) from experiments")" = 1
check_true "failure: recorded with its error" test \
    "$(db "$W/rf" "select state || ' ' || failures from campaign_items where label like '%broken%'")" = "failed 2"
check_true "failure: error names the file" test -n "$(db "$W/rf" "select error from campaign_items where error like '%broken.gguf%'")"
check_exit 1 "failure: rerun leaves it failed" -- "$BIN" -q run models "$W/fail.yaml" --results-dir "$W/rf" --json
check_true "failure: no retries left, nothing ran" test "$(jq .ran "$TMP/out")" = 0
check_exit 1 "failure: --retry-failed tries again" -- "$BIN" -q run models "$W/fail.yaml" --results-dir "$W/rf" --retry-failed --json
check_true "failure: retried twice" test "$(jq .ran "$TMP/out")" = 2
check_exit 1 "fail-fast" -- "$BIN" -q run models "$W/fail.yaml" --results-dir "$W/rff" --fail-fast --max-retries 0 --json
check_true "fail-fast: stopped before the good model" test "$(jq '[.ran, .remaining] | @csv' "$TMP/out")" = '"1,2"'

# --- routing, flags, cooldown -------------------------------------------------------------------
check_usage_error "run single with a campaign names the command" "run it with .llm-efficiency run models" -- \
    "$BIN" run single "$W/models.yaml" --results-dir "$W/rm"
check_usage_error "suite mismatch" "run it with .llm-efficiency run models" -- "$BIN" run grid "$W/models.yaml"
check_usage_error "bad --set" "top_p: expected" -- "$BIN" run grid "$W/grid.yaml" --set top_p=7
check_usage_error "bad --order" "order: 'random'" -- "$BIN" run grid "$W/grid.yaml" --order random
check_usage_error "no file" "campaign file is required" -- "$BIN" run grid
check_exit 0 "cooldown + temperature" -- "$BIN" run models "$W/models.yaml" --results-dir "$W/rcool" --cooldown 0.2 \
    --cooldown-temp 60
check_true "temperature cooldown reported unavailable" grep -q "unavailable: no temperature reading source" "$TMP/err"
check_true "cooldown recorded" test "$(db "$W/rcool" "select max(json_extract(document_json, '$.campaign.cooldown_before.seconds')) from experiments")" = 0.2
check_exit 0 "--set applies to every run" -- "$BIN" -q run models "$W/models.yaml" --results-dir "$W/rset" --set max_output_tokens=3
check_true "--set: output tokens" test "$(db "$W/rset" "select group_concat(output_tokens) from experiments")" = "6,6"
finish
