/* results_internal.h — what the files of src/results share: the handle, the
 * column catalogue of the flat experiments table (fields.c), the growable text
 * buffer every output is built in (buf.c), the SQL helpers over the flat table
 * (db.c, query.c) and the statistics (stats.c). Not installed.
 *
 * Ownership: lle_results owns its lle_store (and so the SQLite connection).
 * An rbuf owns its heap block until rbuf_take() hands it to the caller or
 * rbuf_free() releases it. Catalogue entries are static constants. */
#ifndef LLE_RESULTS_INTERNAL_H
#define LLE_RESULTS_INTERNAL_H

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "lle/results.h"
#include "lle/store.h"

/* The derived tables (index.c); the suffix changes whenever the catalogue
 * (or the token format) does, and a table of an older version is dropped and
 * rebuilt. RES_TEXT_TABLE: id, vals (the flat row's export values as one
 * token row), req_vals (its requests' rows; NULL: render them live),
 * started_at (the flat row's, for the listing order),
 * list_text (its `results list` line, '\n' included) and list_json (the
 * fields of its `results list --json` object, without the braces). */
#define RES_FLAT_TABLE "results_flat_v1"
#define RES_TEXT_TABLE "results_text_v3"
/* Ids of experiments changed since the index was last brought up to date,
 * filled by triggers on experiments and requests (any writer, any version):
 * an open with it empty has nothing to do. */
#define RES_DIRTY_TABLE "results_dirty_v1"
/* Between the JSON tokens of one row (never inside one: JSON text escapes
 * control characters); each row ends with '\n'; NULL is an empty token. */
#define RES_TOK_SEP '\x1f'
/* The columns of the flat table's covering index for `results list`. */
#define RES_LIST_INDEX_COLS                                                                                            \
    "started_at, id, status, kind, model_name, model_file_type, batching, adaptive_tokens, batch_size, "               \
    "decoding_preset, decoding, traffic, output_tokens_per_s, ttft_p50_s, j_per_output_token, energy_method"

struct lle_results {
    lle_store *store;
    sqlite3 *db;      /* the store's connection */
    const char *path; /* the database file, for messages */
    bool has_campaign_items;
    bool has_text; /* RES_TEXT_TABLE is there and complete (not in read-only mode) */
};

/* ---- growable buffer: common/buf.h; results-specific appends (buf.c) ---- */
/* Shortest "%.15g".."%.17g" that reads back as the same double; "null"-free:
 * the caller decides how to write NaN/inf (never passed here). */
void rbuf_double(rbuf *b, double v);
void rbuf_json_string(rbuf *b, const char *s); /* quoted and escaped */
void rbuf_csv_field(rbuf *b, const char *s);   /* quoted only when needed */
/* Hand the text to the caller (*out malloc'd); NOMEM when anything failed. */
lle_status rbuf_take(rbuf *b, char **out, size_t *out_len, lle_error *err);

/* ---- column catalogue (fields.c) --------------------------------------------- */
typedef enum res_kind { RK_TEXT, RK_INT, RK_REAL, RK_BOOL } res_kind;

typedef enum res_group { RG_ID, RG_CONFIG, RG_MODEL, RG_METRIC, RG_ENERGY, RG_ENV } res_group;

/* Where a figure comes from: configuration/identity (RP_NONE), measured on
 * the machine, computed from configuration or metadata, or energy whose
 * method (measured/estimated/mixed) is in another column. */
typedef enum res_prov { RP_NONE, RP_MEASURED, RP_ESTIMATED, RP_COMPUTED, RP_ENERGY } res_prov;

typedef enum res_better { RB_NONE, RB_LOWER, RB_HIGHER } res_better;

typedef struct res_field {
    const char *name; /* flat column name (stable, documented) */
    res_kind kind;
    res_group group;
    res_prov prov;
    res_better better;
    const char *unit;       /* "" when none */
    const char *path[5];    /* JSON path in the document; NULL-terminated */
    const char *method_col; /* RP_ENERGY: the column with its method */
    const char *desc;
    /* Special extraction (lists joined into one text) instead of `path`. */
    void (*extract)(const cJSON *doc, rbuf *text, double *num, bool *is_null);
} res_field;

extern const res_field RES_FIELDS[];
extern const size_t RES_N_FIELDS;

/* Index of a column by name, or -1. */
int res_field_index(const char *name);
const char *res_kind_sql(res_kind k);
const char *res_prov_name(res_prov p);

/* Bind the catalogue's values from `doc` to parameters 1..RES_N_FIELDS of an
 * INSERT into the flat table. */
lle_status res_bind_document(sqlite3 *db, sqlite3_stmt *st, const cJSON *doc, lle_error *err);

/* ---- database (db.c, query.c) ---------------------------------------------------- */
/* Fill err from a failed SQLite call on the handle. */
lle_status res_sql_fail(const lle_results *r, int rc, const char *what, lle_error *err);
lle_status res_prepare(lle_results *r, const char *sql, sqlite3_stmt **st, lle_error *err);

/* Build "SELECT <cols> FROM flat [WHERE ...] [ORDER BY ...] [LIMIT n]" for
 * the filter and prepare it with its parameters bound. `cols` is SQL over the
 * flat table's columns (constant text, never user input). Flags: ORDERED
 * applies the filter's sort and limit (else they are ignored); RUNS keeps
 * only completed experiments of kind "run" (what the analysis pools). */
enum { RES_Q_ORDERED = 1, RES_Q_RUNS = 2 };
lle_status res_query(lle_results *r, const lle_results_filter *f, const char *cols, unsigned flags, sqlite3_stmt **st,
                     lle_error *err);

/* Resolve an id or a unique id prefix to the stored id (out: 64 bytes). */
lle_status res_resolve_id(lle_results *r, const char *id, char *out, size_t out_size, lle_error *err);

/* Column `i` of a row as text into b ("" for NULL) in the format of kind k. */
void res_put_value(rbuf *b, sqlite3_stmt *st, int i, res_kind k, lle_results_format fmt);

/* ---- the index and the export values (index.c) ------------------------------------ */
/* An exported column: name, kind, and whether the value is JSON text (itl_s:
 * raw in JSON, a quoted string in CSV). */
typedef struct res_col {
    const char *name;
    res_kind kind;
    bool json_text;
} res_col;

extern const res_col RES_REQUEST_COLS[];
extern const size_t RES_N_REQUEST_COLS;
/* The request rows of one experiment (?1), in RES_REQUEST_COLS order. */
#define RES_REQUEST_SQL                                                                                                \
    "SELECT experiment_id, idx, prompt_index, repeat, batch, input_tokens, output_tokens, arrival_s, start_s, "        \
    "queue_delay_s, ttft_s, tpot_s, e2e_s, prefill_s, decode_s, itl_s FROM requests WHERE experiment_id = ?1 "         \
    "ORDER BY idx"

/* The catalogue as export columns (malloc'd, RES_N_FIELDS entries; free()). */
res_col *res_experiment_cols(void);
/* Append the current row of `st` (columns 0..n-1 as `cols`) as tokens and
 * '\n'. false when a raw JSON text value cannot be a token (empty, or holds a
 * newline, separator or NUL): the tokens must not be used. */
bool res_row_tokens(rbuf *b, sqlite3_stmt *st, const res_col *cols, size_t n);
/* Append the CSV field of one token (`tmp` is scratch space). */
void res_token_csv(rbuf *b, const char *tok, size_t n, bool json_text, rbuf *tmp);
/* rbuf_csv_field for `n` bytes (no NUL inside). */
void res_csv_field_n(rbuf *b, const char *s, size_t n);
/* Like res_sql_fail, without a handle. */
lle_status res_db_fail(sqlite3 *db, const char *path, int rc, const char *what, lle_error *err);
/* CREATE [TEMP] the flat table (and, unless temp, the text and dirty tables
 * and the dirty triggers). */
lle_status res_index_create(sqlite3 *db, const char *path, bool temp, lle_error *err);
/* "INSERT OR REPLACE INTO flat(<catalogue>) VALUES(?...)" (*out malloc'd). */
lle_status res_index_insert_sql(char **out, lle_error *err);
/* Whether a table `name` exists in the main database. */
bool res_table_exists(sqlite3 *db, const char *name);
/* Render the text rows of every flat row that has none. */
lle_status res_index_fill_text(sqlite3 *db, const char *path, lle_error *err);

/* ---- statistics (stats.c) -------------------------------------------------------- */
typedef struct res_stats {
    size_t n;
    double mean, std, ci_half, ci_lo, ci_hi, cv, min, max;
} res_stats;

/* mean, sample std (n-1), 95 % CI = mean ± t(0.975, n-1)·std/√n (n >= 2;
 * NaN half-width for n = 1), CV = std/|mean| (NaN when mean is 0 or n < 2). */
res_stats res_stats_of(const double *v, size_t n);
/* Linear-interpolated quantile (numpy default) of sorted values. */
double res_quantile_sorted(const double *sorted, size_t n, double q);
/* Tukey fences: outlier[i] set for v[i] outside [Q1 − 1.5 IQR, Q3 + 1.5 IQR];
 * needs n >= 4 (returns the count of outliers, 0 below that). */
size_t res_outliers(const double *v, size_t n, bool *outlier);
/* Pareto front minimising a and maximising b: front[i] set when no j has
 * a[j] <= a[i] and b[j] >= b[i] with one strict. NaN points are never on it. */
void res_pareto(const double *a, const double *b, size_t n, bool *front);

/* ---- analysis shared with the report (analyze.c) --------------------------------- */
typedef struct res_group_stats {
    char *label;      /* "batch_size=4, model_file_type=Q8_0" (malloc'd) */
    char **values;    /* factor values as text, one per factor (malloc'd) */
    size_t n;         /* experiments */
    char **ids;       /* their ids (malloc'd) */
    res_stats *stats; /* per analysis metric */
    bool *outlier;    /* per experiment x metric (n * n_metrics) */
    char method[16];  /* energy method over the group: measured/estimated/mixed/none */
    bool unstable, on_front;
    int rank; /* 1 = best by the ranking metric; 0 = unranked (no value) */
} res_group_stats;

typedef struct res_analysis {
    char **factors; /* grouping columns (malloc'd names) */
    size_t n_factors;
    const char *const *metrics; /* analysis metric columns (static) */
    size_t n_metrics;
    int rank_metric; /* index into metrics */
    double cv_threshold;
    size_t n_experiments;
    res_group_stats *groups;
    size_t n_groups;
} res_analysis;

/* Positions in res_analysis.metrics (fixed by group.c). */
enum {
    RES_M_JPT = 0,
    RES_M_TPS = 1,
    RES_M_ENERGY = 2,
    RES_M_POWER = 3,
    RES_M_TTFT = 5,
    RES_M_TPOT = 8,
    RES_M_E2E = 11
}; /* latency: p50, p90, p99 at +0, +1, +2 */

lle_status res_analysis_run(lle_results *r, const lle_results_filter *f, const lle_results_analysis_opts *o,
                            res_analysis *a, lle_error *err);
void res_analysis_free(res_analysis *a);
/* out[i] = res_analysis_run with --by factors[i] alone (default metric and
 * CV threshold) for each of the n factors, all from one pass over the rows,
 * with only the first two metrics (RES_M_JPT, RES_M_TPS: n_metrics = 2). */
lle_status res_analysis_run_each(lle_results *r, const lle_results_filter *f, const char *const *factors, size_t n,
                                 res_analysis *out, lle_error *err);

/* Factor columns the analysis may group by when none are given. */
extern const char *const RES_AUTO_FACTORS[];
extern const size_t RES_N_AUTO_FACTORS;

/* ---- one `results list` row (list_line.c) ------------------------------------ */
/* The columns of a text row, in order (SQL over RES_FLAT_TABLE). */
#define RES_LIST_TEXT_SQL                                                                                              \
    "id, status, coalesce(model_name, CASE WHEN kind = 'measure' THEN '(measure)' END), model_file_type, "             \
    "CASE WHEN batching = 'adaptive' THEN 'ad' || adaptive_tokens ELSE batch_size END, "                               \
    "coalesce(decoding_preset, decoding), traffic, output_tokens_per_s, ttft_p50_s * 1000.0, "                         \
    "j_per_output_token, energy_method"
/* The number of fields of a JSON row. */
extern const size_t RES_LIST_N_JSON;
#define RES_LIST_MAX_JSON 40
typedef struct res_list_json {
    int kinds[RES_LIST_MAX_JSON], field[RES_LIST_MAX_JSON]; /* kind and catalogue index of each field */
    char keys[RES_LIST_MAX_JSON][40];                       /* ', "name": ' */
    size_t key_len[RES_LIST_MAX_JSON];
} res_list_json;
void res_list_text_header(rbuf *b);
/* The line of the row at the current step of `st` (columns RES_LIST_TEXT_SQL), '\n' included. */
void res_list_text_line(rbuf *b, sqlite3_stmt *st);
void res_list_json_init(res_list_json *jl);
const char *res_list_json_col(size_t i);
/* The key of field i ('"name": ', preceded by ", " after the first). */
void res_list_json_key(rbuf *b, const res_list_json *jl, size_t i);
/* The fields of the JSON object from one stored export token row (RES_TEXT_TABLE
 * vals); false (nothing appended) when the row does not have every catalogue token. */
bool res_list_json_fields(rbuf *b, const res_list_json *jl, const char *vals, size_t len);

#endif
