/* common.c — helpers shared by the subcommands: error printing, strict number
 * parsing of flag values, the table-driven flag parser, "n/a"-aware number
 * printing, signal handling, verbosity. */
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

/* A number-kind value stored at base; false (printed) when it does not parse. */
static bool set_number(const cli_flag *f, const char *flag, const char *val, char *base)
{
    long long ll;
    double d;

    switch (f->kind) {
    case CLI_F_INT:
        if (!cli_parse_int(flag, val, (long long)f->min, (long long)f->max, &ll))
            return false;
        *(int *)(void *)base = (int)ll;
        return true;
    case CLI_F_U64:
        return cli_parse_u64(flag, val, (uint64_t *)(void *)base);
    case CLI_F_FLOAT:
        if (!cli_parse_double(flag, val, f->min, f->max, &d))
            return false;
        *(float *)(void *)base = (float)d;
        return true;
    case CLI_F_DOUBLE:
        return cli_parse_double(flag, val, f->min, f->max, (double *)(void *)base);
    default:
        break;
    }
    return false;
}

/* Store one matched flag; val is NULL exactly when the kind takes no value. */
static int store_flag(const cli_flag_table *t, const cli_flag *f, const char *flag, const char *val, void *opts)
{
    char *base = (char *)opts + f->off;

    if (f->kind == CLI_F_TRUE || f->kind == CLI_F_FALSE) {
        *(bool *)(void *)base = f->kind == CLI_F_TRUE;
        return -1;
    }
    if (val == NULL) { /* not reached: every other kind takes a value */
        cli_errorf("%s: a value is required", flag);
        return CLI_USAGE;
    }
    if (f->kind == CLI_F_CUSTOM && t->custom == NULL) {
        cli_errorf("%s: not handled by this command", flag);
        return CLI_USAGE;
    }
    if (f->kind == CLI_F_CUSTOM)
        return t->custom(f->name, val, opts);
    if (f->kind == CLI_F_STR) {
        *(const char **)(void *)base = val;
        return -1;
    }
    return set_number(f, flag, val, base) ? -1 : CLI_USAGE;
}

int cli_parse_flag(const cli_flag_table *t, int argc, char **argv, int *i, void *opts)
{
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    char flag[64];

    for (size_t k = 0; k < t->n_flags; k++) {
        const cli_flag *f = &t->flags[k];
        const char *val = NULL;
        if (strlen(f->name) != len || strncmp(f->name, arg, len) != 0)
            continue;
        snprintf(flag, sizeof flag, "--%s", f->name);
        if (f->kind != CLI_F_TRUE && f->kind != CLI_F_FALSE) {
            val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
            if (val == NULL) {
                cli_errorf("%s: a value is required", flag);
                return CLI_USAGE;
            }
        } else if (eq != NULL) {
            cli_errorf("%s takes no value", flag);
            return CLI_USAGE;
        }
        return store_flag(t, f, flag, val, opts);
    }
    cli_errorf("%s: unknown option '--%.*s' (see %s --help)", t->unknown, (int)len, arg, t->help);
    return CLI_USAGE;
}

bool cli_common_flag(const char *arg, const char *usage, int *rc)
{
    *rc = -1;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        fputs(usage, stdout);
        *rc = CLI_OK;
    } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
        cli_verbosity = 0;
        cli_apply_verbosity();
    } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
        cli_verbosity++;
        cli_apply_verbosity();
    } else {
        return false;
    }
    return true;
}

int cli_parse_args(const cli_flag_table *t, int argc, char **argv, int first, void *opts)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        int rc = -1;
        if (!cli_common_flag(a, t->usage, &rc)) {
            if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
                rc = cli_parse_flag(t, argc, argv, &i, opts);
            } else {
                cli_errorf("%s: unexpected argument '%s'", t->command, a);
                rc = CLI_USAGE;
            }
        }
        if (rc >= 0)
            return rc;
    }
    return -1;
}

const char *cli_num(char *buf, size_t size, int prec, double v)
{
    if (isfinite(v))
        snprintf(buf, size, "%.*f", prec, v);
    else
        snprintf(buf, size, "n/a");
    return buf;
}

void cli_print_value(int width, const char *label, int prec, double v)
{
    char b[CLI_NUM_MAX];

    printf("  %-*s %14s\n", width, label, cli_num(b, sizeof b, prec, v));
}

void cli_print_stats_row(int width, const char *name, const lle_stats *s, double scale)
{
    const double v[6] = {s->mean, s->p50, s->p90, s->p99, s->min, s->max};
    char b[CLI_NUM_MAX];

    printf("  %-*s", width, name);
    for (int k = 0; k < 6; k++)
        printf(" %10s", cli_num(b, sizeof b, 2, v[k] * scale));
    putchar('\n');
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

int cli_print_json(char *js)
{
    if (js == NULL) {
        cli_errorf("out of memory");
        return CLI_FAILED;
    }
    puts(js);
    free(js);
    return CLI_OK;
}
