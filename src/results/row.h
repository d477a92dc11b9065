/* row.h — one experiment's flat row in memory (row.c), shared by show and
 * compare. Ownership: res_row_load() fills arrays the caller releases with
 * res_row_free(); res_row_provenance() returns a string owned by the row or
 * static. */
#ifndef LLE_RESULTS_ROW_H
#define LLE_RESULTS_ROW_H

#include "results/results_internal.h"

typedef struct res_row {
    int *type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT per catalogue column */
    double *num;
    char **text; /* SQLite's text of the value (NULL for NULL) */
} res_row;

lle_status res_row_load(lle_results *r, const char *id, res_row *row, lle_error *err);
void res_row_free(res_row *row);
bool res_row_null(const res_row *row, size_t i);
/* The value for people: reals with 6 significant digits, booleans yes/no, "-" for NULL. */
void res_row_human(const res_row *row, size_t i, char *out, size_t size);
/* "measured", "estimated", "computed", "" (configuration), or for energy
 * figures the method stored with them ("measured", "estimated", "mixed"). */
const char *res_row_provenance(const res_row *row, size_t i);

#endif
