/* campaign_master.c — rank 0 of an MPI campaign: a work queue. The runs the
 * journal says are left (plan order) wait in a queue; each idle worker gets
 * the next one (journaled "running" first), and a result coming back is
 * stored (campaign_journal.c) before that worker gets another. A failed run
 * with retries left goes to the back of the queue. Workers send a heartbeat
 * every second while running; one silent for wq_lost_after_s() is lost: its
 * run is marked failed (and queued again while retries are left) and the
 * campaign goes on with the others. An interrupt sends ABORT to every busy
 * worker, whose runs then come back interrupted and go back to pending, as
 * in one process; rerunning the command resumes. Rank 0 runs no experiment
 * itself and sleeps between polls, so it takes no core from the workers. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "mpi/mpi_internal.h"
#include "mpi/wq.h"

typedef enum { W_STARTING, W_IDLE, W_BUSY, W_GONE } wstate;

typedef struct wq_worker {
    wstate state;
    bool heartbeat, aborted;
    size_t item;
    double since, heard, pinged;
    int on_node, loads, reuses;
} wq_worker;

typedef struct master {
    wq_journal j;
    const lle_campaign_events *ev;
    const volatile int *stop;
    lle_campaign_summary *sum;
    const mpi_topo *t;
    wq_worker *w; /* by rank; w[0] unused */
    size_t *queue, q_head, q_len, q_cap;
    size_t ordinal, to_run;
    bool stopping;
    lle_status fatal;
    lle_error ferr;
    char digest[65];
    double lost_after;
} master;

static bool queue_push(master *m, size_t item)
{
    if (m->q_len == m->q_cap) {
        size_t cap = m->q_cap ? 2 * m->q_cap : 64;
        size_t *q = realloc(m->queue, cap * sizeof *q);
        if (q == NULL)
            return false;
        m->queue = q;
        m->q_cap = cap;
    }
    m->queue[m->q_len++] = item;
    return true;
}

static void set_fatal(master *m, lle_status st, const lle_error *e)
{
    if (m->fatal == LLE_OK) {
        m->fatal = st;
        m->ferr = *e;
    }
    m->stopping = true;
}

static void send_int(int rank, int tag, int v0, int v1)
{
    int v[2] = {v0, v1};

    MPI_Send(v, tag == WQ_TASK ? 2 : 1, MPI_INT, rank, tag, MPI_COMM_WORLD);
}

/* The CLI's events assume one run at a time: it hears each run as it ends,
 * started and ended together, so its lines name the right run. */
static void emit_end(master *m, size_t item, lle_status st, const char *id, double tok_s, const char *error,
                     double seconds)
{
    lle_run_result *stub = calloc(1, sizeof *stub);

    m->ordinal++;
    if (m->ev != NULL && m->ev->on_start != NULL)
        m->ev->on_start(m->ev->user, m->j.p, item, m->ordinal, m->to_run);
    if (stub != NULL && id != NULL) {
        lle_strlcpy(stub->id, id, sizeof stub->id);
        stub->output_tok_s = tok_s;
    }
    if (m->ev != NULL && m->ev->on_end != NULL && (st != LLE_OK || stub != NULL))
        m->ev->on_end(m->ev->user, m->j.p, item, st, stub, error, seconds);
    free(stub);
}

/* A run that failed (its own error or its rank lost): journaled failed and
 * queued again while retries are left. */
static void run_failed(master *m, size_t item, const char *why, double seconds)
{
    lle_error e = {0};
    const lle_journal_item *row;
    lle_status st = wq_journal_failed(&m->j, item, why, &e);

    m->sum->ran++;
    m->sum->failed++;
    if (st != LLE_OK) {
        set_fatal(m, st, &e);
        return;
    }
    emit_end(m, item, LLE_ERR_BACKEND, NULL, 0.0, why, seconds);
    if (m->j.o->fail_fast) {
        m->sum->stopped_on_failure = true;
        m->stopping = true;
        return;
    }
    row = wq_journal_row(&m->j, item);
    if (row != NULL && row->failures <= m->j.p->max_retries && queue_push(m, item))
        m->to_run++;
}

static void dispatch(master *m)
{
    lle_error e = {0};

    for (int r = 1; r < m->t->size && !m->stopping && m->q_head < m->q_len; r++) {
        size_t item;
        if (m->w[r].state != W_IDLE)
            continue;
        item = m->queue[m->q_head++];
        if (!wq_journal_runnable(&m->j, item)) {
            r--; /* already done or out of retries: the next one for this worker */
            continue;
        }
        if (wq_journal_running(&m->j, item, &e) != LLE_OK) {
            set_fatal(m, e.code, &e);
            return;
        }
        send_int(r, WQ_TASK, (int)item, wq_journal_row(&m->j, item)->attempts);
        m->w[r] = (wq_worker){W_BUSY, m->w[r].heartbeat, false,         item,          lle_now_s(), lle_now_s(),
                              0.0,    m->w[r].on_node,   m->w[r].loads, m->w[r].reuses};
    }
}

static void on_ready(master *m, int r, cJSON *msg)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(msg, "digest");

    if (m->w[r].state != W_STARTING)
        return;
    if (!cJSON_IsString(d) || strcmp(d->valuestring, m->digest) != 0) { /* before anything ran */
        lle_error e = {0};
        lle_fail(&e, LLE_ERR_INVALID,
                 "rank %d (%s) planned other runs than rank 0 (a different campaign file, "
                 "--set values or models on that node?); nothing was run",
                 r, m->t->hosts[r]);
        send_int(r, WQ_STOP, 1, 0);
        m->w[r].state = W_GONE;
        set_fatal(m, e.code, &e);
        return;
    }
    m->w[r].heartbeat = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "heartbeat"));
    m->w[r].state = W_IDLE;
    m->w[r].pinged = lle_now_s();
}

static double jnum(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A run came back: stored, back to pending (interrupted) or failed. */
static void on_result(master *m, int r, cJSON *msg)
{
    wq_worker *w = &m->w[r];
    size_t item = w->item;
    lle_status rs = (lle_status)(int)jnum(msg, "status", LLE_ERR_INTERNAL);
    wq_run_meta meta = {r,
                        m->t->hosts[r],
                        w->on_node,
                        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "reused")),
                        jnum(msg, "cooldown_s", 0.0),
                        jstr(msg, "cooldown_note")};
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(msg, "doc");
    double secs = jnum(msg, "seconds", 0.0);
    char id[64] = "", why[LLE_ERROR_MSG_MAX + 96];
    lle_error e = {0};

    if (w->state != W_BUSY || jnum(msg, "item", -1) != (double)item)
        return; /* from a rank already given up on: its run went elsewhere */
    w->state = W_IDLE;
    w->pinged = lle_now_s();
    w->loads = (int)jnum(msg, "loads", w->loads);
    w->reuses = (int)jnum(msg, "reuses", w->reuses);
    if (jstr(msg, "temperature_note")[0] != '\0' && m->sum->temperature_note[0] == '\0')
        lle_strlcpy(m->sum->temperature_note, jstr(msg, "temperature_note"), sizeof m->sum->temperature_note);
    if (rs == LLE_OK && cJSON_IsString(doc)) {
        cJSON *root = NULL;
        if (wq_journal_store(&m->j, item, doc->valuestring, &meta, id, &e) != LLE_OK) {
            set_fatal(m, e.code, &e);
            return;
        }
        m->sum->ran++;
        m->sum->done++;
        root = cJSON_Parse(doc->valuestring);
        emit_end(m, item, LLE_OK, id,
                 jnum(cJSON_GetObjectItemCaseSensitive(root, "metrics"), "output_tokens_per_s", 0.0), NULL, secs);
        cJSON_Delete(root);
    } else if (rs == LLE_ERR_INTERRUPTED) {
        m->sum->ran++;
        if (wq_journal_pending(&m->j, item, &e) != LLE_OK)
            set_fatal(m, e.code, &e);
        emit_end(m, item, rs, NULL, 0.0, jstr(msg, "error"), secs);
    } else {
        snprintf(why, sizeof why, "rank %d (%s): %s", r, m->t->hosts[r], jstr(msg, "error"));
        run_failed(m, item, why, secs);
    }
}

/* Read one message if there is one; false when there was none. */
static bool poll_one(master *m)
{
    MPI_Status s;
    int flag = 0, r, v = 0;
    char *text;
    cJSON *msg;

    if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &s) != MPI_SUCCESS || !flag)
        return false;
    r = s.MPI_SOURCE;
    if (s.MPI_TAG == WQ_HEARTBEAT) {
        MPI_Recv(&v, 1, MPI_INT, r, WQ_HEARTBEAT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (r > 0 && r < m->t->size && m->w[r].state == W_BUSY && (size_t)v == m->w[r].item)
            m->w[r].heard = lle_now_s();
        return true;
    }
    text = wq_recv_text(&s);
    msg = text != NULL ? cJSON_Parse(text) : NULL;
    if (r > 0 && r < m->t->size && msg != NULL) {
        if (s.MPI_TAG == WQ_READY)
            on_ready(m, r, msg);
        else if (s.MPI_TAG == WQ_RESULT)
            on_result(m, r, msg);
    }
    cJSON_Delete(msg);
    free(text);
    return true;
}

/* Lost ranks, pings to idle ones, ABORT to busy ones when stopping. */
static void check_workers(master *m)
{
    double now = lle_now_s();
    char why[256];

    for (int r = 1; r < m->t->size; r++) {
        wq_worker *w = &m->w[r];
        if (w->state == W_BUSY && m->stopping && !w->aborted) {
            send_int(r, WQ_ABORT, 0, 0);
            w->aborted = true;
        }
        if (w->state == W_BUSY && w->heartbeat && now - w->heard > m->lost_after) {
            snprintf(why, sizeof why, "rank %d (%s) was lost while running it (no heartbeat for %.0f s)", r,
                     m->t->hosts[r], now - w->heard);
            lle_logf(LLE_LOG_WARN, "%s", why);
            w->state = W_GONE;
            run_failed(m, w->item, why, now - w->since);
        } else if (w->state == W_STARTING && now - w->since > m->lost_after) {
            lle_logf(LLE_LOG_WARN, "rank %d (%s) never reported ready: not used", r, m->t->hosts[r]);
            w->state = W_GONE;
        } else if (w->state == W_IDLE && now - w->pinged >= WQ_HEARTBEAT_S) {
            send_int(r, WQ_PING, 0, 0);
            w->pinged = now;
        }
    }
}

/* Busy or starting workers left; usable ones (not gone) counted too. */
static void census(const master *m, int *busy, int *usable, int *starting)
{
    *busy = *usable = *starting = 0;
    for (int r = 1; r < m->t->size; r++) {
        *busy += m->w[r].state == W_BUSY;
        *starting += m->w[r].state == W_STARTING;
        *usable += m->w[r].state != W_GONE;
    }
}

static void loop(master *m)
{
    struct timespec ts = {0, 2000000}; /* 2 ms polls: a few hundred wake-ups a second */
    int busy, usable, starting;
    double checked = 0.0;
    lle_error e = {0};

    for (;;) {
        if (m->stop != NULL && *m->stop && !m->stopping) {
            m->stopping = true;
            lle_fail(&e, LLE_ERR_INTERRUPTED, "interrupted; the runs in progress were dropped");
        }
        census(m, &busy, &usable, &starting);
        if (!m->stopping && starting == 0) /* every worker has shown its plan first */
            dispatch(m);
        census(m, &busy, &usable, &starting);
        if (busy == 0 && (m->stopping || (starting == 0 && m->q_head >= m->q_len)))
            break;
        if (usable == 0) {
            lle_fail(&e, LLE_ERR_BACKEND, "no worker rank left (every rank > 0 was lost or refused); rerun to resume");
            set_fatal(m, e.code, &e);
            break;
        }
        if (lle_now_s() - checked >= 0.1) { /* all news first, so no live rank is taken for lost */
            while (poll_one(m))
                continue;
            check_workers(m);
            checked = lle_now_s();
        } else if (!poll_one(m)) {
            nanosleep(&ts, NULL);
        }
    }
    if (m->stop != NULL && *m->stop && m->fatal == LLE_OK)
        set_fatal(m, LLE_ERR_INTERRUPTED, &e);
}

static lle_status prepare(master *m, lle_error *err)
{
    double now = lle_now_s();

    m->w = calloc((size_t)m->t->size, sizeof *m->w);
    if (m->w == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    for (int r = 1; r < m->t->size; r++) {
        int idx = 0;
        m->w[r].state = W_STARTING;
        m->w[r].since = now;
        wq_workers_on_node(r, &m->w[r].on_node, &idx);
    }
    for (size_t i = 0; i < m->j.p->n_items; i++) {
        if (!wq_journal_runnable(&m->j, i))
            continue;
        if (!queue_push(m, i))
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        m->to_run++;
    }
    return LLE_OK;
}

lle_status wq_master_run(const lle_campaign_plan *p, const char *dir, const lle_campaign_opts *o,
                         const lle_campaign_events *ev, const volatile int *stop, lle_campaign_summary *sum,
                         lle_error *err)
{
    master m;
    lle_status st;

    memset(&m, 0, sizeof m);
    m.ev = ev;
    m.stop = stop;
    m.sum = sum;
    m.t = mpi_topo_get();
    m.lost_after = wq_lost_after_s();
    wq_plan_digest(p, m.digest);
    sum->total = p->n_items;
    st = wq_journal_open(&m.j, p, dir, o, sum, err);
    if (st == LLE_OK)
        st = prepare(&m, err);
    if (st == LLE_OK) {
        loop(&m);
        st = m.fatal;
        if (st != LLE_OK && err != NULL)
            *err = m.ferr;
    }
    for (int r = 1; r < m.t->size; r++) /* every rank, even one given up on: it may still be alive */
        send_int(r, WQ_STOP, 0, 0);
    for (int r = 1; m.w != NULL && r < m.t->size; r++) {
        sum->engine_loads += m.w[r].loads;
        sum->engine_reuses += m.w[r].reuses;
    }
    wq_journal_finish(&m.j);
    wq_journal_close(&m.j);
    free(m.w);
    free(m.queue);
    return st;
}

lle_status lle_cluster_run_campaign(const lle_campaign_plan *p, const char *results_dir, const lle_campaign_opts *o,
                                    const lle_campaign_events *ev, const volatile int *stop,
                                    lle_campaign_summary *summary, lle_error *err)
{
    const mpi_topo *t = mpi_topo_get();

    memset(summary, 0, sizeof *summary);
    if (t == NULL)
        return lle_fail(err, LLE_ERR_INTERNAL, "lle_cluster_run_campaign() before lle_cluster_init()");
    if (t->size == 1)
        return lle_campaign_run(p, results_dir, o, ev, stop, summary, err);
    if (t->rank == 0)
        return wq_master_run(p, results_dir, o, ev, stop, summary, err);
    return wq_worker_run(p, o, stop, err);
}
