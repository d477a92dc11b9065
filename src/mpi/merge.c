/* merge.c — rank 0 turns every rank's outcome into one experiment result:
 * the raw request and batch records of all ranks in one result (batch
 * numbers made unique: rank k's follow rank k-1's), totals and latency
 * distributions recomputed from them by the runner's own aggregation (never
 * averaged percentiles), then the data-parallel meanings: wall time is the
 * slowest rank's, busy time the longest of any rank, so output and total
 * tokens/s are the whole job's; prefill/decode times stay summed over all
 * batches, so prefill/decode tokens/s and MFU/MBU are per engine. FLOPs are
 * summed; energy is summed over nodes (energy_merge.c); the config gets an
 * "mpi" block with the ranks, the nodes and each rank's share. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mpi/mpi_internal.h"
#include "run/run_internal.h"

static int cmp_request(const void *a, const void *b)
{
    const lle_request_record *x = a, *y = b;

    if (x->repeat != y->repeat)
        return x->repeat < y->repeat ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int cmp_batch(const void *a, const void *b)
{
    const lle_batch_record *x = a, *y = b;

    if (x->repeat != y->repeat)
        return x->repeat < y->repeat ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Batches per pass of one rank: its highest batch number + 1. */
static int batches_per_pass(const lle_run_result *r)
{
    int n = 0;

    for (size_t i = 0; i < r->n_batches; i++)
        if (r->batches[i].index + 1 > n)
            n = r->batches[i].index + 1;
    return n;
}

/* Move every other rank's records into parts[0].r (their arrays keep no
 * inner pointers afterwards), renumbering batches. */
static lle_status append_records(mpi_part *parts, int n, lle_error *err)
{
    lle_run_result *base = parts[0].r;
    size_t nq = 0, nb = 0;
    int offset = batches_per_pass(base);
    lle_request_record *q;
    lle_batch_record *b;

    for (int k = 0; k < n; k++) {
        nq += parts[k].r->n_requests;
        nb += parts[k].r->n_batches;
    }
    q = realloc(base->requests, (nq + 1) * sizeof *q);
    if (q != NULL)
        base->requests = q;
    b = realloc(base->batches, (nb + 1) * sizeof *b);
    if (b != NULL)
        base->batches = b;
    if (q == NULL || b == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int k = 1; k < n; k++) {
        lle_run_result *r = parts[k].r;
        for (size_t i = 0; i < r->n_requests; i++) {
            r->requests[i].batch += offset;
            base->requests[base->n_requests++] = r->requests[i];
        }
        for (size_t i = 0; i < r->n_batches; i++) {
            r->batches[i].index += offset;
            base->batches[base->n_batches++] = r->batches[i];
        }
        offset += batches_per_pass(r);
        r->n_requests = 0; /* the itl/token arrays now belong to base */
    }
    qsort(base->requests, base->n_requests, sizeof *base->requests, cmp_request);
    qsort(base->batches, base->n_batches, sizeof *base->batches, cmp_batch);
    return LLE_OK;
}

static double rank_idle(const lle_run_result *r)
{
    double idle = 0.0;

    for (size_t i = 0; i < r->n_batches; i++)
        idle += r->batches[i].idle_before_s;
    return idle;
}

static double safe_div(double a, double b)
{
    return b > 0.0 ? a / b : 0.0;
}

/* Wall time of the slowest rank, busy time of the busiest; the rest by the
 * runner's aggregation over all records. Call before append_records. */
static void merge_times(mpi_part *parts, int n, double *wall, double *busy)
{
    *wall = *busy = 0.0;
    for (int k = 0; k < n; k++) {
        const lle_run_result *r = parts[k].r;
        double b = r->wall_s - rank_idle(r);
        if (r->wall_s > *wall)
            *wall = r->wall_s;
        if (b > *busy)
            *busy = b;
    }
}

static void apply_times(lle_run_result *base, double wall, double busy)
{
    base->wall_s = wall;
    lle_result_aggregate(base);
    base->busy_s = busy;
    base->idle_s = wall > busy ? wall - busy : 0.0;
    base->output_tok_s = safe_div((double)base->total_output_tokens, busy);
    base->total_tok_s = safe_div((double)(base->total_input_tokens + base->total_output_tokens), busy);
}

static void merge_flops(mpi_part *parts, int n)
{
    lle_run_result *base = parts[0].r;
    lle_flops_summary *f = &base->flops;

    for (int k = 1; k < n; k++) {
        const lle_run_result *r = parts[k].r;
        f->has_model = f->has_model && r->flops.has_model;
        if (f->has_executed && !r->flops.has_executed)
            snprintf(base->flops_error, sizeof base->flops_error, "rank %d: %.980s", k,
                     r->flops_error[0] != '\0' ? r->flops_error : "executed FLOPs not counted");
        f->has_executed = f->has_executed && r->flops.has_executed;
        lle_flops_parts_add(&f->model_prefill, &r->flops.model_prefill);
        lle_flops_parts_add(&f->model_decode, &r->flops.model_decode);
        lle_flops_parts_add(&f->exec_prefill, &r->flops.exec_prefill);
        lle_flops_parts_add(&f->exec_decode, &r->flops.exec_decode);
        base->decode_bytes += r->decode_bytes;
        base->prompts_truncated += r->prompts_truncated;
        if (r->peak_rss_bytes > base->peak_rss_bytes)
            base->peak_rss_bytes = r->peak_rss_bytes;
    }
    if (!f->has_executed) {
        memset(&f->exec_prefill, 0, sizeof f->exec_prefill);
        memset(&f->exec_decode, 0, sizeof f->exec_decode);
    }
}

/* One peak over the ranks: equal everywhere -> kept; unknown anywhere ->
 * unknown (that rank's reason); else the mean, said so. */
typedef struct peak_ref {
    double *value;
    char *source, *basis;
    size_t source_size, basis_size;
} peak_ref;

static void merge_peak(peak_ref *ref, const double *vals, const char *const *bases, int n)
{
    double sum = 0.0, lo = vals[0], hi = vals[0];

    for (int k = 0; k < n; k++) {
        if (vals[k] <= 0.0) { /* rank 0's own reason stands as it is */
            char why[256];
            lle_strlcpy(why, bases[k], sizeof why); /* bases[0] is ref->basis itself */
            *ref->value = 0.0;
            lle_strlcpy(ref->source, "none", ref->source_size);
            if (k == 0)
                lle_strlcpy(ref->basis, why, ref->basis_size);
            else
                snprintf(ref->basis, ref->basis_size, "rank %d: %.200s", k, why);
            return;
        }
        sum += vals[k];
        lo = vals[k] < lo ? vals[k] : lo;
        hi = vals[k] > hi ? vals[k] : hi;
    }
    if (lo == hi)
        return;
    *ref->value = sum / n;
    snprintf(ref->source, ref->source_size, "mean of %d ranks", n);
    snprintf(ref->basis, ref->basis_size, "mean of the ranks' own peaks (each at its thread count), from %.4g to %.4g",
             lo, hi);
}

static lle_status merge_peaks(mpi_part *parts, int n, lle_error *err)
{
    lle_peaks *p = &parts[0].r->peaks;
    double *vals = calloc((size_t)n * 2, sizeof *vals);
    const char **bases = calloc((size_t)n * 2, sizeof *bases);
    peak_ref fl = {&p->flops_per_s, p->flops_source, p->flops_basis, sizeof p->flops_source, sizeof p->flops_basis};
    peak_ref bw = {&p->bandwidth_bytes_per_s, p->bandwidth_source, p->bandwidth_basis, sizeof p->bandwidth_source,
                   sizeof p->bandwidth_basis};

    lle_status st = LLE_OK;

    if (vals == NULL || bases == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int k = 0; k < n; k++) {
        const lle_peaks *q = &parts[k].r->peaks;
        vals[k] = q->flops_per_s;
        bases[k] = q->flops_basis;
        vals[n + k] = q->bandwidth_bytes_per_s;
        bases[n + k] = q->bandwidth_basis;
    }
    merge_peak(&fl, vals, bases, n);
    merge_peak(&bw, vals + n, bases + n, n);
cleanup:
    free(vals);
    free(bases);
    return st;
}

/* MFU/MBU per engine: model FLOP/s over the summed phase times against the
 * (common or mean) per-rank peak, as the runner computes them for one rank. */
static lle_status merge_utilisation(mpi_part *parts, int n, lle_error *err)
{
    lle_run_result *base = parts[0].r;
    const lle_flops_summary *f = &base->flops;
    double model = f->has_model ? (double)(f->model_prefill.total + f->model_decode.total) : 0.0;
    double busy = base->prefill_s + base->decode_s;
    bool mbu_known = true;
    char why[256] = "";

    for (int k = 0; k < n && mbu_known; k++)
        if (!parts[k].r->mbu.known && parts[k].r->peaks.bandwidth_bytes_per_s > 0.0) {
            mbu_known = false;
            lle_strlcpy(why, parts[k].r->mbu.why, sizeof why);
        }
    if (merge_peaks(parts, n, err) != LLE_OK)
        return LLE_ERR_NOMEM;
    base->mfu = lle_mfu(busy > 0.0 ? model / busy : 0.0, &base->peaks);
    base->mfu_prefill = lle_mfu(
        f->has_model && base->prefill_s > 0.0 ? (double)f->model_prefill.total / base->prefill_s : 0.0, &base->peaks);
    base->mbu = lle_mbu(base->decode_bytes, base->decode_s, NULL, &base->peaks);
    if (!mbu_known) {
        base->mbu.known = false;
        lle_strlcpy(base->mbu.why, why, sizeof base->mbu.why);
    }
    return LLE_OK;
}

static double last_end(const lle_run_result *r)
{
    double end = 0.0;

    for (size_t i = 0; i < r->n_batches; i++)
        end = r->batches[i].end_s > end ? r->batches[i].end_s : end;
    return end;
}

static cJSON *per_rank_json(const mpi_part *parts, int n, const mpi_topo *t)
{
    cJSON *arr = cJSON_CreateArray();

    for (int k = 0; k < n; k++) {
        const lle_run_result *r = parts[k].r;
        uint64_t out = 0;
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < r->n_requests; i++)
            out += (uint64_t)r->requests[i].n_output_tokens;
        cJSON_AddNumberToObject(o, "rank", k);
        cJSON_AddStringToObject(o, "node", t->hosts[k]);
        cJSON_AddNumberToObject(o, "threads", r->n_threads);
        if (parts[k].gpu >= 0)
            cJSON_AddNumberToObject(o, "gpu", parts[k].gpu);
        else
            cJSON_AddNullToObject(o, "gpu");
        cJSON_AddNumberToObject(o, "requests", (double)r->n_requests);
        cJSON_AddNumberToObject(o, "output_tokens", (double)out);
        cJSON_AddNumberToObject(o, "finished_s", last_end(r));
        cJSON_AddBoolToObject(o, "measured_energy", parts[k].measured_energy);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *mpi_block(const mpi_part *parts, int n, const mpi_topo *t)
{
    cJSON *o = cJSON_CreateObject(), *per_node = cJSON_AddArrayToObject(o, "ranks_per_node");

    cJSON_AddNumberToObject(o, "ranks", n);
    cJSON_AddNumberToObject(o, "nodes", t->n_nodes);
    for (int j = 0; j < t->n_nodes; j++) {
        int c = 0;
        for (int k = 0; k < n; k++)
            c += t->node_of[k] == j;
        cJSON_AddItemToArray(per_node, cJSON_CreateNumber(c));
    }
    cJSON_AddStringToObject(o, "sharding", "prompt index % ranks == rank");
    cJSON_AddStringToObject(o, "aggregation",
                            "records of all ranks merged; wall_s = slowest rank, busy_s = busiest rank, so "
                            "output/total tokens_per_s and requests_per_s are the job's; prefill_s and "
                            "decode_s are summed over all batches, so prefill/decode tokens_per_s, MFU and MBU "
                            "are per engine; peak_rss_bytes = the largest rank's; energy once per node");
    cJSON_AddItemToObject(o, "per_rank", per_rank_json(parts, n, t));
    return o;
}

/* The resolved config of rank 0, made the job's: no shard_rank, an "mpi" block. */
static lle_status merge_config(mpi_part *parts, int n, const mpi_topo *t, lle_error *err)
{
    lle_run_result *base = parts[0].r;
    cJSON *cfg = cJSON_Parse(base->config_json), *blk;
    char *text = NULL;
    lle_status st = LLE_OK;

    if (cfg == NULL)
        return lle_fail(err, LLE_ERR_INTERNAL, "rank 0's resolved configuration is not JSON");
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "shard_rank");
    blk = mpi_block(parts, n, t);
    cJSON_AddItemToObject(cfg, "mpi", blk);
    text = cJSON_PrintUnformatted(cfg);
    if (text != NULL && strlen(text) >= sizeof base->config_json) { /* many ranks: the list goes */
        free(text);
        cJSON_ReplaceItemInObjectCaseSensitive(blk, "per_rank",
                                               cJSON_CreateString("omitted: too many ranks for the config block"));
        text = cJSON_PrintUnformatted(cfg);
    }
    if (text == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    else if (strlen(text) >= sizeof base->config_json)
        st = lle_fail(err, LLE_ERR_INTERNAL, "the merged configuration does not fit the result's config block");
    else
        lle_strlcpy(base->config_json, text, sizeof base->config_json);
    free(text);
    cJSON_Delete(cfg);
    return st;
}

static lle_status merge_energy(mpi_part *parts, int n, const mpi_topo *t, lle_error *err)
{
    lle_run_result *base = parts[0].r;
    mpi_node_energy *nodes = calloc((size_t)t->n_nodes, sizeof *nodes);
    int *ranks = calloc((size_t)n, sizeof *ranks), used = 0;
    lle_energy_work work = {
        base->total_input_tokens, base->total_output_tokens, (uint64_t)base->n_requests,
        base->flops.has_executed ? (double)(base->flops.exec_prefill.total + base->flops.exec_decode.total) : 0.0};
    bool any = false;
    char *merged = NULL;
    lle_status st = LLE_OK;

    if (nodes == NULL || ranks == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int j = 0; j < t->n_nodes; j++) {
        nodes[j].ranks = ranks + used;
        nodes[j].measured_by = -1;
        for (int k = 0; k < n; k++) {
            if (t->node_of[k] != j)
                continue;
            ranks[used++] = k;
            nodes[j].n_ranks++;
            nodes[j].host = t->hosts[k];
            if (parts[k].measured_energy && nodes[j].measured_by < 0) {
                nodes[j].measured_by = k;
                nodes[j].section = parts[k].r->energy_json;
                any = any || nodes[j].section != NULL;
            }
        }
    }
    merged = any ? mpi_energy_merge(nodes, t->n_nodes, &work) : NULL;
    if (any && merged == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    free(base->energy_json);
    base->energy_json = merged;
cleanup:
    free(nodes);
    free(ranks);
    return st;
}

lle_status mpi_merge(mpi_part *parts, int n, const mpi_topo *t, lle_error *err)
{
    lle_run_result *base = parts[0].r;
    double wall, busy;
    lle_status st;

    for (int k = 1; k < n; k++)
        if (strcmp(parts[k].r->status, "completed") != 0 && strcmp(base->status, "completed") == 0) {
            lle_strlcpy(base->status, parts[k].r->status, sizeof base->status);
            snprintf(base->error, sizeof base->error, "rank %d: %.980s", k, parts[k].r->error);
        }
    merge_times(parts, n, &wall, &busy);
    merge_flops(parts, n);
    st = merge_config(parts, n, t, err);
    if (st == LLE_OK)
        st = append_records(parts, n, err);
    if (st == LLE_OK) {
        apply_times(base, wall, busy);
        base->flops.n_input_tokens = base->total_input_tokens;
        base->flops.n_output_tokens = base->total_output_tokens;
        base->flops.prefill_s = base->prefill_s;
        base->flops.decode_s = base->decode_s;
        st = merge_utilisation(parts, n, err);
    }
    if (st == LLE_OK)
        st = merge_energy(parts, n, t, err);
    return st;
}
