/* remote_result.c — what a remote run reports: which requests fall inside the
 * measurement window, their latency distributions, achieved rates and token
 * throughput over the window, goodput against the SLOs, the comparison of
 * server usage with local token counts, error counts by class; and the
 * result document (the run single schema plus the remote fields of
 * docs/remote.md), its atomic save and its release. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_internal.h"

#define EPS 1e-9

typedef struct agg_buf {
    double *ttft, *e2e, *queue, *tpot, *itl, *gap;
    size_t n, n_tpot, n_itl, n_gap;
} agg_buf;

void lle_remote_result_free(lle_remote_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_requests; i++) {
        free(r->requests[i].rec.itl_s);
        free(r->requests[i].chunk_t_s);
        free(r->requests[i].chunk_tokens);
    }
    free(r->requests);
    free(r->config_json);
    free(r);
}

void lle_remote_results_free(lle_remote_result **rs, size_t n)
{
    for (size_t i = 0; rs != NULL && i < n; i++)
        lle_remote_result_free(rs[i]);
    free(rs);
}

const char *lle_remote_class_summary(const lle_remote_result *r, char *buf, size_t size)
{
    size_t o = 0;

    buf[0] = '\0';
    for (int c = 1; c < LLE_RC_COUNT && o < size; c++)
        if (r->class_counts[c] > 0)
            o += (size_t)snprintf(buf + o, size - o, "%s%zu %s", o > 0 ? ", " : "", r->class_counts[c],
                                  lle_remote_class_name((lle_remote_class)c));
    if (buf[0] == '\0')
        snprintf(buf, size, "no failures");
    return buf;
}

static bool in_window(const lle_remote_result *r, const lle_remote_request *q, bool open_loop)
{
    if (q->cls == LLE_RC_INTERRUPTED)
        return false;
    if (q->send_s < r->window_open_s - EPS || q->send_s > r->window_close_s + EPS)
        return false;
    return open_loop || q->done_s <= r->window_close_s + EPS;
}

/* Tokens of q whose chunk arrived inside the window. */
static double window_tokens(const lle_remote_result *r, const lle_remote_request *q)
{
    double sum = 0.0, per = q->n_chunks > 0 ? (double)q->rec.n_output_tokens / q->n_chunks : 0.0;

    for (int i = 0; i < q->n_chunks; i++)
        if (q->chunk_t_s[i] >= r->window_open_s - EPS && q->chunk_t_s[i] <= r->window_close_s + EPS)
            sum += q->chunk_tokens != NULL ? q->chunk_tokens[i] : per;
    return sum;
}

static bool meets_slo(const lle_remote_request *q, const lle_remote_config *c)
{
    int n = q->rec.n_output_tokens;
    double tpot = n > 1 ? (q->rec.e2e_s - q->rec.ttft_s) / (n - 1) : 0.0;

    return (c->slo_ttft_s <= 0 || q->rec.ttft_s <= c->slo_ttft_s) &&
           (c->slo_tpot_s <= 0 || n <= 1 || tpot <= c->slo_tpot_s) &&
           (c->slo_e2e_s <= 0 || q->rec.e2e_s <= c->slo_e2e_s);
}

/* One in-window success into the distributions. */
static void collect(agg_buf *b, const lle_remote_request *q)
{
    size_t i = b->n++;

    b->ttft[i] = q->rec.ttft_s;
    b->e2e[i] = q->rec.e2e_s;
    b->queue[i] = q->rec.queue_delay_s;
    if (q->rec.n_output_tokens > 1)
        b->tpot[b->n_tpot++] = (q->rec.e2e_s - q->rec.ttft_s) / (q->rec.n_output_tokens - 1);
    for (size_t j = 0; j < q->rec.n_itl; j++)
        b->itl[b->n_itl++] = q->rec.itl_s[j];
    for (int j = 1; j < q->n_chunks; j++)
        b->gap[b->n_gap++] = q->chunk_t_s[j] - q->chunk_t_s[j - 1];
}

static bool alloc_buf(agg_buf *b, const lle_remote_result *r)
{
    size_t n = r->n_requests + 1, n_itl = 1, n_gap = 1;

    for (size_t i = 0; i < r->n_requests; i++) {
        n_itl += r->requests[i].rec.n_itl;
        n_gap += (size_t)r->requests[i].n_chunks;
    }
    memset(b, 0, sizeof *b);
    b->ttft = calloc(4 * n, sizeof(double));
    b->itl = calloc(n_itl, sizeof(double));
    b->gap = calloc(n_gap, sizeof(double));
    if (b->ttft == NULL || b->itl == NULL || b->gap == NULL)
        return false;
    b->e2e = b->ttft + n;
    b->queue = b->ttft + 2 * n;
    b->tpot = b->ttft + 3 * n;
    return true;
}

static void token_comparison(lle_remote_result *r, const lle_remote_request *q)
{
    if (q->cls != LLE_RC_OK || q->usage_output_tokens < 0 || q->local_output_tokens < 0)
        return;
    r->n_usage_compared++;
    r->usage_abs_diff_mean += fabs((double)(q->usage_output_tokens - q->local_output_tokens));
    if (q->usage_output_tokens != q->local_output_tokens)
        r->n_usage_mismatch++;
}

static void window_pass(lle_remote_result *r, const lle_remote_config *c, agg_buf *b, size_t *sent, size_t *done,
                        uint64_t *sent_in)
{
    bool open_loop = lle_remote_is_open_loop(c);

    for (size_t i = 0; i < r->n_requests; i++) {
        lle_remote_request *q = &r->requests[i];
        bool ok = q->cls == LLE_RC_OK;
        r->class_counts[q->cls]++;
        ok ? r->n_ok++ : r->n_failed++;
        token_comparison(r, q);
        if (q->send_s >= r->window_open_s - EPS && q->send_s <= r->window_close_s + EPS &&
            q->cls != LLE_RC_INTERRUPTED) {
            (*sent)++;
            *sent_in += ok ? (uint64_t)q->rec.n_input_tokens : 0;
        }
        if (ok && q->done_s >= r->window_open_s - EPS && q->done_s <= r->window_close_s + EPS)
            (*done)++;
        if (ok)
            r->window_output_tokens += window_tokens(r, q);
        q->in_window = in_window(r, q, open_loop);
        if (!q->in_window)
            continue;
        r->n_in_window++;
        if (!ok)
            continue;
        r->input_tokens += (uint64_t)q->rec.n_input_tokens;
        r->output_tokens += (uint64_t)q->rec.n_output_tokens;
        if (b->ttft != NULL)
            collect(b, q);
        if (meets_slo(q, c))
            r->n_good++;
    }
}

static double per_s(double v, double s)
{
    return s > 0 ? v / s : 0.0;
}

void lle_remote_aggregate(lle_remote_result *r, const lle_remote_config *c)
{
    agg_buf b;
    size_t sent = 0, done = 0;
    uint64_t sent_in = 0;
    bool have = alloc_buf(&b, r);

    r->wall_s = r->window_close_s > r->window_open_s ? r->window_close_s - r->window_open_s : 0.0;
    r->n_ok = r->n_failed = r->n_in_window = r->n_good = r->n_usage_compared = r->n_usage_mismatch = 0;
    r->input_tokens = r->output_tokens = 0;
    r->window_output_tokens = r->usage_abs_diff_mean = 0.0;
    memset(r->class_counts, 0, sizeof r->class_counts);
    if (!have) {
        free(b.ttft);
        free(b.itl);
        free(b.gap);
        memset(&b, 0, sizeof b);
    }
    window_pass(r, c, &b, &sent, &done, &sent_in);
    r->usage_abs_diff_mean = r->n_usage_compared > 0 ? r->usage_abs_diff_mean / (double)r->n_usage_compared : 0.0;
    r->send_rate = lle_remote_is_open_loop(c) ? per_s(sent > 0 ? (double)(sent - 1) : 0.0, r->wall_s)
                                              : per_s((double)sent, r->wall_s);
    r->completion_rate = per_s((double)done, r->wall_s);
    r->output_tok_s = per_s(r->window_output_tokens, r->wall_s);
    r->total_tok_s = per_s((double)sent_in + r->window_output_tokens, r->wall_s);
    r->goodput_rps = per_s((double)r->n_good, r->wall_s);
    r->slo_attainment = r->n_in_window > 0 ? (double)r->n_good / (double)r->n_in_window : 0.0;
    r->ttft = lle_stats_compute(b.ttft, b.n);
    r->e2e = lle_stats_compute(b.e2e, b.n);
    r->queue = lle_stats_compute(b.queue, b.n);
    r->tpot = lle_stats_compute(b.tpot, b.n_tpot);
    r->itl = lle_stats_compute(b.itl, b.n_itl);
    r->chunk_gap = lle_stats_compute(b.gap, b.n_gap);
    free(b.ttft);
    free(b.itl);
    free(b.gap);
}
