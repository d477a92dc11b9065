/* esrc.c — the discovery list every energy reader fills (channels, sources
 * that cannot be used with their fixes, and the reader contexts it owns), and
 * small file helpers the readers share: overridable sysfs/procfs roots, text
 * and integer reads, the CPU model. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "energy/energy_internal.h"

void lle_energy_fmt(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    void *p;
    size_t c;

    if (n < *cap)
        return true;
    c = *cap ? *cap * 2 : 8;
    p = realloc(*arr, c * elem);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = c;
    return true;
}

lle_status edisc_add_channel(edisc *d, const ech_desc *c, lle_error *err)
{
    if (!grow((void **)&d->ch, &d->cap_ch, d->n_ch, sizeof *d->ch))
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory listing energy sources");
    d->ch[d->n_ch++] = *c;
    return LLE_OK;
}

lle_status edisc_add_bad(edisc *d, const char *kind, const char *id, const char *name, const char *status,
                         const char *fix, lle_error *err)
{
    esrc_status *b;

    if (!grow((void **)&d->bad, &d->cap_bad, d->n_bad, sizeof *d->bad))
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory listing energy sources");
    b = &d->bad[d->n_bad++];
    memset(b, 0, sizeof *b);
    lle_strlcpy(b->kind, kind, sizeof b->kind);
    lle_strlcpy(b->id, id != NULL ? id : kind, sizeof b->id);
    lle_strlcpy(b->name, name != NULL ? name : "", sizeof b->name);
    lle_strlcpy(b->status, status, sizeof b->status);
    lle_strlcpy(b->fix, fix != NULL ? fix : "", sizeof b->fix);
    return LLE_OK;
}

lle_status edisc_add_ctx(edisc *d, const ech_ops *ops, void *ctx, lle_error *err)
{
    if (!grow((void **)&d->ctxs, &d->cap_ctx, d->n_ctx, sizeof *d->ctxs)) {
        ops->close(ctx);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory listing energy sources");
    }
    d->ctxs[d->n_ctx++] = (ectx){ops, ctx};
    return LLE_OK;
}

void edisc_remove_channel(edisc *d, size_t i)
{
    if (i >= d->n_ch)
        return;
    memmove(&d->ch[i], &d->ch[i + 1], (d->n_ch - i - 1) * sizeof *d->ch);
    d->n_ch--;
}

void edisc_free(edisc *d)
{
    for (size_t i = d->n_ctx; i > 0; i--)
        d->ctxs[i - 1].ops->close(d->ctxs[i - 1].ctx);
    free(d->ch);
    free(d->bad);
    free(d->ctxs);
    memset(d, 0, sizeof *d);
}

const char *lle_energy_root(const char *var, const char *dflt)
{
    const char *v = getenv(var);

    return v != NULL && v[0] != '\0' ? v : dflt;
}

int lle_energy_read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    int saved;

    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

bool lle_energy_parse_u64(const char *text, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    while (*text == ' ' || *text == '\t')
        text++;
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text)
        return false;
    while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
        end++;
    if (*end != '\0')
        return false;
    *out = (uint64_t)v;
    return true;
}

bool lle_energy_pread_u64(int fd, uint64_t *out)
{
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0)
        return false;
    buf[n] = '\0';
    return lle_energy_parse_u64(buf, out);
}

const char *lle_energy_self_exe(void)
{
    static char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);

    if (n <= 0)
        return "llm-efficiency";
    path[n] = '\0';
    return path;
}

/* "key<spaces>: value" -> value when the line's key is `key`. */
static const char *cpuinfo_value(const char *line, const char *key)
{
    size_t k = strlen(key);
    const char *p = line + k;

    if (strncmp(line, key, k) != 0)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

void lle_energy_cpu_model(char *out, size_t size, int *sockets)
{
    char path[4200], line[1024];
    const char *v;
    FILE *f;
    unsigned long seen = 0; /* physical ids 0..63 seen */
    int n = 0;

    out[0] = '\0';
    snprintf(path, sizeof path, "%s/cpuinfo", lle_energy_root("LLE_PROC_ROOT", "/proc"));
    f = fopen(path, "re");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (out[0] == '\0' && (v = cpuinfo_value(line, "model name")) != NULL)
            lle_strlcpy(out, v, size);
        if ((v = cpuinfo_value(line, "physical id")) != NULL) {
            long id = strtol(v, NULL, 10);
            if (id >= 0 && id < 64 && !(seen & (1UL << id))) {
                seen |= 1UL << id;
                n++;
            }
        }
    }
    if (f != NULL)
        fclose(f);
    *sockets = n > 0 ? n : 1;
}
