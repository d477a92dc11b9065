/* cache.c — the architecture fingerprint and the on-disk cache of fits.
 *
 * The fingerprint hashes (64-bit FNV-1a) a canonical text of everything that
 * shapes the graph: the fit format version, the llama.cpp release, the
 * architecture and its hyperparameters, the name and shape of every tensor
 * (sorted; never the tensor types, never the file name), and the settings
 * (flash attention, KV cache type, offload). F16, Q8_0 and Q4_K_M files of one
 * architecture therefore share one fit. Files: <dir>/<fingerprint>.json,
 * written atomically; dir = settings.cache_dir, else $LLE_CACHE_DIR/flops,
 * else $XDG_CACHE_HOME/llm-efficiency/flops, else ~/.cache/llm-efficiency/flops. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/util.h"
#include "flops/flops_internal.h"
#include "gguf.h"
#include "lle/version.h"

#define CACHE_MAX_BYTES (1 << 20)

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001B3ULL;
    return h;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* <arch>.attention.sliding_window > 0: the graph has a second, windowed KV
 * span the fit does not model. */
static bool has_sliding_window(const struct gguf_context *g, const char *arch)
{
    char key[160];
    int64_t id;

    snprintf(key, sizeof key, "%s.attention.sliding_window", arch);
    id = gguf_find_key(g, key);
    if (id < 0)
        return false;
    switch (gguf_get_kv_type(g, id)) {
    case GGUF_TYPE_UINT32:
        return gguf_get_val_u32(g, id) > 0;
    case GGUF_TYPE_INT32:
        return gguf_get_val_i32(g, id) > 0;
    default:
        return true;
    }
}

/* Hash of the sorted "name[ne0,ne1,ne2,ne3]" lines of every tensor. */
static lle_status tensors_hash(const char *path, const char *arch, uint64_t *hash, int64_t *count, lle_error *err)
{
    struct ggml_context *gctx = NULL;
    struct gguf_init_params gp = {.no_alloc = true, .ctx = &gctx};
    struct gguf_context *g = gguf_init_from_file(path, gp);
    char **lines = NULL;
    int64_t n = 0;
    lle_status st = LLE_OK;

    if (g == NULL)
        return lle_fail(err, LLE_ERR_FORMAT, "%s: not a GGUF file or truncated", path);
    if (has_sliding_window(g, arch)) {
        st = lle_fail(err, LLE_ERR_UNSUPPORTED,
                      "%s: sliding-window attention (%s.attention.sliding_window): "
                      "executed FLOPs are not supported for it yet",
                      path, arch);
        goto cleanup;
    }
    n = gguf_get_n_tensors(g);
    lines = calloc((size_t)(n > 0 ? n : 1), sizeof *lines);
    if (lines == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int64_t i = 0; i < n; i++) {
        const struct ggml_tensor *t = ggml_get_tensor(gctx, gguf_get_tensor_name(g, i));
        char buf[256];
        if (t == NULL) {
            st = lle_fail(err, LLE_ERR_FORMAT, "%s: tensor %" PRId64 " has no shape", path, i);
            goto cleanup;
        }
        snprintf(buf, sizeof buf, "%s[%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "]", t->name, t->ne[0], t->ne[1],
                 t->ne[2], t->ne[3]);
        lines[i] = strdup(buf);
        if (lines[i] == NULL) {
            st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
    }
    qsort(lines, (size_t)n, sizeof *lines, cmp_str);
    *hash = 0xCBF29CE484222325ULL;
    for (int64_t i = 0; i < n; i++)
        *hash = fnv1a(fnv1a(*hash, lines[i]), "\n");
    *count = n;
cleanup:
    for (int64_t i = 0; lines != NULL && i < n; i++)
        free(lines[i]);
    free(lines);
    if (gctx != NULL)
        ggml_free(gctx);
    gguf_free(g);
    return st;
}

lle_status lle_flops_fingerprint(const char *model_path, const lle_model_info *m, const lle_flops_settings *s,
                                 char fp[17], char *key, size_t key_size, lle_error *err)
{
    char text[1024];
    uint64_t th = 0;
    int64_t nt = 0;
    lle_status st = tensors_hash(model_path, m->arch, &th, &nt, err);

    if (st != LLE_OK)
        return st;
    snprintf(text, sizeof text,
             "lle-flops/%d;llama=%s;arch=%s;n_layer=%u;n_embd=%u;n_head=%u;n_head_kv=%u;head_dim_k=%u;"
             "head_dim_v=%u;n_ff=%u;n_vocab=%u;n_expert=%u;n_expert_used=%u;n_rot=%u;flash_attn=%d;kv_type=%s;"
             "offload=%d;tensors=%" PRId64 ":%016" PRIx64,
             LLE_FLOPS_FIT_VERSION, lle_llama_release(), m->arch, m->n_layer, m->n_embd, m->n_head, m->n_head_kv,
             m->head_dim_k, m->head_dim_v, m->n_ff, m->n_vocab, m->n_expert, m->n_expert_used, m->n_rot, s->flash_attn,
             s->kv_type != NULL ? s->kv_type : "f16", s->n_gpu_layers != 0, nt, th);
    snprintf(fp, 17, "%016" PRIx64, fnv1a(0xCBF29CE484222325ULL, text));
    if (key != NULL)
        lle_strlcpy(key, text, key_size);
    return LLE_OK;
}

lle_status lle_flops_cache_path(const lle_flops_settings *s, const char *fp, char *out, size_t size, lle_error *err)
{
    const char *env = getenv("LLE_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;

    if (s->cache_dir != NULL && s->cache_dir[0] != '\0')
        n = snprintf(out, size, "%s/%s.json", s->cache_dir, fp);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(out, size, "%s/flops/%s.json", env, fp);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, size, "%s/llm-efficiency/flops/%s.json", xdg, fp);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, size, "%s/.cache/llm-efficiency/flops/%s.json", home, fp);
    else
        return lle_fail(err, LLE_ERR_INVALID, "no FLOPs cache directory: set LLE_CACHE_DIR or HOME");
    if (n < 0 || (size_t)n >= size)
        return lle_fail(err, LLE_ERR_INVALID, "FLOPs cache path too long");
    return LLE_OK;
}

static lle_status read_small(const char *path, char **out, lle_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    lle_status st = LLE_OK;

    *out = NULL;
    if (f == NULL)
        return errno == ENOENT ? lle_fail(err, LLE_ERR_NOT_FOUND, "%s: no such file", path)
                               : lle_fail(err, LLE_ERR_IO, "%s: %s", path, strerror(errno));
    buf = malloc(CACHE_MAX_BYTES + 1);
    if (buf == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    } else if ((n = fread(buf, 1, CACHE_MAX_BYTES + 1, f)) > CACHE_MAX_BYTES || ferror(f)) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: unreadable or larger than %d bytes", path, CACHE_MAX_BYTES);
        free(buf);
    } else {
        buf[n] = '\0';
        *out = buf;
    }
    fclose(f);
    return st;
}

/* An integer-valued number field (exact in a double), else false. */
static bool get_int(const cJSON *o, const char *name, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 9007199254740992.0)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

static bool get_str(const cJSON *o, const char *name, char *out, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return false;
    lle_strlcpy(out, v->valuestring, size);
    return true;
}

/* Fields of the fit; returns the name of the first bad field, NULL when all good. */
static const char *parse_fit(const cJSON *root, lle_flops_fit *fit)
{
    const cJSON *coef = cJSON_GetObjectItemCaseSensitive(root, "coefficients");
    const cJSON *span = cJSON_GetObjectItemCaseSensitive(root, "kv_span");
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(root, "uncounted_ops"), *op;
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(root, "flash_attn_used");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(root, "offload");
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(root, "calibration_seconds");
    char fa_req[8];
    int64_t v;

    if (!get_str(root, "arch", fit->arch, sizeof fit->arch))
        return "arch";
    if (!get_str(root, "llama_release", fit->llama_release, sizeof fit->llama_release))
        return "llama_release";
    if (!get_str(root, "kv_type", fit->kv_type, sizeof fit->kv_type))
        return "kv_type";
    if (!get_str(root, "flash_attn", fa_req, sizeof fa_req))
        return "flash_attn";
    fit->flash_attn = strcmp(fa_req, "on") == 0 ? 1 : strcmp(fa_req, "off") == 0 ? 0 : -1;
    if (!cJSON_IsBool(fa) || !cJSON_IsBool(off))
        return "flash_attn_used/offload";
    fit->flash_attn_used = cJSON_IsTrue(fa);
    fit->offload = cJSON_IsTrue(off);
    if (!cJSON_IsNumber(cs) || cs->valuedouble < 0.0)
        return "calibration_seconds";
    fit->calibration_seconds = cs->valuedouble;
    if (!get_int(span, "min", &v) || v < 1 || v > UINT32_MAX)
        return "kv_span.min";
    fit->kv_span_min = (uint32_t)v;
    if (!get_int(span, "pad", &v) || v < 1 || v > UINT32_MAX)
        return "kv_span.pad";
    fit->kv_span_pad = (uint32_t)v;
    for (int k = 0; k < LLE_FLOPS_N_PARTS; k++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(coef, lle_flops_part_name((lle_flops_part)k));
        for (int t = 0; t < LLE_FLOPS_N_TERMS; t++)
            if (!get_int(c, lle_flops_term_name(t), &fit->coef[k][t]))
                return "coefficients";
    }
    if (!get_int(root, "fit_points", &v) || v < LLE_FLOPS_N_TERMS)
        return "fit_points";
    fit->n_fit_points = (uint32_t)v;
    if (!get_int(root, "check_points", &v) || v < 1)
        return "check_points";
    fit->n_check_points = (uint32_t)v;
    if (!cJSON_IsArray(ops))
        return "uncounted_ops";
    cJSON_ArrayForEach(op, ops)
    {
        size_t len = strlen(fit->uncounted_ops);
        if (!cJSON_IsString(op))
            return "uncounted_ops";
        snprintf(fit->uncounted_ops + len, sizeof fit->uncounted_ops - len, "%s%s", len ? "," : "", op->valuestring);
    }
    return NULL;
}

lle_status lle_flops_cache_load(const char *path, const char *fp, lle_flops_fit *fit, lle_error *err)
{
    char *text = NULL;
    cJSON *root = NULL;
    const char *bad = NULL;
    int64_t version = 0;
    lle_status st = read_small(path, &text, err);

    if (st != LLE_OK)
        return st;
    memset(fit, 0, sizeof *fit);
    root = cJSON_Parse(text);
    if (!cJSON_IsObject(root))
        bad = "(not a JSON object)";
    else if (!get_int(root, "version", &version) || version != LLE_FLOPS_FIT_VERSION)
        bad = "version";
    else if (!get_str(root, "fingerprint", fit->fingerprint, sizeof fit->fingerprint) ||
             strcmp(fit->fingerprint, fp) != 0)
        bad = "fingerprint";
    else
        bad = parse_fit(root, fit);
    if (bad != NULL)
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: FLOPs cache file: bad or missing field %s", path, bad);
    fit->version = LLE_FLOPS_FIT_VERSION;
    lle_strlcpy(fit->source, "cache", sizeof fit->source);
    cJSON_Delete(root);
    free(text);
    return st;
}

static cJSON *points_json(const lle_flops_point *pts, int n_pts)
{
    cJSON *a = cJSON_CreateArray();

    for (int i = 0; a != NULL && i < n_pts; i++) {
        cJSON *p = cJSON_CreateObject();
        if (p == NULL)
            break;
        cJSON_AddStringToObject(p, "role", i < LLE_FLOPS_N_TERMS ? "fit" : "check");
        cJSON_AddNumberToObject(p, "tokens", pts[i].n_tokens);
        cJSON_AddNumberToObject(p, "outputs", pts[i].n_outputs);
        cJSON_AddNumberToObject(p, "kv_used", pts[i].n_kv_used);
        cJSON_AddNumberToObject(p, "kv_span", pts[i].kv_span);
        cJSON_AddItemToObject(p, "flops", lle_flops_parts_json(&pts[i].parts));
        cJSON_AddItemToArray(a, p);
    }
    return a;
}

lle_status lle_flops_cache_save(const char *path, const lle_flops_fit *fit, const lle_flops_point *pts, int n_pts,
                                lle_error *err)
{
    cJSON *root = lle_flops_fit_json(fit);
    char dir[4096], stamp[32], *text = NULL, *slash;
    time_t now = time(NULL);
    struct tm tm;
    lle_status st = LLE_OK;

    if (root == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    cJSON_DeleteItemFromObject(root, "source");
    cJSON_DeleteItemFromObject(root, "seconds");
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "created_at", stamp);
    cJSON_AddItemToObject(root, "points", points_json(pts, n_pts));
    text = cJSON_Print(root);
    lle_strlcpy(dir, path, sizeof dir);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir)
        *slash = '\0';
    if (text == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st == LLE_OK && slash != NULL && slash != dir)
        st = lle_mkdir_p(dir, err);
    if (st == LLE_OK)
        st = lle_write_file_atomic(path, text, strlen(text), err);
    free(text);
    cJSON_Delete(root);
    return st;
}
