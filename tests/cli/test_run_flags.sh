#!/usr/bin/env bash
# test_run_flags.sh — the flag parser that `run single`, `run single --engine
# openai` and the campaign suites share (src/cli/common.c): "--name value" and
# "--name=value", a missing value, a value given to a switch, unknown options,
# each as one line and exit 2 in every command, and flag values reaching
# what the command does (a campaign plan).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
M="$LLE_TESTDATA/tiny-q8_0.gguf"
G="$LLE_SRC/examples/configs/grid.yaml"

# --- run single ------------------------------------------------------------------------
check_usage_error "run: --name=value parsed" "--prompts: 0 is out of range" -- "$BIN" run single --model "$M" --prompts=0
check_usage_error "run: empty =value" "--prompts: a number is required" -- "$BIN" run single --model "$M" --prompts=
check_usage_error "run: missing value" "--threads: a value is required" -- "$BIN" run single --model "$M" --threads
check_usage_error "run: switch with a value" "--json takes no value" -- "$BIN" run single --model "$M" --json=1
check_usage_error "run: unknown =option" "run single: unknown option '--frob' \(see llm-efficiency run single --help\)" \
    -- "$BIN" run single --model "$M" --frob=1
check_usage_error "run: stray argument" "run single: unexpected argument 'extra'" -- "$BIN" run single --json extra
check_usage_error "run: custom flag" "--flash-attn: 'maybe' is not one of auto, on, off" \
    -- "$BIN" run single --model "$M" --flash-attn=maybe
check_usage_error "run: tensor split" "--tensor-split: 'x' is not a number" \
    -- "$BIN" run single --model "$M" --tensor-split 1,x
check_exit 0 "run: -h" -- "$BIN" run single --model "$M" -h
check_true "run: -h prints the usage on stdout" grep -q "^usage: llm-efficiency run single" "$TMP/out"

# --- run single --engine openai ------------------------------------------------------------
check_usage_error "remote: unknown option" \
    "run single --engine openai: unknown option '--bogus' \(see --engine openai --help\)" \
    -- "$BIN" run single --engine openai --bogus=1
check_usage_error "remote: other engine" "--engine: 'vllm' is not handled here" \
    -- "$BIN" run single --engine openai --engine=vllm
check_usage_error "remote: switch with a value" "--insecure takes no value" -- "$BIN" run single --engine openai --insecure=no
check_usage_error "remote: saturation range" "--saturation-tol: 2 is out of range" \
    -- "$BIN" run single --engine openai --saturation-tol 2
check_usage_error "remote: missing value" "--sweep: a value is required" -- "$BIN" run single --engine openai --sweep
check_usage_error "remote: stray argument" "run single: unexpected argument 'extra'" \
    -- "$BIN" run single --engine openai extra

# --- campaigns (values only as a separate argument) --------------------------------------------
check_usage_error "campaign: unknown option" "run grid: unknown option '--bogus' \(see llm-efficiency run grid --help\)" \
    -- "$BIN" run grid "$G" --bogus
check_usage_error "campaign: no =value form" "run grid: unknown option '--cycles=2'" -- "$BIN" run grid "$G" --cycles=2
check_usage_error "campaign: missing value" "--cycles: a value is required" -- "$BIN" run grid "$G" --cycles
check_usage_error "campaign: range" "--max-retries: 101 is out of range" -- "$BIN" run grid "$G" --max-retries 101
check_usage_error "campaign: seed" "--seed: 'x' is not a non-negative whole number" -- "$BIN" run grid "$G" --seed x
check_exit 0 "campaign: flags reach the plan" -- "$BIN" run grid "$G" --dry-run --json --cycles 2 --order shuffle \
    --seed 7 --campaign-id flags-test --results-dir "$TMP/camp"
check_true "campaign: plan has the flags" \
    test "$(jq -c '[.campaign, .cycles, .order, .seed]' "$TMP/out")" = '["flags-test",2,"shuffle",7]'

finish
