/* environment.c — builds the environment record of a result (environment.h):
 * tool and llama.cpp provenance, CPU model and the flags llama.cpp cares about
 * (from <proc>/cpuinfo), total memory (<proc>/meminfo), the OS pretty name
 * (<etc>/os-release) and uname(). Every file read is optional: what cannot be
 * read becomes a JSON null. Lines are read with getline (no length limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/environment.h"
#include "common/util.h"
#include "lle/version.h"

/* CPU flags worth recording for llama.cpp's kernels, in output order. x86 names
 * come from the "flags" line, Arm names from "Features" (asimd = NEON on
 * AArch64, neon on 32-bit Arm; asimddp = dot product). */
static const char *const RELEVANT_FLAGS[] = {
    "sse4_2",      "avx",      "avx2",     "fma",  "f16c",  "avx_vnni", "avx512f", "avx512_vnni",
    "avx512_bf16", "amx_tile", "amx_int8", "neon", "asimd", "asimddp",  "i8mm",    "sve",
};
#define N_RELEVANT_FLAGS (sizeof RELEVANT_FLAGS / sizeof RELEVANT_FLAGS[0])

/* Keys of the CPU name in cpuinfo, best first (x86 and newer Arm; old Arm; MIPS; POWER). */
static const char *const MODEL_KEYS[] = {"model name", "Processor", "cpu model", "cpu"};
#define N_MODEL_KEYS (sizeof MODEL_KEYS / sizeof MODEL_KEYS[0])

/* Open root/name, where root comes from $var (or dflt when unset or empty). */
static FILE *open_under(const char *var, const char *dflt, const char *name)
{
    const char *root = getenv(var);
    char path[4096];

    if (root == NULL || root[0] == '\0')
        root = dflt;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, name) >= sizeof path)
        return NULL;
    return fopen(path, "re");
}

/* Strip leading and trailing white space in place; returns the new start. */
static char *trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Split "key<ws>: value" in place. Returns 0 when the line has no ':'. */
static int split_colon(char *line, char **key, char **value)
{
    char *colon = strchr(line, ':');

    if (colon == NULL)
        return 0;
    *colon = '\0';
    *key = trim(line);
    *value = trim(colon + 1);
    return 1;
}

/* 1 when the space-separated list holds the word. */
static int has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *p = list; *p != '\0';) {
        size_t tl;
        while (*p == ' ' || *p == '\t')
            p++;
        tl = strcspn(p, " \t");
        if (tl == wl && strncmp(p, word, wl) == 0)
            return 1;
        p += tl;
    }
    return 0;
}

static cJSON *flags_json(const char *list)
{
    cJSON *arr = cJSON_CreateArray();

    for (size_t i = 0; arr != NULL && i < N_RELEVANT_FLAGS; i++)
        if (has_word(list, RELEVANT_FLAGS[i]))
            cJSON_AddItemToArray(arr, cJSON_CreateString(RELEVANT_FLAGS[i]));
    return arr;
}

/* Fill cpu_model and cpu_flags from cpuinfo (nulls when absent). */
static void add_cpuinfo(cJSON *env)
{
    FILE *f = open_under("LLE_PROC_ROOT", "/proc", "cpuinfo");
    char *line = NULL, *model = NULL, *flags = NULL, *key, *value;
    size_t cap = 0, model_rank = N_MODEL_KEYS;

    while (f != NULL && getline(&line, &cap, f) >= 0 && (model_rank > 0 || flags == NULL)) {
        if (!split_colon(line, &key, &value) || value[0] == '\0')
            continue;
        for (size_t k = 0; k < model_rank; k++) {
            if (strcmp(key, MODEL_KEYS[k]) == 0) {
                free(model);
                model = strdup(value);
                model_rank = k;
                break;
            }
        }
        if (flags == NULL && (strcmp(key, "flags") == 0 || strcmp(key, "Features") == 0))
            flags = strdup(value);
    }
    if (model != NULL)
        cJSON_AddStringToObject(env, "cpu_model", model);
    else
        cJSON_AddNullToObject(env, "cpu_model");
    cJSON_AddNumberToObject(env, "cpu_cores", lle_cpu_count());
    if (flags != NULL)
        cJSON_AddItemToObject(env, "cpu_flags", flags_json(flags));
    else
        cJSON_AddNullToObject(env, "cpu_flags");
    free(model);
    free(flags);
    free(line);
    if (f != NULL)
        fclose(f);
}

/* memory_total_bytes from meminfo's "MemTotal: N kB" (null when absent). */
static void add_meminfo(cJSON *env)
{
    FILE *f = open_under("LLE_PROC_ROOT", "/proc", "meminfo");
    char *line = NULL, *key, *value, *end = NULL;
    size_t cap = 0;
    double bytes = -1.0;

    while (f != NULL && bytes < 0.0 && getline(&line, &cap, f) >= 0) {
        if (!split_colon(line, &key, &value) || strcmp(key, "MemTotal") != 0)
            continue;
        unsigned long long n = strtoull(value, &end, 10);
        if (end == value)
            break;
        end = trim(end);
        if (strcmp(end, "kB") == 0)
            bytes = (double)n * 1024.0;
        else if (end[0] == '\0')
            bytes = (double)n;
        break;
    }
    if (bytes >= 0.0)
        cJSON_AddNumberToObject(env, "memory_total_bytes", bytes);
    else
        cJSON_AddNullToObject(env, "memory_total_bytes");
    free(line);
    if (f != NULL)
        fclose(f);
}

/* Unquote an os-release value in place: "..." (with \" \\ \$ \` escapes), '...' or bare. */
static char *unquote(char *v)
{
    char q = v[0], *out = v, *p = v + 1;

    if (q != '"' && q != '\'')
        return v;
    for (; *p != '\0' && *p != q; p++) {
        if (q == '"' && *p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]) != NULL)
            p++;
        *out++ = *p;
    }
    *out = '\0';
    return v;
}

/* os: PRETTY_NAME (or NAME) of os-release; /usr/lib/os-release is the fallback
 * the spec names, used only when $LLE_ETC_ROOT is not set. */
static void add_os(cJSON *env)
{
    FILE *f = open_under("LLE_ETC_ROOT", "/etc", "os-release");
    char *line = NULL, *pretty = NULL, *name = NULL, *value;
    size_t cap = 0;

    if (f == NULL && getenv("LLE_ETC_ROOT") == NULL)
        f = fopen("/usr/lib/os-release", "re");
    while (f != NULL && pretty == NULL && getline(&line, &cap, f) >= 0) {
        value = trim(line);
        if (strncmp(value, "PRETTY_NAME=", 12) == 0)
            pretty = strdup(unquote(value + 12));
        else if (name == NULL && strncmp(value, "NAME=", 5) == 0)
            name = strdup(unquote(value + 5));
    }
    if (pretty != NULL && pretty[0] != '\0')
        cJSON_AddStringToObject(env, "os", pretty);
    else if (name != NULL && name[0] != '\0')
        cJSON_AddStringToObject(env, "os", name);
    else
        cJSON_AddNullToObject(env, "os");
    free(pretty);
    free(name);
    free(line);
    if (f != NULL)
        fclose(f);
}

static void add_uname(cJSON *env)
{
    struct utsname u;

    if (uname(&u) == 0) {
        cJSON_AddStringToObject(env, "kernel", u.release);
        cJSON_AddStringToObject(env, "machine", u.machine);
        cJSON_AddStringToObject(env, "hostname", u.nodename);
    } else {
        cJSON_AddNullToObject(env, "kernel");
        cJSON_AddNullToObject(env, "machine");
        cJSON_AddNullToObject(env, "hostname");
    }
}

cJSON *lle_environment_json(void)
{
    cJSON *env = cJSON_CreateObject();

    if (env == NULL)
        goto cleanup;
    cJSON_AddStringToObject(env, "tool_version", lle_version());
    cJSON_AddStringToObject(env, "git_commit", lle_git_commit());
    cJSON_AddStringToObject(env, "llama_cpp_release", lle_llama_release());
    cJSON_AddStringToObject(env, "llama_cpp_origin", lle_llama_origin());
    add_cpuinfo(env);
    add_meminfo(env);
    add_os(env);
    add_uname(env);
    /* GPUs: detection (vendor, model, driver, memory) arrives with the energy
     * readers (NVML / ROCm SMI); until then the list is always empty. */
    cJSON_AddArrayToObject(env, "gpus");
cleanup:
    return env;
}
