/* fake_nvml.c — a stand-in for libnvidia-ml.so.1 for the energy tests: the
 * subset of the NVML C API that src/energy/nvml.c uses, answering from the
 * scripted trace in $LLE_FAKE_NVML_TRACE (format in fake_trace.h) on the clock
 * in $LLE_FAKE_NVML_CLOCK. Energy is the exact integral of the trace in mJ
 * (plus an offset, as the real counter counts since driver load), updated
 * every counter_period; power is the trace's value in mW. A GPU past its
 * lost_at time returns NVML_ERROR_GPU_IS_LOST. UUIDs are GPU-fake-000<i>. */
#include <stdio.h>
#include <string.h>

#include "fake_trace.h"

enum { OK = 0, ERR_UNINIT = 1, ERR_INVALID = 2, ERR_NOT_SUPPORTED = 3, ERR_GPU_LOST = 15 };
#define ENERGY_OFFSET_MJ 123456789ULL

typedef struct {
    unsigned long long total, free, used;
} fake_memory;
typedef struct {
    unsigned int gpu, memory;
} fake_util;
typedef struct {
    int index;
} fake_dev;

static fake_trace g_trace;
static int g_init;
static fake_dev g_devs[FT_MAX_GPUS];

static int dev_index(void *dev, int *g)
{
    if (!g_init)
        return ERR_UNINIT;
    if (dev == NULL)
        return ERR_INVALID;
    *g = ((fake_dev *)dev)->index;
    return ft_now(&g_trace) >= g_trace.lost_at[*g] ? ERR_GPU_LOST : OK;
}

int nvmlInit_v2(void)
{
    if (ft_load(&g_trace, "LLE_FAKE_NVML_TRACE", "LLE_FAKE_NVML_CLOCK") != 0)
        return 9; /* NVML_ERROR_DRIVER_NOT_LOADED */
    for (int i = 0; i < FT_MAX_GPUS; i++)
        g_devs[i].index = i;
    g_init = 1;
    return OK;
}

int nvmlShutdown(void)
{
    g_init = 0;
    return OK;
}

const char *nvmlErrorString(int rc)
{
    switch (rc) {
    case OK:
        return "Success";
    case ERR_UNINIT:
        return "Uninitialized";
    case ERR_NOT_SUPPORTED:
        return "Not Supported";
    case ERR_GPU_LOST:
        return "GPU is lost";
    default:
        return "Unknown Error";
    }
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
    if (!g_init)
        return ERR_UNINIT;
    *n = (unsigned int)g_trace.gpus;
    return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
    if (!g_init)
        return ERR_UNINIT;
    if (i >= (unsigned int)g_trace.gpus)
        return ERR_INVALID;
    *dev = &g_devs[i];
    return OK;
}

int nvmlDeviceGetName(void *dev, char *name, unsigned int len)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK)
        snprintf(name, len, "%s", g_trace.name);
    return rc;
}

int nvmlDeviceGetUUID(void *dev, char *uuid, unsigned int len)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK)
        snprintf(uuid, len, "GPU-fake-%04d", g);
    return rc;
}

int nvmlDeviceGetTotalEnergyConsumption(void *dev, unsigned long long *mj)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK && g_trace.no_energy)
        rc = ERR_NOT_SUPPORTED;
    if (rc == OK)
        *mj = ENERGY_OFFSET_MJ + (unsigned long long)(ft_energy(&g_trace, g, ft_now(&g_trace)) * 1000.0 + 0.5);
    return rc;
}

int nvmlDeviceGetPowerUsage(void *dev, unsigned int *mw)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK)
        *mw = (unsigned int)(ft_power(&g_trace, g, ft_now(&g_trace)) * 1000.0 + 0.5);
    return rc;
}

int nvmlDeviceGetMemoryInfo(void *dev, fake_memory *m)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK) {
        m->total = 80ULL << 30;
        m->used = (1ULL + (unsigned long long)g) << 30;
        m->free = m->total - m->used;
    }
    return rc;
}

int nvmlDeviceGetUtilizationRates(void *dev, fake_util *u)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK) {
        u->gpu = 97;
        u->memory = 41;
    }
    return rc;
}

int nvmlDeviceGetClockInfo(void *dev, int type, unsigned int *mhz)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK)
        *mhz = type == 2 ? 2619 : 1980;
    return rc;
}

int nvmlDeviceGetTemperature(void *dev, int sensor, unsigned int *c)
{
    int g, rc = dev_index(dev, &g);

    (void)sensor;
    if (rc == OK)
        *c = 61;
    return rc;
}

int nvmlDeviceGetCurrentClocksThrottleReasons(void *dev, unsigned long long *reasons)
{
    int g, rc = dev_index(dev, &g);

    if (rc == OK)
        *reasons = 0x1ULL; /* GPU idle */
    return rc;
}
