#!/usr/bin/env bash
# test_mpi_run.sh — `mpirun -np 3 llm-efficiency run single` (data-parallel)
# over loopback with the tiny model, against the same experiment in one
# process: the same requests, output tokens (ids included) and FLOPs; latency
# distributions from every rank's raw records; energy from a fake GPU at a
# constant 200 W counted once per node (one node: 200 W, not 600; two nodes
# faked with LLE_MPI_NODE: 400 W); only rank 0 saves; a rank that fails does
# not leave the others waiting and is named; too few prompts is a usage error.
set -uo pipefail
source "$LLE_SRC/tests/cli/lib.sh"
BIN="$LLE_BIN"
MODEL="$LLE_TESTDATA/tiny-q8_0.gguf"
MPI=("${MPIEXEC:-mpirun}" --oversubscribe -np 3)
[ "$(id -u)" = 0 ] && MPI+=(--allow-run-as-root)
# Deterministic energy: one fake NVIDIA GPU drawing 200 W, nothing real read.
printf 'gpus 1\nname NVIDIA Fake H100\np 0 200\np 100 200\n' > "$TMP/trace"
export LLE_POWERCAP_ROOT="$TMP/no-powercap" LLE_PERF_SYSFS_ROOT="$TMP/no-perf" LLE_AMDSMI_LIBRARY="$TMP/no.so"
export LLE_NVML_LIBRARY="$LLE_FAKE_NVML" LLE_FAKE_NVML_TRACE="$TMP/trace" LLE_DATA_DIR="$LLE_SRC/data"
RUN=(run single --model "$MODEL" --prompts 7 --max-input-tokens 16 --max-output-tokens 6 --threads 1
     --idle-baseline 0 --energy-sources nvml --no-energy-estimates --energy-interval 0.01 --json)
# Per-rank wrappers: fake node names (ranks 0,1 on n0, rank 2 on n1); rank 1 given a context too small.
cat > "$TMP/two_nodes.sh" <<'EOF'
#!/bin/sh
LLE_MPI_NODE="n$((OMPI_COMM_WORLD_RANK / 2))" exec "$@"
EOF
cat > "$TMP/rank1_fails.sh" <<'EOF'
#!/bin/sh
[ "$OMPI_COMM_WORLD_RANK" = 1 ] && exec "$@" --ctx 4
exec "$@"
EOF
chmod +x "$TMP/two_nodes.sh" "$TMP/rank1_fails.sh"

# --- one process, the reference ------------------------------------------------------------
check_exit 0 "single process" -- "$BIN" "${RUN[@]}" --results-dir "$TMP/r1"
cp "$TMP/out" "$TMP/single.json"
S="$TMP/single.json"

# --- three ranks, one node -----------------------------------------------------------------------
check_exit 0 "mpirun -np 3" -- "${MPI[@]}" "$BIN" "${RUN[@]}" --results-dir "$TMP/r3"
cp "$TMP/out" "$TMP/mpi.json"
J="$TMP/mpi.json"
check_true "one document on stdout (rank 0 only)" test "$(jq -s length "$J")" = 1
check_true "output tokens = single process" test "$(jq .metrics.output_tokens "$J")" = "$(jq .metrics.output_tokens "$S")"
check_true "output tokens = 7 x 6" test "$(jq .metrics.output_tokens "$J")" = 42
check_true "input tokens = single process" test "$(jq .metrics.input_tokens "$J")" = "$(jq .metrics.input_tokens "$S")"
check_true "every prompt exactly once" test "$(jq -c '[.requests[].index]' "$J")" = "[0,1,2,3,4,5,6]"
check_true "same output token ids per prompt" test "$(jq -c '[.requests[] | .output_token_ids]' "$J")" = "$(jq -c '[.requests[] | .output_token_ids]' "$S")"
check_true "model FLOPs = single process" test "$(jq .flops.model.total "$J")" = "$(jq .flops.model.total "$S")"
check_true "executed FLOPs = single process" test "$(jq .flops.executed.total "$J")" = "$(jq .flops.executed.total "$S")"
check_true "config: 3 ranks, 1 node" test "$(jq -c '[.config.mpi.ranks, .config.mpi.nodes, .config.shard_count]' "$J")" = "[3,1,3]"
check_true "config: no shard_rank in the merged result" test "$(jq '.config | has("shard_rank")' "$J")" = false
check_true "each rank ran its shard" test "$(jq -c '[.config.mpi.per_rank[].requests]' "$J")" = "[3,2,2]"
check_true "TTFT count = all requests" test "$(jq .metrics.ttft_s.count "$J")" = 7
check_true "TTFT max from the raw records" test "$(jq '.metrics.ttft_s.max == ([.requests[].ttft_s] | max)' "$J")" = true
check_true "ITL count from the raw records" test "$(jq '.metrics.itl_s.count == ([.requests[].itl_s[]] | length)' "$J")" = true
check_true "wall time covers the slowest rank" test "$(jq '.metrics.wall_s >= ([.config.mpi.per_rank[].finished_s] | max)' "$J")" = true
check_true "batch numbers unique" test "$(jq '[.batches[] | [.repeat, .index]] | (unique | length) == length' "$J")" = true
check_true "energy measured by rank 0 only" test "$(jq -c '[.config.mpi.per_rank[].measured_energy]' "$J")" = "[true,false,false]"
check_true "energy: one node section" test "$(jq '.energy.nodes | length' "$J")" = 1
check_true "energy: the node's sources once" test "$(jq '.energy.window.sources | length' "$J")" = 1
check_true "energy: total = the node's" test "$(jq '.energy.total.energy_j == .energy.nodes[0].energy.total.energy_j' "$J")" = true
check_true "energy: 200 W, not 3 x 200 W" test "$(jq '(.energy.total.avg_power_w - 200 | fabs) < 10' "$J")" = true
check_true "energy: measured, labelled" test "$(jq -r .energy.total.method "$J")" = measured
check_true "energy: no phase split with shared nodes" test "$(jq '.energy | has("phases_omitted") and (has("phases") | not)' "$J")" = true
check_true "derived J/token over all tokens" test "$(jq '(.energy.derived.j_per_output_token - .energy.total.energy_j / 42 | fabs) < 1e-9' "$J")" = true
check_true "only rank 0 saved: one file" test "$(ls "$TMP/r3"/*.json | wc -l)" = 1
check_true "only rank 0 saved: one row" test "$(sqlite3 "$TMP/r3/results.db" 'select count(*) from experiments')" = 1
check_true "db: 7 request rows" test "$(sqlite3 "$TMP/r3/results.db" 'select count(*) from requests')" = 7
# the human table of the same run: phase energy not available is "n/a", never "nan"
TABLE_RUN=()
for a in "${RUN[@]}"; do [ "$a" = --json ] || TABLE_RUN+=("$a"); done
check_exit 0 "mpirun -np 3, human table" -- "${MPI[@]}" "$BIN" "${TABLE_RUN[@]}" --no-save
check_true "table: prefill energy n/a" grep -Eq 'prefill energy \(J\) +n/a$' "$TMP/out"
check_true "table: no nan anywhere" bash -c "! grep -qiw nan '$TMP/out'"

# --- three ranks on two (faked) nodes ----------------------------------------------------------
check_exit 0 "two nodes" -- "${MPI[@]}" "$TMP/two_nodes.sh" "$BIN" "${RUN[@]}" --no-save
J2="$TMP/out"
check_true "two nodes: config" test "$(jq -c '[.config.mpi.nodes, .config.mpi.ranks_per_node]' "$J2")" = "[2,[2,1]]"
check_true "two nodes: measured by ranks 0 and 2" test "$(jq -c '[.energy.nodes[].measured_by_rank]' "$J2")" = "[0,2]"
check_true "two nodes: ranks per node" test "$(jq -c '[.energy.nodes[].ranks]' "$J2")" = "[[0,1],[2]]"
check_true "two nodes: total = sum of nodes" test "$(jq '(.energy.total.energy_j - ([.energy.nodes[].energy.total.energy_j] | add) | fabs) < 1e-9' "$J2")" = true
check_true "two nodes: 400 W, not 600 W" test "$(jq '(.energy.total.avg_power_w - 400 | fabs) < 20' "$J2")" = true
check_true "two nodes: sources tagged by node" test "$(jq -c '[.energy.window.sources[].node]' "$J2")" = '["n0","n1"]'
check_true "two nodes: tokens" test "$(jq .metrics.output_tokens "$J2")" = 42

# --- multi-GPU fields on a CPU-only llama.cpp: recorded, said not applicable; bad ones refused ----
GPU=(--ngl 99 --split-mode row --main-gpu 1 --tensor-split 3,1 --no-energy --no-save)
check_exit 0 "gpu fields, one process" -- "$BIN" "${RUN[@]}" "${GPU[@]}"
check_true "gpu_offload not applicable" test "$(jq -r .config.gpu_offload "$TMP/out")" = "not applicable (CPU-only llama.cpp build)"
check_true "gpu fields recorded" test "$(jq -c '.config | [.n_gpu_layers, .split_mode, .main_gpu, .tensor_split]' "$TMP/out")" = '[99,"row",1,[3,1]]'
check_exit 0 "gpu fields, 3 ranks (no GPU to give each)" -- "${MPI[@]}" "$BIN" "${RUN[@]}" "${GPU[@]}"
check_true "3 ranks: no GPU chosen" test "$(jq -c '[.config.mpi.per_rank[].gpu]' "$TMP/out")" = "[null,null,null]"
check_true "3 ranks: not applicable" test "$(jq -r .config.gpu_offload "$TMP/out")" = "not applicable (CPU-only llama.cpp build)"
check_usage_error "bad split mode" "split_mode: unknown 'diagonal'" -- "$BIN" "${RUN[@]}" --split-mode diagonal --no-save

# --- failures ---------------------------------------------------------------------------------
check_exit 2 "a failing rank" -- timeout 120 "${MPI[@]}" "$TMP/rank1_fails.sh" "$BIN" "${RUN[@]}" --results-dir "$TMP/rf"
check_true "the failing rank is named" grep -q "rank 1 (" "$TMP/err"
check_true "its reason is given" grep -q "n_ctx" "$TMP/err"
check_true "reported once" test "$(grep -c '^llm-efficiency:' "$TMP/err")" = 1
check_true "nothing saved" test ! -e "$TMP/rf/results.db"
check_exit 2 "fewer prompts than ranks" -- "${MPI[@]}" "$BIN" "${RUN[@]}" --prompts 2 --no-save
check_true "prompts error" grep -q "2 prompts cannot be shared by 3 ranks" "$TMP/err"
check_true "prompts error once" test "$(grep -c '^llm-efficiency:' "$TMP/err")" = 1
finish
