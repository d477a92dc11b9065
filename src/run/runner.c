/* runner.c — runs one experiment: resolves the model (a file or a cached
 * synthesised preset), builds the synthetic prompts before the clock starts,
 * then generates each request through the engine and turns the token
 * timestamps into per-request records (TTFT, inter-token gaps, E2E). */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/util.h"
#include "run/run_internal.h"

void lle_run_config_init(lle_run_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->n_prompts = 8;
    cfg->max_input_tokens = 128;
    cfg->max_output_tokens = 64;
    cfg->seed = 42;
}

void lle_run_result_free(lle_run_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_requests; i++) {
        free(r->requests[i].itl_s);
        free(r->requests[i].output_tokens);
    }
    free(r->requests);
    free(r);
}

static lle_status validate(const lle_run_config *c, lle_error *err)
{
    if ((c->model_path == NULL) == (c->preset == NULL))
        return lle_fail(err, LLE_ERR_INVALID, "give exactly one of a model file or a preset");
    if (c->n_prompts < 1)
        return lle_fail(err, LLE_ERR_INVALID, "prompts: %d, must be at least 1", c->n_prompts);
    if (c->max_input_tokens < 1)
        return lle_fail(err, LLE_ERR_INVALID, "max_input_tokens: %d, must be at least 1", c->max_input_tokens);
    if (c->max_output_tokens < 1)
        return lle_fail(err, LLE_ERR_INVALID, "max_output_tokens: %d, must be at least 1",
                        c->max_output_tokens);
    if (c->n_ctx < 0 || (c->n_ctx > 0 && c->n_ctx < c->max_input_tokens + c->max_output_tokens))
        return lle_fail(err, LLE_ERR_INVALID,
                        "n_ctx %d is smaller than max_input_tokens + max_output_tokens = %d", c->n_ctx,
                        c->max_input_tokens + c->max_output_tokens);
    return LLE_OK;
}

static lle_status init_result(const lle_run_config *cfg, lle_run_result **out, lle_error *err)
{
    lle_run_result *r = calloc(1, sizeof *r);
    lle_status st;

    *out = NULL;
    if (r == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    r->config = *cfg;
    r->config.model_path = r->config.preset = r->config.preset_type = r->config.cache_dir = NULL;
    lle_make_run_id(r->id, sizeof r->id, r->started_at, sizeof r->started_at);
    lle_strlcpy(r->status, "failed", sizeof r->status);
    if (cfg->model_path != NULL) {
        lle_strlcpy(r->model_path, cfg->model_path, sizeof r->model_path);
        st = LLE_OK;
    } else {
        st = lle_preset_model_path(cfg->preset, cfg->preset_type, cfg->cache_dir, r->model_path,
                                   sizeof r->model_path, err);
    }
    if (st == LLE_OK)
        st = lle_model_inspect(r->model_path, &r->model, err);
    if (st == LLE_OK) {
        r->model_bytes = r->model.file_bytes;
        r->n_threads = cfg->n_threads > 0 ? cfg->n_threads : lle_cpu_count();
        r->n_ctx = cfg->n_ctx > 0 ? cfg->n_ctx : cfg->max_input_tokens + cfg->max_output_tokens;
        r->requests = calloc((size_t)cfg->n_prompts, sizeof *r->requests);
        if (r->requests == NULL)
            st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    }
    if (st != LLE_OK)
        lle_run_result_free(r);
    else
        *out = r;
    return st;
}

/* Turn one generation trace into a request record. */
static lle_status fill_record(lle_request_record *rec, const lle_gen_trace *tr, double t0, int n_in)
{
    int n = tr->n_done;

    rec->n_input_tokens = n_in;
    rec->n_output_tokens = n;
    rec->start_s = tr->t_start - t0;
    rec->ttft_s = tr->t_tokens[0] - tr->t_start;
    rec->e2e_s = tr->t_tokens[n - 1] - tr->t_start;
    rec->prefill_s = tr->t_prefill_end - tr->t_start;
    rec->decode_s = tr->t_tokens[n - 1] - tr->t_tokens[0];
    rec->n_itl = (size_t)(n - 1);
    rec->itl_s = malloc((size_t)(n > 1 ? n - 1 : 1) * sizeof *rec->itl_s);
    rec->output_tokens = malloc((size_t)n * sizeof *rec->output_tokens);
    if (rec->itl_s == NULL || rec->output_tokens == NULL)
        return LLE_ERR_NOMEM;
    for (int i = 1; i < n; i++)
        rec->itl_s[i - 1] = tr->t_tokens[i] - tr->t_tokens[i - 1];
    memcpy(rec->output_tokens, tr->tokens, (size_t)n * sizeof *rec->output_tokens);
    return LLE_OK;
}

static lle_status open_engine(const lle_run_config *cfg, lle_run_result *r, lle_engine **eng, lle_error *err)
{
    lle_engine_params ep;

    memset(&ep, 0, sizeof ep);
    ep.model_path = r->model_path;
    ep.n_ctx = r->n_ctx;
    ep.n_batch = r->n_ctx < 512 ? r->n_ctx : 512;
    ep.n_threads = ep.n_threads_batch = r->n_threads;
    ep.seed = cfg->seed;
    ep.ignore_eos = 1;
    return lle_llama_engine.open(&ep, eng, err);
}

static lle_status make_prompts(lle_engine *eng, const lle_run_config *cfg, int32_t ***prompts, lle_error *err)
{
    lle_status st = LLE_OK;
    int32_t **p = calloc((size_t)cfg->n_prompts, sizeof *p);

    if (p == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < cfg->n_prompts && st == LLE_OK; i++)
        st = lle_synthetic_prompt(eng, cfg->seed, i, cfg->max_input_tokens, &p[i], err);
    *prompts = p;
    return st;
}

static lle_status run_requests(lle_engine *eng, const lle_run_config *cfg, int32_t **prompts, lle_run_result *r,
                               lle_progress_fn progress, void *user, const volatile int *stop, lle_error *err)
{
    int n_out = cfg->max_output_tokens;
    lle_gen_trace tr = {0};
    lle_status st = LLE_OK;
    uint64_t toks = 0;
    double t0;

    tr.t_tokens = malloc((size_t)n_out * sizeof *tr.t_tokens);
    tr.tokens = malloc((size_t)n_out * sizeof *tr.tokens);
    if (tr.t_tokens == NULL || tr.tokens == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    t0 = lle_now_s();
    for (int i = 0; i < cfg->n_prompts; i++) {
        st = eng->vt->generate(eng, prompts[i], cfg->max_input_tokens, n_out, &tr, stop, err);
        if (st != LLE_OK)
            break;
        r->requests[i].index = i;
        if (fill_record(&r->requests[i], &tr, t0, cfg->max_input_tokens) != LLE_OK) {
            st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
            break;
        }
        r->n_requests = (size_t)i + 1;
        toks += (uint64_t)tr.n_done;
        if (progress != NULL)
            progress(i + 1, cfg->n_prompts, (double)toks / (lle_now_s() - t0), user);
    }
    r->wall_s = lle_now_s() - t0;
cleanup:
    free(tr.t_tokens);
    free(tr.tokens);
    return st;
}

static uint64_t peak_rss_bytes(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024ULL;
}

lle_status lle_run_single(const lle_run_config *cfg, lle_progress_fn progress, void *user,
                          const volatile int *stop, lle_run_result **out, lle_error *err)
{
    lle_run_result *r = NULL;
    lle_engine *eng = NULL;
    int32_t **prompts = NULL;
    lle_status st;

    *out = NULL;
    st = validate(cfg, err);
    if (st == LLE_OK)
        st = init_result(cfg, &r, err);
    if (st == LLE_OK)
        st = open_engine(cfg, r, &eng, err);
    if (st == LLE_OK)
        st = make_prompts(eng, cfg, &prompts, err);
    if (st == LLE_OK)
        st = run_requests(eng, cfg, prompts, r, progress, user, stop, err);
    if (r != NULL && (st == LLE_OK || st == LLE_ERR_INTERRUPTED)) {
        lle_strlcpy(r->status, st == LLE_OK ? "completed" : "interrupted", sizeof r->status);
        if (st != LLE_OK)
            lle_strlcpy(r->error, "interrupted by signal", sizeof r->error);
        lle_result_aggregate(r);
        r->kv_cache_bytes = eng->vt->kv_bytes(eng);
        r->peak_rss_bytes = peak_rss_bytes();
        *out = r;
        r = NULL;
    }
    for (int i = 0; prompts != NULL && i < cfg->n_prompts; i++)
        free(prompts[i]);
    free(prompts);
    if (eng != NULL)
        eng->vt->close(eng);
    lle_run_result_free(r);
    return st;
}
