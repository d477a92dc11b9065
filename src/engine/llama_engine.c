/* llama_engine.c — the in-process llama.cpp engine: loads a GGUF model, owns
 * one context whose KV cache is shared by up to n_seq_max sequences, and
 * decodes a batch of requests together (real multi-sequence batching: one
 * llama_batch carries a token of every active sequence) while timestamping
 * each sampled token on the monotonic clock. With ignore_eos every
 * end-of-generation token is masked (-inf), as llama.cpp's --ignore-eos does,
 * so output lengths are exactly what was asked. */
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
    const struct llama_vocab *vocab;
    struct llama_batch batch;
    int n_batch;
    int n_ctx;
    int n_seq_max;
    int type_k, type_v;
    lle_sampling sampling;
    void (*on_decode)(void *user, int n_tokens, int n_kv_used, const int8_t *logits);
    void *on_decode_user;
    int kv_used;  /* cells in use during the current generate() */
    int32_t *eog; /* end-of-generation token ids */
    int n_eog;
    struct ggml_threadpool *tp, *tp_batch; /* persistent CPU threadpools (NULL: ggml makes one per call) */
    void (*tp_free)(struct ggml_threadpool *);
} llama_engine;

/* Per-sequence state during one generate() call. */
typedef struct seq_state {
    struct llama_sampler *chain;
    int32_t last; /* last sampled token, fed at the next step */
    int pos;      /* position of `last` */
    int active;
} seq_state;

static bool quiet_progress(float progress, void *user)
{
    (void)progress;
    (void)user;
    return true;
}

static lle_status collect_eog(llama_engine *e, lle_error *err)
{
    int n_vocab = llama_vocab_n_tokens(e->vocab);

    e->eog = malloc((size_t)(n_vocab > 0 ? n_vocab : 1) * sizeof *e->eog);
    if (e->eog == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int t = 0; t < n_vocab; t++)
        if (llama_vocab_is_eog(e->vocab, t))
            e->eog[e->n_eog++] = t;
    return LLE_OK;
}

/* The sampler chain of one request: penalties, top-k, top-p, min-p,
 * temperature and a seeded draw; or argmax when temperature is 0. */
static struct llama_sampler *build_chain(const llama_engine *e, uint64_t seed)
{
    const lle_sampling *s = &e->sampling;
    struct llama_sampler_chain_params sp = llama_sampler_chain_default_params();
    struct llama_sampler *c;

    sp.no_perf = true;
    c = llama_sampler_chain_init(sp);
    if (c == NULL)
        return NULL;
    if (s->repeat_penalty != 1.0f)
        llama_sampler_chain_add(c, llama_sampler_init_penalties(llama_vocab_n_tokens(e->vocab), s->repeat_last_n,
                                                                s->repeat_penalty, 0.0f, 0.0f));
    if (s->temperature <= 0.0f) {
        llama_sampler_chain_add(c, llama_sampler_init_greedy());
        return c;
    }
    if (s->top_k > 0)
        llama_sampler_chain_add(c, llama_sampler_init_top_k(s->top_k));
    if (s->top_p < 1.0f)
        llama_sampler_chain_add(c, llama_sampler_init_top_p(s->top_p, 1));
    if (s->min_p > 0.0f)
        llama_sampler_chain_add(c, llama_sampler_init_min_p(s->min_p, 1));
    llama_sampler_chain_add(c, llama_sampler_init_temp(s->temperature));
    llama_sampler_chain_add(c, llama_sampler_init_dist((uint32_t)(seed ^ (seed >> 32))));
    return c;
}

/* Persistent CPU threadpools attached to the context, as llama.cpp's own
 * tools do (common_init_from_params, llama-bench): one for decode and, when
 * its thread count differs, one for prompt batches; without them ggml starts
 * and joins its worker threads on every llama_decode. Best effort: a backend
 * without the entry points (or a failed creation) keeps ggml's default. */
static void attach_threadpools(llama_engine *e, int n_threads, int n_threads_batch)
{
    ggml_backend_reg_t reg = ggml_backend_reg_by_name("CPU");
    struct ggml_threadpool *(*tp_new)(struct ggml_threadpool_params *) = NULL;
    struct ggml_threadpool_params tpp, tpp_batch;

    if (reg == NULL || n_threads < 1 || n_threads_batch < 1)
        return;
    tp_new = (struct ggml_threadpool * (*)(struct ggml_threadpool_params *))
        ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
    e->tp_free = (void (*)(struct ggml_threadpool *))ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_free");
    if (tp_new == NULL || e->tp_free == NULL)
        return;
    tpp = ggml_threadpool_params_default(n_threads);
    tpp_batch = ggml_threadpool_params_default(n_threads_batch);
    if (!ggml_threadpool_params_match(&tpp, &tpp_batch))
        e->tp_batch = tp_new(&tpp_batch);
    e->tp = tp_new(&tpp);
    if (e->tp != NULL)
        llama_attach_threadpool(e->ctx, e->tp, e->tp_batch);
}

static lle_status le_open_ctx(llama_engine *e, const lle_engine_params *p, lle_error *err)
{
    struct llama_context_params cp = llama_context_default_params();

    cp.n_ctx = (uint32_t)p->n_ctx;
    cp.n_batch = (uint32_t)p->n_batch;
    cp.n_ubatch = (uint32_t)(p->n_ubatch > 0 ? p->n_ubatch : p->n_batch);
    cp.n_seq_max = (uint32_t)(p->n_seq_max > 0 ? p->n_seq_max : 1);
    cp.kv_unified = true;
    cp.n_threads = p->n_threads;
    cp.n_threads_batch = p->n_threads_batch;
    cp.flash_attn_type = (enum llama_flash_attn_type)p->flash_attn;
    cp.type_k = (enum ggml_type)p->type_k;
    cp.type_v = (enum ggml_type)p->type_v;
    cp.no_perf = true;
    e->ctx = llama_init_from_model(e->model, cp);
    if (e->ctx == NULL)
        return lle_fail(err, LLE_ERR_BACKEND,
                        "llama.cpp could not create a context (n_ctx %d, kv %s/%s, flash_attn %d; "
                        "a quantised V cache needs flash attention)",
                        p->n_ctx, ggml_type_name(cp.type_k), ggml_type_name(cp.type_v), p->flash_attn);
    e->n_ctx = (int)llama_n_ctx(e->ctx);
    e->n_batch = (int)llama_n_batch(e->ctx);
    e->n_seq_max = (int)cp.n_seq_max;
    e->type_k = p->type_k;
    e->type_v = p->type_v;
    e->batch = llama_batch_init(e->n_batch > e->n_seq_max ? e->n_batch : e->n_seq_max, 0, 1);
    attach_threadpools(e, p->n_threads, p->n_threads_batch);
    return LLE_OK;
}

static void le_close(lle_engine *base)
{
    llama_engine *e = (llama_engine *)base;

    if (e == NULL)
        return;
    if (e->batch.token != NULL)
        llama_batch_free(e->batch);
    if (e->ctx != NULL)
        llama_free(e->ctx);
    if (e->tp_free != NULL && e->tp != NULL)
        e->tp_free(e->tp);
    if (e->tp_free != NULL && e->tp_batch != NULL)
        e->tp_free(e->tp_batch);
    if (e->model != NULL)
        llama_model_free(e->model);
    free(e->eog);
    free(e);
}

static struct llama_model_params model_params(const lle_engine_params *p)
{
    struct llama_model_params mp = llama_model_default_params();

    mp.n_gpu_layers = p->n_gpu_layers;
    mp.split_mode = (enum llama_split_mode)p->split_mode;
    mp.main_gpu = p->main_gpu;
    mp.tensor_split = p->tensor_split;
    mp.progress_callback = quiet_progress;
    return mp;
}

static lle_status le_open(const lle_engine_params *p, lle_engine **out, lle_error *err)
{
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
    e->sampling = p->sampling;
    e->on_decode = p->on_decode;
    e->on_decode_user = p->on_decode_user;
    e->model = llama_model_load_from_file(p->model_path, model_params(p));
    if (e->model == NULL) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: llama.cpp could not load the model (run with -v for details)",
                      p->model_path);
        goto cleanup;
    }
    e->vocab = llama_model_get_vocab(e->model);
    st = collect_eog(e, err);
    if (st == LLE_OK)
        st = le_open_ctx(e, p, err);
cleanup:
    if (st != LLE_OK)
        le_close(e ? &e->base : NULL);
    else
        *out = &e->base;
    return st;
}

static lle_status le_tokenize(lle_engine *base, const char *text, int add_special, int32_t **tokens, int *n_tokens,
                              lle_error *err)
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

static void batch_add(struct llama_batch *b, int32_t tok, int pos, int seq, bool logits)
{
    int i = b->n_tokens++;

    b->token[i] = tok;
    b->pos[i] = pos;
    b->n_seq_id[i] = 1;
    b->seq_id[i][0] = seq;
    b->logits[i] = logits;
}

/* Sample sequence s from batch row `idx`, record its timestamp. Returns 1 when
 * the sequence is finished. */
static int sample_one(llama_engine *e, seq_state *ss, int s, int idx, const lle_gen_request *rq, lle_gen_trace *tr)
{
    const lle_sampling *sp = &e->sampling;
    int32_t tok;
    bool mask = sp->ignore_eos || tr->n_done < sp->min_output_tokens;

    if (mask && e->n_eog > 0) {
        float *logits = llama_get_logits_ith(e->ctx, idx);
        for (int k = 0; logits != NULL && k < e->n_eog; k++)
            logits[e->eog[k]] = -INFINITY;
    }
    tok = llama_sampler_sample(ss[s].chain, e->ctx, idx);
    tr->t_tokens[tr->n_done] = lle_now_s();
    tr->tokens[tr->n_done] = tok;
    tr->n_done++;
    ss[s].last = tok;
    ss[s].pos++;
    return tr->n_done >= rq->n_out || (!sp->ignore_eos && llama_vocab_is_eog(e->vocab, tok));
}

static lle_status decode_checked(llama_engine *e, lle_error *err)
{
    int rc = llama_decode(e->ctx, e->batch);

    if (rc != 0)
        return lle_fail(err, LLE_ERR_BACKEND, "llama_decode failed (code %d; %d tokens in the batch)", rc,
                        e->batch.n_tokens);
    e->kv_used += e->batch.n_tokens;
    if (e->on_decode != NULL)
        e->on_decode(e->on_decode_user, e->batch.n_tokens, e->kv_used, e->batch.logits);
    return LLE_OK;
}

/* After a decode: sample every sequence whose logits row is in the batch. */
static lle_status sample_rows(llama_engine *e, seq_state *ss, const int *row_seq, const lle_gen_request *reqs,
                              lle_gen_trace *traces, bool prefill)
{
    double now = lle_now_s();

    for (int i = 0; i < e->batch.n_tokens; i++) {
        int s = row_seq[i];
        if (!e->batch.logits[i] || s < 0)
            continue;
        if (prefill)
            traces[s].t_prefill_end = now;
        if (sample_one(e, ss, s, i, &reqs[s], &traces[s]))
            ss[s].active = 0;
    }
    return LLE_OK;
}

/* Feed every prompt, in chunks of n_batch tokens, sampling each sequence's
 * first token as soon as the chunk holding its last prompt token is decoded. */
static lle_status prefill(llama_engine *e, seq_state *ss, int *row_seq, const lle_gen_request *reqs, int n,
                          lle_gen_trace *traces, lle_error *err)
{
    lle_status st = LLE_OK;

    e->batch.n_tokens = 0;
    for (int s = 0; s < n && st == LLE_OK; s++) {
        for (int k = 0; k < reqs[s].n_prompt && st == LLE_OK; k++) {
            bool last = k == reqs[s].n_prompt - 1;
            row_seq[e->batch.n_tokens] = last ? s : -1;
            batch_add(&e->batch, reqs[s].prompt[k], k, s, last);
            if (e->batch.n_tokens == e->n_batch || (s == n - 1 && last)) {
                st = decode_checked(e, err);
                if (st == LLE_OK)
                    st = sample_rows(e, ss, row_seq, reqs, traces, true);
                e->batch.n_tokens = 0;
            }
        }
    }
    return st;
}

static lle_status check_fit(const llama_engine *e, const lle_gen_request *reqs, int n, lle_error *err)
{
    long long cells = 0;

    if (n < 1 || n > e->n_seq_max)
        return lle_fail(err, LLE_ERR_INVALID, "batch of %d requests, the context holds at most %d sequences", n,
                        e->n_seq_max);
    for (int s = 0; s < n; s++) {
        if (reqs[s].n_prompt < 1 || reqs[s].n_out < 1)
            return lle_fail(err, LLE_ERR_INVALID, "request %d: empty prompt or no output asked", s);
        cells += reqs[s].n_prompt + reqs[s].n_out;
    }
    if (cells > e->n_ctx)
        return lle_fail(err, LLE_ERR_INVALID, "batch needs %lld KV cells (prompts + outputs), the context has %d",
                        cells, e->n_ctx);
    return LLE_OK;
}

static lle_status le_generate(lle_engine *base, const lle_gen_request *reqs, int n, lle_gen_trace *traces,
                              const volatile int *stop, lle_error *err)
{
    llama_engine *e = (llama_engine *)base;
    seq_state *ss = NULL;
    int *row_seq = NULL;
    lle_status st = check_fit(e, reqs, n, err);
    double t0;

    if (st != LLE_OK)
        return st;
    ss = calloc((size_t)n, sizeof *ss);
    row_seq = malloc((size_t)(e->n_batch > n ? e->n_batch : n) * sizeof *row_seq);
    if (ss == NULL || row_seq == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    /* every row -1 (all bits set): no sequence samples from a row not yet filled */
    memset(row_seq, 0xff, (size_t)(e->n_batch > n ? e->n_batch : n) * sizeof *row_seq);
    for (int s = 0; s < n; s++) {
        ss[s].chain = build_chain(e, reqs[s].seed);
        ss[s].pos = reqs[s].n_prompt - 1;
        ss[s].active = 1;
        traces[s].n_done = 0;
        if (ss[s].chain == NULL) {
            st = lle_fail(err, LLE_ERR_NOMEM, "cannot create a sampler");
            goto cleanup;
        }
    }
    llama_memory_clear(llama_get_memory(e->ctx), true);
    e->kv_used = 0;
    t0 = lle_now_s();
    for (int s = 0; s < n; s++)
        traces[s].t_start = t0;
    st = prefill(e, ss, row_seq, reqs, n, traces, err);
    while (st == LLE_OK) {
        e->batch.n_tokens = 0;
        for (int s = 0; s < n; s++) {
            if (!ss[s].active)
                continue;
            row_seq[e->batch.n_tokens] = s;
            batch_add(&e->batch, ss[s].last, ss[s].pos, s, true);
        }
        if (e->batch.n_tokens == 0)
            break;
        if (stop != NULL && *stop) {
            st = lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted");
            break;
        }
        st = decode_checked(e, err);
        if (st == LLE_OK)
            st = sample_rows(e, ss, row_seq, reqs, traces, false);
    }
cleanup:
    for (int s = 0; ss != NULL && s < n; s++)
        if (ss[s].chain != NULL)
            llama_sampler_free(ss[s].chain);
    free(ss);
    free(row_seq);
    return st;
}

static uint64_t le_kv_bytes(lle_engine *base)
{
    llama_engine *e = (llama_engine *)base;
    const struct llama_model *m = e->model;
    int64_t head_dim = llama_model_n_embd(m) / llama_model_n_head(m);
    int64_t n_embd_kv = head_dim * llama_model_n_head_kv(m);
    uint64_t row =
        ggml_row_size((enum ggml_type)e->type_k, n_embd_kv) + ggml_row_size((enum ggml_type)e->type_v, n_embd_kv);

    /* K and V rows of every layer for every allocated context cell. */
    return row * (uint64_t)llama_model_n_layer(m) * (uint64_t)e->n_ctx;
}

static int le_n_ctx(lle_engine *base)
{
    return ((llama_engine *)base)->n_ctx;
}

const lle_engine_vtable lle_llama_engine = {
    .name = "llama.cpp",
    .open = le_open,
    .tokenize = le_tokenize,
    .generate = le_generate,
    .kv_bytes = le_kv_bytes,
    .n_ctx = le_n_ctx,
    .close = le_close,
};
