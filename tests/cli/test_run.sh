#!/usr/bin/env bash
# test_run.sh — `run single` end to end on the synthesised tiny model: the
# table and --json output, the saved result file, exact token counts, bad
# input (exit 2, one line naming the thing), and Ctrl-C (exit 130, an
# "interrupted" result on disk).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
M="$LLE_TESTDATA/tiny-q8_0.gguf"
R="$TMP/results"

# --- a real run, JSON ---------------------------------------------------------
check_exit 0 "run --json" -- "$BIN" run single --model "$M" --prompts 3 --max-input-tokens 16 \
    --max-output-tokens 8 --threads 2 --results-dir "$R" --json
cp "$TMP/out" "$TMP/run.json"
check_true "json output tokens = 3*8" test "$(jq '.metrics.output_tokens' "$TMP/run.json")" = 24
check_true "json input tokens = 3*16" test "$(jq '.metrics.input_tokens' "$TMP/run.json")" = 48
check_true "json status" test "$(jq -r '.status' "$TMP/run.json")" = completed
check_true "json 3 requests" test "$(jq '.requests | length' "$TMP/run.json")" = 3
check_true "ttft <= e2e everywhere" test "$(jq '[.requests[] | .ttft_s <= .e2e_s] | all' "$TMP/run.json")" = true
check_true "model params present" test "$(jq '.model.n_params > 0' "$TMP/run.json")" = true
id=$(jq -r .id "$TMP/run.json")
check_true "result file saved" test -f "$R/$id.json"
check_true "saved file = stdout" test "$(jq -r .id "$R/$id.json")" = "$id"
check_true "no temp files" test -z "$(find "$R" -name '*.tmp*')"

# --- schema and database ------------------------------------------------------------
check_true "json validates against schema/result.schema.json" /usr/bin/python3 -c "
import json, jsonschema
jsonschema.validate(json.load(open('$TMP/run.json')), json.load(open('$LLE_SRC/schema/result.schema.json')))"
db="$R/results.db"
check_true "db row exists" test "$(sqlite3 "$db" "select count(*) from experiments where id='$id'")" = 1
check_true "db output tokens = json" test "$(sqlite3 "$db" "select output_tokens from experiments where id='$id'")" = 24
check_true "db request rows = json" test "$(sqlite3 "$db" "select count(*) from requests where experiment_id='$id'")" = 3
check_true "db ttft = json" test "$(sqlite3 "$db" "select printf('%.9f', ttft_s) from requests where experiment_id='$id' and idx=0")" = \
    "$(jq -r '.requests[0].ttft_s' "$TMP/run.json" | xargs printf '%.9f')"
check_true "db integrity" test "$(sqlite3 "$db" 'pragma integrity_check')" = ok

# --- batching, sampling, prompt files, traffic ----------------------------------------
common=(--model "$M" --prompts 4 --max-input-tokens 12 --max-output-tokens 6 --threads 2 --no-save --json -q)
"$BIN" run single "${common[@]}" --batch-size 1 > "$TMP/b1.json"
"$BIN" run single "${common[@]}" --batch-size 4 > "$TMP/b4.json"
"$BIN" run single "${common[@]}" --adaptive-batching 40 > "$TMP/ad.json"
tok() { jq -c '[.requests | sort_by(.index)[] | .output_token_ids]' "$1"; }
check_true "batch 4 = batch 1 greedy tokens" test "$(tok "$TMP/b4.json")" = "$(tok "$TMP/b1.json")"
check_true "adaptive = batch 1 greedy tokens" test "$(tok "$TMP/ad.json")" = "$(tok "$TMP/b1.json")"
check_true "batch 4 is one batch" test "$(jq '.metrics.batches' "$TMP/b4.json")" = 1
check_true "adaptive batches within budget" test "$(jq '[.batches[] | .input_tokens + .output_tokens <= 40] | all' "$TMP/ad.json")" = true
"$BIN" run single "${common[@]}" --decoding-preset standard --seed 5 > "$TMP/s1.json"
"$BIN" run single "${common[@]}" --decoding-preset standard --seed 5 --batch-size 2 > "$TMP/s2.json"
check_true "seeded sampling reproducible across batch sizes" test "$(tok "$TMP/s1.json")" = "$(tok "$TMP/s2.json")"
check_true "sampling recorded" test "$(jq -r '.config.decoding' "$TMP/s1.json")" = sampling
check_exit 0 "prompt file run" -- "$BIN" run single --model "$M" --prompt-file "$LLE_SRC/tests/data/prompts/aienergyscore_head.jsonl" \
    --prompts 3 --max-input-tokens 6 --max-output-tokens 2 --no-save --json
check_true "prompt file cut to max_input_tokens" test "$(jq '.metrics.prompts_truncated' "$TMP/out")" = 3
check_usage_error "malformed prompt line" "broken_json_line3.jsonl:3" -- "$BIN" run single --model "$M" \
    --prompt-file "$LLE_SRC/tests/data/prompts/broken_json_line3.jsonl" --no-save
check_usage_error "delay_min > delay_max" "delay_min" -- "$BIN" run single --model "$M" --traffic uniform \
    --delay-min 4 --delay-max 0.3 --no-save
check_usage_error "top-k with greedy" "temperature" -- "$BIN" run single --model "$M" --top-k 40 --no-save
check_usage_error "bad kv type" "kv_type" -- "$BIN" run single --model "$M" --kv-type q3_x --no-save
check_usage_error "bad flash-attn" "--flash-attn" -- "$BIN" run single --model "$M" --flash-attn maybe --no-save
check_exit 0 "poisson traffic" -- "$BIN" run single "${common[@]}" --traffic poisson --rate 50
check_true "queue delays non-negative" test "$(jq '[.requests[] | .queue_delay_s >= -1e-9] | all' "$TMP/out")" = true
check_true "busy + idle = wall" test "$(jq '.metrics | ((.busy_s + .idle_s - .wall_s) | fabs) < 1e-9' "$TMP/out")" = true

# --- FLOPs and utilisation ------------------------------------------------------------
"$BIN" flops "$M" --prompt-len 16 --gen-len 8 --threads 2 --json > "$TMP/fl.json"
check_true "run executed FLOPs = 3 x flops command" \
    test "$(jq '.flops.executed.total' "$TMP/run.json")" = "$(jq '.flops.executed.total * 3' "$TMP/fl.json")"
check_true "run model FLOPs = 3 x flops command" \
    test "$(jq '.flops.model.total' "$TMP/run.json")" = "$(jq '.flops.model.total * 3' "$TMP/fl.json")"
check_exit 0 "run with user peaks" -- "$BIN" run single --model "$M" --prompts 2 --max-input-tokens 8 \
    --max-output-tokens 4 --no-save --json --peak-flops 1e11 --peak-bandwidth 1e10
check_true "mfu from the user peak" test "$(jq -r '.metrics.mfu.peak_source' "$TMP/out")" = user
# a 10 MB model sits in the CPU cache, so MBU against an arbitrary peak may exceed 1: check the maths
check_true "mbu = decode bytes / decode time / peak" test "$(jq '.metrics | (.mbu.value - .decode_bytes / .decode_s / 1e10) | fabs < 1e-9' "$TMP/out")" = true
check_true "flops per joule filled" test "$(jq '.energy.derived.flops_per_j > 0' "$TMP/out")" = true

# --- table output -----------------------------------------------------------------
check_exit 0 "run table" -- "$BIN" run single --model "$M" --prompts 2 --max-input-tokens 8 \
    --max-output-tokens 4 --no-save
check_true "table has decode tokens/s" grep -q "decode tokens/s" "$TMP/out"
check_true "table has TTFT row" grep -q "TTFT" "$TMP/out"
check_true "no progress bar when piped" test "$(grep -c 'ETA' "$TMP/err")" = 0

# --- bad input ----------------------------------------------------------------------------
printf 'GGUF' > "$TMP/trunc.gguf"
head -c 100000 "$M" > "$TMP/cut.gguf"
echo "hello, not a model" > "$TMP/text.gguf"
check_usage_error "missing model" "nope.gguf" -- "$BIN" run single --model "$TMP/nope.gguf" --no-save
check_usage_error "directory model" "directory" -- "$BIN" run single --model "$TMP" --no-save
check_usage_error "truncated header" "trunc.gguf" -- "$BIN" run single --model "$TMP/trunc.gguf" --no-save
check_usage_error "truncated data" "cut.gguf" -- "$BIN" run single --model "$TMP/cut.gguf" --no-save
check_usage_error "non-gguf" "text.gguf" -- "$BIN" run single --model "$TMP/text.gguf" --no-save
check_usage_error "prompts 0" "--prompts" -- "$BIN" run single --model "$M" --prompts 0
check_usage_error "negative" "--max-output-tokens" -- "$BIN" run single --model "$M" --max-output-tokens -3
check_usage_error "non-numeric" "--threads" -- "$BIN" run single --model "$M" --threads two
check_usage_error "unknown flag" "--frobnicate" -- "$BIN" run single --model "$M" --frobnicate
check_usage_error "missing value" "--prompts" -- "$BIN" run single --model "$M" --prompts
check_usage_error "unknown subcommand" "bogus" -- "$BIN" bogus
check_usage_error "unknown suite" "nosuch" -- "$BIN" run nosuch
check_usage_error "unknown preset" "no-such-preset" -- "$BIN" run single --preset no-such-preset --no-save
check_usage_error "ctx too small" "n_ctx" -- "$BIN" run single --model "$M" --ctx 8 --max-input-tokens 8 --max-output-tokens 4 --no-save
check_usage_error "model and preset" "exactly one" -- "$BIN" run single --model "$M" --preset tiny

# --- help and version ---------------------------------------------------------------------
check_exit 0 "--help" -- "$BIN" --help
for c in run model; do check_true "help lists $c" grep -q "^  $c " "$TMP/out"; done
check_exit 0 "--version" -- "$BIN" --version
check_true "version names llama.cpp" grep -q "llama.cpp v" "$TMP/out"

# --- Ctrl-C -------------------------------------------------------------------------------
R2="$TMP/results-int"
"$BIN" run single --model "$M" --prompts 200 --max-input-tokens 16 --max-output-tokens 64 \
    --threads 1 --results-dir "$R2" >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
sleep 2
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
check_true "SIGINT exits 130 (got $rc)" test "$rc" = 130
f=$(ls "$R2"/*.json 2>/dev/null | head -1)
check_true "db consistent after SIGINT" test "$(sqlite3 "$R2/results.db" 'pragma integrity_check')" = ok
check_true "db has the interrupted row" test "$(sqlite3 "$R2/results.db" "select status from experiments")" = interrupted
check_true "interrupted result saved" test -n "$f"
[ -n "$f" ] && check_true "status interrupted" test "$(jq -r .status "$f")" = interrupted
[ -n "$f" ] && check_true "partial count consistent" \
    test "$(jq '.metrics.output_tokens == (.requests | length) * 64' "$f")" = true

finish
