/* run.c — `llm-efficiency run single`: parse flags into an lle_run_config, run
 * the experiment with a TTY-only progress bar, save the result JSON into the
 * results directory, and print a table (or the JSON with --json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char RUN_USAGE[] =
    "usage: llm-efficiency run single (--model FILE | --preset NAME) [options]\n"
    "\n"
    "Run one measured experiment in-process through llama.cpp.\n"
    "\n"
    "model:\n"
    "  --model FILE              GGUF model file\n"
    "  --preset NAME             synthesised preset (cached), see `model presets`\n"
    "  --type TYPE               weight type of the preset model (default q4_k_m)\n"
    "workload:\n"
    "  --prompts N               number of prompts (default 8)\n"
    "  --max-input-tokens N      synthetic prompt length in tokens (default 128)\n"
    "  --max-output-tokens N     tokens generated per prompt, EOS ignored (default 64)\n"
    "  --seed N                  prompt seed (default 42)\n"
    "engine:\n"
    "  --threads N               CPU threads (default: all cores)\n"
    "  --ctx N                   context size (default: input + output tokens)\n"
    "output:\n"
    "  --results-dir DIR         where the result JSON is written (default ./results)\n"
    "  --no-save                 do not write the result file\n"
    "  --json                    print the full result object on stdout\n"
    "  -q, --quiet               errors only;  -v, --verbose  more log output\n"
    "  -h, --help                this help\n";

typedef struct run_opts {
    lle_run_config cfg;
    const char *results_dir;
    bool json;
    bool save;
} run_opts;

enum { OPT_MODEL = 256, OPT_PRESET, OPT_TYPE, OPT_PROMPTS, OPT_MAXIN, OPT_MAXOUT, OPT_SEED, OPT_THREADS,
       OPT_CTX, OPT_RESULTS, OPT_NOSAVE, OPT_JSON };

static const struct option RUN_OPTIONS[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"preset", required_argument, NULL, OPT_PRESET},
    {"type", required_argument, NULL, OPT_TYPE},
    {"prompts", required_argument, NULL, OPT_PROMPTS},
    {"max-input-tokens", required_argument, NULL, OPT_MAXIN},
    {"max-output-tokens", required_argument, NULL, OPT_MAXOUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"ctx", required_argument, NULL, OPT_CTX},
    {"results-dir", required_argument, NULL, OPT_RESULTS},
    {"no-save", no_argument, NULL, OPT_NOSAVE},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool set_int(const char *flag, long long min, long long max, int *dst)
{
    long long v;

    if (!cli_parse_int(flag, optarg, min, max, &v))
        return false;
    *dst = (int)v;
    return true;
}

/* Returns -1 to continue, else an exit code. */
static int parse_one(int c, run_opts *o)
{
    switch (c) {
    case OPT_MODEL: o->cfg.model_path = optarg; break;
    case OPT_PRESET: o->cfg.preset = optarg; break;
    case OPT_TYPE: o->cfg.preset_type = optarg; break;
    case OPT_PROMPTS: return set_int("--prompts", 1, 1000000, &o->cfg.n_prompts) ? -1 : CLI_USAGE;
    case OPT_MAXIN: return set_int("--max-input-tokens", 1, 1 << 24, &o->cfg.max_input_tokens) ? -1 : CLI_USAGE;
    case OPT_MAXOUT:
        return set_int("--max-output-tokens", 1, 1 << 24, &o->cfg.max_output_tokens) ? -1 : CLI_USAGE;
    case OPT_SEED: return cli_parse_u64("--seed", optarg, &o->cfg.seed) ? -1 : CLI_USAGE;
    case OPT_THREADS: return set_int("--threads", 1, 4096, &o->cfg.n_threads) ? -1 : CLI_USAGE;
    case OPT_CTX: return set_int("--ctx", 1, 1 << 24, &o->cfg.n_ctx) ? -1 : CLI_USAGE;
    case OPT_RESULTS: o->results_dir = optarg; break;
    case OPT_NOSAVE: o->save = false; break;
    case OPT_JSON: o->json = true; break;
    case 'q': cli_verbosity = 0; cli_apply_verbosity(); break;
    case 'v': cli_verbosity++; cli_apply_verbosity(); break;
    case 'h': fputs(RUN_USAGE, stdout); return CLI_OK;
    default: cli_errorf("run single: bad option (see llm-efficiency run single --help)"); return CLI_USAGE;
    }
    return -1;
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    int c;

    lle_run_config_init(&o->cfg);
    o->results_dir = "results";
    o->save = true;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qvh", RUN_OPTIONS, NULL)) != -1) {
        int rc;
        if (c == '?') {
            cli_errorf("run single: unknown or incomplete option '%s'", argv[optind - 1]);
            return CLI_USAGE;
        }
        rc = parse_one(c, o);
        if (rc >= 0)
            return rc;
    }
    if (optind < argc) {
        cli_errorf("run single: unexpected argument '%s'", argv[optind]);
        return CLI_USAGE;
    }
    if ((o->cfg.model_path == NULL) == (o->cfg.preset == NULL)) {
        cli_errorf("run single: give exactly one of --model FILE or --preset NAME");
        return CLI_USAGE;
    }
    return -1;
}

typedef struct progress_state {
    double t0;
    bool tty;
} progress_state;

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_progress(int done, int total, double tok_s, void *user)
{
    progress_state *p = user;
    double el = wall_now() - p->t0;
    double eta = done > 0 ? el / done * (total - done) : 0.0;
    int width = 24, fill = total > 0 ? done * width / total : 0;

    if (!p->tty)
        return;
    fprintf(stderr, "\r[%.*s%*s] %d/%d prompts  %.1f tok/s  %.0fs elapsed  ETA %.0fs ", fill,
            "########################", width - fill, "", done, total, tok_s, el, eta);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static void print_stats_row(const char *name, const lle_stats *s, double scale)
{
    printf("  %-6s %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n", name, s->mean * scale, s->p50 * scale,
           s->p90 * scale, s->p99 * scale, s->min * scale, s->max * scale);
}

static void print_table(const lle_run_result *r, const char *saved)
{
    printf("experiment %s  [%s]\n", r->id, r->status);
    printf("  model      %s (%s, %s, %.2fB params, %.1f MiB)\n", r->model_path, r->model.arch,
           r->model.file_type, (double)r->model.n_params / 1e9, (double)r->model_bytes / 1048576.0);
    printf("  workload   %zu requests x %d input + %d output tokens, %d threads, ctx %d\n", r->n_requests,
           r->config.max_input_tokens, r->config.max_output_tokens, r->n_threads, r->n_ctx);
    printf("\n  %-26s %14s\n", "metric", "value");
    printf("  %-26s %14llu\n", "input tokens", (unsigned long long)r->total_input_tokens);
    printf("  %-26s %14llu\n", "output tokens", (unsigned long long)r->total_output_tokens);
    printf("  %-26s %14.3f\n", "wall time (s)", r->wall_s);
    printf("  %-26s %14.3f\n", "prefill time (s)", r->prefill_s);
    printf("  %-26s %14.3f\n", "decode time (s)", r->decode_s);
    printf("  %-26s %14.2f\n", "prefill tokens/s", r->prefill_tok_s);
    printf("  %-26s %14.2f\n", "decode tokens/s", r->decode_tok_s);
    printf("  %-26s %14.2f\n", "total tokens/s", r->total_tok_s);
    printf("  %-26s %14.3f\n", "requests/s", r->requests_per_s);
    printf("  %-26s %14.1f\n", "peak RSS (MiB)", (double)r->peak_rss_bytes / 1048576.0);
    printf("  %-26s %14.1f\n", "KV cache (MiB)", (double)r->kv_cache_bytes / 1048576.0);
    printf("\n  %-6s %10s %10s %10s %10s %10s %10s\n", "ms", "mean", "p50", "p90", "p99", "min", "max");
    print_stats_row("TTFT", &r->ttft, 1e3);
    print_stats_row("TPOT", &r->tpot, 1e3);
    print_stats_row("ITL", &r->itl, 1e3);
    print_stats_row("E2E", &r->e2e, 1e3);
    if (saved != NULL)
        printf("\n  saved to %s\n", saved);
}

static int report(const run_opts *o, const lle_run_result *r)
{
    char saved[4200] = "";
    lle_error err = {0};
    int rc = CLI_OK;

    if (o->save && lle_run_result_save(r, o->results_dir, saved, sizeof saved, &err) != LLE_OK)
        rc = cli_fail(&err);
    if (o->json) {
        char *js = lle_run_result_to_json(r, true);
        if (js == NULL) {
            cli_errorf("out of memory");
            return CLI_FAILED;
        }
        puts(js);
        free(js);
    } else {
        print_table(r, saved[0] != '\0' ? saved : NULL);
    }
    return rc;
}

static int run_single(int argc, char **argv)
{
    run_opts o;
    progress_state ps;
    lle_run_result *r = NULL;
    lle_error err = {0};
    lle_status st;
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0)
        return rc;
    ps.t0 = wall_now();
    ps.tty = isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL && cli_verbosity > 0;
    cli_install_signals();
    st = lle_run_single(&o.cfg, on_progress, &ps, &cli_interrupted, &r, &err);
    if (r != NULL)
        rc = report(&o, r);
    if (st != LLE_OK)
        rc = cli_fail(&err);
    lle_run_result_free(r);
    return rc;
}

int cli_run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(RUN_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "single") == 0)
        return run_single(argc - 1, argv + 1);
    cli_errorf("run: unknown suite '%s' (available: single)", argv[1]);
    return CLI_USAGE;
}
