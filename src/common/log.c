/* log.c — the library's log sink: a user callback and a level threshold.
 * Nothing is printed unless the caller installs a sink with lle_log_set(). */
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static lle_log_fn g_log_fn;
static void *g_log_user;
static lle_log_level g_log_max = LLE_LOG_WARN;

void lle_log_set(lle_log_fn fn, void *user, lle_log_level max_level)
{
    lle_llama_log_init();
    g_log_fn = fn;
    g_log_user = user;
    g_log_max = max_level;
}

void lle_logf(lle_log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    size_t n;

    if (g_log_fn == NULL || level > g_log_max)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n > 0)
        g_log_fn(level, line, g_log_user);
}
