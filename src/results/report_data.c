/* report_data.c — the data the report page draws, as one JSON object plus a
 * JSON island per experiment's power series: summary rows of every selected
 * experiment; the configurations (groups of the analysis) with their means,
 * latency percentiles, rank and Pareto membership; per varied factor the
 * mean and 95 % CI of J/token and tokens/s for each of its values; the
 * per-run points of the Pareto scatter; the power samples (power_w of every
 * source, averaged into at most RES_REPORT_MAX_POINTS buckets) with the batch
 * windows that shade prefill and decode; the distinct environments. Every
 * figure keeps its energy method next to it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/report.h"

#define MAX_FACTOR_CHARTS 10

static const char SUMMARY_COLS[] =
    "id, started_at, status, model_name, model_file_type, batch_size, coalesce(decoding_preset, decoding), "
    "traffic, output_tokens_per_s, ttft_p50_s, tpot_p50_s, j_per_output_token, energy_j, energy_method";
static const char *const SUMMARY_NAMES[] = {
    "id",      "started_at",          "status",     "model_name", "model_file_type",    "batch_size", "decoding",
    "traffic", "output_tokens_per_s", "ttft_p50_s", "tpot_p50_s", "j_per_output_token", "energy_j",   "energy_method",
};
#define N_SUMMARY (sizeof SUMMARY_NAMES / sizeof SUMMARY_NAMES[0])

static const char *const ENV_NAMES[] = {
    "hostname", "cpu_model", "cpu_cores",         "memory_total_bytes", "os",           "kernel",
    "machine",  "gpu_names", "llama_cpp_release", "llama_cpp_origin",   "tool_version", "git_commit",
};
#define N_ENV (sizeof ENV_NAMES / sizeof ENV_NAMES[0])

static void num(rbuf *b, double v)
{
    if (isfinite(v))
        rbuf_double(b, v);
    else
        rbuf_puts(b, "null");
}

static void sql_value(rbuf *b, sqlite3_stmt *st, int i)
{
    int t = sqlite3_column_type(st, i);

    if (t == SQLITE_NULL)
        rbuf_puts(b, "null");
    else if (t == SQLITE_TEXT)
        rbuf_json_string(b, (const char *)sqlite3_column_text(st, i));
    else if (t == SQLITE_INTEGER)
        rbuf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i));
    else
        num(b, sqlite3_column_double(st, i));
}

static lle_status summary(lle_results *r, const lle_results_filter *f, rbuf *b, long long *n, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = res_query(r, f, SUMMARY_COLS, RES_Q_ORDERED, &st, err);
    int rc = SQLITE_DONE;

    rbuf_puts(b, "\"columns\":[");
    for (size_t i = 0; i < N_SUMMARY; i++)
        rbuf_printf(b, "%s\"%s\"", i ? "," : "", SUMMARY_NAMES[i]);
    rbuf_puts(b, "],\"rows\":[");
    *n = 0;
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rbuf_puts(b, (*n)++ ? ",\n[" : "\n[");
        for (int i = 0; i < (int)N_SUMMARY; i++) {
            if (i)
                rbuf_putc(b, ',');
            sql_value(b, st, i);
        }
        rbuf_putc(b, ']');
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading experiments for the report", err);
    rbuf_puts(b, "]");
    sqlite3_finalize(st);
    return ret;
}

static void pct3(rbuf *b, const res_group_stats *g, int first)
{
    rbuf_putc(b, '[');
    for (int k = 0; k < 3; k++) {
        if (k)
            rbuf_putc(b, ',');
        num(b, g->stats[first + k].mean);
    }
    rbuf_putc(b, ']');
}

static void groups_json(const res_analysis *a, rbuf *b)
{
    rbuf_puts(b, ",\"groups\":[");
    for (size_t i = 0; i < a->n_groups; i++) {
        const res_group_stats *g = &a->groups[i];
        rbuf_puts(b, i ? ",\n{\"label\":" : "\n{\"label\":");
        rbuf_json_string(b, g->label);
        rbuf_printf(b, ",\"rank\":%d,\"n\":%zu,\"jpt\":", g->rank, g->n);
        num(b, g->stats[RES_M_JPT].mean);
        rbuf_puts(b, ",\"tps\":");
        num(b, g->stats[RES_M_TPS].mean);
        rbuf_puts(b, ",\"ttft\":");
        pct3(b, g, RES_M_TTFT);
        rbuf_puts(b, ",\"tpot\":");
        pct3(b, g, RES_M_TPOT);
        rbuf_puts(b, ",\"e2e\":");
        pct3(b, g, RES_M_E2E);
        rbuf_printf(b, ",\"pareto\":%s,\"method\":\"%s\"}", g->on_front ? "true" : "false", g->method);
    }
    rbuf_puts(b, "]");
}

static void series(rbuf *b, const char *name, const res_analysis *a, int metric)
{
    static const char *const parts[] = {"mean", "lo", "hi"};

    rbuf_printf(b, ",\"%s\":{", name);
    for (int p = 0; p < 3; p++) {
        rbuf_printf(b, "%s\"%s\":[", p ? "," : "", parts[p]);
        for (size_t g = 0; g < a->n_groups; g++) {
            const res_stats *s = &a->groups[g].stats[metric];
            if (g)
                rbuf_putc(b, ',');
            num(b, p == 0 ? s->mean : p == 1 ? s->ci_lo : s->ci_hi);
        }
        rbuf_putc(b, ']');
    }
    rbuf_putc(b, '}');
}

/* One chart pair per varied factor: the experiments grouped by it alone
 * (all factors from one pass over the rows). */
static lle_status factors_json(lle_results *r, const lle_results_filter *f, const res_analysis *main_a, rbuf *b,
                               lle_error *err)
{
    size_t n = main_a->n_factors < MAX_FACTOR_CHARTS ? main_a->n_factors : MAX_FACTOR_CHARTS;
    res_analysis each[MAX_FACTOR_CHARTS];
    lle_status ret = res_analysis_run_each(r, f, (const char *const *)main_a->factors, n, each, err);

    rbuf_puts(b, ",\"factors\":[");
    for (size_t i = 0; i < n && ret == LLE_OK; i++) {
        const res_analysis *a = &each[i];
        const char *method = NULL;
        rbuf_puts(b, i ? ",\n{\"name\":" : "\n{\"name\":");
        rbuf_json_string(b, main_a->factors[i]);
        rbuf_puts(b, ",\"values\":[");
        for (size_t g = 0; g < a->n_groups; g++) {
            if (g)
                rbuf_putc(b, ',');
            rbuf_json_string(b, a->groups[g].values[0]);
            method = method == NULL || strcmp(method, a->groups[g].method) == 0 ? a->groups[g].method : "mixed";
        }
        rbuf_puts(b, "]");
        series(b, "jpt", a, RES_M_JPT);
        series(b, "tps", a, RES_M_TPS);
        rbuf_puts(b, ",\"method\":");
        rbuf_json_string(b, method != NULL ? method : "none");
        rbuf_putc(b, '}');
    }
    rbuf_puts(b, "]");
    for (size_t i = 0; ret == LLE_OK && i < n; i++)
        res_analysis_free(&each[i]);
    return ret;
}

static lle_status scatter_json(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    rbuf xs = {0}, ys = {0};
    lle_status ret = res_query(r, f, "count(*)", RES_Q_RUNS, &st, err);
    long long total = 0, i = 0, kept = 0, step = 1;
    int rc = SQLITE_DONE;

    if (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        total = sqlite3_column_int64(st, 0);
    else if (ret == LLE_OK)
        ret = res_sql_fail(r, rc, "counting runs for the report", err);
    sqlite3_finalize(st);
    st = NULL;
    step = total > RES_REPORT_MAX_SCATTER ? (total + RES_REPORT_MAX_SCATTER - 1) / RES_REPORT_MAX_SCATTER : 1;
    if (ret == LLE_OK)
        ret = res_query(r, f, "output_tokens_per_s, j_per_output_token", RES_Q_RUNS, &st, err);
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((i++) % step != 0 || sqlite3_column_type(st, 0) == SQLITE_NULL || sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        rbuf_puts(&xs, kept ? "," : "");
        rbuf_puts(&ys, kept++ ? "," : "");
        num(&xs, sqlite3_column_double(st, 0));
        num(&ys, sqlite3_column_double(st, 1));
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading runs for the report", err);
    rbuf_printf(b, ",\"scatter\":{\"tps\":[%s],\"jpt\":[%s],\"sampled\":", xs.data ? xs.data : "",
                ys.data ? ys.data : "");
    if (step > 1)
        rbuf_printf(b, "\"every %lld-th of %lld runs\"}", step, total);
    else
        rbuf_puts(b, "null}");
    b->oom = b->oom || xs.oom || ys.oom;
    rbuf_free(&xs);
    rbuf_free(&ys);
    sqlite3_finalize(st);
    return ret;
}

static lle_status env_json(lle_results *r, const lle_results_filter *f, rbuf *b, lle_error *err)
{
    char cols[512] = "DISTINCT ";
    sqlite3_stmt *st = NULL;
    lle_status ret;
    int rc = SQLITE_DONE;
    size_t rows = 0;

    for (size_t i = 0; i < N_ENV; i++)
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s%s", i ? ", " : "", ENV_NAMES[i]);
    ret = res_query(r, f, cols, 0, &st, err);
    rbuf_puts(b, ",\"env_columns\":[");
    for (size_t i = 0; i < N_ENV; i++)
        rbuf_printf(b, "%s\"%s\"", i ? "," : "", ENV_NAMES[i]);
    rbuf_puts(b, "],\"env\":[");
    while (ret == LLE_OK && rows < 100 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rbuf_puts(b, rows++ ? ",\n[" : "\n[");
        for (int i = 0; i < (int)N_ENV; i++) {
            if (i)
                rbuf_putc(b, ',');
            sql_value(b, st, i);
        }
        rbuf_putc(b, ']');
    }
    if (ret == LLE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = res_sql_fail(r, rc, "reading environments", err);
    rbuf_puts(b, "]");
    sqlite3_finalize(st);
    return ret;
}

static void methods_note(const res_analysis *a, char *out, size_t size)
{
    size_t m = 0, e = 0, x = 0, none = 0;

    for (size_t g = 0; g < a->n_groups; g++) {
        const char *k = a->groups[g].method;
        size_t n = a->groups[g].n;
        if (strcmp(k, "measured") == 0)
            m += n;
        else if (strcmp(k, "estimated") == 0)
            e += n;
        else if (strcmp(k, "none") == 0)
            none += n;
        else
            x += n;
    }
    snprintf(out, size,
             "energy of completed runs: %zu measured, %zu estimated, %zu mixed or in mixed groups, "
             "%zu without energy",
             m, e, x, none);
}

lle_status res_report_data(lle_results *r, const lle_results_filter *f, rbuf *data, rbuf *islands,
                           long long *n_experiments, char *methods, size_t methods_size, lle_error *err)
{
    res_analysis a;
    lle_status ret;

    memset(&a, 0, sizeof a);
    rbuf_putc(data, '{');
    ret = summary(r, f, data, n_experiments, err);
    if (ret == LLE_OK)
        ret = res_analysis_run(r, f, NULL, &a, err);
    if (ret != LLE_OK)
        return ret;
    methods_note(&a, methods, methods_size);
    groups_json(&a, data);
    ret = factors_json(r, f, &a, data, err);
    if (ret == LLE_OK)
        ret = scatter_json(r, f, data, err);
    if (ret == LLE_OK)
        ret = res_report_power(r, f, data, islands, err);
    if (ret == LLE_OK)
        ret = env_json(r, f, data, err);
    rbuf_putc(data, '}');
    res_analysis_free(&a);
    return ret;
}
