/* report.c — the `devices` report: the machine, the ggml backends' devices,
 * the calibration cached for this machine (with its age and where it came
 * from) and the energy sources (energy_table.c), as one value and as one
 * JSON object. A missing or corrupt cache is part of the report, not an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "device/device_internal.h"

lle_status lle_devices_report_get(int n_threads, bool quick, const char *cache_dir, lle_devices_report *out,
                                  lle_error *err)
{
    lle_error lerr = {0};
    lle_status st;

    memset(out, 0, sizeof *out);
    st = lle_calibration_key_current(n_threads, quick, &out->key, err);
    if (st == LLE_OK)
        st = lle_machine_info_get(&out->machine, err);
    if (st != LLE_OK)
        return st;
    if (lle_calibration_load(&out->key, cache_dir, &out->calibration, out->calibration_path,
                             sizeof out->calibration_path, &lerr) == LLE_OK)
        out->have_calibration = true;
    else
        lle_strlcpy(out->calibration_note, lerr.msg, sizeof out->calibration_note);
    return LLE_OK;
}

static cJSON *machine_json(const lle_machine_info *m)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "cpu_model", m->cpu_model);
    cJSON_AddNumberToObject(o, "cpu_cores", m->cpu_cores);
    if (m->memory_total_bytes > 0)
        cJSON_AddNumberToObject(o, "memory_total_bytes", (double)m->memory_total_bytes);
    else
        cJSON_AddNullToObject(o, "memory_total_bytes");
    if (m->llc_bytes > 0)
        cJSON_AddNumberToObject(o, "llc_bytes", (double)m->llc_bytes);
    else
        cJSON_AddNullToObject(o, "llc_bytes");
    cJSON_AddStringToObject(o, "llama_cpp_release", m->llama_release);
    return o;
}

static cJSON *backends_json(const lle_machine_info *m)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr != NULL && i < m->n_devices; i++) {
        const lle_backend_device *d = &m->devices[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "description", d->description);
        cJSON_AddStringToObject(o, "backend", d->backend);
        cJSON_AddStringToObject(o, "type", d->type);
        cJSON_AddNumberToObject(o, "memory_free_bytes", (double)d->memory_free_bytes);
        cJSON_AddNumberToObject(o, "memory_total_bytes", (double)d->memory_total_bytes);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* The peaks a run on this machine would use: bandwidth, and the prefill GEMM
 * peak of each calibrated weight type (a model's peak combines its types). */
static cJSON *peaks_json(const lle_devices_report *r)
{
    cJSON *o = cJSON_CreateObject(), *types;
    const lle_calibration *c = &r->calibration;
    char source[64];

    if (!r->have_calibration) {
        cJSON_AddStringToObject(o, "source", "none");
        cJSON_AddNullToObject(o, "bandwidth_bytes_per_s");
        cJSON_AddNullToObject(o, "bandwidth_from");
        cJSON_AddObjectToObject(o, "flops_per_s");
        return o;
    }
    snprintf(source, sizeof source, "calibrated %s", c->measured_at);
    cJSON_AddStringToObject(o, "source", source);
    cJSON_AddNumberToObject(o, "bandwidth_bytes_per_s", c->peak_bandwidth_bytes_per_s);
    cJSON_AddStringToObject(o, "bandwidth_from", c->peak_bandwidth_from);
    types = cJSON_AddObjectToObject(o, "flops_per_s");
    for (size_t i = 0; types != NULL && i < c->n_types; i++)
        cJSON_AddNumberToObject(types, c->types[i].type, c->types[i].prefill_flops_per_s.best);
    return o;
}

static cJSON *calibration_json(const lle_devices_report *r)
{
    cJSON *o = cJSON_CreateObject(), *key = cJSON_AddObjectToObject(o, "key");

    cJSON_AddStringToObject(key, "cpu_model", r->key.cpu_model);
    cJSON_AddNumberToObject(key, "cpu_cores", r->key.cpu_cores);
    cJSON_AddNumberToObject(key, "n_threads", r->key.n_threads);
    cJSON_AddStringToObject(key, "llama_cpp_release", r->key.llama_release);
    cJSON_AddStringToObject(key, "workload", r->key.workload);
    cJSON_AddBoolToObject(o, "found", r->have_calibration);
    cJSON_AddStringToObject(o, "path", r->calibration_path);
    if (r->have_calibration) {
        double age = difftime(time(NULL), (time_t)r->calibration.measured_at_unix);
        cJSON_AddNumberToObject(o, "age_s", age > 0.0 ? age : 0.0);
        cJSON_AddNullToObject(o, "note");
    } else {
        cJSON_AddNullToObject(o, "age_s");
        cJSON_AddStringToObject(o, "note", r->calibration_note);
    }
    cJSON_AddItemToObject(o, "peaks", peaks_json(r));
    if (r->have_calibration)
        cJSON_AddItemToObject(o, "measurement", lle_calibration_json(&r->calibration));
    else
        cJSON_AddNullToObject(o, "measurement");
    return o;
}

char *lle_devices_report_to_json(const lle_devices_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *energy = lle_energy_sources_json();
    char *s = NULL;

    if (root == NULL || energy == NULL)
        goto cleanup;
    cJSON_AddItemToObject(root, "machine", machine_json(&r->machine));
    cJSON_AddItemToObject(root, "backends", backends_json(&r->machine));
    cJSON_AddItemToObject(root, "calibration", calibration_json(r));
    cJSON_AddItemToObject(root, "energy_sources", energy);
    energy = NULL;
    s = cJSON_Print(root);
cleanup:
    cJSON_Delete(energy);
    cJSON_Delete(root);
    return s;
}
