/* lle/log.h — where the library's (and llama.cpp's) log lines go.
 *
 * The library never writes to stdout/stderr itself: it hands each line to the
 * callback set here. With no callback set, lines are dropped. */
#ifndef LLE_LOG_H
#define LLE_LOG_H

#include "lle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lle_log_level { LLE_LOG_ERROR = 0, LLE_LOG_WARN = 1, LLE_LOG_INFO = 2, LLE_LOG_DEBUG = 3 } lle_log_level;

/* `line` is valid only during the call and has no trailing newline. */
typedef void (*lle_log_fn)(lle_log_level level, const char *line, void *user);

/* Install the sink and the most verbose level passed to it. Not thread-safe
 * against concurrent logging: call before starting work. */
LLE_API void lle_log_set(lle_log_fn fn, void *user, lle_log_level max_level);

#ifdef __cplusplus
}
#endif
#endif
