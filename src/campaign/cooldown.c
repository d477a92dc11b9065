/* cooldown.c — waiting between a campaign's experiments: a fixed number of
 * seconds, and, kept apart in its own function, waiting until a temperature
 * reading falls below a threshold. The temperature comes from an
 * lle_temperature_source the caller provides (the energy module's sensors);
 * the campaign runner calls cmp_cooldown_temperature() only when one exists
 * and otherwise reports the temperature cooldown as unavailable. */
#include <stdio.h>
#include <time.h>

#include "campaign/campaign_internal.h"
#include "common/util.h"

lle_status cmp_sleep(double seconds, const volatile int *stop, lle_error *err)
{
    double end = lle_now_s() + seconds, left;

    while ((left = end - lle_now_s()) > 0.0) {
        struct timespec ts;
        if (stop != NULL && *stop)
            return lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted");
        left = left > 0.05 ? 0.05 : left;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e9);
        nanosleep(&ts, NULL);
    }
    return stop != NULL && *stop ? lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted") : LLE_OK;
}

lle_status cmp_cooldown_temperature(const lle_temperature_source *src, double threshold_c, double timeout_s,
                                    const volatile int *stop, void (*on_wait)(void *user, const char *what), void *user,
                                    bool *reached, double *last_c, lle_error *err)
{
    double t0 = lle_now_s();
    char what[128] = "", line[256];
    lle_status st = LLE_OK;

    *reached = false;
    *last_c = 0.0;
    for (;;) {
        st = src->read(src->user, last_c, what, sizeof what, err);
        if (st != LLE_OK)
            break;
        if (*last_c < threshold_c) {
            *reached = true;
            break;
        }
        if (lle_now_s() - t0 >= timeout_s)
            break;
        if (on_wait != NULL) {
            snprintf(line, sizeof line, "cooling down: %s at %.1f °C, waiting for < %.1f °C (%.0f s left)", what,
                     *last_c, threshold_c, timeout_s - (lle_now_s() - t0));
            on_wait(user, line);
        }
        st = cmp_sleep(1.0, stop, err);
        if (st != LLE_OK)
            break;
    }
    return st;
}
