/* lle/model.h — GGUF model inspection and synthesis.
 *
 * lle_model_inspect() reads a GGUF file through ggml's gguf.h (metadata only, no
 * weights) and reports the hyperparameters the FLOPs/memory maths needs.
 * lle_model_synth() builds an architecture-faithful GGUF with seeded random
 * weights and a real tokenizer through llama.cpp's own API.
 *
 * Ownership: lle_model_info is a plain value filled by the library; it holds no
 * pointers. Strings returned by lle_model_info_to_json() are malloc'd and freed
 * by the caller with free(). Preset records are static, owned by the library. */
#ifndef LLE_MODEL_H
#define LLE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LLE_MODEL_MAX_TYPES 64

typedef struct lle_tensor_type_count {
    char type[16]; /* ggml type name: "f32", "q4_K", ... */
    uint32_t n_tensors;
    uint64_t n_elements;
    uint64_t n_bytes;
} lle_tensor_type_count;

typedef struct lle_model_info {
    char path[4096];
    char arch[64];      /* general.architecture */
    char name[256];     /* general.name, "" if absent */
    char file_type[32]; /* from general.file_type: "F16", "Q4_K_M", ... or "unknown" */
    uint32_t n_layer;
    uint32_t n_embd;
    uint32_t n_head;
    uint32_t n_head_kv;
    uint32_t head_dim_k; /* key_length, else n_embd / n_head */
    uint32_t head_dim_v; /* value_length, else n_embd / n_head */
    uint32_t n_ff;
    uint32_t n_vocab;
    uint32_t n_ctx_train;
    uint32_t n_expert; /* 0 when dense */
    uint32_t n_expert_used;
    uint32_t n_rot;           /* rope dimension count */
    float rope_freq_base;     /* 0 when absent */
    float norm_eps;           /* rms or layer norm epsilon */
    bool tied_embeddings;     /* no separate output.weight tensor */
    char tokenizer_model[32]; /* tokenizer.ggml.model: "llama", "gpt2", ... */
    char tokenizer_pre[64];   /* tokenizer.ggml.pre, "" if absent */
    uint64_t n_params;        /* sum of all tensor elements */
    uint64_t n_tensors;
    uint64_t tensor_bytes;  /* sum of tensor data sizes */
    uint64_t file_bytes;    /* size of the file on disk */
    double bits_per_weight; /* 8 * tensor_bytes / n_params */
    size_t n_types;
    lle_tensor_type_count types[LLE_MODEL_MAX_TYPES];
} lle_model_info;

/* Read `path`. Errors: NOT_FOUND (missing), INVALID (a directory),
 * FORMAT (not GGUF, truncated, or missing required keys), IO. */
LLE_API lle_status lle_model_inspect(const char *path, lle_model_info *out, lle_error *err);

/* JSON object of `info` (field names with units, e.g. "file_bytes").
 * Returns NULL only on allocation failure. Caller frees. */
LLE_API char *lle_model_info_to_json(const lle_model_info *info);

/* ---- synthesis presets ---- */
typedef struct lle_preset {
    const char *name;   /* "tinyllama-1.1b", "llama-3.2-1b", "llama-3.2-3b", "qwen2.5-0.5b", "tiny" */
    const char *arch;   /* llama.cpp architecture: "llama", "qwen2" */
    const char *vocab;  /* tokenizer file stem: "llama-spm" -> ggml-vocab-llama-spm.gguf */
    const char *source; /* where the hyperparameters come from (URL of the published config) */
    uint32_t n_layer, n_embd, n_head, n_head_kv, n_ff, n_vocab, n_ctx_train;
    float rope_freq_base, norm_eps;
    bool tied_embeddings;
    bool qkv_bias; /* Q/K/V projections have biases (qwen2) */
} lle_preset;

LLE_API size_t lle_preset_count(void);
LLE_API const lle_preset *lle_preset_at(size_t i);
/* NULL when unknown. */
LLE_API const lle_preset *lle_preset_find(const char *name);
/* Parameter count from the hyperparameters alone (closed formula). */
LLE_API uint64_t lle_preset_param_count(const lle_preset *p);
/* JSON object {"presets": [...], "types": [...]}: every preset with its
 * hyperparameters, parameter count and source, and the synthesis weight types.
 * Returns NULL only on allocation failure. Caller frees with free(). */
LLE_API char *lle_presets_to_json(void);

/* Weight types accepted by synthesis, lower case as llama-quantize names them
 * ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", ...). */
LLE_API size_t lle_model_type_count(void);
LLE_API const char *lle_model_type_at(size_t i);
/* LLE_OK and the llama_ftype value in *ftype, or INVALID naming the type. */
LLE_API lle_status lle_model_type_parse(const char *name, int *ftype, lle_error *err);

typedef struct lle_synth_opts {
    const char *preset;    /* required: a preset name */
    const char *type;      /* weight type, default "f16" when NULL */
    uint64_t seed;         /* same seed + preset + type -> byte-identical file */
    const char *out_path;  /* required: written via a temp file + rename */
    const char *vocab_dir; /* dir of ggml-vocab-*.gguf; NULL = built-in search */
    int n_threads;         /* quantisation threads; <= 0 = all cores */
} lle_synth_opts;

/* Errors: NOT_FOUND (unknown preset, vocab file missing), INVALID (bad type),
 * FORMAT (bad vocab file), IO (unwritable path), BACKEND. No file is left at
 * out_path (or its temp) on failure. */
LLE_API lle_status lle_model_synth(const lle_synth_opts *opts, lle_error *err);

/* Directory searched for ggml-vocab-*.gguf when vocab_dir is NULL:
 * $LLE_VOCAB_DIR, else the build tree's third_party/llama/models, else the
 * installed share/llm-efficiency/vocab. Static string owned by the library. */
LLE_API const char *lle_default_vocab_dir(void);

#ifdef __cplusplus
}
#endif
#endif
