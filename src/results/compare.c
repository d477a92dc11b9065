/* compare.c — `results compare ID ID…`: experiments side by side. The
 * configuration and model fields whose values differ; then the headline
 * metrics with the absolute and % difference of each experiment to the first
 * (the baseline) and the best value marked (lower or higher is better per
 * metric, from the catalogue); energy figures carry their method. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"
#include "results/row.h"

#define MAX_COMPARE 16

static const char *const METRICS[] = {
    "energy_method",
    "j_per_output_token",
    "energy_j",
    "avg_power_w",
    "prefill_j_per_token",
    "decode_j_per_token",
    "output_tokens_per_j",
    "wh_per_1000_requests",
    "g_co2e",
    "output_tokens_per_s",
    "decode_tokens_per_s",
    "prefill_tokens_per_s",
    "total_tokens_per_s",
    "requests_per_s",
    "wall_s",
    "ttft_p50_s",
    "ttft_p99_s",
    "tpot_p50_s",
    "tpot_p99_s",
    "itl_p50_s",
    "itl_p99_s",
    "e2e_p50_s",
    "e2e_p99_s",
    "peak_rss_bytes",
    "kv_cache_bytes",
    "output_tokens",
};
#define N_METRICS (sizeof METRICS / sizeof METRICS[0])

typedef struct cmp_metric {
    size_t field;
    bool numeric;
    double diff[MAX_COMPARE], pct[MAX_COMPARE];
    bool best[MAX_COMPARE];
} cmp_metric;

static bool differs(const res_row *rows, size_t n, size_t i)
{
    for (size_t k = 1; k < n; k++) {
        const char *a = rows[0].text[i], *b = rows[k].text[i];
        if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
            return true;
    }
    return false;
}

static void compute(const res_row *rows, size_t n, cmp_metric *m)
{
    const res_field *f = &RES_FIELDS[m->field];
    double best = NAN, base = rows[0].num[m->field];
    bool base_ok = !res_row_null(&rows[0], m->field);

    m->numeric = f->kind != RK_TEXT;
    for (size_t k = 0; k < n; k++) {
        double v = rows[k].num[m->field];
        bool ok = m->numeric && !res_row_null(&rows[k], m->field);
        m->diff[k] = ok && base_ok ? v - base : NAN;
        m->pct[k] = ok && base_ok && base != 0.0 ? (v - base) / fabs(base) * 100.0 : NAN;
        if (ok && f->better != RB_NONE && (isnan(best) || (f->better == RB_LOWER ? v < best : v > best)))
            best = v;
    }
    bool all_same = true;
    for (size_t k = 0; k < n; k++)
        all_same = all_same && !res_row_null(&rows[k], m->field) && rows[k].num[m->field] == best;
    for (size_t k = 0; k < n; k++) /* no mark when every value is the same */
        m->best[k] = !isnan(best) && !all_same && !res_row_null(&rows[k], m->field) && rows[k].num[m->field] == best;
}

static void text_out(const res_row *rows, char ids[][128], size_t n, const cmp_metric *ms, rbuf *b)
{
    char v[256], cell[320], head[64];
    bool any = false;

    for (size_t k = 0; k < n; k++)
        rbuf_printf(b, "[%zu] %s%s\n", k + 1, ids[k], k == 0 ? " (baseline)" : "");
    rbuf_puts(b, "configuration that differs\n");
    for (size_t i = 0; i < RES_N_FIELDS; i++) {
        if ((RES_FIELDS[i].group != RG_CONFIG && RES_FIELDS[i].group != RG_MODEL && RES_FIELDS[i].group != RG_ENV) ||
            !differs(rows, n, i))
            continue;
        any = true;
        rbuf_printf(b, "  %-32s", RES_FIELDS[i].name);
        for (size_t k = 0; k < n; k++) {
            res_row_human(&rows[k], i, v, sizeof v);
            rbuf_printf(b, " %-28s", v);
        }
        rbuf_putc(b, '\n');
    }
    if (!any)
        rbuf_puts(b, "  (none)\n");
    rbuf_puts(b, "metrics (* best; in brackets: difference to [1])\n");
    for (size_t j = 0; j < N_METRICS; j++) {
        const res_field *f = &RES_FIELDS[ms[j].field];
        snprintf(head, sizeof head, "%s%s%s%s", f->name, f->unit[0] ? " (" : "", f->unit, f->unit[0] ? ")" : "");
        rbuf_printf(b, "  %-32s", head);
        for (size_t k = 0; k < n; k++) {
            res_row_human(&rows[k], ms[j].field, v, sizeof v);
            snprintf(cell, sizeof cell, "%s%s", v, ms[j].best[k] ? " *" : "");
            if (k > 0 && !isnan(ms[j].diff[k])) {
                char pct[32];
                if (isnan(ms[j].pct[k]))
                    snprintf(pct, sizeof pct, "n/a");
                else
                    snprintf(pct, sizeof pct, "%+.1f%%", ms[j].pct[k]);
                snprintf(cell, sizeof cell, "%s [%+.4g, %s]%s", v, ms[j].diff[k], pct, ms[j].best[k] ? " *" : "");
            }
            rbuf_printf(b, " %-28s", cell);
        }
        rbuf_putc(b, '\n');
    }
    rbuf_puts(b, "energy figures are as their energy_method row says (measured, estimated or mixed)\n");
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *row_value(const res_row *row, size_t i)
{
    if (res_row_null(row, i))
        return cJSON_CreateNull();
    return row->type[i] == SQLITE_TEXT ? cJSON_CreateString(row->text[i]) : cJSON_CreateNumber(row->num[i]);
}

static cJSON *json_out(const res_row *rows, char ids[][128], size_t n, const cmp_metric *ms)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "ids");
    cJSON *cfg = cJSON_AddArrayToObject(o, "differing_configuration"), *mets = cJSON_AddArrayToObject(o, "metrics");

    for (size_t k = 0; k < n; k++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(ids[k]));
    cJSON_AddStringToObject(o, "baseline", ids[0]);
    for (size_t i = 0; i < RES_N_FIELDS; i++) {
        cJSON *e, *vals;
        if ((RES_FIELDS[i].group != RG_CONFIG && RES_FIELDS[i].group != RG_MODEL && RES_FIELDS[i].group != RG_ENV) ||
            !differs(rows, n, i))
            continue;
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "field", RES_FIELDS[i].name);
        vals = cJSON_AddArrayToObject(e, "values");
        for (size_t k = 0; k < n; k++)
            cJSON_AddItemToArray(vals, row_value(&rows[k], i));
        cJSON_AddItemToArray(cfg, e);
    }
    for (size_t j = 0; j < N_METRICS; j++) {
        const res_field *f = &RES_FIELDS[ms[j].field];
        cJSON *e = cJSON_CreateObject(), *v, *d, *p, *best;
        cJSON_AddStringToObject(e, "name", f->name);
        cJSON_AddStringToObject(e, "unit", f->unit);
        cJSON_AddStringToObject(e, "better",
                                f->better == RB_LOWER    ? "lower"
                                : f->better == RB_HIGHER ? "higher"
                                                         : "none");
        v = cJSON_AddArrayToObject(e, "values");
        d = cJSON_AddArrayToObject(e, "diff");
        p = cJSON_AddArrayToObject(e, "diff_pct");
        best = cJSON_AddArrayToObject(e, "best");
        for (size_t k = 0; k < n; k++) {
            cJSON_AddItemToArray(v, row_value(&rows[k], ms[j].field));
            cJSON_AddItemToArray(d, num_or_null(ms[j].diff[k]));
            cJSON_AddItemToArray(p, num_or_null(ms[j].pct[k]));
            cJSON_AddItemToArray(best, cJSON_CreateBool(ms[j].best[k]));
        }
        cJSON_AddItemToArray(mets, e);
    }
    return o;
}

static lle_status emit(const res_row *rows, char ids[][128], size_t n, lle_results_format fmt, rbuf *b, lle_error *err)
{
    cmp_metric ms[N_METRICS];
    cJSON *js = NULL;
    char *text = NULL;
    lle_status ret = LLE_OK;

    memset(ms, 0, sizeof ms);
    for (size_t j = 0; j < N_METRICS; j++) {
        ms[j].field = (size_t)res_field_index(METRICS[j]);
        compute(rows, n, &ms[j]);
    }
    if (fmt != LLE_RESULTS_JSON) {
        text_out(rows, ids, n, ms, b);
        return LLE_OK;
    }
    js = json_out(rows, ids, n, ms);
    text = js != NULL ? cJSON_Print(js) : NULL;
    if (text == NULL)
        ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory printing the comparison");
    else
        rbuf_printf(b, "%s\n", text);
    free(text);
    cJSON_Delete(js);
    return ret;
}

lle_status lle_results_compare(lle_results *r, const char *const *ids, size_t n_ids, lle_results_format fmt, char **out,
                               size_t *out_len, lle_error *err)
{
    res_row rows[MAX_COMPARE];
    char full[MAX_COMPARE][128];
    size_t loaded = 0;
    rbuf b = {0};
    lle_status ret = LLE_OK;

    if (r == NULL || ids == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_compare: handle, ids and out are required");
    *out = NULL;
    if (n_ids < 2 || n_ids > MAX_COMPARE)
        return lle_fail(err, LLE_ERR_INVALID, "results compare: give 2 to %d experiment ids, not %zu", MAX_COMPARE,
                        n_ids);
    memset(rows, 0, sizeof rows);
    for (size_t k = 0; k < n_ids && ret == LLE_OK; k++) {
        ret = res_resolve_id(r, ids[k], full[k], sizeof full[k], err);
        if (ret == LLE_OK)
            ret = res_row_load(r, full[k], &rows[k], err);
        loaded += ret == LLE_OK;
    }
    if (ret == LLE_OK)
        ret = emit(rows, full, n_ids, fmt, &b, err);
    if (ret == LLE_OK)
        ret = rbuf_take(&b, out, out_len, err);
    rbuf_free(&b);
    for (size_t k = 0; k < loaded; k++)
        res_row_free(&rows[k]);
    return ret;
}
