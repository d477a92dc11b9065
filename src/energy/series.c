/* series.c — the meter's time series out: every sampled value (power per
 * source, CPU and GPU utilisation, memory, temperature, clocks) as long rows
 * (t_s, source, metric, value), to a CSV file (atomic write) or into the
 * results database's timeseries table. t_s counts from an origin the caller
 * gives (usually the measured window's start), so samples before it (the idle
 * baseline) have negative times. Missing values (NaN) are left out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/energy_internal.h"
#include "store/store_timeseries.h"

typedef struct ts_iter {
    const lle_meter *m;
    double origin;
    size_t row, col;
} ts_iter;

static bool ts_next(void *user, lle_ts_row *out)
{
    ts_iter *it = user;
    const lle_meter *m = it->m;
    size_t width = 1 + m->n_series;

    while (it->row < m->n_rows) {
        const double *row = m->rows + it->row * width;
        while (it->col < m->n_series) {
            const mseries *s = &m->series[it->col];
            double v = row[1 + it->col++];
            if (isnan(v) || isinf(v))
                continue;
            out->t_s = row[0] - it->origin;
            out->source = m->ch[s->ch].d.id;
            out->metric = s->aux >= 0 ? m->ch[s->ch].d.aux[s->aux] : "power_w";
            out->value = v;
            return true;
        }
        it->row++;
        it->col = 0;
    }
    return false;
}

static bool append(char **buf, size_t *len, size_t *cap, const char *text, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*cap + n + 1) * 2;
        char *p = realloc(*buf, c);
        if (p == NULL)
            return false;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, text, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

lle_status lle_meter_timeseries_csv(lle_meter *m, const char *path, double origin_s, lle_error *err)
{
    static const char header[] = "t_s,source,metric,value\n";
    ts_iter it = {m, origin_s, 0, 0};
    lle_ts_row r;
    char *buf = NULL, line[256];
    size_t len = 0, cap = 0;
    bool ok;
    lle_status st;

    pthread_mutex_lock(&m->mu);
    ok = append(&buf, &len, &cap, header, sizeof header - 1);
    while (ok && ts_next(&it, &r)) {
        int n = snprintf(line, sizeof line, "%.6f,%s,%s,%.15g\n", r.t_s, r.source, r.metric, r.value);
        ok = n > 0 && (size_t)n < sizeof line && append(&buf, &len, &cap, line, (size_t)n);
    }
    pthread_mutex_unlock(&m->mu);
    if (!ok)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory writing the time series %s", path);
    else
        st = lle_write_file_atomic(path, buf, len, err);
    free(buf);
    return st;
}

lle_status lle_meter_timeseries_store(lle_meter *m, lle_store *s, const char *experiment_id, double origin_s,
                                      lle_error *err)
{
    ts_iter it = {m, origin_s, 0, 0};
    lle_status st;

    pthread_mutex_lock(&m->mu);
    st = lle_store_put_timeseries(s, experiment_id, ts_next, &it, err);
    pthread_mutex_unlock(&m->mu);
    return st;
}
