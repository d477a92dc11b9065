/* energy_internal.h — what the energy module's files share: the small
 * energy-source interface every reader implements (rapl.c, perf.c, nvml.c,
 * amdsmi.c, estimate.c, cpustat.c), discovery results, the counter
 * integration maths (counter.c), the meter's internals (meter.c, window.c,
 * baseline.c, series.c) and test hooks. Not installed.
 *
 * A source kind discovers channels: one figure stream each (a RAPL zone, a
 * GPU, the CPU estimate). A channel is read through ech_ops.read(ctx, sub):
 * a raw cumulative counter (joules = raw x scale_j, wrapping at `modulus`),
 * a power in watts, or both, plus auxiliary metrics (utilisation, memory,
 * temperature, clocks) for the time series. Contexts are owned by the
 * discovery (edisc) and closed once, after every channel is gone. */
#ifndef LLE_ENERGY_INTERNAL_H
#define LLE_ENERGY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lle/energy.h"

#define ECH_MAX_AUX  8
#define ECH_AUX_NAME 32

/* One reading of a channel. Fields not read stay as the caller set them
 * (counter_ok/power_ok false, aux NaN). */
typedef struct ech_sample {
    bool counter_ok;
    uint64_t raw;
    bool power_ok;
    double power_w;
    double aux[ECH_MAX_AUX];
    char why[192]; /* why the read failed (when neither counter nor power is ok) */
} ech_sample;

typedef struct ech_ops {
    /* Read channel `sub`; `aux` asks for the auxiliary metrics too (sampler
     * ticks; window edges skip them). False when the read failed. */
    bool (*read)(void *ctx, int sub, bool aux, ech_sample *s);
    void (*close)(void *ctx);
} ech_ops;

typedef struct ech_desc {
    char id[64], name[128], kind[16], domain[16], how[256];
    lle_energy_method method;
    bool in_total;
    bool has_counter;
    double scale_j;   /* joules per raw unit */
    uint64_t modulus; /* the counter wraps to 0 at this raw value; 0 = never */
    double max_w;     /* plausibility bound for wraps; 0 = none */
    bool check_stuck; /* watched at open: a counter that never moves is unusable */
    bool has_power;
    bool power_interval;         /* power is the mean over the interval ending at the read
                                (integrated as a rectangle), not an instantaneous value */
    double counter_min_window_s; /* shorter windows use the power integral (low confidence) */
    bool energy;                 /* false: auxiliary metrics only (CPU utilisation) */
    int n_aux;
    char aux[ECH_MAX_AUX][ECH_AUX_NAME]; /* metric names ending in their unit */
    const ech_ops *ops;
    void *ctx;
    int sub;
} ech_desc;

/* A source (or a whole kind) that cannot be used, with the reason and fix. */
typedef struct esrc_status {
    char id[64], kind[16], name[128], domain[16];
    char status[320], fix[512];
} esrc_status;

typedef struct ectx {
    const ech_ops *ops;
    void *ctx;
} ectx;

/* Result of discovery. Owns the contexts. */
typedef struct edisc {
    ech_desc *ch;
    size_t n_ch, cap_ch;
    esrc_status *bad;
    size_t n_bad, cap_bad;
    ectx *ctxs;
    size_t n_ctx, cap_ctx;
} edisc;

lle_status edisc_add_channel(edisc *d, const ech_desc *c, lle_error *err);
lle_status edisc_add_bad(edisc *d, const char *kind, const char *id, const char *name, const char *status,
                         const char *fix, lle_error *err);
/* Take ownership of `ctx` (closed by edisc_free). On failure it is closed now. */
lle_status edisc_add_ctx(edisc *d, const ech_ops *ops, void *ctx, lle_error *err);
/* Drop channel i (its context stays owned). */
void edisc_remove_channel(edisc *d, size_t i);
void edisc_free(edisc *d);

/* Discovery of every kind the options enable, with the fallbacks: perf only
 * when RAPL gives no CPU counter (or `probe_all`), the stuck-counter check,
 * estimates for the domains no counter covers, and the CPU-utilisation
 * channel. Errors: NOMEM, INVALID (unknown kind in opts->sources). */
lle_status lle_energy_discover(const lle_meter_opts *o, bool probe_all, edisc *d, lle_error *err);

lle_status lle_rapl_discover(edisc *d, lle_error *err);
lle_status lle_perf_discover(edisc *d, lle_error *err);
lle_status lle_nvml_discover(edisc *d, lle_error *err);
lle_status lle_amdsmi_discover(edisc *d, lle_error *err);
lle_status lle_estimate_discover(edisc *d, const lle_meter_opts *o, bool cpu, bool ram, lle_error *err);
lle_status lle_cpustat_discover(edisc *d, lle_error *err);

/* ---- helpers shared by the readers (esrc.c) ---- */
/* snprintf for messages where cutting an over-long text is acceptable. */
void lle_energy_fmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Root of a sysfs/procfs tree: getenv(var) when set and non-empty, else dflt. */
const char *lle_energy_root(const char *var, const char *dflt);
/* Read a small text file (trailing whitespace trimmed). -1 with errno on failure. */
int lle_energy_read_text(const char *path, char *buf, size_t size);
/* Parse an unsigned decimal integer that must fill `text` (spaces around allowed). */
bool lle_energy_parse_u64(const char *text, uint64_t *out);
/* pread the file from offset 0 and parse one unsigned integer. */
bool lle_energy_pread_u64(int fd, uint64_t *out);
/* Path of the running executable (for fixes), "llm-efficiency" when unknown. */
const char *lle_energy_self_exe(void);
/* The CPU model string of <proc>/cpuinfo ("" when absent) and the number of
 * physical packages (>= 1). */
void lle_energy_cpu_model(char *out, size_t size, int *sockets);

/* ---- CPU utilisation from <proc>/stat (cpustat.c) ---- */
typedef struct lle_cpustat {
    int fd;
    bool have;
    uint64_t busy, total; /* jiffies at the previous read */
    double util;          /* busy fraction over the last interval with ticks, [0, 1] */
} lle_cpustat;

/* Open <proc>/stat ($LLE_PROC_ROOT or /proc) and take the first reading. */
bool lle_cpustat_open(lle_cpustat *c);
/* Read again: c->util becomes the busy fraction since the previous read (kept
 * when no jiffy passed). False when the file cannot be read or parsed. */
bool lle_cpustat_read(lle_cpustat *c);
void lle_cpustat_close(lle_cpustat *c);

/* ---- counter integration (counter.c) ---- */
typedef struct lle_ctr {
    bool have;
    uint64_t last;
    double last_t;
    uint64_t modulus;
    double scale_j, max_w;
    double acc_j; /* joules accumulated since the first reading */
    unsigned wraps, anomalies, gaps;
    char note[192]; /* the latest anomaly or gap */
} lle_ctr;

void lle_ctr_init(lle_ctr *c, uint64_t modulus, double scale_j, double max_w);
/* Feed the raw counter read at time t (seconds); returns the joules added.
 * A value below the previous one is a wrap when the counter has a modulus and
 * the implied power is within max_w; otherwise an anomaly: nothing is added,
 * the counter is re-based, and the note says so. */
double lle_ctr_feed(lle_ctr *c, uint64_t raw, double t);

/* Trapezoid step: energy between two instantaneous power readings. */
double lle_trapezoid_j(double p0_w, double t0, double p1_w, double t1);

/* ---- TDP table and carbon data (estimate.c, carbon.c) ---- */
/* Look `model` up in cpu_power.csv: LLE_OK with the TDP and the table's name,
 * NOT_FOUND when no entry matches, IO/NOT_FOUND when the file is missing. */
lle_status lle_tdp_lookup(const char *csv_path, const char *model, double *tdp_w, char *matched, size_t matched_size,
                          lle_error *err);

/* ---- the meter's internals ---- */
typedef struct msnap { /* one channel's accumulators at a window edge */
    double e_ctr, e_pow;
    uint64_t n_reads;
    unsigned wraps, anomalies, gaps;
    bool ok; /* the edge read succeeded */
} msnap;

typedef struct mchan {
    ech_desc d;
    lle_ctr ctr;
    double e_pow; /* integral of the power readings */
    bool have_p;
    double last_p, last_p_t;
    uint64_t n_reads;
    unsigned fails; /* consecutive failed reads */
    bool lost;
    double lost_t;
    char why[192]; /* why it was lost / the last failed read */
    bool tick_have;
    double tick_e, tick_t; /* energy at the previous sampler tick */
    double live_w;         /* power over the last tick interval */
} mchan;

struct lle_meter_window {
    char name[64];
    double t_start;
    msnap *s;
    double *peak;
    struct lle_meter_window *next, *prev;
};

typedef struct mseries { /* one time-series column */
    size_t ch;
    int aux; /* -1: the channel's power */
} mseries;

struct lle_meter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool th_started, stopping;
    lle_meter_opts o;
    char sources_buf[128];
    double (*clock)(void *);
    void *clock_user;
    double t0;
    edisc disc;
    size_t n;
    mchan *ch;
    lle_meter_window *open;
    size_t n_series;
    mseries *series;
    double *rows; /* n_rows x (1 + n_series): t, then each series (NaN = none) */
    size_t n_rows, cap_rows;
    uint64_t ticks;
    double thread_cpu_s;
    bool has_baseline;
    double *idle_w; /* per channel; NaN when unknown */
    char bl_origin[16];
    double bl_duration_s, bl_measured_at, bl_ttl_s;
    char bl_cache[4096];
};

/* Seconds on the meter's clock (monotonic, or the test clock). */
double lle_meter_now(lle_meter *m);
/* Read every live channel now and update it (caller holds m->mu). */
void lle_meter_read_all(lle_meter *m, double now, bool tick);
/* Test hook: replace the clock (call right after open, with interval 0). */
void lle_meter_set_clock(lle_meter *m, double (*clock)(void *), void *user);
/* Test hook: one sampler tick now. */
void lle_meter_tick(lle_meter *m);
/* Build an lle_energy_window from two snapshots (caller holds m->mu). */
lle_status lle_window_build(lle_meter *m, const lle_meter_window *w, const msnap *end, double t_end,
                            lle_energy_window **out, lle_error *err);
/* The window's JSON as cJSON (window.c). */
struct cJSON *lle_window_cjson(const lle_energy_window *w);
/* Net energy of one reading from an idle power. */
double lle_net_energy_j(double gross_j, double idle_w, double duration_s);
/* Default baseline cache path into out. */
lle_status lle_baseline_default_path(char *out, size_t size, lle_error *err);

#endif
