/* calibrate.c — measures this machine's peaks (lle_calibrate): the workload
 * sizes, the weight types to measure, the plain-C bandwidth benchmark
 * (stream.c), then one ggml GEMM + mat-vec benchmark per weight type (gemm.c),
 * and the peak bandwidth: the highest of all measured bandwidths. Every
 * figure is the best of the timed repetitions (see lle_measure_of). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "device/device_internal.h"
#include "ggml.h"
#include "lle/version.h"

#define MIB (1024ULL * 1024ULL)

/* The types measured by default: the float types, q8_0/q4_0, and the types
 * llama-quantize's q2_k .. q6_k and *_k_m/_k_s files are made of (k-quants,
 * with q5_0/q8_0 as their fallbacks for rows not divisible by 256). Others
 * (q4_1, q5_1, iq*) on request with --types. */
static const char DEFAULT_TYPES[] = "f32,f16,bf16,q8_0,q4_0,q5_0,q2_K,q3_K,q4_K,q5_K,q6_K";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The peak is the best (highest-throughput) repetition: interference (other
 * processes, interrupts, frequency ramps, page faults) only ever slows a run
 * down, so the fastest run is the closest estimate of what the hardware can
 * do. The median is kept to show the spread. */
lle_measure lle_measure_of(double *values, int n)
{
    lle_measure m = {0.0, 0.0};

    if (n <= 0)
        return m;
    qsort(values, (size_t)n, sizeof *values, cmp_double);
    m.best = values[n - 1];
    m.median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    return m;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void lle_calib_workload_init(lle_calib_workload *w, bool quick, uint64_t llc_bytes, uint64_t mem_available)
{
    uint64_t cap = mem_available > 0 ? mem_available / 4 : 1024 * MIB;

    memset(w, 0, sizeof *w);
    if (quick) {
        *w = (lle_calib_workload){"quick", 256, 256, 32, 256, 2 * MIB, MIB, 4 * MIB, 2};
        return;
    }
    w->name = "full";
    w->prefill_m = 2048; /* a 2048-wide projection (Llama-3.2-1B's attention) */
    w->prefill_k = 2048;
    w->prefill_n = 512; /* llama.cpp's default micro-batch */
    w->decode_k = 4096;
    w->decode_bytes = clamp_u64(2 * llc_bytes, 256 * MIB, 1024 * MIB);
    w->decode_chunk_bytes = 64 * MIB;
    w->stream_bytes = clamp_u64(4 * llc_bytes, 256 * MIB, 2048 * MIB);
    w->reps = 5;
    if (w->decode_bytes > cap)
        w->decode_bytes = cap > 16 * MIB ? cap : 16 * MIB;
    if (w->stream_bytes > cap)
        w->stream_bytes = cap > 16 * MIB ? cap : 16 * MIB;
}

lle_status lle_calibration_key_current(int n_threads, bool quick, lle_calibration_key *out, lle_error *err)
{
    memset(out, 0, sizeof *out);
    if (n_threads > 4096)
        return lle_fail(err, LLE_ERR_INVALID, "threads: %d is too many", n_threads);
    lle_cpu_model(out->cpu_model, sizeof out->cpu_model);
    out->cpu_cores = lle_cpu_count();
    out->n_threads = n_threads > 0 ? n_threads : out->cpu_cores;
    lle_strlcpy(out->llama_release, lle_llama_release(), sizeof out->llama_release);
    lle_strlcpy(out->workload, quick ? "quick" : "full", sizeof out->workload);
    return LLE_OK;
}

/* Parse a comma-separated type list into c->types[].type (validated). */
static lle_status parse_types(const char *list, lle_calibration *c, lle_error *err)
{
    char buf[512];
    char *save = NULL;

    if (lle_strlcpy(buf, list, sizeof buf) >= sizeof buf)
        return lle_fail(err, LLE_ERR_INVALID, "types: list too long");
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        int t = lle_ggml_type_from_name(tok);
        if (t < 0)
            return lle_fail(err, LLE_ERR_INVALID, "types: unknown ggml type '%s'", tok);
        if (c->n_types == LLE_CALIB_MAX_TYPES)
            return lle_fail(err, LLE_ERR_INVALID, "types: at most %d types", LLE_CALIB_MAX_TYPES);
        for (size_t i = 0; i < c->n_types; i++)
            if (lle_ggml_type_from_name(c->types[i].type) == t)
                return lle_fail(err, LLE_ERR_INVALID, "types: '%s' is listed twice", tok);
        lle_strlcpy(c->types[c->n_types++].type, ggml_type_name((enum ggml_type)t), sizeof c->types[0].type);
    }
    if (c->n_types == 0)
        return lle_fail(err, LLE_ERR_INVALID, "types: the list is empty");
    return LLE_OK;
}

static void stamp(lle_calibration *c)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(c->measured_at, sizeof c->measured_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    c->measured_at_unix = (int64_t)ts.tv_sec;
}

static void note(const lle_calibrate_opts *o, const char *fmt, const char *arg)
{
    char line[128];

    if (o->progress == NULL)
        return;
    snprintf(line, sizeof line, fmt, arg);
    o->progress(line, o->progress_user);
}

/* The highest bandwidth measured: plain-C read, copy, or a ggml mat-vec. */
static void pick_peak_bandwidth(lle_calibration *c)
{
    c->peak_bandwidth_bytes_per_s = c->stream_read_bytes_per_s.best;
    lle_strlcpy(c->peak_bandwidth_from, "stream_read", sizeof c->peak_bandwidth_from);
    if (c->stream_copy_bytes_per_s.best > c->peak_bandwidth_bytes_per_s) {
        c->peak_bandwidth_bytes_per_s = c->stream_copy_bytes_per_s.best;
        lle_strlcpy(c->peak_bandwidth_from, "stream_copy", sizeof c->peak_bandwidth_from);
    }
    for (size_t i = 0; i < c->n_types; i++) {
        if (c->types[i].decode_bytes_per_s.best > c->peak_bandwidth_bytes_per_s) {
            c->peak_bandwidth_bytes_per_s = c->types[i].decode_bytes_per_s.best;
            snprintf(c->peak_bandwidth_from, sizeof c->peak_bandwidth_from, "ggml_matvec_%s", c->types[i].type);
        }
    }
}

static void set_shapes(lle_calibration *c, const lle_calib_workload *w, uint64_t llc)
{
    c->repetitions = w->reps;
    c->prefill_m = w->prefill_m;
    c->prefill_k = w->prefill_k;
    c->prefill_n = w->prefill_n;
    c->decode_k = w->decode_k;
    c->decode_weight_bytes_target = w->decode_bytes;
    c->stream_bytes = w->stream_bytes;
    c->llc_bytes = llc;
    lle_strlcpy(c->tool_version, lle_version(), sizeof c->tool_version);
}

lle_status lle_calibrate(const lle_calibrate_opts *o, lle_calibration *c, lle_error *err)
{
    lle_calib_workload w;
    uint64_t llc = lle_llc_bytes();
    double t0 = lle_now_s();
    lle_status st;

    memset(c, 0, sizeof *c);
    if (o->n_threads > 4096)
        return lle_fail(err, LLE_ERR_INVALID, "threads: %d is too many", o->n_threads);
    st = lle_calibration_key_current(o->n_threads, o->quick, &c->key, err);
    if (st == LLE_OK)
        st = parse_types(o->types != NULL ? o->types : DEFAULT_TYPES, c, err);
    if (st == LLE_OK)
        st = lle_runtime_init(err);
    if (st != LLE_OK)
        return st;
    lle_calib_workload_init(&w, o->quick, llc, lle_mem_available_bytes());
    set_shapes(c, &w, llc);
    note(o, "memory bandwidth (%s)", "plain C read + copy");
    st = lle_stream_bench(w.stream_bytes, c->key.n_threads, w.reps, &c->stream_read_bytes_per_s,
                          &c->stream_copy_bytes_per_s, err);
    for (size_t i = 0; st == LLE_OK && i < c->n_types; i++) {
        lle_calibration_type *t = &c->types[i];
        lle_gemm_result g;
        note(o, "ggml mul_mat %s", t->type);
        st = lle_gemm_bench(lle_ggml_type_from_name(t->type), &w, c->key.n_threads, &g, c->backend_description,
                            sizeof c->backend_description, err);
        lle_strlcpy(t->weight_buffer, g.weight_buffer, sizeof t->weight_buffer);
        t->prefill_flops_per_s = g.prefill_flops_per_s;
        t->decode_flops_per_s = g.decode_flops_per_s;
        t->decode_bytes_per_s = g.decode_bytes_per_s;
    }
    if (st != LLE_OK)
        return st;
    pick_peak_bandwidth(c);
    stamp(c);
    c->duration_s = lle_now_s() - t0;
    return LLE_OK;
}
