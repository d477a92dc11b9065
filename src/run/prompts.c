/* prompts.c — built-in synthetic prompts of an exact token length, so a run
 * needs no dataset. Text is drawn, seeded, from a fixed list of common English
 * words, tokenized with the model's own tokenizer and cut to the length. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "run/run_internal.h"

static const char *const WORDS[] = {
    "the",     "energy",    "of",        "a",         "model",   "is",        "measured", "in",      "joules",
    "per",     "token",     "and",       "every",     "request", "takes",     "time",     "to",      "first",
    "answer",  "while",     "the",       "server",    "keeps",   "its",       "cache",    "warm",    "researchers",
    "compare", "quantised", "weights",   "with",      "full",    "precision", "because",  "memory",  "bandwidth",
    "limits",  "decoding",  "speed",     "on",        "most",    "machines",  "today",    "a",       "short",
    "story",   "about",     "rivers",    "mountains", "cities",  "music",     "history",  "science", "explain",
    "why",     "the",       "sky",       "looks",     "blue",    "at",        "noon",     "write",   "letter",
    "friend",  "summarise", "following", "paragraph", "for",     "student",   "who",      "likes",   "numbers",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

/* Append n_words random words to a growing text buffer. */
static lle_status append_words(char **text, size_t *len, size_t *cap, uint64_t *rng, int n_words, lle_error *err)
{
    for (int w = 0; w < n_words; w++) {
        const char *word = WORDS[lle_splitmix64(rng) % N_WORDS];
        size_t wl = strlen(word);
        if (*len + wl + 2 > *cap) {
            size_t ncap = (*cap + wl + 2) * 2;
            char *n = realloc(*text, ncap);
            if (n == NULL)
                return lle_fail(err, LLE_ERR_NOMEM, "out of memory building prompts");
            *text = n;
            *cap = ncap;
        }
        if (*len > 0)
            (*text)[(*len)++] = ' ';
        memcpy(*text + *len, word, wl);
        *len += wl;
        (*text)[*len] = '\0';
    }
    return LLE_OK;
}

lle_status lle_synthetic_prompt(lle_engine *e, uint64_t seed, int index, int n_tokens, int32_t **tokens, lle_error *err)
{
    uint64_t rng = seed ^ ((uint64_t)(index + 1) * 0xd1342543de82ef95ULL);
    char *text = NULL;
    size_t len = 0, cap = 0;
    int32_t *toks = NULL;
    int n = 0;
    lle_status st = LLE_OK;

    *tokens = NULL;
    while (st == LLE_OK) {
        st = append_words(&text, &len, &cap, &rng, n_tokens > n ? n_tokens - n + 1 : 1, err);
        if (st != LLE_OK)
            break;
        free(toks);
        toks = NULL;
        st = e->vt->tokenize(e, text, 1, &toks, &n, err);
        if (st == LLE_OK && n >= n_tokens)
            break;
    }
    if (st == LLE_OK) {
        *tokens = toks;
        toks = NULL;
    }
    free(toks);
    free(text);
    return st;
}
