/* results_view.c — `results list|show|compare|analyze|export|report`: flag
 * parsing (one table of options, each subcommand accepting its own subset),
 * the call into include/lle/results.h, and writing what it returns to stdout
 * or atomically to -o FILE. Errors print one line and map to exit codes
 * (2 usage/bad input, 1 failures). Reference: docs/results.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lle/results.h"
#include "results_view.h"

#define MAX_ARGS 64

enum {
    O_DIR = 1 << 0,
    O_CAMPAIGN = 1 << 1,
    O_WHERE = 1 << 2,
    O_SORT = 1 << 3,
    O_LIMIT = 1 << 4,
    O_JSON = 1 << 5,
    O_OUT = 1 << 6,
    O_FORMAT = 1 << 7,
    O_WHAT = 1 << 8,
    O_BY = 1 << 9,
    O_METRIC = 1 << 10,
    O_CV = 1 << 11,
    O_REINDEX = 1 << 12,
    O_COLUMNS = 1 << 13
};

typedef struct opts {
    const char *results_dir, *output, *format, *what, *metric;
    lle_results_filter f;
    const char *where[MAX_ARGS], *by[MAX_ARGS], *pos[MAX_ARGS];
    size_t n_where, n_by, n_pos;
    double cv;
    bool json, reindex, columns;
    unsigned seen;
} opts;

static const char COMMON_HELP[] = "  --results-dir DIR    results directory (default ./results)\n"
                                  "  --reindex            rebuild the flat results table from every stored document\n";
static const char FILTER_HELP[] =
    "  --campaign ID        only experiments of this campaign\n"
    "  --where 'F=V'        only rows where column F = V (also != < <= > >=; repeatable; V null tests for none)\n";

static void usage(const char *name, FILE *out)
{
    if (strcmp(name, "list") == 0)
        fprintf(out,
                "usage: llm-efficiency results list [--campaign ID] [--where 'F=V' ...] [--sort [-]F] "
                "[--limit N] [--json]\n\nOne line per experiment, newest first, every status (--where "
                "status=completed narrows).\n%s%s"
                "  --sort F             order by column F (-F or F:desc descending)\n"
                "  --limit N            at most N experiments (text default 50, the newest; 0 = all)\n"
                "  --json               a JSON array (every match unless --limit)\n",
                FILTER_HELP, COMMON_HELP);
    else if (strcmp(name, "show") == 0)
        fprintf(out,
                "usage: llm-efficiency results show ID [--json]\n\nEverything about one experiment (ID or "
                "a unique prefix).\n%s",
                COMMON_HELP);
    else if (strcmp(name, "compare") == 0)
        fprintf(out,
                "usage: llm-efficiency results compare ID ID... [--json]\n\nExperiments side by side; "
                "differences are against the first.\n%s",
                COMMON_HELP);
    else if (strcmp(name, "analyze") == 0)
        fprintf(out,
                "usage: llm-efficiency results analyze [--campaign ID] [--where 'F=V' ...] [--by F...] "
                "[--metric F] [--cv-threshold PCT] [--json]\n\nGroups completed experiments by the factors that "
                "vary (or --by), with mean, std, 95%% CI (Student t), CV and n per group; flags unstable groups "
                "and outliers; ranks by --metric (default j_per_output_token); Pareto front of J/token vs output "
                "tokens/s.\n%s%s  --cv-threshold PCT   unstable above this CV in percent (default 5)\n",
                FILTER_HELP, COMMON_HELP);
    else if (strcmp(name, "export") == 0)
        fprintf(out,
                "usage: llm-efficiency results export --format csv|jsonl|json [--what experiments|requests|"
                "timeseries] [-o FILE] [--campaign ID] [--where 'F=V' ...] [--sort F] [--limit N]\n"
                "       llm-efficiency results export --columns [--format csv]\n\nFlat tables; column names carry "
                "units (docs/results.md). --columns lists the experiment columns.\n%s%s"
                "  --limit N            at most N experiments (default: all)\n"
                "  -o FILE              write FILE atomically instead of stdout\n",
                FILTER_HELP, COMMON_HELP);
    else
        fprintf(out,
                "usage: llm-efficiency results report [-o report.html] [--campaign ID] [--where 'F=V' ...]\n\n"
                "One self-contained offline HTML page: summary table, factor charts, latency percentiles, power "
                "over time with prefill/decode shaded, Pareto front, environment.\n%s%s",
                FILTER_HELP, COMMON_HELP);
}

typedef struct opt_def {
    const char *name;
    unsigned bit;
    bool value;
} opt_def;

static const opt_def OPTS[] = {
    {"--results-dir", O_DIR, true},
    {"--campaign", O_CAMPAIGN, true},
    {"--where", O_WHERE, true},
    {"--sort", O_SORT, true},
    {"--limit", O_LIMIT, true},
    {"--json", O_JSON, false},
    {"-o", O_OUT, true},
    {"--output", O_OUT, true},
    {"--format", O_FORMAT, true},
    {"--what", O_WHAT, true},
    {"--by", O_BY, true},
    {"--metric", O_METRIC, true},
    {"--cv-threshold", O_CV, true},
    {"--reindex", O_REINDEX, false},
    {"--columns", O_COLUMNS, false},
};

static bool push(const char **arr, size_t *n, const char *v, const char *what)
{
    if (*n >= MAX_ARGS) {
        cli_errorf("results: too many %s (at most %d)", what, MAX_ARGS);
        return false;
    }
    arr[(*n)++] = v;
    return true;
}

/* Apply one option with its value; false after printing an error. */
static bool apply(opts *o, const opt_def *d, int argc, char **argv, int *i)
{
    const char *v = d->value ? argv[++*i] : NULL;
    long long n = 0;

    o->seen |= d->bit;
    switch (d->bit) {
    case O_DIR:
        o->results_dir = v;
        return true;
    case O_CAMPAIGN:
        o->f.campaign = v;
        return true;
    case O_WHERE:
        return push(o->where, &o->n_where, v, "--where terms");
    case O_SORT:
        o->f.sort = v;
        return true;
    case O_LIMIT:
        if (!cli_parse_int("--limit", v, 0, 1000000000LL, &n))
            return false;
        o->f.limit = n == 0 ? -1 : n; /* 0: all */
        return true;
    case O_JSON:
        o->json = true;
        return true;
    case O_OUT:
        o->output = v;
        return true;
    case O_FORMAT:
        o->format = v;
        return true;
    case O_WHAT:
        o->what = v;
        return true;
    case O_METRIC:
        o->metric = v;
        return true;
    case O_CV:
        return cli_parse_double("--cv-threshold", v, 0.001, 1000.0, &o->cv);
    case O_REINDEX:
        o->reindex = true;
        return true;
    case O_COLUMNS:
        o->columns = true;
        return true;
    default:
        break;
    }
    /* --by F [F ...], also comma-separated */
    for (;;) {
        char *save = NULL;
        for (char *t = strtok_r((char *)v, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
            if (!push(o->by, &o->n_by, t, "--by factors"))
                return false;
        if (*i + 1 >= argc || argv[*i + 1][0] == '-')
            return true;
        v = argv[++*i];
    }
}

static bool parse(const char *name, unsigned allowed, int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->results_dir = "results";
    for (int i = 1; i < argc; i++) {
        const opt_def *d = NULL;
        for (size_t k = 0; k < sizeof OPTS / sizeof OPTS[0]; k++)
            if (strcmp(argv[i], OPTS[k].name) == 0)
                d = &OPTS[k];
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(name, stdout);
            exit(CLI_OK);
        } else if (d != NULL && (d->bit & allowed) == 0) {
            cli_errorf("results %s: %s does not apply here (see --help)", name, argv[i]);
            return false;
        } else if (d != NULL && d->value && i + 1 >= argc) {
            cli_errorf("results %s: %s needs a value", name, argv[i]);
            return false;
        } else if (d != NULL) {
            if (!apply(o, d, argc, argv, &i))
                return false;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_errorf("results %s: unknown option '%s' (see --help)", name, argv[i]);
            return false;
        } else if (!push(o->pos, &o->n_pos, argv[i], "arguments")) {
            return false;
        }
    }
    o->f.where = o->where;
    o->f.n_where = o->n_where;
    return true;
}

/* stdout, or FILE atomically; frees text. */
static int emit(char *text, size_t len, const char *path)
{
    lle_error err = {0};
    int rc = CLI_OK;

    if (path != NULL) {
        if (lle_results_write_file(path, text, len, &err) != LLE_OK)
            rc = cli_fail(&err);
    } else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        cli_errorf("writing the output failed");
        rc = CLI_FAILED;
    }
    free(text);
    return rc;
}

/* Open the database, run `fn`, print; shared tail of every subcommand. */
typedef lle_status (*view_fn)(lle_results *r, const opts *o, char **out, size_t *len, lle_error *err);

static int run_view(const opts *o, view_fn fn, const char *path)
{
    lle_results *r = NULL;
    lle_error err = {0};
    char *text = NULL;
    size_t len = 0;
    lle_status st = lle_results_open(o->results_dir, o->reindex, &r, &err);

    if (st == LLE_OK)
        st = fn(r, o, &text, &len, &err);
    lle_results_close(r);
    if (st != LLE_OK)
        return cli_fail(&err);
    return emit(text, len, path);
}

static lle_results_format fmt_of(const opts *o)
{
    return o->json ? LLE_RESULTS_JSON : LLE_RESULTS_TEXT;
}

static lle_status do_show(lle_results *r, const opts *o, char **out, size_t *len, lle_error *err)
{
    return lle_results_show(r, o->pos[0], fmt_of(o), out, len, err);
}

static lle_status do_compare(lle_results *r, const opts *o, char **out, size_t *len, lle_error *err)
{
    return lle_results_compare(r, o->pos, o->n_pos, fmt_of(o), out, len, err);
}

static lle_status do_analyze(lle_results *r, const opts *o, char **out, size_t *len, lle_error *err)
{
    lle_results_analysis_opts a = {o->by, o->n_by, o->metric, o->cv / 100.0};

    return lle_results_analyze(r, &o->f, &a, fmt_of(o), out, len, err);
}

static void export_kind(const opts *o, lle_results_table *what, lle_results_format *fmt)
{
    *what = o->what == NULL || strcmp(o->what, "experiments") == 0 ? LLE_RESULTS_EXPERIMENTS
            : strcmp(o->what, "requests") == 0                     ? LLE_RESULTS_REQUESTS
                                                                   : LLE_RESULTS_TIMESERIES;
    *fmt = strcmp(o->format, "csv") == 0     ? LLE_RESULTS_CSV
           : strcmp(o->format, "jsonl") == 0 ? LLE_RESULTS_JSONL
                                             : LLE_RESULTS_JSON;
}

static lle_status write_failed(lle_error *err)
{
    err->code = LLE_ERR_IO;
    snprintf(err->msg, sizeof err->msg, "writing the output failed");
    return LLE_ERR_IO;
}

static lle_status to_stdout(void *ctx, const char *data, size_t len, lle_error *err)
{
    (void)ctx;
    return fwrite(data, 1, len, stdout) == len ? LLE_OK : write_failed(err);
}

/* The listing written to stdout as it is produced (100,000 experiments
 * are megabytes). */
static int list_stream(const opts *o)
{
    lle_results *r = NULL;
    lle_error err = {0};
    lle_status st = lle_results_open(o->results_dir, o->reindex, &r, &err);

    if (st == LLE_OK)
        st = lle_results_list_to(r, &o->f, fmt_of(o), to_stdout, NULL, &err);
    if (st == LLE_OK && fflush(stdout) != 0)
        st = write_failed(&err);
    lle_results_close(r);
    return st == LLE_OK ? CLI_OK : cli_fail(&err);
}

/* Export streamed as it is produced: into -o FILE (a temporary file renamed
 * at the end: never half written) or to stdout. */
static int export_stream(const opts *o)
{
    lle_results *r = NULL;
    lle_error err = {0};
    lle_results_table what;
    lle_results_format fmt;
    lle_status st = lle_results_open(o->results_dir, o->reindex, &r, &err);

    export_kind(o, &what, &fmt);
    if (st == LLE_OK && o->output != NULL)
        st = lle_results_export_file(r, &o->f, what, fmt, o->output, &err);
    else if (st == LLE_OK)
        st = lle_results_export_to(r, &o->f, what, fmt, to_stdout, NULL, &err);
    if (st == LLE_OK && o->output == NULL && fflush(stdout) != 0)
        st = write_failed(&err);
    lle_results_close(r);
    return st == LLE_OK ? CLI_OK : cli_fail(&err);
}

static lle_status do_report(lle_results *r, const opts *o, char **out, size_t *len, lle_error *err)
{
    return lle_results_report(r, &o->f, out, len, err);
}

static int positional(const char *name, const opts *o, size_t min, size_t max, const char *what)
{
    if (o->n_pos >= min && o->n_pos <= max)
        return CLI_OK;
    cli_errorf("results %s: %s (see --help)", name, o->n_pos < min ? what : "too many arguments");
    return CLI_USAGE;
}

int cli_results_list(int argc, char **argv)
{
    opts o;

    if (!parse("list", O_DIR | O_CAMPAIGN | O_WHERE | O_SORT | O_LIMIT | O_JSON | O_REINDEX, argc, argv, &o))
        return CLI_USAGE;
    if (positional("list", &o, 0, 0, "") != CLI_OK)
        return CLI_USAGE;
    if ((o.seen & O_LIMIT) == 0 && !o.json)
        o.f.limit = 50; /* a screenful, newest first; --limit 0 lists all */
    return list_stream(&o);
}

int cli_results_show(int argc, char **argv)
{
    opts o;

    if (!parse("show", O_DIR | O_JSON | O_REINDEX, argc, argv, &o))
        return CLI_USAGE;
    if (positional("show", &o, 1, 1, "an experiment id is required") != CLI_OK)
        return CLI_USAGE;
    return run_view(&o, do_show, NULL);
}

int cli_results_compare(int argc, char **argv)
{
    opts o;

    if (!parse("compare", O_DIR | O_JSON | O_REINDEX, argc, argv, &o))
        return CLI_USAGE;
    if (positional("compare", &o, 2, 16, "two or more experiment ids are required") != CLI_OK)
        return CLI_USAGE;
    return run_view(&o, do_compare, NULL);
}

int cli_results_analyze(int argc, char **argv)
{
    opts o;

    if (!parse("analyze", O_DIR | O_CAMPAIGN | O_WHERE | O_BY | O_METRIC | O_CV | O_JSON | O_REINDEX, argc, argv, &o))
        return CLI_USAGE;
    if (positional("analyze", &o, 0, 0, "") != CLI_OK)
        return CLI_USAGE;
    return run_view(&o, do_analyze, NULL);
}

int cli_results_export(int argc, char **argv)
{
    lle_error err = {0};
    char *text = NULL;
    size_t len = 0;
    opts o;

    if (!parse("export",
               O_DIR | O_CAMPAIGN | O_WHERE | O_SORT | O_LIMIT | O_OUT | O_FORMAT | O_WHAT | O_REINDEX | O_COLUMNS,
               argc, argv, &o))
        return CLI_USAGE;
    if (positional("export", &o, 0, 0, "") != CLI_OK)
        return CLI_USAGE;
    if (o.columns) {
        bool csv = o.format != NULL && strcmp(o.format, "csv") == 0;
        if (lle_results_columns(csv ? LLE_RESULTS_CSV : LLE_RESULTS_TEXT, &text, &len, &err) != LLE_OK)
            return cli_fail(&err);
        return emit(text, len, o.output);
    }
    if (o.format == NULL ||
        (strcmp(o.format, "csv") != 0 && strcmp(o.format, "jsonl") != 0 && strcmp(o.format, "json") != 0)) {
        cli_errorf("results export: --format csv, jsonl or json is required%s%s%s", o.format ? " (not '" : "",
                   o.format ? o.format : "", o.format ? "')" : "");
        return CLI_USAGE;
    }
    if (o.what != NULL && strcmp(o.what, "experiments") != 0 && strcmp(o.what, "requests") != 0 &&
        strcmp(o.what, "timeseries") != 0) {
        cli_errorf("results export: --what is experiments, requests or timeseries, not '%s'", o.what);
        return CLI_USAGE;
    }
    return export_stream(&o);
}

int cli_results_report(int argc, char **argv)
{
    opts o;
    int rc;

    if (!parse("report", O_DIR | O_CAMPAIGN | O_WHERE | O_OUT | O_REINDEX, argc, argv, &o))
        return CLI_USAGE;
    if (positional("report", &o, 0, 0, "") != CLI_OK)
        return CLI_USAGE;
    if (o.output == NULL)
        o.output = "report.html";
    rc = run_view(&o, do_report, o.output);
    if (rc == CLI_OK && cli_verbosity > 0)
        fprintf(stderr, "wrote %s\n", o.output);
    return rc;
}
