/* test_campaign_journal.c — the campaign journal and runner: schema v2 on a
 * fresh and on a version-1 database, sync/state changes, put-and-mark-done as
 * one transaction (a second done is refused and changes nothing), the
 * read-only peek that creates nothing, the plan's status against the journal
 * (added/removed runs), the run session's engine reuse, and lle_campaign_run
 * end to end on the tiny model: every run stored once with its "campaign"
 * block, a rerun doing nothing, recovery of a result left on disk by a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/util.h"
#include "lle/campaign.h"
#include "store/store_journal.h"

static char model_path[4096];

static char *tmpdir(void)
{
    char *d = strdup("/tmp/lle-journal-XXXXXX");

    assert_non_null(mkdtemp(d));
    return d;
}

static void rmrf(const char *d)
{
    char cmd[512];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static long long q_int(const char *dir, const char *sql)
{
    char path[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;

    snprintf(path, sizeof path, "%s/results.db", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static const lle_journal_campaign CAMP = {"c1", "c1", "grid", "x.yaml", "sequential", 1, 0};

static void test_journal_states(void **state)
{
    char *d = tmpdir();
    lle_store *s = NULL;
    lle_error err = {0};
    lle_journal_plan_item plan[2] = {{"aaa", 1, 1, "first", "{}"}, {"bbb", 1, 2, "second", "{}"}};
    lle_journal_item *rows = NULL;
    size_t n = 0;
    bool exists = false;
    const char *doc = "{\"id\": \"e1\", \"status\": \"completed\"}";

    (void)state;
    assert_int_equal(lle_store_open(d, &s, &err), LLE_OK);
    assert_int_equal(lle_journal_sync(s, &CAMP, plan, 2, false, &err), LLE_OK);
    assert_int_equal(lle_journal_mark_running(s, "c1", "aaa", 1, &err), LLE_OK);
    assert_int_equal(lle_journal_set_result_id(s, "c1", "aaa", 1, "e1", &err), LLE_OK);
    assert_int_equal(lle_journal_put_done(s, "c1", "aaa", 1, doc, "e1", &err), LLE_OK);
    /* the second done of the same run is refused and stores nothing */
    assert_int_equal(lle_journal_put_done(s, "c1", "aaa", 1, "{\"id\": \"e2\"}", "e2", &err), LLE_ERR_INVALID);
    assert_int_equal(lle_journal_mark_running(s, "c1", "bbb", 1, &err), LLE_OK);
    assert_int_equal(lle_journal_mark_failed(s, "c1", "bbb", 1, "boom", &err), LLE_OK);
    assert_int_equal(lle_journal_mark_running(s, "c1", "zzz", 1, &err), LLE_ERR_NOT_FOUND);
    assert_int_equal(lle_journal_read(s, "c1", &rows, &n, &exists, &err), LLE_OK);
    assert_true(exists);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].state, LLE_JOURNAL_DONE);
    assert_string_equal(rows[0].experiment_id, "e1");
    assert_int_equal(rows[1].state, LLE_JOURNAL_FAILED);
    assert_int_equal(rows[1].failures, 1);
    assert_string_equal(rows[1].error, "boom");
    free(rows);
    /* a plan without "bbb": its row goes, "aaa" stays done */
    assert_int_equal(lle_journal_sync(s, &CAMP, plan, 1, false, &err), LLE_OK);
    assert_int_equal(lle_journal_read(s, "c1", &rows, &n, &exists, &err), LLE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].state, LLE_JOURNAL_DONE);
    free(rows);
    lle_store_close(s);
    assert_int_equal(q_int(d, "SELECT count(*) FROM experiments"), 1);
    assert_int_equal(q_int(d, "SELECT count(*) FROM experiments WHERE id = 'e2'"), 0);
    assert_int_equal(q_int(d, "PRAGMA user_version"), LLE_STORE_SCHEMA_VERSION);
    rmrf(d);
    free(d);
}

static void test_peek_creates_nothing(void **state)
{
    char *d = tmpdir(), path[512];
    lle_journal_item *rows = NULL;
    size_t n = 9;
    bool exists = true;
    struct stat sb;

    (void)state;
    assert_int_equal(lle_journal_peek(d, "c1", &rows, &n, &exists, NULL), LLE_OK);
    assert_false(exists);
    assert_int_equal(n, 0);
    snprintf(path, sizeof path, "%s/results.db", d);
    assert_int_not_equal(stat(path, &sb), 0);
    rmrf(d);
    free(d);
}

/* A version-1 database (made with the v1 schema's experiments table) gains
 * the journal tables and the `source` column, keeping its rows. */
static void test_migration_from_v1(void **state)
{
    char *d = tmpdir(), path[512];
    sqlite3 *db = NULL;
    lle_store *s = NULL;
    lle_error err = {0};

    (void)state;
    snprintf(path, sizeof path, "%s/results.db", d);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE experiments (id TEXT PRIMARY KEY NOT NULL, status TEXT,"
                                  " document_json TEXT NOT NULL);"
                                  "INSERT INTO experiments VALUES('old', 'completed', '{\"id\":\"old\"}');"
                                  "PRAGMA user_version = 1;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(lle_store_open(d, &s, &err), LLE_OK);
    lle_store_close(s);
    assert_int_equal(q_int(d, "PRAGMA user_version"), 2);
    assert_int_equal(q_int(d, "SELECT count(*) FROM experiments WHERE source = 'llm-efficiency'"), 1);
    assert_int_equal(q_int(d, "SELECT count(*) FROM campaign_items"), 0);
    rmrf(d);
    free(d);
}

static lle_config *load(const char *fmt)
{
    char text[2048];
    lle_config *c = NULL;
    lle_error err = {0};

    assert_true(snprintf(text, sizeof text, fmt, model_path) < (int)sizeof text);
    if (lle_config_load_string(text, strlen(text), "camp.yaml", NULL, &c, &err) != LLE_OK)
        fail_msg("config: %s", err.msg);
    return c;
}

static const char CAMPAIGN[] =
    "name: unit\nsuite: grid\nexperiment:\n  model: {model_path: %s}\n  engine: {threads: 1}\n"
    "  workload: {prompts: 2, max_input_tokens: 6, max_output_tokens: 2, warmup: 0}\n"
    "grid:\n  batch_size: [1, 2]\ncycles: 2\norder: shuffled\n";

static void test_run_and_resume(void **state)
{
    char *d = tmpdir();
    lle_config *c = load(CAMPAIGN);
    lle_campaign_plan *p = NULL;
    lle_campaign_summary sum;
    lle_campaign_status *st = NULL;
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_campaign_plan_build(c, NULL, &p, &err), LLE_OK);
    assert_int_equal(p->order, LLE_ORDER_SHUFFLE);
    assert_int_equal(lle_campaign_run(p, d, NULL, NULL, NULL, &sum, &err), LLE_OK);
    assert_int_equal(sum.total, 4);
    assert_int_equal(sum.done, 4);
    assert_int_equal(sum.remaining, 0);
    assert_int_equal(q_int(d, "SELECT count(*) FROM experiments WHERE json_extract(document_json,"
                              " '$.campaign.id') = 'unit'"),
                     4);
    assert_int_equal(q_int(d, "SELECT count(DISTINCT json_extract(document_json, '$.campaign.config_hash') || '/' ||"
                              " json_extract(document_json, '$.campaign.cycle')) FROM experiments"),
                     4);
    assert_int_equal(q_int(d, "SELECT count(*) FROM campaign_items ci JOIN experiments e ON e.id = ci.experiment_id"
                              " WHERE ci.state = 'done'"),
                     4);
    assert_int_equal(lle_campaign_run(p, d, NULL, NULL, NULL, &sum, &err), LLE_OK);
    assert_int_equal(sum.ran, 0);
    assert_int_equal(sum.already_done, 4);
    assert_int_equal(lle_campaign_status_read(p, d, &st, &err), LLE_OK);
    assert_true(st->journal);
    assert_int_equal(st->n_done, 4);
    assert_int_equal(st->n_added + st->n_removed, 0);
    lle_campaign_status_free(st);
    lle_campaign_plan_free(p);
    lle_config_free(c);
    rmrf(d);
    free(d);
}

static void test_changed_set_refused(void **state)
{
    char *d = tmpdir();
    lle_config *c = load(CAMPAIGN), *c2;
    lle_campaign_plan *p = NULL, *p2 = NULL;
    lle_campaign_status *st = NULL;
    lle_campaign_summary sum;
    lle_campaign_opts o;
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_campaign_plan_build(c, NULL, &p, &err), LLE_OK);
    assert_int_equal(lle_campaign_run(p, d, NULL, NULL, NULL, &sum, &err), LLE_OK);
    c2 = load("name: unit\nsuite: grid\nexperiment:\n  model: {model_path: %s}\n  engine: {threads: 1}\n"
              "  workload: {prompts: 2, max_input_tokens: 6, max_output_tokens: 2, warmup: 0}\n"
              "grid:\n  batch_size: [1, 3]\ncycles: 2\n");
    assert_int_equal(lle_campaign_plan_build(c2, NULL, &p2, &err), LLE_OK);
    assert_int_equal(lle_campaign_status_read(p2, d, &st, &err), LLE_OK);
    assert_int_equal(st->n_added, 2);
    assert_int_equal(st->n_removed, 2);
    assert_int_equal(st->n_done, 2);
    assert_string_equal(st->added[0], "grid{batch_size: 3} (cycle 1)");
    lle_campaign_status_free(st);
    assert_int_equal(lle_campaign_run(p2, d, NULL, NULL, NULL, &sum, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "2 added, 2 removed"));
    assert_int_equal(q_int(d, "SELECT count(*) FROM experiments"), 4); /* nothing ran */
    lle_campaign_opts_init(&o);
    o.accept_changes = true;
    assert_int_equal(lle_campaign_run(p2, d, &o, NULL, NULL, &sum, &err), LLE_OK);
    assert_int_equal(sum.ran, 2);
    assert_int_equal(sum.already_done, 2);
    assert_int_equal(q_int(d, "SELECT count(*) FROM campaign_items"), 4);
    lle_campaign_plan_free(p);
    lle_campaign_plan_free(p2);
    lle_config_free(c);
    lle_config_free(c2);
    rmrf(d);
    free(d);
}

static void test_session_reuse(void **state)
{
    lle_run_session *s = NULL;
    lle_run_config cfg;
    lle_run_result *r = NULL;
    bool reused = true;
    int loads = 0, reuses = 0;

    (void)state;
    lle_run_config_init(&cfg);
    cfg.model_path = model_path;
    cfg.n_prompts = 2;
    cfg.max_input_tokens = 6;
    cfg.max_output_tokens = 2;
    cfg.n_threads = 1;
    assert_int_equal(lle_run_session_open(&s, NULL), LLE_OK);
    assert_int_equal(lle_run_session_run(s, &cfg, NULL, NULL, NULL, &r, &reused, NULL), LLE_OK);
    assert_false(reused);
    lle_run_result_free(r);
    cfg.n_prompts = 1; /* workload only: same engine */
    assert_int_equal(lle_run_session_run(s, &cfg, NULL, NULL, NULL, &r, &reused, NULL), LLE_OK);
    assert_true(reused);
    assert_int_equal(r->n_requests, 1);
    lle_run_result_free(r);
    cfg.temperature = 0.5f; /* sampling is baked into the engine: a new one */
    assert_int_equal(lle_run_session_run(s, &cfg, NULL, NULL, NULL, &r, &reused, NULL), LLE_OK);
    assert_false(reused);
    lle_run_result_free(r);
    lle_run_session_counts(s, &loads, &reuses);
    assert_int_equal(loads, 2);
    assert_int_equal(reuses, 1);
    lle_run_session_close(s);
}

int main(void)
{
    const char *td = getenv("LLE_TESTDATA");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_states),      cmocka_unit_test(test_peek_creates_nothing),
        cmocka_unit_test(test_migration_from_v1),   cmocka_unit_test(test_run_and_resume),
        cmocka_unit_test(test_changed_set_refused), cmocka_unit_test(test_session_reuse),
    };

    snprintf(model_path, sizeof model_path, "%s/tiny-q8_0.gguf", td != NULL ? td : "build/testdata");
    lle_log_set(NULL, NULL, LLE_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
