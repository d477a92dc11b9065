/* nvml.c — NVIDIA GPU energy and telemetry through NVML, loaded at run time
 * with dlopen ($LLE_NVML_LIBRARY, else libnvidia-ml.so.1): no build-time
 * dependency, and a machine without the driver simply has no NVML source.
 * Per visible GPU (CUDA_VISIBLE_DEVICES respected: indices, GPU-UUIDs or UUID
 * prefixes; MIG instances are measured as their parent GPU) the primary figure
 * is nvmlDeviceGetTotalEnergyConsumption (mJ since driver load, Volta and
 * later); nvmlDeviceGetPowerUsage (mW) is integrated as the fallback (older
 * GPUs) and for windows shorter than a few counter updates (~100 ms each).
 * Memory used, utilisation, SM and memory clocks, temperature and throttle
 * reasons go to the time series. The NVML declarations below are the public
 * ABI of nvml.h (types re-declared, no header needed). */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define NVML_SUCCESS             0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_MAX_GPUS            64
/* Windows shorter than this many NVML counter updates (~100 ms each) are
 * integrated from power samples and flagged low-confidence. */
#define NVML_COUNTER_MIN_WINDOW_S 0.5

typedef void *nvml_dev;
typedef struct {
    unsigned long long total, free, used;
} nvml_memory;
typedef struct {
    unsigned int gpu, memory;
} nvml_util;

typedef struct nvml_api {
    void *lib;
    int (*init)(void);
    int (*shutdown)(void);
    const char *(*error_string)(int);
    int (*count)(unsigned int *);
    int (*by_index)(unsigned int, nvml_dev *);
    int (*by_uuid)(const char *, nvml_dev *);
    int (*name)(nvml_dev, char *, unsigned int);
    int (*uuid)(nvml_dev, char *, unsigned int);
    int (*energy)(nvml_dev, unsigned long long *);
    int (*power)(nvml_dev, unsigned int *);
    int (*memory)(nvml_dev, nvml_memory *);
    int (*util)(nvml_dev, nvml_util *);
    int (*clock)(nvml_dev, int, unsigned int *);
    int (*temperature)(nvml_dev, int, unsigned int *);
    int (*throttle)(nvml_dev, unsigned long long *);
    bool initialised;
    int n;
    nvml_dev dev[NVML_MAX_GPUS];
    bool has_energy[NVML_MAX_GPUS];
} nvml_api;

static const char *const AUX[] = {"gpu_util_pct", "mem_util_pct",  "mem_used_bytes",  "temp_c",
                                  "sm_clock_mhz", "mem_clock_mhz", "throttle_reasons"};
#define N_AUX ((int)(sizeof AUX / sizeof AUX[0]))

static const char *nv_err(const nvml_api *a, int rc)
{
    static char buf[32];

    if (a->error_string != NULL)
        return a->error_string(rc);
    lle_energy_fmt(buf, sizeof buf, "NVML error %d", rc);
    return buf;
}

static void read_aux(nvml_api *a, nvml_dev dev, ech_sample *s)
{
    nvml_util u;
    nvml_memory mem;
    unsigned int v;
    unsigned long long reasons;

    if (a->util != NULL && a->util(dev, &u) == NVML_SUCCESS) {
        s->aux[0] = u.gpu;
        s->aux[1] = u.memory;
    }
    if (a->memory != NULL && a->memory(dev, &mem) == NVML_SUCCESS)
        s->aux[2] = (double)mem.used;
    if (a->temperature != NULL && a->temperature(dev, 0 /* NVML_TEMPERATURE_GPU */, &v) == NVML_SUCCESS)
        s->aux[3] = v;
    if (a->clock != NULL && a->clock(dev, 1 /* NVML_CLOCK_SM */, &v) == NVML_SUCCESS)
        s->aux[4] = v;
    if (a->clock != NULL && a->clock(dev, 2 /* NVML_CLOCK_MEM */, &v) == NVML_SUCCESS)
        s->aux[5] = v;
    if (a->throttle != NULL && a->throttle(dev, &reasons) == NVML_SUCCESS)
        s->aux[6] = (double)reasons;
}

static bool nvml_read(void *vctx, int sub, bool aux, ech_sample *s)
{
    nvml_api *a = vctx;
    unsigned long long mj = 0;
    unsigned int mw = 0;
    int rc_e = -1, rc_p = -1;

    if (a->has_energy[sub] && (rc_e = a->energy(a->dev[sub], &mj)) == NVML_SUCCESS) {
        s->raw = mj;
        s->counter_ok = true;
    }
    if (a->power != NULL && (rc_p = a->power(a->dev[sub], &mw)) == NVML_SUCCESS) {
        s->power_w = mw / 1000.0;
        s->power_ok = true;
    }
    if (aux && (s->counter_ok || s->power_ok))
        read_aux(a, a->dev[sub], s);
    if (!s->counter_ok && !s->power_ok)
        lle_energy_fmt(s->why, sizeof s->why, "NVML: %s", nv_err(a, rc_e != -1 ? rc_e : rc_p));
    return s->counter_ok || s->power_ok;
}

static void nvml_close(void *vctx)
{
    nvml_api *a = vctx;

    if (a == NULL)
        return;
    if (a->initialised && a->shutdown != NULL)
        a->shutdown();
    if (a->lib != NULL)
        dlclose(a->lib);
    free(a);
}

static const ech_ops NVML_OPS = {nvml_read, nvml_close};

/* dlsym the first of two names that exists. */
static void *sym2(void *lib, const char *a, const char *b)
{
    void *p = dlsym(lib, a);

    return p != NULL || b == NULL ? p : dlsym(lib, b);
}

static bool load_symbols(nvml_api *a)
{
    *(void **)&a->init = sym2(a->lib, "nvmlInit_v2", "nvmlInit");
    *(void **)&a->shutdown = sym2(a->lib, "nvmlShutdown", NULL);
    *(void **)&a->error_string = sym2(a->lib, "nvmlErrorString", NULL);
    *(void **)&a->count = sym2(a->lib, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    *(void **)&a->by_index = sym2(a->lib, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    *(void **)&a->by_uuid = sym2(a->lib, "nvmlDeviceGetHandleByUUID", NULL);
    *(void **)&a->name = sym2(a->lib, "nvmlDeviceGetName", NULL);
    *(void **)&a->uuid = sym2(a->lib, "nvmlDeviceGetUUID", NULL);
    *(void **)&a->energy = sym2(a->lib, "nvmlDeviceGetTotalEnergyConsumption", NULL);
    *(void **)&a->power = sym2(a->lib, "nvmlDeviceGetPowerUsage", NULL);
    *(void **)&a->memory = sym2(a->lib, "nvmlDeviceGetMemoryInfo", NULL);
    *(void **)&a->util = sym2(a->lib, "nvmlDeviceGetUtilizationRates", NULL);
    *(void **)&a->clock = sym2(a->lib, "nvmlDeviceGetClockInfo", NULL);
    *(void **)&a->temperature = sym2(a->lib, "nvmlDeviceGetTemperature", NULL);
    *(void **)&a->throttle =
        sym2(a->lib, "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons");
    return a->init != NULL && a->count != NULL && a->by_index != NULL && (a->energy != NULL || a->power != NULL);
}

/* Resolve one CUDA_VISIBLE_DEVICES entry to an NVML index; -1 when invalid
 * (CUDA stops at the first invalid entry). */
static int resolve_visible(nvml_api *a, const char *tok, unsigned int count)
{
    char *end = NULL, uuid[96], want[96];
    long idx;

    if (tok[0] >= '0' && tok[0] <= '9') {
        idx = strtol(tok, &end, 10);
        return *end == '\0' && idx >= 0 && (unsigned long)idx < count ? (int)idx : -1;
    }
    /* MIG-GPU-<uuid>/<gi>/<ci> (the pre-R470 form) is measured as its GPU; the
     * newer MIG-<uuid> names a MIG device NVML cannot map here: invalid. */
    lle_strlcpy(want, strncmp(tok, "MIG-GPU-", 8) == 0 ? tok + 4 : tok, sizeof want);
    want[strcspn(want, "/")] = '\0';
    for (unsigned int i = 0; a->uuid != NULL && want[0] != '\0' && i < count; i++) {
        nvml_dev dev;
        if (a->by_index(i, &dev) != NVML_SUCCESS || a->uuid(dev, uuid, sizeof uuid) != NVML_SUCCESS)
            continue;
        if (strncmp(uuid, want, strlen(want)) == 0 || (strlen(uuid) > 4 && strncmp(uuid + 4, want, strlen(want)) == 0))
            return (int)i;
    }
    return -1;
}

/* NVML indices of the GPUs this process may use. */
static int visible_gpus(nvml_api *a, unsigned int count, int *idx, int max)
{
    const char *env = getenv("CUDA_VISIBLE_DEVICES");
    char buf[1024], *save = NULL, *tok;
    int n = 0;

    if (env == NULL) {
        for (unsigned int i = 0; i < count && n < max; i++)
            idx[n++] = (int)i;
        return n;
    }
    lle_strlcpy(buf, env, sizeof buf);
    for (tok = strtok_r(buf, ",", &save); tok != NULL && n < max; tok = strtok_r(NULL, ",", &save)) {
        int i;
        while (*tok == ' ')
            tok++;
        if ((i = resolve_visible(a, tok, count)) < 0)
            break;
        idx[n++] = i;
    }
    return n;
}

static lle_status add_gpu(edisc *d, nvml_api *a, int nv_index, int cuda_index, lle_error *err)
{
    char gname[96] = "GPU", uuid[96] = "";
    unsigned long long mj;
    unsigned int mw;
    ech_desc ch;
    nvml_dev dev;
    int k = a->n, rc_e = -1, rc_p = -1;

    memset(&ch, 0, sizeof ch);
    lle_energy_fmt(ch.id, sizeof ch.id, "nvml:%d", nv_index);
    if (a->by_index((unsigned)nv_index, &dev) != NVML_SUCCESS || k >= NVML_MAX_GPUS)
        return edisc_add_bad(d, "nvml", ch.id, "", "NVML cannot open this GPU", "", err);
    if (a->name != NULL)
        a->name(dev, gname, sizeof gname);
    if (a->uuid != NULL)
        a->uuid(dev, uuid, sizeof uuid);
    a->has_energy[k] = a->energy != NULL && (rc_e = a->energy(dev, &mj)) == NVML_SUCCESS;
    ch.has_power = a->power != NULL && (rc_p = a->power(dev, &mw)) == NVML_SUCCESS;
    lle_energy_fmt(ch.name, sizeof ch.name, "%s (NVML %d, CUDA %d%s%s)", gname, nv_index, cuda_index,
                   uuid[0] ? ", " : "", uuid);
    if (!a->has_energy[k] && !ch.has_power) {
        char why[320];
        lle_energy_fmt(why, sizeof why, "neither energy nor power can be read: %s",
                       nv_err(a, rc_e != -1 ? rc_e : rc_p));
        return edisc_add_bad(d, "nvml", ch.id, ch.name, why, "", err);
    }
    a->dev[k] = dev;
    a->n++;
    lle_strlcpy(ch.kind, "nvml", sizeof ch.kind);
    lle_strlcpy(ch.domain, "gpu", sizeof ch.domain);
    lle_energy_fmt(
        ch.how, sizeof ch.how, "%s",
        a->has_energy[k]
            ? "nvmlDeviceGetTotalEnergyConsumption (mJ); nvmlDeviceGetPowerUsage (mW, trapezoid) for short windows"
            : "nvmlDeviceGetPowerUsage (mW) integrated by the trapezoid rule (no energy counter before Volta)");
    ch.method = LLE_ENERGY_MEASURED;
    ch.in_total = ch.energy = true;
    ch.has_counter = a->has_energy[k];
    ch.scale_j = 1e-3;
    ch.counter_min_window_s = ch.has_power ? NVML_COUNTER_MIN_WINDOW_S : 0.0;
    ch.n_aux = N_AUX;
    for (int i = 0; i < N_AUX; i++)
        lle_strlcpy(ch.aux[i], AUX[i], sizeof ch.aux[i]);
    ch.ops = &NVML_OPS;
    ch.ctx = a;
    ch.sub = k;
    return edisc_add_channel(d, &ch, err);
}

static lle_status nvml_unusable(edisc *d, const char *why, const char *fix, lle_error *err)
{
    return edisc_add_bad(d, "nvml", NULL, "", why, fix, err);
}

static lle_status start_nvml(edisc *d, nvml_api *a, const char *path, lle_error *err)
{
    char why[320];
    int rc;

    if (!load_symbols(a)) {
        lle_energy_fmt(why, sizeof why, "%s lacks the NVML functions needed", path);
        return nvml_unusable(d, why, "update the NVIDIA driver", err);
    }
    if ((rc = a->init()) != NVML_SUCCESS) {
        lle_energy_fmt(why, sizeof why, "nvmlInit failed: %s", nv_err(a, rc));
        return nvml_unusable(d, why,
                             rc == 4 ? "give this user access to /dev/nvidia* (e.g. the video group)"
                                     : "check the driver with nvidia-smi",
                             err);
    }
    a->initialised = true;
    return LLE_OK;
}

lle_status lle_nvml_discover(edisc *d, lle_error *err)
{
    const char *path = lle_energy_root("LLE_NVML_LIBRARY", "libnvidia-ml.so.1");
    int idx[NVML_MAX_GPUS], n;
    unsigned int count = 0;
    char why[320];
    lle_status st;
    nvml_api *a = calloc(1, sizeof *a);

    if (a == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory loading NVML");
    a->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (a->lib == NULL) {
        lle_energy_fmt(why, sizeof why, "%s not loadable (no NVIDIA driver): %s", path, dlerror());
        free(a);
        return nvml_unusable(d, why,
                             "install the NVIDIA driver (it ships libnvidia-ml.so.1); in a container "
                             "use the NVIDIA container toolkit (--gpus all)",
                             err);
    }
    st = edisc_add_ctx(d, &NVML_OPS, a, err);
    if (st == LLE_OK)
        st = start_nvml(d, a, path, err);
    if (st != LLE_OK || !a->initialised)
        return st;
    if (a->count(&count) != NVML_SUCCESS || count == 0)
        return nvml_unusable(d, "NVML lists no GPU", "", err);
    n = visible_gpus(a, count, idx, NVML_MAX_GPUS);
    if (n == 0)
        return nvml_unusable(d, "CUDA_VISIBLE_DEVICES hides every GPU", "", err);
    for (int i = 0; i < n && st == LLE_OK; i++)
        st = add_gpu(d, a, idx[i], i, err);
    return st;
}
