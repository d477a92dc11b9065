/* test_model.c — unit tests of the model module: preset parameter counts
 * against the published values, the synthesised tensor list against the
 * closed formula, synth -> inspect round trips, byte-identical output for
 * equal seeds, error statuses with no file left behind, inspection of broken
 * files, vocabulary padding, and a decode through llama.cpp to prove a
 * synthesised file is a working model. Fixtures: $LLE_TESTDATA/tiny-*.gguf. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "llama.h"
#include "lle/model.h"
#include "model/synth_internal.h"

/* ---- helpers ------------------------------------------------------------- */

static char g_tmp[256];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/lle-test-model-XXXXXX");
    return mkdtemp(g_tmp) == NULL ? -1 : 0;
}

static void clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) {
            chmod(p, 0755);
            clear_dir(p);
            rmdir(p);
        }
    }
    if (d != NULL)
        closedir(d);
}

static int teardown_tmp(void **state)
{
    (void)state;
    clear_dir(g_tmp);
    rmdir(g_tmp);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    return n;
}

static char *tmp_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", g_tmp, name);
    return buf;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static lle_status synth_tiny(const char *type, uint64_t seed, const char *out, lle_error *err)
{
    lle_synth_opts o = {0};

    o.preset = "tiny";
    o.type = type;
    o.seed = seed;
    o.out_path = out;
    o.n_threads = 2;
    return lle_model_synth(&o, err);
}

static const char *fixture(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("LLE_TESTDATA");

    if (dir == NULL)
        return NULL;
    snprintf(buf, size, "%s/%s", dir, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* ---- presets and types ----------------------------------------------------- */

static void test_param_counts_published(void **state)
{
    (void)state;
    /* TinyLlama and Qwen2.5 publish these counts; Llama 3.2 1B/3B are the sums
     * of their safetensors shapes (tied embeddings counted once). */
    assert_int_equal(lle_preset_param_count(lle_preset_find("tinyllama-1.1b")), 1100048384ULL);
    assert_int_equal(lle_preset_param_count(lle_preset_find("qwen2.5-0.5b")), 494032768ULL);
    assert_int_equal(lle_preset_param_count(lle_preset_find("llama-3.2-1b")), 1235814400ULL);
    assert_int_equal(lle_preset_param_count(lle_preset_find("llama-3.2-3b")), 3212749824ULL);
    assert_int_equal(lle_preset_param_count(lle_preset_find("tiny")), 9372928ULL);
}

static void test_preset_lookup(void **state)
{
    (void)state;
    assert_int_equal(lle_preset_count(), 5);
    for (size_t i = 0; i < lle_preset_count(); i++) {
        const lle_preset *p = lle_preset_at(i);
        assert_ptr_equal(lle_preset_find(p->name), p);
        assert_int_equal(p->n_embd % p->n_head, 0);
        assert_int_equal(p->n_head % p->n_head_kv, 0);
        assert_non_null(strstr(p->source, strcmp(p->name, "tiny") == 0 ? "test model" : "huggingface.co"));
    }
    assert_null(lle_preset_at(lle_preset_count()));
    assert_null(lle_preset_find("gpt-5"));
    assert_null(lle_preset_find(NULL));
    assert_true(lle_preset_find("qwen2.5-0.5b")->qkv_bias);
    assert_false(lle_preset_find("tinyllama-1.1b")->tied_embeddings);
}

static void test_type_parse(void **state)
{
    lle_error err = {0};
    int ft = -1;

    (void)state;
    assert_true(lle_model_type_count() >= 21);
    for (size_t i = 0; i < lle_model_type_count(); i++) {
        assert_int_equal(lle_model_type_parse(lle_model_type_at(i), &ft, &err), LLE_OK);
        assert_string_equal(lle_model_type_name(ft), lle_model_type_at(i));
    }
    assert_null(lle_model_type_at(lle_model_type_count()));
    assert_int_equal(lle_model_type_parse("q4_k_m", &ft, &err), LLE_OK);
    assert_int_equal(ft, LLAMA_FTYPE_MOSTLY_Q4_K_M);
    assert_int_equal(lle_model_type_parse("F16", &ft, &err), LLE_OK);
    assert_int_equal(ft, LLAMA_FTYPE_MOSTLY_F16);
    assert_int_equal(lle_model_type_parse("iq2_xxs", &ft, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "importance matrix"));
    assert_int_equal(lle_model_type_parse("q9_9", &ft, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "q9_9"));
}

static void test_presets_json(void **state)
{
    char *s = lle_presets_to_json();
    cJSON *root, *arr;

    (void)state;
    assert_non_null(s);
    root = cJSON_Parse(s);
    assert_non_null(root);
    arr = cJSON_GetObjectItem(root, "presets");
    assert_int_equal(cJSON_GetArraySize(arr), (int)lle_preset_count());
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "n_params")->valuedouble, 1100048384.0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "types")), (int)lle_model_type_count());
    cJSON_Delete(root);
    free(s);
}

/* ---- synthesis metadata (no weights) ------------------------------------- */

static uint64_t meta_elements(const struct gguf_context *g)
{
    uint64_t n = 0;

    for (int64_t i = 0; i < gguf_get_n_tensors(g); i++)
        n += gguf_get_tensor_size(g, i) / ggml_type_size(gguf_get_tensor_type(g, i));
    return n;
}

static void check_meta(const lle_preset *p, struct gguf_context *g)
{
    char key[128];
    int64_t id;

    assert_int_equal(meta_elements(g), lle_preset_param_count(p));
    assert_int_equal(gguf_get_n_tensors(g), (int64_t)lle_synth_tensor_specs(p, NULL, 0));
    assert_int_equal(gguf_find_tensor(g, "output.weight") >= 0, !p->tied_embeddings);
    assert_int_equal(gguf_find_tensor(g, "blk.0.attn_q.bias") >= 0, p->qkv_bias);
    snprintf(key, sizeof key, "%s.block_count", p->arch);
    id = gguf_find_key(g, key);
    assert_true(id >= 0);
    assert_int_equal(gguf_get_val_u32(g, id), p->n_layer);
    id = gguf_find_key(g, "tokenizer.ggml.tokens");
    assert_true(id >= 0);
    assert_int_equal(gguf_get_arr_n(g, id), p->n_vocab);
    assert_true(gguf_find_key(g, "general.name") >= 0);
    assert_string_equal(gguf_get_val_str(g, gguf_find_key(g, "general.architecture")), p->arch);
}

static void test_meta_matches_formula(void **state)
{
    char vocab[512];
    lle_error err = {0};

    (void)state;
    for (size_t i = 0; i < lle_preset_count(); i++) {
        const lle_preset *p = lle_preset_at(i);
        struct gguf_context *g = NULL;
        snprintf(vocab, sizeof vocab, "%s/ggml-vocab-%s.gguf", lle_default_vocab_dir(), p->vocab);
        assert_int_equal(lle_synth_build_meta(p, vocab, GGML_TYPE_F16, &g, &err), LLE_OK);
        check_meta(p, g);
        gguf_free(g);
    }
}

static void test_tensor_specs(void **state)
{
    const lle_preset *p = lle_preset_find("qwen2.5-0.5b");
    size_t n = lle_synth_tensor_specs(p, NULL, 0);
    lle_synth_tensor *s = calloc(n, sizeof *s);

    (void)state;
    assert_int_equal(n, 2 + 24 * 12);
    assert_int_equal(lle_synth_tensor_specs(p, s, n), n);
    assert_string_equal(s[0].name, "token_embd.weight");
    assert_int_equal(s[0].ne1, 151936);
    assert_int_equal(lle_synth_kind_of("blk.3.ffn_norm.weight"), LLE_SYNTH_NORM);
    assert_int_equal(lle_synth_kind_of("blk.3.attn_k.bias"), LLE_SYNTH_BIAS);
    assert_int_equal(lle_synth_kind_of("blk.3.attn_k.weight"), LLE_SYNTH_MATRIX);
    free(s);
}

static void test_default_vocab_dir(void **state)
{
    char *old = getenv("LLE_VOCAB_DIR") ? strdup(getenv("LLE_VOCAB_DIR")) : NULL;
    char path[1024];

    (void)state;
    setenv("LLE_VOCAB_DIR", "/some/where", 1);
    assert_string_equal(lle_default_vocab_dir(), "/some/where");
    unsetenv("LLE_VOCAB_DIR");
    snprintf(path, sizeof path, "%s/ggml-vocab-llama-spm.gguf", lle_default_vocab_dir());
    assert_int_equal(access(path, R_OK), 0); /* the build tree's copy */
    if (old != NULL)
        setenv("LLE_VOCAB_DIR", old, 1);
    free(old);
}

/* ---- synth -> inspect ------------------------------------------------------ */

static const lle_tensor_type_count *find_type(const lle_model_info *m, const char *type)
{
    for (size_t i = 0; i < m->n_types; i++)
        if (strcmp(m->types[i].type, type) == 0)
            return &m->types[i];
    return NULL;
}

static void check_tiny_info(const lle_model_info *m)
{
    const lle_preset *p = lle_preset_find("tiny");

    assert_string_equal(m->arch, "llama");
    assert_string_equal(m->name, "tiny");
    assert_int_equal(m->n_params, lle_preset_param_count(p));
    assert_int_equal(m->n_layer, p->n_layer);
    assert_int_equal(m->n_embd, p->n_embd);
    assert_int_equal(m->n_head, p->n_head);
    assert_int_equal(m->n_head_kv, p->n_head_kv);
    assert_int_equal(m->head_dim_k, 64);
    assert_int_equal(m->head_dim_v, 64);
    assert_int_equal(m->n_ff, p->n_ff);
    assert_int_equal(m->n_vocab, p->n_vocab);
    assert_int_equal(m->n_ctx_train, p->n_ctx_train);
    assert_int_equal(m->n_rot, 64);
    assert_int_equal(m->n_expert, 0);
    assert_float_equal(m->rope_freq_base, p->rope_freq_base, 1e-3);
    assert_float_equal(m->norm_eps, p->norm_eps, 1e-9);
    assert_true(m->tied_embeddings);
    assert_string_equal(m->tokenizer_model, "llama");
    assert_int_equal(m->n_tensors, lle_synth_tensor_specs(p, NULL, 0));
    assert_true(m->tensor_bytes < m->file_bytes);
}

static void test_synth_inspect_f16(void **state)
{
    char out[512];
    lle_model_info m;
    lle_error err = {0};

    (void)state;
    assert_int_equal(synth_tiny("f16", 3, tmp_path("t.gguf", out, sizeof out), &err), LLE_OK);
    assert_int_equal(count_entries(g_tmp), 1); /* no temp file left */
    assert_int_equal(lle_model_inspect(out, &m, &err), LLE_OK);
    check_tiny_info(&m);
    assert_string_equal(m.file_type, "F16");
    assert_int_equal(m.n_types, 2);
    assert_int_equal(find_type(&m, "f16")->n_tensors, 15);
    assert_int_equal(find_type(&m, "f32")->n_tensors, 5);
    assert_int_equal(find_type(&m, "f32")->n_elements, 5 * 256);
    assert_int_equal(find_type(&m, "f16")->n_bytes + find_type(&m, "f32")->n_bytes, m.tensor_bytes);
    assert_float_equal(m.bits_per_weight, 16.0, 0.01);
}

static void test_inspect_fixtures(void **state)
{
    const char *types[] = {"f16", "q8_0", "q4_0"};
    const char *ftype[] = {"F16", "Q8_0", "Q4_0"};
    char buf[512], name[64];
    lle_model_info m;
    lle_error err = {0};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "tiny-%s.gguf", types[i]);
        if (fixture(name, buf, sizeof buf) == NULL)
            skip();
        assert_int_equal(lle_model_inspect(buf, &m, &err), LLE_OK);
        check_tiny_info(&m);
        assert_string_equal(m.file_type, ftype[i]);
        assert_non_null(find_type(&m, "f32"));
        assert_int_equal(find_type(&m, "f32")->n_tensors, 5);
        if (i > 0)
            assert_true(m.bits_per_weight < 9.0);
    }
}

static void test_info_json(void **state)
{
    char buf[512], *s;
    lle_model_info m;
    lle_error err = {0};
    cJSON *o, *t;

    (void)state;
    if (fixture("tiny-q8_0.gguf", buf, sizeof buf) == NULL)
        skip();
    assert_int_equal(lle_model_inspect(buf, &m, &err), LLE_OK);
    s = lle_model_info_to_json(&m);
    assert_non_null(s);
    o = cJSON_Parse(s);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "file_type")->valuestring, "Q8_0");
    assert_int_equal(cJSON_GetObjectItem(o, "n_params")->valuedouble, (double)m.n_params);
    assert_int_equal(cJSON_GetObjectItem(o, "file_bytes")->valuedouble, (double)m.file_bytes);
    assert_int_equal(cJSON_GetObjectItem(o, "tensor_bytes")->valuedouble, (double)m.tensor_bytes);
    assert_float_equal(cJSON_GetObjectItem(o, "norm_eps")->valuedouble, 1e-5, 1e-12);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "tied_embeddings")));
    t = cJSON_GetObjectItem(o, "types");
    assert_int_equal(cJSON_GetArraySize(t), (int)m.n_types);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "n_bytes"));
    cJSON_Delete(o);
    free(s);
}

/* ---- determinism ---------------------------------------------------------- */

static bool same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    unsigned char *x = read_all(a, &la), *y = read_all(b, &lb);
    bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

    free(x);
    free(y);
    return same;
}

static void test_same_seed_same_bytes(void **state)
{
    const char *types[] = {"f16", "q4_k_m"};
    char a[512], b[512], c[512];
    lle_error err = {0};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(synth_tiny(types[i], 42, tmp_path("a.gguf", a, sizeof a), &err), LLE_OK);
        assert_int_equal(synth_tiny(types[i], 42, tmp_path("b.gguf", b, sizeof b), &err), LLE_OK);
        assert_int_equal(synth_tiny(types[i], 43, tmp_path("c.gguf", c, sizeof c), &err), LLE_OK);
        assert_true(same_file(a, b));
        assert_false(same_file(a, c));
    }
}

/* ---- synthesis errors ---------------------------------------------------- */

static void expect_synth_fail(lle_synth_opts *o, lle_status want, const char *needle)
{
    lle_error err = {0};

    assert_int_equal(lle_model_synth(o, &err), want);
    assert_non_null(strstr(err.msg, needle));
    assert_int_equal(count_entries(g_tmp), 0);
}

static void test_synth_errors(void **state)
{
    char out[512], vdir[512], bad[600];
    lle_synth_opts o = {0};

    (void)state;
    o.out_path = tmp_path("x.gguf", out, sizeof out);
    o.preset = "no-such-model";
    expect_synth_fail(&o, LLE_ERR_NOT_FOUND, "no-such-model");
    o.preset = "tiny";
    o.type = "q9_k";
    expect_synth_fail(&o, LLE_ERR_INVALID, "q9_k");
    o.type = "iq1_s";
    expect_synth_fail(&o, LLE_ERR_INVALID, "iq1_s");
    o.type = "q8_0";
    o.out_path = "/nonexistent-dir-lle/x.gguf";
    expect_synth_fail(&o, LLE_ERR_IO, "/nonexistent-dir-lle/x.gguf");
    o.out_path = g_tmp;
    expect_synth_fail(&o, LLE_ERR_INVALID, "is a directory");
    o.out_path = out;
    o.vocab_dir = "/nonexistent-vocab-lle";
    expect_synth_fail(&o, LLE_ERR_NOT_FOUND, "ggml-vocab-llama-spm.gguf");
    /* a vocab dir holding a file that is not GGUF */
    assert_int_equal(mkdir(tmp_path("v", vdir, sizeof vdir), 0755), 0);
    snprintf(bad, sizeof bad, "%s/ggml-vocab-llama-spm.gguf", vdir);
    write_bytes(bad, "not a gguf file\n", 16);
    o.vocab_dir = vdir;
    o.out_path = tmp_path("x.gguf", out, sizeof out);
    assert_int_equal(lle_model_synth(&o, NULL), LLE_ERR_FORMAT);
    assert_int_equal(count_entries(g_tmp), 1); /* only the vocab dir */
    unlink(bad);
    rmdir(vdir);
}

static void test_synth_unwritable_dir(void **state)
{
    char dir[512], out[600];
    lle_synth_opts o = {0};
    lle_error err = {0};

    (void)state;
    if (geteuid() == 0)
        skip(); /* root writes anywhere; the missing-directory case covers IO */
    assert_int_equal(mkdir(tmp_path("ro", dir, sizeof dir), 0555), 0);
    snprintf(out, sizeof out, "%s/x.gguf", dir);
    o.preset = "tiny";
    o.out_path = out;
    assert_int_equal(lle_model_synth(&o, &err), LLE_ERR_IO);
    assert_int_equal(count_entries(dir), 0);
    rmdir(dir);
}

/* ---- inspect errors ------------------------------------------------------- */

static void expect_inspect_fail(const char *path, lle_status want, const char *needle)
{
    lle_model_info m;
    lle_error err = {0};

    assert_int_equal(lle_model_inspect(path, &m, &err), want);
    assert_non_null(strstr(err.msg, needle));
}

static void test_inspect_errors(void **state)
{
    char p[512], src[512];
    unsigned char *data;
    size_t len = 0;
    lle_error err = {0};

    (void)state;
    expect_inspect_fail("/nonexistent-lle/model.gguf", LLE_ERR_NOT_FOUND, "/nonexistent-lle/model.gguf");
    expect_inspect_fail(g_tmp, LLE_ERR_INVALID, "is a directory");
    write_bytes(tmp_path("text.gguf", p, sizeof p), "hello, not a model\n", 19);
    expect_inspect_fail(p, LLE_ERR_FORMAT, "not a GGUF file");
    write_bytes(tmp_path("empty.gguf", p, sizeof p), "", 0);
    expect_inspect_fail(p, LLE_ERR_FORMAT, "not a GGUF file");
    assert_int_equal(synth_tiny("q8_0", 1, tmp_path("src.gguf", src, sizeof src), &err), LLE_OK);
    data = read_all(src, &len);
    assert_non_null(data);
    write_bytes(tmp_path("cut-data.gguf", p, sizeof p), data, len / 2); /* inside the tensor data */
    expect_inspect_fail(p, LLE_ERR_FORMAT, "truncated");
    write_bytes(tmp_path("cut-data.gguf", p, sizeof p), data, len - 1); /* one byte short */
    expect_inspect_fail(p, LLE_ERR_FORMAT, "truncated");
    write_bytes(tmp_path("cut-head.gguf", p, sizeof p), data, 1000); /* inside the metadata */
    expect_inspect_fail(p, LLE_ERR_FORMAT, "not a GGUF file or truncated");
    free(data);
}

/* ---- vocabulary padding ---------------------------------------------------- */

/* A copy of the llama-spm tokenizer with its last 10 tokens removed. */
static void write_short_vocab(const char *path)
{
    char src[512];
    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *v, *g = gguf_init_empty();
    int64_t id;
    size_t n;
    const char **strs;

    snprintf(src, sizeof src, "%s/ggml-vocab-llama-spm.gguf", lle_default_vocab_dir());
    v = gguf_init_from_file(src, gp);
    assert_non_null(v);
    gguf_set_kv(g, v);
    id = gguf_find_key(v, "tokenizer.ggml.tokens");
    n = gguf_get_arr_n(v, id) - 10;
    strs = malloc(n * sizeof *strs);
    for (size_t i = 0; i < n; i++)
        strs[i] = gguf_get_arr_str(v, id, i);
    gguf_set_arr_str(g, "tokenizer.ggml.tokens", strs, n);
    id = gguf_find_key(v, "tokenizer.ggml.scores");
    gguf_set_arr_data(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, gguf_get_arr_data(v, id), n);
    id = gguf_find_key(v, "tokenizer.ggml.token_type");
    gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, gguf_get_arr_data(v, id), n);
    assert_true(gguf_write_to_file(g, path, false));
    free(strs);
    gguf_free(g);
    gguf_free(v);
}

static void test_vocab_padding(void **state)
{
    char vdir[512], vfile[600], out[512];
    lle_synth_opts o = {0};
    lle_model_info m;
    lle_error err = {0};

    (void)state;
    assert_int_equal(mkdir(tmp_path("vocab", vdir, sizeof vdir), 0755), 0);
    snprintf(vfile, sizeof vfile, "%s/ggml-vocab-llama-spm.gguf", vdir);
    write_short_vocab(vfile);
    o.preset = "tiny";
    o.type = "q8_0";
    o.vocab_dir = vdir;
    o.out_path = tmp_path("padded.gguf", out, sizeof out);
    assert_int_equal(lle_model_synth(&o, &err), LLE_OK);
    assert_int_equal(lle_model_inspect(out, &m, &err), LLE_OK);
    assert_int_equal(m.n_vocab, 32000);
    assert_int_equal(m.n_params, lle_preset_param_count(lle_preset_find("tiny")));
}

/* ---- the file is a working model ----------------------------------------- */

static void decode_model(const char *path)
{
    struct llama_model_params mp = llama_model_default_params();
    struct llama_context_params cp = llama_context_default_params();
    struct llama_model *model;
    struct llama_context *ctx;
    const struct llama_vocab *vocab;
    llama_token toks[64], next;
    const float *logits;
    int n;

    mp.n_gpu_layers = 0;
    model = llama_model_load_from_file(path, mp);
    assert_non_null(model);
    cp.n_ctx = 128;
    cp.n_batch = 64;
    cp.n_threads = cp.n_threads_batch = 2;
    ctx = llama_init_from_model(model, cp);
    assert_non_null(ctx);
    vocab = llama_model_get_vocab(model);
    assert_int_equal(llama_vocab_n_tokens(vocab), 32000);
    n = llama_tokenize(vocab, "The quick brown fox jumps", 25, toks, 64, true, false);
    assert_true(n > 3);
    assert_int_equal(llama_decode(ctx, llama_batch_get_one(toks, n)), 0);
    logits = llama_get_logits_ith(ctx, -1);
    assert_non_null(logits);
    for (int i = 0; i < 32000; i++)
        assert_true(isfinite(logits[i]));
    next = toks[n - 1];
    for (int i = 0; i < 3; i++)
        assert_int_equal(llama_decode(ctx, llama_batch_get_one(&next, 1)), 0);
    llama_free(ctx);
    llama_model_free(model);
}

static void test_decode(void **state)
{
    char buf[512], out[512];
    lle_error err = {0};

    (void)state;
    /* synthesis first: it also loads the ggml CPU backends llama.cpp needs */
    assert_int_equal(synth_tiny("q4_k_m", 5, tmp_path("d.gguf", out, sizeof out), &err), LLE_OK);
    decode_model(out);
    if (fixture("tiny-f16.gguf", buf, sizeof buf) != NULL)
        decode_model(buf);
    if (fixture("tiny-q4_0.gguf", buf, sizeof buf) != NULL)
        decode_model(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_counts_published),
        cmocka_unit_test(test_preset_lookup),
        cmocka_unit_test(test_type_parse),
        cmocka_unit_test(test_presets_json),
        cmocka_unit_test(test_tensor_specs),
        cmocka_unit_test(test_default_vocab_dir),
        cmocka_unit_test(test_meta_matches_formula),
        cmocka_unit_test_setup_teardown(test_synth_inspect_f16, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_inspect_fixtures),
        cmocka_unit_test(test_info_json),
        cmocka_unit_test_setup_teardown(test_same_seed_same_bytes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_synth_errors, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_synth_unwritable_dir, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_inspect_errors, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_vocab_padding, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_decode, setup_tmp, teardown_tmp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
