/* test_remote_parse.c — the remote engine's parsers without a network: the
 * SSE parser fed a stream split at every possible boundary (and byte by byte)
 * must give the same events; OpenAI event and response reading (text, chat
 * deltas, role-only, usage-only, errors, malformed shapes); request bodies
 * (fields, chat messages, extra body merge); the DCGM exporter's Prometheus
 * page and the energy between two readings; configuration validation. */
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

#include "remote/oai.h"
#include "remote/remote_internal.h"
#include "remote/sse.h"

/* ---- SSE ---------------------------------------------------------------- */

typedef struct collected {
    char text[4096];
    int n;
} collected;

static int collect(void *user, const char *type, const char *data, size_t len)
{
    collected *c = user;
    size_t o = strlen(c->text);

    snprintf(c->text + o, sizeof c->text - o, "[%s|%.*s]", type, (int)len, data);
    c->n++;
    return 0;
}

static const char STREAM[] = ": keep-alive comment\r\n"
                             "data: {\"a\":1}\r\n\r\n"
                             "event: update\n"
                             "data:first line\n"
                             "data: second line\n"
                             "id: 7\n"
                             "\n"
                             "data: cr only\r\r"
                             "retry: 10\n"
                             "data\n\n"
                             "data: [DONE]\n\n"
                             "data: incomplete at the end";

static const char EXPECTED[] = "[|{\"a\":1}][update|first line\nsecond line][|cr only][|][|[DONE]]";

static void test_sse_whole(void **state)
{
    lle_sse p;
    collected c = {{0}, 0};

    (void)state;
    lle_sse_init(&p, 0);
    assert_int_equal(lle_sse_feed(&p, STREAM, strlen(STREAM), collect, &c), LLE_SSE_OK);
    assert_string_equal(c.text, EXPECTED);
    assert_int_equal(c.n, 5);
    assert_true(lle_sse_pending(&p) > 0); /* the unterminated event is held, never dispatched */
    lle_sse_free(&p);
}

/* Every split point, and every pair of split points, gives the same events. */
static void test_sse_any_split(void **state)
{
    size_t n = strlen(STREAM);

    (void)state;
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j += 7) {
            lle_sse p;
            collected c = {{0}, 0};
            lle_sse_init(&p, 0);
            assert_int_equal(lle_sse_feed(&p, STREAM, i, collect, &c), LLE_SSE_OK);
            assert_int_equal(lle_sse_feed(&p, STREAM + i, j - i, collect, &c), LLE_SSE_OK);
            assert_int_equal(lle_sse_feed(&p, STREAM + j, n - j, collect, &c), LLE_SSE_OK);
            assert_string_equal(c.text, EXPECTED);
            lle_sse_free(&p);
        }
    }
}

static void test_sse_bytewise(void **state)
{
    lle_sse p;
    collected c = {{0}, 0};

    (void)state;
    lle_sse_init(&p, 0);
    for (size_t i = 0; i < strlen(STREAM); i++)
        assert_int_equal(lle_sse_feed(&p, STREAM + i, 1, collect, &c), LLE_SSE_OK);
    assert_string_equal(c.text, EXPECTED);
    lle_sse_free(&p);
}

static int stop_at_first(void *user, const char *type, const char *data, size_t len)
{
    (void)type, (void)data, (void)len;
    ++*(int *)user;
    return 1;
}

static void test_sse_limits(void **state)
{
    lle_sse p;
    int n = 0;
    char big[300];

    (void)state;
    memset(big, 'x', sizeof big);
    lle_sse_init(&p, 100);
    assert_int_equal(lle_sse_feed(&p, "data: ", 6, stop_at_first, &n), LLE_SSE_OK);
    assert_int_equal(lle_sse_feed(&p, big, sizeof big, stop_at_first, &n), LLE_SSE_TOO_LONG);
    lle_sse_free(&p);
    lle_sse_init(&p, 0);
    assert_int_equal(lle_sse_feed(&p, "data: a\n\ndata: b\n\n", 18, stop_at_first, &n), LLE_SSE_STOPPED);
    assert_int_equal(n, 1);
    lle_sse_free(&p);
}

/* ---- OpenAI events -------------------------------------------------------- */

static void parse_ok(const char *json, bool chat, lle_oai_event *ev, lle_text *out)
{
    lle_error err = {0};

    assert_int_equal(lle_oai_parse(json, strlen(json), chat, ev, out, &err), LLE_OK);
}

static void test_oai_events(void **state)
{
    lle_oai_event ev;
    lle_text out = {0};

    (void)state;
    parse_ok("{\"choices\":[{\"text\":\" hello\",\"finish_reason\":null}]}", false, &ev, &out);
    assert_int_equal(ev.text_len, 6);
    assert_false(ev.role_only);
    parse_ok("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}", true, &ev, &out);
    assert_true(ev.role_only);
    assert_int_equal(ev.text_len, 0);
    parse_ok("{\"choices\":[{\"delta\":{\"content\":\" world\"},\"finish_reason\":\"length\"}]}", true, &ev, &out);
    assert_string_equal(ev.finish_reason, "length");
    parse_ok("{\"choices\":[{\"delta\":{\"reasoning_content\":\"!\"}}]}", true, &ev, &out);
    assert_int_equal(ev.text_len, 1);
    assert_string_equal(out.s, " hello world!");
    parse_ok("{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}", false, &ev, &out);
    assert_int_equal(ev.usage_prompt, 12);
    assert_int_equal(ev.usage_completion, 34);
    assert_true(ev.role_only);
    parse_ok("  [DONE] \n", false, &ev, &out);
    assert_true(ev.done);
    parse_ok("{\"error\":{\"message\":\"overloaded\"}}", false, &ev, &out);
    assert_true(ev.error);
    assert_string_equal(ev.error_msg, "overloaded");
    parse_ok("{\"choices\":[{\"message\":{\"content\":\"whole\"}}],\"usage\":null}", true, &ev, &out);
    assert_int_equal(ev.usage_completion, -1);
    lle_text_free(&out);
}

static void test_oai_malformed(void **state)
{
    const char *bad[] = {"{\"choices\":[{\"text\":\"x\"",
                         "[1,2]",
                         "{\"choices\":{}}",
                         "{\"choices\":[{\"text\":5}]}",
                         "{\"choices\":[{\"delta\":\"x\"}]}",
                         "{\"choices\":[7]}",
                         ""};
    lle_oai_event ev;
    lle_text out = {0};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lle_error err = {0};
        bool chat = strstr(bad[i], "delta") != NULL;
        assert_int_equal(lle_oai_parse(bad[i], strlen(bad[i]), chat, &ev, &out, &err), LLE_ERR_FORMAT);
        assert_true(strlen(err.msg) > 0);
    }
    lle_text_free(&out);
}

static void test_oai_body(void **state)
{
    cJSON *extra = cJSON_Parse("{\"top_k\":5,\"max_tokens\":9}");
    lle_oai_params p = {true, true, "m1", "hi there", 32, 4, true, 0.5, 7, extra};
    char *body = lle_oai_body(&p);
    cJSON *o = cJSON_Parse(body);

    (void)state;
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "model")->valuestring, "m1");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "messages"), 0), "content")->valuestring,
        "hi there");
    assert_int_equal(cJSON_GetObjectItem(o, "max_tokens")->valueint, 9); /* extra body wins */
    assert_int_equal(cJSON_GetObjectItem(o, "top_k")->valueint, 5);
    assert_int_equal(cJSON_GetObjectItem(o, "min_tokens")->valueint, 4);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ignore_eos")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "stream_options"), "include_usage")));
    assert_null(cJSON_GetObjectItem(o, "prompt"));
    cJSON_Delete(o);
    free(body);
    p.chat = p.stream = p.ignore_eos = false;
    p.min_tokens = 0;
    p.extra = NULL;
    body = lle_oai_body(&p);
    o = cJSON_Parse(body);
    assert_string_equal(cJSON_GetObjectItem(o, "prompt")->valuestring, "hi there");
    assert_null(cJSON_GetObjectItem(o, "stream_options"));
    assert_null(cJSON_GetObjectItem(o, "ignore_eos"));
    assert_null(cJSON_GetObjectItem(o, "min_tokens"));
    cJSON_Delete(o);
    free(body);
    cJSON_Delete(extra);
}

/* ---- DCGM ------------------------------------------------------------------ */

static const char METRICS_A[] =
    "# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy (in mJ).\n"
    "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n"
    "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-a\"} 250.5\n"
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\",UUID=\"GPU-a\",modelName=\"H100 \\\"SXM\\\", "
    "80GB\",Hostname=\"n1\"} 1.5e+06\r\n"
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"1\",UUID=\"GPU-b\",Hostname=\"n1\",} 2000000 1700000000000\n"
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_X{gpu=\"1\"} 5\n";
static const char METRICS_B[] =
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"1\",UUID=\"GPU-b\",Hostname=\"n1\"} 2003500\n"
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{Hostname=\"n1\",UUID=\"GPU-a\",gpu=\"0\"} 1510000\n";

static void test_dcgm(void **state)
{
    lle_dcgm_reading a, b, c;
    lle_remote_energy e;
    lle_error err = {0};
    static const char BAD[] = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\" 5\n";
    static const char NONE[] = "# nothing\nDCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 1\n";

    (void)state;
    assert_int_equal(lle_dcgm_parse(METRICS_A, strlen(METRICS_A), &a, &err), LLE_OK);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.uuid[0], "GPU-a");
    assert_true(a.mj[0] == 1.5e6 && a.mj[1] == 2e6);
    assert_int_equal(lle_dcgm_parse(METRICS_B, strlen(METRICS_B), &b, &err), LLE_OK);
    memset(&e, 0, sizeof e);
    lle_dcgm_energy(&a, &b, &e);
    assert_true(e.available);
    assert_int_equal(e.n_gpus, 2);
    assert_true(fabs(e.energy_j - (10.0 + 3.5)) < 1e-9); /* 10000 mJ + 3500 mJ */
    lle_dcgm_energy(&b, &a, &e);                         /* counters went backwards */
    assert_false(e.available);
    assert_non_null(strstr(e.reason, "backwards"));
    c = b;
    c.n = 1;
    lle_dcgm_energy(&a, &c, &e);
    assert_false(e.available);
    assert_int_equal(lle_dcgm_parse(BAD, strlen(BAD), &c, &err), LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_int_equal(lle_dcgm_parse(NONE, strlen(NONE), &c, &err), LLE_ERR_NOT_FOUND);
}

/* ---- arrival schedules and traces ------------------------------------------ */

static void gap_moments(const double *t, int n, double *mean, double *cv2)
{
    double s = 0.0, s2 = 0.0;

    for (int i = 1; i < n; i++) {
        double g = t[i] - t[i - 1];
        s += g;
        s2 += g * g;
    }
    *mean = s / (n - 1);
    *cv2 = (s2 / (n - 1) - *mean * *mean) / (*mean * *mean);
}

static void test_arrivals(void **state)
{
    enum { N = 20000 };
    lle_remote_config c;
    lle_error err = {0};
    double *t = malloc(N * sizeof *t), *u = malloc(N * sizeof *u), mean, cv2;

    (void)state;
    lle_remote_config_init(&c);
    c.load = "poisson";
    c.rate = 100.0;
    assert_int_equal(lle_remote_arrivals(&c, N, t, &err), LLE_OK);
    assert_true(t[0] == 0.0);
    gap_moments(t, N, &mean, &cv2);
    assert_true(fabs(mean - 0.01) < 0.0003 && fabs(cv2 - 1.0) < 0.05); /* exponential: CV^2 = 1 */
    assert_int_equal(lle_remote_arrivals(&c, N, u, &err), LLE_OK);
    assert_memory_equal(t, u, N * sizeof *t); /* seeded */
    c.seed = 43;
    assert_int_equal(lle_remote_arrivals(&c, N, u, &err), LLE_OK);
    assert_true(t[5] != u[5]);
    c.load = "gamma";
    c.burstiness = 0.5;
    assert_int_equal(lle_remote_arrivals(&c, N, t, &err), LLE_OK);
    gap_moments(t, N, &mean, &cv2);
    assert_true(fabs(mean - 0.01) < 0.0004 && fabs(cv2 - 2.0) < 0.15); /* gamma: CV^2 = 1 / shape */
    c.burstiness = 4.0;
    assert_int_equal(lle_remote_arrivals(&c, N, t, &err), LLE_OK);
    gap_moments(t, N, &mean, &cv2);
    assert_true(fabs(mean - 0.01) < 0.0003 && fabs(cv2 - 0.25) < 0.03);
    c.load = "constant";
    assert_int_equal(lle_remote_arrivals(&c, 4, t, &err), LLE_OK);
    assert_true(fabs(t[3] - 0.03) < 1e-12);
    c.load = "burst";
    c.burst_size = 3;
    c.burst_interval_s = 2.0;
    assert_int_equal(lle_remote_arrivals(&c, 7, t, &err), LLE_OK);
    assert_true(t[0] == 0.0 && t[2] == 0.0 && t[3] == 2.0 && t[5] == 2.0 && t[6] == 4.0);
    free(t);
    free(u);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_trace_error(const char *text, const char *needle)
{
    char path[] = "/tmp/lle_trace_XXXXXX";
    int fd = mkstemp(path);
    lle_trace_entry *t = NULL;
    int n = 0;
    lle_error err = {0};

    assert_true(fd >= 0);
    close(fd);
    write_file(path, text);
    assert_int_equal(lle_trace_load(path, &t, &n, &err), LLE_ERR_FORMAT);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("'%s' lacks '%s'", err.msg, needle);
    assert_null(t);
    unlink(path);
}

static void test_trace(void **state)
{
    char path[] = "/tmp/lle_trace_XXXXXX";
    int fd = mkstemp(path), n = 0;
    lle_trace_entry *t = NULL;
    lle_error err = {0};

    (void)state;
    close(fd);
    write_file(path, "# t_s input output\n{\"t_s\": 0, \"input_tokens\": 8, \"output_tokens\": 4}\n\n"
                     "{\"t_s\": 0.5, \"prompt\": \"hello\", \"output_tokens\": 2}\n");
    assert_int_equal(lle_trace_load(path, &t, &n, &err), LLE_OK);
    assert_int_equal(n, 2);
    assert_true(t[1].t_s == 0.5 && t[1].output_tokens == 2 && t[0].input_tokens == 8);
    assert_string_equal(t[1].prompt, "hello");
    assert_null(t[0].prompt);
    lle_trace_free(t, n);
    unlink(path);
    assert_int_equal(lle_trace_load("/nonexistent/trace.jsonl", &t, &n, &err), LLE_ERR_NOT_FOUND);
    expect_trace_error("{\"t_s\": 1, \"input_tokens\": 8, \"output_tokens\": 4}\n"
                       "{\"t_s\": 0.5, \"input_tokens\": 8, \"output_tokens\": 4}\n",
                       ":2: \"t_s\"");
    expect_trace_error("\n\n{\"t_s\": 1, \"input_tokens\": 8}\n", ":3: \"output_tokens\"");
    expect_trace_error("{\"t_s\": 1, \"prompt\": 5, \"output_tokens\": 4}\n", ":1: \"prompt\"");
    expect_trace_error("{\"t_s\": 1, \"input_tokens\": 2.5, \"output_tokens\": 4}\n", "input_tokens");
    expect_trace_error("not json\n", ":1: not a JSON object");
    expect_trace_error("# only a comment\n", "no entries");
}

/* ---- configuration ----------------------------------------------------------- */

static void expect_invalid(const lle_remote_config *c, const char *needle)
{
    lle_error err = {0};

    assert_int_equal(lle_remote_config_validate(c, &err), LLE_ERR_INVALID);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("'%s' lacks '%s'", err.msg, needle);
}

static void test_config(void **state)
{
    lle_remote_config c;
    lle_error err = {0};

    (void)state;
    lle_remote_config_init(&c);
    expect_invalid(&c, "base_url");
    c.base_url = "http://127.0.0.1:1/v1";
    expect_invalid(&c, "model_name");
    c.model_name = "m";
    assert_int_equal(lle_remote_config_validate(&c, &err), LLE_OK);
    c.base_url = "https://user:secret@example.invalid/v1";
    expect_invalid(&c, "credentials");
    c.base_url = "ftp://127.0.0.1/";
    expect_invalid(&c, "http://");
    c.base_url = "http://127.0.0.1:1/v1";
    c.endpoint = "embeddings";
    expect_invalid(&c, "endpoint");
    c.endpoint = "chat";
    c.load = "poisson";
    expect_invalid(&c, "rate");
    c.rate = 5;
    c.extra_body = "[1]";
    expect_invalid(&c, "extra_body");
    c.extra_body = "{\"top_k\": 3}";
    c.load = "trace";
    expect_invalid(&c, "trace");
    c.load = "burst";
    expect_invalid(&c, "burst");
    c.load = "closed";
    c.idle_timeout_s = 0;
    expect_invalid(&c, "timeouts");
    c.idle_timeout_s = 1;
    assert_int_equal(lle_remote_config_validate(&c, &err), LLE_OK);
    assert_string_equal(lle_remote_class_name(LLE_RC_TRICKLE_TIMEOUT), "trickle_timeout");
    assert_string_equal(lle_remote_class_name(LLE_RC_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_whole),  cmocka_unit_test(test_sse_any_split), cmocka_unit_test(test_sse_bytewise),
        cmocka_unit_test(test_sse_limits), cmocka_unit_test(test_oai_events),    cmocka_unit_test(test_oai_malformed),
        cmocka_unit_test(test_oai_body),   cmocka_unit_test(test_dcgm),          cmocka_unit_test(test_config),
        cmocka_unit_test(test_arrivals),   cmocka_unit_test(test_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
