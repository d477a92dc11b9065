/* remote_config.c — the configuration of the remote engine: defaults,
 * validation (every message names the field), the resolved configuration as
 * JSON for the result document (the API key's variable name, never the key),
 * and the names of the error classes. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_internal.h"

static const char *const CLASS_NAMES[LLE_RC_COUNT] = {
    "ok",
    "http_4xx",
    "http_5xx",
    "http_other",
    "connection_refused",
    "connection_reset",
    "tls",
    "dns",
    "connect_timeout",
    "first_byte_timeout",
    "idle_timeout",
    "trickle_timeout",
    "total_timeout",
    "stream_cut",
    "malformed_event",
    "server_error_event",
    "empty_response",
    "interrupted",
    "transport",
};

const char *lle_remote_class_name(lle_remote_class c)
{
    return c >= 0 && c < LLE_RC_COUNT ? CLASS_NAMES[c] : "unknown";
}

void lle_remote_config_init(lle_remote_config *c)
{
    memset(c, 0, sizeof *c);
    c->endpoint = "completions";
    c->stream = true;
    c->tls_verify = true;
    c->connect_timeout_s = 10.0;
    c->first_byte_timeout_s = 120.0;
    c->idle_timeout_s = 30.0;
    c->total_timeout_s = 600.0;
    c->max_output_tokens = 64;
    c->ignore_eos = true;
    c->seed = 42;
    c->n_requests = 32;
    c->max_input_tokens = 128;
    c->prompt_format = "auto";
    c->prompt_order = "as_given";
    c->load = "closed";
    c->concurrency = 1;
    c->burstiness = 1.0;
    c->warmup = 1;
    c->dcgm_timeout_s = 5.0;
}

bool lle_remote_is_chat(const lle_remote_config *c)
{
    return c->endpoint != NULL && strcmp(c->endpoint, "chat") == 0;
}

bool lle_remote_is_open_loop(const lle_remote_config *c)
{
    return c->load != NULL && strcmp(c->load, "closed") != 0;
}

static bool one_of(const char *v, const char *const *names)
{
    for (; *names != NULL; names++)
        if (v != NULL && strcmp(v, *names) == 0)
            return true;
    return false;
}

static lle_status check_url(const char *field, const char *url, lle_error *err)
{
    const char *rest, *at, *slash;

    if (url == NULL || url[0] == '\0')
        return lle_fail(err, LLE_ERR_INVALID, "%s is required", field);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return lle_fail(err, LLE_ERR_INVALID, "%s must start with http:// or https://", field);
    if (strlen(url) > 900)
        return lle_fail(err, LLE_ERR_INVALID, "%s is longer than 900 characters", field);
    rest = strstr(url, "://") + 3;
    slash = strchr(rest, '/');
    at = strchr(rest, '@');
    if (at != NULL && (slash == NULL || at < slash))
        return lle_fail(err, LLE_ERR_INVALID,
                        "%s: credentials in the URL are not accepted (they would be stored with the results); "
                        "put the key in an environment variable and name it with --api-key-env",
                        field);
    if (rest[0] == '\0' || rest[0] == '/')
        return lle_fail(err, LLE_ERR_INVALID, "%s has no host", field);
    return LLE_OK;
}

static lle_status check_numbers(const lle_remote_config *c, lle_error *err)
{
    if (!(c->connect_timeout_s > 0) || !(c->first_byte_timeout_s > 0) || !(c->idle_timeout_s > 0) ||
        !(c->total_timeout_s > 0) || !(c->dcgm_timeout_s > 0) || !isfinite(c->total_timeout_s))
        return lle_fail(err, LLE_ERR_INVALID,
                        "timeouts must be positive and finite (connect, first byte, idle, "
                        "total, dcgm)");
    if (c->max_output_tokens < 1 || c->min_output_tokens < 0 || c->min_output_tokens > c->max_output_tokens)
        return lle_fail(err, LLE_ERR_INVALID, "max_output_tokens must be >= 1 and min_output_tokens in [0, max]");
    if (c->max_input_tokens < 1 || c->min_input_tokens < 0 || c->min_input_tokens > c->max_input_tokens)
        return lle_fail(err, LLE_ERR_INVALID, "max_input_tokens must be >= 1 and min_input_tokens in [0, max]");
    if (c->n_requests < 0 || (c->n_requests == 0 && strcmp(c->load, "trace") != 0) || c->n_requests > 10000000)
        return lle_fail(err, LLE_ERR_INVALID, "requests must be in [1, 10000000]");
    if (c->warmup < 0 || c->warmup > 100000)
        return lle_fail(err, LLE_ERR_INVALID, "warmup must be in [0, 100000]");
    if (c->concurrency < 1 || c->concurrency > 100000)
        return lle_fail(err, LLE_ERR_INVALID, "concurrency must be in [1, 100000]");
    if (c->max_inflight < 0 || c->duration_s < 0 || !isfinite(c->duration_s))
        return lle_fail(err, LLE_ERR_INVALID, "max_inflight and duration must be >= 0");
    if (c->slo_ttft_s < 0 || c->slo_tpot_s < 0 || c->slo_e2e_s < 0)
        return lle_fail(err, LLE_ERR_INVALID, "SLO thresholds must be >= 0");
    if (!(c->temperature >= 0.0f) || c->temperature > 100.0f)
        return lle_fail(err, LLE_ERR_INVALID, "temperature must be in [0, 100]");
    return LLE_OK;
}

static lle_status check_load(const lle_remote_config *c, lle_error *err)
{
    static const char *const LOADS[] = {"closed", "poisson", "gamma", "constant", "burst", "trace", NULL};

    if (!one_of(c->load, LOADS))
        return lle_fail(err, LLE_ERR_INVALID, "load '%s' is not one of closed, poisson, gamma, constant, burst, trace",
                        c->load ? c->load : "");
    if (one_of(c->load, (const char *const[]){"poisson", "gamma", "constant", NULL}) &&
        (!(c->rate > 0) || !isfinite(c->rate) || c->rate > 1e6))
        return lle_fail(err, LLE_ERR_INVALID, "load %s needs a rate in (0, 1000000] requests per second", c->load);
    if (strcmp(c->load, "gamma") == 0 && (!(c->burstiness > 0) || c->burstiness > 1000))
        return lle_fail(err, LLE_ERR_INVALID, "burstiness must be in (0, 1000] (1 = Poisson)");
    if (strcmp(c->load, "burst") == 0 && (c->burst_size < 1 || !(c->burst_interval_s > 0)))
        return lle_fail(err, LLE_ERR_INVALID, "load burst needs burst_size >= 1 and burst_interval > 0");
    if (strcmp(c->load, "trace") == 0 && (c->trace_file == NULL || c->trace_file[0] == '\0'))
        return lle_fail(err, LLE_ERR_INVALID, "load trace needs a trace file");
    if (strcmp(c->load, "trace") != 0 && c->trace_file != NULL)
        return lle_fail(err, LLE_ERR_INVALID, "a trace file is only used with load trace");
    if (strcmp(c->load, "trace") == 0 && c->prompt_file != NULL)
        return lle_fail(err, LLE_ERR_INVALID, "load trace takes its prompts from the trace, not a prompt file");
    return LLE_OK;
}

static lle_status check_extra(const char *extra, lle_error *err)
{
    cJSON *o;
    bool ok;

    if (extra == NULL)
        return LLE_OK;
    o = cJSON_Parse(extra);
    ok = cJSON_IsObject(o);
    cJSON_Delete(o);
    return ok ? LLE_OK : lle_fail(err, LLE_ERR_INVALID, "extra_body must be a JSON object");
}

lle_status lle_remote_config_validate(const lle_remote_config *c, lle_error *err)
{
    static const char *const ENDPOINTS[] = {"completions", "chat", NULL};
    lle_status st = check_url("base_url", c->base_url, err);

    if (st == LLE_OK && (c->model_name == NULL || c->model_name[0] == '\0' || strlen(c->model_name) > 255))
        st = lle_fail(err, LLE_ERR_INVALID, "model_name is required (at most 255 characters)");
    if (st == LLE_OK && !one_of(c->endpoint, ENDPOINTS))
        st = lle_fail(err, LLE_ERR_INVALID, "endpoint '%s' is not one of completions, chat",
                      c->endpoint ? c->endpoint : "");
    if (st == LLE_OK && c->api_key_env != NULL && c->api_key_env[0] == '\0')
        st = lle_fail(err, LLE_ERR_INVALID, "api_key_env is empty");
    if (st == LLE_OK)
        st = check_extra(c->extra_body, err);
    if (st == LLE_OK)
        st = check_numbers(c, err);
    if (st == LLE_OK)
        st = check_load(c, err);
    if (st == LLE_OK && c->dcgm_url != NULL)
        st = check_url("dcgm_url", c->dcgm_url, err);
    return st;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_load(cJSON *o, const lle_remote_config *c, const lle_remote_workload *w)
{
    add_str(o, "load", c->load);
    cJSON_AddNumberToObject(o, "concurrency", c->concurrency);
    cJSON_AddNumberToObject(o, "rate", c->rate);
    cJSON_AddNumberToObject(o, "offered_rate", w != NULL ? w->offered_rate : 0.0);
    cJSON_AddNumberToObject(o, "burstiness", c->burstiness);
    cJSON_AddNumberToObject(o, "burst_size", c->burst_size);
    cJSON_AddNumberToObject(o, "burst_interval_s", c->burst_interval_s);
    add_str(o, "trace_file", c->trace_file);
    cJSON_AddNumberToObject(o, "max_inflight", c->max_inflight);
    cJSON_AddNumberToObject(o, "duration_s", c->duration_s);
    cJSON_AddNumberToObject(o, "warmup", c->warmup);
    cJSON_AddNumberToObject(o, "repeat", 1);
    cJSON_AddNumberToObject(o, "slo_ttft_s", c->slo_ttft_s);
    cJSON_AddNumberToObject(o, "slo_tpot_s", c->slo_tpot_s);
    cJSON_AddNumberToObject(o, "slo_e2e_s", c->slo_e2e_s);
    add_str(o, "dcgm_url", c->dcgm_url);
}

char *lle_remote_config_json(const lle_remote_config *c, const lle_remote_workload *w)
{
    cJSON *o = cJSON_CreateObject(), *extra = c->extra_body ? cJSON_Parse(c->extra_body) : NULL;
    char *out;

    cJSON_AddStringToObject(o, "engine", "openai");
    add_str(o, "base_url", c->base_url);
    add_str(o, "model_name", c->model_name);
    add_str(o, "endpoint", c->endpoint);
    add_str(o, "api_key_env", c->api_key_env);
    cJSON_AddItemToObject(o, "extra_body", extra != NULL ? extra : cJSON_CreateNull());
    cJSON_AddBoolToObject(o, "stream", c->stream);
    cJSON_AddBoolToObject(o, "tls_verify", c->tls_verify);
    add_str(o, "ca_file", c->ca_file);
    cJSON_AddNumberToObject(o, "connect_timeout_s", c->connect_timeout_s);
    cJSON_AddNumberToObject(o, "first_byte_timeout_s", c->first_byte_timeout_s);
    cJSON_AddNumberToObject(o, "idle_timeout_s", c->idle_timeout_s);
    cJSON_AddNumberToObject(o, "total_timeout_s", c->total_timeout_s);
    add_str(o, "tokenizer", c->tokenizer);
    cJSON_AddNumberToObject(o, "max_output_tokens", c->max_output_tokens);
    cJSON_AddNumberToObject(o, "min_output_tokens", c->min_output_tokens);
    cJSON_AddBoolToObject(o, "ignore_eos", c->ignore_eos);
    cJSON_AddNumberToObject(o, "temperature", c->temperature);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    cJSON_AddNumberToObject(o, "prompts", w != NULL ? w->n : c->n_requests);
    add_str(o, "prompt_source",
            c->prompt_file != NULL  ? c->prompt_file
            : c->trace_file != NULL ? "trace"
                                    : "synthetic");
    add_str(o, "prompt_format", c->prompt_format);
    add_str(o, "prompt_order", c->prompt_order);
    cJSON_AddNumberToObject(o, "max_input_tokens", c->max_input_tokens);
    cJSON_AddNumberToObject(o, "min_input_tokens", c->min_input_tokens);
    add_load(o, c, w);
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}
