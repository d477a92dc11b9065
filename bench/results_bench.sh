#!/usr/bin/env bash
# results_bench.sh [N] — timing of the results commands over a synthetic
# database of N experiments (default 100,000), against the targets of issue 7:
# results list < 0.2 s, analyze < 1 s, export < 2 s, report < 5 s.
#
# The database is made in the benchmark: the store creates the schema
# (tests/unit/test_results --make-db, 16 fixture documents through
# lle_store_put), then N documents shaped like real results (configuration,
# model, environment, metrics with distributions, energy with sources,
# phases, derived and carbon, 2 batches, 4 requests with their inter-token
# gaps; 60 configurations x cycles, deterministic values) go into the
# experiments and requests tables by direct SQL in one transaction, and
# power time series (100 samples) for the newest 1,000. Direct SQL bypasses
# the index the store writes at save time (results_flat_v1/results_text_v1),
# so the first results command afterwards parses every new document once and
# renders its export values (timed separately: "first read (one-off)"; a
# database written through lle_store_put never needs it); the others are
# timed warm, median of 3.
# Usage: bash bench/results_bench.sh [N]   (BUILD=build by default)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
BIN="$BUILD/llm-efficiency"
N="${1:-100000}"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
R="$W/results"

"$BUILD/tests/test_results" --make-db "$R" >/dev/null
python3 - "$R/results.db" "$N" <<'PY'
import json, random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
types = [("Q8_0", 1.0), ("Q4_0", 0.8), ("F16", 1.5)]
batches = [1, 2, 4, 8, 16]
decodings = [None, "standard"]
traffic = ["none", "poisson"]
configs = [(t, b, d, tr) for t in types for b in batches for d in decodings for tr in traffic]
def dist(p50):
    return {"count": 4, "mean": p50 * 1.1, "std": p50 * 0.1, "min": p50 * 0.9, "p50": p50, "p90": p50 * 1.5,
            "p95": p50 * 1.7, "p99": p50 * 2, "max": p50 * 2.5}
EX_SQL = ("INSERT INTO experiments(id, schema_version, status, started_at, model_path, model_arch, model_file_type,"
          " batch_size, wall_s, input_tokens, output_tokens, decode_tokens_per_s, total_tokens_per_s,"
          " config_json, metrics_json, document_json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
RQ_SQL = ("INSERT INTO requests(experiment_id, idx, prompt_index, repeat, batch, input_tokens, output_tokens,"
          " arrival_s, start_s, queue_delay_s, ttft_s, tpot_s, e2e_s, itl_s) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
t0 = time.time()
con = sqlite3.connect(db)
con.execute("BEGIN")
ex, rq = [], []
for k in range(n):
    (ty, f), b, dec, tr = configs[k % len(configs)]
    tps = 10.0 * b ** 0.7 / f * rng.uniform(0.95, 1.05)
    jpt = 2.0 * f / b ** 0.6 * rng.uniform(0.95, 1.05)
    wall = 64 / tps
    meth = "measured" if k % 3 else "estimated"
    j = jpt * 64
    i = f"2025{1 + k // 2600000:02d}01T{(k // 3600) % 24:02d}{(k // 60) % 60:02d}{k % 60:02d}.{k % 1000:03d}Z-{k:08x}"
    doc = {"schema_version": 1, "id": i, "status": "completed", "started_at": f"2025-01-01T{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:{k % 60:02d}Z",
           "config": {"engine": "llama.cpp", "model_path": f"/models/m-{ty}.gguf", "preset": None, "kv_type": "f16",
                      "flash_attn": "auto", "n_ctx": 256 * b, "threads": 2, "n_batch": 512, "n_ubatch": 512,
                      "n_gpu_layers": 0, "decoding_preset": dec, "decoding": "sampling" if dec else "greedy",
                      "temperature": 1.0 if dec else 0, "top_k": 50 if dec else 0, "top_p": 0.95 if dec else 1,
                      "seed": 42 + k, "prompts": 16, "max_input_tokens": 128, "max_output_tokens": 64,
                      "batching": "fixed", "batch_size": b, "traffic": tr, "rate_per_s": 4 if tr == "poisson" else 0,
                      "warmup": 1, "repeat": 1, "energy": True, "energy_interval_s": 0.1, "pue": 1},
           "model": {"path": f"/models/m-{ty}.gguf", "name": "bench", "arch": "llama", "file_type": ty,
                     "n_params": 1100048384, "bits_per_weight": 8.5 / f, "n_layer": 22, "n_embd": 2048},
           "environment": {"tool_version": "0.1.0", "git_commit": "bench", "llama_cpp_release": "b1", "cpu_model": "Bench CPU",
                           "cpu_cores": 2, "memory_total_bytes": 25276510208, "os": "Debian GNU/Linux 12", "kernel": "6.1",
                           "machine": "x86_64", "hostname": "bench", "gpus": []},
           "metrics": {"requests": 4, "batches": 2, "input_tokens": 512, "output_tokens": 64, "wall_s": wall, "busy_s": wall,
                       "idle_s": 0, "prefill_s": wall / 8, "decode_s": wall * 7 / 8, "output_tokens_per_s": tps,
                       "total_tokens_per_s": tps * 9, "decode_tokens_per_s": tps * 1.1, "prefill_tokens_per_s": tps * 40,
                       "requests_per_s": 4 / wall, "ttft_s": dist(0.05 * b), "tpot_s": dist(1 / tps), "itl_s": dist(1 / tps),
                       "e2e_s": dist(16 / tps), "queue_delay_s": dist(0.001), "peak_rss_bytes": 400000000, "model_bytes": 600000000,
                       "kv_cache_bytes": 262144 * b},
           "energy": {"window": {"sources": [{"source": "rapl:package-0", "domain": "package", "method": meth, "how": "RAPL",
                                              "in_total": True, "energy_j": j, "avg_power_w": j / wall, "peak_power_w": j / wall * 1.2}]},
                      "total": {"energy_j": j, "net_energy_j": j / 2, "method": meth, "measured_j": j, "estimated_j": 0,
                                "avg_power_w": j / wall, "partial": False},
                      "phases": {"prefill": {"duration_s": wall / 8, "energy_j": j / 10, "method": meth, "tokens": 512, "j_per_token": j / 5120},
                                 "decode": {"duration_s": wall * 7 / 8, "energy_j": j * 0.9, "method": meth, "tokens": 64, "j_per_token": j * 0.9 / 64}},
                      "derived": {"method": meth, "j_per_output_token": jpt, "j_per_request": j / 4, "output_tokens_per_j": 1 / jpt},
                      "carbon": {"g_co2e": j / 3.6e6 * 475, "intensity_g_per_kwh": 475, "region": "world", "method": meth}},
           "batches": [{"start_s": 0, "prefill_end_s": wall / 16, "end_s": wall / 2},
                       {"start_s": wall / 2, "prefill_end_s": wall / 2 + wall / 16, "end_s": wall}],
           "requests": [{"index": q, "repeat": 0, "batch": q // 2, "input_tokens": 128, "output_tokens": 16,
                         "arrival_s": 0, "start_s": 0, "queue_delay_s": 0, "ttft_s": 0.05, "e2e_s": 0.05 + 15 / tps,
                         "itl_s": [round(1 / tps, 6)] * 15} for q in range(4)]}
    text = json.dumps(doc, separators=(",", ":"))
    ex.append((i, 1, "completed", doc["started_at"], doc["model"]["path"], "llama", ty, b, wall, 512, 64, tps, tps * 9,
               json.dumps(doc["config"]), json.dumps(doc["metrics"]), text))
    for q, r in enumerate(doc["requests"]):
        rq.append((i, q, r["index"], 0, r["batch"], 128, 16, 0.0, 0.0, 0.0, 0.05, 1 / tps, r["e2e_s"], json.dumps(r["itl_s"])))
    if len(ex) >= 5000 or k == n - 1:
        con.executemany(EX_SQL, ex)
        con.executemany(RQ_SQL, rq)
        ex, rq = [], []
ids = [r[0] for r in con.execute("SELECT id FROM experiments ORDER BY started_at DESC, id DESC LIMIT 1000")]
con.executemany("INSERT INTO timeseries(experiment_id, t_s, source, metric, value) VALUES(?,?,?,?,?)",
                ((i, s / 10, "rapl:package-0", "power_w", 20 + (s % 17)) for i in ids for s in range(100)))
con.commit()
print(f"inserted {n} experiments, {4 * n} requests, {100 * len(ids)} timeseries rows in {time.time() - t0:.1f} s",
      file=sys.stderr)
PY

median3() { # CMD... : median wall seconds of 3 runs (stdout discarded)
    local t=()
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
        t+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${t[@]}" | sort -g | sed -n 2p
}
once() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

idx=$(once "$BIN" -q results list --results-dir "$R" --limit 1)
row() { printf '| %-58s | %8.3f | %-7s | %s |\n' "$1" "$2" "$3" "$(python3 -c "print('ok' if $2 < $3 else 'MISSED')")"; }
echo "results database: $((N + 16)) experiments, $(du -m "$R/results.db" | cut -f1) MiB ($(nproc) cores)"
echo
printf '| %-58s | %8s | %-7s | %s |\n' "command" "s" "target" "met"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "----------" "---------" "-----"
row "first read (one-off): indexes the documents inserted by SQL" "$idx" 1000
row "results list (default: newest 50)" "$(median3 "$BIN" results list --results-dir "$R")" 0.2
row "results list --limit 0 (all, text, to /dev/null)" "$(median3 "$BIN" results list --results-dir "$R" --limit 0)" 0.2
row "results list --where batch_size=4 --sort -j_per_output_token" \
    "$(median3 "$BIN" results list --results-dir "$R" --where batch_size=4 --sort -j_per_output_token)" 0.2
row "results list --json --limit 50" "$(median3 "$BIN" results list --results-dir "$R" --json --limit 50)" 0.2
row "results list --json (all)" "$(median3 "$BIN" results list --results-dir "$R" --json)" 0.2
row "results analyze" "$(median3 "$BIN" results analyze --results-dir "$R")" 1
row "results analyze --by batch_size model_file_type --json" \
    "$(median3 "$BIN" results analyze --results-dir "$R" --by batch_size model_file_type --json)" 1
row "results export --format csv -o FILE (experiments)" \
    "$(median3 "$BIN" results export --format csv --results-dir "$R" -o "$W/e.csv")" 2
row "results export --format jsonl (experiments)" "$(median3 "$BIN" results export --format jsonl --results-dir "$R")" 2
row "results export --format csv --what requests" \
    "$(median3 "$BIN" results export --format csv --what requests --results-dir "$R")" 2
row "results report -o FILE" "$(median3 "$BIN" -q results report --results-dir "$R" -o "$W/r.html")" 5
echo
echo "report: $(du -k "$W/r.html" | cut -f1) KiB; experiments export: $(du -m "$W/e.csv" | cut -f1) MiB"
