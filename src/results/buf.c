/* buf.c — the growable text buffer every results output is built in: appends
 * that never fail loudly (an allocation failure marks the buffer and is
 * reported once, by rbuf_take), exact shortest round-trip formatting of
 * doubles, and JSON and CSV quoting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

static bool grow(rbuf *b, size_t extra)
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
    if (!grow(b, n))
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
    if (!grow(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void rbuf_printf(rbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rbuf_double(rbuf *b, double v)
{
    char tmp[40];
    int n;

    /* Integers up to 2^53 print exactly with no exponent or fraction. */
    if (v == (double)(long long)v && v > -9007199254740992.0 && v < 9007199254740992.0) {
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    } else {
        n = snprintf(tmp, sizeof tmp, "%.15g", v);
        if (strtod(tmp, NULL) != v)
            n = snprintf(tmp, sizeof tmp, "%.16g", v);
        if (strtod(tmp, NULL) != v)
            n = snprintf(tmp, sizeof tmp, "%.17g", v);
    }
    rbuf_put(b, tmp, (size_t)n);
}

void rbuf_json_string(rbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;

    rbuf_putc(b, '"');
    for (; *p != '\0'; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        rbuf_put(b, (const char *)run, (size_t)(p - run));
        switch (*p) {
        case '"':
            rbuf_puts(b, "\\\"");
            break;
        case '\\':
            rbuf_puts(b, "\\\\");
            break;
        case '\n':
            rbuf_puts(b, "\\n");
            break;
        case '\r':
            rbuf_puts(b, "\\r");
            break;
        case '\t':
            rbuf_puts(b, "\\t");
            break;
        default:
            rbuf_printf(b, "\\u%04x", *p);
            break;
        }
        run = p + 1;
    }
    rbuf_put(b, (const char *)run, (size_t)(p - run));
    rbuf_putc(b, '"');
}

void rbuf_csv_field(rbuf *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        rbuf_puts(b, s);
        return;
    }
    rbuf_putc(b, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            rbuf_putc(b, '"');
        rbuf_putc(b, *p);
    }
    rbuf_putc(b, '"');
}

lle_status rbuf_take(rbuf *b, char **out, size_t *out_len, lle_error *err)
{
    lle_status st = LLE_OK;

    if (b->oom || !grow(b, 0)) {
        rbuf_free(b);
        *out = NULL;
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory building the results output");
    } else {
        b->data[b->len] = '\0';
        *out = b->data;
        if (out_len != NULL)
            *out_len = b->len;
        b->data = NULL;
        b->len = b->cap = 0;
    }
    return st;
}

void rbuf_free(rbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}
