/* lle/run.h — one measured experiment: configuration, per-request records,
 * aggregate metrics, and the runner that produces them through an engine.
 *
 * Ownership: lle_run_config is caller-owned and only read. lle_run_single()
 * returns a heap lle_run_result the caller frees with lle_run_result_free().
 * lle_run_result_to_json() returns a malloc'd string the caller frees. */
#ifndef LLE_RUN_H
#define LLE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/device.h"
#include "lle/flops.h"
#include "lle/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LLE_MAX_TENSOR_SPLIT 16

typedef struct lle_run_config {
    /* --- model and engine --- */
    const char *model_path;  /* GGUF file, or NULL with `preset` */
    const char *preset;      /* synth preset, synthesised and cached when model_path is NULL */
    const char *preset_type; /* weight type of the preset model, default "q4_k_m" */
    const char *cache_dir;   /* where preset models are cached; NULL = $LLE_CACHE_DIR or XDG */
    const char *kv_type;     /* KV cache type for K and V: "f16" (default), "q8_0", "q4_0", "f32", "bf16" */
    int flash_attn;          /* -1 auto (default), 0 off, 1 on */
    int n_ctx;               /* 0: batch size x (max input + max output) */
    int n_threads;           /* decode threads; <= 0: all cores */
    int n_threads_batch;     /* prompt-processing threads; <= 0: same as n_threads */
    int n_batch, n_ubatch;   /* llama.cpp logical/physical batch; 0: 512 (capped at n_ctx) */
    int n_gpu_layers;        /* layers offloaded to a GPU (GPU builds); default 0 */
    const char *split_mode;  /* "none" | "layer" | "row" (GPU builds); NULL = "layer" */
    int main_gpu;
    float tensor_split[LLE_MAX_TENSOR_SPLIT];
    int n_tensor_split;
    /* --- batching --- */
    int batch_size;         /* fixed batching: prompts decoded together (default 1) */
    int adaptive_tokens;    /* > 0: adaptive batching with this token budget (prompt + output) */
    int adaptive_max_batch; /* most prompts in an adaptive batch (default 100) */
    /* --- decoding --- */
    const char *decoding_preset; /* NULL, "deterministic", "standard", "creative", "factual" */
    float temperature;           /* 0 = greedy (default) */
    int top_k;                   /* 0 = off */
    float top_p;                 /* 1 = off */
    float min_p;                 /* 0 = off */
    float repeat_penalty;        /* 1 = off */
    int repeat_last_n;           /* default 64 */
    bool ignore_eos;             /* default true: output lengths are exact */
    int min_output_tokens;       /* with ignore_eos off: EOS suppressed before this many */
    uint64_t seed;               /* prompt, order, traffic and sampling seed */
    /* --- workload --- */
    int n_prompts;             /* >= 1 */
    int max_input_tokens;      /* prompts are cut to this many tokens (BOS included) */
    int min_input_tokens;      /* synthetic prompts: lengths uniform in [min, max]; 0 = fixed at max */
    int max_output_tokens;     /* most tokens generated per prompt */
    const char *prompt_file;   /* NULL = built-in synthetic prompts */
    const char *prompt_format; /* "auto" (default), "jsonl", "sharegpt" */
    const char *prompt_order;  /* "as_given" (default), "sorted", "shuffled" */
    /* --- traffic simulation --- */
    const char *traffic;             /* "none" (default), "constant", "uniform", "burst", "poisson" */
    double delay_s;                  /* constant: idle between batches */
    double delay_min_s, delay_max_s; /* uniform: idle between batches drawn in [min, max] */
    int burst_size;                  /* burst: requests arriving together ... */
    double burst_interval_s;         /* ... every this many seconds */
    double rate;                     /* poisson: mean arrivals per second */
    /* --- repetition --- */
    int warmup; /* unmeasured batches before measuring (default 1) */
    int repeat; /* measured passes over the prompts (default 1) */
    /* --- energy (docs/energy.md) --- */
    bool energy;                  /* measure energy (default true) */
    double energy_interval_s;     /* sampler period (default 0.1; 0.01 to 60) */
    double idle_baseline_s;       /* idle baseline before the model loads (default 10; 0 = none) */
    double baseline_ttl_s;        /* a cached baseline younger than this is reused (default 3600) */
    const char *energy_sources;   /* NULL = every kind: rapl, perf, nvml, amdsmi, estimate */
    bool energy_estimates;        /* estimate CPU/RAM where no counter covers them (default true) */
    double cpu_tdp_w;             /* 0 = look the CPU model up */
    const char *carbon_intensity; /* NULL = world average; g/kWh, ISO alpha-3 or cloud region */
    double pue;                   /* default 1.0 */
    /* --- FLOPs (docs/flops.md) --- */
    bool flops; /* model and executed FLOPs (default true; calibrates once per architecture) */
    /* --- data-parallel sharding (MPI ranks; docs/cluster.md) --- */
    int shard_rank;  /* this process keeps prompts with index % shard_count == shard_rank */
    int shard_count; /* 0 or 1: no sharding */
    /* Called (when set) right before the measured window opens, after warmup:
     * e.g. an MPI barrier so ranks start measuring together. Not a file field. */
    void (*before_window)(void *user);
    void *before_window_user;
    /* --- peaks for MFU/MBU (docs/devices.md); 0 = the calibrated peaks of `devices --calibrate` --- */
    double peak_flops_per_s;
    double peak_bandwidth_bytes_per_s;
} lle_run_config;

/* Defaults as documented in docs/configuration.md. */
LLE_API void lle_run_config_init(lle_run_config *cfg);

/* Expand cfg->decoding_preset into the sampling fields (a preset overrides
 * them); INVALID names an unknown preset. */
LLE_API lle_status lle_run_config_apply_preset(lle_run_config *cfg, lle_error *err);

/* Check every field and the rules between fields; the message names the field. */
LLE_API lle_status lle_run_config_validate(const lle_run_config *cfg, lle_error *err);

typedef struct lle_request_record {
    int index;  /* prompt index in the workload */
    int repeat; /* measured pass, 0-based */
    int batch;  /* batch number within the pass */
    int n_input_tokens;
    int n_output_tokens;
    bool truncated;       /* the prompt was cut to max_input_tokens */
    double arrival_s;     /* scheduled arrival, from the start of the measured window */
    double start_s;       /* processing started (its batch began) */
    double queue_delay_s; /* start_s - arrival_s */
    double ttft_s;        /* first output token, counted from arrival */
    double e2e_s;         /* last output token, counted from arrival */
    double prefill_s;     /* batch start until this prompt's logits were ready */
    double decode_s;      /* first token until last token */
    double *itl_s;        /* n_output_tokens - 1 gaps between successive tokens */
    size_t n_itl;
    int32_t *output_tokens; /* generated token ids, n_output_tokens of them */
} lle_request_record;

typedef struct lle_batch_record {
    int repeat, index, n_requests;
    int n_input_tokens, n_output_tokens;
    double idle_before_s;                 /* simulated idle (waiting for arrivals) before it started */
    double start_s, prefill_end_s, end_s; /* from the start of the measured window */
} lle_batch_record;

typedef struct lle_stats {
    size_t count;
    double mean, std, min, p50, p90, p95, p99, max;
} lle_stats;

/* Statistics of `n` values (copied and sorted internally; NaN-free input).
 * std is the sample standard deviation (n-1); percentiles interpolate linearly
 * between closest ranks (numpy's default). count 0 -> all zero. */
LLE_API lle_stats lle_stats_compute(const double *values, size_t n);

typedef struct lle_run_result {
    char id[64];     /* sortable unique experiment id */
    char status[16]; /* "completed", "failed", "interrupted" */
    char error[LLE_ERROR_MSG_MAX];
    char model_path[4096];
    lle_model_info model;
    lle_run_config config;      /* resolved copy; its string pointers are NULL'd */
    char config_json[8192];     /* the resolved configuration as JSON (strings included) */
    int n_threads;              /* resolved */
    int n_ctx;                  /* resolved */
    char started_at[32];        /* UTC ISO 8601 */
    double wall_s;              /* whole measured window, simulated idle included */
    double busy_s;              /* wall_s minus simulated idle */
    double idle_s;              /* simulated idle (traffic) inside the window */
    double prefill_s, decode_s; /* summed over batches */
    uint64_t total_input_tokens, total_output_tokens;
    double prefill_tok_s; /* total_input_tokens / prefill_s */
    double decode_tok_s;  /* (output tokens after the first of each request) / decode_s */
    double output_tok_s;  /* output tokens / busy_s */
    double total_tok_s;   /* (input + output) / busy_s */
    int prompts_truncated;
    int prompt_entries_skipped; /* file entries without a usable prompt */
    double requests_per_s;
    uint64_t peak_rss_bytes;
    uint64_t model_bytes;                  /* model file size */
    uint64_t kv_cache_bytes;               /* K+V cache allocated for n_ctx (f16), computed */
    lle_stats ttft, tpot, itl, e2e, queue; /* seconds */
    size_t n_batches;
    lle_batch_record *batches;
    size_t n_requests;
    lle_request_record *requests;
    char *energy_json;                   /* the "energy" section (malloc'd), NULL without energy */
    struct lle_meter *energy_meter;      /* owns the time series until freed (lle/energy.h) */
    double energy_origin_s;              /* meter time of the measured window's start */
    lle_flops_summary flops;             /* has_model / has_executed false when not counted */
    char flops_error[LLE_ERROR_MSG_MAX]; /* why executed FLOPs are absent; "" otherwise */
    lle_peaks peaks;                     /* what MFU/MBU are divided by, with their source */
    lle_utilisation mfu;                 /* model FLOP/s over prefill + decode time / peak FLOP/s */
    lle_utilisation mfu_prefill;         /* model prefill FLOP/s / peak FLOP/s */
    lle_utilisation mbu;                 /* decode bytes/s / peak bandwidth */
    double decode_bytes;                 /* bytes the measured decode steps moved (docs/devices.md) */
} lle_run_result;

/* Progress after each batch: requests done/total, live output tok/s, and the
 * live power of the energy meter (watts; NaN when energy is off). `power_method`
 * is "measured", "estimated", "mixed" or NULL. */
typedef void (*lle_progress_fn)(int done, int total, double tok_s, double power_w, const char *power_method,
                                void *user);

/* Run one experiment. `stop` (may be NULL) is polled between tokens: when it
 * becomes non-zero the run stops and the result has status "interrupted" and
 * the call returns LLE_ERR_INTERRUPTED with *out still set. On other errors
 * *out may be NULL. */
LLE_API lle_status lle_run_single(const lle_run_config *cfg, lle_progress_fn progress, void *user,
                                  const volatile int *stop, lle_run_result **out, lle_error *err);
LLE_API void lle_run_result_free(lle_run_result *r);

/* Full result object as JSON (schema in docs/results-schema.md). NULL on OOM. */
LLE_API char *lle_run_result_to_json(const lle_run_result *r, bool include_requests);

/* Write <results_dir>/<id>.json atomically (creating the directory), then the
 * same document into <results_dir>/results.db in one transaction (lle/store.h). */
LLE_API lle_status lle_run_result_save(const lle_run_result *r, const char *results_dir, char *path_out,
                                       size_t path_out_size, lle_error *err);

/* Path of the cached preset model (synthesised on first use). */
LLE_API lle_status lle_preset_model_path(const char *preset, const char *type, const char *cache_dir, char *out,
                                         size_t out_size, lle_error *err);

#ifdef __cplusplus
}
#endif
#endif
