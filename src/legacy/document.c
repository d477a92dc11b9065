/* document.c — one thesis-tool run as our result document ("source":
 * "legacy"): the configuration in our field names where they mean the same
 * (prompts, token limits, batch size, temperature, traffic), the token counts
 * and timings as the thesis recorded them, and its CodeCarbon figures as an
 * "energy" section in joules with every source labelled: GPU energy
 * measured (NVML through CodeCarbon), CPU and RAM estimated (CodeCarbon's
 * models; the CPU figure is its constant 112.5 W in every thesis file).
 * Figures whose meaning differs from ours are left out of our fields and
 * kept, converted, under "legacy" with a note. Mapping: docs/legacy-import.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "legacy/legacy_internal.h"

#define KWH_TO_J 3.6e6

typedef struct doc_ctx {
    const legacy_run *r;
    lle_status st;
    lle_error *err;
    cJSON *notes;
} doc_ctx;

static void add_num(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

static void add_str(cJSON *o, const char *key, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void note(doc_ctx *d, const char *text)
{
    cJSON_AddItemToArray(d->notes, cJSON_CreateString(text));
}

static double num(doc_ctx *d, const legacy_obj *o, const char *key)
{
    return legacy_num(o, key, &d->st, d->err);
}

static const char *str(doc_ctx *d, const legacy_obj *o, const char *key)
{
    return legacy_str(o, key, &d->st, d->err);
}

static legacy_obj sub(doc_ctx *d, const legacy_obj *o, const char *key)
{
    return legacy_sub(o, key, &d->st, d->err);
}

/* First present of two keys (the file-name generations renamed fields). */
static double num2(doc_ctx *d, const legacy_obj *o, const char *a, const char *b)
{
    double v = num(d, o, a);

    return isnan(v) ? num(d, o, b) : v;
}

/* "March 22, 2025 at 05:33:47 PM" -> "2025-03-22T17:33:47" (local time; the
 * thesis recorded no time zone). */
static void started_at(doc_ctx *d, cJSON *root)
{
    const char *text = str(d, &d->r->setup, "date");
    struct tm tm;
    char buf[32];
    const char *end;

    if (text == NULL)
        text = str(d, &d->r->setup, "date_time");
    memset(&tm, 0, sizeof tm);
    end = text != NULL ? strptime(text, "%B %d, %Y at %I:%M:%S %p", &tm) : NULL;
    if (end != NULL && *end == '\0' && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) > 0)
        cJSON_AddStringToObject(root, "started_at", buf);
    else
        cJSON_AddNullToObject(root, "started_at");
}

static const char *precision(const char *fp)
{
    if (fp == NULL)
        return NULL;
    return strncmp(fp, "torch.", 6) == 0 ? fp + 6 : fp;
}

/* "none", "8-bit", "4-bit" from the quantisation object (null: none). */
static const char *quantisation(doc_ctx *d, const legacy_obj *q)
{
    if (q->o == NULL || num(d, q, "quantization") != 1.0)
        return "none";
    if (num(d, q, "load_in_4bit") == 1.0)
        return "4-bit";
    return num(d, q, "load_in_8bit") == 1.0 ? "8-bit" : "none";
}

/* The GGUF weight type our built-in scenarios use for this precision. */
static const char *gguf_equivalent(const char *prec, const char *quant)
{
    if (strcmp(quant, "8-bit") == 0)
        return "q8_0";
    if (strcmp(quant, "4-bit") == 0)
        return "q4_k_m";
    if (prec != NULL && strcmp(prec, "float16") == 0)
        return "f16";
    if (prec != NULL && strcmp(prec, "bfloat16") == 0)
        return "bf16";
    return prec != NULL && strcmp(prec, "float32") == 0 ? "f32" : NULL;
}

static void batching(doc_ctx *d, const legacy_obj *v, cJSON *cfg)
{
    legacy_obj b = sub(d, v, "batching_options");
    bool adaptive = num(d, &b, "adaptive_batching") == 1.0;

    cJSON_AddStringToObject(cfg, "batching", adaptive ? "adaptive" : "fixed");
    add_num(cfg, "batch_size", adaptive ? NAN : num2(d, &b, "batch_size___fixed_batching", "fixed_max_batch_size"));
    if (adaptive) {
        add_num(cfg, "adaptive_max_tokens", num(d, &b, "adaptive_max_tokens"));
        add_num(cfg, "adaptive_max_batch", num(d, &b, "max_batch_size___adaptive_batching"));
        note(d, "adaptive batching: the thesis budget counted prompt tokens only (its code passed max_input_tokens); "
                "ours counts prompt + output tokens");
    }
}

static void decoding(doc_ctx *d, const legacy_obj *v, cJSON *cfg)
{
    legacy_obj dc = sub(d, v, "decoder_config");
    double t = dc.o != NULL ? num(d, &dc, "decoder_temperature") : num(d, v, "decoder_temperature");

    add_str(cfg, "decoding_mode", dc.o != NULL ? str(d, &dc, "decoding_mode") : NULL);
    add_num(cfg, "temperature", t);
    add_num(cfg, "top_k", dc.o != NULL ? num(d, &dc, "decoder_top_k") : NAN);
    add_num(cfg, "top_p", dc.o != NULL ? num(d, &dc, "decoder_top_p") : NAN);
    cJSON_AddBoolToObject(cfg, "sampled", !isnan(t) && t > 0.0);
}

/* Traffic; returns whether the thesis slept inside its timed window. */
static bool traffic(doc_ctx *d, const legacy_obj *v, cJSON *cfg)
{
    legacy_obj l = sub(d, v, "latency_simulation");
    bool sim = num(d, &l, "simulate") == 1.0, burst = num(d, &l, "simulate_burst") == 1.0;

    cJSON_AddStringToObject(cfg, "traffic", sim ? "uniform" : "none");
    if (sim) {
        add_num(cfg, "delay_min_s", num(d, &l, "delay_min"));
        add_num(cfg, "delay_max_s", num(d, &l, "delay_max"));
    }
    if (burst) {
        cJSON *b = cJSON_AddObjectToObject(cfg, "thesis_burst");
        add_num(b, "pause_s", num(d, &l, "burst_interval"));
        add_num(b, "after_every_n_batches", num(d, &l, "burst_size"));
    }
    if (sim || burst)
        note(d, "the thesis tool slept (simulated latency) inside its timed window: wall_s includes the sleeps, "
                "so no token throughput is given in metrics (the thesis figure is under legacy.reported)");
    return sim || burst;
}

static cJSON *config_json(doc_ctx *d, bool *slept)
{
    const legacy_obj *v = &d->r->variables;
    legacy_obj acc = sub(d, v, "accelerate_config");
    legacy_obj q = sub(d, v, "quantisation");
    const char *prec = precision(str(d, v, "fp_precision")), *quant;
    cJSON *cfg = cJSON_CreateObject();

    if (q.o == NULL)
        q = sub(d, v, "quantization_config");
    quant = quantisation(d, &q);
    add_str(cfg, "config_name", str(d, v, "config_name"));
    add_str(cfg, "model_name", str(d, &d->r->setup, "model"));
    add_num(cfg, "prompts", num(d, v, "number_input_prompts"));
    add_num(cfg, "max_input_tokens", num(d, v, "max_input_tokens"));
    add_num(cfg, "max_output_tokens", num(d, v, "max_output_tokens"));
    batching(d, v, cfg);
    add_str(cfg, "precision", prec);
    cJSON_AddStringToObject(cfg, "quantisation", quant);
    add_str(cfg, "comparable_preset_type", gguf_equivalent(prec, quant));
    decoding(d, v, cfg);
    *slept = traffic(d, v, cfg);
    add_num(cfg, "processes", num(d, &acc, "num_processes"));
    add_str(cfg, "distributed_type", str(d, &acc, "distributed_type"));
    add_str(cfg, "backend", str(d, v, "backend"));
    return cfg;
}

static cJSON *model_json(doc_ctx *d)
{
    const legacy_obj *a = &d->r->arch;
    cJSON *m = cJSON_CreateObject();

    add_str(m, "name", str(d, &d->r->setup, "model"));
    add_num(m, "n_params", num(d, a, "total_params"));
    add_num(m, "n_layer", num(d, a, "num_hidden_layers"));
    add_num(m, "n_embd", num(d, a, "hidden_size"));
    add_num(m, "n_head", num(d, a, "num_attention_heads"));
    add_num(m, "n_ff", num(d, a, "intermediate_size"));
    return m;
}

static cJSON *environment_json(doc_ctx *d)
{
    const legacy_obj *s = &d->r->setup;
    cJSON *e = cJSON_CreateObject();

    add_str(e, "cpu_model", str(d, s, "cpu_model"));
    add_num(e, "cpu_count", num2(d, s, "available_cpu_count", "cpu_count"));
    add_str(e, "gpu_model", str(d, s, "gpu_model"));
    add_num(e, "gpu_count", num2(d, s, "available_gpu_count", "gpu_count"));
    add_str(e, "os", str(d, s, "os"));
    add_str(e, "python_version", str(d, s, "python_version"));
    add_str(e, "country", str(d, s, "country"));
    add_str(e, "region", str(d, s, "region"));
    add_str(e, "time_zone", NULL);
    return e;
}

/* Our metrics where the thesis figure means the same; *out_tokens for the energy. */
static cJSON *metrics_json(doc_ctx *d, bool slept, double *out_tokens, double *requests)
{
    legacy_obj raw = sub(d, &d->r->inference, "raw_inference_metrics");
    legacy_obj perf = sub(d, &d->r->inference, "inference_performance");
    double in = num(d, &raw, "total_input_tokens"), out = num(d, &raw, "total_generated_tokens");
    double wall = num(d, &perf, "total_inference_time_sec"), lat = num(d, &perf, "average_latency_ms_per_batch");
    cJSON *m = cJSON_CreateObject();

    *out_tokens = out;
    *requests = num(d, &raw, "number_input_prompts");
    add_num(m, "requests", *requests);
    add_num(m, "input_tokens", in);
    add_num(m, "output_tokens", out);
    add_num(m, "wall_s", wall);
    add_num(m, "requests_per_s", num(d, &perf, "throughput_queries_per_sec"));
    add_num(m, "batch_latency_mean_s", isnan(lat) ? NAN : lat / 1000.0);
    if (!slept && wall > 0.0) {
        add_num(m, "output_tokens_per_s", num(d, &perf, "throughput_tokens_per_sec"));
        add_num(m, "total_tokens_per_s", (in + out) / wall);
    }
    note(d, "input_tokens counts padding: the thesis tool padded or cut every prompt to max_input_tokens");
    return m;
}

typedef struct sums {
    double cpu_j, gpu_j, ram_j, total_j, cpu_w, gpu_w, ram_w, emissions_kg;
    int n;
} sums;

static double add_nan(double acc, double v)
{
    return isnan(v) ? acc : acc + v;
}

static sums sum_processes(const legacy_run *r)
{
    sums s = {0};

    s.n = r->n_proc;
    for (int i = 0; i < r->n_proc; i++) {
        const legacy_process *p = &r->proc[i];
        s.cpu_j = add_nan(s.cpu_j, p->cpu_kwh * KWH_TO_J);
        s.gpu_j = add_nan(s.gpu_j, p->gpu_kwh * KWH_TO_J);
        s.ram_j = add_nan(s.ram_j, p->ram_kwh * KWH_TO_J);
        s.cpu_w = add_nan(s.cpu_w, p->cpu_power_w / r->n_proc);
        s.gpu_w = add_nan(s.gpu_w, p->gpu_power_w / r->n_proc);
        s.ram_w = add_nan(s.ram_w, p->ram_power_w / r->n_proc);
        s.emissions_kg = add_nan(s.emissions_kg, p->emissions_kg);
    }
    s.total_j = s.cpu_j + s.gpu_j + s.ram_j;
    return s;
}

static cJSON *source_json(const char *domain, bool measured, double j, double w, const char *how)
{
    cJSON *o = cJSON_CreateObject();
    char id[32];

    snprintf(id, sizeof id, "codecarbon:%s", domain);
    cJSON_AddStringToObject(o, "source", id);
    cJSON_AddStringToObject(o, "kind", "codecarbon");
    cJSON_AddStringToObject(o, "domain", domain);
    cJSON_AddStringToObject(o, "method", measured ? "measured" : "estimated");
    cJSON_AddStringToObject(o, "how", how);
    cJSON_AddBoolToObject(o, "in_total", true);
    add_num(o, "energy_j", j);
    add_num(o, "avg_power_w", w);
    return o;
}

static const char GPU_HOW[] = "CodeCarbon EmissionsTracker (tracking_mode process, one per process) reading the "
                              "GPUs through NVML; energies summed over the processes";
static const char CPU_HOW[] = "CodeCarbon's CPU model: the thesis files show a constant power (112.5 W, half the "
                              "225 W TDP of the AMD EPYC 7742), not a counter reading";
static const char RAM_HOW[] = "CodeCarbon's RAM model (watts per GB of memory), not a reading";

static cJSON *carbon_json(const sums *s, const legacy_obj *setup, doc_ctx *d)
{
    cJSON *c = cJSON_CreateObject();
    char src[192];
    double kwh = s->total_j / KWH_TO_J;

    snprintf(src, sizeof src, "CodeCarbon's grid intensity for %.60s, %.60s (as recorded by the thesis tool)",
             str(d, setup, "country") ? str(d, setup, "country") : "?",
             str(d, setup, "region") ? str(d, setup, "region") : "?");
    add_num(c, "g_co2e", s->emissions_kg * 1000.0);
    add_num(c, "kwh", kwh);
    add_num(c, "intensity_g_per_kwh", kwh > 0.0 ? s->emissions_kg * 1000.0 / kwh : NAN);
    cJSON_AddStringToObject(c, "intensity_source", src);
    cJSON_AddStringToObject(c, "method", "estimated");
    cJSON_AddStringToObject(c, "formula", "sum of the processes' CodeCarbon final_emissions (kg, x 1000)");
    return c;
}

static cJSON *energy_json(doc_ctx *d, double out_tokens, double requests)
{
    sums s = sum_processes(d->r);
    cJSON *e = cJSON_CreateObject(), *w, *srcs, *t, *dv;
    bool overlap = s.n > 1;

    w = cJSON_AddObjectToObject(e, "window");
    cJSON_AddStringToObject(w, "name", "experiment");
    srcs = cJSON_AddArrayToObject(w, "sources");
    cJSON_AddItemToArray(srcs, source_json("gpu", true, s.gpu_j, s.gpu_w, GPU_HOW));
    cJSON_AddItemToArray(srcs, source_json("cpu", false, s.cpu_j, s.cpu_w, CPU_HOW));
    cJSON_AddItemToArray(srcs, source_json("ram", false, s.ram_j, s.ram_w, RAM_HOW));
    t = cJSON_AddObjectToObject(e, "total");
    add_num(t, "energy_j", s.total_j);
    cJSON_AddStringToObject(t, "method", "mixed");
    add_num(t, "measured_j", s.gpu_j);
    add_num(t, "estimated_j", s.cpu_j + s.ram_j);
    cJSON_AddBoolToObject(t, "partial", false);
    cJSON_AddBoolToObject(t, "low_confidence", overlap);
    dv = cJSON_AddObjectToObject(e, "derived");
    cJSON_AddStringToObject(dv, "basis", "total energy_j over the thesis tool's generated-token count");
    cJSON_AddStringToObject(dv, "method", "mixed");
    add_num(dv, "j_per_output_token", out_tokens > 0 ? s.total_j / out_tokens : NAN);
    add_num(dv, "output_tokens_per_j", s.total_j > 0 ? out_tokens / s.total_j : NAN);
    add_num(dv, "j_per_request", requests > 0 ? s.total_j / requests : NAN);
    cJSON_AddItemToObject(e, "carbon", carbon_json(&s, &d->r->setup, d));
    if (overlap)
        note(d, "several processes, each with its own CodeCarbon tracker and no GPU filter: each may have counted "
                "every GPU, so the summed energy can count a GPU more than once (energy.total.low_confidence)");
    return e;
}

/* A thesis aggregate object with units converted: *_kwh and *energy* (kWh) to
 * *_j, *power* (W) to *_w; the derived joules fields are dropped (ours are
 * recomputed from kWh). */
static cJSON *converted(const cJSON *o)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *it = NULL;
    char key[128];

    cJSON_ArrayForEach(it, o)
    {
        size_t len = strlen(it->string);
        if (!cJSON_IsNumber(it) || strstr(it->string, "joules") != NULL)
            continue;
        if (len > 4 && strcmp(it->string + len - 4, "_kwh") == 0) {
            snprintf(key, sizeof key, "%.*s_j", (int)(len - 4), it->string);
            cJSON_AddNumberToObject(out, key, it->valuedouble * KWH_TO_J);
        } else if (strstr(it->string, "energy") != NULL) {
            snprintf(key, sizeof key, "%.120s_j", it->string);
            cJSON_AddNumberToObject(out, key, it->valuedouble * KWH_TO_J);
        } else if (strstr(it->string, "power") != NULL) {
            snprintf(key, sizeof key, "%.120s_w", it->string);
            cJSON_AddNumberToObject(out, key, it->valuedouble);
        }
    }
    return out;
}

static cJSON *processes_json(const legacy_run *r)
{
    cJSON *a = cJSON_CreateArray();

    for (int i = 0; i < r->n_proc; i++) {
        const legacy_process *p = &r->proc[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", p->index);
        add_num(o, "pid", p->pid);
        add_num(o, "cpu_power_w", p->cpu_power_w);
        add_num(o, "gpu_power_w", p->gpu_power_w);
        add_num(o, "ram_power_w", p->ram_power_w);
        add_num(o, "cpu_energy_j", p->cpu_kwh * KWH_TO_J);
        add_num(o, "gpu_energy_j", p->gpu_kwh * KWH_TO_J);
        add_num(o, "ram_energy_j", p->ram_kwh * KWH_TO_J);
        add_num(o, "total_energy_j", p->total_kwh * KWH_TO_J);
        add_num(o, "emissions_g", p->emissions_kg * 1000.0);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static void compute_block(doc_ctx *d, cJSON *lg)
{
    const legacy_obj *c = &d->r->compute;
    legacy_obj mem = sub(d, c, "memory"), util = sub(d, c, "compute_utilisation");
    double flops = num2(d, c, "flops", "FLOPs");

    if (mem.o == NULL)
        mem = sub(d, c, "Memory");
    if (util.o == NULL)
        util = sub(d, c, "Compute_utilisation");
    if (c->o == NULL)
        return;
    add_num(lg, "flops", flops);
    cJSON_AddStringToObject(lg, "flops_note",
                            "not a measurement: 0 when the thesis tool did not compute FLOPs "
                            "(single-process runs), else a cached constant (cached_flops_for_quantised_models)");
    if (mem.o != NULL)
        cJSON_AddItemToObject(lg, "gpu_memory_bytes", cJSON_Duplicate(mem.o, 1));
    if (util.o != NULL)
        cJSON_AddItemToObject(lg, "compute_utilisation", cJSON_Duplicate(util.o, 1));
}

static cJSON *legacy_json(doc_ctx *d)
{
    const legacy_run *r = d->r;
    cJSON *lg = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(lg, "files");

    cJSON_AddStringToObject(lg, "tool", "henrycgbaker/thesis");
    cJSON_AddStringToObject(lg, "experiment_id", r->id);
    cJSON_AddStringToObject(lg, "format", r->format);
    cJSON_AddStringToObject(lg, "source", r->source);
    for (int i = 0; i < r->n_files; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(r->files[i]));
    cJSON_AddItemToObject(lg, "reported", cJSON_Duplicate(r->inference.o, 1));
    cJSON_AddItemToObject(lg, "processes", processes_json(r));
    if (r->totals.o != NULL) {
        cJSON *t = converted(r->totals.o);
        cJSON_AddStringToObject(t, "aggregation", r->totals_kind);
        cJSON_AddItemToObject(lg, "thesis_totals", t);
    }
    compute_block(d, lg);
    cJSON_AddStringToObject(lg, "started_at_time_zone", "not recorded (the thesis machine's local time)");
    return lg;
}

char *legacy_document(const legacy_run *r, lle_error *err)
{
    doc_ctx d = {r, LLE_OK, err, cJSON_CreateArray()};
    cJSON *root = cJSON_CreateObject(), *lg;
    char id[64], *out = NULL;
    double out_tokens = NAN, requests = NAN;
    bool slept = false;

    snprintf(id, sizeof id, "legacy-thesis-%.40s", r->id);
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "source", "legacy");
    cJSON_AddStringToObject(root, "status", "completed");
    started_at(&d, root);
    cJSON_AddItemToObject(root, "config", config_json(&d, &slept));
    cJSON_AddItemToObject(root, "model", model_json(&d));
    cJSON_AddItemToObject(root, "environment", environment_json(&d));
    cJSON_AddItemToObject(root, "metrics", metrics_json(&d, slept, &out_tokens, &requests));
    if (r->n_proc > 0)
        cJSON_AddItemToObject(root, "energy", energy_json(&d, out_tokens, requests));
    else
        note(&d, "no CodeCarbon process files: no energy figures");
    lg = legacy_json(&d);
    cJSON_AddItemToObject(lg, "notes", d.notes);
    cJSON_AddItemToObject(root, "legacy", lg);
    if (d.st == LLE_OK)
        out = cJSON_Print(root);
    if (d.st == LLE_OK && out == NULL)
        lle_fail(err, LLE_ERR_NOMEM, "out of memory building the document of %s", r->source);
    cJSON_Delete(root);
    return out;
}
