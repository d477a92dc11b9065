/* perf.c — CPU and DRAM energy through the perf_event "power" PMU, the
 * fallback when powercap's energy_uj is root-only: the events
 * <root>/power/events/energy-{pkg,cores,gpu,ram,psys} with their .scale
 * (joules per count) and .unit, opened system-wide on the CPU(s) of the PMU's
 * cpumask (one per package) with perf_event_open. Root is
 * $LLE_PERF_SYSFS_ROOT or /sys/bus/event_source/devices. Opening needs
 * CAP_PERFMON (or root) or kernel.perf_event_paranoid <= 0; a refusal is
 * reported with the exact fix. Counts are 64-bit and do not wrap. */
#include <errno.h>
#include <dirent.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define PERF_MAX_FDS         64
#define PERF_MAX_PLAUSIBLE_W 2000.0

typedef struct perf_ctx {
    int n;
    int fd[PERF_MAX_FDS];
} perf_ctx;

static bool perf_read(void *vctx, int sub, bool aux, ech_sample *s)
{
    perf_ctx *c = vctx;
    uint64_t v = 0;

    (void)aux;
    if (read(c->fd[sub], &v, sizeof v) == (ssize_t)sizeof v) {
        s->raw = v;
        s->counter_ok = true;
        return true;
    }
    lle_energy_fmt(s->why, sizeof s->why, "perf power event: read failed (%s)", strerror(errno));
    return false;
}

static void perf_close(void *vctx)
{
    perf_ctx *c = vctx;

    for (int i = 0; c != NULL && i < c->n; i++)
        close(c->fd[i]);
    free(c);
}

static const ech_ops PERF_OPS = {perf_read, perf_close};

static const char *domain_of(const char *event)
{
    static const char *const map[][2] = {{"energy-pkg", "package"},
                                         {"energy-cores", "core"},
                                         {"energy-gpu", "uncore"},
                                         {"energy-ram", "dram"},
                                         {"energy-psys", "psys"}};

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(event, map[i][0]) == 0)
            return map[i][1];
    return "other";
}

static int paranoid_level(void)
{
    char buf[32];
    uint64_t v;

    if (lle_energy_read_text("/proc/sys/kernel/perf_event_paranoid", buf, sizeof buf) != 0)
        return 99;
    if (buf[0] == '-')
        return -1;
    return lle_energy_parse_u64(buf, &v) ? (int)v : 99;
}

static void refusal(int e, char *why, size_t why_size, char *fix, size_t fix_size, const char *event)
{
    if (e == EACCES || e == EPERM) {
        lle_energy_fmt(why, why_size,
                       "perf_event_open(power/%s) refused: %s (kernel.perf_event_paranoid = %d; "
                       "system-wide events need <= 0 or CAP_PERFMON)",
                       event, strerror(e), paranoid_level());
        lle_energy_fmt(fix, fix_size,
                       "sudo setcap cap_perfmon+ep %s ; or until reboot: sudo sysctl "
                       "kernel.perf_event_paranoid=0 (persist in /etc/sysctl.d/) ; or run as root",
                       lle_energy_self_exe());
    } else {
        lle_energy_fmt(why, why_size,
                       "perf_event_open(power/%s) failed: %s (this CPU or kernel has no such "
                       "energy event)",
                       event, strerror(e));
        fix[0] = '\0';
    }
}

typedef struct perf_event {
    char name[64];
    unsigned type;
    uint64_t config;
    double scale;
} perf_event;

/* Parse <pmu>/events/<name> ("event=0x02"), .scale and .unit. */
static bool read_event(const char *pmu, const char *name, perf_event *ev)
{
    char path[4200], buf[128];
    const char *p;

    lle_energy_fmt(path, sizeof path, "%s/events/%s", pmu, name);
    if (lle_energy_read_text(path, buf, sizeof buf) != 0 || (p = strstr(buf, "event=")) == NULL)
        return false;
    ev->config = strtoull(p + 6, NULL, 0);
    lle_energy_fmt(path, sizeof path, "%s/events/%s.scale", pmu, name);
    if (lle_energy_read_text(path, buf, sizeof buf) != 0 || (ev->scale = strtod(buf, NULL)) <= 0.0)
        return false;
    lle_energy_fmt(path, sizeof path, "%s/events/%s.unit", pmu, name);
    if (lle_energy_read_text(path, buf, sizeof buf) == 0 && strcmp(buf, "Joules") != 0)
        return false;
    lle_strlcpy(ev->name, name, sizeof ev->name);
    return true;
}

static lle_status open_event(edisc *d, perf_ctx *c, const perf_event *ev, int cpu, int pkg, bool multi, lle_error *err)
{
    struct perf_event_attr a;
    char why[320], fix[512];
    ech_desc ch;
    int fd;

    memset(&a, 0, sizeof a);
    a.type = ev->type;
    a.size = sizeof a;
    a.config = ev->config;
    fd = (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    memset(&ch, 0, sizeof ch);
    lle_energy_fmt(ch.id, sizeof ch.id, multi ? "perf:%s/%d" : "perf:%s", ev->name, pkg);
    if (fd < 0 || c->n >= PERF_MAX_FDS) {
        refusal(fd < 0 ? errno : EMFILE, why, sizeof why, fix, sizeof fix, ev->name);
        if (fd >= 0)
            close(fd);
        return edisc_add_bad(d, "perf", ch.id, ev->name, why, fix, err);
    }
    c->fd[c->n] = fd;
    lle_energy_fmt(ch.name, sizeof ch.name, "%s (package %d)", ev->name, pkg);
    lle_strlcpy(ch.kind, "perf", sizeof ch.kind);
    lle_strlcpy(ch.domain, domain_of(ev->name), sizeof ch.domain);
    lle_energy_fmt(ch.how, sizeof ch.how, "perf_event power/%s on cpu %d, %.6g J per count", ev->name, cpu, ev->scale);
    ch.method = LLE_ENERGY_MEASURED;
    ch.in_total = strcmp(ch.domain, "package") == 0 || strcmp(ch.domain, "dram") == 0 || strcmp(ch.domain, "psys") == 0;
    ch.has_counter = ch.energy = ch.check_stuck = true;
    ch.scale_j = ev->scale;
    ch.max_w = PERF_MAX_PLAUSIBLE_W;
    ch.ops = &PERF_OPS;
    ch.ctx = c;
    ch.sub = c->n++;
    return edisc_add_channel(d, &ch, err);
}

static int event_filter(const struct dirent *e)
{
    return strncmp(e->d_name, "energy-", 7) == 0 && strchr(e->d_name, '.') == NULL;
}

/* CPUs of the PMU's cpumask ("0", "0,28", "0-1"): one per package. */
static int parse_cpumask(const char *pmu, int *cpus, int max)
{
    char path[4200], buf[256], *p = buf, *end;
    int n = 0;

    lle_energy_fmt(path, sizeof path, "%s/cpumask", pmu);
    if (lle_energy_read_text(path, buf, sizeof buf) != 0)
        return 0;
    while (*p != '\0' && n < max) {
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        if (a < 0 || b < a || b > 1L << 20) /* not a CPU range (and x++ must not overflow) */
            break;
        for (long x = a; x <= b && n < max; x++)
            cpus[n++] = (int)x;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return n;
}

static lle_status add_events(edisc *d, perf_ctx *c, const char *pmu, unsigned type, lle_error *err)
{
    struct dirent **list = NULL;
    char dir[4200];
    int cpus[16], n_cpus = parse_cpumask(pmu, cpus, 16), n;
    lle_status st = LLE_OK;

    lle_energy_fmt(dir, sizeof dir, "%s/events", pmu);
    n = scandir(dir, &list, event_filter, alphasort);
    if (n_cpus == 0) {
        cpus[0] = 0;
        n_cpus = 1;
    }
    for (int i = 0; i < n && st == LLE_OK; i++) {
        perf_event ev;
        if (!read_event(pmu, list[i]->d_name, &ev))
            continue;
        ev.type = type;
        for (int k = 0; k < n_cpus && st == LLE_OK; k++)
            st = open_event(d, c, &ev, cpus[k], k, n_cpus > 1, err);
    }
    if (n <= 0 && st == LLE_OK)
        st = edisc_add_bad(d, "perf", NULL, "", "the power PMU lists no energy events", "", err);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return st;
}

lle_status lle_perf_discover(edisc *d, lle_error *err)
{
    const char *root = lle_energy_root("LLE_PERF_SYSFS_ROOT", "/sys/bus/event_source/devices");
    char pmu[4200], path[4300], buf[32], why[320];
    uint64_t type = 0;
    perf_ctx *c;
    lle_status st;

    lle_energy_fmt(pmu, sizeof pmu, "%s/power", root);
    lle_energy_fmt(path, sizeof path, "%s/type", pmu);
    if (lle_energy_read_text(path, buf, sizeof buf) != 0 || !lle_energy_parse_u64(buf, &type) || type > 0xffffffffULL) {
        lle_energy_fmt(why, sizeof why, "%s: no perf power PMU (%s)", pmu, strerror(errno != 0 ? errno : ENOENT));
        return edisc_add_bad(d, "perf", NULL, "", why, "", err);
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory opening perf events");
    st = edisc_add_ctx(d, &PERF_OPS, c, err);
    if (st == LLE_OK)
        st = add_events(d, c, pmu, (unsigned)type, err);
    return st;
}
