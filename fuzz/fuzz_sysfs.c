/* Fuzz harness: the sysfs readers of the energy sources, through a fake tree
 * written from the input: a powercap RAPL zone and sub-zone (name, energy_uj,
 * max_energy_range_uj) read by lle_rapl_discover, a perf "power" PMU (type,
 * events/energy-pkg{,.scale,.unit}, cpumask) read by lle_perf_discover, the CPU
 * TDP table lookup (cpu_power.csv), and lle_energy_parse_u64 on the raw input.
 * Fields of the input are separated by the byte 0x1e (see fz_part). */
#include "fuzz_util.h"

#include "energy/energy_internal.h"

enum { F_NAME, F_UJ, F_RANGE, F_SUBNAME, F_SUBUJ, F_TYPE, F_EVENT, F_SCALE, F_UNIT, F_MASK, F_CSV, F_MODEL, F_N };

static const char *const FILES[F_MODEL] = {
    "powercap/intel-rapl:0/name",
    "powercap/intel-rapl:0/energy_uj",
    "powercap/intel-rapl:0/max_energy_range_uj",
    "powercap/intel-rapl:0/intel-rapl:0:0/name",
    "powercap/intel-rapl:0/intel-rapl:0:0/energy_uj",
    "perf/power/type",
    "perf/power/events/energy-pkg",
    "perf/power/events/energy-pkg.scale",
    "perf/power/events/energy-pkg.unit",
    "perf/power/cpumask",
    "cpu_power.csv",
};

static int make_tree(const char *dir)
{
    static const char *const DIRS[] = {
        "powercap",   "powercap/intel-rapl:0", "powercap/intel-rapl:0/intel-rapl:0:0", "perf",
        "perf/power", "perf/power/events"};
    char path[256];
    for (size_t i = 0; i < sizeof DIRS / sizeof DIRS[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, DIRS[i]);
        if (mkdir(path, 0755) != 0 && access(path, F_OK) != 0)
            return -1;
    }
    snprintf(path, sizeof path, "%s/powercap", dir);
    setenv("LLE_POWERCAP_ROOT", path, 1);
    snprintf(path, sizeof path, "%s/perf", dir);
    setenv("LLE_PERF_SYSFS_ROOT", path, 1);
    return 0;
}

static void discover(lle_status (*fn)(edisc *, lle_error *))
{
    edisc d;
    lle_error err = {0};
    memset(&d, 0, sizeof d);
    (void)fn(&d, &err);
    edisc_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    const char *dir = fz_dir();
    char path[256], matched[128], *field[F_N] = {0};
    uint64_t u = 0;
    double tdp = 0.0;
    lle_error err = {0};

    if (dir == NULL || (!ready && make_tree(dir) != 0))
        return 0;
    ready = 1;
    for (int i = 0; i < F_N; i++)
        if ((field[i] = fz_part(data, size, i)) == NULL)
            goto cleanup;
    for (int i = 0; i < F_MODEL; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, FILES[i]);
        if (fz_write(path, field[i], strlen(field[i])) != 0)
            goto cleanup;
    }
    (void)lle_energy_parse_u64(field[F_UJ], &u);
    discover(lle_rapl_discover);
    discover(lle_perf_discover);
    snprintf(path, sizeof path, "%s/%s", dir, FILES[F_CSV]);
    (void)lle_tdp_lookup(path, field[F_MODEL], &tdp, matched, sizeof matched, &err);
cleanup:
    for (int i = 0; i < F_N; i++)
        free(field[i]);
    return 0;
}
