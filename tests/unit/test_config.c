/* test_config.c — config files (src/config): the schema covers every runner
 * field, files load into the right values with defaults, every error is
 * reported with its line and column, the rules agree with the runner's own
 * validation (a seeded fuzz over the schema), templates validate, show output
 * reads back to the same configuration (YAML and JSON), campaigns are parsed
 * into their structures, and the helpers (edit distance, number formatting,
 * atomic write) behave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_internal.h"
#include "lle/config.h"

static char g_src[4096], g_model[4096];

static int setup(void **state)
{
    const char *src = getenv("LLE_SRC"), *data = getenv("LLE_TESTDATA");

    (void)state;
    snprintf(g_src, sizeof g_src, "%s", src ? src : ".");
    snprintf(g_model, sizeof g_model, "%s/tiny-q8_0.gguf", data ? data : "build/testdata");
    return 0;
}

static lle_config *load_text(const char *text, lle_status want)
{
    lle_config *c = NULL;
    lle_error err = {0};
    lle_status st = lle_config_load_string(text, strlen(text), "t.yaml", ".", &c, &err);

    if (st != want) {
        char *d = c ? lle_config_diag_text(c) : NULL;
        fprintf(stderr, "status %s, want %s: %s\n%s", lle_status_name(st), lle_status_name(want), err.msg, d ? d : "");
        free(d);
    }
    assert_int_equal(st, want);
    assert_non_null(c);
    return c;
}

/* The diagnostic at `path` exists and its message contains `text`. */
static bool diag_says(const lle_config_diag *d, const char *text)
{
    return d != NULL && strstr(d->message, text) != NULL;
}

static const lle_config_diag *diag_with(const lle_config *c, const char *path)
{
    for (size_t i = 0; i < lle_config_diag_count(c); i++)
        if (strcmp(lle_config_diag_at(c, i)->path, path) == 0)
            return lle_config_diag_at(c, i);
    return NULL;
}

/* ---- schema ---- */
static void test_schema_table(void **state)
{
    size_t n = lle_config_field_count();
    lle_run_config probe;

    (void)state;
    assert_int_equal(n, 56); /* every lle_run_config member but n_tensor_split (part of tensor_split) */
    for (size_t i = 0; i < n; i++) {
        const lle_config_field *f = lle_config_field_at(i);
        char dotted[96];
        assert_true(f->offset < sizeof probe);
        assert_int_equal(lle_config_field_find(f->name), (int)i);
        snprintf(dotted, sizeof dotted, "%s.%s", f->section, f->name);
        assert_int_equal(lle_config_field_find(dotted), (int)i);
        assert_true(cfg_is_section(f->section));
        assert_true(f->help[0] != '\0' && f->default_text[0] != '\0');
        for (size_t j = 0; j < i; j++)
            assert_true(lle_config_field_at(j)->offset != f->offset);
    }
    assert_int_equal(lle_config_field_find("decoding.batch_size"), -1);
    assert_int_equal(lle_config_field_find("nope"), -1);
    assert_null(lle_config_field_at(n));
}

/* The default of every field, written and read back, is the default. */
static void test_schema_defaults_round_trip(void **state)
{
    lle_run_config def;

    (void)state;
    lle_run_config_init(&def);
    for (size_t i = 0; i < lle_config_field_count(); i++) {
        const lle_config_field *f = lle_config_field_at(i);
        lle_config_value v, back;
        rbuf b = {0};
        char *text;
        lle_config *c;
        cfg_value_get(&def, (int)i, &v);
        rbuf_printf(&b, "%s:\n  %s: ", f->section, f->name);
        cfg_value_yaml(&b, &v);
        rbuf_puts(&b, "\n");
        text = rbuf_release(&b);
        lle_config_load_string(text, strlen(text), "d.yaml", ".", &c, NULL);
        assert_non_null(c);
        assert_null(diag_with(c, "model.preset") == NULL ? NULL : diag_with(c, "model.preset"));
        cfg_value_get(&lle_config_campaign(c)->experiment.run, (int)i, &back);
        assert_true(lle_config_value_equal(&v, &back));
        lle_config_free(c);
        free(text);
    }
}

static void test_schema_outputs(void **state)
{
    char *md = lle_config_schema_markdown(), *js = lle_config_schema_json();
    cJSON *root = cJSON_Parse(js), *secs;
    size_t rows = 0, fields = 0;

    (void)state;
    assert_non_null(md);
    assert_non_null(root);
    for (const char *p = md; (p = strstr(p, "\n| `")) != NULL; p++)
        rows++;
    assert_int_equal(rows, lle_config_field_count());
    secs = cJSON_GetObjectItem(root, "sections");
    for (cJSON *s = secs->child; s != NULL; s = s->next)
        fields += (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(s, "fields"));
    assert_int_equal(fields, lle_config_field_count());
    cJSON_Delete(root);
    free(md);
    free(js);
}

/* ---- loading ---- */
static void test_load_minimal_and_defaults(void **state)
{
    lle_config *c = load_text("model:\n  preset: tiny\nbatching: {batch_size: 3}\ndecoding:\n  seed: "
                              "18446744073709551615\n  top_p: null\n",
                              LLE_OK);
    const lle_campaign *cp = lle_config_campaign(c);
    lle_run_config def;

    (void)state;
    lle_run_config_init(&def);
    assert_int_equal(cp->suite, LLE_SUITE_SINGLE);
    assert_string_equal(cp->experiment.run.preset, "tiny");
    assert_int_equal(cp->experiment.run.batch_size, 3);
    assert_true(cp->experiment.run.seed == UINT64_MAX);
    assert_true(cp->experiment.run.top_p == def.top_p); /* null: the default */
    assert_true(cp->experiment.set[lle_config_field_find("batch_size")]);
    assert_false(cp->experiment.set[lle_config_field_find("n_ctx")]);
    assert_int_equal(cp->experiment.pos[lle_config_field_find("batch_size")].line, 3);
    assert_int_equal(cp->experiment.run.max_output_tokens, def.max_output_tokens);
    assert_int_equal(lle_config_diag_count(c), 0);
    lle_config_free(c);
}

static void test_apply(void **state)
{
    lle_config *c = load_text("model: {preset: tiny, preset_type: q8_0}\nworkload: {prompts: 3}\n", LLE_OK);
    lle_run_config cfg;
    lle_error err = {0};

    (void)state;
    lle_run_config_init(&cfg);
    cfg.n_threads = 5; /* not in the file: kept */
    assert_int_equal(lle_config_apply(c, &cfg, &err), LLE_OK);
    assert_int_equal(cfg.n_prompts, 3);
    assert_int_equal(cfg.n_threads, 5);
    assert_string_equal(cfg.preset_type, "q8_0");
    assert_int_equal(lle_run_config_validate(&cfg, &err), LLE_OK);
    lle_config_free(c);

    c = load_text("suite: scenarios\nexperiment: {model: {preset: tiny}}\nscenarios: [{name: a}]\n", LLE_OK);
    assert_int_equal(lle_config_apply(c, &cfg, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "scenarios campaign"));
    lle_config_free(c);

    c = load_text("model: {preset: tiny}\nbatching: {batch_size: 0}\n", LLE_ERR_INVALID);
    assert_int_equal(lle_config_apply(c, &cfg, &err), LLE_ERR_INVALID);
    lle_config_free(c);
}

static void test_all_errors_with_positions(void **state)
{
    lle_config *c = load_text("model: {preset: tiny}\n"
                              "batching:\n"
                              "  batch_size: eight\n"
                              "decoding:\n"
                              "  temprature: 0.5\n"
                              "  top_k: 40\n"
                              "simulation: {traffic: uniform, delay_min_s: 4, delay_max_s: 0.3}\n",
                              LLE_ERR_INVALID);
    const lle_config_diag *d;
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_config_error_count(c), 4);
    d = diag_with(c, "batching.batch_size");
    assert_non_null(d);
    assert_int_equal(d->pos.line, 3);
    assert_int_equal(d->pos.column, 15);
    assert_string_equal(d->message, "expected an integer in [1, 4096], found 'eight'");
    d = diag_with(c, "decoding.temprature");
    assert_true(d != NULL && strstr(d->message, "did you mean 'temperature'") != NULL);
    assert_int_equal(d->pos.line, 5);
    assert_int_equal(d->pos.column, 3);
    d = diag_with(c, "decoding.top_k");
    assert_non_null(d);
    assert_non_null(strstr(d->message, "only applies with sampling"));
    d = diag_with(c, "simulation.delay_min_s");
    assert_non_null(d);
    assert_int_equal(d->pos.line, 7);
    assert_non_null(strstr(d->message, "expected at most delay_max_s (0.3), found 4"));
    lle_config_free(c);
    assert_int_equal(lle_config_load_string("a: [", 4, "x.yaml", NULL, &c, &err), LLE_ERR_FORMAT);
    assert_non_null(c);
    assert_non_null(strstr(err.msg, "x.yaml:"));
    assert_non_null(strstr(err.msg, "(syntax)"));
    lle_config_free(c);
}

static void test_duplicates_and_json(void **state)
{
    lle_config *c = load_text("model: {preset: tiny}\nmodel: {preset: tiny}\n", LLE_ERR_INVALID);
    const lle_config_diag *d = diag_with(c, "model");

    (void)state;
    assert_non_null(d);
    assert_non_null(strstr(d->message, "duplicate key (first given at line 1)"));
    lle_config_free(c);
    c = load_text("{\n\t\"model\": {\"preset\": \"tiny\"},\n\t\"batching\": {\"batch_size\": 4},\n"
                  "\t\"engine\": {\"flash_attn\": true, \"tensor_split\": [0.5, 0.5]}\n}\n",
                  LLE_OK);
    assert_int_equal(lle_config_campaign(c)->experiment.run.batch_size, 4);
    assert_int_equal(lle_config_campaign(c)->experiment.run.flash_attn, 1);
    assert_int_equal(lle_config_campaign(c)->experiment.run.n_tensor_split, 2);
    lle_config_free(c);
    c = load_text("{\"model\": {\"preset\": \"tiny\"}, \"batching\": {\"batch_size\": \"4\"}}", LLE_ERR_INVALID);
    assert_true(diag_says(diag_with(c, "batching.batch_size"), "found '4'"));
    lle_config_free(c);
}

static void test_file_errors(void **state)
{
    lle_config *c = (lle_config *)1;
    lle_error err = {0};
    char path[4200];

    (void)state;
    assert_int_equal(lle_config_load("/nonexistent/x.yaml", &c, &err), LLE_ERR_NOT_FOUND);
    assert_null(c);
    assert_int_equal(lle_config_load("/tmp", &c, &err), LLE_ERR_INVALID);
    assert_null(c);
    snprintf(path, sizeof path, "%s/tests/data/configs/valid/with_prompts.yaml", g_src);
    assert_int_equal(lle_config_load(path, &c, &err), LLE_OK);
    /* relative paths start at the file's directory */
    assert_int_equal(access(lle_config_campaign(c)->experiment.run.prompt_file, R_OK), 0);
    assert_non_null(strstr(lle_config_campaign(c)->experiment.run.prompt_file, "/tests/data/"));
    lle_config_free(c);
}

static void test_model_rules(void **state)
{
    char text[4600];
    lle_config *c;
    const lle_config_diag *d;

    (void)state;
    snprintf(text, sizeof text, "model: {model_path: %s, preset_type: q4_k_m}\n", g_model);
    c = load_text(text, LLE_ERR_INVALID);
    d = diag_with(c, "model.preset_type");
    assert_non_null(d);
    assert_non_null(strstr(d->message, "the file's weights are Q8_0"));
    lle_config_free(c);
    snprintf(text, sizeof text, "model: {model_path: %s}\nengine: {kv_type: q4_0, flash_attn: off}\n", g_model);
    c = load_text(text, LLE_ERR_INVALID);
    assert_non_null(diag_with(c, "engine.kv_type"));
    lle_config_free(c);
    c = load_text("model: {preset: tiny, model_path: /nonexistent.gguf}\n", LLE_ERR_INVALID);
    assert_int_equal(lle_config_error_count(c), 2); /* both given, and the file is missing */
    lle_config_free(c);
    c = load_text("workload: {prompts: 2}\n", LLE_ERR_INVALID);
    assert_non_null(diag_with(c, "model"));
    lle_config_free(c);
}

static void test_decoding_preset_consistency(void **state)
{
    lle_config *c = load_text("model: {preset: tiny}\ndecoding: {decoding_preset: standard, temperature: 1, "
                              "top_k: 50, top_p: 0.95}\n",
                              LLE_OK);

    (void)state;
    lle_config_free(c);
    c = load_text("model: {preset: tiny}\ndecoding: {decoding_preset: standard, top_k: 40}\n", LLE_ERR_INVALID);
    assert_true(diag_says(diag_with(c, "decoding.top_k"), "sets top_k 50; found 40"));
    lle_config_free(c);
}

static void test_warnings_do_not_fail(void **state)
{
    lle_config *c =
        load_text("model: {preset: tiny}\nsimulation: {traffic: none, delay_s: 1, rate_per_s: 0}\n", LLE_OK);
    const lle_config_diag *d = diag_with(c, "simulation.delay_s");

    (void)state;
    assert_non_null(d);
    assert_int_equal(d->severity, LLE_CONFIG_WARNING);
    assert_null(diag_with(c, "simulation.rate_per_s")); /* the default value: no effect either way */
    assert_int_equal(lle_config_error_count(c), 0);
    lle_config_free(c);
}

/* ---- templates and round trips ---- */
static void assert_same_experiment(const lle_config_experiment *a, const lle_config_experiment *b)
{
    lle_run_config ra, rb;

    cfg_resolved_run(a, &ra);
    cfg_resolved_run(b, &rb);
    for (size_t i = 0; i < lle_config_field_count(); i++) {
        lle_config_value va, vb;
        cfg_display_value(&ra, (int)i, &va);
        cfg_display_value(&rb, (int)i, &vb);
        if (!lle_config_value_equal(&va, &vb))
            fail_msg("field %s differs after the round trip", lle_config_field_at(i)->name);
    }
}

static void round_trip(const lle_config *c)
{
    char *texts[2] = {lle_config_to_yaml(c), lle_config_to_json(c)};
    const lle_campaign *a = lle_config_campaign(c);

    for (int k = 0; k < 2; k++) {
        lle_config *d = load_text(texts[k], LLE_OK);
        const lle_campaign *b = lle_config_campaign(d);
        assert_int_equal(a->suite, b->suite);
        assert_same_experiment(&a->experiment, &b->experiment);
        assert_int_equal(a->n_models, b->n_models);
        assert_int_equal(a->n_factors, b->n_factors);
        assert_int_equal(a->n_scenarios, b->n_scenarios);
        assert_int_equal(a->n_grid, b->n_grid);
        assert_int_equal(a->n_exclude, b->n_exclude);
        assert_int_equal(a->cycles, b->cycles);
        for (size_t i = 0; i < a->n_scenarios; i++) {
            assert_string_equal(a->scenarios[i].name, b->scenarios[i].name);
            assert_same_experiment(&a->scenarios[i].overrides, &b->scenarios[i].overrides);
        }
        for (size_t i = 0; i < a->n_grid; i++)
            for (size_t v = 0; v < a->grid[i].n_values; v++)
                assert_true(lle_config_value_equal(&a->grid[i].values[v], &b->grid[i].values[v]));
        lle_config_free(d);
        free(texts[k]);
    }
}

static void test_templates(void **state)
{
    static const char *const suites[] = {"single", "models", "controlled", "scenarios", "grid"};
    lle_error err = {0};
    char *t = NULL;

    (void)state;
    for (size_t i = 0; i < 5; i++) {
        lle_config *c;
        assert_int_equal(lle_config_template(suites[i], &t, &err), LLE_OK);
        c = load_text(t, LLE_OK);
        assert_int_equal(lle_config_diag_count(c), 0);
        assert_int_equal((int)lle_config_campaign(c)->suite, (int)i);
        round_trip(c);
        if (i == 0) {
            lle_run_config cfg;
            lle_run_config_init(&cfg);
            assert_int_equal(lle_config_apply(c, &cfg, &err), LLE_OK);
            assert_int_equal(lle_run_config_validate(&cfg, &err), LLE_OK);
            assert_string_equal(cfg.preset, "tiny");
        }
        lle_config_free(c);
        free(t);
    }
    assert_int_equal(lle_config_template("nope", &t, &err), LLE_ERR_INVALID);
    assert_null(t);
}

static void test_round_trip_full(void **state)
{
    lle_config *c = load_text("name: \"all: fields\"\ndescription: 'quotes \" and # signs'\n"
                              "model: {preset: tiny, preset_type: q8_0, cache_dir: /tmp}\n"
                              "engine: {kv_type: q8_0, flash_attn: on, n_ctx: 4096, threads: 2, threads_batch: 3,\n"
                              "  n_batch: 256, n_ubatch: 128, n_gpu_layers: -1, split_mode: row, main_gpu: 1,\n"
                              "  tensor_split: [0.25, 0.75]}\n"
                              "batching: {batch_size: 4, adaptive_tokens: 1000, adaptive_max_batch: 7}\n"
                              "decoding: {temperature: 0.7, top_k: 40, top_p: 0.95, min_p: 0.05, "
                              "repeat_penalty: 1.1,\n  repeat_last_n: 32, ignore_eos: false, min_output_tokens: 3, "
                              "seed: 123456789012}\n"
                              "workload: {prompts: 5, prompt_order: shuffled, max_input_tokens: 100,\n"
                              "  min_input_tokens: 10, max_output_tokens: 20, warmup: 0, repeat: 2}\n"
                              "simulation: {traffic: burst, burst_size: 3, burst_interval_s: 0.125}\n",
                              LLE_OK);

    (void)state;
    round_trip(c);
    lle_config_free(c);
}

/* ---- campaigns ---- */
static void test_campaign_structures(void **state)
{
    lle_config *c = load_text("suite: grid\n"
                              "experiment: {model: {preset: tiny}}\n"
                              "models: [tiny, {name: q4, preset: tiny, preset_type: q4_0}, ./m.gguf]\n"
                              "grid: {batch_size: [1, 2], temperature: [0, 0.7], decoding.top_k: [0, 40]}\n"
                              "exclude: [{temperature: 0, top_k: 40}]\n"
                              "include: [{batch_size: 8}]\n"
                              "cycles: 3\norder: shuffled\ncooldown_s: 1.5\nmax_retries: 2\n",
                              LLE_ERR_INVALID);
    const lle_campaign *cp = lle_config_campaign(c);

    (void)state;
    /* the only error: ./m.gguf does not exist */
    assert_int_equal(lle_config_error_count(c), 1);
    assert_non_null(diag_with(c, "models[2].model_path"));
    assert_int_equal(cp->suite, LLE_SUITE_GRID);
    assert_int_equal(cp->n_models, 3);
    assert_string_equal(cp->models[0].name, "tiny");
    assert_string_equal(cp->models[1].name, "q4");
    assert_string_equal(cp->models[2].name, "m.gguf");
    assert_int_equal(cp->n_grid, 3);
    assert_int_equal(cp->grid[2].field, lle_config_field_find("top_k"));
    assert_int_equal(cp->grid[2].values[1].i, 40);
    assert_true(cp->grid[1].values[1].d > 0.69 && cp->grid[1].values[1].d < 0.71);
    assert_int_equal(cp->n_exclude, 1);
    assert_int_equal(cp->exclude[0].n_values, 2);
    assert_int_equal(cp->n_include, 1);
    assert_int_equal(cp->cycles, 3);
    assert_string_equal(cp->order, "shuffled");
    assert_true(cp->cooldown_s == 1.5);
    assert_int_equal(cp->max_retries, 2);
    lle_config_free(c);
}

static void test_scenario_overlay(void **state)
{
    lle_config *c = load_text("suite: scenarios\nexperiment:\n  model: {preset: tiny}\n  batching: {batch_size: 2}\n"
                              "scenarios:\n  - name: big\n    batching: {batch_size: 8}\n"
                              "  - {name: sampled, decoding: {decoding_preset: creative}}\n",
                              LLE_OK);
    const lle_campaign *cp = lle_config_campaign(c);
    lle_config_experiment m = cp->experiment;

    (void)state;
    assert_int_equal(cp->n_scenarios, 2);
    lle_config_overlay(&m, &cp->scenarios[0].overrides);
    assert_int_equal(m.run.batch_size, 8);
    assert_string_equal(m.run.preset, "tiny");
    assert_null(cp->scenarios[1].overrides.run.preset);
    lle_config_free(c);
}

static void test_large_grid(void **state)
{
    char path[4200];
    lle_config *c = NULL;
    lle_error err = {0};
    size_t total = 1;

    (void)state;
    snprintf(path, sizeof path, "%s/tests/data/configs/valid/grid_thesis_size.yaml", g_src);
    assert_int_equal(lle_config_load(path, &c, &err), LLE_OK);
    for (size_t a = 0; a < lle_config_campaign(c)->n_grid; a++)
        total *= lle_config_campaign(c)->grid[a].n_values;
    assert_int_equal(total, 1056);
    lle_config_free(c);
}

/* ---- the rules agree with lle_run_config_validate (seeded fuzz) ---- */
static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void random_value(const lle_config_field *f, uint64_t *s, lle_config_value *v, char *store)
{
    static const char *const presets[] = {"tiny", "tinyllama-1.1b"}, *const types[] = {"q8_0", "f16", "q4_k_m"};
    static const double picks[] = {0, 1, 2, 0.5, 16, 64, 100, 512};
    char buf[160], *save = NULL, *names[16];
    size_t n = 0;
    double d = picks[rng(s) % 8];

    if (f->type == LLE_CONFIG_ENUM) {
        snprintf(buf, sizeof buf, "%s", f->choices);
        for (char *t = strtok_r(buf, "|", &save); t != NULL; t = strtok_r(NULL, "|", &save))
            names[n++] = t;
        snprintf(store, 32, "%s", names[rng(s) % n]);
        v->s = strcmp(f->name, "decoding_preset") == 0 && rng(s) % 2 ? NULL : store;
    }
    if (strcmp(f->name, "preset") == 0)
        v->s = presets[rng(s) % 2];
    if (strcmp(f->name, "preset_type") == 0)
        v->s = types[rng(s) % 3];
    if (rng(s) % 4 == 0)
        d = rng(s) % 2 ? f->min : f->max;
    if (d < f->min || (f->min_open && d == f->min))
        d = f->min_open ? f->min + 0.25 : f->min;
    if (d > f->max || (f->max_open && d == f->max))
        d = f->max_open ? f->max / 2 : f->max;
    v->i = (long long)d;
    v->u = (uint64_t)d;
    v->d = d;
    v->b = rng(s) % 2;
    v->i = f->type == LLE_CONFIG_AUTO_BOOL ? (long long)(rng(s) % 3) - 1 : v->i;
}

static void test_rules_match_runner(void **state)
{
    static const char *const skip[] = {"model_path", "cache_dir", "prompt_file", "tensor_split", NULL};
    uint64_t seed = 2024;
    int invalid = 0;

    (void)state;
    for (int round = 0; round < 3000; round++) {
        lle_config_experiment e;
        char store[LLE_CONFIG_MAX_FIELDS][32];
        emit_opts o = {false, false, NULL, 0};
        rbuf b = {0};
        char *text;
        lle_config *c = NULL;
        lle_error err = {0};
        lle_config_experiment_init(&e);
        for (size_t i = 0; i < lle_config_field_count(); i++) {
            const lle_config_field *f = lle_config_field_at(i);
            lle_config_value v = {0};
            bool skipped = false;
            for (size_t k = 0; skip[k] != NULL; k++)
                skipped = skipped || strcmp(skip[k], f->name) == 0;
            if (skipped || (rng(&seed) % 3 != 0 && strcmp(f->name, "preset") != 0))
                continue;
            v.field = (int)i;
            random_value(f, &seed, &v, store[i]);
            lle_config_value_apply(&v, &e);
        }
        cfg_emit_experiment(&b, &e, &o);
        text = rbuf_release(&b);
        lle_config_load_string(text, strlen(text), "fuzz.yaml", ".", &c, &err);
        assert_non_null(c);
        /* "(experiment)" is the runner's own message: a rule the file checks missed */
        const lle_config_diag *miss = diag_with(c, "(experiment)");
        if (miss != NULL)
            fail_msg("runner rule not covered for:\n%s-> %s", text, miss->message);
        invalid += lle_config_error_count(c) > 0;
        lle_config_free(c);
        free(text);
    }
    assert_true(invalid > 100 && invalid < 2900); /* the fuzz exercised both outcomes */
}

/* ---- helpers ---- */
static void test_helpers(void **state)
{
    const char *names[] = {"batch_size", "adaptive_tokens", "temperature", NULL};
    char buf[40];
    lle_error err = {0};
    char path[] = "/tmp/lle_cfg_write_XXXXXX";
    int fd = mkstemp(path);

    (void)state;
    assert_int_equal(cfg_edit_distance("temprature", "temperature"), 1);
    assert_int_equal(cfg_edit_distance("tmeperature", "temperature"), 1);
    assert_int_equal(cfg_edit_distance("", "abc"), 3);
    assert_string_equal(cfg_did_you_mean("batchsize", names), "batch_size");
    assert_string_equal(cfg_did_you_mean("TEMPERATURE", names), "temperature");
    assert_null(cfg_did_you_mean("xyz", names));
    cfg_fmt_float(buf, sizeof buf, 0.95f);
    assert_string_equal(buf, "0.95");
    cfg_fmt_float(buf, sizeof buf, 1.1f);
    assert_string_equal(buf, "1.1");
    cfg_fmt_double(buf, sizeof buf, 0.3);
    assert_string_equal(buf, "0.3");
    cfg_fmt_double(buf, sizeof buf, 1e-7);
    assert_string_equal(buf, "1e-07");
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(lle_config_write_text(path, "a: 1\n", false, &err), LLE_ERR_INVALID);
    assert_int_equal(lle_config_write_text(path, "a: 1\n", true, &err), LLE_OK);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_schema_defaults_round_trip),
        cmocka_unit_test(test_schema_outputs),
        cmocka_unit_test(test_load_minimal_and_defaults),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_all_errors_with_positions),
        cmocka_unit_test(test_duplicates_and_json),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_model_rules),
        cmocka_unit_test(test_decoding_preset_consistency),
        cmocka_unit_test(test_warnings_do_not_fail),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_round_trip_full),
        cmocka_unit_test(test_campaign_structures),
        cmocka_unit_test(test_scenario_overlay),
        cmocka_unit_test(test_large_grid),
        cmocka_unit_test(test_rules_match_runner),
        cmocka_unit_test(test_helpers),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
