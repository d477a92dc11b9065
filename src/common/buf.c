/* buf.c — the growable text buffer of liblle (common/buf.h): the results
 * output and the config emitter build their text in it. Appends never fail
 * loudly: an allocation failure marks the buffer and is reported once, by
 * whoever takes the text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

bool rbuf_reserve(rbuf *b, size_t extra)
{
    size_t want = b->len + extra + 1, cap = b->cap ? b->cap : 4096;
    char *p;

    if (b->oom)
        return false;
    if (want <= b->cap)
        return true;
    while (cap < want)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void rbuf_put(rbuf *b, const char *s, size_t n)
{
    if (!rbuf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rbuf_puts(rbuf *b, const char *s)
{
    rbuf_put(b, s, strlen(s));
}

void rbuf_putc(rbuf *b, char c)
{
    if (!rbuf_reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void rbuf_printf(rbuf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n;

    if (b->oom)
        return;
    /* Usually the text fits in the room left: one formatting pass. */
    va_start(ap, fmt);
    n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < room) {
        b->len += (size_t)n;
        return;
    }
    if (!rbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rbuf_release(rbuf *b)
{
    char *s = NULL;

    if (!b->oom && rbuf_reserve(b, 0)) {
        s = b->data;
        s[b->len] = '\0';
        b->data = NULL;
    }
    rbuf_free(b);
    return s;
}

void rbuf_free(rbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}
