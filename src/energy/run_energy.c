/* run_energy.c — one experiment's energy for the runner (run_energy.h): the
 * meter, carbon and idle baseline opened before the model loads, the
 * experiment window, per-batch prefill/decode windows switched by the engine's
 * on_decode hook at the decode holding the batch's last prompt token and
 * accumulated over batches, and the "energy" section at the end. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "energy/run_energy.h"

void lle_run_energy_opts_init(lle_run_energy_opts *o)
{
    memset(o, 0, sizeof *o);
    lle_meter_opts_init(&o->meter);
    lle_baseline_opts_init(&o->baseline);
    o->pue = 1.0;
}

lle_status lle_run_energy_open(lle_run_energy *e, const lle_run_energy_opts *o, lle_error *err)
{
    lle_status st;

    memset(e, 0, sizeof *e);
    st = lle_carbon_resolve(o->carbon, o->pue, &e->carbon, err);
    if (st == LLE_OK)
        st = lle_meter_open(&o->meter, &e->meter, err);
    if (st == LLE_OK)
        st = lle_meter_idle_baseline(e->meter, &o->baseline, err);
    return st;
}

lle_status lle_run_energy_start(lle_run_energy *e, lle_error *err)
{
    return lle_meter_begin(e->meter, "experiment", &e->w_all, err);
}

lle_status lle_run_energy_batch_begin(lle_run_energy *e, long long prompt_tokens, lle_error *err)
{
    e->prompt_tokens = prompt_tokens;
    e->fed = 0;
    e->in_prefill = true;
    return lle_meter_begin(e->meter, "prefill", &e->w_phase, err);
}

/* Close the open phase window into its accumulator. */
static lle_status close_phase(lle_run_energy *e, lle_error *err)
{
    lle_energy_window *w = NULL;
    lle_status st = lle_meter_end(e->meter, e->w_phase, &w, err);

    e->w_phase = NULL;
    if (st == LLE_OK)
        st = lle_energy_window_accumulate(e->in_prefill ? &e->prefill : &e->decode, w, err);
    lle_energy_window_free(w);
    return st;
}

void lle_run_energy_on_decode(void *user, int n_tokens, int n_kv_used)
{
    lle_run_energy *e = user;
    lle_status st;

    (void)n_kv_used;
    if (e == NULL || !e->in_prefill || e->w_phase == NULL)
        return;
    e->fed += n_tokens;
    if (e->fed < e->prompt_tokens)
        return;
    st = close_phase(e, &e->hook_err);
    e->in_prefill = false;
    if (st == LLE_OK)
        st = lle_meter_begin(e->meter, "decode", &e->w_phase, &e->hook_err);
    if (st != LLE_OK && e->hook_st == LLE_OK)
        e->hook_st = st;
}

lle_status lle_run_energy_batch_end(lle_run_energy *e, bool completed, lle_error *err)
{
    lle_status st = LLE_OK;

    if (e->hook_st != LLE_OK) {
        if (err != NULL)
            *err = e->hook_err;
        st = e->hook_st;
    }
    if (e->w_phase != NULL && (!completed || st != LLE_OK)) {
        lle_meter_cancel(e->meter, e->w_phase);
        e->w_phase = NULL;
    } else if (e->w_phase != NULL) {
        st = close_phase(e, err);
    }
    e->in_prefill = false;
    return st;
}

lle_status lle_run_energy_finish(lle_run_energy *e, lle_error *err)
{
    lle_status st = LLE_OK;

    if (e->w_phase != NULL) {
        lle_meter_cancel(e->meter, e->w_phase);
        e->w_phase = NULL;
    }
    if (e->w_all != NULL)
        st = lle_meter_end(e->meter, e->w_all, &e->all, err);
    e->w_all = NULL;
    lle_meter_stop(e->meter);
    return st;
}

char *lle_run_energy_json(lle_run_energy *e, const lle_energy_work *work)
{
    lle_energy_section s;

    if (e->meter == NULL || e->all == NULL)
        return NULL;
    memset(&s, 0, sizeof s);
    s.meter = e->meter;
    s.whole = e->all;
    s.prefill = e->prefill;
    s.decode = e->decode;
    s.work = *work;
    s.carbon = &e->carbon;
    return lle_energy_section_json(&s);
}

double lle_run_energy_origin(const lle_run_energy *e)
{
    return e->all != NULL ? e->all->start_s : 0.0;
}

lle_meter *lle_run_energy_take_meter(lle_run_energy *e)
{
    lle_meter *m = e->meter;

    if (e->w_phase != NULL)
        lle_meter_cancel(m, e->w_phase);
    if (e->w_all != NULL)
        lle_meter_cancel(m, e->w_all);
    e->w_phase = e->w_all = NULL;
    e->meter = NULL;
    return m;
}

void lle_run_energy_close(lle_run_energy *e)
{
    lle_meter_close(lle_run_energy_take_meter(e));
    lle_energy_window_free(e->all);
    lle_energy_window_free(e->prefill);
    lle_energy_window_free(e->decode);
    memset(e, 0, sizeof *e);
}
