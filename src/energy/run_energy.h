/* run_energy.h — the energy measurement of one experiment, packaged for the
 * runner (src/run/runner.c): open the meter, resolve the carbon intensity and
 * take the idle baseline before the model loads; one "experiment" window over
 * the measured passes; per batch a "prefill" window from the batch start to the
 * llama_decode that holds the batch's last prompt token (detected through the
 * engine's on_decode hook) and a "decode" window from there to the batch end,
 * each accumulated over all batches; then the "energy" section JSON and the
 * time series. Not installed.
 *
 * Ownership: lle_run_energy is a caller-owned value; everything it points to
 * is owned by it and released by lle_run_energy_close() (the meter may be
 * taken over with lle_run_energy_take_meter(), then the taker closes it). */
#ifndef LLE_RUN_ENERGY_H
#define LLE_RUN_ENERGY_H

#include <stdbool.h>

#include "lle/energy.h"

typedef struct lle_run_energy_opts {
    lle_meter_opts meter;
    lle_baseline_opts baseline;
    const char *carbon; /* --carbon-intensity: NULL = world average */
    double pue;         /* 0 = 1.0 */
} lle_run_energy_opts;

typedef struct lle_run_energy {
    lle_meter *meter;
    lle_carbon carbon;
    lle_meter_window *w_all, *w_phase;
    lle_energy_window *all, *prefill, *decode;
    long long prompt_tokens; /* prompt tokens of the batch in flight */
    long long fed;           /* tokens decoded in the batch so far */
    bool in_prefill;
    lle_status hook_st; /* first failure inside the hook (reported at batch end) */
    lle_error hook_err;
} lle_run_energy;

/* Defaults: meter and baseline defaults, world-average carbon, PUE 1. */
void lle_run_energy_opts_init(lle_run_energy_opts *o);

/* Resolve the carbon intensity (INVALID names a bad region), open the meter
 * and take the idle baseline (INTERRUPTED when baseline.stop fires). Call
 * before the model loads: the machine must be idle. */
lle_status lle_run_energy_open(lle_run_energy *e, const lle_run_energy_opts *o, lle_error *err);

/* Open the "experiment" window (at the start of the measured window). */
lle_status lle_run_energy_start(lle_run_energy *e, lle_error *err);

/* Open the batch's "prefill" window; `prompt_tokens` = the sum of the batch's
 * prompt lengths (the tokens prefill will feed). */
lle_status lle_run_energy_batch_begin(lle_run_energy *e, long long prompt_tokens, lle_error *err);

/* The engine's on_decode hook (user = the lle_run_energy): once the batch's
 * prompt tokens have all been decoded, closes "prefill" and opens "decode". */
void lle_run_energy_on_decode(void *user, int n_tokens, int n_kv_used);

/* Close the batch's phase window and add it to the prefill or decode total.
 * `completed` false (the batch failed or was interrupted) drops the open phase. */
lle_status lle_run_energy_batch_end(lle_run_energy *e, bool completed, lle_error *err);

/* Close the "experiment" window and stop the sampler. */
lle_status lle_run_energy_finish(lle_run_energy *e, lle_error *err);

/* The "energy" section (lle_energy_section_json) for the work done; NULL on
 * OOM or when lle_run_energy_finish() did not succeed. Caller frees. */
char *lle_run_energy_json(lle_run_energy *e, const lle_energy_work *work);

/* Seconds since the meter opened at which the experiment window started: the
 * origin of the stored time series (lle_meter_timeseries_store). */
double lle_run_energy_origin(const lle_run_energy *e);

/* Hand the meter over (e.g. to the result, for its time series); e forgets it. */
lle_meter *lle_run_energy_take_meter(lle_run_energy *e);

void lle_run_energy_close(lle_run_energy *e);

#endif
