/* results.c — `llm-efficiency results <subcommand>`: work with the results
 * database. One entry per subcommand in SUBCOMMANDS (name, summary, entry
 * point); for now `import-legacy DIR`, which stores the thesis tool's results
 * as "source": "legacy" documents (docs/legacy-import.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "results_view.h"
#include "lle/legacy.h"

typedef struct subcommand {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} subcommand;

static int import_legacy(int argc, char **argv);

static const subcommand SUBCOMMANDS[] = {
    {"list", "one line per experiment (--campaign, --where F=V, --sort, --limit, --json)", cli_results_list},
    {"show", "everything about one experiment (ID or unique prefix; --json)", cli_results_show},
    {"compare", "experiments side by side, differences to the first, best marked", cli_results_compare},
    {"analyze", "groups, mean/std/95% CI/CV/n, unstable groups, outliers, ranking, Pareto front", cli_results_analyze},
    {"export", "flat CSV/JSONL/JSON of experiments, requests or timeseries (-o FILE)", cli_results_export},
    {"report", "one self-contained offline HTML report with charts (-o report.html)", cli_results_report},
    {"import-legacy", "import the thesis tool's results (raw_results/<id>/, text_generation_results.json)",
     import_legacy},
};
#define N_SUBCOMMANDS (sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0])

static const char IMPORT_USAGE[] =
    "usage: llm-efficiency results import-legacy DIR [--results-dir DIR] [--dry-run] [--json] [-q]\n"
    "\n"
    "Import the thesis tool's results (henrycgbaker/thesis) into RESULTS_DIR/results.db\n"
    "as documents marked \"source\": \"legacy\", units converted (kWh -> J, kg CO2e -> g).\n"
    "DIR is the tool's results/ folder, a raw_results/ folder, one <id>/ folder, a folder\n"
    "with text_generation_results*.json files, or such a file. Importing again replaces\n"
    "the same rows. Mapping and caveats: docs/legacy-import.md.\n"
    "\n"
    "  --results-dir DIR   results directory (default ./results)\n"
    "  --dry-run           read and report; store nothing\n"
    "  --json              the report as JSON on stdout\n";

static void usage(FILE *out)
{
    fputs("usage: llm-efficiency results <subcommand> [<args>]\n\nsubcommands:\n", out);
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-15s %s\n", SUBCOMMANDS[i].name, SUBCOMMANDS[i].summary);
}

static void print_report(const lle_legacy_report *r, const char *results_dir, bool dry_run)
{
    for (size_t i = 0; cli_verbosity > 0 && i < r->n_items; i++) {
        const lle_legacy_item *it = &r->items[i];
        if ((it->outcome == LLE_LEGACY_IMPORTED || it->outcome == LLE_LEGACY_DUPLICATE) && cli_verbosity < 2)
            continue;
        fprintf(stderr, "%s: %s%s%s\n", it->source, lle_legacy_outcome_name(it->outcome), it->message[0] ? ": " : "",
                it->message);
    }
    if (cli_verbosity > 0)
        fprintf(stderr,
                "%s %zu thesis-tool experiment(s) into %s/results.db (%zu already there, replaced); %zu "
                "identical copies skipped, %zu superseded, %zu incomplete\n",
                dry_run ? "would import" : "imported", r->n_imported, results_dir, r->n_stored_before, r->n_duplicates,
                r->n_replaced, r->n_skipped);
}

static int import_legacy(int argc, char **argv)
{
    const char *dir = NULL, *results_dir = "results";
    bool dry_run = false, json = false;
    lle_legacy_report *rep = NULL;
    lle_error err = {0};
    lle_status st;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(IMPORT_USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--results-dir") == 0 && i + 1 < argc) {
            results_dir = argv[++i];
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            dry_run = true;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            cli_verbosity = 0;
        } else if (argv[i][0] != '-' && dir == NULL) {
            dir = argv[i];
        } else {
            cli_errorf("results import-legacy: %s '%s' (see --help)",
                       argv[i][0] == '-' ? "unknown or incomplete "
                                           "option"
                                         : "unexpected argument",
                       argv[i]);
            return CLI_USAGE;
        }
    }
    if (dir == NULL) {
        cli_errorf("results import-legacy: a directory is required (see --help)");
        return CLI_USAGE;
    }
    st = lle_legacy_import(dir, results_dir, dry_run, &rep, &err);
    rc = st == LLE_OK ? CLI_OK : cli_fail(&err);
    if (st == LLE_OK && json)
        rc = cli_print_json(lle_legacy_report_json(rep, dry_run));
    if (st == LLE_OK)
        print_report(rep, results_dir, dry_run);
    lle_legacy_report_free(rep);
    return rc;
}

int cli_results(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0)
            return SUBCOMMANDS[i].run(argc - 1, argv + 1);
    cli_errorf("results: unknown subcommand '%s' (see llm-efficiency results --help)", argv[1]);
    return CLI_USAGE;
}
