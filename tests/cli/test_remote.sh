#!/usr/bin/env bash
# test_remote.sh — `run single --engine openai` end to end against the
# fault-injecting test server ($LLE_FAULT_SERVER, on 127.0.0.1 only, stopped
# on exit): usage errors, a closed-loop and an open-loop run with their result
# documents and database rows, faults as exit 1 with counted classes, the API
# key kept out of every output, a trace file, a sweep and DCGM energy.
# Exits 77 (skipped) when the binary has no --engine openai route yet.
set -u
source "$LLE_SRC/tests/cli/lib.sh"
BIN="$LLE_BIN"

if ! "$BIN" run single --engine openai --help 2>/dev/null | grep -q -- "--base-url"; then
    echo "SKIP: this llm-efficiency does not route 'run single --engine openai' to the remote engine yet"
    exit 77
fi
[ -x "${LLE_FAULT_SERVER:-}" ] || { echo "SKIP: LLE_FAULT_SERVER is not set (run through ctest)"; exit 77; }

"$LLE_FAULT_SERVER" --port-file "$TMP/port" --max-seconds 300 >/dev/null 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT="$(cat "$TMP/port")"
URL="http://127.0.0.1:$PORT"
R="$TMP/results"
run() { "$BIN" run single --engine openai --model-name tiny --results-dir "$R" --warmup 0 "$@"; }
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# --- usage and bad input: exit 2, one line naming the problem ----------------------------
check_usage_error "no base url" "base_url" -- run
check_usage_error "bad load" "load 'sideways'" -- run --base-url "$URL/v1" --load sideways
check_usage_error "credentials in url" "credentials in the URL" -- run --base-url "http://u:hunter2@127.0.0.1:$PORT/v1"
check_true "credential not echoed" bash -c "! grep -q hunter2 '$TMP/err'"
check_usage_error "unset key variable" "LLE_NO_SUCH_KEY_VAR" -- run --base-url "$URL/v1" --api-key-env LLE_NO_SUCH_KEY_VAR
check_usage_error "bad rate" "--rate" -- run --base-url "$URL/v1" --load poisson --rate fast
check_usage_error "rate missing" "rate" -- run --base-url "$URL/v1" --load poisson
check_usage_error "extra body not an object" "extra_body" -- run --base-url "$URL/v1" --extra-body '[1]'
check_usage_error "unknown option" "unknown option '--bogus'" -- run --base-url "$URL/v1" --bogus
check_usage_error "missing trace" "nope.jsonl" -- run --base-url "$URL/v1" --load trace --trace "$TMP/nope.jsonl"
printf '{"t_s": 0, "input_tokens": 4, "output_tokens": 2}\n{"t_s": -1}\n' >"$TMP/bad.jsonl"
check_usage_error "bad trace line" "bad.jsonl:2" -- run --base-url "$URL/v1" --load trace --trace "$TMP/bad.jsonl"

# --- a closed-loop run: result document, database ----------------------------------------
check_exit 0 "closed loop" -- run --base-url "$URL/s/ttft_ms=5,itl_ms=2/v1" --requests 12 --concurrency 3 \
    --max-output-tokens 6 --json
cp "$TMP/out" "$TMP/closed.json"
check_true "closed json parses" json_get "$TMP/closed.json" "d['config']['engine']"
check_true "engine openai" test "$(json_get "$TMP/closed.json" "d['config']['engine']")" = openai
check_true "12 ok" test "$(json_get "$TMP/closed.json" "d['remote']['requests_ok']")" = 12
check_true "window excludes ramps" test "$(json_get "$TMP/closed.json" "len(d['requests'])")" = 8
check_true "ramps listed" test "$(json_get "$TMP/closed.json" "len(d['excluded_requests'])")" = 4
check_true "usage is the token source" test "$(json_get "$TMP/closed.json" "d['requests'][0]['token_count_source']")" = server_usage
check_true "6 output tokens" test "$(json_get "$TMP/closed.json" "d['requests'][0]['output_tokens']")" = 6
check_true "energy unavailable, with reason" test "$(json_get "$TMP/closed.json" "d['energy']['available']")" = False
check_true "prefill not invented" test "$(json_get "$TMP/closed.json" "d['metrics']['prefill_s']")" = None
check_true "file written" test "$(ls "$R"/*.json | wc -l)" = 1
check_true "remote document validates against schema/result.schema.json" /usr/bin/python3 -c "
import json, jsonschema
jsonschema.validate(json.load(open('$TMP/closed.json')), json.load(open('$LLE_SRC/schema/result.schema.json')))"
check_true "stored in results.db" test "$(sqlite3 "$R/results.db" 'select count(*) from requests')" = 8
check_exit 0 "table output" -- run --base-url "$URL/v1" --requests 4 --no-save
check_true "table shows TTFT" grep -q "TTFT" "$TMP/out"

# --- open loop through the chat endpoint, non-streaming too -----------------------------
check_exit 0 "poisson chat" -- run --base-url "$URL/s/role=1/v1" --endpoint chat --load poisson --rate 100 \
    --requests 20 --json --no-save
check_true "offered rate" test "$(json_get "$TMP/out" "d['remote']['offered_rate']")" = 100
check_true "all in window" test "$(json_get "$TMP/out" "d['remote']['requests_in_window']")" = 20
check_exit 0 "no stream" -- run --base-url "$URL/v1" --no-stream --requests 3 --json --no-save
check_true "no-stream ttft == e2e" json_get "$TMP/out" "d['requests'][0]['ttft_s'] == d['requests'][0]['e2e_s'] or sys.exit(1)"

# --- faults are data: exit 1, the classes counted, the document saved ------------------------
check_exit 1 "http 503" -- run --base-url "$URL/s/status=503/v1" --requests 3
check_true "503 named" grep -q "http_5xx" "$TMP/err"
check_exit 1 "stream cut, json" -- run --base-url "$URL/s/cut_after=1/v1" --requests 2 --json --no-save
check_true "cut counted" test "$(json_get "$TMP/out" "d['remote']['errors_by_class']['stream_cut']")" = 2
check_true "failed listed" test "$(json_get "$TMP/out" "len(d['failed_requests'])")" = 2
check_exit 1 "stall bounded by the idle timeout" -- run --base-url "$URL/s/stall_after=1/v1" --requests 2 \
    --idle-timeout 0.2 --no-save
check_true "idle_timeout named" grep -q "idle_timeout" "$TMP/err"
check_exit 1 "refused" -- run --base-url "http://127.0.0.1:1/v1" --requests 2 --no-save
check_true "refused named" grep -q "connection_refused" "$TMP/err"

# --- the API key never appears in outputs, files or the database -------------------------------
KEY="sk-cli-test-5f1e2d3c4b5a6978-DO-NOT-LEAK"
export LLE_TEST_CLI_KEY="$KEY"
check_exit 0 "key accepted" -- run --base-url "$URL/s/auth=required/v1" --api-key-env LLE_TEST_CLI_KEY --requests 2 --json
check_exit 1 "key echoed by the server" -- run --base-url "$URL/s/echo_auth=1/v1" --api-key-env LLE_TEST_CLI_KEY \
    --requests 2 --json -v
check_true "redacted in the error" grep -q "REDACTED" "$TMP/out"
check_true "key absent from stdout/stderr" bash -c "! grep -q -- '$KEY' '$TMP/out' '$TMP/err'"
check_true "key absent from results" bash -c "! grep -rq -- '5f1e2d3c4b5a6978' '$R'"
unset LLE_TEST_CLI_KEY

# --- a trace file, a sweep, DCGM energy ------------------------------------------------------
printf '# arrivals\n{"t_s": 0, "input_tokens": 4, "output_tokens": 3}\n{"t_s": 0.05, "prompt": "hi", "output_tokens": 5}\n' \
    >"$TMP/trace.jsonl"
check_exit 0 "trace" -- run --base-url "$URL/v1" --load trace --trace "$TMP/trace.jsonl" --json --no-save
check_true "trace lengths" test "$(json_get "$TMP/out" "sorted(q['output_tokens'] for q in d['requests'])")" = "[3, 5]"
check_exit 0 "sweep" -- run --base-url "$URL/s/itl_ms=1/v1" --requests 6 --sweep 1,2 --results-dir "$TMP/sweep"
check_true "sweep table" grep -q "^sweep" "$TMP/out"
check_true "one file per point" test "$(ls "$TMP"/sweep/*.json | wc -l)" -ge 1
check_exit 0 "dcgm energy" -- run --base-url "$URL/v1" --requests 3 --dcgm-url "$URL/s/energy_step_mj=2500,gpus=2/metrics" \
    --json --no-save
check_true "5 J measured" json_get "$TMP/out" "d['energy']['energy_j'] == 5 or sys.exit(1)"
check_true "energy source" test "$(json_get "$TMP/out" "d['energy']['source']")" = dcgm-exporter
finish
