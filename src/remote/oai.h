/* oai.h — the OpenAI-compatible wire format: building the request body of
 * /v1/completions and /v1/chat/completions, and reading one streamed event or
 * a whole non-streamed response into the few things the client measures
 * (content text, finish reason, usage, server errors).
 *
 * Ownership: lle_oai_body() returns a malloc'd string the caller frees. An
 * lle_oai_event borrows nothing: its text is copied into the caller's growing
 * buffer by lle_oai_parse(). */
#ifndef LLE_REMOTE_OAI_H
#define LLE_REMOTE_OAI_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lle/error.h"

typedef struct lle_oai_params {
    bool chat; /* messages[] instead of prompt */
    bool stream;
    const char *model;
    const char *prompt;
    int max_tokens;
    int min_tokens;  /* sent when > 0 */
    bool ignore_eos; /* sent when true */
    double temperature;
    uint64_t seed;
    const cJSON *extra; /* object merged last (its keys win); may be NULL */
} lle_oai_params;

/* JSON request body; NULL on OOM. */
char *lle_oai_body(const lle_oai_params *p);

/* What one event (or a whole response) says. */
typedef struct lle_oai_event {
    bool done;              /* the "[DONE]" sentinel */
    size_t text_len;        /* bytes of content text appended to the caller's buffer */
    bool role_only;         /* a chat delta without content (role, null or "") */
    char finish_reason[24]; /* "" while the choice is not finished */
    int usage_prompt;       /* -1: the event carries no usage */
    int usage_completion;
    bool error; /* an {"error": ...} payload */
    char error_msg[200];
} lle_oai_event;

/* A growing text buffer the parser appends content to. */
typedef struct lle_text {
    char *s;
    size_t len, cap;
} lle_text;

/* Parse `data` (an event's data or a full response body) and append its
 * content text to `out`. Returns LLE_OK, LLE_ERR_FORMAT with a short reason
 * in err when the JSON is malformed or has the wrong shape, LLE_ERR_NOMEM. */
lle_status lle_oai_parse(const char *data, size_t len, bool chat, lle_oai_event *ev, lle_text *out, lle_error *err);

/* Append bytes to a text buffer (always NUL-terminated). */
lle_status lle_text_append(lle_text *t, const char *s, size_t len);
void lle_text_free(lle_text *t);

#endif
