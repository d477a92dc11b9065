/* efficiency.c — MFU and MBU of a run: the peaks (user overrides, else this
 * machine's cached `devices --calibrate` figures, else unknown), the bytes
 * each decode step moves (weights + KV read/written at their storage sizes,
 * accumulated from the engine's decode hook), and the ratios at the end.
 * Unknown peaks give null figures with the reason, never a guess. */
#include <string.h>

#include "common/util.h"
#include "run/run_internal.h"

void lle_run_efficiency_prepare(lle_run_efficiency *e, const lle_run_config *c, int n_threads,
                                const lle_model_info *model)
{
    lle_peak_overrides ov = {c->peak_flops_per_s, c->peak_bandwidth_bytes_per_s};
    lle_error err = {0};

    memset(e, 0, sizeof *e);
    if (c->n_gpu_layers != 0) /* CPU peaks never divide a GPU run */
        e->peaks_ok = lle_peaks_resolve(&ov, NULL, model, &e->peaks, &err) == LLE_OK;
    else
        e->peaks_ok = lle_peaks_for_run(&ov, n_threads, c->cache_dir, model, &e->peaks, &err) == LLE_OK;
    if (!e->peaks_ok)
        lle_strlcpy(e->why, err.msg, sizeof e->why);
    e->traffic_ok = lle_model_traffic_init(model, c->kv_type, c->kv_type, &e->traffic, &err) == LLE_OK;
    if (!e->traffic_ok)
        lle_strlcpy(e->why, err.msg, sizeof e->why);
}

void lle_run_efficiency_on_decode(lle_run_efficiency *e, int n_tokens, int n_kv_used)
{
    if (e->traffic_ok)
        e->decode_bytes += (double)lle_decode_step_bytes(&e->traffic, n_tokens, n_kv_used).total;
}

void lle_run_efficiency_finish(lle_run_efficiency *e, lle_run_result *r)
{
    const lle_flops_summary *f = &r->flops;
    double model = f->has_model ? (double)(f->model_prefill.total + f->model_decode.total) : 0.0;
    double busy = r->prefill_s + r->decode_s;

    if (!e->peaks_ok) {
        memset(&e->peaks, 0, sizeof e->peaks);
        lle_strlcpy(e->peaks.flops_source, "none", sizeof e->peaks.flops_source);
        lle_strlcpy(e->peaks.bandwidth_source, "none", sizeof e->peaks.bandwidth_source);
        lle_strlcpy(e->peaks.flops_basis, e->why, sizeof e->peaks.flops_basis);
        lle_strlcpy(e->peaks.bandwidth_basis, e->why, sizeof e->peaks.bandwidth_basis);
    }
    r->peaks = e->peaks;
    r->mfu = lle_mfu(busy > 0.0 ? model / busy : 0.0, &e->peaks);
    r->mfu_prefill =
        lle_mfu(f->has_model && r->prefill_s > 0.0 ? (double)f->model_prefill.total / r->prefill_s : 0.0, &e->peaks);
    r->mbu = lle_mbu(e->decode_bytes, r->decode_s, e->traffic_ok ? &e->traffic : NULL, &e->peaks);
    if (!e->traffic_ok)
        lle_strlcpy(r->mbu.why, e->why, sizeof r->mbu.why);
    r->decode_bytes = e->decode_bytes;
}
