/* test_config_migrate.c — `config migrate` on the thesis tool's real configs
 * (copies in tests/data/configs/legacy/): every file converts to YAML that
 * loads without errors, the values map as documented (model to preset,
 * bitsandbytes to GGUF types, decoding modes, latency simulation, batching),
 * every unmappable field and invalid value is reported (the base config's
 * delay_min 4 > delay_max 0.3 among them), and bad input fails cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lle/config.h"

static char g_legacy[4096], g_model[4096];

static int setup(void **state)
{
    const char *src = getenv("LLE_SRC"), *data = getenv("LLE_TESTDATA");

    (void)state;
    snprintf(g_legacy, sizeof g_legacy, "%s/tests/data/configs/legacy", src ? src : ".");
    snprintf(g_model, sizeof g_model, "%s/tiny-q8_0.gguf", data ? data : "build/testdata");
    return 0;
}

typedef struct migrated {
    char *yaml;
    lle_migrate_report *rep;
    lle_config *cfg;
    const lle_run_config *run;
    const lle_config_experiment *exp;
} migrated;

static migrated migrate(const char *rel, const lle_migrate_opts *opts)
{
    migrated m = {0};
    char path[4300];
    lle_error err = {0};
    lle_status st;

    snprintf(path, sizeof path, "%s/%s", g_legacy, rel);
    st = lle_config_migrate(path, opts, &m.yaml, &m.rep, &err);
    if (st != LLE_OK)
        fail_msg("%s: %s", rel, err.msg);
    st = lle_config_load_string(m.yaml, strlen(m.yaml), rel, ".", &m.cfg, &err);
    if (st != LLE_OK)
        fail_msg("%s does not validate: %s\n%s", rel, err.msg, m.yaml);
    assert_int_equal(lle_config_diag_count(m.cfg), 0);
    m.exp = &lle_config_campaign(m.cfg)->experiment;
    m.run = &m.exp->run;
    return m;
}

static void done(migrated *m)
{
    free(m->yaml);
    lle_migrate_report_free(m->rep);
    lle_config_free(m->cfg);
}

static const lle_migrate_item *item(const migrated *m, const char *key, lle_migrate_kind kind)
{
    for (size_t i = 0; i < m->rep->n_items; i++)
        if (strcmp(m->rep->items[i].key, key) == 0 && m->rep->items[i].kind == kind)
            return &m->rep->items[i];
    return NULL;
}

/* The item exists and its message contains `text`. */
static bool item_says(const lle_migrate_item *it, const char *text)
{
    return it != NULL && strstr(it->message, text) != NULL;
}

static bool is_set(const migrated *m, const char *field)
{
    return m->exp->set[lle_config_field_find(field)];
}

static void test_every_legacy_file(void **state)
{
    static const char *const files[] = {"base_config.json",
                                        "scenarios/A1_Max_Throughput_Exploit.json",
                                        "scenarios/A2_Precision_Minimalist.json",
                                        "scenarios/A3_Quantisation_Gaming.json",
                                        "scenarios/A4_Latency_Ignorance_Exploit.json",
                                        "scenarios/A5_Parallel_Overdrive.json",
                                        "scenarios/R1_Standard_Production_Config.json",
                                        "scenarios/R2_Low_Latency_Chatbot_Deployment.json",
                                        "scenarios/R3_Balanced_Enterprise_Service.json",
                                        "scenarios/R4_High_Load_Cloud_API_Deployment.json",
                                        "scenarios/R5_Real_Time_Mobile_Inference.json",
                                        "scenarios/R6_Medium_Scale_Language_Model_Serving.json",
                                        "head_b21d2e8/base_config.json",
                                        "head_b21d2e8/scenarios/A1_ideal.json",
                                        "head_b21d2e8/scenarios/R1_small_batch_single_gpu_low_latency.json",
                                        "head_b21d2e8/scenarios/R2_DualGPU_TopP_low_latency.json",
                                        "head_b21d2e8/scenarios/R3_Standard_SingleGPU_Greedy_4bit.json",
                                        "head_b21d2e8/scenarios/R4_Standard_DualGPU_TopP_4bit.json",
                                        "head_b21d2e8/scenarios/R5_Tail_SingleGPU_Greedy.json",
                                        "head_b21d2e8/scenarios/R6_Tail_DualGPU_TopP.json",
                                        NULL};

    (void)state;
    for (size_t i = 0; files[i] != NULL; i++) {
        migrated m = migrate(files[i], NULL);
        assert_string_equal(m.run->preset, "tinyllama-1.1b");
        assert_non_null(item(&m, "gpu_list", LLE_MIGRATE_UNMAPPED));
        assert_non_null(item(&m, "backend", LLE_MIGRATE_UNMAPPED));
        assert_non_null(strstr(m.yaml, "# Not carried over"));
        done(&m);
    }
}

static void test_base_config(void **state)
{
    migrated m = migrate("base_config.json", NULL);
    const lle_migrate_item *it = item(&m, "latency_simulation.delay_min", LLE_MIGRATE_INVALID);

    (void)state;
    assert_non_null(it);
    assert_true(item_says(it, "4 > delay_max 0.3"));
    assert_int_equal(it->pos.line, 36);
    assert_string_equal(m.run->preset_type, "f32");
    assert_int_equal(m.run->batch_size, 16);
    assert_int_equal(m.run->n_prompts, 10);
    assert_int_equal(m.run->max_input_tokens, 50);
    assert_int_equal(m.run->max_output_tokens, 50);
    assert_true(m.run->temperature == 1.0f);
    assert_int_equal(m.run->top_k, 50);
    assert_true(m.run->top_p == 0.95f);
    assert_string_equal(m.run->traffic, "none");
    assert_true(item_says(item(&m, "num_processes", LLE_MIGRATE_UNMAPPED), "MPI"));
    assert_non_null(item(&m, "latency_simulation.simulate_burst", LLE_MIGRATE_UNMAPPED));
    assert_non_null(item(&m, "query_rate", LLE_MIGRATE_UNMAPPED));
    assert_non_null(item(&m, "save_outputs", LLE_MIGRATE_UNMAPPED));
    assert_non_null(item(&m, "sharding_config", LLE_MIGRATE_UNMAPPED));
    assert_non_null(strstr(m.yaml, "batch_size: 16  # from batching_options.batch_size___fixed_batching"));
    assert_non_null(strstr(m.yaml, "#   latency_simulation.delay_min (line 36): 4 > delay_max 0.3"));
    done(&m);
}

static void test_quantised_and_decoding_modes(void **state)
{
    migrated a3 = migrate("scenarios/A3_Quantisation_Gaming.json", NULL);
    migrated a4 = migrate("scenarios/A4_Latency_Ignorance_Exploit.json", NULL);
    migrated r2 = migrate("scenarios/R2_Low_Latency_Chatbot_Deployment.json", NULL);

    (void)state;
    /* A3: 4-bit, decoding_mode top_k: top_p is not used */
    assert_string_equal(a3.run->preset_type, "q4_k_m");
    assert_int_equal(a3.run->batch_size, 64);
    assert_int_equal(a3.run->top_k, 50);
    assert_false(is_set(&a3, "top_p"));
    assert_non_null(item(&a3, "decoder_config.decoder_top_p", LLE_MIGRATE_NOTE));
    /* A4: 8-bit, greedy contradicting temperature 1, the stray key of a missing comma */
    assert_string_equal(a4.run->preset_type, "q8_0");
    assert_true(a4.run->temperature == 0.0f);
    assert_int_equal(a4.run->batch_size, 16);
    assert_non_null(item(&a4, "decoder_config.decoding_mode", LLE_MIGRATE_INVALID));
    assert_non_null(item(&a4, "config_name: A4_Latency_Ignorance_Exploitbatching_options", LLE_MIGRATE_UNMAPPED));
    assert_non_null(item(&a4, "config_name", LLE_MIGRATE_NOTE));
    /* R2: float32, top_p mode, uniform delays */
    assert_string_equal(r2.run->preset_type, "f32");
    assert_true(r2.run->top_p == 0.9f);
    assert_false(is_set(&r2, "top_k"));
    assert_string_equal(r2.run->traffic, "uniform");
    assert_true(r2.run->delay_min_s == 0.01 && r2.run->delay_max_s == 0.05);
    done(&a3);
    done(&a4);
    done(&r2);
}

static void test_head_configs(void **state)
{
    migrated r3 = migrate("head_b21d2e8/scenarios/R3_Standard_SingleGPU_Greedy_4bit.json", NULL);
    migrated base = migrate("head_b21d2e8/base_config.json", NULL);

    (void)state;
    assert_string_equal(r3.run->preset_type, "q4_k_m");
    assert_true(r3.run->temperature == 0.0f);
    assert_int_equal(r3.run->batch_size, 8);
    assert_int_equal(r3.run->n_prompts, 128);
    assert_false(is_set(&r3, "ignore_eos")); /* min_output_tokens == max_output_tokens: exact lengths */
    assert_string_equal(r3.run->traffic, "uniform");
    assert_null(item(&r3, "decoder_config.decoding_mode", LLE_MIGRATE_INVALID));
    assert_non_null(item(&r3, "quantization_config.cached_flops_for_quantised_models", LLE_MIGRATE_UNMAPPED));
    /* null config_name: the file name; null top_k/top_p: off */
    assert_string_equal(lle_config_campaign(base.cfg)->name, "base_config");
    assert_true(base.run->temperature == 1.0f);
    assert_int_equal(base.run->top_k, 0);
    done(&r3);
    done(&base);
}

static void test_options(void **state)
{
    lle_migrate_opts preset = {NULL, "tiny"}, model = {g_model, NULL};
    migrated p = migrate("base_config.json", &preset), f = migrate("base_config.json", &model);

    (void)state;
    assert_string_equal(p.run->preset, "tiny");
    assert_string_equal(p.run->preset_type, "f32");
    assert_null(f.run->preset);
    assert_non_null(f.run->model_path);
    assert_false(is_set(&f, "preset_type"));
    done(&p);
    done(&f);
}

/* Legacy JSON written to a temp file. */
static lle_status migrate_text(const char *json, const lle_migrate_opts *o, char **yaml, lle_migrate_report **rep,
                               lle_error *err)
{
    char path[] = "/tmp/lle_migrate_XXXXXX";
    int fd = mkstemp(path);
    lle_status st;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    st = lle_config_migrate(path, o, yaml, rep, err);
    unlink(path);
    return st;
}

static void test_synthetic_cases(void **state)
{
    char *yaml = NULL, *text;
    lle_migrate_report *rep = NULL;
    lle_error err = {0};
    lle_config *c = NULL;

    (void)state;
    assert_int_equal(migrate_text("{\"model_name\": \"mistralai/Mistral-7B-v0.1\"}", NULL, &yaml, &rep, &err),
                     LLE_ERR_INVALID);
    assert_null(yaml);
    assert_non_null(rep);
    text = lle_migrate_report_text(rep, "x.json");
    assert_non_null(strstr(text, "x.json:1:16: model_name: invalid: 'mistralai/Mistral-7B-v0.1' has no synthesis"));
    free(text);
    lle_migrate_report_free(rep);
    assert_int_equal(migrate_text("{\"model_name\": \"meta-llama/Llama-3.2-1B\", \"fp_precision\": \"torch.float16\","
                                  " \"max_input_tokens\": 64, \"max_output_tokens\": 32,"
                                  " \"batching_options\": {\"fixed_max_batch_size\": 4, \"adaptive_batching\": true,"
                                  " \"adaptive_max_tokens\": 500, \"max_batch_size___adaptive_batching\": 10},"
                                  " \"decoder_temperature\": 0.7,"
                                  " \"quantisation\": {\"quantization\": false, \"load_in_4bit\": true},"
                                  " \"latency_simulation\": {\"simulate\": true, \"delay_min\": 2, \"delay_max\": 1}}",
                                  NULL, &yaml, &rep, &err),
                     LLE_OK);
    assert_int_equal(lle_config_load_string(yaml, strlen(yaml), "m.yaml", ".", &c, &err), LLE_OK);
    assert_string_equal(lle_config_campaign(c)->experiment.run.preset, "llama-3.2-1b");
    assert_string_equal(lle_config_campaign(c)->experiment.run.preset_type, "f16");
    assert_int_equal(lle_config_campaign(c)->experiment.run.adaptive_tokens, 500);
    assert_int_equal(lle_config_campaign(c)->experiment.run.adaptive_max_batch, 10);
    assert_true(lle_config_campaign(c)->experiment.run.temperature > 0.69f);
    assert_string_equal(lle_config_campaign(c)->experiment.run.traffic, "none");
    text = lle_migrate_report_text(rep, "m.json");
    assert_non_null(strstr(text, "quantisation.load_in_4bit: invalid"));
    assert_non_null(strstr(text, "latency_simulation.delay_min: invalid: 2 > delay_max 1; traffic left at none"));
    free(text);
    lle_config_free(c);
    free(yaml);
    lle_migrate_report_free(rep);
    assert_int_equal(migrate_text("[1, 2]", NULL, &yaml, &rep, &err), LLE_ERR_FORMAT);
    assert_int_equal(migrate_text("{\"a\": [", NULL, &yaml, &rep, &err), LLE_ERR_FORMAT);
    assert_null(rep);
    assert_int_equal(lle_config_migrate("/nonexistent.json", NULL, &yaml, &rep, &err), LLE_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_legacy_file),
        cmocka_unit_test(test_base_config),
        cmocka_unit_test(test_quantised_and_decoding_modes),
        cmocka_unit_test(test_head_configs),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_synthetic_cases),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
