/* remote_json.c — the result document of a remote run: the top-level fields
 * of docs/results-schema.md (id, status, config, model, environment, metrics,
 * batches, requests) filled for a server — figures that only exist in-process
 * (prefill/decode phases, KV cache, model file) are null, never guessed — plus
 * the remote fields of docs/remote.md (window, rates, goodput, errors by
 * class, token-count sources, energy, failed and excluded requests), and the
 * atomic save into the results directory and its database. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/environment.h"
#include "common/util.h"
#include "lle/store.h"
#include "remote/remote_internal.h"
#include "store/store_internal.h"

#define RESULT_SCHEMA_VERSION 1

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

static void add_count_or_null(cJSON *o, const char *k, int v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void request_remote_fields(cJSON *o, const lle_remote_request *q)
{
    cJSON_AddNumberToObject(o, "send_s", q->send_s);
    if (q->first_byte_s >= 0)
        cJSON_AddNumberToObject(o, "first_byte_s", q->first_byte_s);
    else
        cJSON_AddNullToObject(o, "first_byte_s");
    cJSON_AddNumberToObject(o, "done_s", q->done_s);
    cJSON_AddStringToObject(o, "error_class", lle_remote_class_name(q->cls));
    if (q->cls != LLE_RC_OK)
        cJSON_AddStringToObject(o, "error", q->error);
    cJSON_AddNumberToObject(o, "http_status", q->http_status);
    cJSON_AddNumberToObject(o, "user", q->user);
    cJSON_AddBoolToObject(o, "in_window", q->in_window);
    cJSON_AddStringToObject(o, "token_count_source", q->output_token_source);
    cJSON_AddStringToObject(o, "input_token_source", q->input_token_source);
    add_count_or_null(o, "usage_input_tokens", q->usage_input_tokens);
    add_count_or_null(o, "usage_output_tokens", q->usage_output_tokens);
    add_count_or_null(o, "local_input_tokens", q->local_input_tokens);
    add_count_or_null(o, "local_output_tokens", q->local_output_tokens);
    cJSON_AddNumberToObject(o, "chunks", q->n_chunks);
    cJSON_AddNumberToObject(o, "empty_chunks", q->n_empty_chunks);
    cJSON_AddItemToObject(o, "chunk_t_s", cJSON_CreateDoubleArray(q->chunk_t_s, q->chunk_t_s ? q->n_chunks : 0));
    if (q->chunk_tokens != NULL)
        cJSON_AddItemToObject(o, "chunk_tokens", cJSON_CreateIntArray(q->chunk_tokens, q->n_chunks));
    else
        cJSON_AddNullToObject(o, "chunk_tokens");
    cJSON_AddStringToObject(o, "itl_basis", q->itl_basis[0] ? q->itl_basis : "none");
    cJSON_AddStringToObject(o, "finish_reason", q->finish_reason);
}

static cJSON *request_json(const lle_remote_request *q)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "index", q->rec.index);
    cJSON_AddNumberToObject(o, "repeat", 0);
    cJSON_AddNumberToObject(o, "batch", 0);
    cJSON_AddNumberToObject(o, "input_tokens", q->rec.n_input_tokens);
    cJSON_AddNumberToObject(o, "output_tokens", q->rec.n_output_tokens);
    cJSON_AddBoolToObject(o, "truncated", false);
    cJSON_AddNumberToObject(o, "arrival_s", q->rec.arrival_s);
    cJSON_AddNumberToObject(o, "start_s", q->rec.start_s);
    cJSON_AddNumberToObject(o, "queue_delay_s", q->rec.queue_delay_s);
    cJSON_AddNumberToObject(o, "ttft_s", q->rec.ttft_s);
    cJSON_AddNumberToObject(o, "prefill_s", q->rec.prefill_s);
    cJSON_AddNumberToObject(o, "decode_s", q->rec.decode_s);
    cJSON_AddNumberToObject(o, "e2e_s", q->rec.e2e_s);
    cJSON_AddItemToObject(o, "itl_s", cJSON_CreateDoubleArray(q->rec.itl_s, q->rec.itl_s ? (int)q->rec.n_itl : 0));
    cJSON_AddItemToObject(o, "output_token_ids", cJSON_CreateArray());
    request_remote_fields(o, q);
    return o;
}

static cJSON *errors_json(const lle_remote_result *r)
{
    cJSON *o = cJSON_CreateObject();

    for (int c = 1; c < LLE_RC_COUNT; c++)
        cJSON_AddNumberToObject(o, lle_remote_class_name((lle_remote_class)c), (double)r->class_counts[c]);
    return o;
}

static void add_nulls(cJSON *m, const char *const *keys)
{
    for (; *keys != NULL; keys++)
        cJSON_AddNullToObject(m, *keys);
}

static cJSON *metrics_json(const lle_remote_result *r)
{
    static const char *const NOT_MEASURED[] = {
        "prefill_s",           "decode_s",    "prefill_fraction", "prefill_tokens_per_s",
        "decode_tokens_per_s", "model_bytes", "kv_cache_bytes",   NULL};
    cJSON *m = cJSON_CreateObject();

    cJSON_AddNumberToObject(m, "requests", (double)r->ttft.count); /* in-window successes */
    cJSON_AddNumberToObject(m, "batches", 0);
    cJSON_AddNumberToObject(m, "input_tokens", (double)r->input_tokens);
    cJSON_AddNumberToObject(m, "output_tokens", (double)r->output_tokens);
    cJSON_AddNumberToObject(m, "prompts_truncated", 0);
    cJSON_AddNumberToObject(m, "wall_s", r->wall_s);
    cJSON_AddNumberToObject(m, "busy_s", r->wall_s);
    cJSON_AddNumberToObject(m, "idle_s", 0);
    add_nulls(m, NOT_MEASURED);
    cJSON_AddNumberToObject(m, "output_tokens_per_s", r->output_tok_s);
    cJSON_AddNumberToObject(m, "total_tokens_per_s", r->total_tok_s);
    cJSON_AddNumberToObject(m, "requests_per_s", r->completion_rate);
    cJSON_AddItemToObject(m, "ttft_s", stats_json(&r->ttft));
    cJSON_AddItemToObject(m, "tpot_s", stats_json(&r->tpot));
    cJSON_AddItemToObject(m, "itl_s", stats_json(&r->itl));
    cJSON_AddItemToObject(m, "e2e_s", stats_json(&r->e2e));
    cJSON_AddItemToObject(m, "queue_delay_s", stats_json(&r->queue));
    cJSON_AddItemToObject(m, "chunk_gap_s", stats_json(&r->chunk_gap));
    cJSON_AddNumberToObject(m, "peak_rss_bytes", (double)r->peak_rss_bytes);
    return m;
}

static cJSON *remote_json(const lle_remote_result *r)
{
    cJSON *o = cJSON_CreateObject(), *w = cJSON_AddObjectToObject(o, "window"), *g, *t;

    cJSON_AddNumberToObject(w, "open_s", r->window_open_s);
    cJSON_AddNumberToObject(w, "close_s", r->window_close_s);
    cJSON_AddNumberToObject(w, "run_s", r->run_s);
    cJSON_AddNumberToObject(w, "t0_mono_s", r->t0_mono_s);
    cJSON_AddNumberToObject(o, "requests_sent", (double)r->n_requests);
    cJSON_AddNumberToObject(o, "requests_ok", (double)r->n_ok);
    cJSON_AddNumberToObject(o, "requests_failed", (double)r->n_failed);
    cJSON_AddNumberToObject(o, "requests_in_window", (double)r->n_in_window);
    cJSON_AddNumberToObject(o, "error_rate", r->n_requests > 0 ? (double)r->n_failed / (double)r->n_requests : 0.0);
    cJSON_AddItemToObject(o, "errors_by_class", errors_json(r));
    cJSON_AddNumberToObject(o, "warmup_requests", r->n_warmup);
    cJSON_AddNumberToObject(o, "warmup_failed", r->n_warmup_failed);
    cJSON_AddNumberToObject(o, "offered_rate", r->offered_rate);
    cJSON_AddNumberToObject(o, "scheduled_rate", r->scheduled_rate);
    cJSON_AddNumberToObject(o, "send_rate", r->send_rate);
    cJSON_AddNumberToObject(o, "completion_rate", r->completion_rate);
    cJSON_AddNumberToObject(o, "window_output_tokens", r->window_output_tokens);
    cJSON_AddNumberToObject(o, "max_concurrency", r->max_concurrency);
    g = cJSON_AddObjectToObject(o, "goodput");
    cJSON_AddNumberToObject(g, "requests", (double)r->n_good);
    cJSON_AddNumberToObject(g, "requests_per_s", r->goodput_rps);
    cJSON_AddNumberToObject(g, "slo_attainment", r->slo_attainment);
    t = cJSON_AddObjectToObject(o, "token_counts");
    cJSON_AddNumberToObject(t, "compared", (double)r->n_usage_compared);
    cJSON_AddNumberToObject(t, "mismatched", (double)r->n_usage_mismatch);
    cJSON_AddNumberToObject(t, "abs_diff_mean", r->usage_abs_diff_mean);
    if (r->sweep_index >= 0) {
        cJSON *s = cJSON_AddObjectToObject(o, "sweep");
        cJSON_AddNumberToObject(s, "index", r->sweep_index);
        cJSON_AddNumberToObject(s, "value", r->sweep_value);
        cJSON_AddBoolToObject(s, "saturated", r->saturated);
    }
    return o;
}

static cJSON *energy_json(const lle_remote_result *r)
{
    const lle_remote_energy *e = &r->energy;
    cJSON *o = cJSON_CreateObject(), *gpus;

    cJSON_AddBoolToObject(o, "available", e->available);
    if (e->source[0] != '\0')
        cJSON_AddStringToObject(o, "source", e->source);
    else
        cJSON_AddNullToObject(o, "source");
    if (!e->available) {
        cJSON_AddStringToObject(o, "reason", e->reason);
        return o;
    }
    cJSON_AddStringToObject(o, "kind", "measured");
    cJSON_AddNumberToObject(o, "energy_j", e->energy_j);
    cJSON_AddNumberToObject(o, "t_open_s", e->t_open_s);
    cJSON_AddNumberToObject(o, "t_close_s", e->t_close_s);
    cJSON_AddNumberToObject(o, "scrape_open_s", e->scrape_open_s);
    cJSON_AddNumberToObject(o, "scrape_close_s", e->scrape_close_s);
    if (r->window_output_tokens > 0)
        cJSON_AddNumberToObject(o, "joules_per_output_token", e->energy_j / r->window_output_tokens);
    else
        cJSON_AddNullToObject(o, "joules_per_output_token");
    gpus = cJSON_AddArrayToObject(o, "gpus");
    for (int i = 0; i < e->n_gpus; i++) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "gpu", e->gpu[i]);
        cJSON_AddStringToObject(g, "uuid", e->uuid[i]);
        cJSON_AddNumberToObject(g, "start_mj", e->start_mj[i]);
        cJSON_AddNumberToObject(g, "end_mj", e->end_mj[i]);
        cJSON_AddNumberToObject(g, "energy_j", (e->end_mj[i] - e->start_mj[i]) / 1000.0);
        cJSON_AddItemToArray(gpus, g);
    }
    return o;
}

static cJSON *model_json(const lle_remote_result *r, const cJSON *config)
{
    cJSON *m = cJSON_CreateObject();
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(config, "tokenizer");

    cJSON_AddStringToObject(m, "name", r->model_name);
    cJSON_AddStringToObject(m, "served_at", r->base_url);
    cJSON_AddStringToObject(m, "source", "remote");
    cJSON_AddItemToObject(m, "local_tokenizer", tok != NULL ? cJSON_Duplicate(tok, 1) : cJSON_CreateNull());
    return m;
}

static void requests_json(cJSON *root, const lle_remote_result *r, bool include)
{
    cJSON *ok = cJSON_AddArrayToObject(root, "requests");
    cJSON *out = include ? cJSON_AddArrayToObject(root, "excluded_requests") : NULL;
    cJSON *bad = include ? cJSON_AddArrayToObject(root, "failed_requests") : NULL;

    for (size_t i = 0; include && i < r->n_requests; i++) {
        const lle_remote_request *q = &r->requests[i];
        cJSON_AddItemToArray(q->cls != LLE_RC_OK ? bad : q->in_window ? ok : out, request_json(q));
    }
}

char *lle_remote_result_to_json(const lle_remote_result *r, bool include_requests)
{
    cJSON *root = cJSON_CreateObject(), *env = lle_environment_json();
    cJSON *config = cJSON_Parse(r->config_json != NULL ? r->config_json : "{}");
    char *out;

    cJSON_AddNumberToObject(root, "schema_version", RESULT_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "id", r->id);
    cJSON_AddStringToObject(root, "status", r->status);
    if (r->error[0] != '\0')
        cJSON_AddStringToObject(root, "error", r->error);
    cJSON_AddStringToObject(root, "started_at", r->started_at);
    cJSON_AddItemToObject(root, "model", model_json(r, config));
    cJSON_AddItemToObject(root, "config", config != NULL ? config : cJSON_CreateObject());
    if (env != NULL)
        cJSON_AddStringToObject(env, "role", "client");
    cJSON_AddItemToObject(root, "environment", env != NULL ? env : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "metrics", metrics_json(r));
    cJSON_AddItemToObject(root, "remote", remote_json(r));
    cJSON_AddItemToObject(root, "energy", energy_json(r));
    cJSON_AddItemToObject(root, "batches", cJSON_CreateArray());
    requests_json(root, r, include_requests);
    out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}

lle_status lle_remote_result_save(const lle_remote_result *r, const char *results_dir, char *path_out,
                                  size_t path_out_size, lle_error *err)
{
    char path[4200];
    char *json = lle_remote_result_to_json(r, true);
    lle_store *store = NULL;
    lle_status st = json != NULL ? lle_store_save_document(results_dir, r->id, json, path, sizeof path, &store, err)
                                 : lle_fail(err, LLE_ERR_NOMEM, "out of memory writing results");

    if (st == LLE_OK && path_out != NULL)
        lle_strlcpy(path_out, path, path_out_size);
    lle_store_close(store);
    free(json);
    return st;
}
