/* json.c — JSON forms of FLOP counts: a component breakdown, a fit (also the
 * body of the cache file), and the "flops" object of an experiment result
 * (model and executed figures side by side, per-token and per-second rates,
 * FLOPs per joule, calibration provenance). Counts are written as exact
 * integers (raw JSON numbers: cJSON would print doubles with 15 digits). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "flops/flops_internal.h"

static const char *const TERM_NAMES[LLE_FLOPS_N_TERMS] = {"const", "tokens", "outputs", "tokens_x_kv_span", "kv_span"};

const char *lle_flops_term_name(int t)
{
    return t >= 0 && t < LLE_FLOPS_N_TERMS ? TERM_NAMES[t] : NULL;
}

static const char *fa_name(int fa)
{
    return fa < 0 ? "auto" : fa ? "on" : "off";
}

/* An exact integer field. */
static void add_count(cJSON *o, const char *name, uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    cJSON_AddRawToObject(o, name, buf);
}

static void add_int(cJSON *o, const char *name, int64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%lld", (long long)v);
    cJSON_AddRawToObject(o, name, buf);
}

cJSON *lle_flops_parts_json(const lle_flops_parts *p)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
        add_count(o, lle_flops_part_name((lle_flops_part)k), p->part[k]);
    add_count(o, "total", p->total);
    return o;
}

static cJSON *coef_json(const lle_flops_fit *fit)
{
    cJSON *o = cJSON_CreateObject();

    for (int k = 0; o != NULL && k < LLE_FLOPS_N_PARTS; k++) {
        cJSON *c = cJSON_AddObjectToObject(o, lle_flops_part_name((lle_flops_part)k));
        for (int t = 0; c != NULL && t < LLE_FLOPS_N_TERMS; t++)
            add_int(c, TERM_NAMES[t], fit->coef[k][t]);
    }
    return o;
}

static cJSON *uncounted_json(const char *list)
{
    cJSON *a = cJSON_CreateArray();
    char buf[sizeof((lle_flops_fit *)0)->uncounted_ops];
    char *save = NULL;

    lle_strlcpy(buf, list, sizeof buf);
    for (char *tok = strtok_r(buf, ",", &save); a != NULL && tok != NULL; tok = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(a, cJSON_CreateString(tok));
    return a;
}

cJSON *lle_flops_fit_json(const lle_flops_fit *fit)
{
    cJSON *o = cJSON_CreateObject(), *span;

    if (o == NULL)
        return NULL;
    cJSON_AddNumberToObject(o, "version", fit->version);
    cJSON_AddStringToObject(o, "fingerprint", fit->fingerprint);
    cJSON_AddStringToObject(o, "source", fit->source);
    cJSON_AddNumberToObject(o, "seconds", fit->seconds);
    cJSON_AddNumberToObject(o, "calibration_seconds", fit->calibration_seconds);
    cJSON_AddStringToObject(o, "arch", fit->arch);
    cJSON_AddStringToObject(o, "llama_release", fit->llama_release);
    cJSON_AddStringToObject(o, "kv_type", fit->kv_type);
    cJSON_AddStringToObject(o, "flash_attn", fa_name(fit->flash_attn));
    cJSON_AddBoolToObject(o, "flash_attn_used", fit->flash_attn_used);
    cJSON_AddBoolToObject(o, "offload", fit->offload);
    span = cJSON_AddObjectToObject(o, "kv_span");
    if (span != NULL) {
        cJSON_AddNumberToObject(span, "min", fit->kv_span_min);
        cJSON_AddNumberToObject(span, "pad", fit->kv_span_pad);
    }
    cJSON_AddItemToObject(o, "coefficients", coef_json(fit));
    cJSON_AddNumberToObject(o, "fit_points", fit->n_fit_points);
    cJSON_AddNumberToObject(o, "check_points", fit->n_check_points);
    cJSON_AddItemToObject(o, "uncounted_ops", uncounted_json(fit->uncounted_ops));
    return o;
}

char *lle_flops_fit_to_json(const lle_flops_fit *fit)
{
    cJSON *o = lle_flops_fit_json(fit);
    char *s = o != NULL ? cJSON_Print(o) : NULL;

    cJSON_Delete(o);
    return s;
}

/* {"prefill": n, "decode": n, "total": n, "breakdown": {"prefill": {...}, "decode": {...}, "total": {...}}} */
static cJSON *figure_json(const lle_flops_parts *prefill, const lle_flops_parts *decode)
{
    cJSON *o = cJSON_CreateObject(), *b;
    lle_flops_parts total = *prefill;

    if (o == NULL)
        return NULL;
    lle_flops_parts_add(&total, decode);
    add_count(o, "prefill", prefill->total);
    add_count(o, "decode", decode->total);
    add_count(o, "total", total.total);
    b = cJSON_AddObjectToObject(o, "breakdown");
    if (b != NULL) {
        cJSON_AddItemToObject(b, "prefill", lle_flops_parts_json(prefill));
        cJSON_AddItemToObject(b, "decode", lle_flops_parts_json(decode));
        cJSON_AddItemToObject(b, "total", lle_flops_parts_json(&total));
    }
    return o;
}

/* {"model": x, "executed": y} for the figures present; NULL when neither. */
static cJSON *pair(const lle_flops_summary *s, double model, double executed)
{
    cJSON *o;

    if (!s->has_model && !s->has_executed)
        return NULL;
    o = cJSON_CreateObject();
    if (o != NULL && s->has_model)
        cJSON_AddNumberToObject(o, "model", model);
    if (o != NULL && s->has_executed)
        cJSON_AddNumberToObject(o, "executed", executed);
    return o;
}

static void add_rates(cJSON *o, const lle_flops_summary *s, double mp, double md, double ep, double ed)
{
    double busy = s->prefill_s + s->decode_s;

    if (s->n_output_tokens > 0)
        cJSON_AddItemToObject(o, "per_output_token",
                              pair(s, (mp + md) / (double)s->n_output_tokens, (ep + ed) / (double)s->n_output_tokens));
    if (s->n_input_tokens > 0)
        cJSON_AddItemToObject(o, "prefill_per_input_token",
                              pair(s, mp / (double)s->n_input_tokens, ep / (double)s->n_input_tokens));
    if (busy > 0.0) {
        cJSON *a = cJSON_AddObjectToObject(o, "achieved_flops_per_s");
        if (a != NULL && s->prefill_s > 0.0)
            cJSON_AddItemToObject(a, "prefill", pair(s, mp / s->prefill_s, ep / s->prefill_s));
        if (a != NULL && s->decode_s > 0.0)
            cJSON_AddItemToObject(a, "decode", pair(s, md / s->decode_s, ed / s->decode_s));
        if (a != NULL)
            cJSON_AddItemToObject(a, "total", pair(s, (mp + md) / busy, (ep + ed) / busy));
    }
    if (s->energy_j > 0.0)
        cJSON_AddItemToObject(o, "per_joule", pair(s, (mp + md) / s->energy_j, (ep + ed) / s->energy_j));
}

static cJSON *calibration_json(const lle_flops_fit *fit)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "source", fit->source);
    cJSON_AddStringToObject(o, "fingerprint", fit->fingerprint);
    cJSON_AddNumberToObject(o, "seconds", fit->seconds);
    cJSON_AddNumberToObject(o, "calibration_seconds", fit->calibration_seconds);
    cJSON_AddBoolToObject(o, "flash_attn_used", fit->flash_attn_used);
    cJSON_AddNumberToObject(o, "check_points", fit->n_check_points);
    cJSON_AddStringToObject(o, "llama_release", fit->llama_release);
    cJSON_AddItemToObject(o, "uncounted_ops", uncounted_json(fit->uncounted_ops));
    return o;
}

cJSON *lle_flops_summary_json(const lle_flops_summary *s)
{
    cJSON *o = cJSON_CreateObject();
    double mp = (double)s->model_prefill.total, md = (double)s->model_decode.total;
    double ep = (double)s->exec_prefill.total, ed = (double)s->exec_decode.total;

    if (o == NULL)
        return NULL;
    if (s->has_model)
        cJSON_AddItemToObject(o, "model", figure_json(&s->model_prefill, &s->model_decode));
    if (s->has_executed)
        cJSON_AddItemToObject(o, "executed", figure_json(&s->exec_prefill, &s->exec_decode));
    if (s->has_model && s->has_executed && mp + md > 0.0)
        cJSON_AddNumberToObject(o, "executed_over_model", (ep + ed) / (mp + md));
    add_rates(o, s, mp, md, ep, ed);
    if (s->has_executed)
        cJSON_AddItemToObject(o, "calibration", calibration_json(&s->fit));
    if (s->has_model)
        cJSON_AddStringToObject(o, "model_source", "formula: GGUF hyperparameters (docs/flops.md)");
    if (s->has_executed)
        cJSON_AddStringToObject(o, "executed_source", "llama.cpp graph count, calibrated fit (docs/flops.md)");
    return o;
}

char *lle_flops_summary_to_json(const lle_flops_summary *s)
{
    cJSON *o = lle_flops_summary_json(s);
    char *str = o != NULL ? cJSON_Print(o) : NULL;

    cJSON_Delete(o);
    return str;
}
