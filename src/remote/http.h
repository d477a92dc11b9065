/* http.h — the transport of the remote engine: one libcurl multi handle driven
 * by one thread through epoll (curl's socket interface) and a timerfd, so
 * thousands of concurrent transfers cost one wake-up per readable socket, and
 * deadlines (scheduled sends, curl's timers) are met to the microsecond.
 *
 * A transfer (lle_xfer) is caller-owned memory the driver fills in: bytes of
 * the response body go to ops->on_body as they arrive, with the monotonic time
 * they were read; when the transfer ends (success, failure, a timeout of ours,
 * or an abort) ops->on_done is called exactly once with cls/http_status/error
 * set. Timeouts: connect and total through curl; first byte, idle (no byte)
 * and trickle (bytes but no complete event, see lle_xfer.t_last_event) by a
 * sweep of the driver every few milliseconds. Every transfer thus ends within
 * its total timeout.
 *
 * Ownership: lle_http_open() returns a driver the caller frees with
 * lle_http_close() (which aborts what is still running, without callbacks).
 * The request strings passed to lle_http_start() are copied or must outlive
 * the transfer as documented on lle_http_req. Not thread-safe: one thread. */
#ifndef LLE_REMOTE_HTTP_H
#define LLE_REMOTE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lle/error.h"
#include "lle/remote.h"

struct curl_slist;

typedef struct lle_http lle_http;
typedef struct lle_xfer lle_xfer;

typedef struct lle_xfer_ops {
    /* Response body bytes (after the headers), read at monotonic time t. Return
     * LLE_RC_OK to continue, another class to abort the transfer with it (set
     * x->error first). */
    lle_remote_class (*on_body)(lle_xfer *x, const char *buf, size_t len, double t);
    /* The transfer ended at time t; x->cls, x->http_status and x->error are final. */
    void (*on_done)(lle_xfer *x, double t);
} lle_xfer_ops;

typedef struct lle_http_req {
    const char *url;                  /* copied by curl */
    const char *body;                 /* POST body, NULL: GET; must live until on_done */
    const struct curl_slist *headers; /* must live until on_done; NULL: none */
    bool tls_verify;
    const char *ca_file; /* copied by curl; NULL: system store */
    double connect_timeout_s, first_byte_timeout_s, idle_timeout_s, total_timeout_s;
} lle_http_req;

struct lle_xfer {
    /* set by the caller before lle_http_start */
    const lle_xfer_ops *ops;
    void *user;
    /* filled by the driver */
    double t_start;      /* lle_http_start() */
    double t_first_byte; /* first header byte; < 0 before */
    double t_last_byte;
    double t_last_event; /* the caller updates it when a body event completes */
    int http_status;
    lle_remote_class cls;
    char error[256];
    /* driver state */
    void *easy;
    char curl_err[256]; /* CURL_ERROR_SIZE */
    lle_http *h;
    lle_xfer *prev, *next;
    double first_byte_timeout_s, idle_timeout_s, total_timeout_s;
    bool active;
};

lle_status lle_http_open(lle_http **out, lle_error *err);
void lle_http_close(lle_http *h);

/* Start a transfer. On failure nothing is running and on_done is not called. */
lle_status lle_http_start(lle_http *h, lle_xfer *x, const lle_http_req *req, lle_error *err);

/* Wait for and process network events until monotonic time `until` (or at
 * most 50 ms, so callers can poll a stop flag). Completed transfers get their
 * on_done call from inside. Returns the number of transfers that ended. */
int lle_http_poll(lle_http *h, double until);

/* End a running transfer now with class `cls` and message `msg` (on_done is
 * called before this returns). Not from inside an ops callback. */
void lle_http_abort(lle_http *h, lle_xfer *x, lle_remote_class cls, const char *msg);

/* End every running transfer with class `cls` (see lle_http_abort). */
void lle_http_abort_all(lle_http *h, lle_remote_class cls, const char *msg);

/* Transfers running. */
size_t lle_http_active(const lle_http *h);

/* Copy `src` into `dst` (size bytes) with every occurrence of `secret`
 * (when non-empty) replaced by "[REDACTED]". */
void lle_redact(char *dst, size_t size, const char *src, const char *secret);

#endif
