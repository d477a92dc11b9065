/* store_timeseries.h — sampled measurements (power, utilisation, memory,
 * temperature) of a stored experiment into the results database's timeseries
 * table (docs/storage.md): one row (experiment_id, t_s, source, metric, value)
 * per sample. Not installed; the energy meter calls it through
 * lle_meter_timeseries_store(). Ownership: the rows are produced by the
 * caller's iterator and only read; nothing is retained after the call. */
#ifndef LLE_STORE_TIMESERIES_H
#define LLE_STORE_TIMESERIES_H

#include <stdbool.h>

#include "lle/store.h"

typedef struct lle_ts_row {
    double t_s;         /* seconds from the start of the measured window */
    const char *source; /* "rapl:package-0", "nvml:0", "sys:cpu", ... */
    const char *metric; /* a name ending in its unit: "power_w", "gpu_util_pct" */
    double value;
} lle_ts_row;

/* Fill *row with the next row; false when there is none left. */
typedef bool (*lle_ts_next_fn)(void *user, lle_ts_row *row);

/* Replace the timeseries rows of `experiment_id` by the iterator's rows, in
 * one transaction. Errors: INVALID (NULL arguments), NOT_FOUND (no such
 * experiment stored), IO/NOMEM/FORMAT (database). On error nothing changes. */
lle_status lle_store_put_timeseries(lle_store *s, const char *experiment_id, lle_ts_next_fn next, void *user,
                                    lle_error *err);

#endif
