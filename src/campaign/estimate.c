/* estimate.c — how long the runs still to do will take, for `--dry-run` and
 * the ETA: tokens each run processes (prompts x passes x (input + output)
 * plus its warmup batches) divided by the token throughput of completed
 * experiments already in the results database (same model file when there
 * are some, else all), plus the idle time its traffic simulation schedules
 * and the cooldowns between runs. It is an estimate and says what it rests
 * on; with no earlier results the compute time is unknown, never invented. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "campaign/campaign_internal.h"
#include "common/util.h"
#include "store/store_journal.h"

typedef struct rate {
    double tokens, busy_s;
    long long n;
} rate;

/* Tokens one run decodes or prefills (upper bound: prompts are at most max_input_tokens). */
static double run_tokens(const lle_run_config *c)
{
    double per = (double)c->max_input_tokens + (double)c->max_output_tokens;
    int batch = c->adaptive_tokens > 0 ? c->adaptive_max_batch : c->batch_size;
    int first = batch < c->n_prompts ? batch : c->n_prompts;

    return per * ((double)c->n_prompts * (double)c->repeat + (double)c->warmup * (double)first);
}

/* Simulated idle the traffic schedules (docs/metrics.md, src/run/plan.c). */
static double run_idle(const lle_run_config *c)
{
    int batch = c->adaptive_tokens > 0 ? c->adaptive_max_batch : c->batch_size;
    double batches = ceil((double)c->n_prompts / (double)(batch > 0 ? batch : 1)), span = 0.0;
    const char *t = c->traffic != NULL ? c->traffic : "none";

    if (strcmp(t, "constant") == 0)
        span = c->delay_s * (batches - 1.0);
    else if (strcmp(t, "uniform") == 0)
        span = 0.5 * (c->delay_min_s + c->delay_max_s) * (batches - 1.0);
    else if (strcmp(t, "burst") == 0 && c->burst_size > 0)
        span = floor((double)(c->n_prompts - 1) / (double)c->burst_size) * c->burst_interval_s;
    else if (strcmp(t, "poisson") == 0 && c->rate > 0.0)
        span = (double)(c->n_prompts - 1) / c->rate;
    return span > 0.0 ? span * (double)c->repeat : 0.0;
}

/* The rate of the model file's own results when there are some (*own true), else of all. */
static lle_status model_rate(const char *dir, const char *model_path, const rate *all, rate *out, bool *own,
                             lle_error *err)
{
    lle_status st = LLE_OK;

    *out = *all;
    *own = false;
    if (model_path != NULL && dir != NULL) {
        rate one = {0};
        st = lle_store_peek_throughput(dir, model_path, &one.tokens, &one.busy_s, &one.n, err);
        if (st == LLE_OK && one.n > 0 && one.busy_s > 0.0) {
            *out = one;
            *own = true;
        }
    }
    return st;
}

lle_status lle_campaign_estimate_compute(const lle_campaign_plan *p, const lle_campaign_status *st,
                                         const char *results_dir, lle_campaign_estimate *out, lle_error *err)
{
    rate all = {0}, r = {0};
    const char *last = NULL; /* model file of the cached rate `r` */
    bool have_r = false, own = false;
    size_t same_model = 0;
    lle_status ret = LLE_OK;

    memset(out, 0, sizeof *out);
    if (results_dir != NULL)
        ret = lle_store_peek_throughput(results_dir, NULL, &all.tokens, &all.busy_s, &all.n, err);
    out->known = all.n > 0 && all.busy_s > 0.0;
    for (size_t i = 0; ret == LLE_OK && i < p->n_items; i++) {
        const lle_run_config *c = &p->experiments[p->items[i].experiment].run;
        if (st != NULL &&
            (st->state[i] == LLE_ITEM_DONE || (st->state[i] == LLE_ITEM_FAILED && st->failures[i] > p->max_retries)))
            continue;
        out->runs++;
        out->idle_s += run_idle(c);
        if (!have_r ||
            (last != c->model_path && (last == NULL || c->model_path == NULL || strcmp(last, c->model_path) != 0))) {
            ret = model_rate(results_dir, c->model_path, &all, &r, &own, err);
            last = c->model_path;
            have_r = true;
        }
        same_model += own ? 1 : 0;
        if (ret == LLE_OK && out->known)
            out->compute_s += run_tokens(c) * r.busy_s / r.tokens;
    }
    out->cooldown_s = out->runs > 1 ? p->cooldown_s * (double)(out->runs - 1) : 0.0;
    out->total_s = out->compute_s + out->idle_s + out->cooldown_s;
    if (out->known)
        snprintf(out->basis, sizeof out->basis,
                 "estimate: tokens per run at the throughput of %lld completed "
                 "experiment(s) in %s/%s (%zu of %zu runs matched to their own model file), plus scheduled traffic "
                 "idle and cooldowns; model loading not included",
                 all.n, results_dir, LLE_STORE_FILE, same_model, out->runs);
    else
        snprintf(out->basis, sizeof out->basis,
                 "compute time unknown: no completed experiments in %s to take a "
                 "speed from; the idle and cooldown times are scheduled",
                 results_dir != NULL ? results_dir : "(none)");
    return ret;
}
