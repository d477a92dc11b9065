/* machine.c — what the machine is: CPU model (via the environment record's
 * /proc/cpuinfo parser), core count, total and available memory
 * (/proc/meminfo), last-level cache size (sysfs), and every device of the
 * loaded ggml backends. Unreadable files give "unknown"/0, never an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/environment.h"
#include "common/util.h"
#include "device/device_internal.h"
#include "ggml-backend.h"
#include "lle/version.h"

void lle_cpu_model(char *out, size_t size)
{
    cJSON *env = lle_environment_json();
    const cJSON *m = env != NULL ? cJSON_GetObjectItemCaseSensitive(env, "cpu_model") : NULL;

    lle_strlcpy(out, m != NULL && cJSON_IsString(m) ? m->valuestring : "unknown", size);
    cJSON_Delete(env);
}

/* "<n>K" / "<n>M" / "<n>" from a sysfs cache size file; 0 when unreadable. */
static uint64_t read_size_file(const char *path)
{
    FILE *f = fopen(path, "re");
    char buf[64];
    char *end = NULL;
    unsigned long long v = 0;

    if (f == NULL)
        return 0;
    if (fgets(buf, sizeof buf, f) != NULL) {
        v = strtoull(buf, &end, 10);
        if (end != NULL && (*end == 'K' || *end == 'k'))
            v *= 1024ULL;
        else if (end != NULL && *end == 'M')
            v *= 1024ULL * 1024ULL;
        else if (end != NULL && *end == 'G')
            v *= 1024ULL * 1024ULL * 1024ULL;
    }
    fclose(f);
    return (uint64_t)v;
}

uint64_t lle_llc_bytes(void)
{
    uint64_t best = 0;

    for (int i = 0; i < 16; i++) {
        char path[128];
        uint64_t v;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        v = read_size_file(path);
        if (v > best)
            best = v;
    }
    return best;
}

/* A "Key:   N kB" line of /proc/meminfo in bytes; 0 when absent. */
static uint64_t meminfo_bytes(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[256];
    size_t kl = strlen(key);
    uint64_t v = 0;

    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = (uint64_t)strtoull(line + kl + 1, NULL, 10) * 1024ULL;
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    return v;
}

uint64_t lle_mem_available_bytes(void)
{
    return meminfo_bytes("MemAvailable");
}

static const char *dev_type_name(enum ggml_backend_dev_type t)
{
    switch (t) {
    case GGML_BACKEND_DEVICE_TYPE_CPU:
        return "cpu";
    case GGML_BACKEND_DEVICE_TYPE_GPU:
        return "gpu";
    case GGML_BACKEND_DEVICE_TYPE_IGPU:
        return "igpu";
    case GGML_BACKEND_DEVICE_TYPE_ACCEL:
        return "accel";
    case GGML_BACKEND_DEVICE_TYPE_META:
        return "meta";
    default:
        return "unknown";
    }
}

static void fill_device(ggml_backend_dev_t dev, lle_backend_device *d)
{
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    const char *name = ggml_backend_dev_name(dev);
    const char *desc = ggml_backend_dev_description(dev);
    size_t mem_free = 0, mem_total = 0;

    memset(d, 0, sizeof *d);
    lle_strlcpy(d->name, name != NULL ? name : "?", sizeof d->name);
    lle_strlcpy(d->description, desc != NULL ? desc : "", sizeof d->description);
    lle_strlcpy(d->backend, reg != NULL && ggml_backend_reg_name(reg) != NULL ? ggml_backend_reg_name(reg) : "?",
                sizeof d->backend);
    lle_strlcpy(d->type, dev_type_name(ggml_backend_dev_type(dev)), sizeof d->type);
    ggml_backend_dev_memory(dev, &mem_free, &mem_total);
    d->memory_free_bytes = (uint64_t)mem_free;
    d->memory_total_bytes = (uint64_t)mem_total;
}

lle_status lle_machine_info_get(lle_machine_info *out, lle_error *err)
{
    lle_status st = lle_runtime_init(err);
    size_t n;

    memset(out, 0, sizeof *out);
    lle_cpu_model(out->cpu_model, sizeof out->cpu_model);
    out->cpu_cores = lle_cpu_count();
    out->memory_total_bytes = meminfo_bytes("MemTotal");
    out->llc_bytes = lle_llc_bytes();
    lle_strlcpy(out->llama_release, lle_llama_release(), sizeof out->llama_release);
    if (st != LLE_OK)
        return st;
    n = ggml_backend_dev_count();
    for (size_t i = 0; i < n && out->n_devices < LLE_MAX_BACKEND_DEVICES; i++)
        fill_device(ggml_backend_dev_get(i), &out->devices[out->n_devices++]);
    return LLE_OK;
}
