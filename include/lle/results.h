/* lle/results.h — reading the results database (<results_dir>/results.db,
 * docs/storage.md) for people: list experiments, show one, compare several,
 * analyse repeated measurements (mean, standard deviation, 95 % Student-t
 * confidence interval, coefficient of variation, outliers, ranking, the
 * energy/throughput Pareto front), export flat tables (CSV, JSON Lines, JSON)
 * and write one self-contained offline HTML report with charts. Field names,
 * units and the measured/estimated provenance of every column: docs/results.md.
 *
 * Reads go through a derived table, results_flat_v1, that holds one flat row
 * per stored experiment (every column of the export), and export through
 * results_text_v1, its values already rendered. The store writes both when it
 * puts an experiment; when the handle opens, experiments stored by older
 * versions or other tools are parsed once. They are kept in results.db when
 * the file is writable, else (flat rows only) in memory for this handle.
 *
 * Ownership: lle_results_open() returns a handle the caller closes with
 * lle_results_close(). Every `char **out` string is malloc'd, NUL-terminated,
 * and freed by the caller with free(); *out_len (when the pointer is non-NULL)
 * is its length without the NUL. Input strings and arrays are only read during
 * the call. The library never prints: the CLI writes the returned text. */
#ifndef LLE_RESULTS_H
#define LLE_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "lle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lle_results lle_results;

/* Which experiments a command looks at. Zero-initialised = all, newest first. */
typedef struct lle_results_filter {
    const char *campaign;     /* campaign id (document campaign.id or campaign_items); NULL = any */
    const char *const *where; /* "field OP value" terms, ANDed; OP is = != < <= > >= */
    size_t n_where;
    const char *sort;    /* column name; "-name" or "name:desc" descending; NULL = newest first */
    long long limit;     /* <= 0: no limit */
    bool completed_only; /* only status = completed */
} lle_results_filter;

typedef enum lle_results_format {
    LLE_RESULTS_TEXT = 0, /* human-readable table */
    LLE_RESULTS_JSON,     /* one JSON value */
    LLE_RESULTS_JSONL,    /* one JSON object per line (export) */
    LLE_RESULTS_CSV       /* RFC 4180 with a header line (export) */
} lle_results_format;

typedef enum lle_results_table {
    LLE_RESULTS_EXPERIMENTS = 0, /* one row per experiment: configuration + metrics + energy */
    LLE_RESULTS_REQUESTS,        /* one row per request (requests table) */
    LLE_RESULTS_TIMESERIES       /* one row per sample (timeseries table) */
} lle_results_table;

typedef struct lle_results_analysis_opts {
    const char *const *by; /* factors (column names) to group by; NULL/0 = those that vary */
    size_t n_by;
    const char *metric;  /* ranking metric; NULL = "j_per_output_token" */
    double cv_threshold; /* flag groups whose CV exceeds this fraction; <= 0: 0.05 */
} lle_results_analysis_opts;

/* Open <results_dir>/results.db and bring the flat table up to date (with
 * `reindex`, rebuild it from every stored document). NOT_FOUND when there is
 * no database; FORMAT when it is not a results database or a stored document
 * is not JSON (the message names the experiment id). */
LLE_API lle_status lle_results_open(const char *results_dir, bool reindex, lle_results **out, lle_error *err);
LLE_API void lle_results_close(lle_results *r);

/* One line per experiment: key configuration fields and headline metrics
 * (TEXT) or an array of objects (JSON). INVALID names a bad filter term. */
LLE_API lle_status lle_results_list(lle_results *r, const lle_results_filter *f, lle_results_format fmt, char **out,
                                    size_t *out_len, lle_error *err);

/* Everything about one experiment (id or a unique prefix of one): identity,
 * configuration, model, environment, every metric with its unit and
 * measured/estimated/computed, energy per source and per phase. JSON adds the
 * stored document. NOT_FOUND / INVALID (ambiguous prefix) name the id. */
LLE_API lle_status lle_results_show(lle_results *r, const char *id, lle_results_format fmt, char **out, size_t *out_len,
                                    lle_error *err);

/* Experiments side by side: differing configuration fields, headline metrics
 * with absolute and % difference to the first (the baseline), best marked. */
LLE_API lle_status lle_results_compare(lle_results *r, const char *const *ids, size_t n_ids, lle_results_format fmt,
                                       char **out, size_t *out_len, lle_error *err);

/* Groups of completed experiments (filter applies), statistics per group,
 * unstable groups and outliers flagged, ranking and Pareto front. */
LLE_API lle_status lle_results_analyze(lle_results *r, const lle_results_filter *f, const lle_results_analysis_opts *o,
                                       lle_results_format fmt, char **out, size_t *out_len, lle_error *err);

/* A flat table in CSV, JSONL or JSON (an array of row objects). The filter's
 * campaign, where and completed_only apply to every table (requests and
 * timeseries through their experiment); sort and limit to experiments. */
LLE_API lle_status lle_results_export(lle_results *r, const lle_results_filter *f, lle_results_table what,
                                      lle_results_format fmt, char **out, size_t *out_len, lle_error *err);

/* Receives an export's text piece by piece, in order (about 1 MiB at a
 * time); a status other than LLE_OK (with `err` filled) stops the export,
 * which then returns that status. `data` is only valid during the call. */
typedef lle_status (*lle_results_sink)(void *ctx, const char *data, size_t len, lle_error *err);

/* lle_results_export() handed to `out` as it is produced, so the whole table
 * is never held in memory (the CLI writes it to stdout this way). */
LLE_API lle_status lle_results_export_to(lle_results *r, const lle_results_filter *f, lle_results_table what,
                                         lle_results_format fmt, lle_results_sink out, void *ctx, lle_error *err);

/* lle_results_list() handed to `out` as it is produced (about 1 MiB at a
 * time), so a listing of every experiment is never held whole in memory. */
LLE_API lle_status lle_results_list_to(lle_results *r, const lle_results_filter *f, lle_results_format fmt,
                                       lle_results_sink out, void *ctx, lle_error *err);

/* lle_results_export() straight into the file `path`, written as it is
 * produced (no copy of the whole table in memory) to a temporary file that is
 * renamed over `path` at the end: `path` is the old file or the complete new
 * one, never half written. IO names the path. */
LLE_API lle_status lle_results_export_file(lle_results *r, const lle_results_filter *f, lle_results_table what,
                                           lle_results_format fmt, const char *path, lle_error *err);

/* The experiment columns as CSV: name, type, unit, provenance, description. */
LLE_API lle_status lle_results_columns(lle_results_format fmt, char **out, size_t *out_len, lle_error *err);

/* One self-contained HTML page (no network at view time) over the filtered
 * experiments. The chart library (uPlot, pinned, fetched by scripts/deps.sh) is
 * read from $LLE_UPLOT_DIR, the build tree's third_party/uplot or the install
 * data dir and inlined; NOT_FOUND says how to install it when absent. */
LLE_API lle_status lle_results_report(lle_results *r, const lle_results_filter *f, char **out, size_t *out_len,
                                      lle_error *err);

/* Write `len` bytes to `path` atomically (temporary file, fsync, rename): the
 * file is the old one or the complete new one, never half written. */
LLE_API lle_status lle_results_write_file(const char *path, const char *data, size_t len, lle_error *err);

/* Two-sided Student-t critical value: t such that P(|T| <= t) = level for T
 * with `df` degrees of freedom (level 0.95 -> 12.706 for df 1). NaN when df < 1
 * or level is outside (0, 1). */
LLE_API double lle_student_t_critical(double level, double df);

#ifdef __cplusplus
}
#endif
#endif
