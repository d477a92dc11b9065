/* sse.h — incremental parser of a Server-Sent Events stream (the WHATWG
 * "text/event-stream" format OpenAI-compatible servers stream with).
 *
 * Bytes are fed as they arrive, in pieces of any size: a line, a field name or
 * a CR LF pair may be split across any number of feeds. Lines end in LF, CR LF
 * or CR; "data:" lines of one event are joined with LF; lines starting with ':'
 * are comments; an empty line dispatches the event (events without data are
 * dropped, as the standard says). An event still open when the stream ends is
 * not dispatched.
 *
 * Ownership: the caller owns the lle_sse value and releases its buffers with
 * lle_sse_free(). The data passed to the callback is valid only during the call. */
#ifndef LLE_REMOTE_SSE_H
#define LLE_REMOTE_SSE_H

#include <stdbool.h>
#include <stddef.h>

/* Called once per complete event: `type` is the "event:" field ("" when
 * absent), `data` its data (NUL-terminated, `len` bytes). Return 0 to go on,
 * non-zero to stop parsing (lle_sse_feed then returns LLE_SSE_STOPPED). */
typedef int (*lle_sse_event_fn)(void *user, const char *type, const char *data, size_t len);

typedef struct lle_sse {
    char *line; /* the current, incomplete line */
    size_t line_len, line_cap;
    char *data; /* data of the current event so far */
    size_t data_len, data_cap;
    bool has_data; /* a data field was seen in the current event */
    bool skip_lf;  /* the previous feed ended in CR: a leading LF belongs to it */
    char type[32];
    size_t max_event; /* most bytes of one line or one event's data */
    size_t n_events;  /* events dispatched so far */
} lle_sse;

enum { LLE_SSE_OK = 0, LLE_SSE_STOPPED = 1, LLE_SSE_TOO_LONG = -1, LLE_SSE_NOMEM = -2 };

/* max_event: bytes allowed per line and per event (0: 8 MiB). */
void lle_sse_init(lle_sse *p, size_t max_event);
int lle_sse_feed(lle_sse *p, const char *buf, size_t len, lle_sse_event_fn fn, void *user);
/* Bytes held for an event that is not complete yet (0 between events). */
size_t lle_sse_pending(const lle_sse *p);
void lle_sse_free(lle_sse *p);

#endif
