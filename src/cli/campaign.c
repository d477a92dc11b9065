/* campaign.c — `llm-efficiency run models|controlled|scenarios|grid CONFIG`
 * (and `run single CONFIG` when CONFIG is a campaign): load and validate the
 * file, plan every run, then either print the plan with an estimated
 * duration (--dry-run, --json) or run it resumably through the campaign
 * journal, with a campaign bar (done/total, ETA) and the current
 * experiment's bar on a terminal and one line per run otherwise. Exit codes:
 * 0 all runs done, 1 some failed or were left, 2 bad file or flags (or a
 * changed experiment set), 130 interrupted (rerun the command to resume). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lle/campaign.h"
#ifdef LLE_MPI
#include "lle/cluster.h"
#endif

static const char USAGE[] =
    "usage: llm-efficiency run models|controlled|scenarios|grid CONFIG [options]\n"
    "       llm-efficiency run scenarios --list-scenarios [--markdown]\n"
    "\n"
    "Run every experiment a campaign file declares (docs/campaigns.md). Each run is\n"
    "journaled in RESULTS_DIR/results.db: running the same command again resumes\n"
    "(done runs are skipped, interrupted ones run again, failed ones are retried up\n"
    "to max_retries). Built-in scenarios: docs/scenarios.md.\n"
    "\n"
    "options:\n"
    "  --results-dir DIR      results directory (default ./results)\n"
    "  --dry-run              print the planned runs and an estimated duration; run nothing\n"
    "  --json                 with --dry-run: the plan as JSON; else a JSON summary at the end\n"
    "  --restart              forget the journal and run everything again\n"
    "  --accept-changes       the file's experiment set changed: update the journal, keep done results\n"
    "  --retry-failed         give failed experiments their retries again\n"
    "  --fail-fast            stop at the first failed experiment\n"
    "  --campaign-id ID       journal name (default: the file's name:, else its file name)\n"
    "  --cycles N             passes over the campaign (default: the file's cycles)\n"
    "  --order O              sequential | shuffle | interleave (default: the file's order)\n"
    "  --seed N               seed of the shuffle order (default: the experiment's seed)\n"
    "  --cooldown S           idle seconds between runs (default: the file's cooldown_s)\n"
    "  --cooldown-temp C      also wait until the temperature is below C degrees Celsius\n"
    "  --cooldown-timeout S   most seconds to wait for the temperature (default 600)\n"
    "  --max-retries N        reruns of a failed experiment (default: the file's max_retries)\n"
    "  --set FIELD=VALUE      set a field in every experiment (e.g. --set threads=2); repeatable\n"
    "  --list-scenarios       the built-in scenarios A0-A5, R1-R7 (--markdown: as docs embed them)\n"
    "  -q, --quiet            errors only;  -v, --verbose  more log output\n"
    "  -h, --help             this help\n";

#define MAX_SETS 64

typedef struct camp_opts {
    const char *suite; /* the command's suite */
    const char *config;
    const char *results_dir;
    bool dry_run, json, list, markdown;
    lle_campaign_opts o;
    lle_config_value sets[MAX_SETS];
} camp_opts;

/* Terminal display: finished runs scroll as log lines above a two-line
 * status block (campaign bar, then the running experiment's bar) that is
 * redrawn in place. Without a terminal: one log line per finished run. */
typedef struct progress {
    bool tty, drawn;           /* the status block is on screen */
    double t0, run_t0, done_s; /* invocation start, run start, seconds of finished runs */
    size_t finished, failed, ordinal, to_run;
    const lle_campaign_plan *plan;
    const char *label;
    int cycle;
    int req_done, req_total;
    double tok_s, power_w;    /* live figures of the running experiment (power NaN: none) */
    const char *power_method; /* "measured", "estimated", "mixed" or NULL */
} progress;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- arguments ---- */
#define OPT(f) offsetof(camp_opts, f)

static const cli_flag FLAGS[] = {
    {"results-dir", CLI_F_STR, OPT(results_dir), 0, 0},
    {"campaign-id", CLI_F_STR, OPT(o.campaign_id), 0, 0},
    {"order", CLI_F_CUSTOM, 0, 0, 0},
    {"set", CLI_F_CUSTOM, 0, 0, 0},
    {"cycles", CLI_F_INT, OPT(o.cycles), 1, 1000000},
    {"max-retries", CLI_F_INT, OPT(o.max_retries), 0, 100},
    {"seed", CLI_F_CUSTOM, 0, 0, 0},
    {"cooldown", CLI_F_DOUBLE, OPT(o.cooldown_s), 0, 86400},
    {"cooldown-temp", CLI_F_DOUBLE, OPT(o.cooldown_temp_c), 1, 150},
    {"cooldown-timeout", CLI_F_DOUBLE, OPT(o.cooldown_timeout_s), 0, 86400},
    {"dry-run", CLI_F_TRUE, OPT(dry_run), 0, 0},
    {"json", CLI_F_TRUE, OPT(json), 0, 0},
    {"restart", CLI_F_TRUE, OPT(o.restart), 0, 0},
    {"accept-changes", CLI_F_TRUE, OPT(o.accept_changes), 0, 0},
    {"retry-failed", CLI_F_TRUE, OPT(o.retry_failed), 0, 0},
    {"fail-fast", CLI_F_TRUE, OPT(o.fail_fast), 0, 0},
    {"list-scenarios", CLI_F_TRUE, OPT(list), 0, 0},
    {"markdown", CLI_F_TRUE, OPT(markdown), 0, 0},
};

/* The CLI_F_CUSTOM flags: --order, --set, --seed. */
static int set_custom(const char *name, const char *val, void *opts)
{
    camp_opts *c = opts;
    lle_error err = {0};

    if (strcmp(name, "seed") == 0) {
        c->o.seed_set = cli_parse_u64("--seed", val, &c->o.seed);
        return c->o.seed_set ? -1 : CLI_USAGE;
    }
    if (strcmp(name, "order") == 0) {
        c->o.order_set = true;
        return lle_campaign_order_parse(val, &c->o.order, &err) == LLE_OK ? -1 : cli_fail(&err);
    }
    if (c->o.n_overrides >= MAX_SETS) {
        cli_errorf("--set: at most %d", MAX_SETS);
        return CLI_USAGE;
    }
    if (lle_campaign_parse_override(val, &c->sets[c->o.n_overrides], &err) != LLE_OK)
        return cli_fail(&err);
    c->o.n_overrides++;
    return -1;
}

/* -1 continue, else an exit code. Campaign flags take their value as a
 * separate argument only: "--NAME=VALUE" is an unknown option here. */
static int parse_args(int argc, char **argv, camp_opts *c)
{
    char unknown[64], help[96];
    cli_flag_table t = {.flags = FLAGS,
                        .n_flags = sizeof FLAGS / sizeof FLAGS[0],
                        .command = unknown,
                        .unknown = unknown,
                        .help = help,
                        .usage = USAGE,
                        .custom = set_custom};

    snprintf(unknown, sizeof unknown, "run %s", c->suite);
    snprintf(help, sizeof help, "llm-efficiency run %s", c->suite);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = -1;
        if (cli_common_flag(a, USAGE, &rc)) {
            if (rc >= 0)
                return rc;
        } else if (strncmp(a, "--", 2) == 0 && a[2] != '\0' && strchr(a, '=') == NULL) {
            rc = cli_parse_flag(&t, argc, argv, &i, c);
            if (rc >= 0)
                return rc;
        } else if (a[0] != '-' && c->config == NULL) {
            c->config = a;
        } else {
            cli_errorf("run %s: %s '%s' (see llm-efficiency run %s --help)", c->suite,
                       a[0] == '-' ? "unknown option" : "unexpected argument", a, c->suite);
            return CLI_USAGE;
        }
    }
    if (c->config == NULL && !c->list) {
        cli_errorf("run %s: a campaign file is required (see llm-efficiency config init --suite %s)", c->suite,
                   strcmp(c->suite, "single") == 0 ? "grid" : c->suite);
        return CLI_USAGE;
    }
    return -1;
}

/* ---- the file ---- */
static int load(camp_opts *c, lle_config **out)
{
    lle_error err = {0};
    lle_status st = lle_config_load(c->config, out, &err);
    char *diags = *out != NULL ? lle_config_diag_text(*out) : NULL;
    const lle_campaign *cp;

    if (diags != NULL && (st != LLE_OK || cli_verbosity > 0))
        fputs(diags, stderr);
    free(diags);
    if (st != LLE_OK && *out != NULL) {
        cli_errorf("%s: %zu error(s); nothing was run", c->config, lle_config_error_count(*out));
        return CLI_USAGE;
    }
    if (st != LLE_OK)
        return cli_fail(&err);
    cp = lle_config_campaign(*out);
    if (strcmp(c->suite, "single") != 0 && strcmp(c->suite, lle_suite_name(cp->suite)) != 0) {
        cli_errorf("%s: %s (suite: %s); run it with `llm-efficiency run %s %s`", c->config,
                   cp->suite == LLE_SUITE_SINGLE ? "a single experiment" : "a different campaign",
                   lle_suite_name(cp->suite), lle_suite_name(cp->suite), c->config);
        return CLI_USAGE;
    }
    return -1;
}

bool cli_is_campaign_file(const char *path)
{
    lle_config *cfg = NULL;
    bool campaign = lle_config_load(path, &cfg, NULL) == LLE_OK && lle_config_campaign(cfg)->suite != LLE_SUITE_SINGLE;

    lle_config_free(cfg);
    return campaign;
}

/* ---- dry run ---- */
static void print_duration(double s)
{
    if (s < 120.0)
        printf("%.1f s", s);
    else if (s < 7200.0)
        printf("%.0f min %.0f s", s / 60.0 - 0.5, s - 60.0 * (double)(long)(s / 60.0));
    else
        printf("%.1f h", s / 3600.0);
}

static void print_status_head(const lle_campaign_plan *p, const lle_campaign_status *st, const char *dir)
{
    printf("campaign %s: suite %s, %zu experiment%s x %d cycle%s = %zu runs, order %s (seed %llu)\n", p->id,
           lle_suite_name(p->suite), p->n_experiments, p->n_experiments == 1 ? "" : "s", p->cycles,
           p->cycles == 1 ? "" : "s", p->n_items, lle_campaign_order_name(p->order), (unsigned long long)p->seed);
    if (!st->journal)
        printf("journal: none yet in %s/results.db\n", dir);
    else
        printf("journal: %zu done, %zu failed (%zu with no retries left), %zu interrupted, %zu pending\n", st->n_done,
               st->n_failed, st->n_exhausted, st->n_running, st->n_pending);
    if (st->n_added > 0 || st->n_removed > 0)
        printf("changed since the journal was written: %zu added, %zu removed\n", st->n_added, st->n_removed);
    for (size_t i = 0; i < st->n_added; i++)
        printf("  + %s\n", st->added[i]);
    for (size_t i = 0; i < st->n_removed; i++)
        printf("  - %s\n", st->removed[i]);
    for (size_t i = 0; i < p->n_notes; i++)
        printf("note: %s\n", p->notes[i]);
}

static void print_plan(const lle_campaign_plan *p, const lle_campaign_status *st, const lle_campaign_estimate *e,
                       const char *dir)
{
    print_status_head(p, st, dir);
    printf("\n  %5s %5s  %-12s  %-8s  %s\n", "run", "cycle", "hash", "state", "experiment");
    for (size_t i = 0; i < p->n_items; i++) {
        const lle_campaign_experiment *x = &p->experiments[p->items[i].experiment];
        printf("  %5zu %5d  %.12s  %-8s  %s\n", i + 1, p->items[i].cycle, x->hash, lle_item_state_name(st->state[i]),
               x->label);
        if (st->error[i] != NULL && st->state[i] == LLE_ITEM_FAILED)
            printf("  %5s %5s  %12s  %8s  error: %s\n", "", "", "", "", st->error[i]);
    }
    printf("\nestimated duration of the %zu run%s to do: ", e->runs, e->runs == 1 ? "" : "s");
    if (e->known)
        print_duration(e->total_s);
    else
        printf("unknown compute time + ");
    if (!e->known)
        print_duration(e->idle_s + e->cooldown_s);
    printf(" (%s)\n", e->basis);
}

static int dry_run(const camp_opts *c, const lle_campaign_plan *p)
{
    lle_campaign_status *st = NULL;
    lle_campaign_estimate e;
    lle_error err = {0};
    lle_status s = lle_campaign_status_read(p, c->results_dir, &st, &err);
    int rc = CLI_OK;

    if (s == LLE_OK)
        s = lle_campaign_estimate_compute(p, st, c->results_dir, &e, &err);
    if (s != LLE_OK) {
        rc = cli_fail(&err);
    } else if (c->json) {
        char *js = lle_campaign_plan_json(p, st, &e);
        if (js != NULL)
            puts(js);
        rc = js != NULL ? CLI_OK : CLI_FAILED;
        free(js);
    } else {
        print_plan(p, st, &e, c->results_dir);
    }
    lle_campaign_status_free(st);
    return rc;
}

/* ---- progress ---- */
static void bar(char *buf, size_t size, size_t done, size_t total)
{
    size_t width = 24, fill = total > 0 ? (done > total ? total : done) * width / total : 0;

    snprintf(buf, size, "[%.*s%*s]", (int)fill, "########################", (int)(width - fill), "");
}

static void clear_status(progress *g)
{
    if (g->drawn)
        fputs("\r\033[2K\033[1A\033[2K\r", stderr);
    g->drawn = false;
}

static void draw_status(progress *g)
{
    double eta = g->finished > 0 ? g->done_s / (double)g->finished * (double)(g->to_run - g->ordinal + 1) : -1.0;
    char b[32];

    clear_status(g);
    bar(b, sizeof b, g->ordinal > 0 ? g->ordinal - 1 : 0, g->to_run);
    fprintf(stderr, "campaign %s %s %zu/%zu runs, %zu failed", g->plan->id, b, g->ordinal > 0 ? g->ordinal - 1 : 0,
            g->to_run, g->failed);
    if (eta >= 0.0)
        fprintf(stderr, ", ETA ~%.0f s (estimate)", eta + g->plan->cooldown_s * (double)(g->to_run - g->ordinal));
    bar(b, sizeof b, (size_t)g->req_done, (size_t)g->req_total);
    fprintf(stderr, "\n  %s %d/%d requests %.1f tok/s", b, g->req_done, g->req_total, g->tok_s);
    if (g->power_method != NULL && g->power_w == g->power_w) /* not NaN */
        fprintf(stderr, " %.1f W %s", g->power_w, g->power_method);
    fprintf(stderr, "  run %zu: %.60s (cycle %d)", g->ordinal, g->label != NULL ? g->label : "", g->cycle);
    fflush(stderr);
    g->drawn = true;
}

static void on_start(void *user, const lle_campaign_plan *p, size_t item, size_t ordinal, size_t to_run)
{
    progress *g = user;

    g->plan = p;
    g->label = p->experiments[p->items[item].experiment].label;
    g->cycle = p->items[item].cycle;
    g->ordinal = ordinal;
    g->to_run = to_run;
    g->req_done = g->req_total = 0;
    g->tok_s = 0.0;
    g->power_method = NULL;
    g->run_t0 = now_s();
    if (g->tty)
        draw_status(g);
}

static void on_progress(int done, int total, double tok_s, double power_w, const char *power_method, void *user)
{
    progress *g = user;

    g->req_done = done;
    g->req_total = total;
    g->tok_s = tok_s;
    g->power_w = power_w;
    g->power_method = power_method;
    if (g->tty)
        draw_status(g);
}

static void on_end(void *user, const lle_campaign_plan *p, size_t item, lle_status st, const lle_run_result *r,
                   const char *error, double seconds)
{
    progress *g = user;

    (void)p;
    (void)item;
    g->finished++;
    g->done_s += seconds;
    g->failed += st != LLE_OK && st != LLE_ERR_INTERRUPTED ? 1 : 0;
    clear_status(g);
    if (st == LLE_OK && cli_verbosity >= 1)
        fprintf(stderr, "  done    %s (cycle %d): %.1f s, %.1f output tok/s, id %s\n", g->label, g->cycle, seconds,
                r->output_tok_s, r->id);
    else if (st != LLE_OK && st != LLE_ERR_INTERRUPTED)
        fprintf(stderr, "  FAILED  %s (cycle %d): %s\n", g->label, g->cycle, error != NULL ? error : "?");
    fflush(stderr);
}

static void on_wait(void *user, const char *what)
{
    progress *g = user;

    if (cli_verbosity < 1 || (!g->tty && cli_verbosity < 2))
        return;
    clear_status(g);
    fprintf(stderr, "  %s\n", what);
    fflush(stderr);
}

/* ---- running ---- */
static void print_summary(const camp_opts *c, const lle_campaign_plan *p, const lle_campaign_summary *s)
{
    if (c->json) {
        char *js = lle_campaign_summary_json(p, s);
        if (js != NULL)
            puts(js);
        free(js);
        return;
    }
    if (cli_verbosity < 1)
        return;
    fprintf(stderr,
            "campaign %s: %zu/%zu runs done (%zu before this run, %zu recovered after a crash), %zu ran now, "
            "%zu failed; model loaded %d time(s), reused %d time(s); results in %s/results.db\n",
            p->id, s->total - s->remaining, s->total, s->already_done, s->recovered, s->ran, s->failed, s->engine_loads,
            s->engine_reuses, c->results_dir);
    if (s->temperature_note[0] != '\0')
        fprintf(stderr, "note: %s\n", s->temperature_note);
}

static int run_campaign(camp_opts *c, const lle_campaign_plan *p)
{
    progress g = {0};
    lle_campaign_events ev = {on_start, on_progress, on_end, on_wait, &g};
    lle_campaign_summary s;
    lle_error err = {0};
    lle_status st;

    g.tty = isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL && cli_verbosity > 0;
    g.t0 = now_s();
    cli_install_signals();
#ifdef LLE_MPI
    if (lle_cluster_launched() && lle_cluster_size() > 1) { /* rank 0 coordinates, the others run (docs/cluster.md) */
        st = lle_cluster_run_campaign(p, c->results_dir, &c->o, &ev, &cli_interrupted, &s, &err);
        if (lle_cluster_rank() > 0) /* a worker: rank 0 reports the campaign */
            return st == LLE_OK                    ? CLI_OK
                   : st == LLE_ERR_INTERRUPTED     ? CLI_INTERRUPTED
                   : lle_status_is_input_error(st) ? CLI_USAGE
                                                   : CLI_FAILED;
    } else
#endif
        st = lle_campaign_run(p, c->results_dir, &c->o, &ev, &cli_interrupted, &s, &err);
    clear_status(&g);
    if (st == LLE_ERR_INTERRUPTED) {
        print_summary(c, p, &s);
        cli_errorf("interrupted: %zu of %zu runs done; run the same command again to resume", s.total - s.remaining,
                   s.total);
        return CLI_INTERRUPTED;
    }
    if (st != LLE_OK)
        return cli_fail(&err);
    print_summary(c, p, &s);
    if (s.remaining > 0)
        cli_errorf("%zu of %zu runs not done (%zu failed with no retries left%s); see `llm-efficiency run %s %s "
                   "--dry-run`",
                   s.remaining, s.total, s.exhausted, s.stopped_on_failure ? ", stopped by --fail-fast" : "",
                   lle_suite_name(p->suite), c->config);
    return s.remaining > 0 ? CLI_FAILED : CLI_OK;
}

static int list_scenarios(bool markdown)
{
    char *md = markdown ? lle_builtin_scenarios_markdown() : NULL;

    if (markdown) {
        if (md == NULL)
            return CLI_FAILED;
        fputs(md, stdout);
        free(md);
        return CLI_OK;
    }
    printf("%-4s %-40s %5s  %-7s %-12s %s\n", "id", "thesis name", "batch", "type", "traffic", "decoding");
    for (size_t i = 0; i < lle_builtin_scenario_count(); i++) {
        const lle_builtin_scenario *b = lle_builtin_scenario_at(i);
        char traffic[32];
        snprintf(traffic, sizeof traffic, strcmp(b->traffic, "uniform") == 0 ? "%g-%g s" : "none", b->delay_min_s,
                 b->delay_max_s);
        printf("%-4s %-40s %5d  %-7s %-12s temperature %g%s\n", b->id, b->name, b->batch_size, b->preset_type, traffic,
               (double)b->temperature,
               b->top_k > 0      ? ", top_k"
               : b->top_p < 1.0f ? ", top_p"
                                 : "");
    }
    printf("\nUse one in a scenarios file as `- name: A1` (or all: `- name: thesis`); docs/scenarios.md\n");
    return CLI_OK;
}

/* `run single CAMPAIGN`: one experiment was asked for; name the command that runs the file. */
static int refuse_single(const char *path)
{
    lle_config *cfg = NULL;
    const char *suite = "?";

    if (lle_config_load(path, &cfg, NULL) == LLE_OK)
        suite = lle_suite_name(lle_config_campaign(cfg)->suite);
    cli_errorf("%s: a %s campaign, expected a single experiment; run it with `llm-efficiency run %s %s` "
               "(docs/campaigns.md)",
               path, suite, suite, path);
    lle_config_free(cfg);
    return CLI_USAGE;
}

int cli_campaign(const char *suite, int argc, char **argv)
{
    camp_opts c;
    lle_config *cfg = NULL;
    lle_campaign_plan *plan = NULL;
    lle_error err = {0};
    int rc;

    if (strcmp(suite, "single") == 0)
        return refuse_single(argc > 1 ? argv[1] : "");
    memset(&c, 0, sizeof c);
    c.suite = suite;
    c.results_dir = "results";
    lle_campaign_opts_init(&c.o);
    c.o.overrides = c.sets;
    rc = parse_args(argc, argv, &c);
    if (rc >= 0)
        goto cleanup;
    if (c.list) {
        rc = list_scenarios(c.markdown);
        goto cleanup;
    }
    rc = load(&c, &cfg);
    if (rc >= 0)
        goto cleanup;
    c.o.config_path = c.config;
    if (lle_campaign_plan_build(cfg, &c.o, &plan, &err) != LLE_OK) {
        rc = cli_fail(&err);
        goto cleanup;
    }
    rc = c.dry_run ? dry_run(&c, plan) : run_campaign(&c, plan);
cleanup:
    lle_campaign_plan_free(plan);
    lle_config_free(cfg);
    return rc;
}
