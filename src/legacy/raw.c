/* raw.c — one thesis-tool experiment folder results/raw_results/<id>/ into a
 * legacy_run. Files <id>_1_experiment_setup.json, _2_experiment_variables,
 * _4_inference_metrics are required; _3_model_architecture and
 * _5_compute_metrics are used when present; per-process CodeCarbon files come
 * in three name generations (A: _process_<i>_local_energy_results, B:
 * _process_<i>_6_local_energy_results, C: _6_local_energy_results_process_#<i>);
 * _7_global_energy_results holds the thesis tool's own aggregate (a mean over
 * processes; all zero in generation C, where its glob found nothing);
 * _8_ text/token outputs are listed, not imported. Provenance of the real
 * files: ../shared/data/legacy/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "legacy/legacy_internal.h"

static const char *const REQUIRED[] = {"1_experiment_setup", "2_experiment_variables", "4_inference_metrics", NULL};

/* Parse `name` in `dir` (owned by r) into *obj; *obj->o NULL when absent. */
static lle_status load(legacy_run *r, const char *dir, const char *name, legacy_obj *obj, lle_error *err)
{
    char path[4400];
    cJSON *root = NULL;
    lle_status st;
    FILE *probe;

    memset(obj, 0, sizeof *obj);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(obj->where, sizeof obj->where, "%.600s", path);
    probe = fopen(path, "rb");
    if (probe == NULL)
        return LLE_OK;
    fclose(probe);
    if (r->n_owned >= LEGACY_MAX_FILES)
        return lle_fail(err, LLE_ERR_FORMAT, "%s: too many files in one experiment folder", dir);
    st = legacy_read_json(path, path, &root, err);
    if (st != LLE_OK)
        return st;
    r->owned[r->n_owned++] = root;
    obj->o = root;
    if (!cJSON_IsObject(root) && !cJSON_IsArray(root))
        return lle_fail(err, LLE_ERR_FORMAT, "%s: expected a JSON object", path);
    return LLE_OK;
}

/* Process index from a per-process file name; -1 when it is not one. */
static int process_index(const char *base, const char *id, char *gen)
{
    size_t n = strlen(id);
    int idx = -1, used = 0;

    if (strncmp(base, id, n) != 0 || base[n] != '_')
        return -1;
    base += n + 1;
    if (sscanf(base, "process_%d_local_energy_results.json%n", &idx, &used) == 1 && base[used] == '\0')
        *gen = 'A';
    else if (sscanf(base, "process_%d_6_local_energy_results.json%n", &idx, &used) == 1 && base[used] == '\0')
        *gen = 'B';
    else if (sscanf(base, "6_local_energy_results_process_#%d.json%n", &idx, &used) == 1 && base[used] == '\0')
        *gen = 'C';
    else
        idx = -1;
    return idx;
}

static lle_status read_process(legacy_run *r, const char *dir, const char *base, int idx, lle_error *err)
{
    legacy_obj file, res;
    lle_status st = load(r, dir, base, &file, err);
    double pid;

    if (st != LLE_OK || file.o == NULL)
        return st;
    if (r->n_proc >= LEGACY_MAX_PROC)
        return lle_fail(err, LLE_ERR_FORMAT, "%s: more than %d process files", dir, LEGACY_MAX_PROC);
    pid = legacy_num(&file, "process_id", &st, err);
    res = legacy_sub(&file, "energy_results", &st, err);
    if (st == LLE_OK)
        st = legacy_process_read(&res, idx, pid, &r->proc[r->n_proc++], err);
    return st;
}

static int cmp_proc(const void *a, const void *b)
{
    const legacy_process *x = a, *y = b;

    return (x->index > y->index) - (x->index < y->index);
}

/* Every <id>_*.json: per-process files read, the rest listed. `dir` and `id`
 * are matched literally (a folder named "a[1]" is not a pattern). */
static lle_status scan_files(legacy_run *r, const char *dir, const char *id, char *gen, lle_error *err)
{
    char prefix[300], **names = NULL;
    lle_error e = {0};
    lle_status st = LLE_OK;

    if ((size_t)snprintf(prefix, sizeof prefix, "%s_", id) >= sizeof prefix)
        st = lle_fail(err, LLE_ERR_INVALID, "%s: folder name too long", dir);
    else if (lle_dir_list(dir, prefix, "*.json", &names, NULL, &e) == LLE_ERR_NOMEM)
        st = lle_fail(err, LLE_ERR_NOMEM, "%s", e.msg);
    for (size_t i = 0; names != NULL && names[i] != NULL && st == LLE_OK; i++) {
        const char *base = names[i];
        int idx = process_index(base, id, gen);
        if (r->n_files < LEGACY_MAX_FILES)
            lle_strlcpy(r->files[r->n_files++], base, sizeof r->files[0]);
        if (idx >= 0)
            st = read_process(r, dir, base, idx, err);
    }
    lle_names_free(names);
    qsort(r->proc, (size_t)r->n_proc, sizeof r->proc[0], cmp_proc);
    return st;
}

/* The 7_ file's experiment_avg, unless it is all zero (generation C). */
static void totals(legacy_run *r, lle_status *st, lle_error *err)
{
    legacy_obj avg = legacy_sub(&r->totals, "experiment_avg", st, err);
    double kwh = legacy_num(&avg, "total_energy_kwh", st, err);

    r->totals = avg;
    r->totals_kind = avg.o == NULL                ? NULL
                     : (isnan(kwh) || kwh == 0.0) ? "empty: the thesis tool's aggregation found no process files"
                                                  : "mean over processes (the 7_ file's experiment_avg)";
}

lle_status legacy_raw_read(const char *dir, const char *id, legacy_run *out, char *why, size_t why_size, lle_error *err)
{
    char name[160], gen = 0;
    legacy_obj *slots[] = {&out->setup, &out->variables, &out->inference};
    lle_status st = LLE_OK;

    memset(out, 0, sizeof *out);
    lle_strlcpy(out->id, id, sizeof out->id);
    lle_strlcpy(out->source, dir, sizeof out->source);
    out->entry = -1;
    for (size_t i = 0; REQUIRED[i] != NULL && st == LLE_OK; i++) {
        snprintf(name, sizeof name, "%s_%s.json", id, REQUIRED[i]);
        st = load(out, dir, name, slots[i], err);
        if (st == LLE_OK && slots[i]->o == NULL) {
            snprintf(why, why_size, "no %s (an incomplete experiment folder)", name);
            st = LLE_ERR_NOT_FOUND;
        }
    }
    snprintf(name, sizeof name, "%s_3_model_architecture.json", id);
    st = st == LLE_OK ? load(out, dir, name, &out->arch, err) : st;
    snprintf(name, sizeof name, "%s_5_compute_metrics.json", id);
    st = st == LLE_OK ? load(out, dir, name, &out->compute, err) : st;
    snprintf(name, sizeof name, "%s_7_global_energy_results.json", id);
    st = st == LLE_OK ? load(out, dir, name, &out->totals, err) : st;
    if (st == LLE_OK)
        st = scan_files(out, dir, id, &gen, err);
    if (st == LLE_OK && out->totals.o != NULL)
        totals(out, &st, err);
    snprintf(out->format, sizeof out->format, gen ? "raw_results, file names %c" : "raw_results", gen);
    if (st != LLE_OK)
        legacy_run_free(out);
    return st;
}
