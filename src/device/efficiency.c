/* efficiency.c — the bytes one decode step moves, for MBU (docs/devices.md,
 * "Bytes per decode step"): weights read (token_embd rows not looked up are
 * not read unless the embeddings double as the output matrix), KV cells read
 * and written at their storage sizes. lle_model_traffic_init reads the
 * token_embd tensor's shape from the GGUF; the rest is pure arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "device/device_internal.h"
#include "ggml.h"
#include "gguf.h"

/* ---- bytes ---- */

static lle_status row_bytes(const char *type, uint64_t n, uint64_t *out, lle_error *err)
{
    int t = lle_ggml_type_from_name(type);

    if (t < 0)
        return lle_fail(err, LLE_ERR_INVALID, "kv type: unknown ggml type '%s'", type);
    if (n % (uint64_t)ggml_blck_size((enum ggml_type)t) != 0)
        return lle_fail(err, LLE_ERR_INVALID, "kv type %s: rows of %llu values are not whole %lld-value blocks", type,
                        (unsigned long long)n, (long long)ggml_blck_size((enum ggml_type)t));
    *out = (uint64_t)ggml_row_size((enum ggml_type)t, (int64_t)n);
    return LLE_OK;
}

static lle_status kv_cell(const lle_model_info *m, const char *type_k, const char *type_v, uint64_t *out,
                          lle_error *err)
{
    uint64_t k = 0, v = 0;
    lle_status st = row_bytes(type_k != NULL ? type_k : "f16", (uint64_t)m->n_head_kv * m->head_dim_k, &k, err);

    if (st == LLE_OK)
        st = row_bytes(type_v != NULL ? type_v : "f16", (uint64_t)m->n_head_kv * m->head_dim_v, &v, err);
    *out = st == LLE_OK ? (uint64_t)m->n_layer * (k + v) : 0;
    return st;
}

uint64_t lle_kv_cell_bytes(const lle_model_info *m, const char *type_k, const char *type_v, lle_error *err)
{
    uint64_t out = 0;

    kv_cell(m, type_k, type_v, &out, err);
    return out;
}

/* token_embd.weight's total and per-row bytes from the GGUF's metadata. */
static lle_status read_token_embd(const char *path, uint64_t *bytes, uint64_t *row, lle_error *err)
{
    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = NULL;
    FILE *f = fopen(path, "rbe");
    int64_t id;

    *bytes = *row = 0;
    if (f == NULL)
        return lle_fail(err, LLE_ERR_NOT_FOUND, "%s: cannot open the model", path);
    fclose(f);
    g = gguf_init_from_file(path, gp);
    if (g == NULL)
        return lle_fail(err, LLE_ERR_FORMAT, "%s: not a readable GGUF file", path);
    id = gguf_find_tensor(g, "token_embd.weight");
    if (id >= 0) {
        enum ggml_type t = gguf_get_tensor_type(g, id);
        *bytes = (uint64_t)gguf_get_tensor_size(g, id);
        *row = (uint64_t)ggml_row_size(t, gguf_get_tensor_ne(g, id)[0]);
    }
    gguf_free(g);
    return LLE_OK;
}

lle_status lle_model_traffic_init(const lle_model_info *m, const char *type_k, const char *type_v,
                                  lle_model_traffic *out, lle_error *err)
{
    lle_status st;

    memset(out, 0, sizeof *out);
    out->tensor_bytes = m->tensor_bytes;
    out->embd_is_output = m->tied_embeddings;
    out->n_expert = m->n_expert;
    st = kv_cell(m, type_k, type_v, &out->kv_cell_bytes, err);
    if (st == LLE_OK)
        st = read_token_embd(m->path, &out->token_embd_bytes, &out->token_embd_row_bytes, err);
    if (st != LLE_OK)
        memset(out, 0, sizeof *out);
    return st;
}

lle_step_bytes lle_decode_step_bytes(const lle_model_traffic *t, int n_tokens, int n_kv_used)
{
    lle_step_bytes b = {0, 0, 0, 0};
    uint64_t n = n_tokens > 0 ? (uint64_t)n_tokens : 0;
    uint64_t kv = n_kv_used > 0 ? (uint64_t)n_kv_used : 0;

    b.weights = t->tensor_bytes;
    if (!t->embd_is_output && t->token_embd_row_bytes > 0 && t->token_embd_bytes <= t->tensor_bytes) {
        uint64_t rows = t->token_embd_bytes / t->token_embd_row_bytes;
        b.weights -= t->token_embd_bytes;
        b.weights += (n < rows ? n : rows) * t->token_embd_row_bytes;
    }
    b.kv_read = kv * t->kv_cell_bytes;
    b.kv_written = n * t->kv_cell_bytes;
    b.total = b.weights + b.kv_read + b.kv_written;
    return b;
}
