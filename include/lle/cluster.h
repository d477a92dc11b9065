/* lle/cluster.h — running across MPI ranks (docs/cluster.md): detection of
 * an MPI launcher, MPI set-up and tear-down, the data-parallel experiment
 * (prompts sharded over ranks, one engine per rank, measuring started together
 * after a barrier, rank 0 merging every rank's raw per-request records into
 * one result, energy counted once per node), and campaigns sharded over ranks
 * (rank 0 owns the journal and the database and hands runs to idle ranks).
 *
 * Only in builds configured with -DLLE_MPI=ON (LLE_MPI is then defined for
 * the library and the CLI); the default build has neither these functions
 * nor an MPI dependency.
 *
 * Ownership: lle_cluster_run_single() gives rank 0 a heap lle_run_result that
 * the caller frees with lle_run_result_free(); every other rank gets NULL.
 * Configs are only read. */
#ifndef LLE_CLUSTER_H
#define LLE_CLUSTER_H

#include <stdbool.h>

#include "lle/campaign.h"
#include "lle/error.h"
#include "lle/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when an MPI launcher started this process (the environment of
 * mpirun/mpiexec (OMPI_COMM_WORLD_SIZE), PMI (PMI_SIZE) or PMIx (PMIX_RANK)
 * is present). A plain start is never made an MPI process. */
LLE_API bool lle_cluster_launched(void);

/* MPI_Init_thread (serialized: a campaign worker's heartbeat thread calls
 * MPI while its main thread runs an experiment) and the node map (which
 * ranks share a host: the host name, or $LLE_MPI_NODE when set). Call once,
 * from the main thread, before any other lle_cluster_* call. Errors: BACKEND. */
LLE_API lle_status lle_cluster_init(int *argc, char ***argv, lle_error *err);

/* MPI_Finalize when lle_cluster_init() ran; otherwise nothing. */
LLE_API void lle_cluster_finalize(void);

/* This process's rank and the number of ranks (0 and 1 before init). */
LLE_API int lle_cluster_rank(void);
LLE_API int lle_cluster_size(void);

/* Every rank calls this with the same configuration. Each rank runs its
 * shard (prompt index % ranks == rank) on its own engine: its thread budget
 * is the node's cores / ranks on the node unless n_threads is given; with
 * GPUs and several ranks on a node, rank k of the node uses GPU k % GPUs
 * (main_gpu, split_mode none). Only the lowest rank of each node measures
 * energy (the node's sources cover every rank on it), over the window all
 * ranks share: it opens at a barrier after warmup and closes at a barrier
 * after the slowest rank. Rank 0 gathers the raw request and batch records
 * and builds the merged result (tokens summed, wall time = slowest rank,
 * latency distributions from every request, energy summed over nodes).
 * Returns the same status on every rank: LLE_OK, INTERRUPTED (rank 0 still
 * gets a result when every rank produced one), or the first failing rank's
 * error, named "rank K (HOST): ...". INVALID when there are fewer prompts
 * than ranks. */
LLE_API lle_status lle_cluster_run_single(const lle_run_config *cfg, lle_progress_fn progress, void *user,
                                          const volatile int *stop, lle_run_result **out, lle_error *err);

/* A campaign over the ranks; every rank calls it with the same plan, options
 * and results_dir (a path rank 0 can write; the others never touch it). With
 * one rank it is lle_campaign_run(). Otherwise rank 0 runs no experiment: it
 * takes the campaign lock, syncs the journal and recovers crashed runs as
 * lle_campaign_run() does, then hands each runnable run to an idle rank (work
 * queue, plan order, retries queued again), and stores each result it gets
 * back (file + row + done mark, as lle_campaign_run() does; no time series)
 * with a "campaign.mpi" block naming the rank and node. The other ranks run
 * what they are given (cooldown first, model kept loaded between runs, a
 * thread budget of the node's cores / workers on it when threads are not set)
 * and send a heartbeat every second while running. A rank silent for
 * $LLE_MPI_TIMEOUT seconds (default 60) is lost: its run is marked failed
 * (retried on another rank while retries are left) and the campaign goes on
 * with the others. `ev` hears each run when it ends (on_start then on_end;
 * no per-request progress). Rank 0's status and summary are the campaign's;
 * the others return LLE_OK with a zeroed summary, or their own failure.
 * Errors: as lle_campaign_run(); INVALID when a rank built a different plan. */
LLE_API lle_status lle_cluster_run_campaign(const lle_campaign_plan *p, const char *results_dir,
                                            const lle_campaign_opts *o, const lle_campaign_events *ev,
                                            const volatile int *stop, lle_campaign_summary *summary, lle_error *err);

#ifdef __cplusplus
}
#endif
#endif
