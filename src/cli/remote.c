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

enum kind { K_STR, K_INT, K_U64, K_FLOAT, K_DOUBLE, K_SPECIAL };

typedef struct flag_spec {
    const char *name;
    enum kind kind;
    size_t off;
    double min, max;
} flag_spec;

#define CFG(f) offsetof(lle_remote_config, f)
#define BIG    16777216.0
#define DAY    86400.0

static const flag_spec FLAGS[] = {
    {"base-url", K_STR, CFG(base_url), 0, 0},
    {"model-name", K_STR, CFG(model_name), 0, 0},
    {"endpoint", K_STR, CFG(endpoint), 0, 0},
    {"api-key-env", K_STR, CFG(api_key_env), 0, 0},
    {"extra-body", K_STR, CFG(extra_body), 0, 0},
    {"ca-file", K_STR, CFG(ca_file), 0, 0},
    {"connect-timeout", K_DOUBLE, CFG(connect_timeout_s), 0.001, DAY},
    {"first-byte-timeout", K_DOUBLE, CFG(first_byte_timeout_s), 0.001, DAY},
    {"idle-timeout", K_DOUBLE, CFG(idle_timeout_s), 0.001, DAY},
    {"total-timeout", K_DOUBLE, CFG(total_timeout_s), 0.001, DAY},
    {"tokenizer", K_STR, CFG(tokenizer), 0, 0},
    {"max-output-tokens", K_INT, CFG(max_output_tokens), 1, BIG},
    {"min-output-tokens", K_INT, CFG(min_output_tokens), 0, BIG},
    {"temperature", K_FLOAT, CFG(temperature), 0, 100},
    {"seed", K_U64, CFG(seed), 0, 0},
    {"requests", K_INT, CFG(n_requests), 1, 10000000},
    {"prompts", K_INT, CFG(n_requests), 1, 10000000},
    {"max-input-tokens", K_INT, CFG(max_input_tokens), 1, BIG},
    {"min-input-tokens", K_INT, CFG(min_input_tokens), 1, BIG},
    {"prompt-file", K_STR, CFG(prompt_file), 0, 0},
    {"prompt-format", K_STR, CFG(prompt_format), 0, 0},
    {"prompt-order", K_STR, CFG(prompt_order), 0, 0},
    {"load", K_STR, CFG(load), 0, 0},
    {"concurrency", K_INT, CFG(concurrency), 1, 100000},
    {"rate", K_DOUBLE, CFG(rate), 1e-6, 1e6},
    {"burstiness", K_DOUBLE, CFG(burstiness), 1e-3, 1000},
    {"burst-size", K_INT, CFG(burst_size), 1, 10000000},
    {"burst-interval", K_DOUBLE, CFG(burst_interval_s), 1e-6, DAY},
    {"trace", K_STR, CFG(trace_file), 0, 0},
    {"max-inflight", K_INT, CFG(max_inflight), 1, 10000000},
    {"duration", K_DOUBLE, CFG(duration_s), 0.001, 30 * DAY},
    {"warmup", K_INT, CFG(warmup), 0, 100000},
    {"slo-ttft", K_DOUBLE, CFG(slo_ttft_s), 0, DAY},
    {"slo-tpot", K_DOUBLE, CFG(slo_tpot_s), 0, DAY},
    {"slo-e2e", K_DOUBLE, CFG(slo_e2e_s), 0, DAY},
    {"dcgm-url", K_STR, CFG(dcgm_url), 0, 0},
    {"dcgm-timeout", K_DOUBLE, CFG(dcgm_timeout_s), 0.001, 600},
    {"engine", K_SPECIAL, 0, 0, 0},
    {"no-stream", K_SPECIAL, 0, 0, 0},
    {"insecure", K_SPECIAL, 0, 0, 0},
    {"no-ignore-eos", K_SPECIAL, 0, 0, 0},
    {"results-dir", K_SPECIAL, 0, 0, 0},
    {"no-save", K_SPECIAL, 0, 0, 0},
    {"json", K_SPECIAL, 0, 0, 0},
    {"sweep", K_SPECIAL, 0, 0, 0},
    {"saturation-tol", K_SPECIAL, 0, 0, 0},
};
#define N_FLAGS (sizeof FLAGS / sizeof FLAGS[0])

static bool set_value(const flag_spec *f, const char *flag, const char *val, lle_remote_config *cfg)
{
    char *base = (char *)cfg + f->off;
    long long ll;
    double d;

    switch (f->kind) {
    case K_STR:
        *(const char **)(void *)base = val;
        return true;
    case K_INT:
        if (!cli_parse_int(flag, val, (long long)f->min, (long long)f->max, &ll))
            return false;
        *(int *)(void *)base = (int)ll;
        return true;
    case K_U64:
        return cli_parse_u64(flag, val, (uint64_t *)(void *)base);
    case K_FLOAT:
        if (!cli_parse_double(flag, val, f->min, f->max, &d))
            return false;
        *(float *)(void *)base = (float)d;
        return true;
    case K_DOUBLE:
        return cli_parse_double(flag, val, f->min, f->max, (double *)(void *)base);
    case K_SPECIAL:
        break;
    }
    return false;
}

static bool takes_value(const flag_spec *f)
{
    static const char *const VALUED[] = {"engine", "results-dir", "sweep", "saturation-tol", NULL};

    if (f->kind != K_SPECIAL)
        return true;
    for (const char *const *v = VALUED; *v != NULL; v++)
        if (strcmp(f->name, *v) == 0)
            return true;
    return false;
}

static bool set_special(const char *name, const char *val, remote_opts *o)
{
    if (strcmp(name, "engine") == 0 && strcmp(val, "openai") != 0) {
        cli_errorf("--engine: '%s' is not handled here (openai)", val);
        return false;
    }
    if (strcmp(name, "saturation-tol") == 0)
        return cli_parse_double("--saturation-tol", val, 1e-6, 0.999, &o->tol);
    if (strcmp(name, "no-stream") == 0)
        o->cfg.stream = false;
    else if (strcmp(name, "insecure") == 0)
        o->cfg.tls_verify = false;
    else if (strcmp(name, "no-ignore-eos") == 0)
        o->cfg.ignore_eos = false;
    else if (strcmp(name, "results-dir") == 0)
        o->results_dir = val;
    else if (strcmp(name, "no-save") == 0)
        o->save = false;
    else if (strcmp(name, "json") == 0)
        o->json = true;
    else if (strcmp(name, "sweep") == 0)
        o->sweep = val;
    return true;
}

/* One "--name [value]" or "--name=value" at argv[*i]; -1 continue, else exit code. */
static int parse_flag(int argc, char **argv, int *i, remote_opts *o)
{
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    char flag[64];

    for (size_t k = 0; k < N_FLAGS; k++) {
        const flag_spec *f = &FLAGS[k];
        const char *val = NULL;
        if (strlen(f->name) != len || strncmp(f->name, arg, len) != 0)
            continue;
        snprintf(flag, sizeof flag, "--%s", f->name);
        if (takes_value(f)) {
            val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
            if (val == NULL) {
                cli_errorf("%s: a value is required", flag);
                return CLI_USAGE;
            }
        } else if (eq != NULL) {
            cli_errorf("%s takes no value", flag);
            return CLI_USAGE;
        }
        if (f->kind == K_SPECIAL)
            return set_special(f->name, val, o) ? -1 : CLI_USAGE;
        return set_value(f, flag, val, &o->cfg) ? -1 : CLI_USAGE;
    }
    cli_errorf("run single --engine openai: unknown option '--%.*s' (see --engine openai --help)", (int)len, arg);
    return CLI_USAGE;
}

static int parse_args(int argc, char **argv, remote_opts *o)
{
    lle_error err = {0};

    lle_remote_config_init(&o->cfg);
    o->results_dir = "results";
    o->save = true;
    o->json = false;
    o->sweep = NULL;
    o->tol = 0.05;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = -1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(REMOTE_USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cli_verbosity = 0;
            cli_apply_verbosity();
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            cli_verbosity++;
            cli_apply_verbosity();
        } else if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            rc = parse_flag(argc, argv, &i, o);
        } else {
            cli_errorf("run single: unexpected argument '%s'", a);
            rc = CLI_USAGE;
        }
        if (rc >= 0)
            return rc;
    }
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

static void print_stats_row(const char *name, const lle_stats *s)
{
    printf("  %-9s %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n", name, s->mean * 1e3, s->p50 * 1e3, s->p90 * 1e3,
           s->p99 * 1e3, s->min * 1e3, s->max * 1e3);
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
    printf("  %-28s %14.3f\n", "window (s)", r->wall_s);
    if (r->offered_rate > 0)
        printf("  %-28s %14.3f\n", "offered rate (req/s)", r->offered_rate);
    printf("  %-28s %14.3f\n", "send rate (req/s)", r->send_rate);
    printf("  %-28s %14.3f\n", "completion rate (req/s)", r->completion_rate);
    printf("  %-28s %14.2f\n", "output tokens/s", r->output_tok_s);
    printf("  %-28s %14.2f\n", "total tokens/s", r->total_tok_s);
    printf("  %-28s %14.3f\n", "goodput (req/s)", r->goodput_rps);
    printf("  %-28s %14.3f\n", "SLO attainment", r->slo_attainment);
    printf("  %-28s %14.0f\n", "max concurrency", r->max_concurrency);
    if (r->energy.available)
        printf("  %-28s %14.3f  (%s, %d GPUs)\n", "server energy (J)", r->energy.energy_j, r->energy.source,
               r->energy.n_gpus);
    else
        printf("  server energy: unavailable (%s)\n", r->energy.reason);
    if (r->n_usage_compared > 0)
        printf("  token counts: %zu of %zu compared requests differ from the local tokenizer (mean |diff| %.2f)\n",
               r->n_usage_mismatch, r->n_usage_compared, r->usage_abs_diff_mean);
    printf("\n  %-9s %10s %10s %10s %10s %10s %10s\n", "ms", "mean", "p50", "p90", "p99", "min", "max");
    print_stats_row("TTFT", &r->ttft);
    print_stats_row("TPOT", &r->tpot);
    print_stats_row("ITL", &r->itl);
    print_stats_row("E2E", &r->e2e);
    print_stats_row("queue", &r->queue);
    print_stats_row("chunk gap", &r->chunk_gap);
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
    if (o->json) {
        char *js = lle_remote_result_to_json(r, true);
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
