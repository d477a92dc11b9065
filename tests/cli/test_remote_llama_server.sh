#!/usr/bin/env bash
# test_remote_llama_server.sh — the remote engine against a REAL server:
# llama.cpp's own llama-server, compiled from the pinned bundle against the
# same prebuilt libraries (scripts/build_llama_server.sh, cached outside the
# clone), serving the synthesised tiny model on 127.0.0.1. A short closed-loop
# benchmark through /v1/completions, an open-loop one through
# /v1/chat/completions and a non-streamed one; token counts checked against
# the server's usage and the local tokenizer, metrics checked for consistency.
#
# Building llama-server takes ~10-30 min on 2 cores, too long for a test run:
# without a cached build the test is skipped (exit 77) and says how to build
# it; LLE_BUILD_LLAMA_SERVER=1 builds it here instead. The server is stopped on
# exit; every run is bounded (request counts, timeouts).
set -u
source "$LLE_SRC/tests/cli/lib.sh"
BIN="$LLE_BIN"
MODEL="$LLE_TESTDATA/tiny-q8_0.gguf"

if ! "$BIN" run single --engine openai --help 2>/dev/null | grep -q -- "--base-url"; then
    echo "SKIP: this llm-efficiency does not route 'run single --engine openai' to the remote engine yet"
    exit 77
fi
if [ "${LLE_BUILD_LLAMA_SERVER:-0}" = 1 ]; then
    SERVER="$(bash "$LLE_SRC/scripts/build_llama_server.sh")" || { echo "FAIL: building llama-server failed"; exit 1; }
elif ! SERVER="$(LLE_SERVER_CHECK_ONLY=1 bash "$LLE_SRC/scripts/build_llama_server.sh" 2>/dev/null)"; then
    echo "SKIP: no cached llama-server build; run 'bash scripts/build_llama_server.sh' once (~10-30 min on" \
         "2 cores, cached under \${XDG_CACHE_HOME:-~/.cache}/llm-efficiency/llama-server) or set LLE_BUILD_LLAMA_SERVER=1"
    exit 77
fi
[ -f "$MODEL" ] || { echo "FAIL: $MODEL is missing (the fixture_models test makes it)"; exit 1; }

SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_server() { # up to 3 tries on a fresh port; waits at most 120 s for /health
    local try i
    for try in 1 2 3; do
        PORT="$(free_port)"
        "$SERVER" -m "$MODEL" --host 127.0.0.1 --port "$PORT" -c 4096 -np 4 -t 2 --no-webui >"$TMP/server.log" 2>&1 &
        SERVER_PID=$!
        for i in $(seq 1 240); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
            sleep 0.5
        done
        kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
    done
    return 1
}
check_true "llama-server starts ($SERVER)" start_server || { tail -20 "$TMP/server.log"; finish; exit 1; }
URL="http://127.0.0.1:$PORT/v1"
run() { "$BIN" run single --engine openai --base-url "$URL" --model-name tiny --tokenizer "$MODEL" --no-save --json \
        --total-timeout 120 "$@"; }

# Every request: ttft <= e2e, ttft + sum(itl) == e2e, queue >= 0, TPOT consistent, tokens from usage.
CONSISTENT='
import json, sys
d = json.load(open(sys.argv[1])); want_out = int(sys.argv[2]); bad = []
for q in d["requests"] + d["excluded_requests"]:
    if q["token_count_source"] != "server_usage": bad.append("source " + q["token_count_source"])
    if want_out and q["output_tokens"] != want_out: bad.append("output_tokens %d" % q["output_tokens"])
    if not (0 <= q["queue_delay_s"] <= q["ttft_s"] <= q["e2e_s"]): bad.append("order")
    if abs(q["ttft_s"] + sum(q["itl_s"]) - q["e2e_s"]) > 1e-6: bad.append("itl sum")
    if q["itl_basis"] == "tokens" and len(q["itl_s"]) != q["output_tokens"] - 1: bad.append("itl count")
    if q["usage_output_tokens"] is None or q["local_output_tokens"] is None: bad.append("counts")
m = d["metrics"]
if m["requests"] != len(d["requests"]) or m["ttft_s"]["count"] != len(d["requests"]): bad.append("aggregate count")
if m["output_tokens_per_s"] <= 0 or d["remote"]["requests_failed"] != 0: bad.append("throughput/failures")
if bad: print(bad); sys.exit(1)
'

check_exit 0 "closed loop, completions" -- run --concurrency 2 --requests 10 --warmup 1 --max-output-tokens 16 \
    --max-input-tokens 32
cp "$TMP/out" "$TMP/closed.json"
check_true "closed: consistent" python3 -c "$CONSISTENT" "$TMP/closed.json" 16
check_true "closed: prompt tokens = local tokenizer" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
qs = d["requests"] + d["excluded_requests"]
sys.exit(0 if all(q["usage_input_tokens"] == q["local_input_tokens"] <= 32 for q in qs) else 1)' "$TMP/closed.json"
check_true "closed: usage compared" python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["remote"]["token_counts"]["compared"] == 10 else 1)' \
    "$TMP/closed.json"

check_exit 0 "open loop, chat" -- run --endpoint chat --load poisson --rate 20 --requests 10 --max-output-tokens 8
cp "$TMP/out" "$TMP/chat.json"
check_true "chat: consistent" python3 -c "$CONSISTENT" "$TMP/chat.json" 8
check_true "chat: template tokens counted by the server" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
sys.exit(0 if all(q["usage_input_tokens"] > q["local_input_tokens"] for q in d["requests"]) else 1)' "$TMP/chat.json"

check_exit 0 "non-streamed completions" -- run --no-stream --requests 3 --max-output-tokens 8
check_true "no-stream: consistent" python3 -c "$CONSISTENT" "$TMP/out" 8
finish
