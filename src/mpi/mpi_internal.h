/* mpi_internal.h — what the MPI module's files share (docs/cluster.md):
 * topology.c (launcher detection, init, the node map, thread and GPU budgets),
 * comm.c (gentle barriers that sleep instead of spinning, text gathers, the
 * shared status), part.c (one rank's result as JSON for the gather), merge.c
 * (rank 0 merges every rank's records into one result), energy_merge.c (the
 * nodes' energy sections summed, each node once), dataparallel.c (the
 * data-parallel experiment). Compiled only with -DLLE_MPI=ON. Not installed.
 *
 * Ownership: the topology is a process-wide singleton owned by topology.c.
 * mpi_part values own their lle_run_result unless `borrowed` is set; free them
 * with mpi_part_clear(). Every `char *` returned is malloc'd (free()). */
#ifndef LLE_MPI_INTERNAL_H
#define LLE_MPI_INTERNAL_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>

#include "lle/cluster.h"
#include "lle/energy.h"
#include "lle/run.h"

#define MPI_HOST_MAX 256

/* Which ranks share a node, from every rank's node name. */
typedef struct mpi_topo {
    int rank, size;
    int node, n_nodes;           /* this rank's node index (nodes numbered by their lowest rank) */
    int local_rank, local_size;  /* position among, and number of, the ranks on this node */
    char (*hosts)[MPI_HOST_MAX]; /* node name of every rank (size entries) */
    int *node_of;                /* node index of every rank */
    int *local_of;               /* local rank of every rank */
} mpi_topo;

/* The topology after lle_cluster_init(); NULL before. */
const mpi_topo *mpi_topo_get(void);

/* Build a topology from the node names of `size` ranks (pure; for tests and
 * init). Frees with mpi_topo_clear(). Errors: NOMEM. */
lle_status mpi_topo_build(mpi_topo *t, int rank, int size, const char (*hosts)[MPI_HOST_MAX], lle_error *err);
void mpi_topo_clear(mpi_topo *t);

/* The per-rank engine budget: threads = cores / ranks on the node (at least
 * 1) when cfg->n_threads <= 0; with `gpus` > 0 and more than one rank on the
 * node, main_gpu = local_rank % gpus and split_mode "none" (INVALID when the
 * config asks to split a model over GPUs then). *gpu_out = the GPU chosen or
 * -1. Pure apart from reading nothing: `cores` and `gpus` are passed in. */
lle_status mpi_plan_rank(const mpi_topo *t, int cores, int gpus, lle_run_config *cfg, int *gpu_out, lle_error *err);

/* GPUs llama.cpp can use in this process (0 on a CPU-only build). */
int mpi_gpu_count(void);

/* A barrier whose waiting ranks sleep (polling every `poll_s`) rather than
 * spin, so they neither steal cores from ranks still working nor inflate an
 * idle baseline; then a blocking barrier for a tight common exit. */
lle_status mpi_gentle_barrier(MPI_Comm comm, double poll_s, lle_error *err);

/* Gather one text per rank to rank 0 (lengths, then the bytes). On rank 0
 * *all is an array of `size` malloc'd strings (free each and the array);
 * elsewhere NULL. Errors: NOMEM, BACKEND. */
lle_status mpi_gather_text(MPI_Comm comm, const char *mine, char ***all, lle_error *err);

/* Rank 0's status and message become every rank's. */
void mpi_share_status(MPI_Comm comm, lle_status *st, lle_error *err);

/* One rank's outcome, as gathered. */
typedef struct mpi_part {
    int rank;
    char host[MPI_HOST_MAX];
    lle_status status;
    char error[LLE_ERROR_MSG_MAX];
    int gpu;              /* GPU used, -1 none */
    bool measured_energy; /* this rank's meter measured its node */
    lle_run_result *r;    /* NULL when the rank produced no result */
    bool borrowed;        /* r is not owned (rank 0's own result) */
} mpi_part;

/* Serialise the outcome of this rank (r may be NULL). NULL on OOM. */
char *mpi_part_to_json(const mpi_part *p);
/* Parse what mpi_part_to_json() wrote. Errors: FORMAT (names the rank and
 * field), NOMEM. */
lle_status mpi_part_from_json(const char *text, mpi_part *out, lle_error *err);
void mpi_part_clear(mpi_part *p);

/* Merge every rank's records into parts[0].r (rank 0's result): requests and
 * batches appended (batch numbers made unique: rank k's follow rank k-1's),
 * totals and distributions recomputed with lle_result_aggregate(), wall time
 * = the slowest rank's, busy time = the longest of any rank, FLOPs summed,
 * MFU/MBU per engine, energy summed over nodes, and the config's "mpi"
 * block. Every part must have a result. Errors: NOMEM. */
lle_status mpi_merge(mpi_part *parts, int n, const mpi_topo *t, lle_error *err);

/* One node's energy section for mpi_energy_merge(). */
typedef struct mpi_node_energy {
    const char *host;
    const int *ranks; /* the ranks on the node */
    int n_ranks;
    int measured_by;     /* the rank whose meter measured it */
    const char *section; /* its "energy" JSON, NULL when it has none */
} mpi_node_energy;

/* The merged "energy" section: every node's section kept whole under
 * "nodes", totals and carbon summed (each node once), methods combined
 * (measured + estimated = mixed), derived figures recomputed for the whole
 * work, phases summed only when every node ran one rank. NULL on OOM or
 * when no node has a section. */
char *mpi_energy_merge(const mpi_node_energy *nodes, int n_nodes, const lle_energy_work *work);

#endif
