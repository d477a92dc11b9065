/* estimate.c — labelled estimates for the CPU and RAM when no counter covers
 * them (docs/energy.md):
 *   CPU: P = TDP x sockets x utilisation (all cores, <proc>/stat, over each
 *        reading interval), TDP from CodeCarbon's cpu_power.csv (matched on
 *        the cpuinfo model name), or --cpu-tdp, or CodeCarbon's 85 W default
 *        for CPUs missing from the table, said so in the formula;
 *   RAM: P = 3 W per 8 GB installed (CodeCarbon's RAM model), constant.
 * Every estimate has method "estimated" and its formula with the numbers used. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define DEFAULT_TDP_W 85.0        /* CodeCarbon's POWER_CONSTANT for unknown CPUs */
#define RAM_W_PER_GB  (3.0 / 8.0) /* CodeCarbon: 3 W per 8 GB of DDR3/DDR4 */
#define MAX_TOK       32

typedef struct toks {
    int n;
    char t[MAX_TOK][32];
} toks;

/* Lower-case tokens of a CPU name: trademarks dropped, cut at '@' (clock),
 * separators anything but letters, digits, '.', '-', '+'. */
static void tokenize(const char *s, toks *out)
{
    char buf[512];
    size_t j = 0;

    for (size_t i = 0; s[i] != '\0' && s[i] != '@' && j + 1 < sizeof buf; i++) {
        if (s[i] == '(' && (strncasecmp(s + i, "(r)", 3) == 0 || strncasecmp(s + i, "(c)", 3) == 0)) {
            i += 2;
            continue;
        }
        if (s[i] == '(' && strncasecmp(s + i, "(tm)", 4) == 0) {
            i += 3;
            continue;
        }
        buf[j++] = (char)tolower((unsigned char)s[i]);
    }
    buf[j] = '\0';
    out->n = 0;
    for (char *p = buf; *p != '\0' && out->n < MAX_TOK;) {
        size_t k = 0;
        while (*p != '\0' && !isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '+')
            p++;
        while (*p != '\0' && (isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+')) {
            if (k + 1 < sizeof out->t[0])
                out->t[out->n][k++] = *p;
            p++;
        }
        if (k > 0) {
            out->t[out->n][k] = '\0';
            out->n++;
        }
    }
}

/* Number of table tokens when all appear in the model's tokens, in order, and
 * one of them holds a digit (a model number); 0 otherwise. */
static int match_score(const toks *model, const toks *entry)
{
    int j = 0;
    bool digit = false;

    for (int i = 0; i < model->n && j < entry->n; i++)
        if (strcmp(model->t[i], entry->t[j]) == 0) {
            digit = digit || strpbrk(entry->t[j], "0123456789") != NULL;
            j++;
        }
    return j == entry->n && digit ? entry->n : 0;
}

/* Split one CSV line "Name,TDP" (the name may be quoted). */
static bool split_line(char *line, char **name, double *tdp)
{
    char *comma, *end = NULL;

    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '"') {
        char *close = strchr(line + 1, '"');
        if (close == NULL || close[1] != ',')
            return false;
        *close = '\0';
        *name = line + 1;
        comma = close + 1;
    } else {
        if ((comma = strchr(line, ',')) == NULL)
            return false;
        *comma = '\0';
        *name = line;
    }
    errno = 0;
    *tdp = strtod(comma + 1, &end);
    return errno == 0 && end != comma + 1 && *end == '\0' && *tdp > 0.0 && isfinite(*tdp);
}

lle_status lle_tdp_lookup(const char *csv_path, const char *model, double *tdp_w, char *matched, size_t matched_size,
                          lle_error *err)
{
    char line[512];
    toks m, e;
    int best = 0, line_no = 0;
    FILE *f = fopen(csv_path, "re");

    if (f == NULL)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "%s: %s (set LLE_DATA_DIR)", csv_path,
                        strerror(errno));
    tokenize(model, &m);
    while (fgets(line, sizeof line, f) != NULL) {
        char *name;
        double tdp;
        int score;
        if (++line_no == 1 || !split_line(line, &name, &tdp))
            continue; /* header, malformed TDP ("27.29.5") or a zero TDP */
        tokenize(name, &e);
        score = match_score(&m, &e);
        if (score > best) {
            best = score;
            *tdp_w = tdp;
            lle_strlcpy(matched, name, matched_size);
        }
    }
    fclose(f);
    return best > 0 ? LLE_OK : lle_fail(err, LLE_ERR_NOT_FOUND, "CPU '%s' is not in %s", model, csv_path);
}

typedef struct est_ctx {
    lle_cpustat cpu;
    double cpu_w; /* TDP x sockets */
    double ram_w;
} est_ctx;

static bool est_read(void *vctx, int sub, bool aux, ech_sample *s)
{
    est_ctx *c = vctx;

    (void)aux;
    if (sub == 1) {
        s->power_w = c->ram_w;
        s->power_ok = true;
        return true;
    }
    if (!lle_cpustat_read(&c->cpu) || isnan(c->cpu.util)) {
        lle_energy_fmt(s->why, sizeof s->why, "/proc/stat cannot be read");
        return false;
    }
    s->power_w = c->cpu_w * c->cpu.util;
    s->power_ok = true;
    return true;
}

static void est_close(void *vctx)
{
    est_ctx *c = vctx;

    if (c != NULL)
        lle_cpustat_close(&c->cpu);
    free(c);
}

static const ech_ops EST_OPS = {est_read, est_close};

/* The TDP and the sentence saying where it came from. */
static double cpu_tdp(const lle_meter_opts *o, const char *model, char *from, size_t size)
{
    char path[4200], matched[256];
    double tdp = 0.0;
    lle_error e;
    const char *dir = lle_energy_data_dir();

    if (o->cpu_tdp_w > 0.0) {
        lle_energy_fmt(from, size, "TDP given by the user");
        return o->cpu_tdp_w;
    }
    lle_energy_fmt(path, sizeof path, "%s/codecarbon/cpu_power.csv", dir != NULL ? dir : ".");
    if (model[0] != '\0' && lle_tdp_lookup(path, model, &tdp, matched, sizeof matched, &e) == LLE_OK) {
        lle_energy_fmt(from, size, "TDP of '%s' in CodeCarbon's cpu_power.csv", matched);
        return tdp;
    }
    lle_energy_fmt(from, size, "CodeCarbon's default TDP: '%s' %s", model[0] ? model : "(unknown CPU)",
                   dir == NULL ? "(cpu_power.csv not found: set LLE_DATA_DIR)" : "is not in cpu_power.csv");
    return DEFAULT_TDP_W;
}

static uint64_t mem_total_bytes(void)
{
    char path[4200], line[256];
    unsigned long long kb = 0;
    FILE *f;

    lle_energy_fmt(path, sizeof path, "%s/meminfo", lle_energy_root("LLE_PROC_ROOT", "/proc"));
    f = fopen(path, "re");
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return (uint64_t)kb * 1024ULL;
}

static void base_desc(ech_desc *ch, est_ctx *c, int sub, const char *id, const char *domain)
{
    memset(ch, 0, sizeof *ch);
    lle_strlcpy(ch->id, id, sizeof ch->id);
    lle_strlcpy(ch->kind, "estimate", sizeof ch->kind);
    lle_strlcpy(ch->domain, domain, sizeof ch->domain);
    ch->method = LLE_ENERGY_ESTIMATED;
    ch->in_total = ch->energy = ch->has_power = ch->power_interval = true;
    ch->ops = &EST_OPS;
    ch->ctx = c;
    ch->sub = sub;
}

static lle_status add_cpu(edisc *d, est_ctx *c, const lle_meter_opts *o, lle_error *err)
{
    char model[256], from[400];
    int sockets = 1;
    double tdp;
    ech_desc ch;

    lle_energy_cpu_model(model, sizeof model, &sockets);
    if (!lle_cpustat_open(&c->cpu))
        return edisc_add_bad(d, "estimate", "estimate:cpu", model, "/proc/stat cannot be read: no CPU estimate", "",
                             err);
    tdp = cpu_tdp(o, model, from, sizeof from);
    c->cpu_w = tdp * sockets;
    base_desc(&ch, c, 0, "estimate:cpu", "cpu");
    lle_strlcpy(ch.name, model[0] ? model : "CPU", sizeof ch.name);
    lle_energy_fmt(ch.how, sizeof ch.how, "P = %.4g W TDP x %d socket%s x CPU utilisation (/proc/stat); %s", tdp,
                   sockets, sockets > 1 ? "s" : "", from);
    return edisc_add_channel(d, &ch, err);
}

static lle_status add_ram(edisc *d, est_ctx *c, lle_error *err)
{
    uint64_t bytes = mem_total_bytes();
    ech_desc ch;

    if (bytes == 0)
        return edisc_add_bad(d, "estimate", "estimate:ram", "RAM", "MemTotal not found in /proc/meminfo", "", err);
    c->ram_w = RAM_W_PER_GB * (double)bytes / 1e9;
    base_desc(&ch, c, 1, "estimate:ram", "ram");
    lle_energy_fmt(ch.name, sizeof ch.name, "RAM (%.1f GB installed)", (double)bytes / 1e9);
    lle_energy_fmt(ch.how, sizeof ch.how,
                   "P = 3 W per 8 GB x %.2f GB installed (/proc/meminfo) = %.3g W, "
                   "constant (CodeCarbon's RAM model)",
                   (double)bytes / 1e9, c->ram_w);
    return edisc_add_channel(d, &ch, err);
}

lle_status lle_estimate_discover(edisc *d, const lle_meter_opts *o, bool cpu, bool ram, lle_error *err)
{
    est_ctx *c;
    lle_status st;

    if (!cpu && !ram)
        return LLE_OK;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory setting up estimates");
    c->cpu.fd = -1;
    st = edisc_add_ctx(d, &EST_OPS, c, err);
    if (st == LLE_OK && cpu)
        st = add_cpu(d, c, o, err);
    if (st == LLE_OK && ram)
        st = add_ram(d, c, err);
    return st;
}
