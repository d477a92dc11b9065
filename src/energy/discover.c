/* discover.c — which energy sources a meter (or `devices`) uses, in order:
 * powercap RAPL; the perf power PMU only when RAPL gives no CPU counter (the
 * root-only energy_uj case); a check that each CPU counter actually advances
 * (a virtual machine may expose a PMU that always reads 0); NVML and amdsmi
 * GPUs; estimates for the CPU and RAM only where no counter covers them;
 * and the CPU-utilisation channel for the time series. Also
 * lle_energy_probe_sources(): every source with its reading and fix (report.c
 * turns it into JSON and text). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "energy/energy_internal.h"

static const char *const KINDS[] = {"rapl", "perf", "nvml", "amdsmi", "estimate"};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

/* Which kinds `list` enables (NULL/"" = all). INVALID names an unknown kind. */
static lle_status parse_kinds(const char *list, bool on[N_KINDS], lle_error *err)
{
    char buf[256], *save = NULL, *tok;

    for (size_t k = 0; k < N_KINDS; k++)
        on[k] = list == NULL || list[0] == '\0';
    if (list == NULL || list[0] == '\0')
        return LLE_OK;
    if (lle_strlcpy(buf, list, sizeof buf) >= sizeof buf)
        return lle_fail(err, LLE_ERR_INVALID, "sources: list too long");
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (k < N_KINDS && strcmp(tok, KINDS[k]) != 0)
            k++;
        if (k == N_KINDS)
            return lle_fail(err, LLE_ERR_INVALID,
                            "sources: unknown kind '%s' (use rapl, perf, nvml, amdsmi, "
                            "estimate)",
                            tok);
        on[k] = true;
    }
    return LLE_OK;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    nanosleep(&ts, NULL);
}

static bool read_raw(const ech_desc *c, uint64_t *raw, char *why, size_t size)
{
    ech_sample s;

    memset(&s, 0, sizeof s);
    if (!c->ops->read(c->ctx, c->sub, false, &s) || !s.counter_ok) {
        lle_strlcpy(why, s.why[0] ? s.why : "read failed", size);
        return false;
    }
    *raw = s.raw;
    return true;
}

/* Drop counters of `kind` that do not move within probe_s (checked every
 * 10 ms; a real RAPL counter moves within about a millisecond). */
static lle_status check_stuck(edisc *d, const char *kind, double probe_s, lle_error *err)
{
    uint64_t first[128];
    bool moved[128] = {false}, failed[128] = {false};
    char why[128][192];
    size_t n = d->n_ch < 128 ? d->n_ch : 128;
    lle_status st = LLE_OK;

    for (size_t i = 0; i < n; i++)
        if (d->ch[i].check_stuck && strcmp(d->ch[i].kind, kind) == 0)
            failed[i] = !read_raw(&d->ch[i], &first[i], why[i], sizeof why[i]);
        else
            moved[i] = true;
    for (long step = 0; (double)step * 0.01 < probe_s; step++) { /* 10 ms polls for probe_s */
        bool all = true;
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            if (!moved[i] && !failed[i] && read_raw(&d->ch[i], &v, why[i], sizeof why[i]) && v != first[i])
                moved[i] = true;
            all = all && (moved[i] || failed[i]);
        }
        if (all)
            break;
        sleep_s(0.01);
    }
    for (size_t i = n; i > 0 && st == LLE_OK; i--) {
        const ech_desc *c = &d->ch[i - 1];
        char msg[320];
        if (moved[i - 1] && !failed[i - 1])
            continue;
        if (failed[i - 1])
            lle_energy_fmt(msg, sizeof msg, "%s", why[i - 1]);
        else
            lle_energy_fmt(msg, sizeof msg,
                           "the counter did not change in %.2f s: it exists but reads no energy "
                           "(typical of a virtual machine without RAPL pass-through)",
                           probe_s);
        st = edisc_add_bad(d, c->kind, c->id, c->name, msg, "", err);
        edisc_remove_channel(d, i - 1);
    }
    return st;
}

/* psys covers the packages: sum it only when no package of its kind exists. */
static void settle_psys(edisc *d, const char *kind)
{
    bool have_pkg = false;

    for (size_t i = 0; i < d->n_ch; i++)
        have_pkg = have_pkg || (strcmp(d->ch[i].kind, kind) == 0 && strcmp(d->ch[i].domain, "package") == 0);
    for (size_t i = 0; i < d->n_ch; i++)
        if (strcmp(d->ch[i].kind, kind) == 0 && strcmp(d->ch[i].domain, "psys") == 0)
            d->ch[i].in_total = !have_pkg;
}

/* Whether measured channels in totals cover the CPU and the RAM. */
static void coverage(const edisc *d, bool *cpu, bool *ram)
{
    *cpu = *ram = false;
    for (size_t i = 0; i < d->n_ch; i++) {
        const ech_desc *c = &d->ch[i];
        if (c->method != LLE_ENERGY_MEASURED || !c->in_total)
            continue;
        if (strcmp(c->domain, "package") == 0)
            *cpu = true;
        if (strcmp(c->domain, "dram") == 0)
            *ram = true;
        if (strcmp(c->domain, "psys") == 0)
            *cpu = *ram = true;
    }
}

static lle_status cpu_counters(const lle_meter_opts *o, bool probe_all, const bool on[N_KINDS], edisc *d,
                               lle_error *err)
{
    bool cpu, ram;
    lle_status st = LLE_OK;

    if (on[0]) {
        st = lle_rapl_discover(d, err);
        settle_psys(d, "rapl");
        if (st == LLE_OK && o->probe_s > 0.0)
            st = check_stuck(d, "rapl", o->probe_s, err);
    }
    coverage(d, &cpu, &ram);
    if (st == LLE_OK && on[1] && (!cpu || probe_all)) {
        size_t first = d->n_ch;
        st = lle_perf_discover(d, err);
        settle_psys(d, "perf");
        for (size_t i = first; cpu && i < d->n_ch; i++)
            d->ch[i].in_total = false; /* probe only: RAPL already counts this energy */
        if (st == LLE_OK && o->probe_s > 0.0)
            st = check_stuck(d, "perf", o->probe_s, err);
    }
    return st;
}

lle_status lle_energy_discover(const lle_meter_opts *o, bool probe_all, edisc *d, lle_error *err)
{
    bool on[N_KINDS], cpu, ram;
    lle_status st = parse_kinds(o->sources, on, err);

    memset(d, 0, sizeof *d);
    if (st == LLE_OK)
        st = cpu_counters(o, probe_all, on, d, err);
    if (st == LLE_OK && on[2])
        st = lle_nvml_discover(d, err);
    if (st == LLE_OK && on[3])
        st = lle_amdsmi_discover(d, err);
    coverage(d, &cpu, &ram);
    if (st == LLE_OK && on[4] && o->estimate_fallback)
        st = lle_estimate_discover(d, o, !cpu, !ram, err);
    if (st == LLE_OK && !probe_all)
        st = lle_cpustat_discover(d, err);
    if (st != LLE_OK)
        edisc_free(d);
    return st;
}

/* ---- probe ------------------------------------------------------------------ */
static void info_from_channel(lle_energy_source_info *s, const ech_desc *c)
{
    ech_sample smp;

    memset(&smp, 0, sizeof smp);
    for (int k = 0; k < ECH_MAX_AUX; k++)
        smp.aux[k] = NAN;
    lle_strlcpy(s->id, c->id, sizeof s->id);
    lle_strlcpy(s->kind, c->kind, sizeof s->kind);
    lle_strlcpy(s->name, c->name, sizeof s->name);
    lle_strlcpy(s->domain, c->domain, sizeof s->domain);
    lle_strlcpy(s->how, c->how, sizeof s->how);
    s->method = c->method;
    s->in_total = c->in_total;
    s->readable = c->ops->read(c->ctx, c->sub, false, &smp);
    s->has_energy = s->readable && smp.counter_ok;
    s->energy_j = s->has_energy ? (double)smp.raw * c->scale_j : 0.0;
    s->has_power = s->readable && smp.power_ok;
    s->power_w = s->has_power ? smp.power_w : 0.0;
    lle_strlcpy(s->status, s->readable ? "ok" : smp.why, sizeof s->status);
}

static void info_from_bad(lle_energy_source_info *s, const esrc_status *b)
{
    lle_strlcpy(s->id, b->id, sizeof s->id);
    lle_strlcpy(s->kind, b->kind, sizeof s->kind);
    lle_strlcpy(s->name, b->name, sizeof s->name);
    lle_strlcpy(s->domain, b->domain, sizeof s->domain);
    lle_strlcpy(s->status, b->status, sizeof s->status);
    lle_strlcpy(s->fix, b->fix, sizeof s->fix);
    s->method = strcmp(b->kind, "estimate") == 0 ? LLE_ENERGY_ESTIMATED : LLE_ENERGY_MEASURED;
}

lle_status lle_energy_probe_sources(const lle_meter_opts *opts, lle_energy_probe **out, lle_error *err)
{
    lle_meter_opts o;
    edisc d;
    lle_energy_probe *p = NULL;
    lle_status st;

    *out = NULL;
    if (opts != NULL)
        o = *opts;
    else
        lle_meter_opts_init(&o);
    st = lle_energy_discover(&o, true, &d, err);
    if (st != LLE_OK)
        return st;
    p = calloc(1, sizeof *p);
    if (p != NULL)
        p->sources = calloc(d.n_ch + d.n_bad + 1, sizeof *p->sources);
    if (p == NULL || p->sources == NULL) {
        free(p);
        edisc_free(&d);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory probing energy sources");
    }
    for (size_t i = 0; i < d.n_ch; i++)
        info_from_channel(&p->sources[p->n++], &d.ch[i]);
    for (size_t i = 0; i < d.n_bad; i++)
        info_from_bad(&p->sources[p->n++], &d.bad[i]);
    edisc_free(&d);
    *out = p;
    return LLE_OK;
}

void lle_energy_probe_free(lle_energy_probe *p)
{
    if (p != NULL)
        free(p->sources);
    free(p);
}

size_t lle_meter_unavailable(lle_meter *m, lle_energy_source_info *out, size_t max)
{
    for (size_t i = 0; i < m->disc.n_bad && i < max; i++) {
        memset(&out[i], 0, sizeof out[i]);
        info_from_bad(&out[i], &m->disc.bad[i]);
    }
    return m->disc.n_bad;
}

const char *lle_energy_method_name(lle_energy_method m)
{
    return m == LLE_ENERGY_ESTIMATED ? "estimated" : "measured";
}
