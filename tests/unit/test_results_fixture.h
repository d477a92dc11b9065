/* test_results_fixture.h — the fixed results database the results tests
 * share: 17 hand-built experiment documents with deterministic values (two
 * precisions x two batch sizes, 3 or 5 cycles each; one group unstable, one
 * with an outlier; one failed run and one `measure` document), stored
 * through lle_store_put, with a power time series per experiment. The
 * values and the figures they imply are listed in tests/unit/test_results.c.
 * Header-only (static functions) because each unit test is its own program. */
#ifndef LLE_TEST_RESULTS_FIXTURE_H
#define LLE_TEST_RESULTS_FIXTURE_H

#include <cjson/cJSON.h>
#include <dirent.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lle/store.h"
#include "store/store_timeseries.h"

typedef struct fx_group {
    const char *type;
    int batch;
    double jpt, tps;    /* J per output token and output tokens/s at multiplier 1 */
    const char *method; /* energy method */
    int cycles;
    double mult[5]; /* per-cycle multipliers of jpt (tps gets 2 - mult) */
} fx_group;

static const fx_group FX_GROUPS[] = {
    {"Q8_0", 1, 2.0, 10.0, "measured", 3, {0.99, 1.00, 1.01}},
    {"Q8_0", 4, 0.8, 30.0, "measured", 5, {1.00, 1.01, 0.99, 1.00, 1.50}},
    {"Q4_0", 1, 1.5, 14.0, "estimated", 3, {0.80, 1.00, 1.20}},
    {"Q4_0", 4, 0.6, 25.0, "estimated", 3, {0.98, 1.00, 1.02}},
};
#define FX_N_GROUPS      4
#define FX_OUTPUT_TOKENS 64

static void fx_id(char *out, size_t size, int k)
{
    snprintf(out, size, "20260101T00%02d00.000Z-%08x", k, 0xa0 + k);
}

static cJSON *fx_config(const fx_group *g, int cycle)
{
    cJSON *c = cJSON_CreateObject();

    cJSON_AddStringToObject(c, "engine", "llama.cpp");
    cJSON_AddStringToObject(c, "model_path", g->type[1] == '8' ? "/models/tiny-q8_0.gguf" : "/models/tiny-q4_0.gguf");
    cJSON_AddNullToObject(c, "preset");
    cJSON_AddStringToObject(c, "kv_type", "f16");
    cJSON_AddStringToObject(c, "flash_attn", "auto");
    cJSON_AddNumberToObject(c, "n_ctx", 256);
    cJSON_AddNumberToObject(c, "threads", 2);
    cJSON_AddNullToObject(c, "decoding_preset");
    cJSON_AddStringToObject(c, "decoding", "greedy");
    cJSON_AddNumberToObject(c, "temperature", 0);
    cJSON_AddBoolToObject(c, "ignore_eos", 1);
    cJSON_AddNumberToObject(c, "seed", 41 + cycle);
    cJSON_AddNumberToObject(c, "prompts", 4);
    cJSON_AddNumberToObject(c, "max_input_tokens", 32);
    cJSON_AddNumberToObject(c, "max_output_tokens", 16);
    cJSON_AddStringToObject(c, "batching", "fixed");
    cJSON_AddNumberToObject(c, "batch_size", g->batch);
    cJSON_AddStringToObject(c, "traffic", "none");
    cJSON_AddBoolToObject(c, "energy", 1);
    cJSON_AddNumberToObject(c, "pue", 1);
    return c;
}

static void fx_dist(cJSON *m, const char *name, double p50)
{
    cJSON *d = cJSON_AddObjectToObject(m, name);
    cJSON_AddNumberToObject(d, "count", 4);
    cJSON_AddNumberToObject(d, "mean", p50 * 1.1);
    cJSON_AddNumberToObject(d, "std", p50 * 0.1);
    cJSON_AddNumberToObject(d, "min", p50 * 0.9);
    cJSON_AddNumberToObject(d, "p50", p50);
    cJSON_AddNumberToObject(d, "p90", p50 * 1.5);
    cJSON_AddNumberToObject(d, "p95", p50 * 1.75);
    cJSON_AddNumberToObject(d, "p99", p50 * 2);
    cJSON_AddNumberToObject(d, "max", p50 * 2.5);
}

static cJSON *fx_metrics(double tps, double wall)
{
    cJSON *m = cJSON_CreateObject();

    cJSON_AddNumberToObject(m, "requests", 4);
    cJSON_AddNumberToObject(m, "batches", 2);
    cJSON_AddNumberToObject(m, "input_tokens", 128);
    cJSON_AddNumberToObject(m, "output_tokens", FX_OUTPUT_TOKENS);
    cJSON_AddNumberToObject(m, "wall_s", wall);
    cJSON_AddNumberToObject(m, "busy_s", wall);
    cJSON_AddNumberToObject(m, "idle_s", 0);
    cJSON_AddNumberToObject(m, "prefill_s", wall / 8);
    cJSON_AddNumberToObject(m, "decode_s", wall * 7 / 8);
    cJSON_AddNumberToObject(m, "output_tokens_per_s", tps);
    cJSON_AddNumberToObject(m, "total_tokens_per_s", tps * 3);
    cJSON_AddNumberToObject(m, "decode_tokens_per_s", tps * 1.1);
    cJSON_AddNumberToObject(m, "requests_per_s", 4 / wall);
    fx_dist(m, "ttft_s", 0.05);
    fx_dist(m, "tpot_s", 1.0 / tps);
    fx_dist(m, "itl_s", 1.0 / tps);
    fx_dist(m, "e2e_s", 16.0 / tps);
    cJSON_AddNumberToObject(m, "peak_rss_bytes", 40000000);
    cJSON_AddNumberToObject(m, "kv_cache_bytes", 262144);
    return m;
}

static cJSON *fx_phase(const char *name, double j, double dur, double tokens, const char *method)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddNumberToObject(p, "duration_s", dur);
    cJSON_AddNumberToObject(p, "energy_j", j);
    cJSON_AddStringToObject(p, "method", method);
    cJSON_AddNumberToObject(p, "tokens", tokens);
    cJSON_AddNumberToObject(p, "j_per_token", j / tokens);
    return p;
}

static cJSON *fx_energy(double jpt, double wall, const char *method)
{
    cJSON *e = cJSON_CreateObject(), *t, *w, *srcs, *s, *ph, *d;
    double j = jpt * FX_OUTPUT_TOKENS;
    bool measured = strcmp(method, "measured") == 0;

    w = cJSON_AddObjectToObject(e, "window");
    srcs = cJSON_AddArrayToObject(w, "sources");
    s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "source", measured ? "rapl:package-0" : "estimate:cpu");
    cJSON_AddStringToObject(s, "domain", measured ? "package" : "cpu");
    cJSON_AddStringToObject(s, "method", method);
    cJSON_AddStringToObject(s, "how", measured ? "RAPL energy_uj counter" : "P = 85 W TDP x utilisation");
    cJSON_AddBoolToObject(s, "in_total", 1);
    cJSON_AddNumberToObject(s, "energy_j", j);
    cJSON_AddNumberToObject(s, "avg_power_w", j / wall);
    cJSON_AddNumberToObject(s, "peak_power_w", j / wall * 1.25);
    cJSON_AddItemToArray(srcs, s);
    t = cJSON_AddObjectToObject(e, "total");
    cJSON_AddNumberToObject(t, "energy_j", j);
    cJSON_AddNumberToObject(t, "net_energy_j", j / 2);
    cJSON_AddStringToObject(t, "method", method);
    cJSON_AddNumberToObject(t, "measured_j", measured ? j : 0);
    cJSON_AddNumberToObject(t, "estimated_j", measured ? 0 : j);
    cJSON_AddNumberToObject(t, "avg_power_w", j / wall);
    cJSON_AddBoolToObject(t, "partial", 0);
    ph = cJSON_AddObjectToObject(e, "phases");
    cJSON_AddItemToObject(ph, "prefill", fx_phase("prefill", j / 10, wall / 8, 128, method));
    cJSON_AddItemToObject(ph, "decode", fx_phase("decode", j * 9 / 10, wall * 7 / 8, FX_OUTPUT_TOKENS, method));
    d = cJSON_AddObjectToObject(e, "derived");
    cJSON_AddStringToObject(d, "method", method);
    cJSON_AddNumberToObject(d, "j_per_output_token", jpt);
    cJSON_AddNumberToObject(d, "output_tokens_per_j", 1 / jpt);
    cJSON_AddNumberToObject(d, "j_per_request", j / 4);
    d = cJSON_AddObjectToObject(e, "carbon");
    cJSON_AddNumberToObject(d, "g_co2e", j / 3.6e6 * 475);
    cJSON_AddNumberToObject(d, "intensity_g_per_kwh", 475);
    cJSON_AddStringToObject(d, "region", "world");
    cJSON_AddStringToObject(d, "method", method);
    return e;
}

static cJSON *fx_batches_requests(cJSON *doc, double wall)
{
    cJSON *b = cJSON_AddArrayToObject(doc, "batches"), *q = cJSON_AddArrayToObject(doc, "requests");

    for (int i = 0; i < 2; i++) {
        cJSON *x = cJSON_CreateObject(), *r = cJSON_CreateObject(), *itl;
        cJSON_AddNumberToObject(x, "repeat", 0);
        cJSON_AddNumberToObject(x, "index", i);
        cJSON_AddNumberToObject(x, "start_s", wall * i / 2);
        cJSON_AddNumberToObject(x, "prefill_end_s", wall * i / 2 + wall / 16);
        cJSON_AddNumberToObject(x, "end_s", wall * (i + 1) / 2);
        cJSON_AddItemToArray(b, x);
        cJSON_AddNumberToObject(r, "index", i);
        cJSON_AddNumberToObject(r, "repeat", 0);
        cJSON_AddNumberToObject(r, "batch", i);
        cJSON_AddNumberToObject(r, "input_tokens", 32);
        cJSON_AddNumberToObject(r, "output_tokens", 3);
        cJSON_AddNumberToObject(r, "arrival_s", wall * i / 2);
        cJSON_AddNumberToObject(r, "start_s", wall * i / 2);
        cJSON_AddNumberToObject(r, "queue_delay_s", 0);
        cJSON_AddNumberToObject(r, "ttft_s", 0.25);
        cJSON_AddNumberToObject(r, "e2e_s", 0.75);
        itl = cJSON_AddArrayToObject(r, "itl_s");
        cJSON_AddItemToArray(itl, cJSON_CreateNumber(0.25));
        cJSON_AddItemToArray(itl, cJSON_CreateNumber(0.25));
        cJSON_AddItemToArray(q, r);
    }
    return doc;
}

static char *fx_document(int k, const fx_group *g, int cycle)
{
    char id[64], at[32];
    double m = g->mult[cycle - 1], tps = g->tps * (2.0 - m), wall = FX_OUTPUT_TOKENS / tps;
    cJSON *doc = cJSON_CreateObject(), *model, *env, *camp;
    char *text;

    fx_id(id, sizeof id, k);
    snprintf(at, sizeof at, "2026-01-01T00:%02d:00Z", k);
    cJSON_AddNumberToObject(doc, "schema_version", 1);
    cJSON_AddStringToObject(doc, "id", id);
    cJSON_AddStringToObject(doc, "status", "completed");
    cJSON_AddStringToObject(doc, "started_at", at);
    cJSON_AddItemToObject(doc, "config", fx_config(g, cycle));
    model = cJSON_AddObjectToObject(doc, "model");
    cJSON_AddStringToObject(model, "name", "tiny");
    cJSON_AddStringToObject(model, "arch", "llama");
    cJSON_AddStringToObject(model, "file_type", g->type);
    cJSON_AddNumberToObject(model, "n_params", 9372928);
    env = cJSON_AddObjectToObject(doc, "environment");
    cJSON_AddStringToObject(env, "hostname", "fixture-host");
    cJSON_AddStringToObject(env, "cpu_model", "Test CPU @ 2.0GHz");
    cJSON_AddNumberToObject(env, "cpu_cores", 2);
    cJSON_AddStringToObject(env, "os", "Debian GNU/Linux 12 (bookworm)");
    cJSON_AddArrayToObject(env, "gpus");
    camp = cJSON_AddObjectToObject(doc, "campaign");
    cJSON_AddStringToObject(camp, "id", g->batch == 1 ? "camp-b1" : "camp-b4");
    cJSON_AddNumberToObject(camp, "cycle", cycle);
    cJSON_AddItemToObject(doc, "metrics", fx_metrics(tps, wall));
    cJSON_AddItemToObject(doc, "energy", fx_energy(g->jpt * m, wall, g->method));
    fx_batches_requests(doc, wall);
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

typedef struct fx_ts {
    int i;
    double watts;
} fx_ts;

static bool fx_ts_next(void *user, lle_ts_row *row)
{
    fx_ts *t = user;
    if (t->i >= 10)
        return false;
    row->t_s = t->i * 0.1;
    row->source = "rapl:package-0";
    row->metric = "power_w";
    row->value = t->watts + t->i;
    t->i++;
    return true;
}

static const char FX_FAILED[] = "{\"schema_version\":1,\"id\":\"20260101T005000.000Z-000000ff\",\"status\":\"failed\","
                                "\"error\":\"model file not found\",\"started_at\":\"2026-01-01T00:50:00Z\","
                                "\"config\":{\"batch_size\":2,\"traffic\":\"none\"}}";
static const char FX_MEASURE[] =
    "{\"schema_version\":1,\"id\":\"20260101T005100.000Z-000000fe\",\"kind\":\"measure\",\"status\":\"completed\","
    "\"started_at\":\"2026-01-01T00:51:00Z\",\"metrics\":{\"wall_s\":2.5},"
    "\"energy\":{\"total\":{\"energy_j\":50,\"method\":\"estimated\",\"avg_power_w\":20}}}";

/* Build the fixture database in results_dir; 0 on success. */
static int fx_make_db(const char *results_dir)
{
    lle_store *s = NULL;
    lle_error err = {0};
    int k = 0, rc = 0;

    if (lle_store_open(results_dir, &s, &err) != LLE_OK) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return 1;
    }
    for (int g = 0; g < FX_N_GROUPS && rc == 0; g++)
        for (int c = 1; c <= FX_GROUPS[g].cycles && rc == 0; c++) {
            char *doc = fx_document(++k, &FX_GROUPS[g], c), id[64];
            fx_ts ts = {0, 10.0 * k};
            fx_id(id, sizeof id, k);
            if (doc == NULL || lle_store_put(s, doc, &err) != LLE_OK ||
                lle_store_put_timeseries(s, id, fx_ts_next, &ts, &err) != LLE_OK)
                rc = 1;
            free(doc);
        }
    if (rc == 0 && (lle_store_put(s, FX_FAILED, &err) != LLE_OK || lle_store_put(s, FX_MEASURE, &err) != LLE_OK))
        rc = 1;
    if (rc != 0)
        fprintf(stderr, "fixture: %s\n", err.msg);
    lle_store_close(s);
    return rc;
}

/* Remove the (flat) fixture directory `dir`: its files, then itself. 0 on success. */
static int fx_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[600];

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(dir);
}

#endif
