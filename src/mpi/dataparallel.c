/* dataparallel.c — one experiment over every MPI rank (docs/cluster.md).
 * Each rank keeps its shard of the prompts (index % ranks == rank) and runs
 * it on its own engine with its own thread budget or GPU; only the lowest
 * rank of each node measures energy, because the node's sources (RAPL,
 * GPUs, estimates of the whole machine) already see every rank on it. The
 * idle baseline is taken before any rank loads a model, while the others
 * sleep at a barrier; the measured window opens at a barrier after warmup
 * (the runner's before_window hook) and closes at a barrier after the
 * slowest rank's last batch (the progress hook at the last request), so every
 * node measures the same interval. Then rank 0 gathers each rank's raw
 * records and merges them (merge.c). Every collective is reached by every
 * rank, whatever failed where, so a failing rank never leaves the others
 * waiting; its error comes back to all of them, named by rank and node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/run_energy.h"
#include "mpi/mpi_internal.h"

#define POLL_S          0.001 /* how often a waiting rank looks at a barrier */
#define WINDOW_BARRIERS 2     /* window open, window closed */

typedef struct dp_ctx {
    const mpi_topo *t;
    int barriers; /* window barriers passed */
    lle_progress_fn progress;
    void *user;
    lle_status bar_st; /* first barrier failure */
    lle_error bar_err;
} dp_ctx;

static void window_barrier(dp_ctx *x)
{
    lle_error e = {0};

    if (x->barriers >= WINDOW_BARRIERS)
        return;
    x->barriers++;
    if (mpi_gentle_barrier(MPI_COMM_WORLD, POLL_S, &e) != LLE_OK && x->bar_st == LLE_OK) {
        x->bar_st = e.code;
        x->bar_err = e;
    }
}

static void on_before_window(void *user)
{
    window_barrier(user);
}

/* The runner reports after each batch; after the last one the window closes
 * only when every rank is done, so each node's meter spans the whole job. */
static void on_progress(int done, int total, double tok_s, double watts, const char *how, void *user)
{
    dp_ctx *x = user;

    if (x->progress != NULL && x->t->rank == 0)
        x->progress(done, total, tok_s, watts, how, x->user);
    if (done == total)
        window_barrier(x);
}

/* This rank's share of the configuration. */
static lle_status rank_config(const mpi_topo *t, lle_run_config *cfg, dp_ctx *x, mpi_part *part, lle_error *err)
{
    part->measured_energy = cfg->energy && t->local_rank == 0;
    cfg->energy = part->measured_energy;
    cfg->shard_rank = t->size > 1 ? t->rank : 0;
    cfg->shard_count = t->size > 1 ? t->size : 0;
    cfg->before_window = on_before_window;
    cfg->before_window_user = x;
    if (part->measured_energy && cfg->idle_baseline_s > 0.0 && cfg->baseline_ttl_s < 3600.0)
        cfg->baseline_ttl_s = 3600.0; /* the baseline taken just before (prebaseline) is reused */
    return mpi_plan_rank(t, lle_cpu_count(), cfg->n_gpu_layers != 0 ? mpi_gpu_count() : 0, cfg, &part->gpu, err);
}

/* The idle baseline, measured (or confirmed in the cache) by each node's
 * measuring rank while every rank sleeps at a barrier, before any model
 * loads; the run then finds it in the cache. Every rank calls this. */
static lle_status prebaseline(const lle_run_config *cfg, bool measure, const volatile int *stop, lle_error *err)
{
    lle_run_energy_opts o;
    lle_run_energy en;
    lle_status st = LLE_OK, bst;
    lle_error be = {0};

    if (!cfg->energy || cfg->idle_baseline_s <= 0.0)
        return LLE_OK;
    bst = mpi_gentle_barrier(MPI_COMM_WORLD, POLL_S, &be);
    if (measure && bst == LLE_OK) {
        lle_run_energy_opts_init(&o); /* the runner's own options, so the cached sources match */
        o.meter.interval_s = cfg->energy_interval_s;
        o.meter.sources = cfg->energy_sources;
        o.meter.estimate_fallback = cfg->energy_estimates;
        o.meter.cpu_tdp_w = cfg->cpu_tdp_w;
        o.baseline.seconds = cfg->idle_baseline_s;
        o.baseline.ttl_s = cfg->baseline_ttl_s;
        o.baseline.stop = stop;
        o.carbon = cfg->carbon_intensity;
        o.pue = cfg->pue;
        st = lle_run_energy_open(&en, &o, err);
        lle_run_energy_close(&en);
    }
    if (bst == LLE_OK)
        bst = mpi_gentle_barrier(MPI_COMM_WORLD, POLL_S, &be);
    if (st == LLE_OK && bst != LLE_OK) {
        st = bst;
        if (err != NULL)
            *err = be;
    }
    return st;
}

/* Rank 0: every other rank's outcome parsed (parts[0] is rank 0's own). */
static lle_status parse_parts(char **texts, mpi_part *parts, int n, lle_error *err)
{
    lle_status st = LLE_OK;

    for (int k = 1; k < n && st == LLE_OK; k++)
        st = mpi_part_from_json(texts[k], &parts[k], err);
    return st;
}

/* The job's status from the parts: the first rank without a result fails
 * it, named with its node and how many others failed too. */
static lle_status job_status(const mpi_part *parts, int n, lle_error *err)
{
    int first = -1, others = 0;

    for (int k = 0; k < n; k++) {
        if (parts[k].r != NULL)
            continue;
        if (first < 0)
            first = k;
        else
            others++;
    }
    if (first < 0)
        return LLE_OK;
    if (others > 0)
        return lle_fail(err, parts[first].status != LLE_OK ? parts[first].status : LLE_ERR_INTERNAL,
                        "rank %d (%s) and %d other rank(s): %s", first, parts[first].host, others, parts[first].error);
    return lle_fail(err, parts[first].status != LLE_OK ? parts[first].status : LLE_ERR_INTERNAL, "rank %d (%s): %s",
                    first, parts[first].host, parts[first].error);
}

/* Rank 0: gathered texts -> merged result in *out (or the job's error). */
static lle_status merge_at_root(const mpi_topo *t, char **texts, mpi_part *own, lle_run_result **out, lle_error *err)
{
    mpi_part *parts = calloc((size_t)t->size, sizeof *parts);
    lle_status st;

    if (parts == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    parts[0] = *own;
    own->r = NULL; /* parts[0] owns it now */
    st = parse_parts(texts, parts, t->size, err);
    if (st == LLE_OK)
        st = job_status(parts, t->size, err);
    if (st == LLE_OK)
        st = mpi_merge(parts, t->size, t, err);
    if (st == LLE_OK) {
        *out = parts[0].r;
        parts[0].r = NULL;
        if (strcmp((*out)->status, "interrupted") == 0)
            st = lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted: %s", (*out)->error);
    }
    for (int k = 0; k < t->size; k++)
        mpi_part_clear(&parts[k]);
    free(parts);
    return st;
}

/* Every rank: send the outcome to rank 0, which merges; the job's status
 * becomes every rank's. */
static lle_status gather_and_merge(const mpi_topo *t, mpi_part *own, lle_run_result **out, lle_error *err)
{
    char *mine = t->rank == 0 ? strdup("") : mpi_part_to_json(own), **texts = NULL;
    lle_status st = mine != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    lle_status gst = mpi_gather_text(MPI_COMM_WORLD, mine != NULL ? mine : "", &texts, err);

    free(mine);
    if (t->rank == 0) {
        st = gst;
        if (st == LLE_OK)
            st = merge_at_root(t, texts, own, out, err);
        for (int k = 0; texts != NULL && k < t->size; k++)
            free(texts[k]);
        free(texts);
    }
    mpi_share_status(MPI_COMM_WORLD, &st, err);
    return st;
}

lle_status lle_cluster_run_single(const lle_run_config *cfg_in, lle_progress_fn progress, void *user,
                                  const volatile int *stop, lle_run_result **out, lle_error *err)
{
    const mpi_topo *t = mpi_topo_get();
    lle_run_config cfg = *cfg_in;
    dp_ctx x = {t, 0, progress, user, LLE_OK, {0}};
    mpi_part own;
    lle_error e = {0};
    lle_status st;

    *out = NULL;
    if (t == NULL)
        return lle_fail(err, LLE_ERR_INTERNAL, "lle_cluster_run_single() before lle_cluster_init()");
    if (cfg_in->n_prompts < t->size) /* the same on every rank: no collective is left waiting */
        return lle_fail(err, LLE_ERR_INVALID, "prompts: %d prompts cannot be shared by %d ranks (give at least %d)",
                        cfg_in->n_prompts, t->size, t->size);
    memset(&own, 0, sizeof own);
    own.rank = t->rank;
    own.gpu = -1;
    lle_strlcpy(own.host, t->hosts[t->rank], sizeof own.host);
    st = rank_config(t, &cfg, &x, &own, &e);
    if (prebaseline(cfg_in, st == LLE_OK && own.measured_energy, stop, st == LLE_OK ? &e : NULL) != LLE_OK &&
        st == LLE_OK)
        st = e.code;
    if (st == LLE_OK)
        st = lle_run_single(&cfg, on_progress, &x, stop, &own.r, &e);
    while (x.barriers < WINDOW_BARRIERS) /* a rank that stopped early still meets the others */
        window_barrier(&x);
    if (st == LLE_OK && x.bar_st != LLE_OK) {
        st = x.bar_st;
        e = x.bar_err;
    }
    own.status = st;
    lle_strlcpy(own.error, st == LLE_OK ? "" : e.msg, sizeof own.error);
    if (st != LLE_OK && st != LLE_ERR_INTERRUPTED) { /* no usable result from this rank */
        lle_run_result_free(own.r);
        own.r = NULL;
    }
    st = gather_and_merge(t, &own, out, err);
    mpi_part_clear(&own);
    return st;
}
