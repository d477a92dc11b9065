#!/usr/bin/env bash
# remote_bench.sh — what the remote engine's client costs, measured against the
# fault-free local test server (tests/servers/fault_server.c) on 127.0.0.1.
#
# Table 1, client cost and added TTFT:
#   base     closed loop, 1 user, the server answering instantly (every chunk at once)
#   streams  open loop (Poisson) at CONCURRENCY / (TOKENS x ITL_MS) requests/s of TOKENS-token
#            streams, one chunk every ITL_MS ms (first chunk at once), so ~CONCURRENCY streams
#            are open at any time (column "max in flight")
#   flood    closed loop, CONCURRENCY users, instant server: the client saturating the machine
#   For each: client CPU (user + sys of the llm-efficiency process, getrusage) per streamed
#   token (warmup included), TTFT p50/p99 as the client measured it, and the ADDED TTFT: the
#   client's TTFT minus the server's own time from reading the request to writing the first
#   chunk (from the server's --log, same CLOCK_MONOTONIC): what the client, the loopback and
#   the sharing of this machine's CPUs add. Target: added p99 < 1 ms.
# Table 2, open-loop accuracy: Poisson at each of RATES requests/s for DURATION_S seconds:
#   configured rate, the drawn schedule's rate, the rate the client really sent at (and its
#   ratio to the schedule), the completion rate and the client's queue delay (send - scheduled).
#
# Usage: bash bench/remote_bench.sh            (after cmake --build build)
# Env: LLE_BIN (default build/llm-efficiency), LLE_FAULT_SERVER (default build/lle_fault_server),
#      OUT_DIR (default build-bench/remote/<utc time>), CONCURRENCY (1000), TOKENS (64),
#      ITL_MS (20), RATES ("10 100 1000"), DURATION_S (10). Traffic goes to 127.0.0.1 only;
#      every server is stopped on exit. Results are noisy on a busy machine: the table says how
#      loaded the CPUs were (load average) when it ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${LLE_BIN:-$ROOT/build/llm-efficiency}"
SERVER="${LLE_FAULT_SERVER:-$ROOT/build/lle_fault_server}"
OUT="${OUT_DIR:-$ROOT/build-bench/remote/$(date -u +%Y%m%dT%H%M%SZ)}"
CONCURRENCY="${CONCURRENCY:-1000}"
TOKENS="${TOKENS:-64}"
ITL_MS="${ITL_MS:-20}"
RATES="${RATES:-10 100 1000}"
DURATION_S="${DURATION_S:-10}"

die() { printf 'remote_bench: error: %s\n' "$*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not built (cmake --build build)"
[ -x "$SERVER" ] || die "$SERVER not built (cmake --build build --target lle_fault_server)"
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SERVER_PID=""
stop_server() { [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }; SERVER_PID=""; }
trap stop_server EXIT
start_server() { # NAME: a fresh server logging to $OUT/NAME.srv; sets URL
    stop_server
    rm -f "$OUT/port"
    "$SERVER" --port-file "$OUT/port" --max-seconds 1800 --log "$OUT/$1.srv" >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do [ -s "$OUT/port" ] && break; sleep 0.05; done
    [ -s "$OUT/port" ] || die "the test server did not start"
    URL="http://127.0.0.1:$(cat "$OUT/port")"
}

# run NAME ARGS... : one experiment against a fresh server; JSON in NAME.json, client CPU in NAME.cpu
run() {
    local name="$1"; shift
    start_server "$name"
    python3 - "$OUT/$name" "$BIN" run single --engine openai --base-url "$URL/$1" --model-name bench --no-save \
        --json -q --total-timeout 300 --first-byte-timeout 120 "${@:2}" <<'PY'
import resource, subprocess, sys
out = sys.argv[1]
with open(out + ".json", "w") as f:
    rc = subprocess.call(sys.argv[2:], stdout=f)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(out + ".cpu", "w").write("%f %f\n" % (ru.ru_utime, ru.ru_stime))
sys.exit(rc)
PY
    stop_server
}

uptime >"$OUT/load_before"
STREAM_RATE="$(python3 -c "print($CONCURRENCY / ($TOKENS * $ITL_MS / 1000.0))")"
echo "remote_bench: base (1 user, instant) -> $OUT" >&2
run base v1 --concurrency 1 --requests 1000 --warmup 10 --max-output-tokens "$TOKENS" --max-input-tokens 32
echo "remote_bench: ~$CONCURRENCY open streams (poisson $STREAM_RATE req/s, $TOKENS tokens every $ITL_MS ms)" >&2
run streams "s/itl_ms=$ITL_MS/v1" --load poisson --rate "$STREAM_RATE" --requests "$((3 * CONCURRENCY))" \
    --warmup 10 --max-output-tokens "$TOKENS" --max-input-tokens 32
echo "remote_bench: flood ($CONCURRENCY users, instant)" >&2
run flood v1 --concurrency "$CONCURRENCY" --requests "$((5 * CONCURRENCY))" --warmup "$CONCURRENCY" \
    --max-output-tokens "$TOKENS" --max-input-tokens 32
for r in $RATES; do
    n="$(python3 -c "print(max(20, int($r * $DURATION_S)))")"
    echo "remote_bench: poisson $r req/s, $n requests" >&2
    run "poisson$r" v1 --load poisson --rate "$r" --requests "$n" --warmup 10 --max-output-tokens 16 \
        --max-input-tokens 32
done
uptime >"$OUT/load_after"

python3 - "$OUT" "$CONCURRENCY" "$RATES" <<'PY' | tee "$OUT/table.md"
import json, sys
out, conc, rates = sys.argv[1], sys.argv[2], sys.argv[3].split()
def pct(v, q):
    v = sorted(v)
    if not v: return float("nan")
    r = q / 100 * (len(v) - 1); lo = int(r); hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (r - lo)
def load(name):
    d = json.load(open("%s/%s.json" % (out, name)))
    u, s = map(float, open("%s/%s.cpu" % (out, name)).read().split())
    srv = {}
    for line in open("%s/%s.srv" % (out, name)):
        seed, t_recv, t_first = line.split()
        srv[int(seed)] = float(t_first) - float(t_recv)
    return d, u + s, srv
print("load average before/after: %s / %s" % (open(out + "/load_before").read().split("load average:")[1].strip(),
      open(out + "/load_after").read().split("load average:")[1].strip()))
print()
print("| run | requests ok | max in flight | tokens streamed | client CPU s | CPU us/token | TTFT p50 ms | TTFT p99 ms | added TTFT p50 ms | added TTFT p99 ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, label in (("base", "base: 1 user, instant"), ("streams", "streams: ~%s open" % conc), ("flood", "flood: %s users, instant" % conc)):
    d, cpu, srv = load(name)
    r, m = d["remote"], d["metrics"]
    qs = d["requests"] + d["excluded_requests"]
    seed = d["config"]["seed"]
    toks = sum(q["output_tokens"] for q in qs)
    toks += r["warmup_requests"] * toks / max(1, len(qs))
    added = [q["ttft_s"] - srv[seed + q["index"] + 1] for q in d["requests"] if seed + q["index"] + 1 in srv]
    print("| %s | %d | %d | %d | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f |" % (label, r["requests_ok"], r["max_concurrency"],
          toks, cpu, 1e6 * cpu / max(1, toks), 1e3 * m["ttft_s"]["p50"], 1e3 * m["ttft_s"]["p99"],
          1e3 * pct(added, 50), 1e3 * pct(added, 99)))
print()
print("| requested req/s | scheduled req/s | sent req/s | sent / scheduled | completed req/s | queue p50 ms | queue p99 ms | failed |")
print("|---|---|---|---|---|---|---|---|")
for rate in rates:
    d, _, _ = load("poisson" + rate)
    r, m = d["remote"], d["metrics"]
    print("| %s | %.2f | %.2f | %.4f | %.2f | %.3f | %.3f | %d |" % (rate, r["scheduled_rate"], r["send_rate"],
          r["send_rate"] / r["scheduled_rate"] if r["scheduled_rate"] else 0, r["completion_rate"],
          1e3 * m["queue_delay_s"]["p50"], 1e3 * m["queue_delay_s"]["p99"], r["requests_failed"]))
PY
