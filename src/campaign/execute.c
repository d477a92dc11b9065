/* execute.c — lle_campaign_run: one process at a time (an flock on
 * <results_dir>/.campaign-<id>.lock, released by the kernel even on kill -9)
 * brings the journal in line with the plan (refusing a changed experiment
 * set unless told), recovers results a crash left complete on disk, then
 * runs every run not done in plan order through one run session (model kept
 * loaded), with cooldowns between runs. Per run: journal "running" ->
 * experiment -> result id journaled -> <id>.json written atomically -> the
 * experiment row and the journal's done mark in ONE transaction. A crash at
 * any point leaves either a done run (stored once) or a running one whose
 * result, when its file is complete, is stored at the next start and which
 * is otherwise run again. Failures are recorded and retried up to
 * max_retries. Crash points for tests: campaign/killpoint.h. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/campaign_internal.h"
#include "campaign/journal_prep.h"
#include "campaign/killpoint.h"
#include "common/util.h"
#include "lle/energy.h"
#include "store/store_journal.h"

typedef struct exec_ctx {
    const lle_campaign_plan *p;
    const char *dir;
    const lle_campaign_opts *o;
    const lle_campaign_events *ev;
    const volatile int *stop;
    lle_campaign_summary *sum;
    lle_store *store;
    lle_run_session *session;
    lle_journal_item *rows; /* journal rows sorted by (hash, cycle) */
    size_t n_rows;
    size_t ordinal, to_run;  /* runs started this invocation / planned to start */
    bool ran_one;            /* a run happened: cool down before the next */
    char cooldown_note[256]; /* what the cooldown before this run did */
    double cooldown_done_s;
} exec_ctx;

static lle_journal_item *row_of(exec_ctx *x, size_t item)
{
    return camp_row_of(x->p, x->rows, x->n_rows, item);
}

static lle_status reload_rows(exec_ctx *x, lle_error *err)
{
    return camp_read_rows(x->store, x->p->id, &x->rows, &x->n_rows, err);
}

/* ---- between runs ---- */
static void emit_wait(exec_ctx *x, const char *what)
{
    if (x->ev != NULL && x->ev->on_wait != NULL)
        x->ev->on_wait(x->ev->user, what);
}

/* Cooldown by temperature, only through a source that exists. */
static lle_status cool_by_temperature(exec_ctx *x, lle_error *err)
{
    double last = 0.0;
    bool reached = false;
    lle_status st;

    if (x->o->temperature == NULL || x->o->temperature->read == NULL) {
        snprintf(x->sum->temperature_note, sizeof x->sum->temperature_note,
                 "cooldown until below %.1f °C unavailable: no temperature reading source in this build",
                 x->o->cooldown_temp_c);
        snprintf(x->cooldown_note, sizeof x->cooldown_note, "%s", x->sum->temperature_note);
        return LLE_OK;
    }
    st = cmp_cooldown_temperature(x->o->temperature, x->o->cooldown_temp_c, x->o->cooldown_timeout_s, x->stop,
                                  x->ev != NULL ? x->ev->on_wait : NULL, x->ev != NULL ? x->ev->user : NULL, &reached,
                                  &last, err);
    if (st == LLE_OK)
        snprintf(x->cooldown_note, sizeof x->cooldown_note, "%s %.1f °C (threshold %.1f °C)",
                 reached ? "temperature reached" : "temperature wait timed out at", last, x->o->cooldown_temp_c);
    return st;
}

static lle_status cool_down(exec_ctx *x, lle_error *err)
{
    char what[96];
    lle_status st = LLE_OK;

    x->cooldown_note[0] = '\0';
    x->cooldown_done_s = 0.0;
    if (!x->ran_one)
        return LLE_OK;
    if (x->p->cooldown_s > 0.0) {
        snprintf(what, sizeof what, "cooldown %.1f s", x->p->cooldown_s);
        emit_wait(x, what);
        st = cmp_sleep(x->p->cooldown_s, x->stop, err);
        x->cooldown_done_s = x->p->cooldown_s;
    }
    lle_killpoint("cooldown");
    if (st == LLE_OK && x->o->cooldown_temp_c > 0.0)
        st = cool_by_temperature(x, err);
    return st;
}

/* ---- one run ---- */
static cJSON *campaign_block(const exec_ctx *x, size_t item, const lle_journal_item *row, bool reused)
{
    const lle_campaign_plan *p = x->p;
    const lle_campaign_experiment *e = &p->experiments[p->items[item].experiment];
    cJSON *o = cJSON_CreateObject(), *cd;

    cJSON_AddStringToObject(o, "id", p->id);
    cJSON_AddStringToObject(o, "suite", lle_suite_name(p->suite));
    cJSON_AddStringToObject(o, "label", e->label);
    cJSON_AddStringToObject(o, "config_hash", e->hash);
    cJSON_AddNumberToObject(o, "cycle", p->items[item].cycle);
    cJSON_AddNumberToObject(o, "cycles", p->cycles);
    cJSON_AddNumberToObject(o, "seq", (double)(item + 1));
    cJSON_AddStringToObject(o, "order", lle_campaign_order_name(p->order));
    cJSON_AddNumberToObject(o, "attempt", row->attempts + 1);
    cJSON_AddStringToObject(o, "engine", reused ? "reused" : "loaded");
    cd = cJSON_AddObjectToObject(o, "cooldown_before");
    cJSON_AddNumberToObject(cd, "seconds", x->cooldown_done_s);
    cJSON_AddStringToObject(cd, "temperature", x->cooldown_note[0] != '\0' ? x->cooldown_note : "not requested");
    return o;
}

/* The result document with its "campaign" block (malloc'd; NULL on OOM). */
static char *result_document(const exec_ctx *x, size_t item, const lle_journal_item *row, const lle_run_result *r,
                             bool reused)
{
    char *json = lle_run_result_to_json(r, true), *out = NULL;
    cJSON *root = json != NULL ? cJSON_Parse(json) : NULL;

    if (root != NULL && cJSON_AddItemToObject(root, "campaign", campaign_block(x, item, row, reused)))
        out = cJSON_Print(root);
    cJSON_Delete(root);
    free(json);
    return out;
}

/* Journal the id, write <id>.json, then store it and mark the run done together. */
static lle_status save_result(exec_ctx *x, size_t item, const lle_journal_item *row, const lle_run_result *r,
                              bool reused, lle_error *err)
{
    char path[4400], *doc = result_document(x, item, row, r, reused);
    lle_status st;

    if (doc == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory writing a result");
    st = lle_journal_set_result_id(x->store, x->p->id, row->hash, row->cycle, r->id, err);
    lle_killpoint("result-id");
    if (st == LLE_OK && (size_t)snprintf(path, sizeof path, "%s/%s.json", x->dir, r->id) >= sizeof path)
        st = lle_fail(err, LLE_ERR_INVALID, "results directory path too long: %s", x->dir);
    if (st == LLE_OK)
        st = lle_write_file_atomic(path, doc, strlen(doc), err);
    lle_killpoint("file");
    if (st == LLE_OK)
        st = lle_journal_put_done(x->store, x->p->id, row->hash, row->cycle, doc, r->id, err);
    lle_killpoint("done");
    /* the sampled energy time series, once its experiment row exists (its own
     * transaction: a crash here keeps the result, without the series) */
    if (st == LLE_OK && r->energy_meter != NULL)
        st = lle_meter_timeseries_store(r->energy_meter, x->store, r->id, r->energy_origin_s, err);
    free(doc);
    return st;
}

/* Keep the in-memory row in step with what was just committed. */
static void set_row(exec_ctx *x, size_t item, lle_journal_state state, bool failed)
{
    lle_journal_item *row = row_of(x, item);

    if (row == NULL)
        return;
    row->state = state;
    row->attempts++;
    row->failures += failed ? 1 : 0;
}

static void emit_end(exec_ctx *x, size_t item, lle_status st, const lle_run_result *r, const char *error, double t0)
{
    if (x->ev != NULL && x->ev->on_end != NULL)
        x->ev->on_end(x->ev->user, x->p, item, st, r, error, lle_now_s() - t0);
}

/* Run plan item `item`. Returns a fatal status (store failure, interrupt);
 * an experiment that fails is recorded and LLE_OK returned. */
static lle_status run_item(exec_ctx *x, size_t item, lle_error *err)
{
    const lle_campaign_experiment *e = &x->p->experiments[x->p->items[item].experiment];
    const lle_journal_item *found = row_of(x, item);
    lle_journal_item row;
    lle_run_result *r = NULL;
    lle_error re = {0};
    bool reused = false;
    double t0;
    lle_status st, rs;

    if (found == NULL)
        return lle_fail(err, LLE_ERR_INTERNAL, "campaign '%s': run %zu has no journal row", x->p->id, item + 1);
    row = *found;
    if (x->stop != NULL && *x->stop)
        return lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted");
    st = cool_down(x, err);
    if (st == LLE_OK)
        st = lle_journal_mark_running(x->store, x->p->id, row.hash, row.cycle, err);
    if (st != LLE_OK)
        return st;
    lle_killpoint("running");
    x->ordinal++;
    if (x->ev != NULL && x->ev->on_start != NULL)
        x->ev->on_start(x->ev->user, x->p, item, x->ordinal, x->to_run);
    t0 = lle_now_s();
    rs = lle_run_session_run(x->session, &e->run, x->ev != NULL ? x->ev->on_progress : NULL,
                             x->ev != NULL ? x->ev->user : NULL, x->stop, &r, &reused, &re);
    lle_killpoint("ran");
    x->ran_one = true;
    x->sum->ran++;
    if (rs == LLE_OK) {
        st = save_result(x, item, &row, r, reused, err);
        x->sum->done += st == LLE_OK ? 1 : 0;
        set_row(x, item, LLE_JOURNAL_DONE, false);
    } else if (rs == LLE_ERR_INTERRUPTED) {
        st = lle_journal_mark_pending(x->store, x->p->id, row.hash, row.cycle, err);
        st = st == LLE_OK ? lle_fail(err, LLE_ERR_INTERRUPTED, "interrupted; the run in progress was dropped") : st;
        set_row(x, item, LLE_JOURNAL_PENDING, false);
    } else {
        st = lle_journal_mark_failed(x->store, x->p->id, row.hash, row.cycle, re.msg, err);
        x->sum->failed++;
        x->sum->stopped_on_failure = x->o->fail_fast;
        set_row(x, item, LLE_JOURNAL_FAILED, true);
    }
    emit_end(x, item, rs, r, rs == LLE_OK ? NULL : re.msg, t0);
    lle_run_result_free(r);
    return st;
}

/* ---- passes ---- */
static bool runnable(const exec_ctx *x, const lle_journal_item *row)
{
    return row != NULL && (row->state == LLE_JOURNAL_PENDING || row->state == LLE_JOURNAL_RUNNING ||
                           (row->state == LLE_JOURNAL_FAILED && row->failures <= x->p->max_retries));
}

static size_t count_runnable(exec_ctx *x)
{
    size_t n = 0;

    for (size_t i = 0; i < x->p->n_items; i++)
        n += runnable(x, row_of(x, i)) ? 1 : 0;
    return n;
}

/* Run every runnable item once, in plan order; *ran says whether any did. */
static lle_status one_pass(exec_ctx *x, bool *ran, lle_error *err)
{
    lle_status st = LLE_OK;

    *ran = false;
    for (size_t i = 0; i < x->p->n_items && st == LLE_OK && !x->sum->stopped_on_failure; i++) {
        if (!runnable(x, row_of(x, i)))
            continue;
        *ran = true;
        st = run_item(x, i, err);
    }
    return st;
}

static lle_status run_passes(exec_ctx *x, lle_error *err)
{
    lle_status st = LLE_OK;
    bool ran = true;

    x->to_run = count_runnable(x);
    /* a failure with retries left is runnable again in the next pass */
    for (int pass = 0; st == LLE_OK && ran && !x->sum->stopped_on_failure && pass <= x->p->max_retries + 1; pass++) {
        if (pass > 0)
            x->to_run = x->ordinal + count_runnable(x);
        st = one_pass(x, &ran, err);
    }
    return st;
}

static void finish_summary(exec_ctx *x)
{
    for (size_t i = 0; i < x->p->n_items; i++) {
        const lle_journal_item *row = row_of(x, i);
        if (row == NULL || row->state != LLE_JOURNAL_DONE)
            x->sum->remaining++;
        if (row != NULL && row->state == LLE_JOURNAL_FAILED && row->failures > x->p->max_retries)
            x->sum->exhausted++;
    }
    if (x->session != NULL)
        lle_run_session_counts(x->session, &x->sum->engine_loads, &x->sum->engine_reuses);
}

static lle_status prepare(exec_ctx *x, lle_error *err)
{
    lle_status st = camp_check_changes(x->p, x->dir, x->o, err);

    if (st == LLE_OK)
        st = lle_store_open(x->dir, &x->store, err);
    if (st == LLE_OK)
        st = camp_sync_journal(x->store, x->p, x->o, err);
    if (st == LLE_OK)
        st = reload_rows(x, err);
    for (size_t i = 0; st == LLE_OK && i < x->n_rows; i++)
        x->sum->already_done += x->rows[i].state == LLE_JOURNAL_DONE ? 1 : 0;
    if (st == LLE_OK)
        st = camp_recover(x->store, x->p, x->dir, x->rows, x->n_rows, &x->sum->recovered, err);
    if (st == LLE_OK)
        st = reload_rows(x, err);
    if (st == LLE_OK)
        st = lle_run_session_open(&x->session, err);
    return st;
}

lle_status lle_campaign_run(const lle_campaign_plan *p, const char *results_dir, const lle_campaign_opts *o,
                            const lle_campaign_events *ev, const volatile int *stop, lle_campaign_summary *summary,
                            lle_error *err)
{
    exec_ctx x;
    lle_campaign_opts defaults;
    int lock_fd = -1;
    lle_status st;

    memset(summary, 0, sizeof *summary);
    memset(&x, 0, sizeof x);
    if (o == NULL) {
        lle_campaign_opts_init(&defaults);
        o = &defaults;
    }
    x = (exec_ctx){.p = p, .dir = results_dir, .o = o, .ev = ev, .stop = stop, .sum = summary};
    summary->total = p->n_items;
    st = lle_mkdir_p(results_dir, err);
    if (st == LLE_OK)
        st = camp_lock(results_dir, p->id, &lock_fd, err);
    if (st == LLE_OK)
        st = prepare(&x, err);
    if (st == LLE_OK)
        st = run_passes(&x, err);
    if (x.store != NULL && (st == LLE_OK || st == LLE_ERR_INTERRUPTED) && reload_rows(&x, NULL) == LLE_OK)
        finish_summary(&x);
    lle_run_session_close(x.session);
    lle_store_close(x.store);
    free(x.rows);
    if (lock_fd >= 0)
        close(lock_fd); /* releases the flock */
    return st;
}
