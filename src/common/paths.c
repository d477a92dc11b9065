/* paths.c — where an installed copy finds its data: relative to the loaded
 * liblle (<libdir>/../share/llm-efficiency/<sub>), so a prefix that was moved
 * (make install PREFIX=..., DESTDIR, a relocated tree) still works. */
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>

#include "common/util.h"

/* An object of liblle whose address dladdr() maps back to the loaded library
 * (a data address: no function-pointer-to-integer cast needed). */
static const char g_anchor = 0;

bool lle_share_dir(const char *sub, char *out, size_t size)
{
    Dl_info info;
    char lib[4096];
    struct stat sb;

    if (dladdr(&g_anchor, &info) == 0 || info.dli_fname == NULL)
        return false;
    lle_strlcpy(lib, info.dli_fname, sizeof lib);
    if ((size_t)snprintf(out, size, "%s/../share/llm-efficiency/%s", dirname(lib), sub) >= size)
        return false;
    return stat(out, &sb) == 0 && S_ISDIR(sb.st_mode);
}
