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

static void text_cell(rbuf *b, sqlite3_stmt *st, int i)
{
    char cell[160];
    int w = TEXT_COLS[i].width;

    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        snprintf(cell, sizeof cell, "-");
    else if (TEXT_COLS[i].fmt == 'f')
        snprintf(cell, sizeof cell, "%.2f", sqlite3_column_double(st, i));
    else if (TEXT_COLS[i].fmt == 'g')
        snprintf(cell, sizeof cell, "%.4g", sqlite3_column_double(st, i));
    else
        snprintf(cell, sizeof cell, "%s", (const char *)sqlite3_column_text(st, i));
    rbuf_printf(b, "%s%*s", i ? "  " : "", i + 1 == (int)N_TEXT_COLS ? 0 : w, cell);
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

static lle_status list_json(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
    rbuf cols = {0};
    char *sql = NULL;
    sqlite3_stmt *st = NULL;
    int kinds[N_JSON_COLS], rc = SQLITE_DONE;
    lle_status ret;
    long long n = 0;

    for (size_t i = 0; i < N_JSON_COLS; i++) {
        kinds[i] = RES_FIELDS[res_field_index(JSON_COLS[i])].kind;
        rbuf_printf(&cols, "%s%s", i ? ", " : "", JSON_COLS[i]);
    }
    ret = rbuf_take(&cols, &sql, NULL, err);
    if (ret == LLE_OK)
        ret = res_query(r, f, sql, RES_Q_ORDERED, &st, err);
    rbuf_putc(b, '[');
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rbuf_puts(b, n++ ? ",\n {" : "\n {");
        for (size_t i = 0; i < N_JSON_COLS; i++) {
            rbuf_printf(b, "%s\"%s\": ", i ? ", " : "", JSON_COLS[i]);
            res_put_value(b, st, (int)i, (res_kind)kinds[i], LLE_RESULTS_JSON);
        }
        rbuf_putc(b, '}');
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "listing experiments", err);
    rbuf_puts(b, n ? "\n]\n" : "]\n");
    sqlite3_finalize(st);
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
