/* llama_engine.c — the in-process llama.cpp engine: loads a GGUF model, owns
 * one context and a sampler chain, and generates tokens for one request at a
 * time while timestamping each token on the monotonic clock. With ignore_eos
 * every end-of-generation token gets a -inf logit bias (as llama.cpp's own
 * --ignore-eos does), so output lengths are exactly what was asked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/engine.h"
#include "llama.h"

typedef struct llama_engine {
    lle_engine base;
    struct llama_model *model;
    struct llama_context *ctx;
    struct llama_sampler *smpl;
    const struct llama_vocab *vocab;
    struct llama_batch batch;
    int n_batch;
    int n_ctx;
} llama_engine;

static bool quiet_progress(float progress, void *user)
{
    (void)progress;
    (void)user;
    return true;
}

static lle_status build_sampler(llama_engine *e, const lle_engine_params *p, lle_error *err)
{
    struct llama_sampler_chain_params sp = llama_sampler_chain_default_params();
    int n_vocab = llama_vocab_n_tokens(e->vocab);
    llama_logit_bias *bias = NULL;
    int n_bias = 0;

    sp.no_perf = true;
    e->smpl = llama_sampler_chain_init(sp);
    if (e->smpl == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "cannot create sampler");
    if (p->ignore_eos) {
        bias = calloc((size_t)n_vocab, sizeof *bias);
        if (bias == NULL)
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory for logit biases");
        for (int t = 0; t < n_vocab; t++) {
            if (llama_vocab_is_eog(e->vocab, t)) {
                bias[n_bias].token = t;
                bias[n_bias].bias = -INFINITY;
                n_bias++;
            }
        }
        if (n_bias > 0)
            llama_sampler_chain_add(e->smpl, llama_sampler_init_logit_bias(n_vocab, n_bias, bias));
        free(bias);
    }
    llama_sampler_chain_add(e->smpl, llama_sampler_init_greedy());
    return LLE_OK;
}

static lle_status le_open_ctx(llama_engine *e, const lle_engine_params *p, lle_error *err)
{
    struct llama_context_params cp = llama_context_default_params();

    cp.n_ctx = (uint32_t)p->n_ctx;
    cp.n_batch = (uint32_t)p->n_batch;
    cp.n_ubatch = (uint32_t)p->n_batch;
    cp.n_seq_max = 1;
    cp.n_threads = p->n_threads;
    cp.n_threads_batch = p->n_threads_batch;
    cp.no_perf = true;
    e->ctx = llama_init_from_model(e->model, cp);
    if (e->ctx == NULL)
        return lle_fail(err, LLE_ERR_BACKEND, "llama.cpp could not create a context (n_ctx %d)", p->n_ctx);
    e->n_ctx = (int)llama_n_ctx(e->ctx);
    e->n_batch = p->n_batch;
    e->batch = llama_batch_init(p->n_batch, 0, 1);
    return LLE_OK;
}

static void le_close(lle_engine *base)
{
    llama_engine *e = (llama_engine *)base;

    if (e == NULL)
        return;
    if (e->batch.token != NULL)
        llama_batch_free(e->batch);
    if (e->smpl != NULL)
        llama_sampler_free(e->smpl);
    if (e->ctx != NULL)
        llama_free(e->ctx);
    if (e->model != NULL)
        llama_model_free(e->model);
    free(e);
}

static lle_status le_open(const lle_engine_params *p, lle_engine **out, lle_error *err)
{
    struct llama_model_params mp = llama_model_default_params();
    llama_engine *e = NULL;
    lle_status st = lle_runtime_init(err);

    *out = NULL;
    if (st != LLE_OK)
        goto cleanup;
    e = calloc(1, sizeof *e);
    if (e == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    e->base.vt = &lle_llama_engine;
    mp.n_gpu_layers = p->n_gpu_layers;
    mp.progress_callback = quiet_progress;
    e->model = llama_model_load_from_file(p->model_path, mp);
    if (e->model == NULL) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: llama.cpp could not load the model (run with -v for details)",
                      p->model_path);
        goto cleanup;
    }
    e->vocab = llama_model_get_vocab(e->model);
    st = le_open_ctx(e, p, err);
    if (st == LLE_OK)
        st = build_sampler(e, p, err);
cleanup:
    if (st != LLE_OK)
        le_close(e ? &e->base : NULL);
    else
        *out = &e->base;
    return st;
}

static lle_status le_tokenize(lle_engine *base, const char *text, int add_special, int32_t **tokens,
                              int *n_tokens, lle_error *err)
{
    llama_engine *e = (llama_engine *)base;
    int len = (int)strlen(text);
    int cap = len + 8;
    int32_t *buf = malloc((size_t)cap * sizeof *buf);
    int n;

    *tokens = NULL;
    *n_tokens = 0;
    if (buf == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory tokenizing");
    n = llama_tokenize(e->vocab, text, len, buf, cap, add_special != 0, false);
    if (n < 0) {
        free(buf);
        return lle_fail(err, LLE_ERR_BACKEND, "tokenizer failed (needs %d tokens)", -n);
    }
    *tokens = buf;
    *n_tokens = n;
    return LLE_OK;
}

/* Feed tokens [0, n) at positions pos0.. in chunks of n_batch; logits for the last one. */
static lle_status decode_tokens(llama_engine *e, const int32_t *toks, int n, int pos0, lle_error *err)
{
    for (int off = 0; off < n; off += e->n_batch) {
        int m = n - off < e->n_batch ? n - off : e->n_batch;
        int rc;
        for (int i = 0; i < m; i++) {
            e->batch.token[i] = toks[off + i];
            e->batch.pos[i] = pos0 + off + i;
            e->batch.n_seq_id[i] = 1;
            e->batch.seq_id[i][0] = 0;
            e->batch.logits[i] = (off + i == n - 1);
        }
        e->batch.n_tokens = m;
        rc = llama_decode(e->ctx, e->batch);
        if (rc != 0)
            return lle_fail(err, LLE_ERR_BACKEND, "llama_decode failed (code %d) at position %d", rc,
                            pos0 + off);
    }
    return LLE_OK;
}

static lle_status le_generate(lle_engine *base, const int32_t *prompt, int n_prompt, int n_out,
                              lle_gen_trace *tr, const volatile int *stop, lle_error *err)
{
    llama_engine *e = (llama_engine *)base;
    lle_status st = LLE_OK;
    int32_t tok;

    tr->n_done = 0;
    if (n_prompt < 1 || n_out < 1 || n_prompt + n_out > e->n_ctx)
        return lle_fail(err, LLE_ERR_INVALID, "%d prompt + %d output tokens do not fit the context of %d",
                        n_prompt, n_out, e->n_ctx);
    llama_memory_clear(llama_get_memory(e->ctx), true);
    llama_sampler_reset(e->smpl);
    tr->t_start = lle_now_s();
    st = decode_tokens(e, prompt, n_prompt, 0, err);
    if (st != LLE_OK)
        goto cleanup;
    tr->t_prefill_end = lle_now_s();
    for (int i = 0; i < n_out; i++) {
        if (i > 0) {
            if (stop != NULL && *stop) {
                st = lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted");
                goto cleanup;
            }
            st = decode_tokens(e, &tok, 1, n_prompt + i - 1, err);
            if (st != LLE_OK)
                goto cleanup;
        }
        tok = llama_sampler_sample(e->smpl, e->ctx, -1);
        tr->t_tokens[i] = lle_now_s();
        tr->tokens[i] = tok;
        tr->n_done = i + 1;
    }
cleanup:
    return st;
}

static uint64_t le_kv_bytes(lle_engine *base)
{
    llama_engine *e = (llama_engine *)base;
    const struct llama_model *m = e->model;
    uint64_t n_embd_kv = (uint64_t)llama_model_n_embd(m) / (uint64_t)llama_model_n_head(m) *
                         (uint64_t)llama_model_n_head_kv(m);

    /* K and V, F16 (2 bytes) per element, every layer, every context cell. */
    return 2ULL * 2ULL * n_embd_kv * (uint64_t)llama_model_n_layer(m) * (uint64_t)e->n_ctx;
}

const lle_engine_vtable lle_llama_engine = {
    .name = "llama.cpp",
    .open = le_open,
    .tokenize = le_tokenize,
    .generate = le_generate,
    .kv_bytes = le_kv_bytes,
    .close = le_close,
};
