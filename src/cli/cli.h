/* cli.h — shared declarations of the llm-efficiency command-line front end.
 * One file per subcommand (model.c, run.c, ...); main.c dispatches. The CLI
 * uses only the public headers in include/lle/. Exit codes: 0 ok, 1 the run
 * failed, 2 usage or bad input, 130 interrupted. */
#ifndef LLE_CLI_H
#define LLE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/lle.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

/* Subcommand entry points: argv[0] is the subcommand name. */
int cli_model(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_run_remote(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_devices(int argc, char **argv);
int cli_measure(int argc, char **argv);
int cli_flops(int argc, char **argv);
int cli_results(int argc, char **argv);

/* Campaign suites (campaign.c): `run SUITE CONFIG ...`, argv[0] = SUITE. */
int cli_campaign(const char *suite, int argc, char **argv);
/* CONFIG loads without errors and declares a suite other than single. */
bool cli_is_campaign_file(const char *path);

/* Print "llm-efficiency: <msg>" to stderr (printf-style). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a library error and map its status to an exit code. */
int cli_fail(const lle_error *err);

/* Strict number parsing for flag values: the whole string must be a number in
 * [min, max]. On failure prints "<flag>: ..." and returns false. */
bool cli_parse_int(const char *flag, const char *text, long long min, long long max, long long *out);
bool cli_parse_u64(const char *flag, const char *text, uint64_t *out);
bool cli_parse_double(const char *flag, const char *text, double min, double max, double *out);

/* Table-driven flag parsing, shared by `run single`, `run single --engine
 * openai` and the campaign suites. A table lists the "--NAME" flags; each
 * entry stores into a field of the caller's options struct, found by its
 * offset (offsetof(opts_type, field), nested members allowed). Values are
 * taken from "--NAME VALUE" or "--NAME=VALUE"; string fields borrow the
 * argv string (argv outlives the options). */
typedef enum cli_flag_kind {
    CLI_F_STR,    /* const char *: the value */
    CLI_F_INT,    /* int in [min, max] */
    CLI_F_U64,    /* uint64_t, any non-negative whole number */
    CLI_F_FLOAT,  /* float in [min, max] */
    CLI_F_DOUBLE, /* double in [min, max] */
    CLI_F_TRUE,   /* bool set to true; takes no value */
    CLI_F_FALSE,  /* bool set to false; takes no value */
    CLI_F_CUSTOM  /* takes a value, handed to the table's custom() */
} cli_flag_kind;

typedef struct cli_flag {
    const char *name; /* without the leading "--" */
    cli_flag_kind kind;
    size_t off;      /* offset of the field in the options struct (not CLI_F_CUSTOM) */
    double min, max; /* accepted range of CLI_F_INT, CLI_F_FLOAT, CLI_F_DOUBLE */
} cli_flag;

typedef struct cli_flag_table {
    const cli_flag *flags;
    size_t n_flags;
    /* Errors: "<command>: unexpected argument 'X'" and
     * "<unknown>: unknown option '--X' (see <help> --help)". */
    const char *command, *unknown, *help;
    const char *usage; /* printed on stdout by -h/--help */
    /* CLI_F_CUSTOM flags: -1 to go on, else an exit code (it printed why). */
    int (*custom)(const char *name, const char *val, void *opts);
} cli_flag_table;

/* The "--NAME[=VALUE]" flag at argv[*i] (it starts with "--"; *i moves past a
 * separate value) stored into opts. -1 to go on, else an exit code; every
 * error is printed as one line. */
int cli_parse_flag(const cli_flag_table *t, int argc, char **argv, int *i, void *opts);

/* -h/--help (prints usage on stdout; *rc = CLI_OK), -q/--quiet and
 * -v/--verbose (*rc = -1). False when arg is none of them. */
bool cli_common_flag(const char *arg, const char *usage, int *rc);

/* argv[first..argc-1]: the common flags, then the table's flags; anything
 * else is an unexpected argument. -1 to go on, else an exit code. */
int cli_parse_args(const cli_flag_table *t, int argc, char **argv, int first, void *opts);

/* Figures for people: v with `prec` decimals into buf, or "n/a" when v is NaN
 * or infinite (not available: not measured, or nothing to divide by). */
#define CLI_NUM_MAX 352 /* a buffer that holds any double with up to 20 decimals */
const char *cli_num(char *buf, size_t size, int prec, double v);
/* "  LABEL VALUE" on stdout: label left-aligned in `width` columns, value
 * (cli_num) right-aligned in 14. */
void cli_print_value(int width, const char *label, int prec, double v);
/* "  NAME mean p50 p90 p99 min max" on stdout, each multiplied by scale,
 * 2 decimals in 10 columns ("n/a" where not finite). */
void cli_print_stats_row(int width, const char *name, const lle_stats *s, double scale);

/* Print JSON text `js` (taken: freed here) and a newline on stdout: CLI_OK;
 * NULL (it could not be built): "out of memory" on stderr, CLI_FAILED. */
int cli_print_json(char *js);

/* Verbosity set by the global -v/-q flags (0 quiet .. 3 debug); default 1. */
extern int cli_verbosity;
/* Install the stderr log sink at the level cli_verbosity selects. */
void cli_apply_verbosity(void);

/* Set to 1 by SIGINT/SIGTERM once cli_install_signals() ran. */
extern volatile int cli_interrupted;
void cli_install_signals(void);

#endif
