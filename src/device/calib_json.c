/* calib_json.c — the calibration document (the cache file format, also
 * printed by `devices --json`): lle_calibration <-> JSON. Parsing is strict:
 * a missing or mistyped field is a FORMAT error naming the field, so a
 * corrupt or foreign cache file is never taken for a measurement. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "device/device_internal.h"

#define CALIB_SCHEMA         "llm-efficiency/calibration"
#define CALIB_SCHEMA_VERSION 1

static cJSON *measure_json(lle_measure m)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "best", m.best);
    cJSON_AddNumberToObject(o, "median", m.median);
    return o;
}

static cJSON *key_json(const lle_calibration_key *k)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "cpu_model", k->cpu_model);
    cJSON_AddNumberToObject(o, "cpu_cores", k->cpu_cores);
    cJSON_AddNumberToObject(o, "n_threads", k->n_threads);
    cJSON_AddStringToObject(o, "llama_cpp_release", k->llama_release);
    cJSON_AddStringToObject(o, "workload", k->workload);
    return o;
}

static cJSON *types_json(const lle_calibration *c)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr != NULL && i < c->n_types; i++) {
        const lle_calibration_type *t = &c->types[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", t->type);
        cJSON_AddStringToObject(o, "weight_buffer", t->weight_buffer);
        cJSON_AddItemToObject(o, "prefill_flops_per_s", measure_json(t->prefill_flops_per_s));
        cJSON_AddItemToObject(o, "decode_flops_per_s", measure_json(t->decode_flops_per_s));
        cJSON_AddItemToObject(o, "decode_bytes_per_s", measure_json(t->decode_bytes_per_s));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *workload_json(const lle_calibration *c)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "prefill_m", c->prefill_m);
    cJSON_AddNumberToObject(o, "prefill_k", c->prefill_k);
    cJSON_AddNumberToObject(o, "prefill_n", c->prefill_n);
    cJSON_AddNumberToObject(o, "decode_k", c->decode_k);
    cJSON_AddNumberToObject(o, "decode_weight_bytes_target", (double)c->decode_weight_bytes_target);
    cJSON_AddNumberToObject(o, "stream_bytes", (double)c->stream_bytes);
    cJSON_AddNumberToObject(o, "llc_bytes", (double)c->llc_bytes);
    return o;
}

cJSON *lle_calibration_json(const lle_calibration *c)
{
    cJSON *o = cJSON_CreateObject(), *method, *bw;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "schema", CALIB_SCHEMA);
    cJSON_AddNumberToObject(o, "schema_version", CALIB_SCHEMA_VERSION);
    cJSON_AddItemToObject(o, "key", key_json(&c->key));
    cJSON_AddStringToObject(o, "source", "measured");
    cJSON_AddStringToObject(o, "measured_at", c->measured_at);
    cJSON_AddNumberToObject(o, "measured_at_unix", (double)c->measured_at_unix);
    cJSON_AddStringToObject(o, "tool_version", c->tool_version);
    cJSON_AddStringToObject(o, "backend_description", c->backend_description);
    cJSON_AddNumberToObject(o, "duration_s", c->duration_s);
    method = cJSON_AddObjectToObject(o, "method");
    cJSON_AddStringToObject(method, "statistic", "best");
    cJSON_AddNumberToObject(method, "repetitions", c->repetitions);
    cJSON_AddNumberToObject(method, "warmup", 1);
    cJSON_AddItemToObject(o, "workload", workload_json(c));
    bw = cJSON_AddObjectToObject(o, "bandwidth");
    cJSON_AddItemToObject(bw, "stream_read_bytes_per_s", measure_json(c->stream_read_bytes_per_s));
    cJSON_AddItemToObject(bw, "stream_copy_bytes_per_s", measure_json(c->stream_copy_bytes_per_s));
    cJSON_AddNumberToObject(bw, "peak_bytes_per_s", c->peak_bandwidth_bytes_per_s);
    cJSON_AddStringToObject(bw, "peak_from", c->peak_bandwidth_from);
    cJSON_AddItemToObject(o, "types", types_json(c));
    return o;
}

char *lle_calibration_to_json(const lle_calibration *c)
{
    cJSON *o = lle_calibration_json(c);
    char *s = o != NULL ? cJSON_Print(o) : NULL;

    cJSON_Delete(o);
    return s;
}

/* ---- parsing ---- */

static lle_status need_num(const cJSON *o, const char *name, double min, double *out, lle_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min)
        return lle_fail(err, LLE_ERR_FORMAT, "field '%s' is missing or not a number >= %g", name, min);
    *out = v->valuedouble;
    return LLE_OK;
}

static lle_status need_int(const cJSON *o, const char *name, int *out, lle_error *err)
{
    double d = 0.0;
    lle_status st = need_num(o, name, 0.0, &d, err);

    if (st == LLE_OK && d > 2147483647.0)
        st = lle_fail(err, LLE_ERR_FORMAT, "field '%s' is out of range", name);
    *out = (int)d;
    return st;
}

static lle_status need_u64(const cJSON *o, const char *name, uint64_t *out, lle_error *err)
{
    double d = 0.0;
    lle_status st = need_num(o, name, 0.0, &d, err);

    *out = (uint64_t)d;
    return st;
}

static lle_status need_str(const cJSON *o, const char *name, char *out, size_t size, lle_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return lle_fail(err, LLE_ERR_FORMAT, "field '%s' is missing, not a string or too long", name);
    lle_strlcpy(out, v->valuestring, size);
    return LLE_OK;
}

static lle_status need_obj(const cJSON *o, const char *name, const cJSON **out, lle_error *err)
{
    *out = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsObject(*out))
        return lle_fail(err, LLE_ERR_FORMAT, "field '%s' is missing or not an object", name);
    return LLE_OK;
}

static lle_status need_measure(const cJSON *o, const char *name, lle_measure *m, lle_error *err)
{
    const cJSON *v = NULL;
    lle_status st = need_obj(o, name, &v, err);

    if (st == LLE_OK)
        st = need_num(v, "best", 0.0, &m->best, err);
    if (st == LLE_OK)
        st = need_num(v, "median", 0.0, &m->median, err);
    if (st != LLE_OK)
        lle_fail(err, LLE_ERR_FORMAT, "field '%s': best/median missing or not numbers >= 0", name);
    return st;
}

static lle_status parse_key(const cJSON *root, lle_calibration_key *k, lle_error *err)
{
    const cJSON *o = NULL;
    lle_status st = need_obj(root, "key", &o, err);

    if (st == LLE_OK)
        st = need_str(o, "cpu_model", k->cpu_model, sizeof k->cpu_model, err);
    if (st == LLE_OK)
        st = need_int(o, "cpu_cores", &k->cpu_cores, err);
    if (st == LLE_OK)
        st = need_int(o, "n_threads", &k->n_threads, err);
    if (st == LLE_OK)
        st = need_str(o, "llama_cpp_release", k->llama_release, sizeof k->llama_release, err);
    if (st == LLE_OK)
        st = need_str(o, "workload", k->workload, sizeof k->workload, err);
    return st;
}

static lle_status parse_workload(const cJSON *root, lle_calibration *c, lle_error *err)
{
    const cJSON *o = NULL, *m = NULL;
    lle_status st = need_obj(root, "workload", &o, err);

    if (st == LLE_OK)
        st = need_int(o, "prefill_m", &c->prefill_m, err);
    if (st == LLE_OK)
        st = need_int(o, "prefill_k", &c->prefill_k, err);
    if (st == LLE_OK)
        st = need_int(o, "prefill_n", &c->prefill_n, err);
    if (st == LLE_OK)
        st = need_int(o, "decode_k", &c->decode_k, err);
    if (st == LLE_OK)
        st = need_u64(o, "decode_weight_bytes_target", &c->decode_weight_bytes_target, err);
    if (st == LLE_OK)
        st = need_u64(o, "stream_bytes", &c->stream_bytes, err);
    if (st == LLE_OK)
        st = need_u64(o, "llc_bytes", &c->llc_bytes, err);
    if (st == LLE_OK)
        st = need_obj(root, "method", &m, err);
    if (st == LLE_OK)
        st = need_int(m, "repetitions", &c->repetitions, err);
    return st;
}

static lle_status parse_bandwidth(const cJSON *root, lle_calibration *c, lle_error *err)
{
    const cJSON *o = NULL;
    lle_status st = need_obj(root, "bandwidth", &o, err);

    if (st == LLE_OK)
        st = need_measure(o, "stream_read_bytes_per_s", &c->stream_read_bytes_per_s, err);
    if (st == LLE_OK)
        st = need_measure(o, "stream_copy_bytes_per_s", &c->stream_copy_bytes_per_s, err);
    if (st == LLE_OK)
        st = need_num(o, "peak_bytes_per_s", 0.0, &c->peak_bandwidth_bytes_per_s, err);
    if (st == LLE_OK)
        st = need_str(o, "peak_from", c->peak_bandwidth_from, sizeof c->peak_bandwidth_from, err);
    return st;
}

static lle_status parse_types(const cJSON *root, lle_calibration *c, lle_error *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "types"), *o;
    lle_status st = LLE_OK;

    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > LLE_CALIB_MAX_TYPES)
        return lle_fail(err, LLE_ERR_FORMAT, "field 'types' is missing, not an array or too long");
    cJSON_ArrayForEach(o, arr)
    {
        lle_calibration_type *t = &c->types[c->n_types++];
        if (!cJSON_IsObject(o))
            return lle_fail(err, LLE_ERR_FORMAT, "types[%zu] is not an object", c->n_types - 1);
        st = need_str(o, "type", t->type, sizeof t->type, err);
        if (st == LLE_OK)
            st = need_str(o, "weight_buffer", t->weight_buffer, sizeof t->weight_buffer, err);
        if (st == LLE_OK)
            st = need_measure(o, "prefill_flops_per_s", &t->prefill_flops_per_s, err);
        if (st == LLE_OK)
            st = need_measure(o, "decode_flops_per_s", &t->decode_flops_per_s, err);
        if (st == LLE_OK)
            st = need_measure(o, "decode_bytes_per_s", &t->decode_bytes_per_s, err);
        if (st != LLE_OK) {
            char why[LLE_ERROR_MSG_MAX];
            lle_strlcpy(why, err != NULL ? err->msg : "", sizeof why);
            return lle_fail(err, LLE_ERR_FORMAT, "types[%zu]: %s", c->n_types - 1, why);
        }
    }
    return st;
}

static lle_status parse_header(const cJSON *root, lle_calibration *c, lle_error *err)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    double unix_s = 0.0;
    lle_status st;

    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, CALIB_SCHEMA) != 0)
        return lle_fail(err, LLE_ERR_FORMAT, "not a calibration document (field 'schema' is not \"%s\")", CALIB_SCHEMA);
    if (!cJSON_IsNumber(ver) || ver->valuedouble != CALIB_SCHEMA_VERSION)
        return lle_fail(err, LLE_ERR_FORMAT, "field 'schema_version' is not %d", CALIB_SCHEMA_VERSION);
    st = parse_key(root, &c->key, err);
    if (st == LLE_OK)
        st = need_str(root, "measured_at", c->measured_at, sizeof c->measured_at, err);
    if (st == LLE_OK)
        st = need_num(root, "measured_at_unix", 0.0, &unix_s, err);
    c->measured_at_unix = (int64_t)unix_s;
    if (st == LLE_OK)
        st = need_str(root, "tool_version", c->tool_version, sizeof c->tool_version, err);
    if (st == LLE_OK)
        st = need_str(root, "backend_description", c->backend_description, sizeof c->backend_description, err);
    if (st == LLE_OK)
        st = need_num(root, "duration_s", 0.0, &c->duration_s, err);
    return st;
}

lle_status lle_calibration_from_json(const char *json, lle_calibration *out, lle_error *err)
{
    cJSON *root = cJSON_Parse(json);
    lle_status st;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(root)) {
        st = lle_fail(err, LLE_ERR_FORMAT, "not a JSON object");
        goto cleanup;
    }
    st = parse_header(root, out, err);
    if (st == LLE_OK)
        st = parse_workload(root, out, err);
    if (st == LLE_OK)
        st = parse_bandwidth(root, out, err);
    if (st == LLE_OK)
        st = parse_types(root, out, err);
cleanup:
    cJSON_Delete(root);
    return st;
}

const lle_calibration_type *lle_calibration_find_type(const lle_calibration *c, const char *type)
{
    for (size_t i = 0; c != NULL && type != NULL && i < c->n_types; i++)
        if (strcmp(c->types[i].type, type) == 0)
            return &c->types[i];
    return NULL;
}
