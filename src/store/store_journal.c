/* store_journal.c — the campaign journal (store_journal.h): reading the rows of
 * a campaign (through the open store, or read-only straight from the file for
 * dry runs), syncing them with a plan, the per-item state changes, and the
 * put-and-mark-done transaction that makes a stored result and its done mark
 * one atomic step. Every write is one BEGIN IMMEDIATE ... COMMIT; every value
 * is a bound parameter. Layout: SCHEMA_V2 in store.c, docs/campaigns.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "campaign/killpoint.h"
#include "common/util.h"
#include "store/store_internal.h"
#include "store/store_journal.h"

static const char *const STATE_NAMES[] = {"pending", "running", "done", "failed"};

const char *lle_journal_state_name(lle_journal_state s)
{
    return (unsigned)s < 4 ? STATE_NAMES[s] : "?";
}

static lle_journal_state state_of(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name != NULL && strcmp(name, STATE_NAMES[i]) == 0)
            return (lle_journal_state)i;
    return LLE_JOURNAL_PENDING;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    lle_strlcpy(dst, t != NULL ? (const char *)t : "", size);
}

/* Bind text parameters 1..n, at most as many as the statement has (NULL
 * binds SQL NULL). */
static int bind_texts(sqlite3_stmt *st, const char *const *v, int n)
{
    int rc = SQLITE_OK;

    if (n > sqlite3_bind_parameter_count(st))
        n = sqlite3_bind_parameter_count(st);
    for (int i = 0; i < n && rc == SQLITE_OK; i++)
        rc = v[i] != NULL ? sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
    return rc;
}

static const char READ_SQL[] =
    "SELECT config_hash, cycle, seq, label, state, attempts, failures, result_id, experiment_id, error"
    " FROM campaign_items WHERE campaign_id = ?1 ORDER BY seq, cycle";

/* Rows of READ_SQL into a growing array. */
static lle_status read_rows(sqlite3_stmt *st, lle_journal_item **items, size_t *n, lle_error *err)
{
    size_t cap = 0;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        lle_journal_item *it;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            lle_journal_item *grown = realloc(*items, ncap * sizeof *grown);
            if (grown == NULL)
                return lle_fail(err, LLE_ERR_NOMEM, "out of memory reading the campaign journal");
            *items = grown;
            cap = ncap;
        }
        it = &(*items)[(*n)++];
        memset(it, 0, sizeof *it);
        copy_col(st, 0, it->hash, sizeof it->hash);
        it->cycle = sqlite3_column_int(st, 1);
        it->seq = sqlite3_column_int(st, 2);
        copy_col(st, 3, it->label, sizeof it->label);
        it->state = state_of((const char *)sqlite3_column_text(st, 4));
        it->attempts = sqlite3_column_int(st, 5);
        it->failures = sqlite3_column_int(st, 6);
        copy_col(st, 7, it->result_id, sizeof it->result_id);
        copy_col(st, 8, it->experiment_id, sizeof it->experiment_id);
        copy_col(st, 9, it->error, sizeof it->error);
    }
    return rc == SQLITE_DONE ? LLE_OK
                             : lle_fail(err, LLE_ERR_IO, "reading the campaign journal: %s", sqlite3_errstr(rc));
}

static lle_status read_db(sqlite3 *db, const char *path, const char *campaign_id, lle_journal_item **items, size_t *n,
                          bool *exists, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = LLE_OK;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM campaigns WHERE id = ?1", -1, &st, NULL);

    *items = NULL;
    *n = 0;
    *exists = false;
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, campaign_id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *exists = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_ROW) {
        ret = lle_fail(err, LLE_ERR_IO, "%s: reading the campaign journal: %s", path, sqlite3_errmsg(db));
        goto cleanup;
    }
    rc = sqlite3_prepare_v2(db, READ_SQL, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, campaign_id, -1, SQLITE_STATIC);
    ret = rc == SQLITE_OK ? read_rows(st, items, n, err)
                          : lle_fail(err, LLE_ERR_IO, "%s: reading the campaign journal: %s", path, sqlite3_errmsg(db));
cleanup:
    sqlite3_finalize(st);
    if (ret != LLE_OK) {
        free(*items);
        *items = NULL;
        *n = 0;
    }
    return ret;
}

lle_status lle_journal_read(lle_store *s, const char *campaign_id, lle_journal_item **items, size_t *n, bool *exists,
                            lle_error *err)
{
    return read_db(s->db, s->path, campaign_id, items, n, exists, err);
}

/* Open results_dir's database read-only; *db NULL (and LLE_OK) when there is
 * none. *version: its schema version. */
static lle_status open_readonly(const char *results_dir, sqlite3 **db, int *version, char *path, size_t size,
                                lle_error *err)
{
    sqlite3_stmt *st = NULL;
    struct stat sb;
    lle_status ret = LLE_OK;

    *db = NULL;
    *version = 0;
    if ((size_t)snprintf(path, size, "%s/%s", results_dir, LLE_STORE_FILE) >= size)
        return lle_fail(err, LLE_ERR_INVALID, "results directory path too long: %s", results_dir);
    if (stat(path, &sb) != 0)
        return LLE_OK;
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ret = lle_fail(err, LLE_ERR_IO, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(*db, 10000);
    if (sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: not a readable results database: %s", path, sqlite3_errmsg(*db));
    else
        *version = sqlite3_column_int(st, 0);
cleanup:
    sqlite3_finalize(st);
    if (ret != LLE_OK) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return ret;
}

lle_status lle_journal_peek(const char *results_dir, const char *campaign_id, lle_journal_item **items, size_t *n,
                            bool *exists, lle_error *err)
{
    char path[4200];
    sqlite3 *db = NULL;
    int version = 0;
    lle_status ret = open_readonly(results_dir, &db, &version, path, sizeof path, err);

    *items = NULL;
    *n = 0;
    *exists = false;
    if (ret == LLE_OK && db != NULL && version >= 2)
        ret = read_db(db, path, campaign_id, items, n, exists, err);
    sqlite3_close(db);
    return ret;
}

lle_status lle_store_peek_throughput(const char *results_dir, const char *model_path, double *tokens, double *busy_s,
                                     long long *n, lle_error *err)
{
    char path[4200];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int version = 0, rc = SQLITE_OK;
    lle_status ret = open_readonly(results_dir, &db, &version, path, sizeof path, err);

    *tokens = *busy_s = 0.0;
    *n = 0;
    if (ret != LLE_OK || db == NULL || version < 1)
        goto cleanup;
    rc = sqlite3_prepare_v2(db,
                            "SELECT coalesce(sum(input_tokens + output_tokens), 0),"
                            " coalesce(sum(coalesce(json_extract(metrics_json, '$.busy_s'), wall_s)), 0), count(*)"
                            " FROM experiments WHERE status = 'completed' AND json_extract(document_json, '$.source')"
                            " IS NULL AND wall_s > 0 AND (?1 IS NULL OR model_path = ?1)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = model_path != NULL ? sqlite3_bind_text(st, 1, model_path, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *tokens = sqlite3_column_double(st, 0);
        *busy_s = sqlite3_column_double(st, 1);
        *n = sqlite3_column_int64(st, 2);
    } else {
        ret = lle_fail(err, LLE_ERR_IO, "%s: reading earlier results: %s", path, sqlite3_errmsg(db));
    }
cleanup:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}

/* Run one statement with text parameters; *changes = rows changed (may be NULL). */
static lle_status exec_bound(lle_store *s, const char *sql, const char *const *v, int nv, int *changes,
                             const char *what, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = lle_store_prepare(s, sql, &st, what, err);
    int rc;

    if (ret != LLE_OK)
        return ret;
    rc = bind_texts(st, v, nv);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        ret = lle_store_sql_fail(s, rc, what, err);
    else if (changes != NULL)
        *changes = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return ret;
}

static lle_status begin(lle_store *s, lle_error *err)
{
    return lle_store_exec(s, "BEGIN IMMEDIATE", "starting a journal transaction", err);
}

static lle_status commit_or_rollback(lle_store *s, lle_status st, lle_error *err)
{
    if (st == LLE_OK)
        st = lle_store_exec(s, "COMMIT", "committing the campaign journal", err);
    if (st != LLE_OK)
        lle_store_rollback(s);
    return st;
}

static lle_status upsert_campaign(lle_store *s, const lle_journal_campaign *c, lle_error *err)
{
    char cycles[24], retries[24];
    const char *v[8];

    snprintf(cycles, sizeof cycles, "%d", c->cycles);
    snprintf(retries, sizeof retries, "%d", c->max_retries);
    v[0] = c->id, v[1] = c->name, v[2] = c->suite, v[3] = c->config_path;
    v[4] = cycles, v[5] = c->order, v[6] = retries;
    return exec_bound(s,
                      "INSERT INTO campaigns(id, name, suite, config_path, cycles, order_name, max_retries)"
                      " VALUES(?1, ?2, ?3, ?4, CAST(?5 AS INTEGER), ?6, CAST(?7 AS INTEGER))"
                      " ON CONFLICT(id) DO UPDATE SET name = excluded.name, suite = excluded.suite,"
                      " config_path = excluded.config_path, cycles = excluded.cycles,"
                      " order_name = excluded.order_name, max_retries = excluded.max_retries,"
                      " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                      v, 7, NULL, "recording the campaign", err);
}

/* Mark every planned row (temp table) and delete the unmarked ones. */
static lle_status sync_items(lle_store *s, const char *cid, const lle_journal_plan_item *plan, size_t n, lle_error *err)
{
    lle_status st = lle_store_exec(s,
                                   "CREATE TEMP TABLE IF NOT EXISTS planned(hash TEXT, cycle INTEGER);"
                                   "DELETE FROM temp.planned",
                                   "planning the journal", err);

    for (size_t i = 0; i < n && st == LLE_OK; i++) {
        char cycle[24], seq[24];
        const char *v[6];
        snprintf(cycle, sizeof cycle, "%d", plan[i].cycle);
        snprintf(seq, sizeof seq, "%d", plan[i].seq);
        v[0] = cid, v[1] = plan[i].hash, v[2] = cycle, v[3] = seq, v[4] = plan[i].label, v[5] = plan[i].config_json;
        st = exec_bound(s,
                        "INSERT INTO campaign_items(campaign_id, config_hash, cycle, seq, label, config_json)"
                        " VALUES(?1, ?2, CAST(?3 AS INTEGER), CAST(?4 AS INTEGER), ?5, ?6)"
                        " ON CONFLICT(campaign_id, config_hash, cycle) DO UPDATE SET seq = excluded.seq,"
                        " label = excluded.label, config_json = excluded.config_json",
                        v, 6, NULL, "recording a planned experiment", err);
        if (st == LLE_OK)
            st = exec_bound(s, "INSERT INTO temp.planned(hash, cycle) VALUES(?1, CAST(?2 AS INTEGER))", v + 1, 2, NULL,
                            "planning the journal", err);
    }
    if (st == LLE_OK)
        st = exec_bound(s,
                        "DELETE FROM campaign_items WHERE campaign_id = ?1 AND NOT EXISTS (SELECT 1 FROM"
                        " temp.planned p WHERE p.hash = campaign_items.config_hash AND p.cycle = campaign_items.cycle)",
                        &cid, 1, NULL, "removing experiments no longer planned", err);
    return st;
}

lle_status lle_journal_sync(lle_store *s, const lle_journal_campaign *c, const lle_journal_plan_item *plan, size_t n,
                            bool restart, lle_error *err)
{
    lle_status st = begin(s, err);

    if (st != LLE_OK)
        return st;
    if (restart)
        st = exec_bound(s, "DELETE FROM campaign_items WHERE campaign_id = ?1", &c->id, 1, NULL,
                        "restarting the campaign", err);
    if (st == LLE_OK)
        st = upsert_campaign(s, c, err);
    if (st == LLE_OK)
        st = sync_items(s, c->id, plan, n, err);
    return commit_or_rollback(s, st, err);
}

lle_status lle_journal_reset_failed(lle_store *s, const char *campaign_id, lle_error *err)
{
    lle_status st = begin(s, err);

    if (st != LLE_OK)
        return st;
    st = exec_bound(s,
                    "UPDATE campaign_items SET failures = 0, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ',"
                    " 'now') WHERE campaign_id = ?1 AND state = 'failed'",
                    &campaign_id, 1, NULL, "resetting failed experiments", err);
    return commit_or_rollback(s, st, err);
}

/* One UPDATE of the item (campaign_id ?1, hash ?2, cycle ?3, extra text ?4) in
 * its own transaction; NOT_FOUND when no row matched. */
static lle_status update_item(lle_store *s, const char *sql, const char *cid, const char *hash, int cycle,
                              const char *extra, const char *what, lle_error *err)
{
    char cyc[24];
    const char *v[4] = {cid, hash, cyc, extra};
    int changes = 0;
    lle_status st = begin(s, err);

    snprintf(cyc, sizeof cyc, "%d", cycle);
    if (st != LLE_OK)
        return st;
    st = exec_bound(s, sql, v, 4, &changes, what, err);
    if (st == LLE_OK && changes == 0)
        st = lle_fail(err, LLE_ERR_NOT_FOUND, "%s: campaign '%s': no journal row for %s cycle %d", s->path, cid, hash,
                      cycle);
    return commit_or_rollback(s, st, err);
}

#define ITEM_WHERE " WHERE campaign_id = ?1 AND config_hash = ?2 AND cycle = CAST(?3 AS INTEGER)"
#define NOW_SET    "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

lle_status lle_journal_mark_running(lle_store *s, const char *campaign_id, const char *hash, int cycle, lle_error *err)
{
    return update_item(s,
                       "UPDATE campaign_items SET state = 'running', attempts = attempts + 1,"
                       " result_id = NULL, " NOW_SET ITEM_WHERE,
                       campaign_id, hash, cycle, NULL, "marking an experiment running", err);
}

lle_status lle_journal_set_result_id(lle_store *s, const char *campaign_id, const char *hash, int cycle,
                                     const char *result_id, lle_error *err)
{
    return update_item(s, "UPDATE campaign_items SET result_id = ?4, " NOW_SET ITEM_WHERE, campaign_id, hash, cycle,
                       result_id, "recording the result id", err);
}

lle_status lle_journal_mark_failed(lle_store *s, const char *campaign_id, const char *hash, int cycle,
                                   const char *error, lle_error *err)
{
    return update_item(s,
                       "UPDATE campaign_items SET state = 'failed', failures = failures + 1, error = ?4,"
                       " result_id = NULL, " NOW_SET ITEM_WHERE,
                       campaign_id, hash, cycle, error, "marking an experiment failed", err);
}

lle_status lle_journal_mark_pending(lle_store *s, const char *campaign_id, const char *hash, int cycle, lle_error *err)
{
    return update_item(
        s, "UPDATE campaign_items SET state = 'pending', result_id = NULL, " NOW_SET ITEM_WHERE " AND state <> 'done'",
        campaign_id, hash, cycle, NULL, "marking an experiment pending", err);
}

lle_status lle_journal_put_done(lle_store *s, const char *campaign_id, const char *hash, int cycle,
                                const char *json_doc, const char *experiment_id, lle_error *err)
{
    char cyc[24];
    const char *v[4] = {campaign_id, hash, cyc, experiment_id};
    int changes = 0;
    lle_status st = begin(s, err);

    snprintf(cyc, sizeof cyc, "%d", cycle);
    if (st != LLE_OK)
        return st;
    st = exec_bound(
        s,
        "UPDATE campaign_items SET state = 'done', experiment_id = ?4, result_id = NULL, error = NULL, " NOW_SET
            ITEM_WHERE " AND state <> 'done'",
        v, 4, &changes, "marking an experiment done", err);
    if (st == LLE_OK && changes == 0)
        st = lle_fail(err, LLE_ERR_INVALID,
                      "%s: campaign '%s': %s cycle %d is already done or no longer planned; "
                      "result %s not stored",
                      s->path, campaign_id, hash, cycle, experiment_id);
    if (st == LLE_OK)
        st = lle_store_put_locked(s, json_doc, err);
    if (st == LLE_OK)
        lle_killpoint("done-tx");
    return commit_or_rollback(s, st, err);
}

lle_status lle_store_put_all(lle_store *s, const char *const *docs, size_t n, lle_error *err)
{
    lle_status st = begin(s, err);

    if (st != LLE_OK)
        return st;
    for (size_t i = 0; i < n && st == LLE_OK; i++)
        st = lle_store_put_locked(s, docs[i], err);
    return commit_or_rollback(s, st, err);
}
