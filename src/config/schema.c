/* schema.c — the one schema table of config files: every field of
 * lle_run_config with its YAML section, type, bounds, choices, `run single`
 * flag, default and meaning. `config schema` (text, JSON, Markdown), the
 * validator, the emitter, the templates and docs/config-files.md all derive
 * from this table, so they cannot drift apart. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "config/config_internal.h"

#define OFF(m) offsetof(lle_run_config, m)
#define BIG    16777216.0

/* name, section, type, flag, choices, min, max, min_open, max_open, default, help, offset */
static const lle_config_field FIELDS[] = {
    {"model_path", "model", LLE_CONFIG_PATH, "--model", NULL, 0, 0, false, false, "—",
     "GGUF model file (relative to the config file); exactly one of model_path and preset", OFF(model_path)},
    {"preset", "model", LLE_CONFIG_STRING, "--preset", NULL, 0, 0, false, false, "—",
     "synthesised preset (`model presets`), cached on first use", OFF(preset)},
    {"preset_type", "model", LLE_CONFIG_STRING, "--type", NULL, 0, 0, false, false, "q4_k_m",
     "weight type of the preset model (f32, f16, bf16, q8_0, q4_k_m, ...); only with preset", OFF(preset_type)},
    {"cache_dir", "model", LLE_CONFIG_PATH, "", NULL, 0, 0, false, false, "$LLE_CACHE_DIR or XDG cache",
     "where synthesised preset models are cached", OFF(cache_dir)},
    {"kv_type", "engine", LLE_CONFIG_ENUM, "--kv-type", "f32|f16|bf16|q8_0|q5_1|q5_0|q4_1|q4_0|iq4_nl", 0, 0, false,
     false, "f16", "KV cache type for K and V; a quantised V cache needs flash attention", OFF(kv_type)},
    {"flash_attn", "engine", LLE_CONFIG_AUTO_BOOL, "--flash-attn", "auto|on|off", 0, 0, false, false, "auto",
     "llama.cpp flash attention", OFF(flash_attn)},
    {"n_ctx", "engine", LLE_CONFIG_INT, "--ctx", NULL, 0, BIG, false, false, "0 (batch × (input + output))",
     "KV cells shared by the sequences of a batch; 0 = what one batch needs", OFF(n_ctx)},
    {"threads", "engine", LLE_CONFIG_INT, "--threads", NULL, 0, 4096, false, false, "0 (all cores)",
     "decode threads; 0 = all cores", OFF(n_threads)},
    {"threads_batch", "engine", LLE_CONFIG_INT, "--threads-batch", NULL, 0, 4096, false, false, "0 (= threads)",
     "prompt-processing threads; 0 = same as threads", OFF(n_threads_batch)},
    {"n_batch", "engine", LLE_CONFIG_INT, "--n-batch", NULL, 0, BIG, false, false, "0 (512, ≤ n_ctx)",
     "llama.cpp logical batch; 0 = 512 (at most n_ctx)", OFF(n_batch)},
    {"n_ubatch", "engine", LLE_CONFIG_INT, "--n-ubatch", NULL, 0, BIG, false, false, "0 (512, ≤ n_ctx)",
     "llama.cpp physical batch; at most n_batch; 0 = 512", OFF(n_ubatch)},
    {"n_gpu_layers", "engine", LLE_CONFIG_INT, "--ngl", NULL, -1, 100000, false, false, "0",
     "layers offloaded to a GPU (GPU builds); -1 = all", OFF(n_gpu_layers)},
    {"split_mode", "engine", LLE_CONFIG_ENUM, "--split-mode", "none|layer|row", 0, 0, false, false, "layer",
     "multi-GPU split (GPU builds)", OFF(split_mode)},
    {"main_gpu", "engine", LLE_CONFIG_INT, "--main-gpu", NULL, 0, 1024, false, false, "0",
     "GPU used with split_mode none (GPU builds)", OFF(main_gpu)},
    {"tensor_split", "engine", LLE_CONFIG_FLOAT_LIST, "--tensor-split", NULL, 0, 1e6, false, false, "[]",
     "share of the model per GPU, at most 16 numbers (GPU builds)", OFF(tensor_split)},
    {"batch_size", "batching", LLE_CONFIG_INT, "--batch-size", NULL, 1, 4096, false, false, "1",
     "fixed batching: prompts decoded together (ignored with adaptive batching)", OFF(batch_size)},
    {"adaptive_tokens", "batching", LLE_CONFIG_INT, "--adaptive-batching", NULL, 0, BIG, false, false, "0 (off)",
     "adaptive batching: prompts packed longest first while prompt + output tokens fit this budget; 0 = off",
     OFF(adaptive_tokens)},
    {"adaptive_max_batch", "batching", LLE_CONFIG_INT, "--adaptive-max-batch", NULL, 1, 4096, false, false, "100",
     "most prompts in one adaptive batch", OFF(adaptive_max_batch)},
    {"decoding_preset", "decoding", LLE_CONFIG_ENUM, "--decoding-preset", "deterministic|standard|creative|factual", 0,
     0, false, false, "—", "sets temperature, top_k, top_p, min_p and repeat_penalty", OFF(decoding_preset)},
    {"temperature", "decoding", LLE_CONFIG_FLOAT, "--temperature", NULL, 0, 100, false, false, "0 (greedy)",
     "sampling temperature; 0 = greedy (argmax)", OFF(temperature)},
    {"top_k", "decoding", LLE_CONFIG_INT, "--top-k", NULL, 0, 1000000, false, false, "0 (off)",
     "keep the k most likely tokens; only with temperature > 0", OFF(top_k)},
    {"top_p", "decoding", LLE_CONFIG_FLOAT, "--top-p", NULL, 0, 1, true, false, "1 (off)",
     "nucleus sampling; only with temperature > 0", OFF(top_p)},
    {"min_p", "decoding", LLE_CONFIG_FLOAT, "--min-p", NULL, 0, 1, false, true, "0 (off)",
     "drop tokens below min_p × the top probability; only with temperature > 0", OFF(min_p)},
    {"repeat_penalty", "decoding", LLE_CONFIG_FLOAT, "--repeat-penalty", NULL, 0, 100, true, false, "1 (off)",
     "penalty on recently generated tokens", OFF(repeat_penalty)},
    {"repeat_last_n", "decoding", LLE_CONFIG_INT, "--repeat-last-n", NULL, 0, BIG, false, false, "64",
     "tokens the repeat penalty looks back over", OFF(repeat_last_n)},
    {"ignore_eos", "decoding", LLE_CONFIG_BOOL, "--no-ignore-eos", NULL, 0, 0, false, false, "true",
     "mask end-of-generation so output lengths are exact", OFF(ignore_eos)},
    {"min_output_tokens", "decoding", LLE_CONFIG_INT, "--min-output-tokens", NULL, 0, BIG, false, false, "0",
     "with ignore_eos false: no end-of-generation before this many tokens", OFF(min_output_tokens)},
    {"seed", "decoding", LLE_CONFIG_U64, "--seed", NULL, 0, 18446744073709551615.0, false, false, "42",
     "seeds prompts, order, traffic and sampling", OFF(seed)},
    {"prompts", "workload", LLE_CONFIG_INT, "--prompts", NULL, 1, 10000000, false, false, "8",
     "number of requests (a prompt file is cycled when shorter)", OFF(n_prompts)},
    {"prompt_file", "workload", LLE_CONFIG_PATH, "--prompt-file", NULL, 0, 0, false, false, "— (synthetic)",
     "JSONL or ShareGPT JSON prompts (relative to the config file)", OFF(prompt_file)},
    {"prompt_format", "workload", LLE_CONFIG_ENUM, "--prompt-format", "auto|jsonl|sharegpt", 0, 0, false, false, "auto",
     "format of prompt_file", OFF(prompt_format)},
    {"prompt_order", "workload", LLE_CONFIG_ENUM, "--prompt-order", "as_given|sorted|shuffled", 0, 0, false, false,
     "as_given", "order of the prompts (sorted: shortest first; shuffled: seeded)", OFF(prompt_order)},
    {"max_input_tokens", "workload", LLE_CONFIG_INT, "--max-input-tokens", NULL, 1, BIG, false, false, "128",
     "prompts are cut to this many tokens; synthetic prompts have exactly this many", OFF(max_input_tokens)},
    {"min_input_tokens", "workload", LLE_CONFIG_INT, "--min-input-tokens", NULL, 0, BIG, false, false, "0 (fixed)",
     "synthetic prompt lengths uniform in [min, max]; 0 = all max_input_tokens", OFF(min_input_tokens)},
    {"max_output_tokens", "workload", LLE_CONFIG_INT, "--max-output-tokens", NULL, 1, BIG, false, false, "64",
     "tokens generated per prompt", OFF(max_output_tokens)},
    {"warmup", "workload", LLE_CONFIG_INT, "--warmup", NULL, 0, 1000, false, false, "1",
     "unmeasured batches before the measured window", OFF(warmup)},
    {"repeat", "workload", LLE_CONFIG_INT, "--repeat", NULL, 1, 100000, false, false, "1",
     "measured passes over the prompts", OFF(repeat)},
    {"traffic", "simulation", LLE_CONFIG_ENUM, "--traffic", "none|constant|uniform|burst|poisson", 0, 0, false, false,
     "none", "arrival pattern (docs/metrics.md)", OFF(traffic)},
    {"delay_s", "simulation", LLE_CONFIG_DOUBLE, "--delay", NULL, 0, 86400, false, false, "0",
     "constant: idle seconds between batches", OFF(delay_s)},
    {"delay_min_s", "simulation", LLE_CONFIG_DOUBLE, "--delay-min", NULL, 0, 86400, false, false, "0",
     "uniform: shortest idle between batches; at most delay_max_s", OFF(delay_min_s)},
    {"delay_max_s", "simulation", LLE_CONFIG_DOUBLE, "--delay-max", NULL, 0, 86400, false, false, "0",
     "uniform: longest idle between batches", OFF(delay_max_s)},
    {"burst_size", "simulation", LLE_CONFIG_INT, "--burst-size", NULL, 0, 10000000, false, false, "0",
     "burst: requests arriving together", OFF(burst_size)},
    {"burst_interval_s", "simulation", LLE_CONFIG_DOUBLE, "--burst-interval", NULL, 0, 86400, false, false, "0",
     "burst: seconds between bursts", OFF(burst_interval_s)},
    {"rate_per_s", "simulation", LLE_CONFIG_DOUBLE, "--rate", NULL, 0, 1e9, false, false, "0",
     "poisson: mean arrivals per second", OFF(rate)},
    {"flops", "engine", LLE_CONFIG_BOOL, "--no-flops", NULL, 0, 0, false, false, "true",
     "count model and executed FLOPs (docs/flops.md)", OFF(flops)},
    {"peak_flops_per_s", "engine", LLE_CONFIG_DOUBLE, "--peak-flops", NULL, 0, 1e20, false, false, "0 (calibrated)",
     "peak FLOP/s for MFU; 0: the `devices --calibrate` figure", OFF(peak_flops_per_s)},
    {"peak_bandwidth_bytes_per_s", "engine", LLE_CONFIG_DOUBLE, "--peak-bandwidth", NULL, 0, 1e16, false, false,
     "0 (calibrated)", "peak memory bandwidth for MBU; 0: the `devices --calibrate` figure",
     OFF(peak_bandwidth_bytes_per_s)},
    {"energy", "energy", LLE_CONFIG_BOOL, "--no-energy", NULL, 0, 0, false, false, "true",
     "measure energy around the experiment (docs/energy.md)", OFF(energy)},
    {"energy_interval_s", "energy", LLE_CONFIG_DOUBLE, "--energy-interval", NULL, 0.01, 60, false, false, "0.1",
     "power sampler period", OFF(energy_interval_s)},
    {"idle_baseline_s", "energy", LLE_CONFIG_DOUBLE, "--idle-baseline", NULL, 0, 3600, false, false, "10",
     "idle power measured this long before the model loads (0: none)", OFF(idle_baseline_s)},
    {"baseline_ttl_s", "energy", LLE_CONFIG_DOUBLE, "--baseline-ttl", NULL, 0, 31536000, false, false, "3600",
     "a cached idle baseline younger than this is reused", OFF(baseline_ttl_s)},
    {"energy_sources", "energy", LLE_CONFIG_STRING, "--energy-sources", NULL, 0, 0, false, false,
     "all (rapl,perf,nvml,amdsmi,estimate)", "comma-separated source kinds to use", OFF(energy_sources)},
    {"energy_estimates", "energy", LLE_CONFIG_BOOL, "--no-energy-estimates", NULL, 0, 0, false, false, "true",
     "estimate CPU/RAM power (labelled) where no counter covers them", OFF(energy_estimates)},
    {"cpu_tdp_w", "energy", LLE_CONFIG_DOUBLE, "--cpu-tdp", NULL, 0, 10000, false, false, "0 (look up the CPU)",
     "CPU TDP for the estimate", OFF(cpu_tdp_w)},
    {"carbon_intensity", "energy", LLE_CONFIG_STRING, "--carbon-intensity", NULL, 0, 0, false, false,
     "world average (475 g/kWh)", "g CO2e/kWh number, ISO 3166 alpha-3 country, or cloud region",
     OFF(carbon_intensity)},
    {"pue", "energy", LLE_CONFIG_DOUBLE, "--pue", NULL, 1, 10, false, false, "1.0",
     "power usage effectiveness of the facility", OFF(pue)},
};
#define N_FIELDS (sizeof FIELDS / sizeof FIELDS[0])
_Static_assert(N_FIELDS <= LLE_CONFIG_MAX_FIELDS, "raise LLE_CONFIG_MAX_FIELDS");

const char *const CFG_SECTIONS[] = {"model",    "engine",     "batching", "decoding",
                                    "workload", "simulation", "energy",   NULL};

static const char *const SECTION_HELP[] = {
    "the model: a GGUF file or a synthesised preset",
    "llama.cpp context and threads",
    "how prompts are grouped into batches",
    "sampling and output length",
    "prompts, lengths and repetition",
    "traffic simulation (request arrivals)",
    "energy measurement, idle baseline and carbon",
};

size_t lle_config_field_count(void)
{
    return N_FIELDS;
}

const lle_config_field *lle_config_field_at(size_t i)
{
    return i < N_FIELDS ? &FIELDS[i] : NULL;
}

int lle_config_field_find(const char *name)
{
    const char *dot = name != NULL ? strchr(name, '.') : NULL;

    for (size_t i = 0; name != NULL && i < N_FIELDS; i++) {
        const lle_config_field *f = &FIELDS[i];
        size_t sl = strlen(f->section);
        if (dot == NULL && strcmp(f->name, name) == 0)
            return (int)i;
        if (dot != NULL && (size_t)(dot - name) == sl && strncmp(name, f->section, sl) == 0 &&
            strcmp(dot + 1, f->name) == 0)
            return (int)i;
    }
    return -1;
}

const char *cfg_section_help(const char *section)
{
    for (size_t i = 0; CFG_SECTIONS[i] != NULL; i++)
        if (strcmp(CFG_SECTIONS[i], section) == 0)
            return SECTION_HELP[i];
    return "";
}

bool cfg_is_section(const char *name)
{
    for (size_t i = 0; CFG_SECTIONS[i] != NULL; i++)
        if (strcmp(CFG_SECTIONS[i], name) == 0)
            return true;
    return false;
}

const char *lle_suite_name(lle_suite s)
{
    static const char *const names[] = {"single", "models", "controlled", "scenarios", "grid"};

    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

static void fmt_bound(char *buf, size_t size, double v)
{
    if (v >= 18446744073709551615.0)
        snprintf(buf, size, "2^64-1");
    else
        snprintf(buf, size, "%.15g", v);
}

static void choices_text(const char *choices, char *buf, size_t size)
{
    size_t o = 0;

    for (const char *p = choices; *p != '\0' && o + 3 < size; p++) {
        if (*p == '|') {
            buf[o++] = ',';
            buf[o++] = ' ';
        } else {
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
}

void cfg_expected(const lle_config_field *f, char *buf, size_t size)
{
    char lo[32], hi[32], ch[160];

    fmt_bound(lo, sizeof lo, f->min);
    fmt_bound(hi, sizeof hi, f->max);
    switch (f->type) {
    case LLE_CONFIG_STRING:
        snprintf(buf, size, "text");
        break;
    case LLE_CONFIG_PATH:
        snprintf(buf, size, "a file path");
        break;
    case LLE_CONFIG_ENUM:
    case LLE_CONFIG_AUTO_BOOL:
        choices_text(f->choices, ch, sizeof ch);
        snprintf(buf, size, "one of %s", ch);
        break;
    case LLE_CONFIG_INT:
    case LLE_CONFIG_U64:
        snprintf(buf, size, "an integer in [%s, %s]", lo, hi);
        break;
    case LLE_CONFIG_FLOAT:
    case LLE_CONFIG_DOUBLE:
        snprintf(buf, size, "a number in %s%s, %s%s", f->min_open ? "(" : "[", lo, hi, f->max_open ? ")" : "]");
        break;
    case LLE_CONFIG_BOOL:
        snprintf(buf, size, "true or false");
        break;
    case LLE_CONFIG_FLOAT_LIST:
        snprintf(buf, size, "a list of at most %d numbers in [%s, %s]", LLE_MAX_TENSOR_SPLIT, lo, hi);
        break;
    }
}

const char *lle_config_field_accepts(const lle_config_field *f, char *buf, size_t size)
{
    cfg_expected(f, buf, size);
    return buf;
}

static const char *type_name(lle_config_type t)
{
    static const char *const names[] = {"string",           "path",   "enum",   "auto|on|off", "integer",
                                        "integer (64-bit)", "number", "number", "boolean",     "list of numbers"};

    return names[t];
}

static cJSON *field_json(const lle_config_field *f)
{
    cJSON *o = cJSON_CreateObject();
    char exp[256];

    cfg_expected(f, exp, sizeof exp);
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "section", f->section);
    cJSON_AddStringToObject(o, "type", type_name(f->type));
    cJSON_AddStringToObject(o, "accepts", exp);
    if (f->choices != NULL)
        cJSON_AddStringToObject(o, "choices", f->choices);
    cJSON_AddStringToObject(o, "flag", f->flag);
    cJSON_AddStringToObject(o, "default", f->default_text);
    cJSON_AddStringToObject(o, "help", f->help);
    return o;
}

char *lle_config_schema_json(void)
{
    cJSON *root = cJSON_CreateObject(), *secs = cJSON_AddArrayToObject(root, "sections");
    cJSON *camp = cJSON_AddArrayToObject(root, "campaign_keys");
    char *s;

    cJSON_AddNumberToObject(root, "format_version", LLE_CONFIG_FORMAT_VERSION);
    for (size_t k = 0; CFG_SECTIONS[k] != NULL; k++) {
        cJSON *sec = cJSON_CreateObject(), *fields = NULL;
        cJSON_AddStringToObject(sec, "name", CFG_SECTIONS[k]);
        cJSON_AddStringToObject(sec, "help", SECTION_HELP[k]);
        fields = cJSON_AddArrayToObject(sec, "fields");
        for (size_t i = 0; i < N_FIELDS; i++)
            if (strcmp(FIELDS[i].section, CFG_SECTIONS[k]) == 0)
                cJSON_AddItemToArray(fields, field_json(&FIELDS[i]));
        cJSON_AddItemToArray(secs, sec);
    }
    for (size_t k = 0; CFG_CAMPAIGN_KEYS[k] != NULL; k++)
        cJSON_AddItemToArray(camp, cJSON_CreateString(CFG_CAMPAIGN_KEYS[k]));
    s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

/* Markdown cell: escape the pipe. */
static void md_cell(rbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|')
            rbuf_puts(b, "\\|");
        else
            rbuf_printf(b, "%c", *s);
    }
}

char *lle_config_schema_markdown(void)
{
    rbuf b = {0};
    char exp[256];

    rbuf_puts(&b, "| section | field | accepts | default | flag | meaning |\n");
    rbuf_puts(&b, "| --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < N_FIELDS; i++) {
        const lle_config_field *f = &FIELDS[i];
        cfg_expected(f, exp, sizeof exp);
        rbuf_printf(&b, "| `%s` | `%s` | ", f->section, f->name);
        md_cell(&b, exp);
        rbuf_puts(&b, " | ");
        md_cell(&b, f->default_text);
        rbuf_puts(&b, f->flag[0] != '\0' ? " | `" : " | —");
        md_cell(&b, f->flag);
        rbuf_puts(&b, f->flag[0] != '\0' ? "` | " : " | ");
        md_cell(&b, f->help);
        rbuf_puts(&b, " |\n");
    }
    return rbuf_release(&b);
}
