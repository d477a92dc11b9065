/* cache.c — synthesised preset models cached on disk, so `run single --preset`
 * pays the synthesis once. Location: $LLE_CACHE_DIR, else
 * $XDG_CACHE_HOME/llm-efficiency/models, else ~/.cache/llm-efficiency/models.
 * Files are named <preset>-<type>-seed0.gguf and written atomically by synth. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/util.h"
#include "lle/model.h"
#include "lle/run.h"

static lle_status cache_dir(const char *given, char *out, size_t size, lle_error *err)
{
    const char *env = getenv("LLE_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;

    if (given != NULL)
        n = snprintf(out, size, "%s", given);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(out, size, "%s", env);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, size, "%s/llm-efficiency/models", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, size, "%s/.cache/llm-efficiency/models", home);
    else
        return lle_fail(err, LLE_ERR_INVALID, "no cache directory: set LLE_CACHE_DIR or HOME");
    if (n < 0 || (size_t)n >= size)
        return lle_fail(err, LLE_ERR_INVALID, "cache directory path too long");
    return LLE_OK;
}

lle_status lle_preset_model_path(const char *preset, const char *type, const char *cache, char *out, size_t out_size,
                                 lle_error *err)
{
    char dir[4096];
    lle_synth_opts so = {0};
    struct stat sb;
    int ftype = 0;
    lle_status st;

    if (type == NULL)
        type = "q4_k_m";
    if (lle_preset_find(preset) == NULL)
        return lle_fail(err, LLE_ERR_NOT_FOUND, "unknown preset '%s' (see: llm-efficiency model presets)", preset);
    st = lle_model_type_parse(type, &ftype, err);
    if (st == LLE_OK)
        st = cache_dir(cache, dir, sizeof dir, err);
    if (st == LLE_OK)
        st = lle_mkdir_p(dir, err);
    if (st != LLE_OK)
        return st;
    if ((size_t)snprintf(out, out_size, "%s/%s-%s-seed0.gguf", dir, preset, type) >= out_size)
        return lle_fail(err, LLE_ERR_INVALID, "cache path too long");
    if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        return LLE_OK;
    lle_logf(LLE_LOG_WARN, "synthesising preset %s (%s) into %s (once; cached)", preset, type, out);
    so.preset = preset;
    so.type = type;
    so.seed = 0;
    so.out_path = out;
    return lle_model_synth(&so, err);
}
