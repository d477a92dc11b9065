/* index.c — the derived tables the results commands read, and writing them.
 * RES_FLAT_TABLE holds one typed row per experiment (every catalogue column,
 * for filters, sorting and statistics); RES_TEXT_TABLE holds, per experiment,
 * the values an export writes, already rendered: the flat row's values and
 * its requests' values as JSON tokens (RES_TOK_SEP between values, '\n' after
 * each row, an empty token for NULL). Export then copies text instead of
 * formatting ~170 numbers per experiment; CSV is derived from the same
 * tokens (res_token_csv), so both formats stay byte-for-byte what a live
 * rendering of the row gives (res_put_value), which is how the tokens are
 * made. Both tables are written when an experiment is put (res_index_put,
 * called by the store inside the put's transaction) and, for experiments
 * stored by older versions or by other tools, when a results handle opens
 * (db.c calls res_index_fill_text after flattening the documents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/index.h"
#include "results/results_internal.h"

const res_col RES_REQUEST_COLS[] = {
    {"experiment_id", RK_TEXT, false}, {"idx", RK_INT, false},        {"prompt_index", RK_INT, false},
    {"repeat", RK_INT, false},         {"batch", RK_INT, false},      {"input_tokens", RK_INT, false},
    {"output_tokens", RK_INT, false},  {"arrival_s", RK_REAL, false}, {"start_s", RK_REAL, false},
    {"queue_delay_s", RK_REAL, false}, {"ttft_s", RK_REAL, false},    {"tpot_s", RK_REAL, false},
    {"e2e_s", RK_REAL, false},         {"prefill_s", RK_REAL, false}, {"decode_s", RK_REAL, false},
    {"itl_s", RK_TEXT, true},
};
const size_t RES_N_REQUEST_COLS = sizeof RES_REQUEST_COLS / sizeof RES_REQUEST_COLS[0];

lle_status res_db_fail(sqlite3 *db, const char *path, int rc, const char *what, lle_error *err)
{
    lle_status code = (rc & 0xff) == SQLITE_NOMEM                                     ? LLE_ERR_NOMEM
                      : (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ? LLE_ERR_FORMAT
                      : (rc & 0xff) == SQLITE_ERROR                                   ? LLE_ERR_INTERNAL
                                                                                      : LLE_ERR_IO;

    return lle_fail(err, code, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

res_col *res_experiment_cols(void)
{
    res_col *cols = calloc(RES_N_FIELDS, sizeof *cols);

    for (size_t i = 0; cols != NULL && i < RES_N_FIELDS; i++)
        cols[i] = (res_col){RES_FIELDS[i].name, RES_FIELDS[i].kind, false};
    return cols;
}

/* Raw JSON text (itl_s) can be a token when it is non-empty TEXT without a
 * separator, newline or NUL; else the row is rendered live at export. */
static bool raw_ok(const char *s, size_t n)
{
    return s != NULL && n > 0 && memchr(s, '\n', n) == NULL && memchr(s, RES_TOK_SEP, n) == NULL &&
           memchr(s, '\0', n) == NULL;
}

bool res_row_tokens(rbuf *b, sqlite3_stmt *st, const res_col *cols, size_t n)
{
    bool ok = true;

    for (size_t i = 0; i < n; i++) {
        int type = sqlite3_column_type(st, (int)i);
        if (i)
            rbuf_putc(b, RES_TOK_SEP);
        if (type == SQLITE_NULL)
            continue;
        if (cols[i].json_text) {
            const char *s = (const char *)sqlite3_column_text(st, (int)i);
            size_t len = (size_t)sqlite3_column_bytes(st, (int)i);
            ok = ok && type == SQLITE_TEXT && raw_ok(s, len);
            if (s != NULL)
                rbuf_put(b, s, len);
        } else {
            res_put_value(b, st, (int)i, cols[i].kind, LLE_RESULTS_JSON);
        }
    }
    rbuf_putc(b, '\n');
    return ok;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : 0;
}

/* The text of a JSON string token as rbuf_json_string wrote it. */
static void json_unescape(const char *s, size_t n, rbuf *out)
{
    const char *run = s, *end = s + n;

    out->len = 0;
    for (const char *p = s; p < end; p++) {
        if (*p != '\\' || p + 1 >= end)
            continue;
        rbuf_put(out, run, (size_t)(p - run));
        p++;
        if (*p == 'n')
            rbuf_putc(out, '\n');
        else if (*p == 'r')
            rbuf_putc(out, '\r');
        else if (*p == 't')
            rbuf_putc(out, '\t');
        else if (*p == 'u' && p + 4 < end) {
            rbuf_putc(out, (char)(hexval(p[3]) * 16 + hexval(p[4])));
            p += 4;
        } else
            rbuf_putc(out, *p);
        run = p + 1;
    }
    rbuf_put(out, run, (size_t)(end - run));
}

void res_csv_field_n(rbuf *b, const char *s, size_t n)
{
    bool quote = false;

    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        rbuf_put(b, s, n);
        return;
    }
    rbuf_putc(b, '"');
    for (const char *p = s, *run = s; p <= s + n; p++) {
        if (p == s + n || *p == '"') {
            rbuf_put(b, run, (size_t)(p - run + (p < s + n)));
            run = p;
        }
    }
    rbuf_putc(b, '"');
}

void res_token_csv(rbuf *b, const char *tok, size_t n, bool json_text, rbuf *tmp)
{
    if (n == 0)
        return;
    if (json_text) {
        res_csv_field_n(b, tok, n);
    } else if (tok[0] == '"' && n >= 2) {
        if (memchr(tok + 1, '\\', n - 2) == NULL) {
            res_csv_field_n(b, tok + 1, n - 2);
        } else {
            json_unescape(tok + 1, n - 2, tmp);
            res_csv_field_n(b, tmp->data != NULL ? tmp->data : "", tmp->len);
        }
    } else {
        rbuf_put(b, tok, n);
    }
}

/* ---- schema ---------------------------------------------------------------- */
#define DIRTY_TRIGGER(name, when, table, values)                                                                       \
    "CREATE TRIGGER IF NOT EXISTS " RES_DIRTY_TABLE "_" name " AFTER " when " ON " table                               \
    " BEGIN INSERT OR IGNORE INTO " RES_DIRTY_TABLE "(id) VALUES " values "; END;"

#define DIRTY_TABLE "CREATE TABLE IF NOT EXISTS " RES_DIRTY_TABLE " (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID"
/* clang-format off */
#define DIRTY_SQL \
    DIRTY_TABLE ";" \
    DIRTY_TRIGGER("ei", "INSERT", "experiments", "(NEW.id)") \
    DIRTY_TRIGGER("eu", "UPDATE", "experiments", "(OLD.id), (NEW.id)") \
    DIRTY_TRIGGER("ed", "DELETE", "experiments", "(OLD.id)") \
    DIRTY_TRIGGER("ri", "INSERT", "requests", "(NEW.experiment_id)") \
    DIRTY_TRIGGER("ru", "UPDATE", "requests", "(OLD.experiment_id), (NEW.experiment_id)") \
    DIRTY_TRIGGER("rd", "DELETE", "requests", "(OLD.experiment_id)")
/* clang-format on */

static lle_status exec_sql(sqlite3 *db, const char *path, const char *sql, lle_error *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? LLE_OK : res_db_fail(db, path, rc, "creating the results index", err);
}

lle_status res_index_create(sqlite3 *db, const char *path, bool temp, lle_error *err)
{
    rbuf b = {0};
    char *sql = NULL;
    lle_status ret;

    rbuf_printf(&b, "CREATE %sTABLE IF NOT EXISTS %s (", temp ? "TEMP " : "", RES_FLAT_TABLE);
    for (size_t i = 0; i < RES_N_FIELDS; i++)
        rbuf_printf(&b, "%s%s %s%s", i ? ", " : "", RES_FIELDS[i].name, res_kind_sql(RES_FIELDS[i].kind),
                    i == 0 ? " PRIMARY KEY NOT NULL" : "");
    if (!temp)
        rbuf_puts(&b, ", FOREIGN KEY (id) REFERENCES experiments(id) ON DELETE CASCADE");
    rbuf_printf(&b, "); CREATE INDEX IF NOT EXISTS %s%s_started ON %s(started_at, id);", temp ? "temp." : "",
                RES_FLAT_TABLE, RES_FLAT_TABLE);
    /* Covers the text of `results list` (and its usual filters and sorts):
     * listing reads this narrow index, not the ~2 KB rows. */
    rbuf_printf(&b, "CREATE INDEX IF NOT EXISTS %s%s_list ON %s(%s);", temp ? "temp." : "", RES_FLAT_TABLE,
                RES_FLAT_TABLE, RES_LIST_INDEX_COLS);
    if (!temp)
        /* the short list columns first: they stay on the row's own page,
         * ahead of the long export values that spill to overflow pages */
        rbuf_puts(&b,
                  "CREATE TABLE IF NOT EXISTS " RES_TEXT_TABLE " (id TEXT PRIMARY KEY NOT NULL, started_at TEXT, "
                  "list_text TEXT, list_json TEXT, vals TEXT, req_vals TEXT, FOREIGN KEY (id) REFERENCES "
                  "experiments(id) ON DELETE CASCADE);"
                  /* covering, in the listing's default order (newest first): a listing reads these
                   * sequentially, or looks a filtered row up by (started_at, id), never the long rows */
                  "CREATE INDEX IF NOT EXISTS " RES_TEXT_TABLE "_line ON " RES_TEXT_TABLE "(started_at, id, list_text);"
                  "CREATE INDEX IF NOT EXISTS " RES_TEXT_TABLE "_json ON " RES_TEXT_TABLE
                  "(started_at, id, list_json);" DIRTY_SQL);
    ret = rbuf_take(&b, &sql, NULL, err);
    if (ret == LLE_OK)
        ret = exec_sql(db, path, sql, err);
    free(sql);
    return ret;
}

lle_status res_index_insert_sql(char **out, lle_error *err)
{
    rbuf b = {0};

    rbuf_printf(&b, "INSERT OR REPLACE INTO %s(", RES_FLAT_TABLE);
    for (size_t i = 0; i < RES_N_FIELDS; i++)
        rbuf_printf(&b, "%s%s", i ? ", " : "", RES_FIELDS[i].name);
    rbuf_puts(&b, ") VALUES(");
    for (size_t i = 0; i < RES_N_FIELDS; i++)
        rbuf_puts(&b, i ? ", ?" : "?");
    rbuf_puts(&b, ")");
    return rbuf_take(&b, out, NULL, err);
}

/* "SELECT <every catalogue column> FROM flat <tail>". */
static lle_status select_all_sql(const char *tail, char **out, lle_error *err)
{
    rbuf b = {0};

    rbuf_puts(&b, "SELECT ");
    for (size_t i = 0; i < RES_N_FIELDS; i++)
        rbuf_printf(&b, "%s%s", i ? ", " : "", RES_FIELDS[i].name);
    rbuf_printf(&b, " FROM %s %s", RES_FLAT_TABLE, tail);
    return rbuf_take(&b, out, NULL, err);
}

/* ---- export values ------------------------------------------------------------ */
typedef struct text_ctx {
    sqlite3 *db;
    const char *path;
    sqlite3_stmt *reqs, *ins, *list;
    res_col *cols;
    res_list_json jl;
    int started; /* catalogue index of started_at */
    rbuf vals, req, line, json;
} text_ctx;

static lle_status text_open(text_ctx *t, sqlite3 *db, const char *path, lle_error *err)
{
    int rc;

    memset(t, 0, sizeof *t);
    t->db = db;
    t->path = path;
    t->cols = res_experiment_cols();
    if (t->cols == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory indexing results");
    res_list_json_init(&t->jl);
    t->started = res_field_index("started_at");
    rc = sqlite3_prepare_v2(db, RES_REQUEST_SQL, -1, &t->reqs, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "INSERT OR REPLACE INTO " RES_TEXT_TABLE
                                "(id, vals, req_vals, list_text, list_json, started_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                -1, &t->ins, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT " RES_LIST_TEXT_SQL " FROM " RES_FLAT_TABLE " WHERE id = ?1", -1, &t->list,
                                NULL);
    return rc == SQLITE_OK ? LLE_OK : res_db_fail(db, path, rc, "preparing the results index", err);
}

static void text_close(text_ctx *t)
{
    sqlite3_finalize(t->reqs);
    sqlite3_finalize(t->ins);
    sqlite3_finalize(t->list);
    free(t->cols);
    rbuf_free(&t->vals);
    rbuf_free(&t->req);
    rbuf_free(&t->line);
    rbuf_free(&t->json);
}

/* The `results list` line and JSON fields of experiment `id` (its flat row
 * and t->vals already written): the SQLite code of reading its list columns. */
static int list_render(text_ctx *t, const char *id)
{
    int rc;

    t->line.len = 0;
    t->json.len = 0;
    sqlite3_reset(t->list);
    rc = sqlite3_bind_text(t->list, 1, id, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK && (rc = sqlite3_step(t->list)) == SQLITE_ROW)
        res_list_text_line(&t->line, t->list);
    if (!res_list_json_fields(&t->json, &t->jl, t->vals.data, t->vals.len))
        rbuf_free(&t->json); /* data NULL: stored as NULL, rendered live */
    return rc;
}

/* Render the flat row at the current step of `row` (every catalogue column,
 * id first) and its requests, and store them. */
static lle_status text_render(text_ctx *t, sqlite3_stmt *row, lle_error *err)
{
    const char *id = (const char *)sqlite3_column_text(row, 0);
    bool req_ok = true;
    int rc;

    t->vals.len = 0;
    t->req.len = 0;
    if (id == NULL)
        return LLE_OK;
    res_row_tokens(&t->vals, row, t->cols, RES_N_FIELDS);
    sqlite3_reset(t->reqs);
    rc = sqlite3_bind_text(t->reqs, 1, id, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        while ((rc = sqlite3_step(t->reqs)) == SQLITE_ROW)
            req_ok = res_row_tokens(&t->req, t->reqs, RES_REQUEST_COLS, RES_N_REQUEST_COLS) && req_ok;
    if (rc != SQLITE_DONE)
        return res_db_fail(t->db, t->path, rc, "reading requests for the results index", err);
    if ((rc = list_render(t, id)) != SQLITE_ROW)
        return res_db_fail(t->db, t->path, rc, "reading the flat row for the results index", err);
    if (t->vals.oom || t->req.oom || t->line.oom || t->json.oom)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory indexing results");
    sqlite3_reset(t->ins);
    rc = sqlite3_bind_text(t->ins, 1, id, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(t->ins, 2, t->vals.data, (int)t->vals.len, SQLITE_STATIC);
    if (rc == SQLITE_OK && req_ok)
        rc = sqlite3_bind_text(t->ins, 3, t->req.data != NULL ? t->req.data : "", (int)t->req.len, SQLITE_STATIC);
    else if (rc == SQLITE_OK)
        rc = sqlite3_bind_null(t->ins, 3);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(t->ins, 4, t->line.data, (int)t->line.len, SQLITE_STATIC);
    if (rc == SQLITE_OK && t->json.data != NULL)
        rc = sqlite3_bind_text(t->ins, 5, t->json.data, (int)t->json.len, SQLITE_STATIC);
    else if (rc == SQLITE_OK)
        rc = sqlite3_bind_null(t->ins, 5);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_value(t->ins, 6, sqlite3_column_value(row, t->started));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(t->ins);
    return rc == SQLITE_DONE ? LLE_OK : res_db_fail(t->db, t->path, rc, "writing the results index", err);
}

lle_status res_index_fill_text(sqlite3 *db, const char *path, lle_error *err)
{
    text_ctx t;
    sqlite3_stmt *miss = NULL;
    char *sql = NULL;
    lle_status ret = text_open(&t, db, path, err);
    int rc = SQLITE_DONE;

    if (ret == LLE_OK)
        ret = select_all_sql("WHERE id NOT IN (SELECT id FROM " RES_TEXT_TABLE ")", &sql, err);
    if (ret == LLE_OK && (rc = sqlite3_prepare_v2(db, sql, -1, &miss, NULL)) != SQLITE_OK)
        ret = res_db_fail(db, path, rc, "preparing the results index", err);
    while (ret == LLE_OK && (rc = sqlite3_step(miss)) == SQLITE_ROW)
        ret = text_render(&t, miss, err);
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_db_fail(db, path, rc, "reading the flat results table", err);
    sqlite3_finalize(miss);
    free(sql);
    text_close(&t);
    return ret;
}

/* ---- at put time ------------------------------------------------------------------ */
bool res_table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;

    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
        yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Insert the flat row; *skip when the table has another layout. */
static lle_status put_flat(sqlite3 *db, const char *path, const cJSON *doc, bool *skip, lle_error *err)
{
    sqlite3_stmt *ins = NULL;
    char *sql = NULL;
    lle_status ret = res_index_insert_sql(&sql, err);
    int rc = SQLITE_OK;

    if (ret == LLE_OK && (rc = sqlite3_prepare_v2(db, sql, -1, &ins, NULL)) != SQLITE_OK)
        *skip = (rc & 0xff) == SQLITE_ERROR; /* no such column: another catalogue's table */
    if (ret == LLE_OK && rc != SQLITE_OK && !*skip)
        ret = res_db_fail(db, path, rc, "preparing the flat results row", err);
    if (ret == LLE_OK && !*skip)
        ret = res_bind_document(db, ins, doc, err);
    if (ret == LLE_OK && !*skip && (rc = sqlite3_step(ins)) != SQLITE_DONE)
        ret = res_db_fail(db, path, rc, "writing the flat results row", err);
    sqlite3_finalize(ins);
    free(sql);
    return ret;
}

/* Render the export values of experiment `id` from its flat row. */
static lle_status put_text(sqlite3 *db, const char *path, const char *id, lle_error *err)
{
    text_ctx t;
    sqlite3_stmt *row = NULL;
    char *sql = NULL;
    lle_status ret = text_open(&t, db, path, err);
    int rc = SQLITE_OK;

    if (ret == LLE_OK)
        ret = select_all_sql("WHERE id = ?1", &sql, err);
    if (ret == LLE_OK && (rc = sqlite3_prepare_v2(db, sql, -1, &row, NULL)) == SQLITE_OK)
        rc = sqlite3_bind_text(row, 1, id, -1, SQLITE_STATIC);
    if (ret == LLE_OK && rc != SQLITE_OK)
        ret = res_db_fail(db, path, rc, "reading the flat results row", err);
    if (ret == LLE_OK && (rc = sqlite3_step(row)) == SQLITE_ROW)
        ret = text_render(&t, row, err);
    else if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_db_fail(db, path, rc, "reading the flat results row", err);
    sqlite3_finalize(row);
    free(sql);
    text_close(&t);
    return ret;
}

lle_status res_index_begin_put(sqlite3 *db, const char *path, lle_error *err)
{
    return exec_sql(db, path, DIRTY_TABLE, err);
}

static lle_status undirty(sqlite3 *db, const char *path, const char *id, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "DELETE FROM " RES_DIRTY_TABLE " WHERE id = ?1", -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? LLE_OK : res_db_fail(db, path, rc, "writing the results index", err);
}

lle_status res_index_put(sqlite3 *db, const char *path, const cJSON *doc, lle_error *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    bool skip = false;
    lle_status ret = LLE_OK;

    if (!cJSON_IsString(id))
        return LLE_OK; /* the store refuses such documents before this */
    if (!res_table_exists(db, RES_FLAT_TABLE) || !res_table_exists(db, RES_TEXT_TABLE) ||
        !res_table_exists(db, RES_DIRTY_TABLE))
        ret = res_index_create(db, path, false, err);
    if (ret == LLE_ERR_INTERNAL) { /* SQL error: a flat table of another layout */
        skip = true;
        ret = LLE_OK;
    }
    if (ret == LLE_OK && !skip)
        ret = put_flat(db, path, doc, &skip, err);
    if (ret == LLE_OK && !skip)
        ret = put_text(db, path, id->valuestring, err);
    if (ret == LLE_OK && !skip)
        ret = undirty(db, path, id->valuestring, err); /* this put's own changes are indexed */
    return ret;
}
