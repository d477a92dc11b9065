/* campaign_worker.c — a rank > 0 of an MPI campaign: it says READY (with a
 * digest of its plan, so rank 0 can refuse a rank that planned differently),
 * then runs every run rank 0 hands it — cooldown first when it ran one
 * before, its share of the node (threads = cores / workers on the node when
 * the run does not set them; one GPU each when several workers share a
 * node's GPUs), the model kept loaded between runs — and sends back the
 * result document. While a run goes, a heartbeat thread tells rank 0 every
 * second that this rank is alive and listens for ABORT (the only MPI calls
 * then: the main thread is inside the runner, so MPI_THREAD_SERIALIZED
 * suffices). Idle, it waits for rank 0 with a timeout: a coordinator that
 * disappeared does not leave it waiting forever. It never opens the results
 * database. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign/campaign_internal.h"
#include "campaign/killpoint.h"
#include "common/util.h"
#include "mpi/mpi_internal.h"
#include "mpi/wq.h"

typedef struct worker {
    const lle_campaign_plan *p;
    const lle_campaign_opts *o;
    const volatile int *cli_stop;
    volatile int stop; /* what the runner polls: the CLI's stop or rank 0's ABORT */
    lle_run_session *session;
    bool ran_one, heartbeat;
    int on_node, index; /* workers on this node, and this one's position */
    double cooldown_s;  /* done before the current run */
    char cooldown_note[256], temperature_note[256];
    pthread_t hb;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool hb_quit;
    int hb_item;
} worker;

static void *heartbeat_main(void *arg)
{
    worker *w = arg;
    struct timespec until;
    int flag = 0, dummy;

    pthread_mutex_lock(&w->mu);
    while (!w->hb_quit) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)WQ_HEARTBEAT_S;
        pthread_cond_timedwait(&w->cv, &w->mu, &until);
        if (w->hb_quit)
            break;
        MPI_Send(&w->hb_item, 1, MPI_INT, 0, WQ_HEARTBEAT, MPI_COMM_WORLD);
        if (MPI_Iprobe(0, WQ_ABORT, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag) {
            MPI_Recv(&dummy, 1, MPI_INT, 0, WQ_ABORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            w->stop = 1;
        }
        if (w->cli_stop != NULL && *w->cli_stop)
            w->stop = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static bool heartbeat_start(worker *w, int item)
{
    w->hb_quit = false;
    w->hb_item = item;
    return w->heartbeat && pthread_create(&w->hb, NULL, heartbeat_main, w) == 0;
}

static void heartbeat_stop(worker *w, bool started)
{
    if (!started)
        return;
    pthread_mutex_lock(&w->mu);
    w->hb_quit = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->hb, NULL);
}

/* Send to rank 0 without blocking forever: a large message waits for rank 0
 * to receive it, and a rank 0 that died never will. */
static lle_status send_json(cJSON *o, int tag, lle_error *err)
{
    char *text = cJSON_PrintUnformatted(o);
    size_t len = text != NULL ? strlen(text) : 0;
    double t0 = lle_now_s(), limit = wq_lost_after_s();
    struct timespec ts = {0, 1000000};
    MPI_Request req;
    int done = 0, rc;
    lle_status st = LLE_OK;

    if (text == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (len > (size_t)INT32_MAX) {
        st = lle_fail(err, LLE_ERR_INVALID, "a result over 2 GiB cannot be sent to rank 0");
        goto cleanup;
    }
    /* polled to completion by MPI_Test, or freed on timeout: no MPI_Wait by design */
    // NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker)
    rc = MPI_Isend(text, (int)len, MPI_CHAR, 0, tag, MPI_COMM_WORLD, &req);
    while (rc == MPI_SUCCESS && !done) {
        rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (rc == MPI_SUCCESS && !done && lle_now_s() - t0 > limit) {
            st = lle_fail(err, LLE_ERR_BACKEND, "rank 0 took nothing for %.0f s: the coordinator is gone", limit);
            MPI_Request_free(&req);
            text = NULL; /* the abandoned send may still read it: leave it, the process is about to end */
            goto cleanup;
        }
        if (rc == MPI_SUCCESS && !done)
            nanosleep(&ts, NULL);
    }
    if (rc != MPI_SUCCESS)
        st = lle_fail(err, LLE_ERR_BACKEND, "MPI: sending to rank 0 failed");
    // NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker)
cleanup:
    free(text);
    return st;
}

/* Between runs, as the one-process runner does: seconds, then temperature. */
static lle_status cool_down(worker *w, lle_error *err)
{
    lle_status st = LLE_OK;
    bool reached = false;
    double last = 0.0;

    w->cooldown_s = 0.0;
    w->cooldown_note[0] = '\0';
    if (!w->ran_one)
        return LLE_OK;
    if (w->p->cooldown_s > 0.0) {
        st = cmp_sleep(w->p->cooldown_s, w->cli_stop, err);
        w->cooldown_s = w->p->cooldown_s;
    }
    if (st != LLE_OK || w->o->cooldown_temp_c <= 0.0)
        return st;
    if (w->o->temperature == NULL || w->o->temperature->read == NULL) {
        snprintf(w->temperature_note, sizeof w->temperature_note,
                 "cooldown until below %.1f °C unavailable: no temperature reading source in this build",
                 w->o->cooldown_temp_c);
        lle_strlcpy(w->cooldown_note, w->temperature_note, sizeof w->cooldown_note);
        return LLE_OK;
    }
    st = cmp_cooldown_temperature(w->o->temperature, w->o->cooldown_temp_c, w->o->cooldown_timeout_s, w->cli_stop, NULL,
                                  NULL, &reached, &last, err);
    if (st == LLE_OK)
        snprintf(w->cooldown_note, sizeof w->cooldown_note, "%s %.1f °C (threshold %.1f °C)",
                 reached ? "temperature reached" : "temperature wait timed out at", last, w->o->cooldown_temp_c);
    return st;
}

/* The run's configuration with this worker's share of the node. */
static lle_status share_of_node(const worker *w, lle_run_config *cfg, lle_error *err)
{
    const mpi_topo *t = mpi_topo_get();
    mpi_topo mine = *t;
    int gpu = -1;

    mine.local_rank = w->index;
    mine.local_size = w->on_node;
    return mpi_plan_rank(&mine, lle_cpu_count(), cfg->n_gpu_layers != 0 ? mpi_gpu_count() : 0, cfg, &gpu, err);
}

static cJSON *result_message(const worker *w, int item, lle_status rs, const lle_error *re, const lle_run_result *r,
                             bool reused, double seconds)
{
    cJSON *o = cJSON_CreateObject();
    char *doc = rs == LLE_OK && r != NULL ? lle_run_result_to_json(r, true) : NULL;
    int loads = 0, reuses = 0;

    lle_run_session_counts(w->session, &loads, &reuses);
    cJSON_AddNumberToObject(o, "item", item);
    cJSON_AddNumberToObject(o, "status", rs == LLE_OK && doc == NULL ? LLE_ERR_NOMEM : rs);
    cJSON_AddStringToObject(o, "error", rs == LLE_OK ? (doc == NULL ? "out of memory" : "") : re->msg);
    if (doc != NULL)
        cJSON_AddStringToObject(o, "doc", doc);
    cJSON_AddBoolToObject(o, "reused", reused);
    cJSON_AddNumberToObject(o, "cooldown_s", w->cooldown_s);
    cJSON_AddStringToObject(o, "cooldown_note", w->cooldown_note);
    cJSON_AddStringToObject(o, "temperature_note", w->temperature_note);
    cJSON_AddNumberToObject(o, "seconds", seconds);
    cJSON_AddNumberToObject(o, "loads", loads);
    cJSON_AddNumberToObject(o, "reuses", reuses);
    free(doc);
    return o;
}

static lle_status run_task(worker *w, int item, lle_error *err)
{
    lle_run_config cfg;
    lle_run_result *r = NULL;
    lle_error re = {0};
    lle_status rs = LLE_OK, st;
    bool reused = false, hb;
    double t0;
    cJSON *msg;

    if (item < 0 || (size_t)item >= w->p->n_items)
        return lle_fail(err, LLE_ERR_INTERNAL, "rank 0 sent run %d of a %zu-run plan", item + 1, w->p->n_items);
    lle_killpoint("mpi-task");
    w->stop = 0;
    cfg = w->p->experiments[w->p->items[item].experiment].run;
    rs = cool_down(w, &re);
    if (rs == LLE_OK)
        rs = share_of_node(w, &cfg, &re);
    t0 = lle_now_s();
    hb = heartbeat_start(w, item);
    if (rs == LLE_OK)
        rs = lle_run_session_run(w->session, &cfg, NULL, NULL, hb ? &w->stop : w->cli_stop, &r, &reused, &re);
    heartbeat_stop(w, hb);
    w->ran_one = true;
    msg = result_message(w, item, rs, &re, r, reused, lle_now_s() - t0);
    lle_run_result_free(r);
    st = msg != NULL ? send_json(msg, WQ_RESULT, err) : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    cJSON_Delete(msg);
    return st;
}

/* Rank 0's next word; *tag and *val say what it was. Before its first word
 * (it may be syncing or recovering a large journal) there is no limit; after
 * it, rank 0 pings every second, so silence beyond the limit means it is gone. */
static lle_status wait_master(double limit, bool contacted, int *tag, int val[2], lle_error *err)
{
    double since = lle_now_s();
    struct timespec ts = {0, 1000000}; /* polls only while idle between runs */
    MPI_Status s;
    int flag = 0, count = 0;

    for (;;) {
        if (MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &s) != MPI_SUCCESS)
            return lle_fail(err, LLE_ERR_BACKEND, "MPI: waiting for rank 0 failed");
        if (flag)
            break;
        if (contacted && lle_now_s() - since > limit)
            return lle_fail(err, LLE_ERR_BACKEND, "rank 0 said nothing for %.0f s: the coordinator is gone", limit);
        nanosleep(&ts, NULL);
    }
    MPI_Get_count(&s, MPI_INT, &count);
    val[0] = val[1] = -1;
    if (count < 0 || count > 2) /* not ours: drop it */
        count = 0;
    MPI_Recv(val, count, MPI_INT, 0, s.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *tag = s.MPI_TAG;
    return LLE_OK;
}

static lle_status say_ready(worker *w, lle_error *err)
{
    cJSON *o = cJSON_CreateObject();
    char digest[65];
    lle_status st;

    wq_plan_digest(w->p, digest);
    cJSON_AddStringToObject(o, "digest", digest);
    cJSON_AddBoolToObject(o, "heartbeat", w->heartbeat);
    st = send_json(o, WQ_READY, err);
    cJSON_Delete(o);
    return st;
}

lle_status wq_worker_run(const lle_campaign_plan *p, const lle_campaign_opts *o, const volatile int *stop,
                         lle_error *err)
{
    worker w;
    int provided = MPI_THREAD_SINGLE, tag = 0, val[2];
    double limit = wq_lost_after_s() + 5.0 * WQ_HEARTBEAT_S; /* some slack over rank 0's pings */
    bool contacted = false;
    lle_status st;

    memset(&w, 0, sizeof w);
    w.p = p;
    w.o = o;
    w.cli_stop = stop;
    MPI_Query_thread(&provided);
    w.heartbeat = provided >= MPI_THREAD_SERIALIZED;
    wq_workers_on_node(lle_cluster_rank(), &w.on_node, &w.index);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    st = lle_run_session_open(&w.session, err);
    if (st == LLE_OK)
        st = say_ready(&w, err);
    while (st == LLE_OK) {
        st = wait_master(limit, contacted, &tag, val, err);
        contacted = true;
        if (st == LLE_OK && tag == WQ_STOP && val[0] == 1)
            st = lle_fail(err, LLE_ERR_INVALID,
                          "rank %d planned other runs than rank 0 (a different campaign "
                          "file, flags or models on this node?)",
                          lle_cluster_rank());
        if (st != LLE_OK || tag == WQ_STOP)
            break;
        if (tag == WQ_TASK)
            st = run_task(&w, val[0], err);
        /* PING keeps the wait alive; an ABORT for a run already over is moot */
    }
    if (st != LLE_OK && st != LLE_ERR_INVALID && st != LLE_ERR_INTERRUPTED) /* rank 0 cannot report these */
        lle_logf(LLE_LOG_ERROR, "rank %d: %s", lle_cluster_rank(), err != NULL ? err->msg : lle_status_name(st));
    lle_run_session_close(w.session);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return st;
}
