/* common.c — helpers shared by the subcommands: error printing, strict number
 * parsing of flag values, signal handling, verbosity. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_verbosity = 1;
volatile int cli_interrupted;

void cli_errorf(const char *fmt, ...)
{
    va_list ap;

    fputs("llm-efficiency: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail(const lle_error *err)
{
    cli_errorf("%s", err->msg[0] != '\0' ? err->msg : lle_status_name(err->code));
    if (err->code == LLE_ERR_INTERRUPTED)
        return CLI_INTERRUPTED;
    return lle_status_is_input_error(err->code) ? CLI_USAGE : CLI_FAILED;
}

bool cli_parse_int(const char *flag, const char *text, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    if (text == NULL || text[0] == '\0') {
        cli_errorf("%s: a number is required", flag);
        return false;
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        cli_errorf("%s: '%s' is not a whole number", flag, text);
        return false;
    }
    if (v < min || v > max) {
        cli_errorf("%s: %lld is out of range [%lld, %lld]", flag, v, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_u64(const char *flag, const char *text, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (text == NULL || text[0] == '\0' || text[0] == '-') {
        cli_errorf("%s: '%s' is not a non-negative whole number", flag, text ? text : "");
        return false;
    }
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        cli_errorf("%s: '%s' is not a non-negative whole number", flag, text);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_parse_double(const char *flag, const char *text, double min, double max, double *out)
{
    char *end = NULL;
    double v;

    if (text == NULL || text[0] == '\0') {
        cli_errorf("%s: a number is required", flag);
        return false;
    }
    errno = 0;
    v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v)) {
        cli_errorf("%s: '%s' is not a number", flag, text);
        return false;
    }
    if (v < min || v > max) {
        cli_errorf("%s: %g is out of range [%g, %g]", flag, v, min, max);
        return false;
    }
    *out = v;
    return true;
}

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void log_to_stderr(lle_log_level level, const char *line, void *user)
{
    static const char *names[] = {"error", "warning", "info", "debug"};

    (void)user;
    fprintf(stderr, "%s: %s\n", names[level], line);
}

void cli_apply_verbosity(void)
{
    lle_log_set(log_to_stderr, NULL,
                cli_verbosity >= 3   ? LLE_LOG_DEBUG
                : cli_verbosity == 2 ? LLE_LOG_INFO
                : cli_verbosity == 1 ? LLE_LOG_WARN
                                     : LLE_LOG_ERROR);
}
