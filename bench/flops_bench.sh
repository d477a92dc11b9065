#!/usr/bin/env bash
# flops_bench.sh — the two FLOPs benchmarks of docs/flops.md:
#
#  1. Calibration time of the executed-FLOPs fit for a model (default: the
#     TinyLlama-1.1B preset; target < 5 s): `llm-efficiency flops --no-cache`
#     REPS times, the fit's calibration_seconds (model load + seven counted
#     decodes + solve), min / median / max; and the cache-hit lookup time.
#     The first run of a model file not yet in the page cache also pays the
#     disk read; it is reported separately as "first".
#  2. Overhead on the timed run (target: throughput ratio on/off >= 0.995):
#     a) the cost of the accounting itself: `flops` with N_CALLS (env, default
#        2,000,000) decode steps minus one step — it evaluates the fit once per
#        decode call, the very work the runner's hook does — per call in ns;
#     b) `run single` with FLOPs counting on (default) and off (--no-flops), the
#        fit already cached, in PAIRS interleaved pairs (off/on, on/off, ...) so
#        that machine noise and ordering hit both alike; per pair the ratio on/off of decode and prefill
#        tokens/s, the median ratio, and the spread of the off runs alone (above
#        x1.02 the comparison is reported inconclusive: noise, not overhead);
#        and the bound 1 - (cost per call / mean decode step). Skipped (with a
#        note) when `run single` has no --no-flops flag yet.
#
# Usage: bash bench/flops_bench.sh [options]
#   --bin FILE        llm-efficiency binary (env LLE_BIN, default build/llm-efficiency)
#   --model FILE      GGUF model (env MODEL). Default: the preset PRESET/TYPE in the
#                     runner's model cache, synthesised there if missing
#   --preset NAME     (env PRESET, default tinyllama-1.1b)
#   --type TYPE       (env TYPE, default q4_k_m)
#   --reps N          calibration repetitions (env REPS, default 3)
#   --pairs N         off/on run pairs (env PAIRS, default 5)
#   --pp N, --tg N    prompt / generated tokens of the runs (env PP=128, TG=64)
#   --threads N       threads (env THREADS, default nproc)
#   --out DIR         raw outputs and flops_bench.md (env OUT_DIR,
#                     default build-bench/flops/<utc time>)
# Needs jq. Prints the Markdown tables on stdout.
set -euo pipefail

BIN="${LLE_BIN:-build/llm-efficiency}"
MODEL="${MODEL:-}"
PRESET="${PRESET:-tinyllama-1.1b}"
TYPE="${TYPE:-q4_k_m}"
REPS="${REPS:-3}"
PAIRS="${PAIRS:-5}"
PP="${PP:-128}"
TG="${TG:-64}"
THREADS="${THREADS:-$(nproc)}"
OUT_DIR="${OUT_DIR:-build-bench/flops/$(date -u +%Y%m%dT%H%M%SZ)}"

while [ $# -gt 0 ]; do
    case "$1" in
        --bin) BIN="$2"; shift 2 ;;
        --model) MODEL="$2"; shift 2 ;;
        --preset) PRESET="$2"; shift 2 ;;
        --type) TYPE="$2"; shift 2 ;;
        --reps) REPS="$2"; shift 2 ;;
        --pairs) PAIRS="$2"; shift 2 ;;
        --pp) PP="$2"; shift 2 ;;
        --tg) TG="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --out) OUT_DIR="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "flops_bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

command -v jq >/dev/null || { echo "flops_bench.sh: jq is required" >&2; exit 2; }
[ -x "$BIN" ] || { echo "flops_bench.sh: $BIN is not an executable (build first, or --bin)" >&2; exit 2; }
mkdir -p "$OUT_DIR"

# The runner's preset cache (src/run/cache.c): $LLE_CACHE_DIR, else XDG, else ~/.cache.
model_cache_dir() {
    if [ -n "${LLE_CACHE_DIR:-}" ]; then echo "$LLE_CACHE_DIR"
    elif [ -n "${XDG_CACHE_HOME:-}" ]; then echo "$XDG_CACHE_HOME/llm-efficiency/models"
    else echo "$HOME/.cache/llm-efficiency/models"; fi
}
if [ -z "$MODEL" ]; then
    MODEL="$(model_cache_dir)/$PRESET-$TYPE-seed0.gguf"
    if [ ! -s "$MODEL" ]; then
        echo "synthesising $PRESET ($TYPE) into $MODEL (once) ..." >&2
        mkdir -p "$(dirname "$MODEL")"
        "$BIN" -q model synth --preset "$PRESET" --type "$TYPE" --seed 0 -o "$MODEL"
    fi
fi
[ -s "$MODEL" ] || { echo "flops_bench.sh: $MODEL: no such model" >&2; exit 2; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) printf "%.4g\n", v[(NR+1)/2]; else printf "%.4g\n", (v[NR/2]+v[NR/2+1])/2}'; }
minmax() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.4g / %.4g", lo, hi}'; }

# ---- 1. calibration time -------------------------------------------------------------------
FIT_DIR="$OUT_DIR/fits"
FLOPS_ARGS=(flops "$MODEL" --prompt-len "$PP" --gen-len "$TG" --threads "$THREADS" --cache-dir "$FIT_DIR" --json)
: >"$OUT_DIR/calibration_s.txt"
for i in $(seq 0 "$REPS"); do   # run 0: "first" (may include the disk read)
    "$BIN" -q "${FLOPS_ARGS[@]}" --no-cache >"$OUT_DIR/calibrate-$i.json"
    s=$(jq '.flops.calibration.calibration_seconds * 1000 | round / 1000' "$OUT_DIR/calibrate-$i.json")
    if [ "$i" = 0 ]; then FIRST="$s"; else echo "$s" >>"$OUT_DIR/calibration_s.txt"; fi
done
"$BIN" -q "${FLOPS_ARGS[@]}" >"$OUT_DIR/fill-cache.json"      # writes the cache
"$BIN" -q "${FLOPS_ARGS[@]}" >"$OUT_DIR/cache-hit.json"
HIT=$(jq '.flops.calibration.seconds * 1000 | round / 1000' "$OUT_DIR/cache-hit.json")
HIT_SRC=$(jq -r .flops.calibration.source "$OUT_DIR/cache-hit.json")
CAL_MED=$(median <"$OUT_DIR/calibration_s.txt")
CAL_MM=$(minmax <"$OUT_DIR/calibration_s.txt")
CAL_OK=$(awk -v m="$CAL_MED" 'BEGIN {print (m < 5.0) ? "yes" : "NO"}')

{
echo "## FLOPs calibration time"
echo
echo "model \`$MODEL\` ($(jq -r '.model.arch + ", " + .model.file_type + ", " + (.model.n_params|tostring) + " parameters"' "$OUT_DIR/cache-hit.json")),"
echo "$THREADS threads, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo "this machine")"
echo
echo "| | seconds |"
echo "| --- | --- |"
echo "| first calibration (page cache cold or warm) | $FIRST |"
echo "| calibration, median of $REPS (min / max) | $CAL_MED ($CAL_MM) |"
echo "| cache hit ($HIT_SRC) | $HIT |"
echo "| target < 5 s met (median) | $CAL_OK |"
echo
} | tee "$OUT_DIR/flops_bench.md"

# ---- 2a. cost of the accounting itself -------------------------------------------------------
# `flops` evaluates the fit once per decode call of the workload, exactly the work the runner's
# decode hook does; N decode steps minus 1 gives the cost per call, with no llama.cpp involved.
N_CALLS="${N_CALLS:-2000000}"
"$BIN" -q flops "$MODEL" --prompt-len "$PP" --gen-len "$TG" --threads "$THREADS" >/dev/null   # fills the default cache
t_once() {
    local a b
    a=$(date +%s.%N)
    "$BIN" -q flops "$MODEL" --prompt-len "$PP" --gen-len "$1" --json >/dev/null
    b=$(date +%s.%N)
    awk -v a="$a" -v b="$b" 'BEGIN {printf "%.6f\n", b - a}'
}
T1=$(for i in 1 2 3; do t_once 1; done | median)
TN=$(for i in 1 2 3; do t_once "$((N_CALLS + 1))"; done | median)
NS_PER_CALL=$(awk -v t1="$T1" -v tn="$TN" -v n="$N_CALLS" 'BEGIN {printf "%.1f", (tn - t1) / n * 1e9}')
{
echo "## FLOPs accounting cost"
echo
echo "fit evaluation per llama_decode call (what the runner's decode hook does): $NS_PER_CALL ns"
echo "(\`flops --gen-len $((N_CALLS + 1))\` minus \`--gen-len 1\`, medians of 3: $TN s - $T1 s)"
echo
} | tee -a "$OUT_DIR/flops_bench.md"

# ---- 2b. overhead on the timed run ---------------------------------------------------------------
if [ "$PAIRS" -lt 1 ]; then
    exit 0
fi
if ! "$BIN" run single --help 2>/dev/null | grep -q -- '--no-flops'; then
    echo "## FLOPs overhead on the timed run" | tee -a "$OUT_DIR/flops_bench.md"
    echo | tee -a "$OUT_DIR/flops_bench.md"
    echo "skipped: this build's \`run single\` has no --no-flops flag (FLOPs not wired into the runner yet)" \
        | tee -a "$OUT_DIR/flops_bench.md"
    exit 0
fi
RUN_ARGS=(run single --model "$MODEL" --prompts 1 --max-input-tokens "$PP" --max-output-tokens "$TG"
          --threads "$THREADS" --warmup 1 --no-save --json)
: >"$OUT_DIR/ratios.txt"
for i in $(seq 1 "$PAIRS"); do   # off/on, then on/off: the order within a pair alternates
    if [ $((i % 2)) = 1 ]; then
        "$BIN" -q "${RUN_ARGS[@]}" --no-flops >"$OUT_DIR/off-$i.json"
        "$BIN" -q "${RUN_ARGS[@]}" >"$OUT_DIR/on-$i.json"
    else
        "$BIN" -q "${RUN_ARGS[@]}" >"$OUT_DIR/on-$i.json"
        "$BIN" -q "${RUN_ARGS[@]}" --no-flops >"$OUT_DIR/off-$i.json"
    fi
    jq -n --slurpfile off "$OUT_DIR/off-$i.json" --slurpfile on "$OUT_DIR/on-$i.json" -r \
        '[$off[0].metrics.decode_tokens_per_s, $on[0].metrics.decode_tokens_per_s,
          $on[0].metrics.decode_tokens_per_s / $off[0].metrics.decode_tokens_per_s,
          $off[0].metrics.prefill_tokens_per_s, $on[0].metrics.prefill_tokens_per_s,
          $on[0].metrics.prefill_tokens_per_s / $off[0].metrics.prefill_tokens_per_s,
          ($on[0].flops.executed.total // "absent"), $off[0].metrics.itl_s.mean] | @tsv' >>"$OUT_DIR/ratios.txt"
done
DEC_MED=$(cut -f3 "$OUT_DIR/ratios.txt" | median)
PRE_MED=$(cut -f6 "$OUT_DIR/ratios.txt" | median)
ITL=$(cut -f8 "$OUT_DIR/ratios.txt" | median)
# run-to-run spread of the "off" runs alone: the noise floor of the comparison
SPREAD=$(cut -f1 "$OUT_DIR/ratios.txt" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.4f", hi/lo}')
BOUND=$(awk -v ns="$NS_PER_CALL" -v itl="$ITL" 'BEGIN {printf "%.7f", 1 - ns / (itl * 1e9)}')
VERDICT=$(awk -v d="$DEC_MED" -v p="$PRE_MED" -v s="$SPREAD" 'BEGIN {
    if (s > 1.02) print "inconclusive: off runs alone differ by x" s " (machine noise)";
    else print (d >= 0.995 && p >= 0.995) ? "yes" : "NO" }')
{
echo "## FLOPs overhead on the timed run"
echo
echo "\`run single\`, 1 prompt of $PP tokens, $TG generated, warmup 1, $THREADS threads; $PAIRS interleaved pairs (off first in odd pairs, on first in even)"
echo
echo "| pair | decode tok/s off | on | on/off | prefill tok/s off | on | on/off | executed FLOPs (on) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
awk -F'\t' '{printf "| %d | %.2f | %.2f | %.4f | %.2f | %.2f | %.4f | %s |\n", NR, $1, $2, $3, $4, $5, $6, $7}' \
    "$OUT_DIR/ratios.txt"
echo
echo "median ratio on/off: decode $DEC_MED, prefill $PRE_MED; spread of the off runs x$SPREAD"
echo "measured target >= 0.995 met: $VERDICT"
echo "bound from the accounting cost: ratio >= $BOUND ($NS_PER_CALL ns per call, mean decode step $ITL s)"
} | tee -a "$OUT_DIR/flops_bench.md"
