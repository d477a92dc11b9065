/* journal_prep.h — the journal steps a campaign runner takes before and
 * while it runs, shared by the one-process runner (execute.c) and the MPI
 * coordinator (src/mpi/campaign_journal.c), so both have exactly the same
 * semantics and either can resume what the other left: the flock on
 * <results_dir>/.campaign-<id>.lock, the refusal of a changed experiment set,
 * the journal sync, the journal rows sorted by (hash, cycle), and the
 * recovery of results a crash left complete on disk. Not installed.
 * Ownership: rows read by camp_read_rows() belong to the caller (free()). */
#ifndef LLE_CAMPAIGN_JOURNAL_PREP_H
#define LLE_CAMPAIGN_JOURNAL_PREP_H

#include <stddef.h>

#include "lle/campaign.h"
#include "store/store_journal.h"

/* Lock campaign `id` in `dir` (exclusive, non-blocking; the kernel releases
 * it even on kill -9); *fd is the open lock file, -1 on failure. A campaign
 * already running elsewhere: INVALID; else IO. */
lle_status camp_lock(const char *dir, const char *id, int *fd, lle_error *err);

/* INVALID when the journal's experiment set differs from the plan's and the
 * options neither accept the change nor restart. */
lle_status camp_check_changes(const lle_campaign_plan *p, const char *dir, const lle_campaign_opts *o, lle_error *err);

/* The journal brought in line with the plan (restart and retry_failed from `o`). */
lle_status camp_sync_journal(lle_store *s, const lle_campaign_plan *p, const lle_campaign_opts *o, lle_error *err);

/* The journal rows of campaign `id`, sorted by (hash, cycle); *rows (freed
 * first) and *n replaced. */
lle_status camp_read_rows(lle_store *s, const char *id, lle_journal_item **rows, size_t *n, lle_error *err);

/* The row of plan item `item` in sorted rows (NULL when it has none). */
lle_journal_item *camp_row_of(const lle_campaign_plan *p, lle_journal_item *rows, size_t n, size_t item);

/* Runs a crash left "running" whose <id>.json in `dir` is complete and theirs
 * are stored as done (*recovered counts them); the temporary files of their
 * interrupted writes are removed. The caller re-reads the rows afterwards. */
lle_status camp_recover(lle_store *s, const lle_campaign_plan *p, const char *dir, const lle_journal_item *rows,
                        size_t n, size_t *recovered, lle_error *err);

#endif
