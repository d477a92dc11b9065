/* energy_report.h — the energy module's reporter for `llm-efficiency devices`
 * (the extension point in src/device/energy_table.c): every energy source
 * found, readable or not, with its current reading and, for an unreadable one,
 * the exact fix. Not installed. Ownership: lle_energy_report_json() appends
 * objects it allocates to the caller's array (the array owns them);
 * lle_energy_report_text() returns a malloc'd string freed with free(). */
#ifndef LLE_ENERGY_REPORT_H
#define LLE_ENERGY_REPORT_H

#include <cjson/cJSON.h>

#include "lle/error.h"

/* Append one object per source to `sources` (a JSON array): id, kind, name,
 * domain, method, readable, in_total, energy_j|null, power_w|null, how,
 * status, fix. Errors: NOMEM. */
lle_status lle_energy_report_json(cJSON *sources, lle_error *err);

/* The same as human lines, each ending in '\n'. NULL on OOM. */
char *lle_energy_report_text(void);

#endif
