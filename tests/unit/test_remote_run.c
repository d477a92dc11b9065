/* test_remote_run.c — the remote engine end to end against the fault-injecting
 * test server (tests/servers/fault_server.c, path in $LLE_FAULT_SERVER) on
 * 127.0.0.1: TTFT and ITL within 1 ms of the scripted delays, events split
 * across reads, multi-token and empty chunks, every error class the server
 * can provoke (and a refused connection, a TLS failure, an interrupt), the
 * measurement window of the closed loop, open-loop arrivals, DCGM energy,
 * the API key never leaking, warmup failure, and the local tokenizer. Every
 * run is bounded by short timeouts; the server is stopped at teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lle/remote.h"

extern char **environ;

static pid_t g_pid = -1;
static int g_port;
static char g_url[256];

static int start_server(void **state)
{
    const char *bin = getenv("LLE_FAULT_SERVER");
    char port_file[] = "/tmp/lle_fault_port_XXXXXX";
    char *argv[] = {(char *)bin, "--port-file", port_file, "--max-seconds", "300", NULL};
    int fd = mkstemp(port_file);
    posix_spawn_file_actions_t fa;

    (void)state;
    if (bin == NULL || fd < 0) {
        fprintf(stderr, "LLE_FAULT_SERVER is not set (run through ctest)\n");
        return -1;
    }
    close(fd);
    unlink(port_file);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&g_pid, bin, &fa, NULL, argv, environ) != 0)
        return -1;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 500 && g_port == 0; i++) { /* at most 5 s */
        FILE *f = fopen(port_file, "r");
        struct timespec ts = {0, 10000000};
        if (f != NULL) {
            if (fscanf(f, "%d", &g_port) != 1)
                g_port = 0;
            fclose(f);
        }
        if (g_port == 0)
            nanosleep(&ts, NULL);
    }
    unlink(port_file);
    return g_port > 0 ? 0 : -1;
}

static int stop_server(void **state)
{
    (void)state;
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        waitpid(g_pid, NULL, 0);
    }
    return 0;
}

/* A config against scenario `spec` with short timeouts. */
static void base_cfg(lle_remote_config *c, const char *spec)
{
    lle_remote_config_init(c);
    snprintf(g_url, sizeof g_url, "http://127.0.0.1:%d/s/%s/v1", g_port, spec);
    c->base_url = g_url;
    c->model_name = "test-model";
    c->n_requests = 4;
    c->max_output_tokens = 8;
    c->max_input_tokens = 16;
    c->warmup = 0;
    c->connect_timeout_s = 2;
    c->first_byte_timeout_s = 2;
    c->idle_timeout_s = 2;
    c->total_timeout_s = 10;
}

static lle_remote_result *run_ok(const lle_remote_config *c)
{
    lle_remote_result *r = NULL;
    lle_error err = {0};
    lle_status st = lle_remote_run(c, NULL, NULL, NULL, &r, &err);

    if (st != LLE_OK)
        fail_msg("run failed: %s", err.msg);
    assert_non_null(r);
    return r;
}

#define NEAR_MS(v, want_s) assert_true(fabs((v) - (want_s)) < 0.001)

static void test_timing(void **state)
{
    lle_remote_config c;
    lle_remote_result *r;

    (void)state;
    base_cfg(&c, "ttft_ms=50,itl_ms=10");
    c.n_requests = 6;
    c.warmup = 1;
    r = run_ok(&c);
    assert_int_equal(r->n_ok, 6);
    assert_int_equal(r->ttft.count, 6);
    NEAR_MS(r->ttft.p50, 0.050);
    NEAR_MS(r->itl.p50, 0.010);
    NEAR_MS(r->tpot.p50, 0.010);
    NEAR_MS(r->e2e.p50, 0.050 + 7 * 0.010);
    for (size_t i = 0; i < r->n_requests; i++) {
        const lle_remote_request *q = &r->requests[i];
        double sum = 0.0;
        for (size_t j = 0; j < q->rec.n_itl; j++)
            sum += q->rec.itl_s[j];
        assert_int_equal(q->rec.n_output_tokens, 8);
        assert_int_equal(q->rec.n_itl, 7);
        assert_string_equal(q->output_token_source, "server_usage");
        assert_string_equal(q->itl_basis, "tokens");
        assert_true(fabs(q->rec.ttft_s + sum - q->rec.e2e_s) < 1e-9);
        assert_true(q->rec.queue_delay_s >= 0 && q->rec.queue_delay_s < 0.01);
        assert_true(q->in_window);
    }
    assert_false(r->energy.available);
    assert_non_null(strstr(r->energy.reason, "not measured"));
    lle_remote_result_free(r);
}

/* Events split across reads, multi-token chunks, role-only and empty chunks. */
static void test_chunking(void **state)
{
    lle_remote_config c;
    lle_remote_result *r;

    (void)state;
    base_cfg(&c, "split=4,split_gap_ms=2,itl_ms=10,per_chunk=3,empty_every=1,role=1");
    c.endpoint = "chat";
    c.max_output_tokens = 9;
    r = run_ok(&c);
    assert_int_equal(r->n_ok, 4);
    for (size_t i = 0; i < r->n_requests; i++) {
        const lle_remote_request *q = &r->requests[i];
        assert_int_equal(q->n_chunks, 3);
        assert_int_equal(q->rec.n_output_tokens, 9); /* usage */
        assert_true(q->n_empty_chunks >= 4);         /* role-only + 3 empty + finish + usage */
        assert_string_equal(q->itl_basis, "chunks"); /* 3 chunks carry 9 tokens, no tokenizer */
        assert_int_equal(q->rec.n_itl, 2);
    }
    NEAR_MS(r->chunk_gap.p50, 0.010);
    lle_remote_result_free(r);
    base_cfg(&c, "split=7,split_gap_ms=0");
    c.stream = false;
    r = run_ok(&c);
    assert_int_equal(r->n_ok, 4);
    assert_true(r->requests[0].rec.ttft_s == r->requests[0].rec.e2e_s);
    lle_remote_result_free(r);
}

typedef struct fault_case {
    const char *spec;
    lle_remote_class cls;
    int http_status;
} fault_case;

static void test_fault_classes(void **state)
{
    static const fault_case CASES[] = {
        {"status=429", LLE_RC_HTTP_4XX, 429},
        {"status=503", LLE_RC_HTTP_5XX, 503},
        {"status=302", LLE_RC_HTTP_OTHER, 302},
        {"reset_after=2,itl_ms=5", LLE_RC_CONNECTION_RESET, 200},
        {"cut_after=2,itl_ms=5", LLE_RC_STREAM_CUT, 200},
        {"no_done=1", LLE_RC_STREAM_CUT, 200},
        {"malformed_at=1", LLE_RC_MALFORMED_EVENT, 200},
        {"error_at=1", LLE_RC_SERVER_ERROR_EVENT, 200},
        {"stall_after=2", LLE_RC_IDLE_TIMEOUT, 200},
        {"trickle_ms=20", LLE_RC_TRICKLE_TIMEOUT, 200},
        {"silent=1", LLE_RC_FIRST_BYTE_TIMEOUT, 0},
        {"tokens=0", LLE_RC_EMPTY_RESPONSE, 200},
        {"itl_ms=100,tokens=30", LLE_RC_TOTAL_TIMEOUT, 200},
    };

    (void)state;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        lle_remote_config c;
        lle_remote_result *r = NULL;
        lle_error err = {0};
        base_cfg(&c, CASES[k].spec);
        c.n_requests = 2;
        c.idle_timeout_s = 0.3; /* a long first-byte timeout must not delay the idle one */
        c.first_byte_timeout_s = CASES[k].cls == LLE_RC_FIRST_BYTE_TIMEOUT ? 0.3 : 30;
        if (CASES[k].cls == LLE_RC_TOTAL_TIMEOUT)
            c.total_timeout_s = 0.5;
        assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_BACKEND);
        assert_non_null(r);
        if (r->class_counts[CASES[k].cls] != 2)
            fail_msg("%s: want 2 x %s, got %s (%s)", CASES[k].spec, lle_remote_class_name(CASES[k].cls),
                     lle_remote_class_name(r->requests[0].cls), r->requests[0].error);
        if (CASES[k].http_status > 0)
            assert_int_equal(r->requests[0].http_status, CASES[k].http_status);
        assert_true(strlen(r->requests[0].error) > 0);
        assert_string_equal(r->status, "failed");
        assert_true(r->run_s < 3.0); /* bounded, never hangs */
        lle_remote_result_free(r);
    }
}

/* A port nothing listens on, and TLS spoken to a plain-HTTP server. */
static void test_connect_failures(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    lle_remote_config c;
    lle_remote_result *r = NULL;
    lle_error err = {0};
    char url[128];

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd); /* a free port, closed */
    base_cfg(&c, "");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
    c.base_url = url;
    assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_BACKEND);
    assert_int_equal(r->class_counts[LLE_RC_CONNECTION_REFUSED], 4);
    assert_non_null(strstr(err.msg, "connection_refused"));
    lle_remote_result_free(r);
    c.warmup = 2; /* warmup failing: the run stops early */
    assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_BACKEND);
    assert_non_null(strstr(err.msg, "warmup"));
    assert_int_equal(r->n_requests, 0);
    assert_int_equal(r->n_warmup_failed, 2);
    lle_remote_result_free(r);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/v1", g_port);
    c.warmup = 0;
    assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_BACKEND);
    assert_int_equal(r->class_counts[LLE_RC_TLS], 4);
    lle_remote_result_free(r);
}

static void stop_on_progress(int done, int total, double tok_s, void *user)
{
    (void)done, (void)total, (void)tok_s;
    *(volatile int *)user = 1;
}

static void test_interrupt(void **state)
{
    volatile int stop = 0;
    lle_remote_config c;
    lle_remote_result *r = NULL;
    lle_error err = {0};

    (void)state;
    base_cfg(&c, "itl_ms=200");
    c.concurrency = 2;
    c.n_requests = 50;
    assert_int_equal(lle_remote_run(&c, stop_on_progress, (void *)&stop, &stop, &r, &err), LLE_ERR_INTERRUPTED);
    assert_non_null(r);
    assert_string_equal(r->status, "interrupted");
    assert_int_equal(r->class_counts[LLE_RC_INTERRUPTED], 2);
    assert_true(r->n_requests < 50);
    lle_remote_result_free(r);
}

/* Closed loop, N users, M requests: the first N-1 and the last N-1 are ramps. */
static void test_closed_window(void **state)
{
    lle_remote_config c;
    lle_remote_result *r;
    char *js;

    (void)state;
    base_cfg(&c, "itl_ms=1");
    c.concurrency = 4;
    c.n_requests = 20;
    r = run_ok(&c);
    assert_int_equal(r->n_ok, 20);
    assert_int_equal(r->max_concurrency, 4);
    assert_int_equal(r->n_in_window, 20 - 3 - 3);
    assert_int_equal(r->ttft.count, 14);
    assert_true(r->wall_s > 0 && r->completion_rate > 0 && r->output_tok_s > 0);
    assert_true(r->goodput_rps == r->n_good / r->wall_s && r->n_good == 14 && r->slo_attainment == 1.0);
    js = lle_remote_result_to_json(r, true);
    assert_non_null(strstr(js, "\"excluded_requests\""));
    assert_non_null(strstr(js, "\"errors_by_class\""));
    free(js);
    lle_remote_result_free(r);
    c.slo_ttft_s = 1e-6; /* impossible SLO: no goodput */
    r = run_ok(&c);
    assert_int_equal(r->n_good, 0);
    assert_true(r->slo_attainment == 0.0);
    lle_remote_result_free(r);
}

static void test_open_loop(void **state)
{
    lle_remote_config c;
    lle_remote_result *r;

    (void)state;
    base_cfg(&c, "");
    c.load = "poisson";
    c.rate = 200;
    c.n_requests = 40;
    r = run_ok(&c);
    assert_int_equal(r->n_ok, 40);
    assert_true(r->offered_rate == 200 && r->scheduled_rate > 0);
    assert_true(fabs(r->send_rate - r->scheduled_rate) < 0.1 * r->scheduled_rate);
    assert_int_equal(r->n_in_window, 40);
    for (size_t i = 1; i < r->n_requests; i++)
        assert_true(r->requests[i].rec.arrival_s >= r->requests[i - 1].rec.arrival_s);
    lle_remote_result_free(r);
    base_cfg(&c, "itl_ms=5"); /* a cap on requests in flight: they queue */
    c.load = "poisson";
    c.rate = 1000;
    c.n_requests = 10;
    c.max_inflight = 1;
    r = run_ok(&c);
    assert_int_equal(r->max_concurrency, 1);
    assert_true(r->queue.max > 0.02); /* coordinated omission made visible */
    assert_true(r->ttft.p50 > r->queue.p50);
    lle_remote_result_free(r);
    base_cfg(&c, "");
    c.load = "burst"; /* one burst: the window is the drain */
    c.burst_size = 5;
    c.burst_interval_s = 1;
    c.n_requests = 5;
    r = run_ok(&c);
    assert_int_equal(r->n_in_window, 5);
    assert_true(r->wall_s > 0);
    lle_remote_result_free(r);
}

static void test_energy(void **state)
{
    lle_remote_config c;
    lle_remote_result *r;
    char url[256];

    (void)state;
    base_cfg(&c, "");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/s/energy_step_mj=5000,gpus=2/metrics", g_port);
    c.dcgm_url = url;
    r = run_ok(&c);
    assert_true(r->energy.available);
    assert_int_equal(r->energy.n_gpus, 2);
    assert_true(fabs(r->energy.energy_j - 10.0) < 1e-9); /* 2 GPUs x one 5000 mJ step */
    assert_string_equal(r->energy.source, "dcgm-exporter");
    lle_remote_result_free(r);
    for (int k = 0; k < 3; k++) {
        static const char *const MODES[] = {"bad", "absent", "reset"};
        static const char *const WHY[] = {"malformed", "not in the metrics", "backwards"};
        snprintf(url, sizeof url, "http://127.0.0.1:%d/s/metrics=%s/metrics", g_port, MODES[k]);
        r = run_ok(&c);
        assert_false(r->energy.available);
        if (strstr(r->energy.reason, WHY[k]) == NULL)
            fail_msg("%s: %s", MODES[k], r->energy.reason);
        lle_remote_result_free(r);
    }
}

static void test_api_key(void **state)
{
    static const char KEY[] = "sk-test-0123456789abcdef-SECRET";
    lle_remote_config c;
    lle_remote_result *r = NULL;
    lle_error err = {0};
    char *js;

    (void)state;
    base_cfg(&c, "auth=required");
    c.api_key_env = "LLE_TEST_REMOTE_KEY";
    unsetenv("LLE_TEST_REMOTE_KEY");
    assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_INVALID);
    assert_null(r);
    assert_non_null(strstr(err.msg, "LLE_TEST_REMOTE_KEY"));
    setenv("LLE_TEST_REMOTE_KEY", KEY, 1);
    r = run_ok(&c); /* the server saw an Authorization header */
    js = lle_remote_result_to_json(r, true);
    assert_null(strstr(js, KEY));
    free(js);
    lle_remote_result_free(r);
    base_cfg(&c, "echo_auth=1"); /* the server echoes the header back */
    c.api_key_env = "LLE_TEST_REMOTE_KEY";
    c.warmup = 1;
    assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_BACKEND);
    assert_null(strstr(err.msg, KEY));
    assert_non_null(strstr(err.msg, "[REDACTED]"));
    lle_remote_result_free(r);
    c.warmup = 0;
    assert_int_equal(lle_remote_run(&c, NULL, NULL, NULL, &r, &err), LLE_ERR_BACKEND);
    assert_non_null(strstr(r->requests[0].error, "[REDACTED]"));
    js = lle_remote_result_to_json(r, true);
    assert_null(strstr(js, KEY));
    assert_null(strstr(js, "0123456789abcdef"));
    free(js);
    lle_remote_result_free(r);
    unsetenv("LLE_TEST_REMOTE_KEY");
}

/* Server usage against the local tokenizer of the synthesised model. */
static void test_tokenizer(void **state)
{
    const char *dir = getenv("LLE_TESTDATA");
    char model[4096];
    lle_remote_config c;
    lle_remote_result *r;

    (void)state;
    if (dir == NULL)
        skip();
    snprintf(model, sizeof model, "%s/tiny-q8_0.gguf", dir);
    base_cfg(&c, "prompt_tokens=999");
    c.tokenizer = model;
    c.max_input_tokens = 24;
    r = run_ok(&c);
    assert_int_equal(r->n_usage_compared, 4);
    for (size_t i = 0; i < r->n_requests; i++) {
        const lle_remote_request *q = &r->requests[i];
        assert_true(q->local_input_tokens > 0 && q->local_input_tokens <= 24);
        assert_true(q->local_output_tokens > 0);
        assert_int_equal(q->usage_input_tokens, 999);
        assert_int_equal(q->rec.n_input_tokens, 999); /* the server's count wins, the local one is kept */
    }
    lle_remote_result_free(r);
    base_cfg(&c, "usage=0"); /* no usage: local counts are the source */
    c.tokenizer = model;
    r = run_ok(&c);
    assert_string_equal(r->requests[0].output_token_source, "local_tokenizer");
    assert_string_equal(r->requests[0].input_token_source, "local_tokenizer");
    lle_remote_result_free(r);
    c.tokenizer = NULL;
    r = run_ok(&c);
    assert_string_equal(r->requests[0].output_token_source, "chunks");
    assert_int_equal(r->requests[0].rec.n_output_tokens, 8);
    lle_remote_result_free(r);
}

static void test_sweep(void **state)
{
    const double points[] = {1, 2, 4};
    lle_remote_config c;
    lle_remote_result **rs = NULL;
    size_t n = 0;
    lle_error err = {0};

    (void)state;
    base_cfg(&c, "itl_ms=2");
    c.n_requests = 8;
    assert_int_equal(lle_remote_sweep(&c, points, 3, 0.05, NULL, NULL, NULL, &rs, &n, &err), LLE_OK);
    assert_true(n >= 1 && n <= 3);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rs[i]->sweep_index, (int)i);
        assert_true(rs[i]->sweep_value == points[i]);
        assert_int_equal(rs[i]->n_ok, 8);
        if (i + 1 < n)
            assert_false(rs[i]->saturated); /* only the last point may saturate ... */
    }
    if (n < 3)
        assert_true(rs[n - 1]->saturated); /* ... and the sweep stopped because it did */
    lle_remote_results_free(rs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timing),           cmocka_unit_test(test_chunking),  cmocka_unit_test(test_fault_classes),
        cmocka_unit_test(test_connect_failures), cmocka_unit_test(test_interrupt), cmocka_unit_test(test_closed_window),
        cmocka_unit_test(test_open_loop),        cmocka_unit_test(test_energy),    cmocka_unit_test(test_api_key),
        cmocka_unit_test(test_tokenizer),        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
