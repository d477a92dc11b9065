/* remote_internal.h — functions and types shared by the files of the remote
 * engine (src/remote/): the local tokenizer, the workload (prompts, arrival
 * schedules, trace files), the DCGM exporter reader, aggregation and the
 * configuration document. Not installed.
 *
 * Ownership: what a build, load or open function returns is released with
 * the matching free or close function; strings returned as char * are
 * malloc'd and freed by the caller. */
#ifndef LLE_REMOTE_INTERNAL_H
#define LLE_REMOTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/remote.h"

/* ---- local tokenizer (tok.c): llama.cpp vocab loaded with vocab_only ---- */
typedef struct lle_tokenizer lle_tokenizer;

/* Errors: NOT_FOUND (no file), FORMAT (not a GGUF with a vocabulary), BACKEND. */
lle_status lle_tokenizer_open(const char *path, lle_tokenizer **out, lle_error *err);
/* Tokens in text[0..len); add_special adds BOS/EOS as the model does for a
 * prompt. Returns -1 when tokenization fails. */
int lle_tokenizer_count(lle_tokenizer *t, const char *text, size_t len, bool add_special);
void lle_tokenizer_close(lle_tokenizer *t);

/* ---- arrival schedules (schedule.c) ---- */

/* A gamma(shape, 1) variate (Marsaglia-Tsang), from the project PRNG. */
double lle_gamma_draw(uint64_t *rng, double shape);

/* Scheduled arrival offsets (seconds from the measured phase start) of n
 * open-loop requests for cfg->load "poisson" | "gamma" | "constant" | "burst":
 * the first request arrives at 0. Seeded by cfg->seed. */
lle_status lle_remote_arrivals(const lle_remote_config *cfg, int n, double *out, lle_error *err);

typedef struct lle_trace_entry {
    double t_s;        /* arrival offset, non-decreasing */
    int input_tokens;  /* synthetic prompt length (ignored with a prompt) */
    int output_tokens; /* max_tokens of the request */
    char *prompt;      /* owned; NULL: synthetic */
} lle_trace_entry;

/* Trace file: JSON Lines, one {"t_s": S, "input_tokens": N, "output_tokens": M
 * [, "prompt": "..."]} per line; blank lines and lines starting with '#' are
 * skipped. Errors name PATH:LINE and the field. */
lle_status lle_trace_load(const char *path, lle_trace_entry **out, int *n, lle_error *err);
void lle_trace_free(lle_trace_entry *t, int n);

/* ---- the workload (workload.c) ---- */
typedef struct lle_remote_item {
    char *prompt;           /* owned */
    int n_out;              /* max_tokens */
    double arrival_s;       /* open loop: scheduled offset; closed loop: -1 */
    int local_input_tokens; /* local count of the prompt (BOS included); -1 without a tokenizer */
} lle_remote_item;

typedef struct lle_remote_workload {
    lle_remote_item *items; /* measured requests, in sending order */
    int n;
    lle_remote_item *warm; /* warmup requests */
    int n_warm;
    bool open_loop;
    double offered_rate; /* configured arrivals per second (open loop) */
    int n_skipped;       /* prompt-file entries without a usable prompt */
} lle_remote_workload;

/* Prompts (synthetic or from the prompt file), output lengths and arrivals.
 * `tok` may be NULL (synthetic prompts are then one word per requested token). */
lle_status lle_remote_workload_build(const lle_remote_config *cfg, lle_tokenizer *tok, lle_remote_workload *w,
                                     lle_error *err);
void lle_remote_workload_free(lle_remote_workload *w);

/* ---- DCGM exporter (dcgm.c) ---- */
#define LLE_DCGM_METRIC "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"

typedef struct lle_dcgm_reading {
    int n;
    char gpu[LLE_REMOTE_MAX_GPUS][16];
    char uuid[LLE_REMOTE_MAX_GPUS][64];
    char host[LLE_REMOTE_MAX_GPUS][64];
    double mj[LLE_REMOTE_MAX_GPUS];
} lle_dcgm_reading;

/* Parse a Prometheus text exposition and keep every sample of LLE_DCGM_METRIC
 * (one per GPU). Errors: FORMAT with the line number when a sample of the
 * metric is malformed, NOT_FOUND when the metric is absent. */
lle_status lle_dcgm_parse(const char *text, size_t len, lle_dcgm_reading *out, lle_error *err);

/* Fill e->gpus, energy_j and available/reason from readings at the window
 * edges: GPUs are matched by (gpu, UUID, Hostname); a counter that went
 * backwards (exporter restart) or a GPU present in one reading only makes the
 * energy unavailable, with the reason. */
void lle_dcgm_energy(const lle_dcgm_reading *open, const lle_dcgm_reading *close, lle_remote_energy *e);

/* ---- result (remote_result.c) and configuration (remote_config.c) ---- */

/* Windowing, distributions, rates, goodput and token-count comparison over
 * r->requests (docs/remote.md). */
void lle_remote_aggregate(lle_remote_result *r, const lle_remote_config *cfg);

/* "3 http_5xx, 1 stream_cut" for the failed classes of r (into buf, returned). */
const char *lle_remote_class_summary(const lle_remote_result *r, char *buf, size_t size);

/* The resolved configuration as a JSON object (never the API key). */
char *lle_remote_config_json(const lle_remote_config *cfg, const lle_remote_workload *w);

/* "completions" endpoint path of the configuration: 1 for chat. */
bool lle_remote_is_chat(const lle_remote_config *cfg);
bool lle_remote_is_open_loop(const lle_remote_config *cfg);

#endif
