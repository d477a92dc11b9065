/* window.c — a window's energy per source from the snapshots at its two
 * edges: the counter difference, or the power integral for power-only
 * channels, estimates, and NVML windows shorter than a few counter updates
 * (flagged low-confidence); average and peak power; partial and anomaly
 * flags with their reasons; net energy against the idle baseline; measured
 * and estimated totals kept apart. Also accumulation of windows (per-batch
 * phases) and their JSON (docs/energy.md). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/energy_internal.h"

/* Estimates read utilisation from /proc/stat, which counts 10 ms ticks. */
#define ESTIMATE_MIN_WINDOW_S 0.5
#define MIN_POWER_READINGS    3

static void add_note(char *note, size_t size, const char *text)
{
    size_t used = strlen(note);

    if (strstr(note, text) != NULL)
        return;
    lle_energy_fmt(note + used, size - used, "%s%s", used > 0 ? "; " : "", text);
}

double lle_net_energy_j(double gross_j, double idle_w, double duration_s)
{
    return isnan(idle_w) ? gross_j : gross_j - idle_w * duration_s;
}

/* Which integral the reading takes, and the confidence notes. */
static double pick_energy(const mchan *c, const msnap *a, const msnap *b, double dur, lle_energy_reading *r)
{
    char text[200];
    uint64_t reads = b->n_reads - a->n_reads;

    if (c->d.has_counter && (!c->d.has_power || dur >= c->d.counter_min_window_s))
        return b->e_ctr - a->e_ctr;
    if (c->d.has_counter) {
        r->low_confidence = true;
        lle_energy_fmt(text, sizeof text,
                       "window of %.3f s is shorter than %.2f s (a few counter updates): integrated "
                       "from power readings",
                       dur, c->d.counter_min_window_s);
        add_note(r->note, sizeof r->note, text);
    } else if (c->d.method == LLE_ENERGY_MEASURED && reads < MIN_POWER_READINGS) {
        r->low_confidence = true;
        lle_energy_fmt(text, sizeof text, "only %llu power readings in the window", (unsigned long long)reads + 1);
        add_note(r->note, sizeof r->note, text);
    } else if (c->d.method == LLE_ENERGY_ESTIMATED && dur < ESTIMATE_MIN_WINDOW_S) {
        r->low_confidence = true;
        add_note(r->note, sizeof r->note, "window shorter than 0.5 s: utilisation from 10 ms /proc/stat ticks");
    }
    return b->e_pow - a->e_pow;
}

static void fill_flags(const mchan *c, const msnap *a, const msnap *b, double t_end, lle_energy_reading *r)
{
    char text[240];

    r->wraps = b->wraps - a->wraps;
    r->anomalies = b->anomalies - a->anomalies;
    if (r->anomalies > 0) {
        lle_energy_fmt(text, sizeof text, "%u reading(s) rejected: %s", r->anomalies, c->ctr.note);
        add_note(r->note, sizeof r->note, text);
    }
    if (b->gaps > a->gaps) {
        r->low_confidence = true;
        add_note(r->note, sizeof r->note, c->ctr.note);
    }
    if (!a->ok || !b->ok) {
        r->partial = true;
        if (c->lost)
            lle_energy_fmt(text, sizeof text, "source lost at %.3f s (window ends at %.3f s): %s", c->lost_t, t_end,
                           c->why);
        else
            lle_energy_fmt(text, sizeof text, "a read at a window edge failed: %s", c->why);
        add_note(r->note, sizeof r->note, text);
    }
}

static void fill_reading(const lle_meter *m, size_t i, const lle_meter_window *w, const msnap *end, double t_end,
                         lle_energy_reading *r)
{
    const mchan *c = &m->ch[i];
    double dur = t_end - w->t_start;

    memset(r, 0, sizeof *r);
    lle_strlcpy(r->source, c->d.id, sizeof r->source);
    lle_strlcpy(r->name, c->d.name, sizeof r->name);
    lle_strlcpy(r->kind, c->d.kind, sizeof r->kind);
    lle_strlcpy(r->domain, c->d.domain, sizeof r->domain);
    lle_strlcpy(r->how, c->d.how, sizeof r->how);
    r->method = c->d.method;
    r->in_total = c->d.in_total;
    r->energy_j = pick_energy(c, &w->s[i], &end[i], dur, r);
    fill_flags(c, &w->s[i], &end[i], t_end, r);
    r->avg_power_w = dur > 0.0 ? r->energy_j / dur : 0.0;
    r->peak_power_w = w->peak[i] > r->avg_power_w ? w->peak[i] : r->avg_power_w;
    r->has_baseline = m->has_baseline && !isnan(m->idle_w[i]);
    r->idle_power_w = r->has_baseline ? m->idle_w[i] : 0.0;
    r->net_energy_j = lle_net_energy_j(r->energy_j, r->has_baseline ? m->idle_w[i] : NAN, dur);
}

static void sum_totals(lle_energy_window *out)
{
    out->measured_j = out->estimated_j = out->net_measured_j = out->net_estimated_j = 0.0;
    out->partial = false;
    for (size_t k = 0; k < out->n_readings; k++) {
        const lle_energy_reading *r = &out->readings[k];
        out->partial = out->partial || r->partial;
        if (!r->in_total)
            continue;
        if (r->method == LLE_ENERGY_MEASURED) {
            out->measured_j += r->energy_j;
            out->net_measured_j += r->net_energy_j;
        } else {
            out->estimated_j += r->energy_j;
            out->net_estimated_j += r->net_energy_j;
        }
    }
}

lle_status lle_window_build(lle_meter *m, const lle_meter_window *w, const msnap *end, double t_end,
                            lle_energy_window **out, lle_error *err)
{
    lle_energy_window *ew = calloc(1, sizeof *ew);

    if (ew != NULL)
        ew->readings = calloc(m->n + 1, sizeof *ew->readings);
    if (ew == NULL || ew->readings == NULL) {
        free(ew);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory closing an energy window");
    }
    lle_strlcpy(ew->name, w->name, sizeof ew->name);
    ew->start_s = w->t_start;
    ew->end_s = t_end;
    ew->duration_s = t_end - w->t_start;
    ew->n_parts = 1;
    for (size_t i = 0; i < m->n; i++)
        if (m->ch[i].d.energy)
            fill_reading(m, i, w, end, t_end, &ew->readings[ew->n_readings++]);
    sum_totals(ew);
    *out = ew;
    return LLE_OK;
}

void lle_energy_window_free(lle_energy_window *w)
{
    if (w != NULL)
        free(w->readings);
    free(w);
}

static lle_energy_window *copy_window(const lle_energy_window *w)
{
    lle_energy_window *c = malloc(sizeof *c);

    if (c == NULL)
        return NULL;
    *c = *w;
    c->readings = malloc((w->n_readings + 1) * sizeof *c->readings);
    if (c->readings == NULL) {
        free(c);
        return NULL;
    }
    memcpy(c->readings, w->readings, w->n_readings * sizeof *c->readings);
    return c;
}

static void add_reading(lle_energy_reading *a, const lle_energy_reading *b, double dur)
{
    a->energy_j += b->energy_j;
    a->net_energy_j += b->net_energy_j;
    a->avg_power_w = dur > 0.0 ? a->energy_j / dur : 0.0;
    a->peak_power_w = b->peak_power_w > a->peak_power_w ? b->peak_power_w : a->peak_power_w;
    a->partial = a->partial || b->partial;
    a->low_confidence = a->low_confidence || b->low_confidence;
    a->wraps += b->wraps;
    a->anomalies += b->anomalies;
    if (b->note[0] != '\0')
        add_note(a->note, sizeof a->note, b->note);
}

lle_status lle_energy_window_accumulate(lle_energy_window **acc, const lle_energy_window *w, lle_error *err)
{
    lle_energy_window *a = *acc;

    if (a == NULL) {
        *acc = copy_window(w);
        return *acc != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory accumulating energy");
    }
    a->duration_s += w->duration_s;
    a->end_s = w->end_s > a->end_s ? w->end_s : a->end_s;
    a->start_s = w->start_s < a->start_s ? w->start_s : a->start_s;
    a->n_parts += w->n_parts;
    for (size_t k = 0; k < w->n_readings; k++) {
        size_t j = 0;
        while (j < a->n_readings && strcmp(a->readings[j].source, w->readings[k].source) != 0)
            j++;
        if (j == a->n_readings)
            return lle_fail(err, LLE_ERR_INVALID, "accumulating energy windows of different meters (source %s)",
                            w->readings[k].source);
        add_reading(&a->readings[j], &w->readings[k], a->duration_s);
    }
    for (size_t j = 0; j < a->n_readings; j++)
        a->readings[j].avg_power_w = a->duration_s > 0.0 ? a->readings[j].energy_j / a->duration_s : 0.0;
    sum_totals(a);
    return LLE_OK;
}

static cJSON *reading_json(const lle_energy_reading *r)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "source", r->source);
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddStringToObject(o, "kind", r->kind);
    cJSON_AddStringToObject(o, "domain", r->domain);
    cJSON_AddStringToObject(o, "method", lle_energy_method_name(r->method));
    cJSON_AddStringToObject(o, "how", r->how);
    cJSON_AddBoolToObject(o, "in_total", r->in_total);
    cJSON_AddNumberToObject(o, "energy_j", r->energy_j);
    cJSON_AddNumberToObject(o, "avg_power_w", r->avg_power_w);
    cJSON_AddNumberToObject(o, "peak_power_w", r->peak_power_w);
    cJSON_AddItemToObject(o, "idle_power_w",
                          r->has_baseline ? cJSON_CreateNumber(r->idle_power_w) : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "net_energy_j", r->net_energy_j);
    cJSON_AddBoolToObject(o, "partial", r->partial);
    cJSON_AddBoolToObject(o, "low_confidence", r->low_confidence);
    cJSON_AddNumberToObject(o, "wraps", r->wraps);
    cJSON_AddNumberToObject(o, "anomalies", r->anomalies);
    if (r->note[0] != '\0')
        cJSON_AddStringToObject(o, "note", r->note);
    return o;
}

cJSON *lle_window_cjson(const lle_energy_window *w)
{
    cJSON *o = cJSON_CreateObject(), *arr;

    cJSON_AddStringToObject(o, "name", w->name);
    cJSON_AddNumberToObject(o, "start_s", w->start_s);
    cJSON_AddNumberToObject(o, "end_s", w->end_s);
    cJSON_AddNumberToObject(o, "duration_s", w->duration_s);
    cJSON_AddNumberToObject(o, "parts", w->n_parts);
    cJSON_AddNumberToObject(o, "measured_j", w->measured_j);
    cJSON_AddNumberToObject(o, "estimated_j", w->estimated_j);
    cJSON_AddNumberToObject(o, "net_measured_j", w->net_measured_j);
    cJSON_AddNumberToObject(o, "net_estimated_j", w->net_estimated_j);
    cJSON_AddBoolToObject(o, "partial", w->partial);
    arr = cJSON_AddArrayToObject(o, "sources");
    for (size_t k = 0; arr != NULL && k < w->n_readings; k++)
        cJSON_AddItemToArray(arr, reading_json(&w->readings[k]));
    return o;
}

char *lle_energy_window_to_json(const lle_energy_window *w)
{
    cJSON *o = lle_window_cjson(w);
    char *out = o != NULL ? cJSON_Print(o) : NULL;

    cJSON_Delete(o);
    return out;
}
