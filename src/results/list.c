/* list.c — `results list`: one line per experiment from the flat table, with
 * the configuration fields that usually vary (model, precision, batch,
 * decoding, traffic) and the headline metrics (output tokens/s, TTFT p50,
 * joules per output token and whether that energy was measured or
 * estimated); or the same rows, with more fields, as a JSON array. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

/* The stored line of each row: id, then the line (NULL when not stored). */
#define STORED_SUB(col, index)                                                                                         \
    "id, (SELECT " col " FROM " RES_TEXT_TABLE " t INDEXED BY " RES_TEXT_TABLE index                                   \
    " WHERE t.started_at IS " RES_FLAT_TABLE ".started_at AND t.id = " RES_FLAT_TABLE ".id)"
#define STORED_TEXT STORED_SUB("list_text", "_line")
#define STORED_JSON STORED_SUB("list_json", "_json")

/* The rows to list: id and the stored line (column 1, NULL when not stored,
 * or every list column when nothing is stored). With no filter, in the
 * default order, the stored lines are read straight from their index (the
 * text table holds exactly the flat table's experiments, with the same
 * started_at); otherwise the filter runs on the flat table and each line is
 * looked up. */
static lle_status list_rows(lle_results *r, const lle_results_filter *f, bool json, sqlite3_stmt **st, lle_error *err)
{
    rbuf b = {0};
    char *sql = NULL;
    lle_status ret;

    if (!r->has_text)
        return res_query(r, f, json ? "id, NULL" : RES_LIST_TEXT_SQL, RES_Q_ORDERED, st, err);
    if (f != NULL && (f->campaign != NULL || f->n_where > 0 || f->sort != NULL || f->completed_only))
        return res_query(r, f, json ? STORED_JSON : STORED_TEXT, RES_Q_ORDERED, st, err);
    rbuf_printf(
        &b, "SELECT id, %s FROM " RES_TEXT_TABLE " INDEXED BY " RES_TEXT_TABLE "%s ORDER BY started_at DESC, id DESC",
        json ? "list_json" : "list_text", json ? "_json" : "_line");
    if (f != NULL && f->limit > 0)
        rbuf_printf(&b, " LIMIT %lld", f->limit);
    ret = rbuf_take(&b, &sql, NULL, err);
    if (ret == LLE_OK)
        ret = res_prepare(r, sql, st, err);
    free(sql);
    return ret;
}

/* Experiment `id` rendered live (its stored line is missing). */
static lle_status text_live(lle_results *r, rbuf *b, const char *id, sqlite3_stmt **one, lle_error *err)
{
    lle_status ret = LLE_OK;
    int rc;

    if (*one == NULL)
        ret = res_prepare(r, "SELECT " RES_LIST_TEXT_SQL " FROM " RES_FLAT_TABLE " WHERE id = ?1", one, err);
    if (ret != LLE_OK)
        return ret;
    sqlite3_reset(*one);
    sqlite3_bind_text(*one, 1, id != NULL ? id : "", -1, SQLITE_TRANSIENT);
    if ((rc = sqlite3_step(*one)) != SQLITE_ROW)
        return res_sql_fail(r, rc, "listing experiments", err);
    res_list_text_line(b, *one);
    return LLE_OK;
}

/* Where a listing goes: built in `b`, and handed to `out` about 1 MiB at a
 * time when there is a sink (else kept whole for the caller). */
typedef struct list_out {
    rbuf b;
    lle_results_sink out;
    void *ctx;
} list_out;

static lle_status drain(list_out *o, bool always, lle_error *err)
{
    lle_status st;

    if (o->out == NULL || (!always && o->b.len < ((size_t)1 << 20)))
        return LLE_OK;
    if (o->b.oom)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory building the results output");
    st = o->b.len > 0 ? o->out(o->ctx, o->b.data, o->b.len, err) : LLE_OK;
    o->b.len = 0;
    return st;
}

static lle_status list_text(lle_results *r, const lle_results_filter *f, list_out *o, lle_error *err)
{
    rbuf *b = &o->b;
    sqlite3_stmt *st = NULL, *one = NULL;
    lle_status ret = list_rows(r, f, false, &st, err);
    long long n = 0;
    int rc = SQLITE_DONE;

    if (ret == LLE_OK)
        res_list_text_header(b);
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = r->has_text ? (const char *)sqlite3_column_text(st, 1) : NULL;
        if (!r->has_text)
            res_list_text_line(b, st);
        else if (line != NULL)
            rbuf_put(b, line, (size_t)sqlite3_column_bytes(st, 1));
        else
            ret = text_live(r, b, (const char *)sqlite3_column_text(st, 0), &one, err);
        n++;
        if (ret == LLE_OK)
            ret = drain(o, false, err);
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "listing experiments", err);
    sqlite3_finalize(st);
    sqlite3_finalize(one);
    st = NULL;
    if (ret == LLE_OK && f != NULL && f->limit > 0 && n == f->limit)
        ret = res_query(r, f, "count(*)", 0, &st, err);
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > n)
        rbuf_printf(b, "showing the first %lld of %lld matching experiments (--limit 0 lists all)\n", n,
                    (long long)sqlite3_column_int64(st, 0));
    if (ret == LLE_OK)
        rbuf_printf(b,
                    "%lld experiment%s; J/TOKEN = joules per output token, ENERGY says how it was "
                    "obtained\n",
                    n, n == 1 ? "" : "s");
    sqlite3_finalize(st);
    return ret;
}

/* One object's fields: stored (column 1) when there, else rendered live
 * from the flat row. */
static lle_status json_row(lle_results *r, rbuf *b, sqlite3_stmt *st, const res_list_json *jl, sqlite3_stmt *one,
                           lle_error *err)
{
    const char *stored = (const char *)sqlite3_column_text(st, 1);
    int rc;

    if (stored != NULL) {
        rbuf_put(b, stored, (size_t)sqlite3_column_bytes(st, 1));
        return LLE_OK;
    }
    sqlite3_reset(one);
    sqlite3_bind_text(one, 1, (const char *)sqlite3_column_text(st, 0), -1, SQLITE_TRANSIENT);
    if ((rc = sqlite3_step(one)) != SQLITE_ROW)
        return res_sql_fail(r, rc, "listing experiments", err);
    for (size_t i = 0; i < RES_LIST_N_JSON; i++) {
        res_list_json_key(b, jl, i);
        res_put_value(b, one, (int)i, (res_kind)jl->kinds[i], LLE_RESULTS_JSON);
    }
    return LLE_OK;
}

static lle_status list_json(lle_results *r, const lle_results_filter *f, list_out *o, lle_error *err)
{
    rbuf *b = &o->b;
    rbuf cols = {0};
    char *sql = NULL;
    sqlite3_stmt *st = NULL, *one = NULL;
    res_list_json jl;
    int rc = SQLITE_DONE;
    lle_status ret;
    long long n = 0;

    res_list_json_init(&jl);
    rbuf_puts(&cols, "SELECT ");
    for (size_t i = 0; i < RES_LIST_N_JSON; i++)
        rbuf_printf(&cols, "%s%s", i ? ", " : "", res_list_json_col(i));
    rbuf_puts(&cols, " FROM " RES_FLAT_TABLE " WHERE id = ?1");
    ret = rbuf_take(&cols, &sql, NULL, err);
    if (ret == LLE_OK)
        ret = res_prepare(r, sql, &one, err);
    if (ret == LLE_OK)
        ret = list_rows(r, f, true, &st, err);
    rbuf_putc(b, '[');
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rbuf_puts(b, n++ ? ",\n {" : "\n {");
        ret = json_row(r, b, st, &jl, one, err);
        rbuf_putc(b, '}');
        if (ret == LLE_OK)
            ret = drain(o, false, err);
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "listing experiments", err);
    rbuf_puts(b, n ? "\n]\n" : "]\n");
    sqlite3_finalize(st);
    sqlite3_finalize(one);
    free(sql);
    return ret;
}

static lle_status list_any(lle_results *r, const lle_results_filter *f, lle_results_format fmt, list_out *o,
                           lle_error *err)
{
    if (r == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "results list: a results handle is required");
    if (fmt != LLE_RESULTS_TEXT && fmt != LLE_RESULTS_JSON)
        return lle_fail(err, LLE_ERR_INVALID, "results list: text or JSON only");
    return fmt == LLE_RESULTS_JSON ? list_json(r, f, o, err) : list_text(r, f, o, err);
}

lle_status lle_results_list(lle_results *r, const lle_results_filter *f, lle_results_format fmt, char **out,
                            size_t *out_len, lle_error *err)
{
    list_out o = {{0}, NULL, NULL};
    lle_status ret;

    if (out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_list: out is required");
    *out = NULL;
    ret = list_any(r, f, fmt, &o, err);
    if (ret == LLE_OK)
        return rbuf_take(&o.b, out, out_len, err);
    rbuf_free(&o.b);
    return ret;
}

lle_status lle_results_list_to(lle_results *r, const lle_results_filter *f, lle_results_format fmt,
                               lle_results_sink out, void *ctx, lle_error *err)
{
    list_out o = {{0}, out, ctx};
    lle_status ret;

    if (out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_list_to: a sink is required");
    ret = list_any(r, f, fmt, &o, err);
    if (ret == LLE_OK)
        ret = drain(&o, true, err);
    rbuf_free(&o.b);
    return ret;
}
