/* report.c — every energy source of the machine (lle_energy_probe_sources) as
 * JSON and as text: the public lle_energy_probe_to_json() and the reporter
 * `llm-efficiency devices` registers (energy_report.h). A readable source shows
 * its current reading (counter joules or power now); an unreadable one its
 * reason and, where one exists, the command that fixes it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/energy_internal.h"
#include "energy/energy_report.h"

static cJSON *info_json(const lle_energy_source_info *s)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "kind", s->kind);
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "domain", s->domain);
    cJSON_AddStringToObject(o, "method", lle_energy_method_name(s->method));
    cJSON_AddBoolToObject(o, "readable", s->readable);
    cJSON_AddBoolToObject(o, "in_total", s->in_total);
    cJSON_AddItemToObject(o, "energy_j", s->has_energy ? cJSON_CreateNumber(s->energy_j) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "power_w", s->has_power ? cJSON_CreateNumber(s->power_w) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "how", s->how);
    cJSON_AddStringToObject(o, "status", s->status);
    cJSON_AddStringToObject(o, "fix", s->fix);
    return o;
}

static lle_status add_all(const lle_energy_probe *p, cJSON *arr, lle_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        cJSON *o = info_json(&p->sources[i]);
        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory listing energy sources");
        }
    }
    return LLE_OK;
}

char *lle_energy_probe_to_json(const lle_energy_probe *p)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "sources");
    char *out = NULL;

    if (arr != NULL && add_all(p, arr, NULL) == LLE_OK)
        out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}

lle_status lle_energy_report_json(cJSON *sources, lle_error *err)
{
    lle_energy_probe *p = NULL;
    lle_status st = lle_energy_probe_sources(NULL, &p, err);

    if (st == LLE_OK)
        st = add_all(p, sources, err);
    lle_energy_probe_free(p);
    return st;
}

/* One source as "  id  method  reading" plus its reason/fix lines. */
static void info_text(const lle_energy_source_info *s, char *buf, size_t size)
{
    char reading[64] = "";

    if (s->has_energy)
        lle_energy_fmt(reading, sizeof reading, "%.3f J (counter)", s->energy_j);
    else if (s->has_power)
        lle_energy_fmt(reading, sizeof reading, "%.2f W now", s->power_w);
    if (s->readable)
        lle_energy_fmt(buf, size, "  %-24s %-9s %-22s %s%s\n      %s\n", s->id, lle_energy_method_name(s->method),
                       reading, s->name, s->in_total ? "" : " (inside another source: not summed)", s->how);
    else
        lle_energy_fmt(buf, size, "  %-24s not readable: %s\n%s%s%s", s->id, s->status, s->fix[0] ? "      fix: " : "",
                       s->fix, s->fix[0] ? "\n" : "");
}

char *lle_energy_report_text(void)
{
    lle_energy_probe *p = NULL;
    char *out = NULL, line[1400];
    size_t len = 0;
    lle_error err;

    if (lle_energy_probe_sources(NULL, &p, &err) != LLE_OK)
        return NULL;
    out = calloc(1, 1);
    for (size_t i = 0; out != NULL && i < p->n; i++) {
        size_t n;
        char *grown;
        info_text(&p->sources[i], line, sizeof line);
        n = strlen(line);
        grown = realloc(out, len + n + 1);
        if (grown == NULL) {
            free(out);
            out = NULL;
            break;
        }
        out = grown;
        memcpy(out + len, line, n + 1);
        len += n;
    }
    lle_energy_probe_free(p);
    return out;
}
