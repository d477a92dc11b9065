/* Fuzz harness: the remote engine's stream parsing: the SSE framer
 * (src/remote/sse.c) fed in chunks whose sizes come from the first input byte,
 * and every event's data through the OpenAI JSON parser (src/remote/oai.c),
 * both as a chat and as a completion stream; the whole input is also parsed as
 * a non-streamed response body. */
#include "fuzz_util.h"

#include "remote/oai.h"
#include "remote/sse.h"

typedef struct ctx {
    lle_text text;
    bool chat;
} ctx;

static int on_event(void *user, const char *type, const char *data, size_t len)
{
    ctx *c = user;
    lle_oai_event ev;
    lle_error err = {0};
    (void)type;
    memset(&ev, 0, sizeof ev);
    if (lle_oai_parse(data, len, c->chat, &ev, &c->text, &err) == LLE_OK && ev.done)
        return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lle_sse p;
    ctx c = {.chat = size > 0 && (data[0] & 0x80)};
    lle_oai_event ev;
    lle_error err = {0};
    size_t chunk = size > 0 ? (size_t)(data[0] & 0x3f) + 1 : 1, off = size > 0 ? 1 : 0;

    lle_sse_init(&p, 4096);
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (lle_sse_feed(&p, (const char *)data + off, n, on_event, &c) != LLE_SSE_OK)
            break;
        off += n;
    }
    (void)lle_sse_pending(&p);
    lle_sse_free(&p);
    memset(&ev, 0, sizeof ev);
    (void)lle_oai_parse((const char *)data, size, !c.chat, &ev, &c.text, &err);
    lle_text_free(&c.text);
    return 0;
}
