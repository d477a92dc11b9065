/* meter.c — the energy meter: discovers the sources, reads them all at every
 * sampler tick (a background thread, CLOCK_MONOTONIC deadlines, default
 * every 100 ms) and at every window edge, integrates each channel (counters
 * through counter.c, power readings by the trapezoid rule, interval-mean
 * powers as rectangles), keeps live power, the time series and each open
 * window's peak. Windows are pairs of snapshots of the cumulative figures,
 * so they nest and overlap freely; window.c turns a pair into energy. A
 * source whose reads fail three times in a row is marked lost: the meter goes
 * on, and windows that needed it are partial. One mutex guards everything;
 * the sampler releases it while it sleeps. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define LOST_AFTER_FAILS 3
#define MAX_SERIES_ROWS  2000000 /* ~3 days at 100 ms; later samples are dropped with a warning */

void lle_meter_opts_init(lle_meter_opts *o)
{
    memset(o, 0, sizeof *o);
    o->interval_s = 0.1;
    o->estimate_fallback = true;
    o->probe_s = 0.1;
    o->timeseries = true;
}

static double mono_clock(void *user)
{
    (void)user;
    return lle_now_s();
}

double lle_meter_now(lle_meter *m)
{
    return m->clock(m->clock_user) - m->t0;
}

void lle_meter_set_clock(lle_meter *m, double (*clock)(void *), void *user)
{
    pthread_mutex_lock(&m->mu);
    m->clock = clock;
    m->clock_user = user;
    m->t0 = 0.0;
    pthread_mutex_unlock(&m->mu);
}

static void record_read(mchan *c, const ech_sample *s, double now)
{
    c->fails = 0;
    c->n_reads++;
    if (s->counter_ok && c->d.has_counter)
        lle_ctr_feed(&c->ctr, s->raw, now);
    if (s->power_ok && c->d.has_power) {
        if (c->have_p && c->d.power_interval && now > c->last_p_t)
            c->e_pow += s->power_w * (now - c->last_p_t);
        else if (c->have_p)
            c->e_pow += lle_trapezoid_j(c->last_p, c->last_p_t, s->power_w, now);
        c->last_p = s->power_w;
        c->last_p_t = now;
        c->have_p = true;
    }
}

/* The channel's best cumulative energy for live power and peaks. */
static double chan_energy(const mchan *c)
{
    return c->d.has_counter ? c->ctr.acc_j : c->e_pow;
}

/* Peaks of open windows: interval powers of ticks whose interval lies in the
 * window, and every sensor reading taken inside it. */
static void update_peaks(lle_meter *m, size_t i, double interval_start, double now)
{
    const mchan *c = &m->ch[i];

    for (lle_meter_window *w = m->open; w != NULL; w = w->next) {
        double start = c->d.has_power && !c->d.power_interval ? now : interval_start;
        if (start >= w->t_start && c->live_w > w->peak[i])
            w->peak[i] = c->live_w;
    }
}

static void tick_channel(lle_meter *m, size_t i, double now)
{
    mchan *c = &m->ch[i];
    double e = chan_energy(c), start = c->tick_t;

    if (!c->d.energy || c->lost)
        return;
    if (c->d.has_power && c->have_p)
        c->live_w = c->last_p;
    else if (c->tick_have && now > c->tick_t)
        c->live_w = (e - c->tick_e) / (now - c->tick_t);
    if (c->tick_have)
        update_peaks(m, i, start, now);
    c->tick_e = e;
    c->tick_t = now;
    c->tick_have = true;
}

static void append_row(lle_meter *m, double now, const ech_sample *smp)
{
    size_t width = 1 + m->n_series;
    double *row;

    if (!m->o.timeseries || m->n_rows >= MAX_SERIES_ROWS)
        return;
    if (m->n_rows == m->cap_rows) {
        size_t cap = m->cap_rows ? m->cap_rows * 2 : 256;
        double *p = realloc(m->rows, cap * width * sizeof *p);
        if (p == NULL) {
            lle_logf(LLE_LOG_WARN, "energy time series: out of memory, later samples are not kept");
            m->o.timeseries = false;
            return;
        }
        m->rows = p;
        m->cap_rows = cap;
    }
    row = m->rows + m->n_rows * width;
    row[0] = now;
    for (size_t k = 0; k < m->n_series; k++) {
        const mseries *s = &m->series[k];
        const mchan *c = &m->ch[s->ch];
        row[1 + k] = s->aux >= 0 ? smp[s->ch].aux[s->aux] : c->tick_have && !c->lost ? c->live_w : NAN;
    }
    if (++m->n_rows == MAX_SERIES_ROWS)
        lle_logf(LLE_LOG_WARN, "energy time series: %d samples kept, later ones are dropped", MAX_SERIES_ROWS);
}

static void read_one(lle_meter *m, size_t i, double now, bool tick, ech_sample *s)
{
    mchan *c = &m->ch[i];

    memset(s, 0, sizeof *s);
    for (int k = 0; k < ECH_MAX_AUX; k++)
        s->aux[k] = NAN;
    if (c->lost)
        return;
    if (c->d.ops->read(c->d.ctx, c->d.sub, tick && m->o.timeseries, s)) {
        record_read(c, s, now);
        return;
    }
    lle_strlcpy(c->why, s->why[0] ? s->why : "read failed", sizeof c->why);
    if (++c->fails >= LOST_AFTER_FAILS) {
        c->lost = true;
        c->lost_t = now;
        lle_logf(LLE_LOG_WARN, "energy source %s lost at %.3f s: %s", c->d.id, now, c->why);
    }
}

void lle_meter_read_all(lle_meter *m, double now, bool tick)
{
    ech_sample stack[16] = {0}, *smp = m->n <= 16 ? stack : calloc(m->n, sizeof *smp);

    if (smp == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        read_one(m, i, now, tick, &smp[i]);
    if (tick) {
        for (size_t i = 0; i < m->n; i++)
            tick_channel(m, i, now);
        append_row(m, now, smp);
        m->ticks++;
    }
    if (smp != stack)
        free(smp);
}

void lle_meter_tick(lle_meter *m)
{
    pthread_mutex_lock(&m->mu);
    lle_meter_read_all(m, lle_meter_now(m), true);
    pthread_mutex_unlock(&m->mu);
}

static void timespec_add(struct timespec *t, double s)
{
    long ns = (long)(s * 1e9);

    t->tv_sec += ns / 1000000000L;
    t->tv_nsec += ns % 1000000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static void *sampler_main(void *arg)
{
    lle_meter *m = arg;
    struct timespec next, now, cpu;

    pthread_mutex_lock(&m->mu);
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!m->stopping) {
        timespec_add(&next, m->o.interval_s);
        while (!m->stopping && pthread_cond_timedwait(&m->cv, &m->mu, &next) != ETIMEDOUT)
            ;
        if (m->stopping)
            break;
        lle_meter_read_all(m, lle_meter_now(m), true);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec + 1) /* far behind (suspend?): restart the schedule */
            next = now;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
            m->thread_cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec * 1e-9;
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

static lle_status check_opts(const lle_meter_opts *o, lle_error *err)
{
    if (o->interval_s != 0.0 && !(o->interval_s >= 0.01 && o->interval_s <= 60.0))
        return lle_fail(err, LLE_ERR_INVALID, "sampling interval %g s: use 0 (off) or 0.01 to 60 s", o->interval_s);
    if (!(o->probe_s >= 0.0 && o->probe_s <= 10.0))
        return lle_fail(err, LLE_ERR_INVALID, "probe time %g s: use 0 to 10 s", o->probe_s);
    if (!(o->cpu_tdp_w >= 0.0 && o->cpu_tdp_w <= 10000.0))
        return lle_fail(err, LLE_ERR_INVALID, "CPU TDP %g W: use 1 to 10000 W (0 = look it up)", o->cpu_tdp_w);
    if (o->sources != NULL && strlen(o->sources) >= 128)
        return lle_fail(err, LLE_ERR_INVALID, "sources: list too long");
    return LLE_OK;
}

/* Channels and time-series columns from the discovery. */
static lle_status build_channels(lle_meter *m, lle_error *err)
{
    size_t n_series = 0, k = 0;

    m->n = m->disc.n_ch;
    m->ch = calloc(m->n + 1, sizeof *m->ch);
    m->idle_w = calloc(m->n + 1, sizeof *m->idle_w);
    for (size_t i = 0; i < m->n; i++)
        n_series += (m->disc.ch[i].energy ? 1 : 0) + (size_t)m->disc.ch[i].n_aux;
    m->series = calloc(n_series + 1, sizeof *m->series);
    if (m->ch == NULL || m->idle_w == NULL || m->series == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory setting up the energy meter");
    for (size_t i = 0; i < m->n; i++) {
        mchan *c = &m->ch[i];
        c->d = m->disc.ch[i];
        lle_ctr_init(&c->ctr, c->d.modulus, c->d.scale_j, c->d.max_w);
        m->idle_w[i] = NAN;
        if (c->d.energy)
            m->series[k++] = (mseries){i, -1};
        for (int a = 0; a < c->d.n_aux; a++)
            m->series[k++] = (mseries){i, a};
    }
    m->n_series = k;
    return LLE_OK;
}

static void init_sync(lle_meter *m)
{
    pthread_condattr_t ca;

    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
}

static lle_status start_thread(lle_meter *m, lle_error *err)
{
    int rc;

    if (m->o.interval_s <= 0.0)
        return LLE_OK;
    rc = pthread_create(&m->th, NULL, sampler_main, m);
    if (rc != 0)
        return lle_fail(err, LLE_ERR_INTERNAL, "energy meter: cannot start the sampler thread (%s)", strerror(rc));
    m->th_started = true;
    return LLE_OK;
}

lle_status lle_meter_open(const lle_meter_opts *opts, lle_meter **out, lle_error *err)
{
    lle_meter_opts dflt;
    lle_meter *m = NULL;
    lle_status st;

    *out = NULL;
    if (opts == NULL) {
        lle_meter_opts_init(&dflt);
        opts = &dflt;
    }
    if ((st = check_opts(opts, err)) != LLE_OK)
        return st;
    if ((m = calloc(1, sizeof *m)) == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory opening the energy meter");
    init_sync(m);
    m->o = *opts;
    if (opts->sources != NULL) {
        lle_strlcpy(m->sources_buf, opts->sources, sizeof m->sources_buf);
        m->o.sources = m->sources_buf;
    }
    m->clock = mono_clock;
    m->t0 = mono_clock(NULL);
    lle_strlcpy(m->bl_origin, "none", sizeof m->bl_origin);
    st = lle_energy_discover(&m->o, false, &m->disc, err);
    if (st == LLE_OK)
        st = build_channels(m, err);
    if (st == LLE_OK) {
        lle_meter_read_all(m, lle_meter_now(m), true);
        st = start_thread(m, err);
    }
    if (st != LLE_OK) {
        lle_meter_close(m);
        return st;
    }
    *out = m;
    return LLE_OK;
}

void lle_meter_stop(lle_meter *m)
{
    if (m == NULL || !m->th_started)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->th, NULL);
    m->th_started = false;
}

void lle_meter_close(lle_meter *m)
{
    if (m == NULL)
        return;
    lle_meter_stop(m);
    while (m->open != NULL) {
        lle_meter_window *w = m->open;
        m->open = w->next;
        free(w->s);
        free(w->peak);
        free(w);
    }
    edisc_free(&m->disc);
    free(m->ch);
    free(m->idle_w);
    free(m->series);
    free(m->rows);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

static void snapshot(const lle_meter *m, msnap *s)
{
    for (size_t i = 0; i < m->n; i++) {
        const mchan *c = &m->ch[i];
        s[i] = (msnap){
            c->ctr.acc_j, c->e_pow, c->n_reads, c->ctr.wraps, c->ctr.anomalies, c->ctr.gaps, !c->lost && c->fails == 0};
    }
}

lle_status lle_meter_begin(lle_meter *m, const char *name, lle_meter_window **out, lle_error *err)
{
    lle_meter_window *w = calloc(1, sizeof *w);

    *out = NULL;
    if (w != NULL) {
        w->s = calloc(m->n + 1, sizeof *w->s);
        w->peak = malloc((m->n + 1) * sizeof *w->peak);
    }
    if (w == NULL || w->s == NULL || w->peak == NULL) {
        if (w != NULL) {
            free(w->s);
            free(w->peak);
        }
        free(w);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory opening an energy window");
    }
    lle_strlcpy(w->name, name != NULL ? name : "window", sizeof w->name);
    for (size_t i = 0; i < m->n; i++)
        w->peak[i] = -1.0;
    pthread_mutex_lock(&m->mu);
    w->t_start = lle_meter_now(m);
    lle_meter_read_all(m, w->t_start, false);
    snapshot(m, w->s);
    w->next = m->open;
    if (m->open != NULL)
        m->open->prev = w;
    m->open = w;
    pthread_mutex_unlock(&m->mu);
    *out = w;
    return LLE_OK;
}

static void unlink_window(lle_meter *m, lle_meter_window *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        m->open = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
}

/* Sensor readings at the closing edge count for the peak too. */
static void edge_peaks(lle_meter *m, lle_meter_window *w)
{
    for (size_t i = 0; i < m->n; i++) {
        const mchan *c = &m->ch[i];
        if (c->d.has_power && !c->d.power_interval && c->have_p && !c->lost && c->last_p > w->peak[i])
            w->peak[i] = c->last_p;
    }
}

lle_status lle_meter_end(lle_meter *m, lle_meter_window *w, lle_energy_window **out, lle_error *err)
{
    msnap *end = calloc(m->n + 1, sizeof *end);
    lle_status st;
    double now;

    *out = NULL;
    pthread_mutex_lock(&m->mu);
    now = lle_meter_now(m);
    lle_meter_read_all(m, now, false);
    unlink_window(m, w);
    if (end == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory closing an energy window");
    } else {
        snapshot(m, end);
        edge_peaks(m, w);
        st = lle_window_build(m, w, end, now, out, err);
    }
    pthread_mutex_unlock(&m->mu);
    free(end);
    free(w->s);
    free(w->peak);
    free(w);
    return st;
}

void lle_meter_cancel(lle_meter *m, lle_meter_window *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    unlink_window(m, w);
    pthread_mutex_unlock(&m->mu);
    free(w->s);
    free(w->peak);
    free(w);
}

void lle_meter_live_power(lle_meter *m, double *measured_w, double *estimated_w)
{
    double meas = 0.0, est = 0.0;

    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n; i++) {
        const mchan *c = &m->ch[i];
        if (!c->d.energy || !c->d.in_total || c->lost || !c->tick_have)
            continue;
        if (c->d.method == LLE_ENERGY_MEASURED)
            meas += c->live_w;
        else
            est += c->live_w;
    }
    pthread_mutex_unlock(&m->mu);
    if (measured_w != NULL)
        *measured_w = meas;
    if (estimated_w != NULL)
        *estimated_w = est;
}

void lle_meter_get_stats(lle_meter *m, lle_meter_stats *out)
{
    pthread_mutex_lock(&m->mu);
    out->interval_s = m->o.interval_s;
    out->samples = m->ticks;
    out->wall_s = lle_meter_now(m);
    out->thread_cpu_s = m->thread_cpu_s;
    out->n_sources = 0;
    for (size_t i = 0; i < m->n; i++)
        out->n_sources += m->ch[i].d.energy ? 1 : 0;
    pthread_mutex_unlock(&m->mu);
}
