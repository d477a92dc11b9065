/* config.c — the `config` subcommand: `validate` (every error of every file,
 * FILE:LINE:COL: path: message, then a count), `show` (the resolved
 * configuration as YAML or JSON), `init` (an annotated template per suite),
 * `schema` (every field, as a table, JSON or the Markdown of
 * docs/config-files.md) and `migrate` (a thesis-tool JSON config to our YAML,
 * with a report of what could not be carried over). Public API only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lle/config.h"

static const char USAGE[] = "usage: llm-efficiency config <command> [<args>]\n"
                            "\n"
                            "Experiment and campaign files (YAML or JSON): docs/config-files.md.\n"
                            "\n"
                            "commands:\n"
                            "  validate FILE...        check files before anything runs: every error as\n"
                            "                          FILE:LINE:COL: field.path: message, then a count\n"
                            "  show FILE [--json]      the fully resolved configuration, defaults included\n"
                            "  init [--suite S] [-o FILE] [--force]\n"
                            "                          annotated template that runs as is on the tiny preset;\n"
                            "                          S: single (default), models, controlled, scenarios, grid\n"
                            "  schema [--json | --markdown]\n"
                            "                          every field: section, accepted values, default, flag\n"
                            "  migrate OLD.json [-o NEW.yaml] [--model FILE | --preset NAME] [--force]\n"
                            "                          convert a thesis-tool config; what could not be carried\n"
                            "                          over is reported on stderr and kept as comments\n"
                            "\n"
                            "exit codes: 0 ok, 2 invalid file or usage\n";

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* `--name VALUE` or `--name=VALUE` at argv[*i]: 1 matched, 0 not, -1 missing value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_errorf("%s: a value is required", name);
        return -1;
    }
    *i += 1;
    *val = argv[*i];
    return 1;
}

static int bad_arg(const char *cmd, const char *a)
{
    cli_errorf("config %s: unexpected argument '%s' (see llm-efficiency config --help)", cmd, a);
    return CLI_USAGE;
}

/* Load a file; print its diagnostics. Returns the config (NULL when it could
 * not be read) and sets *rc to the exit code of this file. */
static lle_config *load_reported(const char *path, int *rc)
{
    lle_config *c = NULL;
    lle_error err = {0};
    lle_status st = lle_config_load(path, &c, &err);
    char *diags;

    *rc = CLI_OK;
    if (c == NULL) {
        *rc = cli_fail(&err);
        return NULL;
    }
    diags = lle_config_diag_text(c);
    if (diags != NULL)
        fputs(diags, stderr);
    free(diags);
    if (st != LLE_OK) {
        size_t n = lle_config_error_count(c);
        fprintf(stderr, "%s: %zu error%s\n", path, n, n == 1 ? "" : "s");
        *rc = CLI_USAGE;
    }
    return c;
}

static void summary(const char *path, const lle_config *c)
{
    const lle_campaign *cp = lle_config_campaign(c);
    size_t warnings = lle_config_diag_count(c) - lle_config_error_count(c);

    if (cli_verbosity == 0)
        return;
    if (cp->suite == LLE_SUITE_SINGLE)
        printf("%s: ok (single experiment", path);
    else
        printf("%s: ok (%s campaign", path, lle_suite_name(cp->suite));
    if (warnings > 0)
        printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
    printf(")\n");
}

static int cmd_validate(int argc, char **argv)
{
    int rc = CLI_OK, n = 0;

    for (int i = 1; i < argc; i++) {
        int one;
        lle_config *c;
        if (is_help(argv[i])) {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
        c = load_reported(argv[i], &one);
        if (one == CLI_OK)
            summary(argv[i], c);
        if (one != CLI_OK && (rc == CLI_OK || one == CLI_USAGE))
            rc = one;
        lle_config_free(c);
        n++;
    }
    if (n == 0) {
        cli_errorf("config validate: give at least one FILE");
        return CLI_USAGE;
    }
    return rc;
}

static int cmd_show(int argc, char **argv)
{
    const char *file = NULL;
    bool json = false;
    lle_config *c;
    char *text;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] != '-' && file == NULL) {
            file = argv[i];
        } else {
            return bad_arg("show", argv[i]);
        }
    }
    if (file == NULL) {
        cli_errorf("config show: give a FILE");
        return CLI_USAGE;
    }
    c = load_reported(file, &rc);
    if (rc == CLI_OK) {
        text = json ? lle_config_to_json(c) : lle_config_to_yaml(c);
        if (text == NULL) {
            cli_errorf("out of memory");
            rc = CLI_FAILED;
        } else {
            fputs(text, stdout);
            if (json)
                fputc('\n', stdout);
        }
        free(text);
    }
    lle_config_free(c);
    return rc;
}

/* Write `text` to `out` (NULL: stdout). */
static int emit(const char *text, const char *out, bool force)
{
    lle_error err = {0};

    if (out == NULL) {
        fputs(text, stdout);
        return CLI_OK;
    }
    if (lle_config_write_text(out, text, force, &err) != LLE_OK)
        return cli_fail(&err);
    if (cli_verbosity > 0)
        fprintf(stderr, "wrote %s\n", out);
    return CLI_OK;
}

static int cmd_init(int argc, char **argv)
{
    const char *suite = "single", *out = NULL;
    bool force = false;
    char *text = NULL;
    lle_error err = {0};
    int rc;

    for (int i = 1; i < argc; i++) {
        int m = 0;
        if (is_help(argv[i])) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = true;
        } else if ((m = opt_value(argc, argv, &i, "--suite", &suite)) != 0 ||
                   (m = opt_value(argc, argv, &i, "-o", &out)) != 0 ||
                   (m = opt_value(argc, argv, &i, "--output", &out)) != 0) {
            if (m < 0)
                return CLI_USAGE;
        } else {
            return bad_arg("init", argv[i]);
        }
    }
    if (lle_config_template(suite, &text, &err) != LLE_OK)
        return cli_fail(&err);
    rc = emit(text, out, force);
    free(text);
    return rc;
}

static void print_schema_table(void)
{
    const char *section = "";
    char buf[160];

    for (size_t i = 0; i < lle_config_field_count(); i++) {
        const lle_config_field *f = lle_config_field_at(i);
        if (strcmp(section, f->section) != 0) {
            printf("%s%s:\n", i ? "\n" : "", f->section);
            section = f->section;
        }
        printf("  %-19s %s; default %s%s%s\n  %-19s %s\n", f->name, lle_config_field_accepts(f, buf, sizeof buf),
               f->default_text, f->flag[0] ? "; flag " : "", f->flag, "", f->help);
    }
    printf("\ncampaign keys (with suite: models | controlled | scenarios | grid):\n"
           "  experiment, models, factors, scenarios, grid, exclude, include,\n"
           "  cycles, order, cooldown_s, max_retries   (docs/config-files.md)\n");
}

static int cmd_schema(int argc, char **argv)
{
    char *text = NULL;

    if (argc > 2)
        return bad_arg("schema", argv[2]);
    if (argc == 2 && is_help(argv[1])) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    if (argc == 1) {
        print_schema_table();
        return CLI_OK;
    }
    if (strcmp(argv[1], "--json") == 0)
        text = lle_config_schema_json();
    else if (strcmp(argv[1], "--markdown") == 0)
        text = lle_config_schema_markdown();
    else
        return bad_arg("schema", argv[1]);
    if (text == NULL) {
        cli_errorf("out of memory");
        return CLI_FAILED;
    }
    fputs(text, stdout);
    if (strcmp(argv[1], "--json") == 0)
        fputc('\n', stdout);
    free(text);
    return CLI_OK;
}

static int parse_migrate(int argc, char **argv, const char **file, const char **out, bool *force, lle_migrate_opts *o)
{
    for (int i = 1; i < argc; i++) {
        int m = 0;
        if (is_help(argv[i])) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--force") == 0) {
            *force = true;
        } else if ((m = opt_value(argc, argv, &i, "-o", out)) != 0 ||
                   (m = opt_value(argc, argv, &i, "--output", out)) != 0 ||
                   (m = opt_value(argc, argv, &i, "--model", &o->model_path)) != 0 ||
                   (m = opt_value(argc, argv, &i, "--preset", &o->preset)) != 0) {
            if (m < 0)
                return CLI_USAGE;
        } else if (argv[i][0] != '-' && *file == NULL) {
            *file = argv[i];
        } else {
            return bad_arg("migrate", argv[i]);
        }
    }
    if (*file == NULL || (o->model_path != NULL && o->preset != NULL)) {
        cli_errorf(*file == NULL ? "config migrate: give the thesis tool's OLD.json"
                                 : "config migrate: give at most one of --model and --preset");
        return CLI_USAGE;
    }
    return -1;
}

static void migrate_summary(const char *file, const lle_migrate_report *rep, bool written)
{
    size_t n[3] = {0, 0, 0};

    for (size_t i = 0; i < rep->n_items; i++)
        n[rep->items[i].kind]++;
    fprintf(stderr, "%s: %zu not mapped, %zu invalid, %zu notes%s\n", file, n[LLE_MIGRATE_UNMAPPED],
            n[LLE_MIGRATE_INVALID], n[LLE_MIGRATE_NOTE], written ? " (also kept as comments in the output)" : "");
}

static int cmd_migrate(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    bool force = false;
    lle_migrate_opts o = {NULL, NULL};
    lle_migrate_report *rep = NULL;
    lle_error err = {0};
    char *yaml = NULL, *text;
    int rc = parse_migrate(argc, argv, &file, &out, &force, &o);

    if (rc >= 0)
        return rc;
    rc = lle_config_migrate(file, &o, &yaml, &rep, &err) == LLE_OK ? CLI_OK : -1;
    text = rep != NULL ? lle_migrate_report_text(rep, file) : NULL;
    if (text != NULL && cli_verbosity > 0)
        fputs(text, stderr);
    if (rep != NULL && cli_verbosity > 0)
        migrate_summary(file, rep, rc == CLI_OK);
    if (rc < 0)
        rc = cli_fail(&err);
    else
        rc = emit(yaml, out, force);
    free(text);
    free(yaml);
    lle_migrate_report_free(rep);
    return rc;
}

int cli_config(int argc, char **argv)
{
    const char *cmd = argc >= 2 ? argv[1] : NULL;

    if (cmd == NULL || is_help(cmd)) {
        fputs(USAGE, cmd == NULL ? stderr : stdout);
        return cmd == NULL ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "show") == 0)
        return cmd_show(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "schema") == 0)
        return cmd_schema(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    cli_errorf("config: unknown command '%s' (validate, show, init, schema, migrate)", cmd);
    return CLI_USAGE;
}
