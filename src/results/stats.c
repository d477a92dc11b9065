/* stats.c — the statistics of the analysis: the Student-t critical value
 * (inverting the regularised incomplete beta function, evaluated by Lentz's
 * continued fraction), mean / sample standard deviation / 95 % confidence
 * interval / coefficient of variation of a group, numpy-style linear
 * quantiles, Tukey-fence outliers and the Pareto front of two objectives.
 * Formulas are stated in docs/results.md and checked against hand-computed
 * values in tests/unit/test_results_stats.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/results_internal.h"

/* Continued fraction of I_x(a, b) (modified Lentz, as in Numerical Recipes'
 * betacf, written from the published recurrence). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), h;

    d = fabs(d) < tiny ? tiny : d;
    d = 1.0 / d;
    h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m, num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)), del;
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps)
            break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b), 0 <= x <= 1. */
static double inc_beta(double a, double b, double x)
{
    double front;

    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

double lle_student_t_critical(double level, double df)
{
    /* The analysis asks for the same df for every metric of a group: the
     * last answer of this thread is kept. */
    static _Thread_local double last_level = -1.0, last_df = -1.0, last_t = NAN;
    double alpha = 1.0 - level, lo = 0.0, hi = 1.0, x;

    if (!(df >= 1.0) || !(level > 0.0 && level < 1.0))
        return NAN;
    if (level == last_level && df == last_df)
        return last_t;
    /* P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t²): increasing in x. */
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (inc_beta(df / 2.0, 0.5, mid) < alpha)
            lo = mid;
        else
            hi = mid;
    }
    x = 0.5 * (lo + hi);
    last_level = level;
    last_df = df;
    last_t = sqrt(df * (1.0 - x) / x);
    return last_t;
}

res_stats res_stats_of(const double *v, size_t n)
{
    res_stats s;
    double sum = 0.0, ss = 0.0;

    memset(&s, 0, sizeof s);
    s.n = n;
    s.ci_half = s.ci_lo = s.ci_hi = s.cv = s.std = NAN;
    if (n == 0) {
        s.mean = s.min = s.max = NAN;
        return s;
    }
    s.min = s.max = v[0];
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        s.min = v[i] < s.min ? v[i] : s.min;
        s.max = v[i] > s.max ? v[i] : s.max;
    }
    s.mean = sum / (double)n;
    if (n < 2)
        return s;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - s.mean) * (v[i] - s.mean);
    s.std = sqrt(ss / (double)(n - 1));
    s.ci_half = lle_student_t_critical(0.95, (double)(n - 1)) * s.std / sqrt((double)n);
    s.ci_lo = s.mean - s.ci_half;
    s.ci_hi = s.mean + s.ci_half;
    s.cv = s.mean != 0.0 ? s.std / fabs(s.mean) : NAN;
    return s;
}

double res_quantile_sorted(const double *sorted, size_t n, double q)
{
    double pos, frac;
    size_t lo;

    if (n == 0)
        return NAN;
    pos = q * (double)(n - 1);
    lo = (size_t)pos;
    frac = pos - (double)lo;
    return lo + 1 < n ? sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]) : sorted[n - 1];
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* The k-th smallest of a[0..n) (0-based; a is reordered so that every
 * element after position k is >= it): quickselect, O(n) on average. */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;

    while (lo < hi) {
        double pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap_d(&a[i], &a[j]);
            i++;
            j--;
        }
        /* a[lo..j] <= pivot <= a[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    return a[k];
}

/* res_quantile_sorted of the values in a[0..n) without sorting them all:
 * the two order statistics it interpolates between are selected. */
static double quantile_select(double *a, size_t n, double q)
{
    double pos = q * (double)(n - 1), frac, x, y;
    size_t lo = (size_t)pos;

    frac = pos - (double)lo;
    if (lo + 1 >= n)
        return select_kth(a, n, n - 1);
    x = select_kth(a, n, lo);
    y = a[lo + 1];
    for (size_t i = lo + 2; i < n; i++)
        y = a[i] < y ? a[i] : y;
    return x + frac * (y - x);
}

size_t res_outliers(const double *v, size_t n, bool *outlier)
{
    double *s, q1, q3, iqr;
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        outlier[i] = false;
    if (n < 4 || (s = malloc(n * sizeof *s)) == NULL)
        return 0;
    memcpy(s, v, n * sizeof *s);
    q1 = quantile_select(s, n, 0.25);
    q3 = quantile_select(s, n, 0.75);
    iqr = q3 - q1;
    for (size_t i = 0; i < n; i++) {
        outlier[i] = v[i] < q1 - 1.5 * iqr || v[i] > q3 + 1.5 * iqr;
        k += outlier[i];
    }
    free(s);
    return k;
}

typedef struct pareto_pt {
    double a, b;
    size_t i;
} pareto_pt;

static int cmp_pt(const void *x, const void *y)
{
    const pareto_pt *p = x, *q = y;
    if (p->a != q->a)
        return (p->a > q->a) - (p->a < q->a);
    return (p->b < q->b) - (p->b > q->b); /* b descending within equal a */
}

void res_pareto(const double *a, const double *b, size_t n, bool *front)
{
    pareto_pt *p = malloc((n + 1) * sizeof *p);
    size_t m = 0;
    double best_b = -INFINITY;

    for (size_t i = 0; i < n; i++)
        front[i] = false;
    if (p == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i]))
            p[m++] = (pareto_pt){a[i], b[i], i};
    qsort(p, m, sizeof *p, cmp_pt);
    /* Sweep by a ascending: a point is on the front when its b beats every b
     * seen at a smaller a; equal (a, b) points share the verdict. */
    for (size_t k = 0; k < m;) {
        size_t end = k;
        double top = p[k].b;
        while (end < m && p[end].a == p[k].a)
            end++;
        for (size_t j = k; j < end; j++)
            front[p[j].i] = top > best_b && p[j].b == top;
        best_b = top > best_b ? top : best_b;
        k = end;
    }
    free(p);
}
