/* test_energy_meter.c — the meter on the real clock of a machine without
 * counters (RAPL, perf, NVML and amdsmi pointed at nothing): the sampler
 * thread runs, estimates are labelled estimated with their formula and never
 * measured, the unavailable sources say why, nested windows, option checks,
 * the TDP from a fake /proc/cpuinfo, the idle baseline (measured, then reused
 * from the cache, re-measured when stale) and its subtraction, the energy
 * section's totals, derived figures and carbon, and the time series into the
 * results database. No timing assertions: only relations that hold however
 * fast the machine is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "energy/energy_internal.h"
#include "energy/energy_report.h"
#include "energy/run_energy.h"

static char g_dir[256];

static int setup(void **state)
{
    char data[4200];

    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/lle-meter-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    snprintf(data, sizeof data, "%s/data", getenv("LLE_SRC") != NULL ? getenv("LLE_SRC") : ".");
    setenv("LLE_DATA_DIR", data, 1);
    setenv("LLE_POWERCAP_ROOT", "/nonexistent-powercap", 1);
    setenv("LLE_PERF_SYSFS_ROOT", "/nonexistent-perf", 1);
    setenv("LLE_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    setenv("LLE_AMDSMI_LIBRARY", "/nonexistent/libamd_smi.so", 1);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    nanosleep(&ts, NULL);
}

static lle_meter *open_meter(double interval_s)
{
    lle_meter_opts o;
    lle_meter *m = NULL;
    lle_error err;

    lle_meter_opts_init(&o);
    o.interval_s = interval_s;
    if (lle_meter_open(&o, &m, &err) != LLE_OK)
        fail_msg("lle_meter_open: %s", err.msg);
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

static void test_estimates_labelled(void **state)
{
    lle_meter *m = open_meter(0.01);
    lle_meter_window *outer = NULL, *inner = NULL;
    lle_energy_window *wo = NULL, *wi = NULL;
    lle_energy_source_info info[16];
    lle_meter_stats st;
    lle_error err;
    size_t n;

    (void)state;
    assert_int_equal(lle_meter_begin(m, "outer", &outer, &err), LLE_OK);
    sleep_s(0.05);
    assert_int_equal(lle_meter_begin(m, "inner", &inner, &err), LLE_OK);
    sleep_s(0.1);
    assert_int_equal(lle_meter_end(m, inner, &wi, &err), LLE_OK);
    sleep_s(0.05);
    assert_int_equal(lle_meter_end(m, outer, &wo, &err), LLE_OK);
    assert_int_equal(wo->n_readings, 2);
    for (size_t i = 0; i < wo->n_readings; i++) {
        assert_true(wo->readings[i].method == LLE_ENERGY_ESTIMATED);
        assert_string_equal(wo->readings[i].kind, "estimate");
        assert_true(wo->readings[i].in_total);
    }
    assert_non_null(strstr(find(wo, "estimate:cpu")->how, "TDP"));
    assert_non_null(strstr(find(wo, "estimate:ram")->how, "3 W per 8 GB"));
    assert_true(wo->measured_j == 0.0 && wo->estimated_j > 0.0);
    assert_true(wo->duration_s >= wi->duration_s && wi->duration_s > 0.0);
    assert_true(wo->estimated_j >= wi->estimated_j); /* estimated powers are never negative */
    assert_true(find(wo, "estimate:ram")->peak_power_w >= find(wo, "estimate:ram")->avg_power_w);
    n = lle_meter_unavailable(m, info, 16);
    assert_true(n >= 4);
    assert_string_equal(info[0].kind, "rapl");
    assert_non_null(strstr(info[0].status, "nonexistent-powercap"));
    lle_meter_get_stats(m, &st);
    assert_true(st.samples >= 2 && st.n_sources == 2 && st.interval_s == 0.01);
    lle_energy_window_free(wo);
    lle_energy_window_free(wi);
    lle_meter_stop(m); /* the sampler stops; windows still work from edge reads */
    lle_meter_get_stats(m, &st);
    assert_int_equal(lle_meter_begin(m, "after", &outer, &err), LLE_OK);
    sleep_s(0.05);
    assert_int_equal(lle_meter_end(m, outer, &wo, &err), LLE_OK);
    assert_true(wo->estimated_j > 0.0);
    {
        lle_meter_stats st2;
        lle_meter_get_stats(m, &st2);
        assert_true(st2.samples == st.samples);
    }
    lle_energy_window_free(wo);
    lle_meter_stop(m);
    lle_meter_close(m);
}

static void test_bad_options(void **state)
{
    lle_meter_opts o;
    lle_meter *m = NULL;
    lle_error err;

    (void)state;
    lle_meter_opts_init(&o);
    o.interval_s = 0.001;
    assert_int_equal(lle_meter_open(&o, &m, &err), LLE_ERR_INVALID);
    assert_null(m);
    assert_non_null(strstr(err.msg, "interval"));
    lle_meter_opts_init(&o);
    o.sources = "rapl,tachyon";
    assert_int_equal(lle_meter_open(&o, &m, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "tachyon"));
    lle_meter_opts_init(&o);
    o.estimate_fallback = false;
    o.interval_s = 0.0;
    assert_int_equal(lle_meter_open(&o, &m, &err), LLE_OK); /* nothing to read is not an error */
    lle_meter_close(m);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_tdp_from_cpuinfo(void **state)
{
    char proc[300], path[400];
    lle_meter_opts o;
    lle_meter *m = NULL;
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;

    (void)state;
    snprintf(proc, sizeof proc, "%s/proc", g_dir);
    mkdir(proc, 0755);
    snprintf(path, sizeof path, "%s/cpuinfo", proc);
    write_text(path, "processor\t: 0\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 0\n\n"
                     "processor\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 1\n");
    snprintf(path, sizeof path, "%s/stat", proc);
    write_text(path, "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n");
    snprintf(path, sizeof path, "%s/meminfo", proc);
    write_text(path, "MemTotal:       16000000 kB\n");
    setenv("LLE_PROC_ROOT", proc, 1);
    lle_meter_opts_init(&o);
    o.interval_s = 0.0;
    assert_int_equal(lle_meter_open(&o, &m, &err), LLE_OK);
    assert_int_equal(lle_meter_begin(m, "w", &w, &err), LLE_OK);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    assert_non_null(strstr(find(ew, "estimate:cpu")->how, "280 W TDP x 2 sockets"));
    assert_non_null(strstr(find(ew, "estimate:cpu")->how, "'AMD EPYC 7763'"));
    assert_non_null(strstr(find(ew, "estimate:ram")->how, "16.38 GB"));
    lle_energy_window_free(ew);
    lle_meter_close(m);
    o.cpu_tdp_w = 42.0;
    assert_int_equal(lle_meter_open(&o, &m, &err), LLE_OK);
    assert_int_equal(lle_meter_begin(m, "w", &w, &err), LLE_OK);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    assert_non_null(strstr(find(ew, "estimate:cpu")->how, "42 W TDP x 2 sockets"));
    assert_non_null(strstr(find(ew, "estimate:cpu")->how, "given by the user"));
    lle_energy_window_free(ew);
    lle_meter_close(m);
    unsetenv("LLE_PROC_ROOT");
}

static void check_net(const lle_energy_window *w)
{
    for (size_t i = 0; i < w->n_readings; i++) {
        const lle_energy_reading *r = &w->readings[i];
        assert_true(r->has_baseline);
        assert_true(fabs(r->net_energy_j - (r->energy_j - r->idle_power_w * w->duration_s)) < 1e-9);
    }
}

static void baseline_run(const char *cache, double ttl, const char *want_origin)
{
    lle_meter *m = open_meter(0.02);
    lle_baseline_opts bo;
    lle_baseline_info bi;
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_error err;

    lle_baseline_opts_init(&bo);
    bo.seconds = 0.2;
    bo.ttl_s = ttl;
    bo.cache_path = cache;
    assert_int_equal(lle_meter_idle_baseline(m, &bo, &err), LLE_OK);
    lle_meter_baseline_info(m, &bi);
    assert_string_equal(bi.origin, want_origin);
    assert_true(bi.duration_s >= 0.2);
    assert_int_equal(lle_meter_begin(m, "w", &w, &err), LLE_OK);
    sleep_s(0.05);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    check_net(ew);
    assert_true(fabs(ew->net_estimated_j -
                     (find(ew, "estimate:cpu")->net_energy_j + find(ew, "estimate:ram")->net_energy_j)) < 1e-9);
    /* RAM is modelled as constant: its idle power is its power, so net is 0 */
    assert_true(fabs(find(ew, "estimate:ram")->net_energy_j) < 1e-6);
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

static void test_idle_baseline_and_cache(void **state)
{
    char cache[400];
    lle_meter *m;
    lle_baseline_opts bo;
    lle_baseline_info bi;
    lle_error err;
    volatile int stop = 1;

    (void)state;
    snprintf(cache, sizeof cache, "%s/sub/baseline.json", g_dir);
    baseline_run(cache, 3600.0, "measured");
    assert_int_equal(access(cache, R_OK), 0);
    baseline_run(cache, 3600.0, "cache");
    baseline_run(cache, 0.0, "measured"); /* stale: measured again */
    m = open_meter(0.0);
    lle_baseline_opts_init(&bo);
    bo.seconds = 0.0;
    assert_int_equal(lle_meter_idle_baseline(m, &bo, &err), LLE_OK);
    lle_meter_baseline_info(m, &bi);
    assert_string_equal(bi.origin, "none");
    bo.seconds = 5.0;
    bo.refresh = true;
    bo.cache_path = cache;
    bo.stop = &stop;
    assert_int_equal(lle_meter_idle_baseline(m, &bo, &err), LLE_ERR_INTERRUPTED);
    write_text(cache, "{not json");
    bo.stop = NULL;
    bo.seconds = 0.1;
    assert_int_equal(lle_meter_idle_baseline(m, &bo, &err), LLE_OK); /* a broken cache is rewritten */
    lle_meter_close(m);
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);

    if (!cJSON_IsNumber(x))
        fail_msg("%s.%s is not a number", a, b);
    return x->valuedouble;
}

static void test_section_json(void **state)
{
    lle_meter *m = open_meter(0.02);
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_energy_section sec;
    lle_carbon c;
    lle_error err;
    cJSON *j;
    char *text;
    double e;

    (void)state;
    assert_int_equal(lle_meter_begin(m, "run", &w, &err), LLE_OK);
    sleep_s(0.1);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    assert_int_equal(lle_carbon_resolve("200", 1.5, &c, &err), LLE_OK);
    memset(&sec, 0, sizeof sec);
    sec = (lle_energy_section){m, ew, ew, ew, {100, 50, 10, 1e12}, &c};
    text = lle_energy_section_json(&sec);
    assert_non_null(text);
    j = cJSON_Parse(text);
    assert_non_null(j);
    e = num(j, "total", "energy_j");
    assert_true(fabs(e - ew->estimated_j) < 1e-9);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "method")->valuestring, "estimated");
    assert_true(fabs(num(j, "derived", "j_per_output_token") - e / 50.0) < 1e-12);
    assert_true(fabs(num(j, "derived", "j_per_request") - e / 10.0) < 1e-12);
    assert_true(fabs(num(j, "derived", "output_tokens_per_j") - 50.0 / e) < 1e-9);
    assert_true(fabs(num(j, "derived", "wh_per_1000_requests") - e / 3600.0 / 10.0 * 1000.0) < 1e-12);
    assert_true(fabs(num(j, "derived", "flops_per_j") - 1e12 / e) < 1e-3);
    assert_true(fabs(num(j, "carbon", "g_co2e") - e / 3.6e6 * 200.0 * 1.5) < 1e-12);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "carbon"), "method")->valuestring, "estimated");
    assert_true(fabs(num(cJSON_GetObjectItem(j, "phases"), "prefill", "j_per_token") - e / 100.0) < 1e-12);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "unavailable")));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "baseline"), "origin")->valuestring, "none");
    assert_true(num(j, "sampler", "samples") >= 1);
    cJSON_Delete(j);
    free(text);
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

static long long db_count(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;

    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_measure_document_and_store(void **state)
{
    lle_meter *m = open_meter(0.01);
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    lle_energy_section sec;
    char id[64], started[32], results[400], path[4200], db[500], *doc;
    char *argv[] = {"sleep", "0.1"};
    lle_measured_command cmd = {2, argv, 0, 0, "completed", NULL};
    lle_store *s = NULL;
    lle_error err;

    (void)state;
    assert_int_equal(lle_meter_begin(m, "command", &w, &err), LLE_OK);
    sleep_s(0.1);
    assert_int_equal(lle_meter_end(m, w, &ew, &err), LLE_OK);
    memset(&sec, 0, sizeof sec);
    sec.meter = m;
    sec.whole = ew;
    lle_energy_new_id(id, sizeof id, started, sizeof started);
    doc = lle_measure_document_json(id, started, &cmd, &sec);
    assert_non_null(doc);
    assert_non_null(strstr(doc, "\"kind\":\t\"measure\""));
    snprintf(results, sizeof results, "%s/results", g_dir);
    assert_int_equal(lle_measure_save(results, id, doc, m, ew->start_s, path, sizeof path, &err), LLE_OK);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(db, sizeof db, "%s/results.db", results);
    assert_true(db_count(db, "SELECT count(*) FROM timeseries WHERE metric = 'power_w'") > 0);
    assert_true(db_count(db, "SELECT count(*) FROM timeseries WHERE metric = 'cpu_util_pct'") > 0);
    assert_true(db_count(db, "SELECT count(*) FROM timeseries WHERE source = 'sys:cpu' AND t_s < 0") > 0);
    assert_int_equal(lle_store_open(results, &s, &err), LLE_OK);
    assert_int_equal(lle_meter_timeseries_store(m, s, "no-such-experiment", 0.0, &err), LLE_ERR_NOT_FOUND);
    lle_store_close(s);
    free(doc);
    lle_energy_window_free(ew);
    lle_meter_close(m);
}

static void test_devices_report(void **state)
{
    cJSON *arr = cJSON_CreateArray(), *e;
    lle_energy_probe *p = NULL;
    lle_error err;
    char *text, *json;
    bool rapl = false, est = false;

    (void)state;
    assert_int_equal(lle_energy_report_json(arr, &err), LLE_OK);
    cJSON_ArrayForEach(e, arr)
    {
        const char *id = cJSON_GetObjectItem(e, "id")->valuestring;
        bool readable = cJSON_IsTrue(cJSON_GetObjectItem(e, "readable"));
        if (strcmp(id, "rapl") == 0 && !readable)
            rapl = strstr(cJSON_GetObjectItem(e, "fix")->valuestring, "modprobe") != NULL;
        if (strcmp(id, "estimate:cpu") == 0 && readable)
            est = strcmp(cJSON_GetObjectItem(e, "method")->valuestring, "estimated") == 0 &&
                  cJSON_IsNumber(cJSON_GetObjectItem(e, "power_w"));
    }
    assert_true(rapl && est);
    cJSON_Delete(arr);
    text = lle_energy_report_text();
    assert_non_null(text);
    assert_non_null(strstr(text, "rapl"));
    assert_non_null(strstr(text, "not readable"));
    assert_non_null(strstr(text, "fix: "));
    assert_non_null(strstr(text, "estimate:cpu"));
    free(text);
    assert_int_equal(lle_energy_probe_sources(NULL, &p, &err), LLE_OK);
    json = lle_energy_probe_to_json(p);
    assert_non_null(json);
    arr = cJSON_Parse(json);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(arr, "sources")) == (int)p->n);
    cJSON_Delete(arr);
    free(json);
    lle_energy_probe_free(p);
}

static double g_now;

static double test_clock(void *user)
{
    (void)user;
    return g_now;
}

/* One batch: prefill of `prompt` tokens fed in chunks of `chunk`, then `steps` decode steps. */
static void run_batch(lle_run_energy *e, int prompt, int chunk, int steps, bool completed)
{
    lle_error err;

    assert_int_equal(lle_run_energy_batch_begin(e, prompt, &err), LLE_OK);
    for (int fed = 0; fed < prompt; fed += chunk) {
        g_now += 0.1;
        lle_run_energy_on_decode(e, fed + chunk <= prompt ? chunk : prompt - fed, 0);
    }
    for (int i = 0; i < steps; i++) {
        g_now += 0.2;
        lle_run_energy_on_decode(e, 2, 0);
    }
    assert_int_equal(lle_run_energy_batch_end(e, completed, &err), LLE_OK);
}

static void test_run_energy_phases(void **state)
{
    lle_run_energy_opts o;
    lle_run_energy e;
    lle_energy_work work = {20, 8, 4, 0.0};
    lle_error err;
    cJSON *j, *ph;
    char *text;

    (void)state;
    lle_run_energy_opts_init(&o);
    o.meter.interval_s = 0.0;
    o.meter.sources = "estimate";
    o.baseline.seconds = 0.0;
    assert_int_equal(lle_run_energy_open(&e, &o, &err), LLE_OK);
    g_now = 0.0;
    lle_meter_set_clock(e.meter, test_clock, NULL);
    assert_int_equal(lle_run_energy_start(&e, &err), LLE_OK);
    run_batch(&e, 10, 4, 2, true);   /* prefill 3 x 0.1 s, decode 2 x 0.2 s */
    g_now += 1.0;                    /* idle between batches: in no phase */
    run_batch(&e, 10, 10, 2, true);  /* prefill 0.1 s, decode 0.4 s */
    run_batch(&e, 10, 10, 1, false); /* interrupted in decode: its prefill counts, its decode is dropped */
    assert_int_equal(lle_run_energy_finish(&e, &err), LLE_OK);
    assert_true(fabs(e.prefill->duration_s - 0.5) < 1e-9 && e.prefill->n_parts == 3);
    assert_true(fabs(e.decode->duration_s - 0.8) < 1e-9 && e.decode->n_parts == 2);
    assert_true(fabs(e.all->duration_s - g_now) < 1e-9);
    text = lle_run_energy_json(&e, &work);
    assert_non_null(text);
    j = cJSON_Parse(text);
    ph = cJSON_GetObjectItem(j, "phases");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(ph, "prefill"), "tokens")->valuedouble == 20.0);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(ph, "decode"), "tokens")->valuedouble == 8.0);
    /* RAM is estimated at a constant power: energy is proportional to duration */
    assert_true(fabs(find(e.decode, "estimate:ram")->energy_j - 1.6 * find(e.prefill, "estimate:ram")->energy_j) <
                1e-9);
    cJSON_Delete(j);
    free(text);
    {
        lle_meter *mm = lle_run_energy_take_meter(&e); /* e.g. handed to the result */
        assert_non_null(mm);
        assert_null(e.meter);
        lle_meter_close(mm);
    }
    lle_run_energy_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimates_labelled), cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_tdp_from_cpuinfo),   cmocka_unit_test(test_idle_baseline_and_cache),
        cmocka_unit_test(test_section_json),       cmocka_unit_test(test_measure_document_and_store),
        cmocka_unit_test(test_devices_report),     cmocka_unit_test(test_run_energy_phases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
