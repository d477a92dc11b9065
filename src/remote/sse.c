/* sse.c — the incremental Server-Sent Events parser of sse.h: splits the byte
 * stream into lines whatever the read boundaries, interprets the fields of
 * each line and hands complete events to a callback. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/sse.h"

#define SSE_DEFAULT_MAX ((size_t)8 * 1024 * 1024)

void lle_sse_init(lle_sse *p, size_t max_event)
{
    memset(p, 0, sizeof *p);
    p->max_event = max_event > 0 ? max_event : SSE_DEFAULT_MAX;
}

void lle_sse_free(lle_sse *p)
{
    free(p->line);
    free(p->data);
    p->line = p->data = NULL;
    p->line_len = p->line_cap = p->data_len = p->data_cap = 0;
}

size_t lle_sse_pending(const lle_sse *p)
{
    return p->line_len + p->data_len;
}

/* Make room for `extra` more bytes plus a NUL in a growing buffer. */
static int reserve(char **buf, size_t *cap, size_t len, size_t extra, size_t max)
{
    size_t need = len + extra + 1, ncap;
    char *n;

    if (len + extra > max)
        return LLE_SSE_TOO_LONG;
    if (need <= *cap)
        return LLE_SSE_OK;
    ncap = *cap > 0 ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    n = realloc(*buf, ncap);
    if (n == NULL)
        return LLE_SSE_NOMEM;
    *buf = n;
    *cap = ncap;
    return LLE_SSE_OK;
}

static int dispatch(lle_sse *p, lle_sse_event_fn fn, void *user)
{
    int rc = LLE_SSE_OK;

    if (p->has_data) {
        if (p->data_len > 0 && p->data[p->data_len - 1] == '\n')
            p->data_len--; /* the LF added after the last data line */
        p->data[p->data_len] = '\0';
        p->n_events++;
        if (fn(user, p->type, p->data, p->data_len) != 0)
            rc = LLE_SSE_STOPPED;
    }
    p->data_len = 0;
    p->has_data = false;
    p->type[0] = '\0';
    return rc;
}

/* Interpret one complete line (without its terminator). */
static int process_line(lle_sse *p, const char *line, size_t len, lle_sse_event_fn fn, void *user)
{
    const char *colon, *value;
    size_t name_len, value_len;
    int rc;

    if (len == 0)
        return dispatch(p, fn, user);
    if (line[0] == ':')
        return LLE_SSE_OK; /* comment (keep-alive pings) */
    colon = memchr(line, ':', len);
    name_len = colon != NULL ? (size_t)(colon - line) : len;
    value = colon != NULL ? colon + 1 : line + len;
    value_len = len - (size_t)(value - line);
    if (value_len > 0 && value[0] == ' ') {
        value++;
        value_len--;
    }
    if (name_len == 4 && memcmp(line, "data", 4) == 0) {
        rc = reserve(&p->data, &p->data_cap, p->data_len, value_len + 1, p->max_event);
        if (rc != LLE_SSE_OK)
            return rc;
        memcpy(p->data + p->data_len, value, value_len);
        p->data_len += value_len;
        p->data[p->data_len++] = '\n';
        p->data[p->data_len] = '\0';
        p->has_data = true;
    } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
        size_t n = value_len < sizeof p->type - 1 ? value_len : sizeof p->type - 1;
        memcpy(p->type, value, n);
        p->type[n] = '\0';
    }
    return LLE_SSE_OK; /* id, retry and unknown fields are ignored */
}

/* A line ends at buf[end]; it is either wholly in buf or continues p->line. */
static int finish_line(lle_sse *p, const char *buf, size_t start, size_t end, lle_sse_event_fn fn, void *user)
{
    int rc;

    if (p->line_len == 0)
        return process_line(p, buf + start, end - start, fn, user);
    rc = reserve(&p->line, &p->line_cap, p->line_len, end - start, p->max_event);
    if (rc != LLE_SSE_OK)
        return rc;
    memcpy(p->line + p->line_len, buf + start, end - start);
    p->line_len += end - start;
    rc = process_line(p, p->line, p->line_len, fn, user);
    p->line_len = 0;
    return rc;
}

int lle_sse_feed(lle_sse *p, const char *buf, size_t len, lle_sse_event_fn fn, void *user)
{
    size_t i = 0, start;
    int rc = LLE_SSE_OK;

    if (len == 0)
        return LLE_SSE_OK;
    if (p->skip_lf && buf[0] == '\n')
        i = 1;
    p->skip_lf = false;
    start = i;
    while (i < len && rc == LLE_SSE_OK) {
        const char *nl = memchr(buf + i, '\n', len - i);
        const char *cr = memchr(buf + i, '\r', nl != NULL ? (size_t)(nl - (buf + i)) : len - i);
        const char *eol = cr != NULL ? cr : nl;
        size_t end;
        if (eol == NULL)
            break;
        end = (size_t)(eol - buf);
        rc = finish_line(p, buf, start, end, fn, user);
        i = end + 1;
        if (eol == cr) { /* CR LF counts as one terminator */
            if (i < len && buf[i] == '\n')
                i++;
            else if (i == len)
                p->skip_lf = true;
        }
        start = i;
    }
    if (rc == LLE_SSE_OK && start < len) {
        rc = reserve(&p->line, &p->line_cap, p->line_len, len - start, p->max_event);
        if (rc == LLE_SSE_OK) {
            memcpy(p->line + p->line_len, buf + start, len - start);
            p->line_len += len - start;
        }
    }
    return rc;
}
