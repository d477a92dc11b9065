/* wq.h — the campaign work queue over MPI ranks (docs/cluster.md): the
 * messages between rank 0 (the coordinator, which owns the journal and the
 * results database) and the other ranks (workers), the journal side of the
 * coordinator (campaign_journal.c: the same lock, journal sync, crash
 * recovery and stores as the one-process runner, src/campaign/execute.c),
 * the coordinator's queue (campaign_master.c) and the worker
 * (campaign_worker.c). Compiled only with -DLLE_MPI=ON. Not installed.
 *
 * Messages (tag: payload). Worker -> rank 0: READY (JSON {digest, heartbeat}),
 * HEARTBEAT (int item, every WQ_HEARTBEAT_S while a run is going), RESULT
 * (JSON: item, status, error, doc, reused, cooldown, counts). Rank 0 ->
 * worker: TASK (int[2] item, attempt), PING (int, to idle workers), ABORT
 * (int, stop the run going), STOP (int, leave).
 *
 * Ownership: wq_journal owns its store, rows and lock; wq_journal_close()
 * releases them. Strings returned are malloc'd (free()). */
#ifndef LLE_MPI_WQ_H
#define LLE_MPI_WQ_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>

#include "lle/campaign.h"
#include "store/store_journal.h"

enum { WQ_READY = 101, WQ_TASK, WQ_STOP, WQ_PING, WQ_HEARTBEAT, WQ_RESULT, WQ_ABORT };

#define WQ_HEARTBEAT_S 1.0

/* Seconds of silence after which a rank is lost: $LLE_MPI_TIMEOUT (>= 1),
 * else 60. */
double wq_lost_after_s(void);

/* SHA-256 over the campaign id and every run's hash and cycle: equal on two
 * ranks when they planned the same runs in the same order. */
void wq_plan_digest(const lle_campaign_plan *p, char out[65]);

/* Receive the message `probe` found (any tag) as a NUL-terminated string.
 * NULL on OOM (the message is still received and dropped). */
char *wq_recv_text(const MPI_Status *probe);

/* How many ranks > 0 share rank `rank`'s node, and `rank`'s position among
 * them (0-based). */
void wq_workers_on_node(int rank, int *count, int *index);

/* What the coordinator knows about a run a worker finished. */
typedef struct wq_run_meta {
    int rank;
    const char *host;
    int workers_on_node;
    bool reused;       /* the worker's loaded engine was reused */
    double cooldown_s; /* cooldown the worker did before it */
    const char *cooldown_note;
} wq_run_meta;

/* The coordinator's view of the campaign journal. */
typedef struct wq_journal {
    const lle_campaign_plan *p;
    const char *dir;
    const lle_campaign_opts *o;
    lle_campaign_summary *sum;
    lle_store *store;
    lle_journal_item *rows; /* sorted by (hash, cycle) */
    size_t n_rows;
    int lock_fd;
} wq_journal;

/* Lock the campaign, refuse a changed experiment set (unless accepted), sync
 * the journal, count what was done and store results a crash left complete
 * on disk — as lle_campaign_run() does before it runs anything. */
lle_status wq_journal_open(wq_journal *j, const lle_campaign_plan *p, const char *dir, const lle_campaign_opts *o,
                           lle_campaign_summary *sum, lle_error *err);
void wq_journal_close(wq_journal *j);

/* The row of plan item `item` (NULL when the journal lacks it). */
lle_journal_item *wq_journal_row(wq_journal *j, size_t item);
/* Pending, left running by a crash, or failed with retries left. */
bool wq_journal_runnable(wq_journal *j, size_t item);

/* State changes of plan item `item`, each committed on its own (the
 * in-memory row follows). */
lle_status wq_journal_running(wq_journal *j, size_t item, lle_error *err);
lle_status wq_journal_failed(wq_journal *j, size_t item, const char *why, lle_error *err);
lle_status wq_journal_pending(wq_journal *j, size_t item, lle_error *err);

/* A worker's result document, with its "campaign" block added: the result
 * id journaled, <id>.json written atomically, then the row stored and the
 * run marked done in one transaction. *id (64 bytes) gets the id. */
lle_status wq_journal_store(wq_journal *j, size_t item, const char *doc, const wq_run_meta *m, char *id,
                            lle_error *err);

/* remaining and exhausted of the summary, from the journal. */
void wq_journal_finish(wq_journal *j);

/* The worker side: run what rank 0 hands out until it says STOP. */
lle_status wq_worker_run(const lle_campaign_plan *p, const lle_campaign_opts *o, const volatile int *stop,
                         lle_error *err);

/* The coordinator side (rank 0). */
lle_status wq_master_run(const lle_campaign_plan *p, const char *dir, const lle_campaign_opts *o,
                         const lle_campaign_events *ev, const volatile int *stop, lle_campaign_summary *sum,
                         lle_error *err);

#endif
