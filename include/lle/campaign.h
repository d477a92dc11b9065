/* lle/campaign.h — experiment suites and crash-safe, resumable campaigns
 * (docs/campaigns.md): a plan of every experiment a campaign file declares
 * (models, controlled, scenarios with the thesis tool's built-in presets
 * (docs/scenarios.md), grid), deduplicated on the resolved configuration hash
 * and ordered over cycles; its state in the results database's journal; a
 * duration estimate; the campaign runner that resumes where a crash left it;
 * and a run session that keeps a loaded model between experiments.
 *
 * Ownership: lle_campaign_plan_build() returns a plan the caller frees with
 * lle_campaign_plan_free(); the plan borrows strings from the lle_config it
 * was built from and from the overrides in the options (free those after the
 * plan). lle_campaign_status_read() returns a status freed with
 * lle_campaign_status_free(). Every `char *` returned is malloc'd (free()).
 * A session is freed with lle_run_session_close(); results it returns are
 * freed with lle_run_result_free(). Option structs are only read. */
#ifndef LLE_CAMPAIGN_H
#define LLE_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/config.h"
#include "lle/error.h"
#include "lle/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- run session: one experiment after another, model kept loaded ---- */
typedef struct lle_run_session lle_run_session;

LLE_API lle_status lle_run_session_open(lle_run_session **out, lle_error *err);
/* lle_run_single() that reuses the session's loaded engine when the next
 * experiment needs exactly the same engine (model file unchanged, context,
 * threads, KV types, sampling); otherwise the old one is closed and a new one
 * opened. *reused (may be NULL) says which. A failed run closes the engine. */
LLE_API lle_status lle_run_session_run(lle_run_session *s, const lle_run_config *cfg, lle_progress_fn progress,
                                       void *user, const volatile int *stop, lle_run_result **out, bool *reused,
                                       lle_error *err);
/* Engines opened (model loads) and reuses so far. */
LLE_API void lle_run_session_counts(const lle_run_session *s, int *loads, int *reuses);
LLE_API void lle_run_session_close(lle_run_session *s);

/* ---- order of a campaign's runs ---- */
typedef enum lle_campaign_order {
    LLE_ORDER_SEQUENTIAL = 0, /* cycle-major: each cycle runs every experiment in plan order */
    LLE_ORDER_SHUFFLE,        /* cycle-major: each cycle its own seeded permutation */
    LLE_ORDER_INTERLEAVE      /* experiment-major: an experiment's cycles back to back */
} lle_campaign_order;

/* "sequential", "shuffle", "interleave". */
LLE_API const char *lle_campaign_order_name(lle_campaign_order o);
/* Those names, or the config file's "as_given" (sequential) / "shuffled". */
LLE_API lle_status lle_campaign_order_parse(const char *name, lle_campaign_order *out, lle_error *err);

/* ---- temperature for cooldowns: provided by whoever can read one ---- */
typedef struct lle_temperature_source {
    /* The hottest readable temperature now, in °C, and what it came from. */
    lle_status (*read)(void *user, double *celsius, char *what, size_t what_size, lle_error *err);
    void *user;
} lle_temperature_source;

/* ---- options (command-line values win over the file's) ---- */
typedef struct lle_campaign_opts {
    const char *campaign_id; /* NULL: the file's `name:`, else its file name without extension */
    const char *config_path; /* recorded in the journal (may be NULL) */
    int cycles;              /* 0: the file's */
    bool order_set;          /* use `order` instead of the file's */
    lle_campaign_order order;
    bool seed_set; /* shuffle seed; default: the base experiment's seed */
    uint64_t seed;
    double cooldown_s;                         /* < 0: the file's cooldown_s */
    double cooldown_temp_c;                    /* > 0: after cooldown_s, wait until the temperature is below this */
    double cooldown_timeout_s;                 /* most seconds to wait for the temperature (default 600) */
    const lle_temperature_source *temperature; /* NULL: no temperature readable */
    int max_retries;                           /* < 0: the file's */
    const lle_config_value *overrides;         /* applied to every experiment last (flags) */
    size_t n_overrides;
    bool restart;        /* forget the journal and run everything again */
    bool accept_changes; /* the experiment set changed: update the journal and go on */
    bool retry_failed;   /* give exhausted failed experiments their retries again */
    bool fail_fast;      /* stop at the first failed experiment */
} lle_campaign_opts;

LLE_API void lle_campaign_opts_init(lle_campaign_opts *o);

/* "FIELD=VALUE" (a config-file field name, or section.name) as a value for
 * lle_campaign_opts.overrides, checked against the field's type and bounds.
 * String values point into `text`, which must outlive the plan. */
LLE_API lle_status lle_campaign_parse_override(const char *text, lle_config_value *out, lle_error *err);

/* ---- the plan ---- */
#define LLE_CAMPAIGN_HASH_MAX  65
#define LLE_CAMPAIGN_LABEL_MAX 256

typedef struct lle_campaign_experiment { /* one distinct resolved configuration */
    char label[LLE_CAMPAIGN_LABEL_MAX];  /* "grid{batch_size: 4, temperature: 0.7}", "scenarios[2] A1 (built-in)" */
    char hash[LLE_CAMPAIGN_HASH_MAX];    /* SHA-256 of the resolved configuration (hex) */
    lle_run_config run;                  /* what the runner gets (strings borrowed) */
    char *config_json;                   /* the resolved configuration hashed, as JSON */
} lle_campaign_experiment;

typedef struct lle_campaign_item { /* one run: an experiment in a cycle, in run order */
    size_t experiment;             /* index into experiments */
    int cycle;                     /* 1-based */
} lle_campaign_item;

typedef struct lle_campaign_plan {
    char id[128];
    lle_suite suite;
    const char *name; /* the file's name: (NULL when absent) */
    const char *config_path;
    int cycles;
    lle_campaign_order order;
    uint64_t seed;
    double cooldown_s;
    int max_retries;
    size_t n_experiments;
    lle_campaign_experiment *experiments;
    size_t n_items;
    lle_campaign_item *items;
    size_t n_notes;
    char **notes; /* duplicates dropped, settings not applied, ... */
} lle_campaign_plan;

/* Every experiment of the campaign `c` (a loaded, error-free config of any
 * suite), resolved, validated with lle_run_config_validate() (INVALID names
 * the variant and field of the first bad one), deduplicated and ordered. */
LLE_API lle_status lle_campaign_plan_build(const lle_config *c, const lle_campaign_opts *o, lle_campaign_plan **out,
                                           lle_error *err);
LLE_API void lle_campaign_plan_free(lle_campaign_plan *p);

/* ---- state in the journal ---- */
typedef enum lle_item_state { LLE_ITEM_PENDING = 0, LLE_ITEM_RUNNING, LLE_ITEM_DONE, LLE_ITEM_FAILED } lle_item_state;

/* "pending", "running", "done", "failed". */
LLE_API const char *lle_item_state_name(lle_item_state s);

typedef struct lle_campaign_status {
    bool journal;             /* the results database has a journal for this campaign */
    size_t n_items;           /* length of the per-item arrays (the plan's n_items) */
    lle_item_state *state;    /* per plan item */
    int *attempts, *failures; /* per plan item */
    char **error;             /* per plan item: last failure, or NULL */
    size_t n_done, n_failed, n_exhausted, n_running, n_pending;
    size_t n_added, n_removed; /* versus the journal: the experiment set changed */
    char **added, **removed;   /* "label (cycle N)" */
} lle_campaign_status;

/* Read the journal of the plan's campaign in `results_dir` without writing
 * anything (no results.db: everything pending, no changes). */
LLE_API lle_status lle_campaign_status_read(const lle_campaign_plan *p, const char *results_dir,
                                            lle_campaign_status **out, lle_error *err);
LLE_API void lle_campaign_status_free(lle_campaign_status *s);

/* ---- duration estimate ---- */
typedef struct lle_campaign_estimate {
    bool known;     /* false: no basis (no earlier results to take a speed from) */
    double total_s; /* compute + idle + cooldown, for the runs still to do */
    double compute_s, idle_s, cooldown_s;
    size_t runs;     /* runs the estimate covers */
    char basis[512]; /* where the speed came from, in words */
} lle_campaign_estimate;

/* Estimate the runs still to do (all when `st` is NULL; done runs and failed ones with no retries left are not) from the token
 * throughput of completed experiments in `results_dir`'s database (same model
 * file first, else all), plus simulated traffic idle and cooldowns. Always
 * an estimate; never measures anything. */
LLE_API lle_status lle_campaign_estimate_compute(const lle_campaign_plan *p, const lle_campaign_status *st,
                                                 const char *results_dir, lle_campaign_estimate *out, lle_error *err);

/* The plan (with states when `st` is given, and the estimate when `e` is) as
 * JSON: {campaign, suite, cycles, order, count, experiments: [...], ...}. */
LLE_API char *lle_campaign_plan_json(const lle_campaign_plan *p, const lle_campaign_status *st,
                                     const lle_campaign_estimate *e);

/* ---- running ---- */
typedef struct lle_campaign_events {
    /* A run starts: plan item `item`; `ordinal` of `to_run` this invocation. */
    void (*on_start)(void *user, const lle_campaign_plan *p, size_t item, size_t ordinal, size_t to_run);
    /* Requests of the running experiment (as lle_progress_fn). */
    lle_progress_fn on_progress;
    /* A run ended: st LLE_OK (result stored), or its error (recorded as failed). */
    void (*on_end)(void *user, const lle_campaign_plan *p, size_t item, lle_status st, const lle_run_result *r,
                   const char *error, double seconds);
    /* Waiting between runs: `what` says why ("cooldown 5 s", "temperature 71 °C > 60 °C"). */
    void (*on_wait)(void *user, const char *what);
    void *user;
} lle_campaign_events;

typedef struct lle_campaign_summary {
    size_t total;             /* plan items */
    size_t already_done;      /* done before this invocation */
    size_t recovered;         /* results found complete on disk after a crash and stored */
    size_t ran, done, failed; /* this invocation */
    size_t exhausted;         /* failed with no retries left (all, not only this invocation) */
    size_t remaining;         /* not done at the end */
    bool stopped_on_failure;  /* fail_fast stopped it */
    int engine_loads, engine_reuses;
    char temperature_note[256]; /* why cooldown by temperature did not happen ("" when it did or was not asked) */
} lle_campaign_summary;

/* Run the campaign in `results_dir`: sync the journal (INVALID, before
 * anything runs, when the experiment set changed and accept_changes is off),
 * recover results that were complete on disk when a crash hit, then run every
 * item not done (failed ones while they have retries), in order, each result
 * stored and marked done in one transaction. A failing experiment is recorded
 * and the campaign goes on (fail_fast stops it). Returns LLE_OK when it ran
 * through (check summary->failed / remaining), INTERRUPTED when `stop` fired,
 * or the store's error. Only one process may run a campaign at a time
 * (INVALID when another holds it). */
LLE_API lle_status lle_campaign_run(const lle_campaign_plan *p, const char *results_dir, const lle_campaign_opts *o,
                                    const lle_campaign_events *ev, const volatile int *stop,
                                    lle_campaign_summary *summary, lle_error *err);

/* The summary as JSON (malloc'd; NULL on OOM). */
LLE_API char *lle_campaign_summary_json(const lle_campaign_plan *p, const lle_campaign_summary *s);

/* ---- built-in scenarios (the thesis tool's set, docs/scenarios.md) ---- */
typedef struct lle_builtin_scenario {
    const char *id;   /* "A0".."A5", "R1".."R7" */
    const char *name; /* the thesis tool's config_name */
    bool realistic;
    const char *description;
    int batch_size;
    const char *preset_type;      /* GGUF weight type standing for the thesis precision/quantisation */
    const char *thesis_precision; /* "float16", "8-bit (bitsandbytes)", ... */
    float temperature;
    int top_k;           /* 0 = off */
    float top_p;         /* 1 = off */
    const char *traffic; /* "none" or "uniform" */
    double delay_min_s, delay_max_s;
    const char *not_mapped; /* thesis settings with no equivalent here */
} lle_builtin_scenario;

LLE_API size_t lle_builtin_scenario_count(void);
LLE_API const lle_builtin_scenario *lle_builtin_scenario_at(size_t i);
/* By id ("A1", case-insensitive) or thesis name; NULL when unknown. */
LLE_API const lle_builtin_scenario *lle_builtin_scenario_find(const char *name);
/* The table docs/scenarios.md embeds (Markdown; caller frees). */
LLE_API char *lle_builtin_scenarios_markdown(void);

#ifdef __cplusplus
}
#endif
#endif
