/* test_results_index.c — the results index written at save time and the
 * export values stored with it (src/results/index.c): a put writes the flat
 * row and the export values in its own transaction (no results handle
 * needed); values with every awkward character survive the token encoding
 * (CSV and JSON derived from tokens equal the live rendering of the same
 * row, value by value); an export from stored values is byte-for-byte the
 * export rendered live; databases without the index (older versions, other
 * tools) are indexed on open; damaged stored values give an error, not a
 * crash; export_file writes the same bytes atomically. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lle/results.h"
#include "results/results_internal.h"
#include "test_results_fixture.h"

static char g_dir[256];

static const char AWKWARD[] =
    "{\"schema_version\":1,\"id\":\"20260102T000000.000Z-0000aaaa\",\"status\":\"completed\","
    "\"started_at\":\"2026-01-02T00:00:00Z\",\"error\":\"a, \\\"quoted\\\"\\nline\\r\\tand \\u0001 \\\\ \\u00e9\","
    "\"config\":{\"batch_size\":3,\"temperature\":0.1,\"top_p\":0.30000000000000004,\"traffic\":\"x,y\"},"
    "\"model\":{\"name\":\"\\\"\",\"n_params\":-5,\"bits_per_weight\":1e-300},"
    "\"metrics\":{\"wall_s\":123456789.125,\"output_tokens_per_s\":1.7976931348623157e308},"
    "\"requests\":[{\"index\":0,\"input_tokens\":1,\"output_tokens\":3,\"ttft_s\":0.1,\"e2e_s\":0.7,"
    "\"itl_s\":[0.1,0.2]},{\"index\":1}]}";

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/lle-test-rindex-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    return fx_make_db(g_dir);
}

/* Remove the (flat) fixture directory. */
static int teardown(void **state)
{
    (void)state;
    return fx_remove_dir(g_dir);
}

static sqlite3 *raw(void)
{
    char path[400];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/results.db", g_dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

static void put_doc(const char *doc)
{
    lle_store *s = NULL;
    lle_error err = {0};
    assert_int_equal(lle_store_open(g_dir, &s, &err), LLE_OK);
    if (lle_store_put(s, doc, &err) != LLE_OK)
        fail_msg("put: %s", err.msg);
    lle_store_close(s);
}

/* Every export of the database: 3 tables x 3 formats, concatenated. */
static char *export_all(lle_results *r, size_t *len_out)
{
    rbuf all = {0};
    char *out = NULL;
    size_t len = 0;
    lle_error err = {0};
    for (int what = LLE_RESULTS_EXPERIMENTS; what <= LLE_RESULTS_TIMESERIES; what++)
        for (int fmt = LLE_RESULTS_JSON; fmt <= LLE_RESULTS_CSV; fmt++) {
            if (lle_results_export(r, NULL, (lle_results_table)what, (lle_results_format)fmt, &out, &len, &err) !=
                LLE_OK)
                fail_msg("export: %s", err.msg);
            rbuf_put(&all, out, len);
            free(out);
        }
    *len_out = all.len;
    return all.data;
}

/* The reference: the previous rbuf_double (three printfs and strtod). */
static size_t ref_double(double v, char *tmp)
{
    int n;
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
        return (size_t)snprintf(tmp, 40, "%lld", (long long)v);
    n = snprintf(tmp, 40, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, 40, "%.16g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, 40, "%.17g", v);
    return (size_t)n;
}

static uint64_t g_rng = 88172645463325252ULL;
static uint64_t next64(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* A test double: random bits, short decimals, values next to decimal ties,
 * powers of ten and their neighbours, or tiny and huge magnitudes. */
static double test_double(uint64_t k)
{
    uint64_t bits = next64();
    double d;
    switch (k % 6) {
    case 0:
        memcpy(&d, &bits, sizeof d);
        return d;
    case 1:
        return (double)((int64_t)(bits % 2000001) - 1000000) / pow(10.0, (double)((bits >> 40) % 12));
    case 2: /* 15/16/17-digit decimals with a trailing 5: the rounding ties */
        d = ((double)(bits % 100000000000000ULL) * 10.0 + 5.0) * pow(10.0, (double)((int)((bits >> 50) % 40) - 30));
        return nextafter(d, (bits >> 63) ? INFINITY : -INFINITY);
    case 3:
        d = pow(10.0, (double)((int)(bits % 600) - 300));
        return (bits >> 62) == 0 ? d : (bits >> 62) == 1 ? nextafter(d, 0) : nextafter(d, INFINITY);
    case 4:
        return ldexp((double)(bits >> 11), (int)(bits % 2100) - 1074 - 53);
    default:
        return (double)(bits >> 11) * 1e-3 * ((bits & 1) ? -1 : 1);
    }
}

/* rbuf_double is the previous algorithm's text for 2,000,000 doubles; every
 * text reads back exactly and is %.15g, else %.16g, the first that does. */
static void double_format(void **state)
{
    rbuf b = {0};
    char ref[40], shorter[40];
    size_t fin = 0;
    (void)state;
    for (uint64_t k = 0; k < 2000000; k++) {
        double v = test_double(k);
        size_t n = ref_double(v, ref);
        b.len = 0;
        rbuf_double(&b, v);
        if (b.len != n || memcmp(b.data, ref, n) != 0)
            fail_msg("%a: got '%s', want '%s'", v, b.data, ref);
        if (!isfinite(v) || (fabs(v) < 9007199254740992.0 && v == floor(v)))
            continue; /* integers print as integers */
        fin++;
        assert_true(strtod(b.data, NULL) == v);
        for (int p = 15; p <= 16; p++) { /* the first precision that reads back is the one used */
            snprintf(shorter, sizeof shorter, "%.*g", p, v);
            if (strtod(shorter, NULL) == v) {
                assert_string_equal(b.data, shorter);
                break;
            }
        }
    }
    assert_true(fin > 1900000);
    rbuf_free(&b);
}

/* A put indexes the experiment at once: no results handle involved. */
static void put_writes_index(void **state)
{
    sqlite3 *db;
    (void)state;
    put_doc(AWKWARD);
    db = raw();
    assert_int_equal(q_int(db, "SELECT count(*) FROM experiments"), 17);
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_FLAT_TABLE), 17);
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_TEXT_TABLE " WHERE vals IS NOT NULL"), 17);
    assert_int_equal(q_int(db, "SELECT batch_size FROM " RES_FLAT_TABLE " WHERE id = '20260102T000000.000Z-0000aaaa'"),
                     3);
    assert_int_equal(
        q_int(db, "SELECT length(req_vals) > 0 FROM " RES_TEXT_TABLE " WHERE id = '20260102T000000.000Z-0000aaaa'"), 1);
    /* replacing the experiment replaces its index rows */
    sqlite3_close(db);
    put_doc("{\"id\":\"20260102T000000.000Z-0000aaaa\",\"status\":\"failed\"}");
    db = raw();
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_FLAT_TABLE " WHERE status = 'failed'"), 2);
    assert_int_equal(
        q_int(db, "SELECT req_vals = '' FROM " RES_TEXT_TABLE " WHERE id = '20260102T000000.000Z-0000aaaa'"), 1);
    sqlite3_close(db);
    put_doc(AWKWARD);
}

/* Tokens -> CSV/JSON equal the live rendering for every value of a table
 * holding awkward text, NULLs, integers, reals of every size and booleans. */
static void tokens_round_trip(void **state)
{
    static const res_col cols[] = {{"t", RK_TEXT, false}, {"i", RK_INT, false}, {"r", RK_REAL, false},
                                   {"b", RK_BOOL, false}, {"j", RK_TEXT, true}, {"x", RK_INT, false}};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    rbuf tok = {0}, live = {0}, got = {0}, tmp = {0};
    size_t rows = 0;
    (void)state;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    exec_ok(db, "CREATE TABLE v(t TEXT, i INTEGER, r REAL, b INTEGER, j TEXT, x INTEGER);"
                "INSERT INTO v VALUES('plain', 1, 0.1, 1, '[1,2]', 'text in an int column'),"
                "('a,b', -9223372036854775808, 1e-320, 0, '\"s\"', NULL),"
                "('say \"hi\"', 9223372036854775807, 1.7976931348623157e308, NULL, 'null', 2.5),"
                "(char(10, 13, 9, 1, 31, 92, 34, 44), 0, -0.0, 2, NULL, ''),"
                "('', NULL, 123456789012345678, 1, '{\"a\":[1,2]}', 'é ü'),"
                "(NULL, 42, 0.30000000000000004, 0, '1', '\"');");
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT * FROM v", -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *p;
        tok.len = 0;
        assert_true(res_row_tokens(&tok, st, cols, 6));
        p = tok.data;
        for (int i = 0; i < 6; i++) {
            const char *sep = memchr(p, i < 5 ? RES_TOK_SEP : '\n', (size_t)(tok.data + tok.len - p));
            size_t n;
            assert_non_null(sep);
            n = (size_t)(sep - p);
            live.len = got.len = 0;
            res_put_value(&live, st, i, cols[i].kind, LLE_RESULTS_CSV);
            res_token_csv(&got, p, n, cols[i].json_text, &tmp);
            assert_int_equal(got.len, live.len);
            assert_memory_equal(got.data != NULL ? got.data : "", live.data != NULL ? live.data : "", live.len);
            live.len = 0;
            if (sqlite3_column_type(st, i) == SQLITE_NULL)
                assert_int_equal(n, 0);
            else if (cols[i].json_text)
                rbuf_puts(&live, (const char *)sqlite3_column_text(st, i));
            else
                res_put_value(&live, st, i, cols[i].kind, LLE_RESULTS_JSON);
            assert_int_equal(n, live.len);
            assert_memory_equal(p, live.data != NULL ? live.data : "", n);
            p = sep + 1;
        }
        rows++;
    }
    assert_int_equal(rows, 6);
    /* raw JSON text that cannot be a token: empty, or with a newline */
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT 'a', 1, 1.0, 1, char(91, 10, 93), 1", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_false(res_row_tokens(&tok, st, cols, 6));
    sqlite3_finalize(st);
    sqlite3_close(db);
    rbuf_free(&tok);
    rbuf_free(&live);
    rbuf_free(&got);
    rbuf_free(&tmp);
}

/* Export from the stored values = export rendered live, byte for byte; a
 * database without the index (older version, other tool) is indexed on open. */
static void stored_equals_live(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    char *stored, *live, *rebuilt;
    size_t n_stored, n_live, n_rebuilt;
    sqlite3 *db;
    (void)state;
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    stored = export_all(r, &n_stored);
    db = raw();
    exec_ok(db, "DELETE FROM " RES_TEXT_TABLE); /* behind the open handle's back: live rendering */
    sqlite3_close(db);
    live = export_all(r, &n_live);
    lle_results_close(r);
    assert_int_equal(n_stored, n_live);
    assert_memory_equal(stored, live, n_live);
    assert_non_null(strstr(stored, "\"error\":\"a, \\\"quoted\\\"\\nline\\r\\tand \\u0001 \\\\ \u00e9\""));
    db = raw();
    exec_ok(db, "DROP TABLE " RES_TEXT_TABLE "; DROP TABLE " RES_FLAT_TABLE);
    sqlite3_close(db);
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    rebuilt = export_all(r, &n_rebuilt);
    lle_results_close(r);
    db = raw();
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_TEXT_TABLE), 17);
    sqlite3_close(db);
    assert_int_equal(n_stored, n_rebuilt);
    assert_memory_equal(stored, rebuilt, n_rebuilt);
    free(stored);
    free(live);
    free(rebuilt);
}

/* `results list` of every experiment, text then JSON, as one string. */
static char *list_all(lle_results *r)
{
    rbuf all = {0};
    char *out = NULL;
    size_t len = 0;
    lle_error err = {0};
    static const char *const where[] = {"status=completed"};
    /* every experiment in the default order (read from the stored lines'
     * index), then filtered and sorted (looked up one by one), then limited */
    lle_results_filter fs[3] = {{0}, {NULL, where, 1, "-j_per_output_token", 0, false}, {0}};
    fs[2].limit = 3;
    for (int k = 0; k < 3; k++)
        for (int fmt = 0; fmt < 2; fmt++) {
            if (lle_results_list(r, &fs[k], fmt ? LLE_RESULTS_JSON : LLE_RESULTS_TEXT, &out, &len, &err) != LLE_OK)
                fail_msg("list: %s", err.msg);
            rbuf_put(&all, out, len);
            free(out);
        }
    rbuf_putc(&all, '\0');
    return all.data;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The stored list lines and JSON fields are what live rendering gives: the
 * full-scan live path (no text table) and the per-experiment fallback (rows
 * missing behind the handle's back). */
static void list_stored_equals_live(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    char *stored, *scan, *fallback, *marked;
    int completed;
    sqlite3 *db;
    (void)state;
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    db = raw();
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_TEXT_TABLE " WHERE list_text IS NOT NULL AND list_json "
                               "IS NOT NULL"),
                     17);
    sqlite3_close(db);
    stored = list_all(r);
    r->has_text = false;
    scan = list_all(r);
    r->has_text = true;
    /* the stored lines are what is listed, filtered or not */
    db = raw();
    completed = q_int(db, "SELECT count(*) FROM " RES_FLAT_TABLE " WHERE status = 'completed'");
    exec_ok(db, "UPDATE " RES_TEXT_TABLE " SET list_text = 'MARKER' || char(10), list_json = '\"marker\": 1'");
    sqlite3_close(db);
    marked = list_all(r);
    assert_int_equal(count_of(marked, "MARKER\n"), 17 + completed + 3);
    assert_int_equal(count_of(marked, "{\"marker\": 1}"), 17 + completed + 3);
    free(marked);
    db = raw();
    exec_ok(db, "UPDATE " RES_TEXT_TABLE " SET list_text = NULL, list_json = NULL");
    sqlite3_close(db);
    fallback = list_all(r);
    lle_results_close(r);
    assert_string_equal(stored, scan);
    assert_string_equal(stored, fallback);
    assert_non_null(strstr(stored, "17 experiments"));
    free(stored);
    free(scan);
    free(fallback);
}

/* Damaged stored values: a clear error naming the table, no crash. */
static void damaged_values(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    char *out = NULL;
    sqlite3 *db;
    (void)state;
    db = raw();
    exec_ok(db, "UPDATE " RES_TEXT_TABLE " SET vals = 'x' || char(10), req_vals = 'y' WHERE id = "
                "'20260102T000000.000Z-0000aaaa'");
    sqlite3_close(db);
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    assert_int_equal(lle_results_export(r, NULL, LLE_RESULTS_EXPERIMENTS, LLE_RESULTS_CSV, &out, NULL, &err),
                     LLE_ERR_FORMAT);
    assert_null(out);
    assert_non_null(strstr(err.msg, RES_TEXT_TABLE));
    assert_non_null(strstr(err.msg, "--reindex"));
    assert_int_equal(lle_results_export(r, NULL, LLE_RESULTS_REQUESTS, LLE_RESULTS_JSONL, &out, NULL, &err),
                     LLE_ERR_FORMAT);
    lle_results_close(r);
    assert_int_equal(lle_results_open(g_dir, true, &r, &err), LLE_OK); /* --reindex repairs it */
    assert_int_equal(lle_results_export(r, NULL, LLE_RESULTS_EXPERIMENTS, LLE_RESULTS_CSV, &out, NULL, &err), LLE_OK);
    free(out);
    lle_results_close(r);
}

/* Changes made behind the store's back (SQL by another tool: insert, update
 * in place, delete with foreign keys off) are recorded by the triggers and
 * indexed by the next open; an open with none does nothing. */
static void dirty_tracking(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    sqlite3 *db;
    (void)state;
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    lle_results_close(r);
    db = raw();
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_DIRTY_TABLE), 0);
    exec_ok(db, "INSERT INTO experiments(id, status, document_json) VALUES('zz-new', 'completed', "
                "'{\"id\":\"zz-new\",\"status\":\"completed\",\"config\":{\"batch_size\":7}}');"
                "UPDATE experiments SET document_json = json_set(document_json, '$.config.batch_size', 9) WHERE id = "
                "'20260102T000000.000Z-0000aaaa';"
                "PRAGMA foreign_keys = OFF; DELETE FROM experiments WHERE id = '20260101T005100.000Z-000000fe';");
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_DIRTY_TABLE), 3);
    sqlite3_close(db);
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    lle_results_close(r);
    db = raw();
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_DIRTY_TABLE), 0);
    assert_int_equal(q_int(db, "SELECT batch_size FROM " RES_FLAT_TABLE " WHERE id = 'zz-new'"), 7);
    assert_int_equal(q_int(db, "SELECT batch_size FROM " RES_FLAT_TABLE " WHERE id = '20260102T000000.000Z-0000aaaa'"),
                     9);
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_FLAT_TABLE " WHERE id = '20260101T005100.000Z-000000fe'"),
                     0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_TEXT_TABLE " WHERE id = '20260101T005100.000Z-000000fe'"),
                     0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM " RES_TEXT_TABLE " WHERE id = 'zz-new'"), 1);
    exec_ok(db, "DELETE FROM experiments WHERE id = 'zz-new'; DROP TABLE " RES_DIRTY_TABLE);
    sqlite3_close(db);
    put_doc(FX_MEASURE); /* back to the fixture; a dropped dirty table does not stop a put */
    put_doc(AWKWARD);
}

/* Sinks for export_to: collect into an rbuf; fail on the first call. */
static lle_status collect(void *ctx, const char *data, size_t len, lle_error *err)
{
    (void)err;
    rbuf_put(ctx, data, len);
    return LLE_OK;
}

static lle_status refuse(void *ctx, const char *data, size_t len, lle_error *err)
{
    (void)ctx;
    (void)data;
    (void)len;
    err->code = LLE_ERR_IO;
    snprintf(err->msg, sizeof err->msg, "disk full");
    return LLE_ERR_IO;
}

/* export_to: the pieces make the in-memory export; a failing sink stops it. */
static void export_to_sink(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    char *mem = NULL;
    size_t len = 0;
    rbuf got = {0};
    (void)state;
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    for (int fmt = LLE_RESULTS_JSON; fmt <= LLE_RESULTS_CSV; fmt++) {
        got.len = 0;
        assert_int_equal(
            lle_results_export(r, NULL, LLE_RESULTS_EXPERIMENTS, (lle_results_format)fmt, &mem, &len, &err), LLE_OK);
        assert_int_equal(
            lle_results_export_to(r, NULL, LLE_RESULTS_EXPERIMENTS, (lle_results_format)fmt, collect, &got, &err),
            LLE_OK);
        assert_int_equal(got.len, len);
        assert_memory_equal(got.data, mem, len);
        free(mem);
    }
    assert_int_equal(lle_results_export_to(r, NULL, LLE_RESULTS_REQUESTS, LLE_RESULTS_CSV, refuse, NULL, &err),
                     LLE_ERR_IO);
    assert_string_equal(err.msg, "disk full");
    assert_int_equal(lle_results_export_to(r, NULL, LLE_RESULTS_REQUESTS, LLE_RESULTS_CSV, NULL, NULL, &err),
                     LLE_ERR_INVALID);
    rbuf_free(&got);
    lle_results_close(r);
}

/* list_to: the pieces make the in-memory listing (text and JSON); a failing
 * sink stops it. */
static void list_to_sink(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    lle_results_filter f = {0};
    char *mem = NULL;
    size_t len = 0;
    rbuf got = {0};
    (void)state;
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    for (int json = 0; json < 2; json++) {
        lle_results_format fmt = json ? LLE_RESULTS_JSON : LLE_RESULTS_TEXT;
        got.len = 0;
        assert_int_equal(lle_results_list(r, &f, fmt, &mem, &len, &err), LLE_OK);
        assert_int_equal(lle_results_list_to(r, &f, fmt, collect, &got, &err), LLE_OK);
        assert_true(len > 0);
        assert_int_equal(got.len, len);
        assert_memory_equal(got.data, mem, len);
        free(mem);
    }
    assert_int_equal(lle_results_list_to(r, &f, LLE_RESULTS_TEXT, refuse, NULL, &err), LLE_ERR_IO);
    assert_string_equal(err.msg, "disk full");
    assert_int_equal(lle_results_list_to(r, &f, LLE_RESULTS_CSV, collect, &got, &err), LLE_ERR_INVALID);
    rbuf_free(&got);
    lle_results_close(r);
}

/* export_file: the same bytes as the in-memory export, atomically. */
static void export_to_file(void **state)
{
    lle_results *r = NULL;
    lle_error err = {0};
    char *mem = NULL, path[400], *file = NULL;
    size_t len = 0;
    FILE *f;
    long n;
    (void)state;
    assert_int_equal(lle_results_open(g_dir, false, &r, &err), LLE_OK);
    snprintf(path, sizeof path, "%s/out.jsonl", g_dir);
    assert_int_equal(lle_results_export(r, NULL, LLE_RESULTS_REQUESTS, LLE_RESULTS_JSON, &mem, &len, &err), LLE_OK);
    assert_int_equal(lle_results_export_file(r, NULL, LLE_RESULTS_REQUESTS, LLE_RESULTS_JSON, path, &err), LLE_OK);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    file = malloc((size_t)n + 1);
    assert_int_equal(fread(file, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    assert_int_equal((size_t)n, len);
    assert_memory_equal(file, mem, len);
    free(file);
    free(mem);
    assert_int_equal(
        lle_results_export_file(r, NULL, LLE_RESULTS_EXPERIMENTS, LLE_RESULTS_CSV, "/nonexistent-dir/x.csv", &err),
        LLE_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.csv"));
    assert_int_equal(lle_results_export_file(r, NULL, LLE_RESULTS_EXPERIMENTS, (lle_results_format)99, path, &err),
                     LLE_ERR_INVALID);
    snprintf(path, sizeof path, "%s/out.jsonl.tmp.%ld", g_dir, (long)getpid());
    assert_int_equal(access(path, F_OK), -1); /* no temporary file left */
    lle_results_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_writes_index),   cmocka_unit_test(tokens_round_trip),
        cmocka_unit_test(stored_equals_live), cmocka_unit_test(list_stored_equals_live),
        cmocka_unit_test(damaged_values),     cmocka_unit_test(dirty_tracking),
        cmocka_unit_test(export_to_file),     cmocka_unit_test(export_to_sink),
        cmocka_unit_test(list_to_sink),       cmocka_unit_test(double_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
