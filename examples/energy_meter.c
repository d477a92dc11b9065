/* energy_meter.c — measure the energy of your own code with liblle's meter
 * (include/lle/energy.h): open a meter (it finds RAPL, perf, NVML, amdsmi or
 * falls back to labelled estimates), wrap the work in named windows (they may
 * nest or overlap), and read energy, average and peak power per source.
 *
 * Build against an installed llm-efficiency (for a prefix other than /usr, set
 * PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig and add -Wl,-rpath,$PREFIX/lib):
 *   cc -std=c11 -O2 energy_meter.c -o energy_meter $(pkg-config --cflags --libs lle) -lm
 * Run: ./energy_meter [seconds of work, default 1] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <lle/energy.h>

/* Something to measure: busy arithmetic for about `seconds`. */
static double workload(double seconds)
{
    double x = 0.0;
    long n = (long)(seconds * 5e7);

    for (long i = 1; i <= n; i++)
        x += sqrt((double)i) / (double)i;
    return x;
}

static void print_window(const lle_energy_window *w)
{
    printf("%s: %.3f s, measured %.3f J, estimated %.3f J%s\n", w->name, w->duration_s, w->measured_j, w->estimated_j,
           w->partial ? " (partial)" : "");
    for (size_t i = 0; i < w->n_readings; i++) {
        const lle_energy_reading *r = &w->readings[i];
        printf("  %-24s %-9s %10.3f J %8.2f W avg %8.2f W peak%s\n", r->source, lle_energy_method_name(r->method),
               r->energy_j, r->avg_power_w, r->peak_power_w, r->in_total ? "" : "  (inside another source)");
    }
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
    lle_meter_opts opts;
    lle_meter *meter = NULL;
    lle_meter_window *all = NULL, *half = NULL;
    lle_energy_window *w_all = NULL, *w_half = NULL;
    lle_error err;
    double sink;
    int rc = 1;

    lle_meter_opts_init(&opts); /* sampler every 100 ms, estimates where nothing is readable */
    if (lle_meter_open(&opts, &meter, &err) != LLE_OK) {
        fprintf(stderr, "energy_meter: %s\n", err.msg);
        return 1;
    }
    if (lle_meter_begin(meter, "whole", &all, &err) != LLE_OK)
        goto cleanup;
    sink = workload(seconds / 2.0);
    if (lle_meter_begin(meter, "second half", &half, &err) != LLE_OK)
        goto cleanup;
    sink += workload(seconds / 2.0);
    if (lle_meter_end(meter, half, &w_half, &err) != LLE_OK || lle_meter_end(meter, all, &w_all, &err) != LLE_OK)
        goto cleanup;
    print_window(w_all);
    print_window(w_half);
    printf("(workload result %.3f)\n", sink);
    rc = 0;
cleanup:
    if (rc != 0)
        fprintf(stderr, "energy_meter: %s\n", err.msg);
    lle_energy_window_free(w_all);
    lle_energy_window_free(w_half);
    lle_meter_close(meter);
    return rc;
}
