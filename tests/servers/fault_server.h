/* fault_server.h — shared by the two files of the fault-injecting test server:
 * fault_script.c turns a request and its scenario into a timed list of
 * actions over the response bytes, fault_server.c runs the connections and
 * plays those actions. Test helper only.
 *
 * Ownership: a conn owns its in/out buffers and action list; conn_free()
 * (fault_server.c) releases them. */
#ifndef LLE_FAULT_SERVER_H
#define LLE_FAULT_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MAX_FDS 65536
#define IN_MAX  (1 << 20)

enum { A_DATA, A_RESET, A_CUT, A_END };

typedef struct action {
    double t;
    int kind;
    size_t len;
} action;

/* The scenario parsed from "/s/<spec>/..." (fault_server.c's header lists the keys). */
typedef struct spec {
    int tokens, per_chunk, split, role, empty_every, usage, status, echo_auth, auth_required;
    int reset_after, cut_after, stall_after, silent, malformed_at, error_at, no_done, prompt_tokens, gpus;
    double ttft_ms, itl_ms, split_gap_ms, trickle_ms, energy_step_mj;
    char metrics[16];
} spec;

typedef struct conn {
    int fd;
    char *in;
    size_t in_len;
    char *out; /* the whole scripted response */
    size_t out_len, out_cap;
    action *acts;
    int n_acts, cap_acts, next_act;
    size_t released, written;
    bool busy, want_out;
    double t0;
    size_t first_end;  /* end offset of the first content chunk (0: none) */
    unsigned long gen; /* matches its live entry in the timer heap */
    long seed;         /* the request's "seed", for the log */
} conn;

extern FILE *g_log;

/* Print the failing call with errno and exit 1. */
void die(const char *what);

/* Script the whole response to the request into c->out and c->acts. */
void script_request(conn *c, const char *path, const char *body, const char *auth);

#endif
