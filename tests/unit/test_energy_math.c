/* test_energy_math.c — the energy module's pure maths: counter integration
 * with one and many wraparounds (to 0.1 % of the scripted integral), a counter
 * going backwards without a plausible wrap (flagged, not absorbed), reading
 * gaps that may hide a wrap, the trapezoid rule, net energy over an idle
 * baseline, carbon (kWh x intensity x PUE, intensity from CodeCarbon's data),
 * and the CPU-model to TDP look-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "energy/energy_internal.h"

static void near(double got, double want, double rel)
{
    if (fabs(got - want) > rel * fabs(want) + 1e-12)
        fail_msg("got %.9g, want %.9g (tolerance %.3g %%)", got, want, rel * 100.0);
}

/* A RAPL-like counter: microjoules, wrapping after `range_j` joules. */
static double feed_constant_power(lle_ctr *c, double watts, double dt, int steps, double range_j)
{
    uint64_t modulus = (uint64_t)(range_j * 1e6);
    double e = 0.0;

    lle_ctr_init(c, modulus, 1e-6, 2000.0);
    for (int i = 0; i <= steps; i++) {
        uint64_t raw = (uint64_t)fmod(e * 1e6, (double)modulus);
        lle_ctr_feed(c, raw, i * dt);
        e += watts * dt;
    }
    return watts * dt * steps;
}

static void test_counter_no_wrap(void **state)
{
    lle_ctr c;
    double want = feed_constant_power(&c, 150.0, 0.1, 100, 1e6);

    (void)state;
    near(c.acc_j, want, 1e-3);
    assert_int_equal(c.wraps, 0);
    assert_int_equal(c.anomalies, 0);
}

static void test_counter_one_wrap(void **state)
{
    lle_ctr c;
    double want;

    (void)state;
    lle_ctr_init(&c, 1000000000ULL, 1e-6, 2000.0); /* wraps after 1000 J */
    lle_ctr_feed(&c, 999000000ULL, 0.0);           /* 999 J */
    lle_ctr_feed(&c, 5000000ULL, 0.1);             /* 6 J later, past the wrap */
    want = 6.0;
    near(c.acc_j, want, 1e-3);
    assert_int_equal(c.wraps, 1);
    assert_int_equal(c.anomalies, 0);
}

static void test_counter_many_wraps(void **state)
{
    lle_ctr c;
    /* 180 W for 120 s at 0.5 s readings over a 1000 J range: 21 wraps. */
    double want = feed_constant_power(&c, 180.0, 0.5, 240, 1000.0);

    (void)state;
    near(c.acc_j, want, 1e-3);
    assert_int_equal(c.wraps, 21);
    assert_int_equal(c.anomalies, 0);
}

static void test_counter_varying_power_wraps(void **state)
{
    lle_ctr c;
    uint64_t modulus = 500000000ULL; /* 500 J */
    double e = 0.0, want = 0.0;

    (void)state;
    lle_ctr_init(&c, modulus, 1e-6, 2000.0);
    for (int i = 0; i <= 2000; i++) {
        double t = i * 0.1, p = 100.0 + 80.0 * sin(t / 7.0);
        lle_ctr_feed(&c, (uint64_t)fmod(e * 1e6, (double)modulus), t);
        e += p * 0.1;
        if (i < 2000)
            want += p * 0.1;
    }
    near(c.acc_j, want, 1e-3);
    assert_true(c.wraps >= 39);
}

static void test_counter_backwards_flagged(void **state)
{
    lle_ctr c;

    (void)state;
    lle_ctr_init(&c, 1000000000ULL, 1e-6, 2000.0);
    lle_ctr_feed(&c, 500000000ULL, 0.0); /* 500 J */
    lle_ctr_feed(&c, 510000000ULL, 0.1); /* +10 J */
    lle_ctr_feed(&c, 100000000ULL, 0.2); /* back to 100 J: a wrap would mean 590 J in 0.1 s */
    lle_ctr_feed(&c, 105000000ULL, 0.3); /* +5 J from the new base */
    near(c.acc_j, 15.0, 1e-9);
    assert_int_equal(c.anomalies, 1);
    assert_int_equal(c.wraps, 0);
    assert_non_null(strstr(c.note, "backwards"));
}

static void test_counter_backwards_without_modulus(void **state)
{
    lle_ctr c;

    (void)state;
    lle_ctr_init(&c, 0, 1e-3, 0.0); /* NVML: 64-bit mJ, never wraps */
    lle_ctr_feed(&c, 1000, 0.0);
    lle_ctr_feed(&c, 900, 1.0);
    lle_ctr_feed(&c, 1900, 2.0);
    near(c.acc_j, 1.0, 1e-9);
    assert_int_equal(c.anomalies, 1);
}

static void test_counter_gap_flagged(void **state)
{
    lle_ctr c;

    (void)state;
    lle_ctr_init(&c, 1000000000ULL, 1e-6, 2000.0); /* 1000 J at 2 kW: a wrap every 0.5 s at most */
    lle_ctr_feed(&c, 0, 0.0);
    lle_ctr_feed(&c, 100000000ULL, 2.0);
    assert_int_equal(c.gaps, 1);
    assert_non_null(strstr(c.note, "wraps may be missed"));
}

static void test_trapezoid_and_net(void **state)
{
    (void)state;
    near(lle_trapezoid_j(100.0, 1.0, 300.0, 3.0), 400.0, 1e-12);
    assert_true(lle_trapezoid_j(100.0, 3.0, 300.0, 1.0) == 0.0);
    near(lle_net_energy_j(100.0, 20.0, 3.0), 40.0, 1e-12);
    near(lle_net_energy_j(100.0, NAN, 3.0), 100.0, 1e-12);
    near(lle_net_energy_j(10.0, 20.0, 3.0), -50.0, 1e-12); /* below idle: reported, not clamped */
}

static void test_carbon(void **state)
{
    lle_carbon c;
    lle_error err;
    char dir[4200];

    (void)state;
    snprintf(dir, sizeof dir, "%s/data", getenv("LLE_SRC"));
    setenv("LLE_DATA_DIR", dir, 1);
    assert_int_equal(lle_carbon_resolve(NULL, 0.0, &c, &err), LLE_OK);
    assert_true(c.intensity_g_per_kwh == 475.0 && c.pue == 1.0);
    assert_string_equal(c.region, "world");
    c.pue = 1.5;
    near(lle_carbon_grams(3.6e6, &c), 712.5, 1e-12); /* 1 kWh x 475 x 1.5 */
    assert_int_equal(lle_carbon_resolve("100", 1.2, &c, &err), LLE_OK);
    near(lle_carbon_grams(7.2e6, &c), 240.0, 1e-12);
    assert_int_equal(lle_carbon_resolve("FRA", 1.0, &c, &err), LLE_OK);
    near(c.intensity_g_per_kwh, 56.039, 1e-9);
    assert_non_null(strstr(c.source, "France"));
    assert_int_equal(lle_carbon_resolve("fra", 1.0, &c, &err), LLE_OK);
    assert_int_equal(lle_carbon_resolve("europe-west1", 1.0, &c, &err), LLE_OK);
    near(c.intensity_g_per_kwh, 122.0, 1e-12);
    assert_int_equal(lle_carbon_resolve("Atlantis", 1.0, &c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "Atlantis"));
    assert_int_equal(lle_carbon_resolve("-3", 1.0, &c, &err), LLE_ERR_INVALID);
    assert_int_equal(lle_carbon_resolve(NULL, 0.5, &c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "PUE"));
}

static void test_tdp_lookup(void **state)
{
    char path[4200], matched[256];
    double tdp = 0.0;
    lle_error err;

    (void)state;
    snprintf(path, sizeof path, "%s/data/codecarbon/cpu_power.csv", getenv("LLE_SRC"));
    assert_int_equal(
        lle_tdp_lookup(path, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", &tdp, matched, sizeof matched, &err), LLE_OK);
    assert_true(tdp == 125.0);
    assert_string_equal(matched, "Intel Xeon Gold 6230");
    assert_int_equal(lle_tdp_lookup(path, "AMD EPYC 7763 64-Core Processor", &tdp, matched, sizeof matched, &err),
                     LLE_OK);
    assert_true(tdp == 280.0);
    assert_int_equal(lle_tdp_lookup(path, "AMD Ryzen 9 5950X 16-Core Processor", &tdp, matched, sizeof matched, &err),
                     LLE_OK);
    assert_true(tdp == 105.0);
    /* a virtual machine's generic name matches nothing rather than a wrong Xeon */
    assert_int_equal(lle_tdp_lookup(path, "Intel(R) Xeon(R) Processor", &tdp, matched, sizeof matched, &err),
                     LLE_ERR_NOT_FOUND);
    assert_int_equal(lle_tdp_lookup("/nonexistent/cpu_power.csv", "x", &tdp, matched, sizeof matched, &err),
                     LLE_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "LLE_DATA_DIR"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_no_wrap),
        cmocka_unit_test(test_counter_one_wrap),
        cmocka_unit_test(test_counter_many_wraps),
        cmocka_unit_test(test_counter_varying_power_wraps),
        cmocka_unit_test(test_counter_backwards_flagged),
        cmocka_unit_test(test_counter_backwards_without_modulus),
        cmocka_unit_test(test_counter_gap_flagged),
        cmocka_unit_test(test_trapezoid_and_net),
        cmocka_unit_test(test_carbon),
        cmocka_unit_test(test_tdp_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
