/* presets.c — the synthesis presets (hyperparameters copied from the published
 * Hugging Face config.json of each model), their closed-form parameter count,
 * and the table of weight types: the names synthesis accepts (as llama-quantize
 * spells them, lower case) and the upper-case names of every llama_ftype value
 * that inspection reports from general.file_type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "common/util.h"
#include "llama.h"
#include "lle/model.h"
#include "model/synth_internal.h"

#define HF "https://huggingface.co/"

static const lle_preset g_presets[] = {
    {"tinyllama-1.1b", "llama", "llama-spm", HF "TinyLlama/TinyLlama-1.1B-Chat-v1.0/blob/main/config.json", 22, 2048,
     32, 4, 5632, 32000, 2048, 10000.0f, 1e-5f, false, false},
    {"llama-3.2-1b", "llama", "llama-bpe", HF "meta-llama/Llama-3.2-1B/blob/main/config.json", 16, 2048, 32, 8, 8192,
     128256, 131072, 500000.0f, 1e-5f, true, false},
    {"llama-3.2-3b", "llama", "llama-bpe", HF "meta-llama/Llama-3.2-3B/blob/main/config.json", 28, 3072, 24, 8, 8192,
     128256, 131072, 500000.0f, 1e-5f, true, false},
    {"qwen2.5-0.5b", "qwen2", "qwen2", HF "Qwen/Qwen2.5-0.5B/blob/main/config.json", 24, 896, 14, 2, 4864, 151936,
     32768, 1000000.0f, 1e-6f, true, true},
    {"tiny", "llama", "llama-spm", "llm-efficiency test model (no published config; see docs/models.md)", 2, 256, 4, 2,
     512, 32000, 2048, 10000.0f, 1e-5f, true, false},
};

#define N_PRESETS (sizeof g_presets / sizeof g_presets[0])

#define NEEDS_IMATRIX "needs an importance matrix (a calibration run through real weights)"

/* Every llama_ftype value; `synth` marks the ones synthesis offers. */
typedef struct ftype_entry {
    int ftype;
    const char *name;
    bool synth;
    const char *why_not; /* why synthesis does not offer it */
} ftype_entry;

static const ftype_entry g_ftypes[] = {
    {LLAMA_FTYPE_ALL_F32, "f32", true, NULL},
    {LLAMA_FTYPE_MOSTLY_F16, "f16", true, NULL},
    {LLAMA_FTYPE_MOSTLY_BF16, "bf16", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q8_0, "q8_0", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q6_K, "q6_k", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q5_K_M, "q5_k_m", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q5_K_S, "q5_k_s", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q5_1, "q5_1", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q5_0, "q5_0", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q4_K_M, "q4_k_m", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q4_K_S, "q4_k_s", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q4_1, "q4_1", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q4_0, "q4_0", true, NULL},
    {LLAMA_FTYPE_MOSTLY_IQ4_NL, "iq4_nl", true, NULL},
    {LLAMA_FTYPE_MOSTLY_IQ4_XS, "iq4_xs", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q3_K_L, "q3_k_l", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q3_K_M, "q3_k_m", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q3_K_S, "q3_k_s", true, NULL},
    {LLAMA_FTYPE_MOSTLY_IQ3_M, "iq3_m", true, NULL},
    {LLAMA_FTYPE_MOSTLY_IQ3_S, "iq3_s", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q2_K, "q2_k", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q2_0, "q2_0", true, NULL},
    {LLAMA_FTYPE_MOSTLY_TQ2_0, "tq2_0", true, NULL},
    {LLAMA_FTYPE_MOSTLY_TQ1_0, "tq1_0", true, NULL},
    {LLAMA_FTYPE_MOSTLY_Q1_0, "q1_0", true, NULL},
    /* known to inspection, never synthesised */
    {LLAMA_FTYPE_MOSTLY_Q2_K_S, "q2_k_s", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ3_XS, "iq3_xs", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ3_XXS, "iq3_xxs", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ2_M, "iq2_m", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ2_S, "iq2_s", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ2_XS, "iq2_xs", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ2_XXS, "iq2_xxs", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ1_M, "iq1_m", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_IQ1_S, "iq1_s", false, NEEDS_IMATRIX},
    {LLAMA_FTYPE_MOSTLY_MXFP4_MOE, "mxfp4_moe", false, "only quantises MoE expert tensors (the presets are dense)"},
    {LLAMA_FTYPE_MOSTLY_NVFP4, "nvfp4", false, "is not an output type of this llama.cpp's quantiser"},
};

#define N_FTYPES (sizeof g_ftypes / sizeof g_ftypes[0])

size_t lle_preset_count(void)
{
    return N_PRESETS;
}

const lle_preset *lle_preset_at(size_t i)
{
    return i < N_PRESETS ? &g_presets[i] : NULL;
}

const lle_preset *lle_preset_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_PRESETS; i++)
        if (strcmp(g_presets[i].name, name) == 0)
            return &g_presets[i];
    return NULL;
}

uint64_t lle_preset_param_count(const lle_preset *p)
{
    uint64_t embd = p->n_embd, head_dim = p->n_embd / p->n_head;
    uint64_t q = p->n_head * head_dim, kv = p->n_head_kv * head_dim;
    uint64_t layer = 0, total;

    layer += embd;                         /* attn_norm */
    layer += embd * q + 2 * embd * kv;     /* attn_q, attn_k, attn_v */
    layer += q * embd;                     /* attn_output */
    layer += p->qkv_bias ? q + 2 * kv : 0; /* attn_{q,k,v}.bias */
    layer += embd;                         /* ffn_norm */
    layer += 3 * embd * (uint64_t)p->n_ff; /* ffn_gate, ffn_up, ffn_down */
    total = (uint64_t)p->n_vocab * embd;   /* token_embd */
    total += p->n_layer * layer;
    total += embd; /* output_norm */
    if (!p->tied_embeddings)
        total += (uint64_t)p->n_vocab * embd; /* output */
    return total;
}

size_t lle_model_type_count(void)
{
    size_t n = 0;

    for (size_t i = 0; i < N_FTYPES; i++)
        n += g_ftypes[i].synth;
    return n;
}

const char *lle_model_type_at(size_t i)
{
    for (size_t k = 0; k < N_FTYPES; k++) {
        if (!g_ftypes[k].synth)
            continue;
        if (i == 0)
            return g_ftypes[k].name;
        i--;
    }
    return NULL;
}

lle_status lle_model_type_parse(const char *name, int *ftype, lle_error *err)
{
    for (size_t i = 0; name != NULL && i < N_FTYPES; i++) {
        if (g_ftypes[i].synth && strcasecmp(g_ftypes[i].name, name) == 0) {
            *ftype = g_ftypes[i].ftype;
            return LLE_OK;
        }
    }
    for (size_t i = 0; name != NULL && i < N_FTYPES; i++)
        if (strcasecmp(g_ftypes[i].name, name) == 0)
            return lle_fail(err, LLE_ERR_INVALID,
                            "weight type '%s' %s; synthesis does not offer it "
                            "(see docs/models.md)",
                            name, g_ftypes[i].why_not);
    return lle_fail(err, LLE_ERR_INVALID,
                    "unknown weight type '%s' (one of f32, f16, bf16, q8_0, q4_0, q4_k_m, ...; "
                    "see llm-efficiency model presets)",
                    name ? name : "(null)");
}

const char *lle_model_type_name(int ftype)
{
    for (size_t i = 0; i < N_FTYPES; i++)
        if (g_ftypes[i].ftype == ftype)
            return g_ftypes[i].name;
    return NULL;
}

static cJSON *preset_json(const lle_preset *p)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "arch", p->arch);
    cJSON_AddStringToObject(o, "vocab", p->vocab);
    cJSON_AddStringToObject(o, "source", p->source);
    cJSON_AddNumberToObject(o, "n_params", (double)lle_preset_param_count(p));
    cJSON_AddNumberToObject(o, "n_layer", p->n_layer);
    cJSON_AddNumberToObject(o, "n_embd", p->n_embd);
    cJSON_AddNumberToObject(o, "n_head", p->n_head);
    cJSON_AddNumberToObject(o, "n_head_kv", p->n_head_kv);
    cJSON_AddNumberToObject(o, "n_ff", p->n_ff);
    cJSON_AddNumberToObject(o, "n_vocab", p->n_vocab);
    cJSON_AddNumberToObject(o, "n_ctx_train", p->n_ctx_train);
    cJSON_AddNumberToObject(o, "rope_freq_base", p->rope_freq_base);
    cJSON_AddNumberToObject(o, "norm_eps", lle_json_float(p->norm_eps));
    cJSON_AddBoolToObject(o, "tied_embeddings", p->tied_embeddings);
    cJSON_AddBoolToObject(o, "qkv_bias", p->qkv_bias);
    return o;
}

char *lle_presets_to_json(void)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = NULL, *types = NULL;
    char *out = NULL;

    if (root == NULL)
        return NULL;
    arr = cJSON_AddArrayToObject(root, "presets");
    types = cJSON_AddArrayToObject(root, "types");
    if (arr == NULL || types == NULL)
        goto cleanup;
    for (size_t i = 0; i < N_PRESETS; i++) {
        cJSON *o = preset_json(&g_presets[i]);
        if (o == NULL)
            goto cleanup;
        cJSON_AddItemToArray(arr, o);
    }
    for (size_t i = 0; i < lle_model_type_count(); i++)
        cJSON_AddItemToArray(types, cJSON_CreateString(lle_model_type_at(i)));
    out = cJSON_Print(root);
cleanup:
    cJSON_Delete(root);
    return out;
}

double lle_json_float(float v)
{
    char buf[32];

    /* a float printed as a double shows binary noise (1e-05 -> 9.99999974e-06) */
    snprintf(buf, sizeof buf, "%.7g", (double)v);
    return strtod(buf, NULL);
}
