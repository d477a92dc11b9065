/* test_run.c — the runner on a real synthesised model (tests/make_fixtures.sh
 * builds build/testdata/tiny-*.gguf): token counts are exact, latency records
 * are consistent (TTFT <= E2E, TTFT + sum(ITL) == E2E), greedy output is
 * reproducible, the JSON document parses and matches the record, bad
 * configurations are refused with the right status, and a stop request yields
 * an "interrupted" result. */
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

#include "lle/lle.h"

static char g_model[4096];

static int setup(void **state)
{
    const char *dir = getenv("LLE_TESTDATA");

    (void)state;
    snprintf(g_model, sizeof g_model, "%s/tiny-q8_0.gguf", dir ? dir : "build/testdata");
    return 0;
}

static lle_run_config small_config(void)
{
    lle_run_config c;

    lle_run_config_init(&c);
    c.model_path = g_model;
    c.n_prompts = 3;
    c.max_input_tokens = 24;
    c.max_output_tokens = 10;
    c.n_threads = 2;
    return c;
}

static void test_counts_and_latency(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r = NULL;
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_OK);
    assert_non_null(r);
    assert_string_equal(r->status, "completed");
    assert_int_equal(r->n_requests, 3);
    assert_int_equal(r->total_output_tokens, 3 * 10);
    assert_int_equal(r->total_input_tokens, 3 * 24);
    for (size_t i = 0; i < r->n_requests; i++) {
        const lle_request_record *q = &r->requests[i];
        double sum = q->ttft_s;
        assert_int_equal(q->n_output_tokens, 10);
        assert_int_equal(q->n_input_tokens, 24);
        assert_int_equal(q->n_itl, 9);
        assert_true(q->ttft_s > 0.0 && q->ttft_s <= q->e2e_s);
        for (size_t j = 0; j < q->n_itl; j++) {
            assert_true(q->itl_s[j] >= 0.0);
            sum += q->itl_s[j];
        }
        assert_true(fabs(sum - q->e2e_s) < 1e-6);
        assert_true(q->prefill_s <= q->ttft_s);
    }
    assert_int_equal(r->itl.count, 27);
    assert_int_equal(r->tpot.count, 3);
    assert_true(r->prefill_tok_s > 0.0 && r->decode_tok_s > 0.0);
    assert_true(r->wall_s >= r->prefill_s + r->decode_s);
    assert_true(r->peak_rss_bytes > 0 && r->model_bytes > 0);
    lle_run_result_free(r);
}

static void test_greedy_reproducible(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *a = NULL, *b = NULL;
    lle_error err = {0};

    (void)state;
    c.n_prompts = 2;
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &a, &err), LLE_OK);
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &b, &err), LLE_OK);
    for (size_t i = 0; i < 2; i++)
        assert_memory_equal(a->requests[i].output_tokens, b->requests[i].output_tokens,
                            10 * sizeof(int32_t));
    lle_run_result_free(a);
    lle_run_result_free(b);
}

static void test_json_matches(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r = NULL;
    lle_error err = {0};
    cJSON *root, *m, *reqs;
    char *js;

    (void)state;
    c.n_prompts = 2;
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_OK);
    js = lle_run_result_to_json(r, true);
    root = cJSON_Parse(js);
    assert_non_null(root);
    assert_int_equal(cJSON_GetObjectItem(root, "schema_version")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(root, "status")->valuestring, "completed");
    m = cJSON_GetObjectItem(root, "metrics");
    assert_int_equal(cJSON_GetObjectItem(m, "output_tokens")->valueint, 20);
    assert_true(fabs(cJSON_GetObjectItem(m, "wall_s")->valuedouble - r->wall_s) < 1e-9);
    reqs = cJSON_GetObjectItem(root, "requests");
    assert_int_equal(cJSON_GetArraySize(reqs), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "itl_s")), 9);
    cJSON_Delete(root);
    free(js);
    lle_run_result_free(r);
}

static void test_bad_config(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r = NULL;
    lle_error err = {0};

    (void)state;
    c.n_prompts = 0;
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_INVALID);
    assert_null(r);
    c = small_config();
    c.n_ctx = 20; /* < 24 + 10 */
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "n_ctx"));
    c = small_config();
    c.model_path = "/nonexistent/model.gguf";
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/model.gguf"));
}

static int g_stop_after;
static volatile int g_stop;

static void stop_progress(int done, int total, double tok_s, void *user)
{
    (void)total;
    (void)tok_s;
    (void)user;
    if (done >= g_stop_after)
        g_stop = 1;
}

static void test_interrupt(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r = NULL;
    lle_error err = {0};

    (void)state;
    c.n_prompts = 4;
    g_stop_after = 1;
    g_stop = 0;
    assert_int_equal(lle_run_single(&c, stop_progress, NULL, &g_stop, &r, &err), LLE_ERR_INTERRUPTED);
    assert_non_null(r);
    assert_string_equal(r->status, "interrupted");
    assert_int_equal(r->n_requests, 1);
    assert_int_equal(r->total_output_tokens, 10);
    lle_run_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_latency),
        cmocka_unit_test(test_greedy_reproducible),
        cmocka_unit_test(test_json_matches),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
