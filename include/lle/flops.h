/* lle/flops.h — floating-point operation counts of LLM inference, two ways.
 *
 * Model FLOPs come from the architecture formula (docs/flops.md): the useful
 * multiply-adds of a decoder transformer (causal attention, logits only where
 * they are needed), computed from the GGUF hyperparameters. They do not depend
 * on the weight type.
 *
 * Executed FLOPs are counted from the ggml graph llama.cpp really runs: a
 * calibration pass (a separate, short llama.cpp context of the same model and
 * settings) counts every graph node with a per-op rule, and fits the count of
 * one physical batch (ubatch) as an exact linear function of its shape —
 * tokens, output rows, and the KV span the attention kernels cover. The fit is
 * verified against direct counts at shapes it was not fitted on and cached on
 * disk, keyed by the architecture fingerprint (hyperparameters and tensor
 * shapes, never the file name or the weight type) and the settings that change
 * the graph. The executed FLOPs of a run are then the sum of the fit over its
 * llama_decode calls: counting costs the timed run nothing.
 *
 * Ownership: every struct here is a plain value owned by the caller; the
 * library keeps no pointer into them. Strings returned by
 * lle_flops_fit_to_json() and lle_flops_summary_to_json() are malloc'd and
 * freed by the caller with free(). */
#ifndef LLE_FLOPS_H
#define LLE_FLOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the fit and of its cache file; a cache file of another version is
 * ignored and recalibrated. */
#define LLE_FLOPS_FIT_VERSION 1

/* Components of a count (calflops-style breakdown). */
typedef enum lle_flops_part {
    LLE_FLOPS_ATTN_PROJ = 0, /* Q, K, V and attention-output projections */
    LLE_FLOPS_ATTN_SCORES,   /* Q·Kᵀ scores and scores·V (matmul work of attention) */
    LLE_FLOPS_FFN,           /* feed-forward matmuls: gate, up, down, MoE router and experts */
    LLE_FLOPS_LM_HEAD,       /* the vocabulary projection (logits) */
    LLE_FLOPS_OTHER,         /* norms, RoPE, softmax, activations, residual adds, biases */
    LLE_FLOPS_N_PARTS
} lle_flops_part;

/* A count split by component; total is the sum of the parts. */
typedef struct lle_flops_parts {
    uint64_t part[LLE_FLOPS_N_PARTS];
    uint64_t total;
} lle_flops_parts;

/* Stable JSON name of a part: "attention_projections", "attention_scores",
 * "ffn", "lm_head", "other". NULL when out of range. */
LLE_API const char *lle_flops_part_name(lle_flops_part p);

/* acc += x (parts and total). */
LLE_API void lle_flops_parts_add(lle_flops_parts *acc, const lle_flops_parts *x);

/* ---- model FLOPs: the architecture formula ---------------------------------- */

/* LLE_OK when `m` has what the formula needs (layers, embedding, heads, head
 * dims, FFN width, vocabulary; experts used <= experts); else UNSUPPORTED
 * naming the missing hyperparameter and the model file. */
LLE_API lle_status lle_flops_model_check(const lle_model_info *m, lle_error *err);

/* Prefill of n_prompt tokens of one sequence: every projection and FFN for
 * each token, causal attention (token i attends to i positions), logits for
 * the last position only. Zero for n_prompt 0. */
LLE_API void lle_flops_model_prefill(const lle_model_info *m, uint64_t n_prompt, lle_flops_parts *out);

/* One decode step of one sequence whose new token attends to `context_len`
 * positions (itself included), with its logits. */
LLE_API void lle_flops_model_decode(const lle_model_info *m, uint64_t context_len, lle_flops_parts *out);

/* One request as the runner executes it: prefill of n_prompt tokens (its
 * logits give the first output token), then n_gen - 1 decode steps at context
 * lengths n_prompt + 1 ... n_prompt + n_gen - 1. */
LLE_API void lle_flops_model_request(const lle_model_info *m, uint64_t n_prompt, uint64_t n_gen,
                                     lle_flops_parts *prefill, lle_flops_parts *decode);

/* The hyperparameters of a synthesis preset as an lle_model_info (arch, layer
 * and head counts, head dims, FFN, vocabulary, tied embeddings; the file
 * fields are left empty), so the formula needs no model file. */
LLE_API void lle_flops_info_from_preset(const lle_preset *p, lle_model_info *out);

/* ---- executed FLOPs: calibration and the fit ---------------------------------- */

/* Terms of the per-ubatch fit: flops = Σ coef[term] · value(term). */
typedef enum lle_flops_term {
    LLE_FLOPS_TERM_CONST = 0, /* 1 */
    LLE_FLOPS_TERM_TOKENS,    /* tokens in the ubatch */
    LLE_FLOPS_TERM_OUTPUTS,   /* tokens whose logits were requested */
    LLE_FLOPS_TERM_TOKENS_KV, /* tokens × KV span */
    LLE_FLOPS_TERM_KV,        /* KV span */
    LLE_FLOPS_N_TERMS
} lle_flops_term;

/* Settings that change the graph, and where the calibration runs. */
typedef struct lle_flops_settings {
    const char *kv_type;   /* KV cache type of K and V: "f16" (NULL) ... as lle_run_config.kv_type */
    int flash_attn;        /* -1 auto, 0 off, 1 on (as lle_run_config.flash_attn) */
    int n_gpu_layers;      /* layers offloaded when calibrating (part of the key: 0 vs > 0) */
    int n_threads;         /* calibration threads; <= 0: all cores */
    const char *cache_dir; /* fit cache directory; NULL: $LLE_CACHE_DIR/flops, else
                            * $XDG_CACHE_HOME/llm-efficiency/flops, else ~/.cache/llm-efficiency/flops */
    bool no_cache;         /* neither read nor write the cache */
} lle_flops_settings;

/* Defaults: f16 KV, flash attention auto, no offload, all cores, default cache. */
LLE_API void lle_flops_settings_init(lle_flops_settings *s);

typedef struct lle_flops_fit {
    uint32_t version;           /* LLE_FLOPS_FIT_VERSION */
    char fingerprint[17];       /* 16 hex digits: architecture + settings + llama.cpp release */
    char source[16];            /* "calibrated" (this call ran the graph) or "cache" */
    double seconds;             /* wall time of this call (calibration, or the cache lookup) */
    double calibration_seconds; /* wall time of the calibration that produced the fit */
    char arch[64];              /* general.architecture */
    char kv_type[16];
    int flash_attn;         /* as requested */
    bool flash_attn_used;   /* the graph holds FLASH_ATTN_EXT nodes */
    bool offload;           /* calibrated with layers offloaded */
    char llama_release[32]; /* llama.cpp release whose graph was counted */
    /* KV span the attention covers after a ubatch leaves u cells in use:
     * min(n_ctx, max(kv_span_min, roundup(u, kv_span_pad))), measured. */
    uint32_t kv_span_min, kv_span_pad;
    int64_t coef[LLE_FLOPS_N_PARTS][LLE_FLOPS_N_TERMS];
    uint32_t n_fit_points;   /* shapes the coefficients were solved from */
    uint32_t n_check_points; /* further shapes where fit == direct count was verified */
    char uncounted_ops[256]; /* ops met without a rule (counted 0), comma separated; "" normally */
} lle_flops_fit;

/* The fit for `model_path` with settings `s` (NULL: defaults): from the cache
 * when a valid file for the fingerprint exists, else by calibrating (seven
 * decodes counted in a separate context, one of them computed; about a model
 * load plus one two-token decode) and writing the cache atomically. A
 * corrupt or outdated cache file is recalibrated and replaced. Errors:
 * NOT_FOUND/FORMAT (model file), INVALID (settings), BACKEND (llama.cpp),
 * UNSUPPORTED (the graph's count is not linear in the ubatch shape), IO. */
LLE_API lle_status lle_flops_calibrate(const char *model_path, const lle_flops_settings *s, lle_flops_fit *fit,
                                       lle_error *err);

/* KV span covered by a ubatch after which n_kv_used cells are in use, in a
 * context of n_ctx cells (0: no cap). */
LLE_API uint32_t lle_flops_kv_span(const lle_flops_fit *fit, uint32_t n_kv_used, uint32_t n_ctx);

/* Executed FLOPs of one ubatch: n_tokens tokens of which n_outputs have
 * logits, leaving n_kv_used cells in use, context n_ctx (0: no cap). */
LLE_API void lle_flops_fit_eval(const lle_flops_fit *fit, uint32_t n_tokens, uint32_t n_outputs, uint32_t n_kv_used,
                                uint32_t n_ctx, lle_flops_parts *out);

/* Adds to *acc the executed FLOPs of one llama_decode call of n_tokens tokens
 * that left n_kv_used cells in use: split into ubatches of n_ubatch tokens in
 * batch order (llama.cpp's split for a unified KV cache). outputs[i] != 0 when
 * token i's logits were requested; NULL means every token. */
LLE_API void lle_flops_fit_decode(const lle_flops_fit *fit, int n_tokens, const int8_t *outputs, int n_kv_used,
                                  int n_ubatch, int n_ctx, lle_flops_parts *acc);

/* A workload as the runner's engine schedules it: n_seqs sequences of n_prompt
 * tokens decoded together generating n_gen tokens each; the prompts are fed in
 * chunks of n_batch tokens (each sequence's last prompt token with logits),
 * then n_gen - 1 steps of one token per sequence. */
typedef struct lle_flops_workload {
    int n_seqs, n_prompt, n_gen;
    int n_batch;  /* 0: min(512, n_seqs × (n_prompt + n_gen)), at least n_seqs, as the
                    * runner resolves it */
    int n_ubatch; /* 0: n_batch */
    int n_ctx;    /* KV cells of the context as llama.cpp allocated them (llama_n_ctx,
                    * after its rounding), capping the KV span; 0: unknown, no cap */
} lle_flops_workload;

/* `in` with the defaults filled in (n_batch, n_ubatch) into *out. INVALID
 * names a bad field. */
LLE_API lle_status lle_flops_workload_resolve(const lle_flops_workload *in, lle_flops_workload *out, lle_error *err);

/* Executed FLOPs of `w` (prefill chunks and decode steps). INVALID names a
 * bad field. */
LLE_API lle_status lle_flops_fit_workload(const lle_flops_fit *fit, const lle_flops_workload *w,
                                          lle_flops_parts *prefill, lle_flops_parts *decode, lle_error *err);

/* The fit as a JSON object (coefficients, KV span rule, provenance). NULL on OOM. */
LLE_API char *lle_flops_fit_to_json(const lle_flops_fit *fit);

/* ---- the figures of an experiment -------------------------------------------- */

typedef struct lle_flops_summary {
    bool has_model; /* model_* are set */
    lle_flops_parts model_prefill, model_decode;
    bool has_executed; /* exec_* and fit are set */
    lle_flops_parts exec_prefill, exec_decode;
    lle_flops_fit fit;
    uint64_t n_output_tokens;   /* > 0: FLOPs per output token */
    uint64_t n_input_tokens;    /* > 0: prefill FLOPs per prompt token */
    double prefill_s, decode_s; /* > 0: achieved FLOP/s (prefill, decode, both) */
    double energy_j;            /* > 0: FLOPs per joule */
} lle_flops_summary;

/* The "flops" object of results (docs/flops.md): model and executed totals,
 * each split into prefill and decode, with the component breakdown, FLOPs per
 * output token, achieved FLOP/s, FLOPs per joule and the calibration's
 * provenance. Absent inputs are left out, never estimated. NULL on OOM. */
LLE_API char *lle_flops_summary_to_json(const lle_flops_summary *s);

#ifdef __cplusplus
}
#endif
#endif
