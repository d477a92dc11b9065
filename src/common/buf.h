/* buf.h — the growable text buffer of liblle, shared by the results output
 * (src/results) and the config emitter (src/config). Appends never fail
 * loudly: an allocation failure sets `oom` (the content is then incomplete)
 * and whoever takes the text reports it once. Not installed.
 * Ownership: the buffer owns `data` until rbuf_release() (or the results
 * module's rbuf_take()) hands it to the caller; rbuf_free() frees it. A
 * zero-initialised rbuf is empty and ready. */
#ifndef LLE_COMMON_BUF_H
#define LLE_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rbuf {
    char *data;
    size_t len, cap;
    bool oom; /* an append failed: the content is incomplete */
} rbuf;

/* Room for `extra` more bytes and a NUL; false (and oom set) when it failed. */
bool rbuf_reserve(rbuf *b, size_t extra);
void rbuf_put(rbuf *b, const char *s, size_t n);
void rbuf_puts(rbuf *b, const char *s);
void rbuf_putc(rbuf *b, char c);
void rbuf_printf(rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text, NUL-terminated, for the caller to free(); NULL when out of memory.
 * The buffer is left empty. */
char *rbuf_release(rbuf *b);
void rbuf_free(rbuf *b);

#endif
