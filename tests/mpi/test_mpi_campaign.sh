#!/usr/bin/env bash
# test_mpi_campaign.sh — `mpirun -np 3 llm-efficiency run grid` (rank 0
# coordinates, ranks 1 and 2 run): a 12-run grid completes with every run
# stored exactly once, by both workers; a rerun resumes with nothing to do; a
# worker killed mid-campaign (mpirun --enable-recovery) loses only its run,
# which is retried on the other worker, and the campaign completes; without
# --enable-recovery the job dies and a resume (one process, or mpirun)
# completes it; rank 0 killed between writing a result file and storing it:
# the resume stores that file instead of running it again; a rank that
# planned other runs is refused before anything runs. After each step the
# database is consistent: no run stored twice, every done mark has its
# experiment, one file per stored experiment, no temporary files.
set -uo pipefail
if ! grep -q "lle_cluster_run_campaign" "$LLE_SRC/src/cli/campaign.c"; then
    echo "SKIP: src/cli/campaign.c does not hand campaigns to lle_cluster_run_campaign() yet (docs/cluster.md)"
    exit 77
fi
source "$LLE_SRC/tests/cli/lib.sh"
BIN="$LLE_BIN"
Q8="$LLE_TESTDATA/tiny-q8_0.gguf"
MPI=("${MPIEXEC:-mpirun}" --oversubscribe -np 3)
[ "$(id -u)" = 0 ] && MPI+=(--allow-run-as-root)
export LLE_POWERCAP_ROOT="$TMP/no-powercap" LLE_PERF_SYSFS_ROOT="$TMP/no-perf" LLE_NVML_LIBRARY="$TMP/no.so"
export LLE_AMDSMI_LIBRARY="$TMP/no.so" LLE_DATA_DIR="$LLE_SRC/data" LLE_MPI_TIMEOUT=3
cat > "$TMP/grid.yaml" <<YAML
name: mpi-grid
suite: grid
experiment:
  model: {model_path: $Q8}
  workload: {prompts: 2, max_input_tokens: 8, max_output_tokens: 2}
  energy: {idle_baseline_s: 0, energy_interval_s: 0.05}
grid:
  batch_size: [1, 2]
  max_output_tokens: [2, 3]
cycles: 3
max_retries: 1
YAML
# per-rank wrappers: crash rank N at its k-th task (campaign/killpoint.h); rank 2 plans differently
cat > "$TMP/kill_rank.sh" <<'EOF'
#!/bin/sh
# KILL_RANK=N KILL_AT=point:n
[ "$OMPI_COMM_WORLD_RANK" = "$KILL_RANK" ] && export LLE_TEST_KILL_AT="$KILL_AT"
exec "$@"
EOF
cat > "$TMP/other_plan.sh" <<'EOF'
#!/bin/sh
[ "$OMPI_COMM_WORLD_RANK" = 2 ] && exec "$@" --cycles 2
exec "$@"
EOF
chmod +x "$TMP/kill_rank.sh" "$TMP/other_plan.sh"
GRID=(run grid "$TMP/grid.yaml")

# consistent DIR DESC — the campaign's invariants after any step
consistent() {
    local db="$1/results.db" d="$2"
    check_true "$d: no run stored twice" test "$(sqlite3 "$db" "select count(*) from (select json_extract(document_json,
        '$.campaign.config_hash'), json_extract(document_json, '$.campaign.cycle') from experiments group by 1, 2
        having count(*) > 1)")" = 0
    check_true "$d: done marks have their experiment" test "$(sqlite3 "$db" "select count(*) from campaign_items ci
        where state = 'done' and not exists (select 1 from experiments e where e.id = ci.experiment_id)")" = 0
    check_true "$d: done marks = stored" test "$(sqlite3 "$db" "select count(*) from campaign_items where state =
        'done'")" = "$(sqlite3 "$db" "select count(*) from experiments")"
    check_true "$d: one file per stored run" test "$(find "$1" -maxdepth 1 -name '*.json' | wc -l)" = \
        "$(sqlite3 "$db" "select count(*) from experiments")"
    check_true "$d: no temporary files" test -z "$(find "$1" -name '*.tmp*')"
    check_true "$d: integrity" test "$(sqlite3 "$db" 'pragma integrity_check')" = ok
}
complete() { # DIR DESC — all 12 runs done
    check_true "$2: 12 runs stored" test "$(sqlite3 "$1/results.db" 'select count(*) from experiments')" = 12
    check_true "$2: 12 done marks" test "$(sqlite3 "$1/results.db" "select count(*) from campaign_items where state = 'done'")" = 12
    consistent "$1" "$2"
}

# --- 12 runs over two workers --------------------------------------------------------------
R="$TMP/r"
check_exit 0 "grid over 3 ranks" -- "${MPI[@]}" "$BIN" "${GRID[@]}" --results-dir "$R" --json
check_true "one summary (rank 0 only)" test "$(jq -s length "$TMP/out")" = 1
check_true "summary: 12 done, 12 ran" test "$(jq -c '[.done, .ran, .remaining]' "$TMP/out")" = "[12,12,0]"
complete "$R" "grid"
check_true "both workers ran runs" test "$(sqlite3 "$R/results.db" "select group_concat(r) from (select distinct
    json_extract(document_json, '$.campaign.mpi.rank') r from experiments order by r)")" = "1,2"
check_true "rank 0 ran none" test "$(sqlite3 "$R/results.db" "select count(*) from experiments where
    json_extract(document_json, '$.campaign.mpi.rank') = 0")" = 0
check_true "runs say two workers shared the node" test "$(sqlite3 "$R/results.db" "select count(*) from experiments
    where json_extract(document_json, '$.campaign.mpi.workers_on_node') = 2")" = 12
check_true "shared-node energy is labelled" test "$(sqlite3 "$R/results.db" "select count(*) from experiments where
    json_extract(document_json, '$.energy.concurrent_runs_on_node') = 2")" = 12
check_true "a worker's share: 1 thread of 2 cores each" test "$(sqlite3 "$R/results.db" "select count(distinct
    json_extract(document_json, '$.config.threads')) from experiments")" = 1
check_exit 0 "resume: nothing left" -- "${MPI[@]}" "$BIN" "${GRID[@]}" --results-dir "$R" --json
check_true "resume ran nothing" test "$(jq -c .ran "$TMP/out")" = 0
complete "$R" "after resume"

# --- a worker killed mid-campaign, the job survives (--enable-recovery) -----------------------
R="$TMP/rk"
check_exit 0 "worker 2 killed at its 2nd run" -- env KILL_RANK=2 KILL_AT=mpi-task:2 timeout 300 "${MPI[@]}" \
    --enable-recovery "$TMP/kill_rank.sh" "$BIN" "${GRID[@]}" --results-dir "$R"
check_true "the lost rank is named" grep -q "rank 2 (.*) was lost while running it" "$TMP/err"
complete "$R" "after a lost worker"
check_true "its run failed once, then ran again" test "$(sqlite3 "$R/results.db" "select count(*) from campaign_items
    where failures = 1 and attempts = 2 and state = 'done'")" = 1
check_true "rank 2 stored one run only" test "$(sqlite3 "$R/results.db" "select count(*) from experiments where
    json_extract(document_json, '$.campaign.mpi.rank') = 2")" = 1
check_exit 0 "resume after the lost worker" -- "${MPI[@]}" "$BIN" "${GRID[@]}" --results-dir "$R" --json
check_true "nothing ran again" test "$(jq -c .ran "$TMP/out")" = 0

# --- a worker killed without recovery: the job dies; resume in one process ----------------------
R="$TMP/rd"
check_exit 137 "job dies with worker 1" -- env KILL_RANK=1 KILL_AT=mpi-task:3 timeout 300 "${MPI[@]}" \
    "$TMP/kill_rank.sh" "$BIN" "${GRID[@]}" --results-dir "$R"
consistent "$R" "after the job died"
check_true "some runs left" test "$(sqlite3 "$R/results.db" "select count(*) from campaign_items where state != 'done'")" -gt 0
check_exit 0 "resume in one process" -- "$BIN" "${GRID[@]}" --results-dir "$R"
complete "$R" "after a one-process resume"

# --- rank 0 killed between the result file and its row: the file is stored at resume ------------
R="$TMP/r0"
check_exit 137 "rank 0 killed after a result file" -- env KILL_RANK=0 KILL_AT=file:3 timeout 300 "${MPI[@]}" \
    "$TMP/kill_rank.sh" "$BIN" "${GRID[@]}" --results-dir "$R"
consistent_files=$(find "$R" -maxdepth 1 -name '*.json' | wc -l)
check_true "an orphan result file" test "$consistent_files" = $(( $(sqlite3 "$R/results.db" 'select count(*) from experiments') + 1 ))
check_exit 0 "resume over 3 ranks" -- "${MPI[@]}" "$BIN" "${GRID[@]}" --results-dir "$R" --json
check_true "the orphan was recovered, not rerun" test "$(jq -c .recovered "$TMP/out")" = 1
complete "$R" "after rank 0 died"

# --- a rank that planned other runs is refused before anything runs -----------------------------
R="$TMP/rp"
check_exit 2 "different plan on rank 2" -- timeout 300 "${MPI[@]}" "$TMP/other_plan.sh" "$BIN" "${GRID[@]}" --results-dir "$R"
check_true "the rank is named" grep -q "rank 2 (.*) planned other runs than rank 0" "$TMP/err"
check_true "nothing was run" test "$(sqlite3 "$R/results.db" 'select count(*) from experiments')" = 0
finish
