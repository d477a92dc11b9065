/* remote_run.h — the state of one remote run, shared by the loop
 * (remote_run.c) and the per-request stream handling (remote_request.c).
 * Internal to src/remote/.
 *
 * Ownership: rr_ctx owns everything it points to except cfg (the caller's)
 * and r until it is handed out. An rr_req is allocated by rr_send() and freed
 * when its transfer ends. */
#ifndef LLE_REMOTE_RUN_H
#define LLE_REMOTE_RUN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "remote/http.h"
#include "remote/oai.h"
#include "remote/remote_internal.h"
#include "remote/sse.h"
#include "run/run_internal.h"

typedef struct rr_ctx rr_ctx;

/* A scrape of the DCGM exporter at one window edge. */
typedef struct rr_scrape {
    lle_xfer x; /* first member */
    rr_ctx *ctx;
    lle_text body;
    bool started, done, ok;
    double t_mid, duration; /* monotonic midpoint of the request, its length */
    lle_dcgm_reading reading;
    char error[400];
} rr_scrape;

/* One request in flight. */
typedef struct rr_req {
    lle_xfer x; /* first member: the transfer callbacks cast back */
    rr_ctx *ctx;
    int slot; /* index in r->requests; -1: a warmup request */
    int user;
    double scheduled; /* monotonic */
    const lle_remote_item *item;
    char *body;
    lle_sse sse;
    lle_text out;      /* content text so far */
    lle_text raw;      /* error body, or the whole non-streamed body */
    size_t *chunk_end; /* end offset in out of each content chunk */
    double *chunk_t;   /* monotonic read time of each content chunk */
    int n_chunks, cap_chunks, n_empty;
    bool saw_done, saw_finish;
    int usage_in, usage_out;
    char finish[24];
    double t_read;         /* read time of the bytes being parsed */
    lle_remote_class fail; /* set by the event handler to abort */
    char fail_msg[200];
} rr_req;

struct rr_ctx {
    const lle_remote_config *cfg;
    lle_remote_result *r;
    lle_remote_workload w;
    lle_tokenizer *tok;
    lle_http *http;
    struct curl_slist *headers;
    char *key; /* the API key (wiped before it is freed) */
    cJSON *extra;
    char url[1100];
    bool chat, open_loop;
    const volatile int *stop;
    lle_remote_progress_fn progress;
    void *user;
    double t0, run_end, last_progress;
    int next; /* next measured item to send */
    int n_done;
    int target; /* closed loop: concurrency the window waits for */
    size_t measured_inflight, max_inflight;
    bool opened, closed, interrupted, warm_phase;
    double t_open, t_close; /* monotonic */
    int warm_next, warm_ok;
    char warm_first_err[320];
    uint64_t tokens_done;
    rr_scrape scrape[2];
};

/* Send one request (slot -1: warmup) scheduled at monotonic time `scheduled`. */
void rr_send(rr_ctx *c, const lle_remote_item *it, int slot, int user, double scheduled);
void rr_user_next(rr_ctx *c, int user, double now);
void rr_warm_next(rr_ctx *c, int user);
void rr_open_window(rr_ctx *c, double now);
void rr_close_window(rr_ctx *c, double now);

#endif
