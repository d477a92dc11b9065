/* http.c — the libcurl multi driver of http.h: curl's socket interface on an
 * epoll set, one timerfd for the next deadline (microsecond precision), a
 * periodic sweep for the timeouts curl does not know (first byte, idle,
 * trickle), classification of every ending into an lle_remote_class, and a
 * pool of easy handles so a new request costs no allocation. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/util.h"
#include "remote/http.h"

#define SWEEP_INTERVAL_S 0.005 /* at most one timeout sweep per interval */
#define MAX_WAIT_S       0.05
#define POOL_MAX         4096
#define MAX_EVENTS       256

struct lle_http {
    CURLM *multi;
    int ep, tfd;
    double curl_deadline; /* < 0: curl wants no timer */
    lle_xfer *head;       /* running transfers */
    size_t n_active;
    double next_sweep; /* no timeout of ours can fire before this */
    double armed;      /* when the timerfd fires; < 0: not armed */
    CURL **pool;
    size_t n_pool;
};

static double earliest_deadline(const lle_xfer *x, double now);

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init = CURLE_FAILED_INIT;

static void curl_once(void)
{
    g_curl_init = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void lle_redact(char *dst, size_t size, const char *src, const char *secret)
{
    size_t o = 0, sl = secret != NULL ? strlen(secret) : 0;

    if (size == 0)
        return;
    while (*src != '\0' && o + 1 < size) {
        if (sl > 0 && strncmp(src, secret, sl) == 0) {
            o += (size_t)snprintf(dst + o, size - o, "[REDACTED]");
            o = o < size ? o : size - 1;
            src += sl;
        } else {
            dst[o++] = *src++;
        }
    }
    dst[o] = '\0';
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    lle_http *h = userp;
    struct epoll_event ev;

    (void)e;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(h->ep, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign(h->multi, s, NULL);
        return 0;
    }
    memset(&ev, 0, sizeof ev);
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    ev.data.fd = s;
    if (socketp == NULL) {
        if (epoll_ctl(h->ep, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
            epoll_ctl(h->ep, EPOLL_CTL_MOD, s, &ev);
        curl_multi_assign(h->multi, s, h);
    } else if (epoll_ctl(h->ep, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) {
        epoll_ctl(h->ep, EPOLL_CTL_ADD, s, &ev);
    }
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    lle_http *h = userp;

    (void)m;
    h->curl_deadline = timeout_ms < 0 ? -1.0 : lle_now_s() + (double)timeout_ms / 1000.0;
    return 0;
}

lle_status lle_http_open(lle_http **out, lle_error *err)
{
    lle_http *h = NULL;
    struct epoll_event ev;

    *out = NULL;
    pthread_once(&g_curl_once, curl_once);
    if (g_curl_init != CURLE_OK)
        return lle_fail(err, LLE_ERR_BACKEND, "libcurl initialisation failed: %s", curl_easy_strerror(g_curl_init));
    h = calloc(1, sizeof *h);
    if (h == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    h->ep = epoll_create1(EPOLL_CLOEXEC);
    h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    h->multi = curl_multi_init();
    h->pool = calloc(POOL_MAX, sizeof *h->pool);
    h->curl_deadline = -1.0;
    h->armed = -1.0;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = h->tfd;
    if (h->ep < 0 || h->tfd < 0 || h->multi == NULL || h->pool == NULL ||
        epoll_ctl(h->ep, EPOLL_CTL_ADD, h->tfd, &ev) != 0) {
        lle_http_close(h);
        return lle_fail(err, LLE_ERR_IO, "cannot set up the event loop: %s", strerror(errno));
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    *out = h;
    return LLE_OK;
}

static void unlink_xfer(lle_http *h, lle_xfer *x)
{
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        h->head = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    x->active = false;
    h->n_active--;
}

/* Detach the easy handle from the multi and keep it for reuse. */
static void release_easy(lle_http *h, lle_xfer *x)
{
    CURL *e = x->easy;

    curl_multi_remove_handle(h->multi, e);
    x->easy = NULL;
    if (h->n_pool < POOL_MAX) {
        curl_easy_reset(e);
        h->pool[h->n_pool++] = e;
    } else {
        curl_easy_cleanup(e);
    }
}

void lle_http_close(lle_http *h)
{
    if (h == NULL)
        return;
    while (h->head != NULL) {
        lle_xfer *x = h->head;
        unlink_xfer(h, x);
        curl_multi_remove_handle(h->multi, x->easy);
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    for (size_t i = 0; i < h->n_pool; i++)
        curl_easy_cleanup(h->pool[i]);
    free(h->pool);
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    if (h->ep >= 0)
        close(h->ep);
    if (h->tfd >= 0)
        close(h->tfd);
    free(h);
}

static size_t header_cb(char *buf, size_t size, size_t n, void *user)
{
    lle_xfer *x = user;
    double t = lle_now_s();

    (void)buf;
    if (x->t_first_byte < 0)
        x->t_first_byte = t;
    x->t_last_byte = t;
    x->t_last_event = t;
    return size * n;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *user)
{
    lle_xfer *x = user;
    double t = lle_now_s();
    lle_remote_class c;

    if (x->t_first_byte < 0)
        x->t_first_byte = t;
    x->t_last_byte = t;
    if (x->http_status == 0) {
        long code = 0;
        curl_easy_getinfo((CURL *)x->easy, CURLINFO_RESPONSE_CODE, &code);
        x->http_status = (int)code;
    }
    c = x->ops->on_body(x, buf, size * n, t);
    if (c != LLE_RC_OK) {
        x->cls = c;
        return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
    }
    return size * n;
}

static void set_options(CURL *e, lle_xfer *x, const lle_http_req *r)
{
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(r->connect_timeout_s * 1000.0 + 0.5));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(r->total_timeout_s * 1000.0 + 0.5));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r->tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r->tls_verify ? 2L : 0L);
    if (r->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    if (r->headers != NULL)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (r->body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
}

lle_status lle_http_start(lle_http *h, lle_xfer *x, const lle_http_req *req, lle_error *err)
{
    CURL *e = h->n_pool > 0 ? h->pool[--h->n_pool] : curl_easy_init();
    CURLMcode mc;

    if (e == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "cannot create a transfer (libcurl)");
    x->easy = e;
    x->h = h;
    x->t_start = lle_now_s();
    x->t_first_byte = -1.0;
    x->t_last_byte = x->t_last_event = x->t_start;
    x->http_status = 0;
    x->cls = LLE_RC_OK;
    x->error[0] = '\0';
    x->curl_err[0] = '\0';
    x->first_byte_timeout_s = req->first_byte_timeout_s;
    x->idle_timeout_s = req->idle_timeout_s;
    x->total_timeout_s = req->total_timeout_s;
    set_options(e, x, req);
    mc = curl_multi_add_handle(h->multi, e);
    if (mc != CURLM_OK) {
        curl_easy_cleanup(e);
        x->easy = NULL;
        return lle_fail(err, LLE_ERR_BACKEND, "cannot start a transfer: %s", curl_multi_strerror(mc));
    }
    x->active = true;
    if (earliest_deadline(x, x->t_start) < h->next_sweep || h->n_active == 0)
        h->next_sweep = earliest_deadline(x, x->t_start);
    x->prev = NULL;
    x->next = h->head;
    if (h->head != NULL)
        h->head->prev = x;
    h->head = x;
    h->n_active++;
    return LLE_OK;
}

size_t lle_http_active(const lle_http *h)
{
    return h->n_active;
}

static bool is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
        return true;
    default:
        return false;
    }
}

static lle_remote_class class_of(CURL *e, CURLcode rc, const char *msg)
{
    long os_errno = 0;
    curl_off_t connect_us = 0, app_us = 0;
    const char *scheme = NULL;

    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_COULDNT_CONNECT)
        return os_errno == ECONNREFUSED || strstr(msg, "refused") != NULL ? LLE_RC_CONNECTION_REFUSED
                                                                          : LLE_RC_TRANSPORT;
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY)
        return LLE_RC_DNS;
    if (rc == CURLE_OPERATION_TIMEDOUT) { /* which phase: TCP connect, TLS handshake, or later */
        curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us);
        curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &app_us);
        curl_easy_getinfo(e, CURLINFO_SCHEME, &scheme);
        if (connect_us == 0)
            return LLE_RC_CONNECT_TIMEOUT;
        return scheme != NULL && strcasecmp(scheme, "https") == 0 && app_us == 0 ? LLE_RC_TLS : LLE_RC_TOTAL_TIMEOUT;
    }
    if (is_tls_error(rc))
        return LLE_RC_TLS;
    if (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR)
        return os_errno == ECONNRESET || strstr(msg, "reset") != NULL ? LLE_RC_CONNECTION_RESET : LLE_RC_TRANSPORT;
    if (rc == CURLE_PARTIAL_FILE || rc == CURLE_GOT_NOTHING)
        return LLE_RC_STREAM_CUT;
    return LLE_RC_TRANSPORT;
}

static lle_remote_class class_of_status(int status)
{
    if (status >= 200 && status < 300)
        return LLE_RC_OK;
    if (status >= 400 && status < 500)
        return LLE_RC_HTTP_4XX;
    if (status >= 500 && status < 600)
        return LLE_RC_HTTP_5XX;
    return LLE_RC_HTTP_OTHER;
}

/* Classify a transfer curl finished with `rc`, then hand it back. */
static void finish(lle_http *h, lle_xfer *x, CURLcode rc)
{
    char msg[256];
    long code = 0;

    curl_easy_getinfo((CURL *)x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code > 0)
        x->http_status = (int)code;
    if (x->cls == LLE_RC_OK && rc == CURLE_OK) {
        x->cls = class_of_status(x->http_status);
        if (x->cls != LLE_RC_OK)
            snprintf(x->error, sizeof x->error, "HTTP %d", x->http_status);
    } else if (x->cls == LLE_RC_OK) {
        snprintf(msg, sizeof msg, "%.48s%s%.200s", curl_easy_strerror(rc), x->curl_err[0] ? ": " : "", x->curl_err);
        x->cls = class_of((CURL *)x->easy, rc, msg);
        lle_strlcpy(x->error, msg, sizeof x->error);
    }
    unlink_xfer(h, x);
    release_easy(h, x);
    x->ops->on_done(x, lle_now_s());
}

void lle_http_abort(lle_http *h, lle_xfer *x, lle_remote_class cls, const char *msg)
{
    if (!x->active)
        return;
    x->cls = cls;
    lle_strlcpy(x->error, msg, sizeof x->error);
    unlink_xfer(h, x);
    release_easy(h, x);
    x->ops->on_done(x, lle_now_s());
}

void lle_http_abort_all(lle_http *h, lle_remote_class cls, const char *msg)
{
    while (h->head != NULL)
        lle_http_abort(h, h->head, cls, msg);
}

/* The earliest moment one of x's own timeouts could fire, as seen at `now`
 * (byte times only move forward, so this stays a lower bound; before the
 * first byte, an idle deadline can come no sooner than now + idle). */
static double earliest_deadline(const lle_xfer *x, double now)
{
    double d = x->total_timeout_s > 0 ? x->t_start + x->total_timeout_s + 0.05 : 1e300;
    double last = x->t_first_byte < 0 ? now : x->t_last_byte < x->t_last_event ? x->t_last_byte : x->t_last_event;

    if (x->t_first_byte < 0 && x->first_byte_timeout_s > 0 && x->t_start + x->first_byte_timeout_s < d)
        d = x->t_start + x->first_byte_timeout_s;
    if (x->idle_timeout_s > 0 && last + x->idle_timeout_s < d)
        d = last + x->idle_timeout_s;
    return d;
}

/* Our own timeouts: first byte, idle, trickle, and total as a backstop. Also
 * finds when the next sweep is due, so an idle loop does not wake for it. */
static int sweep(lle_http *h, double now)
{
    lle_xfer *x = h->head;
    char msg[160];
    int n = 0;
    double next = 1e300;

    h->next_sweep = 1e300; /* transfers started from on_done below lower it */
    while (x != NULL) {
        lle_xfer *nx = x->next;
        lle_remote_class c = LLE_RC_OK;
        double lim = 0.0;
        if (x->t_first_byte < 0 && x->first_byte_timeout_s > 0 && now - x->t_start > x->first_byte_timeout_s)
            c = LLE_RC_FIRST_BYTE_TIMEOUT, lim = x->first_byte_timeout_s;
        else if (x->t_first_byte >= 0 && x->idle_timeout_s > 0 && now - x->t_last_byte > x->idle_timeout_s)
            c = LLE_RC_IDLE_TIMEOUT, lim = x->idle_timeout_s;
        else if (x->t_first_byte >= 0 && x->idle_timeout_s > 0 && now - x->t_last_event > x->idle_timeout_s)
            c = LLE_RC_TRICKLE_TIMEOUT, lim = x->idle_timeout_s;
        else if (x->total_timeout_s > 0 && now - x->t_start > x->total_timeout_s + 0.05)
            c = LLE_RC_TOTAL_TIMEOUT, lim = x->total_timeout_s;
        if (c != LLE_RC_OK) {
            snprintf(msg, sizeof msg, "%s after %.3f s", lle_remote_class_name(c), lim);
            lle_http_abort(h, x, c, msg);
            n++;
        } else if (earliest_deadline(x, now) < next) {
            next = earliest_deadline(x, now);
        }
        x = nx;
    }
    next = next < h->next_sweep ? next : h->next_sweep;
    h->next_sweep = next > now + SWEEP_INTERVAL_S ? next : now + SWEEP_INTERVAL_S;
    return n;
}

static void arm_timer(lle_http *h, double when)
{
    struct itimerspec its;

    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)when;
    its.it_value.tv_nsec = (long)((when - (double)(time_t)when) * 1e9);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(h->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int drain_done(lle_http *h)
{
    CURLMsg *m;
    int left = 0, n = 0;

    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        lle_xfer *x = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x != NULL && x->active) {
            finish(h, x, m->data.result);
            n++;
        }
    }
    return n;
}

int lle_http_poll(lle_http *h, double until)
{
    struct epoll_event evs[MAX_EVENTS];
    double now = lle_now_s(), wake = until < now + MAX_WAIT_S ? until : now + MAX_WAIT_S;
    int n, running = 0, done = 0;

    if (h->curl_deadline >= 0 && h->curl_deadline < wake)
        wake = h->curl_deadline;
    if (h->n_active > 0 && h->next_sweep < wake)
        wake = h->next_sweep;
    if (wake > now && (h->armed < 0 || wake < h->armed)) { /* an earlier armed time only wakes us early */
        arm_timer(h, wake);
        h->armed = wake;
    }
    n = epoll_wait(h->ep, evs, MAX_EVENTS, wake > now ? -1 : 0);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd, flags = 0;
        if (fd == h->tfd) {
            uint64_t ticks;
            while (read(h->tfd, &ticks, sizeof ticks) > 0) {
            }
            h->armed = -1.0;
            continue;
        }
        flags |= (evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0;
        flags |= (evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0;
        flags |= (evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0;
        curl_multi_socket_action(h->multi, fd, flags, &running);
    }
    now = lle_now_s();
    if (h->curl_deadline >= 0 && now >= h->curl_deadline) {
        h->curl_deadline = -1.0;
        curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    done += drain_done(h);
    if (h->n_active > 0 && now >= h->next_sweep)
        done += sweep(h, now);
    return done;
}
