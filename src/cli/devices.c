/* devices.c — the `devices` subcommand (alias `doctor`): this machine (CPU,
 * memory, the llama.cpp backends loaded), the peaks its last calibration
 * measured (age, source, per weight type) and the energy sources; with
 * --calibrate it measures the peaks first and caches them. Uses only the
 * public library API (lle/device.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lle/device.h"

static const char USAGE[] = "usage: llm-efficiency devices [--calibrate] [--threads N] [--types LIST] [--json]\n"
                            "       (alias: llm-efficiency doctor)\n"
                            "\n"
                            "Show this machine (CPU, memory, llama.cpp backends), the peak FLOP/s and memory\n"
                            "bandwidth its last calibration measured (MFU/MBU are divided by them), and the\n"
                            "energy sources.\n"
                            "\n"
                            "options:\n"
                            "  --calibrate    measure now and cache: FLOP/s per weight type (ggml GEMM at prefill\n"
                            "                 shape, mat-vec at decode shape) and bandwidth (plain-C read/copy and\n"
                            "                 the ggml mat-vec); about 15-30 s\n"
                            "  --threads N    threads to calibrate with, or whose calibration to show\n"
                            "                 (default: all cores)\n"
                            "  --types LIST   with --calibrate: comma-separated ggml weight types (default:\n"
                            "                 f32,f16,bf16,q8_0,q4_0,q5_0,q2_K,q3_K,q4_K,q5_K,q6_K)\n"
                            "  --json         one JSON object on stdout\n"
                            "\n"
                            "environment: LLE_CACHE_DIR (cache location), LLE_CALIBRATE_QUICK=1 (tiny shapes for\n"
                            "tests: cached under its own key, never taken for real peaks)\n";

typedef struct devices_args {
    bool calibrate, json, quick;
    int n_threads; /* 0: all cores */
    const char *types;
} devices_args;

/* 0 ok, 1 help shown, -1 usage error (printed). */
static int parse_args(int argc, char **argv, devices_args *a)
{
    const char *q = getenv("LLE_CALIBRATE_QUICK");

    memset(a, 0, sizeof *a);
    a->quick = q != NULL && strcmp(q, "1") == 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *val = NULL;
        long long n = 0;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(USAGE, stdout);
            return 1;
        } else if (strcmp(s, "--calibrate") == 0) {
            a->calibrate = true;
        } else if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--threads") == 0 || strncmp(s, "--threads=", 10) == 0) {
            val = s[9] == '=' ? s + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!cli_parse_int("--threads", val, 1, 4096, &n))
                return -1;
            a->n_threads = (int)n;
        } else if (strcmp(s, "--types") == 0 || strncmp(s, "--types=", 8) == 0) {
            a->types = s[7] == '=' ? s + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (a->types == NULL || a->types[0] == '\0') {
                cli_errorf("--types: a comma-separated list of ggml types is required");
                return -1;
            }
        } else {
            if (s[0] == '-')
                cli_errorf("unknown option '%s' (see llm-efficiency devices --help)", s);
            else
                cli_errorf("unexpected argument '%s' (see llm-efficiency devices --help)", s);
            return -1;
        }
    }
    if (a->types != NULL && !a->calibrate) {
        cli_errorf("--types only applies with --calibrate");
        return -1;
    }
    return 0;
}

static void on_progress(const char *step, void *user)
{
    (void)user;
    if (cli_verbosity >= 1)
        fprintf(stderr, "calibrating: %s\n", step);
}

static int calibrate(const devices_args *a)
{
    lle_calibrate_opts o = {a->n_threads, a->quick, a->types, on_progress, NULL};
    lle_calibration *c = malloc(sizeof *c);
    lle_error err = {0};
    char path[4200];
    int rc = CLI_OK;

    if (c == NULL) {
        cli_errorf("out of memory");
        return CLI_FAILED;
    }
    if (lle_calibrate(&o, c, &err) != LLE_OK || lle_calibration_save(c, NULL, path, sizeof path, &err) != LLE_OK)
        rc = cli_fail(&err);
    else if (cli_verbosity >= 1)
        fprintf(stderr, "calibrated in %.1f s; cached in %s\n", c->duration_s, path);
    free(c);
    return rc;
}

static double gib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0 * 1024.0);
}
static double mib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0);
}

static void print_machine(const lle_machine_info *m)
{
    printf("machine\n");
    printf("  cpu             %s, %d cores\n", m->cpu_model, m->cpu_cores);
    if (m->memory_total_bytes > 0)
        printf("  memory          %.1f GiB\n", gib(m->memory_total_bytes));
    else
        printf("  memory          unknown\n");
    if (m->llc_bytes > 0)
        printf("  last-level cache %.0f MiB\n", mib(m->llc_bytes));
    printf("  llama.cpp       %s\n", m->llama_release);
    printf("backends (ggml devices)\n");
    for (size_t i = 0; i < m->n_devices; i++) {
        const lle_backend_device *d = &m->devices[i];
        printf("  %-15s %-5s %s", d->name, d->type, d->description);
        if (d->memory_total_bytes > 0)
            printf(" (%.1f GiB, %.1f GiB free)", gib(d->memory_total_bytes), gib(d->memory_free_bytes));
        putchar('\n');
    }
    if (m->n_devices == 0)
        printf("  none loaded\n");
}

/* "12 s", "5 min", "3 h", "2 days" */
static void age_text(double s, char *out, size_t size)
{
    if (s < 120.0)
        snprintf(out, size, "%.0f s", s);
    else if (s < 7200.0)
        snprintf(out, size, "%.0f min", s / 60.0);
    else if (s < 172800.0)
        snprintf(out, size, "%.0f h", s / 3600.0);
    else
        snprintf(out, size, "%.0f days", s / 86400.0);
}

static void print_calibration(const lle_devices_report *r, int n_threads_flag)
{
    const lle_calibration *c = &r->calibration;
    char age[32];

    printf("calibration (%d threads, %s workload)\n", r->key.n_threads, r->key.workload);
    if (!r->have_calibration) {
        printf("  none: %s\n", r->calibration_note);
        printf("  measure with: llm-efficiency devices --calibrate");
        if (n_threads_flag > 0)
            printf(" --threads %d", n_threads_flag);
        printf("\n  MFU and MBU are reported as unknown until then (or set the peaks in the configuration)\n");
        return;
    }
    age_text(difftime(time(NULL), (time_t)c->measured_at_unix), age, sizeof age);
    printf("  source          calibrated %s (%s ago, took %.1f s), %s\n", c->measured_at, age, c->duration_s,
           r->calibration_path);
    printf("  measured on     %s\n", c->backend_description);
    if (strcmp(c->key.workload, "full") != 0)
        printf("  note            %s workload: tiny shapes for tests, not real peaks\n", c->key.workload);
    printf("  peak bandwidth  %.2f GB/s (from %s)\n", c->peak_bandwidth_bytes_per_s / 1e9, c->peak_bandwidth_from);
    printf("  plain C         read %.2f GB/s, copy %.2f GB/s (best of %d; %.0f MiB buffer)\n",
           c->stream_read_bytes_per_s.best / 1e9, c->stream_copy_bytes_per_s.best / 1e9, c->repetitions,
           mib(c->stream_bytes));
    printf("  ggml mul_mat    prefill %dx%d x %d tokens; decode %.0f MiB of weights x 1 token\n", c->prefill_m,
           c->prefill_k, c->prefill_n, mib(c->decode_weight_bytes_target));
    printf("  %-8s %-16s %16s %16s %13s\n", "type", "weight buffer", "prefill GFLOP/s", "decode GFLOP/s",
           "decode GB/s");
    for (size_t i = 0; i < c->n_types; i++) {
        const lle_calibration_type *t = &c->types[i];
        printf("  %-8s %-16s %16.1f %16.2f %13.2f\n", t->type, t->weight_buffer, t->prefill_flops_per_s.best / 1e9,
               t->decode_flops_per_s.best / 1e9, t->decode_bytes_per_s.best / 1e9);
    }
}

static int print_report(const lle_devices_report *r, const devices_args *a)
{
    char *text;

    if (a->json) {
        text = lle_devices_report_to_json(r);
        if (text == NULL) {
            cli_errorf("out of memory");
            return CLI_FAILED;
        }
        printf("%s\n", text);
        free(text);
        return CLI_OK;
    }
    print_machine(&r->machine);
    print_calibration(r, a->n_threads);
    text = lle_energy_sources_text();
    printf("energy sources\n%s", text != NULL ? text : "  (out of memory)\n");
    free(text);
    return CLI_OK;
}

int cli_devices(int argc, char **argv)
{
    devices_args a;
    lle_devices_report *r = NULL;
    lle_error err = {0};
    int rc = parse_args(argc, argv, &a);

    if (rc != 0)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (a.calibrate)
        rc = calibrate(&a);
    if (rc != CLI_OK)
        return rc;
    r = malloc(sizeof *r);
    if (r == NULL) {
        cli_errorf("out of memory");
        return CLI_FAILED;
    }
    if (lle_devices_report_get(a.n_threads, a.quick, NULL, r, &err) != LLE_OK)
        rc = cli_fail(&err);
    else
        rc = print_report(r, &a);
    free(r);
    return rc;
}
