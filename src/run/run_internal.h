/* run_internal.h — functions and types shared by the runner's files
 * (config.c, plan.c, prompts.c, runner.c, result.c, cache.c). Not installed. */
#ifndef LLE_RUN_INTERNAL_H
#define LLE_RUN_INTERNAL_H

#include "engine/engine.h"
#include "lle/device.h"
#include "lle/run.h"

/* Values the runner derived from the configuration and the machine. */
typedef struct lle_run_resolved {
    const char *model_path;
    int n_ctx, n_threads, n_threads_batch, n_batch, n_ubatch, n_seq_max;
    int gpu_offload; /* the linked llama.cpp can offload to a GPU */
} lle_run_resolved;

/* One request of the plan: its prompt tokens and scheduled arrival. */
typedef struct lle_plan_request {
    int index;       /* prompt index */
    int32_t *tokens; /* owned */
    int n_tokens;
    bool truncated;
    int n_out;
    double arrival_s; /* offset from the window start; < 0: arrives when its batch starts */
} lle_plan_request;

/* The measured workload: requests in processing order, grouped into batches. */
typedef struct lle_plan {
    lle_plan_request *reqs;
    int n_reqs;
    int *batch_start; /* n_batches + 1 offsets into reqs */
    int n_batches;
    double *delay_before; /* constant/uniform traffic: idle before batch b (n_batches) */
    int max_batch;        /* most requests in a batch */
    int max_batch_cells;  /* most KV cells (prompt + output) a batch needs */
    int n_truncated;
    int n_skipped; /* file entries without a usable prompt */
} lle_plan;

/* MFU/MBU state of one run (efficiency.c). */
typedef struct lle_run_efficiency {
    lle_peaks peaks;
    bool peaks_ok;
    lle_model_traffic traffic;
    bool traffic_ok;
    double decode_bytes; /* summed over measured decode steps */
    char why[256];
} lle_run_efficiency;

void lle_run_efficiency_prepare(lle_run_efficiency *e, const lle_run_config *c, int n_threads,
                                const lle_model_info *model);
void lle_run_efficiency_on_decode(lle_run_efficiency *e, int n_tokens, int n_kv_used);
void lle_run_efficiency_finish(lle_run_efficiency *e, lle_run_result *r);

/* Build a synthetic prompt of exactly n_tokens tokens (BOS included when the
 * vocab adds one), deterministic in (seed, index). *tokens is malloc'd. */
lle_status lle_synthetic_prompt(lle_engine *e, uint64_t seed, int index, int n_tokens, int32_t **tokens,
                                lle_error *err);

/* Build the plan from the configuration (prompts tokenized with `e`). */
lle_status lle_plan_build(const lle_run_config *c, lle_engine *e, lle_plan *plan, lle_error *err);
void lle_plan_free(lle_plan *plan);

/* Name tables: -1 when unknown. */
int lle_kv_type_from_name(const char *name);
int lle_split_mode_from_name(const char *name);

/* Resolved configuration as compact JSON (malloc'd; NULL on OOM). */
char *lle_run_config_json(const lle_run_config *c, const lle_run_resolved *rv);

/* A sortable, unique experiment id: UTC time to the millisecond + 32 random bits. */
void lle_make_run_id(char *out, size_t size, char *iso_out, size_t iso_size);

/* Aggregate per-request and per-batch records into totals and distributions. */
void lle_result_aggregate(lle_run_result *r);

/* Where lle_run_single_ex() gets its engine (src/campaign/session.c keeps one
 * loaded between experiments): acquire() returns an open engine for `p` (a
 * kept one when p matches it, else a new one); release() takes it back after
 * the run with the run's status. NULL source: a fresh engine opened and closed. */
typedef struct lle_engine_source {
    lle_status (*acquire)(void *user, const lle_engine_params *p, lle_engine **out, lle_error *err);
    void (*release)(void *user, lle_engine *e, lle_status run_status);
    void *user;
} lle_engine_source;

/* lle_run_single() with the engine from `src` (may be NULL). */
lle_status lle_run_single_ex(const lle_run_config *cfg, const lle_engine_source *src, lle_progress_fn progress,
                             void *user, const volatile int *stop, lle_run_result **out, lle_error *err);

#endif
