/* lle/energy.h — energy, power and hardware telemetry: which energy sources
 * this machine can read (and how to make the unreadable ones readable), a
 * meter that samples them in a background thread and measures named,
 * nestable windows (lle_meter_begin / lle_meter_end), an idle baseline, the
 * "energy" section of a result document, carbon, and the time series.
 *
 * Sources (docs/energy.md): CPU/DRAM through Linux powercap RAPL, else the
 * perf_event power PMU; NVIDIA GPUs through NVML and AMD GPUs through amdsmi
 * (both loaded with dlopen at run time, no build dependency); and, where no
 * counter is readable, labelled estimates (CPU: TDP x utilisation, RAM: W per
 * GB installed). Every figure carries its method ("measured" or "estimated")
 * and its source; measured and estimated energy are summed separately.
 *
 * Ownership: everything returned through an `out` pointer is heap memory owned
 * by the caller and released with the matching *_free / *_close function;
 * strings returned by *_json() functions are malloc'd, freed with free().
 * Option structs and their strings are only read during the call. A meter is
 * thread-safe: windows may be begun and ended from any thread while its
 * sampler runs; one window handle must not be used from two threads at once. */
#ifndef LLE_ENERGY_H
#define LLE_ENERGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lle_energy_method {
    LLE_ENERGY_MEASURED = 0, /* read from a hardware counter or power sensor */
    LLE_ENERGY_ESTIMATED = 1 /* computed from a model (formula in `how`) */
} lle_energy_method;

/* "measured" or "estimated" (static string). */
LLE_API const char *lle_energy_method_name(lle_energy_method m);

/* ---- meter options ------------------------------------------------------ */
typedef struct lle_meter_opts {
    double interval_s;      /* sampler period; default 0.1, range [0.01, 60]; 0 = no sampler
                              thread (readings only at window edges) */
    const char *sources;    /* NULL or "" = every kind; else a comma list of kinds to use:
                              rapl, perf, nvml, amdsmi, estimate */
    bool estimate_fallback; /* add estimates for the CPU and RAM when no counter covers them
                              (default true) */
    double probe_s;         /* at open, how long a counter that has not moved is watched before
                              it is declared stuck (default 0.1; 0 = no check) */
    double cpu_tdp_w;       /* > 0: TDP for the CPU estimate instead of the table look-up */
    bool timeseries;        /* keep the sampled time series (default true) */
} lle_meter_opts;

LLE_API void lle_meter_opts_init(lle_meter_opts *o);

/* ---- sources: what this machine can read (for `devices`) ---------------- */
typedef struct lle_energy_source_info {
    char id[64];     /* "rapl:package-0", "perf:energy-pkg", "nvml:0", "estimate:cpu",
                              or the kind alone ("rapl") when the kind has no usable source */
    char kind[16];   /* rapl | perf | nvml | amdsmi | estimate */
    char name[128];  /* zone name, GPU model, CPU model */
    char domain[16]; /* package core uncore dram psys gpu cpu ram ("" when unknown) */
    lle_energy_method method;
    bool readable;    /* it can be read now (a stuck counter is not readable) */
    bool in_total;    /* it counts in totals (sub-zones and psys overlap others: no) */
    bool has_energy;  /* energy_j is a reading */
    double energy_j;  /* counter value now, joules since the counter's own origin */
    bool has_power;   /* power_w is a reading */
    double power_w;   /* power now (NVML sensor; estimates: the modelled power now) */
    char how[256];    /* the file, API or formula behind the figure */
    char status[320]; /* "ok", or exactly why it is not readable */
    char fix[512];    /* the command(s) that make it readable; "" when none is needed
                              or none exists */
} lle_energy_source_info;

typedef struct lle_energy_probe {
    size_t n;
    lle_energy_source_info *sources;
} lle_energy_probe;

/* Every energy source found (readable or not) with its current reading and,
 * for each unreadable one, the fix. `opts` may be NULL (defaults). Failing
 * sources are entries, never an error; errors are NOMEM only. */
LLE_API lle_status lle_energy_probe_sources(const lle_meter_opts *opts, lle_energy_probe **out, lle_error *err);
LLE_API void lle_energy_probe_free(lle_energy_probe *p);
/* {"sources": [...]} with the fields above. NULL on OOM. */
LLE_API char *lle_energy_probe_to_json(const lle_energy_probe *p);

/* ---- the meter ------------------------------------------------------------ */
typedef struct lle_meter lle_meter;
typedef struct lle_meter_window lle_meter_window;

/* Discover the sources and start the sampler thread. Never fails because a
 * source is missing: with nothing readable the meter holds estimates only (or
 * nothing, with estimate_fallback off). Errors: INVALID (bad option), NOMEM,
 * INTERNAL (thread creation). */
LLE_API lle_status lle_meter_open(const lle_meter_opts *opts, lle_meter **out, lle_error *err);
/* Stop the sampler thread (idempotent; NULL accepted). The meter keeps its
 * time series, baseline and sources: windows still work (read at their edges
 * only) and the series can still be exported. */
LLE_API void lle_meter_stop(lle_meter *m);
/* Stop the sampler and release everything (NULL accepted). Open windows are
 * dropped. */
LLE_API void lle_meter_close(lle_meter *m);

/* Open a window now: every source is read at this instant. Windows nest and
 * overlap freely. `name` is copied (at most 63 bytes). */
LLE_API lle_status lle_meter_begin(lle_meter *m, const char *name, lle_meter_window **out, lle_error *err);

typedef struct lle_energy_reading {
    char source[64]; /* source id (see lle_energy_source_info.id) */
    char name[128];
    char kind[16];
    char domain[16];
    lle_energy_method method;
    char how[256];       /* measured: the counter or API; estimated: the formula with its numbers */
    bool in_total;       /* summed into the window's measured_j or estimated_j */
    double energy_j;     /* gross energy in the window */
    double avg_power_w;  /* energy_j / duration_s */
    double peak_power_w; /* highest power over one sampler interval in the window (or the
                              highest sensor reading); avg_power_w when no interval fitted */
    bool has_baseline;   /* an idle baseline is known for this source */
    double idle_power_w; /* the baseline's idle power */
    double net_energy_j; /* energy_j - idle_power_w x duration_s (= energy_j without baseline) */
    bool partial;        /* the source failed or disappeared: energy covers part of the window */
    bool low_confidence; /* e.g. shorter than a few NVML counter updates: from power samples */
    unsigned wraps;      /* counter wraparounds handled inside the window */
    unsigned anomalies;  /* readings rejected: the counter went backwards without a plausible wrap */
    char note[256];      /* why partial / low confidence / anomalous ("" otherwise) */
} lle_energy_reading;

typedef struct lle_energy_window {
    char name[64];
    double start_s, end_s;                  /* seconds since the meter opened (first/last for accumulated) */
    double duration_s;                      /* end - start; the sum of the parts when accumulated */
    unsigned n_parts;                       /* windows accumulated into this one (1 for a plain window) */
    double measured_j;                      /* sum over in_total measured readings */
    double estimated_j;                     /* sum over in_total estimated readings */
    double net_measured_j, net_estimated_j; /* the same after baseline subtraction */
    bool partial;                           /* some reading is partial */
    size_t n_readings;
    lle_energy_reading *readings;
} lle_energy_window;

/* Close the window now (every source read at this instant) and return its
 * energy per source. `w` is consumed even on error. */
LLE_API lle_status lle_meter_end(lle_meter *m, lle_meter_window *w, lle_energy_window **out, lle_error *err);
/* Drop an open window without a result (NULL accepted). */
LLE_API void lle_meter_cancel(lle_meter *m, lle_meter_window *w);

LLE_API void lle_energy_window_free(lle_energy_window *w);

/* Add `w` into `*acc` (copied when *acc is NULL): energies, net energies and
 * durations add, peaks take the maximum, flags and notes combine; readings are
 * matched by source. Used for per-batch prefill/decode windows. */
LLE_API lle_status lle_energy_window_accumulate(lle_energy_window **acc, const lle_energy_window *w, lle_error *err);

/* The window as a JSON object (docs/energy.md). NULL on OOM. */
LLE_API char *lle_energy_window_to_json(const lle_energy_window *w);

/* Live figures for a progress display: power over the last sampler interval
 * summed over in_total sources, measured and estimated apart (0 when none). */
LLE_API void lle_meter_live_power(lle_meter *m, double *measured_w, double *estimated_w);

typedef struct lle_meter_stats {
    double interval_s;
    uint64_t samples;    /* sampler ticks so far */
    double wall_s;       /* since the meter opened */
    double thread_cpu_s; /* CPU time the sampler thread used */
    size_t n_sources;    /* sources being read */
} lle_meter_stats;

LLE_API void lle_meter_get_stats(lle_meter *m, lle_meter_stats *out);

/* The sources this meter could not use, with the reason and fix (id, kind,
 * name, status, fix filled; readable false). Returns how many there are;
 * at most `max` are copied into `out` (which may be NULL when max is 0). */
LLE_API size_t lle_meter_unavailable(lle_meter *m, lle_energy_source_info *out, size_t max);

/* ---- idle baseline ------------------------------------------------------------ */
typedef struct lle_baseline_opts {
    double seconds;           /* how long idle power is measured (default 10; 0 = no baseline) */
    double ttl_s;             /* a cached baseline younger than this is reused (default 3600) */
    const char *cache_path;   /* NULL: $LLE_CACHE_DIR/energy-baseline.json, else
                              $XDG_CACHE_HOME or ~/.cache /llm-efficiency/energy-baseline.json */
    bool refresh;             /* measure even when the cache is fresh */
    const volatile int *stop; /* polled while measuring; may be NULL */
} lle_baseline_opts;

LLE_API void lle_baseline_opts_init(lle_baseline_opts *o);

/* Give the meter an idle baseline: from the cache when it is fresh and holds
 * every source of this meter, else measured now (the caller keeps the machine
 * idle for `seconds`) and written to the cache. Later windows report net
 * energy. A cache that cannot be read or written is logged, not an error.
 * Errors: INVALID, INTERRUPTED (stop fired; no baseline set). */
LLE_API lle_status lle_meter_idle_baseline(lle_meter *m, const lle_baseline_opts *o, lle_error *err);

typedef struct lle_baseline_info {
    char origin[16];   /* "measured" (now), "cache", or "none" */
    double duration_s; /* how long idle power was measured */
    double age_s;      /* since it was measured */
    double ttl_s;
    char cache[4096]; /* the cache file */
} lle_baseline_info;

LLE_API void lle_meter_baseline_info(lle_meter *m, lle_baseline_info *out);

/* ---- carbon ------------------------------------------------------------------------- */
typedef struct lle_carbon {
    double intensity_g_per_kwh;
    double pue;
    char region[64];  /* "world", an ISO 3166 alpha-3 code, a cloud region, or "custom" */
    char source[256]; /* where the intensity comes from */
} lle_carbon;

/* `spec`: NULL or "" or "world" = world average (475 g/kWh, IEA 2019 via
 * CodeCarbon); a number = g/kWh given by the user; a country code (ISO 3166
 * alpha-3, "FRA") or a cloud region ("europe-west1") looked up in the
 * CodeCarbon data. `pue` >= 1 (0 = 1.0). Errors: INVALID (unknown
 * region, bad number or PUE; the message names it), NOT_FOUND (data file
 * missing; it names the path and $LLE_DATA_DIR). */
LLE_API lle_status lle_carbon_resolve(const char *spec, double pue, lle_carbon *out, lle_error *err);

/* grams CO2e = energy_j / 3.6e6 x intensity x PUE. */
LLE_API double lle_carbon_grams(double energy_j, const lle_carbon *c);

/* Directory of the reference data (codecarbon/...): $LLE_DATA_DIR, else the
 * build tree's or the installed share/llm-efficiency/data. Static string. */
LLE_API const char *lle_energy_data_dir(void);

/* ---- the "energy" section of a result document ------------------------------- */
typedef struct lle_energy_work {
    uint64_t input_tokens; /* 0 = unknown (derived figures omitted) */
    uint64_t output_tokens;
    uint64_t requests;
    double flops; /* executed FLOPs; 0 = unknown */
} lle_energy_work;

typedef struct lle_energy_section {
    lle_meter *meter;                 /* sampler, baseline and unavailable sources */
    const lle_energy_window *whole;   /* required */
    const lle_energy_window *prefill; /* optional (NULL): phase windows */
    const lle_energy_window *decode;
    lle_energy_work work;
    const lle_carbon *carbon; /* NULL: world average, PUE 1 */
} lle_energy_section;

/* The "energy" object (docs/energy.md): sampler, baseline, sources that could
 * not be read (with fixes), the whole window per source, totals with their
 * method, phases, derived figures and carbon. NULL on OOM or missing whole. */
LLE_API char *lle_energy_section_json(const lle_energy_section *s);

/* ---- time series ---------------------------------------------------------------- */
/* CSV "t_s,source,metric,value" of every sample (t_s from `origin_s`, seconds
 * since the meter opened, e.g. a window's start_s), written atomically. */
LLE_API lle_status lle_meter_timeseries_csv(lle_meter *m, const char *path, double origin_s, lle_error *err);

/* The samples into the store's timeseries table for `experiment_id` (which
 * must already be stored), replacing its previous rows, in one transaction. */
LLE_API lle_status lle_meter_timeseries_store(lle_meter *m, lle_store *s, const char *experiment_id, double origin_s,
                                              lle_error *err);

/* ---- measuring any command (`llm-efficiency measure`) --------------------------- */
typedef struct lle_measured_command {
    int argc;
    char *const *argv;
    int exit_code;      /* the command's exit status; -1 when it did not exit normally */
    int term_signal;    /* the signal that ended it, 0 if none */
    const char *status; /* "completed" (it ran; whatever its exit code), "failed" (could not
                                be started), "interrupted" */
    const char *error;  /* NULL or why it failed */
} lle_measured_command;

/* A new sortable experiment id and its UTC start time (ISO 8601). */
LLE_API void lle_energy_new_id(char *id, size_t id_size, char *started_at, size_t started_size);

/* The result document of a measured command: schema_version, id, status,
 * started_at, kind "measure", command, environment, metrics.wall_s, energy.
 * NULL on OOM. */
LLE_API char *lle_measure_document_json(const char *id, const char *started_at, const lle_measured_command *cmd,
                                        const lle_energy_section *energy);

/* Save a document like an experiment: <results_dir>/<id>.json atomically,
 * the store row, then the meter's time series rows (t_s from origin_s). */
LLE_API lle_status lle_measure_save(const char *results_dir, const char *id, const char *json_doc, lle_meter *m,
                                    double origin_s, char *path_out, size_t path_out_size, lle_error *err);

#ifdef __cplusplus
}
#endif
#endif
