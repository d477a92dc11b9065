/* counter.c — direct FLOP counts of real llama_decode calls. A separate
 * llama.cpp context is created with an eval callback (cb_eval). The scheduler
 * asks the callback about every graph node before computing it; the counter
 * applies the per-node rules on that question and answers "not needed", so
 * the graph still runs in one piece (no node-by-node scheduling).
 *
 * Because the scheduler asks about all nodes of a graph split before it
 * computes the split, a count does not need the computation: count() sets
 * the context's abort callback, which stops the CPU backend after the first
 * node; llama_decode then reports "aborted" and rolls its KV cells back. A
 * graph of several splits (layers offloaded to another device) is only
 * partly asked before the abort; calibration therefore checks a fully
 * computed decode() against the counted ones and falls back to decode().
 *
 * To reach large KV spans without paying for the tokens, fill() decodes with
 * the callback in "stop" mode: it asks for the first node, and after that node
 * was computed returns false, which makes the scheduler abandon the rest of
 * the graph. The KV cells of those tokens are allocated exactly as in a real
 * decode (their contents stay zero), which is all a later counted decode's
 * shapes depend on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "flops/flops_internal.h"

enum counter_mode {
    MODE_COUNT,      /* count every node, compute the whole graph */
    MODE_COUNT_ONLY, /* count every node asked, abort the computation */
    MODE_STOP        /* count nothing, stop the graph after its first node */
};

struct lle_flops_counter {
    struct llama_model *model;
    struct llama_context *ctx;
    struct llama_batch batch;
    int n_batch;
    int n_vocab;
    int pos; /* next position of sequence 0 */
    enum counter_mode mode;
    lle_flops_count *cur; /* where MODE_COUNT accumulates */
};

static void note_uncounted(lle_flops_count *c, const char *op)
{
    size_t len = strlen(c->uncounted);

    if (strstr(c->uncounted, op) != NULL)
        return;
    snprintf(c->uncounted + len, sizeof c->uncounted - len, "%s%s", len ? "," : "", op);
}

static bool eval_cb(struct ggml_tensor *t, bool ask, void *user)
{
    lle_flops_counter *c = user;
    lle_flops_count *k = c->cur;
    uint32_t span;

    if (c->mode == MODE_STOP)
        return ask; /* ask: compute this (first) node; after it: stop the graph */
    if (!ask || k == NULL)
        return !ask;
    k->n_nodes++;
    if (!lle_flops_node(t, k->parts.part))
        note_uncounted(k, ggml_op_desc(t));
    if (t->op == GGML_OP_FLASH_ATTN_EXT)
        k->flash_attn = true;
    span = lle_flops_node_kv_span(t);
    if (span > 0) {
        if (k->kv_span != 0 && k->kv_span != span)
            k->kv_span_varies = true;
        k->kv_span = span;
    }
    return false; /* never needs the data: the scheduler runs the graph in one piece */
}

/* Polled by the CPU backend after each node. */
static bool abort_cb(void *user)
{
    return ((lle_flops_counter *)user)->mode == MODE_COUNT_ONLY;
}

static bool quiet_progress(float progress, void *user)
{
    (void)progress;
    (void)user;
    return true;
}

static lle_status open_ctx(lle_flops_counter *c, const lle_flops_counter_opts *o, lle_error *err)
{
    struct llama_context_params cp = llama_context_default_params();

    cp.n_ctx = (uint32_t)o->n_ctx;
    cp.n_batch = (uint32_t)o->n_batch;
    cp.n_ubatch = (uint32_t)(o->n_ubatch > 0 ? o->n_ubatch : o->n_batch);
    cp.n_seq_max = (uint32_t)(o->n_seq_max > 0 ? o->n_seq_max : 1);
    cp.kv_unified = true;
    cp.n_threads = cp.n_threads_batch = o->n_threads > 0 ? o->n_threads : lle_cpu_count();
    cp.flash_attn_type = (enum llama_flash_attn_type)o->flash_attn;
    cp.type_k = (enum ggml_type)o->type_k;
    cp.type_v = (enum ggml_type)o->type_v;
    cp.cb_eval = eval_cb;
    cp.cb_eval_user_data = c;
    cp.abort_callback = abort_cb;
    cp.abort_callback_data = c;
    cp.no_perf = true;
    c->ctx = llama_init_from_model(c->model, cp);
    if (c->ctx == NULL)
        return lle_fail(err, LLE_ERR_BACKEND,
                        "%s: llama.cpp could not create the FLOPs calibration context (kv %s/%s, flash_attn %d; "
                        "a quantised V cache needs flash attention)",
                        o->model_path, ggml_type_name(cp.type_k), ggml_type_name(cp.type_v), o->flash_attn);
    c->n_batch = (int)llama_n_batch(c->ctx);
    c->batch = llama_batch_init(c->n_batch, 0, 1);
    return LLE_OK;
}

lle_status lle_flops_counter_open(const lle_flops_counter_opts *o, lle_flops_counter **out, lle_error *err)
{
    struct llama_model_params mp = llama_model_default_params();
    lle_flops_counter *c = NULL;
    lle_status st = lle_runtime_init(err);

    *out = NULL;
    if (st != LLE_OK)
        goto cleanup;
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    mp.n_gpu_layers = o->n_gpu_layers;
    mp.progress_callback = quiet_progress;
    c->model = llama_model_load_from_file(o->model_path, mp);
    if (c->model == NULL) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: llama.cpp could not load the model (run with -v for details)",
                      o->model_path);
        goto cleanup;
    }
    c->n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(c->model));
    st = open_ctx(c, o, err);
cleanup:
    if (st != LLE_OK)
        lle_flops_counter_close(c);
    else
        *out = c;
    return st;
}

void lle_flops_counter_close(lle_flops_counter *c)
{
    if (c == NULL)
        return;
    if (c->batch.token != NULL)
        llama_batch_free(c->batch);
    if (c->ctx != NULL)
        llama_free(c->ctx);
    if (c->model != NULL)
        llama_model_free(c->model);
    free(c);
}

uint32_t lle_flops_counter_n_ctx(const lle_flops_counter *c)
{
    return llama_n_ctx(c->ctx);
}

/* Fill c->batch with n tokens of sequence 0 from c->pos on; the last
 * n_outputs request logits. Token ids cycle through the vocabulary. */
static void fill_batch(lle_flops_counter *c, int n, int n_outputs)
{
    c->batch.n_tokens = n;
    for (int i = 0; i < n; i++) {
        c->batch.token[i] = (int32_t)((c->pos + i) % (c->n_vocab > 1 ? c->n_vocab - 1 : 1)) + 1;
        c->batch.pos[i] = c->pos + i;
        c->batch.n_seq_id[i] = 1;
        c->batch.seq_id[i][0] = 0;
        c->batch.logits[i] = i >= n - n_outputs;
    }
}

static lle_status decode(lle_flops_counter *c, struct llama_batch b, lle_error *err)
{
    int rc = llama_decode(c->ctx, b);

    if (rc != 0)
        return lle_fail(err, LLE_ERR_BACKEND, "llama_decode failed in the FLOPs calibration (code %d, %d tokens)", rc,
                        b.n_tokens);
    return LLE_OK;
}

lle_status lle_flops_counter_fill(lle_flops_counter *c, int n_fill, lle_error *err)
{
    lle_status st = LLE_OK;

    if (n_fill < 0 || (uint32_t)n_fill > llama_n_ctx(c->ctx))
        return lle_fail(err, LLE_ERR_INVALID, "cannot fill %d KV cells: the context has %u", n_fill,
                        llama_n_ctx(c->ctx));
    llama_memory_clear(llama_get_memory(c->ctx), true);
    c->pos = 0;
    c->mode = MODE_STOP;
    while (st == LLE_OK && c->pos < n_fill) {
        int n = n_fill - c->pos < c->n_batch ? n_fill - c->pos : c->n_batch;
        fill_batch(c, n, 1);
        st = decode(c, c->batch, err);
        if (st == LLE_OK)
            c->pos += n;
    }
    c->mode = MODE_COUNT;
    return st;
}

static lle_status count_batch(lle_flops_counter *c, struct llama_batch batch, enum counter_mode mode,
                              lle_flops_count *out, lle_error *err)
{
    lle_status st = LLE_OK;
    int rc;

    memset(out, 0, sizeof *out);
    c->mode = mode;
    c->cur = out;
    rc = llama_decode(c->ctx, batch);
    c->cur = NULL;
    c->mode = MODE_COUNT;
    if (rc != 0 && !(mode == MODE_COUNT_ONLY && rc == 2))
        st = lle_fail(err, LLE_ERR_BACKEND, "llama_decode failed in the FLOPs calibration (code %d, %d tokens)", rc,
                      batch.n_tokens);
    else if (out->n_nodes == 0)
        st = lle_fail(err, LLE_ERR_BACKEND, "llama.cpp ran no graph for a decode of %d tokens (eval callback unused)",
                      batch.n_tokens);
    lle_flops_parts_finish(&out->parts);
    return st;
}

lle_status lle_flops_counter_decode_batch(lle_flops_counter *c, struct llama_batch batch, lle_flops_count *out,
                                          lle_error *err)
{
    return count_batch(c, batch, MODE_COUNT, out, err);
}

static lle_status count_shape(lle_flops_counter *c, int n_tokens, int n_outputs, enum counter_mode mode,
                              lle_flops_count *out, lle_error *err)
{
    lle_status st;

    if (n_tokens < 1 || n_tokens > c->n_batch || n_outputs < 0 || n_outputs > n_tokens ||
        (uint32_t)(c->pos + n_tokens) > llama_n_ctx(c->ctx))
        return lle_fail(err, LLE_ERR_INVALID, "bad calibration shape: %d tokens, %d outputs at %d cells used", n_tokens,
                        n_outputs, c->pos);
    fill_batch(c, n_tokens, n_outputs);
    st = count_batch(c, c->batch, mode, out, err);
    if (st == LLE_OK && mode == MODE_COUNT)
        c->pos += n_tokens;
    return st;
}

lle_status lle_flops_counter_decode(lle_flops_counter *c, int n_tokens, int n_outputs, lle_flops_count *out,
                                    lle_error *err)
{
    return count_shape(c, n_tokens, n_outputs, MODE_COUNT, out, err);
}

lle_status lle_flops_counter_count(lle_flops_counter *c, int n_tokens, int n_outputs, lle_flops_count *out,
                                   lle_error *err)
{
    return count_shape(c, n_tokens, n_outputs, MODE_COUNT_ONLY, out, err);
}
