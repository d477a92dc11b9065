/* config.c — the experiment configuration: documented defaults, decoding
 * presets, validation of every field and of the rules between fields (each
 * message names the field), name tables (KV types, flash attention, split
 * mode, traffic) and the resolved configuration as JSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "common/util.h"
#include "ggml.h"
#include "run/run_internal.h"

void lle_run_config_init(lle_run_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kv_type = "f16";
    cfg->flash_attn = -1;
    cfg->batch_size = 1;
    cfg->adaptive_max_batch = 100;
    cfg->top_p = 1.0f;
    cfg->repeat_penalty = 1.0f;
    cfg->repeat_last_n = 64;
    cfg->ignore_eos = true;
    cfg->seed = 42;
    cfg->n_prompts = 8;
    cfg->max_input_tokens = 128;
    cfg->max_output_tokens = 64;
    cfg->prompt_format = "auto";
    cfg->prompt_order = "as_given";
    cfg->traffic = "none";
    cfg->warmup = 1;
    cfg->repeat = 1;
    cfg->energy = true;
    cfg->flops = true;
    cfg->energy_interval_s = 0.1;
    cfg->idle_baseline_s = 10.0;
    cfg->baseline_ttl_s = 3600.0;
    cfg->energy_estimates = true;
    cfg->pue = 1.0;
}

typedef struct decoding_preset {
    const char *name;
    float temperature;
    int top_k;
    float top_p, min_p, repeat_penalty;
} decoding_preset;

/* Documented in docs/configuration.md; "standard" is the thesis tool's
 * decoder_config default (temperature 1.0, top-k 50, top-p 0.95). */
static const decoding_preset PRESETS[] = {
    {"deterministic", 0.0f, 0, 1.0f, 0.0f, 1.0f},
    {"standard", 1.0f, 50, 0.95f, 0.0f, 1.0f},
    {"creative", 1.3f, 0, 0.98f, 0.02f, 1.0f},
    {"factual", 0.3f, 40, 0.9f, 0.05f, 1.1f},
};

lle_status lle_run_config_apply_preset(lle_run_config *cfg, lle_error *err)
{
    if (cfg->decoding_preset == NULL)
        return LLE_OK;
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++) {
        const decoding_preset *p = &PRESETS[i];
        if (strcmp(p->name, cfg->decoding_preset) != 0)
            continue;
        cfg->temperature = p->temperature;
        cfg->top_k = p->top_k;
        cfg->top_p = p->top_p;
        cfg->min_p = p->min_p;
        cfg->repeat_penalty = p->repeat_penalty;
        return LLE_OK;
    }
    return lle_fail(err, LLE_ERR_INVALID, "decoding_preset: unknown '%s' (deterministic, standard, creative, factual)",
                    cfg->decoding_preset);
}

static const struct {
    const char *name;
    enum ggml_type type;
} KV_TYPES[] = {
    {"f32", GGML_TYPE_F32},   {"f16", GGML_TYPE_F16},   {"bf16", GGML_TYPE_BF16},
    {"q8_0", GGML_TYPE_Q8_0}, {"q5_1", GGML_TYPE_Q5_1}, {"q5_0", GGML_TYPE_Q5_0},
    {"q4_1", GGML_TYPE_Q4_1}, {"q4_0", GGML_TYPE_Q4_0}, {"iq4_nl", GGML_TYPE_IQ4_NL},
};

int lle_kv_type_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof KV_TYPES / sizeof KV_TYPES[0]; i++)
        if (strcmp(KV_TYPES[i].name, name) == 0)
            return KV_TYPES[i].type;
    return -1;
}

int lle_split_mode_from_name(const char *name)
{
    if (name == NULL || strcmp(name, "layer") == 0)
        return 1;
    if (strcmp(name, "none") == 0)
        return 0;
    if (strcmp(name, "row") == 0)
        return 2;
    return -1;
}

static bool one_of(const char *v, const char *const *names)
{
    for (; *names != NULL; names++)
        if (v != NULL && strcmp(v, *names) == 0)
            return true;
    return false;
}

static const char *const TRAFFIC[] = {"none", "constant", "uniform", "burst", "poisson", NULL};
static const char *const ORDERS[] = {"as_given", "sorted", "shuffled", NULL};
static const char *const FORMATS[] = {"auto", "jsonl", "sharegpt", NULL};

static lle_status validate_model(const lle_run_config *c, lle_error *err)
{
    if ((c->model_path == NULL) == (c->preset == NULL))
        return lle_fail(err, LLE_ERR_INVALID, "model: give exactly one of a model file or a preset");
    if (lle_kv_type_from_name(c->kv_type) < 0)
        return lle_fail(err, LLE_ERR_INVALID,
                        "kv_type: unknown '%s' (f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl)",
                        c->kv_type ? c->kv_type : "");
    if (c->flash_attn < -1 || c->flash_attn > 1)
        return lle_fail(err, LLE_ERR_INVALID, "flash_attn: %d (auto, on or off)", c->flash_attn);
    if (lle_split_mode_from_name(c->split_mode) < 0)
        return lle_fail(err, LLE_ERR_INVALID, "split_mode: unknown '%s' (none, layer, row)", c->split_mode);
    if (c->n_gpu_layers < -1 || c->main_gpu < 0 || c->n_tensor_split < 0 || c->n_tensor_split > LLE_MAX_TENSOR_SPLIT)
        return lle_fail(err, LLE_ERR_INVALID, "n_gpu_layers/main_gpu/tensor_split out of range");
    if (c->n_batch < 0 || c->n_ubatch < 0 || (c->n_batch > 0 && c->n_ubatch > c->n_batch))
        return lle_fail(err, LLE_ERR_INVALID, "n_ubatch %d must not exceed n_batch %d", c->n_ubatch, c->n_batch);
    return LLE_OK;
}

static lle_status validate_decoding(const lle_run_config *c, lle_error *err)
{
    if (c->temperature < 0.0f || !isfinite(c->temperature))
        return lle_fail(err, LLE_ERR_INVALID, "temperature: %g, must be >= 0", (double)c->temperature);
    if (c->top_k < 0)
        return lle_fail(err, LLE_ERR_INVALID, "top_k: %d, must be >= 0", c->top_k);
    if (!(c->top_p > 0.0f && c->top_p <= 1.0f))
        return lle_fail(err, LLE_ERR_INVALID, "top_p: %g, must be in (0, 1]", (double)c->top_p);
    if (!(c->min_p >= 0.0f && c->min_p < 1.0f))
        return lle_fail(err, LLE_ERR_INVALID, "min_p: %g, must be in [0, 1)", (double)c->min_p);
    if (!(c->repeat_penalty > 0.0f) || c->repeat_last_n < 0)
        return lle_fail(err, LLE_ERR_INVALID, "repeat_penalty must be > 0 and repeat_last_n >= 0");
    if (c->temperature == 0.0f && (c->top_k > 0 || c->top_p < 1.0f || c->min_p > 0.0f))
        return lle_fail(err, LLE_ERR_INVALID,
                        "top_k/top_p/min_p only apply with sampling: set temperature > 0 (greedy ignores them)");
    if (c->min_output_tokens < 0 || c->min_output_tokens > c->max_output_tokens)
        return lle_fail(err, LLE_ERR_INVALID, "min_output_tokens: %d, must be in [0, max_output_tokens %d]",
                        c->min_output_tokens, c->max_output_tokens);
    return LLE_OK;
}

static lle_status validate_workload(const lle_run_config *c, lle_error *err)
{
    if (c->n_prompts < 1)
        return lle_fail(err, LLE_ERR_INVALID, "prompts: %d, must be at least 1", c->n_prompts);
    if (c->max_input_tokens < 1)
        return lle_fail(err, LLE_ERR_INVALID, "max_input_tokens: %d, must be at least 1", c->max_input_tokens);
    if (c->max_output_tokens < 1)
        return lle_fail(err, LLE_ERR_INVALID, "max_output_tokens: %d, must be at least 1", c->max_output_tokens);
    if (c->min_input_tokens < 0 || c->min_input_tokens > c->max_input_tokens)
        return lle_fail(err, LLE_ERR_INVALID, "min_input_tokens: %d, must be in [0, max_input_tokens %d]",
                        c->min_input_tokens, c->max_input_tokens);
    if (!one_of(c->prompt_format, FORMATS))
        return lle_fail(err, LLE_ERR_INVALID, "prompt_format: unknown '%s' (auto, jsonl, sharegpt)",
                        c->prompt_format ? c->prompt_format : "");
    if (!one_of(c->prompt_order, ORDERS))
        return lle_fail(err, LLE_ERR_INVALID, "prompt_order: unknown '%s' (as_given, sorted, shuffled)",
                        c->prompt_order ? c->prompt_order : "");
    if (c->batch_size < 1 || c->adaptive_tokens < 0 || c->adaptive_max_batch < 1)
        return lle_fail(err, LLE_ERR_INVALID, "batch_size must be >= 1, adaptive_tokens >= 0, adaptive_max_batch >= 1");
    if (c->adaptive_tokens > 0 && c->adaptive_tokens < c->max_input_tokens + c->max_output_tokens)
        return lle_fail(err, LLE_ERR_INVALID,
                        "adaptive_tokens: budget %d is below one prompt's max_input_tokens + max_output_tokens = %d",
                        c->adaptive_tokens, c->max_input_tokens + c->max_output_tokens);
    if (c->shard_count < 0 || c->shard_rank < 0 || (c->shard_count > 1 && c->shard_rank >= c->shard_count))
        return lle_fail(err, LLE_ERR_INVALID, "shard_rank %d must be in [0, shard_count %d)", c->shard_rank,
                        c->shard_count);
    if (c->warmup < 0 || c->repeat < 1)
        return lle_fail(err, LLE_ERR_INVALID, "warmup must be >= 0 and repeat >= 1");
    return LLE_OK;
}

static lle_status validate_traffic(const lle_run_config *c, lle_error *err)
{
    if (!one_of(c->traffic, TRAFFIC))
        return lle_fail(err, LLE_ERR_INVALID, "traffic: unknown '%s' (none, constant, uniform, burst, poisson)",
                        c->traffic ? c->traffic : "");
    if (c->delay_s < 0.0 || c->delay_min_s < 0.0 || c->delay_max_s < 0.0)
        return lle_fail(err, LLE_ERR_INVALID, "delays must be >= 0 seconds");
    if (strcmp(c->traffic, "uniform") == 0 && c->delay_min_s > c->delay_max_s)
        return lle_fail(err, LLE_ERR_INVALID, "delay_min %g s must not exceed delay_max %g s", c->delay_min_s,
                        c->delay_max_s);
    if (strcmp(c->traffic, "burst") == 0 && (c->burst_size < 1 || !(c->burst_interval_s > 0.0)))
        return lle_fail(err, LLE_ERR_INVALID, "burst traffic needs burst_size >= 1 and burst_interval > 0 s");
    if (strcmp(c->traffic, "poisson") == 0 && !(c->rate > 0.0 && isfinite(c->rate)))
        return lle_fail(err, LLE_ERR_INVALID, "poisson traffic needs rate > 0 requests/s");
    return LLE_OK;
}

lle_status lle_run_config_validate(const lle_run_config *c, lle_error *err)
{
    lle_status st = validate_model(c, err);
    int per_seq = c->max_input_tokens + c->max_output_tokens;

    if (st == LLE_OK)
        st = validate_workload(c, err);
    if (st == LLE_OK)
        st = validate_decoding(c, err);
    if (st == LLE_OK)
        st = validate_traffic(c, err);
    if (st == LLE_OK && c->n_ctx < 0)
        st = lle_fail(err, LLE_ERR_INVALID, "n_ctx: %d, must be >= 0", c->n_ctx);
    if (st == LLE_OK && c->n_ctx > 0 && c->n_ctx < per_seq)
        st = lle_fail(err, LLE_ERR_INVALID, "n_ctx %d is smaller than max_input_tokens + max_output_tokens = %d",
                      c->n_ctx, per_seq);
    return st;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *engine_json(const lle_run_config *c, const lle_run_resolved *rv)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "engine", "llama.cpp");
    add_str(o, "model_path", rv->model_path);
    add_str(o, "preset", c->preset);
    add_str(o, "preset_type", c->preset != NULL ? (c->preset_type ? c->preset_type : "q4_k_m") : NULL);
    add_str(o, "kv_type", c->kv_type);
    cJSON_AddStringToObject(o, "flash_attn", c->flash_attn < 0 ? "auto" : c->flash_attn ? "on" : "off");
    cJSON_AddNumberToObject(o, "n_ctx", rv->n_ctx);
    cJSON_AddNumberToObject(o, "threads", rv->n_threads);
    cJSON_AddNumberToObject(o, "threads_batch", rv->n_threads_batch);
    cJSON_AddNumberToObject(o, "n_batch", rv->n_batch);
    cJSON_AddNumberToObject(o, "n_ubatch", rv->n_ubatch);
    cJSON_AddNumberToObject(o, "n_gpu_layers", c->n_gpu_layers);
    add_str(o, "split_mode", c->split_mode ? c->split_mode : "layer");
    cJSON_AddNumberToObject(o, "main_gpu", c->main_gpu);
    cJSON_AddItemToObject(o, "tensor_split", cJSON_CreateFloatArray(c->tensor_split, c->n_tensor_split));
    cJSON_AddStringToObject(o, "gpu_offload",
                            rv->gpu_offload ? "supported" : "not applicable (CPU-only llama.cpp build)");
    return o;
}

static void decoding_json(cJSON *o, const lle_run_config *c)
{
    add_str(o, "decoding_preset", c->decoding_preset);
    cJSON_AddStringToObject(o, "decoding", c->temperature > 0.0f ? "sampling" : "greedy");
    cJSON_AddNumberToObject(o, "temperature", c->temperature);
    cJSON_AddNumberToObject(o, "top_k", c->top_k);
    cJSON_AddNumberToObject(o, "top_p", c->top_p);
    cJSON_AddNumberToObject(o, "min_p", c->min_p);
    cJSON_AddNumberToObject(o, "repeat_penalty", c->repeat_penalty);
    cJSON_AddNumberToObject(o, "repeat_last_n", c->repeat_last_n);
    cJSON_AddBoolToObject(o, "ignore_eos", c->ignore_eos);
    cJSON_AddNumberToObject(o, "min_output_tokens", c->min_output_tokens);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
}

static void workload_json(cJSON *o, const lle_run_config *c)
{
    cJSON_AddNumberToObject(o, "prompts", c->n_prompts);
    add_str(o, "prompt_source", c->prompt_file ? "file" : "synthetic");
    add_str(o, "prompt_file", c->prompt_file);
    add_str(o, "prompt_format", c->prompt_file ? c->prompt_format : NULL);
    add_str(o, "prompt_order", c->prompt_order);
    cJSON_AddNumberToObject(o, "max_input_tokens", c->max_input_tokens);
    cJSON_AddNumberToObject(o, "min_input_tokens", c->min_input_tokens);
    cJSON_AddNumberToObject(o, "max_output_tokens", c->max_output_tokens);
    cJSON_AddStringToObject(o, "batching", c->adaptive_tokens > 0 ? "adaptive" : "fixed");
    cJSON_AddNumberToObject(o, "batch_size", c->batch_size);
    cJSON_AddNumberToObject(o, "adaptive_tokens", c->adaptive_tokens);
    cJSON_AddNumberToObject(o, "adaptive_max_batch", c->adaptive_max_batch);
    add_str(o, "traffic", c->traffic);
    cJSON_AddNumberToObject(o, "delay_s", c->delay_s);
    cJSON_AddNumberToObject(o, "delay_min_s", c->delay_min_s);
    cJSON_AddNumberToObject(o, "delay_max_s", c->delay_max_s);
    cJSON_AddNumberToObject(o, "burst_size", c->burst_size);
    cJSON_AddNumberToObject(o, "burst_interval_s", c->burst_interval_s);
    cJSON_AddNumberToObject(o, "rate_per_s", c->rate);
    cJSON_AddNumberToObject(o, "warmup", c->warmup);
    cJSON_AddNumberToObject(o, "repeat", c->repeat);
    cJSON_AddNumberToObject(o, "shard_rank", c->shard_rank);
    cJSON_AddNumberToObject(o, "shard_count", c->shard_count > 1 ? c->shard_count : 1);
}

static void energy_config_json(cJSON *o, const lle_run_config *c)
{
    cJSON_AddNumberToObject(o, "peak_flops_per_s", c->peak_flops_per_s);
    cJSON_AddNumberToObject(o, "peak_bandwidth_bytes_per_s", c->peak_bandwidth_bytes_per_s);
    cJSON_AddBoolToObject(o, "energy", c->energy);
    cJSON_AddNumberToObject(o, "energy_interval_s", c->energy_interval_s);
    cJSON_AddNumberToObject(o, "idle_baseline_s", c->idle_baseline_s);
    cJSON_AddNumberToObject(o, "baseline_ttl_s", c->baseline_ttl_s);
    add_str(o, "energy_sources", c->energy_sources);
    cJSON_AddBoolToObject(o, "energy_estimates", c->energy_estimates);
    cJSON_AddNumberToObject(o, "cpu_tdp_w", c->cpu_tdp_w);
    add_str(o, "carbon_intensity", c->carbon_intensity);
    cJSON_AddNumberToObject(o, "pue", c->pue);
}

char *lle_run_config_json(const lle_run_config *c, const lle_run_resolved *rv)
{
    cJSON *o = engine_json(c, rv);
    char *s;

    decoding_json(o, c);
    workload_json(o, c);
    energy_config_json(o, c);
    cJSON_AddBoolToObject(o, "flops", c->flops);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
