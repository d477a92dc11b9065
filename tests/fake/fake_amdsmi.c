/* fake_amdsmi.c — a stand-in for ROCm's libamd_smi.so for the energy tests:
 * the subset of the amdsmi C API that src/energy/amdsmi.c uses, one socket
 * with the trace's GPUs, answering from $LLE_FAKE_AMDSMI_TRACE (format in
 * fake_trace.h) on the clock in $LLE_FAKE_AMDSMI_CLOCK. The energy
 * accumulator counts 15.259 uJ units of the trace's exact integral. */
#include <stdint.h>
#include <string.h>

#include "fake_trace.h"

#define RESOLUTION_UJ 15.259f

typedef struct {
    uint32_t gfx_activity, umc_activity, mm_activity, reserved[13];
} fake_engine_usage;
typedef struct {
    uint32_t vram_total, vram_used, reserved[2];
} fake_vram_usage;

static fake_trace g_trace;
static int g_init;
static int g_socket;
static int g_gpus[FT_MAX_GPUS];

int amdsmi_init(uint64_t flags)
{
    (void)flags;
    if (ft_load(&g_trace, "LLE_FAKE_AMDSMI_TRACE", "LLE_FAKE_AMDSMI_CLOCK") != 0)
        return 1;
    for (int i = 0; i < FT_MAX_GPUS; i++)
        g_gpus[i] = i;
    g_init = 1;
    return 0;
}

int amdsmi_shut_down(void)
{
    g_init = 0;
    return 0;
}

int amdsmi_get_socket_handles(uint32_t *count, void **sockets)
{
    if (!g_init)
        return 1;
    if (sockets != NULL && *count >= 1)
        sockets[0] = &g_socket;
    *count = 1;
    return 0;
}

int amdsmi_get_processor_handles(void *socket, uint32_t *count, void **procs)
{
    uint32_t n = (uint32_t)g_trace.gpus;

    if (!g_init || socket != &g_socket)
        return 1;
    for (uint32_t i = 0; procs != NULL && i < n && i < *count; i++)
        procs[i] = &g_gpus[i];
    *count = n;
    return 0;
}

int amdsmi_get_energy_count(void *h, uint64_t *acc, float *res, uint64_t *ts)
{
    int g;
    double t;

    if (!g_init || h == NULL)
        return 1;
    g = *(int *)h;
    t = ft_now(&g_trace);
    if (t >= g_trace.lost_at[g])
        return 2;
    *acc = (uint64_t)(ft_energy(&g_trace, g, t) / (RESOLUTION_UJ * 1e-6) + 0.5);
    *res = RESOLUTION_UJ;
    *ts = (uint64_t)(t * 1e6);
    return 0;
}

int amdsmi_get_gpu_activity(void *h, fake_engine_usage *u)
{
    if (!g_init || h == NULL)
        return 1;
    memset(u, 0, sizeof *u);
    u->gfx_activity = 88;
    u->umc_activity = 30;
    return 0;
}

int amdsmi_get_gpu_vram_usage(void *h, fake_vram_usage *v)
{
    if (!g_init || h == NULL)
        return 1;
    memset(v, 0, sizeof *v);
    v->vram_total = 196608;
    v->vram_used = 2048;
    return 0;
}

int amdsmi_get_temp_metric(void *h, int sensor, int metric, int64_t *t)
{
    (void)sensor;
    (void)metric;
    if (!g_init || h == NULL)
        return 1;
    *t = 55;
    return 0;
}
