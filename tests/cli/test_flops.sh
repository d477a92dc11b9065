#!/usr/bin/env bash
# test_flops.sh — the `flops` subcommand through the real binary: the table
# and JSON forms, model FLOPs against the formula, executed FLOPs identical
# for F16, Q8_0 and Q4_0 files of one architecture, the fit cache (calibrated
# once, then hits; --no-cache), settings that change the graph, and every
# bad-input case (exit 2, one line naming the culprit). Needs $LLE_BIN and
# $LLE_TESTDATA (tiny-*.gguf fixtures).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${LLE_BIN:?set LLE_BIN to the llm-efficiency binary}"
: "${LLE_TESTDATA:?set LLE_TESTDATA to the fixture directory}"
BIN="$LLE_BIN"
F16="$LLE_TESTDATA/tiny-f16.gguf"
Q8="$LLE_TESTDATA/tiny-q8_0.gguf"
Q4="$LLE_TESTDATA/tiny-q4_0.gguf"
export LLE_CACHE_DIR="$TMP/cache"   # a fresh fit cache: the first run must calibrate

# --- help ------------------------------------------------------------------------------
check_exit 0 "flops --help" -- "$BIN" flops --help
check_true "help names the required flags" grep -q -- '--prompt-len P --gen-len G' "$TMP/out"
check_exit 0 "top-level help lists flops" -- "$BIN" --help
check_true "top-level help: flops line" grep -q '^  flops ' "$TMP/out"

# --- JSON: model vs executed, calibration then cache ------------------------------------
check_exit 0 "flops f16 --json" -- "$BIN" flops "$F16" --prompt-len 100 --gen-len 20 --batch 2 --json
cp "$TMP/out" "$TMP/f16.json"
check_true "first run calibrates" test "$(jq -r .flops.calibration.source "$TMP/f16.json")" = calibrated
check_true "fit cached under LLE_CACHE_DIR/flops" \
    test -s "$LLE_CACHE_DIR/flops/$(jq -r .flops.calibration.fingerprint "$TMP/f16.json").json"
check_true "workload resolved as the runner would" \
    test "$(jq -c .workload "$TMP/f16.json")" = '{"batch":2,"prompt_len":100,"gen_len":20,"n_batch":240,"n_ubatch":240}'
check_true "totals are prefill + decode" \
    test "$(jq '[.flops.model, .flops.executed] | map(.prefill + .decode == .total) | all' "$TMP/f16.json")" = true
check_true "breakdown sums to the total" \
    test "$(jq '.flops.executed.breakdown.decode | (.attention_projections + .attention_scores + .ffn + .lm_head + .other) == .total' "$TMP/f16.json")" = true
check_true "per output token = total / (batch x gen)" \
    test "$(jq '.flops.per_output_token.model == .flops.model.total / 40' "$TMP/f16.json")" = true
# tiny: d 256, 4 heads (kv 2) of 64, ff 512, vocab 32000, 2 layers. Decode steps at
# L = 101..119 for each of 2 sequences: 19 x (2 x 2 x (2 x 256 x 256 + 2 x 256 x 128)
# + 2 x 2 x 3 x 256 x 512 + 2 x 256 x 32000) + 2 x 2 x 4 x 128 x (101 + ... + 119), x 2.
check_true "model decode FLOPs = the formula" \
    test "$(jq .flops.model.decode "$TMP/f16.json")" = $(( 2 * (19 * (2*2*(2*256*256 + 2*256*128) + 2*2*3*256*512 + 2*256*32000) + 2*2*4*128*(19*(101+119)/2)) ))
check_true "executed decode matmuls = formula except attention (padded span)" \
    test "$(jq '.flops.executed.breakdown.decode as $e | .flops.model.breakdown.decode as $m | [$e.attention_projections == $m.attention_projections, $e.ffn == $m.ffn, $e.lm_head == $m.lm_head, $e.attention_scores > $m.attention_scores] | all' "$TMP/f16.json")" = true
check_exit 0 "flops q8_0 --json" -- "$BIN" flops "$Q8" --prompt-len 100 --gen-len 20 --batch 2 --json
cp "$TMP/out" "$TMP/q8.json"
check_exit 0 "flops q4_0 --json (fresh calibration)" -- \
    "$BIN" flops "$Q4" --prompt-len 100 --gen-len 20 --batch 2 --json --no-cache
cp "$TMP/out" "$TMP/q4.json"
check_true "q8_0 reuses the f16 fit (same architecture)" test "$(jq -r .flops.calibration.source "$TMP/q8.json")" = cache
check_true "--no-cache calibrates" test "$(jq -r .flops.calibration.source "$TMP/q4.json")" = calibrated
check_true "executed FLOPs identical across weight types" \
    test "$(jq -c .flops.executed "$TMP/f16.json")" = "$(jq -c .flops.executed "$TMP/q4.json")"
check_true "model FLOPs identical across weight types" \
    test "$(jq -c .flops.model "$TMP/f16.json")" = "$(jq -c .flops.model "$TMP/q8.json")"
check_true "q4_0 coefficients = f16 coefficients" \
    test "$(jq -c .fit.coefficients "$TMP/f16.json")" = "$(jq -c .fit.coefficients "$TMP/q4.json")"

# --- settings that change the graph ---------------------------------------------------------
check_exit 0 "flash attention off" -- "$BIN" flops "$F16" --prompt-len 100 --gen-len 20 --batch 2 --json --flash-attn off
cp "$TMP/out" "$TMP/nofa.json"
check_true "another setting, another fingerprint" \
    test "$(jq -r .flops.calibration.fingerprint "$TMP/nofa.json")" != "$(jq -r .flops.calibration.fingerprint "$TMP/f16.json")"
check_true "graph without flash attention" test "$(jq .fit.flash_attn_used "$TMP/nofa.json")" = false
check_exit 0 "--model-only" -- "$BIN" flops "$F16" --prompt-len 100 --gen-len 20 --batch 2 --json --model-only
check_true "--model-only: no executed figure, no fit" \
    test "$(jq -c '[.flops.executed, .fit, .flops.model.total > 0]' "$TMP/out")" = '[null,null,true]'

# --- table -------------------------------------------------------------------------------------
check_exit 0 "table" -- "$BIN" flops "$F16" --prompt-len=64 --gen-len=8
check_true "table: both columns" grep -q 'model (formula) *executed (graph)' "$TMP/out"
check_true "table: cache hit reported" grep -q 'fit from the cache' "$TMP/out"
check_true "table: components" grep -q '^  attention scores ' "$TMP/out"
check_true "table: per output token" grep -q 'per output token' "$TMP/out"

# --- bad input: exit 2, one line naming the thing ---------------------------------------------
printf 'not a model\n' >"$TMP/text.gguf"
check_usage_error "no model" 'MODEL is required' -- "$BIN" flops --prompt-len 4 --gen-len 4
check_usage_error "no prompt length" '--prompt-len is required' -- "$BIN" flops "$F16" --gen-len 4
check_usage_error "no gen length" '--gen-len is required' -- "$BIN" flops "$F16" --prompt-len 4
check_usage_error "zero prompt" '--prompt-len: 0 is out of range' -- "$BIN" flops "$F16" --prompt-len 0 --gen-len 4
check_usage_error "non-numeric batch" "--batch: 'x' is not a whole number" -- \
    "$BIN" flops "$F16" --prompt-len 4 --gen-len 4 --batch x
check_usage_error "missing value" '--gen-len: a value is required' -- "$BIN" flops "$F16" --prompt-len 4 --gen-len
check_usage_error "missing file" 'nope\.gguf' -- "$BIN" flops "$TMP/nope.gguf" --prompt-len 4 --gen-len 4
check_usage_error "not a GGUF" 'text\.gguf: not a GGUF file' -- "$BIN" flops "$TMP/text.gguf" --prompt-len 4 --gen-len 4
check_usage_error "bad flash-attn" "--flash-attn: 'maybe'" -- \
    "$BIN" flops "$F16" --prompt-len 4 --gen-len 4 --flash-attn maybe
check_usage_error "bad kv type" "kv_type: unknown 'q9'" -- "$BIN" flops "$F16" --prompt-len 4 --gen-len 4 --kv-type q9
check_usage_error "ubatch above batch" 'n_ubatch 64 exceeds n_batch 32' -- \
    "$BIN" flops "$F16" --prompt-len 4 --gen-len 4 --n-batch 32 --n-ubatch 64
check_usage_error "unknown flag" "unknown option '--fast'" -- "$BIN" flops "$F16" --prompt-len 4 --gen-len 4 --fast
check_usage_error "two models" "unexpected argument" -- "$BIN" flops "$F16" "$Q8" --prompt-len 4 --gen-len 4

finish
