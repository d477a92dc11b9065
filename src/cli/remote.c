/* remote.c — `llm-efficiency run single --engine openai`: parse flags into an
 * lle_remote_config, measure an OpenAI-compatible server under load (one
 * experiment, or a --sweep over load levels that stops at saturation), save
 * every result document into the results directory, and print a table (or
 * the JSON with --json). src/cli/run.c hands `run single` over to
 * cli_run_remote() when it sees --engine openai. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lle/remote.h"

int cli_run_remote(int argc, char **argv);

static const char REMOTE_USAGE[] =
    "usage: llm-efficiency run single --engine openai --base-url URL --model-name NAME [options]\n"
    "\n"
    "Measure an OpenAI-compatible server (vLLM, TGI, SGLang, llama-server, Ollama) under load.\n"
    "\n"
    "server:\n"
    "  --base-url URL            e.g. http://127.0.0.1:8080/v1 (no credentials in it)\n"
    "  --model-name NAME         the \"model\" of every request\n"
    "  --endpoint E              completions (default) | chat\n"
    "  --api-key-env VAR         send the key held by environment variable VAR (never stored)\n"
    "  --extra-body JSON         object merged into every request body\n"
    "  --no-stream               one JSON response per request instead of SSE streaming\n"
    "  --insecure                do not verify the TLS certificate;  --ca-file FILE  CA bundle\n"
    "  --connect-timeout S (10), --first-byte-timeout S (120), --idle-timeout S (30),\n"
    "  --total-timeout S (600)   every request ends within these\n"
    "tokens and generation:\n"
    "  --tokenizer FILE          GGUF or ggml-vocab-*.gguf for local token counts\n"
    "  --max-output-tokens N (64), --min-output-tokens N, --no-ignore-eos, --temperature X, --seed N\n"
    "workload:\n"
    "  --requests N              measured requests (default 32; alias --prompts)\n"
    "  --max-input-tokens N (128), --min-input-tokens N   synthetic prompt lengths\n"
    "  --prompt-file FILE, --prompt-format auto|jsonl|sharegpt, --prompt-order as_given|sorted|shuffled\n"
    "load:\n"
    "  --load MODE               closed (default) | poisson | gamma | constant | burst | trace\n"
    "  --concurrency N           closed: simultaneous users (default 1)\n"
    "  --rate R                  poisson | gamma | constant: requests per second\n"
    "  --burstiness X            gamma shape (1 = Poisson, < 1 burstier)\n"
    "  --burst-size N, --burst-interval S   burst: N requests every S seconds\n"
    "  --trace FILE              trace: JSONL {\"t_s\", \"input_tokens\", \"output_tokens\"[, \"prompt\"]}\n"
    "  --max-inflight N          open loop: cap on requests in flight (default none)\n"
    "  --duration S              stop issuing requests after S seconds\n"
    "  --warmup N                unmeasured requests first (default 1)\n"
    "  --sweep V1,V2,...         one experiment per concurrency (closed) or rate (open),\n"
    "                            stopping at saturation;  --saturation-tol X (default 0.05)\n"
    "goodput SLOs:  --slo-ttft S, --slo-tpot S, --slo-e2e S\n"
    "energy:  --dcgm-url URL     NVIDIA DCGM exporter /metrics (else energy is unavailable)\n"
    "output:\n"
    "  --results-dir DIR (./results), --no-save, --json, -q, -v, -h\n";

typedef struct remote_opts {
    lle_remote_config cfg;
    const char *results_dir;
    const char *sweep;
    double tol;
    bool json, save;
} remote_opts;

#define CFG(f) offsetof(remote_opts, cfg.f)
#define OPT(f) offsetof(remote_opts, f)
#define BIG    16777216.0
#define DAY    86400.0

static const cli_flag FLAGS[] = {
    {"base-url", CLI_F_STR, CFG(base_url), 0, 0},
    {"model-name", CLI_F_STR, CFG(model_name), 0, 0},
    {"endpoint", CLI_F_STR, CFG(endpoint), 0, 0},
    {"api-key-env", CLI_F_STR, CFG(api_key_env), 0, 0},
    {"extra-body", CLI_F_STR, CFG(extra_body), 0, 0},
    {"ca-file", CLI_F_STR, CFG(ca_file), 0, 0},
    {"connect-timeout", CLI_F_DOUBLE, CFG(connect_timeout_s), 0.001, DAY},
    {"first-byte-timeout", CLI_F_DOUBLE, CFG(first_byte_timeout_s), 0.001, DAY},
    {"idle-timeout", CLI_F_DOUBLE, CFG(idle_timeout_s), 0.001, DAY},
    {"total-timeout", CLI_F_DOUBLE, CFG(total_timeout_s), 0.001, DAY},
    {"tokenizer", CLI_F_STR, CFG(tokenizer), 0, 0},
    {"max-output-tokens", CLI_F_INT, CFG(max_output_tokens), 1, BIG},
    {"min-output-tokens", CLI_F_INT, CFG(min_output_tokens), 0, BIG},
    {"temperature", CLI_F_FLOAT, CFG(temperature), 0, 100},
    {"seed", CLI_F_U64, CFG(seed), 0, 0},
    {"requests", CLI_F_INT, CFG(n_requests), 1, 10000000},
    {"prompts", CLI_F_INT, CFG(n_requests), 1, 10000000},
    {"max-input-tokens", CLI_F_INT, CFG(max_input_tokens), 1, BIG},
    {"min-input-tokens", CLI_F_INT, CFG(min_input_tokens), 1, BIG},
    {"prompt-file", CLI_F_STR, CFG(prompt_file), 0, 0},
    {"prompt-format", CLI_F_STR, CFG(prompt_format), 0, 0},
    {"prompt-order", CLI_F_STR, CFG(prompt_order), 0, 0},
    {"load", CLI_F_STR, CFG(load), 0, 0},
    {"concurrency", CLI_F_INT, CFG(concurrency), 1, 100000},
    {"rate", CLI_F_DOUBLE, CFG(rate), 1e-6, 1e6},
    {"burstiness", CLI_F_DOUBLE, CFG(burstiness), 1e-3, 1000},
    {"burst-size", CLI_F_INT, CFG(burst_size), 1, 10000000},
    {"burst-interval", CLI_F_DOUBLE, CFG(burst_interval_s), 1e-6, DAY},
    {"trace", CLI_F_STR, CFG(trace_file), 0, 0},
    {"max-inflight", CLI_F_INT, CFG(max_inflight), 1, 10000000},
    {"duration", CLI_F_DOUBLE, CFG(duration_s), 0.001, 30 * DAY},
    {"warmup", CLI_F_INT, CFG(warmup), 0, 100000},
    {"slo-ttft", CLI_F_DOUBLE, CFG(slo_ttft_s), 0, DAY},
    {"slo-tpot", CLI_F_DOUBLE, CFG(slo_tpot_s), 0, DAY},
    {"slo-e2e", CLI_F_DOUBLE, CFG(slo_e2e_s), 0, DAY},
    {"dcgm-url", CLI_F_STR, CFG(dcgm_url), 0, 0},
    {"dcgm-timeout", CLI_F_DOUBLE, CFG(dcgm_timeout_s), 0.001, 600},
    {"engine", CLI_F_CUSTOM, 0, 0, 0},
    {"no-stream", CLI_F_FALSE, CFG(stream), 0, 0},
    {"insecure", CLI_F_FALSE, CFG(tls_verify), 0, 0},
    {"no-ignore-eos", CLI_F_FALSE, CFG(ignore_eos), 0, 0},
    {"results-dir", CLI_F_STR, OPT(results_dir), 0, 0},
    {"no-save", CLI_F_FALSE, OPT(save), 0, 0},
    {"json", CLI_F_TRUE, OPT(json), 0, 0},
    {"sweep", CLI_F_STR, OPT(sweep), 0, 0},
    {"saturation-tol", CLI_F_DOUBLE, OPT(tol), 1e-6, 0.999},
};

/* The one CLI_F_CUSTOM flag, --engine: run.c sent only openai here. */
static int set_custom(const char *name, const char *val, void *opts)
{
    (void)name;
    (void)opts;
    if (strcmp(val, "openai") == 0)
        return -1;
    cli_errorf("--engine: '%s' is not handled here (openai)", val);
    return CLI_USAGE;
}

static const cli_flag_table REMOTE_FLAGS = {
    .flags = FLAGS,
    .n_flags = sizeof FLAGS / sizeof FLAGS[0],
    .command = "run single",
    .unknown = "run single --engine openai",
    .help = "--engine openai",
    .usage = REMOTE_USAGE,
    .custom = set_custom,
};

static int parse_args(int argc, char **argv, remote_opts *o)
{
    lle_error err = {0};
    int rc;

    lle_remote_config_init(&o->cfg);
    o->results_dir = "results";
    o->save = true;
    o->json = false;
    o->sweep = NULL;
    o->tol = 0.05;
    rc = cli_parse_args(&REMOTE_FLAGS, argc, argv, 1, o);
    if (rc >= 0)
        return rc;
    if (lle_remote_config_validate(&o->cfg, &err) != LLE_OK)
        return cli_fail(&err);
    return -1;
}

/* --sweep "1,2,4" into values (at most max). */
static bool parse_sweep(const char *list, double *v, size_t max, size_t *n)
{
    char buf[1024], *save = NULL;

    *n = 0;
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf) {
        cli_errorf("--sweep: list too long");
        return false;
    }
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= max) {
            cli_errorf("--sweep: at most %zu values", max);
            return false;
        }
        if (!cli_parse_double("--sweep", tok, 1e-6, 1e6, &v[(*n)++]))
            return false;
    }
    if (*n == 0)
        cli_errorf("--sweep: give a comma-separated list of values");
    return *n > 0;
}

typedef struct progress_state {
    double t0;
    bool tty;
} progress_state;

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_progress(int done, int total, double tok_s, void *user)
{
    progress_state *p = user;
    int width = 24, fill = total > 0 ? done * width / total : 0;

    if (!p->tty)
        return;
    fprintf(stderr, "\r[%.*s%*s] %d/%d requests  %.1f tok/s  %.0fs elapsed\033[K", fill, "########################",
            width - fill, "", done, total, tok_s, mono_now() - p->t0);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static void print_errors(const lle_remote_result *r)
{
    bool any = false;

    for (int c = 1; c < LLE_RC_COUNT; c++) {
        if (r->class_counts[c] == 0)
            continue;
        printf("%s%zu %s", any ? ", " : "  errors     ", r->class_counts[c],
               lle_remote_class_name((lle_remote_class)c));
        any = true;
    }
    if (any)
        putchar('\n');
}

static void print_table(const lle_remote_result *r, const char *saved)
{
    printf("experiment %s  [%s]\n", r->id, r->status);
    printf("  server     %s  model %s\n", r->base_url, r->model_name);
    printf("  requests   %zu sent, %zu ok, %zu failed, %zu in the window [%.3f, %.3f] s\n", r->n_requests, r->n_ok,
           r->n_failed, r->n_in_window, r->window_open_s, r->window_close_s);
    print_errors(r);
    printf("\n  %-28s %14s\n", "metric", "value");
    cli_print_value(28, "window (s)", 3, r->wall_s);
    if (r->offered_rate > 0)
        cli_print_value(28, "offered rate (req/s)", 3, r->offered_rate);
    cli_print_value(28, "send rate (req/s)", 3, r->send_rate);
    cli_print_value(28, "completion rate (req/s)", 3, r->completion_rate);
    cli_print_value(28, "output tokens/s", 2, r->output_tok_s);
    cli_print_value(28, "total tokens/s", 2, r->total_tok_s);
    cli_print_value(28, "goodput (req/s)", 3, r->goodput_rps);
    cli_print_value(28, "SLO attainment", 3, r->slo_attainment);
    cli_print_value(28, "max concurrency", 0, r->max_concurrency);
    if (r->energy.available)
        printf("  %-28s %14.3f  (%s, %d GPUs)\n", "server energy (J)", r->energy.energy_j, r->energy.source,
               r->energy.n_gpus);
    else
        printf("  server energy: unavailable (%s)\n", r->energy.reason);
    if (r->n_usage_compared > 0)
        printf("  token counts: %zu of %zu compared requests differ from the local tokenizer (mean |diff| %.2f)\n",
               r->n_usage_mismatch, r->n_usage_compared, r->usage_abs_diff_mean);
    printf("\n  %-9s %10s %10s %10s %10s %10s %10s\n", "ms", "mean", "p50", "p90", "p99", "min", "max");
    cli_print_stats_row(9, "TTFT", &r->ttft, 1e3);
    cli_print_stats_row(9, "TPOT", &r->tpot, 1e3);
    cli_print_stats_row(9, "ITL", &r->itl, 1e3);
    cli_print_stats_row(9, "E2E", &r->e2e, 1e3);
    cli_print_stats_row(9, "queue", &r->queue, 1e3);
    cli_print_stats_row(9, "chunk gap", &r->chunk_gap, 1e3);
    if (saved != NULL)
        printf("\n  saved to %s\n", saved);
}

static int report(const remote_opts *o, const lle_remote_result *r)
{
    char saved[4200] = "";
    lle_error err = {0};
    int rc = CLI_OK;

    if (o->save && lle_remote_result_save(r, o->results_dir, saved, sizeof saved, &err) != LLE_OK)
        rc = cli_fail(&err);
    if (!o->json)
        print_table(r, saved[0] != '\0' ? saved : NULL);
    else if (cli_print_json(lle_remote_result_to_json(r, true)) != CLI_OK)
        return CLI_FAILED;
    return rc;
}

static void print_sweep(lle_remote_result **rs, size_t n)
{
    printf("\nsweep   %10s %12s %12s %12s %12s %8s %s\n", "value", "done req/s", "out tok/s", "TTFT p50 ms",
           "TTFT p99 ms", "errors", "");
    for (size_t i = 0; i < n; i++)
        printf("        %10g %12.3f %12.2f %12.2f %12.2f %8zu %s\n", rs[i]->sweep_value, rs[i]->completion_rate,
               rs[i]->output_tok_s, rs[i]->ttft.p50 * 1e3, rs[i]->ttft.p99 * 1e3, rs[i]->n_failed,
               rs[i]->saturated ? "saturated" : "");
}

/* Enough descriptors for thousands of concurrent connections. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int run_sweep(remote_opts *o, progress_state *ps)
{
    double values[64];
    size_t n_values = 0, n = 0;
    lle_remote_result **rs = NULL;
    lle_error err = {0};
    lle_status st;
    int rc = CLI_OK;

    if (!parse_sweep(o->sweep, values, 64, &n_values))
        return CLI_USAGE;
    st = lle_remote_sweep(&o->cfg, values, n_values, o->tol, on_progress, ps, &cli_interrupted, &rs, &n, &err);
    for (size_t i = 0; i < n; i++) {
        int r = report(o, rs[i]);
        rc = r != CLI_OK ? r : rc;
    }
    if (!o->json && n > 0)
        print_sweep(rs, n);
    if (st != LLE_OK)
        rc = cli_fail(&err);
    lle_remote_results_free(rs, n);
    return rc;
}

int cli_run_remote(int argc, char **argv)
{
    remote_opts o;
    progress_state ps;
    lle_remote_result *r = NULL;
    lle_error err = {0};
    lle_status st;
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0)
        return rc;
    raise_fd_limit();
    ps.t0 = mono_now();
    ps.tty = isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL && cli_verbosity > 0;
    cli_install_signals();
    if (o.sweep != NULL)
        return run_sweep(&o, &ps);
    st = lle_remote_run(&o.cfg, on_progress, &ps, &cli_interrupted, &r, &err);
    if (r != NULL)
        rc = report(&o, r);
    if (st != LLE_OK)
        rc = cli_fail(&err);
    lle_remote_result_free(r);
    return rc;
}
