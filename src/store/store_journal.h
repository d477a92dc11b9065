/* store_journal.h — the campaign journal in the results database (tables
 * `campaigns` and `campaign_items`, schema version 2; docs/campaigns.md): one
 * row per planned experiment (config hash + cycle) with its state pending |
 * running | done | failed, every change committed in its own transaction,
 * and the put-and-mark-done transaction that stores an experiment's document
 * and marks its journal row done atomically. Also a read-only peek that opens
 * nothing for writing (dry runs) and an all-or-nothing multi-document put
 * (legacy import). Not installed; src/campaign and src/legacy use it.
 *
 * Ownership: arrays returned through `items` are malloc'd and freed by the
 * caller with free(); strings passed in are only read during the call. */
#ifndef LLE_STORE_JOURNAL_H
#define LLE_STORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lle/store.h"

#define LLE_JOURNAL_HASH_MAX  65
#define LLE_JOURNAL_LABEL_MAX 256

typedef enum lle_journal_state {
    LLE_JOURNAL_PENDING = 0,
    LLE_JOURNAL_RUNNING,
    LLE_JOURNAL_DONE,
    LLE_JOURNAL_FAILED
} lle_journal_state;

/* "pending", "running", "done", "failed". */
const char *lle_journal_state_name(lle_journal_state s);

typedef struct lle_journal_item {
    char hash[LLE_JOURNAL_HASH_MAX]; /* resolved configuration hash (hex) */
    int cycle;                       /* 1-based */
    int seq;                         /* position in run order */
    char label[LLE_JOURNAL_LABEL_MAX];
    lle_journal_state state;
    int attempts;           /* times it was started */
    int failures;           /* times it failed (crashes are not failures) */
    char result_id[64];     /* id of the result being saved ("" when none) */
    char experiment_id[64]; /* the stored experiment when done ("" otherwise) */
    char error[512];        /* last failure ("" when none) */
} lle_journal_item;

/* What the journal records about a campaign (for lle_journal_sync). */
typedef struct lle_journal_campaign {
    const char *id, *name, *suite, *config_path, *order;
    int cycles, max_retries;
} lle_journal_campaign;

/* One planned item for lle_journal_sync. */
typedef struct lle_journal_plan_item {
    const char *hash;
    int cycle;
    int seq;
    const char *label;
    const char *config_json;
} lle_journal_plan_item;

/* Every journal row of `campaign_id`, in seq order; *exists false (and *n 0)
 * when the campaign has no journal. */
lle_status lle_journal_read(lle_store *s, const char *campaign_id, lle_journal_item **items, size_t *n, bool *exists,
                            lle_error *err);

/* The same without opening the database for writing: a missing results.db,
 * or one older than schema version 2, is "no journal". Never creates files. */
lle_status lle_journal_peek(const char *results_dir, const char *campaign_id, lle_journal_item **items, size_t *n,
                            bool *exists, lle_error *err);

/* Bring the journal in line with the plan in one transaction: record the
 * campaign, insert planned items that are missing (pending), update seq and
 * label of the others, and delete rows no longer planned (their stored
 * experiments stay). `restart` first deletes every row of the campaign. */
lle_status lle_journal_sync(lle_store *s, const lle_journal_campaign *c, const lle_journal_plan_item *plan, size_t n,
                            bool restart, lle_error *err);

/* Reset the failure count of failed items (--retry-failed): they run again. */
lle_status lle_journal_reset_failed(lle_store *s, const char *campaign_id, lle_error *err);

/* State changes of one item, each its own transaction. running: attempts+1,
 * result_id cleared. result: the id the result will be saved under. failed:
 * failures+1 and the error kept. pending: back to pending (interrupted). */
lle_status lle_journal_mark_running(lle_store *s, const char *campaign_id, const char *hash, int cycle, lle_error *err);
lle_status lle_journal_set_result_id(lle_store *s, const char *campaign_id, const char *hash, int cycle,
                                     const char *result_id, lle_error *err);
lle_status lle_journal_mark_failed(lle_store *s, const char *campaign_id, const char *hash, int cycle,
                                   const char *error, lle_error *err);
lle_status lle_journal_mark_pending(lle_store *s, const char *campaign_id, const char *hash, int cycle, lle_error *err);

/* Store the experiment document and mark the item done (experiment_id = the
 * document's id) in ONE transaction: after a crash either both happened or
 * neither. LLE_ERR_INVALID (nothing written) when the item is already done or
 * no longer planned. The test kill point "done-tx" (campaign/killpoint.h) sits
 * between the writes and the COMMIT. */
lle_status lle_journal_put_done(lle_store *s, const char *campaign_id, const char *hash, int cycle,
                                const char *json_doc, const char *experiment_id, lle_error *err);

/* Totals over the completed experiments measured by this tool (imported
 * legacy results left out) in results_dir's database, of one model file
 * (`model_path`) or of all (NULL): (input + output) tokens, busy seconds and
 * their number. Read-only; all zero when there is no database. */
lle_status lle_store_peek_throughput(const char *results_dir, const char *model_path, double *tokens, double *busy_s,
                                     long long *n, lle_error *err);

/* Put every document in one transaction (all or none). */
lle_status lle_store_put_all(lle_store *s, const char *const *docs, size_t n, lle_error *err);

#endif
