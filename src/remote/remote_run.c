/* remote_run.c — the load generator and measurement loop of the `openai`
 * engine: resolves the configuration (API key from the environment, extra
 * body, tokenizer, workload), runs the warmup requests, then the measured
 * phase on one thread — closed loop (N users, each sending its next request
 * when the previous ends) or open loop (requests sent at their scheduled
 * arrivals whatever is in flight) — opening the measurement window when the
 * load reaches its target and closing it when the tail starts to drain,
 * scraping the DCGM exporter at both edges. Per-request stream handling
 * (SSE events, content chunks, usage) and record filling are in
 * remote_request.c. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/util.h"
#include "remote/remote_run.h"

static void scrape_done(lle_xfer *x, double t);

static lle_remote_class scrape_body(lle_xfer *x, const char *buf, size_t len, double t)
{
    rr_scrape *s = (rr_scrape *)x;

    (void)t;
    x->t_last_event = t;
    if (s->body.len + len > ((size_t)64 << 20)) {
        lle_strlcpy(x->error, "metrics response larger than 64 MiB", sizeof x->error);
        return LLE_RC_MALFORMED_EVENT;
    }
    return lle_text_append(&s->body, buf, len) == LLE_OK ? LLE_RC_OK : LLE_RC_TRANSPORT;
}

static const lle_xfer_ops SCRAPE_OPS = {scrape_body, scrape_done};

static void scrape_done(lle_xfer *x, double t)
{
    rr_scrape *s = (rr_scrape *)x;
    rr_ctx *c = s->ctx;
    lle_error e = {0};

    s->t_mid = (x->t_start + t) / 2.0;
    s->duration = t - x->t_start;
    s->done = true;
    if (x->cls != LLE_RC_OK)
        snprintf(s->error, sizeof s->error, "scraping %.200s failed (%s): %.150s", c->cfg->dcgm_url,
                 lle_remote_class_name(x->cls), x->error);
    else if (lle_dcgm_parse(s->body.s ? s->body.s : "", s->body.len, &s->reading, &e) != LLE_OK)
        snprintf(s->error, sizeof s->error, "%.200s: %.150s", c->cfg->dcgm_url, e.msg);
    else
        s->ok = true;
    lle_text_free(&s->body);
}

static void start_scrape(rr_ctx *c, int edge)
{
    rr_scrape *s = &c->scrape[edge];
    lle_http_req hr = {c->cfg->dcgm_url,
                       NULL,
                       NULL,
                       c->cfg->tls_verify,
                       c->cfg->ca_file,
                       c->cfg->dcgm_timeout_s,
                       c->cfg->dcgm_timeout_s,
                       c->cfg->dcgm_timeout_s,
                       c->cfg->dcgm_timeout_s};
    lle_error e = {0};

    if (c->cfg->dcgm_url == NULL || s->started)
        return;
    s->started = true;
    s->ctx = c;
    s->x.ops = &SCRAPE_OPS;
    if (lle_http_start(c->http, &s->x, &hr, &e) != LLE_OK) {
        s->done = true;
        snprintf(s->error, sizeof s->error, "cannot scrape %.200s: %.150s", c->cfg->dcgm_url, e.msg);
    }
}

void rr_open_window(rr_ctx *c, double now)
{
    if (c->opened)
        return;
    c->opened = true;
    c->t_open = now;
    if (c->cfg->on_window != NULL)
        c->cfg->on_window(c->cfg->on_window_user, 0, now);
    start_scrape(c, 0);
}

void rr_close_window(rr_ctx *c, double now)
{
    if (c->closed)
        return;
    rr_open_window(c, c->t0);
    c->closed = true;
    c->t_close = now;
    if (c->cfg->on_window != NULL)
        c->cfg->on_window(c->cfg->on_window_user, 1, now);
    start_scrape(c, 1);
}

/* Closed loop: user `u` sends its next request, or retires (closing the window). */
void rr_user_next(rr_ctx *c, int u, double now)
{
    bool more = c->next < c->w.n && !c->interrupted && !(c->cfg->duration_s > 0 && now - c->t0 >= c->cfg->duration_s);

    if (!more) {
        if (!c->interrupted) /* an interrupt closes the window itself, after aborting */
            rr_close_window(c, now);
        return;
    }
    rr_send(c, &c->w.items[c->next], c->next, u, now);
    c->next++;
    if (c->measured_inflight >= (size_t)c->target)
        rr_open_window(c, c->t0 + c->r->requests[c->next - 1].send_s);
}

static void report_progress(rr_ctx *c, bool force)
{
    double now = lle_now_s();

    if (c->progress == NULL || (!force && now - c->last_progress < 0.1))
        return;
    c->last_progress = now;
    c->progress(c->n_done, c->w.n, now > c->t0 ? (double)c->tokens_done / (now - c->t0) : 0.0, c->user);
}

static void interrupt(rr_ctx *c)
{
    double now = lle_now_s();

    c->interrupted = true;
    lle_http_abort_all(c->http, LLE_RC_INTERRUPTED, "interrupted");
    if (!c->warm_phase)
        rr_close_window(c, now); /* scrapes the close edge (bounded by the DCGM timeout) */
}

/* Open loop: send every request whose arrival is due (within the in-flight cap). */
static void dispatch_due(rr_ctx *c, double now)
{
    while (c->next < c->w.n && !c->interrupted && c->t0 + c->w.items[c->next].arrival_s <= now &&
           (c->cfg->max_inflight == 0 || c->measured_inflight < (size_t)c->cfg->max_inflight)) {
        const lle_remote_item *it = &c->w.items[c->next];
        double sent;
        rr_send(c, it, c->next, -1, c->t0 + it->arrival_s);
        sent = c->t0 + c->r->requests[c->next].send_s;
        c->next++;
        now = lle_now_s();
        if (c->next == 1)
            rr_open_window(c, sent);
        if (c->next == c->w.n && sent - c->t_open >= 1e-3)
            rr_close_window(c, sent);
    }
}

static lle_status run_measured(rr_ctx *c)
{
    c->t0 = lle_now_s();
    c->target = c->open_loop ? 0 : (c->cfg->concurrency < c->w.n ? c->cfg->concurrency : c->w.n);
    for (int u = 0; !c->open_loop && u < c->target; u++)
        rr_user_next(c, u, lle_now_s());
    for (;;) {
        double now = lle_now_s(), until = now + 0.05;
        if (c->stop != NULL && *c->stop && !c->interrupted)
            interrupt(c);
        if (c->open_loop)
            dispatch_due(c, now);
        if (c->open_loop && c->next == c->w.n && c->measured_inflight == 0)
            rr_close_window(c, lle_now_s()); /* a window of one instant closes when the tail drained */
        if ((c->next >= c->w.n || c->interrupted) && lle_http_active(c->http) == 0)
            break;
        if (c->open_loop && c->next < c->w.n && !c->interrupted)
            until = c->t0 + c->w.items[c->next].arrival_s;
        lle_http_poll(c->http, until);
        report_progress(c, false);
    }
    c->run_end = lle_now_s();
    report_progress(c, true);
    return c->interrupted ? LLE_ERR_INTERRUPTED : LLE_OK;
}

static lle_status run_warmup(rr_ctx *c, lle_error *err)
{
    int conc = c->cfg->concurrency < c->w.n_warm ? c->cfg->concurrency : c->w.n_warm;

    c->warm_phase = true;
    for (int i = 0; i < conc; i++)
        rr_send(c, &c->w.warm[c->warm_next], -1, i, lle_now_s()), c->warm_next++;
    while (lle_http_active(c->http) > 0) {
        if (c->stop != NULL && *c->stop && !c->interrupted)
            interrupt(c);
        lle_http_poll(c->http, lle_now_s() + 0.05);
    }
    c->warm_phase = false;
    if (c->interrupted)
        return lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted during warmup");
    if (c->w.n_warm > 0 && c->warm_ok == 0)
        return lle_fail(err, LLE_ERR_BACKEND, "every warmup request failed; the first: %s", c->warm_first_err);
    return LLE_OK;
}

/* Warmup: a finished request hands its user the next warmup prompt. */
void rr_warm_next(rr_ctx *c, int u)
{
    if (c->warm_next < c->w.n_warm && !c->interrupted) {
        rr_send(c, &c->w.warm[c->warm_next], -1, u, lle_now_s());
        c->warm_next++;
    }
}

static lle_status build_headers(rr_ctx *c, lle_error *err)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

    h = h ? curl_slist_append(h, "Expect:") : NULL;
    if (h != NULL && c->cfg->stream)
        h = curl_slist_append(h, "Accept: text/event-stream");
    if (h != NULL && c->key != NULL) {
        size_t n = strlen(c->key) + 32;
        char *line = malloc(n);
        if (line != NULL) {
            snprintf(line, n, "Authorization: Bearer %s", c->key);
            h = curl_slist_append(h, line);
            memset(line, 0, n);
            free(line);
        } else {
            curl_slist_free_all(h);
            h = NULL;
        }
    }
    c->headers = h;
    return h != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
}

static lle_status read_key(rr_ctx *c, lle_error *err)
{
    const char *v;

    if (c->cfg->api_key_env == NULL)
        return LLE_OK;
    v = getenv(c->cfg->api_key_env);
    if (v == NULL || v[0] == '\0')
        return lle_fail(err, LLE_ERR_INVALID, "api_key_env: the environment variable %s is not set or empty",
                        c->cfg->api_key_env);
    if (strchr(v, '\n') != NULL || strchr(v, '\r') != NULL)
        return lle_fail(err, LLE_ERR_INVALID, "api_key_env: the value of %s contains a line break",
                        c->cfg->api_key_env);
    c->key = strdup(v);
    return c->key != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
}

static lle_status prepare(rr_ctx *c, lle_error *err)
{
    const lle_remote_config *cfg = c->cfg;
    size_t bl = strlen(cfg->base_url);
    lle_status st = lle_remote_config_validate(cfg, err);

    c->chat = lle_remote_is_chat(cfg);
    c->open_loop = lle_remote_is_open_loop(cfg);
    while (bl > 0 && cfg->base_url[bl - 1] == '/')
        bl--;
    snprintf(c->url, sizeof c->url, "%.*s/%s", (int)bl, cfg->base_url, c->chat ? "chat/completions" : "completions");
    if (st == LLE_OK)
        st = read_key(c, err);
    if (st == LLE_OK && cfg->extra_body != NULL && (c->extra = cJSON_Parse(cfg->extra_body)) == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st == LLE_OK && cfg->tokenizer != NULL)
        st = lle_tokenizer_open(cfg->tokenizer, &c->tok, err);
    if (st == LLE_OK)
        st = lle_remote_workload_build(cfg, c->tok, &c->w, err);
    if (st == LLE_OK)
        st = build_headers(c, err);
    if (st == LLE_OK)
        st = lle_http_open(&c->http, err);
    return st;
}

static lle_remote_result *new_result(const lle_remote_config *cfg)
{
    lle_remote_result *r = calloc(1, sizeof *r);

    if (r == NULL)
        return NULL;
    lle_make_run_id(r->id, sizeof r->id, r->started_at, sizeof r->started_at);
    lle_strlcpy(r->status, "failed", sizeof r->status);
    lle_strlcpy(r->model_name, cfg->model_name != NULL ? cfg->model_name : "", sizeof r->model_name);
    lle_strlcpy(r->base_url, cfg->base_url != NULL ? cfg->base_url : "", sizeof r->base_url);
    r->sweep_index = -1;
    return r;
}

/* Energy from the two scrapes, or why there is none. */
static void energy_result(rr_ctx *c)
{
    lle_remote_energy *e = &c->r->energy;

    memset(e, 0, sizeof *e);
    if (c->cfg->dcgm_url == NULL) {
        lle_strlcpy(e->reason, "no DCGM exporter URL given: the server's energy is not measured", sizeof e->reason);
        return;
    }
    lle_strlcpy(e->source, "dcgm-exporter", sizeof e->source);
    if (!c->scrape[0].ok || !c->scrape[1].ok) {
        const rr_scrape *bad = !c->scrape[0].ok ? &c->scrape[0] : &c->scrape[1];
        snprintf(e->reason, sizeof e->reason, "%s", bad->error[0] ? bad->error : "the window edge was not scraped");
        return;
    }
    lle_dcgm_energy(&c->scrape[0].reading, &c->scrape[1].reading, e);
    e->t_open_s = c->scrape[0].t_mid - c->t0;
    e->t_close_s = c->scrape[1].t_mid - c->t0;
    e->scrape_open_s = c->scrape[0].duration;
    e->scrape_close_s = c->scrape[1].duration;
}

static void finish(rr_ctx *c, lle_status st)
{
    lle_remote_result *r = c->r;
    struct rusage ru;

    lle_strlcpy(r->status,
                st == LLE_OK                ? "completed"
                : st == LLE_ERR_INTERRUPTED ? "interrupted"
                                            : "failed",
                sizeof r->status);
    r->config_json = lle_remote_config_json(c->cfg, &c->w);
    r->t0_mono_s = c->t0;
    r->run_s = c->run_end > c->t0 ? c->run_end - c->t0 : 0.0;
    r->window_open_s = c->opened ? c->t_open - c->t0 : 0.0;
    r->window_close_s = c->closed ? c->t_close - c->t0 : r->run_s;
    r->offered_rate = c->w.offered_rate;
    if (c->open_loop && c->w.n > 1 && c->w.items[c->w.n - 1].arrival_s > c->w.items[0].arrival_s)
        r->scheduled_rate = (double)(c->w.n - 1) / (c->w.items[c->w.n - 1].arrival_s - c->w.items[0].arrival_s);
    r->max_concurrency = (double)c->max_inflight;
    r->n_warmup = c->w.n_warm;
    r->n_warmup_failed = c->w.n_warm - c->warm_ok;
    energy_result(c);
    lle_remote_aggregate(r, c->cfg);
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        r->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024ULL;
}

static void release(rr_ctx *c)
{
    lle_http_close(c->http);
    for (struct curl_slist *h = c->headers; h != NULL; h = h->next)
        memset(h->data, 0, strlen(h->data)); /* the Authorization line holds the key */
    curl_slist_free_all(c->headers);
    if (c->key != NULL) {
        memset(c->key, 0, strlen(c->key));
        free(c->key);
    }
    cJSON_Delete(c->extra);
    lle_tokenizer_close(c->tok);
    lle_remote_workload_free(&c->w);
}

lle_status lle_remote_run(const lle_remote_config *cfg, lle_remote_progress_fn progress, void *user,
                          const volatile int *stop, lle_remote_result **out, lle_error *err)
{
    rr_ctx c;
    char summary[512];
    lle_status st;

    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.stop = stop;
    c.progress = progress;
    c.user = user;
    *out = NULL;
    st = prepare(&c, err);
    if (st == LLE_OK && (c.r = new_result(cfg)) == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st == LLE_OK && (c.r->requests = calloc((size_t)c.w.n, sizeof *c.r->requests)) == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st != LLE_OK)
        goto cleanup;
    st = run_warmup(&c, err);
    if (st == LLE_OK)
        st = run_measured(&c);
    if (st == LLE_ERR_INTERRUPTED && !c.warm_phase)
        lle_fail(err, st, "interrupted; requests in flight were aborted (class interrupted)");
    finish(&c, st);
    if (st == LLE_OK && c.r->n_ok == 0)
        st = lle_fail(err, LLE_ERR_BACKEND, "no request succeeded (%s)",
                      lle_remote_class_summary(c.r, summary, sizeof summary));
    if (st != LLE_OK && st != LLE_ERR_INTERRUPTED)
        lle_strlcpy(c.r->status, "failed", sizeof c.r->status);
    if (st != LLE_OK && err != NULL)
        lle_strlcpy(c.r->error, err->msg, sizeof c.r->error);
    *out = c.r;
    c.r = NULL;
cleanup:
    lle_remote_result_free(c.r);
    release(&c);
    return st;
}
