/* calibrate.c — lle_flops_calibrate(): the executed-FLOPs fit of a model and
 * its graph settings, from the cache or by a calibration pass.
 *
 * The pass opens a counting context (counter.c) of the same model and
 * settings and counts seven decodes:
 *   fit points     1 token/1 output, 2/1 and 2/2 on an empty cache (KV span
 *                  S1), then 1/1 and 2/1 after S1 cells are filled (span S2);
 *   check points   3 tokens/2 outputs on an empty cache, and 2/1 after S2
 *                  cells (a third span S3).
 * The KV span rule (min S1, pad S2 - S1) is read off the spans the graph
 * really used and must predict all seven; the coefficients are solved from
 * the fit points and must reproduce the check points exactly (solve.c).
 * The filled cells cost nothing: fill() stops their graphs after one node.
 * The first six decodes are counted without being computed (counter.c);
 * the last check point is computed in full, so a count that missed part of
 * the graph cannot pass — then all seven are redone computed in full. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "flops/flops_internal.h"
#include "lle/version.h"
#include "run/run_internal.h"

#define CAL_N_CTX    1024 /* KV cells of the counting context: room for three spans */
#define CAL_N_BATCH  64   /* small: its compute buffers stay small; fills take a few chunks */
#define CAL_N_POINTS 7

typedef struct calib {
    lle_flops_counter *c;
    lle_flops_fit *fit;
    lle_flops_point pts[CAL_N_POINTS];
    int n;
    const char *path;
    bool full; /* compute every counted decode */
} calib;

static void merge_uncounted(lle_flops_fit *fit, const char *ops)
{
    char buf[256], *save = NULL;

    lle_strlcpy(buf, ops, sizeof buf);
    for (char *op = strtok_r(buf, ",", &save); op != NULL; op = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(fit->uncounted_ops);
        if (strstr(fit->uncounted_ops, op) == NULL)
            snprintf(fit->uncounted_ops + len, sizeof fit->uncounted_ops - len, "%s%s", len ? "," : "", op);
    }
}

/* Count a decode of n_tokens (n_outputs with logits) after n_fill cells;
 * computed when k->full or when it is the last point. */
static lle_status measure(calib *k, int n_fill, int n_tokens, int n_outputs, lle_error *err)
{
    lle_flops_count cnt;
    lle_flops_point *p = &k->pts[k->n];
    lle_status st = lle_flops_counter_fill(k->c, n_fill, err);

    if (st == LLE_OK && (k->full || k->n == CAL_N_POINTS - 1))
        st = lle_flops_counter_decode(k->c, n_tokens, n_outputs, &cnt, err);
    else if (st == LLE_OK)
        st = lle_flops_counter_count(k->c, n_tokens, n_outputs, &cnt, err);
    if (st != LLE_OK)
        return st;
    if (cnt.kv_span == 0 || cnt.kv_span_varies)
        return lle_fail(err, LLE_ERR_UNSUPPORTED,
                        "%s: the FLOPs calibration found %s attention node in the graph (not a KV-cache "
                        "decoder transformer?)",
                        k->path, cnt.kv_span == 0 ? "no" : "more than one KV span per");
    k->fit->flash_attn_used = cnt.flash_attn;
    merge_uncounted(k->fit, cnt.uncounted);
    p->n_tokens = (uint32_t)n_tokens;
    p->n_outputs = (uint32_t)n_outputs;
    p->n_kv_used = (uint32_t)(n_fill + n_tokens);
    p->kv_span = cnt.kv_span;
    p->parts = cnt.parts;
    k->n++;
    return LLE_OK;
}

/* Every point's observed span must follow the rule read off the fit points. */
static lle_status check_spans(const calib *k, uint32_t n_ctx, lle_error *err)
{
    for (int i = 0; i < k->n; i++) {
        uint32_t want = lle_flops_kv_span(k->fit, k->pts[i].n_kv_used, n_ctx);
        if (want != k->pts[i].kv_span)
            return lle_fail(err, LLE_ERR_UNSUPPORTED,
                            "llama.cpp's KV span at %u cells in use is %u, the calibrated rule (min %u, pad %u) "
                            "predicts %u",
                            k->pts[i].n_kv_used, k->pts[i].kv_span, k->fit->kv_span_min, k->fit->kv_span_pad, want);
    }
    return LLE_OK;
}

static lle_status run_points(calib *k, lle_error *err)
{
    uint32_t n_ctx = lle_flops_counter_n_ctx(k->c), s1, s2;
    lle_status st = measure(k, 0, 1, 1, err);

    if (st == LLE_OK)
        st = measure(k, 0, 2, 1, err);
    if (st == LLE_OK)
        st = measure(k, 0, 2, 2, err);
    if (st != LLE_OK)
        return st;
    s1 = k->pts[0].kv_span;
    if (s1 + 2 > n_ctx)
        return lle_fail(err, LLE_ERR_UNSUPPORTED,
                        "llama.cpp's minimum KV span %u leaves no room to calibrate in "
                        "%u cells",
                        s1, n_ctx);
    st = measure(k, (int)s1, 1, 1, err);
    if (st == LLE_OK)
        st = measure(k, (int)s1, 2, 1, err);
    if (st != LLE_OK)
        return st;
    s2 = k->pts[3].kv_span;
    if (s2 <= s1 || s2 + 2 > n_ctx)
        return lle_fail(err, LLE_ERR_UNSUPPORTED,
                        "llama.cpp's KV span went from %u to %u after %u cells; "
                        "the calibration cannot follow it in %u cells",
                        s1, s2, s1 + 1, n_ctx);
    k->fit->kv_span_min = s1;
    k->fit->kv_span_pad = s2 - s1;
    st = measure(k, 0, 3, 2, err);
    if (st == LLE_OK)
        st = measure(k, (int)s2, 2, 1, err);
    if (st == LLE_OK)
        st = check_spans(k, n_ctx, err);
    return st;
}

static lle_status calibrate_fit(const char *path, const lle_flops_settings *s, lle_flops_fit *fit, lle_flops_point *pts,
                                lle_error *err)
{
    lle_flops_counter_opts o;
    calib k;
    double t0 = lle_now_s(), t1 = 0.0;
    lle_status st;

    memset(&o, 0, sizeof o);
    memset(&k, 0, sizeof k);
    o.model_path = path;
    o.flash_attn = s->flash_attn;
    o.type_k = o.type_v = lle_kv_type_from_name(s->kv_type);
    o.n_gpu_layers = s->n_gpu_layers;
    o.n_threads = s->n_threads;
    o.n_ctx = CAL_N_CTX;
    o.n_batch = CAL_N_BATCH;
    o.n_seq_max = 1;
    k.fit = fit;
    k.path = path;
    st = lle_flops_counter_open(&o, &k.c, err);
    t1 = lle_now_s();
    if (st == LLE_OK)
        st = run_points(&k, err);
    if (st == LLE_OK)
        st = lle_flops_solve(k.pts, k.n, fit, err);
    if (st == LLE_ERR_UNSUPPORTED) { /* perhaps a graph of several splits: count computed decodes */
        lle_logf(LLE_LOG_INFO, "flops: counting without computing failed (%s); counting computed decodes",
                 err != NULL ? err->msg : "");
        k.full = true;
        k.n = 0;
        st = run_points(&k, err);
        if (st == LLE_OK)
            st = lle_flops_solve(k.pts, k.n, fit, err);
    }
    if (st == LLE_OK)
        lle_logf(LLE_LOG_INFO, "flops: calibration of %s: model and context %.2f s, %d decodes counted (%s) in %.2f s",
                 path, t1 - t0, k.n, k.full ? "all computed" : "1 computed", lle_now_s() - t1);
    if (st == LLE_OK)
        memcpy(pts, k.pts, sizeof k.pts);
    lle_flops_counter_close(k.c);
    return st;
}

static lle_status check_settings(const lle_flops_settings *s, lle_error *err)
{
    if (lle_kv_type_from_name(s->kv_type) < 0)
        return lle_fail(err, LLE_ERR_INVALID,
                        "kv_type: unknown '%s' (f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl)", s->kv_type);
    if (s->flash_attn < -1 || s->flash_attn > 1)
        return lle_fail(err, LLE_ERR_INVALID, "flash_attn: %d (auto -1, on 1 or off 0)", s->flash_attn);
    return LLE_OK;
}

/* Cache lookup: LLE_OK with *fit on a hit; NOT_FOUND on a miss (including an
 * unusable file, which is logged and then replaced). */
static lle_status try_cache(const char *cache_path, const char *fp, lle_flops_fit *fit)
{
    lle_error e = {0};
    lle_status st = lle_flops_cache_load(cache_path, fp, fit, &e);

    if (st != LLE_OK && st != LLE_ERR_NOT_FOUND) {
        lle_logf(LLE_LOG_WARN, "%s; recalibrating", e.msg);
        st = LLE_ERR_NOT_FOUND;
    }
    return st;
}

static void describe(lle_flops_fit *fit, const lle_model_info *m, const lle_flops_settings *s, const char *fp)
{
    fit->version = LLE_FLOPS_FIT_VERSION;
    lle_strlcpy(fit->fingerprint, fp, sizeof fit->fingerprint);
    lle_strlcpy(fit->source, "calibrated", sizeof fit->source);
    lle_strlcpy(fit->arch, m->arch, sizeof fit->arch);
    lle_strlcpy(fit->kv_type, s->kv_type, sizeof fit->kv_type);
    lle_strlcpy(fit->llama_release, lle_llama_release(), sizeof fit->llama_release);
    fit->flash_attn = s->flash_attn;
    fit->offload = s->n_gpu_layers != 0;
}

lle_status lle_flops_calibrate(const char *model_path, const lle_flops_settings *s_in, lle_flops_fit *fit,
                               lle_error *err)
{
    lle_flops_settings s;
    lle_model_info *m = malloc(sizeof *m);
    lle_flops_point pts[CAL_N_POINTS];
    char fp[17], path[4200];
    double t0 = lle_now_s();
    lle_status st = LLE_OK;

    memset(fit, 0, sizeof *fit);
    if (s_in != NULL)
        s = *s_in;
    else
        lle_flops_settings_init(&s);
    if (s.kv_type == NULL)
        s.kv_type = "f16";
    if (m == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    st = check_settings(&s, err);
    if (st == LLE_OK)
        st = lle_model_inspect(model_path, m, err);
    if (st == LLE_OK)
        st = lle_flops_fingerprint(model_path, m, &s, fp, NULL, 0, err);
    if (st != LLE_OK)
        goto cleanup;
    if (!s.no_cache) {
        lle_error e = {0};
        if (lle_flops_cache_path(&s, fp, path, sizeof path, &e) != LLE_OK) {
            lle_logf(LLE_LOG_WARN, "FLOPs fit not cached: %s", e.msg);
            s.no_cache = true;
        }
    }
    if (!s.no_cache && try_cache(path, fp, fit) == LLE_OK) {
        fit->seconds = lle_now_s() - t0;
        goto cleanup;
    }
    memset(fit, 0, sizeof *fit);
    describe(fit, m, &s, fp);
    st = calibrate_fit(model_path, &s, fit, pts, err);
    if (st != LLE_OK)
        goto cleanup;
    fit->seconds = fit->calibration_seconds = lle_now_s() - t0;
    if (!s.no_cache) {
        lle_error e = {0};
        if (lle_flops_cache_save(path, fit, pts, CAL_N_POINTS, &e) != LLE_OK)
            lle_logf(LLE_LOG_WARN, "FLOPs fit not cached: %s", e.msg);
    }
cleanup:
    free(m);
    return st;
}
