/* gemm.c — the ggml microbenchmark of the calibration: for one weight type,
 * ggml_mul_mat of weights of that type x f32 activations on the ggml CPU
 * backend, as llama.cpp runs its matmuls:
 *
 *   prefill: one m x k weight matrix x k x n activations (compute bound);
 *   decode:  weight matrices of k-long rows totalling the workload's
 *            decode_bytes (well above the last-level cache) x one token
 *            (bandwidth bound) — one graph of several mul_mat nodes.
 *
 * The weights are placed in the buffer type llama.cpp would choose: the first
 * of the CPU backend's extra buffer types (repacked layouts, AMX) whose
 * supports_op accepts a 512-token mul_mat of that weight, else the plain CPU
 * buffer (as llama-model-loader.cpp's weight_buft_supported does). Weights are
 * real quantised data: a few rows of uniform random values quantised with
 * ggml_quantize_chunk and repeated. One untimed warm-up, then `reps` timed
 * ggml_backend_graph_compute calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "device/device_internal.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml.h"

#define MAX_DECODE_TENSORS 64
#define FILL_ROWS          16 /* rows quantised from random values, then repeated */

typedef struct gemm_ctx {
    ggml_backend_t backend;
    ggml_backend_dev_t dev;
    struct ggml_context *ctx_w, *ctx_a;
    ggml_backend_buffer_t buf_w, buf_a;
    struct ggml_cgraph *graph;
    struct ggml_tensor *w[MAX_DECODE_TENSORS];
    struct ggml_tensor *y[MAX_DECODE_TENSORS];
    int n_w;
    uint64_t rng;
} gemm_ctx;

int lle_ggml_type_from_name(const char *name)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int t = 0; t < GGML_TYPE_COUNT; t++) {
            const char *n = ggml_type_name((enum ggml_type)t);
            if (ggml_blck_size((enum ggml_type)t) == 0 || n == NULL || strcmp(n, "NONE") == 0)
                continue; /* removed types keep a slot without traits */
            if (pass == 0 ? strcmp(n, name) == 0 : strcasecmp(n, name) == 0)
                return t;
        }
    }
    return -1;
}

/* Uniform in [-1, 1) from the tool's one PRNG. */
static void fill_random(float *dst, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)(lle_rand01(s) * 2.0 - 1.0);
}

/* The buffer type llama.cpp would put a k x rows weight of this type in (see
 * above; the repacked layouts depend on the shape). */
static ggml_backend_buffer_type_t pick_buft(ggml_backend_dev_t dev, enum ggml_type type, int k, int64_t rows)
{
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    ggml_backend_dev_get_extra_bufts_t get_extra =
        (ggml_backend_dev_get_extra_bufts_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    struct ggml_init_params ip = {ggml_tensor_overhead() * 4, NULL, true};
    struct ggml_context *ctx = ggml_init(ip);
    ggml_backend_buffer_type_t pick = ggml_backend_dev_buffer_type(dev);
    ggml_backend_buffer_type_t *extra = get_extra != NULL ? get_extra(dev) : NULL;
    struct ggml_tensor *w, *op;

    if (ctx == NULL)
        return pick;
    w = ggml_new_tensor_2d(ctx, type, k, rows);
    op = ggml_mul_mat(ctx, w, ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, 512));
    for (; extra != NULL && *extra != NULL; extra++) {
        bool ok;
        w->buffer = ggml_backend_buft_alloc_buffer(*extra, 0);
        ok = w->buffer != NULL && ggml_backend_dev_supports_op(dev, op);
        if (w->buffer != NULL)
            ggml_backend_buffer_free(w->buffer);
        w->buffer = NULL;
        if (ok) {
            pick = *extra;
            break;
        }
    }
    ggml_free(ctx);
    return pick;
}

static void release(gemm_ctx *g)
{
    if (g->buf_a != NULL)
        ggml_backend_buffer_free(g->buf_a);
    if (g->buf_w != NULL)
        ggml_backend_buffer_free(g->buf_w);
    if (g->ctx_a != NULL)
        ggml_free(g->ctx_a);
    if (g->ctx_w != NULL)
        ggml_free(g->ctx_w);
    g->buf_a = g->buf_w = NULL;
    g->ctx_a = g->ctx_w = NULL;
    g->graph = NULL;
    g->n_w = 0;
}

/* Staging data for one weight tensor of `rows` rows: FILL_ROWS rows quantised
 * from random values, repeated. malloc'd; NULL on OOM. */
static void *make_staging(gemm_ctx *g, enum ggml_type type, int k, int64_t rows, size_t *size)
{
    size_t row = ggml_row_size(type, k);
    int64_t nq = rows < FILL_ROWS ? rows : FILL_ROWS;
    float *src = malloc((size_t)nq * (size_t)k * sizeof *src);
    char *dst = malloc(row * (size_t)rows);

    if (src == NULL || dst == NULL) {
        free(dst);
        dst = NULL;
        goto cleanup;
    }
    fill_random(src, (size_t)nq * (size_t)k, &g->rng);
    ggml_quantize_chunk(type, src, dst, 0, nq, k, NULL);
    for (int64_t r = nq; r < rows; r += nq)
        memcpy(dst + (size_t)r * row, dst, row * (size_t)(rows - r < nq ? rows - r : nq));
    *size = row * (size_t)rows;
cleanup:
    free(src);
    return dst;
}

/* n tensors of k x rows of `type` in `buft`, all filled. */
static lle_status make_weights(gemm_ctx *g, enum ggml_type type, int k, int64_t rows, int n,
                               ggml_backend_buffer_type_t buft, lle_error *err)
{
    struct ggml_init_params ip = {ggml_tensor_overhead() * (size_t)(n + 1), NULL, true};
    size_t size = 0;
    void *staging = NULL;
    lle_status st = LLE_OK;

    g->ctx_w = ggml_init(ip);
    if (g->ctx_w == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "calibration: cannot create a ggml context");
    for (int i = 0; i < n; i++)
        g->w[i] = ggml_new_tensor_2d(g->ctx_w, type, k, rows);
    g->n_w = n;
    g->buf_w = ggml_backend_alloc_ctx_tensors_from_buft(g->ctx_w, buft);
    staging = make_staging(g, type, k, rows, &size);
    if (g->buf_w == NULL || staging == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "calibration: cannot allocate %d x %llu bytes of %s weights", n,
                      (unsigned long long)ggml_row_size(type, k) * (unsigned long long)rows, ggml_type_name(type));
        goto cleanup;
    }
    ggml_backend_buffer_set_usage(g->buf_w, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    for (int i = 0; i < n; i++)
        ggml_backend_tensor_set(g->w[i], staging, 0, size);
cleanup:
    free(staging);
    return st;
}

/* Activations k x n_tokens, one mul_mat per weight tensor, the graph. */
static lle_status make_graph(gemm_ctx *g, int k, int n_tokens, lle_error *err)
{
    struct ggml_init_params ip = {ggml_tensor_overhead() * (size_t)(2 * g->n_w + 2) + ggml_graph_overhead(), NULL,
                                  true};
    struct ggml_tensor *x;
    float *data = malloc((size_t)k * (size_t)n_tokens * sizeof *data);
    lle_status st = LLE_OK;

    g->ctx_a = ggml_init(ip);
    if (g->ctx_a == NULL || data == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "calibration: out of memory");
        goto cleanup;
    }
    x = ggml_new_tensor_2d(g->ctx_a, GGML_TYPE_F32, k, n_tokens);
    g->graph = ggml_new_graph(g->ctx_a);
    for (int i = 0; i < g->n_w; i++) {
        g->y[i] = ggml_mul_mat(g->ctx_a, g->w[i], x);
        ggml_build_forward_expand(g->graph, g->y[i]);
    }
    g->buf_a = ggml_backend_alloc_ctx_tensors(g->ctx_a, g->backend);
    if (g->buf_a == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "calibration: cannot allocate activations");
        goto cleanup;
    }
    fill_random(data, (size_t)k * (size_t)n_tokens, &g->rng);
    ggml_backend_tensor_set(x, data, 0, ggml_nbytes(x));
cleanup:
    free(data);
    return st;
}

/* 1 when the CPU device runs every mul_mat of the graph with these buffers. */
static int graph_supported(const gemm_ctx *g)
{
    for (int i = 0; i < g->n_w; i++)
        if (!ggml_backend_dev_supports_op(g->dev, g->y[i]))
            return 0;
    return 1;
}

/* Warm-up, then reps timed runs: work / seconds into out[]. */
static lle_status time_graph(gemm_ctx *g, int reps, double work, double *out, lle_error *err)
{
    for (int r = -1; r < reps; r++) {
        double t0 = lle_now_s(), s;
        if (ggml_backend_graph_compute(g->backend, g->graph) != GGML_STATUS_SUCCESS)
            return lle_fail(err, LLE_ERR_BACKEND, "calibration: ggml graph compute failed");
        s = lle_now_s() - t0;
        if (r >= 0)
            out[r] = s > 0.0 ? work / s : 0.0;
    }
    return LLE_OK;
}

/* Build weights in the chosen buffer type (falling back to the plain CPU
 * buffer when the graph is not supported there) and the graph. */
static lle_status build(gemm_ctx *g, enum ggml_type type, int k, int64_t rows, int n, int n_tokens, char *buf_name,
                        size_t name_size, lle_error *err)
{
    ggml_backend_buffer_type_t buft = pick_buft(g->dev, type, k, rows);
    lle_status st = make_weights(g, type, k, rows, n, buft, err);

    if (st == LLE_OK)
        st = make_graph(g, k, n_tokens, err);
    if (st == LLE_OK && !graph_supported(g) && buft != ggml_backend_dev_buffer_type(g->dev)) {
        release(g);
        buft = ggml_backend_dev_buffer_type(g->dev);
        st = make_weights(g, type, k, rows, n, buft, err);
        if (st == LLE_OK)
            st = make_graph(g, k, n_tokens, err);
    }
    if (st == LLE_OK && !graph_supported(g))
        st = lle_fail(err, LLE_ERR_UNSUPPORTED, "calibration: the ggml CPU backend cannot multiply %s weights",
                      ggml_type_name(type));
    lle_strlcpy(buf_name, ggml_backend_buft_name(buft), name_size);
    return st;
}

/* "<device description> [<features the CPU backend variant was built with>]" */
static void describe(ggml_backend_dev_t dev, char *out, size_t size)
{
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    ggml_backend_get_features_t get =
        (ggml_backend_get_features_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
    struct ggml_backend_feature *f = get != NULL ? get(reg) : NULL;
    size_t len = lle_strlcpy(out, ggml_backend_dev_description(dev), size);
    const char *sep = " [";

    for (; f != NULL && f->name != NULL && len < size; f++) {
        if (f->value == NULL || strcmp(f->value, "1") != 0)
            continue;
        len += (size_t)snprintf(out + len, size - len, "%s%s", sep, f->name);
        sep = " ";
    }
    if (len < size && strcmp(sep, " ") == 0)
        snprintf(out + len, size - len, "]");
}

static lle_status open_backend(gemm_ctx *g, int n_threads, char *desc, size_t desc_size, lle_error *err)
{
    ggml_backend_set_n_threads_t set_threads;
    lle_status st = lle_runtime_init(err);

    if (st != LLE_OK)
        return st;
    g->dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    g->backend = g->dev != NULL ? ggml_backend_dev_init(g->dev, NULL) : NULL;
    if (g->backend == NULL)
        return lle_fail(err, LLE_ERR_BACKEND, "calibration: no ggml CPU backend could be initialised");
    set_threads = (ggml_backend_set_n_threads_t)ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(g->dev),
                                                                                  "ggml_backend_set_n_threads");
    if (set_threads == NULL)
        return lle_fail(err, LLE_ERR_BACKEND, "calibration: the ggml CPU backend cannot set its thread count");
    set_threads(g->backend, n_threads);
    if (desc != NULL)
        describe(g->dev, desc, desc_size);
    return LLE_OK;
}

static lle_status bench_prefill(gemm_ctx *g, enum ggml_type type, const lle_calib_workload *w, lle_gemm_result *out,
                                double *scratch, lle_error *err)
{
    double flops = 2.0 * w->prefill_m * (double)w->prefill_k * w->prefill_n;
    lle_status st =
        build(g, type, w->prefill_k, w->prefill_m, 1, w->prefill_n, out->weight_buffer, sizeof out->weight_buffer, err);

    if (st == LLE_OK)
        st = time_graph(g, w->reps, flops, scratch, err);
    if (st == LLE_OK)
        out->prefill_flops_per_s = lle_measure_of(scratch, w->reps);
    release(g);
    return st;
}

static lle_status bench_decode(gemm_ctx *g, enum ggml_type type, const lle_calib_workload *w, lle_gemm_result *out,
                               double *scratch, lle_error *err)
{
    size_t row = ggml_row_size(type, w->decode_k);
    int64_t rows = (int64_t)(w->decode_chunk_bytes / row);
    int n;
    double bytes, flops;
    char buf_name[32];
    lle_status st;

    rows = rows < 64 ? 64 : rows - rows % 64; /* model dimensions are multiples of 64 */
    n = (int)((w->decode_bytes + (uint64_t)rows * row - 1) / ((uint64_t)rows * row));
    n = n < 1 ? 1 : n > MAX_DECODE_TENSORS ? MAX_DECODE_TENSORS : n;
    bytes = (double)n * (double)rows * (double)row;
    flops = 2.0 * (double)n * (double)rows * w->decode_k;
    st = build(g, type, w->decode_k, rows, n, 1, buf_name, sizeof buf_name, err);
    lle_logf(LLE_LOG_DEBUG, "calibration: %s decode: %d x %lld rows built", ggml_type_name(type), n, (long long)rows);
    if (st == LLE_OK)
        st = time_graph(g, w->reps, 1.0, scratch, err);
    if (st == LLE_OK) { /* runs per second, scaled: the best and median runs are the same */
        lle_measure m = lle_measure_of(scratch, w->reps);
        out->decode_flops_per_s = (lle_measure){m.best * flops, m.median * flops};
        out->decode_bytes_per_s = (lle_measure){m.best * bytes, m.median * bytes};
        if (strcmp(buf_name, out->weight_buffer) != 0) /* the decode shape needed another buffer */
            snprintf(out->weight_buffer + strlen(out->weight_buffer),
                     sizeof out->weight_buffer - strlen(out->weight_buffer), "|%s", buf_name);
    }
    release(g);
    return st;
}

lle_status lle_gemm_bench(int type, const lle_calib_workload *w, int n_threads, lle_gemm_result *out,
                          char *backend_desc, size_t desc_size, lle_error *err)
{
    gemm_ctx g;
    double *scratch = calloc((size_t)w->reps, sizeof *scratch), t0 = lle_now_s();
    lle_status st;

    memset(&g, 0, sizeof g);
    memset(out, 0, sizeof *out);
    g.rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)type;
    if (scratch == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "calibration: out of memory");
    st = open_backend(&g, n_threads, backend_desc, desc_size, err);
    if (st == LLE_OK && (w->prefill_k % ggml_blck_size((enum ggml_type)type) != 0 ||
                         w->decode_k % ggml_blck_size((enum ggml_type)type) != 0))
        st = lle_fail(err, LLE_ERR_INVALID, "calibration: %s blocks do not divide rows of %d/%d",
                      ggml_type_name((enum ggml_type)type), w->prefill_k, w->decode_k);
    if (st == LLE_OK)
        st = bench_prefill(&g, (enum ggml_type)type, w, out, scratch, err);
    lle_logf(LLE_LOG_DEBUG, "calibration: %s prefill done at %.2f s", ggml_type_name((enum ggml_type)type),
             lle_now_s() - t0);
    if (st == LLE_OK)
        st = bench_decode(&g, (enum ggml_type)type, w, out, scratch, err);
    lle_logf(LLE_LOG_DEBUG, "calibration: %s decode done at %.2f s", ggml_type_name((enum ggml_type)type),
             lle_now_s() - t0);
    if (g.backend != NULL)
        ggml_backend_free(g.backend);
    free(scratch);
    return st;
}
