/* report.h — what the report's files share: the page's inline script and
 * style (report_js.c) and the data island builder (report_data.c) that
 * report.c wraps into one HTML page. Not installed. Ownership: the data is
 * appended to the caller's rbuf; nothing is retained. */
#ifndef LLE_RESULTS_REPORT_H
#define LLE_RESULTS_REPORT_H

#include "results/results_internal.h"

extern const char RES_REPORT_JS[];
extern const char RES_REPORT_CSS[];

/* Most experiments whose power series are embedded, and points per series. */
#define RES_REPORT_MAX_POWER  10000
#define RES_REPORT_MAX_POINTS 240
/* Most run points drawn in the Pareto scatter (evenly sampled beyond). */
#define RES_REPORT_MAX_SCATTER 20000

/* Append the JSON data object (summary rows, factors, groups, scatter, power
 * index, environment) to `data` and one <script type="application/json"
 * id="ts-K"> element per experiment with power samples to `islands`; every
 * '<' inside JSON is written as \u003c. `n_runs`/`methods` summarise the
 * energy methods for the page header. */
lle_status res_report_data(lle_results *r, const lle_results_filter *f, rbuf *data, rbuf *islands,
                           long long *n_experiments, char *methods, size_t methods_size, lle_error *err);

/* The power index (",\"power\":[...]" into data) and the islands. */
lle_status res_report_power(lle_results *r, const lle_results_filter *f, rbuf *data, rbuf *islands, lle_error *err);

/* Append JSON text inside a <script> element: every '<' as \u003c. */
void res_put_script_json(rbuf *b, const char *json, size_t len);

#endif
