/* test_store.c — the results database (lle/store.h): a hand-built document
 * lands in typed columns and request rows with exactly the JSON's values;
 * re-putting an id replaces it; unknown fields are kept and missing ones are
 * NULL; malformed documents and failures in the middle of a put leave the
 * database unchanged; the file is in WAL mode and passes integrity_check; bad
 * results directories, corrupt, foreign and newer database files are refused
 * with errors naming the path; and a real run's document (tiny model from
 * tests/make_fixtures.sh, skipped when absent) is stored whole. Each test gets
 * its own mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lle/lle.h"

#define ID_A "20260101T000000.000Z-0000abcd"

/* Three requests; the third is prompt 0 again in a second measured pass (so
 * "index" repeats) and generated one token, so it has no TPOT. */
static const char DOC_A[] =
    "{\n"
    "  \"schema_version\": 1,\n"
    "  \"id\": \"" ID_A "\",\n"
    "  \"status\": \"completed\",\n"
    "  \"started_at\": \"2026-01-01T00:00:00Z\",\n"
    "  \"config\": {\"engine\": \"llama.cpp\", \"model_path\": \"/models/tiny.gguf\", \"prompts\": 3,\n"
    "             \"prompt_source\": \"synthetic\", \"max_input_tokens\": 16, \"max_output_tokens\": 4,\n"
    "             \"threads\": 2, \"n_ctx\": 32, \"batch_size\": 1, \"decoding\": \"greedy\",\n"
    "             \"ignore_eos\": true, \"seed\": 42},\n"
    "  \"model\": {\"path\": \"/models/other.gguf\", \"arch\": \"llama\", \"name\": \"tiny\",\n"
    "            \"file_type\": \"Q8_0\", \"n_params\": 1100048384, \"file_bytes\": 1170000000},\n"
    "  \"environment\": {\"tool_version\": \"0.1.0\", \"git_commit\": \"abc123\", \"cpu_cores\": 2,\n"
    "                  \"os\": \"Linux\"},\n"
    "  \"metrics\": {\"requests\": 3, \"input_tokens\": 48, \"output_tokens\": 9, \"wall_s\": 1.5,\n"
    "              \"prefill_s\": 0.3, \"decode_s\": 0.6, \"prefill_tokens_per_s\": 160.25,\n"
    "              \"decode_tokens_per_s\": 10.5, \"total_tokens_per_s\": 38.125, \"requests_per_s\": 2.0,\n"
    "    \"ttft_s\": {\"count\": 3, \"mean\": 0.11, \"std\": 0.01, \"min\": 0.1, \"p50\": 0.111,\n"
    "               \"p90\": 0.118, \"p95\": 0.119, \"p99\": 0.1198, \"max\": 0.12},\n"
    "    \"tpot_s\": {\"count\": 2, \"mean\": 0.21, \"std\": 0.02, \"min\": 0.2, \"p50\": 0.211,\n"
    "               \"p90\": 0.218, \"p95\": 0.219, \"p99\": 0.2198, \"max\": 0.22},\n"
    "    \"itl_s\": {\"count\": 6, \"mean\": 0.31, \"std\": 0.03, \"min\": 0.3, \"p50\": 0.311,\n"
    "              \"p90\": 0.318, \"p95\": 0.319, \"p99\": 0.3198, \"max\": 0.32},\n"
    "    \"e2e_s\": {\"count\": 3, \"mean\": 0.41, \"std\": 0.04, \"min\": 0.4, \"p50\": 0.411,\n"
    "              \"p90\": 0.418, \"p95\": 0.419, \"p99\": 0.4198, \"max\": 0.42},\n"
    "    \"peak_rss_bytes\": 5368709120, \"model_bytes\": 1170000000, \"kv_cache_bytes\": 65536},\n"
    "  \"requests\": [\n"
    "    {\"index\": 0, \"repeat\": 0, \"batch\": 0, \"input_tokens\": 16, \"output_tokens\": 4,\n"
    "     \"arrival_s\": 0.0, \"start_s\": 0.0, \"queue_delay_s\": 0.0,\n"
    "     \"ttft_s\": 0.1, \"prefill_s\": 0.09, \"decode_s\": 0.3, \"e2e_s\": 0.4,\n"
    "     \"itl_s\": [0.1, 0.1, 0.1], \"output_token_ids\": [5, 6, 7, 8]},\n"
    "    {\"index\": 1, \"repeat\": 0, \"batch\": 1, \"input_tokens\": 16, \"output_tokens\": 4,\n"
    "     \"arrival_s\": 0.25, \"start_s\": 0.4, \"queue_delay_s\": 0.15,\n"
    "     \"ttft_s\": 0.12, \"prefill_s\": 0.1, \"decode_s\": 0.33, \"e2e_s\": 0.45,\n"
    "     \"itl_s\": [0.1, 0.11, 0.12], \"output_token_ids\": [9, 10, 11, 12]},\n"
    "    {\"index\": 0, \"repeat\": 1, \"batch\": 0, \"input_tokens\": 16, \"output_tokens\": 1,\n"
    "     \"arrival_s\": 0.85, \"start_s\": 0.85, \"queue_delay_s\": 0.0,\n"
    "     \"ttft_s\": 0.111, \"prefill_s\": 0.101, \"decode_s\": 0.0, \"e2e_s\": 0.111,\n"
    "     \"itl_s\": [], \"output_token_ids\": [13]}\n"
    "  ]\n"
    "}\n";

typedef struct fixture {
    char dir[64];
    lle_store *s;
} fixture;

/* ---- helpers ---------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    lle_error err = {0};

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/lle-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL || lle_store_open(f->dir, &f->s, &err) != LLE_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    lle_store_close(f->s);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static sqlite3 *raw_open(const char *dir)
{
    char path[256];
    sqlite3 *db = NULL;

    snprintf(path, sizeof path, "%s/results.db", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    return db;
}

/* Prepare `sql`, bind `id` to ?1 when given, and step to the first row. */
static sqlite3_stmt *row(sqlite3 *db, const char *sql, const char *id)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (id != NULL)
        assert_int_equal(sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return st;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = row(db, sql, NULL);
    int64_t v = sqlite3_column_int64(st, 0);

    sqlite3_finalize(st);
    return v;
}

static void assert_query_text(sqlite3 *db, const char *sql, const char *expected)
{
    sqlite3_stmt *st = row(db, sql, NULL);

    assert_string_equal((const char *)sqlite3_column_text(st, 0), expected);
    sqlite3_finalize(st);
}

static void assert_counts(lle_store *s, int64_t n_exp, int64_t n_req)
{
    int64_t e = -1, r = -1;
    lle_error err = {0};

    assert_int_equal(lle_store_count(s, &e, &r, &err), LLE_OK);
    assert_int_equal(e, n_exp);
    assert_int_equal(r, n_req);
}

static void put_ok(lle_store *s, const char *doc)
{
    lle_error err = {0};
    lle_status st = lle_store_put(s, doc, &err);

    if (st != LLE_OK)
        fprintf(stderr, "put: %s\n", err.msg);
    assert_int_equal(st, LLE_OK);
}

static void put_fails(lle_store *s, const char *doc, lle_status expected, const char *msg_part)
{
    lle_error err = {0};

    assert_int_equal(lle_store_put(s, doc, &err), expected);
    assert_int_equal(err.code, expected);
    assert_true(err.msg[0] != '\0');
    if (msg_part != NULL && strstr(err.msg, msg_part) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
}

/* DOC_A edited by `edit` and printed back. Caller frees. */
static char *doc_edit(void (*edit)(cJSON *root))
{
    cJSON *root = cJSON_Parse(DOC_A);
    char *out = NULL;

    assert_non_null(root);
    edit(root);
    out = cJSON_Print(root);
    cJSON_Delete(root);
    assert_non_null(out);
    return out;
}

static cJSON *request_at(cJSON *root, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(root, "requests"), i);
}

static void assert_stored_doc(lle_store *s, const char *id, const char *expected)
{
    char *doc = NULL;
    lle_error err = {0};

    assert_int_equal(lle_store_get(s, id, &doc, &err), LLE_OK);
    assert_string_equal(doc, expected);
    free(doc);
}

/* ---- the document in typed columns ------------------------------------------ */

typedef struct expect_col {
    const char *column;
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT */
    int64_t i;
    double d;
    const char *t;
} expect_col;

/* clang-format off */
#define E_INT(c, v) {c, SQLITE_INTEGER, v, 0, NULL}
#define E_REAL(c, v) {c, SQLITE_FLOAT, 0, v, NULL}
#define E_TEXT(c, v) {c, SQLITE_TEXT, 0, 0, v}
/* clang-format on */

static const expect_col EXPECT_A[] = {
    E_TEXT("id", ID_A),
    E_INT("schema_version", 1),
    E_TEXT("status", "completed"),
    E_TEXT("started_at", "2026-01-01T00:00:00Z"),
    E_TEXT("model_path", "/models/tiny.gguf"),
    E_TEXT("model_arch", "llama"),
    E_TEXT("model_file_type", "Q8_0"),
    E_INT("model_n_params", 1100048384),
    E_INT("prompts", 3),
    E_INT("max_input_tokens", 16),
    E_INT("max_output_tokens", 4),
    E_INT("threads", 2),
    E_INT("n_ctx", 32),
    E_INT("batch_size", 1),
    E_REAL("wall_s", 1.5),
    E_INT("input_tokens", 48),
    E_INT("output_tokens", 9),
    E_REAL("prefill_tokens_per_s", 160.25),
    E_REAL("decode_tokens_per_s", 10.5),
    E_REAL("total_tokens_per_s", 38.125),
    E_REAL("requests_per_s", 2.0),
    E_REAL("ttft_mean_s", 0.11),
    E_REAL("ttft_p50_s", 0.111),
    E_REAL("ttft_p90_s", 0.118),
    E_REAL("ttft_p99_s", 0.1198),
    E_REAL("tpot_mean_s", 0.21),
    E_REAL("tpot_p50_s", 0.211),
    E_REAL("tpot_p90_s", 0.218),
    E_REAL("tpot_p99_s", 0.2198),
    E_REAL("itl_mean_s", 0.31),
    E_REAL("itl_p50_s", 0.311),
    E_REAL("itl_p90_s", 0.318),
    E_REAL("itl_p99_s", 0.3198),
    E_REAL("e2e_mean_s", 0.41),
    E_REAL("e2e_p50_s", 0.411),
    E_REAL("e2e_p90_s", 0.418),
    E_REAL("e2e_p99_s", 0.4198),
    E_INT("peak_rss_bytes", 5368709120LL),
    E_INT("model_bytes", 1170000000),
    E_INT("kv_cache_bytes", 65536),
    E_TEXT("document_json", DOC_A),
};

static const char *const JSON_COLS[][2] = {
    {"config_json", "config"},
    {"model_json", "model"},
    {"environment_json", "environment"},
    {"metrics_json", "metrics"},
};

static void assert_column(sqlite3 *db, const char *id, const expect_col *e)
{
    char sql[128];
    sqlite3_stmt *st = NULL;

    snprintf(sql, sizeof sql, "SELECT %s FROM experiments WHERE id = ?1", e->column);
    st = row(db, sql, id);
    if (sqlite3_column_type(st, 0) != e->type)
        fail_msg("column %s: type %d, expected %d", e->column, sqlite3_column_type(st, 0), e->type);
    if (e->type == SQLITE_INTEGER)
        assert_int_equal(sqlite3_column_int64(st, 0), e->i);
    else if (e->type == SQLITE_FLOAT && sqlite3_column_double(st, 0) != e->d)
        fail_msg("column %s: %.17g != %.17g", e->column, sqlite3_column_double(st, 0), e->d);
    else if (e->type == SQLITE_TEXT)
        assert_string_equal((const char *)sqlite3_column_text(st, 0), e->t);
    sqlite3_finalize(st);
}

static void assert_json_column(sqlite3 *db, const char *id, const char *column, const cJSON *expected)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    cJSON *got = NULL;

    snprintf(sql, sizeof sql, "SELECT %s FROM experiments WHERE id = ?1", column);
    st = row(db, sql, id);
    got = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    assert_non_null(got);
    if (!cJSON_Compare(got, expected, 1))
        fail_msg("column %s differs from the document", column);
    cJSON_Delete(got);
    sqlite3_finalize(st);
}

/* Every column of experiments is checked: typed, JSON text, or stored_at. */
static void assert_all_columns_covered(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    size_t n_cols = 0;

    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('experiments')", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int known = strcmp(name, "stored_at") == 0 || strcmp(name, "error") == 0;
        for (size_t i = 0; i < sizeof EXPECT_A / sizeof EXPECT_A[0]; i++)
            known |= strcmp(name, EXPECT_A[i].column) == 0;
        for (size_t i = 0; i < 4; i++)
            known |= strcmp(name, JSON_COLS[i][0]) == 0;
        if (!known)
            fail_msg("column %s is not checked", name);
        n_cols++;
    }
    sqlite3_finalize(st);
    assert_int_equal(n_cols, sizeof EXPECT_A / sizeof EXPECT_A[0] + 4 + 2);
}

/* Every column of requests, in the order assert_request_row reads them. */
static const char REQUEST_SQL[] =
    "SELECT idx, prompt_index, repeat, batch, input_tokens, output_tokens, arrival_s, start_s,"
    " queue_delay_s, ttft_s, e2e_s, prefill_s, decode_s, tpot_s, itl_s FROM requests"
    " WHERE experiment_id = ?1 ORDER BY idx";

static void assert_itl(const char *text, const cJSON *expected)
{
    cJSON *got = cJSON_Parse(text);
    int n = cJSON_GetArraySize(expected);

    assert_non_null(got);
    assert_int_equal(cJSON_GetArraySize(got), n);
    for (int j = 0; j < n; j++)
        assert_true(cJSON_GetArrayItem(got, j)->valuedouble == cJSON_GetArrayItem(expected, j)->valuedouble);
    cJSON_Delete(got);
}

/* Row of REQUEST_SQL against request `q`, the i-th of its document. */
static void assert_request_row(sqlite3_stmt *st, int i, const cJSON *q)
{
    static const char *const ints[] = {"index", "repeat", "batch", "input_tokens", "output_tokens"};
    static const char *const reals[] = {"arrival_s", "start_s",   "queue_delay_s", "ttft_s",
                                        "e2e_s",     "prefill_s", "decode_s"};
    double out = cJSON_GetObjectItem(q, "output_tokens")->valuedouble;
    double ttft = cJSON_GetObjectItem(q, "ttft_s")->valuedouble, e2e = cJSON_GetObjectItem(q, "e2e_s")->valuedouble;

    assert_int_equal(sqlite3_column_int64(st, 0), i);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(sqlite3_column_type(st, 1 + k), SQLITE_INTEGER);
        assert_int_equal(sqlite3_column_int64(st, 1 + k), (int64_t)cJSON_GetObjectItem(q, ints[k])->valuedouble);
    }
    for (int k = 0; k < 7; k++) {
        assert_int_equal(sqlite3_column_type(st, 6 + k), SQLITE_FLOAT);
        assert_true(sqlite3_column_double(st, 6 + k) == cJSON_GetObjectItem(q, reals[k])->valuedouble);
    }
    if (out >= 2)
        assert_true(sqlite3_column_double(st, 13) == (e2e - ttft) / (double)((int)out - 1));
    else
        assert_int_equal(sqlite3_column_type(st, 13), SQLITE_NULL);
    assert_itl((const char *)sqlite3_column_text(st, 14), cJSON_GetObjectItem(q, "itl_s"));
}

static void assert_requests_match(sqlite3 *db, const char *id, const cJSON *root)
{
    const cJSON *reqs = cJSON_GetObjectItem(root, "requests");
    sqlite3_stmt *st = NULL;
    int i = 0;

    assert_int_equal(sqlite3_prepare_v2(db, REQUEST_SQL, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC), SQLITE_OK);
    for (; sqlite3_step(st) == SQLITE_ROW; i++)
        assert_request_row(st, i, cJSON_GetArrayItem(reqs, i));
    assert_int_equal(i, cJSON_GetArraySize(reqs));
    sqlite3_finalize(st);
}

static void test_put_matches_document(void **state)
{
    fixture *f = *state;
    cJSON *root = cJSON_Parse(DOC_A);
    sqlite3 *db = NULL;

    put_ok(f->s, DOC_A);
    assert_counts(f->s, 1, 3);
    db = raw_open(f->dir);
    for (size_t i = 0; i < sizeof EXPECT_A / sizeof EXPECT_A[0]; i++)
        assert_column(db, ID_A, &EXPECT_A[i]);
    for (size_t i = 0; i < 4; i++)
        assert_json_column(db, ID_A, JSON_COLS[i][0], cJSON_GetObjectItem(root, JSON_COLS[i][1]));
    assert_int_equal(q_int(db, "SELECT count(*) FROM experiments WHERE error IS NULL AND stored_at LIKE '20%Z'"), 1);
    assert_all_columns_covered(db);
    assert_requests_match(db, ID_A, root);
    /* REQUEST_SQL read every column: experiment_id + the 15 it names */
    assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_table_info('requests')"), 16);
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 0);
    assert_stored_doc(f->s, ID_A, DOC_A);
    sqlite3_close(db);
    cJSON_Delete(root);
}

/* ---- replacement, unknown and missing fields --------------------------------- */

static void edit_failed_two_requests(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "status", cJSON_CreateString("failed"));
    cJSON_AddStringToObject(root, "error", "engine: out of memory");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(root, "requests"), 2);
}

static void test_reput_replaces(void **state)
{
    fixture *f = *state;
    char *doc2 = doc_edit(edit_failed_two_requests);
    sqlite3 *db = NULL;

    put_ok(f->s, DOC_A);
    put_ok(f->s, DOC_A);
    assert_counts(f->s, 1, 3);
    put_ok(f->s, doc2);
    assert_counts(f->s, 1, 2);
    db = raw_open(f->dir);
    assert_query_text(db, "SELECT status || '|' || error FROM experiments", "failed|engine: out of memory");
    assert_int_equal(q_int(db, "SELECT max(idx) FROM requests"), 1);
    assert_stored_doc(f->s, ID_A, doc2);
    put_ok(f->s, DOC_A);
    assert_counts(f->s, 1, 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM experiments WHERE error IS NULL"), 1);
    sqlite3_close(db);
    free(doc2);
}

static void edit_unknown_and_missing(cJSON *root)
{
    cJSON *metrics = cJSON_GetObjectItem(root, "metrics");
    cJSON *energy = cJSON_AddObjectToObject(root, "energy");

    cJSON_AddNumberToObject(energy, "joules", 12.5);
    cJSON_AddStringToObject(cJSON_GetObjectItem(root, "config"), "scheduler", "continuous");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(root, "config"), "n_ctx");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(root, "config"), "model_path");
    cJSON_AddNumberToObject(cJSON_GetObjectItem(metrics, "ttft_s"), "p999", 0.2);
    cJSON_DeleteItemFromObject(metrics, "itl_s");
    cJSON_ReplaceItemInObject(metrics, "kv_cache_bytes", cJSON_CreateNull());
    cJSON_DeleteItemFromObject(root, "environment");
    cJSON_AddStringToObject(request_at(root, 0), "finish_reason", "length");
    cJSON_DeleteItemFromObject(request_at(root, 1), "queue_delay_s");
    cJSON_DeleteItemFromObject(request_at(root, 1), "index");
    cJSON_DeleteItemFromObject(request_at(root, 1), "ttft_s");
}

static void test_unknown_and_missing_fields(void **state)
{
    fixture *f = *state;
    char *doc = doc_edit(edit_unknown_and_missing);
    sqlite3 *db = NULL;

    put_ok(f->s, doc);
    assert_counts(f->s, 1, 3);
    db = raw_open(f->dir);
    assert_int_equal(q_int(db, "SELECT n_ctx IS NULL AND itl_p50_s IS NULL AND kv_cache_bytes IS NULL"
                               " AND environment_json IS NULL AND ttft_p50_s IS NOT NULL FROM experiments"),
                     1);
    /* config.model_path is gone: the model's own path stands in */
    assert_query_text(db, "SELECT model_path FROM experiments", "/models/other.gguf");
    assert_query_text(db, "SELECT json_extract(document_json, '$.energy.joules') FROM experiments", "12.5");
    /* request 1: absent fields NULL, so no TPOT; idx is still its position */
    assert_int_equal(q_int(db, "SELECT prompt_index IS NULL AND queue_delay_s IS NULL AND ttft_s IS NULL"
                               " AND tpot_s IS NULL AND e2e_s IS NOT NULL FROM requests WHERE idx = 1"),
                     1);
    assert_stored_doc(f->s, ID_A, doc);
    sqlite3_close(db);
    free(doc);
}

static void test_minimal_document(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;

    put_ok(f->s, "{\"id\": \"bare\"}");
    put_ok(f->s, "{\"id\": \"nullreqs\", \"requests\": null, \"model\": null}");
    assert_counts(f->s, 2, 0);
    db = raw_open(f->dir);
    assert_int_equal(q_int(db, "SELECT count(*) FROM experiments WHERE status IS NULL AND wall_s IS NULL"
                               " AND model_json IS NULL AND config_json IS NULL"),
                     2);
    sqlite3_close(db);
}

/* ---- refusals and rollback ------------------------------------------------------ */

static void test_malformed_json(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {
        "",       "{",  "not json",    "{\"id\": \"x\",}", "{\"id\": \"x\"} trailing", "[1, 2]",
        "\"id\"", "{}", "{\"id\": 5}", "{\"id\": \"\"}",   "{\"id\": null}",
    };
    lle_error err = {0};

    put_ok(f->s, DOC_A);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        put_fails(f->s, bad[i], LLE_ERR_FORMAT, f->dir);
    put_fails(f->s, "{\"id\": \"x\"", LLE_ERR_FORMAT, "not valid JSON");
    put_fails(f->s, "{\"status\": \"completed\"}", LLE_ERR_FORMAT, "id");
    assert_int_equal(lle_store_put(f->s, NULL, &err), LLE_ERR_INVALID);
    assert_int_equal(lle_store_put(NULL, DOC_A, &err), LLE_ERR_INVALID);
    assert_counts(f->s, 1, 3);
    assert_stored_doc(f->s, ID_A, DOC_A);
}

static void edit_bad_threads(cJSON *root)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "config"), "threads", cJSON_CreateString("four"));
}

static void edit_fractional_threads(cJSON *root)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "config"), "threads", cJSON_CreateNumber(2.5));
}

static void edit_stats_not_object(cJSON *root)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "metrics"), "ttft_s", cJSON_CreateNumber(0.1));
}

static void edit_requests_not_array(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "requests", cJSON_CreateObject());
}

static void edit_itl_strings(cJSON *root)
{
    cJSON_ReplaceItemInObject(request_at(root, 2), "itl_s", cJSON_CreateString("[0.1]"));
}

static void test_wrong_types_refused(void **state)
{
    fixture *f = *state;
    struct {
        void (*edit)(cJSON *);
        const char *msg;
    } cases[] = {
        {edit_bad_threads, "config.threads: expected an integer, got a string"},
        {edit_fractional_threads, "config.threads: expected an integer"},
        {edit_stats_not_object, "metrics.ttft_s.mean: expected an object at 'ttft_s'"},
        {edit_requests_not_array, "requests: expected an array"},
        {edit_itl_strings, "requests[2].itl_s: expected an array of numbers"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *doc = doc_edit(cases[i].edit);
        put_fails(f->s, doc, LLE_ERR_FORMAT, cases[i].msg);
        free(doc);
    }
    assert_counts(f->s, 0, 0);
}

static void edit_second_request_bad_type(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "status", cJSON_CreateString("replaced"));
    cJSON_ReplaceItemInObject(request_at(root, 1), "ttft_s", cJSON_CreateString("fast"));
}

static void edit_second_request_negative(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "id", cJSON_CreateString("B"));
    cJSON_ReplaceItemInObject(request_at(root, 1), "output_tokens", cJSON_CreateNumber(-1));
}

static void edit_third_request_bad_index(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "id", cJSON_CreateString("C"));
    cJSON_ReplaceItemInObject(request_at(root, 2), "index", cJSON_CreateString("zero"));
}

static void test_failure_mid_put_rolls_back(void **state)
{
    fixture *f = *state;
    char *bad_type = doc_edit(edit_second_request_bad_type);
    char *neg = doc_edit(edit_second_request_negative);
    char *bad_index = doc_edit(edit_third_request_bad_index);
    char *doc = NULL;
    lle_error err = {0};
    sqlite3 *db = NULL;

    put_ok(f->s, DOC_A);
    /* replacing A fails at its second request: A's old version survives whole */
    put_fails(f->s, bad_type, LLE_ERR_FORMAT, "requests[1].ttft_s: expected a number, got a string");
    assert_counts(f->s, 1, 3);
    assert_stored_doc(f->s, ID_A, DOC_A);
    /* new experiments whose later requests break a constraint or a type: nothing of them */
    put_fails(f->s, neg, LLE_ERR_FORMAT, "inserting requests[1]: CHECK constraint failed");
    put_fails(f->s, bad_index, LLE_ERR_FORMAT, "requests[2].index: expected an integer, got a string");
    assert_counts(f->s, 1, 3);
    assert_int_equal(lle_store_get(f->s, "B", &doc, &err), LLE_ERR_NOT_FOUND);
    assert_int_equal(lle_store_get(f->s, "C", &doc, &err), LLE_ERR_NOT_FOUND);
    assert_null(doc);
    db = raw_open(f->dir);
    assert_query_text(db, "SELECT status FROM experiments", "completed");
    assert_int_equal(q_int(db, "SELECT count(*) FROM requests WHERE experiment_id <> '" ID_A "'"), 0);
    assert_query_text(db, "PRAGMA integrity_check", "ok");
    assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    sqlite3_close(db);
    /* the store is still usable afterwards */
    put_ok(f->s, DOC_A);
    assert_counts(f->s, 1, 3);
    free(bad_type);
    free(neg);
    free(bad_index);
}

/* ---- the database file ---------------------------------------------------------- */

static void test_file_settings(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;

    put_ok(f->s, DOC_A);
    db = raw_open(f->dir);
    assert_query_text(db, "PRAGMA journal_mode", "wal");
    assert_query_text(db, "PRAGMA integrity_check", "ok");
    assert_int_equal(q_int(db, "PRAGMA user_version"), LLE_STORE_SCHEMA_VERSION);
    assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                               " ('experiments', 'requests', 'timeseries')"),
                     3);
    sqlite3_close(db);
}

static void test_reopen_and_second_handle(void **state)
{
    fixture *f = *state;
    lle_store *other = NULL;
    lle_error err = {0};

    put_ok(f->s, DOC_A);
    assert_int_equal(lle_store_open(f->dir, &other, &err), LLE_OK);
    assert_counts(other, 1, 3);
    assert_stored_doc(other, ID_A, DOC_A);
    put_ok(other, "{\"id\": \"from-other\"}");
    assert_counts(f->s, 2, 3);
    lle_store_close(other);
    lle_store_close(f->s);
    f->s = NULL;
    assert_int_equal(lle_store_open(f->dir, &f->s, &err), LLE_OK);
    assert_counts(f->s, 2, 3);
}

static void test_get_missing_and_bad_args(void **state)
{
    fixture *f = *state;
    char *doc = (char *)"sentinel";
    lle_store *s = (lle_store *)&doc;
    lle_error err = {0};

    assert_int_equal(lle_store_get(f->s, "nope", &doc, &err), LLE_ERR_NOT_FOUND);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "nope"));
    assert_int_equal(lle_store_get(f->s, NULL, &doc, &err), LLE_ERR_INVALID);
    assert_int_equal(lle_store_count(NULL, NULL, NULL, &err), LLE_ERR_INVALID);
    assert_int_equal(lle_store_open(NULL, &s, &err), LLE_ERR_INVALID);
    assert_null(s);
    assert_int_equal(lle_store_open(f->dir, NULL, &err), LLE_ERR_INVALID);
    lle_store_close(NULL);
}

static void test_open_under_a_file(void **state)
{
    fixture *f = *state;
    char file[128], sub[160];
    lle_store *s = NULL;
    lle_error err = {0};
    FILE *fp = NULL;

    snprintf(file, sizeof file, "%s/plain-file", f->dir);
    snprintf(sub, sizeof sub, "%s/sub", file);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(lle_store_open(sub, &s, &err), LLE_ERR_IO);
    assert_null(s);
    if (strstr(err.msg, file) == NULL)
        fail_msg("message '%s' does not name %s", err.msg, file);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void test_open_corrupt_file(void **state)
{
    fixture *f = *state;
    char dir[128], path[160];
    unsigned char junk[8192];
    uint32_t x = 2463534242u;
    lle_store *s = NULL;
    lle_error err = {0};

    snprintf(dir, sizeof dir, "%s/corrupt", f->dir);
    snprintf(path, sizeof path, "%s/results.db", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    for (size_t i = 0; i < sizeof junk; i++) { /* xorshift32: reproducible noise */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (unsigned char)x;
    }
    write_file(path, junk, sizeof junk);
    assert_int_equal(lle_store_open(dir, &s, &err), LLE_ERR_FORMAT);
    assert_null(s);
    if (strstr(err.msg, path) == NULL)
        fail_msg("message '%s' does not name %s", err.msg, path);
}

static void test_open_foreign_and_newer(void **state)
{
    fixture *f = *state;
    char dir[128];
    lle_store *s = NULL;
    lle_error err = {0};
    sqlite3 *db = NULL;

    snprintf(dir, sizeof dir, "%s/foreign", f->dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    db = raw_open(dir);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(lle_store_open(dir, &s, &err), LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "foreign/results.db"));
    lle_store_close(f->s);
    f->s = NULL;
    db = raw_open(f->dir);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(lle_store_open(f->dir, &s, &err), LLE_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err.msg, "99"));
}

/* ---- a real run's document ------------------------------------------------------ */

static void test_real_run_document(void **state)
{
    fixture *f = *state;
    const char *data = getenv("LLE_TESTDATA");
    char model[4096];
    lle_run_config c;
    lle_run_result *r = NULL;
    lle_error err = {0};
    char *json = NULL;
    sqlite3 *db = NULL;

    snprintf(model, sizeof model, "%s/tiny-q8_0.gguf", data != NULL ? data : "build/testdata");
    if (access(model, R_OK) != 0)
        skip();
    lle_run_config_init(&c);
    c.model_path = model;
    c.n_prompts = 2;
    c.max_input_tokens = 8;
    c.max_output_tokens = 4;
    c.n_threads = 2;
    assert_int_equal(lle_run_single(&c, NULL, NULL, NULL, &r, &err), LLE_OK);
    json = lle_run_result_to_json(r, true);
    assert_non_null(json);
    put_ok(f->s, json);
    assert_counts(f->s, 1, (int64_t)r->n_requests);
    assert_stored_doc(f->s, r->id, json);
    db = raw_open(f->dir);
    /* every headline column is filled from the runner's document */
    assert_int_equal(q_int(db, "SELECT count(*) FROM experiments WHERE schema_version IS NOT NULL"
                               " AND status = 'completed' AND model_path IS NOT NULL AND model_arch IS NOT NULL"
                               " AND model_file_type IS NOT NULL AND model_n_params > 0 AND prompts = 2"
                               " AND max_input_tokens = 8 AND max_output_tokens = 4 AND threads = 2"
                               " AND n_ctx > 0 AND batch_size >= 1 AND wall_s > 0 AND input_tokens > 0"
                               " AND output_tokens > 0 AND prefill_tokens_per_s > 0 AND total_tokens_per_s > 0"
                               " AND requests_per_s > 0 AND ttft_p50_s > 0 AND e2e_p99_s > 0"
                               " AND tpot_mean_s IS NOT NULL AND itl_p90_s IS NOT NULL"
                               " AND peak_rss_bytes > 0 AND model_bytes > 0 AND kv_cache_bytes > 0"
                               " AND config_json IS NOT NULL AND model_json IS NOT NULL"
                               " AND environment_json IS NOT NULL AND metrics_json IS NOT NULL"),
                     1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM requests WHERE prompt_index IS NOT NULL"
                               " AND input_tokens > 0 AND ttft_s > 0 AND e2e_s >= ttft_s"
                               " AND json_array_length(itl_s) = output_tokens - 1"
                               " AND (output_tokens < 2 OR tpot_s > 0)"),
                     (int64_t)r->n_requests);
    sqlite3_close(db);
    free(json);
    lle_run_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_matches_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reput_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_missing_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minimal_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_types_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_mid_put_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_second_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_missing_and_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_under_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_corrupt_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_foreign_and_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_run_document, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
