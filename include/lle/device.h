/* lle/device.h — the machine a measurement runs on: what it is (CPU, memory,
 * the llama.cpp backends loaded), what it can do at most (peak FLOP/s per
 * weight type and peak memory bandwidth, measured by a calibration and cached
 * on disk), and the utilisation figures divided by those peaks: MFU (model
 * FLOP/s utilisation) and MBU (memory bandwidth utilisation). docs/devices.md
 * defines every figure and the calibration method.
 *
 * Honesty rule: a peak is either measured here (calibrated), given by the user,
 * or unknown. When it is unknown MFU/MBU are unknown (`known` false, JSON
 * null); nothing is ever guessed from a spec sheet.
 *
 * Ownership: every struct here is a plain value owned by the caller; none
 * holds pointers the caller must free. Strings returned by *_to_json() and
 * lle_energy_sources_text() are malloc'd and freed by the caller with free(). */
#ifndef LLE_DEVICE_H
#define LLE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the machine ----------------------------------------------------------- */

#define LLE_MAX_BACKEND_DEVICES 32

typedef struct lle_backend_device {
    char name[64];              /* ggml device name: "CPU", "CUDA0", ... */
    char description[256];      /* e.g. the CPU model or GPU name */
    char backend[64];           /* ggml backend (registry) name: "CPU", "CUDA", ... */
    char type[16];              /* "cpu", "gpu", "igpu", "accel", "meta", "unknown" */
    uint64_t memory_free_bytes; /* as the backend reports it (0 when unknown) */
    uint64_t memory_total_bytes;
} lle_backend_device;

typedef struct lle_machine_info {
    char cpu_model[256];         /* /proc/cpuinfo; "unknown" when unreadable */
    int cpu_cores;               /* online cores */
    uint64_t memory_total_bytes; /* /proc/meminfo MemTotal; 0 when unreadable */
    uint64_t llc_bytes;          /* last-level cache size from sysfs; 0 when unknown */
    char llama_release[64];      /* release of the linked llama.cpp */
    size_t n_devices;            /* ggml devices of the loaded backends */
    lle_backend_device devices[LLE_MAX_BACKEND_DEVICES];
} lle_machine_info;

/* Fill `out`; loads the ggml backends first (lle_runtime_init). Errors:
 * BACKEND when no backend could be loaded. Unreadable /proc or /sys files are
 * not errors: their fields say "unknown" / 0. */
LLE_API lle_status lle_machine_info_get(lle_machine_info *out, lle_error *err);

/* ---- calibration (measured peaks) ------------------------------------------- */

#define LLE_CALIB_MAX_TYPES 16

/* What a cached calibration is valid for: the same CPU, core count, thread
 * count, llama.cpp release and workload size. Any difference is a cache miss. */
typedef struct lle_calibration_key {
    char cpu_model[256];
    int cpu_cores;
    int n_threads;
    char llama_release[64];
    char workload[16]; /* "full", or "quick" (tiny shapes for tests: not real peaks) */
} lle_calibration_key;

/* Best (fastest repetition) and median of the timed repetitions. */
typedef struct lle_measure {
    double best;
    double median;
} lle_measure;

typedef struct lle_calibration_type {
    char type[16];                   /* ggml type name of the weights: "f16", "q4_K", ... */
    char weight_buffer[32];          /* ggml buffer type the weights were placed in, chosen as
                                  llama.cpp chooses it: "CPU", "CPU_REPACK", "AMX", ... */
    lle_measure prefill_flops_per_s; /* GEMM: weights (m x k) x activations (k x n) */
    lle_measure decode_flops_per_s;  /* mat-vec: weights x one token */
    lle_measure decode_bytes_per_s;  /* mat-vec: weight bytes read / time */
} lle_calibration_type;

typedef struct lle_calibration {
    lle_calibration_key key;
    char measured_at[32];     /* UTC ISO 8601 */
    int64_t measured_at_unix; /* seconds since the epoch */
    char tool_version[32];
    char backend_description[256]; /* the ggml CPU device that ran the GEMMs */
    double duration_s;             /* wall time of the whole calibration */
    int repetitions;               /* timed repetitions per measurement (after 1 untimed warm-up) */
    /* workload shapes */
    int prefill_m, prefill_k, prefill_n;
    int decode_k;                        /* row length of the decode weights */
    uint64_t decode_weight_bytes_target; /* bytes of weights streamed per decode repetition (approx.) */
    uint64_t stream_bytes;               /* plain-C bandwidth buffer size */
    uint64_t llc_bytes;                  /* last-level cache at calibration time (0 unknown) */
    /* bandwidth */
    lle_measure stream_read_bytes_per_s; /* read-only scan, all threads */
    lle_measure stream_copy_bytes_per_s; /* memcpy, counting read + written bytes */
    double peak_bandwidth_bytes_per_s;   /* highest best of stream read/copy and ggml mat-vec */
    char peak_bandwidth_from[40];        /* "stream_read", "stream_copy", "ggml_matvec_<type>" */
    size_t n_types;
    lle_calibration_type types[LLE_CALIB_MAX_TYPES];
} lle_calibration;

typedef struct lle_calibrate_opts {
    int n_threads;     /* <= 0: all online cores */
    bool quick;        /* tiny shapes (< 2 s): for tests, not real peaks */
    const char *types; /* comma-separated ggml type names; NULL = the default list */
    /* Optional progress: called before each step with a short label. */
    void (*progress)(const char *step, void *user);
    void *progress_user;
} lle_calibrate_opts;

/* The key of this machine for `n_threads` (<= 0: all cores) and workload. */
LLE_API lle_status lle_calibration_key_current(int n_threads, bool quick, lle_calibration_key *out, lle_error *err);

/* Measure this machine (minutes at most; ~15-30 s on a small machine). Does
 * not store anything. Errors: INVALID (bad type name or thread count),
 * BACKEND (no CPU backend, a graph failed), NOMEM. */
LLE_API lle_status lle_calibrate(const lle_calibrate_opts *opts, lle_calibration *out, lle_error *err);

/* Directory of cached calibrations: <cache_dir>/calibration when cache_dir is
 * given, else $LLE_CACHE_DIR/calibration, else $XDG_CACHE_HOME/llm-efficiency/
 * calibration, else ~/.cache/llm-efficiency/calibration. */
LLE_API lle_status lle_calibration_dir(const char *cache_dir, char *out, size_t out_size, lle_error *err);

/* Store atomically as <dir>/peaks-<hash of key>.json (path in path_out, may be NULL). */
LLE_API lle_status lle_calibration_save(const lle_calibration *c, const char *cache_dir, char *path_out,
                                        size_t path_out_size, lle_error *err);

/* Load the calibration cached for `key`. NOT_FOUND when there is none or the
 * stored key differs (a miss); FORMAT when the file is corrupt (the message
 * names it); IO when it cannot be read. path_out (may be NULL) gets the path. */
LLE_API lle_status lle_calibration_load(const lle_calibration_key *key, const char *cache_dir, lle_calibration *out,
                                        char *path_out, size_t path_out_size, lle_error *err);

/* JSON document of a calibration (the cache file format). NULL on OOM. */
LLE_API char *lle_calibration_to_json(const lle_calibration *c);

/* Parse a calibration document; FORMAT names the bad field. */
LLE_API lle_status lle_calibration_from_json(const char *json, lle_calibration *out, lle_error *err);

/* The entry for a ggml type name in `c`, or NULL. */
LLE_API const lle_calibration_type *lle_calibration_find_type(const lle_calibration *c, const char *type);

/* ---- peaks used for MFU / MBU ------------------------------------------------- */

/* User overrides (configuration). 0 = not given. */
typedef struct lle_peak_overrides {
    double peak_flops_per_s; /* one peak for every weight type */
    double peak_bandwidth_bytes_per_s;
} lle_peak_overrides;

/* The peaks one experiment's MFU and MBU are divided by, each with its source. */
typedef struct lle_peaks {
    double flops_per_s;           /* 0 = unknown */
    char flops_source[64];        /* "calibrated <measured_at>" | "user" | "none" */
    char flops_basis[256];        /* how it was derived, or why it is unknown */
    double bandwidth_bytes_per_s; /* 0 = unknown */
    char bandwidth_source[64];
    char bandwidth_basis[256];
} lle_peaks;

/* Decide the peaks for `model` (may be NULL: then a calibrated FLOP/s peak is
 * unknown) from the overrides (win), else the calibration (may be NULL), else
 * none. The calibrated FLOP/s peak for a model is the element-weighted harmonic
 * mean of the prefill GEMM peaks of its weight types (docs/devices.md); a type
 * holding >= 1% of the elements without a calibrated peak makes it unknown.
 * Pure: reads nothing but its arguments. Errors: INVALID (negative override). */
LLE_API lle_status lle_peaks_resolve(const lle_peak_overrides *ov, const lle_calibration *cal,
                                     const lle_model_info *model, lle_peaks *out, lle_error *err);

/* Same, loading the calibration cached for this machine at `n_threads`
 * (workload "full"; "quick" when $LLE_CALIBRATE_QUICK=1). A missing or corrupt
 * cache is not an error: the peak is unknown and the basis says why. */
LLE_API lle_status lle_peaks_for_run(const lle_peak_overrides *ov, int n_threads, const char *cache_dir,
                                     const lle_model_info *model, lle_peaks *out, lle_error *err);

/* ---- bytes moved per decode step and MBU / MFU ---------------------------------- */

/* What one decode step reads and writes, per model and KV cache type. */
typedef struct lle_model_traffic {
    uint64_t tensor_bytes;         /* all weight tensors (lle_model_info.tensor_bytes) */
    uint64_t token_embd_bytes;     /* token_embd.weight, whole tensor (0 when absent) */
    uint64_t token_embd_row_bytes; /* one row of it: what looking up one token reads */
    bool embd_is_output;           /* tied embeddings: the output matmul reads all of it */
    uint32_t n_expert;             /* > 0: mixture of experts (bytes read depend on routing) */
    uint64_t kv_cell_bytes;        /* K + V of one KV cell over all layers, at the KV types' storage size */
} lle_model_traffic;

/* Fill `out` from the model info, reading token_embd.weight's type and shape
 * from the GGUF at m->path (metadata only). type_k/type_v: KV cache ggml type
 * names ("f16", "q8_0", ...; NULL = "f16"). Errors: INVALID (unknown KV type,
 * or a row length the type cannot hold), FORMAT/NOT_FOUND/IO (the GGUF). */
LLE_API lle_status lle_model_traffic_init(const lle_model_info *m, const char *type_k, const char *type_v,
                                          lle_model_traffic *out, lle_error *err);

/* K + V bytes of one KV cell over all layers: n_layer x (row(type_k, n_head_kv x
 * head_dim_k) + row(type_v, n_head_kv x head_dim_v)). 0 with INVALID in *err
 * (may be NULL) for an unknown type or a row that is not a whole number of blocks. */
LLE_API uint64_t lle_kv_cell_bytes(const lle_model_info *m, const char *type_k, const char *type_v, lle_error *err);

typedef struct lle_step_bytes {
    uint64_t weights;    /* weight bytes read */
    uint64_t kv_read;    /* n_kv_used cells read by attention */
    uint64_t kv_written; /* one new cell per token */
    uint64_t total;
} lle_step_bytes;

/* Bytes moved by one decode step of `n_tokens` tokens (one per sequence) with
 * `n_kv_used` KV cells in use after the step (the engine's on_decode values):
 * weights = tensor_bytes, minus the token_embd rows not read when embeddings
 * are not tied (only n_tokens rows are looked up); KV read = n_kv_used cells;
 * KV written = n_tokens cells. Pure. */
LLE_API lle_step_bytes lle_decode_step_bytes(const lle_model_traffic *t, int n_tokens, int n_kv_used);

/* A utilisation figure: value = achieved / peak, or unknown. */
typedef struct lle_utilisation {
    bool known;
    double value;         /* fraction (0.42 = 42 %), when known */
    double achieved;      /* FLOP/s or bytes/s achieved (input) */
    double peak;          /* the peak divided by (0 when unknown) */
    char peak_source[64]; /* copied from lle_peaks */
    char why[256];        /* basis when known, reason when unknown */
} lle_utilisation;

/* MFU = achieved model FLOP/s / peaks->flops_per_s. Unknown when the peak is
 * unknown or achieved is not a positive finite number. Pure. */
LLE_API lle_utilisation lle_mfu(double achieved_flops_per_s, const lle_peaks *peaks);

/* MBU = bytes / seconds / peaks->bandwidth_bytes_per_s (bytes summed over
 * decode steps, seconds the time they took). Unknown when the peak is unknown,
 * seconds <= 0, or `traffic` (may be NULL) is a mixture of experts. Pure. */
LLE_API lle_utilisation lle_mbu(double bytes, double seconds, const lle_model_traffic *traffic, const lle_peaks *peaks);

/* ---- the `devices` report ----------------------------------------------------- */

typedef struct lle_devices_report {
    lle_machine_info machine;
    lle_calibration_key key; /* the calibration looked up */
    bool have_calibration;
    lle_calibration calibration;
    char calibration_path[4096];
    char calibration_note[LLE_ERROR_MSG_MAX]; /* why there is none, when there is none */
} lle_devices_report;

/* Machine, backends and the cached calibration for `n_threads` (<= 0: all
 * cores). A missing/corrupt cache is reported in calibration_note, not an error. */
LLE_API lle_status lle_devices_report_get(int n_threads, bool quick, const char *cache_dir, lle_devices_report *out,
                                          lle_error *err);

/* One JSON object: {"machine", "backends", "calibration", "peaks",
 * "energy_sources"}. NULL on OOM. */
LLE_API char *lle_devices_report_to_json(const lle_devices_report *r);

/* Human lines for the energy sources section (each ending in '\n'), from the
 * energy reporters registered in src/device/energy_table.c. NULL on OOM. */
LLE_API char *lle_energy_sources_text(void);

#ifdef __cplusplus
}
#endif
#endif
