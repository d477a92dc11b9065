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
#define STORED_TEXT                                                                                                    \
    "id, (SELECT list_text FROM " RES_TEXT_TABLE " t INDEXED BY " RES_TEXT_TABLE "_line WHERE t.id = " RES_FLAT_TABLE  \
    ".id)"
#define STORED_JSON                                                                                                    \
    "id, (SELECT list_json FROM " RES_TEXT_TABLE " t INDEXED BY " RES_TEXT_TABLE "_json WHERE t.id = " RES_FLAT_TABLE  \
    ".id)"

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

static lle_status list_text(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
    sqlite3_stmt *st = NULL, *one = NULL;
    lle_status ret = res_query(r, f, r->has_text ? STORED_TEXT : RES_LIST_TEXT_SQL, RES_Q_ORDERED, &st, err);
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

static lle_status list_json(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
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
        ret = res_query(r, f, r->has_text ? STORED_JSON : "id, NULL", RES_Q_ORDERED, &st, err);
    rbuf_putc(b, '[');
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rbuf_puts(b, n++ ? ",\n {" : "\n {");
        ret = json_row(r, b, st, &jl, one, err);
        rbuf_putc(b, '}');
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "listing experiments", err);
    rbuf_puts(b, n ? "\n]\n" : "]\n");
    sqlite3_finalize(st);
    sqlite3_finalize(one);
    free(sql);
    return ret;
}

lle_status lle_results_list(lle_results *r, const lle_results_filter *f, lle_results_format fmt, char **out,
                            size_t *out_len, lle_error *err)
{
    rbuf b = {0};
    lle_status ret;

    if (r == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_list: handle and out are required");
    *out = NULL;
    if (fmt != LLE_RESULTS_TEXT && fmt != LLE_RESULTS_JSON)
        return lle_fail(err, LLE_ERR_INVALID, "results list: text or JSON only");
    ret = fmt == LLE_RESULTS_JSON ? list_json(r, f, &b, err) : list_text(r, f, &b, err);
    if (ret == LLE_OK)
        return rbuf_take(&b, out, out_len, err);
    rbuf_free(&b);
    return ret;
}
