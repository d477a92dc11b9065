/* runner.c — runs one experiment: resolves the model (a file or a cached
 * synthesised preset), sizes the context for the batching mode, builds the
 * plan (prompts, batches, arrivals) before the clock starts, runs warmup
 * batches, then every measured pass: waits for arrivals (simulated idle, kept
 * out of compute time but visible as queueing delay), decodes each batch
 * through the engine and turns token timestamps into request records. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/util.h"
#include "energy/run_energy.h"
#include "llama.h"
#include "run/run_internal.h"

typedef struct run_ctx {
    const lle_run_config *cfg;
    lle_run_result *r;
    lle_engine *eng;
    lle_plan plan;
    lle_run_resolved rv;
    lle_gen_request *greqs; /* max_batch */
    lle_gen_trace *traces;  /* max_batch, each with n_out arrays */
    lle_progress_fn progress;
    void *user;
    const volatile int *stop;
    const lle_engine_source *src; /* NULL: open and close a fresh engine */
    double t0;                    /* window start, monotonic */
    uint64_t tokens_done;
    lle_run_energy en; /* energy windows (valid when en_open) */
    bool en_open;
    lle_flops_fit fit; /* executed-FLOPs fit, valid when has_fit */
    bool has_fit, model_flops;
    bool counting;                               /* decodes of measured batches */
    lle_run_efficiency eff;                      /* MFU/MBU peaks and decode bytes */
    long long prefill_left;                      /* prompt tokens of the batch in flight not decoded yet */
    int eng_n_ctx;                               /* KV cells of the engine's context */
    lle_flops_parts batch_prefill, batch_decode; /* executed FLOPs of the batch in flight */
} run_ctx;

void lle_run_result_free(lle_run_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_requests; i++) {
        free(r->requests[i].itl_s);
        free(r->requests[i].output_tokens);
    }
    free(r->requests);
    free(r->batches);
    free(r->energy_json);
    lle_meter_close(r->energy_meter);
    free(r);
}

/* Context and thread sizing from the configuration alone (the plan needs the
 * engine to tokenize, so the context is sized for the worst batch allowed). */
static lle_status resolve(const lle_run_config *c, lle_run_resolved *rv, lle_error *err)
{
    int per_seq = c->max_input_tokens + c->max_output_tokens;
    int max_seq = (int)llama_max_parallel_sequences();
    int need;

    rv->n_seq_max = c->batch_size;
    if (c->adaptive_tokens > 0) /* a request needs at least 2 cells: one prompt, one output token */
        rv->n_seq_max = c->adaptive_max_batch < c->adaptive_tokens / 2 ? c->adaptive_max_batch : c->adaptive_tokens / 2;
    if (rv->n_seq_max > max_seq)
        return lle_fail(err, LLE_ERR_INVALID, "batch of %d sequences: llama.cpp supports at most %d", rv->n_seq_max,
                        max_seq);
    need = c->adaptive_tokens > 0 ? c->adaptive_tokens : c->batch_size * per_seq;
    if (c->n_ctx > 0 && c->n_ctx < need)
        return lle_fail(err, LLE_ERR_INVALID, "n_ctx %d is too small: a batch needs up to %d KV cells (%s)", c->n_ctx,
                        need,
                        c->adaptive_tokens > 0 ? "adaptive_tokens" : "batch_size x (max_input + max_output tokens)");
    rv->n_ctx = c->n_ctx > 0 ? c->n_ctx : need;
    rv->n_threads = c->n_threads > 0 ? c->n_threads : lle_cpu_count();
    rv->n_threads_batch = c->n_threads_batch > 0 ? c->n_threads_batch : rv->n_threads;
    rv->n_batch = c->n_batch > 0 ? c->n_batch : (rv->n_ctx < 512 ? rv->n_ctx : 512);
    if (rv->n_batch < rv->n_seq_max) { /* llama.cpp reserves one output row per sequence in a batch */
        if (c->n_batch > 0)
            return lle_fail(err, LLE_ERR_INVALID, "n_batch %d is smaller than the %d sequences of a batch", c->n_batch,
                            rv->n_seq_max);
        rv->n_batch = rv->n_seq_max;
    }
    rv->n_ubatch = c->n_ubatch > 0 ? c->n_ubatch : rv->n_batch;
    rv->gpu_offload = llama_supports_gpu_offload();
    return LLE_OK;
}

/* The engine's on_decode hook: the energy phase switch, then the executed
 * FLOPs of the call from the calibrated fit (a few integer operations; nothing
 * touches llama.cpp). A call holding prompt tokens is prefill, later ones decode. */
static void on_decode(void *user, int n_tokens, int n_kv_used, const int8_t *logits)
{
    run_ctx *x = user;
    bool prefill = x->prefill_left > 0;

    if (x->en_open)
        lle_run_energy_on_decode(&x->en, n_tokens, n_kv_used);
    if (!x->counting)
        return;
    x->prefill_left -= n_tokens;
    if (!prefill)
        lle_run_efficiency_on_decode(&x->eff, n_tokens, n_kv_used);
    if (!x->has_fit)
        return;
    lle_flops_fit_decode(&x->fit, n_tokens, logits, n_kv_used, x->rv.n_ubatch, x->eng_n_ctx,
                         prefill ? &x->batch_prefill : &x->batch_decode);
}

/* The fit of this model and these graph settings, from the cache or a short
 * calibration pass in its own context, before the engine opens (outside the
 * measured window). A failure leaves executed FLOPs out of the result, with
 * the reason; they are never estimated. */
static void prepare_flops(run_ctx *x)
{
    lle_flops_settings s;
    lle_error e = {0};
    char dir[4200];

    if (!x->cfg->flops)
        return;
    x->model_flops = lle_flops_model_check(&x->r->model, &e) == LLE_OK;
    lle_flops_settings_init(&s);
    s.kv_type = x->cfg->kv_type;
    s.flash_attn = x->cfg->flash_attn;
    s.n_gpu_layers = x->cfg->n_gpu_layers;
    s.n_threads = x->rv.n_threads;
    if (x->cfg->cache_dir != NULL && (size_t)snprintf(dir, sizeof dir, "%s/flops", x->cfg->cache_dir) < sizeof dir)
        s.cache_dir = dir; /* beside the preset models of an explicit cache dir */
    if (x->model_flops && lle_flops_calibrate(x->rv.model_path, &s, &x->fit, &e) == LLE_OK) {
        x->has_fit = true;
        return;
    }
    lle_logf(LLE_LOG_WARN, "executed FLOPs not counted: %s", e.msg);
    lle_strlcpy(x->r->flops_error, e.msg, sizeof x->r->flops_error);
}

static void finish_flops(run_ctx *x)
{
    lle_flops_summary *f = &x->r->flops;

    f->has_model = x->model_flops;
    f->has_executed = x->has_fit;
    f->fit = x->fit;
    f->n_input_tokens = x->r->total_input_tokens;
    f->n_output_tokens = x->r->total_output_tokens;
    f->prefill_s = x->r->prefill_s;
    f->decode_s = x->r->decode_s;
}

static lle_status open_engine(run_ctx *x, lle_error *err)
{
    const lle_run_config *c = x->cfg;
    lle_engine_params ep;

    memset(&ep, 0, sizeof ep);
    ep.model_path = x->rv.model_path;
    ep.n_ctx = x->rv.n_ctx;
    ep.n_batch = x->rv.n_batch;
    ep.n_ubatch = x->rv.n_ubatch;
    ep.n_seq_max = x->rv.n_seq_max;
    ep.n_threads = x->rv.n_threads;
    ep.n_threads_batch = x->rv.n_threads_batch;
    ep.n_gpu_layers = c->n_gpu_layers;
    ep.split_mode = lle_split_mode_from_name(c->split_mode);
    ep.main_gpu = c->main_gpu;
    ep.tensor_split = c->n_tensor_split > 0 ? c->tensor_split : NULL;
    ep.flash_attn = c->flash_attn;
    ep.type_k = ep.type_v = lle_kv_type_from_name(c->kv_type);
    ep.sampling.temperature = c->temperature;
    ep.sampling.top_k = c->top_k;
    ep.sampling.top_p = c->top_p;
    ep.sampling.min_p = c->min_p;
    ep.sampling.repeat_penalty = c->repeat_penalty;
    ep.sampling.repeat_last_n = c->repeat_last_n;
    ep.sampling.ignore_eos = c->ignore_eos;
    ep.sampling.min_output_tokens = c->min_output_tokens;
    if (x->en_open || x->has_fit) { /* energy phase windows, executed FLOPs */
        ep.on_decode = on_decode;
        ep.on_decode_user = x;
    }
    if (x->src != NULL)
        return x->src->acquire(x->src->user, &ep, &x->eng, err);
    return lle_llama_engine.open(&ep, &x->eng, err);
}

static lle_status alloc_buffers(run_ctx *x, lle_error *err)
{
    int mb = x->plan.max_batch, n_out = x->cfg->max_output_tokens;
    size_t n_total = (size_t)x->plan.n_reqs * (size_t)x->cfg->repeat;

    x->greqs = calloc((size_t)mb, sizeof *x->greqs);
    x->traces = calloc((size_t)mb, sizeof *x->traces);
    x->r->requests = calloc(n_total, sizeof *x->r->requests);
    x->r->batches = calloc((size_t)x->plan.n_batches * (size_t)x->cfg->repeat, sizeof *x->r->batches);
    if (x->greqs == NULL || x->traces == NULL || x->r->requests == NULL || x->r->batches == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < mb; i++) {
        x->traces[i].t_tokens = malloc((size_t)n_out * sizeof(double));
        x->traces[i].tokens = malloc((size_t)n_out * sizeof(int32_t));
        if (x->traces[i].t_tokens == NULL || x->traces[i].tokens == NULL)
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    }
    return LLE_OK;
}

static void free_buffers(run_ctx *x)
{
    for (int i = 0; x->traces != NULL && i < x->plan.max_batch; i++) {
        free(x->traces[i].t_tokens);
        free(x->traces[i].tokens);
    }
    free(x->traces);
    free(x->greqs);
}

static double rel_now(const run_ctx *x)
{
    return lle_now_s() - x->t0;
}

/* Sleep until `target` (window-relative), polling the stop flag. */
static lle_status idle_until(run_ctx *x, double target, double *idle, lle_error *err)
{
    double start = rel_now(x), now = start;

    while (now < target) {
        double left = target - now;
        struct timespec ts;
        if (x->stop != NULL && *x->stop)
            return lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted");
        left = left > 0.05 ? 0.05 : left;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e9);
        nanosleep(&ts, NULL);
        now = rel_now(x);
    }
    *idle = now > start ? now - start : 0.0;
    return LLE_OK;
}

static lle_status record_request(run_ctx *x, const lle_plan_request *pq, const lle_gen_trace *tr, int rep, int b,
                                 double arrival)
{
    lle_request_record *q = &x->r->requests[x->r->n_requests];
    int n = tr->n_done;
    double start = tr->t_start - x->t0;

    q->index = pq->index;
    q->repeat = rep;
    q->batch = b;
    q->n_input_tokens = pq->n_tokens;
    q->n_output_tokens = n;
    q->truncated = pq->truncated;
    q->arrival_s = arrival < 0.0 ? start : arrival;
    q->start_s = start;
    q->queue_delay_s = start - q->arrival_s;
    q->ttft_s = (tr->t_tokens[0] - x->t0) - q->arrival_s;
    q->e2e_s = (tr->t_tokens[n - 1] - x->t0) - q->arrival_s;
    q->prefill_s = tr->t_prefill_end - tr->t_start;
    q->decode_s = tr->t_tokens[n - 1] - tr->t_tokens[0];
    q->n_itl = (size_t)(n - 1);
    q->itl_s = malloc((size_t)(n > 1 ? n - 1 : 1) * sizeof *q->itl_s);
    q->output_tokens = malloc((size_t)n * sizeof *q->output_tokens);
    if (q->itl_s == NULL || q->output_tokens == NULL) {
        free(q->itl_s);
        free(q->output_tokens);
        return LLE_ERR_NOMEM;
    }
    for (int i = 1; i < n; i++)
        q->itl_s[i - 1] = tr->t_tokens[i] - tr->t_tokens[i - 1];
    memcpy(q->output_tokens, tr->tokens, (size_t)n * sizeof *q->output_tokens);
    if (x->model_flops) {
        lle_flops_parts pre, dec;
        lle_flops_model_request(&x->r->model, (uint64_t)q->n_input_tokens, (uint64_t)n, &pre, &dec);
        lle_flops_parts_add(&x->r->flops.model_prefill, &pre);
        lle_flops_parts_add(&x->r->flops.model_decode, &dec);
    }
    x->r->n_requests++;
    x->tokens_done += (uint64_t)n;
    return LLE_OK;
}

/* Wait for the batch's arrivals; returns the idle time spent. */
static lle_status await_batch(run_ctx *x, int b, double pass_t0, double *idle, lle_error *err)
{
    const lle_plan *p = &x->plan;
    double target = -1.0;

    *idle = 0.0;
    if (p->delay_before[b] > 0.0)
        return idle_until(x, rel_now(x) + p->delay_before[b], idle, err);
    for (int i = p->batch_start[b]; i < p->batch_start[b + 1]; i++)
        if (p->reqs[i].arrival_s >= 0.0 && pass_t0 + p->reqs[i].arrival_s > target)
            target = pass_t0 + p->reqs[i].arrival_s;
    return target > rel_now(x) ? idle_until(x, target, idle, err) : LLE_OK;
}

static lle_status run_batch(run_ctx *x, int rep, int b, double pass_t0, lle_error *err)
{
    const lle_plan *p = &x->plan;
    int s = p->batch_start[b], n = p->batch_start[b + 1] - s;
    lle_batch_record *br = &x->r->batches[x->r->n_batches];
    double idle = 0.0, last_prefill = 0.0, last_tok = 0.0;
    lle_status st = await_batch(x, b, pass_t0, &idle, err);

    long long prompt_tokens = 0;

    for (int i = 0; st == LLE_OK && i < n; i++) {
        const lle_plan_request *q = &p->reqs[s + i];
        x->greqs[i] = (lle_gen_request){q->tokens, q->n_tokens, q->n_out, x->cfg->seed + (uint64_t)q->index};
        prompt_tokens += q->n_tokens;
    }
    if (st == LLE_OK && x->en_open)
        st = lle_run_energy_batch_begin(&x->en, prompt_tokens, err);
    memset(&x->batch_prefill, 0, sizeof x->batch_prefill);
    memset(&x->batch_decode, 0, sizeof x->batch_decode);
    x->prefill_left = prompt_tokens;
    if (st == LLE_OK)
        st = x->eng->vt->generate(x->eng, x->greqs, n, x->traces, x->stop, err);
    if (st == LLE_OK) { /* a dropped batch counts neither its records nor its FLOPs */
        lle_flops_parts_add(&x->r->flops.exec_prefill, &x->batch_prefill);
        lle_flops_parts_add(&x->r->flops.exec_decode, &x->batch_decode);
    }
    if (x->en_open) {
        lle_error e2;
        lle_status est = lle_run_energy_batch_end(&x->en, st == LLE_OK, &e2);
        if (st == LLE_OK && est != LLE_OK) {
            st = est;
            if (err != NULL)
                *err = e2;
        }
    }
    if (st != LLE_OK)
        return st;
    memset(br, 0, sizeof *br);
    *br = (lle_batch_record){
        .repeat = rep, .index = b, .n_requests = n, .idle_before_s = idle, .start_s = x->traces[0].t_start - x->t0};
    for (int i = 0; i < n; i++) {
        const lle_plan_request *q = &p->reqs[s + i];
        double arrival = q->arrival_s < 0.0 ? -1.0 : pass_t0 + q->arrival_s;
        if (record_request(x, q, &x->traces[i], rep, b, arrival) != LLE_OK)
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        if (x->traces[i].t_prefill_end > last_prefill)
            last_prefill = x->traces[i].t_prefill_end;
        if (x->traces[i].t_tokens[x->traces[i].n_done - 1] > last_tok)
            last_tok = x->traces[i].t_tokens[x->traces[i].n_done - 1];
        br->n_input_tokens += q->n_tokens;
        br->n_output_tokens += x->traces[i].n_done;
    }
    br->prefill_end_s = last_prefill - x->t0;
    br->end_s = last_tok - x->t0;
    x->r->n_batches++;
    return LLE_OK;
}

static void report_progress(run_ctx *x, int total)
{
    double mw = 0.0, ew = 0.0, w = NAN;
    const char *how = NULL;

    if (x->en_open && x->en.meter != NULL) {
        lle_meter_live_power(x->en.meter, &mw, &ew);
        w = mw + ew;
        how = mw > 0.0 && ew > 0.0 ? "mixed" : mw > 0.0 ? "measured" : "estimated";
    }
    x->progress((int)x->r->n_requests, total, (double)x->tokens_done / rel_now(x), w, how, x->user);
}

static lle_status run_measured(run_ctx *x, lle_error *err)
{
    int total = x->plan.n_reqs * x->cfg->repeat;
    lle_status st = LLE_OK;

    for (int w = 0; w < x->cfg->warmup && st == LLE_OK; w++) {
        int n = x->plan.batch_start[1];
        for (int i = 0; i < n; i++) {
            const lle_plan_request *q = &x->plan.reqs[i];
            x->greqs[i] = (lle_gen_request){q->tokens, q->n_tokens, q->n_out, x->cfg->seed + (uint64_t)q->index};
        }
        st = x->eng->vt->generate(x->eng, x->greqs, n, x->traces, x->stop, err);
    }
    if (st == LLE_OK && x->cfg->before_window != NULL)
        x->cfg->before_window(x->cfg->before_window_user);
    x->t0 = lle_now_s();
    x->counting = true;
    if (st == LLE_OK && x->en_open)
        st = lle_run_energy_start(&x->en, err);
    for (int rep = 0; rep < x->cfg->repeat && st == LLE_OK; rep++) {
        double pass_t0 = rel_now(x);
        for (int b = 0; b < x->plan.n_batches && st == LLE_OK; b++) {
            st = run_batch(x, rep, b, pass_t0, err);
            if (st == LLE_OK && x->progress != NULL)
                report_progress(x, total);
        }
    }
    x->r->wall_s = rel_now(x);
    if (x->en_open) {
        lle_error e2;
        lle_status est = lle_run_energy_finish(&x->en, &e2);
        if (st == LLE_OK && est != LLE_OK) {
            st = est;
            if (err != NULL)
                *err = e2;
        }
    }
    return st;
}

static uint64_t peak_rss_bytes(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024ULL;
}

/* Model resolution and the result shell; the config is validated first. */
static lle_status prepare(run_ctx *x, lle_run_config *cfg, lle_error *err)
{
    lle_run_result *r = calloc(1, sizeof *r);
    lle_status st;

    if (r == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    x->r = r;
    lle_make_run_id(r->id, sizeof r->id, r->started_at, sizeof r->started_at);
    lle_strlcpy(r->status, "failed", sizeof r->status);
    st = lle_run_config_apply_preset(cfg, err);
    if (st == LLE_OK)
        st = lle_run_config_validate(cfg, err);
    if (st == LLE_OK)
        st = resolve(cfg, &x->rv, err);
    if (st == LLE_OK && cfg->model_path != NULL)
        lle_strlcpy(r->model_path, cfg->model_path, sizeof r->model_path);
    else if (st == LLE_OK)
        st = lle_preset_model_path(cfg->preset, cfg->preset_type, cfg->cache_dir, r->model_path, sizeof r->model_path,
                                   err);
    x->rv.model_path = r->model_path;
    if (st == LLE_OK)
        st = lle_model_inspect(r->model_path, &r->model, err);
    r->model_bytes = r->model.file_bytes;
    r->n_threads = x->rv.n_threads;
    return st;
}

static void finish(run_ctx *x, lle_status st)
{
    lle_run_result *r = x->r;
    char *cj;

    lle_strlcpy(r->status, st == LLE_OK ? "completed" : "interrupted", sizeof r->status);
    if (st != LLE_OK)
        lle_strlcpy(r->error, "interrupted by signal; the batch in flight was dropped", sizeof r->error);
    r->config = *x->cfg;
    r->config.model_path = r->config.preset = r->config.preset_type = r->config.cache_dir = NULL;
    r->config.kv_type = r->config.split_mode = r->config.decoding_preset = NULL;
    r->config.prompt_file = r->config.prompt_format = r->config.prompt_order = r->config.traffic = NULL;
    r->config.energy_sources = r->config.carbon_intensity = NULL;
    r->n_ctx = x->eng->vt->n_ctx(x->eng);
    x->rv.n_ctx = r->n_ctx;
    cj = lle_run_config_json(x->cfg, &x->rv);
    lle_strlcpy(r->config_json, cj ? cj : "{}", sizeof r->config_json);
    free(cj);
    r->prompts_truncated = x->plan.n_truncated;
    r->prompt_entries_skipped = x->plan.n_skipped;
    lle_result_aggregate(r);
    r->kv_cache_bytes = x->eng->vt->kv_bytes(x->eng);
    r->peak_rss_bytes = peak_rss_bytes();
    finish_flops(x);
    lle_run_efficiency_finish(&x->eff, r);
    if (x->en_open) {
        double executed = x->has_fit ? (double)(r->flops.exec_prefill.total + r->flops.exec_decode.total) : 0.0;
        lle_energy_work work = {r->total_input_tokens, r->total_output_tokens, (uint64_t)r->n_requests, executed};
        r->energy_json = lle_run_energy_json(&x->en, &work);
        r->energy_origin_s = lle_run_energy_origin(&x->en);
        r->energy_meter = lle_run_energy_take_meter(&x->en);
    }
}

/* Meter, carbon and idle baseline, before the model loads (the machine is idle). */
static lle_status energy_open(run_ctx *x, lle_error *err)
{
    const lle_run_config *c = x->cfg;
    lle_run_energy_opts o;
    lle_status st;

    if (!c->energy)
        return LLE_OK;
    lle_run_energy_opts_init(&o);
    o.meter.interval_s = c->energy_interval_s;
    o.meter.sources = c->energy_sources;
    o.meter.estimate_fallback = c->energy_estimates;
    o.meter.cpu_tdp_w = c->cpu_tdp_w;
    o.baseline.seconds = c->idle_baseline_s;
    o.baseline.ttl_s = c->baseline_ttl_s;
    o.baseline.stop = x->stop;
    o.carbon = c->carbon_intensity;
    o.pue = c->pue;
    st = lle_run_energy_open(&x->en, &o, err);
    x->en_open = true; /* close even on failure: open may have half succeeded */
    return st;
}

lle_status lle_run_single(const lle_run_config *cfg_in, lle_progress_fn progress, void *user, const volatile int *stop,
                          lle_run_result **out, lle_error *err)
{
    return lle_run_single_ex(cfg_in, NULL, progress, user, stop, out, err);
}

lle_status lle_run_single_ex(const lle_run_config *cfg_in, const lle_engine_source *src, lle_progress_fn progress,
                             void *user, const volatile int *stop, lle_run_result **out, lle_error *err)
{
    lle_run_config cfg = *cfg_in;
    run_ctx x;
    lle_status st;

    memset(&x, 0, sizeof x);
    x.cfg = &cfg;
    x.progress = progress;
    x.user = user;
    x.stop = stop;
    x.src = src;
    *out = NULL;
    st = prepare(&x, &cfg, err);
    if (st == LLE_OK)
        st = energy_open(&x, err);
    if (st == LLE_OK)
        prepare_flops(&x);
    if (st == LLE_OK)
        lle_run_efficiency_prepare(&x.eff, &cfg, x.rv.n_threads, &x.r->model);
    if (st == LLE_OK)
        st = open_engine(&x, err);
    if (st == LLE_OK)
        x.eng_n_ctx = x.eng->vt->n_ctx(x.eng);
    if (st == LLE_OK)
        st = lle_plan_build(&cfg, x.eng, &x.plan, err);
    if (st == LLE_OK)
        st = alloc_buffers(&x, err);
    if (st == LLE_OK)
        st = run_measured(&x, err);
    /* an interrupted run keeps what it measured (its engine and requests exist) */
    if (st == LLE_OK || (st == LLE_ERR_INTERRUPTED && x.r != NULL && x.eng != NULL && x.r->requests != NULL)) {
        finish(&x, st);
        *out = x.r;
        x.r = NULL;
    }
    free_buffers(&x);
    lle_plan_free(&x.plan);
    if (x.eng != NULL && src != NULL)
        src->release(src->user, x.eng, st);
    else if (x.eng != NULL)
        x.eng->vt->close(x.eng);
    lle_run_result_free(x.r);
    if (x.en_open)
        lle_run_energy_close(&x.en);
    return st;
}
