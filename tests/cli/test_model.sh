#!/usr/bin/env bash
# test_model.sh — the `model` subcommand through the real binary: inspect
# (table and JSON), presets, synth into a temp dir, and every bad-input case
# (exit 2, one-line "llm-efficiency: ..." message naming the culprit, no file
# left behind). Needs $LLE_BIN and $LLE_TESTDATA (tiny-*.gguf fixtures).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${LLE_BIN:?set LLE_BIN to the llm-efficiency binary}"
: "${LLE_TESTDATA:?set LLE_TESTDATA to the fixture directory}"
BIN="$LLE_BIN"
F16="$LLE_TESTDATA/tiny-f16.gguf"
Q8="$LLE_TESTDATA/tiny-q8_0.gguf"

# --- help and presets ------------------------------------------------------------
check_exit 0 "model --help" -- "$BIN" model --help
check_true "help shows synth usage" grep -q 'synth --preset' "$TMP/out"
check_exit 2 "model without a command" -- "$BIN" model
check_exit 0 "model presets" -- "$BIN" model presets
check_true "presets: TinyLlama count" grep -q '^tinyllama-1.1b .*1,100,048,384' "$TMP/out"
check_true "presets: Qwen source" grep -q 'huggingface.co/Qwen/Qwen2.5-0.5B' "$TMP/out"
check_exit 0 "model presets --json" -- "$BIN" model presets --json
cp "$TMP/out" "$TMP/presets.json"
check_true "presets json: qwen count" \
    test "$(jq '.presets[] | select(.name == "qwen2.5-0.5b") | .n_params' "$TMP/presets.json")" = 494032768
check_true "presets json: types" \
    test "$(jq '(.types | index("q4_k_m")) != null and (.types | index("iq2_xxs")) == null' "$TMP/presets.json")" = true

# --- inspect -------------------------------------------------------------------------
check_exit 0 "inspect table" -- "$BIN" model inspect "$Q8"
check_true "inspect table: file type" grep -q '^file type *Q8_0' "$TMP/out"
check_true "inspect table: parameters" grep -q '^parameters *9,372,928' "$TMP/out"
check_exit 0 "inspect --json" -- "$BIN" model inspect "$F16" --json
cp "$TMP/out" "$TMP/info.json"
check_true "inspect json: n_params" test "$(jq .n_params "$TMP/info.json")" = 9372928
check_true "inspect json: hyperparameters" \
    test "$(jq -c '[.arch, .n_layer, .n_embd, .n_head, .n_head_kv, .n_ff, .n_vocab, .n_ctx_train]' "$TMP/info.json")" \
    = '["llama",2,256,4,2,512,32000,2048]'
check_true "inspect json: file type, tied, sizes" \
    test "$(jq -c '[.file_type, .tied_embeddings, .file_bytes > .tensor_bytes, .tensor_bytes > 0]' "$TMP/info.json")" \
    = '["F16",true,true,true]'
check_true "inspect json: types" \
    test "$(jq -c '[.types[] | [.type, .n_tensors]] | sort' "$TMP/info.json")" = '[["f16",15],["f32",5]]'

# --- synth ---------------------------------------------------------------------------
mkdir "$TMP/out1"
check_exit 0 "synth tiny q8_0" -- "$BIN" model synth --preset tiny --type q8_0 --seed 9 -o "$TMP/out1/m.gguf"
check_true "synth prints the path" grep -qF "wrote $TMP/out1/m.gguf" "$TMP/out"
check_true "synth prints the parameter count" grep -q '9,372,928 parameters' "$TMP/out"
check_true "synth leaves only the model" test "$(ls -A "$TMP/out1")" = m.gguf
check_exit 0 "synth default name" -- bash -c "cd '$TMP/out1' && '$BIN' model synth --preset=tiny --type q4_0 --threads 1"
check_true "default output name" test -s "$TMP/out1/tiny-q4_0.gguf"
check_exit 0 "synth same seed again" -- "$BIN" model synth --preset tiny --type q8_0 --seed 9 -o "$TMP/out1/m2.gguf"
check_true "same seed, same bytes" cmp -s "$TMP/out1/m.gguf" "$TMP/out1/m2.gguf"

# --- bad input: exit 2, one line naming the thing, no file left ----------------------
mkdir "$TMP/empty"
E="$TMP/empty/x.gguf"
printf 'not a model\n' >"$TMP/text.gguf"
head -c 4000000 "$F16" >"$TMP/cut.gguf"
head -c 2000 "$F16" >"$TMP/cuthead.gguf"
check_usage_error "unknown subcommand" 'frobnicate' -- "$BIN" model frobnicate
check_usage_error "inspect missing file" 'nope\.gguf: no such file' -- "$BIN" model inspect "$TMP/nope.gguf"
check_usage_error "inspect directory" 'is a directory' -- "$BIN" model inspect "$TMP/empty"
check_usage_error "inspect non-GGUF" 'text\.gguf: not a GGUF file' -- "$BIN" model inspect "$TMP/text.gguf"
check_usage_error "inspect truncated data" 'cut\.gguf: truncated' -- "$BIN" model inspect "$TMP/cut.gguf"
check_usage_error "inspect truncated metadata" 'cuthead\.gguf: not a GGUF file or truncated' -- \
    "$BIN" model inspect "$TMP/cuthead.gguf"
check_usage_error "inspect without FILE" 'FILE is required' -- "$BIN" model inspect
check_usage_error "inspect unknown flag" "unknown option '--yaml'" -- "$BIN" model inspect "$F16" --yaml
check_usage_error "synth without preset" '--preset is required' -- "$BIN" model synth -o "$E"
check_usage_error "synth unknown preset" "unknown preset 'gpt-9'" -- "$BIN" model synth --preset gpt-9 -o "$E"
check_usage_error "synth bad type" "weight type 'q7_k'" -- "$BIN" model synth --preset tiny --type q7_k -o "$E"
check_usage_error "synth imatrix type" "'iq2_xs' needs an importance matrix" -- \
    "$BIN" model synth --preset tiny --type iq2_xs -o "$E"
check_usage_error "synth negative seed" "--seed: '-1'" -- "$BIN" model synth --preset tiny --seed -1 -o "$E"
check_usage_error "synth non-numeric seed" "--seed: 'abc'" -- "$BIN" model synth --preset tiny --seed abc -o "$E"
check_usage_error "synth missing value" '--type: a value is required' -- "$BIN" model synth --preset tiny -o "$E" --type
check_usage_error "synth bad threads" '--threads' -- "$BIN" model synth --preset tiny --threads 0 -o "$E"
check_usage_error "synth unknown flag" "unknown option '--bogus'" -- "$BIN" model synth --preset tiny --bogus -o "$E"
check_usage_error "synth stray argument" "unexpected argument 'extra'" -- "$BIN" model synth --preset tiny extra -o "$E"
check_usage_error "synth missing tokenizer" 'ggml-vocab-llama-spm\.gguf' -- \
    "$BIN" model synth --preset tiny --vocab-dir "$TMP/empty" -o "$E"
check_usage_error "presets unknown flag" "unknown option '--csv'" -- "$BIN" model presets --csv
check_true "no file left by the failed syntheses" test -z "$(ls -A "$TMP/empty")"

# --- an unwritable destination is a failed run (exit 1), not bad usage --------------
check_exit 1 "synth into a missing directory" -- "$BIN" model synth --preset tiny -o "$TMP/no/such/x.gguf"
check_true "message names the path" grep -qF "$TMP/no/such/x.gguf" "$TMP/err"
check_true "nothing created" test ! -e "$TMP/no"

finish
