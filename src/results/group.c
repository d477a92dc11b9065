/* group.c — the grouping behind `results analyze` and the report: one scan of
 * the completed experiments in the filter, a hash of their factor values to
 * groups, per group and metric the statistics of stats.c (mean, std, 95 %
 * Student-t CI, CV, Tukey outliers), the energy method over the group, the
 * rank by the chosen metric and the Pareto front of group means (joules per
 * output token down, output tokens per second up). Without explicit factors
 * the candidates are every configuration field that can change a result
 * (not the seed) plus model, precision and host; only those that vary
 * among the groups are reported as factors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

/* The first two are the Pareto objectives; the report reads the latency
 * percentiles by these positions (RES_M_* in results_internal.h). */
static const char *const METRICS[] = {
    "j_per_output_token", "output_tokens_per_s", "energy_j",
    "avg_power_w",        "decode_tokens_per_s", "ttft_p50_s",
    "ttft_p90_s",         "ttft_p99_s",          "tpot_p50_s",
    "tpot_p90_s",         "tpot_p99_s",          "e2e_p50_s",
    "e2e_p90_s",          "e2e_p99_s",           NULL /* slot for a ranking metric not listed */,
};
#define N_BASE_METRICS 14

const char *const RES_AUTO_FACTORS[] = {
    "model_name",
    "model_file_type",
    "model_n_params",
    "engine",
    "preset",
    "preset_type",
    "kv_type",
    "flash_attn",
    "n_ctx",
    "threads",
    "threads_batch",
    "n_batch",
    "n_ubatch",
    "n_gpu_layers",
    "split_mode",
    "main_gpu",
    "decoding_preset",
    "decoding",
    "temperature",
    "top_k",
    "top_p",
    "min_p",
    "repeat_penalty",
    "repeat_last_n",
    "ignore_eos",
    "min_output_tokens",
    "prompts",
    "prompt_source",
    "prompt_file",
    "prompt_format",
    "prompt_order",
    "max_input_tokens",
    "min_input_tokens",
    "max_output_tokens",
    "batching",
    "batch_size",
    "adaptive_tokens",
    "adaptive_max_batch",
    "traffic",
    "delay_s",
    "delay_min_s",
    "delay_max_s",
    "burst_size",
    "burst_interval_s",
    "rate_per_s",
    "warmup",
    "repeat",
    "energy_on",
    "energy_interval_s",
    "idle_baseline_s",
    "energy_sources",
    "energy_estimates",
    "cpu_tdp_w",
    "carbon_intensity",
    "pue",
    "hostname",
};
const size_t RES_N_AUTO_FACTORS = sizeof RES_AUTO_FACTORS / sizeof RES_AUTO_FACTORS[0];

/* One group while scanning: values per metric grow as rows arrive. */
typedef struct acc {
    char *key;
    char **text; /* factor values for people, from the group's first row */
    size_t n, cap;
    char **ids;
    double *vals; /* n x n_metrics, NaN for NULL */
    char method[16];
} acc;

typedef struct scan {
    size_t n_factors, n_metrics;
    int c_factor, c_method, c_metric; /* first factor, method, first metric column */
    acc *groups;
    size_t n_groups, cap_groups;
    size_t *table; /* open addressing: group index + 1, 0 empty */
    size_t table_size;
} scan;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool rehash(scan *s)
{
    size_t size = s->table_size ? s->table_size * 2 : 1024;
    size_t *t = calloc(size, sizeof *t);

    if (t == NULL)
        return false;
    for (size_t g = 0; g < s->n_groups; g++) {
        size_t h = (size_t)fnv(s->groups[g].key) & (size - 1);
        while (t[h] != 0)
            h = (h + 1) & (size - 1);
        t[h] = g + 1;
    }
    free(s->table);
    s->table = t;
    s->table_size = size;
    return true;
}

/* The group of `key`, created when new; NULL on OOM. */
static acc *find_group(scan *s, const char *key)
{
    size_t h;
    acc *a;

    if ((s->n_groups + 1) * 2 > s->table_size && !rehash(s))
        return NULL;
    h = (size_t)fnv(key) & (s->table_size - 1);
    while (s->table[h] != 0) {
        if (strcmp(s->groups[s->table[h] - 1].key, key) == 0)
            return &s->groups[s->table[h] - 1];
        h = (h + 1) & (s->table_size - 1);
    }
    if (s->n_groups == s->cap_groups) {
        size_t cap = s->cap_groups ? s->cap_groups * 2 : 64;
        acc *g = realloc(s->groups, cap * sizeof *g);
        if (g == NULL)
            return NULL;
        s->groups = g;
        s->cap_groups = cap;
    }
    a = &s->groups[s->n_groups];
    memset(a, 0, sizeof *a);
    if ((a->key = strdup(key)) == NULL)
        return NULL;
    s->table[h] = ++s->n_groups;
    return a;
}

static bool add_row(scan *s, acc *a, sqlite3_stmt *st)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *m = (const char *)sqlite3_column_text(st, s->c_method);
    int first = s->c_metric;

    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        char **ids = realloc(a->ids, cap * sizeof *ids);
        double *v = ids != NULL ? realloc(a->vals, cap * s->n_metrics * sizeof *v) : NULL;
        if (ids != NULL)
            a->ids = ids;
        if (v == NULL)
            return false;
        a->vals = v;
        a->cap = cap;
    }
    if ((a->ids[a->n] = strdup(id != NULL ? id : "")) == NULL)
        return false;
    for (size_t k = 0; k < s->n_metrics; k++)
        a->vals[a->n * s->n_metrics + k] =
            sqlite3_column_type(st, first + (int)k) == SQLITE_NULL ? NAN : sqlite3_column_double(st, first + (int)k);
    if (a->n == 0)
        lle_strlcpy(a->method, m != NULL ? m : "none", sizeof a->method);
    else if (strcmp(a->method, m != NULL ? m : "none") != 0)
        lle_strlcpy(a->method, "mixed", sizeof a->method);
    a->n++;
    return true;
}

static void put_hex64(rbuf *key, char tag, uint64_t v)
{
    char h[18];

    h[0] = tag;
    for (int i = 0; i < 16; i++)
        h[1 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    h[17] = '\x1f';
    rbuf_put(key, h, sizeof h);
}

/* The group key of a row: each factor's value exactly (integers and reals by
 * their bits, integral reals as integers, so 4 and 4.0 group together) —
 * no number is formatted per row. */
static void row_key(sqlite3_stmt *st, const scan *s, rbuf *key)
{
    key->len = 0;
    for (size_t f = 0; f < s->n_factors; f++) {
        int c = s->c_factor + (int)f, t = sqlite3_column_type(st, c);
        double d;
        uint64_t bits;
        if (t == SQLITE_INTEGER) {
            put_hex64(key, 'i', (uint64_t)sqlite3_column_int64(st, c));
        } else if (t == SQLITE_FLOAT) {
            d = sqlite3_column_double(st, c);
            if (d == (double)(long long)d && fabs(d) < 9e18) {
                put_hex64(key, 'i', (uint64_t)(long long)d);
            } else {
                memcpy(&bits, &d, sizeof bits);
                put_hex64(key, 'f', bits);
            }
        } else if (t == SQLITE_NULL) {
            rbuf_puts(key, "\x01\x1f");
        } else {
            rbuf_puts(key, (const char *)sqlite3_column_text(st, c));
            rbuf_putc(key, '\x1f');
        }
    }
    if (key->data == NULL)
        rbuf_puts(key, "");
}

/* Factor values of a new group as text, from its first row. */
static char **row_values(sqlite3_stmt *st, const scan *s)
{
    char **v = calloc(s->n_factors + 1, sizeof *v);

    for (size_t f = 0; v != NULL && f < s->n_factors; f++) {
        const unsigned char *t = sqlite3_column_text(st, s->c_factor + (int)f);
        v[f] = strdup(t != NULL ? (const char *)t : "-");
    }
    return v;
}

/* Feed the current row to scan `s`: its group (made when new) gets it. */
static bool scan_row(scan *s, sqlite3_stmt *st, rbuf *key)
{
    acc *a;

    row_key(st, s, key);
    a = key->oom ? NULL : find_group(s, key->data);
    if (a != NULL && a->text == NULL)
        a->text = row_values(st, s);
    return a != NULL && a->text != NULL && add_row(s, a, st);
}

/* One pass over the runs of the filter: columns id, energy_method, the
 * metrics, then each scan's factors; every row goes to each of the scans. */
static lle_status run_scans(lle_results *r, const lle_results_filter *f, const char *const *factors,
                            const size_t *n_factors, size_t n_scans, const char *const *metrics, size_t n_metrics,
                            scan *s, lle_error *err)
{
    lle_results_filter ff = f != NULL ? *f : (lle_results_filter){0};
    rbuf cols = {0}, key = {0};
    char *sql = NULL;
    sqlite3_stmt *st = NULL;
    lle_status ret;
    int rc = SQLITE_DONE, c = 2 + (int)n_metrics;

    if (s == NULL || n_factors == NULL)
        return lle_fail(err, LLE_ERR_INTERNAL, "results: no scans to run");
    rbuf_puts(&cols, "id, energy_method");
    for (size_t i = 0; i < n_metrics; i++)
        rbuf_printf(&cols, ", %s", metrics[i]);
    for (size_t k = 0, fi = 0; k < n_scans; k++) {
        s[k] = (scan){.n_factors = n_factors[k], .n_metrics = n_metrics, .c_factor = c, .c_method = 1, .c_metric = 2};
        for (size_t i = 0; i < n_factors[k]; i++, c++)
            rbuf_printf(&cols, ", %s", factors[fi++]);
    }
    ret = rbuf_take(&cols, &sql, NULL, err);
    if (ret == LLE_OK)
        ret = res_query(r, &ff, sql, RES_Q_RUNS, &st, err);
    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t k = 0; ret == LLE_OK && k < n_scans; k++)
            if (!scan_row(&s[k], st, &key))
                ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory grouping experiments");
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading experiments", err);
    sqlite3_finalize(st);
    rbuf_free(&key);
    free(sql);
    return ret;
}

static void scan_free(scan *s)
{
    for (size_t g = 0; g < s->n_groups; g++) {
        for (size_t i = 0; i < s->groups[g].n; i++)
            free(s->groups[g].ids[i]);
        for (size_t f = 0; s->groups[g].text != NULL && f < s->n_factors; f++)
            free(s->groups[g].text[f]);
        free(s->groups[g].text);
        free(s->groups[g].ids);
        free(s->groups[g].vals);
        free(s->groups[g].key);
    }
    free(s->groups);
    free(s->table);
}

/* Metrics of the analysis: the fixed list, plus the ranking metric when it
 * is another numeric column. */
static lle_status pick_metrics(const lle_results_analysis_opts *o, res_analysis *a, lle_error *err)
{
    static const char *list[N_BASE_METRICS + 1];
    const char *rank = o != NULL && o->metric != NULL ? o->metric : "j_per_output_token";
    int fi = res_field_index(rank);

    if (fi < 0 || RES_FIELDS[fi].kind == RK_TEXT || RES_FIELDS[fi].group == RG_ID)
        return lle_fail(err, LLE_ERR_INVALID,
                        "--metric '%s': not a numeric result column (results export "
                        "--columns lists them)",
                        rank);
    memcpy(list, METRICS, sizeof list);
    a->n_metrics = N_BASE_METRICS;
    a->rank_metric = -1;
    for (size_t i = 0; i < N_BASE_METRICS; i++)
        if (strcmp(METRICS[i], rank) == 0)
            a->rank_metric = (int)i;
    if (a->rank_metric < 0) {
        list[N_BASE_METRICS] = RES_FIELDS[fi].name;
        a->rank_metric = (int)a->n_metrics++;
    }
    a->metrics = list;
    return LLE_OK;
}

static lle_status pick_factors(const lle_results_analysis_opts *o, const char *const **factors, size_t *n,
                               lle_error *err)
{
    if (o == NULL || o->n_by == 0) {
        *factors = RES_AUTO_FACTORS;
        *n = RES_N_AUTO_FACTORS;
        return LLE_OK;
    }
    for (size_t i = 0; i < o->n_by; i++) {
        int fi = res_field_index(o->by[i]);
        if (fi < 0 || RES_FIELDS[fi].group == RG_METRIC ||
            (RES_FIELDS[fi].group == RG_ENERGY && RES_FIELDS[fi].kind != RK_TEXT))
            return lle_fail(err, LLE_ERR_INVALID,
                            "--by '%s': not a configuration, model or environment column "
                            "(results export --columns lists them)",
                            o->by[i]);
    }
    *factors = o->by;
    *n = o->n_by;
    return LLE_OK;
}

static bool group_stats(const acc *src, res_group_stats *g, const res_analysis *a)
{
    double *v = malloc((src->n + 1) * sizeof *v);
    bool *out = malloc((src->n + 1) * sizeof *out);
    size_t *idx = malloc((src->n + 1) * sizeof *idx);
    bool ok = v != NULL && out != NULL && idx != NULL;

    g->stats = calloc(a->n_metrics, sizeof *g->stats);
    g->outlier = calloc(src->n * a->n_metrics + 1, sizeof *g->outlier);
    ok = ok && g->stats != NULL && g->outlier != NULL;
    for (size_t k = 0; ok && k < a->n_metrics; k++) {
        size_t m = 0;
        for (size_t i = 0; i < src->n; i++)
            if (!isnan(src->vals[i * a->n_metrics + k])) {
                idx[m] = i;
                v[m++] = src->vals[i * a->n_metrics + k];
            }
        g->stats[k] = res_stats_of(v, m);
        res_outliers(v, m, out);
        for (size_t j = 0; j < m; j++)
            g->outlier[idx[j] * a->n_metrics + k] = out[j];
    }
    free(v);
    free(out);
    free(idx);
    return ok;
}

static bool unstable(const res_group_stats *g, const res_analysis *a)
{
    for (size_t k = 0; k < a->n_metrics; k++)
        if ((k <= 1 || (int)k == a->rank_metric) && g->stats[k].cv > a->cv_threshold)
            return true;
    return false;
}

/* Move the scanned groups into the analysis, keeping `keep` factor columns
 * of the split keys (whose strings are taken over). */
static bool build_groups(scan *s, char ***split, res_analysis *a, const size_t *keep)
{
    a->groups = calloc(s->n_groups + 1, sizeof *a->groups);
    for (size_t gi = 0; a->groups != NULL && gi < s->n_groups; gi++) {
        res_group_stats *g = &a->groups[gi];
        rbuf label = {0};
        a->n_groups++;
        g->values = calloc(a->n_factors + 1, sizeof *g->values);
        if (g->values == NULL)
            return false;
        for (size_t f = 0; f < a->n_factors; f++) {
            g->values[f] = split[gi][keep[f]];
            split[gi][keep[f]] = NULL;
            rbuf_printf(&label, "%s%s=%s", f ? ", " : "", a->factors[f], g->values[f] ? g->values[f] : "?");
        }
        if (a->n_factors == 0)
            rbuf_puts(&label, "all");
        g->label = label.data;
        g->n = s->groups[gi].n;
        lle_strlcpy(g->method, s->groups[gi].method, sizeof g->method);
        if (label.oom || !group_stats(&s->groups[gi], g, a))
            return false;
        g->ids = s->groups[gi].ids; /* taken over */
        s->groups[gi].ids = NULL;
        s->groups[gi].n = 0;
        g->unstable = unstable(g, a);
    }
    return a->groups != NULL;
}

static const res_analysis *sort_ctx;

static int cmp_rank(const void *x, const void *y)
{
    const res_group_stats *p = x, *q = y;
    const res_field *f = &RES_FIELDS[res_field_index(sort_ctx->metrics[sort_ctx->rank_metric])];
    double a = p->stats[sort_ctx->rank_metric].mean, b = q->stats[sort_ctx->rank_metric].mean;

    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    if (a != b)
        return (f->better == RB_HIGHER) ? (a < b) - (a > b) : (a > b) - (a < b);
    return strcmp(p->label, q->label);
}

static void rank_and_front(res_analysis *a)
{
    double *x = malloc((a->n_groups + 1) * sizeof *x), *y = malloc((a->n_groups + 1) * sizeof *y);
    bool *front = malloc((a->n_groups + 1) * sizeof *front);

    sort_ctx = a;
    qsort(a->groups, a->n_groups, sizeof *a->groups, cmp_rank);
    for (size_t g = 0; g < a->n_groups; g++)
        a->groups[g].rank = isnan(a->groups[g].stats[a->rank_metric].mean) ? 0 : (int)g + 1;
    if (x != NULL && y != NULL && front != NULL) {
        for (size_t g = 0; g < a->n_groups; g++) {
            x[g] = a->groups[g].stats[0].mean;
            y[g] = a->groups[g].stats[1].mean;
        }
        res_pareto(x, y, a->n_groups, front);
        for (size_t g = 0; g < a->n_groups; g++)
            a->groups[g].on_front = front[g];
    }
    free(x);
    free(y);
    free(front);
}

/* Indices (into the scanned factors) of the factors to report: all with
 * `all`, else those whose value is not the same in every group. */
static size_t varying(const scan *s, char ***split, bool all, size_t *keep)
{
    size_t n = 0;

    for (size_t f = 0; f < s->n_factors; f++) {
        bool differs = all;
        for (size_t g = 1; !differs && g < s->n_groups; g++)
            differs = split[g][f] == NULL || split[0][f] == NULL || strcmp(split[g][f], split[0][f]) != 0;
        if (differs)
            keep[n++] = f;
    }
    return n;
}

static void free_split(char ***split, size_t n_groups, size_t n_factors)
{
    for (size_t g = 0; split != NULL && g < n_groups; g++) {
        for (size_t f = 0; split[g] != NULL && f < n_factors; f++)
            free(split[g][f]);
        free(split[g]);
    }
    free(split);
}

/* Turn scan `s` (grouped by `factors`) into `a`, whose metrics are picked:
 * the factors that vary (all of them with `all`), groups, ranks, front. */
static lle_status finish(scan *s, const char *const *factors, bool all, res_analysis *a, lle_error *err)
{
    size_t keep[128];
    char ***split = calloc(s->n_groups + 1, sizeof *split);
    lle_status ret = LLE_OK;

    for (size_t g = 0; split != NULL && g < s->n_groups; g++) {
        split[g] = s->groups[g].text; /* taken over */
        s->groups[g].text = NULL;
    }
    if (split == NULL || s->n_factors > sizeof keep / sizeof keep[0]) {
        ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory analysing experiments");
        goto cleanup;
    }
    a->n_factors = varying(s, split, all, keep);
    a->factors = calloc(a->n_factors + 1, sizeof *a->factors);
    for (size_t i = 0; a->factors != NULL && i < a->n_factors; i++)
        a->factors[i] = strdup(factors[keep[i]]);
    for (size_t g = 0; g < s->n_groups; g++)
        a->n_experiments += s->groups[g].n;
    if (a->factors == NULL || !build_groups(s, split, a, keep)) {
        ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory analysing experiments");
        goto cleanup;
    }
    rank_and_front(a);
cleanup:
    free_split(split, s->n_groups, s->n_factors);
    return ret;
}

lle_status res_analysis_run(lle_results *r, const lle_results_filter *f, const lle_results_analysis_opts *o,
                            res_analysis *a, lle_error *err)
{
    const char *const *factors = NULL;
    size_t n_factors = 0;
    scan s;
    lle_status ret;

    memset(a, 0, sizeof *a);
    memset(&s, 0, sizeof s);
    a->cv_threshold = o != NULL && o->cv_threshold > 0.0 ? o->cv_threshold : 0.05;
    ret = pick_metrics(o, a, err);
    if (ret == LLE_OK)
        ret = pick_factors(o, &factors, &n_factors, err);
    if (ret == LLE_OK && n_factors > 128)
        ret = lle_fail(err, LLE_ERR_INVALID, "--by: too many factors");
    if (ret == LLE_OK)
        ret = run_scans(r, f, factors, &n_factors, 1, a->metrics, a->n_metrics, &s, err);
    if (ret == LLE_OK)
        ret = finish(&s, factors, factors != RES_AUTO_FACTORS, a, err);
    scan_free(&s);
    if (ret != LLE_OK)
        res_analysis_free(a);
    return ret;
}

lle_status res_analysis_run_each(lle_results *r, const lle_results_filter *f, const char *const *factors, size_t n,
                                 res_analysis *out, lle_error *err)
{
    scan *s = calloc(n + 1, sizeof *s);
    size_t *ones = calloc(n + 1, sizeof *ones);
    lle_status ret = LLE_OK;

    if (s == NULL || ones == NULL) {
        free(s);
        free(ones);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory analysing experiments");
    }
    for (size_t i = 0; i < n; i++) {
        const char *by[1] = {factors[i]};
        lle_results_analysis_opts o = {by, 1, NULL, 0.0};
        const char *const *picked = NULL;
        size_t n_picked = 0;
        memset(&out[i], 0, sizeof out[i]);
        out[i].cv_threshold = 0.05;
        if (ret == LLE_OK)
            ret = pick_metrics(&o, &out[i], err);
        if (ret == LLE_OK)
            ret = pick_factors(&o, &picked, &n_picked, err);
        out[i].n_metrics = 2; /* J/token and tokens/s: ranking, flags and front use only these */
        ones[i] = 1;
    }
    if (ret == LLE_OK && n > 0)
        ret = run_scans(r, f, factors, ones, n, out[0].metrics, out[0].n_metrics, s, err);
    for (size_t i = 0; ret == LLE_OK && i < n; i++)
        ret = finish(&s[i], &factors[i], true, &out[i], err);
    for (size_t i = 0; i < n; i++)
        scan_free(&s[i]);
    for (size_t i = 0; ret != LLE_OK && i < n; i++)
        res_analysis_free(&out[i]);
    free(s);
    free(ones);
    return ret;
}

void res_analysis_free(res_analysis *a)
{
    for (size_t g = 0; a->groups != NULL && g < a->n_groups; g++) {
        res_group_stats *x = &a->groups[g];
        for (size_t i = 0; x->values != NULL && i < a->n_factors; i++)
            free(x->values[i]);
        for (size_t i = 0; x->ids != NULL && i < x->n; i++)
            free(x->ids[i]);
        free(x->values);
        free(x->ids);
        free(x->label);
        free(x->stats);
        free(x->outlier);
    }
    free(a->groups);
    for (size_t i = 0; a->factors != NULL && i < a->n_factors; i++)
        free(a->factors[i]);
    free(a->factors);
    memset(a, 0, sizeof *a);
}
