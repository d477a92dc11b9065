/* test_stats.c — distribution statistics against hand-computed values
 * (numpy's linear percentile method, sample standard deviation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "lle/run.h"

static void test_empty(void **state)
{
    lle_stats s = lle_stats_compute(NULL, 0);

    (void)state;
    assert_int_equal(s.count, 0);
    assert_true(s.mean == 0.0 && s.max == 0.0);
}

static void test_single(void **state)
{
    double v[] = {2.5};
    lle_stats s = lle_stats_compute(v, 1);

    (void)state;
    assert_int_equal(s.count, 1);
    assert_true(s.mean == 2.5 && s.p50 == 2.5 && s.p99 == 2.5 && s.std == 0.0);
}

static void test_known_values(void **state)
{
    /* unsorted on purpose; sorted: 1 2 3 4 5 6 7 8 9 10 */
    double v[] = {10, 3, 1, 7, 2, 9, 4, 8, 6, 5};
    lle_stats s = lle_stats_compute(v, 10);

    (void)state;
    assert_int_equal(s.count, 10);
    assert_true(fabs(s.mean - 5.5) < 1e-12);
    /* sample std of 1..10 = sqrt(82.5/9) */
    assert_true(fabs(s.std - sqrt(82.5 / 9.0)) < 1e-12);
    assert_true(s.min == 1.0 && s.max == 10.0);
    /* numpy.percentile(range(1,11), q): 50 -> 5.5, 90 -> 9.1, 95 -> 9.55, 99 -> 9.91 */
    assert_true(fabs(s.p50 - 5.5) < 1e-12);
    assert_true(fabs(s.p90 - 9.1) < 1e-12);
    assert_true(fabs(s.p95 - 9.55) < 1e-12);
    assert_true(fabs(s.p99 - 9.91) < 1e-12);
    /* input untouched */
    assert_true(v[0] == 10.0 && v[9] == 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_known_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
