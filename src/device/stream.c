/* stream.c — the plain-C memory bandwidth microbenchmark of the calibration.
 * One buffer much larger than the last-level cache is split into per-thread
 * slices; worker threads (pinned to nothing: the OS places them as it places
 * llama.cpp's) start together on a barrier and the time from the start
 * barrier to the end barrier is one repetition.
 *
 *   read: memchr over the slice for a byte value the buffer does not hold —
 *         glibc's vectorised scan reads every byte, at a speed that does not
 *         depend on the flags this tool was compiled with. bytes = buffer.
 *   copy: memcpy from the first half of the buffer to the second (glibc uses
 *         non-temporal stores for copies this large). bytes = read + written
 *         = the buffer, as STREAM counts a copy.
 *
 * The buffer is written once before timing, so every page is really mapped. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "device/device_internal.h"

enum { MODE_EXIT, MODE_FILL, MODE_READ, MODE_COPY };

typedef struct stream_shared {
    pthread_barrier_t start, done;
    pthread_mutex_t gate_mu; /* the gate: workers wait until every thread started */
    pthread_cond_t gate_cv;
    int gate; /* 0 closed, 1 go, 2 abort (a thread failed to start) */
    int mode;
    char *buf;
    uint64_t bytes;
    int n_threads;
} stream_shared;

typedef struct stream_worker {
    stream_shared *sh;
    int index;
    pthread_t tid;
    size_t found; /* memchr hits: always 0; kept so the scan is not optimised out */
} stream_worker;

/* Slice [*off, *off + *len) of a region of `total` bytes for worker i of n,
 * aligned to 4 KiB. */
static void slice(uint64_t total, int i, int n, uint64_t *off, uint64_t *len)
{
    uint64_t per = (total / (uint64_t)n) & ~(uint64_t)4095;

    *off = per * (uint64_t)i;
    *len = i == n - 1 ? total - *off : per;
}

static void work(stream_worker *w)
{
    stream_shared *sh = w->sh;
    uint64_t off, len, half = sh->bytes / 2;

    switch (sh->mode) {
    case MODE_FILL:
        slice(sh->bytes, w->index, sh->n_threads, &off, &len);
        memset(sh->buf + off, 0x5a, len);
        break;
    case MODE_READ:
        slice(sh->bytes, w->index, sh->n_threads, &off, &len);
        w->found += memchr(sh->buf + off, 0, len) != NULL;
        break;
    case MODE_COPY:
        slice(half, w->index, sh->n_threads, &off, &len);
        memcpy(sh->buf + half + off, sh->buf + off, len);
        break;
    default:
        break;
    }
}

static void *worker_main(void *arg)
{
    stream_worker *w = arg;
    int gate;

    pthread_mutex_lock(&w->sh->gate_mu);
    while (w->sh->gate == 0)
        pthread_cond_wait(&w->sh->gate_cv, &w->sh->gate_mu);
    gate = w->sh->gate;
    pthread_mutex_unlock(&w->sh->gate_mu);
    while (gate == 1) {
        pthread_barrier_wait(&w->sh->start);
        if (w->sh->mode == MODE_EXIT)
            break;
        work(w);
        pthread_barrier_wait(&w->sh->done);
    }
    return NULL;
}

/* One pass of `mode` over the buffer; returns its duration in seconds. */
static double pass(stream_shared *sh, int mode)
{
    double t0, t1;

    sh->mode = mode;
    pthread_barrier_wait(&sh->start);
    t0 = lle_now_s();
    pthread_barrier_wait(&sh->done);
    t1 = lle_now_s();
    return t1 - t0;
}

/* One untimed warm-up pass then `reps` timed ones, as bytes/s. */
static lle_measure timed(stream_shared *sh, int mode, int reps, double *scratch)
{
    pass(sh, mode);
    for (int r = 0; r < reps; r++) {
        double s = pass(sh, mode);
        scratch[r] = s > 0.0 ? (double)sh->bytes / s : 0.0;
    }
    return lle_measure_of(scratch, reps);
}

/* Start every worker, then open the gate (1) — or, when one cannot be
 * started, abort (2): the started ones return without touching the barriers. */
static lle_status start_workers(stream_shared *sh, stream_worker *ws, int *n_started, lle_error *err)
{
    lle_status st = LLE_OK;

    for (int i = 0; i < sh->n_threads && st == LLE_OK; i++) {
        ws[i].sh = sh;
        ws[i].index = i;
        if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0)
            st = lle_fail(err, LLE_ERR_INTERNAL, "bandwidth benchmark: cannot start thread %d", i);
        else
            (*n_started)++;
    }
    pthread_mutex_lock(&sh->gate_mu);
    sh->gate = st == LLE_OK ? 1 : 2;
    pthread_cond_broadcast(&sh->gate_cv);
    pthread_mutex_unlock(&sh->gate_mu);
    return st;
}

lle_status lle_stream_bench(uint64_t bytes, int n_threads, int reps, lle_measure *read_bps, lle_measure *copy_bps,
                            lle_error *err)
{
    stream_shared sh;
    stream_worker *ws = calloc((size_t)n_threads, sizeof *ws);
    double *scratch = calloc((size_t)reps, sizeof *scratch);
    int n_started = 0;
    lle_status st = LLE_OK;

    memset(&sh, 0, sizeof sh);
    sh.bytes = bytes & ~(uint64_t)8191;
    sh.n_threads = n_threads;
    sh.buf = aligned_alloc(4096, (size_t)sh.bytes);
    if (ws == NULL || scratch == NULL || sh.buf == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "bandwidth benchmark: cannot allocate %llu bytes",
                      (unsigned long long)sh.bytes);
        goto cleanup;
    }
    pthread_barrier_init(&sh.start, NULL, (unsigned)n_threads + 1);
    pthread_barrier_init(&sh.done, NULL, (unsigned)n_threads + 1);
    pthread_mutex_init(&sh.gate_mu, NULL);
    pthread_cond_init(&sh.gate_cv, NULL);
    st = start_workers(&sh, ws, &n_started, err);
    if (st == LLE_OK) {
        pass(&sh, MODE_FILL);
        *read_bps = timed(&sh, MODE_READ, reps, scratch);
        *copy_bps = timed(&sh, MODE_COPY, reps, scratch);
        sh.mode = MODE_EXIT;
        pthread_barrier_wait(&sh.start);
    }
    for (int i = 0; i < n_started; i++)
        pthread_join(ws[i].tid, NULL);
    pthread_barrier_destroy(&sh.start);
    pthread_barrier_destroy(&sh.done);
    pthread_mutex_destroy(&sh.gate_mu);
    pthread_cond_destroy(&sh.gate_cv);
cleanup:
    free(sh.buf);
    free(scratch);
    free(ws);
    return st;
}
