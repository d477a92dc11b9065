/* test_campaign.c — the campaign planner: SHA-256 vectors, what makes two
 * configurations the same (normalisation and hash), each suite's variants
 * (models x controlled, scenarios with built-in presets, grid with exclude,
 * include and deduplication), the three orders over cycles, command-line
 * overrides, validation that names the variant, the built-in scenario
 * table, and the temperature cooldown with a scripted source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "campaign/campaign_internal.h"
#include "lle/campaign.h"

static char model_path[4096];

static lle_config *load(const char *yaml)
{
    lle_config *c = NULL;
    lle_error err = {0};
    char *text = malloc(strlen(yaml) + 4096);
    const char *at = strstr(yaml, "MODEL");

    /* "MODEL" in the text stands for the synthesised tiny-q8_0.gguf */
    if (at != NULL)
        snprintf(text, strlen(yaml) + 4096, "%.*s%s%s", (int)(at - yaml), yaml, model_path, at + 5);
    else
        snprintf(text, strlen(yaml) + 4096, "%s", yaml);
    if (lle_config_load_string(text, strlen(text), "test.yaml", NULL, &c, &err) != LLE_OK) {
        char *d = c != NULL ? lle_config_diag_text(c) : NULL;
        fail_msg("config: %s\n%s", err.msg, d ? d : "");
    }
    free(text);
    return c;
}

static lle_campaign_plan *plan_of(lle_config *c, const lle_campaign_opts *o)
{
    lle_campaign_plan *p = NULL;
    lle_error err = {0};

    if (lle_campaign_plan_build(c, o, &p, &err) != LLE_OK)
        fail_msg("plan: %s", err.msg);
    return p;
}

static void test_sha256(void **state)
{
    char out[65];
    const char *m56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    (void)state;
    cmp_sha256_hex("", 0, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cmp_sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cmp_sha256_hex(m56, strlen(m56), out);
    assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void hash_of(const lle_run_config *c, char out[65])
{
    lle_run_config n;
    char *json;

    assert_int_equal(cmp_normalize(c, &n, NULL), LLE_OK);
    json = cmp_config_json(&n);
    assert_non_null(json);
    cmp_sha256_hex(json, strlen(json), out);
    free(json);
}

static void test_normalize(void **state)
{
    lle_run_config a, b;
    char ha[65], hb[65];

    (void)state;
    lle_run_config_init(&a);
    a.preset = "tiny";
    b = a;
    b.decoding_preset = "standard"; /* = temperature 1, top_k 50, top_p 0.95 */
    a.temperature = 1.0f;
    a.top_k = 50;
    a.top_p = 0.95f;
    hash_of(&a, ha);
    hash_of(&b, hb);
    assert_string_equal(ha, hb);
    lle_run_config_init(&a);
    a.preset = "tiny";
    b = a;
    b.delay_s = 3.0;          /* no effect without constant traffic */
    b.adaptive_max_batch = 7; /* no effect without adaptive batching */
    b.preset_type = "q4_k_m"; /* the runner's default made explicit */
    hash_of(&a, ha);
    hash_of(&b, hb);
    assert_string_equal(ha, hb);
    b.traffic = "constant";
    hash_of(&b, hb);
    assert_string_not_equal(ha, hb);
}

static void test_canonical_json_omits_defaults(void **state)
{
    lle_run_config c, n;
    char *json;

    (void)state;
    lle_run_config_init(&c);
    c.preset = "tiny";
    c.batch_size = 4;
    c.cache_dir = "/somewhere"; /* where, not what: not part of the identity */
    assert_int_equal(cmp_normalize(&c, &n, NULL), LLE_OK);
    json = cmp_config_json(&n);
    assert_string_equal(json, "{\"preset\":\"tiny\",\"batch_size\":4}");
    free(json);
}

static const char GRID[] = "name: g\nsuite: grid\nexperiment:\n  model: {model_path: MODEL}\n"
                           "  workload: {prompts: 2, max_input_tokens: 8, max_output_tokens: 4}\n"
                           "grid:\n  batch_size: [1, 2]\n  temperature: [0, 0.7]\n  top_k: [0, 40]\n"
                           "exclude:\n  - {temperature: 0, top_k: 40}\n"
                           "include:\n  - {batch_size: 8}\n  - {batch_size: 1}\n"
                           "cycles: 3\n";

static void test_grid_exclude_include_dedup(void **state)
{
    lle_config *c = load(GRID);
    lle_campaign_plan *p = plan_of(c, NULL);

    (void)state;
    /* 2 x 2 x 2 = 8, minus 2 excluded, plus include batch 8; include batch 1 = the first combination */
    assert_int_equal(p->n_experiments, 7);
    assert_int_equal(p->n_items, 21);
    assert_int_equal(p->n_notes, 1);
    assert_non_null(strstr(p->notes[0], "include[1]{batch_size: 1}: same configuration as grid{batch_size: 1, "
                                        "temperature: 0, top_k: 0}"));
    assert_string_equal(p->experiments[0].label, "grid{batch_size: 1, temperature: 0, top_k: 0}");
    assert_string_equal(p->experiments[6].label, "include[0]{batch_size: 8}");
    assert_int_equal(p->experiments[6].run.batch_size, 8);
    assert_string_equal(p->id, "g");
    lle_campaign_plan_free(p);
    lle_config_free(c);
}

static void test_orders(void **state)
{
    lle_config *c = load(GRID);
    lle_campaign_opts o;
    lle_campaign_plan *seq, *shuf, *shuf2, *inter;
    size_t n;

    (void)state;
    lle_campaign_opts_init(&o);
    seq = plan_of(c, &o);
    o.order_set = true;
    o.order = LLE_ORDER_SHUFFLE;
    shuf = plan_of(c, &o);
    shuf2 = plan_of(c, &o);
    o.order = LLE_ORDER_INTERLEAVE;
    inter = plan_of(c, &o);
    n = seq->n_experiments;
    for (size_t i = 0; i < seq->n_items; i++) {
        assert_int_equal(seq->items[i].experiment, i % n); /* cycle-major, plan order */
        assert_int_equal(seq->items[i].cycle, (int)(i / n) + 1);
        assert_int_equal(inter->items[i].experiment, i / 3); /* experiment-major */
        assert_int_equal(inter->items[i].cycle, (int)(i % 3) + 1);
        assert_int_equal(shuf->items[i].experiment, shuf2->items[i].experiment); /* seeded */
        assert_int_equal(shuf->items[i].cycle, (int)(i / n) + 1);
    }
    for (int cyc = 0; cyc < 3; cyc++) { /* each cycle a permutation */
        unsigned seen = 0;
        for (size_t i = 0; i < n; i++)
            seen |= 1u << shuf->items[(size_t)cyc * n + i].experiment;
        assert_int_equal(seen, (1u << n) - 1);
    }
    assert_memory_not_equal(shuf->items, shuf->items + n, n * sizeof *shuf->items); /* cycles differ */
    lle_campaign_plan_free(seq);
    lle_campaign_plan_free(shuf);
    lle_campaign_plan_free(shuf2);
    lle_campaign_plan_free(inter);
    lle_config_free(c);
}

static void test_models_by_controlled(void **state)
{
    lle_config *c = load("suite: controlled\nexperiment:\n  model: {preset: tiny, preset_type: q8_0}\n"
                         "  batching: {batch_size: 2}\n"
                         "models:\n  - {name: a, preset: tiny, preset_type: q8_0}\n  - {name: b, preset: tiny, "
                         "preset_type: q4_0}\n"
                         "factors:\n  batch_size: [1, 2, 4]\n  max_output_tokens: [8]\n");
    lle_campaign_plan *p = plan_of(c, NULL);

    (void)state;
    /* per model: base + batch 1 + (batch 2 = base, dropped) + batch 4 + max_output 8 */
    assert_int_equal(p->n_experiments, 8);
    assert_int_equal(p->n_notes, 2);
    assert_string_equal(p->experiments[0].label, "models/a / base");
    assert_string_equal(p->experiments[1].label, "models/a / factors.batch_size=1");
    assert_string_equal(p->experiments[4].label, "models/b / base");
    assert_string_equal(p->experiments[4].run.preset_type, "q4_0");
    assert_int_equal(p->experiments[3].run.max_output_tokens, 8);
    assert_int_equal(p->experiments[3].run.batch_size, 2);
    lle_campaign_plan_free(p);
    lle_config_free(c);
}

static void test_scenarios_builtin(void **state)
{
    lle_config *c = load("suite: scenarios\nexperiment:\n  model: {preset: tiny}\n"
                         "scenarios:\n  - name: thesis\n  - name: r2\n    batching: {batch_size: 1}\n"
                         "  - name: mine\n    batching: {batch_size: 3}\n");
    lle_config *f = load("suite: scenarios\nexperiment:\n  model: {model_path: MODEL}\nscenarios:\n  - name: A1\n");
    lle_campaign_plan *p = plan_of(c, NULL), *q = plan_of(f, NULL);
    const lle_run_config *r2;

    (void)state;
    assert_int_equal(p->n_experiments, 15);
    assert_string_equal(p->experiments[0].label, "scenarios[0] A0 (built-in A0_platonic_ideal)");
    assert_string_equal(p->experiments[0].run.preset_type, "f16");
    assert_int_equal(p->experiments[0].run.batch_size, 256);
    assert_string_equal(p->experiments[12].label, "scenarios[0] R7 (built-in R7_anti_platonic_ideal)");
    r2 = &p->experiments[13].run; /* built-in R2, batch from the entry */
    assert_int_equal(r2->batch_size, 1);
    assert_true(r2->top_p > 0.89f && r2->top_p < 0.91f);
    assert_string_equal(r2->traffic, "uniform");
    assert_true(r2->delay_min_s == 0.01 && r2->delay_max_s == 0.05);
    assert_int_equal(p->experiments[14].run.batch_size, 3);
    /* with a GGUF file the built-in weight type is not applied, and the plan says so */
    assert_null(q->experiments[0].run.preset_type);
    assert_int_equal(q->experiments[0].run.batch_size, 256);
    assert_int_equal(q->n_notes, 1);
    assert_non_null(strstr(q->notes[0], "weight type q8_0 not applied"));
    lle_campaign_plan_free(p);
    lle_campaign_plan_free(q);
    lle_config_free(c);
    lle_config_free(f);
}

static void test_builtin_table(void **state)
{
    static const char *const ids[] = {"A0", "A1", "A2", "A3", "A4", "A5", "R1", "R2", "R3", "R4", "R5", "R6", "R7"};
    char *md = lle_builtin_scenarios_markdown();

    (void)state;
    assert_int_equal(lle_builtin_scenario_count(), 13);
    for (size_t i = 0; i < 13; i++)
        assert_string_equal(lle_builtin_scenario_at(i)->id, ids[i]);
    assert_ptr_equal(lle_builtin_scenario_find("a3"), lle_builtin_scenario_at(3));
    assert_ptr_equal(lle_builtin_scenario_find("R5_Real_Time_Mobile_Inference"), lle_builtin_scenario_at(10));
    assert_null(lle_builtin_scenario_find("R8"));
    assert_non_null(md);
    assert_non_null(strstr(md, "| `A1` | A1_Max_Throughput_Exploit | no | 256 | `q8_0`"));
    free(md);
}

static void test_overrides_and_validation(void **state)
{
    lle_config *c = load(GRID);
    lle_campaign_opts o;
    lle_config_value v[2];
    lle_campaign_plan *p = NULL;
    lle_error err = {0};

    (void)state;
    lle_campaign_opts_init(&o);
    assert_int_equal(lle_campaign_parse_override("threads=2", &v[0], &err), LLE_OK);
    assert_int_equal(lle_campaign_parse_override("batching.batch_size=4", &v[1], &err), LLE_OK);
    o.overrides = v;
    o.n_overrides = 2;
    p = plan_of(c, &o);
    assert_int_equal(p->n_experiments, 3); /* batch_size forced: the two grid batch sizes collapse */
    for (size_t i = 0; i < p->n_experiments; i++) {
        assert_int_equal(p->experiments[i].run.n_threads, 2);
        assert_int_equal(p->experiments[i].run.batch_size, 4);
    }
    lle_campaign_plan_free(p);
    assert_int_equal(lle_campaign_parse_override("top_p=1.5", &v[0], &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "top_p"));
    assert_int_equal(lle_campaign_parse_override("nope=1", &v[0], &err), LLE_ERR_INVALID);
    assert_int_equal(lle_campaign_parse_override("traffic=poison", &v[0], &err), LLE_ERR_INVALID);
    assert_int_equal(lle_campaign_parse_override("threads", &v[0], &err), LLE_ERR_INVALID);
    /* an override that breaks a rule is reported with the variant's label */
    assert_int_equal(lle_campaign_parse_override("top_k=5", &v[0], &err), LLE_OK);
    o.n_overrides = 1;
    assert_int_equal(lle_campaign_plan_build(c, &o, &p, &err), LLE_ERR_INVALID);
    assert_null(p);
    assert_non_null(strstr(err.msg, "grid{batch_size: 1, temperature: 0, top_k: 0}: "));
    assert_non_null(strstr(err.msg, "more invalid experiments"));
    lle_config_free(c);
}

static void test_campaign_id(void **state)
{
    lle_config *c = load("suite: models\nexperiment:\n  workload: {prompts: 1}\nmodels: [tiny]\n");
    lle_campaign_opts o;
    lle_campaign_plan *p;

    (void)state;
    lle_campaign_opts_init(&o);
    p = plan_of(c, &o);
    assert_string_equal(p->id, "test"); /* the file name without extension */
    lle_campaign_plan_free(p);
    o.campaign_id = "mine";
    p = plan_of(c, &o);
    assert_string_equal(p->id, "mine");
    lle_campaign_plan_free(p);
    lle_config_free(c);
}

/* ---- temperature cooldown with a scripted source ---- */
typedef struct script {
    const double *temps;
    int n, calls;
} script;

static lle_status scripted(void *user, double *c, char *what, size_t size, lle_error *err)
{
    script *s = user;

    (void)err;
    snprintf(what, size, "scripted sensor");
    *c = s->temps[s->calls < s->n ? s->calls : s->n - 1];
    s->calls++;
    return LLE_OK;
}

static void test_cooldown_temperature(void **state)
{
    static const double cooling[] = {72.0, 65.0, 58.0};
    static const double hot[] = {90.0};
    script s = {cooling, 3, 0};
    lle_temperature_source src = {scripted, &s};
    bool reached = false;
    double last = 0.0;

    (void)state;
    assert_int_equal(cmp_cooldown_temperature(&src, 60.0, 30.0, NULL, NULL, NULL, &reached, &last, NULL), LLE_OK);
    assert_true(reached);
    assert_int_equal(s.calls, 3);
    assert_true(last == 58.0);
    s = (script){hot, 1, 0};
    assert_int_equal(cmp_cooldown_temperature(&src, 60.0, 0.0, NULL, NULL, NULL, &reached, &last, NULL), LLE_OK);
    assert_false(reached); /* timeout 0: one reading, then give up */
    assert_true(last == 90.0);
}

int main(void)
{
    const char *td = getenv("LLE_TESTDATA");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_canonical_json_omits_defaults),
        cmocka_unit_test(test_grid_exclude_include_dedup),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_models_by_controlled),
        cmocka_unit_test(test_scenarios_builtin),
        cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_overrides_and_validation),
        cmocka_unit_test(test_campaign_id),
        cmocka_unit_test(test_cooldown_temperature),
    };

    snprintf(model_path, sizeof model_path, "%s/tiny-q8_0.gguf", td != NULL ? td : "build/testdata");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
