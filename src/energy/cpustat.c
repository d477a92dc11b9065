/* cpustat.c — machine CPU utilisation from the aggregate "cpu" line of
 * <proc>/stat (root $LLE_PROC_ROOT or /proc), kept open and re-read with
 * pread: busy = user + nice + system + irq + softirq + steal, total = busy +
 * idle + iowait (guest time is already inside user), utilisation = Δbusy /
 * Δtotal between reads. Also the "sys:cpu" channel that puts cpu_util_pct in
 * every time series, whatever energy sources exist. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "energy/energy_internal.h"

static bool parse_stat(const char *buf, uint64_t *busy, uint64_t *total)
{
    unsigned long long v[8] = {0};
    int n;

    if (strncmp(buf, "cpu ", 4) != 0)
        return false;
    n = sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
               &v[7]);
    if (n < 4)
        return false;
    *busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    *total = *busy + v[3] + v[4];
    return true;
}

bool lle_cpustat_read(lle_cpustat *c)
{
    char buf[512];
    uint64_t busy, total;
    ssize_t n;

    if (c->fd < 0)
        return false;
    n = pread(c->fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    if (!parse_stat(buf, &busy, &total))
        return false;
    if (c->have && total > c->total && busy >= c->busy) {
        double u = (double)(busy - c->busy) / (double)(total - c->total);
        c->util = u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u;
    }
    if (!c->have || total > c->total) {
        c->busy = busy;
        c->total = total;
    }
    c->have = true;
    return true;
}

bool lle_cpustat_open(lle_cpustat *c)
{
    char path[4200];

    memset(c, 0, sizeof *c);
    lle_energy_fmt(path, sizeof path, "%s/stat", lle_energy_root("LLE_PROC_ROOT", "/proc"));
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    c->util = NAN;
    if (c->fd < 0 || !lle_cpustat_read(c))
        return false;
    /* Until a jiffy passes, the average since boot stands in. */
    c->util = c->total > 0 ? (double)c->busy / (double)c->total : 0.0;
    return true;
}

void lle_cpustat_close(lle_cpustat *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static bool util_read(void *vctx, int sub, bool aux, ech_sample *s)
{
    lle_cpustat *c = vctx;

    (void)sub;
    (void)aux;
    if (!lle_cpustat_read(c)) {
        lle_energy_fmt(s->why, sizeof s->why, "/proc/stat cannot be read");
        return false;
    }
    s->aux[0] = isnan(c->util) ? NAN : 100.0 * c->util;
    return true;
}

static void util_close(void *vctx)
{
    lle_cpustat *c = vctx;

    if (c != NULL)
        lle_cpustat_close(c);
    free(c);
}

static const ech_ops UTIL_OPS = {util_read, util_close};

lle_status lle_cpustat_discover(edisc *d, lle_error *err)
{
    lle_cpustat *c = malloc(sizeof *c);
    ech_desc ch;
    lle_status st;

    if (c == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory opening /proc/stat");
    if (!lle_cpustat_open(c)) {
        lle_logf(LLE_LOG_WARN, "/proc/stat cannot be read: no CPU utilisation in the time series");
        util_close(c);
        return LLE_OK;
    }
    st = edisc_add_ctx(d, &UTIL_OPS, c, err);
    if (st != LLE_OK)
        return st;
    memset(&ch, 0, sizeof ch);
    lle_strlcpy(ch.id, "sys:cpu", sizeof ch.id);
    lle_strlcpy(ch.name, "CPU utilisation (all cores)", sizeof ch.name);
    lle_strlcpy(ch.kind, "sys", sizeof ch.kind);
    lle_strlcpy(ch.domain, "cpu", sizeof ch.domain);
    lle_strlcpy(ch.how, "/proc/stat aggregate cpu line", sizeof ch.how);
    ch.n_aux = 1;
    lle_strlcpy(ch.aux[0], "cpu_util_pct", sizeof ch.aux[0]);
    ch.ops = &UTIL_OPS;
    ch.ctx = c;
    return edisc_add_channel(d, &ch, err);
}
