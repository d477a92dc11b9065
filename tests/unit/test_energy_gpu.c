/* test_energy_gpu.c — the NVML and amdsmi readers against the fake libraries
 * built from tests/fake/ ($LLE_FAKE_NVML, $LLE_FAKE_AMDSMI) on a scripted
 * power trace and clock: NVML's energy counter and the integral of its power
 * readings agree, windows shorter than a few counter updates are
 * low-confidence and use the power integral, a GPU lost mid-run makes its
 * energy partial without failing the window, CUDA_VISIBLE_DEVICES is obeyed,
 * GPUs without an energy counter are integrated from power, GPU metrics reach
 * the time series, and a measured GPU next to estimated CPU/RAM gives a
 * "mixed" total that keeps the two apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "energy/energy_internal.h"

static char g_dir[256], g_trace[300], g_clock[300];
static double g_now;

static double test_clock(void *user)
{
    (void)user;
    return g_now;
}

static void set_now(double t)
{
    FILE *f = fopen(g_clock, "w");

    assert_non_null(f);
    fprintf(f, "%.9f\n", t);
    fclose(f);
    g_now = t;
}

static void write_trace(const char *text)
{
    FILE *f = fopen(g_trace, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char TRACE[] = "gpus 2\nname NVIDIA Fake H100\ncounter_period 0.1\nlost_at 1 2.0\n"
                            "p 0 100 50\np 2 300 50\np 4 300 50\n";

static int setup(void **state)
{
    (void)state;
    if (getenv("LLE_FAKE_NVML") == NULL || getenv("LLE_FAKE_AMDSMI") == NULL) {
        fprintf(stderr, "LLE_FAKE_NVML / LLE_FAKE_AMDSMI not set (run through ctest)\n");
        return -1;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/lle-gpu-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    snprintf(g_trace, sizeof g_trace, "%s/trace", g_dir);
    snprintf(g_clock, sizeof g_clock, "%s/clock", g_dir);
    setenv("LLE_NVML_LIBRARY", getenv("LLE_FAKE_NVML"), 1);
    setenv("LLE_AMDSMI_LIBRARY", getenv("LLE_FAKE_AMDSMI"), 1);
    setenv("LLE_FAKE_NVML_TRACE", g_trace, 1);
    setenv("LLE_FAKE_NVML_CLOCK", g_clock, 1);
    setenv("LLE_FAKE_AMDSMI_TRACE", g_trace, 1);
    setenv("LLE_FAKE_AMDSMI_CLOCK", g_clock, 1);
    setenv("LLE_POWERCAP_ROOT", "/nonexistent-powercap", 1);
    setenv("LLE_PERF_SYSFS_ROOT", "/nonexistent-perf", 1);
    unsetenv("CUDA_VISIBLE_DEVICES");
    write_trace(TRACE);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static lle_meter *open_meter(const char *sources)
{
    lle_meter_opts o;
    lle_meter *m = NULL;
    lle_error err;

    set_now(0.0);
    lle_meter_opts_init(&o);
    o.interval_s = 0.0;
    o.probe_s = 0.0;
    o.sources = sources;
    if (lle_meter_open(&o, &m, &err) != LLE_OK)
        fail_msg("lle_meter_open: %s", err.msg);
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

static size_t chan(const lle_meter *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->ch[i].d.id, id) == 0)
            return i;
    fail_msg("no channel %s", id);
    return 0;
}

/* Tick every 10 ms from the current time to `to`. */
static void run_to(lle_meter *m, double to)
{
    for (double t = g_now + 0.01; t <= to + 1e-9; t += 0.01) {
        set_now(round(t * 100.0) / 100.0);
        lle_meter_tick(m);
    }
}

static void test_nvml_counter_and_power_agree(void **state)
{
    lle_meter *m = open_meter("nvml");
    lle_meter_window *w = NULL, *shortw = NULL;
    lle_energy_window *ew = NULL, *es = NULL;
    lle_error err;
    size_t k;

    (void)state;
    assert_int_equal(lle_meter_begin(m, "run", &w, &err), LLE_OK);
    run_to(m, 1.0);
    assert_int_equal(lle_meter_begin(m, "short", &shortw, &err), LLE_OK);
    run_to(m, 1.3);
    assert_int_equal(lle_meter_end(m, shortw, &es, &err), LLE_OK);
    run_to(m, 4.0);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    /* 100 -> 300 W over 2 s, then 300 W for 2 s: 400 + 600 J */
    near(find(ew, "nvml:0")->energy_j, 1000.0, 1e-3);
    assert_false(find(ew, "nvml:0")->low_confidence);
    k = chan(m, "nvml:0");
    near(m->ch[k].e_pow, m->ch[k].ctr.acc_j, 5e-3); /* power integral vs energy counter */
    near(find(ew, "nvml:0")->peak_power_w, 300.0, 1e-3);
    /* 0.3 s: shorter than a few counter updates -> power integral, flagged */
    assert_true(find(es, "nvml:0")->low_confidence);
    assert_non_null(strstr(find(es, "nvml:0")->note, "shorter"));
    near(find(es, "nvml:0")->energy_j, 0.5 * (200.0 + 230.0) * 0.3, 1e-3);
    /* GPU 1 disappears at 2 s: partial, the window still closes */
    assert_true(find(ew, "nvml:1")->partial);
    assert_non_null(strstr(find(ew, "nvml:1")->note, "lost"));
    assert_false(find(ew, "nvml:0")->partial);
    assert_true(ew->partial);
    lle_energy_window_free(ew);
    lle_energy_window_free(es);
    lle_meter_close(m);
}

static void test_nvml_timeseries_metrics(void **state)
{
    lle_meter *m = open_meter("nvml");
    char path[400], *text = NULL;
    lle_error err;
    size_t len = 0;
    FILE *f;

    (void)state;
    run_to(m, 0.5);
    snprintf(path, sizeof path, "%s/series.csv", g_dir);
    assert_int_equal(lle_meter_timeseries_csv(m, path, 0.0, &err), LLE_OK);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_true(getdelim(&text, &len, '\0', f) > 0);
    fclose(f);
    assert_non_null(strstr(text, ",nvml:0,gpu_util_pct,97\n"));
    assert_non_null(strstr(text, ",nvml:0,mem_used_bytes,1073741824\n"));
    assert_non_null(strstr(text, ",nvml:0,temp_c,61\n"));
    assert_non_null(strstr(text, ",nvml:0,sm_clock_mhz,1980\n"));
    assert_non_null(strstr(text, ",nvml:0,mem_clock_mhz,2619\n"));
    assert_non_null(strstr(text, ",nvml:0,throttle_reasons,1\n"));
    assert_non_null(strstr(text, ",nvml:0,power_w,"));
    free(text);
    lle_meter_close(m);
}

static bool probe_has(const char *id, bool readable)
{
    lle_energy_probe *p = NULL;
    lle_meter_opts o;
    lle_error err;
    bool found = false;

    lle_meter_opts_init(&o);
    o.sources = "nvml";
    assert_int_equal(lle_energy_probe_sources(&o, &p, &err), LLE_OK);
    for (size_t i = 0; i < p->n; i++)
        found = found || (strcmp(p->sources[i].id, id) == 0 && p->sources[i].readable == readable);
    lle_energy_probe_free(p);
    return found;
}

static void test_cuda_visible_devices(void **state)
{
    (void)state;
    set_now(0.5);
    assert_true(probe_has("nvml:0", true) && probe_has("nvml:1", true));
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    assert_true(probe_has("nvml:1", true) && !probe_has("nvml:0", true));
    setenv("CUDA_VISIBLE_DEVICES", "GPU-fake-0000", 1);
    assert_true(probe_has("nvml:0", true) && !probe_has("nvml:1", true));
    setenv("CUDA_VISIBLE_DEVICES", "MIG-GPU-fake-0001/1/0", 1); /* a MIG instance: its GPU */
    assert_true(probe_has("nvml:1", true) && !probe_has("nvml:0", true));
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    assert_true(probe_has("nvml", false));
    setenv("CUDA_VISIBLE_DEVICES", "0,7,1", 1); /* CUDA stops at the first invalid entry */
    assert_true(probe_has("nvml:0", true) && !probe_has("nvml:1", true));
    unsetenv("CUDA_VISIBLE_DEVICES");
}

static void test_nvml_without_energy_counter(void **state)
{
    lle_meter *m;
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;

    (void)state;
    write_trace("gpus 1\nno_energy\np 0 100\np 2 300\np 4 300\n");
    m = open_meter("nvml");
    assert_int_equal(lle_meter_begin(m, "run", &w, &err), LLE_OK);
    run_to(m, 4.0);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    assert_non_null(strstr(find(ew, "nvml:0")->how, "nvmlDeviceGetPowerUsage"));
    near(find(ew, "nvml:0")->energy_j, 1000.0, 1e-3);
    assert_false(find(ew, "nvml:0")->low_confidence);
    lle_energy_window_free(ew);
    lle_meter_close(m);
    write_trace(TRACE);
}

static void test_amdsmi(void **state)
{
    lle_meter *m = open_meter("amdsmi");
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;

    (void)state;
    assert_int_equal(lle_meter_begin(m, "run", &w, &err), LLE_OK);
    run_to(m, 1.5);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    /* GPU 0: 100 -> 250 W over 1.5 s = 262.5 J; GPU 1: 50 W */
    near(find(ew, "amdsmi:0")->energy_j, 262.5, 1e-3);
    near(find(ew, "amdsmi:1")->energy_j, 75.0, 1e-3);
    assert_true(find(ew, "amdsmi:0")->method == LLE_ENERGY_MEASURED);
    assert_string_equal(find(ew, "amdsmi:0")->domain, "gpu");
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

static void test_mixed_total_kept_apart(void **state)
{
    lle_meter *m = open_meter("nvml,estimate");
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_energy_section sec;
    lle_error err;
    cJSON *j, *total;
    char *text;
    double gpu;

    (void)state;
    assert_int_equal(lle_meter_begin(m, "run", &w, &err), LLE_OK);
    run_to(m, 1.0);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    gpu = find(ew, "nvml:0")->energy_j + find(ew, "nvml:1")->energy_j;
    near(ew->measured_j, gpu, 1e-9);
    near(ew->estimated_j, find(ew, "estimate:cpu")->energy_j + find(ew, "estimate:ram")->energy_j, 1e-9);
    assert_true(find(ew, "estimate:ram")->method == LLE_ENERGY_ESTIMATED);
    memset(&sec, 0, sizeof sec);
    sec.meter = m;
    sec.whole = ew;
    text = lle_energy_section_json(&sec);
    assert_non_null(text);
    j = cJSON_Parse(text);
    total = cJSON_GetObjectItem(j, "total");
    assert_string_equal(cJSON_GetObjectItem(total, "method")->valuestring, "mixed");
    near(cJSON_GetObjectItem(total, "measured_j")->valuedouble, gpu, 1e-9);
    cJSON_Delete(j);
    free(text);
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvml_counter_and_power_agree),
        cmocka_unit_test(test_nvml_timeseries_metrics),
        cmocka_unit_test(test_cuda_visible_devices),
        cmocka_unit_test(test_nvml_without_energy_counter),
        cmocka_unit_test(test_amdsmi),
        cmocka_unit_test(test_mixed_total_kept_apart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
