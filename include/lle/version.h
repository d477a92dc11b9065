/* lle/version.h — version and provenance of the library build. The strings are
 * static and owned by the library. */
#ifndef LLE_VERSION_H
#define LLE_VERSION_H

#include "lle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

LLE_API const char *lle_version(void);       /* "0.1.0" */
LLE_API const char *lle_git_commit(void);    /* short commit hash or "unknown" */
LLE_API const char *lle_llama_release(void); /* llama.cpp release tag, e.g. "v0.4.0" */
LLE_API const char *lle_llama_origin(void);  /* where the linked llama.cpp came from */

#ifdef __cplusplus
}
#endif
#endif
