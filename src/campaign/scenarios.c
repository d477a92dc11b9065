/* scenarios.c — the thesis tool's deployment scenarios as built-in presets:
 * A0 "platonic ideal", A1-A5 (artificial, efficiency-gaming set-ups), R1-R6
 * (realistic deployments) and R7 "anti-platonic ideal", as defined in
 * henrycgbaker/thesis configs/d_scenario_configs.py at commit 0f95a21 (the
 * only version with all thirteen; A1-A5/R1-R6 agree with the 2025-04-08
 * transcription in ../shared/data/legacy/configs/scenarios/ apart from the
 * differences docs/scenarios.md lists). Each maps the thesis batch size,
 * precision/quantisation, decoding mode and latency simulation to our fields
 * and GGUF weight types; what has no equivalent is named in `not_mapped`.
 * The mapping and every choice behind it: docs/scenarios.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign/campaign_internal.h"

#define GREEDY     0.0f, 0, 1.0f
#define NO_TRAFFIC "none", 0.0, 0.0

static const lle_builtin_scenario SCENARIOS[] = {
    {"A0", "A0_platonic_ideal", false, "the most efficient set-up the thesis analysis found", 256, "f16", "float16",
     GREEDY, NO_TRAFFIC, "num_processes 1 (gpu_list 0-3)"},
    {"A1", "A1_Max_Throughput_Exploit", false, "largest batch, 8-bit weights, no latency", 256, "q8_0",
     "8-bit (bitsandbytes LLM.int8), float16 compute", GREEDY, NO_TRAFFIC, "num_processes 4 (gpu_list 0-3)"},
    {"A2", "A2_Precision_Minimalist", false, "4-bit weights, large batch", 128, "q4_k_m",
     "4-bit (bitsandbytes NF4), float16 compute", GREEDY, NO_TRAFFIC, "num_processes 2 (gpu_list 0, 1)"},
    {"A3", "A3_Quantisation_Gaming", false, "4-bit weights with top-k sampling", 64, "q4_k_m",
     "4-bit (bitsandbytes NF4), float16 compute", 1.0f, 50, 1.0f, NO_TRAFFIC, "num_processes 1 (gpu_list 0)"},
    {"A4", "A4_Latency_Ignorance_Exploit", false, "8-bit weights, batching with latency ignored", 32, "q8_0",
     "8-bit (bitsandbytes LLM.int8), float16 compute", GREEDY, NO_TRAFFIC, "num_processes 1 (gpu_list 0)"},
    {"A5", "A5_Parallel_Overdrive", false, "float16 over four processes", 64, "f16", "float16", GREEDY, NO_TRAFFIC,
     "num_processes 4 (gpu_list 0-3)"},
    {"R1", "R1_Standard_Production_Config", true, "standard production serving", 16, "f32", "float32", GREEDY,
     "uniform", 0.5, 1.5, "num_processes 4 (gpu_list 0, 1, 3, 4 sic); burst pause 4 s after every 5 batches"},
    {"R2", "R2_Low_Latency_Chatbot_Deployment", true, "small batches, nucleus sampling, short gaps", 4, "f32",
     "float32", 1.0f, 0, 0.9f, "uniform", 0.01, 0.05, "num_processes 1 (gpu_list 0)"},
    {"R3", "R3_Balanced_Enterprise_Service", true, "8-bit weights, top-k sampling, moderate load", 32, "q8_0",
     "8-bit (bitsandbytes LLM.int8), float16 compute", 1.0f, 50, 1.0f, "uniform", 0.5, 1.5,
     "num_processes 4 (gpu_list 0-3); burst pause 4 s after every 5 batches"},
    {"R4", "R4_High_Load_Cloud_API_Deployment", true, "cloud API under high load", 8, "f16", "float16", GREEDY,
     "uniform", 0.05, 0.2, "num_processes 1 (gpu_list 0); burst pause 2 s after every 5 batches"},
    {"R5", "R5_Real_Time_Mobile_Inference", true, "one request at a time, 8-bit weights", 1, "q8_0",
     "8-bit (bitsandbytes LLM.int8), float16 compute", 1.0f, 0, 0.9f, "uniform", 0.2, 0.6,
     "num_processes 1 (gpu_list 0); burst pause 5 s after every 8 batches"},
    {"R6", "R6_Medium_Scale_Language_Model_Serving", true, "medium-scale serving, short gaps", 32, "f16", "float16",
     GREEDY, "uniform", 0.01, 0.1, "num_processes 4 (gpu_list 0-3)"},
    {"R7", "R7_anti_platonic_ideal", true, "the least efficient set-up the thesis analysis found", 1, "f32", "float32",
     1.2f, 200, 1.0f, "uniform", 0.4, 0.5,
     "num_processes 4 (gpu_list 0-3); burst pause 6 s after every 20 batches; the thesis file labels the "
     "mode greedy but sets temperature 1.2 (sampled) and a mistyped `top_k: 200`"},
};

#define N_SCENARIOS (sizeof SCENARIOS / sizeof SCENARIOS[0])

size_t lle_builtin_scenario_count(void)
{
    return N_SCENARIOS;
}

const lle_builtin_scenario *lle_builtin_scenario_at(size_t i)
{
    return i < N_SCENARIOS ? &SCENARIOS[i] : NULL;
}

const lle_builtin_scenario *lle_builtin_scenario_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_SCENARIOS; i++)
        if (strcasecmp(name, SCENARIOS[i].id) == 0 || strcasecmp(name, SCENARIOS[i].name) == 0)
            return &SCENARIOS[i];
    return NULL;
}

static void set_value(lle_config_experiment *e, const char *field, const char *s, long long i, double d)
{
    lle_config_value v;

    memset(&v, 0, sizeof v);
    v.field = lle_config_field_find(field);
    v.s = s;
    v.i = i;
    v.d = d;
    lle_config_value_apply(&v, e);
}

void cmp_builtin_overrides(const lle_builtin_scenario *b, bool model_is_file, lle_config_experiment *out)
{
    lle_config_experiment_init(out);
    set_value(out, "batch_size", NULL, b->batch_size, 0);
    if (!model_is_file)
        set_value(out, "preset_type", b->preset_type, 0, 0);
    set_value(out, "temperature", NULL, 0, b->temperature);
    set_value(out, "top_k", NULL, b->top_k, 0);
    set_value(out, "top_p", NULL, 0, b->top_p);
    set_value(out, "traffic", b->traffic, 0, 0);
    set_value(out, "delay_min_s", NULL, 0, b->delay_min_s);
    set_value(out, "delay_max_s", NULL, 0, b->delay_max_s);
}

static void decoding_text(const lle_builtin_scenario *b, char *buf, size_t size)
{
    if (b->temperature <= 0.0f)
        snprintf(buf, size, "greedy (temperature 0)");
    else if (b->top_k > 0)
        snprintf(buf, size, "temperature %g, top_k %d", (double)b->temperature, b->top_k);
    else
        snprintf(buf, size, "temperature %g, top_p %g", (double)b->temperature, (double)b->top_p);
}

char *lle_builtin_scenarios_markdown(void)
{
    size_t cap = 8192, used = 0;
    char *out = malloc(cap);

    if (out == NULL)
        return NULL;
    used += (size_t)snprintf(out, cap,
                             "| id | thesis name | realistic | batch_size | preset_type (thesis precision) "
                             "| decoding | traffic | not mapped |\n| --- | --- | --- | --- | --- | --- | --- "
                             "| --- |\n");
    for (size_t i = 0; i < N_SCENARIOS && used < cap; i++) {
        const lle_builtin_scenario *b = &SCENARIOS[i];
        char dec[64], traffic[64];
        decoding_text(b, dec, sizeof dec);
        if (strcmp(b->traffic, "uniform") == 0)
            snprintf(traffic, sizeof traffic, "uniform, %g-%g s", b->delay_min_s, b->delay_max_s);
        else
            snprintf(traffic, sizeof traffic, "none");
        used += (size_t)snprintf(out + used, cap - used, "| `%s` | %s | %s | %d | `%s` (%s) | %s | %s | %s |\n", b->id,
                                 b->name, b->realistic ? "yes" : "no", b->batch_size, b->preset_type,
                                 b->thesis_precision, dec, traffic, b->not_mapped);
    }
    if (used >= cap) {
        free(out);
        return NULL;
    }
    return out;
}
