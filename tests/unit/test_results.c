/* test_results.c — the results queries over the fixed database of
 * test_results_fixture.h: the flat table (built on open, refreshed after a
 * re-put, dropped rows follow the experiments), list/show/compare output,
 * filters and their errors, the analysis (groups, hand-computed means and
 * 95 % CIs, unstable and outlier flags, ranking, Pareto front) and the export
 * formats. With `--make-db DIR` it only builds the fixture database (the CLI
 * tests use it). Hand-computed figures of the fixture (J per output token):
 *   Q8_0/b1: 1.98 2.00 2.02          mean 2.00  s 0.02   CV 1 %
 *   Q8_0/b4: 0.8 0.808 0.792 0.8 1.2 mean 0.88  outlier 1.2 (fences 0.788..0.82)
 *   Q4_0/b1: 1.2 1.5 1.8             mean 1.50  s 0.3    CV 20 % (unstable)
 *   Q4_0/b4: 0.588 0.6 0.612         mean 0.60
 *   output tok/s means 10, 27, 14, 25: Pareto front = Q4_0/b4 and Q8_0/b4. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lle/results.h"
#include "results/results_internal.h"
#include "test_results_fixture.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/lle-test-results-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    return fx_make_db(g_dir);
}

/* Remove the (flat) fixture directory. */
static int teardown(void **state)
{
    (void)state;
    return fx_remove_dir(g_dir);
}

static lle_results *open_db(void)
{
    lle_results *r = NULL;
    lle_error err = {0};
    lle_status st = lle_results_open(g_dir, false, &r, &err);
    if (st != LLE_OK)
        fail_msg("open: %s", err.msg);
    return r;
}

/* Parse the text a call returned through `text` (read after the call ran). */
static cJSON *json_of(lle_status st, char **text, const lle_error *err)
{
    cJSON *j;
    if (st != LLE_OK)
        fail_msg("%s", err->msg);
    j = cJSON_Parse(*text);
    free(*text);
    *text = NULL;
    assert_non_null(j);
    return j;
}

static void list_filters(void **state)
{
    lle_results *r = open_db();
    lle_error err = {0};
    char *out = NULL;
    const char *w1[] = {"model_file_type=q8_0", "batch_size>=4"};
    const char *bad[] = {"nosuch=1"}, *bad2[] = {"batch_size=abc"};
    lle_results_filter f = {0};
    cJSON *j;
    (void)state;
    j = json_of(lle_results_list(r, &f, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    assert_int_equal(cJSON_GetArraySize(j), 16);
    /* newest first */
    assert_string_equal(cJSON_GetArrayItem(j, 0)->child->valuestring, "20260101T005100.000Z-000000fe");
    cJSON_Delete(j);
    f.where = w1;
    f.n_where = 2;
    f.sort = "-j_per_output_token";
    f.limit = 2;
    j = json_of(lle_results_list(r, &f, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "j_per_output_token")->valuedouble, 1.2, 1e-12);
    cJSON_Delete(j);
    f = (lle_results_filter){.campaign = "camp-b1"};
    j = json_of(lle_results_list(r, &f, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    assert_int_equal(cJSON_GetArraySize(j), 6);
    cJSON_Delete(j);
    f = (lle_results_filter){.where = bad, .n_where = 1};
    assert_int_equal(lle_results_list(r, &f, LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nosuch"));
    f.where = bad2;
    assert_int_equal(lle_results_list(r, &f, LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "batch_size"));
    f = (lle_results_filter){.sort = "bogus"};
    assert_int_equal(lle_results_list(r, &f, LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_INVALID);
    lle_results_close(r);
}

static void show_and_compare(void **state)
{
    lle_results *r = open_db();
    lle_error err = {0};
    char *out = NULL;
    const char *ids[] = {"20260101T000100", "20260101T000400"};
    cJSON *j, *m;
    (void)state;
    j = json_of(lle_results_show(r, "20260101T000100", LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    m = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "energy"), "j_per_output_token");
    assert_float_equal(cJSON_GetObjectItem(m, "value")->valuedouble, 1.98, 1e-12);
    assert_string_equal(cJSON_GetObjectItem(m, "method")->valuestring, "measured");
    assert_string_equal(cJSON_GetObjectItem(m, "unit")->valuestring, "J/token");
    m = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "kv_cache_bytes");
    assert_string_equal(cJSON_GetObjectItem(m, "method")->valuestring, "computed");
    cJSON_Delete(j);
    assert_int_equal(lle_results_show(r, "2026", LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_INVALID);
    assert_int_equal(lle_results_show(r, "nope", LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_NOT_FOUND);
    j = json_of(lle_results_compare(r, ids, 2, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(j, "metrics"))
    {
        if (strcmp(cJSON_GetObjectItem(m, "name")->valuestring, "j_per_output_token") != 0)
            continue;
        /* 1.98 vs 0.8: diff -1.18, -59.6 %, the second is best */
        assert_float_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "diff"), 1)->valuedouble, -1.18, 1e-12);
        assert_float_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "diff_pct"), 1)->valuedouble, -1.18 / 1.98 * 100,
                           1e-9);
        assert_true(cJSON_IsTrue(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "best"), 1)));
        assert_true(cJSON_IsFalse(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "best"), 0)));
    }
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "differing_configuration"), 0), "field")
            ->valuestring,
        "batch_size");
    cJSON_Delete(j);
    lle_results_close(r);
}

static const cJSON *group_by_label(const cJSON *a, const char *label)
{
    const cJSON *g = NULL;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(a, "groups")) if (strcmp(cJSON_GetObjectItem(g, "label")->valuestring,
                                                                       label) == 0) return g;
    fail_msg("no group %s", label);
    return NULL;
}

static double stat(const cJSON *g, const char *metric, const char *what)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "metrics"), metric), what)->valuedouble;
}

static void analysis(void **state)
{
    lle_results *r = open_db();
    lle_error err = {0};
    char *out = NULL;
    const cJSON *g;
    cJSON *a;
    (void)state;
    a = json_of(lle_results_analyze(r, NULL, NULL, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    /* completed runs only: not the failed run nor the measure document */
    assert_int_equal((int)cJSON_GetObjectItem(a, "experiments")->valuedouble, 14);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a, "factors")), 2);
    g = group_by_label(a, "model_file_type=Q8_0, batch_size=1");
    assert_float_equal(stat(g, "j_per_output_token", "mean"), 2.0, 1e-12);
    assert_float_equal(stat(g, "j_per_output_token", "ci95_half_width"), 0.0496827542350066, 1e-9);
    assert_float_equal(stat(g, "j_per_output_token", "cv"), 0.01, 1e-9);
    assert_int_equal((int)cJSON_GetObjectItem(g, "rank")->valuedouble, 4);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(g, "unstable")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(g, "pareto")));
    assert_string_equal(cJSON_GetObjectItem(g, "energy_method")->valuestring, "measured");
    g = group_by_label(a, "model_file_type=Q4_0, batch_size=1");
    assert_float_equal(stat(g, "j_per_output_token", "cv"), 0.2, 1e-9);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(g, "unstable")));
    g = group_by_label(a, "model_file_type=Q8_0, batch_size=4");
    assert_float_equal(stat(g, "j_per_output_token", "mean"), 0.88, 1e-12);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "metrics"),
                                                                                   "j_per_output_token"),
                                                               "outliers"),
                                           0)
                            ->valuestring,
                        "20260101T000800.000Z-000000a8");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(g, "pareto")));
    assert_int_equal((int)cJSON_GetObjectItem(g, "rank")->valuedouble, 2);
    g = group_by_label(a, "model_file_type=Q4_0, batch_size=4");
    assert_int_equal((int)cJSON_GetObjectItem(g, "rank")->valuedouble, 1);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(g, "pareto")));
    assert_string_equal(cJSON_GetObjectItem(g, "energy_method")->valuestring, "estimated");
    cJSON_Delete(a);
    lle_results_close(r);
}

static void analysis_by_and_metric(void **state)
{
    lle_results *r = open_db();
    lle_error err = {0};
    char *out = NULL;
    const char *by[] = {"batch_size"}, *bad_by[] = {"energy_j"};
    lle_results_analysis_opts o = {.by = by, .n_by = 1, .metric = "output_tokens_per_s"};
    const char *where[] = {"traffic=none"};
    lle_results_filter f = {.where = where, .n_where = 1};
    cJSON *a;
    (void)state;
    a = json_of(lle_results_analyze(r, &f, &o, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a, "groups")), 2);
    assert_string_equal(cJSON_GetObjectItem(a, "better")->valuestring, "higher");
    /* batch 4 pools 8 runs: tok/s 30 29.7 30.3 30 15 and 25.5 25 24.5 -> mean 26.25; ranks first */
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "groups"), 0), "label")->valuestring,
        "batch_size=4");
    assert_float_equal(stat(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "groups"), 0), "output_tokens_per_s", "mean"),
                       26.25, 1e-9);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "groups"), 0), "energy_method")->valuestring,
        "mixed");
    cJSON_Delete(a);
    o.by = bad_by;
    assert_int_equal(lle_results_analyze(r, &f, &o, LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_INVALID);
    o.by = by;
    o.metric = "model_name";
    assert_int_equal(lle_results_analyze(r, &f, &o, LLE_RESULTS_TEXT, &out, NULL, &err), LLE_ERR_INVALID);
    lle_results_close(r);
}

static void export_formats(void **state)
{
    lle_results *r = open_db();
    lle_error err = {0};
    char *out = NULL;
    size_t len = 0, lines = 0;
    cJSON *j;
    (void)state;
    assert_int_equal(lle_results_export(r, NULL, LLE_RESULTS_EXPERIMENTS, LLE_RESULTS_CSV, &out, &len, &err), LLE_OK);
    for (size_t i = 0; i < len; i++)
        lines += out[i] == '\n';
    assert_int_equal(lines, 17); /* header + 16 */
    assert_true(strncmp(out, "id,status,error,started_at,", 27) == 0);
    free(out);
    j = json_of(lle_results_export(r, NULL, LLE_RESULTS_REQUESTS, LLE_RESULTS_JSON, &out, &len, &err), &out, &err);
    assert_int_equal(cJSON_GetArraySize(j), 28); /* 14 runs x 2 requests */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "itl_s")), 2);
    cJSON_Delete(j);
    assert_int_equal(lle_results_export(r, NULL, LLE_RESULTS_TIMESERIES, LLE_RESULTS_JSONL, &out, &len, &err), LLE_OK);
    lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += out[i] == '\n';
    assert_int_equal(lines, 140);
    free(out);
    lle_results_close(r);
}

static void flat_follows_store(void **state)
{
    lle_results *r = NULL;
    lle_store *s = NULL;
    lle_error err = {0};
    char *out = NULL;
    const char *where[] = {"id=20260101T005000.000Z-000000ff"};
    lle_results_filter f = {.where = where, .n_where = 1};
    cJSON *j;
    (void)state;
    assert_int_equal(lle_store_open(g_dir, &s, &err), LLE_OK);
    assert_int_equal(lle_store_put(s, "{\"id\":\"20260101T005000.000Z-000000ff\",\"status\":\"interrupted\"}", &err),
                     LLE_OK);
    lle_store_close(s);
    r = open_db();
    j = json_of(lle_results_list(r, &f, LLE_RESULTS_JSON, &out, NULL, &err), &out, &err);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "status")->valuestring, "interrupted");
    cJSON_Delete(j);
    lle_results_close(r);
    assert_int_equal(lle_store_open(g_dir, &s, &err), LLE_OK);
    assert_int_equal(lle_store_put(s, FX_FAILED, &err), LLE_OK); /* restore */
    lle_store_close(s);
    assert_int_equal(lle_results_open("/nonexistent-dir", false, &r, &err), LLE_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/results.db"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_filters),   cmocka_unit_test(show_and_compare),
        cmocka_unit_test(analysis),       cmocka_unit_test(analysis_by_and_metric),
        cmocka_unit_test(export_formats), cmocka_unit_test(flat_follows_store),
    };
    if (argc == 3 && strcmp(argv[1], "--make-db") == 0)
        return fx_make_db(argv[2]);
    return cmocka_run_group_tests(tests, setup, teardown);
}
