/* row.c — one experiment's flat row held in memory (every catalogue column:
 * its SQLite type, number and text), for show and compare; plus the text of
 * a value for people and the provenance label of a column in that row
 * ("measured", "estimated", "computed", or the energy method column's value). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"
#include "results/row.h"

lle_status res_row_load(lle_results *r, const char *id, res_row *row, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    rbuf sql = {0};
    char *text = NULL;
    lle_status ret;
    int rc;

    memset(row, 0, sizeof *row);
    rbuf_puts(&sql, "SELECT ");
    for (size_t i = 0; i < RES_N_FIELDS; i++)
        rbuf_printf(&sql, "%s%s", i ? ", " : "", RES_FIELDS[i].name);
    rbuf_puts(&sql, " FROM " RES_FLAT_TABLE " WHERE id = ?1");
    ret = rbuf_take(&sql, &text, NULL, err);
    if (ret == LLE_OK)
        ret = res_prepare(r, text, &st, err);
    free(text);
    if (ret != LLE_OK)
        return ret;
    row->type = calloc(RES_N_FIELDS + 1, sizeof *row->type);
    row->num = calloc(RES_N_FIELDS + 1, sizeof *row->num);
    row->text = calloc(RES_N_FIELDS + 1, sizeof *row->text);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (row->type == NULL || row->num == NULL || row->text == NULL)
        ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading experiment '%s'", id);
    else if (rc == SQLITE_DONE)
        ret = lle_fail(err, LLE_ERR_NOT_FOUND, "%s: no experiment with id '%s'", r->path, id);
    else if (rc != SQLITE_ROW)
        ret = res_sql_fail(r, rc, "reading an experiment", err);
    for (size_t i = 0; ret == LLE_OK && row->type != NULL && row->num != NULL && row->text != NULL && i < RES_N_FIELDS;
         i++) {
        const unsigned char *t = sqlite3_column_text(st, (int)i);
        row->type[i] = sqlite3_column_type(st, (int)i);
        row->num[i] = sqlite3_column_double(st, (int)i);
        if (row->type[i] != SQLITE_NULL && (row->text[i] = strdup(t != NULL ? (const char *)t : "")) == NULL)
            ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading experiment '%s'", id);
    }
    sqlite3_finalize(st);
    if (ret != LLE_OK)
        res_row_free(row);
    return ret;
}

void res_row_free(res_row *row)
{
    for (size_t i = 0; row->text != NULL && i < RES_N_FIELDS; i++)
        free(row->text[i]);
    free(row->text);
    free(row->type);
    free(row->num);
    memset(row, 0, sizeof *row);
}

bool res_row_null(const res_row *row, size_t i)
{
    return row->type[i] == SQLITE_NULL;
}

void res_row_human(const res_row *row, size_t i, char *out, size_t size)
{
    const res_field *f = &RES_FIELDS[i];

    if (row->type[i] == SQLITE_NULL)
        snprintf(out, size, "-");
    else if (f->kind == RK_BOOL)
        snprintf(out, size, "%s", row->num[i] != 0.0 ? "yes" : "no");
    else if (row->type[i] == SQLITE_FLOAT)
        snprintf(out, size, "%.6g", row->num[i]);
    else
        snprintf(out, size, "%s", row->text[i]);
}

const char *res_row_provenance(const res_row *row, size_t i)
{
    const res_field *f = &RES_FIELDS[i];
    int m;

    if (f->prov != RP_ENERGY)
        return res_prov_name(f->prov);
    m = res_field_index(f->method_col);
    return m >= 0 && row->type[m] != SQLITE_NULL ? row->text[m] : "unknown";
}
