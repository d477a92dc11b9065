/* util.h — internal helpers shared by every module of liblle: error filling,
 * logging, bounded string copies, atomic file writes, directories, clocks.
 * Not installed; the CLI never includes it. */
#ifndef LLE_UTIL_H
#define LLE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/log.h"

/* Fill `err` (may be NULL) and return `code`. printf-style message. */
lle_status lle_fail(lle_error *err, lle_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Log through the sink set with lle_log_set(). */
void lle_logf(lle_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy at most dst_size-1 bytes and always terminate. Returns strlen(src). */
size_t lle_strlcpy(char *dst, const char *src, size_t dst_size);

/* Write `len` bytes to `path` through `path.tmp.<pid>` + fsync + rename, so the
 * file is either the old one or the complete new one. Mode 0644 (umask). */
lle_status lle_write_file_atomic(const char *path, const void *data, size_t len, lle_error *err);

/* mkdir -p with mode 0755 (under umask). */
lle_status lle_mkdir_p(const char *path, lle_error *err);

/* Monotonic clock in seconds. */
double lle_now_s(void);

/* Process-wide one-time set-up of llama.cpp: load the ggml backends found next
 * to the libraries (or in $LLE_GGML_BACKEND_DIR) and route llama.cpp's log into
 * ours. Safe to call many times and from many threads. */
lle_status lle_runtime_init(lle_error *err);

/* Route llama.cpp's and ggml's log (gguf parse errors included) into ours
 * instead of stderr. Idempotent; lle_runtime_init() and lle_log_set() call it. */
void lle_llama_log_init(void);

/* splitmix64 step: the PRNG of every seeded choice (common/rand.c). */
uint64_t lle_splitmix64(uint64_t *state);
/* Uniform double in [0, 1). */
double lle_rand01(uint64_t *state);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t lle_rand_below(uint64_t *state, uint64_t bound);

/* <dir of the loaded liblle>/../share/llm-efficiency/<sub> into `out`; true
 * when that directory exists (common/paths.c). */
bool lle_share_dir(const char *sub, char *out, size_t size);

/* Number of online CPU cores (>= 1). */
int lle_cpu_count(void);

#endif
