/* analyze.c — `results analyze`: the groups of group.c written for people
 * (a ranked table with mean and 95 % CI of joules per output token and
 * output tokens/s, CV, n, energy method and flags; then unstable groups,
 * outliers and the Pareto front) or as JSON with every metric's statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

static size_t width_of(const res_analysis *a, size_t f)
{
    size_t w = strlen(a->factors[f]);

    for (size_t g = 0; g < a->n_groups; g++)
        if (strlen(a->groups[g].values[f]) > w)
            w = strlen(a->groups[g].values[f]);
    return w;
}

static void mean_ci(rbuf *b, const res_stats *s)
{
    char cell[96];

    if (s->n == 0)
        snprintf(cell, sizeof cell, "-");
    else if (s->n < 2)
        snprintf(cell, sizeof cell, "%.4g [n=1]", s->mean);
    else
        snprintf(cell, sizeof cell, "%.4g [%.4g, %.4g]", s->mean, s->ci_lo, s->ci_hi);
    rbuf_printf(b, "  %-30s", cell);
    if (isnan(s->cv))
        rbuf_printf(b, "  %6s", "-");
    else
        rbuf_printf(b, "  %5.1f%%", s->cv * 100.0);
}

static void text_table(const res_analysis *a, rbuf *b)
{
    const char *rank = a->metrics[a->rank_metric];

    rbuf_printf(b, "%4s", "rank");
    for (size_t f = 0; f < a->n_factors; f++)
        rbuf_printf(b, "  %-*s", (int)width_of(a, f), a->factors[f]);
    rbuf_printf(b, "  %4s  %-30s  %6s  %-30s  %6s", "n", "J/token mean [95% CI]", "CV", "out tok/s mean [95% CI]",
                "CV");
    if (a->rank_metric > 1)
        rbuf_printf(b, "  %-30s  %6s", rank, "CV");
    rbuf_puts(b, "  energy     flags\n");
    for (size_t g = 0; g < a->n_groups; g++) {
        const res_group_stats *x = &a->groups[g];
        if (x->rank > 0)
            rbuf_printf(b, "%4d", x->rank);
        else
            rbuf_printf(b, "%4s", "-");
        for (size_t f = 0; f < a->n_factors; f++)
            rbuf_printf(b, "  %-*s", (int)width_of(a, f), x->values[f]);
        rbuf_printf(b, "  %4zu", x->n);
        mean_ci(b, &x->stats[0]);
        mean_ci(b, &x->stats[1]);
        if (a->rank_metric > 1)
            mean_ci(b, &x->stats[a->rank_metric]);
        rbuf_printf(b, "  %-9s ", x->method);
        if (x->on_front)
            rbuf_puts(b, " pareto");
        if (x->unstable)
            rbuf_puts(b, " unstable");
        if (x->n < 2)
            rbuf_puts(b, " n=1");
        rbuf_putc(b, '\n');
    }
}

static void text_notes(const res_analysis *a, rbuf *b)
{
    bool any = false;

    rbuf_printf(b,
                "unstable groups (CV > %.1f%% in J/token, output tok/s or the ranking metric):", a->cv_threshold * 100);
    for (size_t g = 0; g < a->n_groups; g++)
        if (a->groups[g].unstable) {
            rbuf_printf(b, "\n  %s", a->groups[g].label);
            any = true;
        }
    rbuf_puts(b, any ? "\n" : " none\n");
    any = false;
    rbuf_puts(b, "outliers (Tukey fences, 1.5 IQR, groups of n >= 4):");
    for (size_t g = 0; g < a->n_groups; g++)
        for (size_t i = 0; i < a->groups[g].n; i++) {
            size_t shown = 0;
            for (size_t k = 0; k < a->n_metrics; k++) {
                if (!a->groups[g].outlier[i * a->n_metrics + k])
                    continue;
                if (shown++ == 0)
                    rbuf_printf(b, "\n  %s (%s): ", a->groups[g].ids[i], a->groups[g].label);
                rbuf_printf(b, "%s%s", shown > 1 ? ", " : "", a->metrics[k]);
                any = true;
            }
        }
    rbuf_puts(b, any ? "\n" : " none\n");
    any = false;
    rbuf_puts(b, "Pareto front (lowest J/token for its output tok/s):");
    for (size_t g = 0; g < a->n_groups; g++)
        if (a->groups[g].on_front) {
            rbuf_printf(b, "\n  %s: %.4g J/token, %.4g tok/s", a->groups[g].label, a->groups[g].stats[0].mean,
                        a->groups[g].stats[1].mean);
            any = true;
        }
    rbuf_puts(b, any ? "\n" : " none (no group has both figures)\n");
}

static void analyze_text(const res_analysis *a, rbuf *b)
{
    const res_field *rf = &RES_FIELDS[res_field_index(a->metrics[a->rank_metric])];

    rbuf_printf(b, "%zu completed experiment%s in %zu group%s; factors that vary:", a->n_experiments,
                a->n_experiments == 1 ? "" : "s", a->n_groups, a->n_groups == 1 ? "" : "s");
    for (size_t f = 0; f < a->n_factors; f++)
        rbuf_printf(b, "%s%s", f ? ", " : " ", a->factors[f]);
    rbuf_printf(b, "%s\nranked by %s (%s, %s is better); 95%% CI = mean ± t(0.975, n−1)·s/√n; CV = s/|mean|\n",
                a->n_factors ? "" : " none", rf->name, rf->unit, rf->better == RB_HIGHER ? "higher" : "lower");
    if (a->n_groups == 0) {
        rbuf_puts(b, "no completed experiments match\n");
        return;
    }
    text_table(a, b);
    text_notes(a, b);
}

static cJSON *num(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *stats_json(const res_analysis *a, const res_group_stats *g, size_t k)
{
    const res_stats *s = &g->stats[k];
    cJSON *o = cJSON_CreateObject(), *out;

    cJSON_AddNumberToObject(o, "n", (double)s->n);
    cJSON_AddItemToObject(o, "mean", num(s->mean));
    cJSON_AddItemToObject(o, "std", num(s->std));
    cJSON_AddItemToObject(o, "ci95_low", num(s->ci_lo));
    cJSON_AddItemToObject(o, "ci95_high", num(s->ci_hi));
    cJSON_AddItemToObject(o, "ci95_half_width", num(s->ci_half));
    cJSON_AddItemToObject(o, "cv", num(s->cv));
    cJSON_AddItemToObject(o, "min", num(s->min));
    cJSON_AddItemToObject(o, "max", num(s->max));
    out = cJSON_AddArrayToObject(o, "outliers");
    for (size_t i = 0; i < g->n; i++)
        if (g->outlier[i * a->n_metrics + k])
            cJSON_AddItemToArray(out, cJSON_CreateString(g->ids[i]));
    return o;
}

static cJSON *group_json(const res_analysis *a, const res_group_stats *g)
{
    cJSON *o = cJSON_CreateObject(), *fv, *ids, *m;

    if (g->rank > 0)
        cJSON_AddNumberToObject(o, "rank", g->rank);
    else
        cJSON_AddNullToObject(o, "rank");
    cJSON_AddStringToObject(o, "label", g->label);
    fv = cJSON_AddObjectToObject(o, "factors");
    for (size_t f = 0; f < a->n_factors; f++)
        cJSON_AddStringToObject(fv, a->factors[f], g->values[f]);
    cJSON_AddNumberToObject(o, "n", (double)g->n);
    cJSON_AddStringToObject(o, "energy_method", g->method);
    cJSON_AddBoolToObject(o, "unstable", g->unstable);
    cJSON_AddBoolToObject(o, "pareto", g->on_front);
    ids = cJSON_AddArrayToObject(o, "ids");
    for (size_t i = 0; i < g->n; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(g->ids[i]));
    m = cJSON_AddObjectToObject(o, "metrics");
    for (size_t k = 0; k < a->n_metrics; k++)
        cJSON_AddItemToObject(m, a->metrics[k], stats_json(a, g, k));
    return o;
}

static cJSON *analyze_json(const res_analysis *a)
{
    const res_field *rf = &RES_FIELDS[res_field_index(a->metrics[a->rank_metric])];
    cJSON *o = cJSON_CreateObject(), *arr;

    cJSON_AddNumberToObject(o, "experiments", (double)a->n_experiments);
    arr = cJSON_AddArrayToObject(o, "factors");
    for (size_t f = 0; f < a->n_factors; f++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(a->factors[f]));
    cJSON_AddStringToObject(o, "rank_metric", rf->name);
    cJSON_AddStringToObject(o, "rank_unit", rf->unit);
    cJSON_AddStringToObject(o, "better", rf->better == RB_HIGHER ? "higher" : "lower");
    cJSON_AddNumberToObject(o, "ci_level", 0.95);
    cJSON_AddStringToObject(o, "ci_method", "Student t: mean ± t(0.975, n-1)·std/sqrt(n), std with n-1");
    cJSON_AddNumberToObject(o, "cv_threshold", a->cv_threshold);
    cJSON_AddStringToObject(o, "outlier_rule", "Tukey fences: outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR], n >= 4");
    cJSON_AddStringToObject(o, "pareto", "group means: j_per_output_token lower, output_tokens_per_s higher");
    arr = cJSON_AddArrayToObject(o, "groups");
    for (size_t g = 0; g < a->n_groups; g++)
        cJSON_AddItemToArray(arr, group_json(a, &a->groups[g]));
    return o;
}

lle_status lle_results_analyze(lle_results *r, const lle_results_filter *f, const lle_results_analysis_opts *o,
                               lle_results_format fmt, char **out, size_t *out_len, lle_error *err)
{
    res_analysis a;
    rbuf b = {0};
    cJSON *js = NULL;
    char *text = NULL;
    lle_status ret;

    if (r == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_analyze: handle and out are required");
    *out = NULL;
    ret = res_analysis_run(r, f, o, &a, err);
    if (ret != LLE_OK)
        return ret;
    if (fmt == LLE_RESULTS_JSON) {
        js = analyze_json(&a);
        text = js != NULL ? cJSON_Print(js) : NULL;
        if (text != NULL)
            rbuf_printf(&b, "%s\n", text);
        else
            b.oom = true;
    } else {
        analyze_text(&a, &b);
    }
    ret = rbuf_take(&b, out, out_len, err);
    free(text);
    cJSON_Delete(js);
    res_analysis_free(&a);
    return ret;
}
