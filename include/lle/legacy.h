/* lle/legacy.h — importing the thesis tool's results (henrycgbaker/thesis:
 * results/raw_results/<id>/<id>_*.json folders and the combined
 * text_generation_results.json files) into the results database, as
 * documents marked "source": "legacy" with units converted to ours (kWh ->
 * J, kg CO2e -> g, W kept) and every figure labelled measured or estimated,
 * so old and new results can be compared (docs/legacy-import.md).
 *
 * Ownership: lle_legacy_import() returns a report the caller frees with
 * lle_legacy_report_free(); the strings in it belong to the report. */
#ifndef LLE_LEGACY_H
#define LLE_LEGACY_H

#include <stdbool.h>
#include <stddef.h>

#include "lle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lle_legacy_outcome {
    LLE_LEGACY_IMPORTED = 0, /* stored (or, in a dry run, would be) */
    LLE_LEGACY_DUPLICATE,    /* an identical copy of a run already read (the combined file lists each twice) */
    LLE_LEGACY_REPLACED,     /* same id as a run read earlier with different content: this one is kept */
    LLE_LEGACY_SKIPPED       /* not importable (missing files); `message` says why */
} lle_legacy_outcome;

typedef struct lle_legacy_item {
    char id[64];       /* our experiment id: "legacy-thesis-<thesis id>" */
    char source[1024]; /* the folder or file (and entry) it came from */
    lle_legacy_outcome outcome;
    char message[512]; /* notes for imported runs, the reason for skipped ones */
} lle_legacy_item;

typedef struct lle_legacy_report {
    size_t n_items;
    lle_legacy_item *items;
    size_t n_imported, n_duplicates, n_replaced, n_skipped;
    size_t n_stored_before; /* of the imported ids, how many the database already had (re-import) */
} lle_legacy_report;

/* Find every thesis-tool result under `dir` (a results/ folder with
 * raw_results/, a raw_results/ folder, one <id>/ folder, a folder with
 * combined text_generation_results*.json files, or such a file) and store
 * them in <results_dir>/results.db in one transaction; ids are stable, so a
 * re-import replaces the same rows (idempotent). `dry_run`: read and report
 * only. Errors: NOT_FOUND (nothing importable under dir), FORMAT (a file
 * that is not valid JSON or has a field of the wrong type: the message names
 * the file, line and field; nothing is stored), IO. *report is set on
 * LLE_OK only (NULL otherwise). */
LLE_API lle_status lle_legacy_import(const char *dir, const char *results_dir, bool dry_run, lle_legacy_report **report,
                                     lle_error *err);
LLE_API void lle_legacy_report_free(lle_legacy_report *r);
/* The report as JSON (malloc'd; NULL on OOM): counts and one entry per item. */
LLE_API char *lle_legacy_report_json(const lle_legacy_report *r, bool dry_run);
/* "imported", "duplicate", "replaced", "skipped". */
LLE_API const char *lle_legacy_outcome_name(lle_legacy_outcome o);

#ifdef __cplusplus
}
#endif
#endif
