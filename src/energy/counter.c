/* counter.c — the integration maths of the energy module: cumulative hardware
 * counters turned into joules with wraparound handling (any number of wraps,
 * one per reading interval at most, which the sampler's period guarantees),
 * counters that go backwards without a plausible wrap flagged instead of
 * absorbed, reading gaps long enough to hide a wrap flagged, and the
 * trapezoid rule for instantaneous power readings. Pure functions; the
 * definitions are in docs/energy.md. */
#include <stdio.h>
#include <string.h>

#include "energy/energy_internal.h"

void lle_ctr_init(lle_ctr *c, uint64_t modulus, double scale_j, double max_w)
{
    memset(c, 0, sizeof *c);
    c->modulus = modulus;
    c->scale_j = scale_j;
    c->max_w = max_w;
}

/* A decrease: a wrap when the counter has a modulus, both values are inside
 * it and the energy it implies is within max_w over dt. Returns the raw delta
 * of the wrap, or -1 for an anomaly. */
static double wrap_delta(const lle_ctr *c, uint64_t raw, double dt)
{
    double d;

    if (c->modulus == 0 || raw >= c->modulus || c->last >= c->modulus)
        return -1.0;
    d = (double)(c->modulus - c->last) + (double)raw;
    if (c->max_w > 0.0 && d * c->scale_j > c->max_w * (dt > 0.0 ? dt : 0.0) + c->scale_j)
        return -1.0;
    return d;
}

double lle_ctr_feed(lle_ctr *c, uint64_t raw, double t)
{
    double dt = t - c->last_t, d_raw, added = 0.0;

    if (!c->have) {
        c->have = true;
        c->last = raw;
        c->last_t = t;
        return 0.0;
    }
    if (raw >= c->last) {
        d_raw = (double)(raw - c->last);
        /* The shortest time one full wrap can take at max_w: a longer gap may
         * hide one, so the figure is a lower bound. */
        if (c->modulus > 0 && c->max_w > 0.0 && dt > (double)c->modulus * c->scale_j / c->max_w) {
            c->gaps++;
            lle_energy_fmt(c->note, sizeof c->note,
                           "%.1f s between readings exceeds the counter's shortest wrap time (%.0f s at %.0f W): "
                           "wraps may be missed",
                           dt, (double)c->modulus * c->scale_j / c->max_w, c->max_w);
        }
        added = d_raw * c->scale_j;
    } else if ((d_raw = wrap_delta(c, raw, dt)) >= 0.0) {
        c->wraps++;
        added = d_raw * c->scale_j;
    } else {
        c->anomalies++;
        lle_energy_fmt(c->note, sizeof c->note,
                       "counter went backwards from %llu to %llu without a plausible wraparound; "
                       "the interval was dropped",
                       (unsigned long long)c->last, (unsigned long long)raw);
    }
    c->acc_j += added;
    c->last = raw;
    c->last_t = t;
    return added;
}

double lle_trapezoid_j(double p0_w, double t0, double p1_w, double t1)
{
    return t1 > t0 ? 0.5 * (p0_w + p1_w) * (t1 - t0) : 0.0;
}
