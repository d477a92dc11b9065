/* synth_meta.c — the metadata half of synthesis: which tensors a preset has
 * (names and shapes as llama.cpp's loader expects them) and the gguf_context
 * handed to llama_model_init_from_user(): the tokenizer.* keys of a
 * ggml-vocab-*.gguf file (padded with placeholder tokens when the file has
 * fewer tokens than the model's vocabulary), general.* and <arch>.* keys, and
 * one tensor info per tensor. The loader creates exactly the tensors listed
 * here, so the list must match the architecture. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "llama.h"
#include "model/synth_internal.h"

#define KEY_TOKENS     "tokenizer.ggml.tokens"
#define KEY_SCORES     "tokenizer.ggml.scores"
#define KEY_TOKEN_TYPE "tokenizer.ggml.token_type"

static size_t push(lle_synth_tensor *out, size_t cap, size_t n, const char *name, int64_t ne0, int64_t ne1,
                   lle_synth_kind kind)
{
    if (out != NULL && n < cap) {
        lle_strlcpy(out[n].name, name, sizeof out[n].name);
        out[n].ne0 = ne0;
        out[n].ne1 = ne1;
        out[n].kind = kind;
    }
    return n + 1;
}

static size_t layer_specs(const lle_preset *p, uint32_t il, lle_synth_tensor *out, size_t cap, size_t n)
{
    int64_t embd = p->n_embd, hd = p->n_embd / p->n_head, ff = p->n_ff;
    int64_t q = p->n_head * hd, kv = p->n_head_kv * hd;
    const struct {
        const char *suffix;
        int64_t ne0, ne1;
        lle_synth_kind kind;
        bool bias;
    } t[] = {
        {"attn_norm.weight", embd, 1, LLE_SYNTH_NORM, false}, {"attn_q.weight", embd, q, LLE_SYNTH_MATRIX, false},
        {"attn_k.weight", embd, kv, LLE_SYNTH_MATRIX, false}, {"attn_v.weight", embd, kv, LLE_SYNTH_MATRIX, false},
        {"attn_q.bias", q, 1, LLE_SYNTH_BIAS, true},          {"attn_k.bias", kv, 1, LLE_SYNTH_BIAS, true},
        {"attn_v.bias", kv, 1, LLE_SYNTH_BIAS, true},         {"attn_output.weight", q, embd, LLE_SYNTH_MATRIX, false},
        {"ffn_norm.weight", embd, 1, LLE_SYNTH_NORM, false},  {"ffn_gate.weight", embd, ff, LLE_SYNTH_MATRIX, false},
        {"ffn_up.weight", embd, ff, LLE_SYNTH_MATRIX, false}, {"ffn_down.weight", ff, embd, LLE_SYNTH_MATRIX, false},
    };
    char name[64];

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].bias && !p->qkv_bias)
            continue;
        snprintf(name, sizeof name, "blk.%u.%s", il, t[i].suffix);
        n = push(out, cap, n, name, t[i].ne0, t[i].ne1, t[i].kind);
    }
    return n;
}

size_t lle_synth_tensor_specs(const lle_preset *p, lle_synth_tensor *out, size_t cap)
{
    size_t n = 0;

    n = push(out, cap, n, "token_embd.weight", p->n_embd, p->n_vocab, LLE_SYNTH_MATRIX);
    n = push(out, cap, n, "output_norm.weight", p->n_embd, 1, LLE_SYNTH_NORM);
    if (!p->tied_embeddings)
        n = push(out, cap, n, "output.weight", p->n_embd, p->n_vocab, LLE_SYNTH_MATRIX);
    for (uint32_t il = 0; il < p->n_layer; il++)
        n = layer_specs(p, il, out, cap, n);
    return n;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

lle_synth_kind lle_synth_kind_of(const char *name)
{
    if (ends_with(name, "_norm.weight"))
        return LLE_SYNTH_NORM;
    if (ends_with(name, ".bias"))
        return LLE_SYNTH_BIAS;
    return LLE_SYNTH_MATRIX;
}

static lle_status open_vocab(const char *path, struct gguf_context **out, lle_error *err)
{
    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct stat sb;
    lle_status st;
    int64_t id;

    if (stat(path, &sb) != 0)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "tokenizer file %s: %s", path,
                        strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return lle_fail(err, LLE_ERR_FORMAT, "tokenizer file %s: not a regular file", path);
    st = lle_gguf_check_magic(path, "tokenizer file ", err);
    if (st != LLE_OK)
        return st;
    *out = gguf_init_from_file(path, gp);
    if (*out == NULL)
        return lle_fail(err, LLE_ERR_FORMAT, "tokenizer file %s: not a GGUF file or truncated", path);
    id = gguf_find_key(*out, KEY_TOKENS);
    if (id < 0 || gguf_get_kv_type(*out, id) != GGUF_TYPE_ARRAY || gguf_get_arr_type(*out, id) != GGUF_TYPE_STRING)
        return lle_fail(err, LLE_ERR_FORMAT, "tokenizer file %s: no %s string array", path, KEY_TOKENS);
    return LLE_OK;
}

/* Copy every tokenizer.* key of `vocab` into `meta` and nothing else. */
static void copy_tokenizer_kvs(struct gguf_context *meta, const struct gguf_context *vocab)
{
    char key[256];

    gguf_set_kv(meta, vocab);
    for (int64_t i = gguf_get_n_kv(meta) - 1; i >= 0; i--) {
        lle_strlcpy(key, gguf_get_key(meta, i), sizeof key);
        if (strncmp(key, "tokenizer.", 10) != 0)
            gguf_remove_key(meta, key);
    }
}

/* Extend a numeric per-token array of `vocab` (if present) to n entries. */
static lle_status pad_numeric(struct gguf_context *meta, const struct gguf_context *vocab, const char *key, size_t n,
                              lle_error *err)
{
    int64_t id = gguf_find_key(vocab, key);
    size_t have, esz;
    enum gguf_type t;
    char *buf;

    if (id < 0 || gguf_get_kv_type(vocab, id) != GGUF_TYPE_ARRAY)
        return LLE_OK;
    t = gguf_get_arr_type(vocab, id);
    if (t != GGUF_TYPE_INT32 && t != GGUF_TYPE_FLOAT32)
        return LLE_OK;
    have = gguf_get_arr_n(vocab, id);
    esz = 4; /* int32 or float32 */
    buf = calloc(n, esz);
    if (buf == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory padding %s", key);
    memcpy(buf, gguf_get_arr_data(vocab, id), (have < n ? have : n) * esz);
    for (size_t i = have; i < n && t == GGUF_TYPE_INT32; i++) {
        int32_t v = LLAMA_TOKEN_TYPE_UNUSED;
        memcpy(buf + i * esz, &v, sizeof v);
    }
    gguf_set_arr_data(meta, key, t, buf, n);
    free(buf);
    return LLE_OK;
}

/* Placeholder tokens "<|lle_pad_N|>" (type UNUSED, score 0) up to n_vocab. */
static lle_status pad_vocab(struct gguf_context *meta, const struct gguf_context *vocab, size_t n_vocab, lle_error *err)
{
    int64_t id = gguf_find_key(vocab, KEY_TOKENS);
    size_t have = gguf_get_arr_n(vocab, id);
    const char **strs = NULL;
    char *names = NULL;
    lle_status st = LLE_OK;

    if (have == n_vocab)
        return LLE_OK;
    strs = malloc(n_vocab * sizeof *strs);
    names = malloc((n_vocab - have) * 24);
    if (strs == NULL || names == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory padding the vocabulary");
        goto cleanup;
    }
    for (size_t i = 0; i < have; i++)
        strs[i] = gguf_get_arr_str(vocab, id, i);
    for (size_t i = have; i < n_vocab; i++) {
        char *s = names + (i - have) * 24;
        snprintf(s, 24, "<|lle_pad_%zu|>", i - have);
        strs[i] = s;
    }
    gguf_set_arr_str(meta, KEY_TOKENS, strs, n_vocab);
    st = pad_numeric(meta, vocab, KEY_SCORES, n_vocab, err);
    if (st == LLE_OK)
        st = pad_numeric(meta, vocab, KEY_TOKEN_TYPE, n_vocab, err);
cleanup:
    free(strs);
    free(names);
    return st;
}

static void set_arch_kvs(struct gguf_context *g, const lle_preset *p, enum ggml_type mat_type)
{
    const struct {
        const char *suffix;
        uint32_t v;
    } u[] = {
        {"block_count", p->n_layer},
        {"context_length", p->n_ctx_train},
        {"embedding_length", p->n_embd},
        {"feed_forward_length", p->n_ff},
        {"attention.head_count", p->n_head},
        {"attention.head_count_kv", p->n_head_kv},
        {"rope.dimension_count", p->n_embd / p->n_head},
        {"vocab_size", p->n_vocab},
    };
    char key[128];
    uint32_t ftype = mat_type == GGML_TYPE_F32    ? LLAMA_FTYPE_ALL_F32
                     : mat_type == GGML_TYPE_BF16 ? LLAMA_FTYPE_MOSTLY_BF16
                                                  : LLAMA_FTYPE_MOSTLY_F16;

    gguf_set_val_str(g, "general.architecture", p->arch);
    gguf_set_val_str(g, "general.name", p->name);
    gguf_set_val_u32(g, "general.file_type", ftype);
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        snprintf(key, sizeof key, "%s.%s", p->arch, u[i].suffix);
        gguf_set_val_u32(g, key, u[i].v);
    }
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", p->arch);
    gguf_set_val_f32(g, key, p->norm_eps);
    snprintf(key, sizeof key, "%s.rope.freq_base", p->arch);
    gguf_set_val_f32(g, key, p->rope_freq_base);
}

static void add_tensor_info(struct gguf_context *g, const lle_synth_tensor *s, enum ggml_type mat_type)
{
    struct ggml_tensor t;

    memset(&t, 0, sizeof t);
    t.type = s->kind == LLE_SYNTH_MATRIX ? mat_type : GGML_TYPE_F32;
    t.ne[0] = s->ne0;
    t.ne[1] = s->ne1;
    t.ne[2] = t.ne[3] = 1;
    t.nb[0] = ggml_type_size(t.type);
    t.nb[1] = ggml_row_size(t.type, t.ne[0]);
    t.nb[2] = t.nb[1] * (size_t)t.ne[1];
    t.nb[3] = t.nb[2];
    ggml_set_name(&t, s->name);
    gguf_add_tensor(g, &t);
}

static lle_status add_tensor_infos(struct gguf_context *g, const lle_preset *p, enum ggml_type mat_type, lle_error *err)
{
    size_t n = lle_synth_tensor_specs(p, NULL, 0);
    lle_synth_tensor *specs = calloc(n, sizeof *specs);

    if (specs == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory for the tensor list");
    lle_synth_tensor_specs(p, specs, n);
    for (size_t i = 0; i < n; i++)
        add_tensor_info(g, &specs[i], mat_type);
    free(specs);
    return LLE_OK;
}

lle_status lle_synth_build_meta(const lle_preset *p, const char *vocab_path, enum ggml_type mat_type,
                                struct gguf_context **out, lle_error *err)
{
    struct gguf_context *vocab = NULL, *meta = NULL;
    lle_status st;
    size_t n_tok;

    *out = NULL;
    st = open_vocab(vocab_path, &vocab, err);
    if (st != LLE_OK)
        goto cleanup;
    n_tok = gguf_get_arr_n(vocab, gguf_find_key(vocab, KEY_TOKENS));
    if (n_tok > p->n_vocab) {
        st = lle_fail(err, LLE_ERR_FORMAT, "tokenizer file %s has %zu tokens, more than the %u of preset %s",
                      vocab_path, n_tok, p->n_vocab, p->name);
        goto cleanup;
    }
    meta = gguf_init_empty();
    if (meta == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory for the model metadata");
        goto cleanup;
    }
    copy_tokenizer_kvs(meta, vocab);
    st = pad_vocab(meta, vocab, p->n_vocab, err);
    if (st == LLE_OK) {
        set_arch_kvs(meta, p, mat_type);
        st = add_tensor_infos(meta, p, mat_type, err);
    }
    if (st == LLE_OK) {
        *out = meta;
        meta = NULL;
    }
cleanup:
    if (vocab != NULL)
        gguf_free(vocab);
    if (meta != NULL)
        gguf_free(meta);
    return st;
}
