/* baseline.c — the idle baseline: idle power per source, measured with the
 * meter over a quiet period before a run (or reused from a cache per machine
 * and source while younger than its time-to-live), so that windows report
 * net energy = gross - idle power x duration next to the gross figure. The
 * cache is JSON at $LLE_CACHE_DIR/energy-baseline.json, else
 * $XDG_CACHE_HOME/llm-efficiency/ or ~/.cache/llm-efficiency/ (the same
 * resolution as the model cache in run/cache.c), written atomically:
 *   {"version":1,"machines":{"<host>|<machine-id>":{"<source>":
 *     {"idle_power_w":W,"method":"measured","measured_at":UNIX_S,"duration_s":S}}}} */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "energy/energy_internal.h"

void lle_baseline_opts_init(lle_baseline_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seconds = 10.0;
    o->ttl_s = 3600.0;
}

lle_status lle_baseline_default_path(char *out, size_t size, lle_error *err)
{
    const char *env = getenv("LLE_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;

    if (env != NULL && env[0] != '\0')
        n = snprintf(out, size, "%s/energy-baseline.json", env);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, size, "%s/llm-efficiency/energy-baseline.json", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, size, "%s/.cache/llm-efficiency/energy-baseline.json", home);
    else
        return lle_fail(err, LLE_ERR_INVALID, "no cache directory for the idle baseline: set LLE_CACHE_DIR or HOME");
    return n >= 0 && (size_t)n < size ? LLE_OK : lle_fail(err, LLE_ERR_INVALID, "cache path too long");
}

static void machine_key(char *out, size_t size)
{
    char host[256] = "unknown", id[128] = "";

    if (gethostname(host, sizeof host) != 0)
        lle_strlcpy(host, "unknown", sizeof host);
    host[sizeof host - 1] = '\0';
    if (lle_energy_read_text("/etc/machine-id", id, sizeof id) != 0)
        id[0] = '\0';
    lle_energy_fmt(out, size, "%s|%s", host, id);
}

static cJSON *load_cache(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    cJSON *root = NULL;

    if (f == NULL)
        return NULL;
    do {
        if (len + 4096 + 1 > cap) {
            char *p = realloc(buf, cap = cap * 2 + 8192);
            if (p == NULL)
                break;
            buf = p;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    fclose(f);
    if (buf != NULL) {
        buf[len < cap ? len : cap - 1] = '\0';
        root = cJSON_Parse(buf);
        if (root == NULL || !cJSON_IsObject(root))
            lle_logf(LLE_LOG_WARN, "%s: not a baseline cache (ignored, will be rewritten)", path);
    }
    free(buf);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = NULL;
    }
    return root;
}

/* The cached entries of this machine when every energy source of the meter
 * has a fresh one with the same method; sets the baseline. */
static bool use_cache(lle_meter *m, const cJSON *root, const char *key, double ttl_s)
{
    const cJSON *mach = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "machines"), key);
    double now = (double)time(NULL), oldest = now, dur = 0.0;
    double *idle = calloc(m->n + 1, sizeof *idle);
    bool ok = mach != NULL && idle != NULL;

    for (size_t i = 0; ok && i < m->n; i++) {
        const mchan *c = &m->ch[i];
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(mach, c->d.id);
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "idle_power_w");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "measured_at");
        const cJSON *meth = cJSON_GetObjectItemCaseSensitive(e, "method");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "duration_s");
        idle[i] = NAN;
        if (!c->d.energy)
            continue;
        ok = cJSON_IsNumber(w) && cJSON_IsNumber(at) && cJSON_IsString(meth) && now - at->valuedouble < ttl_s &&
             now >= at->valuedouble && strcmp(meth->valuestring, lle_energy_method_name(c->d.method)) == 0;
        if (ok) {
            idle[i] = w->valuedouble;
            oldest = at->valuedouble < oldest ? at->valuedouble : oldest;
            dur = cJSON_IsNumber(d) ? d->valuedouble : dur;
        }
    }
    if (ok) {
        memcpy(m->idle_w, idle, m->n * sizeof *idle);
        m->has_baseline = true;
        lle_strlcpy(m->bl_origin, "cache", sizeof m->bl_origin);
        m->bl_measured_at = oldest;
        m->bl_duration_s = dur;
    }
    free(idle);
    return ok;
}

static cJSON *entry(double w, const char *method, double at, double dur)
{
    cJSON *e = cJSON_CreateObject();

    cJSON_AddNumberToObject(e, "idle_power_w", w);
    cJSON_AddStringToObject(e, "method", method);
    cJSON_AddNumberToObject(e, "measured_at", at);
    cJSON_AddNumberToObject(e, "duration_s", dur);
    return e;
}

static void save_cache(lle_meter *m, cJSON *root, const char *path, const char *key)
{
    cJSON *machines, *mach;
    char *text, dir[4096];
    lle_error e;

    if (root == NULL)
        root = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(root, "version");
    cJSON_AddNumberToObject(root, "version", 1);
    if (!cJSON_IsObject(machines = cJSON_GetObjectItemCaseSensitive(root, "machines"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "machines");
        machines = cJSON_AddObjectToObject(root, "machines");
    }
    if (!cJSON_IsObject(mach = cJSON_GetObjectItemCaseSensitive(machines, key))) {
        cJSON_DeleteItemFromObjectCaseSensitive(machines, key);
        mach = cJSON_AddObjectToObject(machines, key);
    }
    for (size_t i = 0; mach != NULL && i < m->n; i++) {
        if (!m->ch[i].d.energy || isnan(m->idle_w[i]))
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(mach, m->ch[i].d.id);
        cJSON_AddItemToObject(
            mach, m->ch[i].d.id,
            entry(m->idle_w[i], lle_energy_method_name(m->ch[i].d.method), m->bl_measured_at, m->bl_duration_s));
    }
    text = cJSON_Print(root);
    lle_strlcpy(dir, path, sizeof dir);
    if (strrchr(dir, '/') != NULL)
        *strrchr(dir, '/') = '\0';
    if (text == NULL || (strchr(path, '/') != NULL && lle_mkdir_p(dir, &e) != LLE_OK) ||
        lle_write_file_atomic(path, text, strlen(text), &e) != LLE_OK)
        lle_logf(LLE_LOG_WARN, "idle baseline not cached: %s", text == NULL ? "out of memory" : e.msg);
    free(text);
    cJSON_Delete(root);
}

/* Keep the machine idle for `seconds` inside one window; idle power per source. */
static lle_status measure_idle(lle_meter *m, const lle_baseline_opts *o, lle_error *err)
{
    lle_meter_window *w = NULL;
    lle_energy_window *ew = NULL;
    double t0 = lle_now_s();
    lle_status st = lle_meter_begin(m, "idle-baseline", &w, err);

    while (st == LLE_OK && lle_now_s() - t0 < o->seconds) {
        double left = o->seconds - (lle_now_s() - t0);
        struct timespec ts = {0, (long)((left < 0.05 ? left : 0.05) * 1e9)};
        if (o->stop != NULL && *o->stop) {
            lle_meter_cancel(m, w);
            return lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted while measuring the idle baseline");
        }
        nanosleep(&ts, NULL);
    }
    if (st == LLE_OK)
        st = lle_meter_end(m, w, &ew, err);
    if (st != LLE_OK)
        return st;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0, k = 0; i < m->n; i++) {
        m->idle_w[i] = NAN;
        if (!m->ch[i].d.energy)
            continue;
        if (!ew->readings[k].partial)
            m->idle_w[i] = ew->readings[k].avg_power_w;
        k++;
    }
    m->has_baseline = true;
    lle_strlcpy(m->bl_origin, "measured", sizeof m->bl_origin);
    m->bl_duration_s = ew->duration_s;
    m->bl_measured_at = (double)time(NULL);
    pthread_mutex_unlock(&m->mu);
    lle_energy_window_free(ew);
    return LLE_OK;
}

lle_status lle_meter_idle_baseline(lle_meter *m, const lle_baseline_opts *o, lle_error *err)
{
    char path[4096], key[512];
    cJSON *cache = NULL;
    bool cached = false;
    lle_status st = LLE_OK;

    if (!(o->seconds >= 0.0 && o->seconds <= 3600.0) || !(o->ttl_s >= 0.0))
        return lle_fail(err, LLE_ERR_INVALID, "idle baseline: %g s (use 0 to 3600) with a time-to-live of %g s",
                        o->seconds, o->ttl_s);
    if (o->seconds == 0.0)
        return LLE_OK;
    if (o->cache_path != NULL)
        lle_strlcpy(path, o->cache_path, sizeof path);
    else if ((st = lle_baseline_default_path(path, sizeof path, err)) != LLE_OK)
        return st;
    machine_key(key, sizeof key);
    cache = load_cache(path);
    if (!o->refresh && cache != NULL) {
        pthread_mutex_lock(&m->mu);
        cached = use_cache(m, cache, key, o->ttl_s);
        pthread_mutex_unlock(&m->mu);
    }
    if (!cached)
        st = measure_idle(m, o, err);
    if (st == LLE_OK) {
        lle_strlcpy(m->bl_cache, path, sizeof m->bl_cache);
        m->bl_ttl_s = o->ttl_s;
    }
    if (st == LLE_OK && !cached)
        save_cache(m, cache, path, key);
    else
        cJSON_Delete(cache);
    return st;
}

void lle_meter_baseline_info(lle_meter *m, lle_baseline_info *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->mu);
    lle_strlcpy(out->origin, m->bl_origin, sizeof out->origin);
    if (m->has_baseline) {
        out->duration_s = m->bl_duration_s;
        out->age_s = (double)time(NULL) - m->bl_measured_at;
        out->ttl_s = m->bl_ttl_s;
        lle_strlcpy(out->cache, m->bl_cache, sizeof out->cache);
    }
    pthread_mutex_unlock(&m->mu);
}
