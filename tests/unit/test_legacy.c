/* test_legacy.c — importing the thesis tool's real results
 * (tests/data/legacy, byte-for-byte copies): the three raw file-name
 * generations and the combined file, unit conversions checked against the
 * thesis tool's own joules (kWh x 3.6e6), measured/estimated labels, the
 * per-process overlap flag, simulated-latency runs without a throughput,
 * idempotent re-import, a dry run that stores nothing, and bad input (broken
 * JSON names the file and line and stores nothing; an incomplete folder is
 * skipped). */
#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lle/legacy.h"
#include "lle/store.h"

static char data_dir[4096];

static char *tmpdir(void)
{
    char *d = strdup("/tmp/lle-legacy-XXXXXX");

    assert_non_null(mkdtemp(d));
    return d;
}

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[8192];

    snprintf(cmd, sizeof cmd, fmt, a, b);
    assert_int_equal(system(cmd), 0);
}

static cJSON *get_doc(const char *dir, const char *id)
{
    lle_store *s = NULL;
    char *json = NULL;
    cJSON *doc;

    assert_int_equal(lle_store_open(dir, &s, NULL), LLE_OK);
    assert_int_equal(lle_store_get(s, id, &json, NULL), LLE_OK);
    lle_store_close(s);
    doc = cJSON_Parse(json);
    free(json);
    assert_non_null(doc);
    return doc;
}

static double at(const cJSON *doc, const char *path)
{
    char buf[256], *save = NULL;
    const cJSON *n = doc;

    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok_r(buf, ".", &save); k != NULL && n != NULL; k = strtok_r(NULL, ".", &save))
        n = cJSON_IsArray(n) ? cJSON_GetArrayItem(n, (int)strtol(k, NULL, 10)) : cJSON_GetObjectItemCaseSensitive(n, k);
    return cJSON_IsNumber(n) ? n->valuedouble : cJSON_IsTrue(n) ? 1.0 : cJSON_IsFalse(n) ? 0.0 : NAN;
}

static const char *text_at(const cJSON *doc, const char *a, const char *b)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, a), b);

    return cJSON_IsString(n) ? n->valuestring : NULL;
}

static void assert_close(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void test_import_all(void **state)
{
    char *d = tmpdir();
    lle_legacy_report *rep = NULL;
    lle_error err = {0};
    int64_t n = 0;
    lle_store *s = NULL;

    (void)state;
    assert_int_equal(lle_legacy_import(data_dir, d, false, &rep, &err), LLE_OK);
    assert_int_equal(rep->n_imported, 110);   /* 10 raw folders + 100 distinct combined runs */
    assert_int_equal(rep->n_duplicates, 100); /* the combined file lists every run twice */
    assert_int_equal(rep->n_skipped, 0);
    assert_int_equal(rep->n_stored_before, 0);
    lle_legacy_report_free(rep);
    assert_int_equal(lle_store_open(d, &s, NULL), LLE_OK);
    assert_int_equal(lle_store_count(s, &n, NULL, NULL), LLE_OK);
    lle_store_close(s);
    assert_int_equal(n, 110);
    /* again: the same rows, replaced */
    assert_int_equal(lle_legacy_import(data_dir, d, false, &rep, &err), LLE_OK);
    assert_int_equal(rep->n_stored_before, 110);
    lle_legacy_report_free(rep);
    assert_int_equal(lle_store_open(d, &s, NULL), LLE_OK);
    assert_int_equal(lle_store_count(s, &n, NULL, NULL), LLE_OK);
    lle_store_close(s);
    assert_int_equal(n, 110);
    sh("rm -rf '%s'%s", d, "");
    free(d);
}

static void test_raw_generation_b(void **state)
{
    char *d = tmpdir(), src[4200];
    lle_legacy_report *rep = NULL;
    cJSON *doc;

    (void)state;
    snprintf(src, sizeof src, "%s/raw_results/0110", data_dir);
    assert_int_equal(lle_legacy_import(src, d, false, &rep, NULL), LLE_OK);
    assert_int_equal(rep->n_imported, 1);
    lle_legacy_report_free(rep);
    doc = get_doc(d, "legacy-thesis-0110");
    assert_string_equal(cJSON_GetObjectItem(doc, "source")->valuestring, "legacy");
    assert_string_equal(cJSON_GetObjectItem(doc, "started_at")->valuestring, "2025-03-23T16:12:11");
    assert_close(at(doc, "config.batch_size"), 2);
    assert_close(at(doc, "metrics.output_tokens"), 250);
    assert_close(at(doc, "metrics.input_tokens"), 2560);
    assert_close(at(doc, "metrics.wall_s"), 4.503034032997675);
    /* kWh -> J matches the thesis tool's own total_energy_joules (1477.9291082910506) */
    assert_close(at(doc, "energy.total.energy_j"), 0.0004105358634141807 * 3.6e6);
    assert_true(fabs(at(doc, "energy.total.energy_j") - 1477.9291082910506) < 1e-6);
    assert_close(at(doc, "energy.total.measured_j"), 0.0002630168770805241 * 3.6e6);
    assert_string_equal(text_at(cJSON_GetObjectItem(doc, "energy"), "total", "method"), "mixed");
    assert_string_equal(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "energy"), "window"), "sources"), 0),
            "method")
            ->valuestring,
        "measured");
    assert_string_equal(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "energy"), "window"), "sources"), 1),
            "method")
            ->valuestring,
        "estimated");
    assert_close(at(doc, "energy.carbon.g_co2e"), 0.00015639363716763214 * 1000.0);
    assert_true(fabs(at(doc, "energy.carbon.intensity_g_per_kwh") - 381.0) < 1.0);
    assert_close(at(doc, "energy.derived.output_tokens_per_j"), 0.16915561010167693);
    assert_close(at(doc, "energy.total.low_confidence"), 0);
    assert_string_equal(text_at(doc, "legacy", "format"), "raw_results, file names B");
    cJSON_Delete(doc);
    sh("rm -rf '%s'%s", d, "");
    free(d);
}

static void test_multi_process_and_combined(void **state)
{
    char *d = tmpdir();
    lle_legacy_report *rep = NULL;
    cJSON *doc;

    (void)state;
    assert_int_equal(lle_legacy_import(data_dir, d, false, &rep, NULL), LLE_OK);
    lle_legacy_report_free(rep);
    doc = get_doc(d, "legacy-thesis-0087"); /* generation A, two processes */
    assert_close(at(doc, "energy.total.energy_j"), (0.0003170348840791066 + 0.00029219396756023495) * 3.6e6);
    assert_close(at(doc, "energy.total.low_confidence"), 1);
    assert_close(at(doc, "legacy.processes.1.pid"), 1503689);
    cJSON_Delete(doc);
    doc = get_doc(d, "legacy-thesis-0122"); /* generation C: the 7_ file is all zero */
    assert_non_null(strstr(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "legacy"), "thesis_totals"), "aggregation")
            ->valuestring,
        "empty"));
    assert_close(at(doc, "config.processes"), 2);
    cJSON_Delete(doc);
    doc = get_doc(d, "legacy-thesis-0220"); /* combined: A1, four processes */
    assert_string_equal(text_at(doc, "config", "config_name"), "A1_Max_Throughput_Exploit");
    assert_string_equal(text_at(doc, "config", "quantisation"), "8-bit");
    assert_string_equal(text_at(doc, "config", "comparable_preset_type"), "q8_0");
    assert_close(at(doc, "energy.total.energy_j"), 0.007298913027402119 * 3.6e6);
    assert_close(at(doc, "legacy.thesis_totals.total_energy_j"), 0.007298913027402119 * 3.6e6);
    cJSON_Delete(doc);
    doc = get_doc(d, "legacy-thesis-0228"); /* R2: simulated latency inside the timed window */
    assert_string_equal(text_at(doc, "config", "traffic"), "uniform");
    assert_close(at(doc, "config.delay_max_s"), 0.05);
    assert_true(isnan(at(doc, "metrics.output_tokens_per_s")));
    assert_true(at(doc, "legacy.reported.inference_performance.throughput_tokens_per_sec") > 0);
    cJSON_Delete(doc);
    sh("rm -rf '%s'%s", d, "");
    free(d);
}

static void test_dry_run_stores_nothing(void **state)
{
    char *d = tmpdir(), path[4200];
    lle_legacy_report *rep = NULL;
    struct stat sb;

    (void)state;
    assert_int_equal(lle_legacy_import(data_dir, d, true, &rep, NULL), LLE_OK);
    assert_int_equal(rep->n_imported, 110);
    lle_legacy_report_free(rep);
    snprintf(path, sizeof path, "%s/results.db", d);
    assert_int_not_equal(stat(path, &sb), 0);
    sh("rm -rf '%s'%s", d, "");
    free(d);
}

static void test_bad_input(void **state)
{
    char *src = tmpdir(), *d = tmpdir(), path[4200];
    lle_legacy_report *rep = NULL;
    lle_error err = {0};
    struct stat sb;

    (void)state;
    sh("cp -r '%s/raw_results/0102' '%s/'", data_dir, src);
    sh("cp -r '%s/raw_results/0104' '%s/'", data_dir, src);
    sh("rm '%s/0104/0104_4_inference_metrics.json'%s", src, "");
    assert_int_equal(lle_legacy_import(src, d, false, &rep, &err), LLE_OK);
    assert_int_equal(rep->n_imported, 1);
    assert_int_equal(rep->n_skipped, 1);
    assert_non_null(strstr(rep->items[1].message, "0104_4_inference_metrics.json"));
    lle_legacy_report_free(rep);
    sh("printf '{\\n  \"max_input_tokens\": 512,\\n  oops\\n}\\n' > '%s/0102/0102_2_experiment_variables.json'%s", src,
       "");
    sh("rm -rf '%s'/*%s", d, "");
    assert_int_equal(lle_legacy_import(src, d, false, &rep, &err), LLE_ERR_FORMAT);
    assert_null(rep);
    assert_non_null(strstr(err.msg, "0102_2_experiment_variables.json:3: not valid JSON"));
    snprintf(path, sizeof path, "%s/results.db", d);
    assert_int_not_equal(stat(path, &sb), 0);
    sh("printf '{\"max_input_tokens\": \"512\"}' > '%s/0102/0102_2_experiment_variables.json'%s", src, "");
    assert_int_equal(lle_legacy_import(src, d, false, &rep, &err), LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "max_input_tokens: expected a number, found a string"));
    assert_int_equal(lle_legacy_import("/nonexistent/dir", d, false, &rep, &err), LLE_ERR_NOT_FOUND);
    sh("rm -rf '%s' '%s'", src, d);
    free(src);
    free(d);
}

int main(void)
{
    const char *root = getenv("LLE_SRC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_all),
        cmocka_unit_test(test_raw_generation_b),
        cmocka_unit_test(test_multi_process_and_combined),
        cmocka_unit_test(test_dry_run_stores_nothing),
        cmocka_unit_test(test_bad_input),
    };

    snprintf(data_dir, sizeof data_dir, "%s/tests/data/legacy", root != NULL ? root : ".");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
