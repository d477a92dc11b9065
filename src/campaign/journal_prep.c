/* journal_prep.c — the journal steps shared by the one-process campaign
 * runner and the MPI coordinator (journal_prep.h): lock, changed-set check,
 * journal sync, sorted rows, recovery of results complete on disk. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "campaign/journal_prep.h"
#include "common/util.h"
#include "lle/config.h"

static int cmp_rows(const void *a, const void *b)
{
    const lle_journal_item *x = a, *y = b;
    int c = strcmp(x->hash, y->hash);

    return c != 0 ? c : (x->cycle > y->cycle) - (x->cycle < y->cycle);
}

lle_status camp_read_rows(lle_store *s, const char *id, lle_journal_item **rows, size_t *n, lle_error *err)
{
    bool exists = false;
    lle_status st;

    free(*rows);
    *rows = NULL;
    *n = 0;
    st = lle_journal_read(s, id, rows, n, &exists, err);
    if (st == LLE_OK)
        qsort(*rows, *n, sizeof **rows, cmp_rows);
    return st;
}

lle_journal_item *camp_row_of(const lle_campaign_plan *p, lle_journal_item *rows, size_t n, size_t item)
{
    lle_journal_item key;

    memset(&key, 0, sizeof key);
    lle_strlcpy(key.hash, p->experiments[p->items[item].experiment].hash, sizeof key.hash);
    key.cycle = p->items[item].cycle;
    return n > 0 ? bsearch(&key, rows, n, sizeof key, cmp_rows) : NULL;
}

/* ---- one process per campaign ---- */
lle_status camp_lock(const char *dir, const char *id, int *fd, lle_error *err)
{
    char path[4400], safe[128];
    size_t i = 0;

    for (; id[i] != '\0' && i + 1 < sizeof safe; i++)
        safe[i] = (strchr("/\\:*?\"<>| \t\n", id[i]) != NULL) ? '_' : id[i];
    safe[i] = '\0';
    snprintf(path, sizeof path, "%s/.campaign-%s.lock", dir, safe);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return lle_fail(err, LLE_ERR_IO, "%s: cannot create the campaign lock: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return e == EWOULDBLOCK ? lle_fail(err, LLE_ERR_INVALID,
                                           "campaign '%s' is already running in %s (another "
                                           "process holds %s)",
                                           id, dir, path)
                                : lle_fail(err, LLE_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    return LLE_OK;
}

/* ---- journal in line with the plan ---- */
lle_status camp_check_changes(const lle_campaign_plan *p, const char *dir, const lle_campaign_opts *o, lle_error *err)
{
    lle_campaign_status *s = NULL;
    lle_status st = lle_campaign_status_read(p, dir, &s, err);

    if (st == LLE_OK && s->journal && (s->n_added > 0 || s->n_removed > 0) && !o->accept_changes && !o->restart)
        st = lle_fail(err, LLE_ERR_INVALID,
                      "campaign '%s' in %s: the experiment set changed since it was last run "
                      "(%zu added, %zu removed; see --dry-run); nothing was run. Use --accept-changes to update it "
                      "(finished results are kept) or --restart",
                      p->id, dir, s->n_added, s->n_removed);
    lle_campaign_status_free(s);
    return st;
}

lle_status camp_sync_journal(lle_store *s, const lle_campaign_plan *p, const lle_campaign_opts *o, lle_error *err)
{
    lle_journal_plan_item *items = calloc(p->n_items + 1, sizeof *items);
    lle_journal_campaign c = {
        p->id,     p->name,       lle_suite_name(p->suite), p->config_path, lle_campaign_order_name(p->order),
        p->cycles, p->max_retries};
    lle_status st;

    if (items == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory syncing the campaign journal");
    for (size_t i = 0; i < p->n_items; i++) {
        const lle_campaign_experiment *e = &p->experiments[p->items[i].experiment];
        items[i] = (lle_journal_plan_item){e->hash, p->items[i].cycle, (int)(i + 1), e->label, e->config_json};
    }
    st = lle_journal_sync(s, &c, items, p->n_items, o->restart, err);
    if (st == LLE_OK && o->retry_failed)
        st = lle_journal_reset_failed(s, p->id, err);
    free(items);
    return st;
}

/* ---- recovery of results complete on disk ---- */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) != NULL) {
        if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        } else {
            buf[len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

/* The file is this run's result: its id, hash and cycle match the row. */
static bool is_result_of(const char *doc, const lle_journal_item *row)
{
    cJSON *root = cJSON_Parse(doc);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(root, "campaign");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cp, "config_hash");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cp, "cycle");
    bool ok = cJSON_IsString(id) && strcmp(id->valuestring, row->result_id) == 0 && cJSON_IsString(h) &&
              strcmp(h->valuestring, row->hash) == 0 && cJSON_IsNumber(c) && c->valuedouble == (double)row->cycle;

    cJSON_Delete(root);
    return ok;
}

lle_status camp_recover(lle_store *s, const lle_campaign_plan *p, const char *dir, const lle_journal_item *rows,
                        size_t n, size_t *recovered, lle_error *err)
{
    lle_status st = LLE_OK;

    for (size_t i = 0; i < n && st == LLE_OK; i++) {
        const lle_journal_item *row = &rows[i];
        char path[4400], name[300], *doc;
        if (row->state != LLE_JOURNAL_RUNNING || row->result_id[0] == '\0')
            continue;
        if ((size_t)snprintf(name, sizeof name, "%s.json", row->result_id) < sizeof name)
            lle_remove_temp_files(dir, name); /* <id>.json.tmp.* left by a crash */
        snprintf(path, sizeof path, "%s/%s.json", dir, row->result_id);
        doc = read_text(path);
        if (doc != NULL && is_result_of(doc, row)) {
            st = lle_journal_put_done(s, p->id, row->hash, row->cycle, doc, row->result_id, err);
            *recovered += st == LLE_OK ? 1 : 0;
        }
        free(doc);
    }
    return st;
}
