/* remote_sweep.c — a sweep over load levels (concurrency for the closed loop,
 * rate for open loops), one experiment per level, stopping at saturation:
 * an open-loop point saturates when the server completes fewer than
 * (1 - tol) x the offered requests per second, a closed-loop point when its
 * output throughput grows by less than tol over the previous point; either
 * saturates when more than tol of its requests fail. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_internal.h"

static bool saturated(const lle_remote_result *r, const lle_remote_result *prev, bool open_loop, double tol)
{
    double err_rate = r->n_requests > 0 ? (double)r->n_failed / (double)r->n_requests : 1.0;

    if (err_rate > tol)
        return true;
    if (open_loop)
        return r->offered_rate > 0 && r->completion_rate < (1.0 - tol) * r->offered_rate;
    return prev != NULL && r->output_tok_s < (1.0 + tol) * prev->output_tok_s;
}

lle_status lle_remote_sweep(const lle_remote_config *cfg, const double *points, size_t n_points, double tol,
                            lle_remote_progress_fn progress, void *user, const volatile int *stop,
                            lle_remote_result ***out, size_t *n_out, lle_error *err)
{
    lle_remote_result **rs = calloc(n_points > 0 ? n_points : 1, sizeof(lle_remote_result *));
    bool open_loop = lle_remote_is_open_loop(cfg);
    lle_status st = LLE_OK;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    if (rs == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (n_points == 0 || !(tol > 0 && tol < 1))
        st = lle_fail(err, LLE_ERR_INVALID, "sweep: give at least one point and a tolerance in (0, 1)");
    if (st == LLE_OK && strcmp(cfg->load, "burst") == 0)
        st = lle_fail(err, LLE_ERR_INVALID, "sweep: load burst and trace have no single level to sweep");
    if (st == LLE_OK && strcmp(cfg->load, "trace") == 0)
        st = lle_fail(err, LLE_ERR_INVALID, "sweep: load burst and trace have no single level to sweep");
    for (size_t i = 0; st == LLE_OK && i < n_points; i++) {
        lle_remote_config c = *cfg;
        if (open_loop)
            c.rate = points[i];
        else if (points[i] < 1 || points[i] > 100000 || points[i] != (double)(int)points[i])
            st =
                lle_fail(err, LLE_ERR_INVALID, "sweep: concurrency %g is not a whole number in [1, 100000]", points[i]);
        else
            c.concurrency = (int)points[i];
        if (st == LLE_OK)
            st = lle_remote_run(&c, progress, user, stop, &rs[n], err);
        if (rs[n] == NULL)
            break;
        rs[n]->sweep_index = (int)i;
        rs[n]->sweep_value = points[i];
        rs[n]->saturated = saturated(rs[n], n > 0 ? rs[n - 1] : NULL, open_loop, tol);
        n++;
        if (st != LLE_OK || rs[n - 1]->saturated)
            break;
    }
    if (st == LLE_ERR_BACKEND && n > 1)
        st = LLE_OK; /* a point where nothing succeeded is saturated, not a failure */
    *out = rs;
    *n_out = n;
    return st;
}
