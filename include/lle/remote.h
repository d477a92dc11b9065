/* lle/remote.h — measure an OpenAI-compatible inference server (vLLM, TGI,
 * SGLang, llama-server, Ollama, ...) under load: the `openai` engine.
 *
 * A load generator (closed loop with N users; open loop with Poisson, gamma,
 * constant-rate, burst or trace-file arrivals) streams requests over HTTP(S)
 * with libcurl's multi interface, one thread driving every request. Each
 * request is timed on CLOCK_MONOTONIC from its scheduled arrival: send time,
 * first content chunk (TTFT), every inter-chunk and inter-token gap, last
 * content chunk (E2E). Faults (HTTP errors, refused or reset connections, TLS
 * failures, cut streams, malformed events, stalls, trickling servers) end a
 * request with an error class; they are counted, never fatal to the run.
 * Energy of the server comes from an NVIDIA DCGM exporter's Prometheus endpoint
 * read at the measurement-window edges, or is reported as unavailable — a
 * remote machine is never estimated. docs/remote.md documents every figure.
 *
 * The API key is read from the environment variable the configuration names;
 * the key itself never appears in results, log lines or error messages.
 *
 * Ownership: lle_remote_config is caller-owned and only read (its strings must
 * outlive the call). lle_remote_run() returns a heap lle_remote_result the
 * caller frees with lle_remote_result_free(); lle_remote_sweep() returns a heap
 * array of them freed with lle_remote_results_free(). Strings returned by
 * lle_remote_result_to_json() are malloc'd and freed by the caller. */
#ifndef LLE_REMOTE_H
#define LLE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"
#include "lle/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a request did not complete. LLE_RC_OK is a success. */
typedef enum lle_remote_class {
    LLE_RC_OK = 0,
    LLE_RC_HTTP_4XX,           /* the server answered 400-499 */
    LLE_RC_HTTP_5XX,           /* the server answered 500-599 */
    LLE_RC_HTTP_OTHER,         /* any other non-2xx status */
    LLE_RC_CONNECTION_REFUSED, /* nothing listens at the address */
    LLE_RC_CONNECTION_RESET,   /* the peer reset the connection */
    LLE_RC_TLS,                /* handshake or certificate verification failed */
    LLE_RC_DNS,                /* the host name did not resolve */
    LLE_RC_CONNECT_TIMEOUT,    /* no connection within connect_timeout_s */
    LLE_RC_FIRST_BYTE_TIMEOUT, /* no response byte within first_byte_timeout_s of sending */
    LLE_RC_IDLE_TIMEOUT,       /* no byte at all for idle_timeout_s (a stalled server) */
    LLE_RC_TRICKLE_TIMEOUT,    /* bytes arrive but no complete event for idle_timeout_s (slow-loris) */
    LLE_RC_TOTAL_TIMEOUT,      /* the request took longer than total_timeout_s */
    LLE_RC_STREAM_CUT,         /* the stream ended before [DONE] or a finish reason */
    LLE_RC_MALFORMED_EVENT,    /* an event was not valid JSON of the expected shape */
    LLE_RC_SERVER_ERROR_EVENT, /* the stream carried an {"error": ...} event */
    LLE_RC_EMPTY_RESPONSE,     /* the response completed without any content */
    LLE_RC_INTERRUPTED,        /* the run was stopped while the request was in flight */
    LLE_RC_TRANSPORT,          /* any other transfer failure */
    LLE_RC_COUNT
} lle_remote_class;

/* Stable lower-case name of a class: "ok", "http_4xx", "connection_refused", ... */
LLE_API const char *lle_remote_class_name(lle_remote_class c);

typedef struct lle_remote_config {
    /* --- server --- */
    const char *base_url;        /* required: "http(s)://host:port/v1"; no credentials in it */
    const char *model_name;      /* required: the "model" field of every request */
    const char *endpoint;        /* "completions" (default, POST base_url/completions) | "chat" (/chat/completions) */
    const char *api_key_env;     /* name of the environment variable holding the key; NULL: no key sent */
    const char *extra_body;      /* JSON object merged into every request body; NULL: none */
    bool stream;                 /* SSE streaming (default true); false: one JSON response */
    bool tls_verify;             /* verify the server certificate and host name (default true) */
    const char *ca_file;         /* PEM bundle to verify with; NULL: the system store */
    double connect_timeout_s;    /* default 10 */
    double first_byte_timeout_s; /* from sending to the first response byte; default 120 */
    double idle_timeout_s;       /* most time between two stream events; default 30 */
    double total_timeout_s;      /* most time per request; default 600 */
    /* --- token counting --- */
    const char *tokenizer; /* GGUF model or ggml-vocab-*.gguf for local counts; NULL: none */
    /* --- generation --- */
    int max_output_tokens; /* "max_tokens" (default 64) */
    int min_output_tokens; /* "min_tokens" when > 0 (vLLM, llama-server) */
    bool ignore_eos;       /* send "ignore_eos": true (default true: exact output lengths) */
    float temperature;     /* default 0 */
    uint64_t seed;         /* prompts, arrivals and the request "seed" (default 42) */
    /* --- workload --- */
    int n_requests;            /* measured requests (default 32); trace: 0 = every entry */
    int max_input_tokens;      /* synthetic prompt length (default 128) */
    int min_input_tokens;      /* synthetic lengths uniform in [min, max]; 0: fixed */
    const char *prompt_file;   /* JSONL or ShareGPT (docs/prompts.md); NULL: synthetic */
    const char *prompt_format; /* "auto" (default) | "jsonl" | "sharegpt" */
    const char *prompt_order;  /* "as_given" (default) | "sorted" | "shuffled" */
    /* --- load --- */
    const char *load;        /* "closed" (default) | "poisson" | "gamma" | "constant" | "burst" | "trace" */
    int concurrency;         /* closed: simultaneous users (default 1) */
    double rate;             /* poisson | gamma | constant: requests per second */
    double burstiness;       /* gamma shape: 1 = Poisson, < 1 burstier, > 1 smoother (default 1) */
    int burst_size;          /* burst: this many requests arrive together ... */
    double burst_interval_s; /* ... every this many seconds */
    const char *trace_file;  /* trace: JSONL {"t_s", "input_tokens", "output_tokens"[, "prompt"]} */
    int max_inflight;        /* open loop: most requests in flight, later ones queue (default 0 = no cap) */
    double duration_s;       /* stop issuing requests after this long (0 = no limit) */
    int warmup;              /* unmeasured requests first (default 1) */
    /* --- service-level objectives for goodput (0 = no threshold) --- */
    double slo_ttft_s, slo_tpot_s, slo_e2e_s;
    /* --- energy --- */
    const char *dcgm_url;  /* DCGM exporter's /metrics; NULL: server energy unavailable */
    double dcgm_timeout_s; /* per scrape (default 5) */
    /* Optional: called on the loop thread when the measurement window opens
     * (edge 0) and closes (edge 1), with the CLOCK_MONOTONIC time in seconds of
     * that moment — the hook for windowing local energy sources. */
    void (*on_window)(void *user, int edge, double t_mono_s);
    void *on_window_user;
} lle_remote_config;

/* Defaults as documented in docs/remote.md. */
LLE_API void lle_remote_config_init(lle_remote_config *cfg);

/* Check every field and the rules between fields; the message names the field.
 * Does not read files or the environment. */
LLE_API lle_status lle_remote_config_validate(const lle_remote_config *cfg, lle_error *err);

/* One request as the client saw it. `rec` holds the docs/metrics.md fields
 * (arrival_s = scheduled arrival, start_s = send, queue_delay_s = send -
 * scheduled, ttft_s/e2e_s from the scheduled arrival, itl_s); times are seconds
 * from the start of the measured phase. */
typedef struct lle_remote_request {
    lle_request_record rec;
    lle_remote_class cls;
    int http_status;        /* 0: no response */
    char error[256];        /* "" when ok; never contains the API key */
    int user;               /* closed loop: the user that sent it; else -1 */
    bool in_window;         /* inside the measurement window (counted in the distributions) */
    double send_s;          /* handed to the transport */
    double first_byte_s;    /* first response byte (headers); < 0: none */
    double done_s;          /* transfer finished or failed */
    int n_chunks;           /* content chunks (non-empty text) */
    int n_empty_chunks;     /* role-only or empty-content events */
    double *chunk_t_s;      /* arrival time of each content chunk (n_chunks) */
    int *chunk_tokens;      /* tokens in each content chunk (n_chunks); NULL: unknown */
    char itl_basis[8];      /* "tokens": itl_s has output_tokens-1 gaps; "chunks": one per chunk gap */
    int usage_input_tokens; /* server usage; -1 when it sent none */
    int usage_output_tokens;
    int local_input_tokens; /* local tokenizer; -1 without one */
    int local_output_tokens;
    char input_token_source[16];  /* "server_usage" | "local_tokenizer" | "none" */
    char output_token_source[16]; /* "server_usage" | "local_tokenizer" | "chunks" */
    char finish_reason[24];
} lle_remote_request;

#define LLE_REMOTE_MAX_GPUS 64

typedef struct lle_remote_energy {
    bool available;
    char source[32];                      /* "dcgm-exporter" or "" */
    char reason[512];                     /* why unavailable ("" when available) */
    double energy_j;                      /* sum over GPUs, measured */
    double t_open_s, t_close_s;           /* midpoints of the two scrapes, measured-phase clock */
    double scrape_open_s, scrape_close_s; /* duration of each scrape */
    int n_gpus;
    char gpu[LLE_REMOTE_MAX_GPUS][16];  /* the "gpu" label */
    char uuid[LLE_REMOTE_MAX_GPUS][64]; /* the "UUID" label */
    double start_mj[LLE_REMOTE_MAX_GPUS], end_mj[LLE_REMOTE_MAX_GPUS];
} lle_remote_energy;

typedef struct lle_remote_result {
    char id[64];     /* sortable unique experiment id */
    char status[16]; /* "completed", "failed", "interrupted" */
    char error[LLE_ERROR_MSG_MAX];
    char started_at[32];
    char *config_json; /* resolved configuration (no key), owned */
    char model_name[256];
    char base_url[1024];
    double t0_mono_s;                     /* CLOCK_MONOTONIC of the measured phase start */
    double run_s;                         /* measured phase: first arrival until the last request ended */
    double window_open_s, window_close_s; /* the measurement window */
    double wall_s;                        /* window_close_s - window_open_s */
    size_t n_requests;                    /* measured requests (warmup excluded), in arrival order */
    lle_remote_request *requests;
    int n_warmup, n_warmup_failed;
    /* aggregates over the window (docs/remote.md) */
    size_t n_ok, n_failed, n_in_window;
    size_t class_counts[LLE_RC_COUNT];    /* every measured request by class */
    uint64_t input_tokens, output_tokens; /* in-window successful requests */
    double window_output_tokens;          /* tokens of successful requests whose chunk arrived inside the window */
    double offered_rate;                  /* requested arrivals per second (open loop); 0 for closed */
    double scheduled_rate;                /* (n - 1) / (last - first scheduled arrival) of the drawn schedule */
    double send_rate;       /* open loop: (sent - 1) / wall_s; closed loop: sent / wall_s (inside the window) */
    double completion_rate; /* successful completions inside the window / wall_s */
    double output_tok_s;    /* window_output_tokens / wall_s */
    double total_tok_s;     /* (input tokens sent + output tokens) inside the window / wall_s */
    double max_concurrency; /* most requests in flight */
    lle_stats ttft, tpot, itl, e2e, queue, chunk_gap; /* seconds, in-window successes */
    size_t n_good;                                    /* in-window requests meeting every SLO */
    double goodput_rps;                               /* n_good / wall_s */
    double slo_attainment;                            /* n_good / in-window requests (failures count as misses) */
    size_t n_usage_compared;                          /* requests with both server usage and a local count */
    size_t n_usage_mismatch;                          /* ... whose output counts differ */
    double usage_abs_diff_mean;                       /* mean |usage - local| output tokens over those */
    lle_remote_energy energy;
    uint64_t peak_rss_bytes;
    /* sweep membership (lle_remote_sweep); index -1 outside a sweep */
    int sweep_index;
    double sweep_value;
    bool saturated;
} lle_remote_result;

typedef void (*lle_remote_progress_fn)(int done, int total, double tok_s, void *user);

/* Run one experiment against the server. `stop` (may be NULL) is polled by the
 * loop: when it becomes non-zero, requests in flight are aborted (class
 * "interrupted"), the result has status "interrupted" and the call returns
 * LLE_ERR_INTERRUPTED with *out set. A run whose every request failed still
 * returns LLE_OK with the failures counted, except when every warmup request
 * failed: then LLE_ERR_BACKEND naming the first failure, with *out set
 * (status "failed"). Configuration, prompt, trace or tokenizer errors return
 * an input error and *out NULL. */
LLE_API lle_status lle_remote_run(const lle_remote_config *cfg, lle_remote_progress_fn progress, void *user,
                                  const volatile int *stop, lle_remote_result **out, lle_error *err);

/* Run `n_points` experiments, one per value: concurrency for the closed loop,
 * rate for poisson/gamma/constant. Stops after the first saturated point
 * (docs/remote.md: the achieved completion rate falls below (1 - tol) x the
 * offered rate, or closed-loop throughput grows by less than tol over the
 * previous point). *out receives *n_out results (including the saturated one). */
LLE_API lle_status lle_remote_sweep(const lle_remote_config *cfg, const double *points, size_t n_points, double tol,
                                    lle_remote_progress_fn progress, void *user, const volatile int *stop,
                                    lle_remote_result ***out, size_t *n_out, lle_error *err);

LLE_API void lle_remote_result_free(lle_remote_result *r);
LLE_API void lle_remote_results_free(lle_remote_result **rs, size_t n);

/* The result document (docs/results-schema.md fields plus the remote ones of
 * docs/remote.md). NULL on OOM. Caller frees. */
LLE_API char *lle_remote_result_to_json(const lle_remote_result *r, bool include_requests);

/* Write <results_dir>/<id>.json atomically, then store the same document in
 * <results_dir>/results.db (lle/store.h). */
LLE_API lle_status lle_remote_result_save(const lle_remote_result *r, const char *results_dir, char *path_out,
                                          size_t path_out_size, lle_error *err);

#ifdef __cplusplus
}
#endif
#endif
