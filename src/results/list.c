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

/* Text columns: SQL, header, width (negative: left-aligned). */
static const char TEXT_SQL[] =
    "id, status, coalesce(model_name, CASE WHEN kind = 'measure' THEN '(measure)' END), model_file_type, "
    "CASE WHEN batching = 'adaptive' THEN 'ad' || adaptive_tokens ELSE batch_size END, "
    "coalesce(decoding_preset, decoding), traffic, output_tokens_per_s, ttft_p50_s * 1000.0, "
    "j_per_output_token, energy_method";

static const struct {
    const char *head;
    int width;
    char fmt;
} TEXT_COLS[] = {
    {"ID", -30, 's'},         {"STATUS", -11, 's'},   {"MODEL", -14, 's'},  {"TYPE", -7, 's'},
    {"BATCH", 6, 's'},        {"DECODING", -13, 's'}, {"TRAFFIC", -9, 's'}, {"OUT_TOK/S", 10, 'f'},
    {"TTFT_P50_MS", 12, 'f'}, {"J/TOKEN", 10, 'g'},   {"ENERGY", -9, 's'},
};
#define N_TEXT_COLS (sizeof TEXT_COLS / sizeof TEXT_COLS[0])

static const char *const JSON_COLS[] = {
    "id",
    "started_at",
    "status",
    "source",
    "kind",
    "campaign_id",
    "campaign_cycle",
    "model_name",
    "model_file_type",
    "kv_type",
    "batching",
    "batch_size",
    "adaptive_tokens",
    "decoding",
    "decoding_preset",
    "temperature",
    "traffic",
    "threads",
    "n_gpu_layers",
    "prompts",
    "max_input_tokens",
    "max_output_tokens",
    "output_tokens_per_s",
    "total_tokens_per_s",
    "decode_tokens_per_s",
    "ttft_p50_s",
    "tpot_p50_s",
    "e2e_p99_s",
    "energy_method",
    "energy_j",
    "avg_power_w",
    "j_per_output_token",
    "g_co2e",
    "hostname",
};
#define N_JSON_COLS (sizeof JSON_COLS / sizeof JSON_COLS[0])

/* Append `n` bytes of `s` padded to |w| (right-aligned when w > 0). */
static void padded(rbuf *b, const char *s, size_t n, int w)
{
    static const char spaces[] = "                                                                ";
    size_t want = (size_t)(w < 0 ? -w : w), pad = n < want ? want - n : 0;

    if (w > 0)
        rbuf_put(b, spaces, pad < sizeof spaces - 1 ? pad : sizeof spaces - 1);
    rbuf_put(b, s, n);
    if (w < 0)
        rbuf_put(b, spaces, pad < sizeof spaces - 1 ? pad : sizeof spaces - 1);
}

static void text_cell(rbuf *b, sqlite3_stmt *st, int i)
{
    char cell[160];
    const char *s = cell;
    int w = TEXT_COLS[i].width, n;

    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        s = "-";
        n = 1;
    } else if (TEXT_COLS[i].fmt == 'f') {
        n = snprintf(cell, sizeof cell, "%.2f", sqlite3_column_double(st, i));
    } else if (TEXT_COLS[i].fmt == 'g') {
        n = snprintf(cell, sizeof cell, "%.4g", sqlite3_column_double(st, i));
    } else {
        s = (const char *)sqlite3_column_text(st, i);
        s = s != NULL ? s : "";
        for (n = 0; n < (int)sizeof cell - 1 && s[n] != '\0';) /* as "%s" into cell: at most 159 */
            n++;
    }
    if (n < 0 || (s == cell && (size_t)n >= sizeof cell))
        n = (int)strlen(s);
    if (i)
        rbuf_put(b, "  ", 2);
    padded(b, s, (size_t)n, i + 1 == (int)N_TEXT_COLS ? 0 : w);
}

static lle_status list_text(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = res_query(r, f, TEXT_SQL, RES_Q_ORDERED, &st, err);
    long long n = 0;
    int rc = SQLITE_DONE;

    for (size_t i = 0; ret == LLE_OK && i < N_TEXT_COLS; i++)
        rbuf_printf(b, "%s%*s", i ? "  " : "", i + 1 == N_TEXT_COLS ? 0 : TEXT_COLS[i].width, TEXT_COLS[i].head);
    rbuf_putc(b, '\n');
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < (int)N_TEXT_COLS; i++)
            text_cell(b, st, i);
        rbuf_putc(b, '\n');
        n++;
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "listing experiments", err);
    sqlite3_finalize(st);
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

/* Split one token row into tok/len (n entries); false when the count differs. */
static bool split_tokens(const char *p, size_t len, const char **tok, size_t *tlen, size_t n)
{
    const char *end = p + len;
    size_t i = 0;

    if (len > 0 && end[-1] == '\n')
        end--;
    for (; i < n && p <= end; i++) {
        const char *sep = memchr(p, RES_TOK_SEP, (size_t)(end - p));
        tok[i] = p;
        tlen[i] = (size_t)((sep != NULL ? sep : end) - p);
        p += tlen[i] + 1;
    }
    return i == n && p == end + 1;
}

typedef struct json_list {
    int kinds[N_JSON_COLS], field[N_JSON_COLS];
    char keys[N_JSON_COLS][40]; /* ', "name": ' */
    size_t key_len[N_JSON_COLS];
    const char **tok;
    size_t *tlen;
    sqlite3_stmt *one; /* the JSON columns of one experiment, when no values are stored */
} json_list;

static void key(rbuf *b, const json_list *jl, size_t i)
{
    rbuf_put(b, jl->keys[i] + (i ? 0 : 2), jl->key_len[i] - (i ? 0 : 2));
}

/* One object: from the stored export values (column 1) when there are
 * some, else rendered from the flat row. */
static lle_status json_row(lle_results *r, rbuf *b, sqlite3_stmt *st, const json_list *jl, lle_error *err)
{
    const char *vals = (const char *)sqlite3_column_text(st, 1);
    int rc;

    if (vals != NULL && split_tokens(vals, (size_t)sqlite3_column_bytes(st, 1), jl->tok, jl->tlen, RES_N_FIELDS)) {
        for (size_t i = 0; i < N_JSON_COLS; i++) {
            size_t k = (size_t)jl->field[i];
            key(b, jl, i);
            if (jl->tlen[k] == 0)
                rbuf_put(b, "null", 4);
            else
                rbuf_put(b, jl->tok[k], jl->tlen[k]);
        }
        return LLE_OK;
    }
    sqlite3_reset(jl->one);
    sqlite3_bind_text(jl->one, 1, (const char *)sqlite3_column_text(st, 0), -1, SQLITE_TRANSIENT);
    if ((rc = sqlite3_step(jl->one)) != SQLITE_ROW)
        return res_sql_fail(r, rc, "listing experiments", err);
    for (size_t i = 0; i < N_JSON_COLS; i++) {
        key(b, jl, i);
        res_put_value(b, jl->one, (int)i, (res_kind)jl->kinds[i], LLE_RESULTS_JSON);
    }
    return LLE_OK;
}

static lle_status list_json(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
    rbuf cols = {0};
    char *sql = NULL;
    sqlite3_stmt *st = NULL;
    json_list jl = {.tok = calloc(RES_N_FIELDS, sizeof(char *)), .tlen = calloc(RES_N_FIELDS, sizeof(size_t))};
    int rc = SQLITE_DONE;
    lle_status ret;
    long long n = 0;

    rbuf_puts(&cols, "SELECT ");
    for (size_t i = 0; i < N_JSON_COLS; i++) {
        jl.field[i] = res_field_index(JSON_COLS[i]);
        jl.kinds[i] = RES_FIELDS[jl.field[i]].kind;
        jl.key_len[i] = (size_t)snprintf(jl.keys[i], sizeof jl.keys[i], ", \"%s\": ", JSON_COLS[i]);
        rbuf_printf(&cols, "%s%s", i ? ", " : "", JSON_COLS[i]);
    }
    rbuf_puts(&cols, " FROM " RES_FLAT_TABLE " WHERE id = ?1");
    ret = jl.tok != NULL && jl.tlen != NULL ? rbuf_take(&cols, &sql, NULL, err)
                                            : lle_fail(err, LLE_ERR_NOMEM, "out of memory listing experiments");
    if (ret == LLE_OK)
        ret = res_prepare(r, sql, &jl.one, err);
    if (ret == LLE_OK)
        ret = res_query(r, f,
                        r->has_text ? "id, (SELECT vals FROM " RES_TEXT_TABLE " t WHERE t.id = " RES_FLAT_TABLE ".id)"
                                    : "id, NULL",
                        RES_Q_ORDERED, &st, err);
    rbuf_putc(b, '[');
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rbuf_puts(b, n++ ? ",\n {" : "\n {");
        ret = json_row(r, b, st, &jl, err);
        rbuf_putc(b, '}');
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "listing experiments", err);
    rbuf_puts(b, n ? "\n]\n" : "]\n");
    sqlite3_finalize(st);
    sqlite3_finalize(jl.one);
    rbuf_free(&cols);
    free(sql);
    free(jl.tok);
    free(jl.tlen);
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
