/* dcgm.c — server energy from NVIDIA's DCGM exporter: parse the Prometheus
 * text exposition of its /metrics endpoint, keep the per-GPU total-energy
 * counter (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, millijoules since the driver
 * loaded), and turn two readings taken at the measurement-window edges into
 * joules. Nothing is estimated: a missing metric, a GPU seen in one reading
 * only, or a counter that went backwards makes the energy unavailable, with
 * the reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_internal.h"

typedef struct sample_labels {
    char gpu[16], uuid[64], host[64];
} sample_labels;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

/* A quoted label value at p (after '='); unescaped into dst. Returns the
 * position after the closing quote, or NULL when malformed. */
static const char *label_value(const char *p, const char *end, char *dst, size_t size)
{
    size_t o = 0;

    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p + 1 < end) {
            p++;
            c = *p == 'n' ? '\n' : *p;
        }
        if (o + 1 < size)
            dst[o++] = c;
    }
    dst[o] = '\0';
    return p < end ? p + 1 : NULL;
}

/* The {...} label set at p; keeps gpu, UUID and Hostname. NULL when malformed. */
static const char *parse_labels(const char *p, const char *end, sample_labels *l)
{
    char key[64], scratch[256];

    p++; /* '{' */
    for (;;) {
        size_t k = 0;
        char *dst = scratch;
        size_t size = sizeof scratch;
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return p + 1;
        while (p < end && name_char(*p, k == 0) && k + 1 < sizeof key)
            key[k++] = *p++;
        key[k] = '\0';
        p = skip_ws(p, end);
        if (k == 0 || p >= end || *p != '=')
            return NULL;
        if (strcmp(key, "gpu") == 0)
            dst = l->gpu, size = sizeof l->gpu;
        else if (strcmp(key, "UUID") == 0)
            dst = l->uuid, size = sizeof l->uuid;
        else if (strcmp(key, "Hostname") == 0)
            dst = l->host, size = sizeof l->host;
        p = label_value(skip_ws(p + 1, end), end, dst, size);
        if (p == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p++;
        else if (p >= end || *p != '}')
            return NULL;
    }
}

/* One line: 1 when it is a sample of the metric (filled), 0 when it is not,
 * -1 when it is one but malformed. */
static int parse_line(const char *p, const char *end, sample_labels *l, double *value)
{
    const char *name = p = skip_ws(p, end);
    char num[64], *num_end = NULL;
    size_t n = 0;

    memset(l, 0, sizeof *l);
    if (p >= end || *p == '#')
        return 0;
    while (p < end && name_char(*p, p == name))
        p++;
    if ((size_t)(p - name) != strlen(LLE_DCGM_METRIC) || memcmp(name, LLE_DCGM_METRIC, (size_t)(p - name)) != 0)
        return 0;
    if (p < end && *p == '{' && (p = parse_labels(p, end, l)) == NULL)
        return -1;
    p = skip_ws(p, end);
    while (p < end && *p != ' ' && *p != '\t' && n + 1 < sizeof num)
        num[n++] = *p++;
    num[n] = '\0';
    *value = strtod(num, &num_end);
    if (n == 0 || num_end == NULL || *num_end != '\0' || !isfinite(*value) || *value < 0)
        return -1;
    return 1;
}

lle_status lle_dcgm_parse(const char *text, size_t len, lle_dcgm_reading *out, lle_error *err)
{
    const char *p = text, *end = text + len;
    int line = 0;

    memset(out, 0, sizeof *out);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl != NULL ? nl : end;
        sample_labels l;
        double v = 0.0;
        int rc;
        line++;
        rc = parse_line(p, le > p && le[-1] == '\r' ? le - 1 : le, &l, &v);
        if (rc < 0)
            return lle_fail(err, LLE_ERR_FORMAT, "metrics line %d: malformed %s sample", line, LLE_DCGM_METRIC);
        if (rc > 0 && out->n >= LLE_REMOTE_MAX_GPUS)
            return lle_fail(err, LLE_ERR_UNSUPPORTED, "more than %d GPUs in the metrics", LLE_REMOTE_MAX_GPUS);
        if (rc > 0) {
            lle_strlcpy(out->gpu[out->n], l.gpu, sizeof out->gpu[0]);
            lle_strlcpy(out->uuid[out->n], l.uuid, sizeof out->uuid[0]);
            lle_strlcpy(out->host[out->n], l.host, sizeof out->host[0]);
            out->mj[out->n++] = v;
        }
        p = le + 1;
    }
    if (out->n == 0)
        return lle_fail(err, LLE_ERR_NOT_FOUND, "%s is not in the metrics (is the exporter collecting it?)",
                        LLE_DCGM_METRIC);
    return LLE_OK;
}

static int find_gpu(const lle_dcgm_reading *r, const lle_dcgm_reading *in, int i)
{
    for (int j = 0; j < r->n; j++)
        if (strcmp(r->gpu[j], in->gpu[i]) == 0 && strcmp(r->uuid[j], in->uuid[i]) == 0 &&
            strcmp(r->host[j], in->host[i]) == 0)
            return j;
    return -1;
}

void lle_dcgm_energy(const lle_dcgm_reading *a, const lle_dcgm_reading *b, lle_remote_energy *e)
{
    double total = 0.0;

    e->available = false;
    e->energy_j = 0.0;
    e->n_gpus = 0;
    if (a->n != b->n) {
        snprintf(e->reason, sizeof e->reason, "the window edges list different GPUs (%d vs %d)", a->n, b->n);
        return;
    }
    for (int i = 0; i < b->n; i++) {
        int j = find_gpu(a, b, i);
        if (j < 0) {
            snprintf(e->reason, sizeof e->reason, "GPU %s (%s) is missing at the window start", b->gpu[i], b->uuid[i]);
            return;
        }
        if (b->mj[i] < a->mj[j]) {
            snprintf(e->reason, sizeof e->reason,
                     "the energy counter of GPU %s went backwards (exporter or driver restarted)", b->gpu[i]);
            return;
        }
        lle_strlcpy(e->gpu[i], b->gpu[i], sizeof e->gpu[i]);
        lle_strlcpy(e->uuid[i], b->uuid[i], sizeof e->uuid[i]);
        e->start_mj[i] = a->mj[j];
        e->end_mj[i] = b->mj[i];
        total += (b->mj[i] - a->mj[j]) / 1000.0;
    }
    e->n_gpus = b->n;
    e->energy_j = total;
    e->available = true;
    e->reason[0] = '\0';
}
