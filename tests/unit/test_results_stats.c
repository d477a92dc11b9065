/* test_results_stats.c — the statistics of `results analyze` against values
 * computed by hand (closed forms for df 1, 2, 4; mpmath's
 * betainc root at 30 digits for the rest): Student-t
 * critical values, mean / std / 95 % CI / CV of small samples, numpy-linear
 * quantiles, Tukey outliers and the Pareto front, including ties. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lle/results.h"
#include "results/results_internal.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void t_critical_values(void **state)
{
    (void)state;
    /* t(0.975, df): 12.7062, 4.3027, 3.1824, 2.7764, 2.2622, 2.0452, 1.9623 */
    NEAR(lle_student_t_critical(0.95, 1), 12.706204736174693, 1e-9);
    NEAR(lle_student_t_critical(0.95, 2), 4.3026527297494618, 1e-9);
    NEAR(lle_student_t_critical(0.95, 3), 3.1824463052837084, 1e-9);
    NEAR(lle_student_t_critical(0.95, 4), 2.7764451051977935, 1e-9);
    NEAR(lle_student_t_critical(0.95, 9), 2.262157162798205, 1e-9);
    NEAR(lle_student_t_critical(0.95, 29), 2.0452296421327039, 1e-9);
    NEAR(lle_student_t_critical(0.95, 1000), 1.9623390808264081, 1e-9);
    NEAR(lle_student_t_critical(0.99, 5), 4.0321429835552272, 1e-9);
    assert_true(isnan(lle_student_t_critical(0.95, 0.5)));
    assert_true(isnan(lle_student_t_critical(1.5, 3)));
}

static void group_statistics(void **state)
{
    /* 1.98, 2.00, 2.02: mean 2, s = 0.02, half-width = 4.3026527297494618 * 0.02 / sqrt(3) */
    const double v[] = {1.98, 2.00, 2.02};
    const double w[] = {1.2, 1.5, 1.8, 2.1}; /* mean 1.65, s = sqrt(0.15) = 0.387298..., t3 = 3.182446 */
    res_stats s = res_stats_of(v, 3), u = res_stats_of(w, 4), one = res_stats_of(v, 1);
    (void)state;
    NEAR(s.mean, 2.0, 1e-12);
    NEAR(s.std, 0.02, 1e-12);
    NEAR(s.ci_half, 0.0496827542350066, 1e-8);
    NEAR(s.ci_lo, 2.0 - 0.0496827542350066, 1e-8);
    NEAR(s.cv, 0.01, 1e-12);
    assert_int_equal(s.n, 3);
    NEAR(u.mean, 1.65, 1e-12);
    NEAR(u.std, 0.3872983346207417, 1e-12);
    NEAR(u.ci_half, 3.1824463052837084 * 0.3872983346207417 / 2.0, 1e-9);
    NEAR(u.cv, 0.3872983346207417 / 1.65, 1e-12);
    NEAR(one.mean, 1.98, 1e-12);
    assert_true(isnan(one.std) && isnan(one.ci_half) && isnan(one.cv));
}

static void quantiles_and_outliers(void **state)
{
    const double sorted[] = {1, 2, 3, 4, 10};
    const double v[] = {0.8, 0.808, 0.792, 0.8, 1.2}; /* Q1 0.8, Q3 0.808, fences [0.788, 0.82] */
    const double three[] = {1, 2, 100};
    bool out[5];
    (void)state;
    NEAR(res_quantile_sorted(sorted, 5, 0.25), 2.0, 1e-12);
    NEAR(res_quantile_sorted(sorted, 5, 0.9), 7.6, 1e-12); /* numpy: 4 + 0.6 * 6 */
    assert_int_equal(res_outliers(v, 5, out), 1);
    assert_true(out[4] && !out[0] && !out[1] && !out[2] && !out[3]);
    assert_int_equal(res_outliers(three, 3, out), 0); /* n < 4: never */
}

static void pareto_front(void **state)
{
    /* (J/token, tok/s): A(0.6,25) B(0.88,27) C(1.5,14) D(2,10) E(0.6,25) tie of A, F(NaN) */
    const double a[] = {0.6, 0.88, 1.5, 2.0, 0.6, NAN, 0.88};
    const double b[] = {25, 27, 14, 10, 25, 99, 26};
    bool f[7];
    (void)state;
    res_pareto(a, b, 7, f);
    assert_true(f[0] && f[1] && !f[2] && !f[3] && f[4] && !f[5] && !f[6]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_critical_values),
        cmocka_unit_test(group_statistics),
        cmocka_unit_test(quantiles_and_outliers),
        cmocka_unit_test(pareto_front),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
