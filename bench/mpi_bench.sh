#!/usr/bin/env bash
# mpi_bench.sh — campaigns over MPI ranks (issue 9, docs/cluster.md):
#  1. grid throughput: experiments per minute of one N-run grid on the tiny
#     model at 1, 2 and 3 ranks (`mpirun -np K llm-efficiency run grid`; with
#     K > 1 rank 0 coordinates and K - 1 ranks run experiments). Every engine
#     gets THREADS threads (default 1), so rank counts differ only in how many
#     engines run at once. Wall time of the whole command, mpirun start-up
#     included; the median of REPEATS rounds after one warm-up round (model
#     file, FLOPs calibrations cached), the rank counts alternating within
#     each round so drift of a shared machine spreads over all of them.
#  2. scheduling overhead per experiment: the work queue with ONE worker
#     (-np 2) against the one-process runner (-np 1) on the same grid — the
#     same engine, thread count and sequence of runs — after taking off each
#     one's fixed cost (mpirun start-up, MPI wire-up, planning, journal: the
#     same command resuming a finished campaign), so what is left per run is
#     what the coordinator adds (messages, the result document sent and
#     re-serialised, the polls).
# Timing targets live here, never in tests. Prints a Markdown table.
#
# usage: bench/mpi_bench.sh          (BUILD=build-mpi CYCLES=6 REPEATS=3 PROMPTS=2 OUT_TOKENS=8 THREADS=1)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build-mpi}"
BIN="$BUILD/llm-efficiency"
REPEATS="${REPEATS:-3}"
PROMPTS="${PROMPTS:-2}"
OUT_TOKENS="${OUT_TOKENS:-8}"
THREADS="${THREADS:-1}"
CYCLES="${CYCLES:-6}"          # 4 grid points x CYCLES runs
MPIRUN="${MPIRUN:-mpirun}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export LLE_DATA_DIR="${LLE_DATA_DIR:-$ROOT/data}" LLE_CACHE_DIR="${LLE_CACHE_DIR:-$TMP/cache}"

[ -x "$BIN" ] || { echo "mpi_bench: build with -DLLE_MPI=ON first ($BIN missing; make test-mpi)" >&2; exit 2; }
command -v "$MPIRUN" >/dev/null || { echo "mpi_bench: needs $MPIRUN (openmpi-bin)" >&2; exit 2; }
MPI=("$MPIRUN" --oversubscribe)
[ "$(id -u)" = 0 ] && MPI+=(--allow-run-as-root)

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
now() { date +%s.%N; }

MODEL="$TMP/tiny-q8_0.gguf"
"$BIN" -q model synth --preset tiny --type q8_0 --seed 1 -o "$MODEL" > /dev/null
RUNS=$((4 * CYCLES))
cat > "$TMP/grid.yaml" <<YAML
name: mpi-bench
suite: grid
experiment:
  model: {model_path: $MODEL}
  engine: {threads: $THREADS}
  workload: {prompts: $PROMPTS, max_input_tokens: 16, max_output_tokens: $OUT_TOKENS}
  energy: {idle_baseline_s: 0}
grid:
  batch_size: [1, 2]
  max_output_tokens: [$OUT_TOKENS, $((OUT_TOKENS + 2))]
cycles: $CYCLES
YAML

# wall seconds of one complete campaign over K ranks, in a fresh results dir;
# FIXED[K] gets the seconds of the same command resuming it (nothing to run)
declare -A FIXED_SAMPLES
campaign_s() {
    local k="$1" dir="$TMP/r-$1-$RANDOM" t0 t1 t2
    t0=$(now)
    "${MPI[@]}" -np "$k" "$BIN" -q run grid "$TMP/grid.yaml" --results-dir "$dir" > /dev/null
    t1=$(now)
    "${MPI[@]}" -np "$k" "$BIN" -q run grid "$TMP/grid.yaml" --results-dir "$dir" > /dev/null
    t2=$(now)
    [ "$(sqlite3 "$dir/results.db" "select count(*) from experiments")" = "$RUNS" ] ||
        { echo "mpi_bench: $k ranks did not store $RUNS runs" >&2; exit 1; }
    rm -rf "$dir"
    FIXED_SAMPLES[$k]+="$(echo "$t2 - $t1" | bc -l) "
    echo "$t1 - $t0" | bc -l > "$TMP/last"
}

declare -A WALL SAMPLES FIXED
for k in 1 2 3; do campaign_s "$k"; done   # warm-up round: caches
FIXED_SAMPLES=()
for _ in $(seq "$REPEATS"); do
    for k in 1 2 3; do campaign_s "$k"; SAMPLES[$k]+="$(cat "$TMP/last") "; done
done
for k in 1 2 3; do
    WALL[$k]=$(printf '%s\n' ${SAMPLES[$k]} | median)
    FIXED[$k]=$(printf '%s\n' ${FIXED_SAMPLES[$k]} | median)
done

echo "### Campaign over MPI ranks: $RUNS-run grid, tiny model ($PROMPTS prompts x $OUT_TOKENS tokens per run, $THREADS thread(s) per engine), $(nproc) cores"
echo
echo "| ranks | experiment ranks | wall (s, median of $REPEATS) | experiments / min | vs 1 rank | fixed cost (s) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for k in 1 2 3; do
    workers=$([ "$k" = 1 ] && echo 1 || echo $((k - 1)))
    printf '| %d | %d | %.2f | %.1f | %.2fx | %.2f |\n' "$k" "$workers" "${WALL[$k]}" \
        "$(echo "$RUNS * 60 / ${WALL[$k]}" | bc -l)" "$(echo "${WALL[1]} / ${WALL[$k]}" | bc -l)" "${FIXED[$k]}"
done
echo
echo "fixed cost: the same command resuming the finished campaign (mpirun start-up, wire-up, plan, journal)."
printf 'Scheduling overhead per experiment (one worker at -np 2 vs the one-process runner at -np 1, same runs, fixed costs off): %.1f ms\n' \
    "$(echo "((${WALL[2]} - ${FIXED[2]}) - (${WALL[1]} - ${FIXED[1]})) * 1000 / $RUNS" | bc -l)"
