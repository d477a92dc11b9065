/* fault_script.c — the scripted behaviour of the fault-injecting test server:
 * parses the scenario from the request path, then writes the complete
 * response (headers, SSE events framed as HTTP chunks, or a JSON body, or a
 * Prometheus page for /metrics) into the connection's buffer together with a
 * timed list of actions: release N more bytes at time t, reset, cut, end.
 * Faults are just different action lists. Test helper only. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_server.h"

static long g_scrapes;

void die(const char *what)
{
    fprintf(stderr, "fault_server: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ---- response building ------------------------------------------------------ */

static void out_append(conn *c, const char *s, size_t n)
{
    if (c->out_len + n + 1 > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n + 1)
            cap *= 2;
        c->out = realloc(c->out, cap);
        if (c->out == NULL)
            die("realloc");
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void act(conn *c, double t, int kind, size_t len)
{
    if (c->n_acts == c->cap_acts) {
        c->cap_acts = c->cap_acts ? c->cap_acts * 2 : 64;
        c->acts = realloc(c->acts, (size_t)c->cap_acts * sizeof *c->acts);
        if (c->acts == NULL)
            die("realloc");
    }
    if (c->n_acts > 0 && t < c->acts[c->n_acts - 1].t)
        t = c->acts[c->n_acts - 1].t; /* keep the schedule monotonic */
    c->acts[c->n_acts++] = (action){t, kind, len};
}

/* Append bytes released at time t (split into s->split pieces). */
static void emit(conn *c, const spec *s, double t, const char *bytes, size_t n)
{
    int k = s->split > 1 ? s->split : 1;
    size_t done = 0;

    out_append(c, bytes, n);
    for (int i = 0; i < k; i++) {
        size_t piece = i == k - 1 ? n - done : n / (size_t)k;
        act(c, t + i * s->split_gap_ms / 1000.0, A_DATA, piece);
        done += piece;
    }
}

/* One SSE event as an HTTP/1.1 chunk. */
static void emit_event(conn *c, const spec *s, double t, const char *json)
{
    char head[32];
    size_t n = strlen(json) + 8; /* "data: " + json + "\n\n" */
    char *buf = malloc(n + 64);
    int h = snprintf(head, sizeof head, "%zx\r\n", n);
    size_t len = 0;

    if (buf == NULL)
        die("malloc");
    memcpy(buf, head, (size_t)h);
    len = (size_t)h;
    len += (size_t)snprintf(buf + len, n + 64 - len, "data: %s\n\n\r\n", json);
    emit(c, s, t, buf, len);
    free(buf);
}

static void emit_http(conn *c, const spec *s, double t, int status, const char *ctype, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", status,
                     status < 300 ? "OK" : "Error", ctype, strlen(body));

    emit(c, s, t, head, (size_t)n);
    emit(c, s, t, body, strlen(body));
    act(c, t, A_END, 0);
}

static void chunk_json(char *buf, size_t size, bool chat, const char *text, const char *finish, bool role)
{
    if (chat && role)
        snprintf(buf, size,
                 "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null},"
                 "\"finish_reason\":null}],\"object\":\"chat.completion.chunk\"}");
    else if (chat)
        snprintf(buf, size,
                 "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":%s%s%s}],"
                 "\"object\":\"chat.completion.chunk\"}",
                 text, finish ? "\"" : "", finish ? finish : "null", finish ? "\"" : "");
    else
        snprintf(buf, size,
                 "{\"choices\":[{\"index\":0,\"text\":\"%s\",\"finish_reason\":%s%s%s}],"
                 "\"object\":\"text_completion\"}",
                 text, finish ? "\"" : "", finish ? finish : "null", finish ? "\"" : "");
}

static void chunk_text(char *buf, size_t size, int first, int k)
{
    size_t o = 0;

    buf[0] = '\0';
    for (int i = 0; i < k && o + 16 < size; i++)
        o += (size_t)snprintf(buf + o, size - o, " t%d", first + i);
}

/* A fault that ends the stream after content chunk j; true when it did. */
static bool stream_fault(conn *c, const spec *s, int j, double t)
{
    if (j == s->reset_after) {
        act(c, t, A_RESET, 0);
        return true;
    }
    if (j == s->cut_after) {
        act(c, t, A_CUT, 0);
        return true;
    }
    return j == s->stall_after; /* a stall: nothing more is ever scheduled */
}

static void script_stream(conn *c, const spec *s, bool chat, int n_tok, int prompt_tokens, bool usage)
{
    static const char HEAD[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    int per = s->per_chunk > 0 ? s->per_chunk : 1, n_chunks = (n_tok + per - 1) / per;
    char text[4096], json[8192];
    double t = 0.0;

    emit(c, s, 0.0, HEAD, sizeof HEAD - 1);
    if (chat && s->role) {
        chunk_json(json, sizeof json, true, "", NULL, true);
        emit_event(c, s, 0.0, json);
    }
    for (int j = 0; j < n_chunks; j++) {
        int k = j == n_chunks - 1 ? n_tok - j * per : per;
        if (stream_fault(c, s, j, t))
            return;
        t = (s->ttft_ms + j * s->itl_ms) / 1000.0;
        chunk_text(text, sizeof text, j * per, k);
        if (j == s->malformed_at)
            snprintf(json, sizeof json, "{\"choices\":[{\"index\":0,\"text\":\"%s\"", text);
        else if (j == s->error_at)
            snprintf(json, sizeof json, "{\"error\":{\"message\":\"scripted error event\",\"code\":500}}");
        else
            chunk_json(json, sizeof json, chat, text, NULL, false);
        emit_event(c, s, t, json);
        if (j == 0)
            c->first_end = c->out_len;
        if (s->empty_every > 0 && (j + 1) % s->empty_every == 0) {
            chunk_json(json, sizeof json, chat, "", NULL, false);
            emit_event(c, s, t, json);
        }
    }
    if (stream_fault(c, s, n_chunks, t))
        return;
    if (!s->no_done) {
        chunk_json(json, sizeof json, chat, "", "length", false);
        emit_event(c, s, t, json);
    }
    if (usage) {
        snprintf(json, sizeof json,
                 "{\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,"
                 "\"total_tokens\":%d}}",
                 prompt_tokens, n_tok, prompt_tokens + n_tok);
        emit_event(c, s, t, json);
    }
    if (!s->no_done)
        emit_event(c, s, t, "[DONE]");
    emit(c, s, t, "0\r\n\r\n", 5);
    act(c, t, A_END, 0);
}

static void script_whole(conn *c, const spec *s, bool chat, int n_tok, int prompt_tokens)
{
    char text[8192], body[16384];
    double t = (s->ttft_ms + (n_tok - 1) * s->itl_ms) / 1000.0;

    chunk_text(text, sizeof text, 0, n_tok);
    if (chat)
        snprintf(body, sizeof body,
                 "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                 "\"%s\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d}}",
                 text, prompt_tokens, n_tok);
    else
        snprintf(body, sizeof body,
                 "{\"choices\":[{\"index\":0,\"text\":\"%s\",\"finish_reason\":\"length\"}],"
                 "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d}}",
                 text, prompt_tokens, n_tok);
    emit_http(c, s, t, 200, "application/json", body);
}

/* ---- spec and request parsing ----------------------------------------------- */

static void spec_defaults(spec *s)
{
    memset(s, 0, sizeof *s);
    s->tokens = -1;
    s->per_chunk = 1;
    s->split = 1;
    s->split_gap_ms = 0.5;
    s->usage = -1;
    s->reset_after = s->cut_after = s->stall_after = s->malformed_at = s->error_at = s->prompt_tokens = -1;
    s->energy_step_mj = 1000.0;
    s->gpus = 1;
}

static void spec_set(spec *s, const char *k, const char *v)
{
    struct {
        const char *name;
        int *i;
        double *d;
    } F[] = {
        {"tokens", &s->tokens, NULL},
        {"per_chunk", &s->per_chunk, NULL},
        {"split", &s->split, NULL},
        {"role", &s->role, NULL},
        {"empty_every", &s->empty_every, NULL},
        {"usage", &s->usage, NULL},
        {"status", &s->status, NULL},
        {"echo_auth", &s->echo_auth, NULL},
        {"reset_after", &s->reset_after, NULL},
        {"cut_after", &s->cut_after, NULL},
        {"stall_after", &s->stall_after, NULL},
        {"silent", &s->silent, NULL},
        {"malformed_at", &s->malformed_at, NULL},
        {"error_at", &s->error_at, NULL},
        {"no_done", &s->no_done, NULL},
        {"prompt_tokens", &s->prompt_tokens, NULL},
        {"gpus", &s->gpus, NULL},
        {"ttft_ms", NULL, &s->ttft_ms},
        {"itl_ms", NULL, &s->itl_ms},
        {"split_gap_ms", NULL, &s->split_gap_ms},
        {"trickle_ms", NULL, &s->trickle_ms},
        {"energy_step_mj", NULL, &s->energy_step_mj},
    };

    if (strcmp(k, "auth") == 0)
        s->auth_required = strcmp(v, "required") == 0;
    else if (strcmp(k, "metrics") == 0)
        snprintf(s->metrics, sizeof s->metrics, "%s", v);
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        if (strcmp(k, F[i].name) != 0)
            continue;
        if (F[i].i != NULL)
            *F[i].i = (int)strtol(v, NULL, 10);
        else
            *F[i].d = strtod(v, NULL);
    }
}

/* "/s/<spec>/rest" -> spec parsed, *rest set; any other path: defaults. */
static void parse_path(const char *path, spec *s, const char **rest)
{
    char buf[1024], *save = NULL;
    const char *end;

    spec_defaults(s);
    *rest = path;
    if (strncmp(path, "/s/", 3) != 0 || (end = strchr(path + 3, '/')) == NULL)
        return;
    snprintf(buf, sizeof buf, "%.*s", (int)(end - path - 3), path + 3);
    *rest = end;
    for (char *kv = strtok_r(buf, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq != NULL) {
            *eq = '\0';
            spec_set(s, kv, eq + 1);
        }
    }
}

static int count_words(const char *s)
{
    int n = 0;
    bool in = false;

    for (; s != NULL && *s; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t';
        n += !sp && !in;
        in = !sp;
    }
    return n;
}

static void script_metrics(conn *c, const spec *s)
{
    char body[8192];
    size_t o = 0;
    long k = g_scrapes++;

    o += (size_t)snprintf(body + o, sizeof body - o,
                          "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n"
                          "# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n");
    for (int g = 0; g < s->gpus && g < 16; g++)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "DCGM_FI_DEV_POWER_USAGE{gpu=\"%d\",UUID=\"GPU-test-%d\"} 123.5\n", g, g);
    if (strcmp(s->metrics, "absent") != 0)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy "
                              "consumption since boot (in mJ).\n# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n");
    for (int g = 0; g < s->gpus && g < 16 && strcmp(s->metrics, "absent") != 0; g++) {
        double v = 1e9 + g * 1e6 + (strcmp(s->metrics, "reset") == 0 ? -(double)k : (double)k) * s->energy_step_mj;
        if (strcmp(s->metrics, "bad") == 0)
            o += (size_t)snprintf(body + o, sizeof body - o, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"%d\" %.0f\n",
                                  g, v);
        else
            o += (size_t)snprintf(
                body + o, sizeof body - o,
                "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"%d\",UUID="
                "\"GPU-test-%d\",device=\"nvidia%d\",modelName=\"Test \\\"GPU\\\"\",Hostname=\"fault\"}"
                " %.0f\n",
                g, g, g, v);
    }
    emit_http(c, s, 0.0, 200, "text/plain; version=0.0.4", body);
}

void script_request(conn *c, const char *path, const char *body, const char *auth)
{
    spec s;
    const char *rest;
    cJSON *req;
    bool chat, stream, usage;
    int max_tokens, n_tok, ptoks;
    char msg[1024];

    parse_path(path, &s, &rest);
    if (strcmp(rest, "/health") == 0) {
        emit_http(c, &s, 0.0, 200, "application/json", "{\"status\":\"ok\"}");
        return;
    }
    if (strcmp(rest, "/metrics") == 0) {
        script_metrics(c, &s);
        return;
    }
    chat = strcmp(rest, "/v1/chat/completions") == 0;
    if (!chat && strcmp(rest, "/v1/completions") != 0) {
        emit_http(c, &s, 0.0, 404, "application/json", "{\"error\":{\"message\":\"no such path\"}}");
        return;
    }
    if (s.silent)
        return;
    if (s.echo_auth || (s.auth_required && auth[0] == '\0')) {
        snprintf(msg, sizeof msg, "{\"error\":{\"message\":\"invalid credentials: %.900s\"}}", auth);
        {
            emit_http(c, &s, 0.0, 401, "application/json", msg);
            return;
        }
    }
    if (s.status != 0) {
        snprintf(msg, sizeof msg, "{\"error\":{\"message\":\"scripted failure %d\",\"code\":%d}}", s.status, s.status);
        {
            emit_http(c, &s, 0.0, s.status, "application/json", msg);
            return;
        }
    }
    req = cJSON_Parse(body);
    if (!cJSON_IsObject(req)) {
        cJSON_Delete(req);
        {
            emit_http(c, &s, 0.0, 400, "application/json", "{\"error\":{\"message\":\"body is not JSON\"}}");
            return;
        }
    }
    stream = cJSON_IsTrue(cJSON_GetObjectItem(req, "stream"));
    c->seed =
        cJSON_IsNumber(cJSON_GetObjectItem(req, "seed")) ? (long)cJSON_GetObjectItem(req, "seed")->valuedouble : -1;
    max_tokens =
        cJSON_IsNumber(cJSON_GetObjectItem(req, "max_tokens")) ? cJSON_GetObjectItem(req, "max_tokens")->valueint : 16;
    n_tok = s.tokens >= 0 ? s.tokens : max_tokens;
    usage = s.usage >= 0
                ? s.usage == 1
                : cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "stream_options"), "include_usage"));
    if (chat) {
        cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(req, "messages"), 0);
        ptoks = count_words(cJSON_GetStringValue(cJSON_GetObjectItem(m, "content"))) + 1;
    } else {
        ptoks = count_words(cJSON_GetStringValue(cJSON_GetObjectItem(req, "prompt"))) + 1;
    }
    ptoks = s.prompt_tokens >= 0 ? s.prompt_tokens : ptoks;
    if (stream)
        script_stream(c, &s, chat, n_tok, ptoks, usage);
    else
        script_whole(c, &s, chat, n_tok, ptoks);
    cJSON_Delete(req);
    if (s.trickle_ms > 0) { /* slow-loris: the headers, then the body one byte at a time */
        char *he = memmem(c->out, c->out_len, "\r\n\r\n", 4);
        size_t head = he != NULL ? (size_t)(he - c->out) + 4 : 0, total = c->out_len;
        c->n_acts = 0;
        act(c, 0.0, A_DATA, head);
        for (size_t i = head; i < total; i++)
            act(c, (double)(i - head + 1) * s.trickle_ms / 1000.0, A_DATA, 1);
        act(c, (double)(total - head + 1) * s.trickle_ms / 1000.0, A_END, 0);
    }
}
