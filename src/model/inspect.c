/* inspect.c — lle_model_inspect(): the hyperparameters, tensor inventory and
 * sizes of a GGUF model, read through ggml's gguf.h (metadata and tensor
 * infos only; no weights are read). Also the JSON form of the result and the
 * post-write check synthesis runs on the files it writes. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "common/util.h"
#include "ggml.h"
#include "gguf.h"
#include "lle/model.h"
#include "model/synth_internal.h"

static uint64_t nonneg(int64_t v)
{
    return v < 0 ? 0 : (uint64_t)v;
}

/* An integer key of any integer type; for an integer array (per-layer
 * values) the largest element. */
static bool kv_u64(const struct gguf_context *g, const char *key, uint64_t *out)
{
    int64_t id = gguf_find_key(g, key);
    enum gguf_type t;

    if (id < 0)
        return false;
    t = gguf_get_kv_type(g, id);
    switch (t) {
    case GGUF_TYPE_UINT8:
        *out = gguf_get_val_u8(g, id);
        return true;
    case GGUF_TYPE_INT8:
        *out = nonneg(gguf_get_val_i8(g, id));
        return true;
    case GGUF_TYPE_UINT16:
        *out = gguf_get_val_u16(g, id);
        return true;
    case GGUF_TYPE_INT16:
        *out = nonneg(gguf_get_val_i16(g, id));
        return true;
    case GGUF_TYPE_UINT32:
        *out = gguf_get_val_u32(g, id);
        return true;
    case GGUF_TYPE_INT32:
        *out = nonneg(gguf_get_val_i32(g, id));
        return true;
    case GGUF_TYPE_UINT64:
        *out = gguf_get_val_u64(g, id);
        return true;
    case GGUF_TYPE_INT64:
        *out = nonneg(gguf_get_val_i64(g, id));
        return true;
    case GGUF_TYPE_ARRAY:
        break;
    default:
        return false;
    }
    t = gguf_get_arr_type(g, id);
    if (t != GGUF_TYPE_UINT32 && t != GGUF_TYPE_INT32)
        return false;
    *out = 0;
    for (size_t i = 0; i < gguf_get_arr_n(g, id); i++) {
        int32_t v;
        memcpy(&v, (const char *)gguf_get_arr_data(g, id) + i * 4, 4);
        if (v > 0 && (uint64_t)v > *out)
            *out = (uint64_t)v;
    }
    return true;
}

static uint32_t arch_u32(const struct gguf_context *g, const char *arch, const char *suffix, uint32_t dflt)
{
    char key[160];
    uint64_t v;

    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return kv_u64(g, key, &v) && v <= UINT32_MAX ? (uint32_t)v : dflt;
}

static float arch_f32(const struct gguf_context *g, const char *arch, const char *suffix)
{
    char key[160];
    int64_t id;

    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    id = gguf_find_key(g, key);
    if (id < 0)
        return 0.0f;
    if (gguf_get_kv_type(g, id) == GGUF_TYPE_FLOAT32)
        return gguf_get_val_f32(g, id);
    if (gguf_get_kv_type(g, id) == GGUF_TYPE_FLOAT64)
        return (float)gguf_get_val_f64(g, id);
    return 0.0f;
}

static void kv_str(const struct gguf_context *g, const char *key, char *out, size_t size)
{
    int64_t id = gguf_find_key(g, key);

    out[0] = '\0';
    if (id >= 0 && gguf_get_kv_type(g, id) == GGUF_TYPE_STRING)
        lle_strlcpy(out, gguf_get_val_str(g, id), size);
}

/* Tensor data must lie within the file: gguf.h does not read the data with
 * no_alloc, so a file cut inside the data section would otherwise pass. */
static lle_status check_extent(const struct gguf_context *g, const char *path, uint64_t file_bytes, lle_error *err)
{
    uint64_t end = 0;

    for (int64_t i = 0; i < gguf_get_n_tensors(g); i++) {
        uint64_t e = (uint64_t)gguf_get_tensor_offset(g, i) + gguf_get_tensor_size(g, i);
        if (e > end)
            end = e;
    }
    end += gguf_get_data_offset(g);
    if (gguf_get_n_tensors(g) > 0 && end > file_bytes)
        return lle_fail(err, LLE_ERR_FORMAT, "%s: truncated: tensor data ends at byte %llu, file has %llu", path,
                        (unsigned long long)end, (unsigned long long)file_bytes);
    return LLE_OK;
}

lle_status lle_gguf_check_file(const char *path, int64_t n_tensors, lle_error *err)
{
    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = NULL;
    struct stat sb;
    lle_status st = LLE_OK;

    if (stat(path, &sb) != 0)
        return lle_fail(err, LLE_ERR_IO, "%s: was not written: %s", path, strerror(errno));
    g = gguf_init_from_file(path, gp);
    if (g == NULL)
        return lle_fail(err, LLE_ERR_IO, "%s: written file does not parse as GGUF (disk full?)", path);
    if (n_tensors > 0 && gguf_get_n_tensors(g) != n_tensors)
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: holds %lld tensors, expected %lld", path,
                      (long long)gguf_get_n_tensors(g), (long long)n_tensors);
    if (st == LLE_OK)
        st = check_extent(g, path, (uint64_t)sb.st_size, err);
    gguf_free(g);
    return st;
}

static void add_type(lle_model_info *info, const struct ggml_tensor *t)
{
    const char *name = ggml_type_name(t->type);
    size_t i = 0;

    while (i < info->n_types && strcmp(info->types[i].type, name) != 0)
        i++;
    if (i == info->n_types) {
        if (i == LLE_MODEL_MAX_TYPES)
            return;
        lle_strlcpy(info->types[i].type, name, sizeof info->types[i].type);
        info->n_types++;
    }
    info->types[i].n_tensors++;
    info->types[i].n_elements += (uint64_t)ggml_nelements(t);
    info->types[i].n_bytes += ggml_nbytes(t);
}

static int cmp_type_bytes(const void *a, const void *b)
{
    const lle_tensor_type_count *x = a, *y = b;

    if (x->n_bytes != y->n_bytes)
        return x->n_bytes > y->n_bytes ? -1 : 1;
    return strcmp(x->type, y->type);
}

static void read_tensors(struct ggml_context *ctx, lle_model_info *info)
{
    const struct ggml_tensor *embd = ggml_get_tensor(ctx, "token_embd.weight");

    for (struct ggml_tensor *t = ggml_get_first_tensor(ctx); t != NULL; t = ggml_get_next_tensor(ctx, t)) {
        info->n_tensors++;
        info->n_params += (uint64_t)ggml_nelements(t);
        info->tensor_bytes += ggml_nbytes(t);
        add_type(info, t);
    }
    qsort(info->types, info->n_types, sizeof info->types[0], cmp_type_bytes);
    info->tied_embeddings = ggml_get_tensor(ctx, "output.weight") == NULL;
    if (embd != NULL)
        info->n_vocab = (uint32_t)embd->ne[1];
    if (info->n_params > 0)
        info->bits_per_weight = 8.0 * (double)info->tensor_bytes / (double)info->n_params;
}

static void read_hparams(const struct gguf_context *g, lle_model_info *m)
{
    const char *a = m->arch;
    uint64_t ft;
    int64_t id;

    m->n_layer = arch_u32(g, a, "block_count", 0);
    m->n_embd = arch_u32(g, a, "embedding_length", 0);
    m->n_head = arch_u32(g, a, "attention.head_count", 0);
    m->n_head_kv = arch_u32(g, a, "attention.head_count_kv", m->n_head);
    m->head_dim_k = arch_u32(g, a, "attention.key_length", m->n_head ? m->n_embd / m->n_head : 0);
    m->head_dim_v = arch_u32(g, a, "attention.value_length", m->n_head ? m->n_embd / m->n_head : 0);
    m->n_ff = arch_u32(g, a, "feed_forward_length", 0);
    m->n_ctx_train = arch_u32(g, a, "context_length", 0);
    m->n_expert = arch_u32(g, a, "expert_count", 0);
    m->n_expert_used = arch_u32(g, a, "expert_used_count", 0);
    m->n_rot = arch_u32(g, a, "rope.dimension_count", m->head_dim_k);
    m->rope_freq_base = arch_f32(g, a, "rope.freq_base");
    m->norm_eps = arch_f32(g, a, "attention.layer_norm_rms_epsilon");
    if (m->norm_eps == 0.0f)
        m->norm_eps = arch_f32(g, a, "attention.layer_norm_epsilon");
    kv_str(g, "general.name", m->name, sizeof m->name);
    kv_str(g, "tokenizer.ggml.model", m->tokenizer_model, sizeof m->tokenizer_model);
    kv_str(g, "tokenizer.ggml.pre", m->tokenizer_pre, sizeof m->tokenizer_pre);
    lle_strlcpy(m->file_type, "unknown", sizeof m->file_type);
    if (kv_u64(g, "general.file_type", &ft) && lle_model_type_name((int)ft) != NULL) {
        const char *n = lle_model_type_name((int)ft);
        size_t i = 0;
        for (; n[i] != '\0' && i + 1 < sizeof m->file_type; i++)
            m->file_type[i] = (char)toupper((unsigned char)n[i]);
        m->file_type[i] = '\0';
    }
    id = gguf_find_key(g, "tokenizer.ggml.tokens");
    m->n_vocab = id >= 0 && gguf_get_kv_type(g, id) == GGUF_TYPE_ARRAY ? (uint32_t)gguf_get_arr_n(g, id)
                                                                       : arch_u32(g, a, "vocab_size", 0);
}

lle_status lle_gguf_check_magic(const char *path, const char *what, lle_error *err)
{
    char magic[4] = {0};
    FILE *f = fopen(path, "rb");
    size_t got;

    if (f == NULL)
        return lle_fail(err, LLE_ERR_IO, "%s%s: cannot open: %s", what, path, strerror(errno));
    got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (got != sizeof magic || memcmp(magic, "GGUF", sizeof magic) != 0)
        return lle_fail(err, LLE_ERR_FORMAT, "%s%s: not a GGUF file or truncated", what, path);
    return LLE_OK;
}

/* Exists, is not a directory, and starts with the GGUF magic. */
static lle_status precheck_model(const char *path, struct stat *sb, lle_error *err)
{
    if (stat(path, sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return lle_fail(err, LLE_ERR_NOT_FOUND, "%s: no such file", path);
        return lle_fail(err, LLE_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb->st_mode))
        return lle_fail(err, LLE_ERR_INVALID, "%s: is a directory, not a GGUF file", path);
    return lle_gguf_check_magic(path, "", err);
}

lle_status lle_model_inspect(const char *path, lle_model_info *out, lle_error *err)
{
    struct ggml_context *ctx = NULL;
    struct gguf_init_params gp = {.no_alloc = true, .ctx = &ctx};
    struct gguf_context *g = NULL;
    struct stat sb;
    lle_status st;

    if (path == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_model_inspect: NULL argument");
    memset(out, 0, sizeof *out);
    st = precheck_model(path, &sb, err);
    if (st != LLE_OK)
        return st;
    lle_llama_log_init(); /* gguf.h logs into our sink, never to stderr */
    g = gguf_init_from_file(path, gp);
    if (g == NULL) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: not a GGUF file or truncated", path);
        goto cleanup;
    }
    st = check_extent(g, path, (uint64_t)sb.st_size, err);
    if (st != LLE_OK)
        goto cleanup;
    lle_strlcpy(out->path, path, sizeof out->path);
    kv_str(g, "general.architecture", out->arch, sizeof out->arch);
    if (out->arch[0] == '\0') {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: no general.architecture key", path);
        goto cleanup;
    }
    read_hparams(g, out);
    read_tensors(ctx, out);
    out->file_bytes = (uint64_t)sb.st_size;
    if (out->n_layer == 0 || out->n_embd == 0)
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: no %s.block_count or %s.embedding_length key", path, out->arch,
                      out->arch);
cleanup:
    if (g != NULL)
        gguf_free(g);
    if (ctx != NULL)
        ggml_free(ctx);
    return st;
}

static cJSON *types_json(const lle_model_info *info)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr != NULL && i < info->n_types; i++) {
        const lle_tensor_type_count *t = &info->types[i];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddStringToObject(o, "type", t->type);
        cJSON_AddNumberToObject(o, "n_tensors", t->n_tensors);
        cJSON_AddNumberToObject(o, "n_elements", (double)t->n_elements);
        cJSON_AddNumberToObject(o, "n_bytes", (double)t->n_bytes);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

char *lle_model_info_to_json(const lle_model_info *m)
{
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "path", m->path);
    cJSON_AddStringToObject(o, "arch", m->arch);
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "file_type", m->file_type);
    cJSON_AddNumberToObject(o, "n_params", (double)m->n_params);
    cJSON_AddNumberToObject(o, "n_tensors", (double)m->n_tensors);
    cJSON_AddNumberToObject(o, "tensor_bytes", (double)m->tensor_bytes);
    cJSON_AddNumberToObject(o, "file_bytes", (double)m->file_bytes);
    cJSON_AddNumberToObject(o, "bits_per_weight", m->bits_per_weight);
    cJSON_AddNumberToObject(o, "n_layer", m->n_layer);
    cJSON_AddNumberToObject(o, "n_embd", m->n_embd);
    cJSON_AddNumberToObject(o, "n_head", m->n_head);
    cJSON_AddNumberToObject(o, "n_head_kv", m->n_head_kv);
    cJSON_AddNumberToObject(o, "head_dim_k", m->head_dim_k);
    cJSON_AddNumberToObject(o, "head_dim_v", m->head_dim_v);
    cJSON_AddNumberToObject(o, "n_ff", m->n_ff);
    cJSON_AddNumberToObject(o, "n_vocab", m->n_vocab);
    cJSON_AddNumberToObject(o, "n_ctx_train", m->n_ctx_train);
    cJSON_AddNumberToObject(o, "n_expert", m->n_expert);
    cJSON_AddNumberToObject(o, "n_expert_used", m->n_expert_used);
    cJSON_AddNumberToObject(o, "n_rot", m->n_rot);
    cJSON_AddNumberToObject(o, "rope_freq_base", lle_json_float(m->rope_freq_base));
    cJSON_AddNumberToObject(o, "norm_eps", lle_json_float(m->norm_eps));
    cJSON_AddBoolToObject(o, "tied_embeddings", m->tied_embeddings);
    cJSON_AddStringToObject(o, "tokenizer_model", m->tokenizer_model);
    cJSON_AddStringToObject(o, "tokenizer_pre", m->tokenizer_pre);
    cJSON_AddItemToObject(o, "types", types_json(m));
    s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}
