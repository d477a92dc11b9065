/* device_internal.h — functions and types shared by the device module's files
 * (machine.c, stream.c, gemm.c, calibrate.c, calib_json.c, calib_cache.c,
 * efficiency.c, report.c, energy_table.c) and by other library modules that
 * embed its figures in their JSON (the runner's result). Not installed.
 *
 * Ownership: cJSON objects returned here belong to the caller (free with
 * cJSON_Delete() or hand them to a parent). Buffers are caller-owned. */
#ifndef LLE_DEVICE_INTERNAL_H
#define LLE_DEVICE_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "lle/device.h"

/* The shapes and sizes one calibration uses (docs/devices.md, "Workload"). */
typedef struct lle_calib_workload {
    const char *name;                    /* "full" | "quick" */
    int prefill_m, prefill_k, prefill_n; /* weights m x k (ggml ne0 = k), activations k x n */
    int decode_k;                        /* row length of the decode weights */
    uint64_t decode_bytes;               /* weight bytes streamed per decode repetition (target) */
    uint64_t decode_chunk_bytes;         /* bytes per weight tensor of the decode graph (target) */
    uint64_t stream_bytes;               /* plain-C buffer: read scans all of it, copy halves it */
    int reps;                            /* timed repetitions, after one untimed warm-up */
} lle_calib_workload;

/* Workload for this machine: "full" sizes the streamed buffers to at least
 * twice the last-level cache (so they come from DRAM), clamped to
 * [256 MiB, 1 GiB] and to a quarter of the available memory; "quick" uses tiny
 * cache-resident shapes (tests only). */
void lle_calib_workload_init(lle_calib_workload *w, bool quick, uint64_t llc_bytes, uint64_t mem_available);

/* ---- plain-C streaming bandwidth (stream.c) ---- */
/* Read (memchr scan for an absent byte: glibc's vectorised loop, so the figure
 * does not depend on how this tool was compiled) and copy (memcpy, counting
 * bytes read + written) over `bytes` with `n_threads` threads, `reps` timed
 * repetitions after one warm-up. */
lle_status lle_stream_bench(uint64_t bytes, int n_threads, int reps, lle_measure *read_bps, lle_measure *copy_bps,
                            lle_error *err);

/* ---- ggml GEMM / mat-vec (gemm.c) ---- */
typedef struct lle_gemm_result {
    char weight_buffer[32];
    lle_measure prefill_flops_per_s;
    lle_measure decode_flops_per_s;
    lle_measure decode_bytes_per_s;
} lle_gemm_result;

/* The ggml type for a name ("q4_K"; case-sensitive as ggml names them, then
 * case-insensitive), or -1. */
int lle_ggml_type_from_name(const char *name);

/* Measure weight type `type` through the ggml CPU backend at the workload's
 * prefill and decode shapes with `n_threads` threads. */
lle_status lle_gemm_bench(int type, const lle_calib_workload *w, int n_threads, lle_gemm_result *out,
                          char *backend_desc, size_t desc_size, lle_error *err);

/* ---- statistics (calibrate.c) ---- */
/* best = max, median of n throughput values (sorted in place). */
lle_measure lle_measure_of(double *values, int n);

/* ---- machine (machine.c) ---- */
/* Largest cache size in /sys/devices/system/cpu/cpu0/cache (0 when unknown). */
uint64_t lle_llc_bytes(void);
/* MemAvailable from /proc/meminfo in bytes (0 when unknown). */
uint64_t lle_mem_available_bytes(void);
/* CPU model string from /proc/cpuinfo, "unknown" when absent. */
void lle_cpu_model(char *out, size_t size);

/* ---- cache (calib_cache.c) ---- */
/* File name "peaks-<16 hex digits>.json" of a key (FNV-1a 64 of its fields). */
void lle_calibration_file_name(const lle_calibration_key *key, char *out, size_t size);
/* 1 when two keys are equal in every field. */
int lle_calibration_key_equal(const lle_calibration_key *a, const lle_calibration_key *b);

/* ---- JSON pieces (calib_json.c, efficiency.c) ---- */
cJSON *lle_calibration_json(const lle_calibration *c);
/* {"flops_per_s", "flops_source", "flops_basis", "bandwidth_bytes_per_s", ...}
 * with nulls for unknown peaks. */
cJSON *lle_peaks_json(const lle_peaks *p);
/* {"value": number|null, "achieved", "peak": number|null, "peak_source", "why"} */
cJSON *lle_utilisation_json(const lle_utilisation *u);

/* ---- energy sources extension point (energy_table.c) ----
 * The energy module registers one reporter per source family (RAPL, NVML, ...)
 * in lle_energy_reporters[], terminated by an entry with name NULL. */
typedef struct lle_energy_reporter {
    const char *name; /* "rapl", "nvml", ... */
    /* Append one JSON object per source found to `sources` (an array): its name,
     * whether it is readable, its current reading, and for an unreadable one
     * the exact fix. Must not print. */
    lle_status (*to_json)(cJSON *sources, lle_error *err);
    /* Human lines for the same sources, malloc'd, each ending in '\n' (NULL on OOM). */
    char *(*to_text)(void);
} lle_energy_reporter;

extern const lle_energy_reporter lle_energy_reporters[];

/* {"sources": [...], "note": ...}: every registered reporter's sources. */
cJSON *lle_energy_sources_json(void);

#endif
