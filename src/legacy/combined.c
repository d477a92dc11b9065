/* combined.c — the thesis tool's combined results file
 * (text_generation_results.json): a JSON array of one-key objects
 * {"CONFIGURATION_RUN_#<id>": {setup, variables, model_architecture,
 * results: {inference_metrics, compute_metrics, global_energy_metrics}}},
 * each run the same content as a raw folder's files with newer key names.
 * Per-process CodeCarbon figures are in global_energy_metrics.
 * local_process_results.<metric>.process_<i>; global_experiment_results is
 * the thesis tool's own aggregate (energies summed, powers averaged). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "legacy/legacy_internal.h"

static const char *const METRICS[] = {"cpu_power",  "gpu_power",  "ram_power",        "cpu_energy",
                                      "gpu_energy", "ram_energy", "total_energy_kwh", NULL};

static void set_metric(legacy_process *p, size_t m, double v)
{
    double *slots[] = {&p->cpu_power_w, &p->gpu_power_w, &p->ram_power_w, &p->cpu_kwh,
                       &p->gpu_kwh,     &p->ram_kwh,     &p->total_kwh};

    *slots[m] = v;
}

static legacy_process *process_slot(legacy_run *r, int idx)
{
    for (int i = 0; i < r->n_proc; i++)
        if (r->proc[i].index == idx)
            return &r->proc[i];
    if (r->n_proc >= LEGACY_MAX_PROC)
        return NULL;
    r->proc[r->n_proc] = (legacy_process){idx, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    return &r->proc[r->n_proc++];
}

static lle_status processes(legacy_run *r, const legacy_obj *energy, lle_error *err)
{
    lle_status st = LLE_OK;
    legacy_obj local = legacy_sub(energy, "local_process_results", &st, err);
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(energy->o, "per-process_emissions");

    for (size_t m = 0; METRICS[m] != NULL && st == LLE_OK && local.o != NULL; m++) {
        legacy_obj per = legacy_sub(&local, METRICS[m], &st, err);
        const cJSON *it = NULL;
        cJSON_ArrayForEach(it, per.o)
        {
            int idx = -1;
            legacy_process *p;
            if (sscanf(it->string, "process_%d", &idx) != 1 || idx < 0 || (p = process_slot(r, idx)) == NULL)
                return lle_fail(err, LLE_ERR_FORMAT, "%s: unexpected key '%s'", per.where, it->string);
            set_metric(p, m, legacy_num(&per, it->string, &st, err));
        }
    }
    for (int i = 0; st == LLE_OK && cJSON_IsArray(em) && i < r->n_proc; i++) {
        const cJSON *v = cJSON_GetArrayItem(em, r->proc[i].index);
        r->proc[i].emissions_kg = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    return st;
}

/* Entry `i` of the array: {"CONFIGURATION_RUN_#<id>": {...}} into *r (borrowed). */
static lle_status one_entry(const char *path, size_t i, const cJSON *entry, legacy_run *r, lle_error *err)
{
    const cJSON *run = cJSON_IsObject(entry) ? entry->child : NULL;
    const char *hash = run != NULL && run->string != NULL ? strrchr(run->string, '#') : NULL;
    legacy_obj root, results, energy;
    lle_status st = LLE_OK;

    memset(r, 0, sizeof *r);
    if (run == NULL || hash == NULL || !cJSON_IsObject(run))
        return lle_fail(err, LLE_ERR_FORMAT, "%s: [%zu]: expected {\"CONFIGURATION_RUN_#<id>\": {...}}", path, i);
    lle_strlcpy(r->id, hash + 1, sizeof r->id);
    snprintf(r->source, sizeof r->source, "%.900s: %.100s", path, run->string);
    r->entry = (long)i;
    lle_strlcpy(r->format, "combined text_generation_results.json", sizeof r->format);
    root.o = run;
    snprintf(root.where, sizeof root.where, "%.500s: [%zu].%.100s", path, i, run->string);
    r->setup = legacy_sub(&root, "setup", &st, err);
    r->variables = legacy_sub(&root, "variables", &st, err);
    r->arch = legacy_sub(&root, "model_architecture", &st, err);
    results = legacy_sub(&root, "results", &st, err);
    r->inference = legacy_sub(&results, "inference_metrics", &st, err);
    r->compute = legacy_sub(&results, "compute_metrics", &st, err);
    energy = legacy_sub(&results, "global_energy_metrics", &st, err);
    r->totals = legacy_sub(&energy, "global_experiment_results", &st, err);
    r->totals_kind = r->totals.o != NULL ? "sum of energies, mean of powers over processes "
                                           "(global_experiment_results)"
                                         : NULL;
    if (st == LLE_OK && energy.o != NULL)
        st = processes(r, &energy, err);
    if (st == LLE_OK && (r->setup.o == NULL || r->variables.o == NULL || r->inference.o == NULL))
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: expected setup, variables and results.inference_metrics", root.where);
    return st;
}

lle_status legacy_combined_read(const char *path, legacy_run_fn fn, void *user, lle_error *err)
{
    cJSON *root = NULL;
    const cJSON *entry = NULL;
    legacy_run *r = malloc(sizeof *r);
    size_t i = 0;
    lle_status st = r != NULL ? legacy_read_json(path, path, &root, err)
                              : lle_fail(err, LLE_ERR_NOMEM, "out of memory reading %s", path);

    if (st == LLE_OK && !cJSON_IsArray(root))
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: expected a JSON array of runs", path);
    if (st != LLE_OK) {
        cJSON_Delete(root);
        root = NULL;
    }
    cJSON_ArrayForEach(entry, root)
    {
        st = one_entry(path, i++, entry, r, err);
        if (st == LLE_OK)
            st = fn(user, r, err);
        if (st != LLE_OK)
            break;
    }
    cJSON_Delete(root);
    free(r);
    return st;
}
