/* test_flops.c — unit tests of the FLOPs module: the architecture formula
 * against hand-computed TinyLlama-1.1B figures; executed FLOPs identical for
 * F16, Q8_0 and Q4_0 files of one architecture; the calibrated fit against
 * direct graph counts at shapes it never saw (large KV spans, ubatch splits,
 * several sequences, flash attention on and off), and counting without
 * computing against counting computed decodes; executed vs model FLOPs
 * where they agree and where they legitimately differ; the fit cache (hits,
 * misses on a changed architecture or settings, corrupt files). Fixtures:
 * $LLE_TESTDATA/tiny-{f16,q8_0,q4_0}.gguf (preset "tiny", seed 1). */
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

#include "common/util.h"
#include "flops/flops_internal.h"
#include "ggml-backend.h"
#include "lle/flops.h"
#include "model/synth_internal.h"

static char g_tmp[256];

static const char *fixture(const char *type)
{
    static char buf[3][512];
    static int next;
    const char *dir = getenv("LLE_TESTDATA");
    char *p = buf[next++ % 3];

    if (dir == NULL)
        return NULL;
    snprintf(p, sizeof buf[0], "%s/tiny-%s.gguf", dir, type);
    return access(p, R_OK) == 0 ? p : NULL;
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/lle-test-flops-XXXXXX");
    return mkdtemp(g_tmp) == NULL ? -1 : 0;
}

static void clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[600];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) {
            clear_dir(p);
            rmdir(p);
        }
    }
    if (d != NULL)
        closedir(d);
}

static int teardown(void **state)
{
    (void)state;
    clear_dir(g_tmp);
    rmdir(g_tmp);
    return 0;
}

static lle_flops_settings no_cache(int flash_attn)
{
    lle_flops_settings s;

    lle_flops_settings_init(&s);
    s.no_cache = true;
    s.flash_attn = flash_attn;
    s.n_threads = 2;
    return s;
}

static void calibrate_ok(const char *path, const lle_flops_settings *s, lle_flops_fit *fit)
{
    lle_error err = {0};
    lle_status st = lle_flops_calibrate(path, s, fit, &err);

    if (st != LLE_OK)
        fail_msg("calibrate %s: %s", path, err.msg);
}

static lle_flops_counter *open_counter(const char *path, int flash_attn, int n_batch, int n_ubatch, int n_seq)
{
    lle_flops_counter_opts o = {0};
    lle_flops_counter *c = NULL;
    lle_error err = {0};

    o.model_path = path;
    o.flash_attn = flash_attn;
    o.type_k = o.type_v = GGML_TYPE_F16;
    o.n_threads = 2;
    o.n_ctx = 2048;
    o.n_batch = n_batch;
    o.n_ubatch = n_ubatch;
    o.n_seq_max = n_seq;
    if (lle_flops_counter_open(&o, &c, &err) != LLE_OK)
        fail_msg("counter: %s", err.msg);
    return c;
}

/* Direct count of n_tokens (n_outputs with logits) after n_fill cells. */
static lle_flops_count direct(lle_flops_counter *c, int n_fill, int n_tokens, int n_outputs)
{
    lle_flops_count k;
    lle_error err = {0};

    assert_int_equal(lle_flops_counter_fill(c, n_fill, &err), LLE_OK);
    if (lle_flops_counter_decode(c, n_tokens, n_outputs, &k, &err) != LLE_OK)
        fail_msg("decode: %s", err.msg);
    return k;
}

/* The same shape counted without computing (abort after the asks). */
static lle_flops_count counted(lle_flops_counter *c, int n_fill, int n_tokens, int n_outputs)
{
    lle_flops_count k;
    lle_error err = {0};

    assert_int_equal(lle_flops_counter_fill(c, n_fill, &err), LLE_OK);
    if (lle_flops_counter_count(c, n_tokens, n_outputs, &k, &err) != LLE_OK)
        fail_msg("count: %s", err.msg);
    return k;
}

static void assert_parts_equal(const lle_flops_parts *a, const lle_flops_parts *b)
{
    for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
        if (a->part[k] != b->part[k])
            fail_msg("%s: %llu != %llu", lle_flops_part_name((lle_flops_part)k), (unsigned long long)a->part[k],
                     (unsigned long long)b->part[k]);
    assert_int_equal(a->total, b->total);
}

/* ---- model formula ------------------------------------------------------------ */

static void test_tinyllama_formula(void **state)
{
    lle_model_info m;
    lle_flops_parts p, d;
    lle_error err = {0};

    (void)state;
    lle_flops_info_from_preset(lle_preset_find("tinyllama-1.1b"), &m);
    assert_int_equal(lle_flops_model_check(&m, &err), LLE_OK);
    /* 2·n_L·P_layer + 4·n_L·d_q·L + 2·d·V, P_layer = 2·d·d_q + 2·d·d_kv + 3·d·d_ff = 44,040,192 */
    lle_flops_model_decode(&m, 1, &d);
    assert_int_equal(d.total, 2069020672ULL);
    lle_flops_model_decode(&m, 512, &d);
    assert_int_equal(d.total, 2161115136ULL);
    lle_flops_model_decode(&m, 2048, &d);
    assert_int_equal(d.total, 2437939200ULL);
    assert_int_equal(d.part[LLE_FLOPS_ATTN_SCORES], 4ULL * 22 * 2048 * 2048);
    assert_int_equal(d.part[LLE_FLOPS_LM_HEAD], 2ULL * 2048 * 32000);
    assert_int_equal(d.part[LLE_FLOPS_FFN], 2ULL * 22 * 3 * 2048 * 5632);
    assert_int_equal(d.part[LLE_FLOPS_OTHER], 0);
    /* 2·n_L·P_layer·P + 2·n_L·d_q·P·(P+1) + 2·d·V */
    lle_flops_model_prefill(&m, 128, &p);
    assert_int_equal(p.total, 249653362688ULL);
    lle_flops_model_prefill(&m, 2048, &p);
    assert_int_equal(p.total, 4346822524928ULL);
    lle_flops_model_prefill(&m, 0, &p);
    assert_int_equal(p.total, 0);
    /* a request: prefill 128, then 63 decode steps at L = 129 .. 191 */
    lle_flops_model_request(&m, 128, 64, &p, &d);
    assert_int_equal(p.total, 249653362688ULL);
    assert_int_equal(d.total, 132153606144ULL);
    lle_flops_model_request(&m, 128, 1, &p, &d);
    assert_int_equal(d.total, 0);
}

static void test_formula_gqa_moe_and_checks(void **state)
{
    lle_model_info m;
    lle_flops_parts d;
    lle_error err = {0};

    (void)state;
    lle_flops_info_from_preset(lle_preset_find("llama-3.2-1b"), &m);
    lle_flops_model_decode(&m, 10, &d);
    /* GQA: K and V projections are n_head_kv/n_head of Q's; tied head costs as untied */
    assert_int_equal(d.part[LLE_FLOPS_ATTN_PROJ], 2ULL * 16 * (2 * 2048 * 2048 + 2 * 2048 * 512));
    assert_int_equal(d.part[LLE_FLOPS_LM_HEAD], 2ULL * 2048 * 128256);
    m.n_expert = 8;
    m.n_expert_used = 2;
    lle_flops_model_decode(&m, 10, &d);
    assert_int_equal(d.part[LLE_FLOPS_FFN], 2ULL * 16 * (2048 * 8 + 2 * 3 * 2048 * 8192));
    m.n_expert_used = 9;
    assert_int_equal(lle_flops_model_check(&m, &err), LLE_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "expert_used_count"));
    m.n_expert_used = 2;
    m.n_ff = 0;
    assert_int_equal(lle_flops_model_check(&m, &err), LLE_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "feed_forward_length"));
    assert_string_equal(lle_flops_part_name(LLE_FLOPS_ATTN_SCORES), "attention_scores");
    assert_null(lle_flops_part_name(LLE_FLOPS_N_PARTS));
}

/* ---- executed FLOPs ------------------------------------------------------------ */

static void test_weight_types_identical(void **state)
{
    const char *types[] = {"f16", "q8_0", "q4_0"};
    lle_flops_settings s = no_cache(-1);
    lle_flops_fit fit[3];
    lle_flops_workload w = {.n_seqs = 3, .n_prompt = 40, .n_gen = 20};
    lle_flops_parts pre[3], dec[3];
    lle_error err = {0};

    (void)state;
    for (int i = 0; i < 3; i++) {
        const char *path = fixture(types[i]);
        if (path == NULL)
            skip();
        calibrate_ok(path, &s, &fit[i]);
        assert_string_equal(fit[i].source, "calibrated");
        assert_string_equal(fit[i].uncounted_ops, "");
        assert_true(fit[i].n_check_points >= 2);
        assert_int_equal(lle_flops_fit_workload(&fit[i], &w, &pre[i], &dec[i], &err), LLE_OK);
        assert_true(dec[i].total > 0);
    }
    for (int i = 1; i < 3; i++) {
        assert_string_equal(fit[i].fingerprint, fit[0].fingerprint);
        assert_memory_equal(fit[i].coef, fit[0].coef, sizeof fit[0].coef);
        assert_parts_equal(&pre[i], &pre[0]);
        assert_parts_equal(&dec[i], &dec[0]);
    }
}

/* The fit from seven small calibration decodes predicts direct counts of
 * shapes far from them: long prompts, large spans, crossing span steps. */
static void fit_vs_direct(int flash_attn)
{
    static const int shapes[][3] = {{0, 37, 5}, {300, 1, 1}, {700, 64, 64}, {255, 200, 1}, {1000, 3, 2}, {0, 512, 0}};
    const char *path = fixture("q8_0");
    lle_flops_settings s = no_cache(flash_attn);
    lle_flops_fit fit;
    lle_flops_counter *c;

    if (path == NULL)
        skip();
    calibrate_ok(path, &s, &fit);
    assert_int_equal(fit.flash_attn_used, flash_attn == 1);
    c = open_counter(path, flash_attn, 512, 512, 1);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int *sh = shapes[i];
        lle_flops_count k = direct(c, sh[0], sh[1], sh[2]);
        lle_flops_parts want;
        lle_flops_fit_eval(&fit, (uint32_t)sh[1], (uint32_t)sh[2], (uint32_t)(sh[0] + sh[1]),
                           lle_flops_counter_n_ctx(c), &want);
        lle_flops_count q = counted(c, sh[0], sh[1], sh[2]);
        assert_int_equal(k.kv_span, lle_flops_kv_span(&fit, (uint32_t)(sh[0] + sh[1]), lle_flops_counter_n_ctx(c)));
        assert_parts_equal(&k.parts, &want);
        assert_parts_equal(&q.parts, &k.parts); /* counting without computing sees the whole graph */
        assert_int_equal(q.n_nodes, k.n_nodes);
    }
    lle_flops_counter_close(c);
}

static void test_fit_predicts_direct_count(void **state)
{
    (void)state;
    fit_vs_direct(0);
    fit_vs_direct(1);
}

/* One llama_decode of 150 tokens split into ubatches of 64, outputs at chosen
 * rows: lle_flops_fit_decode() must equal the direct count of the whole call. */
static void test_ubatch_split(void **state)
{
    const char *path = fixture("f16");
    lle_flops_settings s = no_cache(0);
    lle_flops_fit fit;
    lle_flops_counter *c;
    lle_flops_count k;
    lle_flops_parts want = {0};
    int8_t flags[150] = {0};
    lle_error err = {0};

    (void)state;
    if (path == NULL)
        skip();
    calibrate_ok(path, &s, &fit);
    c = open_counter(path, 0, 512, 64, 1);
    flags[10] = flags[63] = flags[64] = flags[149] = 1;
    assert_int_equal(lle_flops_counter_fill(c, 200, &err), LLE_OK);
    {
        struct llama_batch b = llama_batch_init(150, 0, 1);
        b.n_tokens = 150;
        for (int i = 0; i < 150; i++) {
            b.token[i] = 100 + i;
            b.pos[i] = 200 + i;
            b.n_seq_id[i] = 1;
            b.seq_id[i][0] = 0;
            b.logits[i] = flags[i];
        }
        assert_int_equal(lle_flops_counter_decode_batch(c, b, &k, &err), LLE_OK);
        llama_batch_free(b);
    }
    lle_flops_fit_decode(&fit, 150, flags, 350, 64, (int)lle_flops_counter_n_ctx(c), &want);
    assert_parts_equal(&k.parts, &want);
    lle_flops_counter_close(c);
}

static void add_tok(struct llama_batch *b, int32_t tok, int pos, int seq, bool logits)
{
    int i = b->n_tokens++;

    b->token[i] = tok;
    b->pos[i] = pos;
    b->n_seq_id[i] = 1;
    b->seq_id[i][0] = seq;
    b->logits[i] = logits;
}

/* Three sequences in one unified KV cache, as the runner decodes a batch:
 * one prefill call holding all prompts, then steps of one token each. */
static void test_multi_sequence(void **state)
{
    const int plen[3] = {5, 9, 3};
    const char *path = fixture("f16");
    lle_flops_settings s = no_cache(-1);
    lle_flops_fit fit;
    lle_flops_counter *c;
    struct llama_batch b = llama_batch_init(64, 0, 1);
    int used = 0;
    lle_error err = {0};

    (void)state;
    if (path == NULL)
        skip();
    calibrate_ok(path, &s, &fit);
    c = open_counter(path, -1, 64, 64, 4);
    assert_int_equal(lle_flops_counter_fill(c, 0, &err), LLE_OK);
    for (int step = 0; step < 4; step++) {
        lle_flops_count k;
        lle_flops_parts want = {0};
        b.n_tokens = 0;
        for (int q = 0; q < 3; q++) {
            if (step == 0)
                for (int t = 0; t < plen[q]; t++)
                    add_tok(&b, 10 + t, t, q, t == plen[q] - 1);
            else
                add_tok(&b, 20 + step, plen[q] + step - 1, q, true);
        }
        used += b.n_tokens;
        assert_int_equal(lle_flops_counter_decode_batch(c, b, &k, &err), LLE_OK);
        lle_flops_fit_decode(&fit, b.n_tokens, b.logits, used, 64, (int)lle_flops_counter_n_ctx(c), &want);
        assert_parts_equal(&k.parts, &want);
    }
    llama_batch_free(b);
    lle_flops_counter_close(c);
}

/* Decode: executed equals the formula in every matmul component when the KV
 * span equals the context length; otherwise the attention product covers the
 * padded span — exactly span/L times the formula. Prefill: the graph computes
 * the full n × span score matrix (not the causal triangle) and skips the last
 * layer's FFN for rows without logits. */
static void test_executed_vs_model(void **state)
{
    const char *path = fixture("f16");
    lle_flops_settings s = no_cache(0);
    lle_flops_fit fit;
    lle_model_info m;
    lle_flops_parts e, f;
    lle_error err = {0};
    uint64_t d, ff, per_pos;

    (void)state;
    if (path == NULL)
        skip();
    calibrate_ok(path, &s, &fit);
    assert_int_equal(lle_model_inspect(path, &m, &err), LLE_OK);
    d = m.n_embd;
    ff = m.n_ff;
    per_pos = 2ULL * m.n_layer * m.n_head * (m.head_dim_k + m.head_dim_v);
    /* decode at L = 256 = the KV span */
    lle_flops_fit_eval(&fit, 1, 1, 256, 0, &e);
    lle_flops_model_decode(&m, 256, &f);
    for (int k = 0; k < LLE_FLOPS_OTHER; k++)
        assert_int_equal(e.part[k], f.part[k]);
    assert_true(e.total >= f.total);
    assert_true((double)(e.total - f.total) < 0.01 * (double)f.total);
    /* decode at L = 100: span 256 */
    lle_flops_fit_eval(&fit, 1, 1, 100, 0, &e);
    lle_flops_model_decode(&m, 100, &f);
    assert_int_equal(e.part[LLE_FLOPS_ATTN_SCORES], per_pos * 256);
    assert_int_equal(f.part[LLE_FLOPS_ATTN_SCORES], per_pos * 100);
    assert_int_equal(e.part[LLE_FLOPS_FFN], f.part[LLE_FLOPS_FFN]);
    /* prefill of 100 tokens in one ubatch */
    lle_flops_fit_eval(&fit, 100, 1, 100, 0, &e);
    lle_flops_model_prefill(&m, 100, &f);
    assert_int_equal(e.part[LLE_FLOPS_ATTN_PROJ], f.part[LLE_FLOPS_ATTN_PROJ]);
    assert_int_equal(e.part[LLE_FLOPS_LM_HEAD], f.part[LLE_FLOPS_LM_HEAD]);
    assert_int_equal(e.part[LLE_FLOPS_ATTN_SCORES], per_pos * 100 * 256);
    assert_int_equal(f.part[LLE_FLOPS_ATTN_SCORES], per_pos / 2 * 100 * 101);
    assert_int_equal(e.part[LLE_FLOPS_FFN], f.part[LLE_FLOPS_FFN] - 99ULL * 2 * 3 * d * ff);
}

/* ---- cache ---------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[65536];
    size_t n;

    assert_non_null(a);
    assert_non_null(b);
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

static void zero_tensor(struct ggml_tensor *t, void *user)
{
    (void)user;
    ggml_backend_tensor_memset(t, 0, 0, ggml_nbytes(t));
}

/* The "tiny" preset with a narrower FFN: a changed architecture. */
static void write_variant(const char *out)
{
    static ggml_backend_dev_t no_devices[1] = {NULL};
    lle_preset p = *lle_preset_find("tiny");
    struct llama_model_params mp = llama_model_default_params();
    struct gguf_context *meta = NULL;
    struct llama_model *model;
    char vocab[4200];
    lle_error err = {0};

    p.n_ff = 384;
    snprintf(vocab, sizeof vocab, "%s/ggml-vocab-%s.gguf", lle_default_vocab_dir(), p.vocab);
    assert_int_equal(lle_runtime_init(&err), LLE_OK);
    if (lle_synth_build_meta(&p, vocab, GGML_TYPE_F16, &meta, &err) != LLE_OK)
        fail_msg("variant: %s", err.msg);
    mp.devices = no_devices;
    model = llama_model_init_from_user(meta, zero_tensor, NULL, mp);
    assert_non_null(model);
    llama_model_save_to_file(model, out);
    llama_model_free(model);
    gguf_free(meta);
}

static void test_cache(void **state)
{
    const char *f16 = fixture("f16"), *q8 = fixture("q8_0");
    lle_flops_settings s;
    lle_flops_fit a, b;
    char dir[300], copy[300], variant[300], cached[600];
    struct stat sb;

    (void)state;
    if (f16 == NULL || q8 == NULL)
        skip();
    snprintf(dir, sizeof dir, "%s/fits", g_tmp);
    lle_flops_settings_init(&s);
    s.cache_dir = dir;
    s.n_threads = 2;
    calibrate_ok(f16, &s, &a);
    assert_string_equal(a.source, "calibrated");
    snprintf(cached, sizeof cached, "%s/%s.json", dir, a.fingerprint);
    assert_int_equal(stat(cached, &sb), 0);
    calibrate_ok(f16, &s, &b); /* hit */
    assert_string_equal(b.source, "cache");
    assert_memory_equal(b.coef, a.coef, sizeof a.coef);
    assert_int_equal(b.kv_span_min, a.kv_span_min);
    assert_int_equal(b.kv_span_pad, a.kv_span_pad);
    /* the original calibration's time (cJSON prints 15 significant digits when they round-trip closely) */
    assert_true(fabs(b.calibration_seconds - a.calibration_seconds) <= 1e-9 * a.calibration_seconds);
    calibrate_ok(q8, &s, &b); /* another weight type: same architecture, hit */
    assert_string_equal(b.source, "cache");
    snprintf(copy, sizeof copy, "%s/renamed.gguf", g_tmp);
    copy_file(f16, copy);
    calibrate_ok(copy, &s, &b); /* another file name: hit */
    assert_string_equal(b.source, "cache");
    s.flash_attn = 0;
    calibrate_ok(f16, &s, &b); /* another graph setting: miss */
    assert_string_equal(b.source, "calibrated");
    assert_string_not_equal(b.fingerprint, a.fingerprint);
    s.flash_attn = -1;
    snprintf(variant, sizeof variant, "%s/variant.gguf", g_tmp);
    write_variant(variant);
    calibrate_ok(variant, &s, &b); /* changed architecture: miss, other coefficients */
    assert_string_equal(b.source, "calibrated");
    assert_string_not_equal(b.fingerprint, a.fingerprint);
    assert_true(b.coef[LLE_FLOPS_FFN][LLE_FLOPS_TERM_TOKENS] != a.coef[LLE_FLOPS_FFN][LLE_FLOPS_TERM_TOKENS]);
    write_text(cached, "{\"version\": 1, \"fingerprint\": \"broken\"");
    calibrate_ok(f16, &s, &b); /* corrupt file: recalibrated and replaced */
    assert_string_equal(b.source, "calibrated");
    calibrate_ok(f16, &s, &b);
    assert_string_equal(b.source, "cache");
    assert_memory_equal(b.coef, a.coef, sizeof a.coef);
}

static void test_fingerprint(void **state)
{
    const char *f16 = fixture("f16"), *q4 = fixture("q4_0");
    lle_model_info m;
    lle_flops_settings s;
    char a[17], b[17], key[1024];
    lle_error err = {0};

    (void)state;
    if (f16 == NULL || q4 == NULL)
        skip();
    lle_flops_settings_init(&s);
    assert_int_equal(lle_model_inspect(f16, &m, &err), LLE_OK);
    assert_int_equal(lle_flops_fingerprint(f16, &m, &s, a, key, sizeof key, &err), LLE_OK);
    assert_non_null(strstr(key, "n_head_kv=2"));
    assert_null(strstr(key, "f16.gguf"));
    assert_int_equal(lle_model_inspect(q4, &m, &err), LLE_OK);
    assert_int_equal(lle_flops_fingerprint(q4, &m, &s, b, NULL, 0, &err), LLE_OK);
    assert_string_equal(a, b);
    s.kv_type = "q8_0";
    assert_int_equal(lle_flops_fingerprint(q4, &m, &s, b, NULL, 0, &err), LLE_OK);
    assert_string_not_equal(a, b);
    s.kv_type = "f16";
    m.n_head_kv = 4;
    assert_int_equal(lle_flops_fingerprint(q4, &m, &s, b, NULL, 0, &err), LLE_OK);
    assert_string_not_equal(a, b);
}

/* ---- workload, errors, JSON ------------------------------------------------------ */

static void test_workload_and_errors(void **state)
{
    const char *f16 = fixture("f16");
    lle_flops_settings s = no_cache(-1);
    lle_flops_fit fit;
    lle_flops_workload w = {.n_seqs = 2, .n_prompt = 5, .n_gen = 3};
    lle_flops_parts pre, dec, one, want_pre = {0}, want_dec = {0};
    lle_error err = {0};
    char path[300];

    (void)state;
    if (f16 == NULL)
        skip();
    calibrate_ok(f16, &s, &fit);
    assert_int_equal(lle_flops_fit_workload(&fit, &w, &pre, &dec, &err), LLE_OK);
    lle_flops_fit_eval(&fit, 10, 2, 10, 0, &one); /* one chunk: both prompts */
    lle_flops_parts_add(&want_pre, &one);
    lle_flops_fit_eval(&fit, 2, 2, 12, 0, &one); /* two decode steps */
    lle_flops_parts_add(&want_dec, &one);
    lle_flops_fit_eval(&fit, 2, 2, 14, 0, &one);
    lle_flops_parts_add(&want_dec, &one);
    assert_parts_equal(&pre, &want_pre);
    assert_parts_equal(&dec, &want_dec);
    w.n_gen = 0;
    assert_int_equal(lle_flops_fit_workload(&fit, &w, &pre, &dec, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "generated 0"));
    snprintf(path, sizeof path, "%s/missing.gguf", g_tmp);
    assert_int_equal(lle_flops_calibrate(path, &s, &fit, &err), LLE_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "missing.gguf"));
    snprintf(path, sizeof path, "%s/text.gguf", g_tmp);
    write_text(path, "not a model\n");
    assert_int_equal(lle_flops_calibrate(path, &s, &fit, &err), LLE_ERR_FORMAT);
    s.kv_type = "q9_9";
    assert_int_equal(lle_flops_calibrate(f16, &s, &fit, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "q9_9"));
}

static void test_summary_json(void **state)
{
    lle_flops_summary s;
    lle_model_info m;
    char *text;
    cJSON *o;

    (void)state;
    memset(&s, 0, sizeof s);
    lle_flops_info_from_preset(lle_preset_find("tiny"), &m);
    lle_flops_model_request(&m, 10, 5, &s.model_prefill, &s.model_decode);
    s.has_model = true;
    s.n_output_tokens = 5;
    s.prefill_s = 0.5;
    s.decode_s = 1.5;
    text = lle_flops_summary_to_json(&s);
    assert_non_null(text);
    o = cJSON_Parse(text);
    assert_non_null(o);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "model"), "total")->valuedouble ==
                (double)(s.model_prefill.total + s.model_decode.total));
    assert_null(cJSON_GetObjectItem(o, "executed")); /* absent, never estimated */
    assert_null(cJSON_GetObjectItem(o, "per_joule"));
    assert_null(cJSON_GetObjectItem(o, "calibration"));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "per_output_token"), "model"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "per_output_token"), "executed"));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "achieved_flops_per_s"), "decode"));
    cJSON_Delete(o);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tinyllama_formula),
        cmocka_unit_test(test_formula_gqa_moe_and_checks),
        cmocka_unit_test(test_weight_types_identical),
        cmocka_unit_test(test_fit_predicts_direct_count),
        cmocka_unit_test(test_ubatch_split),
        cmocka_unit_test(test_multi_sequence),
        cmocka_unit_test(test_executed_vs_model),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_workload_and_errors),
        cmocka_unit_test(test_summary_json),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
