/* error.c — status names and lle_fail_impl(), behind the lle_fail() macro of
 * util.h, that fills caller-owned lle_error records. */
#include <stdio.h>

#include "common/util.h"

const char *lle_status_name(lle_status status)
{
    switch (status) {
    case LLE_OK:
        return "ok";
    case LLE_ERR_INVALID:
        return "invalid";
    case LLE_ERR_NOT_FOUND:
        return "not_found";
    case LLE_ERR_FORMAT:
        return "format";
    case LLE_ERR_IO:
        return "io";
    case LLE_ERR_NOMEM:
        return "nomem";
    case LLE_ERR_BACKEND:
        return "backend";
    case LLE_ERR_INTERRUPTED:
        return "interrupted";
    case LLE_ERR_UNSUPPORTED:
        return "unsupported";
    case LLE_ERR_INTERNAL:
        return "internal";
    }
    return "unknown";
}

int lle_status_is_input_error(lle_status status)
{
    return status == LLE_ERR_INVALID || status == LLE_ERR_NOT_FOUND || status == LLE_ERR_FORMAT;
}

lle_status lle_fail_impl(lle_error *err, lle_status code, const char *fmt, ...)
{
    if (code == LLE_OK) /* a caller's bug: an error that says "ok" */
        code = LLE_ERR_INTERNAL;
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
