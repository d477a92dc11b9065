/* import.c — `results import-legacy DIR`: find the thesis tool's results
 * under DIR (raw_results/<id>/ folders, combined text_generation_results*.json
 * files), turn each run into a "source": "legacy" document (document.c), drop
 * identical copies (the combined files list every run twice), keep the later
 * of two different runs with one id, and store them all in one transaction
 * (nothing is stored when any file is bad). Ids are "legacy-thesis-<id>", so
 * importing again replaces the same rows: idempotent. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "legacy/legacy_internal.h"
#include "store/store_journal.h"

typedef struct import_ctx {
    lle_legacy_report *rep;
    char **docs; /* per report item: its document, NULL unless it is to be stored */
    size_t cap;
} import_ctx;

static const char *const OUTCOMES[] = {"imported", "duplicate", "replaced", "skipped"};

const char *lle_legacy_outcome_name(lle_legacy_outcome o)
{
    return (unsigned)o < 4 ? OUTCOMES[o] : "?";
}

static bool is_dir(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static lle_legacy_item *new_item(import_ctx *x, const char *source, long entry, const char *id, lle_error *err)
{
    lle_legacy_report *r = x->rep;
    lle_legacy_item *it;

    if (r->n_items == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 64;
        lle_legacy_item *items = realloc(r->items, ncap * sizeof *items);
        char **docs = items != NULL ? realloc(x->docs, ncap * sizeof *docs) : NULL;
        if (items != NULL)
            r->items = items;
        if (docs == NULL) {
            lle_fail(err, LLE_ERR_NOMEM, "out of memory importing legacy results");
            return NULL;
        }
        x->docs = docs;
        x->cap = ncap;
    }
    it = &r->items[r->n_items];
    memset(it, 0, sizeof *it);
    x->docs[r->n_items++] = NULL;
    if (entry >= 0)
        snprintf(it->source, sizeof it->source, "%.980s (entry %ld)", source, entry);
    else
        lle_strlcpy(it->source, source, sizeof it->source);
    snprintf(it->id, sizeof it->id, "legacy-thesis-%.40s", id);
    return it;
}

/* Record one run's document, deduplicating on the id. */
static lle_status add_run(void *user, legacy_run *run, lle_error *err)
{
    import_ctx *x = user;
    char *doc = legacy_document(run, err);
    lle_legacy_item *it = doc != NULL ? new_item(x, run->source, run->entry, run->id, err) : NULL;
    size_t me;

    if (it == NULL) {
        free(doc);
        return err != NULL && err->code != LLE_OK ? err->code : LLE_ERR_NOMEM;
    }
    me = x->rep->n_items - 1;
    for (size_t i = 0; i < me; i++) {
        if (x->docs[i] == NULL || strcmp(x->rep->items[i].id, it->id) != 0)
            continue;
        if (strcmp(x->docs[i], doc) == 0) {
            it->outcome = LLE_LEGACY_DUPLICATE;
            snprintf(it->message, sizeof it->message, "identical to %.400s", x->rep->items[i].source);
            free(doc);
            return LLE_OK;
        }
        x->rep->items[i].outcome = LLE_LEGACY_REPLACED;
        snprintf(x->rep->items[i].message, sizeof x->rep->items[i].message,
                 "superseded by %.400s (same id, different content)", it->source);
        free(x->docs[i]);
        x->docs[i] = NULL;
    }
    x->docs[me] = doc;
    return LLE_OK;
}

static lle_status raw_folder(import_ctx *x, const char *dir, const char *id, lle_error *err)
{
    legacy_run *run = calloc(1, sizeof *run);
    char why[512] = "";
    lle_status st = run != NULL ? legacy_raw_read(dir, id, run, why, sizeof why, err)
                                : lle_fail(err, LLE_ERR_NOMEM, "out of memory");

    if (st == LLE_ERR_NOT_FOUND) {
        lle_legacy_item *it = new_item(x, dir, -1, id, err);
        st = it != NULL ? LLE_OK : LLE_ERR_NOMEM;
        if (it != NULL) {
            it->outcome = LLE_LEGACY_SKIPPED;
            lle_strlcpy(it->message, why, sizeof it->message);
        }
    } else if (st == LLE_OK) {
        st = add_run(x, run, err);
        legacy_run_free(run);
    }
    free(run);
    return st;
}

/* <dir>/<base><suffix> is a regular file. */
static bool has_file(const char *dir, const char *base, const char *suffix)
{
    char path[4800];

    return (size_t)snprintf(path, sizeof path, "%s/%s%s", dir, base, suffix) < sizeof path && is_file(path);
}

/* `dir`'s entries matching `pattern` (dir used as given), or none when it
 * cannot be listed; only running out of memory is an error. */
static lle_status list_in(const char *dir, const char *pattern, char ***names, lle_error *err)
{
    lle_error e = {0};
    lle_status st = lle_dir_list(dir, "", pattern, names, NULL, &e);

    if (st == LLE_ERR_NOMEM)
        return lle_fail(err, st, "%s", e.msg);
    if (st != LLE_OK)
        *names = NULL;
    return LLE_OK;
}

/* Subfolders <N>/ of `parent` holding <N>_*.json files, in name order. */
static lle_status raw_parent(import_ctx *x, const char *parent, lle_error *err)
{
    char **names = NULL, dir[4600];
    lle_status st = list_in(parent, "*", &names, err);

    for (size_t i = 0; names != NULL && names[i] != NULL && st == LLE_OK; i++) {
        const char *base = names[i];
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", parent, base) >= sizeof dir)
            st = lle_fail(err, LLE_ERR_INVALID, "%s: path too long", parent);
        else if (is_dir(dir) && (has_file(dir, base, "_1_experiment_setup.json") ||
                                 has_file(dir, base, "_2_experiment_variables.json")))
            st = raw_folder(x, dir, base, err);
    }
    lle_names_free(names);
    return st;
}

static lle_status combined_in(import_ctx *x, const char *dir, lle_error *err)
{
    char **names = NULL, path[4600];
    lle_status st = list_in(dir, "*text_generation_results*.json", &names, err);

    for (size_t i = 0; names != NULL && names[i] != NULL && st == LLE_OK; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path)
            st = lle_fail(err, LLE_ERR_INVALID, "%s: path too long", dir);
        else
            st = legacy_combined_read(path, add_run, x, err);
    }
    lle_names_free(names);
    return st;
}

static lle_status walk(import_ctx *x, const char *dir, lle_error *err)
{
    char sub[4400];
    const char *base = strrchr(dir, '/') != NULL && strrchr(dir, '/')[1] != '\0' ? strrchr(dir, '/') + 1 : dir;
    lle_status st = LLE_OK;

    if (is_file(dir))
        return legacy_combined_read(dir, add_run, x, err);
    if (!is_dir(dir))
        return lle_fail(err, LLE_ERR_NOT_FOUND, "%s: no such file or directory", dir);
    if (has_file(dir, base, "_1_experiment_setup.json"))
        return raw_folder(x, dir, base, err);
    snprintf(sub, sizeof sub, "%s/raw_results", dir);
    st = raw_parent(x, is_dir(sub) ? sub : dir, err);
    if (st == LLE_OK)
        st = combined_in(x, dir, err);
    snprintf(sub, sizeof sub, "%s/combined", dir);
    if (st == LLE_OK && is_dir(sub))
        st = combined_in(x, sub, err);
    return st;
}

static void count(lle_legacy_report *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        switch (r->items[i].outcome) {
        case LLE_LEGACY_IMPORTED:
            r->n_imported++;
            break;
        case LLE_LEGACY_DUPLICATE:
            r->n_duplicates++;
            break;
        case LLE_LEGACY_REPLACED:
            r->n_replaced++;
            break;
        case LLE_LEGACY_SKIPPED:
            r->n_skipped++;
            break;
        }
    }
}

/* Every kept document into the database in one transaction. */
static lle_status store_all(import_ctx *x, const char *results_dir, lle_error *err)
{
    const char **docs = calloc(x->rep->n_items + 1, sizeof *docs);
    lle_store *s = NULL;
    size_t n = 0;
    lle_status st = docs != NULL ? lle_store_open(results_dir, &s, err)
                                 : lle_fail(err, LLE_ERR_NOMEM, "out of memory importing legacy results");

    for (size_t i = 0; st == LLE_OK && i < x->rep->n_items; i++) {
        char *old = NULL;
        if (x->docs[i] == NULL)
            continue;
        docs[n++] = x->docs[i];
        if (lle_store_get(s, x->rep->items[i].id, &old, NULL) == LLE_OK)
            x->rep->n_stored_before++;
        free(old);
    }
    if (st == LLE_OK)
        st = lle_store_put_all(s, docs, n, err);
    lle_store_close(s);
    free(docs);
    return st;
}

lle_status lle_legacy_import(const char *dir, const char *results_dir, bool dry_run, lle_legacy_report **report,
                             lle_error *err)
{
    import_ctx x = {NULL, NULL, 0};
    lle_status st;

    *report = NULL;
    if (dir == NULL || results_dir == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_legacy_import: a directory and a results directory are required");
    x.rep = calloc(1, sizeof *x.rep);
    st = x.rep != NULL ? walk(&x, dir, err) : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st == LLE_OK)
        count(x.rep);
    if (st == LLE_OK && x.rep->n_imported == 0)
        st = lle_fail(err, LLE_ERR_NOT_FOUND,
                      "%s: no thesis-tool results found (expected raw_results/<id>/<id>_*.json "
                      "folders or a text_generation_results.json)%s",
                      dir, x.rep->n_skipped > 0 ? "; every folder found was incomplete" : "");
    if (st == LLE_OK && !dry_run)
        st = store_all(&x, results_dir, err);
    for (size_t i = 0; x.rep != NULL && i < x.rep->n_items; i++)
        free(x.docs[i]);
    free(x.docs);
    if (st == LLE_OK)
        *report = x.rep;
    else
        lle_legacy_report_free(x.rep);
    return st;
}

void lle_legacy_report_free(lle_legacy_report *r)
{
    if (r == NULL)
        return;
    free(r->items);
    free(r);
}

char *lle_legacy_report_json(const lle_legacy_report *r, bool dry_run)
{
    cJSON *root = cJSON_CreateObject(), *items = NULL;
    char *out;

    cJSON_AddBoolToObject(root, "dry_run", dry_run);
    cJSON_AddNumberToObject(root, "imported", (double)r->n_imported);
    cJSON_AddNumberToObject(root, "already_stored", (double)r->n_stored_before);
    cJSON_AddNumberToObject(root, "duplicates", (double)r->n_duplicates);
    cJSON_AddNumberToObject(root, "replaced", (double)r->n_replaced);
    cJSON_AddNumberToObject(root, "skipped", (double)r->n_skipped);
    items = cJSON_AddArrayToObject(root, "items");
    for (size_t i = 0; i < r->n_items; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", r->items[i].id);
        cJSON_AddStringToObject(o, "source", r->items[i].source);
        cJSON_AddStringToObject(o, "outcome", lle_legacy_outcome_name(r->items[i].outcome));
        if (r->items[i].message[0] != '\0')
            cJSON_AddStringToObject(o, "message", r->items[i].message);
        cJSON_AddItemToArray(items, o);
    }
    out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}
