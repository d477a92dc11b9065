/* rapl.c — CPU and DRAM energy through Linux powercap RAPL
 * (<root>/intel-rapl:N[:M], root $LLE_POWERCAP_ROOT or /sys/class/powercap;
 * the same driver serves AMD Zen on recent kernels). Every zone and subzone
 * (package, core, uncore, dram, psys) becomes a channel reading energy_uj
 * (kept open, re-read with pread) that wraps at max_energy_range_uj. Packages
 * and DRAM count in totals; core and uncore are inside their package and psys
 * covers the whole platform, so they are reported but not summed (psys is
 * summed only when there is no package zone). Since Linux 5.10 energy_uj is
 * readable by root only: that case is reported with the exact fix. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define RAPL_MAX_ZONES 64
/* No CPU package or DRAM domain draws this much: a "wrap" implying more is
 * an anomaly (docs/energy.md). */
#define RAPL_MAX_PLAUSIBLE_W 2000.0

typedef struct rapl_ctx {
    int n;
    int fd[RAPL_MAX_ZONES];
    char path[RAPL_MAX_ZONES][4200];
} rapl_ctx;

static bool rapl_read(void *vctx, int sub, bool aux, ech_sample *s)
{
    rapl_ctx *c = vctx;

    (void)aux;
    errno = 0;
    if (lle_energy_pread_u64(c->fd[sub], &s->raw)) {
        s->counter_ok = true;
        return true;
    }
    lle_energy_fmt(s->why, sizeof s->why, "%s: cannot be read any more (%s)", c->path[sub],
                   errno != 0 ? strerror(errno) : "not a number");
    return false;
}

static void rapl_close(void *vctx)
{
    rapl_ctx *c = vctx;

    for (int i = 0; c != NULL && i < c->n; i++)
        close(c->fd[i]);
    free(c);
}

static const ech_ops RAPL_OPS = {rapl_read, rapl_close};

static int zone_filter(const struct dirent *e)
{
    return strncmp(e->d_name, "intel-rapl:", 11) == 0;
}

static const char *domain_of(const char *name)
{
    static const char *const known[] = {"package", "core", "uncore", "dram", "psys"};

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strncmp(name, known[i], strlen(known[i])) == 0)
            return known[i];
    return "other";
}

static void permission_fix(char *fix, size_t size, const char *root)
{
    lle_energy_fmt(fix, size,
                   "run as root, or allow reading until reboot: sudo chmod o+r %s/intel-rapl:*/energy_uj "
                   "%s/intel-rapl:*/intel-rapl:*/energy_uj ; permanently with a udev rule: echo "
                   "'SUBSYSTEM==\"powercap\", ACTION==\"add\", RUN+=\"/bin/chmod o+r /sys%%p/energy_uj\"' | "
                   "sudo tee /etc/udev/rules.d/99-powercap-energy.rules && sudo udevadm trigger "
                   "--subsystem-match=powercap ; or use the perf power PMU: sudo setcap cap_perfmon+ep %s",
                   root, root, lle_energy_self_exe());
}

/* Name of zone `dir` ("package-0"), its parent's name for subzones. */
static void zone_label(const char *root, const char *dir, char *id, size_t id_size, char *name, size_t name_size)
{
    char path[4200], parent[256], pname[64] = "";
    const char *colon2 = strchr(dir + 11, ':');

    lle_energy_fmt(path, sizeof path, "%s/%s/name", root, dir);
    if (lle_energy_read_text(path, name, name_size) != 0 || name[0] == '\0')
        lle_strlcpy(name, dir, name_size);
    if (colon2 != NULL) {
        lle_energy_fmt(parent, sizeof parent, "%.*s", (int)(colon2 - dir), dir);
        lle_energy_fmt(path, sizeof path, "%s/%s/name", root, parent);
        if (lle_energy_read_text(path, pname, sizeof pname) != 0 || pname[0] == '\0')
            lle_strlcpy(pname, parent, sizeof pname);
        lle_energy_fmt(id, id_size, "rapl:%s/%s", pname, name);
    } else {
        lle_energy_fmt(id, id_size, "rapl:%s", name);
    }
}

/* Open one zone; a channel when readable, else a "bad" entry with the fix. */
static lle_status add_zone(edisc *d, rapl_ctx *c, const char *root, const char *dir, lle_error *err)
{
    char path[4200], id[64], name[64], range[64], why[320], fix[512] = "";
    uint64_t max_uj = 0, now = 0;
    ech_desc ch;
    int fd;

    zone_label(root, dir, id, sizeof id, name, sizeof name);
    lle_energy_fmt(path, sizeof path, "%s/%s/max_energy_range_uj", root, dir);
    if (lle_energy_read_text(path, range, sizeof range) != 0 || !lle_energy_parse_u64(range, &max_uj) || max_uj == 0)
        max_uj = 0;
    lle_energy_fmt(path, sizeof path, "%s/%s/energy_uj", root, dir);
    errno = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || !lle_energy_pread_u64(fd, &now)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (e == EACCES || e == EPERM)
            permission_fix(fix, sizeof fix, root);
        lle_energy_fmt(why, sizeof why, "%s: %s%s", path, fd < 0 || e != 0 ? strerror(e) : "not a number",
                       e == EACCES || e == EPERM ? " (energy_uj is root-only since Linux 5.10)" : "");
        return edisc_add_bad(d, "rapl", id, name, why, fix, err);
    }
    if (c->n >= RAPL_MAX_ZONES) {
        close(fd);
        return edisc_add_bad(d, "rapl", id, name, "too many RAPL zones", "", err);
    }
    c->fd[c->n] = fd;
    lle_strlcpy(c->path[c->n], path, sizeof c->path[c->n]);
    memset(&ch, 0, sizeof ch);
    lle_strlcpy(ch.id, id, sizeof ch.id);
    lle_strlcpy(ch.name, name, sizeof ch.name);
    lle_strlcpy(ch.kind, "rapl", sizeof ch.kind);
    lle_strlcpy(ch.domain, domain_of(name), sizeof ch.domain);
    lle_energy_fmt(ch.how, sizeof ch.how, "%s (microjoules, wraps at max_energy_range_uj = %llu)", path,
                   (unsigned long long)max_uj);
    ch.method = LLE_ENERGY_MEASURED;
    ch.in_total = strcmp(ch.domain, "package") == 0 || strcmp(ch.domain, "dram") == 0 || strcmp(ch.domain, "psys") == 0;
    ch.has_counter = ch.energy = ch.check_stuck = true;
    ch.scale_j = 1e-6;
    ch.modulus = max_uj > 0 ? max_uj + 1 : 0;
    ch.max_w = RAPL_MAX_PLAUSIBLE_W;
    ch.ops = &RAPL_OPS;
    ch.ctx = c;
    ch.sub = c->n++;
    return edisc_add_channel(d, &ch, err);
}

static lle_status no_rapl(edisc *d, const char *root, int e, lle_error *err)
{
    char why[320];

    lle_energy_fmt(why, sizeof why,
                   "%s: %s (no powercap RAPL here: the intel_rapl driver is not loaded, the CPU "
                   "has no RAPL, or this is a virtual machine, which rarely exposes it)",
                   root, e != 0 ? strerror(e) : "no intel-rapl zones");
    return edisc_add_bad(d, "rapl", NULL, "", why,
                         "on bare metal: sudo modprobe intel_rapl_msr (Intel; AMD Zen needs Linux >= 5.8); "
                         "inside a virtual machine there is no fix",
                         err);
}

lle_status lle_rapl_discover(edisc *d, lle_error *err)
{
    const char *root = lle_energy_root("LLE_POWERCAP_ROOT", "/sys/class/powercap");
    struct dirent **list = NULL;
    rapl_ctx *c = NULL;
    lle_status st = LLE_OK;
    int n = scandir(root, &list, zone_filter, alphasort);

    if (n <= 0) {
        st = no_rapl(d, root, n < 0 ? errno : 0, err);
        goto cleanup;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory opening RAPL zones");
        goto cleanup;
    }
    st = edisc_add_ctx(d, &RAPL_OPS, c, err);
    for (int i = 0; st == LLE_OK && i < n; i++)
        st = add_zone(d, c, root, list[i]->d_name, err);
cleanup:
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return st;
}
