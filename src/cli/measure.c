/* measure.c — `llm-efficiency measure [options] -- CMD ARGS...`: run any
 * command (a vLLM script, a training step, a shell pipeline) inside one
 * energy window, like `perf stat` for energy: duration, energy per source
 * with its method, average and peak power, net energy over an idle baseline,
 * carbon, and the power time series; stored like an experiment. The command's
 * exit status is passed through (128 + N when signal N ended it, 127 when it
 * cannot be started). The report goes to stderr; --json prints the document
 * on stdout (the command's own stdout is not captured). SIGTERM and SIGHUP are
 * forwarded to the command; SIGINT reaches it from the terminal directly. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "lle/energy.h"

extern char **environ;

static const char MEASURE_USAGE[] =
    "usage: llm-efficiency measure [options] -- COMMAND [ARGS...]\n"
    "\n"
    "Run COMMAND and report its duration, energy per source (measured or estimated,\n"
    "and from what), average and peak power, net energy over an idle baseline and\n"
    "carbon. The command's exit status is passed through (128+N if signal N ended\n"
    "it, 127 if it cannot be started).\n"
    "\n"
    "options:\n"
    "  --json                  print the result document on stdout\n"
    "  -o, --output FILE       also write the document to FILE\n"
    "  --results-dir DIR       where results are stored (default ./results)\n"
    "  --no-save               do not store the result\n"
    "  --timeseries FILE       write the sampled time series as CSV (t_s,source,metric,value)\n"
    "  --interval S            sampler period in seconds (default 0.1; 0.01 to 60)\n"
    "  --sources LIST          source kinds to use: rapl,perf,nvml,amdsmi,estimate (default all)\n"
    "  --no-estimates          only counters; never estimate the CPU or RAM\n"
    "  --cpu-tdp W             TDP for the CPU estimate instead of the table look-up\n"
    "  --probe-time S          how long a CPU counter that does not move is watched before it\n"
    "                          is declared stuck and not used (default 0.1; 0 = no check)\n"
    "  --idle-baseline S       measure idle power for S seconds first (default 10; 0 = none)\n"
    "  --baseline-ttl S        reuse a cached baseline younger than S seconds (default 3600)\n"
    "  --refresh-baseline      measure the baseline even when the cache is fresh\n"
    "  --carbon-intensity X    g CO2e/kWh, a country (ISO 3166 alpha-3, e.g. FRA) or a cloud\n"
    "                          region (e.g. europe-west1); default world average 475\n"
    "  --pue X                 data-centre power usage effectiveness (default 1.0)\n"
    "  -h, --help              this help\n";

typedef struct measure_opts {
    lle_meter_opts meter;
    lle_baseline_opts baseline;
    const char *results_dir, *output, *csv, *carbon;
    double pue;
    bool json, save;
    int argc;
    char **argv;
} measure_opts;

static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
    g_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Options with a value; false (message printed) on a bad one. */
static bool value_opt(measure_opts *o, const char *a, const char *v)
{
    if (strcmp(a, "--interval") == 0)
        return cli_parse_double(a, v, 0.0, 60.0, &o->meter.interval_s);
    if (strcmp(a, "--cpu-tdp") == 0)
        return cli_parse_double(a, v, 1.0, 10000.0, &o->meter.cpu_tdp_w);
    if (strcmp(a, "--probe-time") == 0)
        return cli_parse_double(a, v, 0.0, 10.0, &o->meter.probe_s);
    if (strcmp(a, "--idle-baseline") == 0)
        return cli_parse_double(a, v, 0.0, 3600.0, &o->baseline.seconds);
    if (strcmp(a, "--baseline-ttl") == 0)
        return cli_parse_double(a, v, 0.0, 1e9, &o->baseline.ttl_s);
    if (strcmp(a, "--pue") == 0)
        return cli_parse_double(a, v, 1.0, 10.0, &o->pue);
    if (strcmp(a, "--sources") == 0)
        o->meter.sources = v;
    else if (strcmp(a, "--results-dir") == 0)
        o->results_dir = v;
    else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
        o->output = v;
    else if (strcmp(a, "--timeseries") == 0)
        o->csv = v;
    else if (strcmp(a, "--carbon-intensity") == 0)
        o->carbon = v;
    return true;
}

static bool takes_value(const char *a)
{
    static const char *const with[] = {
        "--interval", "--cpu-tdp",     "--probe-time", "--idle-baseline", "--baseline-ttl", "--pue",
        "--sources",  "--results-dir", "-o",           "--output",        "--timeseries",   "--carbon-intensity"};

    for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
        if (strcmp(a, with[i]) == 0)
            return true;
    return false;
}

/* Whether a file can be created at `path` (its directory exists and is
 * writable): checked before the command runs, not after. Prints the error. */
static bool writable_path(const char *flag, const char *path)
{
    char dir[4200];
    char *slash;

    if (path == NULL)
        return true;
    if ((size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir) {
        cli_errorf("%s: path too long", flag);
        return false;
    }
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (access(dir, W_OK | X_OK) != 0) {
        cli_errorf("%s %s: cannot write into %s (%s)", flag, path, dir, strerror(errno));
        return false;
    }
    return true;
}

/* 0 when parsed, else the exit code (CLI_OK after --help). */
static int parse(int argc, char **argv, measure_opts *o)
{
    int i = 1;

    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(MEASURE_USAGE, stdout);
            return -1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--no-save") == 0) {
            o->save = false;
        } else if (strcmp(a, "--no-estimates") == 0) {
            o->meter.estimate_fallback = false;
        } else if (strcmp(a, "--refresh-baseline") == 0) {
            o->baseline.refresh = true;
        } else if (takes_value(a)) {
            if (i + 1 >= argc) {
                cli_errorf("%s needs a value (see llm-efficiency measure --help)", a);
                return CLI_USAGE;
            }
            if (!value_opt(o, a, argv[++i]))
                return CLI_USAGE;
        } else {
            cli_errorf("measure: unknown option '%s' (see llm-efficiency measure --help)", a);
            return CLI_USAGE;
        }
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        cli_errorf("measure: no command given (usage: llm-efficiency measure [options] -- COMMAND [ARGS...])");
        return CLI_USAGE;
    }
    if (o->meter.interval_s > 0.0 && o->meter.interval_s < 0.01) {
        cli_errorf("--interval: %g is out of range (0 = off, or 0.01 to 60)", o->meter.interval_s);
        return CLI_USAGE;
    }
    if (!writable_path("--output", o->output) || !writable_path("--timeseries", o->csv))
        return CLI_USAGE;
    o->argc = argc - i;
    o->argv = argv + i;
    return 0;
}

/* Run the command to completion; the exit code to pass through. */
static int run_command(const measure_opts *o, lle_measured_command *cmd, char *why, size_t why_size)
{
    pid_t pid;
    int status = 0, rc, forwarded = 0;

    rc = posix_spawnp(&pid, o->argv[0], NULL, NULL, o->argv, environ);
    if (rc != 0) {
        snprintf(why, why_size, "cannot run '%s': %s", o->argv[0], strerror(rc));
        cmd->status = "failed";
        cmd->error = why;
        return rc == ENOENT ? 127 : 126;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            break;
        if (g_signal != 0 && g_signal != SIGINT && g_signal != forwarded) {
            forwarded = g_signal;
            kill(pid, g_signal);
        }
    }
    cmd->status = g_signal != 0 ? "interrupted" : "completed";
    if (WIFEXITED(status)) {
        cmd->exit_code = WEXITSTATUS(status);
        return cmd->exit_code;
    }
    cmd->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 128 + cmd->term_signal;
}

static void print_reading(const lle_energy_reading *r, bool net)
{
    char net_col[CLI_NUM_MAX + 16] = "", e[CLI_NUM_MAX], avg[CLI_NUM_MAX], peak[CLI_NUM_MAX];

    if (net)
        snprintf(net_col, sizeof net_col, "%12s", cli_num(e, sizeof e, 3, r->net_energy_j));
    fprintf(stderr, "  %-26s %-9s %12s %9s %9s%s%s%s\n", r->source, lle_energy_method_name(r->method),
            cli_num(e, sizeof e, 3, r->energy_j), cli_num(avg, sizeof avg, 2, r->avg_power_w),
            cli_num(peak, sizeof peak, 2, r->peak_power_w), net_col, r->in_total ? "" : "  (inside another)",
            r->partial          ? "  PARTIAL"
            : r->low_confidence ? "  low confidence"
                                : "");
    fprintf(stderr, "      %s: %s\n", r->name, r->how);
    if (r->note[0] != '\0')
        fprintf(stderr, "      note: %s\n", r->note);
}

static void print_unavailable(lle_meter *m)
{
    lle_energy_source_info info[32];
    size_t n = lle_meter_unavailable(m, info, 32);

    for (size_t i = 0; i < n && i < 32; i++) {
        fprintf(stderr, "  not used: %s: %s\n", info[i].id, info[i].status);
        if (info[i].fix[0] != '\0')
            fprintf(stderr, "      fix: %s\n", info[i].fix);
    }
}

static void print_table(const measure_opts *o, lle_meter *m, const lle_energy_window *w, const lle_carbon *c, int code)
{
    lle_baseline_info bl;
    bool net;
    double total = w->measured_j + w->estimated_j;

    lle_meter_baseline_info(m, &bl);
    net = strcmp(bl.origin, "none") != 0;
    fprintf(stderr, "\nenergy of '%s'%s: exit status %d, %.3f s\n\n", o->argv[0], o->argc > 1 ? " ..." : "", code,
            w->duration_s);
    fprintf(stderr, "  %-26s %-9s %12s %9s %9s%s\n", "source", "method", "energy J", "avg W", "peak W",
            net ? "        net J" : "");
    for (size_t i = 0; i < w->n_readings; i++)
        print_reading(&w->readings[i], net);
    fprintf(stderr, "\n  total %.3f J = measured %.3f J + estimated %.3f J%s\n", total, w->measured_j, w->estimated_j,
            w->measured_j > 0.0 && w->estimated_j > 0.0 ? " (mixed: see each source's method)" : "");
    if (net)
        fprintf(stderr, "  net %.3f J (idle baseline %s, %.1f s, %.0f s old)\n", w->net_measured_j + w->net_estimated_j,
                bl.origin, bl.duration_s, bl.age_s);
    fprintf(stderr, "  carbon %.4f g CO2e (%.4g g/kWh, PUE %.2f: %s)\n", lle_carbon_grams(total, c),
            c->intensity_g_per_kwh, c->pue, c->source);
    print_unavailable(m);
}

/* Write `text` to `path` through a temporary file + fsync + rename, so the
 * file is the old one or the complete new one. Prints the error. */
static bool write_atomic(const char *path, const char *text)
{
    char tmp[4200];
    FILE *f;
    bool ok;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        cli_errorf("%s: path too long", path);
        return false;
    }
    f = fopen(tmp, "w");
    ok = f != NULL && fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        cli_errorf("%s: %s", path, strerror(errno));
        remove(tmp);
    }
    return ok;
}

/* Window, document, save and output after the command ran. */
static int report(const measure_opts *o, lle_meter *m, lle_energy_window *w, const lle_carbon *c,
                  const lle_measured_command *cmd, const char *id, const char *started)
{
    lle_energy_section sec = {m, w, NULL, NULL, {0, 0, 0, 0.0}, c};
    char *doc = lle_measure_document_json(id, started, cmd, &sec);
    char path[4200] = "";
    lle_error err;
    int rc = CLI_OK;

    if (doc == NULL) {
        cli_errorf("out of memory building the result");
        return CLI_FAILED;
    }
    if (o->save && lle_measure_save(o->results_dir, id, doc, m, w->start_s, path, sizeof path, &err) != LLE_OK)
        rc = cli_fail(&err);
    if (rc == CLI_OK && o->csv != NULL && lle_meter_timeseries_csv(m, o->csv, w->start_s, &err) != LLE_OK)
        rc = cli_fail(&err);
    if (rc == CLI_OK && o->output != NULL && !write_atomic(o->output, doc))
        rc = CLI_FAILED;
    if (o->json)
        printf("%s\n", doc);
    if (cli_verbosity > 0)
        print_table(o, m, w, c, cmd->exit_code >= 0 ? cmd->exit_code : 128 + cmd->term_signal);
    if (cli_verbosity > 0 && path[0] != '\0')
        fprintf(stderr, "  saved %s\n", path);
    free(doc);
    return rc;
}

static int measure_run(const measure_opts *o, lle_meter *m, const lle_carbon *c)
{
    char id[64], started[32], why[512];
    lle_measured_command cmd = {o->argc, o->argv, -1, 0, "completed", NULL};
    lle_meter_window *mw = NULL;
    lle_energy_window *w = NULL;
    lle_error err;
    int code, rc;

    if (lle_meter_idle_baseline(m, &o->baseline, &err) != LLE_OK)
        return cli_fail(&err);
    lle_energy_new_id(id, sizeof id, started, sizeof started);
    if (lle_meter_begin(m, "command", &mw, &err) != LLE_OK)
        return cli_fail(&err);
    code = run_command(o, &cmd, why, sizeof why);
    if (lle_meter_end(m, mw, &w, &err) != LLE_OK)
        return cli_fail(&err);
    lle_meter_stop(m);
    if (cmd.error != NULL) {
        cli_errorf("%s", cmd.error);
        lle_energy_window_free(w);
        return code;
    }
    rc = report(o, m, w, c, &cmd, id, started);
    lle_energy_window_free(w);
    return rc != CLI_OK ? rc : code;
}

int cli_measure(int argc, char **argv)
{
    measure_opts o;
    lle_carbon carbon;
    lle_meter *m = NULL;
    lle_error err;
    int rc;

    memset(&o, 0, sizeof o);
    lle_meter_opts_init(&o.meter);
    lle_baseline_opts_init(&o.baseline);
    o.results_dir = "results";
    o.save = true;
    o.baseline.stop = (const volatile int *)&g_signal;
    rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    if (lle_carbon_resolve(o.carbon, o.pue, &carbon, &err) != LLE_OK)
        return cli_fail(&err);
    install_signals();
    if (lle_meter_open(&o.meter, &m, &err) != LLE_OK)
        return cli_fail(&err);
    rc = measure_run(&o, m, &carbon);
    lle_meter_close(m);
    return rc;
}
