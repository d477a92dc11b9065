/* buf.c — what the results output appends to its text buffer (the buffer
 * itself: common/buf.h): exact shortest round-trip formatting of doubles (one
 * printf and strtod checks per value instead of up to three printfs), JSON
 * and CSV quoting, and rbuf_take, which reports an allocation failure once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"

/* "%.<p>g" of a finite non-zero |v| (sign apart) from its p correctly rounded
 * significant digits `dig` (d.ddd x 10^e): the %g rules (exponent style
 * below 1e-4 or from 10^p on, trailing zeros and a bare point dropped). */
static size_t g_style(char *out, bool neg, const char *dig, int p, int e)
{
    int nd = p;
    size_t n = 0;

    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    if (neg)
        out[n++] = '-';
    if (e < -4 || e >= p) {
        int ae = e < 0 ? -e : e;
        out[n++] = dig[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, dig + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        out[n++] = 'e';
        out[n++] = e < 0 ? '-' : '+';
        if (ae >= 100)
            out[n++] = (char)('0' + ae / 100);
        out[n++] = (char)('0' + ae / 10 % 10);
        out[n++] = (char)('0' + ae % 10);
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++)
            out[n++] = i < nd ? dig[i] : '0';
        if (nd > e + 1) {
            out[n++] = '.';
            memcpy(out + n, dig + e + 1, (size_t)(nd - e - 1));
            n += (size_t)(nd - e - 1);
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -e - 1; i++)
            out[n++] = '0';
        memcpy(out + n, dig, (size_t)nd);
        n += (size_t)nd;
    }
    out[n] = '\0';
    return n;
}

/* The p (15 or 16) digit rounding of the value from its 17 correctly rounded
 * digits d17: exact unless the dropped digits are "5" / "50" (then the
 * 17-digit rounding may have hidden which side of the tie the value is on,
 * and false is returned). */
static bool round_from_17(const char *d17, int e17, int p, char *dig, int *e)
{
    bool up;

    if ((p == 16 && d17[16] == '5') || (p == 15 && d17[15] == '5' && d17[16] == '0'))
        return false;
    up = p == 16 ? d17[16] > '5' : d17[15] >= '5';
    memcpy(dig, d17, (size_t)p);
    *e = e17;
    for (int i = p - 1; up && i >= 0; i--) {
        up = dig[i] == '9';
        dig[i] = up ? '0' : (char)(dig[i] + 1);
    }
    if (up) { /* 99...9 -> 100...0 */
        dig[0] = '1';
        (*e)++;
    }
    return true;
}

/* Shortest of %.15g, %.16g, %.17g that reads back as v: the 17 correctly
 * rounded digits come from one printf and the shorter candidates are rounded
 * from them (exactly, see round_from_17; printf again where that cannot
 * decide); each candidate is checked with strtod. Same text as calling
 * snprintf("%.15g") .. ("%.17g") in turn. */
static size_t shortest_g(double v, char *out)
{
    char e17s[40], d17[17], dig[17];
    double a = v < 0 ? -v : v;
    int e17, e;

    snprintf(e17s, sizeof e17s, "%.16e", a); /* d.dddddddddddddddde+XX */
    d17[0] = e17s[0];
    memcpy(d17 + 1, e17s + 2, 16);
    e17 = (int)strtol(e17s + 19, NULL, 10);
    for (int p = 15; p <= 16; p++) {
        size_t n;
        if (round_from_17(d17, e17, p, dig, &e))
            n = g_style(out, v < 0, dig, p, e);
        else
            n = (size_t)snprintf(out, 40, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            return n;
    }
    return g_style(out, v < 0, d17, 17, e17);
}

void rbuf_double(rbuf *b, double v)
{
    char tmp[40];
    size_t n;

    /* Integers up to 2^53 print exactly with no exponent or fraction. */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
        n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    else if (isfinite(v))
        n = shortest_g(v, tmp);
    else
        n = (size_t)snprintf(tmp, sizeof tmp, "%.17g", v);
    rbuf_put(b, tmp, n);
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

    if (b->oom || !rbuf_reserve(b, 0)) {
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
