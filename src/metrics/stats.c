/* stats.c — distribution statistics over latency samples: count, mean, sample
 * standard deviation, min/max and linearly interpolated percentiles (the
 * "linear" method numpy and vLLM's benchmark use). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lle/run.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Percentile q in [0,100] of sorted v[0..n). */
static double percentile(const double *v, size_t n, double q)
{
    double rank = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(rank);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double frac = rank - (double)lo;

    return v[lo] + (v[hi] - v[lo]) * frac;
}

lle_stats lle_stats_compute(const double *values, size_t n)
{
    lle_stats s;
    double *v = NULL;
    double sum = 0.0, ss = 0.0;

    memset(&s, 0, sizeof s);
    if (n == 0 || values == NULL)
        return s;
    v = malloc(n * sizeof *v);
    if (v == NULL)
        return s;
    memcpy(v, values, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    s.count = n;
    s.mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - s.mean) * (v[i] - s.mean);
    s.std = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    s.min = v[0];
    s.max = v[n - 1];
    s.p50 = percentile(v, n, 50.0);
    s.p90 = percentile(v, n, 90.0);
    s.p95 = percentile(v, n, 95.0);
    s.p99 = percentile(v, n, 99.0);
    free(v);
    return s;
}
