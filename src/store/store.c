/* store.c — the results database's connection and layout: opening
 * <results_dir>/results.db with WAL journaling, full synchronous commits,
 * foreign keys and a busy timeout; creating and migrating the schema (version in
 * PRAGMA user_version); reading documents back and counting rows; and turning
 * SQLite result codes into lle_status with messages that name the file.
 * Putting a document is in store_put.c. Layout and rationale: docs/storage.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/store_internal.h"

#define BUSY_TIMEOUT_MS 10000

/* Schema version 1. A later version appends a migration (ALTER TABLE ... ADD
 * COLUMN, new tables) to MIGRATIONS; entries are never edited once released,
 * because MIGRATIONS[v] is what turns a version-v database into version v+1. */
static const char SCHEMA_V1[] =
    "CREATE TABLE experiments ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " schema_version INTEGER, status TEXT, error TEXT, started_at TEXT,"
    " model_path TEXT, model_arch TEXT, model_file_type TEXT, model_n_params INTEGER,"
    " prompts INTEGER, max_input_tokens INTEGER, max_output_tokens INTEGER,"
    " threads INTEGER, n_ctx INTEGER, batch_size INTEGER,"
    " wall_s REAL, input_tokens INTEGER, output_tokens INTEGER,"
    " prefill_tokens_per_s REAL, decode_tokens_per_s REAL, total_tokens_per_s REAL,"
    " requests_per_s REAL,"
    " ttft_mean_s REAL, ttft_p50_s REAL, ttft_p90_s REAL, ttft_p99_s REAL,"
    " tpot_mean_s REAL, tpot_p50_s REAL, tpot_p90_s REAL, tpot_p99_s REAL,"
    " itl_mean_s REAL, itl_p50_s REAL, itl_p90_s REAL, itl_p99_s REAL,"
    " e2e_mean_s REAL, e2e_p50_s REAL, e2e_p90_s REAL, e2e_p99_s REAL,"
    " peak_rss_bytes INTEGER, model_bytes INTEGER, kv_cache_bytes INTEGER,"
    " config_json TEXT, model_json TEXT, environment_json TEXT, metrics_json TEXT,"
    " document_json TEXT NOT NULL,"
    " stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX experiments_started_at ON experiments(started_at);"
    "CREATE TABLE requests ("
    " experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL CHECK (idx >= 0),"
    " prompt_index INTEGER, repeat INTEGER, batch INTEGER,"
    " input_tokens INTEGER CHECK (input_tokens >= 0), output_tokens INTEGER CHECK (output_tokens >= 0),"
    " arrival_s REAL, start_s REAL, queue_delay_s REAL, ttft_s REAL, tpot_s REAL, e2e_s REAL,"
    " prefill_s REAL, decode_s REAL, itl_s TEXT,"
    " PRIMARY KEY (experiment_id, idx));"
    "CREATE TABLE timeseries ("
    " experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
    " t_s REAL NOT NULL, source TEXT NOT NULL, metric TEXT NOT NULL, value REAL);"
    "CREATE INDEX timeseries_experiment ON timeseries(experiment_id, metric, t_s);";

/* Version 2: the campaign journal (docs/campaigns.md) and the generated
 * `source` column ("legacy" for imported thesis-tool results, docs/legacy-import.md). */
static const char SCHEMA_V2[] =
    "CREATE TABLE campaigns ("
    " id TEXT PRIMARY KEY NOT NULL, name TEXT, suite TEXT NOT NULL, config_path TEXT,"
    " cycles INTEGER, order_name TEXT, max_retries INTEGER,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
    " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE TABLE campaign_items ("
    " campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
    " config_hash TEXT NOT NULL, cycle INTEGER NOT NULL CHECK (cycle >= 1),"
    " seq INTEGER NOT NULL, label TEXT, config_json TEXT,"
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
    " result_id TEXT, experiment_id TEXT, error TEXT,"
    " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
    " PRIMARY KEY (campaign_id, config_hash, cycle));"
    "CREATE INDEX campaign_items_experiment ON campaign_items(experiment_id);"
    "ALTER TABLE experiments ADD COLUMN source TEXT GENERATED ALWAYS AS"
    " (coalesce(json_extract(document_json, '$.source'), 'llm-efficiency')) VIRTUAL;";

static const char *const MIGRATIONS[LLE_STORE_SCHEMA_VERSION] = {SCHEMA_V1, SCHEMA_V2};

static lle_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return LLE_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return LLE_ERR_FORMAT;
    case SQLITE_ERROR:
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return LLE_ERR_INTERNAL;
    default:
        return LLE_ERR_IO;
    }
}

lle_status lle_store_sql_fail(const lle_store *s, int rc, const char *what, lle_error *err)
{
    const char *why = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    int damaged = (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT;

    return lle_fail(err, status_of(rc), "%s: %s: %s%s", s->path, what, why,
                    damaged ? " (the file is damaged or is not an llm-efficiency results database; "
                              "move it aside to start a new one)"
                            : "");
}

lle_status lle_store_exec(lle_store *s, const char *sql, const char *what, lle_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? LLE_OK : lle_store_sql_fail(s, rc, what, err);
}

lle_status lle_store_prepare(lle_store *s, const char *sql, sqlite3_stmt **stmt, const char *what, lle_error *err)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL);
    lle_status ret = LLE_OK;

    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        ret = lle_store_sql_fail(s, rc, what, err);
    }
    return ret;
}

void lle_store_rollback(lle_store *s)
{
    /* SQLite rolls back by itself on some errors: only roll back what is open. */
    if (!sqlite3_get_autocommit(s->db) && sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        lle_logf(LLE_LOG_WARN, "%s: rollback failed: %s", s->path, sqlite3_errmsg(s->db));
}

/* One-row, one-column query: the integer (or, with text_out, the text) value. */
static lle_status query_one(lle_store *s, const char *sql, int64_t *int_out, char *text_out, size_t text_size,
                            lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = lle_store_prepare(s, sql, &st, "reading the database", err);
    int rc;

    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        ret = rc == SQLITE_DONE ? lle_fail(err, LLE_ERR_INTERNAL, "%s: '%s' returned no row", s->path, sql)
                                : lle_store_sql_fail(s, rc, sql, err);
        goto cleanup;
    }
    if (int_out != NULL)
        *int_out = sqlite3_column_int64(st, 0);
    if (text_out != NULL) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        lle_strlcpy(text_out, t != NULL ? (const char *)t : "", text_size);
    }
cleanup:
    sqlite3_finalize(st);
    return ret;
}

/* Connection settings: busy timeout, WAL, synchronous FULL, foreign keys. */
static lle_status configure(lle_store *s, lle_error *err)
{
    char mode[16] = "";
    int64_t fk = 0;
    lle_status st = LLE_OK;
    int rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);

    if (rc != SQLITE_OK)
        st = lle_store_sql_fail(s, rc, "setting the busy timeout", err);
    /* The first statement to read the file: a corrupt file fails here. */
    if (st == LLE_OK)
        st = query_one(s, "PRAGMA journal_mode=WAL", NULL, mode, sizeof mode, err);
    if (st == LLE_OK && strcmp(mode, "wal") != 0)
        lle_logf(LLE_LOG_WARN, "%s: WAL journaling unavailable here, using '%s'", s->path, mode);
    if (st == LLE_OK)
        st = lle_store_exec(s, "PRAGMA synchronous=FULL", "setting synchronous=FULL", err);
    if (st == LLE_OK)
        st = lle_store_exec(s, "PRAGMA foreign_keys=ON", "enabling foreign keys", err);
    if (st == LLE_OK)
        st = query_one(s, "PRAGMA foreign_keys", &fk, NULL, 0, err);
    if (st == LLE_OK && fk != 1)
        st = lle_fail(err, LLE_ERR_UNSUPPORTED, "%s: this SQLite cannot enforce foreign keys", s->path);
    return st;
}

/* Apply MIGRATIONS[from..] and record the new version, all in one transaction. */
static lle_status migrate_locked(lle_store *s, lle_error *err)
{
    char sql[64];
    int64_t version = 0, n_objects = 0;
    lle_status st = query_one(s, "PRAGMA user_version", &version, NULL, 0, err);

    if (st != LLE_OK || version == LLE_STORE_SCHEMA_VERSION)
        goto cleanup; /* another process may have migrated while we waited */
    if (version > LLE_STORE_SCHEMA_VERSION || version < 0) {
        st = lle_fail(err, LLE_ERR_UNSUPPORTED,
                      "%s: schema version %lld is newer than this build supports (%d); upgrade "
                      "llm-efficiency",
                      s->path, (long long)version, LLE_STORE_SCHEMA_VERSION);
        goto cleanup;
    }
    if (version == 0) {
        st = query_one(s, "SELECT count(*) FROM sqlite_master", &n_objects, NULL, 0, err);
        if (st == LLE_OK && n_objects != 0)
            st = lle_fail(err, LLE_ERR_FORMAT,
                          "%s: an SQLite database with tables but no results schema version; "
                          "not an llm-efficiency results database",
                          s->path);
    }
    for (int64_t v = version; st == LLE_OK && v < LLE_STORE_SCHEMA_VERSION; v++)
        st = lle_store_exec(s, MIGRATIONS[v], "creating or migrating the schema", err);
    if (st == LLE_OK) {
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", LLE_STORE_SCHEMA_VERSION);
        st = lle_store_exec(s, sql, "recording the schema version", err);
    }
cleanup:
    return st;
}

static lle_status migrate(lle_store *s, lle_error *err)
{
    int64_t version = 0;
    lle_status st = query_one(s, "PRAGMA user_version", &version, NULL, 0, err);

    if (st != LLE_OK || version == LLE_STORE_SCHEMA_VERSION)
        goto cleanup; /* the common case takes no write lock */
    st = lle_store_exec(s, "BEGIN IMMEDIATE", "starting the schema transaction", err);
    if (st != LLE_OK)
        goto cleanup;
    st = migrate_locked(s, err);
    if (st == LLE_OK)
        st = lle_store_exec(s, "COMMIT", "committing the schema", err);
    if (st != LLE_OK)
        lle_store_rollback(s);
cleanup:
    return st;
}

lle_status lle_store_open(const char *results_dir, lle_store **out, lle_error *err)
{
    lle_store *s = NULL;
    lle_status st = LLE_OK;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (results_dir == NULL || results_dir[0] == '\0' || out == NULL) {
        st = lle_fail(err, LLE_ERR_INVALID, "lle_store_open: results directory and out are required");
        goto cleanup;
    }
    st = lle_mkdir_p(results_dir, err);
    if (st != LLE_OK)
        goto cleanup;
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory opening the results store");
        goto cleanup;
    }
    if ((size_t)snprintf(s->path, sizeof s->path, "%s/%s", results_dir, LLE_STORE_FILE) >= sizeof s->path) {
        st = lle_fail(err, LLE_ERR_INVALID, "results directory path too long: %s", results_dir);
        goto cleanup;
    }
    /* NOMUTEX: a handle is used by one thread at a time (lle/store.h), so
     * SQLite need not lock around every call (the results scans make
     * millions of them). */
    rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = lle_store_sql_fail(s, rc, "cannot open", err);
        goto cleanup;
    }
    st = configure(s, err);
    if (st == LLE_OK)
        st = migrate(s, err);
cleanup:
    if (st == LLE_OK && out != NULL)
        *out = s; /* out is non-NULL whenever st is OK */
    else
        lle_store_close(s);
    return st;
}

void lle_store_close(lle_store *s)
{
    if (s == NULL)
        return;
    /* Every statement is finalised by the call that prepared it, so the
     * connection closes now; the last connection also checkpoints the WAL. */
    if (sqlite3_close(s->db) != SQLITE_OK) {
        lle_logf(LLE_LOG_WARN, "%s: close: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_close_v2(s->db);
    }
    free(s);
}

/* Copy column 0 of the current row into a fresh malloc'd string. */
static lle_status copy_document(lle_store *s, sqlite3_stmt *st, char **out, lle_error *err)
{
    const unsigned char *text = sqlite3_column_text(st, 0); /* NOT NULL column: */
    int len = sqlite3_column_bytes(st, 0);                  /* NULL means no memory */
    char *copy = text != NULL ? malloc((size_t)len + 1) : NULL;

    if (copy == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "%s: out of memory reading a document", s->path);
    memcpy(copy, text, (size_t)len);
    copy[len] = '\0';
    *out = copy;
    return LLE_OK;
}

lle_status lle_store_get(lle_store *s, const char *id, char **json_doc_out, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = LLE_OK;
    int rc;

    if (json_doc_out != NULL)
        *json_doc_out = NULL;
    if (s == NULL || id == NULL || json_doc_out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_store_get: store, id and out are required");
    ret =
        lle_store_prepare(s, "SELECT document_json FROM experiments WHERE id = ?1", &st, "reading an experiment", err);
    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        ret = lle_store_sql_fail(s, rc, "binding the experiment id", err);
        goto cleanup;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ret = copy_document(s, st, json_doc_out, err);
    else if (rc == SQLITE_DONE)
        ret = lle_fail(err, LLE_ERR_NOT_FOUND, "%s: no experiment with id '%s'", s->path, id);
    else
        ret = lle_store_sql_fail(s, rc, "reading an experiment", err);
cleanup:
    sqlite3_finalize(st);
    return ret;
}

lle_status lle_store_count(lle_store *s, int64_t *n_experiments, int64_t *n_requests, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = LLE_OK;
    int rc;

    if (s == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_store_count: store is required");
    ret = lle_store_prepare(s, "SELECT (SELECT count(*) FROM experiments), (SELECT count(*) FROM requests)", &st,
                            "counting rows", err);
    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        ret = lle_store_sql_fail(s, rc, "counting rows", err);
        goto cleanup;
    }
    if (n_experiments != NULL)
        *n_experiments = sqlite3_column_int64(st, 0);
    if (n_requests != NULL)
        *n_requests = sqlite3_column_int64(st, 1);
cleanup:
    sqlite3_finalize(st);
    return ret;
}

lle_status lle_store_save_document(const char *results_dir, const char *id, const char *json_doc, char *path,
                                   size_t path_size, lle_store **store, lle_error *err)
{
    lle_status st = lle_mkdir_p(results_dir, err);

    *store = NULL;
    if (st == LLE_OK && (size_t)snprintf(path, path_size, "%s/%s.json", results_dir, id) >= path_size)
        st = lle_fail(err, LLE_ERR_INVALID, "results directory path too long: %s", results_dir);
    if (st == LLE_OK)
        st = lle_write_file_atomic(path, json_doc, strlen(json_doc), err);
    if (st == LLE_OK)
        st = lle_store_open(results_dir, store, err);
    if (st == LLE_OK)
        st = lle_store_put(*store, json_doc, err);
    if (st != LLE_OK) {
        lle_store_close(*store);
        *store = NULL;
    }
    return st;
}
