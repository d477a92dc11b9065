/* amdsmi.c — AMD GPU energy and telemetry through the AMD SMI library, loaded
 * at run time with dlopen ($LLE_AMDSMI_LIBRARY, else libamd_smi.so, else
 * /opt/rocm/lib/libamd_smi.so): no build dependency. Per GPU the energy
 * accumulator of amdsmi_get_energy_count (counts x counter_resolution
 * microjoules, 64-bit) is the figure; GPU and memory activity, VRAM used and
 * the hotspot temperature go to the time series. ROCR_VISIBLE_DEVICES /
 * HIP_VISIBLE_DEVICES (numeric indices) are respected. The declarations below
 * re-state the public amdsmi.h ABI that is used (no header needed). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define AMDSMI_SUCCESS       0
#define AMDSMI_INIT_AMD_GPUS (1ULL << 1)
#define AMD_MAX_GPUS         64
#define AMD_MAX_SOCKETS      16
#define AMD_MAX_PLAUSIBLE_W  5000.0

typedef void *amd_handle;
typedef struct {
    uint32_t gfx_activity, umc_activity, mm_activity, reserved[13];
} amd_engine_usage;
typedef struct {
    uint32_t vram_total, vram_used, reserved[2];
} amd_vram_usage;

typedef struct amd_api {
    void *lib;
    int (*init)(uint64_t);
    int (*shut_down)(void);
    int (*sockets)(uint32_t *, amd_handle *);
    int (*processors)(amd_handle, uint32_t *, amd_handle *);
    int (*energy)(amd_handle, uint64_t *, float *, uint64_t *);
    int (*activity)(amd_handle, amd_engine_usage *);
    int (*vram)(amd_handle, amd_vram_usage *);
    int (*temp)(amd_handle, int, int, int64_t *);
    bool initialised;
    int n;
    amd_handle gpu[AMD_MAX_GPUS];
} amd_api;

static const char *const AUX[] = {"gpu_util_pct", "mem_util_pct", "mem_used_bytes", "temp_c"};
#define N_AUX ((int)(sizeof AUX / sizeof AUX[0]))

static bool amd_read(void *vctx, int sub, bool aux, ech_sample *s)
{
    amd_api *a = vctx;
    amd_engine_usage u;
    amd_vram_usage v;
    uint64_t acc = 0, ts = 0;
    int64_t t = 0;
    float res = 0;
    int rc = a->energy(a->gpu[sub], &acc, &res, &ts);

    if (rc != AMDSMI_SUCCESS) {
        lle_energy_fmt(s->why, sizeof s->why, "amdsmi_get_energy_count failed (status %d)", rc);
        return false;
    }
    s->raw = acc;
    s->counter_ok = true;
    if (aux && a->activity != NULL && a->activity(a->gpu[sub], &u) == AMDSMI_SUCCESS) {
        s->aux[0] = u.gfx_activity;
        s->aux[1] = u.umc_activity;
    }
    if (aux && a->vram != NULL && a->vram(a->gpu[sub], &v) == AMDSMI_SUCCESS)
        s->aux[2] = (double)v.vram_used * 1048576.0;
    if (aux && a->temp != NULL && a->temp(a->gpu[sub], 1 /* HOTSPOT */, 0 /* CURRENT */, &t) == AMDSMI_SUCCESS)
        s->aux[3] = (double)t;
    return true;
}

static void amd_close(void *vctx)
{
    amd_api *a = vctx;

    if (a == NULL)
        return;
    if (a->initialised && a->shut_down != NULL)
        a->shut_down();
    if (a->lib != NULL)
        dlclose(a->lib);
    free(a);
}

static const ech_ops AMD_OPS = {amd_read, amd_close};

static bool load_symbols(amd_api *a)
{
    *(void **)&a->init = dlsym(a->lib, "amdsmi_init");
    *(void **)&a->shut_down = dlsym(a->lib, "amdsmi_shut_down");
    *(void **)&a->sockets = dlsym(a->lib, "amdsmi_get_socket_handles");
    *(void **)&a->processors = dlsym(a->lib, "amdsmi_get_processor_handles");
    *(void **)&a->energy = dlsym(a->lib, "amdsmi_get_energy_count");
    *(void **)&a->activity = dlsym(a->lib, "amdsmi_get_gpu_activity");
    *(void **)&a->vram = dlsym(a->lib, "amdsmi_get_gpu_vram_usage");
    *(void **)&a->temp = dlsym(a->lib, "amdsmi_get_temp_metric");
    return a->init != NULL && a->sockets != NULL && a->processors != NULL && a->energy != NULL;
}

/* Whether GPU `i` is in ROCR_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES (if set). */
static bool visible(int i)
{
    const char *env = getenv("ROCR_VISIBLE_DEVICES");
    char buf[512], *save = NULL, *tok;

    if (env == NULL)
        env = getenv("HIP_VISIBLE_DEVICES");
    if (env == NULL)
        return true;
    lle_strlcpy(buf, env, sizeof buf);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
        if (strtol(tok, NULL, 10) == i && tok[0] >= '0' && tok[0] <= '9')
            return true;
    return false;
}

static lle_status add_gpu(edisc *d, amd_api *a, amd_handle h, int index, lle_error *err)
{
    uint64_t acc, ts;
    float res = 0;
    ech_desc ch;
    int rc = a->energy(h, &acc, &res, &ts);

    memset(&ch, 0, sizeof ch);
    lle_energy_fmt(ch.id, sizeof ch.id, "amdsmi:%d", index);
    lle_energy_fmt(ch.name, sizeof ch.name, "AMD GPU %d", index);
    if (rc != AMDSMI_SUCCESS || res <= 0.0f || a->n >= AMD_MAX_GPUS) {
        char why[320];
        lle_energy_fmt(why, sizeof why, "amdsmi_get_energy_count failed (status %d, resolution %g)", rc, (double)res);
        return edisc_add_bad(d, "amdsmi", ch.id, ch.name, why, "", err);
    }
    a->gpu[a->n] = h;
    lle_strlcpy(ch.kind, "amdsmi", sizeof ch.kind);
    lle_strlcpy(ch.domain, "gpu", sizeof ch.domain);
    lle_energy_fmt(ch.how, sizeof ch.how, "amdsmi_get_energy_count (counts x %.4g uJ)", (double)res);
    ch.method = LLE_ENERGY_MEASURED;
    ch.in_total = ch.energy = ch.has_counter = true;
    ch.scale_j = (double)res * 1e-6;
    ch.max_w = AMD_MAX_PLAUSIBLE_W;
    ch.n_aux = N_AUX;
    for (int i = 0; i < N_AUX; i++)
        lle_strlcpy(ch.aux[i], AUX[i], sizeof ch.aux[i]);
    ch.ops = &AMD_OPS;
    ch.ctx = a;
    ch.sub = a->n++;
    return edisc_add_channel(d, &ch, err);
}

static lle_status add_gpus(edisc *d, amd_api *a, lle_error *err)
{
    amd_handle sockets[AMD_MAX_SOCKETS], procs[AMD_MAX_GPUS];
    uint32_t n_sock = AMD_MAX_SOCKETS;
    int index = 0;
    lle_status st = LLE_OK;

    if (a->sockets(&n_sock, sockets) != AMDSMI_SUCCESS || n_sock == 0)
        return edisc_add_bad(d, "amdsmi", NULL, "", "amdsmi lists no GPU", "", err);
    for (uint32_t s = 0; s < n_sock && s < AMD_MAX_SOCKETS && st == LLE_OK; s++) {
        uint32_t n_proc = AMD_MAX_GPUS;
        if (a->processors(sockets[s], &n_proc, procs) != AMDSMI_SUCCESS)
            continue;
        for (uint32_t p = 0; p < n_proc && p < AMD_MAX_GPUS && st == LLE_OK; p++, index++)
            if (visible(index))
                st = add_gpu(d, a, procs[p], index, err);
    }
    return st;
}

static void *open_lib(const char **path)
{
    const char *env = getenv("LLE_AMDSMI_LIBRARY");
    void *lib;

    if (env != NULL && env[0] != '\0') {
        *path = env;
        return dlopen(env, RTLD_NOW | RTLD_LOCAL);
    }
    *path = "libamd_smi.so";
    lib = dlopen(*path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        *path = "/opt/rocm/lib/libamd_smi.so";
        lib = dlopen(*path, RTLD_NOW | RTLD_LOCAL);
    }
    return lib;
}

lle_status lle_amdsmi_discover(edisc *d, lle_error *err)
{
    const char *path = NULL;
    char why[320];
    lle_status st;
    int rc;
    amd_api *a = calloc(1, sizeof *a);

    if (a == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory loading amdsmi");
    a->lib = open_lib(&path);
    if (a->lib == NULL) {
        lle_energy_fmt(why, sizeof why, "%s not loadable (no ROCm AMD SMI): %s", path, dlerror());
        free(a);
        return edisc_add_bad(d, "amdsmi", NULL, "", why, "install ROCm's amd-smi-lib (libamd_smi.so)", err);
    }
    st = edisc_add_ctx(d, &AMD_OPS, a, err);
    if (st != LLE_OK)
        return st;
    if (!load_symbols(a)) {
        lle_energy_fmt(why, sizeof why, "%s lacks the amdsmi functions needed", path);
        return edisc_add_bad(d, "amdsmi", NULL, "", why, "update ROCm", err);
    }
    if ((rc = a->init(AMDSMI_INIT_AMD_GPUS)) != AMDSMI_SUCCESS) {
        lle_energy_fmt(why, sizeof why, "amdsmi_init failed (status %d)", rc);
        return edisc_add_bad(d, "amdsmi", NULL, "", why, "check the amdgpu driver and /dev/kfd access", err);
    }
    a->initialised = true;
    return add_gpus(d, a, err);
}
