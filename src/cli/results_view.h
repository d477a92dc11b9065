/* results_view.h — the `results` subcommands that read the results database:
 * list, show, compare, analyze, export and report (results_view.c, over
 * include/lle/results.h). Each takes argv[0] = the subcommand name and returns
 * an exit code (0 ok, 1 failed, 2 usage or bad input). The `results` command
 * table (src/cli/results.c) dispatches to them. */
#ifndef LLE_CLI_RESULTS_VIEW_H
#define LLE_CLI_RESULTS_VIEW_H

int cli_results_list(int argc, char **argv);
int cli_results_show(int argc, char **argv);
int cli_results_compare(int argc, char **argv);
int cli_results_analyze(int argc, char **argv);
int cli_results_export(int argc, char **argv);
int cli_results_report(int argc, char **argv);

#endif
