/* fault_server.c — a scriptable, fault-injecting OpenAI-compatible test server
 * for the remote engine's tests and benchmarks. It listens on 127.0.0.1 only,
 * serves many connections from one epoll loop with microsecond timers
 * (timerfd), and behaves as the request path says:
 *
 *   POST /s/<spec>/v1/completions | /s/<spec>/v1/chat/completions
 *   GET  /s/<spec>/metrics          (a DCGM-exporter-like Prometheus page)
 *   GET  /health
 *   (without "/s/<spec>" the default, fault-free behaviour applies)
 *
 * <spec> is a comma-separated list of key=value (docs/remote.md lists them):
 *   tokens=N        content tokens (default: the request's max_tokens)
 *   ttft_ms=X       delay from receiving the request to the first content chunk
 *   itl_ms=X        delay between content chunks
 *   per_chunk=K     tokens per content chunk (multi-token chunks)
 *   split=K         write every event in K pieces, split_gap_ms apart (default 0.5)
 *   role=1          chat: a role-only first chunk;  empty_every=N: an empty chunk after every N
 *   usage=0|1       final usage chunk (default: when stream_options.include_usage)
 *   status=CODE     answer with this HTTP status and a JSON error body
 *   echo_auth=1     answer 401 with the Authorization header in the body
 *   auth=required   answer 401 unless an Authorization header was sent
 *   reset_after=N   reset the connection (RST) after N content chunks
 *   cut_after=N     close the connection mid-stream after N content chunks
 *   stall_after=N   stop sending after N content chunks (connection stays open)
 *   silent=1        never answer
 *   malformed_at=N  content chunk N is broken JSON;  error_at=N: an {"error"} event instead
 *   no_done=1       end the stream cleanly but without finish_reason or [DONE]
 *   trickle_ms=X    slow-loris: the headers, then every body byte X ms after the previous
 *   prompt_tokens=N usage.prompt_tokens (default: words in the prompt + 1)
 *   energy_step_mj=X, gpus=G   /metrics: each scrape adds X mJ to every GPU's counter
 *   metrics=bad|absent|reset   /metrics faults
 *
 * Usage: lle_fault_server [--port-file FILE] [--max-seconds N] [--log FILE]
 * Prints the port on stdout (and writes it to FILE atomically), exits after N
 * seconds (default 600) or on SIGTERM/SIGINT. --log appends one line per
 * streamed request: "<seed> <t_recv> <t_first>", the request's "seed" and the
 * CLOCK_MONOTONIC times the request was read and its first content chunk was
 * written to the socket (benchmarks subtract this server time from the
 * client's TTFT). A test helper, not part of the tool; it never listens on
 * anything but the loopback address. The scenarios are scripted in
 * fault_script.c; this file runs the connections and plays the scripts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "fault_server.h"

static conn *g_conns[MAX_FDS];
static int g_ep, g_tfd;
static volatile sig_atomic_t g_stop;
FILE *g_log;

/* Timer heap of the connections' next actions (stale entries are skipped). */
typedef struct timer_ent {
    double t;
    int fd;
    unsigned long gen;
} timer_ent;
static timer_ent *g_heap;
static size_t g_heap_n, g_heap_cap;
static unsigned long g_gen;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* ---- connections and the event loop ----------------------------------------- */

static void heap_push(double t, int fd, unsigned long gen)
{
    size_t i;

    if (g_heap_n == g_heap_cap) {
        g_heap_cap = g_heap_cap ? g_heap_cap * 2 : 1024;
        g_heap = realloc(g_heap, g_heap_cap * sizeof *g_heap);
        if (g_heap == NULL)
            die("realloc");
    }
    i = g_heap_n++;
    while (i > 0 && g_heap[(i - 1) / 2].t > t) {
        g_heap[i] = g_heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g_heap[i] = (timer_ent){t, fd, gen};
}

static timer_ent heap_pop(void)
{
    timer_ent top = g_heap[0], last = g_heap[--g_heap_n];
    size_t i = 0;

    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= g_heap_n)
            break;
        if (k + 1 < g_heap_n && g_heap[k + 1].t < g_heap[k].t)
            k++;
        if (g_heap[k].t >= last.t)
            break;
        g_heap[i] = g_heap[k];
        i = k;
    }
    if (g_heap_n > 0)
        g_heap[i] = last;
    return top;
}

/* Put c's next action on the timer heap. */
static void schedule(conn *c)
{
    if (!c->busy || c->next_act >= c->n_acts)
        return;
    c->gen = ++g_gen;
    heap_push(c->t0 + c->acts[c->next_act].t, c->fd, c->gen);
}

static void conn_free(conn *c)
{
    epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    g_conns[c->fd] = NULL;
    free(c->in);
    free(c->out);
    free(c->acts);
    free(c);
}

static void reset_conn(conn *c)
{
    struct linger l = {1, 0};

    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    conn_free(c);
}

static void want_out(conn *c, bool out)
{
    struct epoll_event ev;

    if (c->want_out == out)
        return;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
    ev.data.fd = c->fd;
    epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

/* Write what is released; false when the connection is gone. */
static bool flush(conn *c)
{
    while (c->written < c->released) {
        ssize_t w = send(c->fd, c->out + c->written, c->released - c->written, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            want_out(c, true);
            return true;
        }
        if (w < 0) {
            conn_free(c);
            return false;
        }
        c->written += (size_t)w;
        if (c->first_end > 0 && c->written >= c->first_end) {
            if (g_log != NULL)
                fprintf(g_log, "%ld %.9f %.9f\n", c->seed, c->t0, now_s());
            c->first_end = 0;
        }
    }
    want_out(c, false);
    return true;
}

static bool handle_input(conn *c, double now);

/* Run the actions that are due; false when the connection is gone. */
static bool run_actions(conn *c, double now)
{
    while (c->busy && c->next_act < c->n_acts && c->t0 + c->acts[c->next_act].t <= now) {
        action a = c->acts[c->next_act];
        if (a.kind == A_DATA) {
            c->released += a.len;
            c->next_act++;
            continue;
        }
        if (!flush(c))
            return false;
        if (c->written < c->released)
            return true; /* the terminal action waits for the socket to drain */
        c->next_act++;
        if (a.kind == A_RESET) {
            reset_conn(c);
            return false;
        }
        if (a.kind == A_CUT) {
            conn_free(c);
            return false;
        }
        c->busy = false; /* A_END: ready for the next request on this connection */
        c->out_len = c->released = c->written = c->first_end = 0;
        c->n_acts = c->next_act = 0;
        return handle_input(c, now);
    }
    if (!c->busy)
        return true;
    if (!flush(c))
        return false;
    schedule(c);
    return true;
}

static const char *find_header(const char *head, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    out[0] = '\0';
    for (const char *p = strstr(head, "\r\n"); p != NULL && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(out, size, "%.*s", (int)(e - v), v);
            break;
        }
    }
    return out;
}

/* Parse a complete request out of c->in and script its response. */
static bool handle_input(conn *c, double now)
{
    char *end, method[16], path[2048], auth[1024], clen[32];
    size_t head_len, body_len, total;
    char *body;

    if (!c->busy && c->in_len > 0 && (c->in[0] < 'A' || c->in[0] > 'Z')) {
        conn_free(c); /* not HTTP (a TLS hello, say): hang up */
        return false;
    }
    if (c->busy || (end = memmem(c->in, c->in_len, "\r\n\r\n", 4)) == NULL)
        return true;
    head_len = (size_t)(end - c->in) + 4;
    end[2] = '\0';
    if (sscanf(c->in, "%15s %2047s", method, path) != 2) {
        conn_free(c);
        return false;
    }
    body_len = (size_t)strtoul(find_header(c->in, "Content-Length", clen, sizeof clen), NULL, 10);
    find_header(c->in, "Authorization", auth, sizeof auth);
    end[2] = '\r';
    total = head_len + body_len;
    if (total > IN_MAX) {
        conn_free(c);
        return false;
    }
    if (c->in_len < total)
        return true;
    body = strndup(c->in + head_len, body_len);
    c->busy = true;
    c->t0 = now;
    script_request(c, path, body ? body : "", auth);
    free(body);
    memmove(c->in, c->in + total, c->in_len - total);
    c->in_len -= total;
    return run_actions(c, now);
}

static void on_readable(conn *c)
{
    for (;;) {
        ssize_t n;
        if (c->in_len >= IN_MAX) {
            conn_free(c);
            return;
        }
        n = recv(c->fd, c->in + c->in_len, IN_MAX - c->in_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_free(c);
            return;
        }
        c->in_len += (size_t)n;
    }
    handle_input(c, now_s());
}

static void on_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        struct epoll_event ev;
        conn *c;
        if (fd < 0)
            return;
        if (fd >= MAX_FDS || (c = calloc(1, sizeof *c)) == NULL || (c->in = malloc(IN_MAX)) == NULL) {
            if (fd < MAX_FDS && c != NULL)
                free(c);
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        g_conns[fd] = c;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

/* Fire the due actions; returns the next action time (or +inf). */
static double tick(void)
{
    double now = now_s();

    while (g_heap_n > 0 && g_heap[0].t <= now) {
        timer_ent e = heap_pop();
        conn *c = g_conns[e.fd];
        if (c != NULL && c->gen == e.gen)
            run_actions(c, now);
    }
    return g_heap_n > 0 ? g_heap[0].t : 1e300;
}

static void arm(double when)
{
    struct itimerspec its;

    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)when;
    its.it_value.tv_nsec = (long)((when - (double)(time_t)when) * 1e9);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(g_tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int listen_loopback(int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)*port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0)
        die("bind/listen on 127.0.0.1");
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static void write_port_file(const char *path, int port)
{
    char tmp[4200];
    FILE *f;

    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        die("writing the port file");
}

static void serve(int lfd, double deadline)
{
    struct epoll_event evs[256];

    while (!g_stop && now_s() < deadline) {
        double next = tick();
        int n;
        arm(next < deadline ? next : deadline);
        n = epoll_wait(g_ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint64_t ticks;
            if (fd == g_tfd) {
                while (read(g_tfd, &ticks, sizeof ticks) > 0) {
                }
            } else if (fd == lfd) {
                on_accept(lfd);
            } else if (g_conns[fd] != NULL && (evs[i].events & (EPOLLHUP | EPOLLERR))) {
                conn_free(g_conns[fd]);
            } else if (g_conns[fd] != NULL && (evs[i].events & EPOLLIN)) {
                on_readable(g_conns[fd]);
            } else if (g_conns[fd] != NULL && (evs[i].events & EPOLLOUT)) {
                run_actions(g_conns[fd], now_s());
            }
        }
    }
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    double max_s = 600.0;
    int port = 0, lfd;
    struct epoll_event ev;
    struct sigaction sa;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--max-seconds") == 0)
            max_s = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--port") == 0)
            port = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--log") == 0 && (g_log = fopen(argv[i + 1], "a")) == NULL)
            die(argv[i + 1]);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    lfd = listen_loopback(&port);
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    g_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (g_ep < 0 || g_tfd < 0)
        die("epoll/timerfd");
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = g_tfd;
    epoll_ctl(g_ep, EPOLL_CTL_ADD, g_tfd, &ev);
    printf("%d\n", port);
    fflush(stdout);
    if (port_file != NULL)
        write_port_file(port_file, port);
    serve(lfd, now_s() + max_s);
    if (g_log != NULL)
        fclose(g_log);
    return 0;
}
