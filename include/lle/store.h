/* lle/store.h — the results database: every experiment's JSON result document
 * (docs/results-schema.md) stored in SQLite at <results_dir>/results.db, with
 * the headline figures in typed columns and one row per request, so results
 * can be compared with SQL, pandas or DuckDB (docs/storage.md).
 *
 * The store takes the JSON document, not a C struct: fields it does not know
 * are kept in the stored document and never make a put fail; known fields that
 * are absent become NULL. Each put is one transaction: the database holds the
 * whole experiment or none of it.
 *
 * Ownership: lle_store_open() returns a handle the caller closes with
 * lle_store_close(). json_doc passed to lle_store_put() is only read. The
 * string lle_store_get() returns is malloc'd; the caller frees it with free().
 * One handle must not be used from two threads at once; separate handles (in
 * one process or many) may use the same database concurrently. */
#ifndef LLE_STORE_H
#define LLE_STORE_H

#include <stdint.h>

#include "lle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the database layout, kept in PRAGMA user_version. */
#define LLE_STORE_SCHEMA_VERSION 2

/* File name of the database inside the results directory. */
#define LLE_STORE_FILE "results.db"

typedef struct lle_store lle_store;

/* Open (creating the directory and the database when absent) and bring the
 * schema up to LLE_STORE_SCHEMA_VERSION. Errors: INVALID (bad arguments), IO
 * (directory or file cannot be created or opened, disk errors), FORMAT (the file
 * is corrupt, not SQLite, or another program's database), UNSUPPORTED (written
 * by a newer version of the store). On error *out is NULL. */
LLE_API lle_status lle_store_open(const char *results_dir, lle_store **out, lle_error *err);

/* Store one experiment document, replacing any experiment with the same id
 * (its old requests and timeseries rows go with it). Errors: INVALID (NULL
 * arguments), FORMAT (not JSON, not an object, no string "id", a known field of
 * the wrong type, a request violating a constraint such as a duplicate index),
 * IO/NOMEM (database). On any error the database is unchanged. */
LLE_API lle_status lle_store_put(lle_store *s, const char *json_doc, lle_error *err);

/* The stored document of experiment `id`, byte for byte as it was put.
 * NOT_FOUND when there is no such experiment. *json_doc_out is malloc'd. */
LLE_API lle_status lle_store_get(lle_store *s, const char *id, char **json_doc_out, lle_error *err);

/* Number of experiments and of request rows (either pointer may be NULL). */
LLE_API lle_status lle_store_count(lle_store *s, int64_t *n_experiments, int64_t *n_requests, lle_error *err);

/* Close the handle (NULL is accepted). */
LLE_API void lle_store_close(lle_store *s);

#ifdef __cplusplus
}
#endif
#endif
