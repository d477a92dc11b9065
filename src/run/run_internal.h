/* run_internal.h — functions shared by the runner's files (prompts.c,
 * runner.c, result.c, cache.c). Not installed. */
#ifndef LLE_RUN_INTERNAL_H
#define LLE_RUN_INTERNAL_H

#include "engine/engine.h"
#include "lle/run.h"

/* Build a synthetic prompt of exactly n_tokens tokens (BOS included when the
 * vocab adds one), deterministic in (seed, index). *tokens is malloc'd. */
lle_status lle_synthetic_prompt(lle_engine *e, uint64_t seed, int index, int n_tokens, int32_t **tokens,
                                lle_error *err);

/* A sortable, unique experiment id: UTC time to the millisecond + 32 random bits. */
void lle_make_run_id(char *out, size_t size, char *iso_out, size_t iso_size);

/* Aggregate per-request records into the result's totals and distributions. */
void lle_result_aggregate(lle_run_result *r);

#endif
