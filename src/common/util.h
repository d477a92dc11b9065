/* util.h — internal helpers shared by every module of liblle: error filling,
 * logging, bounded string copies, atomic file writes, directories (creation
 * and pattern-safe listing), clocks.
 * Not installed; the CLI never includes it. */
#ifndef LLE_UTIL_H
#define LLE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/log.h"

/* lle_fail(err, code, fmt, ...): fill `err` (may be NULL) and return `code`,
 * printf-style message. Never returns LLE_OK (a call with LLE_OK is a bug and
 * gives LLE_ERR_INTERNAL). A macro over lle_fail_impl() so that static
 * analysers, which do not look into variadic functions, can see that the
 * result is an error (clang-analyzer then stops reporting paths where a
 * failed allocation or lookup would be used after lle_fail). */
lle_status lle_fail_impl(lle_error *err, lle_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline lle_status lle_fail_result(lle_status code)
{
    return code == LLE_OK ? LLE_ERR_INTERNAL : code;
}
#define lle_fail(...) lle_fail_result(lle_fail_impl(__VA_ARGS__))

/* Log through the sink set with lle_log_set(). */
void lle_logf(lle_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy at most dst_size-1 bytes and always terminate. Returns strlen(src). */
size_t lle_strlcpy(char *dst, const char *src, size_t dst_size);

/* Write `len` bytes to `path` through `path.tmp.<pid>` + fsync + rename, so the
 * file is either the old one or the complete new one. Mode 0644 (umask). */
lle_status lle_write_file_atomic(const char *path, const void *data, size_t len, lle_error *err);

/* mkdir -p with mode 0755 (under umask). */
lle_status lle_mkdir_p(const char *path, lle_error *err);

/* The entry names (not paths) of directory `dir` that start with the literal
 * `prefix` ("" for any) and whose remainder matches the fnmatch(3) `pattern`,
 * sorted with strcmp. `dir` and `prefix` are used as given, never as patterns:
 * a directory named "a[1]*" is that directory and nothing else. "." and ".."
 * never match; other names starting with '.' only when `prefix` is not empty or
 * `pattern` starts with '.'. On LLE_OK *names is a NULL-terminated array owned
 * by the caller (lle_names_free); *count (may be NULL) its length. A directory
 * that does not exist: LLE_ERR_NOT_FOUND; one that cannot be read: LLE_ERR_IO. */
lle_status lle_dir_list(const char *dir, const char *prefix, const char *pattern, char ***names, size_t *count,
                        lle_error *err);
/* Free what lle_dir_list returned (NULL is fine). */
void lle_names_free(char **names);

/* Remove the temporary files lle_write_file_atomic() leaves behind when the
 * process dies before its rename: "<dir>/<name>.tmp.*" (dir and name used as
 * given, never as patterns). Best effort: nothing is reported. */
void lle_remove_temp_files(const char *dir, const char *name);

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
