/* solve.c — the exact linear fit of a ubatch's FLOPs. Every per-node rule is
 * a product of tensor dimensions, and in a decoder's graph each dimension is a
 * constant, the ubatch's token count, its output-row count or the KV span, so
 * the count is a polynomial in those with integer coefficients; for the
 * graphs llama.cpp builds it is linear in (1, tokens, outputs, tokens × span,
 * span). The coefficients are solved per component from five calibration
 * points (Gaussian elimination, rounded to integers) and then *required* to
 * reproduce every calibration and check point exactly — the proof that the
 * fit is the count, not an approximation of it. */
#include <math.h>
#include <string.h>

#include "common/util.h"
#include "flops/flops_internal.h"

#define N LLE_FLOPS_N_TERMS

void lle_flops_terms(uint32_t n_tokens, uint32_t n_outputs, uint32_t kv_span, int64_t v[N])
{
    v[LLE_FLOPS_TERM_CONST] = 1;
    v[LLE_FLOPS_TERM_TOKENS] = n_tokens;
    v[LLE_FLOPS_TERM_OUTPUTS] = n_outputs;
    v[LLE_FLOPS_TERM_TOKENS_KV] = (int64_t)n_tokens * kv_span;
    v[LLE_FLOPS_TERM_KV] = kv_span;
}

/* Solve a·x = b in place (a is N×N, b has n_rhs columns); false if singular. */
static bool gauss(long double a[N][N], long double b[N][LLE_FLOPS_N_PARTS])
{
    for (int c = 0; c < N; c++) {
        int p = c;
        for (int r = c + 1; r < N; r++)
            if (fabsl(a[r][c]) > fabsl(a[p][c]))
                p = r;
        if (fabsl(a[p][c]) < 1e-9L)
            return false;
        for (int k = 0; k < N; k++) {
            long double t = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = t;
        }
        for (int k = 0; k < LLE_FLOPS_N_PARTS; k++) {
            long double t = b[c][k];
            b[c][k] = b[p][k];
            b[p][k] = t;
        }
        for (int r = 0; r < N; r++) {
            long double f;
            if (r == c || a[r][c] == 0.0L)
                continue;
            f = a[r][c] / a[c][c];
            for (int k = c; k < N; k++)
                a[r][k] -= f * a[c][k];
            for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
                b[r][k] -= f * b[c][k];
        }
    }
    for (int r = 0; r < N; r++)
        for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
            b[r][k] /= a[r][r];
    return true;
}

/* Exact fit value of part k at a point's shape (integer arithmetic). */
static int64_t fit_part(const lle_flops_fit *fit, int k, const lle_flops_point *p)
{
    int64_t v[N], s = 0;

    lle_flops_terms(p->n_tokens, p->n_outputs, p->kv_span, v);
    for (int t = 0; t < N; t++)
        s += fit->coef[k][t] * v[t];
    return s;
}

static lle_status check_points(const lle_flops_fit *fit, const lle_flops_point *pts, int n_pts, lle_error *err)
{
    for (int i = 0; i < n_pts; i++) {
        for (int k = 0; k < LLE_FLOPS_N_PARTS; k++) {
            int64_t want = (int64_t)pts[i].parts.part[k], got = fit_part(fit, k, &pts[i]);
            if (got != want)
                return lle_fail(err, LLE_ERR_UNSUPPORTED,
                                "the %s FLOPs of this model's graph are not linear in the ubatch shape: at %u "
                                "tokens, %u outputs, KV span %u the fit gives %lld, the graph counts %lld",
                                lle_flops_part_name((lle_flops_part)k), pts[i].n_tokens, pts[i].n_outputs,
                                pts[i].kv_span, (long long)got, (long long)want);
        }
    }
    return LLE_OK;
}

lle_status lle_flops_solve(const lle_flops_point *pts, int n_pts, lle_flops_fit *fit, lle_error *err)
{
    long double a[N][N], b[N][LLE_FLOPS_N_PARTS];

    if (n_pts < N)
        return lle_fail(err, LLE_ERR_INTERNAL, "FLOPs fit needs %d points, got %d", N, n_pts);
    for (int r = 0; r < N; r++) {
        int64_t v[N];
        lle_flops_terms(pts[r].n_tokens, pts[r].n_outputs, pts[r].kv_span, v);
        for (int c = 0; c < N; c++)
            a[r][c] = (long double)v[c];
        for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
            b[r][k] = (long double)pts[r].parts.part[k];
    }
    if (!gauss(a, b))
        return lle_fail(err, LLE_ERR_UNSUPPORTED,
                        "FLOPs calibration points do not determine the fit (KV spans %u and %u); "
                        "llama.cpp's KV padding is not what the calibration expects",
                        pts[0].kv_span, pts[N - 1].kv_span);
    for (int t = 0; t < N; t++)
        for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
            fit->coef[k][t] = (int64_t)llroundl(b[t][k]);
    fit->n_fit_points = N;
    fit->n_check_points = (uint32_t)(n_pts - N);
    return check_points(fit, pts, n_pts, err);
}
