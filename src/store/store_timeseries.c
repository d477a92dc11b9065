/* store_timeseries.c — a stored experiment's sampled measurements into the
 * timeseries table, in one transaction: the experiment must exist (checked
 * first, so the caller gets NOT_FOUND rather than a constraint error), its
 * previous rows are deleted, the iterator's rows inserted with one prepared
 * statement; any failure rolls everything back. SQL is fixed text with bound
 * parameters. Layout: docs/storage.md. */
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "store/store_internal.h"
#include "store/store_timeseries.h"

static lle_status bind_step(lle_store *s, sqlite3_stmt *st, const char *id, const lle_ts_row *r, lle_error *err)
{
    int rc = sqlite3_reset(st);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 2, r->t_s);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 3, r->source, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 4, r->metric, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_double(st, 5, r->value);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
        return LLE_OK;
    return lle_store_sql_fail(s, rc, "inserting a timeseries row", err);
}

/* LLE_OK when the experiment is stored, NOT_FOUND when it is not. */
static lle_status experiment_exists(lle_store *s, const char *id, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret =
        lle_store_prepare(s, "SELECT 1 FROM experiments WHERE id = ?1", &st, "looking up the experiment", err);
    int rc;

    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        ret = lle_fail(err, LLE_ERR_NOT_FOUND,
                       "%s: experiment '%s' is not stored; store it before its "
                       "timeseries",
                       s->path, id);
    else if (rc != SQLITE_ROW)
        ret = lle_store_sql_fail(s, rc, "looking up the experiment", err);
cleanup:
    sqlite3_finalize(st);
    return ret;
}

static lle_status delete_rows(lle_store *s, const char *id, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = lle_store_prepare(s, "DELETE FROM timeseries WHERE experiment_id = ?1", &st,
                                       "removing previous timeseries rows", err);
    int rc;

    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        ret = lle_store_sql_fail(s, rc, "removing previous timeseries rows", err);
cleanup:
    sqlite3_finalize(st);
    return ret;
}

static lle_status insert_rows(lle_store *s, const char *id, lle_ts_next_fn next, void *user, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_ts_row row;
    lle_status ret = lle_store_prepare(s,
                                       "INSERT INTO timeseries(experiment_id, t_s, source, metric, value) "
                                       "VALUES(?1, ?2, ?3, ?4, ?5)",
                                       &st, "inserting timeseries rows", err);

    while (ret == LLE_OK && next(user, &row))
        ret = bind_step(s, st, id, &row, err);
    sqlite3_finalize(st);
    return ret;
}

lle_status lle_store_put_timeseries(lle_store *s, const char *experiment_id, lle_ts_next_fn next, void *user,
                                    lle_error *err)
{
    bool in_tx = false;
    lle_status ret;

    if (s == NULL || experiment_id == NULL || next == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_store_put_timeseries: store, id and rows are required");
    ret = lle_store_exec(s, "BEGIN IMMEDIATE", "starting a transaction", err);
    if (ret == LLE_OK)
        in_tx = true;
    if (ret == LLE_OK)
        ret = experiment_exists(s, experiment_id, err);
    if (ret == LLE_OK)
        ret = delete_rows(s, experiment_id, err);
    if (ret == LLE_OK)
        ret = insert_rows(s, experiment_id, next, user, err);
    if (ret == LLE_OK)
        ret = lle_store_exec(s, "COMMIT", "committing the timeseries", err);
    if (ret == LLE_OK)
        in_tx = false;
    if (in_tx)
        lle_store_rollback(s);
    return ret;
}
