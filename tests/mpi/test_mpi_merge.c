/* test_mpi_merge.c — the parts of src/mpi that need no running MPI job: the
 * node map from node names, each rank's thread and GPU budget, one rank's
 * outcome through its JSON and back (exact doubles, FLOPs beyond 2^53), the
 * merge of three ranks' records (tokens summed, wall = slowest rank, latency
 * percentiles from the raw records, not averaged; batch numbers unique) and
 * the energy sections of nodes summed once per node with methods combined. */
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

#include "mpi/mpi_internal.h"

static void make_topo(mpi_topo *t, int rank, const char *const *names, int n)
{
    char(*hosts)[MPI_HOST_MAX] = calloc((size_t)n, sizeof *hosts);

    for (int i = 0; i < n; i++)
        snprintf(hosts[i], MPI_HOST_MAX, "%s", names[i]);
    assert_int_equal(mpi_topo_build(t, rank, n, (const char(*)[MPI_HOST_MAX])hosts, NULL), LLE_OK);
    free(hosts);
}

static void test_topology(void **state)
{
    const char *names[] = {"a", "b", "a", "c", "b"};
    mpi_topo t;

    (void)state;
    make_topo(&t, 2, names, 5);
    assert_int_equal(t.n_nodes, 3);
    assert_int_equal(t.node, 0);
    assert_int_equal(t.local_rank, 1);
    assert_int_equal(t.local_size, 2);
    assert_int_equal(t.node_of[1], 1);
    assert_int_equal(t.node_of[3], 2);
    assert_int_equal(t.node_of[4], 1);
    assert_int_equal(t.local_of[4], 1);
    assert_int_equal(t.local_of[3], 0);
    mpi_topo_clear(&t);
}

static void test_rank_budget(void **state)
{
    const char *names[] = {"a", "a", "a", "b"};
    mpi_topo t;
    lle_run_config c;
    lle_error err;
    int gpu;

    (void)state;
    make_topo(&t, 2, names, 4);
    lle_run_config_init(&c);
    assert_int_equal(mpi_plan_rank(&t, 8, 0, &c, &gpu, &err), LLE_OK);
    assert_int_equal(c.n_threads, 2); /* 8 cores / 3 ranks on node a */
    assert_int_equal(gpu, -1);
    lle_run_config_init(&c);
    c.n_threads = 5; /* given: kept */
    c.n_gpu_layers = -1;
    assert_int_equal(mpi_plan_rank(&t, 8, 2, &c, &gpu, &err), LLE_OK);
    assert_int_equal(c.n_threads, 5);
    assert_int_equal(gpu, 0); /* local rank 2 % 2 GPUs */
    assert_string_equal(c.split_mode, "none");
    lle_run_config_init(&c);
    c.n_gpu_layers = -1;
    c.split_mode = "row";
    assert_int_equal(mpi_plan_rank(&t, 8, 2, &c, &gpu, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "one rank per node"));
    mpi_topo_clear(&t);
    make_topo(&t, 3, names, 4); /* alone on node b: the config's placement stands */
    lle_run_config_init(&c);
    c.n_gpu_layers = -1;
    c.split_mode = "row";
    c.main_gpu = 1;
    assert_int_equal(mpi_plan_rank(&t, 8, 2, &c, &gpu, &err), LLE_OK);
    assert_int_equal(c.n_threads, 8);
    assert_string_equal(c.split_mode, "row");
    assert_int_equal(gpu, 1);
    mpi_topo_clear(&t);
}

/* A result of `n` requests with given indices, TTFTs and a wall time. */
static lle_run_result *fake_result(const int *idx, const double *ttft, int n, double wall, const char *energy)
{
    lle_run_result *r = calloc(1, sizeof *r);

    snprintf(r->status, sizeof r->status, "completed");
    snprintf(r->config_json, sizeof r->config_json, "{\"prompts\":6,\"shard_rank\":0,\"shard_count\":3}");
    r->wall_s = wall;
    r->n_threads = 1;
    r->requests = calloc((size_t)n, sizeof *r->requests);
    r->batches = calloc((size_t)n, sizeof *r->batches);
    for (int i = 0; i < n; i++) {
        lle_request_record *q = &r->requests[r->n_requests++];
        q->index = idx[i];
        q->batch = i;
        q->n_input_tokens = 10;
        q->n_output_tokens = 3;
        q->ttft_s = ttft[i];
        q->e2e_s = ttft[i] + 0.2;
        q->n_itl = 2;
        q->itl_s = malloc(2 * sizeof *q->itl_s);
        q->itl_s[0] = 0.1;
        q->itl_s[1] = 0.1 + 0.2; /* not exactly 0.3 in binary: must survive as it is */
        q->output_tokens = malloc(3 * sizeof *q->output_tokens);
        for (int k = 0; k < 3; k++)
            q->output_tokens[k] = 100 * idx[i] + k;
        r->batches[r->n_batches++] = (lle_batch_record){0, i, 1, 10, 3, 0.0, 0.1 * i, 0.1 * i + 0.01, 0.1 * i + 0.05};
    }
    r->flops.has_model = true;
    r->flops.model_decode.total = (1ULL << 60) + 1; /* beyond a double's 53 bits */
    r->flops.model_decode.part[0] = (1ULL << 60) + 1;
    r->peaks.flops_per_s = 1e12;
    snprintf(r->peaks.flops_source, sizeof r->peaks.flops_source, "user");
    r->energy_json = energy != NULL ? strdup(energy) : NULL;
    return r;
}

static void test_part_roundtrip(void **state)
{
    int idx[] = {1, 4};
    double ttft[] = {0.123456789012345678, 1.0 / 3.0};
    mpi_part p = {0}, back;
    char *json;

    (void)state;
    p.rank = 1;
    snprintf(p.host, sizeof p.host, "node-x");
    p.gpu = -1;
    p.r = fake_result(idx, ttft, 2, 2.5, "{\"total\":{\"energy_j\":1}}");
    json = mpi_part_to_json(&p);
    assert_non_null(json);
    assert_int_equal(mpi_part_from_json(json, &back, NULL), LLE_OK);
    assert_int_equal(back.rank, 1);
    assert_string_equal(back.host, "node-x");
    assert_int_equal(back.r->n_requests, 2);
    assert_true(back.r->requests[0].ttft_s == ttft[0]);
    assert_true(back.r->requests[1].ttft_s == ttft[1]);
    assert_true(back.r->requests[1].itl_s[1] == 0.1 + 0.2);
    assert_int_equal(back.r->requests[1].output_tokens[2], 402);
    assert_true(back.r->flops.model_decode.total == (1ULL << 60) + 1);
    assert_true(back.r->wall_s == 2.5);
    assert_string_equal(back.r->energy_json, "{\"total\":{\"energy_j\":1}}");
    mpi_part_clear(&back);
    free(json);
    mpi_part_clear(&p);
}

static void test_part_malformed(void **state)
{
    mpi_part back;
    lle_error err;

    (void)state;
    assert_int_equal(mpi_part_from_json("{\"rank\":2,\"host\":\"h\",\"status\":0,\"error\":\"\",\"gpu\":-1,"
                                        "\"result\":{\"status\":\"completed\"}}",
                                        &back, &err),
                     LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "rank 2"));
    assert_null(back.r);
    assert_int_equal(mpi_part_from_json("not json", &back, &err), LLE_ERR_FORMAT);
}

static const char *SECTION_A =
    "{\"total\":{\"energy_j\":30,\"net_energy_j\":20,\"method\":\"measured\",\"measured_j\":30,\"estimated_j\":0,"
    "\"net_measured_j\":20,\"net_estimated_j\":0,\"avg_power_w\":15,\"partial\":false},"
    "\"window\":{\"duration_s\":2,\"sources\":[{\"source\":\"rapl:package-0\",\"energy_j\":30}]},"
    "\"phases\":{\"prefill\":{\"energy_j\":10,\"method\":\"measured\",\"measured_j\":10,\"estimated_j\":0,"
    "\"net_measured_j\":6,\"net_estimated_j\":0,\"duration_s\":0.5},\"decode\":{\"energy_j\":20,\"method\":"
    "\"measured\",\"measured_j\":20,\"estimated_j\":0,\"net_measured_j\":14,\"net_estimated_j\":0,\"duration_s\":1.5}},"
    "\"carbon\":{\"g_co2e\":0.004,\"g_co2e_net\":0.003,\"kwh\":8.3e-6,\"intensity_g_per_kwh\":475,\"pue\":1,"
    "\"region\":\"world\",\"intensity_source\":\"x\"}}";
static const char *SECTION_B =
    "{\"total\":{\"energy_j\":12,\"net_energy_j\":12,\"method\":\"estimated\",\"measured_j\":0,\"estimated_j\":12,"
    "\"net_measured_j\":0,\"net_estimated_j\":12,\"avg_power_w\":6.5,\"partial\":true},"
    "\"window\":{\"duration_s\":1.9,\"sources\":[{\"source\":\"estimate:cpu\",\"energy_j\":12}]},"
    "\"phases\":{\"prefill\":{\"energy_j\":2,\"method\":\"estimated\",\"measured_j\":0,\"estimated_j\":2,"
    "\"net_measured_j\":0,\"net_estimated_j\":2,\"duration_s\":0.4},\"decode\":{\"energy_j\":10,\"method\":"
    "\"estimated\",\"measured_j\":0,\"estimated_j\":10,\"net_measured_j\":0,\"net_estimated_j\":10,\"duration_s\":1.5}}"
    ","
    "\"carbon\":{\"g_co2e\":0.002,\"g_co2e_net\":0.002,\"kwh\":3.3e-6,\"intensity_g_per_kwh\":56,\"pue\":1,"
    "\"region\":\"FRA\",\"intensity_source\":\"y\"}}";

static double jpath(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);

    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jpath_str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_energy_merge_one_rank_per_node(void **state)
{
    int r0[] = {0}, r1[] = {1};
    mpi_node_energy nodes[] = {{"a", r0, 1, 0, SECTION_A}, {"b", r1, 1, 1, SECTION_B}};
    lle_energy_work wk = {100, 42, 6, 0.0};
    char *out = mpi_energy_merge(nodes, 2, &wk);
    cJSON *o = cJSON_Parse(out), *ph;

    (void)state;
    assert_non_null(o);
    assert_true(jpath(o, "total", "energy_j") == 42.0); /* 30 + 12: each node once */
    assert_true(jpath(o, "total", "net_energy_j") == 32.0);
    assert_true(jpath(o, "total", "measured_j") == 30.0 && jpath(o, "total", "estimated_j") == 12.0);
    assert_string_equal(jpath_str(o, "total", "method"), "mixed");
    assert_true(fabs(jpath(o, "total", "avg_power_w") - 21.5) < 1e-12);
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "total"), "partial")));
    assert_true(jpath(o, "derived", "j_per_output_token") == 1.0); /* 42 J / 42 tokens */
    assert_true(fabs(jpath(o, "carbon", "g_co2e") - 0.006) < 1e-15);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "carbon"),
                                                              "intensity_g_per_kwh"))); /* nodes differ */
    ph = cJSON_GetObjectItemCaseSensitive(o, "phases");
    assert_true(jpath(ph, "prefill", "energy_j") == 12.0);
    assert_true(jpath(ph, "decode", "energy_j") == 30.0);
    assert_true(jpath(ph, "prefill", "j_per_token") == 0.12); /* 12 J / 100 input tokens */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "nodes")), 2);
    assert_true(jpath(o, "window", "duration_s") == 2.0); /* the longer node window */
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "window"), "sources")),
        2);
    cJSON_Delete(o);
    free(out);
}

static void test_energy_merge_shared_node(void **state)
{
    int r0[] = {0, 1, 2};
    mpi_node_energy one[] = {{"a", r0, 3, 0, SECTION_A}};
    mpi_node_energy missing[] = {{"a", r0, 2, 0, SECTION_A}, {"b", r0 + 2, 1, -1, NULL}};
    lle_energy_work wk = {100, 42, 6, 0.0};
    char *out = mpi_energy_merge(one, 1, &wk);
    cJSON *o = cJSON_Parse(out);

    (void)state;
    assert_true(jpath(o, "total", "energy_j") == 30.0); /* three ranks, one node: once */
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "phases"));
    assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(o, "phases_omitted")->valuestring, "share a node"));
    assert_true(jpath(o, "carbon", "intensity_g_per_kwh") == 475.0);
    cJSON_Delete(o);
    free(out);
    out = mpi_energy_merge(missing, 2, &wk);
    o = cJSON_Parse(out);
    assert_true(jpath(o, "total", "energy_j") == 30.0);
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "total"), "partial")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "total"),
                                                              "avg_power_w"))); /* a node's power is unknown */
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(o, "nodes_without_energy")->valuedouble, 1);
    cJSON_Delete(o);
    free(out);
    assert_null(mpi_energy_merge(missing + 1, 1, &wk)); /* no section at all */
}

static void test_merge_three_ranks(void **state)
{
    const char *names[] = {"a", "b", "a"};
    int i0[] = {0, 3}, i1[] = {1, 4}, i2[] = {2, 5};
    double t0[] = {0.1, 0.2}, t1[] = {0.3, 0.9}, t2[] = {0.5, 0.6};
    mpi_part parts[3];
    mpi_topo t;
    lle_error err;
    cJSON *cfg;
    lle_run_result *m;

    (void)state;
    memset(parts, 0, sizeof parts);
    make_topo(&t, 0, names, 3);
    parts[0].r = fake_result(i0, t0, 2, 1.0, SECTION_A);
    parts[1].r = fake_result(i1, t1, 2, 2.0, SECTION_B);
    parts[2].r = fake_result(i2, t2, 2, 1.5, NULL);
    parts[0].measured_energy = parts[1].measured_energy = true;
    for (int k = 0; k < 3; k++)
        parts[k].gpu = -1;
    assert_int_equal(mpi_merge(parts, 3, &t, &err), LLE_OK);
    m = parts[0].r;
    assert_int_equal(m->n_requests, 6);
    assert_int_equal(m->total_output_tokens, 18);
    assert_int_equal(m->total_input_tokens, 60);
    assert_true(m->wall_s == 2.0); /* the slowest rank */
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(m->requests[i].index, (int)i);
    /* TTFTs 0.1 0.3 0.5 0.2 0.9 0.6: median of all six is 0.4; the mean of the
     * ranks' own medians would be (0.15 + 0.6 + 0.55) / 3 = 0.4333 */
    assert_int_equal(m->ttft.count, 6);
    assert_true(fabs(m->ttft.p50 - 0.4) < 1e-12);
    assert_true(m->ttft.max == 0.9 && m->ttft.min == 0.1);
    assert_int_equal(m->itl.count, 12);
    assert_int_equal(m->n_batches, 6);
    for (size_t i = 1; i < m->n_batches; i++)
        assert_true(m->batches[i].index > m->batches[i - 1].index); /* unique batch numbers */
    assert_true(m->flops.model_decode.total == 3 * ((1ULL << 60) + 1));
    cfg = cJSON_Parse(m->config_json);
    assert_null(cJSON_GetObjectItemCaseSensitive(cfg, "shard_rank"));
    assert_true(jpath(cfg, "mpi", "ranks") == 3.0 && jpath(cfg, "mpi", "nodes") == 2.0);
    cJSON_Delete(cfg);
    cfg = cJSON_Parse(m->energy_json); /* node a (ranks 0, 2) by rank 0, node b by rank 1 */
    assert_true(jpath(cfg, "total", "energy_j") == 42.0);
    assert_null(cJSON_GetObjectItemCaseSensitive(cfg, "phases")); /* node a holds two ranks */
    cJSON_Delete(cfg);
    for (int k = 0; k < 3; k++)
        mpi_part_clear(&parts[k]);
    mpi_topo_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_rank_budget),
        cmocka_unit_test(test_part_roundtrip),
        cmocka_unit_test(test_part_malformed),
        cmocka_unit_test(test_energy_merge_one_rank_per_node),
        cmocka_unit_test(test_energy_merge_shared_node),
        cmocka_unit_test(test_merge_three_ranks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
