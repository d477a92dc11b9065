/* export.c — `results export`: flat tables for pandas, DuckDB or a
 * spreadsheet. Experiments: every catalogue column (configuration, model,
 * metrics, energy with its method columns, environment) from the flat table.
 * Requests and timeseries: their database tables, for the experiments the
 * filter selects, in the same order. CSV (RFC 4180, header line, empty field
 * for null), JSON Lines (one object per row) or JSON (one array of objects).
 * Units are in the column names (docs/results.md); `--columns` prints the
 * catalogue with units and provenance. Experiments and requests are written
 * from the export values stored at index time (index.c: JSON tokens; CSV is
 * derived from them), rendered live only where none are stored; the output
 * goes to one buffer, or streams to a temporary file renamed into place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "results/results_internal.h"

static const res_col TS_COLS[] = {
    {"experiment_id", RK_TEXT, false}, {"t_s", RK_REAL, false},   {"source", RK_TEXT, false},
    {"metric", RK_TEXT, false},        {"value", RK_REAL, false},
};

#define FLUSH_AT (1u << 20)

/* Where rows go: a buffer, handed to `out` whenever it holds FLUSH_AT bytes
 * when streaming (out_st: its first failure, which stops the export).
 * keys[i]: ',"name":' for JSON objects. */
typedef struct sink {
    rbuf *b;
    lle_results_format fmt;
    const res_col *cols;
    size_t n_cols;
    size_t rows;
    char **keys;
    size_t *key_len;
    rbuf tmp, live; /* scratch: unescaped text; one row's tokens rendered now */
    lle_results_sink out;
    void *ctx;
    lle_status out_st;
    lle_error *err;
} sink;

static bool sink_keys(sink *s)
{
    s->keys = calloc(s->n_cols + 1, sizeof *s->keys);
    s->key_len = calloc(s->n_cols + 1, sizeof *s->key_len);
    for (size_t i = 0; s->keys != NULL && s->key_len != NULL && i < s->n_cols; i++) {
        size_t n = strlen(s->cols[i].name) + 5;
        if ((s->keys[i] = malloc(n)) == NULL)
            return false;
        snprintf(s->keys[i], n, ",\"%s\":", s->cols[i].name);
        s->key_len[i] = n - 1;
    }
    return s->keys != NULL && s->key_len != NULL;
}

static void sink_free(sink *s)
{
    for (size_t i = 0; s->keys != NULL && i < s->n_cols; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->key_len);
    rbuf_free(&s->tmp);
    rbuf_free(&s->live);
    s->keys = NULL;
    s->key_len = NULL;
}

static void flush(sink *s, bool always)
{
    if (s->out == NULL || s->b->oom || s->out_st != LLE_OK || (!always && s->b->len < FLUSH_AT))
        return;
    if (s->b->len > 0)
        s->out_st = s->out(s->ctx, s->b->data, s->b->len, s->err);
    s->b->len = 0;
}

static void header(sink *s)
{
    if (s->fmt == LLE_RESULTS_CSV) {
        for (size_t i = 0; i < s->n_cols; i++)
            rbuf_printf(s->b, "%s%s", i ? "," : "", s->cols[i].name);
        rbuf_puts(s->b, "\r\n");
    } else if (s->fmt == LLE_RESULTS_JSON) {
        rbuf_putc(s->b, '[');
    }
}

static void key(sink *s, size_t i)
{
    rbuf_put(s->b, s->keys[i] + (i == 0), s->key_len[i] - (i == 0));
}

static void row_open(sink *s)
{
    if (s->fmt == LLE_RESULTS_JSON)
        rbuf_puts(s->b, s->rows ? ",\n{" : "\n{");
    else if (s->fmt == LLE_RESULTS_JSONL)
        rbuf_putc(s->b, '{');
}

static void row_close(sink *s)
{
    rbuf_puts(s->b, s->fmt == LLE_RESULTS_CSV ? "\r\n" : s->fmt == LLE_RESULTS_JSONL ? "}\n" : "}");
    s->rows++;
    flush(s, false);
}

/* One row rendered live from the columns of `st`. */
static void row(sink *s, sqlite3_stmt *st)
{
    row_open(s);
    for (size_t i = 0; i < s->n_cols; i++) {
        if (s->fmt == LLE_RESULTS_CSV) {
            if (i)
                rbuf_putc(s->b, ',');
            res_put_value(s->b, st, (int)i, s->cols[i].kind, LLE_RESULTS_CSV);
            continue;
        }
        key(s, i);
        if (s->cols[i].json_text && sqlite3_column_type(st, (int)i) == SQLITE_TEXT)
            rbuf_puts(s->b, (const char *)sqlite3_column_text(st, (int)i));
        else
            res_put_value(s->b, st, (int)i, s->cols[i].kind, LLE_RESULTS_JSON);
    }
    row_close(s);
}

/* One row from its tokens (`len` bytes, no '\n'); false when the count of
 * tokens is not the count of columns. */
static bool token_row(sink *s, const char *p, size_t len)
{
    const char *end = p + len;
    size_t i = 0;

    row_open(s);
    for (; i < s->n_cols && p <= end; i++) {
        const char *sep = memchr(p, RES_TOK_SEP, (size_t)(end - p));
        size_t n = (size_t)((sep != NULL ? sep : end) - p);
        if (s->fmt == LLE_RESULTS_CSV) {
            if (i)
                rbuf_putc(s->b, ',');
            res_token_csv(s->b, p, n, s->cols[i].json_text, &s->tmp);
        } else {
            key(s, i);
            if (n == 0)
                rbuf_put(s->b, "null", 4);
            else
                rbuf_put(s->b, p, n);
        }
        p += n + 1;
    }
    row_close(s);
    return i == s->n_cols && p == end + 1;
}

/* Every row of a token text ("row\nrow\n..."). */
static lle_status token_rows(lle_results *r, sink *s, const char *text, size_t len, const char *id, lle_error *err)
{
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL || !token_row(s, p, (size_t)(nl - p)))
            return lle_fail(err, LLE_ERR_FORMAT,
                            "%s: %s: the stored export values of experiment '%s' are damaged "
                            "(run the command again with --reindex)",
                            r->path, RES_TEXT_TABLE, id != NULL ? id : "?");
        p = nl + 1;
    }
    return LLE_OK;
}

static void footer(sink *s)
{
    if (s->fmt == LLE_RESULTS_JSON)
        rbuf_puts(s->b, s->rows ? "\n]\n" : "]\n");
}

/* Columns of the filter's query: the id and its export values (NULL: none). */
static const char *vals_sql(const lle_results *r, bool requests)
{
    if (!r->has_text)
        return "id, NULL";
    return requests ? "id, (SELECT req_vals FROM " RES_TEXT_TABLE " t WHERE t.id = " RES_FLAT_TABLE ".id)"
                    : "id, (SELECT vals FROM " RES_TEXT_TABLE " t WHERE t.id = " RES_FLAT_TABLE ".id)";
}

/* The tokens of one experiment's flat row rendered now (no stored values). */
static lle_status live_vals(lle_results *r, sqlite3_stmt *one, const char *id, sink *s, lle_error *err)
{
    int rc;

    sqlite3_reset(one);
    sqlite3_bind_text(one, 1, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(one);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? LLE_OK : res_sql_fail(r, rc, "exporting experiments", err);
    s->live.len = 0;
    res_row_tokens(&s->live, one, s->cols, s->n_cols);
    if (s->live.oom)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory exporting results");
    return token_row(s, s->live.data, s->live.len - 1) ? LLE_OK : lle_fail(err, LLE_ERR_INTERNAL, "export: bad tokens");
}

static lle_status export_experiments(lle_results *r, const lle_results_filter *f, sink *s, lle_error *err)
{
    rbuf names = {0};
    char *sql = NULL;
    sqlite3_stmt *st = NULL, *one = NULL;
    lle_status ret = LLE_OK;
    int rc = SQLITE_DONE;

    rbuf_puts(&names, "SELECT ");
    for (size_t i = 0; i < RES_N_FIELDS; i++)
        rbuf_printf(&names, "%s%s", i ? ", " : "", RES_FIELDS[i].name);
    rbuf_puts(&names, " FROM " RES_FLAT_TABLE " WHERE id = ?1");
    ret = rbuf_take(&names, &sql, NULL, err);
    if (ret == LLE_OK)
        ret = res_prepare(r, sql, &one, err);
    if (ret == LLE_OK)
        ret = res_query(r, f, vals_sql(r, false), RES_Q_ORDERED, &st, err);
    if (ret == LLE_OK)
        header(s);
    while (ret == LLE_OK && s->out_st == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (v != NULL)
            ret = token_rows(r, s, v, (size_t)sqlite3_column_bytes(st, 1), id, err);
        else
            ret = live_vals(r, one, id, s, err);
    }
    if (ret == LLE_OK && s->out_st != LLE_OK)
        ret = s->out_st;
    else if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "exporting experiments", err);
    if (ret == LLE_OK)
        footer(s);
    sqlite3_finalize(st);
    sqlite3_finalize(one);
    free(sql);
    return ret;
}

/* The rows of `sql` (one parameter: the experiment id) rendered live. */
static int live_rows(sqlite3_stmt *st, const char *id, sink *s)
{
    int rc;

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        row(s, st);
    return rc;
}

/* Rows of `sql` (one parameter: the experiment id) for every selected
 * experiment: the stored values when `stored` and there are some, else live. */
static lle_status export_child(lle_results *r, const lle_results_filter *f, const char *sql, bool stored, sink *s,
                               lle_error *err)
{
    sqlite3_stmt *ids = NULL, *st = NULL;
    lle_status ret = res_query(r, f, stored ? vals_sql(r, true) : "id, NULL", RES_Q_ORDERED, &ids, err);
    int rc = SQLITE_DONE;

    if (ret == LLE_OK)
        ret = res_prepare(r, sql, &st, err);
    if (ret == LLE_OK)
        header(s);
    while (ret == LLE_OK && s->out_st == LLE_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(ids, 0);
        const char *v = (const char *)sqlite3_column_text(ids, 1);
        if (v != NULL) {
            ret = token_rows(r, s, v, (size_t)sqlite3_column_bytes(ids, 1), id, err);
        } else if ((rc = live_rows(st, id, s)) != SQLITE_DONE) {
            break;
        }
    }
    if (ret == LLE_OK && s->out_st != LLE_OK)
        ret = s->out_st;
    else if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "exporting rows", err);
    if (ret == LLE_OK)
        footer(s);
    sqlite3_finalize(st);
    sqlite3_finalize(ids);
    return ret;
}

static lle_status export_to(lle_results *r, const lle_results_filter *f, lle_results_table what, lle_results_format fmt,
                            sink *s, lle_error *err)
{
    res_col *cols = NULL;
    lle_status ret = LLE_OK;

    if (fmt != LLE_RESULTS_CSV && fmt != LLE_RESULTS_JSON && fmt != LLE_RESULTS_JSONL)
        return lle_fail(err, LLE_ERR_INVALID, "results export: format is csv, jsonl or json");
    s->fmt = fmt;
    if (what == LLE_RESULTS_REQUESTS) {
        s->cols = RES_REQUEST_COLS;
        s->n_cols = RES_N_REQUEST_COLS;
    } else if (what == LLE_RESULTS_TIMESERIES) {
        s->cols = TS_COLS;
        s->n_cols = sizeof TS_COLS / sizeof TS_COLS[0];
    } else {
        s->cols = cols = res_experiment_cols();
        s->n_cols = RES_N_FIELDS;
    }
    if (s->cols == NULL || !sink_keys(s))
        ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory exporting results");
    else if (what == LLE_RESULTS_REQUESTS)
        ret = export_child(r, f, RES_REQUEST_SQL, true, s, err);
    else if (what == LLE_RESULTS_TIMESERIES)
        ret = export_child(r, f,
                           "SELECT experiment_id, t_s, source, metric, value FROM timeseries WHERE "
                           "experiment_id = ?1 ORDER BY t_s, source, metric",
                           false, s, err);
    else
        ret = export_experiments(r, f, s, err);
    sink_free(s);
    free(cols);
    return ret;
}

lle_status lle_results_export(lle_results *r, const lle_results_filter *f, lle_results_table what,
                              lle_results_format fmt, char **out, size_t *out_len, lle_error *err)
{
    rbuf b = {0};
    sink s = {0};
    lle_status ret;

    if (r == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_export: handle and out are required");
    *out = NULL;
    s.b = &b;
    ret = export_to(r, f, what, fmt, &s, err);
    if (ret == LLE_OK)
        return rbuf_take(&b, out, out_len, err);
    rbuf_free(&b);
    return ret;
}

lle_status lle_results_export_to(lle_results *r, const lle_results_filter *f, lle_results_table what,
                                 lle_results_format fmt, lle_results_sink out, void *ctx, lle_error *err)
{
    rbuf b = {0};
    sink s = {0};
    lle_status ret;

    if (r == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_export_to: handle and sink are required");
    s.b = &b;
    s.out = out;
    s.ctx = ctx;
    s.err = err;
    ret = export_to(r, f, what, fmt, &s, err);
    if (ret == LLE_OK)
        flush(&s, true);
    if (ret == LLE_OK && b.oom)
        ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory exporting results");
    if (ret == LLE_OK)
        ret = s.out_st;
    rbuf_free(&b);
    return ret;
}

typedef struct file_out {
    FILE *fp;
    const char *path;
} file_out;

static lle_status write_file(void *ctx, const char *data, size_t len, lle_error *err)
{
    const file_out *fo = ctx;

    return fwrite(data, 1, len, fo->fp) == len
               ? LLE_OK
               : lle_fail(err, LLE_ERR_IO, "%s: write failed: %s", fo->path, strerror(errno));
}

/* Finish the temporary file: flush, fsync, close; false on any failure. */
static bool close_tmp(FILE *fp)
{
    bool ok = fflush(fp) == 0 && fsync(fileno(fp)) == 0;

    return fclose(fp) == 0 && ok;
}

lle_status lle_results_export_file(lle_results *r, const lle_results_filter *f, lle_results_table what,
                                   lle_results_format fmt, const char *path, lle_error *err)
{
    char tmp[4200];
    file_out fo = {NULL, path};
    lle_status ret = LLE_OK;

    if (r == NULL || path == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_export_file: handle and path are required");
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return lle_fail(err, LLE_ERR_INVALID, "%s: path too long", path);
    fo.fp = fopen(tmp, "wb");
    if (fo.fp == NULL)
        return lle_fail(err, LLE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    ret = lle_results_export_to(r, f, what, fmt, write_file, &fo, err);
    if (!close_tmp(fo.fp) && ret == LLE_OK)
        ret = lle_fail(err, LLE_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    if (ret == LLE_OK && rename(tmp, path) != 0)
        ret = lle_fail(err, LLE_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
    if (ret != LLE_OK)
        unlink(tmp);
    return ret;
}

lle_status lle_results_columns(lle_results_format fmt, char **out, size_t *out_len, lle_error *err)
{
    static const char *const groups[] = {"identity", "configuration", "model", "metric", "energy", "environment"};
    rbuf b = {0};

    if (out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_columns: out is required");
    rbuf_puts(&b, fmt == LLE_RESULTS_CSV ? "name,type,unit,group,provenance,description\r\n"
                                         : "name                           type     unit        provenance\n");
    for (size_t i = 0; i < RES_N_FIELDS; i++) {
        const res_field *f = &RES_FIELDS[i];
        char prov[64];
        snprintf(prov, sizeof prov, "%s%s%s", f->prov == RP_ENERGY ? "method in " : res_prov_name(f->prov),
                 f->prov == RP_ENERGY ? f->method_col : "", f->prov == RP_NONE ? "-" : "");
        if (fmt == LLE_RESULTS_CSV) {
            rbuf_printf(&b, "%s,%s,%s,%s,%s,", f->name, f->kind == RK_BOOL ? "BOOLEAN" : res_kind_sql(f->kind), f->unit,
                        groups[f->group], prov);
            rbuf_csv_field(&b, f->desc);
            rbuf_puts(&b, "\r\n");
        } else {
            rbuf_printf(&b, "%-30s %-8s %-11s %-28s %s\n", f->name,
                        f->kind == RK_BOOL ? "BOOLEAN" : res_kind_sql(f->kind), f->unit[0] ? f->unit : "-", prov,
                        f->desc);
        }
    }
    return rbuf_take(&b, out, out_len, err);
}

lle_status lle_results_write_file(const char *path, const char *data, size_t len, lle_error *err)
{
    if (path == NULL || data == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_write_file: path and data are required");
    return lle_write_file_atomic(path, data, len, err);
}
