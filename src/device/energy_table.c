/* energy_table.c — the extension point through which the energy module
 * (src/energy/) reports its sources in `llm-efficiency devices`: one entry per
 * source family in lle_energy_reporters[] (device_internal.h describes the two
 * callbacks). With no entry, the section says the energy module provides it.
 * Integration: add one line per family above the terminating {NULL} entry and
 * declare the functions in a header of the energy module included here. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "device/device_internal.h"
#include "energy/energy_report.h"

const lle_energy_reporter lle_energy_reporters[] = {
    {"energy", lle_energy_report_json, lle_energy_report_text},
    {NULL, NULL, NULL},
};

#define NO_REPORTER_NOTE "provided by the energy module"

cJSON *lle_energy_sources_json(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = o != NULL ? cJSON_AddArrayToObject(o, "sources") : NULL;

    if (arr == NULL) {
        cJSON_Delete(o);
        o = NULL;
        goto cleanup;
    }
    for (const lle_energy_reporter *r = lle_energy_reporters; r->name != NULL; r++) {
        lle_error err = {0};
        if (r->to_json != NULL && r->to_json(arr, &err) != LLE_OK) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", r->name);
            cJSON_AddBoolToObject(e, "readable", 0);
            cJSON_AddStringToObject(e, "error", err.msg);
            cJSON_AddItemToArray(arr, e);
        }
    }
    if (lle_energy_reporters[0].name == NULL)
        cJSON_AddStringToObject(o, "note", NO_REPORTER_NOTE);
    else
        cJSON_AddNullToObject(o, "note");
cleanup:
    return o;
}

/* Append `s` to the malloc'd buffer *buf of length *len. 0 on OOM. */
static int append(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *p = realloc(*buf, *len + n + 1);

    if (p == NULL)
        return 0;
    memcpy(p + *len, s, n + 1);
    *buf = p;
    *len += n;
    return 1;
}

char *lle_energy_sources_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    int ok = append(&buf, &len, "");

    for (const lle_energy_reporter *r = lle_energy_reporters; ok && r->name != NULL; r++) {
        char *part = r->to_text != NULL ? r->to_text() : NULL;
        ok = part != NULL && append(&buf, &len, part);
        free(part);
    }
    if (ok && lle_energy_reporters[0].name == NULL)
        ok = append(&buf, &len, "  (" NO_REPORTER_NOTE ")\n");
    if (!ok) {
        free(buf);
        buf = NULL;
    }
    return buf;
}
