/* peaks.c — which peaks an experiment's MFU and MBU are divided by, and the
 * utilisation figures (docs/devices.md, "MFU and MBU"). A peak comes from the
 * user's override, else the calibration cached for this machine, else it is
 * unknown and so are MFU/MBU: nothing is guessed. Every peak carries its
 * source ("user", "calibrated <date>", "none") and how it was derived.
 * All but lle_peaks_for_run (which reads the cache) is pure arithmetic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "device/device_internal.h"

#define MINOR_TYPE_SHARE 0.01 /* weight types holding < 1% of the elements are left out of the FLOP/s peak */

static void set_unknown(double *value, char *source, size_t ssize, char *basis, size_t bsize, const char *why)
{
    *value = 0.0;
    lle_strlcpy(source, "none", ssize);
    lle_strlcpy(basis, why, bsize);
}

/* Element-weighted harmonic mean of the types' calibrated prefill peaks: the
 * FLOP/s the model's matmuls would reach if each ran at its type's peak. */
static void calibrated_flops(const lle_calibration *cal, const lle_model_info *m, lle_peaks *p)
{
    double total = 0.0, used = 0.0, time = 0.0;
    char basis[256] = "prefill GEMM peak of ";
    size_t len = strlen(basis);

    for (size_t i = 0; i < m->n_types; i++)
        total += (double)m->types[i].n_elements;
    for (size_t i = 0; i < m->n_types && total > 0.0; i++) {
        const lle_tensor_type_count *t = &m->types[i];
        const lle_calibration_type *ct = lle_calibration_find_type(cal, t->type);
        double share = (double)t->n_elements / total;
        if (share < MINOR_TYPE_SHARE)
            continue;
        if (ct == NULL || !(ct->prefill_flops_per_s.best > 0.0)) {
            snprintf(p->flops_basis, sizeof p->flops_basis,
                     "no calibrated peak for weight type %s (%.0f%% of "
                     "the weights): calibrate with --types including %s",
                     t->type, 100.0 * share, t->type);
            lle_strlcpy(p->flops_source, "none", sizeof p->flops_source);
            return;
        }
        used += (double)t->n_elements;
        time += (double)t->n_elements / ct->prefill_flops_per_s.best;
        if (len < sizeof basis)
            len += (size_t)snprintf(basis + len, sizeof basis - len, "%s%s %.0f%%",
                                    used > (double)t->n_elements ? ", " : "", t->type, 100.0 * share);
    }
    if (!(time > 0.0)) {
        set_unknown(&p->flops_per_s, p->flops_source, sizeof p->flops_source, p->flops_basis, sizeof p->flops_basis,
                    "the model lists no weight tensors");
        return;
    }
    p->flops_per_s = used / time;
    snprintf(p->flops_source, sizeof p->flops_source, "calibrated %s", cal->measured_at);
    if (len < sizeof basis)
        snprintf(basis + len, sizeof basis - len, " of the weights (element-weighted harmonic mean)");
    lle_strlcpy(p->flops_basis, basis, sizeof p->flops_basis);
}

static lle_status check_override(const char *name, double v, lle_error *err)
{
    if (!isfinite(v) || v < 0.0)
        return lle_fail(err, LLE_ERR_INVALID, "%s: %g is not a non-negative number", name, v);
    return LLE_OK;
}

lle_status lle_peaks_resolve(const lle_peak_overrides *ov, const lle_calibration *cal, const lle_model_info *model,
                             lle_peaks *p, lle_error *err)
{
    lle_peak_overrides none = {0.0, 0.0};
    lle_status st;

    memset(p, 0, sizeof *p);
    ov = ov != NULL ? ov : &none;
    st = check_override("peak_flops_per_s", ov->peak_flops_per_s, err);
    if (st == LLE_OK)
        st = check_override("peak_bandwidth_bytes_per_s", ov->peak_bandwidth_bytes_per_s, err);
    if (st != LLE_OK)
        return st;
    if (ov->peak_flops_per_s > 0.0) {
        p->flops_per_s = ov->peak_flops_per_s;
        lle_strlcpy(p->flops_source, "user", sizeof p->flops_source);
        lle_strlcpy(p->flops_basis, "peak_flops_per_s given in the configuration", sizeof p->flops_basis);
    } else if (cal != NULL && model != NULL) {
        calibrated_flops(cal, model, p);
    } else {
        set_unknown(&p->flops_per_s, p->flops_source, sizeof p->flops_source, p->flops_basis, sizeof p->flops_basis,
                    cal == NULL ? "no calibration and no peak_flops_per_s given"
                                : "no model: the calibrated peak depends on its weight types");
    }
    if (ov->peak_bandwidth_bytes_per_s > 0.0) {
        p->bandwidth_bytes_per_s = ov->peak_bandwidth_bytes_per_s;
        lle_strlcpy(p->bandwidth_source, "user", sizeof p->bandwidth_source);
        lle_strlcpy(p->bandwidth_basis, "peak_bandwidth_bytes_per_s given in the configuration",
                    sizeof p->bandwidth_basis);
    } else if (cal != NULL && cal->peak_bandwidth_bytes_per_s > 0.0) {
        p->bandwidth_bytes_per_s = cal->peak_bandwidth_bytes_per_s;
        snprintf(p->bandwidth_source, sizeof p->bandwidth_source, "calibrated %s", cal->measured_at);
        snprintf(p->bandwidth_basis, sizeof p->bandwidth_basis, "highest measured bandwidth: %s",
                 cal->peak_bandwidth_from);
    } else {
        set_unknown(&p->bandwidth_bytes_per_s, p->bandwidth_source, sizeof p->bandwidth_source, p->bandwidth_basis,
                    sizeof p->bandwidth_basis, "no calibration and no peak_bandwidth_bytes_per_s given");
    }
    return LLE_OK;
}

lle_status lle_peaks_for_run(const lle_peak_overrides *ov, int n_threads, const char *cache_dir,
                             const lle_model_info *model, lle_peaks *out, lle_error *err)
{
    const char *q = getenv("LLE_CALIBRATE_QUICK");
    lle_calibration_key key;
    lle_calibration *cal = malloc(sizeof *cal);
    lle_error lerr = {0};
    lle_status st;

    if (cal == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    st = lle_calibration_key_current(n_threads, q != NULL && strcmp(q, "1") == 0, &key, err);
    if (st == LLE_OK) {
        lle_status ls = lle_calibration_load(&key, cache_dir, cal, NULL, 0, &lerr);
        st = lle_peaks_resolve(ov, ls == LLE_OK ? cal : NULL, model, out, err);
        if (st == LLE_OK && ls != LLE_OK && strcmp(out->flops_source, "none") == 0)
            lle_strlcpy(out->flops_basis, lerr.msg, sizeof out->flops_basis);
        if (st == LLE_OK && ls != LLE_OK && strcmp(out->bandwidth_source, "none") == 0)
            lle_strlcpy(out->bandwidth_basis, lerr.msg, sizeof out->bandwidth_basis);
    }
    free(cal);
    return st;
}

static lle_utilisation utilisation(double achieved, double peak, const char *source, const char *basis)
{
    lle_utilisation u;

    memset(&u, 0, sizeof u);
    u.achieved = achieved;
    u.peak = peak;
    lle_strlcpy(u.peak_source, source[0] != '\0' ? source : "none", sizeof u.peak_source);
    lle_strlcpy(u.why, basis, sizeof u.why);
    if (peak > 0.0 && isfinite(achieved) && achieved > 0.0) {
        u.known = true;
        u.value = achieved / peak;
    } else if (peak > 0.0) {
        lle_strlcpy(u.why, "no achieved figure (nothing was measured)", sizeof u.why);
    }
    return u;
}

lle_utilisation lle_mfu(double achieved_flops_per_s, const lle_peaks *p)
{
    return utilisation(achieved_flops_per_s, p->flops_per_s, p->flops_source, p->flops_basis);
}

lle_utilisation lle_mbu(double bytes, double seconds, const lle_model_traffic *t, const lle_peaks *p)
{
    lle_utilisation u;

    if (t != NULL && t->n_expert > 0) {
        u = utilisation(0.0, p->bandwidth_bytes_per_s, p->bandwidth_source, "");
        u.known = false;
        lle_strlcpy(u.why, "mixture of experts: the weights read per step depend on routing, not counted",
                    sizeof u.why);
        return u;
    }
    return utilisation(seconds > 0.0 && isfinite(bytes) && bytes >= 0.0 ? bytes / seconds : NAN,
                       p->bandwidth_bytes_per_s, p->bandwidth_source, p->bandwidth_basis);
}

static void add_positive_or_null(cJSON *o, const char *name, double v)
{
    if (isfinite(v) && v > 0.0)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

cJSON *lle_peaks_json(const lle_peaks *p)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    add_positive_or_null(o, "flops_per_s", p->flops_per_s);
    cJSON_AddStringToObject(o, "flops_source", p->flops_source[0] != '\0' ? p->flops_source : "none");
    cJSON_AddStringToObject(o, "flops_basis", p->flops_basis);
    add_positive_or_null(o, "bandwidth_bytes_per_s", p->bandwidth_bytes_per_s);
    cJSON_AddStringToObject(o, "bandwidth_source", p->bandwidth_source[0] != '\0' ? p->bandwidth_source : "none");
    cJSON_AddStringToObject(o, "bandwidth_basis", p->bandwidth_basis);
    return o;
}

cJSON *lle_utilisation_json(const lle_utilisation *u)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    if (u->known)
        cJSON_AddNumberToObject(o, "value", u->value);
    else
        cJSON_AddNullToObject(o, "value");
    add_positive_or_null(o, "achieved", u->achieved);
    add_positive_or_null(o, "peak", u->peak);
    cJSON_AddStringToObject(o, "peak_source", u->peak_source[0] != '\0' ? u->peak_source : "none");
    cJSON_AddStringToObject(o, "why", u->why);
    return o;
}
