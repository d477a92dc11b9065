/* export.c — `results export`: flat tables for pandas, DuckDB or a
 * spreadsheet. Experiments: every catalogue column (configuration, model,
 * metrics, energy with its method columns, environment) from the flat table.
 * Requests and timeseries: their database tables, for the experiments the
 * filter selects, in the same order. CSV (RFC 4180, header line, empty field
 * for null), JSON Lines (one object per row) or JSON (one array of objects).
 * Units are in the column names (docs/results.md); `--columns` prints the
 * catalogue with units and provenance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

typedef struct col {
    const char *name;
    res_kind kind;
    bool json_text; /* the value is JSON text (itl_s): raw in JSON, a string in CSV */
} col;

static const col REQUEST_COLS[] = {
    {"experiment_id", RK_TEXT, false}, {"idx", RK_INT, false},        {"prompt_index", RK_INT, false},
    {"repeat", RK_INT, false},         {"batch", RK_INT, false},      {"input_tokens", RK_INT, false},
    {"output_tokens", RK_INT, false},  {"arrival_s", RK_REAL, false}, {"start_s", RK_REAL, false},
    {"queue_delay_s", RK_REAL, false}, {"ttft_s", RK_REAL, false},    {"tpot_s", RK_REAL, false},
    {"e2e_s", RK_REAL, false},         {"prefill_s", RK_REAL, false}, {"decode_s", RK_REAL, false},
    {"itl_s", RK_TEXT, true},
};
static const col TS_COLS[] = {
    {"experiment_id", RK_TEXT, false}, {"t_s", RK_REAL, false},   {"source", RK_TEXT, false},
    {"metric", RK_TEXT, false},        {"value", RK_REAL, false},
};

typedef struct sink {
    rbuf *b;
    lle_results_format fmt;
    const col *cols;
    size_t n_cols;
    size_t rows;
} sink;

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

static void row(sink *s, sqlite3_stmt *st)
{
    if (s->fmt == LLE_RESULTS_CSV) {
        for (size_t i = 0; i < s->n_cols; i++) {
            if (i)
                rbuf_putc(s->b, ',');
            res_put_value(s->b, st, (int)i, s->cols[i].kind, LLE_RESULTS_CSV);
        }
        rbuf_puts(s->b, "\r\n");
    } else {
        if (s->fmt == LLE_RESULTS_JSON)
            rbuf_puts(s->b, s->rows ? ",\n" : "\n");
        rbuf_putc(s->b, '{');
        for (size_t i = 0; i < s->n_cols; i++) {
            rbuf_printf(s->b, "%s\"%s\":", i ? "," : "", s->cols[i].name);
            if (s->cols[i].json_text && sqlite3_column_type(st, (int)i) == SQLITE_TEXT)
                rbuf_puts(s->b, (const char *)sqlite3_column_text(st, (int)i));
            else
                res_put_value(s->b, st, (int)i, s->cols[i].kind, LLE_RESULTS_JSON);
        }
        rbuf_puts(s->b, s->fmt == LLE_RESULTS_JSONL ? "}\n" : "}");
    }
    s->rows++;
}

static void footer(sink *s)
{
    if (s->fmt == LLE_RESULTS_JSON)
        rbuf_puts(s->b, s->rows ? "\n]\n" : "]\n");
}

static lle_status export_experiments(lle_results *r, const lle_results_filter *f, sink *s, lle_error *err)
{
    col *cols = calloc(RES_N_FIELDS, sizeof *cols);
    rbuf names = {0};
    char *sql = NULL;
    sqlite3_stmt *st = NULL;
    lle_status ret = LLE_OK;
    int rc = SQLITE_DONE;

    for (size_t i = 0; cols != NULL && i < RES_N_FIELDS; i++) {
        cols[i] = (col){RES_FIELDS[i].name, RES_FIELDS[i].kind, false};
        rbuf_printf(&names, "%s%s", i ? ", " : "", RES_FIELDS[i].name);
    }
    ret = cols != NULL ? rbuf_take(&names, &sql, NULL, err) : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (ret == LLE_OK)
        ret = res_query(r, f, sql, RES_Q_ORDERED, &st, err);
    s->cols = cols;
    s->n_cols = RES_N_FIELDS;
    if (ret == LLE_OK)
        header(s);
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        row(s, st);
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "exporting experiments", err);
    if (ret == LLE_OK)
        footer(s);
    sqlite3_finalize(st);
    rbuf_free(&names);
    free(sql);
    free(cols);
    return ret;
}

/* Rows of `sql` (one parameter: the experiment id) for every selected experiment. */
static lle_status export_child(lle_results *r, const lle_results_filter *f, const char *sql, sink *s, lle_error *err)
{
    sqlite3_stmt *ids = NULL, *st = NULL;
    lle_status ret = res_query(r, f, "id", RES_Q_ORDERED, &ids, err);
    int rc = SQLITE_DONE;

    if (ret == LLE_OK)
        ret = res_prepare(r, sql, &st, err);
    if (ret == LLE_OK)
        header(s);
    while (ret == LLE_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, (const char *)sqlite3_column_text(ids, 0), -1, SQLITE_TRANSIENT);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            row(s, st);
        if (rc != SQLITE_DONE)
            break;
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "exporting rows", err);
    if (ret == LLE_OK)
        footer(s);
    sqlite3_finalize(st);
    sqlite3_finalize(ids);
    return ret;
}

lle_status lle_results_export(lle_results *r, const lle_results_filter *f, lle_results_table what,
                              lle_results_format fmt, char **out, size_t *out_len, lle_error *err)
{
    rbuf b = {0};
    sink s = {&b, fmt, NULL, 0, 0};
    lle_status ret;

    if (r == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_export: handle and out are required");
    *out = NULL;
    if (fmt != LLE_RESULTS_CSV && fmt != LLE_RESULTS_JSON && fmt != LLE_RESULTS_JSONL)
        return lle_fail(err, LLE_ERR_INVALID, "results export: format is csv, jsonl or json");
    if (what == LLE_RESULTS_REQUESTS) {
        s.cols = REQUEST_COLS;
        s.n_cols = sizeof REQUEST_COLS / sizeof REQUEST_COLS[0];
        ret = export_child(r, f,
                           "SELECT experiment_id, idx, prompt_index, repeat, batch, input_tokens, "
                           "output_tokens, arrival_s, start_s, queue_delay_s, ttft_s, tpot_s, e2e_s, prefill_s, "
                           "decode_s, itl_s FROM requests WHERE experiment_id = ?1 ORDER BY idx",
                           &s, err);
    } else if (what == LLE_RESULTS_TIMESERIES) {
        s.cols = TS_COLS;
        s.n_cols = sizeof TS_COLS / sizeof TS_COLS[0];
        ret = export_child(r, f,
                           "SELECT experiment_id, t_s, source, metric, value FROM timeseries WHERE "
                           "experiment_id = ?1 ORDER BY t_s, source, metric",
                           &s, err);
    } else {
        ret = export_experiments(r, f, &s, err);
    }
    if (ret == LLE_OK)
        return rbuf_take(&b, out, out_len, err);
    rbuf_free(&b);
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
