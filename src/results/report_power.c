/* report_power.c — the power series of the report: for each selected
 * experiment (newest first, at most RES_REPORT_MAX_POWER) the power_w samples
 * of every source from the timeseries table (t_s counts from the measured
 * window's start, as the batch windows do), averaged into at most
 * RES_REPORT_MAX_POINTS time buckets, written as a JSON island the page parses
 * only when that experiment's chart is drawn; and the index of those
 * experiments (label, energy method) in the data object. The ids with
 * samples are read first, so experiments without any cost no query. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/report.h"

#define MAX_SOURCES 16

typedef struct sample {
    double t, v;
    int src;
} sample;

typedef struct samples {
    sample *s;
    size_t n, cap;
    char *names[MAX_SOURCES];
    int n_names;
} samples;

void res_put_script_json(rbuf *b, const char *json, size_t len)
{
    const char *run = json;

    for (const char *p = json; p < json + len; p++) {
        if (*p != '<')
            continue;
        rbuf_put(b, run, (size_t)(p - run));
        rbuf_puts(b, "\\u003c");
        run = p + 1;
    }
    rbuf_put(b, run, (size_t)(json + len - run));
}

static int source_index(samples *x, const char *name)
{
    for (int i = 0; i < x->n_names; i++)
        if (strcmp(x->names[i], name) == 0)
            return i;
    if (x->n_names == MAX_SOURCES || (x->names[x->n_names] = strdup(name)) == NULL)
        return -1;
    return x->n_names++;
}

static void samples_reset(samples *x)
{
    for (int i = 0; i < x->n_names; i++)
        free(x->names[i]);
    x->n_names = 0;
    x->n = 0;
}

static lle_status read_samples(lle_results *r, sqlite3_stmt *st, const char *id, samples *x, lle_error *err)
{
    int rc;

    samples_reset(x);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *src = (const char *)sqlite3_column_text(st, 1);
        int k = source_index(x, src != NULL ? src : "?");
        if (k < 0 || sqlite3_column_type(st, 2) == SQLITE_NULL)
            continue;
        if (x->n == x->cap) {
            size_t cap = x->cap ? x->cap * 2 : 1024;
            sample *g = realloc(x->s, cap * sizeof *g);
            if (g == NULL)
                return lle_fail(err, LLE_ERR_NOMEM, "out of memory reading power samples");
            x->s = g;
            x->cap = cap;
        }
        x->s[x->n++] = (sample){sqlite3_column_double(st, 0), sqlite3_column_double(st, 2), k};
    }
    return rc == SQLITE_DONE ? LLE_OK : res_sql_fail(r, rc, "reading power samples", err);
}

/* {"t":[...],"series":{"src":[...]},"phases":...} with samples averaged per
 * bucket of consecutive distinct times. */
static void series_json(const samples *x, const char *phases, rbuf *b)
{
    size_t n_t = 0, nb, k = 0;
    double *sum, *cnt, *tsum, *tcnt;

    for (size_t i = 0; i < x->n; i++)
        n_t += i == 0 || x->s[i].t != x->s[i - 1].t;
    nb = n_t < RES_REPORT_MAX_POINTS ? n_t : RES_REPORT_MAX_POINTS;
    sum = calloc(nb * MAX_SOURCES + 1, sizeof *sum);
    cnt = calloc(nb * MAX_SOURCES + 1, sizeof *cnt);
    tsum = calloc(nb + 1, sizeof *tsum);
    tcnt = calloc(nb + 1, sizeof *tcnt);
    if (sum == NULL || cnt == NULL || tsum == NULL || tcnt == NULL) {
        b->oom = true;
        goto cleanup;
    }
    for (size_t i = 0, j = 0; i < x->n; i++) {
        if (i > 0 && x->s[i].t != x->s[i - 1].t)
            j++;
        k = j * nb / n_t;
        if (i == 0 || x->s[i].t != x->s[i - 1].t) {
            tsum[k] += x->s[i].t;
            tcnt[k]++;
        }
        sum[k * MAX_SOURCES + (size_t)x->s[i].src] += x->s[i].v;
        cnt[k * MAX_SOURCES + (size_t)x->s[i].src]++;
    }
    rbuf_puts(b, "{\"t\":[");
    for (size_t j = 0; j < nb; j++) {
        rbuf_puts(b, j ? "," : "");
        rbuf_double(b, tsum[j] / tcnt[j]);
    }
    rbuf_puts(b, "],\"series\":{");
    for (int s = 0; s < x->n_names; s++) {
        rbuf_puts(b, s ? "," : "");
        rbuf_json_string(b, x->names[s]);
        rbuf_puts(b, ":[");
        for (size_t j = 0; j < nb; j++) {
            double c = cnt[j * MAX_SOURCES + (size_t)s];
            rbuf_puts(b, j ? "," : "");
            if (c > 0 && isfinite(sum[j * MAX_SOURCES + (size_t)s] / c))
                rbuf_double(b, sum[j * MAX_SOURCES + (size_t)s] / c);
            else
                rbuf_puts(b, "null");
        }
        rbuf_putc(b, ']');
    }
    rbuf_printf(b, "},\"phases\":%s}", phases != NULL && phases[0] == '[' ? phases : "[]");
cleanup:
    free(sum);
    free(cnt);
    free(tsum);
    free(tcnt);
}

/* The ids of experiments with power samples, sorted (malloc'd strings). */
typedef struct idset {
    char **ids;
    size_t n;
} idset;

static lle_status idset_load(lle_results *r, idset *set, lle_error *err)
{
    sqlite3_stmt *st = NULL;
    lle_status ret = res_prepare(r,
                                 "SELECT DISTINCT experiment_id FROM timeseries WHERE metric = 'power_w' "
                                 "ORDER BY experiment_id",
                                 &st, err);
    size_t cap = 0;
    int rc = SQLITE_DONE;

    while (ret == LLE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (set->n == cap) {
            char **grown = realloc(set->ids, (cap ? cap * 2 : 256) * sizeof *grown);
            if (grown == NULL) {
                ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading power samples");
                break;
            }
            set->ids = grown;
            cap = cap ? cap * 2 : 256;
        }
        if ((set->ids[set->n] = strdup(id != NULL ? id : "")) == NULL)
            ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading power samples");
        else
            set->n++;
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading power samples", err);
    sqlite3_finalize(st);
    return ret;
}

static bool idset_has(const idset *set, const char *id)
{
    size_t lo = 0, hi = set->n;

    while (id != NULL && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(set->ids[mid], id);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void idset_free(idset *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->ids[i]);
    free(set->ids);
}

static void index_entry(rbuf *data, size_t k, sqlite3_stmt *ids)
{
    const char *parts[4];

    for (int i = 0; i < 4; i++) {
        const unsigned char *t = sqlite3_column_text(ids, 1 + i);
        parts[i] = t != NULL ? (const char *)t : "-";
    }
    rbuf_printf(data, "%s{\"k\":%zu,\"id\":", k ? ",\n" : "\n", k);
    rbuf_json_string(data, (const char *)sqlite3_column_text(ids, 0));
    rbuf_printf(data, ",\"label\":\"%s, batch %s, %s, traffic %s\",\"method\":", parts[0], parts[1], parts[2],
                parts[3]);
    rbuf_json_string(data,
                     sqlite3_column_type(ids, 5) == SQLITE_NULL ? "none" : (const char *)sqlite3_column_text(ids, 5));
    rbuf_putc(data, '}');
}

lle_status res_report_power(lle_results *r, const lle_results_filter *f, rbuf *data, rbuf *islands, lle_error *err)
{
    sqlite3_stmt *ids = NULL, *st = NULL;
    samples x;
    idset with = {NULL, 0};
    rbuf one = {0};
    size_t k = 0;
    long long skipped = 0;
    lle_status ret = res_query(r, f,
                               "id, model_file_type, batch_size, coalesce(decoding_preset, decoding), traffic, "
                               "energy_method, batch_windows_s",
                               RES_Q_ORDERED, &ids, err);
    int rc = SQLITE_DONE;

    memset(&x, 0, sizeof x);
    if (ret == LLE_OK)
        ret = idset_load(r, &with, err);
    if (ret == LLE_OK)
        ret = res_prepare(r,
                          "SELECT t_s, source, value FROM timeseries WHERE experiment_id = ?1 AND metric = "
                          "'power_w' ORDER BY t_s, source",
                          &st, err);
    rbuf_puts(data, ",\"power\":[");
    while (ret == LLE_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        if (!idset_has(&with, (const char *)sqlite3_column_text(ids, 0)))
            continue; /* no power samples: nothing to read */
        ret = read_samples(r, st, (const char *)sqlite3_column_text(ids, 0), &x, err);
        if (ret != LLE_OK || x.n == 0)
            continue;
        if (k >= RES_REPORT_MAX_POWER) {
            skipped++;
            continue;
        }
        index_entry(data, k, ids);
        one.len = 0;
        series_json(&x, (const char *)sqlite3_column_text(ids, 6), &one);
        rbuf_printf(islands, "<script type=\"application/json\" id=\"ts-%zu\">", k++);
        res_put_script_json(islands, one.data != NULL ? one.data : "{}", one.data != NULL ? one.len : 2);
        rbuf_puts(islands, "</script>\n");
        islands->oom = islands->oom || one.oom;
    }
    if (ret == LLE_OK && rc != SQLITE_DONE)
        ret = res_sql_fail(r, rc, "reading experiments for power charts", err);
    rbuf_puts(data, "],\"power_cap\":");
    if (skipped > 0)
        rbuf_printf(data, "\"the newest %d; %lld older experiments with samples left out\"", RES_REPORT_MAX_POWER,
                    skipped);
    else
        rbuf_puts(data, "null");
    samples_reset(&x);
    free(x.s);
    idset_free(&with);
    rbuf_free(&one);
    sqlite3_finalize(st);
    sqlite3_finalize(ids);
    return ret;
}
