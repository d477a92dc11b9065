/* workload.c — what the load generator sends: the prompts (synthetic, from a
 * prompt file, or from a trace), each request's output length, and the
 * arrival schedule of open-loop loads. Everything is built before the clock
 * starts. Synthetic prompts are seeded word sequences; with a local tokenizer
 * they are cut to the exact token length, without one they hold one word per
 * requested token (the server's usage then says how many tokens it saw). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/remote_internal.h"
#include "run/prompt_source.h"

static const char *const WORDS[] = {
    "the",       "energy",    "of",     "a",     "model",     "is",      "measured", "in",          "joules",
    "per",       "token",     "and",    "every", "request",   "takes",   "time",     "to",          "first",
    "answer",    "while",     "server", "keeps", "its",       "cache",   "warm",     "researchers", "compare",
    "quantised", "weights",   "with",   "full",  "precision", "because", "memory",   "bandwidth",   "limits",
    "decoding",  "speed",     "on",     "most",  "machines",  "today",   "short",    "story",       "about",
    "rivers",    "mountains", "cities", "music", "history",   "science", "explain",  "why",         "sky",
    "looks",     "blue",      "at",     "noon",  "write",     "letter",  "friend",   "summarise",   "following",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

/* n_words seeded words joined by spaces. */
static char *words_text(uint64_t *rng, int n_words)
{
    size_t cap = (size_t)n_words * 12 + 1, len = 0;
    char *s = malloc(cap);

    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n_words; i++) {
        const char *w = WORDS[lle_rand_below(rng, N_WORDS)];
        size_t wl = strlen(w);
        if (len > 0)
            s[len++] = ' ';
        memcpy(s + len, w, wl);
        len += wl;
        s[len] = '\0';
    }
    return s;
}

/* Token count of the first `words` words of the prompt seeded by `base`. */
static int count_words(lle_tokenizer *tok, uint64_t base, int words, char **text)
{
    uint64_t rng = base;

    free(*text);
    *text = words_text(&rng, words);
    if (*text == NULL)
        return -2;
    return lle_tokenizer_count(tok, *text, strlen(*text), true);
}

/* A synthetic prompt of n_tokens tokens: with a tokenizer, the longest word
 * prefix whose count (BOS included) does not exceed n_tokens (binary search);
 * without one, n_tokens words. */
static lle_status synth_prompt(lle_tokenizer *tok, uint64_t seed, int index, int n_tokens, lle_remote_item *it,
                               lle_error *err)
{
    uint64_t base = seed ^ ((uint64_t)(index + 1) * 0xd1342543de82ef95ULL);
    int lo = 1, hi = n_tokens + 1, best = 1, c;

    it->local_input_tokens = -1;
    if (tok == NULL) {
        uint64_t rng = base;
        free(it->prompt);
        it->prompt = words_text(&rng, n_tokens);
        return it->prompt != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory building prompts");
    }
    while (lo <= hi) { /* count(words) grows with words: find the last that fits */
        int mid = lo + (hi - lo) / 2;
        c = count_words(tok, base, mid, &it->prompt);
        if (c == -2)
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory building prompts");
        if (c < 0)
            return lle_fail(err, LLE_ERR_BACKEND, "the local tokenizer failed on a synthetic prompt");
        if (c <= n_tokens) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    c = count_words(tok, base, best, &it->prompt);
    if (c == -2)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory building prompts");
    it->local_input_tokens = c;
    return LLE_OK;
}

static lle_status synth_items(const lle_remote_config *c, lle_tokenizer *tok, lle_remote_item *items, int n,
                              int first_index, lle_error *err)
{
    uint64_t rng = c->seed ^ 0x9e3779b97f4a7c15ULL ^ ((uint64_t)first_index * 0xbf58476d1ce4e5b9ULL);
    lle_status st = LLE_OK;
    for (int i = 0; i < n && st == LLE_OK; i++) {
        int len = c->max_input_tokens;
        if (c->min_input_tokens > 0 && c->min_input_tokens < c->max_input_tokens)
            len = c->min_input_tokens +
                  (int)lle_rand_below(&rng, (uint64_t)c->max_input_tokens - (uint64_t)c->min_input_tokens + 1);
        items[i].n_out = c->max_output_tokens;
        items[i].arrival_s = -1.0;
        st = synth_prompt(tok, c->seed, first_index + i, len, &items[i], err);
    }
    return st;
}

static lle_status file_items(const lle_remote_config *c, lle_tokenizer *tok, lle_remote_workload *w, lle_error *err)
{
    lle_prompt_set set = {0};
    lle_status st = lle_prompts_load(c->prompt_file, c->prompt_format, &set, err);
    int total = w->n + w->n_warm;

    if (st == LLE_OK)
        st = lle_prompts_order(&set, c->prompt_order != NULL ? c->prompt_order : "as_given", c->seed, err);
    if (st == LLE_OK)
        st = lle_prompts_take(&set, (size_t)total, err);
    w->n_skipped = (int)set.n_skipped;
    for (int i = 0; st == LLE_OK && i < total; i++) {
        lle_remote_item *it = i < w->n_warm ? &w->warm[i] : &w->items[i - w->n_warm];
        it->prompt = set.texts[i];
        set.texts[i] = NULL;
        it->n_out = c->max_output_tokens;
        it->arrival_s = -1.0;
        it->local_input_tokens = tok != NULL ? lle_tokenizer_count(tok, it->prompt, strlen(it->prompt), true) : -1;
    }
    lle_prompt_set_free(&set);
    return st;
}

static lle_status trace_items(const lle_remote_config *c, lle_tokenizer *tok, lle_remote_workload *w, lle_error *err)
{
    lle_trace_entry *tr = NULL;
    int n = 0;
    lle_status st = lle_trace_load(c->trace_file, &tr, &n, err);

    if (st == LLE_OK && c->n_requests > 0 && c->n_requests < n)
        n = c->n_requests;
    if (st == LLE_OK && (w->items = calloc((size_t)n, sizeof *w->items)) == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st == LLE_OK)
        w->n = n;
    for (int i = 0; st == LLE_OK && i < n; i++) {
        lle_remote_item *it = &w->items[i];
        if (tr[i].prompt != NULL) {
            it->prompt = tr[i].prompt;
            tr[i].prompt = NULL;
            it->local_input_tokens = tok != NULL ? lle_tokenizer_count(tok, it->prompt, strlen(it->prompt), true) : -1;
        } else {
            st = synth_prompt(tok, c->seed, i, tr[i].input_tokens, it, err);
        }
        it->n_out = tr[i].output_tokens;
        it->arrival_s = tr[i].t_s;
    }
    lle_trace_free(tr, st == LLE_OK ? n : 0);
    return st;
}

static lle_status schedule(const lle_remote_config *c, lle_remote_workload *w, lle_error *err)
{
    double *t = NULL;
    lle_status st;
    int n = w->n;

    if (!w->open_loop || strcmp(c->load, "trace") == 0)
        return LLE_OK;
    t = malloc((size_t)n * sizeof *t);
    if (t == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    st = lle_remote_arrivals(c, n, t, err);
    for (int i = 0; st == LLE_OK && i < n; i++)
        w->items[i].arrival_s = t[i];
    if (st == LLE_OK && c->duration_s > 0) { /* arrivals after the duration are never sent */
        while (w->n > 1 && w->items[w->n - 1].arrival_s >= c->duration_s) {
            free(w->items[w->n - 1].prompt);
            w->items[--w->n].prompt = NULL;
        }
    }
    free(t);
    return st;
}

lle_status lle_remote_workload_build(const lle_remote_config *c, lle_tokenizer *tok, lle_remote_workload *w,
                                     lle_error *err)
{
    lle_status st = LLE_OK;

    memset(w, 0, sizeof *w);
    w->open_loop = lle_remote_is_open_loop(c);
    w->offered_rate = strcmp(c->load, "burst") == 0                   ? (double)c->burst_size / c->burst_interval_s
                      : w->open_loop && strcmp(c->load, "trace") != 0 ? c->rate
                                                                      : 0.0;
    if (strcmp(c->load, "trace") == 0)
        st = trace_items(c, tok, w, err);
    else {
        w->n = c->n_requests;
        w->items = calloc((size_t)w->n, sizeof *w->items);
        if (w->items == NULL)
            st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    }
    w->n_warm = c->warmup;
    if (st == LLE_OK && w->n_warm > 0 && (w->warm = calloc((size_t)w->n_warm, sizeof *w->warm)) == NULL)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    if (st == LLE_OK && c->prompt_file != NULL && strcmp(c->load, "trace") != 0)
        st = file_items(c, tok, w, err);
    else if (st == LLE_OK && strcmp(c->load, "trace") != 0)
        st = synth_items(c, tok, w->items, w->n, 0, err);
    if (st == LLE_OK && c->prompt_file == NULL)
        st = synth_items(c, tok, w->warm, w->n_warm, w->n + 1000000, err);
    if (st == LLE_OK)
        st = schedule(c, w, err);
    if (st != LLE_OK)
        lle_remote_workload_free(w);
    return st;
}

void lle_remote_workload_free(lle_remote_workload *w)
{
    for (int i = 0; w->items != NULL && i < w->n; i++)
        free(w->items[i].prompt);
    for (int i = 0; w->warm != NULL && i < w->n_warm; i++)
        free(w->warm[i].prompt);
    free(w->items);
    free(w->warm);
    memset(w, 0, sizeof *w);
}
