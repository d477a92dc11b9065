/* store_internal.h — what the results store's files (store.c: connection,
 * schema and reads; store_put.c: a document into rows) share. Not installed.
 * Ownership: lle_store owns its sqlite3 connection; statements are prepared and
 * finalised within each call, so none outlives it. */
#ifndef LLE_STORE_INTERNAL_H
#define LLE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "lle/store.h"

struct lle_store {
    sqlite3 *db;
    char path[4200]; /* <results_dir>/results.db, for messages */
};

/* Fill `err` from a failed SQLite call: the message names the database file,
 * what was being done and SQLite's reason; the status follows the result code
 * (corrupt/not a database/constraint -> FORMAT, no memory -> NOMEM, SQL errors
 * -> INTERNAL, the rest -> IO). Returns that status. */
lle_status lle_store_sql_fail(const lle_store *s, int rc, const char *what, lle_error *err);

/* Run fixed SQL text (never built from user data) with no result rows. */
lle_status lle_store_exec(lle_store *s, const char *sql, const char *what, lle_error *err);

/* Prepare fixed SQL text; on failure *stmt is NULL and `err` is filled,
 * saying `what` was being done (preparing reads the schema, so a damaged file
 * often shows up here). */
lle_status lle_store_prepare(lle_store *s, const char *sql, sqlite3_stmt **stmt, const char *what, lle_error *err);

/* Roll back the open transaction, if SQLite has not already done so. */
void lle_store_rollback(lle_store *s);

/* lle_store_put() without its transaction: the caller has run BEGIN IMMEDIATE
 * and commits or rolls back (so a put can share a transaction with other
 * writes, e.g. the campaign journal's done mark). On error nothing is undone
 * here: the caller must roll back. */
lle_status lle_store_put_locked(lle_store *s, const char *json_doc, lle_error *err);

/* Save a result document the crash-safe way: <results_dir>/<id>.json
 * written atomically first (the directory made if needed), then the document
 * put into the results database in one transaction; a crash in between
 * leaves a complete file the database lacks, never a half-written experiment.
 * `path` receives the file's path. On LLE_OK *store is the open store (the
 * caller adds what else belongs to the experiment, e.g. its time series, and
 * closes it); on error it is NULL. */
lle_status lle_store_save_document(const char *results_dir, const char *id, const char *json_doc, char *path,
                                   size_t path_size, lle_store **store, lle_error *err);

#endif
