/* cli.h — shared declarations of the llm-efficiency command-line front end.
 * One file per subcommand (model.c, run.c, ...); main.c dispatches. The CLI
 * uses only the public headers in include/lle/. Exit codes: 0 ok, 1 the run
 * failed, 2 usage or bad input, 130 interrupted. */
#ifndef LLE_CLI_H
#define LLE_CLI_H

#include <stdbool.h>
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

/* Verbosity set by the global -v/-q flags (0 quiet .. 3 debug); default 1. */
extern int cli_verbosity;
/* Install the stderr log sink at the level cli_verbosity selects. */
void cli_apply_verbosity(void);

/* Set to 1 by SIGINT/SIGTERM once cli_install_signals() ran. */
extern volatile int cli_interrupted;
void cli_install_signals(void);

#endif
