/* main.c — entry point of the llm-efficiency CLI: global flags (--help,
 * --version, -v/-q), the log sink, and dispatch to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#ifdef LLE_MPI
#include <pthread.h>
#include <unistd.h>

#include "lle/cluster.h"
#endif

static const char USAGE[] =
    "usage: llm-efficiency [--version] [--help] [-v|-q] <command> [<args>]\n"
    "\n"
    "Measure the energy, speed and cost of large-language-model inference.\n"
    "\n"
    "commands:\n"
    "  run       run experiments: run single, or a campaign (run models|controlled|\n"
    "            scenarios|grid CONFIG; resumable)\n"
    "  model     inspect or synthesise GGUF models (model inspect, model synth)\n"
    "  config    experiment files: validate, show, init, schema, migrate\n"
    "  devices   this machine, its backends, calibrated peaks (--calibrate) and energy\n"
    "            sources (alias: doctor)\n"
    "  measure   run any command and report its energy, power and carbon (-- CMD ARGS...)\n"
    "  flops     model and executed FLOPs of a workload (flops MODEL --prompt-len P --gen-len G)\n"
    "  results   the results database: list, show, compare, analyze, export, report,\n"
    "            import-legacy\n"
    "\n"
    "global options:\n"
    "  -h, --help      show this help (also: llm-efficiency <command> --help)\n"
    "  --version       show version, git commit and llama.cpp release\n"
    "  -v, --verbose   more log output on stderr (repeat for debug)\n"
    "  -q, --quiet     errors only\n"
    "\n"
    "exit codes: 0 ok, 1 the run failed, 2 usage or bad input, 130 interrupted\n";

static void print_version(void)
{
    printf("llm-efficiency %s (commit %s, llama.cpp %s from %s)\n", lle_version(), lle_git_commit(),
           lle_llama_release(), lle_llama_origin());
}

#ifdef LLE_MPI
/* Open MPI's MPI_Finalize is collective: in a job that lost a rank (a worker
 * killed under mpirun --enable-recovery, which the campaign survives) it can
 * wait for that rank forever. The work is done and stored by then, so a
 * watchdog ends the process with its own exit status if finalize has not
 * returned after FINALIZE_TIMEOUT_S. */
#define FINALIZE_TIMEOUT_S 30
static int g_exit_rc;

static void *finalize_watchdog(void *arg)
{
    (void)arg;
    sleep(FINALIZE_TIMEOUT_S);
    fprintf(stderr, "llm-efficiency: warning: MPI_Finalize did not return in %d s (a rank was lost?); exiting\n",
            FINALIZE_TIMEOUT_S);
    fflush(stdout);
    fflush(stderr);
    _exit(g_exit_rc);
}

static void cluster_finish(int rc)
{
    pthread_t t;

    g_exit_rc = rc;
    if (lle_cluster_size() > 1 && pthread_create(&t, NULL, finalize_watchdog, NULL) == 0)
        pthread_detach(t);
    lle_cluster_finalize();
}

/* `run` started by mpirun/srun: MPI up (docs/cluster.md), ranks other than 0
 * quiet (rank 0 reports for the job). -1: go on; else the exit code. */
static int cluster_start(const char *command)
{
    lle_error err = {0};

    if (strcmp(command, "run") != 0 || !lle_cluster_launched())
        return -1;
    if (lle_cluster_init(NULL, NULL, &err) != LLE_OK) {
        lle_cluster_finalize();
        return cli_fail(&err);
    }
    if (lle_cluster_rank() > 0 && cli_verbosity < 2)
        cli_verbosity = 0;
    return -1;
}
#endif

int main(int argc, char **argv)
{
    int i = 1;
    int rc = CLI_USAGE;

    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--version") == 0) {
            print_version();
            return CLI_OK;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            cli_verbosity++;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cli_verbosity = 0;
        } else {
            cli_errorf("unknown option '%s' (see llm-efficiency --help)", a);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
#ifdef LLE_MPI
    if ((rc = cluster_start(argv[i])) >= 0)
        return rc;
#endif
    cli_apply_verbosity();
    if (strcmp(argv[i], "run") == 0)
        rc = cli_run(argc - i, argv + i);
    else if (strcmp(argv[i], "model") == 0)
        rc = cli_model(argc - i, argv + i);
    else if (strcmp(argv[i], "config") == 0)
        rc = cli_config(argc - i, argv + i);
    else if (strcmp(argv[i], "devices") == 0 || strcmp(argv[i], "doctor") == 0)
        rc = cli_devices(argc - i, argv + i);
    else if (strcmp(argv[i], "measure") == 0)
        rc = cli_measure(argc - i, argv + i);
    else if (strcmp(argv[i], "flops") == 0)
        rc = cli_flops(argc - i, argv + i);
    else if (strcmp(argv[i], "results") == 0)
        rc = cli_results(argc - i, argv + i);
    else if (strcmp(argv[i], "help") == 0) {
        fputs(USAGE, stdout);
        rc = CLI_OK;
    } else
        cli_errorf("unknown command '%s' (see llm-efficiency --help)", argv[i]);
#ifdef LLE_MPI
    cluster_finish(rc);
#endif
    return rc;
}
