/* fields.c — the catalogue of the flat experiments table: every exported
 * column's stable name, SQL type, unit, where it comes from in the result
 * document (docs/results-schema.md, docs/metrics.md, docs/energy.md), whether
 * it is measured, computed, or energy labelled by a method column, and which
 * direction is better; and binding one document's values into an INSERT.
 * docs/results.md lists the same table for people. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

#define N_ RB_NONE
#define LO RB_LOWER
#define HI RB_HIGHER

/* clang-format off */
#define ID(n, k, d, ...) {n, k, RG_ID, RP_NONE, N_, "", {__VA_ARGS__, NULL}, NULL, d, NULL}
#define CFG(n, k, u, d) {n, k, RG_CONFIG, RP_NONE, N_, u, {"config", n, NULL}, NULL, d, NULL}
#define MOD(n, k, u, d, f) {n, k, RG_MODEL, RP_NONE, N_, u, {"model", f, NULL}, NULL, d, NULL}
#define ENV(n, k, u, d) {n, k, RG_ENV, RP_NONE, N_, u, {"environment", n, NULL}, NULL, d, NULL}
#define MET(n, k, b, u, d) {n, k, RG_METRIC, RP_MEASURED, b, u, {"metrics", n, NULL}, NULL, d, NULL}
#define DIST(m, s, d) {#m "_" #s "_s", RK_REAL, RG_METRIC, RP_MEASURED, LO, "s", {"metrics", #m "_s", #s, NULL}, \
                       NULL, #s " of " d, NULL}
#define DIST8(m, d) DIST(m, mean, d), DIST(m, std, d), DIST(m, min, d), DIST(m, p50, d), DIST(m, p90, d), \
                    DIST(m, p95, d), DIST(m, p99, d), DIST(m, max, d)
#define EN(n, k, b, u, mc, d, ...) {n, k, RG_ENERGY, RP_ENERGY, b, u, {"energy", __VA_ARGS__, NULL}, mc, d, NULL}
#define ENT(n, k, u, d, ...) {n, k, RG_ENERGY, RP_NONE, N_, u, {"energy", __VA_ARGS__, NULL}, NULL, d, NULL}
#define SPECIAL(n, k, g, u, d, fn) {n, k, g, RP_NONE, N_, u, {NULL}, NULL, d, fn}
/* clang-format on */

static const cJSON *at(const cJSON *n, const char *const *path)
{
    for (size_t i = 0; path[i] != NULL && n != NULL; i++)
        n = cJSON_IsObject(n) ? cJSON_GetObjectItemCaseSensitive(n, path[i]) : NULL;
    return cJSON_IsNull(n) ? NULL : n;
}

static void text_or(const cJSON *doc, const char *const *path, const char *dflt, rbuf *t, bool *is_null)
{
    const cJSON *n = at(doc, path);

    if (cJSON_IsString(n))
        rbuf_puts(t, n->valuestring);
    else if (dflt != NULL)
        rbuf_puts(t, dflt);
    else
        *is_null = true;
}

static void x_source(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"source", NULL};
    (void)num;
    text_or(doc, p, "llm-efficiency", t, is_null);
}

static void x_kind(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"kind", NULL};
    (void)num;
    text_or(doc, p, "run", t, is_null);
}

static void x_model_path(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p1[] = {"config", "model_path", NULL}, *const p2[] = {"model", "path", NULL};
    (void)num;
    if (cJSON_IsString(at(doc, p1)))
        text_or(doc, p1, NULL, t, is_null);
    else
        text_or(doc, p2, NULL, t, is_null);
}

/* A value that may be a number or a string (carbon_intensity: 475 or "FRA"). */
static void x_carbon_setting(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"config", "carbon_intensity", NULL};
    const cJSON *n = at(doc, p);
    (void)num;
    if (cJSON_IsNumber(n))
        rbuf_double(t, n->valuedouble);
    else
        text_or(doc, p, NULL, t, is_null);
}

/* "estimate:cpu=estimated,estimate:ram=estimated": every source of the
 * experiment window with its method. */
static void x_sources_used(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"energy", "window", "sources", NULL};
    const cJSON *s = NULL, *arr = at(doc, p);
    size_t k = 0;
    (void)num;
    cJSON_ArrayForEach(s, arr)
    {
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(s, "source");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "method");
        if (!cJSON_IsString(src))
            continue;
        rbuf_printf(t, "%s%s=%s", k++ ? "," : "", src->valuestring, cJSON_IsString(m) ? m->valuestring : "?");
    }
    *is_null = k == 0;
}

static void x_gpu_names(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"environment", "gpus", NULL};
    const cJSON *g = NULL, *arr = at(doc, p);
    size_t k = 0;
    (void)num;
    cJSON_ArrayForEach(g, arr)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
        rbuf_printf(t, "%s%s", k++ ? "," : "", cJSON_IsString(name) ? name->valuestring : "?");
    }
    *is_null = k == 0;
}

static void x_gpu_count(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"environment", "gpus", NULL};
    const cJSON *arr = at(doc, p);
    (void)t;
    *is_null = !cJSON_IsArray(arr);
    *num = cJSON_IsArray(arr) ? (double)cJSON_GetArraySize(arr) : 0.0;
}

/* "[[start_s,prefill_end_s,end_s],...]" of every batch (seconds from the
 * measured window's start, the time base of the timeseries table). */
static void x_batch_windows(const cJSON *doc, rbuf *t, double *num, bool *is_null)
{
    static const char *const p[] = {"batches", NULL};
    static const char *const keys[] = {"start_s", "prefill_end_s", "end_s"};
    const cJSON *b = NULL, *arr = at(doc, p);
    size_t k = 0;
    (void)num;
    rbuf_putc(t, '[');
    cJSON_ArrayForEach(b, arr)
    {
        rbuf_puts(t, k++ ? ",[" : "[");
        for (size_t i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, keys[i]);
            if (i)
                rbuf_putc(t, ',');
            if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
                rbuf_double(t, v->valuedouble);
            else
                rbuf_puts(t, "null");
        }
        rbuf_putc(t, ']');
    }
    rbuf_putc(t, ']');
    *is_null = !cJSON_IsArray(arr);
}

const res_field RES_FIELDS[] = {
    /* identity */
    ID("id", RK_TEXT, "experiment id (UTC time + random bits; sortable)", "id"),
    ID("status", RK_TEXT, "completed, interrupted or failed", "status"),
    ID("error", RK_TEXT, "why the run failed or stopped", "error"),
    ID("started_at", RK_TEXT, "UTC ISO 8601 start time", "started_at"),
    SPECIAL("source", RK_TEXT, RG_ID, "", "llm-efficiency, or legacy for imported thesis-tool results", x_source),
    SPECIAL("kind", RK_TEXT, RG_ID, "", "run (an experiment) or measure (a measured command)", x_kind),
    ID("campaign_id", RK_TEXT, "campaign that ran it", "campaign", "id"),
    ID("campaign_label", RK_TEXT, "campaign variant label", "campaign", "label"),
    ID("campaign_cycle", RK_INT, "campaign cycle (1-based)", "campaign", "cycle"),
    ID("config_hash", RK_TEXT, "hash of the resolved configuration (campaigns)", "campaign", "config_hash"),
    /* configuration (docs/configuration.md) */
    CFG("engine", RK_TEXT, "", "inference engine"),
    SPECIAL("model_path", RK_TEXT, RG_CONFIG, "", "GGUF file (config.model_path, else model.path)", x_model_path),
    CFG("preset", RK_TEXT, "", "synthesised preset"),
    CFG("preset_type", RK_TEXT, "", "weight type of the preset model"),
    CFG("kv_type", RK_TEXT, "", "KV cache type"),
    CFG("flash_attn", RK_TEXT, "", "flash attention auto/on/off"),
    CFG("n_ctx", RK_INT, "tokens", "context size (KV cells)"),
    CFG("threads", RK_INT, "", "decode threads"),
    CFG("threads_batch", RK_INT, "", "prompt-processing threads"),
    CFG("n_batch", RK_INT, "tokens", "llama.cpp logical batch"),
    CFG("n_ubatch", RK_INT, "tokens", "llama.cpp physical batch"),
    CFG("n_gpu_layers", RK_INT, "layers", "layers offloaded to a GPU"),
    CFG("split_mode", RK_TEXT, "", "multi-GPU split mode"),
    CFG("main_gpu", RK_INT, "", "main GPU"),
    CFG("decoding_preset", RK_TEXT, "", "decoding preset"),
    CFG("decoding", RK_TEXT, "", "greedy or sampling"),
    CFG("temperature", RK_REAL, "", "sampling temperature (0 = greedy)"),
    CFG("top_k", RK_INT, "", "top-k (0 = off)"),
    CFG("top_p", RK_REAL, "", "top-p (1 = off)"),
    CFG("min_p", RK_REAL, "", "min-p (0 = off)"),
    CFG("repeat_penalty", RK_REAL, "", "repeat penalty (1 = off)"),
    CFG("repeat_last_n", RK_INT, "tokens", "repeat penalty window"),
    CFG("ignore_eos", RK_BOOL, "", "end-of-generation tokens masked"),
    CFG("min_output_tokens", RK_INT, "tokens", "EOS masked until this many"),
    CFG("seed", RK_INT, "", "seed of prompts, order, traffic and sampling"),
    CFG("prompts", RK_INT, "requests", "number of requests"),
    CFG("prompt_source", RK_TEXT, "", "synthetic or a prompt file"),
    CFG("prompt_file", RK_TEXT, "", "prompt file"),
    CFG("prompt_format", RK_TEXT, "", "prompt file format"),
    CFG("prompt_order", RK_TEXT, "", "as_given, sorted or shuffled"),
    CFG("max_input_tokens", RK_INT, "tokens", "prompts cut to this many tokens"),
    CFG("min_input_tokens", RK_INT, "tokens", "shortest synthetic prompt (0 = fixed)"),
    CFG("max_output_tokens", RK_INT, "tokens", "tokens generated per prompt"),
    CFG("batching", RK_TEXT, "", "fixed or adaptive"),
    CFG("batch_size", RK_INT, "sequences", "prompts decoded together (fixed batching)"),
    CFG("adaptive_tokens", RK_INT, "tokens", "adaptive batching token budget"),
    CFG("adaptive_max_batch", RK_INT, "sequences", "most prompts in an adaptive batch"),
    CFG("traffic", RK_TEXT, "", "none, constant, uniform, burst or poisson"),
    CFG("delay_s", RK_REAL, "s", "constant idle between batches"),
    CFG("delay_min_s", RK_REAL, "s", "uniform idle, lower bound"),
    CFG("delay_max_s", RK_REAL, "s", "uniform idle, upper bound"),
    CFG("burst_size", RK_INT, "requests", "burst size"),
    CFG("burst_interval_s", RK_REAL, "s", "burst interval"),
    CFG("rate_per_s", RK_REAL, "1/s", "poisson arrival rate"),
    CFG("warmup", RK_INT, "batches", "unmeasured warmup batches"),
    CFG("repeat", RK_INT, "passes", "measured passes over the prompts"),
    {"energy_on", RK_BOOL, RG_CONFIG, RP_NONE, N_, "", {"config", "energy", NULL}, NULL, "energy measured", NULL},
    CFG("energy_interval_s", RK_REAL, "s", "power sampler period"),
    CFG("idle_baseline_s", RK_REAL, "s", "idle baseline duration"),
    CFG("baseline_ttl_s", RK_REAL, "s", "reuse of a cached baseline"),
    CFG("energy_sources", RK_TEXT, "", "energy source kinds allowed (null = all)"),
    CFG("energy_estimates", RK_BOOL, "", "CPU/RAM estimated where no counter covers them"),
    CFG("cpu_tdp_w", RK_REAL, "W", "CPU TDP given for the estimate (0 = looked up)"),
    SPECIAL("carbon_intensity", RK_TEXT, RG_CONFIG, "", "carbon intensity setting (g/kWh, country or region)",
            x_carbon_setting),
    CFG("pue", RK_REAL, "", "power usage effectiveness"),
    /* model */
    MOD("model_name", RK_TEXT, "", "model name (GGUF general.name)", "name"),
    MOD("model_arch", RK_TEXT, "", "architecture", "arch"),
    MOD("model_file_type", RK_TEXT, "", "weight type: precision/quantisation", "file_type"),
    MOD("model_n_params", RK_INT, "parameters", "parameters", "n_params"),
    MOD("model_bits_per_weight", RK_REAL, "bits", "bits per weight", "bits_per_weight"),
    MOD("model_n_layer", RK_INT, "", "layers", "n_layer"),
    MOD("model_n_embd", RK_INT, "", "embedding width", "n_embd"),
    MOD("model_file_bytes", RK_INT, "bytes", "file size", "file_bytes"),
    /* metrics (docs/metrics.md) */
    MET("requests", RK_INT, N_, "requests", "completed requests"),
    MET("batches", RK_INT, N_, "batches", "batches"),
    MET("input_tokens", RK_INT, N_, "tokens", "input tokens, summed"),
    MET("output_tokens", RK_INT, N_, "tokens", "output tokens, summed"),
    MET("prompts_truncated", RK_INT, N_, "prompts", "prompts cut to max_input_tokens"),
    MET("wall_s", RK_REAL, LO, "s", "measured window"),
    MET("busy_s", RK_REAL, N_, "s", "window minus simulated idle"),
    MET("idle_s", RK_REAL, N_, "s", "simulated idle"),
    MET("prefill_s", RK_REAL, N_, "s", "prefill phases, summed"),
    MET("decode_s", RK_REAL, N_, "s", "decode phases, summed"),
    MET("prefill_fraction", RK_REAL, N_, "", "prefill_s / (prefill_s + decode_s)"),
    MET("prefill_tokens_per_s", RK_REAL, HI, "tokens/s", "input tokens / prefill_s"),
    MET("decode_tokens_per_s", RK_REAL, HI, "tokens/s", "tokens after the first / decode_s"),
    MET("output_tokens_per_s", RK_REAL, HI, "tokens/s", "output tokens / busy_s"),
    MET("total_tokens_per_s", RK_REAL, HI, "tokens/s", "(input + output tokens) / busy_s"),
    MET("requests_per_s", RK_REAL, HI, "1/s", "requests / wall_s"),
    DIST8(ttft, "time to first token"),
    DIST8(tpot, "time per output token"),
    DIST8(itl, "inter-token latency"),
    DIST8(e2e, "end-to-end latency"),
    DIST8(queue_delay, "queue delay"),
    MET("peak_rss_bytes", RK_INT, LO, "bytes", "peak resident set size"),
    MET("model_bytes", RK_INT, N_, "bytes", "model file size"),
    {"batch_windows_s",
     RK_TEXT,
     RG_METRIC,
     RP_MEASURED,
     N_,
     "s",
     {NULL},
     NULL,
     "JSON [[start_s, prefill_end_s, end_s], ...] per batch, from the window start",
     x_batch_windows},
    {"kv_cache_bytes",
     RK_INT,
     RG_METRIC,
     RP_COMPUTED,
     LO,
     "bytes",
     {"metrics", "kv_cache_bytes", NULL},
     NULL,
     "KV cache size computed from n_ctx and the KV types",
     NULL},
    /* energy (docs/energy.md) */
    ENT("energy_method", RK_TEXT, "", "measured, estimated, mixed or none (total)", "total", "method"),
    EN("energy_j", RK_REAL, LO, "J", "energy_method", "total energy of the window (gross)", "total", "energy_j"),
    EN("net_energy_j", RK_REAL, LO, "J", "energy_method", "energy minus idle baseline", "total", "net_energy_j"),
    {"energy_measured_j",
     RK_REAL,
     RG_ENERGY,
     RP_MEASURED,
     N_,
     "J",
     {"energy", "total", "measured_j", NULL},
     NULL,
     "part of energy_j from counters and sensors",
     NULL},
    {"energy_estimated_j",
     RK_REAL,
     RG_ENERGY,
     RP_ESTIMATED,
     N_,
     "J",
     {"energy", "total", "estimated_j", NULL},
     NULL,
     "part of energy_j from the CPU/RAM estimates",
     NULL},
    EN("avg_power_w", RK_REAL, LO, "W", "energy_method", "energy_j / duration", "total", "avg_power_w"),
    ENT("energy_partial", RK_BOOL, "", "a source was lost or failed during the window", "total", "partial"),
    SPECIAL("energy_sources_used", RK_TEXT, RG_ENERGY, "", "source=method for every energy source", x_sources_used),
    ENT("baseline_origin", RK_TEXT, "", "idle baseline: measured, cache or none", "baseline", "origin"),
    ENT("prefill_energy_method", RK_TEXT, "", "method of the prefill phase energy", "phases", "prefill", "method"),
    EN("prefill_energy_j", RK_REAL, LO, "J", "prefill_energy_method", "prefill phases energy", "phases", "prefill",
       "energy_j"),
    EN("prefill_j_per_token", RK_REAL, LO, "J/token", "prefill_energy_method", "prefill energy per input token",
       "phases", "prefill", "j_per_token"),
    ENT("decode_energy_method", RK_TEXT, "", "method of the decode phase energy", "phases", "decode", "method"),
    EN("decode_energy_j", RK_REAL, LO, "J", "decode_energy_method", "decode phases energy", "phases", "decode",
       "energy_j"),
    EN("decode_j_per_token", RK_REAL, LO, "J/token", "decode_energy_method", "decode energy per output token", "phases",
       "decode", "j_per_token"),
    EN("j_per_output_token", RK_REAL, LO, "J/token", "energy_method", "energy_j / output tokens", "derived",
       "j_per_output_token"),
    EN("j_per_output_token_net", RK_REAL, LO, "J/token", "energy_method", "net_energy_j / output tokens", "derived",
       "j_per_output_token_net"),
    EN("j_per_request", RK_REAL, LO, "J", "energy_method", "energy_j / requests", "derived", "j_per_request"),
    EN("output_tokens_per_j", RK_REAL, HI, "tokens/J", "energy_method", "output tokens / energy_j", "derived",
       "output_tokens_per_j"),
    EN("wh_per_1000_requests", RK_REAL, LO, "Wh", "energy_method", "Wh per 1,000 requests", "derived",
       "wh_per_1000_requests"),
    EN("g_co2e", RK_REAL, LO, "g", "energy_method", "kWh x intensity x PUE", "carbon", "g_co2e"),
    EN("g_co2e_net", RK_REAL, LO, "g", "energy_method", "from net energy", "carbon", "g_co2e_net"),
    ENT("carbon_intensity_g_per_kwh", RK_REAL, "g/kWh", "intensity used", "carbon", "intensity_g_per_kwh"),
    ENT("carbon_region", RK_TEXT, "", "region of the intensity", "carbon", "region"),
    /* environment */
    ENV("hostname", RK_TEXT, "", "machine"),
    ENV("cpu_model", RK_TEXT, "", "CPU model"),
    ENV("cpu_cores", RK_INT, "", "CPU cores"),
    ENV("memory_total_bytes", RK_INT, "bytes", "installed memory"),
    ENV("os", RK_TEXT, "", "operating system"),
    ENV("kernel", RK_TEXT, "", "kernel release"),
    ENV("machine", RK_TEXT, "", "architecture"),
    SPECIAL("gpu_count", RK_INT, RG_ENV, "", "GPUs", x_gpu_count),
    SPECIAL("gpu_names", RK_TEXT, RG_ENV, "", "GPU names", x_gpu_names),
    ENV("tool_version", RK_TEXT, "", "llm-efficiency version"),
    ENV("git_commit", RK_TEXT, "", "llm-efficiency commit"),
    ENV("llama_cpp_release", RK_TEXT, "", "llama.cpp release"),
    ENV("llama_cpp_origin", RK_TEXT, "", "where llama.cpp came from"),
};
const size_t RES_N_FIELDS = sizeof RES_FIELDS / sizeof RES_FIELDS[0];

int res_field_index(const char *name)
{
    for (size_t i = 0; name != NULL && i < RES_N_FIELDS; i++)
        if (strcmp(RES_FIELDS[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *res_kind_sql(res_kind k)
{
    return k == RK_TEXT ? "TEXT" : k == RK_REAL ? "REAL" : "INTEGER";
}

const char *res_prov_name(res_prov p)
{
    return p == RP_MEASURED    ? "measured"
           : p == RP_ESTIMATED ? "estimated"
           : p == RP_COMPUTED  ? "computed"
           : p == RP_ENERGY    ? "energy"
                               : "";
}

/* Bind one JSON value to parameter idx according to the column kind; values
 * of another JSON type than the column's become NULL. */
static int bind_json_value(sqlite3_stmt *st, int idx, res_kind kind, const cJSON *n, rbuf *tmp)
{
    if (n == NULL)
        return sqlite3_bind_null(st, idx);
    if (kind == RK_TEXT && cJSON_IsString(n))
        return sqlite3_bind_text(st, idx, n->valuestring, -1, SQLITE_TRANSIENT);
    if (kind == RK_TEXT && cJSON_IsBool(n))
        return sqlite3_bind_text(st, idx, cJSON_IsTrue(n) ? "true" : "false", -1, SQLITE_STATIC);
    if (kind == RK_TEXT && cJSON_IsNumber(n)) {
        tmp->len = 0;
        rbuf_double(tmp, n->valuedouble);
        return sqlite3_bind_text(st, idx, tmp->oom ? "" : tmp->data, -1, SQLITE_TRANSIENT);
    }
    if (kind == RK_BOOL && (cJSON_IsBool(n) || cJSON_IsNumber(n)))
        return sqlite3_bind_int(st, idx, cJSON_IsTrue(n) || (cJSON_IsNumber(n) && n->valuedouble != 0.0));
    if (kind == RK_INT && cJSON_IsNumber(n) && n->valuedouble == floor(n->valuedouble) && fabs(n->valuedouble) < 9.2e18)
        return sqlite3_bind_int64(st, idx, (sqlite3_int64)n->valuedouble);
    if ((kind == RK_INT || kind == RK_REAL) && cJSON_IsNumber(n) && isfinite(n->valuedouble))
        return sqlite3_bind_double(st, idx, n->valuedouble);
    return sqlite3_bind_null(st, idx);
}

static int bind_special(sqlite3_stmt *st, int idx, const res_field *f, const cJSON *doc, rbuf *tmp)
{
    double num = 0.0;
    bool is_null = false;

    tmp->len = 0;
    if (tmp->data != NULL)
        tmp->data[0] = '\0';
    f->extract(doc, tmp, &num, &is_null);
    if (is_null)
        return sqlite3_bind_null(st, idx);
    if (f->kind == RK_TEXT)
        return sqlite3_bind_text(st, idx, tmp->data != NULL ? tmp->data : "", -1, SQLITE_TRANSIENT);
    return sqlite3_bind_int64(st, idx, (sqlite3_int64)num);
}

lle_status res_bind_document(sqlite3 *db, sqlite3_stmt *st, const cJSON *doc, lle_error *err)
{
    rbuf tmp = {0};
    int rc = SQLITE_OK;
    lle_status ret = LLE_OK;

    for (size_t i = 0; i < RES_N_FIELDS && rc == SQLITE_OK; i++) {
        const res_field *f = &RES_FIELDS[i];
        rc = f->extract != NULL ? bind_special(st, (int)i + 1, f, doc, &tmp)
                                : bind_json_value(st, (int)i + 1, f->kind, at(doc, f->path), &tmp);
    }
    if (rc != SQLITE_OK)
        ret = lle_fail(err, rc == SQLITE_NOMEM ? LLE_ERR_NOMEM : LLE_ERR_INTERNAL,
                       "results: binding a flat-table value: %s", sqlite3_errmsg(db));
    else if (tmp.oom)
        ret = lle_fail(err, LLE_ERR_NOMEM, "results: out of memory flattening a document");
    rbuf_free(&tmp);
    return ret;
}
