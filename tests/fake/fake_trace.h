/* fake_trace.h — the scripted power trace shared by the fake GPU management
 * libraries (fake_nvml.c, fake_amdsmi.c) that the energy tests load instead of
 * the vendors' libraries. A trace file (path in the env variable the library
 * names) holds lines:
 *   gpus N                 number of GPUs (default 1, at most 8)
 *   name TEXT              model name
 *   counter_period S       the energy counter only moves every S seconds (0 = continuously)
 *   no_energy              the energy counter is not supported
 *   lost_at GPU T          GPU stops answering from time T
 *   p T W0 W1 ...          power (watts) of each GPU at time T; linear in between,
 *                          constant before the first and after the last point
 * Time is read from the file named by the library's clock variable (seconds as
 * text) when set, else the monotonic clock since init. Energy is the exact
 * integral of the piecewise-linear power from t = 0. Test-only code: header
 * with static functions, included by exactly one file per library. */
#ifndef LLE_FAKE_TRACE_H
#define LLE_FAKE_TRACE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FT_MAX_GPUS   8
#define FT_MAX_POINTS 256

typedef struct fake_trace {
    int gpus;
    char name[96];
    double counter_period;
    int no_energy;
    double lost_at[FT_MAX_GPUS];
    int n;
    double t[FT_MAX_POINTS];
    double w[FT_MAX_POINTS][FT_MAX_GPUS];
    double t0;
    const char *clock_file;
} fake_trace;

static double ft_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void ft_parse_line(fake_trace *f, char *line)
{
    char *p = line, *end;
    int g;

    if (strncmp(line, "gpus ", 5) == 0) {
        f->gpus = (int)strtol(line + 5, NULL, 10);
    } else if (strncmp(line, "name ", 5) == 0) {
        size_t n = strcspn(line + 5, "\n");
        if (n >= sizeof f->name)
            n = sizeof f->name - 1;
        memcpy(f->name, line + 5, n);
        f->name[n] = '\0';
    } else if (strncmp(line, "counter_period ", 15) == 0) {
        f->counter_period = strtod(line + 15, NULL);
    } else if (strncmp(line, "no_energy", 9) == 0) {
        f->no_energy = 1;
    } else if (strncmp(line, "lost_at ", 8) == 0) {
        g = (int)strtol(line + 8, &end, 10);
        if (g >= 0 && g < FT_MAX_GPUS)
            f->lost_at[g] = strtod(end, NULL);
    } else if (line[0] == 'p' && line[1] == ' ' && f->n < FT_MAX_POINTS) {
        p = line + 2;
        f->t[f->n] = strtod(p, &end);
        for (g = 0; g < FT_MAX_GPUS; g++) {
            p = end;
            f->w[f->n][g] = strtod(p, &end);
            if (end == p)
                f->w[f->n][g] = g > 0 ? f->w[f->n][g - 1] : 0.0;
        }
        f->n++;
    }
}

static int ft_load(fake_trace *f, const char *trace_var, const char *clock_var)
{
    const char *path = getenv(trace_var);
    char line[512];
    FILE *in;

    memset(f, 0, sizeof *f);
    f->gpus = 1;
    snprintf(f->name, sizeof f->name, "Fake GPU");
    for (int g = 0; g < FT_MAX_GPUS; g++)
        f->lost_at[g] = INFINITY;
    f->clock_file = getenv(clock_var);
    f->t0 = ft_mono();
    if (path == NULL || (in = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, in) != NULL)
        if (line[0] != '#')
            ft_parse_line(f, line);
    fclose(in);
    if (f->gpus < 1 || f->gpus > FT_MAX_GPUS)
        f->gpus = 1;
    return f->n > 0 ? 0 : -1;
}

static double ft_now(const fake_trace *f)
{
    char buf[64];
    FILE *in;

    if (f->clock_file == NULL)
        return ft_mono() - f->t0;
    in = fopen(f->clock_file, "r");
    if (in == NULL || fgets(buf, sizeof buf, in) == NULL) {
        if (in != NULL)
            fclose(in);
        return 0.0;
    }
    fclose(in);
    return strtod(buf, NULL);
}

static double ft_power(const fake_trace *f, int g, double t)
{
    if (t <= f->t[0])
        return f->w[0][g];
    for (int i = 1; i < f->n; i++)
        if (t <= f->t[i])
            return f->w[i - 1][g] + (f->w[i][g] - f->w[i - 1][g]) * (t - f->t[i - 1]) / (f->t[i] - f->t[i - 1]);
    return f->w[f->n - 1][g];
}

/* Exact integral of the power from 0 to t (joules). */
static double ft_energy(const fake_trace *f, int g, double t)
{
    double e = 0.0, a = 0.0;

    if (f->counter_period > 0.0)
        t = floor(t / f->counter_period + 1e-9) * f->counter_period;
    for (int i = 0; i <= f->n && a < t; i++) {
        double b = i < f->n ? f->t[i] : t;
        if (b > t)
            b = t;
        if (b > a) {
            e += 0.5 * (ft_power(f, g, a) + ft_power(f, g, b)) * (b - a);
            a = b;
        }
    }
    return e;
}

#endif
