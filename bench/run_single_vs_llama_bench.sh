#!/usr/bin/env bash
# run_single_vs_llama_bench.sh — compare `llm-efficiency run single` with
# llama.cpp's own llama-bench / llama-batched-bench on the same model, the same
# prebuilt llama.cpp libraries and the same thread count (`make bench`).
#
# Table 1 (batch size 1):
#   prefill  pp<PP>           llama-bench -p PP -n 0          vs run single .metrics.prefill_tokens_per_s
#   decode   tg<TG>           llama-bench -n TG (depth 0)     vs run single .metrics.decode_tokens_per_s
#   decode   tg<TG> @ d<PP>   llama-bench -n TG -d PP         vs the same run single number: run single
#                             decodes after a PP-token prompt, so this row has matched KV depth
#   run single: --prompts 1 --max-input-tokens PP --max-output-tokens TG, greedy, EOS ignored.
#   The tools run interleaved, REPS rounds (llama-bench -r 1; run single --prompts 1), so a
#   busy phase of a shared machine hits both; mean ± sd and medians are over the rounds.
# Table 2 (decode tokens/s by batch size): per B, llama-batched-bench -kvu -npp BATCH_PP -ntg TG
#   -npl B -c B*(BATCH_PP+TG) (S_TG = all generated tokens / generation wall time; llama-bench itself
#   only ever decodes one sequence) vs run single --batch-size B --prompts B (aggregate
#   .metrics.decode_tokens_per_s) when run single has --batch-size (else "n/a").
#
# Usage: bash bench/run_single_vs_llama_bench.sh [options]      (or: make bench)
#   --model FILE        GGUF model (env MODEL). Default: the cached preset
#                       PRESET/TYPE (env; default tinyllama-1.1b / q4_k_m), synthesised if missing
#   --preset NAME       preset to use/synthesise when no model file is given (env PRESET)
#   --type TYPE         its weight type (env TYPE)
#   --threads N         threads for both tools (env THREADS, default nproc)
#   --reps N            interleaved rounds (env REPS, default 3)
#   --pp N, --tg N      prompt / generated tokens (env PP=512, TG=128)
#   --batch-sizes LIST  e.g. "1,4,16" (env BATCH_SIZES)
#   --batch-pp N        prompt tokens per sequence in table 2 (env BATCH_PP, default 128)
#   env BATCH_REPS      table 2 repetitions (default 1): llama-batched-bench runs (median),
#                       run single --repeat
#   --no-batched        skip table 2 (env BATCHED=0)
#   --out DIR           raw outputs + table.md (env OUT_DIR, default build-bench/results/<utc time>)
#   --probe             also run build-bench/decode_probe: llama_decode vs sampling time, with and
#                       without a persistent threadpool, depth 0 and PP (env PROBE=1)
#   env PROBE_REPS (default 3): measured passes per decode_probe configuration
#   env QUIET_WAIT (s, default 120) / QUIET_MAX_BUSY (%, default 15): before each stage wait
#                       that long for the CPUs to be idle; how busy they were is printed
#   env CONTAM_MAX (%, default 10) / STAGE_RETRIES (default 2): a stage during which other
#                       processes used more than CONTAM_MAX % of the CPUs is re-run (at most
#                       STAGE_RETRIES times; the last attempt is kept either way)
#   --strict            exit 3 when a batch-1 ratio is below TARGET (env STRICT=1; TARGET=0.98)
# Env also: LLE_BIN (default build/llm-efficiency), LLAMA_BENCH_DIR (default build-bench).
# Exit status: 0 ok, 1 failure (message on stderr), 2 usage, 3 below target with --strict.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LLE_BIN="${LLE_BIN:-$ROOT/build/llm-efficiency}"
BENCH_DIR="${LLAMA_BENCH_DIR:-$ROOT/build-bench}"
MODEL="${MODEL:-}"
PRESET="${PRESET:-tinyllama-1.1b}"
TYPE="${TYPE:-q4_k_m}"
THREADS="${THREADS:-$(nproc)}"
REPS="${REPS:-3}"
PP="${PP:-512}"
TG="${TG:-128}"
BATCH_SIZES="${BATCH_SIZES:-1,4,16}"
BATCH_PP="${BATCH_PP:-128}"
BATCH_REPS="${BATCH_REPS:-1}"
BATCHED="${BATCHED:-1}"
OUT_DIR="${OUT_DIR:-}"
STRICT="${STRICT:-0}"
PROBE="${PROBE:-0}"
PROBE_REPS="${PROBE_REPS:-3}"
QUIET_WAIT="${QUIET_WAIT:-120}"
QUIET_MAX_BUSY="${QUIET_MAX_BUSY:-15}"
CONTAM_MAX="${CONTAM_MAX:-10}"
STAGE_RETRIES="${STAGE_RETRIES:-2}"
TARGET="${TARGET:-0.98}"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --model) MODEL="${2:?--model needs a file}"; shift 2 ;;
        --preset) PRESET="${2:?--preset needs a name}"; shift 2 ;;
        --type) TYPE="${2:?--type needs a type}"; shift 2 ;;
        --threads) THREADS="${2:?--threads needs N}"; shift 2 ;;
        --reps) REPS="${2:?--reps needs N}"; shift 2 ;;
        --pp) PP="${2:?--pp needs N}"; shift 2 ;;
        --tg) TG="${2:?--tg needs N}"; shift 2 ;;
        --batch-pp) BATCH_PP="${2:?--batch-pp needs N}"; shift 2 ;;
        --batch-sizes) BATCH_SIZES="${2:?--batch-sizes needs a list}"; shift 2 ;;
        --no-batched) BATCHED=0; shift ;;
        --out) OUT_DIR="${2:?--out needs a directory}"; shift 2 ;;
        --strict) STRICT=1; shift ;;
        --probe) PROBE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) printf 'bench: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
    esac
done
is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) [ "$1" -gt 0 ] ;; esac; }
for v in THREADS REPS PP TG BATCH_PP BATCH_REPS; do is_uint "${!v}" || { printf 'bench: %s must be a positive integer, got "%s"\n' "$v" "${!v}" >&2; exit 2; }; done
BATCH_SIZES="${BATCH_SIZES// /,}"
case "$BATCH_SIZES" in *[!0-9,]*|'') printf 'bench: BATCH_SIZES must look like 1,4,16\n' >&2; exit 2 ;; esac
command -v jq >/dev/null 2>&1 || die "jq is required (scripts/deps.sh installs it)"

# --- tools --------------------------------------------------------------------
[ -x "$LLE_BIN" ] || die "$LLE_BIN not found; build it first (make build)"
BENCH_BUILD_DIR="$BENCH_DIR" bash "$ROOT/bench/build_llama_bench.sh" || die "building llama-bench failed"
LB="$BENCH_DIR/llama-bench"
LBB="$BENCH_DIR/llama-batched-bench"

[ -n "$OUT_DIR" ] || OUT_DIR="$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
# a reused output directory must not mix old rounds into the statistics
rm -f "$OUT_DIR"/llama-bench-*.json "$OUT_DIR"/llama-bench-*.stderr "$OUT_DIR"/run-single-*.json \
      "$OUT_DIR"/run-single-*.stderr "$OUT_DIR"/batched-bench-*.jsonl "$OUT_DIR"/batched-bench-*.stderr \
      "$OUT_DIR"/decode-probe.jsonl "$OUT_DIR"/decode-probe.stderr "$OUT_DIR"/table.md "$OUT_DIR"/cpu-busy.txt

# --- model ----------------------------------------------------------------------
cache_dir() {
    if [ -n "${LLE_CACHE_DIR:-}" ]; then printf '%s' "$LLE_CACHE_DIR"
    elif [ "${XDG_CACHE_HOME:-}" != "" ] && [ "${XDG_CACHE_HOME#/}" != "$XDG_CACHE_HOME" ]; then
        printf '%s/llm-efficiency/models' "$XDG_CACHE_HOME"
    else printf '%s/.cache/llm-efficiency/models' "${HOME:?HOME is not set}"; fi
}
if [ -z "$MODEL" ]; then
    MODEL="$(cache_dir)/$PRESET-$TYPE-seed0.gguf"
    if [ ! -s "$MODEL" ]; then
        log "synthesising preset $PRESET ($TYPE) into $MODEL (once; may take minutes)"
        # run single --preset synthesises into the cache atomically; one tiny request.
        if ! "$LLE_BIN" run single --preset "$PRESET" --type "$TYPE" --prompts 1 --max-input-tokens 8 \
                --max-output-tokens 2 --threads "$THREADS" --no-save -q >"$OUT_DIR/synth.log" 2>&1; then
            log "run single --preset failed (see $OUT_DIR/synth.log); trying model synth"
            mkdir -p "$(dirname "$MODEL")"
            tmp="$(dirname "$MODEL")/.bench-$$-$(basename "$MODEL")"
            "$LLE_BIN" model synth --preset "$PRESET" --type "$TYPE" -o "$tmp" >>"$OUT_DIR/synth.log" 2>&1 ||
                { rm -f "$tmp"; die "cannot synthesise $PRESET ($TYPE); see $OUT_DIR/synth.log"; }
            mv -f "$tmp" "$MODEL"
        fi
        [ -s "$MODEL" ] || die "synthesis reported success but $MODEL is missing"
    fi
fi
[ -f "$MODEL" ] || die "model file $MODEL not found"
MODEL="$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")"

# Other processes on the machine distort CPU benchmarks badly (ggml's worker threads spin on
# barriers, so one descheduled worker stalls every op). Each stage therefore (1) waits up to
# QUIET_WAIT s for the CPUs to be idle (busy < QUIET_MAX_BUSY %) and (2) records how much CPU
# OTHER processes used while it ran: busy ticks in /proc/stat minus the stage's own CPU time.
NCPU="$(getconf _NPROCESSORS_ONLN)"
HZ="$(getconf CLK_TCK)"
cpu_ticks() { awk '/^cpu / { b = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) b += $i; print b; exit }' /proc/stat; }
cpu_busy_pct() { # busy % of all CPUs over one second
    local a b
    a="$(cpu_ticks)"; sleep 1; b="$(cpu_ticks)"
    printf '%d' $(( 100 * (b - a) / (HZ * NCPU) ))
}
children_cpu_s() { # CPU seconds of this shell's reaped children so far (cutime + cstime of $$)
    sed 's/^.*) //' "/proc/$$/stat" | awk -v hz="$HZ" '{ printf "%.3f", ($14 + $15) / hz }'
}
STAGE_T0=0 STAGE_TICKS0=0 STAGE_CPU0=0 STAGE_BUSY0=0 STAGE_WAITED=0
stage_begin() { # name
    local waited=0 busy
    busy="$(cpu_busy_pct)"
    while [ "$busy" -ge "$QUIET_MAX_BUSY" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
        [ "$waited" = 0 ] && log "CPUs ${busy}% busy before $1; waiting up to ${QUIET_WAIT}s for them to settle"
        sleep 4; waited=$((waited + 5)); busy="$(cpu_busy_pct)"
    done
    STAGE_BUSY0="$busy" STAGE_WAITED="$waited"
    STAGE_T0="$(date +%s.%N)" STAGE_TICKS0="$(cpu_ticks)" STAGE_CPU0="$(children_cpu_s)"
}
OTHERS_PCT=0
stage_end() { # name attempt -> sets OTHERS_PCT; returns 1 when the stage should be re-run
    local t1 ticks1 cpu1 line
    t1="$(date +%s.%N)"; ticks1="$(cpu_ticks)"; cpu1="$(children_cpu_s)"
    line="$(awk -v n="$1" -v t0="$STAGE_T0" -v t1="$t1" -v k0="$STAGE_TICKS0" -v k1="$ticks1" -v c0="$STAGE_CPU0" \
        -v c1="$cpu1" -v hz="$HZ" -v ncpu="$NCPU" -v b0="$STAGE_BUSY0" -v w="$STAGE_WAITED" -v a="$2" 'BEGIN {
        wall = t1 - t0; own = c1 - c0; other = (k1 - k0) / hz - own; if (other < 0) other = 0
        printf "%.0f %-20s try %d: %7.1f s wall, %7.1f CPU-s own, others used %5.1f%% of %d CPUs during it (%d%% busy before, waited %d s)",
               100 * other / (wall * ncpu), n, a, wall, own, 100 * other / (wall * ncpu), ncpu, b0, w }')"
    OTHERS_PCT="${line%% *}"
    line="${line#* }"
    if [ "$OTHERS_PCT" -gt "$CONTAM_MAX" ] && [ "$2" -le "$STAGE_RETRIES" ]; then
        printf '%s -> discarded, re-run\n' "$line" >>"$OUT_DIR/cpu-busy.txt"
        log "other processes used ${OTHERS_PCT}% of the CPUs during $1 (> CONTAM_MAX=$CONTAM_MAX%); re-running it"
        return 1
    fi
    printf '%s\n' "$line" >>"$OUT_DIR/cpu-busy.txt"
}
staged() { # name cmd... : run cmd inside stage_begin/stage_end, re-running contaminated attempts
    local name="$1" a=1; shift
    while :; do
        stage_begin "$name"
        "$@" || return 1
        stage_end "$name" "$a" && return 0
        a=$((a + 1))
    done
}
: >"$OUT_DIR/cpu-busy.txt"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "model $MODEL, threads $THREADS, reps $REPS, pp $PP, tg $TG; raw outputs in $OUT_DIR"

# --- batch 1: llama-bench and run single, interleaved ------------------------------------
# REPS rounds; each round runs llama-bench pp+tg (-r 1), llama-bench tg at depth PP (-r 1)
# and run single (--prompts 1) back to back, so slow phases of a shared machine hit both
# tools alike. Every invocation does its own warm-up (llama-bench: a pp and a 1-token tg run;
# run single: --warmup 1 when it has the flag), then the timed work.
JQ_MEDIAN='def median: sort | if length == 0 then empty elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;'
JQ_STATS="$JQ_MEDIAN"' def stats: if length == 0 then empty else (add / length) as $m
    | "\($m) \(if length > 1 then (map((. - $m) * (. - $m)) | add / (length - 1) | sqrt) else 0 end) \(median)" end;'
llama_bench_once() { # name args...
    local name="$1"; shift
    log "llama-bench -t $THREADS -r 1 $*"
    if ! "$LB" -m "$MODEL" -t "$THREADS" -r 1 -o json "$@" >"$OUT_DIR/$name.json" 2>"$OUT_DIR/$name.stderr"; then
        tail -n 20 "$OUT_DIR/$name.stderr" >&2
        die "llama-bench failed (full log: $OUT_DIR/$name.stderr)"
    fi
    jq -e 'type == "array" and length > 0' "$OUT_DIR/$name.json" >/dev/null ||
        die "llama-bench printed no results ($OUT_DIR/$name.json)"
}
RS_HELP="$("$LLE_BIN" run single --help 2>&1 || true)"
has_flag() { case "$RS_HELP" in *"$1"*) return 0 ;; *) return 1 ;; esac; }
WARMUP_ARGS=()
has_flag --warmup && WARMUP_ARGS=(--warmup 1)  # like llama-bench's warm-up run
run_single() { # name extra-args...  (env PROMPTS, PP_RS override --prompts / --max-input-tokens)
    staged "$1" run_single_once "$@"
}
run_single_once() {
    local name="$1"; shift
    local n="${PROMPTS:-1}" pp="${PP_RS:-$PP}"
    log "llm-efficiency run single --prompts $n --max-input-tokens $pp --max-output-tokens $TG --threads $THREADS ${WARMUP_ARGS[*]:-} $*"
    if ! "$LLE_BIN" run single --model "$MODEL" --prompts "$n" --max-input-tokens "$pp" \
            --max-output-tokens "$TG" --threads "$THREADS" --no-save --json "${WARMUP_ARGS[@]}" "$@" \
            >"$OUT_DIR/$name.json" 2>"$OUT_DIR/$name.stderr"; then
        tail -n 20 "$OUT_DIR/$name.stderr" >&2
        die "run single failed (full log: $OUT_DIR/$name.stderr)"
    fi
    jq -e '.metrics.prefill_tokens_per_s and .metrics.decode_tokens_per_s' "$OUT_DIR/$name.json" >/dev/null ||
        die "run single printed no metrics ($OUT_DIR/$name.json)"
}
for ((r = 1; r <= REPS; r++)); do
    log "round $r of $REPS"
    staged "llama-bench-r$r" llama_bench_once "llama-bench-r$r" -p "$PP" -n "$TG"
    staged "llama-bench-depth-r$r" llama_bench_once "llama-bench-depth-r$r" -p 0 -n "$TG" -d "$PP"
    run_single "run-single-r$r"
done
lb_stats() { # n_prompt n_gen n_depth -> "mean sd median" over every round's samples
    cat "$OUT_DIR"/llama-bench-r*.json "$OUT_DIR"/llama-bench-depth-r*.json |
        jq -rs --argjson p "$1" --argjson g "$2" --argjson d "$3" "$JQ_STATS"'
            [.[][] | select(.n_prompt == $p and .n_gen == $g and (.n_depth // 0) == $d) | .samples_ts[]] | stats'
}
read -r LB_PP LB_PP_SD LB_PP_MED <<<"$(lb_stats "$PP" 0 0)" || true
read -r LB_TG LB_TG_SD LB_TG_MED <<<"$(lb_stats 0 "$TG" 0)" || true
read -r LB_TGD LB_TGD_SD LB_TGD_MED <<<"$(lb_stats 0 "$TG" "$PP")" || true
[ -n "${LB_PP:-}" ] && [ -n "${LB_TG:-}" ] && [ -n "${LB_TGD:-}" ] ||
    die "cannot find pp$PP/tg$TG rows in the llama-bench output ($OUT_DIR)"
LB_INFO="$(jq -r '.[0] | "\(.build_commit) (build \(.build_number)), backends \(.backends), cpu \(.cpu_info), n_batch \(.n_batch), n_ubatch \(.n_ubatch), flash_attn \(.flash_attn), type_k \(.type_k)"' "$OUT_DIR/llama-bench-r1.json")"
LB_VARIANT="$(sed -n 's/.*loaded CPU backend from \(.*\)$/\1/p' "$OUT_DIR/llama-bench-r1.stderr" | head -n1)"
# run single: "reported" = what run single would report for all rounds together (total tokens /
# total measured time, its own .metrics definition); median over the rounds' .metrics values.
RS_ALL="$(jq -s '[.[] | .requests[]]' "$OUT_DIR"/run-single-r*.json)"
RS_PP="$(jq -r '(map(.input_tokens) | add) / (map(.prefill_s) | add)' <<<"$RS_ALL")"
RS_TG="$(jq -r '(map(.output_tokens - 1) | add) / (map(.decode_s) | add)' <<<"$RS_ALL")"
RS_PP_MED="$(jq -rs "$JQ_MEDIAN"' map(.metrics.prefill_tokens_per_s) | median' "$OUT_DIR"/run-single-r*.json)"
RS_TG_MED="$(jq -rs "$JQ_MEDIAN"' map(.metrics.decode_tokens_per_s) | median' "$OUT_DIR"/run-single-r*.json)"
RS_INFO="$(jq -r '.config | to_entries | map(select(.key | test("batch|ubatch|flash|warmup|thread|ctx|kv"))) | map("\(.key) \(.value)") | join(", ")' "$OUT_DIR/run-single-r1.json" 2>/dev/null || true)"

# --- batched ----------------------------------------------------------------------------
# Both tools: B sequences, each with its own BATCH_PP-token prompt and TG new tokens, one
# unified KV cache of B x (BATCH_PP + TG) cells and B sequence slots (run single's engine sets
# kv_unified and sizes its context so; llama-batched-bench gets -kvu -npl B -c B*(PP+TG)).
declare -A BB_TG=() RSB_TG=()
IFS=',' read -r -a BS <<<"$BATCH_SIZES"
if [ "$BATCHED" = 1 ]; then
    batched_bench_once() { # name B rep
        local nctx=$(($2 * (BATCH_PP + TG)))
        log "llama-batched-bench -npp $BATCH_PP -ntg $TG -npl $2 -c $nctx -kvu (run $3 of $BATCH_REPS)"
        if ! "$LBB" -m "$MODEL" -t "$THREADS" -tb "$THREADS" -c "$nctx" -b 2048 -ub 512 -kvu \
                -npp "$BATCH_PP" -ntg "$TG" -npl "$2" --output-format jsonl \
                >"$OUT_DIR/$1.jsonl" 2>"$OUT_DIR/$1.stderr"; then
            tail -n 20 "$OUT_DIR/$1.stderr" >&2
            die "llama-batched-bench failed (full log: $OUT_DIR/$1.stderr)"
        fi
    }
    rep_args=()
    has_flag --repeat && rep_args=(--repeat "$BATCH_REPS")
    for b in "${BS[@]}"; do
        for ((r = 1; r <= BATCH_REPS; r++)); do
            staged "batched-bench-b$b-$r" batched_bench_once "batched-bench-b$b-$r" "$b" "$r"
        done
        # median over the runs (the JSONL goes to stdout or stderr depending on the log setup)
        BB_TG[$b]="$(cat "$OUT_DIR"/batched-bench-b"$b"-*.jsonl "$OUT_DIR"/batched-bench-b"$b"-*.stderr |
            grep '^{"n_kv_max"' | jq -rs --argjson b "$b" "$JQ_MEDIAN"' [.[] | select(.pl == $b) | .speed_tg] | median' || true)"
        [ -n "${BB_TG[$b]}" ] || log "llama-batched-bench printed no row for batch $b"
        if has_flag --batch-size; then
            # one batch of B prompts, measured BATCH_REPS times (plus run single's own warm-up batch)
            PROMPTS="$b" PP_RS="$BATCH_PP" run_single "run-single-b$b" --batch-size "$b" "${rep_args[@]}"
            RSB_TG[$b]="$(jq -r '.metrics.decode_tokens_per_s' "$OUT_DIR/run-single-b$b.json")"
        fi
    done
fi

# --- probe (optional) ----------------------------------------------------------------------
if [ "$PROBE" = 1 ]; then
    probe_once() {
        log "decode_probe $THREADS $PP $TG $PROBE_REPS (decode vs sampling time, with/without a persistent threadpool)"
        "$BENCH_DIR/decode_probe" "$MODEL" "$THREADS" "$PP" "$TG" "$PROBE_REPS" >"$OUT_DIR/decode-probe.jsonl" \
            2>"$OUT_DIR/decode-probe.stderr" || die "decode_probe failed (see $OUT_DIR/decode-probe.stderr)"
    }
    staged decode-probe probe_once
fi
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
MAX_OTHERS="$(grep -v 'discarded' "$OUT_DIR/cpu-busy.txt" | sed -n 's/.*others used *\([0-9.]*\)%.*/\1/p' | sort -g | tail -n1)"
if awk -v m="${MAX_OTHERS:-0}" -v c="$CONTAM_MAX" 'BEGIN { exit !(m > c) }'; then
    CONTAM_NOTE="WARNING: other processes used up to ${MAX_OTHERS}% of the CPUs during a kept stage; the numbers below are distorted (re-run on a quiet machine)"
    log "$CONTAM_NOTE"
else
    CONTAM_NOTE="other processes used at most ${MAX_OTHERS:-0}% of the CPUs during the kept stages"
fi

# --- report ------------------------------------------------------------------------------
fmt() { [ -n "${1:-}" ] && awk -v x="$1" 'BEGIN { printf "%.2f", x }' || printf 'n/a'; }
fmt_sd() { [ -n "${2:-}" ] && awk -v x="$1" -v s="$2" 'BEGIN { printf "%.2f ± %.2f", x, s }' || fmt "$1"; }
ratio() { [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "n/a" }' || printf 'n/a'; }
below=0
flag() { # ratio -> note
    case "$1" in n/a) printf '' ;; *)
        if awk -v r="$1" -v t="$TARGET" 'BEGIN { exit !(r < t) }'; then printf 'below %s' "$TARGET"; else printf 'ok'; fi ;;
    esac
}
verdict() { # reported-ratio median-ratio
    local a b
    a="$(flag "$1")"; b="$(flag "$2")"
    case "$a/$b" in ok/*) printf 'ok' ;; *"/ok") printf '%s (medians ok)' "$a" ;; *) printf '%s' "$a" ;; esac
}
row() { # label lb-mean lb-sd rs lb-median rs-median
    local r m
    r="$(ratio "$4" "$2")"; m="$(ratio "$6" "$5")"
    if [ "$r" != n/a ] && awk -v r="$r" -v t="$TARGET" 'BEGIN { exit !(r < t) }'; then below=1; fi
    printf '| %s | %s | %s | **%s** | %s | %s | %s | %s |\n' "$1" "$(fmt_sd "$2" "$3")" "$(fmt "$4")" "$r" \
        "$(fmt "$5")" "$(fmt "$6")" "$m" "$(verdict "$r" "$m")"
}
TABLE="$OUT_DIR/table.md"
{
    printf '| metric (batch 1, %d threads, %d rounds) | llama-bench mean ± sd | run single (all rounds) | ratio | llama-bench median | run single median | ratio of medians | target %s |\n' "$THREADS" "$REPS" "$TARGET"
    printf '|---|---:|---:|---:|---:|---:|---:|---|\n'
    row "prefill pp$PP" "$LB_PP" "$LB_PP_SD" "$RS_PP" "$LB_PP_MED" "$RS_PP_MED"
    row "decode tg$TG (llama-bench at depth 0)" "$LB_TG" "$LB_TG_SD" "$RS_TG" "$LB_TG_MED" "$RS_TG_MED"
    row "decode tg$TG @ d$PP (matched KV depth)" "$LB_TGD" "$LB_TGD_SD" "$RS_TG" "$LB_TGD_MED" "$RS_TG_MED"
    if [ "$BATCHED" = 1 ]; then
        printf '\n| decode tok/s by batch size (%d threads; %d-token prompt + %d new tokens per sequence) | llama-batched-bench S_TG (median of %d) | run single decode_tokens_per_s (--repeat %d) | ratio |\n' "$THREADS" "$BATCH_PP" "$TG" "$BATCH_REPS" "$BATCH_REPS"
        printf '|---|---:|---:|---:|\n'
        for b in "${BS[@]}"; do
            if has_flag --batch-size; then rs="$(fmt "${RSB_TG[$b]:-}")"; rr="$(ratio "${RSB_TG[$b]:-}" "${BB_TG[$b]:-}")"
            else rs="n/a (batching lands with the runner issue)"; rr="n/a"; fi
            printf '| batch %d | %s | %s | %s |\n' "$b" "$(fmt "${BB_TG[$b]:-}")" "$rs" "$rr"
        done
    fi
    if [ "$PROBE" = 1 ]; then
        printf '\n| decode_probe (batch 1, %d threads, %d tokens) | KV depth | sampler | llama_decode tok/s | decode+sample tok/s | sample µs/token |\n' "$THREADS" "$TG"
        printf '|---|---:|---|---:|---:|---:|\n'
        jq -r '"| threadpool \(.threadpool) | \(.depth) | \(.sampler) | \(.decode_tok_s * 100 | round / 100) | \(.step_tok_s * 100 | round / 100) | \(.sample_us * 100 | round / 100) |"' "$OUT_DIR/decode-probe.jsonl"
    fi
} >"$TABLE"

cat <<EOF

model:        $MODEL
llama-bench:  $LB_INFO
CPU backend:  ${LB_VARIANT:-unknown (see $OUT_DIR/llama-bench-r1.stderr)}
run single:   ${RS_INFO:-see $OUT_DIR/run-single-r1.json}
load average: $LOAD_BEFORE before, $LOAD_AFTER after (1/5/15 min; other processes competing for the cores add noise)
raw outputs:  $OUT_DIR
stages:
$(sed 's/^/  /' "$OUT_DIR/cpu-busy.txt")
$CONTAM_NOTE

EOF
cat "$TABLE"
if [ "$STRICT" = 1 ] && [ "$below" = 1 ]; then
    log "a batch-1 ratio is below $TARGET"
    exit 3
fi
