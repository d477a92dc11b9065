/* lle/config.h — experiment and campaign files (YAML, or JSON, which the YAML
 * parser reads too): one typed schema of every runner field, loading with a
 * validation that reports every error with file:line:column and the dotted
 * field path, the fully resolved configuration as YAML or JSON, annotated
 * templates, and migration of the thesis tool's JSON configuration dicts.
 * docs/config-files.md describes the format.
 *
 * Ownership: lle_config_load() and lle_config_load_string() return a heap
 * lle_config the caller frees with lle_config_free(). Everything reachable
 * from it (the lle_campaign, its experiments, entries, axes, values and every
 * string inside them, including the strings of each lle_run_config) is owned
 * by the lle_config and stays valid until lle_config_free(). An lle_run_config
 * filled by lle_config_apply() borrows those strings: free the lle_config only
 * after the run. Every `char *` returned (YAML, JSON, Markdown, templates,
 * diagnostics text, migration output) is malloc'd and freed by the caller with
 * free(); an lle_migrate_report is freed with lle_migrate_report_free(). The
 * schema table is static, owned by the library. */
#ifndef LLE_CONFIG_H
#define LLE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The `version:` a file may declare (absent = this one). */
#define LLE_CONFIG_FORMAT_VERSION 1
/* Upper bound on the number of schema fields (sizes the per-field arrays). */
#define LLE_CONFIG_MAX_FIELDS 64

/* ---- the schema: one row per lle_run_config field ---- */
typedef enum lle_config_type {
    LLE_CONFIG_STRING,    /* text (preset, preset_type: checked against the preset/type tables) */
    LLE_CONFIG_PATH,      /* a file or directory; relative paths start at the config file's directory */
    LLE_CONFIG_ENUM,      /* one of `choices` */
    LLE_CONFIG_AUTO_BOOL, /* auto | on | off (also true/false), stored as -1 / 1 / 0 */
    LLE_CONFIG_INT,
    LLE_CONFIG_U64,
    LLE_CONFIG_FLOAT, /* stored as float in lle_run_config */
    LLE_CONFIG_DOUBLE,
    LLE_CONFIG_BOOL,
    LLE_CONFIG_FLOAT_LIST /* a list of numbers (tensor_split) */
} lle_config_type;

typedef struct lle_config_field {
    const char *name;    /* key in the file = config field of docs/configuration.md */
    const char *section; /* model, engine, batching, decoding, workload, simulation */
    lle_config_type type;
    const char *flag;         /* the `run single` flag that sets it ("" when none) */
    const char *choices;      /* ENUM / AUTO_BOOL: "a|b|c"; otherwise NULL */
    double min, max;          /* numeric bounds (INT, U64, FLOAT, DOUBLE, list items) */
    bool min_open, max_open;  /* the bound itself is excluded */
    const char *default_text; /* the default, as documented */
    const char *help;         /* one line */
    size_t offset;            /* offsetof(lle_run_config, <member>) */
} lle_config_field;

LLE_API size_t lle_config_field_count(void);
LLE_API const lle_config_field *lle_config_field_at(size_t i);
/* What a field accepts, in words ("an integer in [1, 4096]", "one of auto,
 * on, off"), written into buf; returns buf. */
LLE_API const char *lle_config_field_accepts(const lle_config_field *f, char *buf, size_t size);
/* Index of "name" or "section.name"; -1 when unknown. */
LLE_API int lle_config_field_find(const char *name);

/* ---- positions, values, experiments ---- */
typedef struct lle_config_pos {
    int line, column; /* 1-based; 0 when the value did not come from a file */
} lle_config_pos;

typedef struct lle_config_value {
    int field;          /* schema index */
    lle_config_pos pos; /* of the value */
    const char *s;      /* STRING, PATH, ENUM (NULL: the default) */
    long long i;        /* INT; AUTO_BOOL as -1/1/0 */
    uint64_t u;         /* U64 */
    double d;           /* FLOAT, DOUBLE */
    bool b;             /* BOOL */
    int n_list;         /* FLOAT_LIST */
    float list[LLE_MAX_TENSOR_SPLIT];
} lle_config_value;

typedef struct lle_config_experiment {
    lle_run_config run;                        /* defaults + given values; decoding_preset not expanded */
    bool set[LLE_CONFIG_MAX_FIELDS];           /* field i was given */
    lle_config_pos pos[LLE_CONFIG_MAX_FIELDS]; /* where its key is */
} lle_config_experiment;

/* Defaults (lle_run_config_init), nothing set. */
LLE_API void lle_config_experiment_init(lle_config_experiment *e);
/* Copy every field set in `over` onto `dst` (values, set flags, positions). */
LLE_API void lle_config_overlay(lle_config_experiment *dst, const lle_config_experiment *over);
/* A campaign variant (model entry, scenario, factor value, grid combination)
 * over the base experiment: `over`'s set fields win; a model_path or preset in
 * `over` replaces the base's model choice (a model_path drops the base's
 * preset_type too), and a decoding_preset in `over` drops the base's explicit
 * sampling fields (temperature, top_k, top_p, min_p, repeat_penalty). */
LLE_API void lle_config_merge(const lle_config_experiment *base, const lle_config_experiment *over,
                              lle_config_experiment *out);
/* Set one field of `e` from a value (string pointers are borrowed). */
LLE_API void lle_config_value_apply(const lle_config_value *v, lle_config_experiment *e);
/* Whether two values are of the same field and equal (strings by content,
 * float fields at float precision, lists element by element). */
LLE_API bool lle_config_value_equal(const lle_config_value *a, const lle_config_value *b);

/* ---- campaigns (suite kinds; execution is the campaign runner's job) ---- */
typedef enum lle_suite {
    LLE_SUITE_SINGLE = 0, /* one experiment */
    LLE_SUITE_MODELS,     /* the experiment once per entry of `models` */
    LLE_SUITE_CONTROLLED, /* one factor varied at a time from the experiment */
    LLE_SUITE_SCENARIOS,  /* named overrides of the experiment */
    LLE_SUITE_GRID        /* the cross product of `grid`, minus `exclude`, plus `include` */
} lle_suite;

/* "single", "models", "controlled", "scenarios", "grid". */
LLE_API const char *lle_suite_name(lle_suite s);

typedef struct lle_config_entry { /* one model or scenario */
    const char *name;             /* given, or derived for models */
    const char *description;      /* NULL when absent */
    lle_config_pos pos;
    lle_config_experiment overrides; /* only the .set fields apply on top of the experiment */
} lle_config_entry;

typedef struct lle_config_axis { /* one factor (controlled) or grid dimension */
    int field;
    lle_config_pos pos; /* of the key */
    size_t n_values;
    lle_config_value *values;
} lle_config_axis;

typedef struct lle_config_assign { /* one `exclude` or `include` entry: field = value pairs */
    lle_config_pos pos;
    size_t n_values;
    lle_config_value *values;
} lle_config_assign;

typedef struct lle_campaign {
    lle_suite suite;
    const char *name;                 /* NULL when absent */
    const char *description;          /* NULL when absent */
    lle_config_experiment experiment; /* the single experiment, or the campaign's base */
    size_t n_models;
    lle_config_entry *models;
    size_t n_factors;
    lle_config_axis *factors;
    size_t n_scenarios;
    lle_config_entry *scenarios;
    size_t n_grid;
    lle_config_axis *grid;
    size_t n_exclude;
    lle_config_assign *exclude;
    size_t n_include;
    lle_config_assign *include;
    int cycles;        /* passes over the whole campaign (default 1) */
    const char *order; /* "as_given" (default) or "shuffled" */
    double cooldown_s; /* idle between experiments (default 0) */
    int max_retries;   /* reruns of a failed experiment (default 0) */
} lle_campaign;

/* Grid combinations: idx[a] is the index of the value taken from grid axis a
 * (n_grid entries). lle_campaign_grid_next() steps to the next combination
 * (the last axis fastest) and returns false after the last one (idx back to
 * all zeros); lle_campaign_grid_excluded() says whether some `exclude` entry
 * matches every one of its values in this combination. */
LLE_API bool lle_campaign_grid_next(const lle_campaign *cp, size_t *idx);
LLE_API bool lle_campaign_grid_excluded(const lle_campaign *cp, const size_t *idx);

/* ---- diagnostics ---- */
typedef enum lle_config_severity { LLE_CONFIG_ERROR = 0, LLE_CONFIG_WARNING = 1 } lle_config_severity;

typedef struct lle_config_diag {
    lle_config_severity severity;
    lle_config_pos pos;
    char path[192];    /* dotted field path: "decoding.top_k", "scenarios[1].batching.batch_size" */
    char message[512]; /* "expected ..., found ..." */
} lle_config_diag;

/* ---- loading ---- */
typedef struct lle_config lle_config;

/* Read and validate a file. LLE_OK: no errors (warnings allowed). INVALID: the
 * file has errors, FORMAT: it is not YAML/JSON; in both cases *out is set and
 * its diagnostics say what and where (err holds the first one and the count).
 * NOT_FOUND / IO / NOMEM: *out is NULL and err says why. */
LLE_API lle_status lle_config_load(const char *path, lle_config **out, lle_error *err);
/* The same from memory; `name` labels diagnostics, `base_dir` (NULL: ".")
 * anchors relative paths. */
LLE_API lle_status lle_config_load_string(const char *text, size_t len, const char *name, const char *base_dir,
                                          lle_config **out, lle_error *err);
LLE_API void lle_config_free(lle_config *c);

LLE_API const char *lle_config_name(const lle_config *c);
LLE_API size_t lle_config_diag_count(const lle_config *c);
LLE_API const lle_config_diag *lle_config_diag_at(const lle_config *c, size_t i);
LLE_API size_t lle_config_error_count(const lle_config *c);
/* Every diagnostic, one line each: "FILE:LINE:COL: path: message" (warnings:
 * "FILE:LINE:COL: warning: path: message"). "" when there are none. */
LLE_API char *lle_config_diag_text(const lle_config *c);

LLE_API const lle_campaign *lle_config_campaign(const lle_config *c);

/* Copy the file's values onto *cfg (the caller initialised it; fields the file
 * does not set keep their value). INVALID when the file has errors or is a
 * campaign (suite other than single). Strings are borrowed from `c`. */
LLE_API lle_status lle_config_apply(const lle_config *c, lle_run_config *cfg, lle_error *err);

/* The resolved configuration (every field, defaults included, decoding preset
 * expanded) as YAML with "# default" marks, or as JSON. NULL on OOM. */
LLE_API char *lle_config_to_yaml(const lle_config *c);
LLE_API char *lle_config_to_json(const lle_config *c);

/* The schema as JSON, and as the Markdown table docs/config-files.md embeds. */
LLE_API char *lle_config_schema_json(void);
LLE_API char *lle_config_schema_markdown(void);

/* Annotated template of a suite ("single", "models", "controlled",
 * "scenarios", "grid") that runs as is on the `tiny` preset. INVALID names an
 * unknown suite. */
LLE_API lle_status lle_config_template(const char *suite, char **out, lle_error *err);

/* Write `text` to `path` atomically (temp file + rename). INVALID when the
 * file exists and `overwrite` is false. */
LLE_API lle_status lle_config_write_text(const char *path, const char *text, bool overwrite, lle_error *err);

/* ---- migration from the thesis tool (henrycgbaker/thesis) ---- */
typedef enum lle_migrate_kind {
    LLE_MIGRATE_UNMAPPED = 0, /* a legacy field with no equivalent here: not carried over */
    LLE_MIGRATE_INVALID,      /* a legacy value that is wrong or contradicts another */
    LLE_MIGRATE_NOTE          /* mapped, but the meaning differs in a way worth knowing */
} lle_migrate_kind;

typedef struct lle_migrate_item {
    lle_migrate_kind kind;
    lle_config_pos pos;
    char key[192]; /* dotted legacy key: "latency_simulation.delay_min" */
    char message[512];
} lle_migrate_item;

typedef struct lle_migrate_report {
    size_t n_items;
    lle_migrate_item *items;
} lle_migrate_report;

typedef struct lle_migrate_opts {
    const char *model_path; /* use this GGUF file instead of mapping model_name (NULL: map) */
    const char *preset;     /* use this preset instead of mapping model_name (NULL: map) */
} lle_migrate_opts;

/* Convert one thesis-tool JSON config into our YAML (*yaml_out), which loads
 * without errors, and list every field not carried over and every invalid
 * value (*report, also written as comments into the YAML). `opts` may be NULL.
 * Errors: NOT_FOUND/IO (file), FORMAT (not JSON or not an object), INVALID
 * (a model_name with no preset and no opts->model_path/preset; *report still
 * set). */
LLE_API lle_status lle_config_migrate(const char *legacy_path, const lle_migrate_opts *opts, char **yaml_out,
                                      lle_migrate_report **report, lle_error *err);
/* One line per item: "FILE:LINE:COL: key: not mapped|invalid|note: message". */
LLE_API char *lle_migrate_report_text(const lle_migrate_report *r, const char *file);
LLE_API void lle_migrate_report_free(lle_migrate_report *r);

#ifdef __cplusplus
}
#endif
#endif
