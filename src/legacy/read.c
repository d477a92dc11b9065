/* read.c — reading the thesis tool's JSON files for the legacy import: whole
 * files parsed with the line of a syntax error in the message, typed access
 * to fields that may be absent or null (a value of the wrong type is an
 * error naming the file and field), and one CodeCarbon energy_results
 * object into a legacy_process. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "legacy/legacy_internal.h"

void legacy_run_free(legacy_run *r)
{
    for (int i = 0; i < r->n_owned; i++)
        cJSON_Delete(r->owned[i]);
    r->n_owned = 0;
}

static char *slurp(const char *path, size_t *len, lle_error *err, lle_status *st)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;

    *st = LLE_OK;
    if (f == NULL) {
        *st = lle_fail(err, LLE_ERR_IO, "%s: cannot read", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
        *st = lle_fail(err, n < 0 ? LLE_ERR_IO : LLE_ERR_NOMEM, "%s: cannot read", path);
    }
    fclose(f);
    return buf;
}

lle_status legacy_read_json(const char *path, const char *label, cJSON **out, lle_error *err)
{
    size_t len = 0;
    lle_status st;
    char *text = slurp(path, &len, err, &st);
    const char *end = NULL;

    *out = NULL;
    if (text == NULL)
        return st;
    *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (*out == NULL) {
        int line = 1;
        for (const char *p = text; end != NULL && p < end && p < text + len; p++)
            line += *p == '\n';
        st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: not valid JSON", label, line);
    }
    free(text);
    return st;
}

static const char *type_name(const cJSON *n)
{
    return cJSON_IsString(n)   ? "a string"
           : cJSON_IsNumber(n) ? "a number"
           : cJSON_IsBool(n)   ? "a boolean"
           : cJSON_IsArray(n)  ? "an array"
           : cJSON_IsObject(n) ? "an object"
                               : "something else";
}

static const cJSON *field(const legacy_obj *o, const char *key)
{
    const cJSON *n = cJSON_IsObject(o->o) ? cJSON_GetObjectItemCaseSensitive(o->o, key) : NULL;

    return cJSON_IsNull(n) ? NULL : n;
}

static void wrong_type(const legacy_obj *o, const char *key, const char *want, const cJSON *n, lle_status *st,
                       lle_error *err)
{
    if (*st == LLE_OK)
        *st = lle_fail(err, LLE_ERR_FORMAT, "%s: %s: expected %s, found %s", o->where, key, want, type_name(n));
}

double legacy_num(const legacy_obj *o, const char *key, lle_status *st, lle_error *err)
{
    const cJSON *n = field(o, key);

    if (n == NULL)
        return NAN;
    if (cJSON_IsBool(n)) /* Python wrote True/False where the value was a flag */
        return cJSON_IsTrue(n) ? 1.0 : 0.0;
    if (!cJSON_IsNumber(n)) {
        wrong_type(o, key, "a number", n, st, err);
        return NAN;
    }
    return n->valuedouble;
}

const char *legacy_str(const legacy_obj *o, const char *key, lle_status *st, lle_error *err)
{
    const cJSON *n = field(o, key);

    if (n == NULL)
        return NULL;
    if (!cJSON_IsString(n)) {
        wrong_type(o, key, "a string", n, st, err);
        return NULL;
    }
    return n->valuestring;
}

legacy_obj legacy_sub(const legacy_obj *o, const char *key, lle_status *st, lle_error *err)
{
    legacy_obj sub;
    const cJSON *n = field(o, key);

    memset(&sub, 0, sizeof sub);
    snprintf(sub.where, sizeof sub.where, "%.500s: %.100s", o->where, key);
    if (n != NULL && !cJSON_IsObject(n))
        wrong_type(o, key, "an object", n, st, err);
    else
        sub.o = n;
    return sub;
}

lle_status legacy_process_read(const legacy_obj *o, int index, double pid, legacy_process *p, lle_error *err)
{
    lle_status st = LLE_OK;

    p->index = index;
    p->pid = pid;
    p->cpu_power_w = legacy_num(o, "cpu_power", &st, err);
    p->gpu_power_w = legacy_num(o, "gpu_power", &st, err);
    p->ram_power_w = legacy_num(o, "ram_power", &st, err);
    p->cpu_kwh = legacy_num(o, "cpu_energy", &st, err);
    p->gpu_kwh = legacy_num(o, "gpu_energy", &st, err);
    p->ram_kwh = legacy_num(o, "ram_energy", &st, err);
    p->total_kwh = legacy_num(o, "total_energy_kwh", &st, err);
    p->emissions_kg = legacy_num(o, "final_emissions", &st, err);
    return st;
}
