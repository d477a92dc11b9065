/* status.c — a plan against the journal already in the results database,
 * read without writing anything: each planned run's state, attempts,
 * failures and last error, the counts, and what changed since the journal
 * was written (planned runs it lacks, journal rows no longer planned). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_internal.h"
#include "common/util.h"
#include "store/store_journal.h"

const char *lle_item_state_name(lle_item_state s)
{
    return lle_journal_state_name((lle_journal_state)s);
}

static int cmp_rows(const void *a, const void *b)
{
    const lle_journal_item *x = a, *y = b;
    int c = strcmp(x->hash, y->hash);

    return c != 0 ? c : (x->cycle > y->cycle) - (x->cycle < y->cycle);
}

static char *run_name(const char *label, int cycle)
{
    char buf[LLE_CAMPAIGN_LABEL_MAX + 32];

    snprintf(buf, sizeof buf, "%s (cycle %d)", label, cycle);
    return strdup(buf);
}

static lle_campaign_status *status_alloc(size_t n)
{
    lle_campaign_status *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->n_items = n;
    s->state = calloc(n + 1, sizeof *s->state);
    s->attempts = calloc(n + 1, sizeof *s->attempts);
    s->failures = calloc(n + 1, sizeof *s->failures);
    s->error = calloc(n + 1, sizeof *s->error);
    s->added = calloc(n + 1, sizeof *s->added);
    if (s->state == NULL || s->attempts == NULL || s->failures == NULL || s->error == NULL || s->added == NULL) {
        lle_campaign_status_free(s);
        return NULL;
    }
    return s;
}

static void count(lle_campaign_status *s, const lle_campaign_plan *p, size_t i)
{
    switch (s->state[i]) {
    case LLE_ITEM_DONE:
        s->n_done++;
        break;
    case LLE_ITEM_RUNNING:
        s->n_running++;
        break;
    case LLE_ITEM_PENDING:
        s->n_pending++;
        break;
    case LLE_ITEM_FAILED:
        s->n_failed++;
        if (s->failures[i] > p->max_retries)
            s->n_exhausted++;
        break;
    }
}

/* Match plan items to journal rows (sorted), marking the rows used. */
static lle_status match(const lle_campaign_plan *p, lle_journal_item *rows, size_t n_rows, bool *used,
                        lle_campaign_status *s)
{
    for (size_t i = 0; i < p->n_items; i++) {
        const lle_campaign_experiment *x = &p->experiments[p->items[i].experiment];
        lle_journal_item key, *hit;
        memset(&key, 0, sizeof key);
        lle_strlcpy(key.hash, x->hash, sizeof key.hash);
        key.cycle = p->items[i].cycle;
        hit = n_rows > 0 ? bsearch(&key, rows, n_rows, sizeof *rows, cmp_rows) : NULL;
        if (hit != NULL) {
            used[hit - rows] = true;
            s->state[i] = (lle_item_state)hit->state;
            s->attempts[i] = hit->attempts;
            s->failures[i] = hit->failures;
            if (hit->error[0] != '\0' && (s->error[i] = strdup(hit->error)) == NULL)
                return LLE_ERR_NOMEM;
        } else if (s->journal && (s->added[s->n_added++] = run_name(x->label, key.cycle)) == NULL) {
            return LLE_ERR_NOMEM;
        }
        count(s, p, i);
    }
    return LLE_OK;
}

static lle_status removed(const lle_journal_item *rows, size_t n_rows, const bool *used, lle_campaign_status *s)
{
    s->removed = calloc(n_rows + 1, sizeof *s->removed);
    if (s->removed == NULL)
        return LLE_ERR_NOMEM;
    for (size_t r = 0; r < n_rows; r++)
        if (!used[r] && (s->removed[s->n_removed++] = run_name(rows[r].label, rows[r].cycle)) == NULL)
            return LLE_ERR_NOMEM;
    return LLE_OK;
}

lle_status lle_campaign_status_read(const lle_campaign_plan *p, const char *results_dir, lle_campaign_status **out,
                                    lle_error *err)
{
    lle_journal_item *rows = NULL;
    size_t n_rows = 0;
    bool exists = false, *used = NULL;
    lle_campaign_status *s = NULL;
    lle_status st = lle_journal_peek(results_dir, p->id, &rows, &n_rows, &exists, err);

    *out = NULL;
    if (st != LLE_OK)
        goto cleanup;
    s = status_alloc(p->n_items);
    used = calloc(n_rows + 1, sizeof *used);
    if (s == NULL || used == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading the campaign journal");
        goto cleanup;
    }
    s->journal = exists;
    if (n_rows > 1) /* rows is NULL when the journal is empty: qsort(NULL, ...) is undefined */
        qsort(rows, n_rows, sizeof *rows, cmp_rows);
    st = match(p, rows, n_rows, used, s);
    if (st == LLE_OK)
        st = removed(rows, n_rows, used, s);
    if (st != LLE_OK)
        st = lle_fail(err, st, "out of memory reading the campaign journal");
cleanup:
    if (st == LLE_OK)
        *out = s;
    else
        lle_campaign_status_free(s);
    free(used);
    free(rows);
    return st;
}

void lle_campaign_status_free(lle_campaign_status *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->error != NULL && i < s->n_items; i++)
        free(s->error[i]);
    free(s->state);
    free(s->attempts);
    free(s->failures);
    for (size_t i = 0; i < s->n_added; i++)
        free(s->added[i]);
    for (size_t i = 0; i < s->n_removed; i++)
        free(s->removed[i]);
    free(s->added);
    free(s->removed);
    free(s->error);
    free(s);
}
