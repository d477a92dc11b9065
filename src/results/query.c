/* query.c — a filter (campaign, `field OP value` terms, sort, limit) into one
 * prepared SELECT over the flat table. Field names are checked against the
 * catalogue before they reach SQL (they are the only identifiers spliced in);
 * every value is a bound parameter, typed by its column. Also id-prefix
 * resolution and writing one column value in each output format. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "results/results_internal.h"

#define MAX_TERMS 64

typedef struct term {
    const res_field *f;
    char op[3];
    const char *value; /* points into the caller's string (after the operator) */
    double num;
    bool is_null; /* value "null" with = or != */
} term;

static const char *const OPS[] = {"!=", "<=", ">=", "=", "<", ">"};

/* Split "name OP value"; the name must be a catalogue column. */
static lle_status parse_term(const char *text, term *t, lle_error *err)
{
    const char *op = strpbrk(text, "=!<>");
    char name[96];
    size_t len;
    int fi;

    if (op == NULL || op == text)
        return lle_fail(err, LLE_ERR_INVALID, "--where '%s': expected FIELD=VALUE (or != < <= > >=)", text);
    len = (size_t)(op - text);
    while (len > 0 && text[len - 1] == ' ')
        len--;
    if (len >= sizeof name)
        return lle_fail(err, LLE_ERR_INVALID, "--where '%s': field name too long", text);
    memcpy(name, text, len);
    name[len] = '\0';
    fi = res_field_index(name);
    if (fi < 0)
        return lle_fail(err, LLE_ERR_INVALID,
                        "--where '%s': unknown field '%s' (results export --columns "
                        "lists them)",
                        text, name);
    t->f = &RES_FIELDS[fi];
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strncmp(op, OPS[i], strlen(OPS[i])) == 0) {
            lle_strlcpy(t->op, OPS[i], sizeof t->op);
            break;
        }
    if (t->op[0] == '\0' || (t->op[0] == '!' && op[1] != '='))
        return lle_fail(err, LLE_ERR_INVALID, "--where '%s': unknown operator", text);
    t->value = op + strlen(t->op);
    while (*t->value == ' ')
        t->value++;
    return LLE_OK;
}

/* Check the value against the column type. */
static lle_status check_value(const char *text, term *t, lle_error *err)
{
    char *end = NULL;

    if (t->value == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "--where '%s': no value", text);
    t->is_null = strcasecmp(t->value, "null") == 0;
    if (t->is_null)
        return (strcmp(t->op, "=") == 0 || strcmp(t->op, "!=") == 0)
                   ? LLE_OK
                   : lle_fail(err, LLE_ERR_INVALID, "--where '%s': null only with = or !=", text);
    if (t->f->kind == RK_BOOL) {
        bool yes = strcasecmp(t->value, "true") == 0 || strcmp(t->value, "1") == 0;
        bool no = strcasecmp(t->value, "false") == 0 || strcmp(t->value, "0") == 0;
        t->num = yes ? 1.0 : 0.0;
        return yes || no ? LLE_OK
                         : lle_fail(err, LLE_ERR_INVALID, "--where '%s': %s is true or false", text, t->f->name);
    }
    if (t->f->kind == RK_TEXT)
        return LLE_OK;
    errno = 0;
    t->num = strtod(t->value, &end);
    if (t->value[0] == '\0' || errno != 0 || *end != '\0' || !isfinite(t->num))
        return lle_fail(err, LLE_ERR_INVALID, "--where '%s': %s is a number, not '%s'", text, t->f->name, t->value);
    return LLE_OK;
}

static void where_sql(const lle_results *r, const lle_results_filter *f, const term *terms, size_t n, bool runs,
                      rbuf *b)
{
    const char *glue = " WHERE ";

    if (runs) {
        rbuf_puts(b, " WHERE status = 'completed' AND kind = 'run'");
        glue = " AND ";
    }
    if (f->campaign != NULL) {
        rbuf_printf(
            b, "%s(campaign_id = ?1%s)", glue,
            r->has_campaign_items ? " OR id IN (SELECT experiment_id FROM campaign_items WHERE campaign_id = ?1)" : "");
        glue = " AND ";
    }
    if (f->completed_only) {
        rbuf_printf(b, "%sstatus = 'completed'", glue);
        glue = " AND ";
    }
    for (size_t i = 0; i < n; i++, glue = " AND ") {
        const term *t = &terms[i];
        if (t->f == NULL) /* never: every term was parsed before */
            continue;
        if (t->is_null)
            rbuf_printf(b, "%s%s IS %sNULL", glue, t->f->name, t->op[0] == '!' ? "NOT " : "");
        else
            rbuf_printf(b, "%s%s %s ?%zu%s", glue, t->f->name, t->op, i + 2,
                        t->f->kind == RK_TEXT ? " COLLATE NOCASE" : "");
    }
}

static lle_status order_sql(const lle_results_filter *f, rbuf *b, lle_error *err)
{
    char name[96];
    const char *s = f->sort, *colon;
    bool desc = false;
    size_t len;

    if (s == NULL) {
        rbuf_puts(b, " ORDER BY started_at DESC, id DESC");
        return LLE_OK;
    }
    if (s[0] == '-') {
        desc = true;
        s++;
    }
    colon = strchr(s, ':');
    len = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (colon != NULL && strcmp(colon, ":desc") != 0 && strcmp(colon, ":asc") != 0)
        return lle_fail(err, LLE_ERR_INVALID, "--sort '%s': use FIELD, -FIELD, FIELD:asc or FIELD:desc", f->sort);
    desc = desc || (colon != NULL && strcmp(colon, ":desc") == 0);
    if (len >= sizeof name)
        return lle_fail(err, LLE_ERR_INVALID, "--sort '%s': unknown field", f->sort);
    memcpy(name, s, len);
    name[len] = '\0';
    if (res_field_index(name) < 0)
        return lle_fail(err, LLE_ERR_INVALID,
                        "--sort '%s': unknown field '%s' (results export --columns lists "
                        "them)",
                        f->sort, name);
    rbuf_printf(b, " ORDER BY %s IS NULL, %s %s, id %s", name, name, desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
    return LLE_OK;
}

static lle_status bind_terms(lle_results *r, sqlite3_stmt *st, const lle_results_filter *f, const term *terms, size_t n,
                             lle_error *err)
{
    int rc = SQLITE_OK;

    if (f->campaign != NULL)
        rc = sqlite3_bind_text(st, 1, f->campaign, -1, SQLITE_STATIC);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        if (terms[i].is_null)
            continue;
        if (terms[i].f->kind == RK_TEXT)
            rc = sqlite3_bind_text(st, (int)i + 2, terms[i].value, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_double(st, (int)i + 2, terms[i].num);
    }
    return rc == SQLITE_OK ? LLE_OK : res_sql_fail(r, rc, "binding a filter value", err);
}

lle_status res_query(lle_results *r, const lle_results_filter *f, const char *cols, unsigned flags, sqlite3_stmt **st,
                     lle_error *err)
{
    static const lle_results_filter none = {0};
    term terms[MAX_TERMS];
    rbuf b = {0};
    char *sql = NULL;
    lle_status ret = LLE_OK;

    *st = NULL;
    f = f != NULL ? f : &none;
    if (f->n_where > MAX_TERMS)
        return lle_fail(err, LLE_ERR_INVALID, "--where: at most %d terms", MAX_TERMS);
    memset(terms, 0, sizeof terms);
    for (size_t i = 0; i < f->n_where && ret == LLE_OK; i++) {
        ret = parse_term(f->where[i], &terms[i], err);
        if (ret == LLE_OK)
            ret = check_value(f->where[i], &terms[i], err);
    }
    if (ret != LLE_OK)
        return ret;
    rbuf_printf(&b, "SELECT %s FROM %s", cols, RES_FLAT_TABLE);
    where_sql(r, f, terms, f->n_where, (flags & RES_Q_RUNS) != 0, &b);
    if (flags & RES_Q_ORDERED)
        ret = order_sql(f, &b, err);
    if (ret == LLE_OK && (flags & RES_Q_ORDERED) && f->limit > 0)
        rbuf_printf(&b, " LIMIT %lld", f->limit);
    if (ret == LLE_OK)
        ret = rbuf_take(&b, &sql, NULL, err);
    else
        rbuf_free(&b);
    if (ret == LLE_OK)
        ret = res_prepare(r, sql, st, err);
    if (ret == LLE_OK)
        ret = bind_terms(r, *st, f, terms, f->n_where, err);
    if (ret != LLE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    free(sql);
    return ret;
}

lle_status res_resolve_id(lle_results *r, const char *id, char *out, size_t out_size, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret =
        res_prepare(r,
                    "SELECT id FROM " RES_FLAT_TABLE " WHERE id = ?1 UNION ALL SELECT id FROM " RES_FLAT_TABLE
                    " WHERE substr(id, 1, length(?1)) = ?1 AND id <> ?1 "
                    "AND NOT EXISTS (SELECT 1 FROM " RES_FLAT_TABLE " WHERE id = ?1) LIMIT 3",
                    &st, err);
    int n = 0, rc;

    if (ret != LLE_OK)
        return ret;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == 0)
            lle_strlcpy(out, (const char *)sqlite3_column_text(st, 0), out_size);
    }
    if (rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "looking up an experiment", err);
    else if (n == 0)
        ret = lle_fail(err, LLE_ERR_NOT_FOUND, "%s: no experiment with id '%s'", r->path, id);
    else if (n > 1)
        ret = lle_fail(err, LLE_ERR_INVALID, "'%s' matches several experiments; give more of the id", id);
    sqlite3_finalize(st);
    return ret;
}

void res_put_value(rbuf *b, sqlite3_stmt *st, int i, res_kind k, lle_results_format fmt)
{
    int type = sqlite3_column_type(st, i);

    if (type == SQLITE_NULL) {
        rbuf_puts(b, fmt == LLE_RESULTS_CSV ? "" : fmt == LLE_RESULTS_TEXT ? "-" : "null");
    } else if (k == RK_BOOL) {
        int v = sqlite3_column_int(st, i);
        rbuf_puts(b, fmt == LLE_RESULTS_TEXT ? (v ? "yes" : "no") : (v ? "true" : "false"));
    } else if (k == RK_TEXT || type == SQLITE_TEXT) {
        const char *s = (const char *)sqlite3_column_text(st, i);
        if (fmt == LLE_RESULTS_CSV)
            rbuf_csv_field(b, s != NULL ? s : "");
        else if (fmt == LLE_RESULTS_TEXT)
            rbuf_puts(b, s != NULL ? s : "");
        else
            rbuf_json_string(b, s != NULL ? s : "");
    } else if (type == SQLITE_INTEGER) {
        rbuf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i));
    } else {
        rbuf_double(b, sqlite3_column_double(st, i));
    }
}
