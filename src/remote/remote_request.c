/* remote_request.c — one request of the remote engine from send to record:
 * builds the body, starts the transfer, feeds streamed bytes through the SSE
 * parser and the OpenAI event reader (content chunks with their read times,
 * usage, finish reason, error events), decides how the request ended (a
 * stream without [DONE] or finish reason is cut; a response without content
 * is empty), and fills its lle_remote_request: timings from the scheduled
 * arrival, token counts with their source, inter-chunk and inter-token gaps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_run.h"

#define MAX_ERROR_BODY 2048
#define MAX_BODY       ((size_t)64 << 20)

static lle_status push_chunk(rr_req *q, double t)
{
    if (q->n_chunks == q->cap_chunks) {
        int ncap = q->cap_chunks > 0 ? q->cap_chunks * 2 : 64;
        size_t *ne = realloc(q->chunk_end, (size_t)ncap * sizeof *ne);
        double *nt;
        if (ne == NULL)
            return LLE_ERR_NOMEM;
        q->chunk_end = ne;
        nt = realloc(q->chunk_t, (size_t)ncap * sizeof *nt);
        if (nt == NULL)
            return LLE_ERR_NOMEM;
        q->chunk_t = nt;
        q->cap_chunks = ncap;
    }
    q->chunk_end[q->n_chunks] = q->out.len;
    q->chunk_t[q->n_chunks++] = t;
    return LLE_OK;
}

/* Fold what an event (or a whole response) said into the request. */
static lle_remote_class apply_event(rr_req *q, const lle_oai_event *ev, double t)
{
    if (ev->usage_prompt >= 0)
        q->usage_in = ev->usage_prompt;
    if (ev->usage_completion >= 0)
        q->usage_out = ev->usage_completion;
    if (ev->finish_reason[0] != '\0') {
        q->saw_finish = true;
        lle_strlcpy(q->finish, ev->finish_reason, sizeof q->finish);
    }
    if (ev->error) {
        snprintf(q->fail_msg, sizeof q->fail_msg, "server error event: %.170s", ev->error_msg);
        return LLE_RC_SERVER_ERROR_EVENT;
    }
    if (ev->text_len > 0) {
        if (push_chunk(q, t) != LLE_OK) {
            lle_strlcpy(q->fail_msg, "out of memory", sizeof q->fail_msg);
            return LLE_RC_TRANSPORT;
        }
    } else {
        q->n_empty++;
    }
    return LLE_RC_OK;
}

static int on_event(void *user, const char *type, const char *data, size_t len)
{
    rr_req *q = user;
    lle_oai_event ev;
    lle_error e = {0};

    q->x.t_last_event = q->t_read;
    if (q->saw_done)
        return 0; /* nothing counts after [DONE] */
    if (strcmp(type, "error") == 0) {
        snprintf(q->fail_msg, sizeof q->fail_msg, "server error event: %.160s", data);
        q->fail = LLE_RC_SERVER_ERROR_EVENT;
        return 1;
    }
    if (lle_oai_parse(data, len, q->ctx->chat, &ev, &q->out, &e) != LLE_OK) {
        snprintf(q->fail_msg, sizeof q->fail_msg, "event %zu: %.160s", q->sse.n_events, e.msg);
        q->fail = e.code == LLE_ERR_NOMEM ? LLE_RC_TRANSPORT : LLE_RC_MALFORMED_EVENT;
        return 1;
    }
    if (ev.done) {
        q->saw_done = true;
        return 0;
    }
    q->fail = apply_event(q, &ev, q->t_read);
    return q->fail != LLE_RC_OK;
}

static lle_remote_class on_body(lle_xfer *x, const char *buf, size_t len, double t)
{
    rr_req *q = (rr_req *)x;
    int rc;

    if (x->http_status < 200 || x->http_status >= 300 || !q->ctx->cfg->stream) {
        size_t cap = x->http_status >= 200 && x->http_status < 300 ? MAX_BODY : MAX_ERROR_BODY;
        size_t take = q->raw.len + len > cap ? (cap > q->raw.len ? cap - q->raw.len : 0) : len;
        x->t_last_event = t;
        if (take < len && cap == MAX_BODY) {
            lle_strlcpy(x->error, "response body larger than 64 MiB", sizeof x->error);
            return LLE_RC_MALFORMED_EVENT;
        }
        return lle_text_append(&q->raw, buf, take) == LLE_OK ? LLE_RC_OK : LLE_RC_TRANSPORT;
    }
    q->t_read = t;
    rc = lle_sse_feed(&q->sse, buf, len, on_event, q);
    if (rc == LLE_SSE_OK)
        return LLE_RC_OK;
    if (rc == LLE_SSE_STOPPED) {
        lle_strlcpy(x->error, q->fail_msg, sizeof x->error);
        return q->fail;
    }
    lle_strlcpy(x->error, rc == LLE_SSE_TOO_LONG ? "an event is larger than 8 MiB" : "out of memory", sizeof x->error);
    return rc == LLE_SSE_TOO_LONG ? LLE_RC_MALFORMED_EVENT : LLE_RC_TRANSPORT;
}

/* A non-streamed response: the whole body is one event. */
static lle_remote_class parse_whole(rr_req *q, char *msg, size_t size)
{
    lle_oai_event ev;
    lle_error e = {0};
    lle_remote_class cls;

    if (lle_oai_parse(q->raw.s != NULL ? q->raw.s : "", q->raw.len, q->ctx->chat, &ev, &q->out, &e) != LLE_OK) {
        snprintf(msg, size, "response: %.200s", e.msg);
        return LLE_RC_MALFORMED_EVENT;
    }
    cls = apply_event(q, &ev, q->x.t_last_byte);
    if (cls != LLE_RC_OK)
        lle_strlcpy(msg, q->fail_msg, size);
    q->saw_finish = true;
    return cls;
}

/* How the request ended, once the transport is done with it. */
static lle_remote_class final_class(rr_req *q, char *msg, size_t size)
{
    lle_remote_class cls = q->x.cls;

    lle_strlcpy(msg, q->x.error, size);
    if (cls == LLE_RC_OK && !q->ctx->cfg->stream)
        cls = parse_whole(q, msg, size);
    else if (cls == LLE_RC_OK && !q->saw_done && !q->saw_finish) {
        cls = LLE_RC_STREAM_CUT;
        snprintf(msg, size, "the stream ended without [DONE] or a finish reason after %d content chunks", q->n_chunks);
    }
    if (cls == LLE_RC_OK && q->n_chunks == 0) {
        cls = LLE_RC_EMPTY_RESPONSE;
        snprintf(msg, size, "the response held no content (%d empty events)", q->n_empty);
    }
    if ((cls == LLE_RC_HTTP_4XX || cls == LLE_RC_HTTP_5XX || cls == LLE_RC_HTTP_OTHER) && q->raw.len > 0) {
        size_t o = strlen(msg);
        o += (size_t)snprintf(msg + o, size > o ? size - o : 0, ": ");
        for (size_t i = 0; i < q->raw.len && o + 1 < size && i < 160; i++)
            msg[o++] = (unsigned char)q->raw.s[i] < 0x20 ? ' ' : q->raw.s[i];
        msg[o < size ? o : size - 1] = '\0';
    }
    return cls;
}

/* Tokens in each content chunk, when they are known and add up to n_out:
 * one per chunk when the counts agree, else the local tokenizer's per chunk. */
static int *chunk_tokens(rr_ctx *c, const rr_req *q, int n_out)
{
    int *v = malloc((size_t)(q->n_chunks > 0 ? q->n_chunks : 1) * sizeof *v);
    long sum = 0;

    if (v == NULL)
        return NULL;
    for (int i = 0; i < q->n_chunks; i++) {
        size_t start = i > 0 ? q->chunk_end[i - 1] : 0;
        v[i] = n_out == q->n_chunks ? 1
               : c->tok != NULL     ? lle_tokenizer_count(c->tok, q->out.s + start, q->chunk_end[i] - start, false)
                                    : -1;
        sum += v[i];
        if (v[i] < 0)
            break;
    }
    if (sum != n_out || q->n_chunks == 0) {
        free(v);
        return NULL;
    }
    return v;
}

/* itl_s: token gaps (a chunk of k tokens contributes its gap and k-1 zeros)
 * when chunk_tokens is known, else the gaps between chunks. */
static lle_status fill_gaps(lle_remote_request *R, const rr_req *q)
{
    size_t n = R->chunk_tokens != NULL ? (size_t)(R->rec.n_output_tokens - 1) : (size_t)(q->n_chunks - 1), k = 0;

    lle_strlcpy(R->itl_basis, R->chunk_tokens != NULL ? "tokens" : "chunks", sizeof R->itl_basis);
    R->rec.itl_s = malloc((n > 0 ? n : 1) * sizeof *R->rec.itl_s);
    if (R->rec.itl_s == NULL)
        return LLE_ERR_NOMEM;
    for (int i = 0; i < q->n_chunks; i++) {
        int extra = R->chunk_tokens != NULL ? R->chunk_tokens[i] - 1 : 0;
        if (i > 0 && k < n)
            R->rec.itl_s[k++] = q->chunk_t[i] - q->chunk_t[i - 1];
        for (int j = 0; j < extra && k < n; j++)
            R->rec.itl_s[k++] = 0.0;
    }
    R->rec.n_itl = k;
    return LLE_OK;
}

static void count_tokens(rr_ctx *c, lle_remote_request *R, const rr_req *q)
{
    R->usage_input_tokens = q->usage_in;
    R->usage_output_tokens = q->usage_out;
    R->local_input_tokens = q->item->local_input_tokens;
    R->local_output_tokens = c->tok != NULL && q->out.len > 0 ? lle_tokenizer_count(c->tok, q->out.s, q->out.len, false)
                             : c->tok != NULL                 ? 0
                                                              : -1;
    if (q->usage_out >= 0) {
        R->rec.n_output_tokens = q->usage_out;
        lle_strlcpy(R->output_token_source, "server_usage", sizeof R->output_token_source);
    } else if (R->local_output_tokens >= 0) {
        R->rec.n_output_tokens = R->local_output_tokens;
        lle_strlcpy(R->output_token_source, "local_tokenizer", sizeof R->output_token_source);
    } else {
        R->rec.n_output_tokens = q->n_chunks;
        lle_strlcpy(R->output_token_source, "chunks", sizeof R->output_token_source);
    }
    R->rec.n_input_tokens = q->usage_in >= 0 ? q->usage_in : R->local_input_tokens >= 0 ? R->local_input_tokens : 0;
    lle_strlcpy(R->input_token_source,
                q->usage_in >= 0             ? "server_usage"
                : R->local_input_tokens >= 0 ? "local_tokenizer"
                                             : "none",
                sizeof R->input_token_source);
}

/* Timings of a successful request, from the scheduled arrival. */
static void fill_timings(rr_ctx *c, lle_remote_request *R, const rr_req *q)
{
    double first = q->chunk_t[0], last = q->chunk_t[q->n_chunks - 1];

    R->rec.ttft_s = first - q->scheduled;
    R->rec.e2e_s = last - q->scheduled;
    R->rec.prefill_s = first - q->x.t_start;
    R->rec.decode_s = last - first;
    R->chunk_tokens = chunk_tokens(c, q, R->rec.n_output_tokens);
    if (fill_gaps(R, q) != LLE_OK) {
        R->cls = LLE_RC_TRANSPORT;
        lle_strlcpy(R->error, "out of memory", sizeof R->error);
    }
}

static void fill_record(rr_ctx *c, rr_req *q, lle_remote_class cls, const char *msg, double t)
{
    lle_remote_request *R = &c->r->requests[q->slot];

    R->cls = cls;
    R->http_status = q->x.http_status;
    lle_redact(R->error, sizeof R->error, cls == LLE_RC_OK ? "" : msg, c->key);
    R->first_byte_s = q->x.t_first_byte >= 0 ? q->x.t_first_byte - c->t0 : -1.0;
    R->done_s = t - c->t0;
    R->n_chunks = q->n_chunks;
    R->n_empty_chunks = q->n_empty;
    lle_strlcpy(R->finish_reason, q->finish, sizeof R->finish_reason);
    count_tokens(c, R, q);
    R->chunk_t_s = malloc((size_t)(q->n_chunks > 0 ? q->n_chunks : 1) * sizeof *R->chunk_t_s);
    for (int i = 0; R->chunk_t_s != NULL && i < q->n_chunks; i++)
        R->chunk_t_s[i] = q->chunk_t[i] - c->t0;
    if (R->chunk_t_s == NULL)
        R->n_chunks = 0;
    if (cls == LLE_RC_OK && R->chunk_t_s != NULL)
        fill_timings(c, R, q);
    if (R->cls == LLE_RC_OK)
        c->tokens_done += (uint64_t)R->rec.n_output_tokens;
}

static void free_req(rr_req *q)
{
    lle_sse_free(&q->sse);
    lle_text_free(&q->out);
    lle_text_free(&q->raw);
    free(q->chunk_end);
    free(q->chunk_t);
    free(q->body);
    free(q);
}

static void on_done(lle_xfer *x, double t)
{
    rr_req *q = (rr_req *)x;
    rr_ctx *c = q->ctx;
    char msg[256];
    lle_remote_class cls = final_class(q, msg, sizeof msg);
    int user = q->user;

    if (q->slot < 0) {
        if (cls == LLE_RC_OK)
            c->warm_ok++;
        else if (c->warm_first_err[0] == '\0') {
            char m[300];
            snprintf(m, sizeof m, "%s: %s", lle_remote_class_name(cls), msg);
            lle_redact(c->warm_first_err, sizeof c->warm_first_err, m, c->key);
        }
        free_req(q);
        rr_warm_next(c, user);
        return;
    }
    fill_record(c, q, cls, msg, t);
    c->measured_inflight--;
    c->n_done++;
    free_req(q);
    if (!c->open_loop)
        rr_user_next(c, user, lle_now_s());
}

static const lle_xfer_ops REQ_OPS = {on_body, on_done};

/* A request that never reached the transport. */
static void fail_unsent(rr_ctx *c, int slot, const char *msg)
{
    if (slot < 0) {
        /* a long message is cut to the buffer, deliberately */
        if (c->warm_first_err[0] == '\0' &&
            snprintf(c->warm_first_err, sizeof c->warm_first_err, "transport: %s", msg) < 0)
            c->warm_first_err[0] = '\0';
        return;
    }
    c->r->requests[slot].cls = LLE_RC_TRANSPORT;
    lle_strlcpy(c->r->requests[slot].error, msg, sizeof c->r->requests[slot].error);
    c->n_done++;
}

void rr_send(rr_ctx *c, const lle_remote_item *it, int slot, int user, double scheduled)
{
    const lle_remote_config *cfg = c->cfg;
    lle_oai_params p = {c->chat,         cfg->stream,      cfg->model_name,
                        it->prompt,      it->n_out,        cfg->min_output_tokens,
                        cfg->ignore_eos, cfg->temperature, cfg->seed + (uint64_t)(slot + 1),
                        c->extra};
    lle_http_req hr = {c->url,
                       NULL,
                       c->headers,
                       cfg->tls_verify,
                       cfg->ca_file,
                       cfg->connect_timeout_s,
                       cfg->first_byte_timeout_s,
                       cfg->idle_timeout_s,
                       cfg->total_timeout_s};
    rr_req *q = calloc(1, sizeof *q);
    lle_error e = {0};

    if (slot >= 0) {
        lle_remote_request *R = &c->r->requests[slot];
        R->rec.index = slot;
        R->rec.arrival_s = scheduled - c->t0;
        R->user = user;
        R->usage_input_tokens = R->usage_output_tokens = R->local_input_tokens = R->local_output_tokens = -1;
        c->r->n_requests = (size_t)slot + 1 > c->r->n_requests ? (size_t)slot + 1 : c->r->n_requests;
    }
    if (q == NULL || (q->body = lle_oai_body(&p)) == NULL) {
        free(q);
        fail_unsent(c, slot, "out of memory");
        return;
    }
    q->x.ops = &REQ_OPS;
    q->ctx = c;
    q->slot = slot;
    q->user = user;
    q->scheduled = scheduled;
    q->item = it;
    q->usage_in = q->usage_out = -1;
    lle_sse_init(&q->sse, 0);
    hr.body = q->body;
    if (lle_http_start(c->http, &q->x, &hr, &e) != LLE_OK) {
        free_req(q);
        fail_unsent(c, slot, e.msg);
        return;
    }
    if (slot >= 0) {
        c->r->requests[slot].send_s = q->x.t_start - c->t0;
        c->r->requests[slot].rec.start_s = q->x.t_start - c->t0;
        c->r->requests[slot].rec.queue_delay_s = q->x.t_start - scheduled;
        c->measured_inflight++;
        if (c->measured_inflight > c->max_inflight)
            c->max_inflight = c->measured_inflight;
    }
}
