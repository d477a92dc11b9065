/* engine.h — the inference-engine interface (a vtable) the runner drives.
 *
 * An engine loads a model, tokenizes text, and generates tokens for one
 * request while recording when each token became available. The llama.cpp
 * engine (llama_engine.c) is the first implementation; a remote OpenAI-style
 * engine is a second file implementing the same table.
 *
 * Ownership: open() returns an engine the caller releases with close().
 * tokenize() returns a malloc'd array the caller frees. generate() writes into
 * caller-owned arrays sized by the caller. */
#ifndef LLE_ENGINE_H
#define LLE_ENGINE_H

#include <stdint.h>

#include "lle/error.h"

typedef struct lle_engine lle_engine;

typedef struct lle_engine_params {
    const char *model_path;
    int n_ctx;
    int n_batch;
    int n_threads;         /* decode threads */
    int n_threads_batch;   /* prompt-processing threads */
    int n_gpu_layers;
    uint64_t seed;
    int ignore_eos;        /* never sample an end-of-generation token */
} lle_engine_params;

/* Timestamps of one generation, seconds on the monotonic clock. */
typedef struct lle_gen_trace {
    double t_start;        /* before the prompt was submitted */
    double t_prefill_end;  /* prompt decode finished (logits ready) */
    double *t_tokens;      /* caller array of n_out: when token i was sampled */
    int32_t *tokens;       /* caller array of n_out: the token ids */
    int n_done;            /* tokens actually produced (< n_out when stopped) */
} lle_gen_trace;

typedef struct lle_engine_vtable {
    const char *name;
    lle_status (*open)(const lle_engine_params *p, lle_engine **out, lle_error *err);
    lle_status (*tokenize)(lle_engine *e, const char *text, int add_special, int32_t **tokens,
                           int *n_tokens, lle_error *err);
    /* Generate exactly n_out tokens after `prompt` (fresh KV state). Polls
     * `stop` between tokens; returns LLE_ERR_INTERRUPTED when it fired. */
    lle_status (*generate)(lle_engine *e, const int32_t *prompt, int n_prompt, int n_out,
                           lle_gen_trace *trace, const volatile int *stop, lle_error *err);
    /* Bytes of the KV cache (0 when unknown). */
    uint64_t (*kv_bytes)(lle_engine *e);
    void (*close)(lle_engine *e);
} lle_engine_vtable;

struct lle_engine {
    const lle_engine_vtable *vt;
};

extern const lle_engine_vtable lle_llama_engine;

#endif
