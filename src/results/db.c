/* db.c — opening the results database for reading and keeping the derived
 * tables (index.c: RES_FLAT_TABLE, one row per experiment, one column per
 * catalogue field; RES_TEXT_TABLE, its export values) in step with the
 * experiments table. The store writes both when it puts an experiment; the
 * tables reference experiments(id) ON DELETE CASCADE, so its replace-on-put
 * drops the old rows. On open, as a fallback for databases written by older
 * versions or other tools, experiments without a flat row are parsed once
 * and inserted, rows without an experiment removed and missing export values
 * rendered, all in one transaction. A read-only database gets the flat table
 * in TEMP, for this handle only (export then renders live). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "results/results_internal.h"
#include "store/store_internal.h"

lle_status res_sql_fail(const lle_results *r, int rc, const char *what, lle_error *err)
{
    return res_db_fail(r->db, r->path, rc, what, err);
}

lle_status res_prepare(lle_results *r, const char *sql, sqlite3_stmt **st, lle_error *err)
{
    int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);

    if (rc == SQLITE_OK)
        return LLE_OK;
    sqlite3_finalize(*st);
    *st = NULL;
    return res_sql_fail(r, rc, "preparing a query", err);
}

static lle_status exec(lle_results *r, const char *sql, lle_error *err)
{
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? LLE_OK : res_sql_fail(r, rc, sql, err);
}

/* First column of the first row as an integer (0 when no row). */
static lle_status scalar(lle_results *r, const char *sql, long long *out, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = res_prepare(r, sql, &st, err);
    int rc;

    *out = 0;
    if (ret != LLE_OK)
        return ret;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading the database", err);
    sqlite3_finalize(st);
    return ret;
}

/* Whether the existing flat table has exactly the catalogue's columns (a
 * build with another catalogue may have made it). */
static lle_status flat_matches(lle_results *r, bool *matches, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = res_prepare(r, "SELECT name FROM pragma_table_info('" RES_FLAT_TABLE "') ORDER BY cid", &st, err);
    size_t i = 0;
    bool same = true;

    while (ret == LLE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        same = same && i < RES_N_FIELDS && name != NULL && strcmp(name, RES_FIELDS[i].name) == 0;
        i++;
    }
    *matches = same && (i == 0 || i == RES_N_FIELDS);
    sqlite3_finalize(st);
    return ret;
}

/* Drop flat tables of other catalogue versions (and ours with `reindex` or
 * when its columns are not the catalogue's). */
static lle_status drop_old(lle_results *r, bool reindex, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = res_prepare(r,
                                 "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE "
                                 "'results_flat_v%' OR name LIKE 'results_text_v%')",
                                 &st, err);
    char **names = NULL;
    size_t n = 0;
    bool matches = true;

    if (ret == LLE_OK && !reindex)
        ret = flat_matches(r, &matches, err);
    reindex = reindex || !matches;
    while (ret == LLE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (grown == NULL || name == NULL || (grown[n] = strdup(name)) == NULL) {
            names = grown != NULL ? grown : names;
            ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading the schema");
            break;
        }
        names = grown;
        n++;
    }
    sqlite3_finalize(st);
    for (size_t i = 0; ret == LLE_OK && i < n; i++) {
        if (reindex || (strcmp(names[i], RES_FLAT_TABLE) != 0 && strcmp(names[i], RES_TEXT_TABLE) != 0)) {
            char *sql = sqlite3_mprintf("DROP TABLE \"%w\"", names[i]);
            ret = sql != NULL ? exec(r, sql, err) : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
            sqlite3_free(sql);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ret;
}

/* Flatten the stored document of the experiment at the current row of `get`. */
static lle_status flatten_one(lle_results *r, sqlite3_stmt *get, sqlite3_stmt *ins, lle_error *err)
{
    const char *text = (const char *)sqlite3_column_text(get, 1);
    const char *id = (const char *)sqlite3_column_text(get, 0);
    cJSON *doc = text != NULL ? cJSON_Parse(text) : NULL;
    lle_status ret = LLE_OK;
    int rc;

    if (doc == NULL || !cJSON_IsObject(doc)) {
        lle_logf(LLE_LOG_WARN, "%s: experiment '%s': stored document is not a JSON object; left out", r->path,
                 id != NULL ? id : "?");
        goto cleanup;
    }
    sqlite3_reset(ins);
    sqlite3_clear_bindings(ins);
    ret = res_bind_document(r->db, ins, doc, err);
    if (ret == LLE_OK && (rc = sqlite3_step(ins)) != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "writing the flat results table", err);
cleanup:
    cJSON_Delete(doc);
    return ret;
}

static const char MISSING_SQL[] =
    "SELECT e.id, e.document_json FROM experiments e WHERE e.id NOT IN (SELECT id FROM " RES_FLAT_TABLE ")";

static lle_status fill_missing(lle_results *r, lle_error *err)
{
    sqlite3_stmt *get = NULL, *ins = NULL;
    char *sql = NULL;
    lle_status ret = res_index_insert_sql(&sql, err);
    int rc = SQLITE_OK;

    if (ret == LLE_OK)
        ret = res_prepare(r, sql, &ins, err);
    if (ret == LLE_OK)
        ret = res_prepare(r, MISSING_SQL, &get, err);
    while (ret == LLE_OK && (rc = sqlite3_step(get)) == SQLITE_ROW)
        ret = flatten_one(r, get, ins, err);
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading stored documents", err);
    sqlite3_finalize(get);
    sqlite3_finalize(ins);
    free(sql);
    return ret;
}

static const char TEXT_MISSING_SQL[] =
    "SELECT count(*) FROM " RES_FLAT_TABLE " WHERE id NOT IN (SELECT id FROM " RES_TEXT_TABLE ")";

/* Bring the derived tables in line with experiments, in one transaction:
 * stale rows out, missing flat rows parsed in, missing export values
 * rendered (both are written at put time, so this is the fallback for
 * databases written by older versions or other tools). */
static lle_status refresh(lle_results *r, bool temp, bool tracked, lle_error *err)
{
    long long missing = 0, stale = 0, no_text = 0, dirty = 0;
    lle_status ret = tracked ? scalar(r, "SELECT count(*) FROM " RES_DIRTY_TABLE, &dirty, err) : LLE_OK;

    if (ret != LLE_OK || (tracked && dirty == 0))
        return ret; /* nothing changed since the last refresh */
    ret = scalar(r, "SELECT count(*) FROM experiments WHERE id NOT IN (SELECT id FROM " RES_FLAT_TABLE ")", &missing,
                 err);
    if (ret == LLE_OK)
        ret = scalar(r, "SELECT count(*) FROM " RES_FLAT_TABLE " WHERE id NOT IN (SELECT id FROM experiments)", &stale,
                     err);
    if (ret == LLE_OK && r->has_text)
        ret = scalar(r, TEXT_MISSING_SQL, &no_text, err);
    if (ret != LLE_OK || (missing == 0 && stale == 0 && no_text == 0 && dirty == 0))
        return ret;
    if (missing > 1000)
        lle_logf(LLE_LOG_INFO, "%s: indexing %lld stored experiments for results queries", r->path, missing);
    ret = exec(r, temp ? "BEGIN" : "BEGIN IMMEDIATE", err);
    if (ret != LLE_OK)
        return ret;
    if (tracked) /* changed in place: indexed again below */
        ret = exec(r,
                   "DELETE FROM " RES_FLAT_TABLE " WHERE id IN (SELECT id FROM " RES_DIRTY_TABLE ");"
                   "DELETE FROM " RES_TEXT_TABLE " WHERE id IN (SELECT id FROM " RES_DIRTY_TABLE ")",
                   err);
    if (ret == LLE_OK)
        ret = exec(r, "DELETE FROM " RES_FLAT_TABLE " WHERE id NOT IN (SELECT id FROM experiments)", err);
    if (ret == LLE_OK && r->has_text)
        ret = exec(r, "DELETE FROM " RES_TEXT_TABLE " WHERE id NOT IN (SELECT id FROM " RES_FLAT_TABLE ")", err);
    if (ret == LLE_OK)
        ret = fill_missing(r, err);
    if (ret == LLE_OK && r->has_text)
        ret = res_index_fill_text(r->db, r->path, err);
    if (ret == LLE_OK && !temp)
        ret = exec(r, "DELETE FROM " RES_DIRTY_TABLE, err);
    if (ret == LLE_OK)
        ret = exec(r, "COMMIT", err);
    if (ret != LLE_OK && !sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static lle_status prepare_flat(lle_results *r, bool reindex, lle_error *err)
{
    long long n = 0;
    bool temp = sqlite3_db_readonly(r->db, "main") == 1, tracked;
    lle_status ret = scalar(r,
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                            "'campaign_items'",
                            &n, err);

    r->has_campaign_items = n > 0;
    /* Reads scan hundreds of MB: map the file instead of copying pages
     * through a small cache; sorts in memory. Settings of this connection
     * only; where they cannot apply, SQLite keeps its defaults. */
    sqlite3_exec(r->db, "PRAGMA mmap_size=4294967296; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536", NULL, NULL,
                 NULL);
    if (ret == LLE_OK && !temp)
        ret = drop_old(r, reindex, err);
    /* With all three tables already there, the triggers have recorded every
     * change since the last refresh: only those need looking at. */
    tracked = !temp && res_table_exists(r->db, RES_FLAT_TABLE) && res_table_exists(r->db, RES_TEXT_TABLE) &&
              res_table_exists(r->db, RES_DIRTY_TABLE);
    if (ret == LLE_OK)
        ret = res_index_create(r->db, r->path, temp, err);
    r->has_text = !temp;
    if (ret == LLE_OK)
        ret = refresh(r, temp, tracked, err);
    return ret;
}

lle_status lle_results_open(const char *results_dir, bool reindex, lle_results **out, lle_error *err)
{
    char path[4200];
    struct stat sb;
    lle_results *r = NULL;
    lle_status ret = LLE_OK;

    if (out != NULL)
        *out = NULL;
    if (results_dir == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_open: results directory and out are required");
    if ((size_t)snprintf(path, sizeof path, "%s/%s", results_dir, LLE_STORE_FILE) >= sizeof path)
        return lle_fail(err, LLE_ERR_INVALID, "results directory path too long: %s", results_dir);
    if (stat(path, &sb) != 0)
        return lle_fail(err, LLE_ERR_NOT_FOUND,
                        "%s: no results database (run an experiment first, or pass "
                        "--results-dir DIR)",
                        path);
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory opening %s", path);
    ret = lle_store_open(results_dir, &r->store, err);
    if (ret == LLE_OK) {
        r->db = r->store->db;
        r->path = r->store->path;
        ret = prepare_flat(r, reindex, err);
    }
    if (ret == LLE_OK)
        *out = r;
    else
        lle_results_close(r);
    return ret;
}

void lle_results_close(lle_results *r)
{
    if (r == NULL)
        return;
    lle_store_close(r->store);
    free(r);
}
