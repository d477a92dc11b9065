/* campaign_journal.c — the journal side of the MPI campaign coordinator
 * (rank 0), with exactly the semantics of the one-process runner
 * (src/campaign/execute.c), so either can resume what the other left: both
 * take the same steps from campaign/journal_prep.c (the flock on
 * <results_dir>/.campaign-<id>.lock, the refusal of a changed experiment set,
 * journal sync, recovery of results a crash left complete on disk), and per
 * run: "running" -> result id journaled -> <id>.json written atomically ->
 * row stored and marked done in ONE transaction. Only this rank ever opens
 * the database. The documents come from the workers; this file adds their
 * "campaign" block (with an "mpi" part naming the rank and node). The same
 * crash points as execute.c (campaign/killpoint.h) are reached here. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/journal_prep.h"
#include "campaign/killpoint.h"
#include "common/util.h"
#include "mpi/wq.h"

lle_journal_item *wq_journal_row(wq_journal *j, size_t item)
{
    return camp_row_of(j->p, j->rows, j->n_rows, item);
}

bool wq_journal_runnable(wq_journal *j, size_t item)
{
    const lle_journal_item *row = wq_journal_row(j, item);

    return row != NULL && (row->state == LLE_JOURNAL_PENDING || row->state == LLE_JOURNAL_RUNNING ||
                           (row->state == LLE_JOURNAL_FAILED && row->failures <= j->p->max_retries));
}

static lle_status reload_rows(wq_journal *j, lle_error *err)
{
    return camp_read_rows(j->store, j->p->id, &j->rows, &j->n_rows, err);
}

lle_status wq_journal_open(wq_journal *j, const lle_campaign_plan *p, const char *dir, const lle_campaign_opts *o,
                           lle_campaign_summary *sum, lle_error *err)
{
    lle_status st;

    memset(j, 0, sizeof *j);
    *j = (wq_journal){.p = p, .dir = dir, .o = o, .sum = sum, .lock_fd = -1};
    st = lle_mkdir_p(dir, err);
    if (st == LLE_OK)
        st = camp_lock(dir, p->id, &j->lock_fd, err); /* the one-process runner's lock: one campaign, one runner */
    if (st == LLE_OK)
        st = camp_check_changes(p, dir, o, err);
    if (st == LLE_OK)
        st = lle_store_open(dir, &j->store, err);
    if (st == LLE_OK)
        st = camp_sync_journal(j->store, p, o, err);
    if (st == LLE_OK)
        st = reload_rows(j, err);
    for (size_t i = 0; st == LLE_OK && i < j->n_rows; i++)
        sum->already_done += j->rows[i].state == LLE_JOURNAL_DONE ? 1 : 0;
    if (st == LLE_OK) /* runs a crash left "running" whose <id>.json is complete are stored now */
        st = camp_recover(j->store, p, dir, j->rows, j->n_rows, &sum->recovered, err);
    if (st == LLE_OK)
        st = reload_rows(j, err);
    return st;
}

void wq_journal_close(wq_journal *j)
{
    lle_store_close(j->store);
    free(j->rows);
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the flock */
    memset(j, 0, sizeof *j);
    j->lock_fd = -1;
}

static void set_row(wq_journal *j, size_t item, lle_journal_state state, int attempts, int failures)
{
    lle_journal_item *row = wq_journal_row(j, item);

    if (row == NULL)
        return;
    row->state = state;
    row->attempts += attempts;
    row->failures += failures;
}

lle_status wq_journal_running(wq_journal *j, size_t item, lle_error *err)
{
    const lle_journal_item *row = wq_journal_row(j, item);
    lle_status st;

    if (row == NULL)
        return lle_fail(err, LLE_ERR_INTERNAL, "campaign '%s': run %zu has no journal row", j->p->id, item + 1);
    st = lle_journal_mark_running(j->store, j->p->id, row->hash, row->cycle, err);
    if (st == LLE_OK)
        set_row(j, item, LLE_JOURNAL_RUNNING, 1, 0);
    lle_killpoint("running");
    return st;
}

lle_status wq_journal_failed(wq_journal *j, size_t item, const char *why, lle_error *err)
{
    const lle_journal_item *row = wq_journal_row(j, item);
    lle_status st = row != NULL ? lle_journal_mark_failed(j->store, j->p->id, row->hash, row->cycle, why, err)
                                : lle_fail(err, LLE_ERR_INTERNAL, "run %zu has no journal row", item + 1);

    if (st == LLE_OK)
        set_row(j, item, LLE_JOURNAL_FAILED, 0, 1);
    return st;
}

lle_status wq_journal_pending(wq_journal *j, size_t item, lle_error *err)
{
    const lle_journal_item *row = wq_journal_row(j, item);
    lle_status st = row != NULL ? lle_journal_mark_pending(j->store, j->p->id, row->hash, row->cycle, err)
                                : lle_fail(err, LLE_ERR_INTERNAL, "run %zu has no journal row", item + 1);

    if (st == LLE_OK)
        set_row(j, item, LLE_JOURNAL_PENDING, 0, 0);
    return st;
}

/* The "campaign" block of execute.c, and where the run ran. */
static cJSON *campaign_block(wq_journal *j, size_t item, const lle_journal_item *row, const wq_run_meta *m)
{
    const lle_campaign_plan *p = j->p;
    const lle_campaign_experiment *e = &p->experiments[p->items[item].experiment];
    cJSON *o = cJSON_CreateObject(), *cd, *mp;

    cJSON_AddStringToObject(o, "id", p->id);
    cJSON_AddStringToObject(o, "suite", lle_suite_name(p->suite));
    cJSON_AddStringToObject(o, "label", e->label);
    cJSON_AddStringToObject(o, "config_hash", e->hash);
    cJSON_AddNumberToObject(o, "cycle", p->items[item].cycle);
    cJSON_AddNumberToObject(o, "cycles", p->cycles);
    cJSON_AddNumberToObject(o, "seq", (double)(item + 1));
    cJSON_AddStringToObject(o, "order", lle_campaign_order_name(p->order));
    cJSON_AddNumberToObject(o, "attempt", row->attempts); /* marked running already: this attempt */
    cJSON_AddStringToObject(o, "engine", m->reused ? "reused" : "loaded");
    cd = cJSON_AddObjectToObject(o, "cooldown_before");
    cJSON_AddNumberToObject(cd, "seconds", m->cooldown_s);
    cJSON_AddStringToObject(cd, "temperature", m->cooldown_note[0] != '\0' ? m->cooldown_note : "not requested");
    mp = cJSON_AddObjectToObject(o, "mpi");
    cJSON_AddNumberToObject(mp, "rank", m->rank);
    cJSON_AddStringToObject(mp, "node", m->host);
    cJSON_AddNumberToObject(mp, "workers_on_node", m->workers_on_node);
    cJSON_AddStringToObject(mp, "scheduler", "rank 0 work queue");
    return o;
}

/* Machine-wide energy sources see every run on the node: say so. */
static void note_shared_node(cJSON *root, const wq_run_meta *m)
{
    cJSON *en = cJSON_GetObjectItemCaseSensitive(root, "energy");

    if (!cJSON_IsObject(en) || m->workers_on_node <= 1)
        return;
    cJSON_AddNumberToObject(en, "concurrent_runs_on_node", m->workers_on_node);
    cJSON_AddStringToObject(en, "concurrency_note",
                            "other campaign runs may have run on this node at the same time: machine-wide sources "
                            "(RAPL, perf, CPU/RAM estimates, GPUs not restricted by CUDA_VISIBLE_DEVICES) include "
                            "their energy; run one worker per node (or per GPU with GPU-only sources) to avoid it");
}

lle_status wq_journal_store(wq_journal *j, size_t item, const char *doc, const wq_run_meta *m, char *id, lle_error *err)
{
    const lle_journal_item *row = wq_journal_row(j, item);
    cJSON *root = cJSON_Parse(doc);
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(root, "id");
    char path[4400], *out = NULL;
    lle_status st = LLE_OK;

    if (row == NULL || !cJSON_IsString(jid) || strlen(jid->valuestring) >= 64) {
        st = lle_fail(err, LLE_ERR_FORMAT, "rank %d sent a result without a usable id for run %zu", m->rank, item + 1);
        goto cleanup;
    }
    lle_strlcpy(id, jid->valuestring, 64);
    note_shared_node(root, m);
    cJSON_AddItemToObject(root, "campaign", campaign_block(j, item, row, m));
    out = cJSON_Print(root);
    if (out == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory writing a result");
        goto cleanup;
    }
    lle_killpoint("ran");
    st = lle_journal_set_result_id(j->store, j->p->id, row->hash, row->cycle, id, err);
    lle_killpoint("result-id");
    if (st == LLE_OK && (size_t)snprintf(path, sizeof path, "%s/%s.json", j->dir, id) >= sizeof path)
        st = lle_fail(err, LLE_ERR_INVALID, "results directory path too long: %s", j->dir);
    if (st == LLE_OK)
        st = lle_write_file_atomic(path, out, strlen(out), err);
    lle_killpoint("file");
    if (st == LLE_OK)
        st = lle_journal_put_done(j->store, j->p->id, row->hash, row->cycle, out, id, err);
    lle_killpoint("done");
    if (st == LLE_OK)
        set_row(j, item, LLE_JOURNAL_DONE, 0, 0);
cleanup:
    free(out);
    cJSON_Delete(root);
    return st;
}

void wq_journal_finish(wq_journal *j)
{
    if (j->store == NULL || reload_rows(j, NULL) != LLE_OK)
        return;
    j->sum->remaining = j->sum->exhausted = 0;
    for (size_t i = 0; i < j->p->n_items; i++) {
        const lle_journal_item *row = wq_journal_row(j, i);
        if (row == NULL || row->state != LLE_JOURNAL_DONE)
            j->sum->remaining++;
        if (row != NULL && row->state == LLE_JOURNAL_FAILED && row->failures > j->p->max_retries)
            j->sum->exhausted++;
    }
}
