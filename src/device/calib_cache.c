/* calib_cache.c — calibrations cached on disk, one file per key:
 * <cache>/calibration/peaks-<FNV-1a 64 of the key>.json, written atomically.
 * The key is stored inside the file too and compared field by field on load,
 * so a hash collision or an edited file is a miss, never a wrong peak. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "device/device_internal.h"

#define MAX_CACHE_FILE (4u * 1024u * 1024u)

lle_status lle_calibration_dir(const char *given, char *out, size_t size, lle_error *err)
{
    const char *env = getenv("LLE_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;

    if (given != NULL && given[0] != '\0')
        n = snprintf(out, size, "%s/calibration", given);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(out, size, "%s/calibration", env);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, size, "%s/llm-efficiency/calibration", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, size, "%s/.cache/llm-efficiency/calibration", home);
    else
        return lle_fail(err, LLE_ERR_INVALID, "no cache directory: set LLE_CACHE_DIR or HOME");
    if (n < 0 || (size_t)n >= size)
        return lle_fail(err, LLE_ERR_INVALID, "cache directory path too long");
    return LLE_OK;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void lle_calibration_file_name(const lle_calibration_key *k, char *out, size_t size)
{
    char nums[64];
    uint64_t h = 0xcbf29ce484222325ULL;

    snprintf(nums, sizeof nums, "|%d|%d|", k->cpu_cores, k->n_threads);
    h = fnv1a(h, k->cpu_model, strlen(k->cpu_model));
    h = fnv1a(h, nums, strlen(nums));
    h = fnv1a(h, k->llama_release, strlen(k->llama_release));
    h = fnv1a(h, "|", 1);
    h = fnv1a(h, k->workload, strlen(k->workload));
    snprintf(out, size, "peaks-%016llx.json", (unsigned long long)h);
}

int lle_calibration_key_equal(const lle_calibration_key *a, const lle_calibration_key *b)
{
    return strcmp(a->cpu_model, b->cpu_model) == 0 && a->cpu_cores == b->cpu_cores && a->n_threads == b->n_threads &&
           strcmp(a->llama_release, b->llama_release) == 0 && strcmp(a->workload, b->workload) == 0;
}

static lle_status key_path(const lle_calibration_key *k, const char *cache_dir, char *dir, size_t dir_size, char *path,
                           size_t path_size, lle_error *err)
{
    char name[64];
    lle_status st = lle_calibration_dir(cache_dir, dir, dir_size, err);

    if (st != LLE_OK)
        return st;
    lle_calibration_file_name(k, name, sizeof name);
    if ((size_t)snprintf(path, path_size, "%s/%s", dir, name) >= path_size)
        return lle_fail(err, LLE_ERR_INVALID, "cache directory path too long");
    return LLE_OK;
}

lle_status lle_calibration_save(const lle_calibration *c, const char *cache_dir, char *path_out, size_t path_out_size,
                                lle_error *err)
{
    char dir[4096], path[4200];
    char *json = NULL;
    lle_status st = key_path(&c->key, cache_dir, dir, sizeof dir, path, sizeof path, err);

    if (st == LLE_OK)
        st = lle_mkdir_p(dir, err);
    if (st != LLE_OK)
        return st;
    json = lle_calibration_to_json(c);
    if (json == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory writing the calibration");
    st = lle_write_file_atomic(path, json, strlen(json), err);
    if (st == LLE_OK && path_out != NULL)
        lle_strlcpy(path_out, path, path_out_size);
    free(json);
    return st;
}

/* Whole file into a malloc'd NUL-terminated string. NOT_FOUND when absent. */
static lle_status read_text(const char *path, char **out, lle_error *err)
{
    FILE *f = fopen(path, "rbe");
    char *buf = NULL;
    size_t n;
    lle_status st = LLE_OK;

    if (f == NULL)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "%s: %s", path, strerror(errno));
    buf = malloc(MAX_CACHE_FILE + 1);
    if (buf == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading %s", path);
        goto cleanup;
    }
    n = fread(buf, 1, MAX_CACHE_FILE + 1, f);
    if (ferror(f))
        st = lle_fail(err, LLE_ERR_IO, "%s: read failed", path);
    else if (n > MAX_CACHE_FILE)
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: larger than %u bytes: not a calibration", path, MAX_CACHE_FILE);
    if (st == LLE_OK) {
        buf[n] = '\0';
        *out = buf;
        buf = NULL;
    }
cleanup:
    free(buf);
    fclose(f);
    return st;
}

lle_status lle_calibration_load(const lle_calibration_key *k, const char *cache_dir, lle_calibration *out,
                                char *path_out, size_t path_out_size, lle_error *err)
{
    char dir[4096], path[4200];
    char *text = NULL;
    lle_status st = key_path(k, cache_dir, dir, sizeof dir, path, sizeof path, err);

    memset(out, 0, sizeof *out);
    if (st == LLE_OK && path_out != NULL)
        lle_strlcpy(path_out, path, path_out_size);
    if (st == LLE_OK)
        st = read_text(path, &text, err);
    if (st == LLE_ERR_NOT_FOUND)
        st = lle_fail(err, LLE_ERR_NOT_FOUND,
                      "no calibration cached for this machine with %d threads "
                      "(%s workload) in %s",
                      k->n_threads, k->workload, dir);
    if (st == LLE_OK && lle_calibration_from_json(text, out, err) != LLE_OK) {
        char why[LLE_ERROR_MSG_MAX];
        lle_strlcpy(why, err != NULL ? err->msg : "", sizeof why);
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: %s", path, why);
    }
    if (st == LLE_OK && !lle_calibration_key_equal(k, &out->key))
        st = lle_fail(err, LLE_ERR_NOT_FOUND,
                      "%s: cached for another key (cpu '%s', %d cores, %d threads, "
                      "llama.cpp %s, %s workload)",
                      path, out->key.cpu_model, out->key.cpu_cores, out->key.n_threads, out->key.llama_release,
                      out->key.workload);
    if (st != LLE_OK)
        memset(out, 0, sizeof *out);
    free(text);
    return st;
}
