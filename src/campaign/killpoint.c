/* killpoint.c — the LLE_TEST_KILL_AT crash hook (killpoint.h). Reads the
 * variable on every call (cheap: a handful of calls per experiment) and keeps
 * one counter per process, so "done:3" kills at the third experiment this
 * process completes. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/killpoint.h"

static int hits;

void lle_killpoint(const char *point)
{
    const char *spec = getenv("LLE_TEST_KILL_AT");
    const char *colon = spec != NULL ? strchr(spec, ':') : NULL;
    size_t len = colon != NULL ? (size_t)(colon - spec) : 0;
    long want;

    if (colon == NULL || strlen(point) != len || strncmp(spec, point, len) != 0)
        return;
    want = strtol(colon + 1, NULL, 10);
    if (++hits >= want && want > 0)
        raise(SIGKILL);
}
