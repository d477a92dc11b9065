/* part.c — one rank's outcome as JSON for the gather to rank 0: its status
 * and error, the GPU it used, whether it measured its node's energy, and its
 * raw records (every request with its inter-token gaps and output token ids,
 * every batch) plus what rank 0 needs to merge (FLOPs parts as decimal
 * strings, since they exceed 2^53; peaks; the energy section verbatim).
 * Doubles are written with 17 significant digits (cJSON's own printing may
 * drop the last bit), so they survive the trip exactly; a non-finite value
 * travels as null and comes back as NaN. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mpi/mpi_internal.h"

/* ---- writing ---------------------------------------------------------------------- */

static cJSON *exact(double v)
{
    char buf[40];

    if (!isfinite(v))
        return cJSON_CreateNull();
    snprintf(buf, sizeof buf, "%.17g", v);
    return cJSON_CreateRaw(buf);
}

static cJSON *exact_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a != NULL && i < n; i++)
        cJSON_AddItemToArray(a, exact(v[i]));
    return a;
}

static cJSON *request_array(const lle_request_record *q)
{
    cJSON *a = cJSON_CreateArray();
    const double nums[] = {q->index,     q->repeat,    q->batch,   q->n_input_tokens, q->n_output_tokens,
                           q->truncated, q->arrival_s, q->start_s, q->queue_delay_s,  q->ttft_s,
                           q->e2e_s,     q->prefill_s, q->decode_s};

    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        cJSON_AddItemToArray(a, exact(nums[i]));
    cJSON_AddItemToArray(a, exact_array(q->itl_s, q->n_itl));
    cJSON_AddItemToArray(a, cJSON_CreateIntArray((const int *)q->output_tokens, q->n_output_tokens));
    return a;
}

static cJSON *batch_array(const lle_batch_record *b)
{
    const double nums[] = {b->repeat,        b->index,   b->n_requests,    b->n_input_tokens, b->n_output_tokens,
                           b->idle_before_s, b->start_s, b->prefill_end_s, b->end_s};

    return exact_array(nums, sizeof nums / sizeof nums[0]);
}

static cJSON *parts_json(const lle_flops_parts *p)
{
    cJSON *a = cJSON_CreateArray();
    char num[32];

    for (int i = 0; i < LLE_FLOPS_N_PARTS; i++) {
        snprintf(num, sizeof num, "%" PRIu64, p->part[i]);
        cJSON_AddItemToArray(a, cJSON_CreateString(num));
    }
    snprintf(num, sizeof num, "%" PRIu64, p->total);
    cJSON_AddItemToArray(a, cJSON_CreateString(num));
    return a;
}

static cJSON *flops_json(const lle_run_result *r)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "has_model", r->flops.has_model);
    cJSON_AddBoolToObject(o, "has_executed", r->flops.has_executed);
    cJSON_AddItemToObject(o, "model_prefill", parts_json(&r->flops.model_prefill));
    cJSON_AddItemToObject(o, "model_decode", parts_json(&r->flops.model_decode));
    cJSON_AddItemToObject(o, "exec_prefill", parts_json(&r->flops.exec_prefill));
    cJSON_AddItemToObject(o, "exec_decode", parts_json(&r->flops.exec_decode));
    cJSON_AddStringToObject(o, "error", r->flops_error);
    return o;
}

static cJSON *peaks_json(const lle_run_result *r)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddItemToObject(o, "flops_per_s", exact(r->peaks.flops_per_s));
    cJSON_AddStringToObject(o, "flops_source", r->peaks.flops_source);
    cJSON_AddStringToObject(o, "flops_basis", r->peaks.flops_basis);
    cJSON_AddItemToObject(o, "bandwidth_bytes_per_s", exact(r->peaks.bandwidth_bytes_per_s));
    cJSON_AddStringToObject(o, "bandwidth_source", r->peaks.bandwidth_source);
    cJSON_AddStringToObject(o, "bandwidth_basis", r->peaks.bandwidth_basis);
    cJSON_AddBoolToObject(o, "mbu_known", r->mbu.known);
    cJSON_AddStringToObject(o, "mbu_why", r->mbu.why);
    return o;
}

static cJSON *result_json(const lle_run_result *r)
{
    cJSON *o = cJSON_CreateObject(), *reqs, *bats;

    cJSON_AddStringToObject(o, "status", r->status);
    cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddItemToObject(o, "wall_s", exact(r->wall_s));
    cJSON_AddNumberToObject(o, "n_threads", r->n_threads);
    cJSON_AddNumberToObject(o, "n_ctx", r->n_ctx);
    cJSON_AddNumberToObject(o, "prompts_truncated", r->prompts_truncated);
    cJSON_AddNumberToObject(o, "prompt_entries_skipped", r->prompt_entries_skipped);
    cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)r->peak_rss_bytes);
    cJSON_AddNumberToObject(o, "kv_cache_bytes", (double)r->kv_cache_bytes);
    cJSON_AddItemToObject(o, "decode_bytes", exact(r->decode_bytes));
    reqs = cJSON_AddArrayToObject(o, "requests");
    for (size_t i = 0; i < r->n_requests; i++)
        cJSON_AddItemToArray(reqs, request_array(&r->requests[i]));
    bats = cJSON_AddArrayToObject(o, "batches");
    for (size_t i = 0; i < r->n_batches; i++)
        cJSON_AddItemToArray(bats, batch_array(&r->batches[i]));
    cJSON_AddItemToObject(o, "flops", flops_json(r));
    cJSON_AddItemToObject(o, "peaks", peaks_json(r));
    if (r->energy_json != NULL)
        cJSON_AddStringToObject(o, "energy", r->energy_json);
    else
        cJSON_AddNullToObject(o, "energy");
    return o;
}

char *mpi_part_to_json(const mpi_part *p)
{
    cJSON *o = cJSON_CreateObject();
    char *out;

    cJSON_AddNumberToObject(o, "rank", p->rank);
    cJSON_AddStringToObject(o, "host", p->host);
    cJSON_AddNumberToObject(o, "status", (double)p->status);
    cJSON_AddStringToObject(o, "error", p->error);
    cJSON_AddNumberToObject(o, "gpu", p->gpu);
    cJSON_AddBoolToObject(o, "measured_energy", p->measured_energy);
    cJSON_AddItemToObject(o, "result", p->r != NULL ? result_json(p->r) : cJSON_CreateNull());
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

/* ---- reading ---------------------------------------------------------------------- */

typedef struct reader {
    int rank;
    lle_status st;
    lle_error *err;
} reader;

static void bad(reader *rd, const char *field)
{
    if (rd->st == LLE_OK)
        rd->st =
            lle_fail(rd->err, LLE_ERR_FORMAT, "result of rank %d: field '%s' is missing or malformed", rd->rank, field);
}

static double num(reader *rd, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (cJSON_IsNull(v))
        return NAN;
    if (!cJSON_IsNumber(v)) {
        bad(rd, key);
        return 0.0;
    }
    return v->valuedouble;
}

static void text(reader *rd, const cJSON *o, const char *key, char *out, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsString(v))
        bad(rd, key);
    else
        lle_strlcpy(out, v->valuestring, size);
}

static double at(reader *rd, const cJSON *a, int i, const char *what)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);

    if (cJSON_IsNull(v))
        return NAN;
    if (!cJSON_IsNumber(v)) {
        bad(rd, what);
        return 0.0;
    }
    return v->valuedouble;
}

static void read_parts(reader *rd, const cJSON *o, const char *key, lle_flops_parts *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != LLE_FLOPS_N_PARTS + 1) {
        bad(rd, key);
        return;
    }
    for (int i = 0; i <= LLE_FLOPS_N_PARTS; i++) {
        const cJSON *v = cJSON_GetArrayItem(a, i);
        char *end = NULL;
        uint64_t x = cJSON_IsString(v) ? strtoull(v->valuestring, &end, 10) : 0;
        if (end == NULL || *end != '\0' || end == v->valuestring)
            bad(rd, key);
        if (i < LLE_FLOPS_N_PARTS)
            out->part[i] = x;
        else
            out->total = x;
    }
}

static void read_request(reader *rd, const cJSON *a, lle_request_record *q)
{
    const cJSON *itl = cJSON_GetArrayItem(a, 13), *tok = cJSON_GetArrayItem(a, 14);
    int n_itl = cJSON_GetArraySize(itl), n_tok = cJSON_GetArraySize(tok);

    if (!cJSON_IsArray(a) || !cJSON_IsArray(itl) || !cJSON_IsArray(tok)) {
        bad(rd, "requests");
        return;
    }
    q->index = (int)at(rd, a, 0, "requests");
    q->repeat = (int)at(rd, a, 1, "requests");
    q->batch = (int)at(rd, a, 2, "requests");
    q->n_input_tokens = (int)at(rd, a, 3, "requests");
    q->n_output_tokens = (int)at(rd, a, 4, "requests");
    q->truncated = at(rd, a, 5, "requests") != 0.0;
    q->arrival_s = at(rd, a, 6, "requests");
    q->start_s = at(rd, a, 7, "requests");
    q->queue_delay_s = at(rd, a, 8, "requests");
    q->ttft_s = at(rd, a, 9, "requests");
    q->e2e_s = at(rd, a, 10, "requests");
    q->prefill_s = at(rd, a, 11, "requests");
    q->decode_s = at(rd, a, 12, "requests");
    if (n_tok != q->n_output_tokens || n_itl != (n_tok > 0 ? n_tok - 1 : 0))
        bad(rd, "requests (itl/token counts)");
    q->itl_s = malloc((size_t)(n_itl > 0 ? n_itl : 1) * sizeof *q->itl_s);
    q->output_tokens = malloc((size_t)(n_tok > 0 ? n_tok : 1) * sizeof *q->output_tokens);
    if (q->itl_s == NULL || q->output_tokens == NULL) {
        if (rd->st == LLE_OK)
            rd->st = lle_fail(rd->err, LLE_ERR_NOMEM, "out of memory");
        return;
    }
    q->n_itl = (size_t)n_itl;
    for (int i = 0; i < n_itl; i++)
        q->itl_s[i] = at(rd, itl, i, "requests.itl");
    for (int i = 0; i < n_tok; i++)
        q->output_tokens[i] = (int32_t)at(rd, tok, i, "requests.tokens");
}

static void read_batch(reader *rd, const cJSON *a, lle_batch_record *b)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 9) {
        bad(rd, "batches");
        return;
    }
    b->repeat = (int)at(rd, a, 0, "batches");
    b->index = (int)at(rd, a, 1, "batches");
    b->n_requests = (int)at(rd, a, 2, "batches");
    b->n_input_tokens = (int)at(rd, a, 3, "batches");
    b->n_output_tokens = (int)at(rd, a, 4, "batches");
    b->idle_before_s = at(rd, a, 5, "batches");
    b->start_s = at(rd, a, 6, "batches");
    b->prefill_end_s = at(rd, a, 7, "batches");
    b->end_s = at(rd, a, 8, "batches");
}

static void read_records(reader *rd, const cJSON *o, lle_run_result *r)
{
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(o, "requests");
    const cJSON *bats = cJSON_GetObjectItemCaseSensitive(o, "batches");
    int nq = cJSON_GetArraySize(reqs), nb = cJSON_GetArraySize(bats);

    if (!cJSON_IsArray(reqs) || !cJSON_IsArray(bats)) {
        bad(rd, "requests/batches");
        return;
    }
    r->requests = calloc((size_t)nq + 1, sizeof *r->requests);
    r->batches = calloc((size_t)nb + 1, sizeof *r->batches);
    if (r->requests == NULL || r->batches == NULL) {
        rd->st = lle_fail(rd->err, LLE_ERR_NOMEM, "out of memory");
        return;
    }
    for (int i = 0; i < nq && rd->st == LLE_OK; i++) {
        read_request(rd, cJSON_GetArrayItem(reqs, i), &r->requests[i]);
        r->n_requests = (size_t)i + 1; /* freed by lle_run_result_free even when half read */
    }
    for (int i = 0; i < nb && rd->st == LLE_OK; i++)
        read_batch(rd, cJSON_GetArrayItem(bats, i), &r->batches[i]);
    r->n_batches = (size_t)nb;
}

static void read_flops_peaks(reader *rd, const cJSON *o, lle_run_result *r)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "flops");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "peaks");

    r->flops.has_model = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "has_model"));
    r->flops.has_executed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "has_executed"));
    read_parts(rd, f, "model_prefill", &r->flops.model_prefill);
    read_parts(rd, f, "model_decode", &r->flops.model_decode);
    read_parts(rd, f, "exec_prefill", &r->flops.exec_prefill);
    read_parts(rd, f, "exec_decode", &r->flops.exec_decode);
    text(rd, f, "error", r->flops_error, sizeof r->flops_error);
    r->peaks.flops_per_s = num(rd, p, "flops_per_s");
    text(rd, p, "flops_source", r->peaks.flops_source, sizeof r->peaks.flops_source);
    text(rd, p, "flops_basis", r->peaks.flops_basis, sizeof r->peaks.flops_basis);
    r->peaks.bandwidth_bytes_per_s = num(rd, p, "bandwidth_bytes_per_s");
    text(rd, p, "bandwidth_source", r->peaks.bandwidth_source, sizeof r->peaks.bandwidth_source);
    text(rd, p, "bandwidth_basis", r->peaks.bandwidth_basis, sizeof r->peaks.bandwidth_basis);
    r->mbu.known = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "mbu_known"));
    text(rd, p, "mbu_why", r->mbu.why, sizeof r->mbu.why);
}

static lle_run_result *read_result(reader *rd, const cJSON *o)
{
    lle_run_result *r = calloc(1, sizeof *r);
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "energy");

    if (r == NULL) {
        rd->st = lle_fail(rd->err, LLE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    text(rd, o, "status", r->status, sizeof r->status);
    text(rd, o, "error", r->error, sizeof r->error);
    r->wall_s = num(rd, o, "wall_s");
    r->n_threads = (int)num(rd, o, "n_threads");
    r->n_ctx = (int)num(rd, o, "n_ctx");
    r->prompts_truncated = (int)num(rd, o, "prompts_truncated");
    r->prompt_entries_skipped = (int)num(rd, o, "prompt_entries_skipped");
    r->peak_rss_bytes = (uint64_t)num(rd, o, "peak_rss_bytes");
    r->kv_cache_bytes = (uint64_t)num(rd, o, "kv_cache_bytes");
    r->decode_bytes = num(rd, o, "decode_bytes");
    read_records(rd, o, r);
    read_flops_peaks(rd, o, r);
    if (cJSON_IsString(en) && (r->energy_json = strdup(en->valuestring)) == NULL && rd->st == LLE_OK)
        rd->st = lle_fail(rd->err, LLE_ERR_NOMEM, "out of memory");
    else if (!cJSON_IsString(en) && !cJSON_IsNull(en))
        bad(rd, "energy");
    return r;
}

lle_status mpi_part_from_json(const char *json, mpi_part *out, lle_error *err)
{
    cJSON *o = cJSON_Parse(json);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(o, "result");
    reader rd = {-1, LLE_OK, err};

    memset(out, 0, sizeof *out);
    if (o == NULL)
        return lle_fail(err, LLE_ERR_FORMAT, "a rank's result is not JSON");
    rd.rank = (int)num(&rd, o, "rank");
    out->rank = rd.rank;
    text(&rd, o, "host", out->host, sizeof out->host);
    out->status = (lle_status)num(&rd, o, "status");
    text(&rd, o, "error", out->error, sizeof out->error);
    out->gpu = (int)num(&rd, o, "gpu");
    out->measured_energy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "measured_energy"));
    if (cJSON_IsObject(res))
        out->r = read_result(&rd, res);
    else if (!cJSON_IsNull(res))
        bad(&rd, "result");
    cJSON_Delete(o);
    if (rd.st != LLE_OK)
        mpi_part_clear(out);
    return rd.st;
}

void mpi_part_clear(mpi_part *p)
{
    if (!p->borrowed)
        lle_run_result_free(p->r);
    p->r = NULL;
}
