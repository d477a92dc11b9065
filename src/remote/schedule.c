/* schedule.c — when open-loop requests arrive: Poisson (exponential gaps),
 * gamma with a burstiness factor (vLLM's benchmark_serving definition: shape =
 * burstiness, mean gap 1/rate, so 1.0 is Poisson), constant rate, bursts (the
 * thesis tool's pattern: N requests together every S seconds), and fixed
 * schedules read from a trace file. All draws come from the project PRNG,
 * seeded by the configuration: the same seed gives the same schedule. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_internal.h"

#define TRACE_MAX_LINE (1024 * 1024)

/* Standard normal by Box-Muller. */
static double normal_draw(uint64_t *rng)
{
    double u1 = lle_rand01(rng), u2 = lle_rand01(rng);

    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double lle_gamma_draw(uint64_t *rng, double shape)
{
    double d, c;

    if (shape < 1.0) { /* boost: G(a) = G(a + 1) * U^(1/a) */
        double u = lle_rand01(rng);
        return lle_gamma_draw(rng, shape + 1.0) * pow(u > 0.0 ? u : 1e-300, 1.0 / shape);
    }
    d = shape - 1.0 / 3.0;
    c = 1.0 / sqrt(9.0 * d);
    for (;;) { /* Marsaglia-Tsang: accepts ~96% of draws */
        double x = normal_draw(rng), v = 1.0 + c * x, u;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        u = lle_rand01(rng);
        if (u < 1.0 - 0.0331 * x * x * x * x || log(u > 0.0 ? u : 1e-300) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v;
    }
}

lle_status lle_remote_arrivals(const lle_remote_config *c, int n, double *out, lle_error *err)
{
    uint64_t rng = c->seed ^ 0x5851f42d4c957f2dULL;
    double t = 0.0;

    for (int i = 0; i < n; i++) {
        if (strcmp(c->load, "burst") == 0) {
            int burst = i / c->burst_size; /* whole bursts before request i */
            out[i] = (double)burst * c->burst_interval_s;
            continue;
        }
        out[i] = t;
        if (strcmp(c->load, "constant") == 0)
            t += 1.0 / c->rate;
        else if (strcmp(c->load, "poisson") == 0)
            t += -log(1.0 - lle_rand01(&rng)) / c->rate;
        else if (strcmp(c->load, "gamma") == 0)
            t += lle_gamma_draw(&rng, c->burstiness) / (c->burstiness * c->rate);
        else
            return lle_fail(err, LLE_ERR_INVALID, "load: '%s' has no arrival schedule", c->load);
    }
    return LLE_OK;
}

void lle_trace_free(lle_trace_entry *t, int n)
{
    for (int i = 0; t != NULL && i < n; i++)
        free(t[i].prompt);
    free(t);
}

static lle_status int_field(const cJSON *o, const char *key, const char *path, int line, int *out, lle_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > 16777216)
        return lle_fail(err, LLE_ERR_FORMAT, "%s:%d: \"%s\" must be a whole number in [1, 16777216]", path, line, key);
    *out = (int)v->valuedouble;
    return LLE_OK;
}

/* One trace line into *e (prev: the previous arrival, which t_s must not precede). */
static lle_status parse_entry(const char *text, const char *path, int line, double prev, lle_trace_entry *e,
                              lle_error *err)
{
    cJSON *o = cJSON_Parse(text);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t_s"), *p;
    lle_status st = LLE_OK;

    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(o)) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: not a JSON object", path, line);
        goto cleanup;
    }
    if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble) || t->valuedouble < 0) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: \"t_s\" must be a number >= 0 (seconds)", path, line);
        goto cleanup;
    }
    if (t->valuedouble < prev) {
        st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: \"t_s\" %g is earlier than the previous line's %g", path, line,
                      t->valuedouble, prev);
        goto cleanup;
    }
    e->t_s = t->valuedouble;
    st = int_field(o, "output_tokens", path, line, &e->output_tokens, err);
    p = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    if (st == LLE_OK && p != NULL && !cJSON_IsString(p))
        st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: \"prompt\" must be a string", path, line);
    else if (st == LLE_OK && p != NULL)
        e->prompt = strdup(p->valuestring);
    else if (st == LLE_OK)
        st = int_field(o, "input_tokens", path, line, &e->input_tokens, err);
    if (st == LLE_OK && p != NULL && e->prompt == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
cleanup:
    cJSON_Delete(o);
    return st;
}

static bool blank_or_comment(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0' || *s == '#';
}

static lle_status grow(lle_trace_entry **v, int n, int *cap, lle_error *err)
{
    lle_trace_entry *nv;

    if (n < *cap)
        return LLE_OK;
    *cap = *cap > 0 ? *cap * 2 : 64;
    nv = realloc(*v, (size_t)*cap * sizeof *nv);
    if (nv == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory reading the trace");
    *v = nv;
    return LLE_OK;
}

lle_status lle_trace_load(const char *path, lle_trace_entry **out, int *n_out, lle_error *err)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap_line = 0;
    ssize_t len;
    int n = 0, cap = 0, lineno = 0;
    lle_trace_entry *v = NULL;
    lle_status st = LLE_OK;

    *out = NULL;
    *n_out = 0;
    if (f == NULL)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "trace: %s: %s", path, strerror(errno));
    while (st == LLE_OK && (len = getline(&line, &cap_line, f)) >= 0) {
        lineno++;
        if (len > TRACE_MAX_LINE)
            st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: line longer than %d bytes", path, lineno, TRACE_MAX_LINE);
        else if ((size_t)len != strlen(line))
            st = lle_fail(err, LLE_ERR_FORMAT, "%s:%d: NUL byte in the line", path, lineno);
        else if (blank_or_comment(line))
            continue;
        if (st == LLE_OK)
            st = grow(&v, n, &cap, err);
        if (st == LLE_OK)
            st = parse_entry(line, path, lineno, n > 0 ? v[n - 1].t_s : 0.0, &v[n], err);
        if (st == LLE_OK)
            n++;
    }
    if (st == LLE_OK && ferror(f))
        st = lle_fail(err, LLE_ERR_IO, "trace: %s: read error", path);
    if (st == LLE_OK && n == 0)
        st = lle_fail(err, LLE_ERR_FORMAT, "trace: %s holds no entries", path);
    fclose(f);
    free(line);
    if (st != LLE_OK) {
        lle_trace_free(v, n);
        return st;
    }
    *out = v;
    *n_out = n;
    return LLE_OK;
}
