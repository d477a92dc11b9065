/* flops_internal.h — internals of the FLOPs module shared by its files and
 * the unit tests: the per-node counting rules (rules.c), the counting context
 * that decodes through llama.cpp with an eval callback (counter.c), the
 * linear solve of the fit (solve.c), the architecture fingerprint and the fit
 * cache (cache.c), and the cJSON form of the summary for result documents.
 * Not installed.
 *
 * Ownership: lle_flops_counter_open() returns a counter the caller closes with
 * lle_flops_counter_close(). cJSON objects returned here belong to the caller
 * (cJSON_Delete, or attach them to a parent). */
#ifndef LLE_FLOPS_INTERNAL_H
#define LLE_FLOPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ggml.h"
#include "llama.h"
#include "lle/flops.h"

/* ---- rules.c ---- */

/* Adds the FLOPs of graph node `t` to parts[] by the per-op rules of
 * docs/flops.md. Returns false when the op has no rule (nothing added). */
bool lle_flops_node(const struct ggml_tensor *t, uint64_t parts[LLE_FLOPS_N_PARTS]);

/* KV span an attention node covers (SOFT_MAX: row length; FLASH_ATTN_EXT: K
 * rows), 0 for any other node. */
uint32_t lle_flops_node_kv_span(const struct ggml_tensor *t);

/* Sum the parts into total. */
void lle_flops_parts_finish(lle_flops_parts *p);

/* ---- counter.c: direct counts ---- */

typedef struct lle_flops_counter lle_flops_counter;

typedef struct lle_flops_counter_opts {
    const char *model_path;
    int flash_attn;     /* -1, 0, 1 */
    int type_k, type_v; /* enum ggml_type */
    int n_gpu_layers;
    int n_threads; /* <= 0: all cores */
    int n_ctx;     /* KV cells */
    int n_batch;   /* logical batch; also n_ubatch unless n_ubatch > 0 */
    int n_ubatch;
    int n_seq_max; /* sequences (unified KV cache) */
} lle_flops_counter_opts;

/* The count of one llama_decode call. */
typedef struct lle_flops_count {
    lle_flops_parts parts;
    uint32_t kv_span;    /* span of the last ubatch's attention (0: none seen) */
    bool kv_span_varies; /* attention nodes of one ubatch disagreed on the span */
    bool flash_attn;     /* FLASH_ATTN_EXT nodes were met */
    uint64_t n_nodes;
    char uncounted[256]; /* ops without a rule, comma separated */
} lle_flops_count;

lle_status lle_flops_counter_open(const lle_flops_counter_opts *o, lle_flops_counter **out, lle_error *err);
void lle_flops_counter_close(lle_flops_counter *c);

/* Cells of the context's KV cache (after llama.cpp's rounding). */
uint32_t lle_flops_counter_n_ctx(const lle_flops_counter *c);

/* Empty the KV cache, then occupy its first n_fill cells (sequence 0) by
 * decodes whose graphs are stopped after their first node: the cells are
 * allocated as in a real decode, nothing else is computed. */
lle_status lle_flops_counter_fill(lle_flops_counter *c, int n_fill, lle_error *err);

/* Decode n_tokens further tokens of sequence 0 (the last n_outputs with
 * logits), running the whole graph, and count it. */
lle_status lle_flops_counter_decode(lle_flops_counter *c, int n_tokens, int n_outputs, lle_flops_count *out,
                                    lle_error *err);

/* Count the graph of the same decode without computing it (see counter.c:
 * complete only for a graph of one split). The KV cache is left as it was. */
lle_status lle_flops_counter_count(lle_flops_counter *c, int n_tokens, int n_outputs, lle_flops_count *out,
                                   lle_error *err);

/* Decode and count a caller-built batch (any sequences and positions). */
lle_status lle_flops_counter_decode_batch(lle_flops_counter *c, struct llama_batch batch, lle_flops_count *out,
                                          lle_error *err);

/* ---- solve.c ---- */

/* One measured shape of the calibration. */
typedef struct lle_flops_point {
    uint32_t n_tokens, n_outputs, n_kv_used, kv_span;
    lle_flops_parts parts; /* direct count */
} lle_flops_point;

/* Values of the fit's terms for a ubatch shape. */
void lle_flops_terms(uint32_t n_tokens, uint32_t n_outputs, uint32_t kv_span, int64_t v[LLE_FLOPS_N_TERMS]);

/* Solve fit->coef from the first LLE_FLOPS_N_TERMS points exactly (integer
 * coefficients), then require fit == direct count on every point.
 * UNSUPPORTED when the points are degenerate or a count disagrees. */
lle_status lle_flops_solve(const lle_flops_point *pts, int n_pts, lle_flops_fit *fit, lle_error *err);

/* ---- cache.c ---- */

/* Fingerprint of the model's architecture (hyperparameters, tensor names and
 * shapes, read from the GGUF) and the settings, 16 hex digits; `key` (may be
 * NULL) receives the canonical text that was hashed (without the tensors).
 * UNSUPPORTED for sliding-window attention, whose second KV span the fit does
 * not model. */
lle_status lle_flops_fingerprint(const char *model_path, const lle_model_info *m, const lle_flops_settings *s,
                                 char fp[17], char *key, size_t key_size, lle_error *err);

/* <cache dir>/<fingerprint>.json, the directory resolved as documented for
 * lle_flops_settings.cache_dir. */
lle_status lle_flops_cache_path(const lle_flops_settings *s, const char *fp, char *out, size_t size, lle_error *err);

/* LLE_OK and *fit filled when `path` holds a valid fit of `fp`; NOT_FOUND when
 * absent; FORMAT (message names the file and field) when unusable. */
lle_status lle_flops_cache_load(const char *path, const char *fp, lle_flops_fit *fit, lle_error *err);

/* Write the fit (with its calibration points) atomically, creating the dir. */
lle_status lle_flops_cache_save(const char *path, const lle_flops_fit *fit, const lle_flops_point *pts, int n_pts,
                                lle_error *err);

/* ---- json.c ---- */

/* JSON name of a fit term: "const", "tokens", "outputs", "tokens_x_kv_span",
 * "kv_span"; NULL when out of range. */
const char *lle_flops_term_name(int t);

/* {"attention_projections": n, ..., "total": n}. NULL on OOM. */
cJSON *lle_flops_parts_json(const lle_flops_parts *p);

/* The fit object of lle_flops_fit_to_json(). NULL on OOM. */
cJSON *lle_flops_fit_json(const lle_flops_fit *fit);

/* The "flops" object of lle_flops_summary_to_json(), to attach to a result. */
cJSON *lle_flops_summary_json(const lle_flops_summary *s);

#endif
