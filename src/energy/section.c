/* section.c — the "energy" section of a result document (docs/energy.md):
 * the sampler and its own cost, the idle baseline and how it was obtained,
 * sources that could not be read with their fixes, the whole window per
 * source, totals labelled measured / estimated / mixed (never summed
 * silently), prefill and decode phases, derived figures (J per token and per
 * request, tokens per J, Wh per 1,000 requests, FLOPs per J) and carbon. Also
 * the document of `measure` (a command measured like an experiment) and its
 * saving: JSON file, store row, time series. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/environment.h"
#include "common/util.h"
#include "energy/energy_internal.h"
#include "run/run_internal.h"
#include "store/store_internal.h"

static const char *total_method(const lle_energy_window *w)
{
    bool meas = false, est = false;

    for (size_t k = 0; k < w->n_readings; k++) {
        if (!w->readings[k].in_total)
            continue;
        meas = meas || w->readings[k].method == LLE_ENERGY_MEASURED;
        est = est || w->readings[k].method == LLE_ENERGY_ESTIMATED;
    }
    return meas && est ? "mixed" : meas ? "measured" : est ? "estimated" : "none";
}

static cJSON *num_or_null(double num, double den)
{
    return den > 0.0 && isfinite(num / den) ? cJSON_CreateNumber(num / den) : cJSON_CreateNull();
}

static cJSON *sampler_json(lle_meter *m)
{
    lle_meter_stats s;
    cJSON *o = cJSON_CreateObject();

    lle_meter_get_stats(m, &s);
    cJSON_AddNumberToObject(o, "interval_s", s.interval_s);
    cJSON_AddNumberToObject(o, "samples", (double)s.samples);
    cJSON_AddNumberToObject(o, "wall_s", s.wall_s);
    cJSON_AddNumberToObject(o, "thread_cpu_s", s.thread_cpu_s);
    cJSON_AddItemToObject(o, "cpu_overhead_pct", num_or_null(100.0 * s.thread_cpu_s, s.wall_s));
    return o;
}

static cJSON *baseline_json(lle_meter *m)
{
    cJSON *o = cJSON_CreateObject();
    char iso[32] = "";
    time_t at;
    struct tm tm;

    pthread_mutex_lock(&m->mu);
    cJSON_AddStringToObject(o, "origin", m->bl_origin);
    if (m->has_baseline) {
        at = (time_t)m->bl_measured_at;
        gmtime_r(&at, &tm);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON_AddNumberToObject(o, "duration_s", m->bl_duration_s);
        cJSON_AddStringToObject(o, "measured_at", iso);
        cJSON_AddNumberToObject(o, "age_s", (double)time(NULL) - m->bl_measured_at);
        cJSON_AddNumberToObject(o, "ttl_s", m->bl_ttl_s);
        cJSON_AddStringToObject(o, "cache", m->bl_cache);
        cJSON_AddStringToObject(o, "formula", "net_energy_j = energy_j - idle_power_w x duration_s, per source");
    }
    pthread_mutex_unlock(&m->mu);
    return o;
}

static cJSON *unavailable_json(const lle_meter *m)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; i < m->disc.n_bad; i++) {
        const esrc_status *b = &m->disc.bad[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", b->id);
        cJSON_AddStringToObject(o, "kind", b->kind);
        cJSON_AddStringToObject(o, "status", b->status);
        cJSON_AddStringToObject(o, "fix", b->fix);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *total_json(const lle_energy_window *w)
{
    cJSON *o = cJSON_CreateObject();
    double e = w->measured_j + w->estimated_j;

    cJSON_AddNumberToObject(o, "energy_j", e);
    cJSON_AddNumberToObject(o, "net_energy_j", w->net_measured_j + w->net_estimated_j);
    cJSON_AddStringToObject(o, "method", total_method(w));
    cJSON_AddNumberToObject(o, "measured_j", w->measured_j);
    cJSON_AddNumberToObject(o, "estimated_j", w->estimated_j);
    cJSON_AddNumberToObject(o, "net_measured_j", w->net_measured_j);
    cJSON_AddNumberToObject(o, "net_estimated_j", w->net_estimated_j);
    cJSON_AddItemToObject(o, "avg_power_w", num_or_null(e, w->duration_s));
    cJSON_AddBoolToObject(o, "partial", w->partial);
    return o;
}

static cJSON *phase_json(const lle_energy_window *w, uint64_t tokens)
{
    cJSON *o = lle_window_cjson(w);
    double e = w->measured_j + w->estimated_j;

    cJSON_AddNumberToObject(o, "energy_j", e);
    cJSON_AddStringToObject(o, "method", total_method(w));
    cJSON_AddNumberToObject(o, "tokens", (double)tokens);
    cJSON_AddItemToObject(o, "j_per_token", num_or_null(e, (double)tokens));
    cJSON_AddItemToObject(o, "net_j_per_token", num_or_null(w->net_measured_j + w->net_estimated_j, (double)tokens));
    return o;
}

static void add_derived_set(cJSON *o, const char *suffix, double e, const lle_energy_work *wk)
{
    char name[64];

    /* below a microjoule a (net) energy is rounding noise of a subtraction:
     * per-joule ratios of it would be meaningless, so they are null */
    if (e < 1e-6)
        e = 0.0;
#define ADD(key, value)                                                                                                \
    do {                                                                                                               \
        lle_energy_fmt(name, sizeof name, "%s%s", key, suffix);                                                        \
        cJSON_AddItemToObject(o, name, value);                                                                         \
    } while (0)
    ADD("j_per_output_token", num_or_null(e, (double)wk->output_tokens));
    ADD("j_per_request", num_or_null(e, (double)wk->requests));
    ADD("output_tokens_per_j", num_or_null((double)wk->output_tokens, e));
    ADD("wh_per_1000_requests", num_or_null(e / 3.6, (double)wk->requests));
    ADD("flops_per_j", wk->flops > 0.0 ? num_or_null(wk->flops, e) : cJSON_CreateNull()); /* null: no FLOPs */
#undef ADD
}

static cJSON *derived_json(const lle_energy_window *w, const lle_energy_work *wk)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "basis", "total energy_j (gross); *_net from net_energy_j");
    cJSON_AddStringToObject(o, "method", total_method(w));
    add_derived_set(o, "", w->measured_j + w->estimated_j, wk);
    add_derived_set(o, "_net", w->net_measured_j + w->net_estimated_j, wk);
    return o;
}

static cJSON *carbon_json(const lle_energy_window *w, const lle_carbon *c)
{
    cJSON *o = cJSON_CreateObject();
    double e = w->measured_j + w->estimated_j;

    cJSON_AddNumberToObject(o, "g_co2e", lle_carbon_grams(e, c));
    cJSON_AddNumberToObject(o, "g_co2e_net", lle_carbon_grams(w->net_measured_j + w->net_estimated_j, c));
    cJSON_AddNumberToObject(o, "kwh", e / 3.6e6);
    cJSON_AddNumberToObject(o, "intensity_g_per_kwh", c->intensity_g_per_kwh);
    cJSON_AddNumberToObject(o, "pue", c->pue);
    cJSON_AddStringToObject(o, "region", c->region);
    cJSON_AddStringToObject(o, "intensity_source", c->source);
    cJSON_AddStringToObject(o, "method", total_method(w));
    cJSON_AddStringToObject(o, "formula", "g_co2e = kWh x intensity_g_per_kwh x pue");
    return o;
}

static cJSON *section_cjson(const lle_energy_section *s)
{
    cJSON *o = cJSON_CreateObject(), *ph;
    lle_carbon world;

    if (s->carbon == NULL)
        lle_carbon_resolve(NULL, 1.0, &world, NULL);
    cJSON_AddItemToObject(o, "sampler", sampler_json(s->meter));
    cJSON_AddItemToObject(o, "baseline", baseline_json(s->meter));
    cJSON_AddItemToObject(o, "unavailable", unavailable_json(s->meter));
    cJSON_AddItemToObject(o, "window", lle_window_cjson(s->whole));
    cJSON_AddItemToObject(o, "total", total_json(s->whole));
    if (s->prefill != NULL || s->decode != NULL) {
        ph = cJSON_AddObjectToObject(o, "phases");
        if (s->prefill != NULL)
            cJSON_AddItemToObject(ph, "prefill", phase_json(s->prefill, s->work.input_tokens));
        if (s->decode != NULL)
            cJSON_AddItemToObject(ph, "decode", phase_json(s->decode, s->work.output_tokens));
    }
    cJSON_AddItemToObject(o, "derived", derived_json(s->whole, &s->work));
    cJSON_AddItemToObject(o, "carbon", carbon_json(s->whole, s->carbon != NULL ? s->carbon : &world));
    return o;
}

char *lle_energy_section_json(const lle_energy_section *s)
{
    cJSON *o;
    char *out;

    if (s == NULL || s->whole == NULL || s->meter == NULL)
        return NULL;
    o = section_cjson(s);
    out = o != NULL ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    return out;
}

void lle_energy_new_id(char *id, size_t id_size, char *started_at, size_t started_size)
{
    lle_make_run_id(id, id_size, started_at, started_size);
}

static cJSON *command_json(const lle_measured_command *cmd)
{
    cJSON *o = cJSON_CreateObject(), *argv = cJSON_AddArrayToObject(o, "argv");

    for (int i = 0; argv != NULL && i < cmd->argc; i++)
        cJSON_AddItemToArray(argv, cJSON_CreateString(cmd->argv[i]));
    cJSON_AddItemToObject(o, "exit_code",
                          cmd->exit_code >= 0 ? cJSON_CreateNumber(cmd->exit_code) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "signal",
                          cmd->term_signal > 0 ? cJSON_CreateNumber(cmd->term_signal) : cJSON_CreateNull());
    return o;
}

char *lle_measure_document_json(const char *id, const char *started_at, const lle_measured_command *cmd,
                                const lle_energy_section *energy)
{
    cJSON *root = cJSON_CreateObject(), *env = lle_environment_json(), *metrics;
    char *out;

    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "kind", "measure");
    cJSON_AddStringToObject(root, "status", cmd->status != NULL ? cmd->status : "completed");
    if (cmd->error != NULL)
        cJSON_AddStringToObject(root, "error", cmd->error);
    cJSON_AddStringToObject(root, "started_at", started_at);
    cJSON_AddItemToObject(root, "command", command_json(cmd));
    cJSON_AddItemToObject(root, "environment", env != NULL ? env : cJSON_CreateNull());
    metrics = cJSON_AddObjectToObject(root, "metrics");
    cJSON_AddNumberToObject(metrics, "wall_s",
                            energy != NULL && energy->whole != NULL ? energy->whole->duration_s : 0.0);
    if (energy != NULL && energy->whole != NULL && energy->meter != NULL)
        cJSON_AddItemToObject(root, "energy", section_cjson(energy));
    out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}

lle_status lle_measure_save(const char *results_dir, const char *id, const char *json_doc, lle_meter *m,
                            double origin_s, char *path_out, size_t path_out_size, lle_error *err)
{
    char path[4200];
    lle_store *store = NULL;
    lle_status st = lle_store_save_document(results_dir, id, json_doc, path, sizeof path, &store, err);

    if (st == LLE_OK && m != NULL)
        st = lle_meter_timeseries_store(m, store, id, origin_s, err);
    if (st == LLE_OK && path_out != NULL)
        lle_strlcpy(path_out, path, path_out_size);
    lle_store_close(store);
    return st;
}
