/* list_line.c — the rendering of one `results list` row, shared by the
 * listing (list.c) and the results index (index.c), which stores each
 * experiment's rendered text line and JSON fields when the experiment is
 * saved, so listing 100,000 experiments copies text instead of formatting
 * numbers. Both paths call the same functions, so a stored line is byte for
 * byte what a live rendering gives. A leaf: uses only buf.c, fields.c and
 * SQLite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

/* Text columns of RES_LIST_TEXT_SQL: header, width (negative: left-aligned). */
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
const size_t RES_LIST_N_JSON = sizeof JSON_COLS / sizeof JSON_COLS[0];
_Static_assert(sizeof JSON_COLS / sizeof JSON_COLS[0] <= RES_LIST_MAX_JSON, "raise RES_LIST_MAX_JSON");

void res_list_text_header(rbuf *b)
{
    for (size_t i = 0; i < N_TEXT_COLS; i++)
        rbuf_printf(b, "%s%*s", i ? "  " : "", i + 1 == N_TEXT_COLS ? 0 : TEXT_COLS[i].width, TEXT_COLS[i].head);
    rbuf_putc(b, '\n');
}

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
        const char *text = (const char *)sqlite3_column_text(st, i);
        s = text != NULL ? text : "";
        n = (int)strnlen(s, sizeof cell - 1); /* as "%s" into cell: at most 159 */
    }
    if (n < 0 || (s == cell && (size_t)n >= sizeof cell))
        n = (int)strlen(s);
    if (i)
        rbuf_put(b, "  ", 2);
    padded(b, s, (size_t)n, i + 1 == (int)N_TEXT_COLS ? 0 : w);
}

void res_list_text_line(rbuf *b, sqlite3_stmt *st)
{
    for (int i = 0; i < (int)N_TEXT_COLS; i++)
        text_cell(b, st, i);
    rbuf_putc(b, '\n');
}

void res_list_json_init(res_list_json *jl)
{
    for (size_t i = 0; i < RES_LIST_N_JSON; i++) {
        jl->field[i] = res_field_index(JSON_COLS[i]);
        jl->kinds[i] = RES_FIELDS[jl->field[i]].kind;
        jl->key_len[i] = (size_t)snprintf(jl->keys[i], sizeof jl->keys[i], ", \"%s\": ", JSON_COLS[i]);
    }
}

const char *res_list_json_col(size_t i)
{
    return JSON_COLS[i];
}

void res_list_json_key(rbuf *b, const res_list_json *jl, size_t i)
{
    rbuf_put(b, jl->keys[i] + (i ? 0 : 2), jl->key_len[i] - (i ? 0 : 2));
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

bool res_list_json_fields(rbuf *b, const res_list_json *jl, const char *vals, size_t len)
{
    const char **tok = calloc(RES_N_FIELDS, sizeof *tok);
    size_t *tlen = calloc(RES_N_FIELDS, sizeof *tlen);
    bool ok = tok != NULL && tlen != NULL && vals != NULL && split_tokens(vals, len, tok, tlen, RES_N_FIELDS);

    for (size_t i = 0; ok && i < RES_LIST_N_JSON; i++) {
        size_t k = (size_t)jl->field[i];
        res_list_json_key(b, jl, i);
        if (tlen[k] == 0)
            rbuf_put(b, "null", 4);
        else
            rbuf_put(b, tok[k], tlen[k]);
    }
    free(tok);
    free(tlen);
    return ok;
}
