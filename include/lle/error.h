/* lle/error.h — the one error enum of liblle and the caller-owned error record.
 *
 * Every fallible library function returns an lle_status and, on failure, fills
 * an lle_error the caller passed in (may be NULL when the caller does not care).
 * The library never prints and never exits; the message names the file, field or
 * value at fault. Ownership: lle_error is a plain value owned by the caller. */
#ifndef LLE_ERROR_H
#define LLE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LLE_BUILDING_LIBRARY)
#define LLE_API __attribute__((visibility("default")))
#else
#define LLE_API
#endif

typedef enum lle_status {
    LLE_OK = 0,
    LLE_ERR_INVALID,     /* bad argument or configuration value (user input) */
    LLE_ERR_NOT_FOUND,   /* a named file, preset or item does not exist */
    LLE_ERR_FORMAT,      /* a file exists but its contents are not what was expected */
    LLE_ERR_IO,          /* reading or writing failed (permissions, disk full, ...) */
    LLE_ERR_NOMEM,       /* out of memory */
    LLE_ERR_BACKEND,     /* llama.cpp (or another engine) failed */
    LLE_ERR_INTERRUPTED, /* stopped on request (SIGINT/SIGTERM) */
    LLE_ERR_UNSUPPORTED, /* valid request this build or machine cannot do */
    LLE_ERR_INTERNAL     /* a bug: an invariant did not hold */
} lle_status;

#define LLE_ERROR_MSG_MAX 1024

typedef struct lle_error {
    lle_status code;
    char msg[LLE_ERROR_MSG_MAX];
} lle_error;

/* Stable lower-case name of a status ("invalid", "not_found", ...). */
LLE_API const char *lle_status_name(lle_status status);

/* 1 when the status means the caller's input was at fault (usage/bad input). */
LLE_API int lle_status_is_input_error(lle_status status);

#ifdef __cplusplus
}
#endif
#endif
