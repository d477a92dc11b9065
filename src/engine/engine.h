/* engine.h — the inference-engine interface (a vtable) the runner drives.
 *
 * An engine loads a model, tokenizes text, and generates tokens for a batch of
 * requests decoded together (one sequence each, shared KV cache) while
 * recording when each token became available. The llama.cpp engine
 * (llama_engine.c) is the first implementation; a remote OpenAI-style engine is
 * a second file implementing the same table.
 *
 * Ownership: open() returns an engine the caller releases with close().
 * tokenize() returns a malloc'd array the caller frees. generate() writes into
 * caller-owned trace arrays sized by the caller. */
#ifndef LLE_ENGINE_H
#define LLE_ENGINE_H

#include <stdint.h>

#include "lle/error.h"

typedef struct lle_engine lle_engine;

typedef struct lle_sampling {
    float temperature;     /* 0 = greedy (argmax) */
    int top_k;             /* 0 = off */
    float top_p;           /* 1 = off */
    float min_p;           /* 0 = off */
    float repeat_penalty;  /* 1 = off */
    int repeat_last_n;     /* tokens the penalty looks back over */
    int ignore_eos;        /* never sample an end-of-generation token */
    int min_output_tokens; /* without ignore_eos: EOG suppressed until this many */
} lle_sampling;

typedef struct lle_engine_params {
    const char *model_path;
    int n_ctx;           /* total KV cells, shared by all sequences */
    int n_batch;         /* logical batch (tokens per llama_decode) */
    int n_ubatch;        /* physical batch */
    int n_seq_max;       /* most sequences decoded together */
    int n_threads;       /* decode threads */
    int n_threads_batch; /* prompt-processing threads */
    int n_gpu_layers;
    int split_mode; /* enum llama_split_mode */
    int main_gpu;
    const float *tensor_split; /* NULL or llama_max_devices() floats */
    int flash_attn;            /* -1 auto, 0 off, 1 on */
    int type_k, type_v;        /* enum ggml_type of the KV cache */
    lle_sampling sampling;
    /* Optional: called after every successful llama_decode of generate() with
     * the batch's token count, the KV cells in use after it (the sum of the
     * sequences' lengths, unpadded) and its per-token logits flags (valid
     * during the call) — what executed-FLOPs accounting needs. */
    void (*on_decode)(void *user, int n_tokens, int n_kv_used, const int8_t *logits);
    void *on_decode_user;
} lle_engine_params;

/* One request of a batch. */
typedef struct lle_gen_request {
    const int32_t *prompt;
    int n_prompt;
    int n_out;     /* most tokens to generate */
    uint64_t seed; /* sampling seed of this request */
} lle_gen_request;

/* Timestamps of one request's generation, seconds on the monotonic clock. */
typedef struct lle_gen_trace {
    double t_start;       /* before the batch's prompts were submitted */
    double t_prefill_end; /* the llama_decode holding this prompt's last token returned */
    double *t_tokens;     /* caller array of n_out: when token i was sampled */
    int32_t *tokens;      /* caller array of n_out: the token ids */
    int n_done;           /* tokens produced (< n_out on EOS or stop) */
} lle_gen_trace;

typedef struct lle_engine_vtable {
    const char *name;
    lle_status (*open)(const lle_engine_params *p, lle_engine **out, lle_error *err);
    lle_status (*tokenize)(lle_engine *e, const char *text, int add_special, int32_t **tokens, int *n_tokens,
                           lle_error *err);
    /* Decode n requests together from a fresh KV state. Polls `stop` between
     * steps; returns LLE_ERR_INTERRUPTED when it fired. */
    lle_status (*generate)(lle_engine *e, const lle_gen_request *reqs, int n, lle_gen_trace *traces,
                           const volatile int *stop, lle_error *err);
    /* Bytes of the KV cache the context allocated (0 when unknown). */
    uint64_t (*kv_bytes)(lle_engine *e);
    /* Context cells actually allocated (after the engine's rounding). */
    int (*n_ctx)(lle_engine *e);
    void (*close)(lle_engine *e);
} lle_engine_vtable;

struct lle_engine {
    const lle_engine_vtable *vt;
};

extern const lle_engine_vtable lle_llama_engine;

#endif
