#!/usr/bin/env bash
# energy_bench.sh — what the energy telemetry costs (issue 5 targets):
#  1. sampler overhead: CPU time of the sampler thread / wall time, at 10 ms
#     and 100 ms, read from `measure`'s own report (energy.sampler) around an
#     idle `sleep`; once with this host's sources and once with a fake
#     4-zone RAPL tree (what a bare-metal Intel/AMD host reads). Target:
#     < 0.5 % of one core at 100 ms.
#  2. throughput with telemetry on vs off on the same run: `run single`
#     alone, and under `measure --interval 0.01` / `0.1` (the sampler runs in
#     the measuring process, on the same cores). Runs alternate to cancel
#     drift; medians are compared. Target: on / off >= 0.995.
# Timing targets live here, never in tests. Prints a Markdown table.
#
# usage: bench/energy_bench.sh            (BUILD=build SLEEP_S=20 REPEATS=5 MODEL=... )
#        QUICK=1 bench/energy_bench.sh    (tiny model, short runs: a smoke test)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
BIN="$BUILD/llm-efficiency"
QUICK="${QUICK:-0}"
SLEEP_S="${SLEEP_S:-$([ "$QUICK" = 1 ] && echo 3 || echo 20)}"
REPEATS="${REPEATS:-$([ "$QUICK" = 1 ] && echo 2 || echo 5)}"
PROMPTS="${PROMPTS:-4}"
THREADS="${THREADS:-1}"
OUT_TOKENS="${OUT_TOKENS:-$([ "$QUICK" = 1 ] && echo 16 || echo 64)}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export LLE_DATA_DIR="${LLE_DATA_DIR:-$ROOT/data}"

[ -x "$BIN" ] || { echo "energy_bench: build first ($BIN missing)" >&2; exit 2; }
command -v jq >/dev/null || { echo "energy_bench: needs jq" >&2; exit 2; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# A fake powercap tree with package, core, dram and psys zones (static counters; probe off).
make_fake_rapl() {
    local p="$1" z
    for z in "intel-rapl:0 package-0" "intel-rapl:0:0 core" "intel-rapl:0:1 dram" "intel-rapl:1 psys"; do
        set -- $z
        mkdir -p "$p/$1"
        echo "$2" > "$p/$1/name"
        echo 262143328850 > "$p/$1/max_energy_range_uj"
        echo 12345678 > "$p/$1/energy_uj"
    done
}

# Sampler overhead in % of one core: median over REPEATS runs of `sleep SLEEP_S`.
overhead() { # LABEL INTERVAL PROBE_S [env...]
    local label="$1" iv="$2" PROBE="$3"; shift 3
    local vals=() i
    for ((i = 0; i < REPEATS; i++)); do
        vals+=("$(env "$@" "$BIN" -q measure --idle-baseline 0 --no-save --json --probe-time "$PROBE" --interval "$iv" -- sleep "$SLEEP_S" |
                  jq '.energy.sampler.thread_cpu_s / .energy.sampler.wall_s * 100')")
    done
    printf '| %s | %s ms | %s | %s %% |\n' "$label" "$(awk "BEGIN{print $iv*1000}")" \
        "$(env "$@" "$BIN" -q measure --idle-baseline 0 --no-save --json --probe-time "$PROBE" --interval "$iv" -- true |
           jq -r '[.energy.window.sources[].source] | join(", ")')" \
        "$(printf '%s\n' "${vals[@]}" | median | xargs printf '%.3f')"
}

echo "## Sampler overhead (CPU time of the sampler thread / wall, one core = 100 %)"
echo
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); sleep ${SLEEP_S} s, median of ${REPEATS}"
echo
echo "| sources | interval | read each tick | overhead |"
echo "| --- | --- | --- | --- |"
make_fake_rapl "$TMP/powercap"
for iv in 0.01 0.1; do
    overhead "this host" "$iv" 0.1
    # probe off: the fake counters are static and would be dropped as stuck
    overhead "fake RAPL tree (4 zones)" "$iv" 0 LLE_POWERCAP_ROOT="$TMP/powercap" LLE_PERF_SYSFS_ROOT=/nonexistent
done
echo

# --- throughput, telemetry on vs off --------------------------------------------------------
if [ -n "${MODEL:-}" ]; then
    MODEL_ARGS=(--model "$MODEL")
elif [ "$QUICK" = 1 ]; then
    MODEL_ARGS=(--preset tiny --type q8_0)
else
    MODEL_ARGS=(--preset tinyllama-1.1b --type q4_0)
fi
RUN=("$BIN" -q run single "${MODEL_ARGS[@]}" --prompts "$PROMPTS" --max-input-tokens 64 --max-output-tokens "$OUT_TOKENS"
     --threads "$THREADS" --warmup 1 --no-save --json)
"${RUN[@]}" > /dev/null   # synthesise / cache the model and warm the page cache
off=() on10=() on100=()
for ((i = 0; i < REPEATS; i++)); do
    off+=("$("${RUN[@]}" | jq .metrics.decode_tokens_per_s)")
    on10+=("$("$BIN" -q measure --idle-baseline 0 --no-save --interval 0.01 -- "${RUN[@]}" | jq .metrics.decode_tokens_per_s)")
    on100+=("$("$BIN" -q measure --idle-baseline 0 --no-save --interval 0.1 -- "${RUN[@]}" | jq .metrics.decode_tokens_per_s)")
done
m_off=$(printf '%s\n' "${off[@]}" | median)
m10=$(printf '%s\n' "${on10[@]}" | median)
m100=$(printf '%s\n' "${on100[@]}" | median)
echo "## Decode throughput, telemetry off vs on (${MODEL_ARGS[*]}, ${PROMPTS} prompts x ${OUT_TOKENS} tokens, ${THREADS} thread(s), median of ${REPEATS})"
echo
echo "| telemetry | decode tokens/s (runs) | median | on / off |"
echo "| --- | --- | --- | --- |"
printf '| off | %s | %.3f | 1 |\n' "${off[*]}" "$m_off"
printf '| measure --interval 0.1 | %s | %.3f | %.4f |\n' "${on100[*]}" "$m100" "$(awk "BEGIN{print $m100/$m_off}")"
printf '| measure --interval 0.01 | %s | %.3f | %.4f |\n' "${on10[*]}" "$m10" "$(awk "BEGIN{print $m10/$m_off}")"
