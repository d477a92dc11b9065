/* migrate_map.c — the thesis tool's config keys mapped to ours, one function
 * per group (model and precision, token counts, batching, decoding, latency
 * simulation, what has no equivalent). Each mapping follows what the thesis
 * tool's code did with the key (experiment_core_utils/b_model_loader.py and
 * e_inference.py at commit 5bc5c05) and says so where the meaning changes;
 * every value that is wrong or contradicts another is reported, never fixed
 * silently. docs/config-files.md has the table. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "config/migrate_internal.h"
#include "lle/model.h"

const char *const MIG_KNOWN_KEYS[] = {"config_name",
                                      "suite",
                                      "controlled_variation",
                                      "scenario_info",
                                      "cycle_id",
                                      "model_name",
                                      "is_encoder_decoder",
                                      "task_type",
                                      "inference_type",
                                      "gpu_list",
                                      "backend",
                                      "save_outputs",
                                      "max_input_tokens",
                                      "max_output_tokens",
                                      "min_output_tokens",
                                      "num_input_prompts",
                                      "decode_token_to_text",
                                      "num_processes",
                                      "batching_options",
                                      "sharding_config",
                                      "query_rate",
                                      "latency_simulation",
                                      "decoder_config",
                                      "decoder_temperature",
                                      "fp_precision",
                                      "quantization_config",
                                      "quantisation",
                                      NULL};

/* Hugging Face model ids with a synthesis preset of the same architecture. */
static const struct {
    const char *hf, *preset;
} MODELS[] = {
    {"TinyLlama/TinyLlama-1.1B-Chat-v1.0", "tinyllama-1.1b"},
    {"TinyLlama/TinyLlama_v1.1", "tinyllama-1.1b"},
    {"meta-llama/Llama-3.2-1B", "llama-3.2-1b"},
    {"meta-llama/Llama-3.2-1B-Instruct", "llama-3.2-1b"},
    {"meta-llama/Llama-3.2-3B", "llama-3.2-3b"},
    {"meta-llama/Llama-3.2-3B-Instruct", "llama-3.2-3b"},
    {"Qwen/Qwen2.5-0.5B", "qwen2.5-0.5b"},
    {"Qwen/Qwen2.5-0.5B-Instruct", "qwen2.5-0.5b"},
};

/* A short text of a legacy value: scalars as written, lists of scalars in full. */
static void value_text(mig *m, const char *key, char *buf, size_t size)
{
    yaml_node_t *n = mig_get(m, key);
    size_t o = 0;

    if (y_kind(n) != Y_LIST) {
        y_describe(n, buf, size);
        return;
    }
    o += (size_t)snprintf(buf, size, "[");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top && o < size; it++) {
        const char *t = y_text(yaml_document_get_node(m->doc, *it));
        o += (size_t)snprintf(buf + o, size - o, "%s%s", it == n->data.sequence.items.start ? "" : ", ", t ? t : "…");
    }
    if (o < size)
        snprintf(buf + o, size - o, "]");
}

static void unknown_subkeys(mig *m, const char *group, const char *const *known)
{
    yaml_node_t *g = mig_get(m, group);
    char key[192];

    if (y_kind(g) != Y_MAP)
        return;
    for (yaml_node_pair_t *p = g->data.mapping.pairs.start; p < g->data.mapping.pairs.top; p++) {
        const char *k = y_text(yaml_document_get_node(m->doc, p->key));
        bool ok = false;
        for (size_t i = 0; k != NULL && known[i] != NULL; i++)
            ok = ok || strcmp(k, known[i]) == 0;
        snprintf(key, sizeof key, "%s.%s", group, k ? k : "?");
        if (k != NULL && !ok)
            mig_item(m, LLE_MIGRATE_UNMAPPED, key, "not a key of the thesis tool's %s; ignored", group);
    }
}

/* ---- name and description ---- */
static void map_meta(mig *m, const char *file_stem)
{
    const char *name = NULL, *scen = NULL, *suite = NULL;
    bool realistic = false;
    char desc[512];

    mig_string(m, "config_name", &name);
    mig_string(m, "scenario_info.name", &scen);
    mig_string(m, "suite", &suite);
    m->name = cfg_strdup(m->arena, name != NULL ? name : file_stem);
    if (scen != NULL && name != NULL && strcmp(scen, name) != 0)
        mig_item(m, LLE_MIGRATE_NOTE, "config_name",
                 "config_name '%s' differs from scenario_info.name '%s'; the name is taken from config_name", name,
                 scen);
    snprintf(desc, sizeof desc, "thesis-tool config %s%s%s%s%s%s", name != NULL ? name : file_stem,
             scen ? ", scenario " : "", scen ? scen : "",
             mig_bool(m, "scenario_info.realistic", &realistic) != MIG_OK ? ""
             : realistic                                                  ? " (realistic)"
                                                                          : " (not realistic)",
             suite ? ", suite " : "", suite ? suite : "");
    m->description = cfg_strdup(m->arena, desc);
}

/* ---- model and precision ---- */
static void map_model_name(mig *m)
{
    const char *hf = NULL;
    mig_get_status st = mig_string(m, "model_name", &hf);

    for (size_t i = 0; st == MIG_OK && i < sizeof MODELS / sizeof MODELS[0]; i++) {
        if (strcasecmp(MODELS[i].hf, hf) != 0)
            continue;
        mig_set_str(m, "preset", MODELS[i].preset, "model_name");
        mig_item(m, LLE_MIGRATE_NOTE, "model_name",
                 "'%s' -> preset %s: the same architecture with synthesised (seeded random) weights, so speed, "
                 "memory and energy match the published model's shapes, not its text (docs/models.md)",
                 hf, MODELS[i].preset);
        return;
    }
    m->fatal = true;
    if (st == MIG_OK)
        mig_item(m, LLE_MIGRATE_INVALID, "model_name",
                 "'%s' has no synthesis preset; pass --preset NAME (same architecture) or --model FILE.gguf", hf);
    else if (st != MIG_WRONG)
        mig_item(m, LLE_MIGRATE_INVALID, "model_name", "absent; pass --preset NAME or --model FILE.gguf");
}

static bool map_model(mig *m)
{
    char abs[PATH_MAX];

    if (m->opts->model_path != NULL) {
        if (realpath(m->opts->model_path, abs) == NULL) {
            mig_item(m, LLE_MIGRATE_INVALID, "model_name", "--model %s: no such file", m->opts->model_path);
            m->fatal = true;
            return false;
        }
        mig_set_str(m, "model_path", abs, "--model (instead of model_name)");
        mig_item(m, LLE_MIGRATE_NOTE, "fp_precision",
                 "not applied: the GGUF file's own weight type is the precision of the run (--model)");
        return false;
    }
    if (m->opts->preset != NULL) {
        if (lle_preset_find(m->opts->preset) == NULL) {
            mig_item(m, LLE_MIGRATE_INVALID, "model_name", "--preset %s: unknown preset (see `model presets`)",
                     m->opts->preset);
            m->fatal = true;
            return false;
        }
        mig_set_str(m, "preset", m->opts->preset, "--preset (instead of model_name)");
        return true;
    }
    map_model_name(m);
    return !m->fatal;
}

static const char *fp_type(mig *m, const char **fp_out)
{
    const char *fp = NULL;
    mig_get_status st = mig_string(m, "fp_precision", &fp);

    if (st == MIG_OK && strncmp(fp, "torch.", 6) == 0)
        fp += 6;
    *fp_out = fp;
    if (st == MIG_ABSENT || st == MIG_NULL) {
        mig_item(m, LLE_MIGRATE_NOTE, "fp_precision", "absent: the thesis tool's default float32 -> f32");
        *fp_out = "float32";
        return "f32";
    }
    if (st != MIG_OK)
        return NULL;
    if (strcmp(fp, "float32") == 0)
        return "f32";
    if (strcmp(fp, "float16") == 0)
        return "f16";
    if (strcmp(fp, "bfloat16") == 0)
        return "bf16";
    if (strcmp(fp, "float8") == 0)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "fp_precision",
                 "'float8' has no GGUF weight type; preset_type left at its default (q4_k_m)");
    else
        mig_item(m, LLE_MIGRATE_INVALID, "fp_precision",
                 "unknown '%s' (the thesis tool fell back to float16); preset_type left at its default (q4_k_m)", fp);
    return NULL;
}

static void map_precision(mig *m)
{
    bool q = false, l8 = false, l4 = false;
    const char *fp = NULL, *type = fp_type(m, &fp);
    const char *qc = mig_get(m, "quantization_config") ? "quantization_config" : "quantisation";
    char k8[64], k4[64], kq[64];

    snprintf(kq, sizeof kq, "%s.quantization", qc);
    snprintf(k8, sizeof k8, "%s.load_in_8bit", qc);
    snprintf(k4, sizeof k4, "%s.load_in_4bit", qc);
    mig_bool(m, kq, &q);
    mig_bool(m, k8, &l8);
    mig_bool(m, k4, &l4);
    if (!q && (l8 || l4))
        mig_item(m, LLE_MIGRATE_INVALID, l8 ? k8 : k4,
                 "true while %s is not: the thesis tool did not quantise, so fp_precision (%s) is used", kq,
                 fp ? fp : "?");
    if (q && l8 && l4)
        mig_item(m, LLE_MIGRATE_INVALID, kq, "both load_in_8bit and load_in_4bit are true; 8-bit is used");
    if (q && !l8 && !l4)
        mig_item(m, LLE_MIGRATE_INVALID, kq, "true without load_in_8bit or load_in_4bit; fp_precision (%s) is used",
                 fp ? fp : "?");
    if (q && (l8 || l4)) {
        mig_set_str(m, "preset_type", l8 ? "q8_0" : "q4_k_m", l8 ? k8 : k4);
        mig_item(m, LLE_MIGRATE_NOTE, l8 ? k8 : k4,
                 "bitsandbytes %s -> GGUF %s (a different quantisation scheme of similar size); fp_precision %s was "
                 "the compute type of the quantised layers and is not used",
                 l8 ? "8-bit (LLM.int8)" : "4-bit (NF4)", l8 ? "Q8_0" : "Q4_K_M", fp ? fp : "?");
        return;
    }
    if (type != NULL)
        mig_set_str(m, "preset_type", type, "fp_precision");
}

static void map_model_group(mig *m)
{
    const char *qc = mig_get(m, "quantization_config") ? "quantization_config" : "quantisation";
    static const char *const qkeys[] = {"quantization", "load_in_8bit", "load_in_4bit",
                                        "cached_flops_for_quantised_models", NULL};
    char key[96];
    double flops = 0;

    if (map_model(m))
        map_precision(m);
    snprintf(key, sizeof key, "%s.cached_flops_for_quantised_models", qc);
    if (mig_number(m, key, &flops) == MIG_OK)
        mig_item(m, LLE_MIGRATE_UNMAPPED, key,
                 "%.0f is a cached constant, not a measurement; FLOPs here are computed for each run", flops);
    unknown_subkeys(m, qc, qkeys);
}

/* ---- token counts ---- */
static void map_count(mig *m, const char *key, const char *field, long long min, long long max)
{
    double v = 0;
    mig_get_status st = mig_number(m, key, &v);

    if (st == MIG_OK && v == floor(v) && v >= (double)min && v <= (double)max)
        mig_set_int(m, field, (long long)v, key);
    else if (st == MIG_OK)
        mig_item(m, LLE_MIGRATE_INVALID, key, "expected an integer in [%lld, %lld], found %g; default kept", min, max,
                 v);
    else if (st == MIG_NULL)
        mig_item(m, LLE_MIGRATE_INVALID, key, "expected an integer in [%lld, %lld], found null; default kept", min,
                 max);
}

static void map_tokens(mig *m)
{
    double mn = 0, mx = 0;
    mig_get_status smin = mig_number(m, "min_output_tokens", &mn);

    map_count(m, "max_input_tokens", "max_input_tokens", 1, 16777216);
    map_count(m, "max_output_tokens", "max_output_tokens", 1, 16777216);
    map_count(m, "num_input_prompts", "prompts", 1, 10000000);
    mx = m->e.run.max_output_tokens;
    if (smin == MIG_OK && mn == mx)
        return; /* exact lengths: ignore_eos (default true) */
    if (smin == MIG_OK && mn > 0 && mn < mx) {
        mig_set_bool(m, "ignore_eos", false, "min_output_tokens < max_output_tokens");
        mig_set_int(m, "min_output_tokens", (long long)mn, "min_output_tokens");
        return;
    }
    if (smin == MIG_OK && (mn < 0 || mn > mx))
        mig_item(m, LLE_MIGRATE_INVALID, "min_output_tokens", "%g is outside [0, max_output_tokens %g]; not used", mn,
                 mx);
    mig_item(m, LLE_MIGRATE_NOTE, smin == MIG_ABSENT ? "max_output_tokens" : "min_output_tokens",
             "no minimum output length: the thesis tool's generate() could stop a batch at end-of-sequence, but it "
             "counted padded positions as generated; outputs here are exactly max_output_tokens long "
             "(decoding.ignore_eos: true)");
}

/* ---- batching ---- */
static void map_batching(mig *m)
{
    static const char *const keys[] = {"batch_size___fixed_batching",
                                       "fixed_max_batch_size",
                                       "adaptive_batching",
                                       "adaptive_max_tokens",
                                       "max_batch_size___adaptive_batching",
                                       NULL};
    const char *bs = mig_get(m, "batching_options.batch_size___fixed_batching")
                         ? "batching_options.batch_size___fixed_batching"
                         : "batching_options.fixed_max_batch_size";
    bool adaptive = false;
    double budget = 0;
    int per_seq = m->e.run.max_input_tokens + m->e.run.max_output_tokens;

    mig_bool(m, "batching_options.adaptive_batching", &adaptive);
    if (!adaptive) {
        map_count(m, bs, "batch_size", 1, 4096);
        unknown_subkeys(m, "batching_options", keys);
        return;
    }
    if (mig_number(m, "batching_options.adaptive_max_tokens", &budget) == MIG_OK && budget >= per_seq &&
        budget <= 16777216 && budget == floor(budget)) {
        mig_set_int(m, "adaptive_tokens", (long long)budget, "batching_options.adaptive_max_tokens");
        mig_item(m, LLE_MIGRATE_NOTE, "batching_options.adaptive_max_tokens",
                 "the thesis tool packed prompts by prompt tokens only (and its code passed max_input_tokens as the "
                 "budget); here the budget counts prompt + output tokens");
    } else {
        mig_item(m, LLE_MIGRATE_INVALID, "batching_options.adaptive_max_tokens",
                 "expected a budget of at least max_input_tokens + max_output_tokens = %d; fixed batching is used",
                 per_seq);
        map_count(m, bs, "batch_size", 1, 4096);
    }
    if (m->e.set[lle_config_field_find("adaptive_tokens")])
        map_count(m, "batching_options.max_batch_size___adaptive_batching", "adaptive_max_batch", 1, 4096);
    unknown_subkeys(m, "batching_options", keys);
}

/* ---- decoding ---- */
static void ignored_sampling(mig *m, const char *key, const char *why)
{
    double v = 0;

    if (mig_number(m, key, &v) == MIG_OK && v != 0)
        mig_item(m, LLE_MIGRATE_NOTE, key, "%g not used: %s", v, why);
}

static void map_sampling(mig *m, double t, bool use_k, bool use_p, const char *tkey)
{
    double k = 0, p = 0;

    mig_set_num(m, "temperature", t, tkey);
    if (use_k && mig_number(m, "decoder_config.decoder_top_k", &k) == MIG_OK && k > 0)
        map_count(m, "decoder_config.decoder_top_k", "top_k", 0, 1000000);
    else if (use_k && !use_p)
        mig_item(m, LLE_MIGRATE_INVALID, "decoder_config.decoding_mode",
                 "top_k without a decoder_top_k > 0; top_k "
                 "stays off");
    if (use_p && mig_number(m, "decoder_config.decoder_top_p", &p) == MIG_OK && p > 0 && p < 1)
        mig_set_num(m, "top_p", p, "decoder_config.decoder_top_p");
    else if (use_p && p < 0)
        mig_item(m, LLE_MIGRATE_INVALID, "decoder_config.decoder_top_p", "%g is outside (0, 1]; not used", p);
    if (!use_k)
        ignored_sampling(m, "decoder_config.decoder_top_k", "decoding_mode top_p");
    if (!use_p && mig_number(m, "decoder_config.decoder_top_p", &p) == MIG_OK && p > 0 && p < 1)
        mig_item(m, LLE_MIGRATE_NOTE, "decoder_config.decoder_top_p", "%g not used: decoding_mode top_k", p);
}

static void map_decoding(mig *m)
{
    static const char *const keys[] = {"decoding_mode", "decoder_temperature", "decoder_top_k", "decoder_top_p", NULL};
    const char *mode = NULL, *tkey = mig_get(m, "decoder_config.decoder_temperature")
                                         ? "decoder_config.decoder_temperature"
                                         : "decoder_temperature";
    double t = 0;
    bool has_t = mig_number(m, tkey, &t) == MIG_OK;

    if (has_t && t > 100) {
        mig_item(m, LLE_MIGRATE_INVALID, tkey, "%g is above 100; migrated as greedy", t);
        has_t = false;
    }

    mig_string(m, "decoder_config.decoding_mode", &mode);
    if (mode != NULL && strcmp(mode, "greedy") != 0 && strcmp(mode, "top_k") != 0 && strcmp(mode, "top_p") != 0) {
        mig_item(m, LLE_MIGRATE_INVALID, "decoder_config.decoding_mode",
                 "unknown '%s' (greedy, top_k, top_p); "
                 "decoded from decoder_temperature",
                 mode);
        mode = NULL;
    }
    if ((mode != NULL && strcmp(mode, "greedy") == 0) || !has_t || t <= 0) {
        if (mode != NULL && strcmp(mode, "greedy") == 0 && has_t && t > 0)
            mig_item(m, LLE_MIGRATE_INVALID, "decoder_config.decoding_mode",
                     "greedy contradicts %s %g (the thesis tool's generate() call at commit 5bc5c05 sampled "
                     "whenever the temperature was > 0); migrated as greedy: set decoding.temperature to sample",
                     tkey, t);
        else if (mode != NULL && strcmp(mode, "greedy") != 0)
            mig_item(m, LLE_MIGRATE_INVALID, "decoder_config.decoding_mode", "%s needs %s > 0; migrated as greedy",
                     mode, tkey);
        mig_set_num(m, "temperature", 0, mode != NULL ? "decoder_config.decoding_mode" : tkey);
        ignored_sampling(m, "decoder_config.decoder_top_k", "greedy decoding");
        ignored_sampling(m, "decoder_config.decoder_top_p", "greedy decoding");
    } else {
        map_sampling(m, t, mode == NULL || strcmp(mode, "top_k") == 0, mode == NULL || strcmp(mode, "top_p") == 0,
                     tkey);
    }
    unknown_subkeys(m, "decoder_config", keys);
}

/* ---- latency simulation ---- */
static void map_latency(mig *m)
{
    static const char *const keys[] = {"simulate",       "delay_min",  "delay_max", "simulate_burst",
                                       "burst_interval", "burst_size", NULL};
    bool sim = false, burst = false;
    double lo = 0, hi = 0, iv = 0, n = 0;
    bool have = mig_number(m, "latency_simulation.delay_min", &lo) == MIG_OK &&
                mig_number(m, "latency_simulation.delay_max", &hi) == MIG_OK;

    mig_bool(m, "latency_simulation.simulate", &sim);
    mig_bool(m, "latency_simulation.simulate_burst", &burst);
    if (have && lo > hi)
        mig_item(m, LLE_MIGRATE_INVALID, "latency_simulation.delay_min", "%g > delay_max %g%s", lo, hi,
                 sim ? "; traffic left at none: fix the delays, then set simulation.traffic: uniform"
                     : " (unused: simulate is false)");
    if (sim && have && lo <= hi && (lo < 0 || hi > 86400))
        mig_item(m, LLE_MIGRATE_INVALID, "latency_simulation.delay_max",
                 "delays must lie in [0, 86400] s; traffic "
                 "left at none");
    if (sim && have && lo <= hi && lo >= 0 && hi <= 86400) {
        mig_set_str(m, "traffic", "uniform", "latency_simulation.simulate");
        mig_set_num(m, "delay_min_s", lo, "latency_simulation.delay_min");
        mig_set_num(m, "delay_max_s", hi, "latency_simulation.delay_max");
        mig_item(m, LLE_MIGRATE_NOTE, "latency_simulation.simulate",
                 "the thesis tool slept inside each batch's timed window; here the delay is idle time, reported as "
                 "idle_s and excluded from busy_s");
    }
    if (burst) {
        mig_number(m, "latency_simulation.burst_interval", &iv);
        mig_number(m, "latency_simulation.burst_size", &n);
        mig_item(m, LLE_MIGRATE_UNMAPPED, "latency_simulation.simulate_burst",
                 "the thesis tool paused %g s after every %g batches; our burst traffic (N requests arriving every S "
                 "s) is a different arrival process, so it is not applied",
                 iv, n);
    }
    unknown_subkeys(m, "latency_simulation", keys);
}

/* ---- no equivalent ---- */
static void map_unmapped(mig *m)
{
    char v[160];
    double np = 1;
    const char *s = NULL;
    bool b = false;

    if (mig_get(m, "gpu_list") != NULL) {
        value_text(m, "gpu_list", v, sizeof v);
        mig_item(m, LLE_MIGRATE_UNMAPPED, "gpu_list",
                 "%s: devices are chosen with engine.n_gpu_layers and "
                 "engine.main_gpu on a GPU build of llama.cpp; not carried over",
                 v);
    }
    if (mig_number(m, "num_processes", &np) == MIG_OK && np > 1)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "num_processes",
                 "%g data-parallel processes: multi-process (MPI) runs are a later feature; migrated as one process",
                 np);
    if (mig_string(m, "backend", &s) == MIG_OK)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "backend", "'%s': this tool measures llama.cpp (GGUF models)", s);
    if (mig_bool(m, "save_outputs", &b) == MIG_OK)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "save_outputs", "the result always keeps each request's output token ids");
    if (mig_get(m, "decode_token_to_text") != NULL)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "decode_token_to_text", "results hold token ids, not decoded text");
    if (mig_string(m, "sharding_config.sharding_strategy", &s) == MIG_OK)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "sharding_config", "FSDP sharding (%s)%s", s,
                 strcmp(s, "NO_SHARD") == 0 ? ": NO_SHARD shards nothing, so nothing is lost"
                                            : " has no equivalent here");
    if (mig_number(m, "query_rate", &np) == MIG_OK)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "query_rate",
                 "%g was recorded but not used by the thesis tool's inference loop; for timed arrivals use "
                 "simulation.traffic: poisson with rate_per_s",
                 np);
    if (mig_bool(m, "is_encoder_decoder", &b) == MIG_OK && b)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "is_encoder_decoder", "encoder-decoder models are not supported");
    if (mig_string(m, "task_type", &s) == MIG_OK && strcmp(s, "text_generation") != 0)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "task_type", "'%s': only text generation is measured", s);
    if (mig_string(m, "inference_type", &s) == MIG_OK && strcmp(s, "pure_generative") != 0)
        mig_item(m, LLE_MIGRATE_UNMAPPED, "inference_type", "'%s': only pure generation is measured", s);
}

void mig_map_all(mig *m)
{
    map_meta(m, m->stem);
    map_model_group(m);
    map_tokens(m);
    map_batching(m);
    map_decoding(m);
    map_latency(m);
    map_unmapped(m);
}
