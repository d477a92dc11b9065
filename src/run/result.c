/* result.c — what a finished experiment reports: aggregation of per-request
 * records into totals and latency distributions, the experiment id, the JSON
 * document (docs/results-schema.md) and its atomic save to the results dir. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

#include "common/environment.h"
#include "common/util.h"
#include "device/device_internal.h"
#include "flops/flops_internal.h"
#include "lle/energy.h"
#include "lle/store.h"
#include "lle/version.h"
#include "run/run_internal.h"
#include "store/store_internal.h"

#define RESULT_SCHEMA_VERSION 1

void lle_make_run_id(char *out, size_t size, char *iso_out, size_t iso_size)
{
    struct timespec ts;
    struct tm tm;
    uint32_t rnd = 0;
    char stamp[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid();
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    snprintf(out, size, "%s.%03ldZ-%08x", stamp, ts.tv_nsec / 1000000L, rnd);
    strftime(iso_out, iso_size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double safe_div(double a, double b)
{
    return b > 0.0 ? a / b : 0.0;
}

static void aggregate_batches(lle_run_result *r)
{
    r->prefill_s = r->decode_s = r->idle_s = 0.0;
    for (size_t i = 0; i < r->n_batches; i++) {
        const lle_batch_record *b = &r->batches[i];
        r->prefill_s += b->prefill_end_s - b->start_s;
        r->decode_s += b->end_s - b->prefill_end_s;
        r->idle_s += b->idle_before_s;
    }
    r->busy_s = r->wall_s - r->idle_s;
}

void lle_result_aggregate(lle_run_result *r)
{
    size_t n = r->n_requests, n_itl = 0, k = 0, n_tpot = 0;
    double *buf = calloc(4 * n + 1, sizeof *buf), *itl = NULL;
    /* no pointer arithmetic on a NULL buf (out of memory): that is undefined */
    double *ttft = buf, *e2e = buf != NULL ? buf + n : NULL, *tpot = buf != NULL ? buf + 2 * n : NULL;
    double *queue = buf != NULL ? buf + 3 * n : NULL;
    uint64_t decoded = 0;

    r->total_input_tokens = r->total_output_tokens = 0;
    aggregate_batches(r);
    for (size_t i = 0; i < n; i++)
        n_itl += r->requests[i].n_itl;
    itl = calloc(n_itl + 1, sizeof *itl);
    for (size_t i = 0; i < n; i++) {
        const lle_request_record *q = &r->requests[i];
        r->total_input_tokens += (uint64_t)q->n_input_tokens;
        r->total_output_tokens += (uint64_t)q->n_output_tokens;
        decoded += (uint64_t)(q->n_output_tokens - 1);
        if (buf != NULL) {
            ttft[i] = q->ttft_s;
            e2e[i] = q->e2e_s;
            queue[i] = q->queue_delay_s;
            if (q->n_output_tokens > 1)
                tpot[n_tpot++] = (q->e2e_s - q->ttft_s) / (double)(q->n_output_tokens - 1);
        }
        for (size_t j = 0; itl != NULL && j < q->n_itl; j++)
            itl[k++] = q->itl_s[j];
    }
    r->prefill_tok_s = safe_div((double)r->total_input_tokens, r->prefill_s);
    r->decode_tok_s = safe_div((double)decoded, r->decode_s);
    r->output_tok_s = safe_div((double)r->total_output_tokens, r->busy_s);
    r->total_tok_s = safe_div((double)(r->total_input_tokens + r->total_output_tokens), r->busy_s);
    r->requests_per_s = safe_div((double)n, r->wall_s);
    r->ttft = lle_stats_compute(ttft, buf ? n : 0);
    r->e2e = lle_stats_compute(e2e, buf ? n : 0);
    r->queue = lle_stats_compute(queue, buf ? n : 0);
    r->tpot = lle_stats_compute(tpot, buf ? n_tpot : 0);
    r->itl = lle_stats_compute(itl, itl ? k : 0);
    free(buf);
    free(itl);
}

static cJSON *stats_json(const lle_stats *s)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "count", (double)s->count);
    cJSON_AddNumberToObject(o, "mean", s->mean);
    cJSON_AddNumberToObject(o, "std", s->std);
    cJSON_AddNumberToObject(o, "min", s->min);
    cJSON_AddNumberToObject(o, "p50", s->p50);
    cJSON_AddNumberToObject(o, "p90", s->p90);
    cJSON_AddNumberToObject(o, "p95", s->p95);
    cJSON_AddNumberToObject(o, "p99", s->p99);
    cJSON_AddNumberToObject(o, "max", s->max);
    return o;
}

static cJSON *request_json(const lle_request_record *q)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "index", q->index);
    cJSON_AddNumberToObject(o, "repeat", q->repeat);
    cJSON_AddNumberToObject(o, "batch", q->batch);
    cJSON_AddNumberToObject(o, "input_tokens", q->n_input_tokens);
    cJSON_AddNumberToObject(o, "output_tokens", q->n_output_tokens);
    cJSON_AddBoolToObject(o, "truncated", q->truncated);
    cJSON_AddNumberToObject(o, "arrival_s", q->arrival_s);
    cJSON_AddNumberToObject(o, "start_s", q->start_s);
    cJSON_AddNumberToObject(o, "queue_delay_s", q->queue_delay_s);
    cJSON_AddNumberToObject(o, "ttft_s", q->ttft_s);
    cJSON_AddNumberToObject(o, "prefill_s", q->prefill_s);
    cJSON_AddNumberToObject(o, "decode_s", q->decode_s);
    cJSON_AddNumberToObject(o, "e2e_s", q->e2e_s);
    cJSON_AddItemToObject(o, "itl_s", cJSON_CreateDoubleArray(q->itl_s, (int)q->n_itl));
    cJSON_AddItemToObject(o, "output_token_ids",
                          cJSON_CreateIntArray((const int *)q->output_tokens, q->n_output_tokens));
    return o;
}

static cJSON *batches_json(const lle_run_result *r)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; i < r->n_batches; i++) {
        const lle_batch_record *b = &r->batches[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "repeat", b->repeat);
        cJSON_AddNumberToObject(o, "index", b->index);
        cJSON_AddNumberToObject(o, "requests", b->n_requests);
        cJSON_AddNumberToObject(o, "input_tokens", b->n_input_tokens);
        cJSON_AddNumberToObject(o, "output_tokens", b->n_output_tokens);
        cJSON_AddNumberToObject(o, "idle_before_s", b->idle_before_s);
        cJSON_AddNumberToObject(o, "start_s", b->start_s);
        cJSON_AddNumberToObject(o, "prefill_end_s", b->prefill_end_s);
        cJSON_AddNumberToObject(o, "end_s", b->end_s);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *metrics_json(const lle_run_result *r)
{
    cJSON *m = cJSON_CreateObject();

    cJSON_AddNumberToObject(m, "requests", (double)r->n_requests);
    cJSON_AddNumberToObject(m, "input_tokens", (double)r->total_input_tokens);
    cJSON_AddNumberToObject(m, "output_tokens", (double)r->total_output_tokens);
    cJSON_AddNumberToObject(m, "batches", (double)r->n_batches);
    cJSON_AddNumberToObject(m, "prompts_truncated", r->prompts_truncated);
    cJSON_AddNumberToObject(m, "prompt_entries_skipped", r->prompt_entries_skipped);
    cJSON_AddNumberToObject(m, "wall_s", r->wall_s);
    cJSON_AddNumberToObject(m, "busy_s", r->busy_s);
    cJSON_AddNumberToObject(m, "idle_s", r->idle_s);
    cJSON_AddNumberToObject(m, "prefill_s", r->prefill_s);
    cJSON_AddNumberToObject(m, "decode_s", r->decode_s);
    cJSON_AddNumberToObject(m, "prefill_fraction", safe_div(r->prefill_s, r->prefill_s + r->decode_s));
    cJSON_AddNumberToObject(m, "prefill_tokens_per_s", r->prefill_tok_s);
    cJSON_AddNumberToObject(m, "decode_tokens_per_s", r->decode_tok_s);
    cJSON_AddNumberToObject(m, "output_tokens_per_s", r->output_tok_s);
    cJSON_AddNumberToObject(m, "total_tokens_per_s", r->total_tok_s);
    cJSON_AddNumberToObject(m, "requests_per_s", r->requests_per_s);
    cJSON_AddItemToObject(m, "ttft_s", stats_json(&r->ttft));
    cJSON_AddItemToObject(m, "tpot_s", stats_json(&r->tpot));
    cJSON_AddItemToObject(m, "itl_s", stats_json(&r->itl));
    cJSON_AddItemToObject(m, "e2e_s", stats_json(&r->e2e));
    cJSON_AddItemToObject(m, "queue_delay_s", stats_json(&r->queue));
    cJSON_AddNumberToObject(m, "decode_bytes", r->decode_bytes);
    cJSON_AddItemToObject(m, "mfu", lle_utilisation_json(&r->mfu));
    cJSON_AddItemToObject(m, "mfu_prefill", lle_utilisation_json(&r->mfu_prefill));
    cJSON_AddItemToObject(m, "mbu", lle_utilisation_json(&r->mbu));
    cJSON_AddItemToObject(m, "peaks", lle_peaks_json(&r->peaks));
    cJSON_AddNumberToObject(m, "peak_rss_bytes", (double)r->peak_rss_bytes);
    cJSON_AddNumberToObject(m, "model_bytes", (double)r->model_bytes);
    cJSON_AddNumberToObject(m, "kv_cache_bytes", (double)r->kv_cache_bytes);
    return m;
}

/* The "flops" object (docs/flops.md), with the reason when executed FLOPs are absent. */
static cJSON *flops_json(const lle_run_result *r)
{
    cJSON *o = lle_flops_summary_json(&r->flops);

    if (o != NULL && r->flops_error[0] != '\0')
        cJSON_AddStringToObject(o, "executed_error", r->flops_error);
    return o;
}

char *lle_run_result_to_json(const lle_run_result *r, bool include_requests)
{
    cJSON *root = cJSON_CreateObject();
    char *model = lle_model_info_to_json(&r->model);
    char *out = NULL;
    cJSON *env;

    cJSON_AddNumberToObject(root, "schema_version", RESULT_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "id", r->id);
    cJSON_AddStringToObject(root, "status", r->status);
    if (r->error[0] != '\0')
        cJSON_AddStringToObject(root, "error", r->error);
    cJSON_AddStringToObject(root, "started_at", r->started_at);
    cJSON_AddItemToObject(root, "config", cJSON_Parse(r->config_json));
    cJSON_AddItemToObject(root, "model", model ? cJSON_Parse(model) : cJSON_CreateNull());
    env = lle_environment_json();
    cJSON_AddItemToObject(root, "environment", env ? env : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "metrics", metrics_json(r));
    cJSON_AddItemToObject(root, "batches", batches_json(r));
    if (r->energy_json != NULL)
        cJSON_AddItemToObject(root, "energy", cJSON_Parse(r->energy_json));
    if (r->flops.has_model || r->flops_error[0] != '\0')
        cJSON_AddItemToObject(root, "flops", flops_json(r));
    if (include_requests) {
        cJSON *arr = cJSON_AddArrayToObject(root, "requests");
        for (size_t i = 0; i < r->n_requests; i++)
            cJSON_AddItemToArray(arr, request_json(&r->requests[i]));
    }
    out = cJSON_Print(root);
    cJSON_Delete(root);
    free(model);
    return out;
}

/* The JSON file, the database row and the power time series
 * (lle_store_save_document: file first, then one transaction). */
lle_status lle_run_result_save(const lle_run_result *r, const char *results_dir, char *path_out, size_t path_out_size,
                               lle_error *err)
{
    char path[4200];
    char *json = lle_run_result_to_json(r, true);
    lle_store *store = NULL;
    lle_status st = json != NULL ? lle_store_save_document(results_dir, r->id, json, path, sizeof path, &store, err)
                                 : lle_fail(err, LLE_ERR_NOMEM, "out of memory writing results");

    if (st == LLE_OK && r->energy_meter != NULL)
        st = lle_meter_timeseries_store(r->energy_meter, store, r->id, r->energy_origin_s, err);
    if (st == LLE_OK && path_out != NULL)
        lle_strlcpy(path_out, path, path_out_size);
    lle_store_close(store);
    free(json);
    return st;
}
