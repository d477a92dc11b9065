/* fit.c — executed FLOPs from a calibrated fit: the KV span rule, one
 * ubatch, one llama_decode call split into ubatches the way llama.cpp splits
 * a batch for a unified KV cache (consecutive tokens, n_ubatch at a time), and
 * a whole workload scheduled the way the runner's engine schedules it. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "flops/flops_internal.h"

#define RUNNER_DEFAULT_BATCH 512 /* the runner's n_batch default (runner.c resolve()) */

void lle_flops_settings_init(lle_flops_settings *s)
{
    memset(s, 0, sizeof *s);
    s->kv_type = "f16";
    s->flash_attn = -1;
}

uint32_t lle_flops_kv_span(const lle_flops_fit *fit, uint32_t n_kv_used, uint32_t n_ctx)
{
    uint64_t pad = fit->kv_span_pad > 0 ? fit->kv_span_pad : 1;
    uint64_t span = ((uint64_t)n_kv_used + pad - 1) / pad * pad;

    if (span < fit->kv_span_min)
        span = fit->kv_span_min;
    if (n_ctx > 0 && span > n_ctx)
        span = n_ctx;
    return (uint32_t)span;
}

void lle_flops_fit_eval(const lle_flops_fit *fit, uint32_t n_tokens, uint32_t n_outputs, uint32_t n_kv_used,
                        uint32_t n_ctx, lle_flops_parts *out)
{
    int64_t v[LLE_FLOPS_N_TERMS];

    memset(out, 0, sizeof *out);
    if (n_tokens == 0)
        return;
    lle_flops_terms(n_tokens, n_outputs, lle_flops_kv_span(fit, n_kv_used, n_ctx), v);
    for (int k = 0; k < LLE_FLOPS_N_PARTS; k++) {
        int64_t s = 0;
        for (int t = 0; t < LLE_FLOPS_N_TERMS; t++)
            s += fit->coef[k][t] * v[t];
        out->part[k] = s > 0 ? (uint64_t)s : 0;
    }
    lle_flops_parts_finish(out);
}

void lle_flops_fit_decode(const lle_flops_fit *fit, int n_tokens, const int8_t *outputs, int n_kv_used, int n_ubatch,
                          int n_ctx, lle_flops_parts *acc)
{
    int used = n_kv_used - n_tokens;
    int step = n_ubatch > 0 ? n_ubatch : n_tokens;

    for (int s = 0; s < n_tokens; s += step) {
        int e = s + step < n_tokens ? s + step : n_tokens, outs = 0;
        lle_flops_parts one;
        for (int i = s; i < e; i++)
            outs += outputs == NULL || outputs[i] != 0;
        lle_flops_fit_eval(fit, (uint32_t)(e - s), (uint32_t)outs, (uint32_t)(used + e),
                           (uint32_t)(n_ctx > 0 ? n_ctx : 0), &one);
        lle_flops_parts_add(acc, &one);
    }
}

lle_status lle_flops_workload_resolve(const lle_flops_workload *in, lle_flops_workload *w, lle_error *err)
{
    long long cells;

    *w = *in;
    if (w->n_seqs < 1 || w->n_prompt < 1 || w->n_gen < 1)
        return lle_fail(err, LLE_ERR_INVALID, "workload: batch %d, prompt %d, generated %d tokens (each must be >= 1)",
                        w->n_seqs, w->n_prompt, w->n_gen);
    cells = (long long)w->n_seqs * ((long long)w->n_prompt + w->n_gen);
    if (cells > 0x7fffffffLL)
        return lle_fail(err, LLE_ERR_INVALID, "workload: %lld KV cells is too many", cells);
    if (w->n_ctx > 0 && w->n_ctx < cells)
        return lle_fail(err, LLE_ERR_INVALID, "workload: n_ctx %d is smaller than the %lld cells it needs", w->n_ctx,
                        cells);
    if (w->n_batch <= 0) /* as the runner resolves it from its (unrounded) context size */
        w->n_batch = cells < RUNNER_DEFAULT_BATCH ? (int)cells : RUNNER_DEFAULT_BATCH;
    if (w->n_batch < w->n_seqs)
        w->n_batch = w->n_seqs;
    if (w->n_ubatch <= 0)
        w->n_ubatch = w->n_batch;
    if (w->n_ubatch > w->n_batch)
        return lle_fail(err, LLE_ERR_INVALID, "workload: n_ubatch %d exceeds n_batch %d", w->n_ubatch, w->n_batch);
    return LLE_OK;
}

/* The engine's prefill: prompts in order, chunks of n_batch tokens, each
 * prompt's last token with logits. */
static void workload_prefill(const lle_flops_fit *fit, const lle_flops_workload *w, int8_t *flags, int *used,
                             lle_flops_parts *acc)
{
    int n = 0;

    for (int s = 0; s < w->n_seqs; s++) {
        for (int k = 0; k < w->n_prompt; k++) {
            bool last = k == w->n_prompt - 1;
            flags[n++] = last;
            if (n == w->n_batch || (s == w->n_seqs - 1 && last)) {
                *used += n;
                lle_flops_fit_decode(fit, n, flags, *used, w->n_ubatch, w->n_ctx, acc);
                n = 0;
            }
        }
    }
}

lle_status lle_flops_fit_workload(const lle_flops_fit *fit, const lle_flops_workload *in, lle_flops_parts *prefill,
                                  lle_flops_parts *decode, lle_error *err)
{
    lle_flops_workload w;
    int8_t *flags = NULL;
    int used = 0;
    lle_status st = lle_flops_workload_resolve(in, &w, err);

    memset(prefill, 0, sizeof *prefill);
    memset(decode, 0, sizeof *decode);
    if (st != LLE_OK)
        return st;
    flags = malloc((size_t)w.n_batch);
    if (flags == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    workload_prefill(fit, &w, flags, &used, prefill);
    for (int step = 1; step < w.n_gen; step++) {
        used += w.n_seqs;
        lle_flops_fit_decode(fit, w.n_seqs, NULL, used, w.n_ubatch, w.n_ctx, decode);
    }
    free(flags);
    return LLE_OK;
}
