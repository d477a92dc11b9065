/* campaign_internal.h — what the campaign module's files share (resolve.c:
 * normalised configuration, canonical JSON and hash; scenarios.c: built-in
 * presets as overrides; plan.c: variants, dedup and order; status.c,
 * estimate.c, plan_json.c, execute.c, cooldown.c). Not installed.
 *
 * Ownership: strings returned by cmp_*_json() are malloc'd (free()); an
 * lle_config_experiment filled here borrows static or caller strings. */
#ifndef LLE_CAMPAIGN_INTERNAL_H
#define LLE_CAMPAIGN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lle/campaign.h"

/* SHA-256 of `len` bytes as 64 lower-case hex digits and a NUL. */
void cmp_sha256_hex(const void *data, size_t len, char out[65]);

/* The configuration the hash identifies: the decoding preset expanded (and
 * dropped), fields that cannot affect this run reset to their defaults
 * (delay_s unless traffic is constant, top_k/top_p/min_p when greedy,
 * min_output_tokens with ignore_eos, batch_size with adaptive batching, ...),
 * unset defaults made explicit (preset_type q4_k_m, split_mode layer).
 * INVALID for an unknown decoding preset. */
lle_status cmp_normalize(const lle_run_config *in, lle_run_config *out, lle_error *err);

/* Compact JSON of the fields of a normalised config that differ from
 * lle_run_config_init()'s defaults, in schema order (cache_dir left out: it
 * says where a model is cached, not what runs). New fields added later with
 * their defaults therefore leave existing hashes unchanged. NULL on OOM. */
char *cmp_config_json(const lle_run_config *norm);

/* A value of a schema field as short text for labels ("4", "0.7", "q8_0"). */
void cmp_value_text(const lle_config_value *v, char *buf, size_t size);

/* The built-in scenario as overrides over an experiment: batch_size,
 * preset_type (unless `model_is_file`: a GGUF file's own type is the run's
 * precision), temperature/top_k/top_p, traffic and delays. */
void cmp_builtin_overrides(const lle_builtin_scenario *b, bool model_is_file, lle_config_experiment *out);

/* Block until the temperature from `src` is below `threshold_c`, polling
 * every second, at most `timeout_s` (then LLE_OK with *reached false) or
 * until `stop` fires (INTERRUPTED). `on_wait` (may be NULL) hears each
 * reading. The only caller is the campaign runner, and only when a source
 * exists. */
lle_status cmp_cooldown_temperature(const lle_temperature_source *src, double threshold_c, double timeout_s,
                                    const volatile int *stop, void (*on_wait)(void *user, const char *what), void *user,
                                    bool *reached, double *last_c, lle_error *err);

/* Sleep `seconds`, polling `stop` every 50 ms (INTERRUPTED when it fires). */
lle_status cmp_sleep(double seconds, const volatile int *stop, lle_error *err);

#endif
