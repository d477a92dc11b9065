/* resolve.c — what makes two experiments "the same": a configuration is
 * normalised (decoding preset expanded, settings that cannot take effect in
 * this run reset to their defaults, implicit defaults made explicit), written
 * as canonical JSON of the fields that differ from the defaults (in schema
 * order, numbers in their shortest exact form), and hashed with SHA-256. The
 * grid's deduplication and the campaign journal's identity both use it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_internal.h"
#include "common/util.h"

static bool str_is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

static void normalize_traffic(lle_run_config *c)
{
    if (c->traffic == NULL)
        c->traffic = "none";
    if (!str_is(c->traffic, "constant"))
        c->delay_s = 0.0;
    if (!str_is(c->traffic, "uniform"))
        c->delay_min_s = c->delay_max_s = 0.0;
    if (!str_is(c->traffic, "burst")) {
        c->burst_size = 0;
        c->burst_interval_s = 0.0;
    }
    if (!str_is(c->traffic, "poisson"))
        c->rate = 0.0;
}

static void normalize_decoding(lle_run_config *c)
{
    c->decoding_preset = NULL;    /* expanded into the sampling fields */
    if (c->temperature <= 0.0f) { /* greedy: the sampling filters never run */
        c->temperature = 0.0f;
        c->top_k = 0;
        c->top_p = 1.0f;
        c->min_p = 0.0f;
    }
    if (c->repeat_penalty == 1.0f)
        c->repeat_last_n = 64;
    if (c->ignore_eos)
        c->min_output_tokens = 0;
}

lle_status cmp_normalize(const lle_run_config *in, lle_run_config *out, lle_error *err)
{
    lle_status st;

    *out = *in;
    st = lle_run_config_apply_preset(out, err);
    if (st != LLE_OK)
        return st;
    normalize_decoding(out);
    normalize_traffic(out);
    if (out->model_path != NULL) {
        out->preset = out->preset_type = NULL;
    } else if (out->preset_type == NULL) {
        out->preset_type = "q4_k_m";
    }
    out->cache_dir = NULL;
    if (out->split_mode == NULL)
        out->split_mode = "layer";
    if (out->kv_type == NULL)
        out->kv_type = "f16";
    if (out->adaptive_tokens > 0)
        out->batch_size = 1;
    else
        out->adaptive_max_batch = 100;
    if (out->prompt_file == NULL)
        out->prompt_format = "auto";
    else
        out->min_input_tokens = 0;
    if (out->prompt_format == NULL)
        out->prompt_format = "auto";
    if (out->prompt_order == NULL)
        out->prompt_order = "as_given";
    return LLE_OK;
}

/* Shortest decimal that reads back as the same float / double. */
static double short_float(float v)
{
    char buf[32];

    for (int p = 6; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return strtod(buf, NULL);
}

/* The field's value as a JSON item, or NULL when it equals the default. */
static cJSON *field_item(const lle_config_field *f, const lle_run_config *c, const lle_run_config *d)
{
    const char *a = (const char *)c + f->offset, *b = (const char *)d + f->offset;

    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
    case LLE_CONFIG_ENUM: {
        const char *s = *(const char *const *)a, *t = *(const char *const *)b;
        if (s == t || (s != NULL && t != NULL && strcmp(s, t) == 0))
            return NULL;
        return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
    }
    case LLE_CONFIG_AUTO_BOOL:
    case LLE_CONFIG_INT:
        return *(const int *)a == *(const int *)b ? NULL : cJSON_CreateNumber(*(const int *)a);
    case LLE_CONFIG_U64: {
        char buf[24];
        if (*(const uint64_t *)a == *(const uint64_t *)b)
            return NULL;
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(const uint64_t *)a);
        return cJSON_CreateRaw(buf); /* exact beyond 2^53 */
    }
    case LLE_CONFIG_FLOAT:
        return *(const float *)a == *(const float *)b ? NULL : cJSON_CreateNumber(short_float(*(const float *)a));
    case LLE_CONFIG_DOUBLE:
        return *(const double *)a == *(const double *)b ? NULL : cJSON_CreateNumber(*(const double *)a);
    case LLE_CONFIG_BOOL:
        return *(const bool *)a == *(const bool *)b ? NULL : cJSON_CreateBool(*(const bool *)a);
    case LLE_CONFIG_FLOAT_LIST: {
        cJSON *arr;
        if (c->n_tensor_split == 0)
            return NULL;
        arr = cJSON_CreateArray();
        for (int i = 0; i < c->n_tensor_split; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(short_float(c->tensor_split[i])));
        return arr;
    }
    }
    return NULL;
}

char *cmp_config_json(const lle_run_config *norm)
{
    lle_run_config init, def;
    cJSON *root = cJSON_CreateObject();
    char *out;

    lle_run_config_init(&init); /* defaults normalised the same way: implicit values compare equal */
    if (cmp_normalize(&init, &def, NULL) != LLE_OK)
        def = init;
    for (size_t i = 0; root != NULL && i < lle_config_field_count(); i++) {
        const lle_config_field *f = lle_config_field_at(i);
        cJSON *item;
        if (strcmp(f->name, "cache_dir") == 0)
            continue;
        item = field_item(f, norm, &def);
        if (item != NULL)
            cJSON_AddItemToObject(root, f->name, item);
    }
    out = root != NULL ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return out;
}

void cmp_value_text(const lle_config_value *v, char *buf, size_t size)
{
    const lle_config_field *f = lle_config_field_at((size_t)v->field);

    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
    case LLE_CONFIG_ENUM:
        snprintf(buf, size, "%s", v->s != NULL ? v->s : "null");
        break;
    case LLE_CONFIG_AUTO_BOOL:
        snprintf(buf, size, "%s", v->i < 0 ? "auto" : v->i ? "on" : "off");
        break;
    case LLE_CONFIG_INT:
        snprintf(buf, size, "%lld", v->i);
        break;
    case LLE_CONFIG_U64:
        snprintf(buf, size, "%llu", (unsigned long long)v->u);
        break;
    case LLE_CONFIG_FLOAT:
        snprintf(buf, size, "%g", short_float((float)v->d));
        break;
    case LLE_CONFIG_DOUBLE:
        snprintf(buf, size, "%.15g", v->d);
        break;
    case LLE_CONFIG_BOOL:
        snprintf(buf, size, "%s", v->b ? "true" : "false");
        break;
    case LLE_CONFIG_FLOAT_LIST:
        snprintf(buf, size, "[%d values]", v->n_list);
        break;
    }
}
