/* runtime.c — one-time process set-up of llama.cpp: load the ggml backends
 * (the CPU variants are separate shared objects beside libggml) and forward
 * llama.cpp's own log lines to the library's log sink, so nothing is printed
 * unless the caller asked for it. Also the version strings. */
#include <dlfcn.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "common/util.h"
#include "ggml-backend.h"
#include "llama.h"
#include "lle/version.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_once_t g_log_once = PTHREAD_ONCE_INIT;
static int g_backend_count;
static char g_backend_dir[4096];

const char *lle_version(void)
{
    return LLE_VERSION_STRING;
}
const char *lle_git_commit(void)
{
    return LLE_GIT_COMMIT;
}
const char *lle_llama_release(void)
{
    return LLE_LLAMA_RELEASE;
}
const char *lle_llama_origin(void)
{
    return LLE_LLAMA_ORIGIN;
}

/* llama.cpp's errors and warnings are details behind our own one-line error
 * (shown with -v); its info lines are debug output (-vv). */
static void llama_log_bridge(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    lle_logf(level >= GGML_LOG_LEVEL_WARN && level != GGML_LOG_LEVEL_CONT ? LLE_LOG_INFO : LLE_LOG_DEBUG,
             "llama.cpp: %s", text);
}

/* Directory of the shared object that defines ggml_backend_load_all_from_path
 * (looked up with dlsym, which gives a data pointer dladdr accepts as is). */
static void find_backend_dir(void)
{
    const char *env = getenv("LLE_GGML_BACKEND_DIR");
    const void *sym = dlsym(RTLD_DEFAULT, "ggml_backend_load_all_from_path");
    Dl_info info;

    if (env != NULL && env[0] != '\0') {
        lle_strlcpy(g_backend_dir, env, sizeof g_backend_dir);
        return;
    }
    if (sym != NULL && dladdr(sym, &info) != 0 && info.dli_fname != NULL) {
        char tmp[4096];
        lle_strlcpy(tmp, info.dli_fname, sizeof tmp);
        lle_strlcpy(g_backend_dir, dirname(tmp), sizeof g_backend_dir);
    }
}

static void log_once(void)
{
    llama_log_set(llama_log_bridge, NULL);
}

void lle_llama_log_init(void)
{
    pthread_once(&g_log_once, log_once);
}

static void runtime_once(void)
{
    lle_llama_log_init();
    find_backend_dir();
    ggml_backend_load_all_from_path(g_backend_dir[0] != '\0' ? g_backend_dir : NULL);
    llama_backend_init();
    g_backend_count = (int)ggml_backend_reg_count();
}

lle_status lle_runtime_init(lle_error *err)
{
    pthread_once(&g_once, runtime_once);
    if (g_backend_count == 0)
        return lle_fail(err, LLE_ERR_BACKEND,
                        "no ggml backend could be loaded from '%s' (set LLE_GGML_BACKEND_DIR to the "
                        "directory holding libggml-cpu-*.so)",
                        g_backend_dir);
    return LLE_OK;
}
