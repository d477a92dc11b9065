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
#include "lle/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lle_run_config {
    const char *model_path;   /* GGUF file, or NULL with `preset` */
    const char *preset;       /* synth preset, synthesised and cached when model_path is NULL */
    const char *preset_type;  /* weight type of the preset model, default "q4_k_m" */
    const char *cache_dir;    /* where preset models are cached; NULL = $LLE_CACHE_DIR or XDG */
    int n_prompts;            /* >= 1 */
    int max_input_tokens;     /* synthetic prompt length in tokens (BOS included), >= 1 */
    int max_output_tokens;    /* tokens generated per prompt (ignore_eos), >= 1 */
    int n_threads;            /* <= 0: all cores */
    int n_ctx;                /* 0: max_input + max_output rounded up */
    uint64_t seed;            /* prompt text and sampling seed */
} lle_run_config;

/* Defaults: 8 prompts, 128 in, 64 out, all cores, seed 42. */
LLE_API void lle_run_config_init(lle_run_config *cfg);

typedef struct lle_request_record {
    int index;
    int n_input_tokens;
    int n_output_tokens;
    double start_s;          /* from the start of the measured window */
    double ttft_s;           /* first output token after the request started */
    double e2e_s;            /* last output token after the request started */
    double prefill_s;        /* time spent in prompt decode */
    double decode_s;         /* time spent generating tokens after the first */
    double *itl_s;           /* n_output_tokens - 1 gaps between successive tokens */
    size_t n_itl;
    int32_t *output_tokens;  /* generated token ids, n_output_tokens of them */
} lle_request_record;

typedef struct lle_stats {
    size_t count;
    double mean, std, min, p50, p90, p95, p99, max;
} lle_stats;

/* Statistics of `n` values (copied and sorted internally; NaN-free input).
 * std is the sample standard deviation (n-1); percentiles interpolate linearly
 * between closest ranks (numpy's default). count 0 -> all zero. */
LLE_API lle_stats lle_stats_compute(const double *values, size_t n);

typedef struct lle_run_result {
    char id[64];              /* sortable unique experiment id */
    char status[16];          /* "completed", "failed", "interrupted" */
    char error[LLE_ERROR_MSG_MAX];
    char model_path[4096];
    lle_model_info model;
    lle_run_config config;    /* resolved copy; its string pointers are NULL'd */
    int n_threads;            /* resolved */
    int n_ctx;                /* resolved */
    char started_at[32];      /* UTC ISO 8601 */
    double wall_s;            /* whole measured window */
    double prefill_s, decode_s;       /* summed over requests */
    uint64_t total_input_tokens, total_output_tokens;
    double prefill_tok_s;     /* total_input_tokens / prefill_s */
    double decode_tok_s;      /* (output tokens after the first of each request) / decode_s */
    double total_tok_s;       /* (input + output) / wall_s */
    double requests_per_s;
    uint64_t peak_rss_bytes;
    uint64_t model_bytes;     /* model file size */
    uint64_t kv_cache_bytes;  /* K+V cache allocated for n_ctx (f16), computed */
    lle_stats ttft, tpot, itl, e2e;   /* seconds */
    size_t n_requests;
    lle_request_record *requests;
} lle_run_result;

typedef void (*lle_progress_fn)(int done, int total, double tok_s, void *user);

/* Run one experiment. `stop` (may be NULL) is polled between tokens: when it
 * becomes non-zero the run stops and the result has status "interrupted" and
 * the call returns LLE_ERR_INTERRUPTED with *out still set. On other errors
 * *out may be NULL. */
LLE_API lle_status lle_run_single(const lle_run_config *cfg, lle_progress_fn progress, void *user,
                                  const volatile int *stop, lle_run_result **out, lle_error *err);
LLE_API void lle_run_result_free(lle_run_result *r);

/* Full result object as JSON (schema in docs/results-schema.md). NULL on OOM. */
LLE_API char *lle_run_result_to_json(const lle_run_result *r, bool include_requests);

/* Write <results_dir>/<id>.json atomically (creating the directory). */
LLE_API lle_status lle_run_result_save(const lle_run_result *r, const char *results_dir,
                                       char *path_out, size_t path_out_size, lle_error *err);

/* Path of the cached preset model (synthesised on first use). */
LLE_API lle_status lle_preset_model_path(const char *preset, const char *type, const char *cache_dir,
                                         char *out, size_t out_size, lle_error *err);

#ifdef __cplusplus
}
#endif
#endif
