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
    c.warmup = 0;
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
        assert_memory_equal(a->requests[i].output_tokens, b->requests[i].output_tokens, 10 * sizeof(int32_t));
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

static void stop_progress(int done, int total, double tok_s, double watts, const char *how, void *user)
{
    (void)total;
    (void)tok_s;
    (void)watts;
    (void)how;
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

static lle_run_result *run_ok(const lle_run_config *c)
{
    lle_run_result *r = NULL;
    lle_error err = {0};
    lle_status st = lle_run_single(c, NULL, NULL, NULL, &r, &err);

    if (st != LLE_OK)
        fail_msg("run failed: %s", err.msg);
    return r;
}

static const lle_request_record *by_index(const lle_run_result *r, int index)
{
    for (size_t i = 0; i < r->n_requests; i++)
        if (r->requests[i].index == index)
            return &r->requests[i];
    return NULL;
}

/* Real batching must not change greedy results: batch 1, 4 and adaptive. */
static void test_batching_same_tokens(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *a, *b, *d;

    (void)state;
    c.n_prompts = 5;
    c.min_input_tokens = 8; /* varied lengths */
    a = run_ok(&c);
    c.batch_size = 4;
    b = run_ok(&c);
    c.batch_size = 1;
    c.adaptive_tokens = 80;
    d = run_ok(&c);
    assert_int_equal(a->n_batches, 5);
    assert_int_equal(b->n_batches, 2);
    for (size_t i = 0; i < d->n_batches; i++) {
        int cells = d->batches[i].n_input_tokens + d->batches[i].n_requests * 10;
        assert_true(cells <= 80); /* adaptive batches never exceed the budget */
    }
    for (int i = 0; i < 5; i++) {
        const lle_request_record *x = by_index(a, i), *y = by_index(b, i), *z = by_index(d, i);
        assert_non_null(x);
        assert_non_null(y);
        assert_non_null(z);
        assert_int_equal(x->n_input_tokens, y->n_input_tokens);
        assert_memory_equal(x->output_tokens, y->output_tokens, 10 * sizeof(int32_t));
        assert_memory_equal(x->output_tokens, z->output_tokens, 10 * sizeof(int32_t));
    }
    lle_run_result_free(a);
    lle_run_result_free(b);
    lle_run_result_free(d);
}

static void test_seeded_sampling(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *a, *b, *d;
    bool differs = false;

    (void)state;
    c.decoding_preset = "standard";
    c.batch_size = 3;
    a = run_ok(&c);
    b = run_ok(&c);
    c.seed = 7;
    d = run_ok(&c);
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(by_index(a, i)->output_tokens, by_index(b, i)->output_tokens, 10 * sizeof(int32_t));
        if (memcmp(by_index(a, i)->output_tokens, by_index(d, i)->output_tokens, 10 * sizeof(int32_t)) != 0)
            differs = true;
    }
    assert_true(differs);
    lle_run_result_free(a);
    lle_run_result_free(b);
    lle_run_result_free(d);
}

/* Simulated idle is outside compute time but shows as queue delay. */
static void test_traffic_burst(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r;

    (void)state;
    c.n_prompts = 4;
    c.traffic = "burst";
    c.burst_size = 2;
    c.burst_interval_s = 0.6;
    r = run_ok(&c);
    assert_int_equal(r->n_requests, 4);
    /* the engine idles for the second burst unless the first kept it busy past 0.6 s */
    assert_true(r->idle_s > 0.0 || r->batches[1].end_s >= 0.6);
    assert_true(r->batches[2].idle_before_s > 0.0 || r->batches[1].end_s >= 0.6);
    assert_true(fabs(r->busy_s + r->idle_s - r->wall_s) < 1e-9);
    for (size_t i = 0; i < r->n_requests; i++) {
        const lle_request_record *q = &r->requests[i];
        assert_true(q->queue_delay_s >= -1e-9);
        assert_true(q->arrival_s <= q->start_s + 1e-9);
        assert_true(q->ttft_s >= q->queue_delay_s);
    }
    /* the second burst arrives 0.6 s after the first */
    assert_true(by_index(r, 2)->arrival_s >= 0.6 - 1e-9);
    assert_true(r->batches[2].start_s >= 0.6);
    lle_run_result_free(r);
}

static void test_constant_delay(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r;

    (void)state;
    c.n_prompts = 3;
    c.traffic = "constant";
    c.delay_s = 0.2;
    r = run_ok(&c);
    assert_true(r->idle_s >= 0.4 - 1e-3 && r->idle_s < 0.6);
    for (size_t i = 0; i < r->n_requests; i++)
        assert_true(fabs(r->requests[i].queue_delay_s) < 1e-9);
    assert_true(r->output_tok_s > (double)r->total_output_tokens / r->wall_s);
    lle_run_result_free(r);
}

static void test_repeat_and_eos(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r;

    (void)state;
    c.n_prompts = 2;
    c.repeat = 2;
    c.warmup = 0;
    r = run_ok(&c);
    assert_int_equal(r->n_requests, 4);
    assert_int_equal(r->requests[3].repeat, 1);
    lle_run_result_free(r);
    c = small_config();
    c.ignore_eos = false;
    c.min_output_tokens = 3;
    r = run_ok(&c);
    for (size_t i = 0; i < r->n_requests; i++)
        assert_true(r->requests[i].n_output_tokens >= 3 && r->requests[i].n_output_tokens <= 10);
    lle_run_result_free(r);
}

static void test_validation_messages(void **state)
{
    lle_run_config c = small_config();
    lle_error err = {0};

    (void)state;
    c.top_k = 40; /* greedy */
    assert_int_equal(lle_run_config_validate(&c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "temperature"));
    c = small_config();
    c.traffic = "uniform";
    c.delay_min_s = 4.0;
    c.delay_max_s = 0.3;
    assert_int_equal(lle_run_config_validate(&c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "delay_min"));
    c = small_config();
    c.kv_type = "q3_weird";
    assert_int_equal(lle_run_config_validate(&c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "kv_type"));
    c = small_config();
    c.decoding_preset = "wild";
    assert_int_equal(lle_run_config_apply_preset(&c, &err), LLE_ERR_INVALID);
    c.decoding_preset = "creative";
    assert_int_equal(lle_run_config_apply_preset(&c, &err), LLE_OK);
    assert_true(c.temperature > 1.0f);
}

static void fixture(char *out, size_t size, const char *name)
{
    const char *src = getenv("LLE_SRC");

    snprintf(out, size, "%s/tests/data/prompts/%s", src ? src : ".", name);
}

static void test_prompt_files(void **state)
{
    lle_run_config c = small_config();
    lle_run_result *r = NULL;
    lle_error err = {0};
    char path[4096];

    (void)state;
    fixture(path, sizeof path, "aienergyscore_head.jsonl");
    c.prompt_file = path;
    c.n_prompts = 4;
    c.max_input_tokens = 4; /* real prompts are longer: they are cut, never overflow */
    r = run_ok(&c);
    assert_int_equal(r->n_requests, 4);
    assert_int_equal(r->prompts_truncated, 4);
    for (size_t i = 0; i < r->n_requests; i++) {
        assert_int_equal(r->requests[i].n_input_tokens, 4);
        assert_true(r->requests[i].truncated);
    }
    lle_run_result_free(r);
    fixture(path, sizeof path, "sharegpt_head.json");
    c.max_input_tokens = 512;
    c.n_prompts = 2;
    c.n_ctx = 0;
    r = run_ok(&c);
    assert_int_equal(r->n_requests, 2);
    lle_run_result_free(r);
    fixture(path, sizeof path, "broken_json_line3.jsonl");
    r = NULL;
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "broken_json_line3.jsonl:3"));
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_latency),  cmocka_unit_test(test_greedy_reproducible),
        cmocka_unit_test(test_json_matches),        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_interrupt),           cmocka_unit_test(test_batching_same_tokens),
        cmocka_unit_test(test_seeded_sampling),     cmocka_unit_test(test_traffic_burst),
        cmocka_unit_test(test_constant_delay),      cmocka_unit_test(test_repeat_and_eos),
        cmocka_unit_test(test_validation_messages), cmocka_unit_test(test_prompt_files),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
