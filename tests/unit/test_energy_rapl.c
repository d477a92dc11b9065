/* test_energy_rapl.c — the meter over a fake powercap tree
 * ($LLE_POWERCAP_ROOT) driven by a scripted clock: zones and subzones with
 * their names and total flags, energy equal to the scripted integral to
 * 0.1 % across several wraparounds, nested windows, a counter going
 * backwards (flagged, not absorbed), a zone that disappears mid-run (partial,
 * the meter carries on), a counter that never moves (dropped, estimates take
 * over), energy_uj readable by root only (the fix is given, perf or the
 * estimate takes over), and the CSV time series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "energy/energy_internal.h"

static char g_root[256];
static double g_now;

static double test_clock(void *user)
{
    (void)user;
    return g_now;
}

static void write_file(const char *zone, const char *file, const char *text)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s/%s", g_root, zone, file);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_uj(const char *zone, double joules, double range_j)
{
    char text[64];

    snprintf(text, sizeof text, "%llu\n", (unsigned long long)fmod(joules * 1e6, range_j * 1e6));
    write_file(zone, "energy_uj", text);
}

static void make_zone(const char *zone, const char *name, double range_j)
{
    char path[600], text[64];

    snprintf(path, sizeof path, "%s/%s", g_root, zone);
    assert_int_equal(mkdir(path, 0755), 0);
    write_file(zone, "name", name);
    snprintf(text, sizeof text, "%llu\n", (unsigned long long)(range_j * 1e6) - 1ULL);
    write_file(zone, "max_energy_range_uj", text);
    write_uj(zone, 0.0, range_j);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_root, sizeof g_root, "/tmp/lle-rapl-XXXXXX");
    assert_non_null(mkdtemp(g_root));
    chmod(g_root, 0755);
    make_zone("intel-rapl:0", "package-0", 1000.0);
    make_zone("intel-rapl:0:0", "core", 1000.0);
    make_zone("intel-rapl:0:1", "dram", 1000.0);
    make_zone("intel-rapl:1", "psys", 1000.0);
    setenv("LLE_POWERCAP_ROOT", g_root, 1);
    setenv("LLE_PERF_SYSFS_ROOT", "/nonexistent-perf", 1);
    setenv("LLE_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("LLE_AMDSMI_LIBRARY", "/nonexistent/libamd_smi.so", 1);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    return system(cmd) == 0 ? 0 : -1;
}

static lle_meter *open_meter(const char *sources, double probe_s)
{
    lle_meter_opts o;
    lle_meter *m = NULL;
    lle_error err;

    lle_meter_opts_init(&o);
    o.interval_s = 0.0;
    o.probe_s = probe_s;
    o.sources = sources;
    if (lle_meter_open(&o, &m, &err) != LLE_OK)
        fail_msg("lle_meter_open: %s", err.msg);
    g_now = 0.0;
    lle_meter_set_clock(m, test_clock, NULL);
    return m;
}

static const lle_energy_reading *find(const lle_energy_window *w, const char *source)
{
    for (size_t i = 0; i < w->n_readings; i++)
        if (strcmp(w->readings[i].source, source) == 0)
            return &w->readings[i];
    fail_msg("no reading for %s", source);
    return NULL;
}

static void near(double got, double want, double rel)
{
    if (fabs(got - want) > rel * fabs(want) + 1e-9)
        fail_msg("got %.9g, want %.9g", got, want);
}

/* Power of each zone in the script (W) and its starting energy (J). */
static const double P_PKG = 150.0, P_CORE = 100.0, P_DRAM = 20.0, P_PSYS = 200.0, E0_PKG = 900.0;

static void step_to(lle_meter *m, double t)
{
    write_uj("intel-rapl:0", E0_PKG + P_PKG * t, 1000.0);
    write_uj("intel-rapl:0:0", P_CORE * t, 1000.0);
    write_uj("intel-rapl:0:1", P_DRAM * t, 1000.0);
    write_uj("intel-rapl:1", P_PSYS * t, 1000.0);
    g_now = t;
    lle_meter_tick(m);
}

static void test_zones_and_wraps(void **state)
{
    lle_meter *m = open_meter("rapl", 0.0);
    lle_meter_window *outer = NULL, *inner = NULL;
    lle_energy_window *wo = NULL, *wi = NULL;
    lle_error err;

    (void)state;
    step_to(m, 0.0);
    assert_int_equal(lle_meter_begin(m, "outer", &outer, &err), LLE_OK);
    for (int i = 1; i <= 300; i++) {
        step_to(m, i * 0.1);
        if (i == 100)
            assert_int_equal(lle_meter_begin(m, "inner", &inner, &err), LLE_OK);
        if (i == 200)
            assert_int_equal(lle_meter_end(m, inner, &wi, &err), LLE_OK);
    }
    assert_int_equal(lle_meter_end(m, outer, &wo, &err), LLE_OK);
    near(wo->duration_s, 30.0, 1e-9);
    near(find(wo, "rapl:package-0")->energy_j, P_PKG * 30.0, 1e-3);
    assert_true(find(wo, "rapl:package-0")->wraps >= 5);
    near(find(wo, "rapl:package-0/core")->energy_j, P_CORE * 30.0, 1e-3);
    near(find(wo, "rapl:package-0/dram")->energy_j, P_DRAM * 30.0, 1e-3);
    near(find(wo, "rapl:psys")->energy_j, P_PSYS * 30.0, 1e-3);
    near(find(wo, "rapl:package-0")->avg_power_w, P_PKG, 1e-3);
    near(find(wo, "rapl:package-0")->peak_power_w, P_PKG, 1e-2);
    assert_true(find(wo, "rapl:package-0")->in_total && find(wo, "rapl:package-0/dram")->in_total);
    assert_false(find(wo, "rapl:package-0/core")->in_total);
    assert_false(find(wo, "rapl:psys")->in_total); /* covers the package: not summed twice */
    assert_true(find(wo, "rapl:package-0")->method == LLE_ENERGY_MEASURED);
    near(wo->measured_j, (P_PKG + P_DRAM) * 30.0, 1e-3);
    assert_true(wo->estimated_j == 0.0);
    assert_false(wo->partial);
    near(find(wi, "rapl:package-0")->energy_j, P_PKG * 10.0, 1e-3);
    near(wi->duration_s, 10.0, 1e-9);
    lle_energy_window_free(wo);
    lle_energy_window_free(wi);
    lle_meter_close(m);
}

static void test_backwards_flagged(void **state)
{
    lle_meter *m = open_meter("rapl", 0.0);
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;
    const lle_energy_reading *r;

    (void)state;
    step_to(m, 0.0);
    assert_int_equal(lle_meter_begin(m, "w", &w, &err), LLE_OK);
    for (int i = 1; i <= 50; i++)
        step_to(m, i * 0.1);
    write_uj("intel-rapl:0", 10.0, 1000.0); /* was 900 + 750 = 650 (mod 1000): now 10 J */
    g_now = 5.05;
    lle_meter_tick(m);
    write_uj("intel-rapl:0", 10.0 + P_PKG * 0.05, 1000.0);
    g_now = 5.1;
    lle_meter_tick(m);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    r = find(ew, "rapl:package-0");
    assert_int_equal(r->anomalies, 1);
    assert_non_null(strstr(r->note, "backwards"));
    near(r->energy_j, P_PKG * 5.05, 1e-3); /* the bad interval is dropped, not absorbed as a wrap */
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

static void test_zone_disappears(void **state)
{
    lle_meter *m = open_meter("rapl", 0.0);
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;

    (void)state;
    step_to(m, 0.0);
    assert_int_equal(lle_meter_begin(m, "w", &w, &err), LLE_OK);
    for (int i = 1; i <= 20; i++)
        step_to(m, i * 0.1);
    write_file("intel-rapl:0", "energy_uj", ""); /* the zone stops answering */
    for (int i = 21; i <= 40; i++) {
        write_uj("intel-rapl:0:1", P_DRAM * i * 0.1, 1000.0);
        g_now = i * 0.1;
        lle_meter_tick(m);
    }
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    assert_true(find(ew, "rapl:package-0")->partial);
    assert_non_null(strstr(find(ew, "rapl:package-0")->note, "lost"));
    near(find(ew, "rapl:package-0")->energy_j, P_PKG * 2.0, 1e-3); /* what was measured before */
    assert_false(find(ew, "rapl:package-0/dram")->partial);
    near(find(ew, "rapl:package-0/dram")->energy_j, P_DRAM * 4.0, 1e-3);
    assert_true(ew->partial);
    lle_energy_window_free(ew);
    lle_meter_close(m);
    write_uj("intel-rapl:0", 0.0, 1000.0);
}

static bool has_bad(lle_meter *m, const char *id, const char *text)
{
    lle_energy_source_info info[16];
    size_t n = lle_meter_unavailable(m, info, 16);

    for (size_t i = 0; i < n && i < 16; i++)
        if (strcmp(info[i].id, id) == 0 && strstr(info[i].status, text) != NULL)
            return true;
    return false;
}

static void test_stuck_counter_falls_back(void **state)
{
    lle_meter *m = open_meter("rapl,estimate", 0.05); /* files never change */
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;

    (void)state;
    assert_true(has_bad(m, "rapl:package-0", "did not change"));
    assert_int_equal(lle_meter_begin(m, "w", &w, &err), LLE_OK);
    g_now = 1.0;
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    for (size_t i = 0; i < ew->n_readings; i++) {
        assert_string_equal(ew->readings[i].kind, "estimate");
        assert_true(ew->readings[i].method == LLE_ENERGY_ESTIMATED);
    }
    assert_true(ew->n_readings == 2 && ew->measured_j == 0.0);
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

/* In a child without root: energy_uj 0400 cannot be read; the fix is given
 * and the estimate is used. Exit status 0 when every check holds. */
static int unprivileged_child(void)
{
    lle_energy_probe *p = NULL;
    lle_error err;
    int found_fix = 0, found_est = 0;

    if (geteuid() == 0 && (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
        return 10;
    if (lle_energy_probe_sources(NULL, &p, &err) != LLE_OK)
        return 11;
    for (size_t i = 0; i < p->n; i++) {
        const lle_energy_source_info *s = &p->sources[i];
        if (strcmp(s->kind, "rapl") == 0 && s->readable)
            return 12;
        if (strcmp(s->id, "rapl:package-0") == 0 && strstr(s->status, "Permission denied") != NULL &&
            strstr(s->fix, "chmod") != NULL && strstr(s->fix, "cap_perfmon") != NULL)
            found_fix = 1;
        if (strcmp(s->id, "estimate:cpu") == 0 && s->readable && s->method == LLE_ENERGY_ESTIMATED)
            found_est = 1;
    }
    lle_energy_probe_free(p);
    return found_fix && found_est ? 0 : 13 + found_fix;
}

static void test_permission_denied(void **state)
{
    const char *zones[] = {"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1"};
    char path[600];
    int status = -1;
    pid_t pid;

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s/energy_uj", g_root, zones[i]);
        assert_int_equal(chmod(path, geteuid() == 0 ? 0400 : 0000), 0);
    }
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(unprivileged_child());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s/energy_uj", g_root, zones[i]);
        chmod(path, 0644);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_timeseries_csv(void **state)
{
    lle_meter *m = open_meter("rapl", 0.0);
    char path[600], line[256];
    lle_error err;
    FILE *f;
    int rows = 0;

    (void)state;
    for (int i = 0; i <= 10; i++)
        step_to(m, i * 0.1);
    snprintf(path, sizeof path, "%s/series.csv", g_root);
    assert_int_equal(lle_meter_timeseries_csv(m, path, 0.0, &err), LLE_OK);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "t_s,source,metric,value\n");
    while (fgets(line, sizeof line, f) != NULL) {
        double t, v;
        char src[64];
        if (sscanf(line, "%lf,%63[^,],power_w,%lf", &t, src, &v) == 3 && strcmp(src, "rapl:package-0") == 0 &&
            t > 0.05) {
            near(v, P_PKG, 1e-3);
            rows++;
        }
    }
    fclose(f);
    assert_int_equal(rows, 10);
    lle_meter_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zones_and_wraps),   cmocka_unit_test(test_backwards_flagged),
        cmocka_unit_test(test_zone_disappears),   cmocka_unit_test(test_stuck_counter_falls_back),
        cmocka_unit_test(test_permission_denied), cmocka_unit_test(test_timeseries_csv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
