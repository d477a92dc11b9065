/* plan.c — turns a configuration into the measured workload: the prompts
 * (synthetic of fixed or uniformly distributed length, or read from a JSONL /
 * ShareGPT file and cut to max_input_tokens), their order, their grouping into
 * batches (fixed size, or adaptive: longest first under a token budget) and
 * their scheduled arrivals (traffic simulation). Everything seeded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "run/prompt_source.h"
#include "run/run_internal.h"

void lle_plan_free(lle_plan *p)
{
    for (int i = 0; p->reqs != NULL && i < p->n_reqs; i++)
        free(p->reqs[i].tokens);
    free(p->reqs);
    free(p->batch_start);
    free(p->delay_before);
    memset(p, 0, sizeof *p);
}

static lle_status synthetic_prompts(const lle_run_config *c, lle_engine *e, lle_plan *p, lle_error *err)
{
    uint64_t rng = c->seed ^ 0x5eed1e57ULL;
    lle_status st = LLE_OK;

    for (int i = 0; i < c->n_prompts && st == LLE_OK; i++) {
        int len = c->max_input_tokens;
        if (c->min_input_tokens > 0 && c->min_input_tokens < c->max_input_tokens)
            len = c->min_input_tokens +
                  (int)(lle_splitmix64(&rng) % (uint64_t)(c->max_input_tokens - c->min_input_tokens + 1));
        p->reqs[i].index = i;
        st = lle_synthetic_prompt(e, c->seed, i, len, &p->reqs[i].tokens, err);
        p->reqs[i].n_tokens = len;
    }
    return st;
}

/* Prompts from a file, cycling when it holds fewer than n_prompts. */
static lle_status file_prompts(const lle_run_config *c, lle_engine *e, lle_plan *p, lle_error *err)
{
    lle_prompt_set set;
    lle_status st;

    memset(&set, 0, sizeof set);
    st = lle_prompts_load(c->prompt_file, c->prompt_format, &set, err);
    if (st == LLE_OK)
        st = lle_prompts_order(&set, c->prompt_order, c->seed, err);
    if (st == LLE_OK)
        st = lle_prompts_take(&set, (size_t)c->n_prompts, err);
    p->n_skipped = st == LLE_OK ? (int)set.n_skipped : 0;
    for (int i = 0; st == LLE_OK && i < c->n_prompts; i++) {
        lle_plan_request *q = &p->reqs[i];
        q->index = i;
        st = e->vt->tokenize(e, set.texts[i], 1, &q->tokens, &q->n_tokens, err);
        if (st == LLE_OK && q->n_tokens > c->max_input_tokens) {
            q->n_tokens = c->max_input_tokens;
            q->truncated = true;
            p->n_truncated++;
        }
        if (st == LLE_OK && q->n_tokens < 1)
            st = lle_fail(err, LLE_ERR_FORMAT, "%s: prompt %d is empty after tokenization", c->prompt_file, i + 1);
    }
    lle_prompt_set_free(&set);
    return st;
}

static int cmp_len_asc(const void *a, const void *b)
{
    const lle_plan_request *x = a, *y = b;

    if (x->n_tokens != y->n_tokens)
        return x->n_tokens < y->n_tokens ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index); /* stable */
}

static int cmp_cells_desc(const void *a, const void *b)
{
    const lle_plan_request *x = a, *y = b;
    int cx = x->n_tokens + x->n_out, cy = y->n_tokens + y->n_out;

    if (cx != cy)
        return cx > cy ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Synthetic prompts are ordered here (file prompts by lle_prompts_order, with
 * the same shuffle); adaptive batching then sorts longest first. */
static void order_requests(const lle_run_config *c, lle_plan *p)
{
    if (c->prompt_file == NULL && strcmp(c->prompt_order, "sorted") == 0) {
        qsort(p->reqs, (size_t)p->n_reqs, sizeof *p->reqs, cmp_len_asc);
    } else if (c->prompt_file == NULL && strcmp(c->prompt_order, "shuffled") == 0) {
        uint64_t rng = c->seed;
        for (int i = p->n_reqs; i >= 2; i--) {
            int j = (int)lle_rand_below(&rng, (uint64_t)i);
            lle_plan_request t = p->reqs[i - 1];
            p->reqs[i - 1] = p->reqs[j];
            p->reqs[j] = t;
        }
    }
    if (c->adaptive_tokens > 0)
        qsort(p->reqs, (size_t)p->n_reqs, sizeof *p->reqs, cmp_cells_desc);
}

/* Data-parallel sharding: keep the prompts whose index falls to this rank
 * (round robin over the prompt index, so every rank gets a similar mix). */
static void shard_requests(const lle_run_config *c, lle_plan *p)
{
    int kept = 0;

    if (c->shard_count <= 1)
        return;
    for (int i = 0; i < p->n_reqs; i++) {
        if (p->reqs[i].index % c->shard_count == c->shard_rank)
            p->reqs[kept++] = p->reqs[i];
        else
            free(p->reqs[i].tokens);
    }
    p->n_reqs = kept;
}

/* Fixed: consecutive groups of batch_size. Adaptive: greedy packing of the
 * (longest-first) requests while prompt + output tokens stay within budget. */
static lle_status make_batches(const lle_run_config *c, lle_plan *p, lle_error *err)
{
    int n = 0, cells = 0, count = 0;

    p->batch_start = malloc((size_t)(p->n_reqs + 1) * sizeof *p->batch_start);
    if (p->batch_start == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < p->n_reqs; i++) {
        int need = p->reqs[i].n_tokens + p->reqs[i].n_out;
        bool full = c->adaptive_tokens > 0 ? (cells + need > c->adaptive_tokens || count >= c->adaptive_max_batch)
                                           : count >= c->batch_size;
        if (i == 0 || full) {
            p->batch_start[n++] = i;
            cells = count = 0;
        }
        cells += need;
        count++;
        if (count > p->max_batch)
            p->max_batch = count;
        if (cells > p->max_batch_cells)
            p->max_batch_cells = cells;
    }
    p->batch_start[n] = p->n_reqs;
    p->n_batches = n;
    return LLE_OK;
}

/* Scheduled arrivals. none/constant/uniform: a request arrives when its batch
 * starts (arrival < 0); constant/uniform idle before each batch after the
 * first. burst: burst_size requests every burst_interval. poisson:
 * exponential inter-arrival times at `rate`. */
static lle_status make_arrivals(const lle_run_config *c, lle_plan *p, lle_error *err)
{
    uint64_t rng = c->seed ^ 0x7aff1cULL;
    double t = 0.0;

    p->delay_before = calloc((size_t)p->n_batches + 1, sizeof *p->delay_before);
    if (p->delay_before == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int b = 1; b < p->n_batches; b++) {
        if (strcmp(c->traffic, "constant") == 0)
            p->delay_before[b] = c->delay_s;
        else if (strcmp(c->traffic, "uniform") == 0)
            p->delay_before[b] = c->delay_min_s + (c->delay_max_s - c->delay_min_s) * lle_rand01(&rng);
    }
    for (int i = 0; i < p->n_reqs; i++) {
        if (strcmp(c->traffic, "burst") == 0) {
            int burst = i / c->burst_size; /* whole bursts before request i */
            p->reqs[i].arrival_s = (double)burst * c->burst_interval_s;
        } else if (strcmp(c->traffic, "poisson") == 0) {
            if (i > 0)
                t += -log(1.0 - lle_rand01(&rng)) / c->rate;
            p->reqs[i].arrival_s = t;
        } else {
            p->reqs[i].arrival_s = -1.0;
        }
    }
    return LLE_OK;
}

lle_status lle_plan_build(const lle_run_config *c, lle_engine *e, lle_plan *p, lle_error *err)
{
    lle_status st = LLE_OK;

    memset(p, 0, sizeof *p);
    p->reqs = calloc((size_t)c->n_prompts, sizeof *p->reqs);
    if (p->reqs == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    p->n_reqs = c->n_prompts;
    if (c->prompt_file != NULL)
        st = file_prompts(c, e, p, err);
    else
        st = synthetic_prompts(c, e, p, err);
    for (int i = 0; st == LLE_OK && i < p->n_reqs; i++)
        p->reqs[i].n_out = c->max_output_tokens;
    if (st == LLE_OK) {
        order_requests(c, p);
        shard_requests(c, p);
        if (p->n_reqs == 0)
            st = lle_fail(err, LLE_ERR_INVALID, "shard %d of %d holds no prompt: give at least %d prompts",
                          c->shard_rank, c->shard_count, c->shard_count);
    }
    if (st == LLE_OK)
        st = make_batches(c, p, err);
    if (st == LLE_OK)
        st = make_arrivals(c, p, err);
    if (st != LLE_OK)
        lle_plan_free(p);
    return st;
}
