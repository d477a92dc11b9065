/* plan_json.c — the plan as JSON for `run <suite> --dry-run --json`: the
 * campaign's settings, one entry per planned run in run order (cycle, hash,
 * label, journal state, resolved configuration), the counts, the changes
 * against the journal, the planning notes and the duration estimate. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "campaign/campaign_internal.h"

static cJSON *run_json(const lle_campaign_plan *p, const lle_campaign_status *st, size_t i)
{
    const lle_campaign_experiment *x = &p->experiments[p->items[i].experiment];
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "seq", (double)(i + 1));
    cJSON_AddNumberToObject(o, "cycle", p->items[i].cycle);
    cJSON_AddNumberToObject(o, "experiment", (double)p->items[i].experiment);
    cJSON_AddStringToObject(o, "hash", x->hash);
    cJSON_AddStringToObject(o, "label", x->label);
    cJSON_AddStringToObject(o, "state", lle_item_state_name(st != NULL ? st->state[i] : LLE_ITEM_PENDING));
    cJSON_AddNumberToObject(o, "attempts", st != NULL ? st->attempts[i] : 0);
    cJSON_AddNumberToObject(o, "failures", st != NULL ? st->failures[i] : 0);
    if (st != NULL && st->error[i] != NULL)
        cJSON_AddStringToObject(o, "error", st->error[i]);
    cJSON_AddItemToObject(o, "config", cJSON_Parse(x->config_json));
    return o;
}

static cJSON *strings(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static size_t to_run(const lle_campaign_plan *p, const lle_campaign_status *st)
{
    size_t n = 0;

    for (size_t i = 0; i < p->n_items; i++)
        if (st == NULL ||
            (st->state[i] != LLE_ITEM_DONE && !(st->state[i] == LLE_ITEM_FAILED && st->failures[i] > p->max_retries)))
            n++;
    return n;
}

static cJSON *counts_json(const lle_campaign_plan *p, const lle_campaign_status *st)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "done", st != NULL ? (double)st->n_done : 0);
    cJSON_AddNumberToObject(o, "failed", st != NULL ? (double)st->n_failed : 0);
    cJSON_AddNumberToObject(o, "failed_no_retries_left", st != NULL ? (double)st->n_exhausted : 0);
    cJSON_AddNumberToObject(o, "running", st != NULL ? (double)st->n_running : 0);
    cJSON_AddNumberToObject(o, "pending", st != NULL ? (double)st->n_pending : (double)p->n_items);
    cJSON_AddNumberToObject(o, "to_run", (double)to_run(p, st));
    return o;
}

static cJSON *estimate_json(const lle_campaign_estimate *e)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "known", e->known);
    if (e->known)
        cJSON_AddNumberToObject(o, "total_s", e->total_s);
    else
        cJSON_AddNullToObject(o, "total_s");
    if (e->known)
        cJSON_AddNumberToObject(o, "compute_s", e->compute_s);
    else
        cJSON_AddNullToObject(o, "compute_s");
    cJSON_AddNumberToObject(o, "idle_s", e->idle_s);
    cJSON_AddNumberToObject(o, "cooldown_s", e->cooldown_s);
    cJSON_AddNumberToObject(o, "runs", (double)e->runs);
    cJSON_AddStringToObject(o, "method", "estimated");
    cJSON_AddStringToObject(o, "basis", e->basis);
    return o;
}

char *lle_campaign_plan_json(const lle_campaign_plan *p, const lle_campaign_status *st, const lle_campaign_estimate *e)
{
    cJSON *root = cJSON_CreateObject(), *runs, *changes;
    char *out;

    cJSON_AddStringToObject(root, "campaign", p->id);
    if (p->name != NULL)
        cJSON_AddStringToObject(root, "name", p->name);
    cJSON_AddStringToObject(root, "suite", lle_suite_name(p->suite));
    cJSON_AddNumberToObject(root, "cycles", p->cycles);
    cJSON_AddStringToObject(root, "order", lle_campaign_order_name(p->order));
    cJSON_AddNumberToObject(root, "seed", (double)p->seed);
    cJSON_AddNumberToObject(root, "cooldown_s", p->cooldown_s);
    cJSON_AddNumberToObject(root, "max_retries", p->max_retries);
    cJSON_AddNumberToObject(root, "distinct_experiments", (double)p->n_experiments);
    cJSON_AddNumberToObject(root, "count", (double)p->n_items);
    cJSON_AddBoolToObject(root, "journal", st != NULL && st->journal);
    cJSON_AddItemToObject(root, "counts", counts_json(p, st));
    changes = cJSON_AddObjectToObject(root, "changes");
    cJSON_AddItemToObject(changes, "added", strings(st != NULL ? st->added : NULL, st != NULL ? st->n_added : 0));
    cJSON_AddItemToObject(changes, "removed", strings(st != NULL ? st->removed : NULL, st != NULL ? st->n_removed : 0));
    cJSON_AddItemToObject(root, "notes", strings(p->notes, p->n_notes));
    if (e != NULL)
        cJSON_AddItemToObject(root, "estimate", estimate_json(e));
    runs = cJSON_AddArrayToObject(root, "experiments");
    for (size_t i = 0; i < p->n_items; i++)
        cJSON_AddItemToArray(runs, run_json(p, st, i));
    out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}

char *lle_campaign_summary_json(const lle_campaign_plan *p, const lle_campaign_summary *s)
{
    cJSON *root = cJSON_CreateObject();
    char *out;

    cJSON_AddStringToObject(root, "campaign", p->id);
    cJSON_AddNumberToObject(root, "total", (double)s->total);
    cJSON_AddNumberToObject(root, "already_done", (double)s->already_done);
    cJSON_AddNumberToObject(root, "recovered", (double)s->recovered);
    cJSON_AddNumberToObject(root, "ran", (double)s->ran);
    cJSON_AddNumberToObject(root, "done", (double)s->done);
    cJSON_AddNumberToObject(root, "failed", (double)s->failed);
    cJSON_AddNumberToObject(root, "failed_no_retries_left", (double)s->exhausted);
    cJSON_AddNumberToObject(root, "remaining", (double)s->remaining);
    cJSON_AddBoolToObject(root, "stopped_on_failure", s->stopped_on_failure);
    cJSON_AddNumberToObject(root, "engine_loads", s->engine_loads);
    cJSON_AddNumberToObject(root, "engine_reuses", s->engine_reuses);
    if (s->temperature_note[0] != '\0')
        cJSON_AddStringToObject(root, "temperature_note", s->temperature_note);
    out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}
