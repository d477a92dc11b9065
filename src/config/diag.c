/* diag.c — plumbing of the config module: indentation for the emitter, the
 * per-config allocation arena, the diagnostics list (every error, not only the
 * first), the did-you-mean suggestion (optimal string alignment distance) and
 * the accessors of lle_config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "config/config_internal.h"

/* ---- text ---- */
void sb_indent(rbuf *b, int n)
{
    for (int i = 0; i < n; i++)
        rbuf_putc(b, ' ');
}

/* ---- arena ---- */
void *cfg_alloc(lle_config *c, size_t size)
{
    void *p;

    if (c->n_owned == c->cap_owned) {
        size_t cap = c->cap_owned ? c->cap_owned * 2 : 32;
        void **q = realloc(c->owned, cap * sizeof *q);
        if (q == NULL) {
            c->oom = true;
            return NULL;
        }
        c->owned = q;
        c->cap_owned = cap;
    }
    p = calloc(1, size > 0 ? size : 1);
    if (p == NULL) {
        c->oom = true;
        return NULL;
    }
    c->owned[c->n_owned++] = p;
    return p;
}

char *cfg_strdup(lle_config *c, const char *s)
{
    size_t n = strlen(s);
    char *p = cfg_alloc(c, n + 1);

    if (p != NULL)
        memcpy(p, s, n + 1);
    return p;
}

/* ---- diagnostics ---- */
void cfg_vdiag(lle_config *c, lle_config_severity sev, lle_config_pos pos, const char *path, const char *fmt,
               va_list ap)
{
    lle_config_diag *d;

    if (c->n_diags == c->cap_diags) {
        size_t cap = c->cap_diags ? c->cap_diags * 2 : 16;
        lle_config_diag *q = realloc(c->diags, cap * sizeof *q);
        if (q == NULL) {
            c->oom = true;
            return;
        }
        c->diags = q;
        c->cap_diags = cap;
    }
    d = &c->diags[c->n_diags++];
    memset(d, 0, sizeof *d);
    d->severity = sev;
    d->pos = pos.line > 0 ? pos : (lle_config_pos){1, 1};
    lle_strlcpy(d->path, path != NULL && path[0] != '\0' ? path : "(document)", sizeof d->path);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    if (sev == LLE_CONFIG_ERROR)
        c->n_errors++;
}

void cfg_diag(lle_config *c, lle_config_severity sev, lle_config_pos pos, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_vdiag(c, sev, pos, path, fmt, ap);
    va_end(ap);
}

/* ---- did you mean ---- */
size_t cfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[48][48];

    if (la >= 48 || lb >= 48)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1, best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *cfg_did_you_mean(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;

    for (size_t i = 0; candidates[i] != NULL; i++) {
        size_t d = strcasecmp(word, candidates[i]) == 0 ? 0 : cfg_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    if (best_d <= limit)
        return best;
    for (size_t i = 0; len >= 3 && candidates[i] != NULL; i++)
        if (strncasecmp(candidates[i], word, len) == 0)
            return candidates[i]; /* a prefix: "tinyllama" -> "tinyllama-1.1b" */
    return NULL;
}

/* ---- accessors ---- */
void lle_config_free(lle_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->diags);
    free(c->name);
    free(c->base_dir);
    free(c);
}

const char *lle_config_name(const lle_config *c)
{
    return c->name;
}

size_t lle_config_diag_count(const lle_config *c)
{
    return c->n_diags;
}

const lle_config_diag *lle_config_diag_at(const lle_config *c, size_t i)
{
    return i < c->n_diags ? &c->diags[i] : NULL;
}

size_t lle_config_error_count(const lle_config *c)
{
    return c->n_errors;
}

const lle_campaign *lle_config_campaign(const lle_config *c)
{
    return &c->campaign;
}

char *lle_config_diag_text(const lle_config *c)
{
    rbuf b = {0};

    rbuf_puts(&b, "");
    for (size_t i = 0; i < c->n_diags; i++) {
        const lle_config_diag *d = &c->diags[i];
        rbuf_printf(&b, "%s:%d:%d: %s%s: %s\n", c->name, d->pos.line, d->pos.column,
                    d->severity == LLE_CONFIG_WARNING ? "warning: " : "", d->path, d->message);
    }
    return rbuf_release(&b);
}
