/* prompt_source.h — prompts read from a dataset file instead of synthesised:
 * loading (JSON Lines or a ShareGPT JSON array), ordering (as given, sorted by
 * length, or a seeded shuffle) and fitting the set to a requested count
 * (truncate, or cycle when the file holds fewer). docs/prompts.md describes the
 * formats and rules for users. Internal to liblle; not installed.
 *
 * Ownership: an lle_prompt_set owns its `texts` array and every string in it;
 * lle_prompt_set_free() releases both and leaves the set empty. The functions
 * below that change a set keep that ownership (they free what they drop and
 * allocate what they add). A set passed to lle_prompts_load() is overwritten
 * without being freed, so pass a zeroed or freed one; on failure it is left
 * empty. The library never prints: failures fill the caller's lle_error. */
#ifndef LLE_PROMPT_SOURCE_H
#define LLE_PROMPT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"

/* Largest prompt file read (either format): a larger file is refused with
 * LLE_ERR_UNSUPPORTED rather than read into memory. */
#define LLE_PROMPTS_MAX_FILE_BYTES ((size_t)256 * 1024 * 1024)

typedef struct lle_prompt_set {
    size_t n;         /* number of prompts in texts */
    char **texts;     /* n NUL-terminated UTF-8 strings, owned by the set */
    size_t n_skipped; /* entries of the file left out at load: ShareGPT entries with no
                         (non-empty) human/user turn. JSONL metadata lines are not counted. */
} lle_prompt_set;

/* Free every string and the array; the set is left zeroed. NULL is allowed. */
void lle_prompt_set_free(lle_prompt_set *s);

/* Read the prompts of `path` into *out.
 * format: "jsonl", "sharegpt" or "auto" (NULL means "auto"). "auto" looks at the
 * first non-space character of the file (after an optional UTF-8 BOM): '[' is a
 * ShareGPT JSON array, '{' is JSON Lines.
 * JSONL: one object per line with a string "prompt" (preferred) or "text";
 * blank lines and lines whose object has only keys starting with '_' (a
 * provenance header) are skipped; anything else is LLE_ERR_FORMAT "PATH:LINE: ...".
 * ShareGPT: an array of {"id", "conversations":[{"from","value"},...]} (or
 * "messages" with {"role","content"}); the first turn from "human"/"user" is the
 * prompt; entries without a non-empty one are skipped and counted in n_skipped.
 * Errors: LLE_ERR_NOT_FOUND (no such file), LLE_ERR_INVALID (a directory, an
 * unknown format), LLE_ERR_FORMAT (bad contents, or no prompts at all),
 * LLE_ERR_IO, LLE_ERR_NOMEM, LLE_ERR_UNSUPPORTED (over LLE_PROMPTS_MAX_FILE_BYTES). */
lle_status lle_prompts_load(const char *path, const char *format, lle_prompt_set *out, lle_error *err);

/* Reorder in place. order: "as_given" (no change), "sorted" (by length in
 * bytes, ascending; equal lengths keep their file order) or "shuffled" (the
 * seeded Fisher-Yates shuffle of docs/prompts.md: the same seed always gives
 * the same order). Anything else is LLE_ERR_INVALID and leaves the set as is. */
lle_status lle_prompts_order(lle_prompt_set *s, const char *order, uint64_t seed, lle_error *err);

/* Make the set hold exactly n prompts: keep the first n when it has more; when
 * it has fewer, cycle: prompt i becomes a copy of prompt (i mod old_n), so the
 * order set by lle_prompts_order() repeats. n == 0 or an empty set is
 * LLE_ERR_INVALID. On LLE_ERR_NOMEM the set is unchanged. */
lle_status lle_prompts_take(lle_prompt_set *s, size_t n, lle_error *err);

#endif
