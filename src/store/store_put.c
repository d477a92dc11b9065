/* store_put.c — one experiment's JSON document into the results database, in
 * one transaction: delete any experiment with the same id (its requests and
 * timeseries cascade), insert the experiments row (typed headline columns read
 * from the document by path, the sub-objects and the verbatim document as JSON
 * text), one requests row per element of "requests", and the experiment's
 * rows of the results index (src/results/index.h: its flat row and export
 * values, so `results` commands never parse the document again). Fields the store does
 * not know are ignored here and kept in the stored document; a known field of
 * the wrong JSON type is refused (FORMAT) and the transaction rolled back.
 * Column meanings and units: docs/storage.md. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/index.h"
#include "store/store_internal.h"

typedef enum col_kind {
    COL_TEXT,   /* JSON string */
    COL_INT,    /* JSON number with an integral value that fits int64 */
    COL_REAL,   /* JSON number */
    COL_OBJECT, /* JSON object, stored as compact JSON text */
    COL_NUMBERS /* JSON array of numbers, stored as compact JSON text */
} col_kind;

/* A column filled from the document: JSON path from the object it is read
 * from (the document, or one request), and an alternative path tried when the
 * first is absent. Absent or null -> SQL NULL. */
typedef struct col_spec {
    const char *column;
    col_kind kind;
    const char *path[4];
    const char *alt[4];
} col_spec;

/* clang-format off */
#define LAT(name, stat) {#name "_" #stat "_s", COL_REAL, {"metrics", #name "_s", #stat}, {NULL}}
#define LAT4(name) LAT(name, mean), LAT(name, p50), LAT(name, p90), LAT(name, p99)
/* clang-format on */

static const col_spec EXPERIMENT_COLS[] = {
    {"id", COL_TEXT, {"id"}, {NULL}},
    {"schema_version", COL_INT, {"schema_version"}, {NULL}},
    {"status", COL_TEXT, {"status"}, {NULL}},
    {"error", COL_TEXT, {"error"}, {NULL}},
    {"started_at", COL_TEXT, {"started_at"}, {NULL}},
    {"model_path", COL_TEXT, {"config", "model_path"}, {"model", "path"}},
    {"model_arch", COL_TEXT, {"model", "arch"}, {NULL}},
    {"model_file_type", COL_TEXT, {"model", "file_type"}, {NULL}},
    {"model_n_params", COL_INT, {"model", "n_params"}, {NULL}},
    {"prompts", COL_INT, {"config", "prompts"}, {NULL}},
    {"max_input_tokens", COL_INT, {"config", "max_input_tokens"}, {NULL}},
    {"max_output_tokens", COL_INT, {"config", "max_output_tokens"}, {NULL}},
    {"threads", COL_INT, {"config", "threads"}, {NULL}},
    {"n_ctx", COL_INT, {"config", "n_ctx"}, {NULL}},
    {"batch_size", COL_INT, {"config", "batch_size"}, {NULL}},
    {"wall_s", COL_REAL, {"metrics", "wall_s"}, {NULL}},
    {"input_tokens", COL_INT, {"metrics", "input_tokens"}, {NULL}},
    {"output_tokens", COL_INT, {"metrics", "output_tokens"}, {NULL}},
    {"prefill_tokens_per_s", COL_REAL, {"metrics", "prefill_tokens_per_s"}, {NULL}},
    {"decode_tokens_per_s", COL_REAL, {"metrics", "decode_tokens_per_s"}, {NULL}},
    {"total_tokens_per_s", COL_REAL, {"metrics", "total_tokens_per_s"}, {NULL}},
    {"requests_per_s", COL_REAL, {"metrics", "requests_per_s"}, {NULL}},
    LAT4(ttft),
    LAT4(tpot),
    LAT4(itl),
    LAT4(e2e),
    {"peak_rss_bytes", COL_INT, {"metrics", "peak_rss_bytes"}, {NULL}},
    {"model_bytes", COL_INT, {"metrics", "model_bytes"}, {NULL}},
    {"kv_cache_bytes", COL_INT, {"metrics", "kv_cache_bytes"}, {NULL}},
    {"config_json", COL_OBJECT, {"config"}, {NULL}},
    {"model_json", COL_OBJECT, {"model"}, {NULL}},
    {"environment_json", COL_OBJECT, {"environment"}, {NULL}},
    {"metrics_json", COL_OBJECT, {"metrics"}, {NULL}},
};

static const col_spec REQUEST_COLS[] = {
    {"prompt_index", COL_INT, {"index"}, {NULL}},
    {"repeat", COL_INT, {"repeat"}, {NULL}},
    {"batch", COL_INT, {"batch"}, {NULL}},
    {"input_tokens", COL_INT, {"input_tokens"}, {NULL}},
    {"output_tokens", COL_INT, {"output_tokens"}, {NULL}},
    {"arrival_s", COL_REAL, {"arrival_s"}, {NULL}},
    {"start_s", COL_REAL, {"start_s"}, {NULL}},
    {"queue_delay_s", COL_REAL, {"queue_delay_s"}, {NULL}},
    {"ttft_s", COL_REAL, {"ttft_s"}, {NULL}},
    {"e2e_s", COL_REAL, {"e2e_s"}, {NULL}},
    {"prefill_s", COL_REAL, {"prefill_s"}, {NULL}},
    {"decode_s", COL_REAL, {"decode_s"}, {NULL}},
    {"itl_s", COL_NUMBERS, {"itl_s"}, {NULL}},
};

#define N_EXPERIMENT_COLS (sizeof EXPERIMENT_COLS / sizeof EXPERIMENT_COLS[0])
#define N_REQUEST_COLS    (sizeof REQUEST_COLS / sizeof REQUEST_COLS[0])

/* Requests: experiment_id, idx and tpot_s come first, then REQUEST_COLS. */
#define REQUEST_FIXED_COLS "experiment_id, idx, tpot_s"
#define REQUEST_N_FIXED    3

/* Where a failing field sits, for messages: "experiment 'X'" [", request 2"]. */
typedef struct put_ctx {
    lle_store *s;
    const char *id;
    long request; /* -1 for the experiments row */
} put_ctx;

static const char *json_type_name(const cJSON *n)
{
    if (cJSON_IsString(n))
        return "a string";
    if (cJSON_IsNumber(n))
        return "a number";
    if (cJSON_IsBool(n))
        return "a boolean";
    if (cJSON_IsArray(n))
        return "an array";
    if (cJSON_IsObject(n))
        return "an object";
    return "something else";
}

static void path_name(const char *const *path, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < 4 && path[i] != NULL; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i > 0 ? "." : "", path[i]);
    }
}

static lle_status field_fail(const put_ctx *c, const char *const *path, const char *what, lle_error *err)
{
    char name[256], where[32] = "";

    path_name(path, name, sizeof name);
    if (c->request >= 0)
        snprintf(where, sizeof where, "requests[%ld].", c->request);
    return lle_fail(err, LLE_ERR_FORMAT, "%s: experiment '%s': %s%s: %s", c->s->path, c->id, where, name, what);
}

/* Follow `path` from `obj`: *found is NULL when a step is absent or null;
 * FORMAT when a step before the last is present but not an object. */
static lle_status lookup(const put_ctx *c, const cJSON *obj, const char *const *path, const cJSON **found,
                         lle_error *err)
{
    const cJSON *n = obj;
    lle_status ret = LLE_OK;

    for (size_t i = 0; i < 4 && path[i] != NULL && n != NULL; i++) {
        if (!cJSON_IsObject(n)) {
            char what[96];
            snprintf(what, sizeof what, "expected an object at '%s', got %s", i > 0 ? path[i - 1] : "(top)",
                     json_type_name(n));
            ret = field_fail(c, path, what, err);
            n = NULL;
            break;
        }
        n = cJSON_GetObjectItemCaseSensitive(n, path[i]);
        if (cJSON_IsNull(n))
            n = NULL;
    }
    *found = n;
    return ret;
}

static bool integral_int64(double v, sqlite3_int64 *out)
{
    bool ok = v >= -9223372036854775808.0 && v < 9223372036854775808.0; /* false for NaN */

    if (ok) {
        *out = (sqlite3_int64)v;
        ok = (double)*out == v;
    }
    return ok;
}

static bool all_numbers(const cJSON *arr)
{
    const cJSON *e = NULL;
    bool ok = true;

    cJSON_ArrayForEach(e, arr)
    {
        ok = ok && cJSON_IsNumber(e);
    }
    return ok;
}

/* Whether `n` (not NULL) has the JSON type `kind` needs; sets *i64 for COL_INT. */
static bool kind_matches(col_kind kind, const cJSON *n, sqlite3_int64 *i64)
{
    switch (kind) {
    case COL_TEXT:
        return cJSON_IsString(n);
    case COL_INT:
        return cJSON_IsNumber(n) && integral_int64(n->valuedouble, i64);
    case COL_REAL:
        return cJSON_IsNumber(n);
    case COL_OBJECT:
        return cJSON_IsObject(n);
    case COL_NUMBERS:
        return cJSON_IsArray(n) && all_numbers(n);
    }
    return false;
}

/* Bind `n` (may be NULL) as a compact JSON text value. */
static lle_status bind_json(const put_ctx *c, sqlite3_stmt *st, int idx, const cJSON *n, lle_error *err)
{
    char *text = cJSON_PrintUnformatted(n);
    lle_status ret = LLE_OK;
    int rc;

    if (text == NULL)
        ret = lle_fail(err, LLE_ERR_NOMEM, "%s: out of memory storing experiment '%s'", c->s->path, c->id);
    else if ((rc = sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
        ret = lle_store_sql_fail(c->s, rc, "binding a value", err);
    free(text);
    return ret;
}

/* Check `n` against the column's kind and bind it (NULL -> SQL NULL). */
static lle_status bind_value(const put_ctx *c, sqlite3_stmt *st, int idx, const col_spec *col, const cJSON *n,
                             lle_error *err)
{
    static const char *const expected[] = {"a string", "an integer", "a number", "an object", "an array of numbers"};
    sqlite3_int64 i64 = 0;
    lle_status ret = LLE_OK;
    int rc = SQLITE_OK;

    if (n != NULL && !kind_matches(col->kind, n, &i64)) {
        char what[96];
        snprintf(what, sizeof what, "expected %s, got %s%s", expected[col->kind], json_type_name(n),
                 cJSON_IsNumber(n) ? " that is not an integer in range" : "");
        ret = field_fail(c, col->path, what, err);
    } else if (n == NULL) {
        rc = sqlite3_bind_null(st, idx);
    } else if (col->kind == COL_TEXT) {
        rc = sqlite3_bind_text(st, idx, n->valuestring, -1, SQLITE_STATIC);
    } else if (col->kind == COL_INT) {
        rc = sqlite3_bind_int64(st, idx, i64);
    } else if (col->kind == COL_REAL) {
        rc = sqlite3_bind_double(st, idx, n->valuedouble);
    } else {
        ret = bind_json(c, st, idx, n, err);
    }
    if (rc != SQLITE_OK)
        ret = lle_store_sql_fail(c->s, rc, "binding a value", err);
    return ret;
}

/* Bind every column of `cols` from `obj`, starting at parameter `first`. */
static lle_status bind_columns(const put_ctx *c, sqlite3_stmt *st, int first, const col_spec *cols, size_t n_cols,
                               const cJSON *obj, lle_error *err)
{
    lle_status ret = LLE_OK;

    for (size_t i = 0; i < n_cols && ret == LLE_OK; i++) {
        const cJSON *n = NULL;
        ret = lookup(c, obj, cols[i].path, &n, err);
        if (ret == LLE_OK && n == NULL && cols[i].alt[0] != NULL)
            ret = lookup(c, obj, cols[i].alt, &n, err);
        if (ret == LLE_OK)
            ret = bind_value(c, st, first + (int)i, &cols[i], n, err);
    }
    return ret;
}

/* "INSERT INTO table(fixed, cols...) VALUES(?, ...)" from constant names only. */
static lle_status insert_sql(const char *table, const char *fixed, int n_fixed, const col_spec *cols, size_t n_cols,
                             char *buf, size_t size, lle_error *err)
{
    size_t used = (size_t)snprintf(buf, size, "INSERT INTO %s(%s", table, fixed);

    for (size_t i = 0; i < n_cols && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, ", %s", cols[i].column);
    for (size_t i = 0; i < n_cols + (size_t)n_fixed && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s", i == 0 ? ") VALUES(?" : ", ?");
    if (used < size)
        used += (size_t)snprintf(buf + used, size - used, ")");
    return used < size ? LLE_OK : lle_fail(err, LLE_ERR_INTERNAL, "store: INSERT for %s too long", table);
}

/* Run a prepared statement that returns no rows to completion. */
static lle_status step_done(lle_store *s, sqlite3_stmt *st, const char *what, lle_error *err)
{
    int rc = sqlite3_step(st);

    return rc == SQLITE_DONE ? LLE_OK : lle_store_sql_fail(s, rc, what, err);
}

static lle_status delete_experiment(const put_ctx *c, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = lle_store_prepare(c->s, "DELETE FROM experiments WHERE id = ?1", &st,
                                       "removing the previous version of the experiment", err);
    int rc;

    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        ret = lle_store_sql_fail(c->s, rc, "binding the experiment id", err);
        goto cleanup;
    }
    ret = step_done(c->s, st, "removing the previous version of the experiment", err);
cleanup:
    sqlite3_finalize(st);
    return ret;
}

static lle_status insert_experiment(const put_ctx *c, const cJSON *root, const char *json_doc, lle_error *err)
{
    char sql[4096];
    sqlite3_stmt *st = NULL;
    lle_status ret =
        insert_sql("experiments", "document_json", 1, EXPERIMENT_COLS, N_EXPERIMENT_COLS, sql, sizeof sql, err);
    int rc;

    if (ret == LLE_OK)
        ret = lle_store_prepare(c->s, sql, &st, "inserting the experiment", err);
    if (ret != LLE_OK)
        goto cleanup;
    rc = sqlite3_bind_text(st, 1, json_doc, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        ret = lle_store_sql_fail(c->s, rc, "binding the document", err);
        goto cleanup;
    }
    ret = bind_columns(c, st, 2, EXPERIMENT_COLS, N_EXPERIMENT_COLS, root, err);
    if (ret == LLE_OK)
        ret = step_done(c->s, st, "inserting the experiment", err);
cleanup:
    sqlite3_finalize(st);
    return ret;
}

/* Bind experiment_id, idx (the position in "requests": unique even when a
 * prompt "index" repeats across measured passes) and tpot_s ((e2e - ttft) /
 * (out - 1), NULL unless all three are known and out >= 2). The REQUEST_COLS
 * must already be bound, and so type-checked. */
static lle_status bind_request_fixed(const put_ctx *c, sqlite3_stmt *st, const cJSON *q, lle_error *err)
{
    const cJSON *ttft = cJSON_GetObjectItemCaseSensitive(q, "ttft_s");
    const cJSON *e2e = cJSON_GetObjectItemCaseSensitive(q, "e2e_s");
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(q, "output_tokens");
    int rc = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, c->request);
    if (rc == SQLITE_OK && cJSON_IsNumber(ttft) && cJSON_IsNumber(e2e) && cJSON_IsNumber(out) &&
        out->valuedouble >= 2.0)
        rc = sqlite3_bind_double(st, 3, (e2e->valuedouble - ttft->valuedouble) / (out->valuedouble - 1.0));
    else if (rc == SQLITE_OK)
        rc = sqlite3_bind_null(st, 3);
    return rc == SQLITE_OK ? LLE_OK : lle_store_sql_fail(c->s, rc, "binding a request value", err);
}

static lle_status insert_one_request(put_ctx *c, sqlite3_stmt *st, const cJSON *q, lle_error *err)
{
    lle_status ret = LLE_OK;
    int rc = sqlite3_reset(st);

    if (rc == SQLITE_OK)
        rc = sqlite3_clear_bindings(st);
    if (rc != SQLITE_OK)
        ret = lle_store_sql_fail(c->s, rc, "resetting the request statement", err);
    else if (!cJSON_IsObject(q))
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: experiment '%s': requests[%ld]: expected an object, got %s",
                       c->s->path, c->id, c->request, json_type_name(q));
    if (ret == LLE_OK)
        ret = bind_columns(c, st, REQUEST_N_FIXED + 1, REQUEST_COLS, N_REQUEST_COLS, q, err);
    if (ret == LLE_OK)
        ret = bind_request_fixed(c, st, q, err);
    if (ret == LLE_OK && (rc = sqlite3_step(st)) != SQLITE_DONE) {
        char what[384];
        snprintf(what, sizeof what, "experiment '%s': inserting requests[%ld]", c->id, c->request);
        ret = lle_store_sql_fail(c->s, rc, what, err);
    }
    return ret;
}

static lle_status insert_requests(put_ctx *c, const cJSON *root, lle_error *err)
{
    char sql[1024];
    sqlite3_stmt *st = NULL;
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(root, "requests"), *q = NULL;
    lle_status ret = LLE_OK;

    if (reqs == NULL || cJSON_IsNull(reqs))
        goto cleanup;
    if (!cJSON_IsArray(reqs)) {
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: experiment '%s': requests: expected an array, got %s", c->s->path,
                       c->id, json_type_name(reqs));
        goto cleanup;
    }
    ret =
        insert_sql("requests", REQUEST_FIXED_COLS, REQUEST_N_FIXED, REQUEST_COLS, N_REQUEST_COLS, sql, sizeof sql, err);
    if (ret == LLE_OK)
        ret = lle_store_prepare(c->s, sql, &st, "inserting requests", err);
    c->request = 0;
    cJSON_ArrayForEach(q, reqs)
    {
        if (ret != LLE_OK)
            break;
        ret = insert_one_request(c, st, q, err);
        c->request++;
    }
cleanup:
    c->request = -1;
    sqlite3_finalize(st);
    return ret;
}

/* Parse and check the parts every document must have: an object with a
 * non-empty string "id". */
static lle_status parse_document(const lle_store *s, const char *json_doc, cJSON **root_out, const char **id_out,
                                 lle_error *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json_doc, &end, 1);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id"); /* NULL-safe */
    lle_status ret = LLE_OK;

    *root_out = root;
    if (root == NULL)
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: document is not valid JSON (error near byte %zu)", s->path,
                       end != NULL && end >= json_doc ? (size_t)(end - json_doc) : (size_t)0);
    else if (!cJSON_IsObject(root))
        ret =
            lle_fail(err, LLE_ERR_FORMAT, "%s: document is %s, expected a JSON object", s->path, json_type_name(root));
    else if (!cJSON_IsString(id) || id->valuestring[0] == '\0')
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: document has no experiment id (a non-empty string \"id\")", s->path);
    else
        *id_out = id->valuestring;
    return ret;
}

lle_status lle_store_put_locked(lle_store *s, const char *json_doc, lle_error *err)
{
    cJSON *root = NULL;
    put_ctx c = {s, NULL, -1};
    lle_status ret = parse_document(s, json_doc, &root, &c.id, err);

    if (ret == LLE_OK)
        ret = res_index_begin_put(s->db, s->path, err);
    if (ret == LLE_OK)
        ret = delete_experiment(&c, err);
    if (ret == LLE_OK)
        ret = insert_experiment(&c, root, json_doc, err);
    if (ret == LLE_OK)
        ret = insert_requests(&c, root, err);
    if (ret == LLE_OK)
        ret = res_index_put(s->db, s->path, root, err); /* the results index, in this transaction */
    cJSON_Delete(root);
    return ret;
}

lle_status lle_store_put(lle_store *s, const char *json_doc, lle_error *err)
{
    lle_status ret = LLE_OK;

    if (s == NULL || json_doc == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_store_put: store and document are required");
    /* IMMEDIATE: take the write lock now (waiting up to the busy timeout) rather
     * than failing with BUSY when a read transaction would have to upgrade. */
    ret = lle_store_exec(s, "BEGIN IMMEDIATE", "starting a transaction", err);
    if (ret != LLE_OK)
        return ret;
    ret = lle_store_put_locked(s, json_doc, err);
    if (ret == LLE_OK)
        ret = lle_store_exec(s, "COMMIT", "committing the experiment", err);
    if (ret != LLE_OK)
        lle_store_rollback(s);
    return ret;
}
