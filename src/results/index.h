/* index.h — the one entry point of the results index that the store calls:
 * when an experiment is put, its flat row (RES_FLAT_TABLE) and its
 * pre-rendered export values (RES_TEXT_TABLE) are written in the put's own
 * transaction, so reading results never has to parse that document again.
 * Layering: the store (src/store) calls down into this leaf of the results
 * module (index.c, fields.c, buf.c), which uses nothing of the store and no
 * lle_results handle; the rest of src/results sits above the store. Not
 * installed. Ownership: nothing is retained; `doc` is only read. */
#ifndef LLE_RESULTS_INDEX_H
#define LLE_RESULTS_INDEX_H

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "lle/error.h"

/* Called first in a put's transaction: the table the change triggers of the
 * index write to is made if absent (someone may have dropped it), so those
 * triggers can never make a put fail. */
lle_status res_index_begin_put(sqlite3 *db, const char *path, lle_error *err);

/* Write the flat row and the export values of experiment `doc` (already in
 * experiments and requests) on connection `db`, inside the caller's open
 * transaction; `path` names the database in messages. Creates the two
 * derived tables when absent. A flat table of another layout (written by a
 * build with another catalogue) is left alone: the next `results` command
 * rebuilds it. Errors (IO, NOMEM) mean the caller must roll back. */
lle_status res_index_put(sqlite3 *db, const char *path, const cJSON *doc, lle_error *err);

#endif
