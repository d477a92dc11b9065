/* legacy_internal.h — what the legacy import's files share (read.c: JSON
 * files with positions, typed field access; raw.c: results/raw_results/<id>/
 * folders in the three file-name generations; combined.c: the combined
 * text_generation_results.json; document.c: one thesis run as our result
 * document; import.c: finding, deduplicating and storing). Not installed.
 *
 * Ownership: a legacy_run owns the parsed JSON roots in `owned` (freed by
 * legacy_run_free); `setup`, `variables`, ... point into them. */
#ifndef LLE_LEGACY_INTERNAL_H
#define LLE_LEGACY_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "lle/legacy.h"

#define LEGACY_MAX_PROC  16
#define LEGACY_MAX_FILES 24

/* One CodeCarbon tracker's figures (NaN when absent), in the thesis units. */
typedef struct legacy_process {
    int index;
    double pid;
    double cpu_power_w, gpu_power_w, ram_power_w;
    double cpu_kwh, gpu_kwh, ram_kwh, total_kwh;
    double emissions_kg;
} legacy_process;

/* A JSON object and the file (and path inside it) it came from, for messages. */
typedef struct legacy_obj {
    const cJSON *o;
    char where[640]; /* "0087/0087_2_experiment_variables.json" or "combined.json: [3].variables" */
} legacy_obj;

typedef struct legacy_run {
    char id[32];       /* the thesis experiment id, "0087" */
    char format[48];   /* "raw A", "raw B", "raw C", "combined" */
    char source[1024]; /* folder, or file and run key (no array position: copies compare equal) */
    long entry;        /* position in a combined file's array; -1 for a folder */
    legacy_obj setup, variables, arch, inference, compute, totals;
    const char *totals_kind; /* how the thesis aggregated `totals`, NULL when absent */
    legacy_process proc[LEGACY_MAX_PROC];
    int n_proc;
    char files[LEGACY_MAX_FILES][128];
    int n_files;
    cJSON *owned[LEGACY_MAX_FILES];
    int n_owned;
} legacy_run;

void legacy_run_free(legacy_run *r);

/* Read and parse a JSON file; FORMAT names the file and line on bad JSON. */
lle_status legacy_read_json(const char *path, const char *label, cJSON **out, lle_error *err);

/* Typed field access. The number/string of `key` in `o` (NaN / NULL when
 * absent or null); a present value of another type is a FORMAT error naming
 * where.key (reported once through *st). */
double legacy_num(const legacy_obj *o, const char *key, lle_status *st, lle_error *err);
const char *legacy_str(const legacy_obj *o, const char *key, lle_status *st, lle_error *err);
/* A sub-object as a legacy_obj (o->o NULL when absent). */
legacy_obj legacy_sub(const legacy_obj *o, const char *key, lle_status *st, lle_error *err);

/* A CodeCarbon energy_results object into *p. */
lle_status legacy_process_read(const legacy_obj *o, int index, double pid, legacy_process *p, lle_error *err);

/* results/raw_results/<id>/ folder `dir` whose files start with `id`_.
 * NOT_FOUND with *why filled when it lacks a file the import needs. */
lle_status legacy_raw_read(const char *dir, const char *id, legacy_run *out, char *why, size_t why_size,
                           lle_error *err);

/* Callback per run of a combined file; return non-OK to stop. */
typedef lle_status (*legacy_run_fn)(void *user, legacy_run *run, lle_error *err);
lle_status legacy_combined_read(const char *path, legacy_run_fn fn, void *user, lle_error *err);

/* Our result document for the run (malloc'd JSON; NULL with err set). */
char *legacy_document(const legacy_run *r, lle_error *err);

#endif
