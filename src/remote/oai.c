/* oai.c — OpenAI-compatible request bodies and response/event parsing for the
 * remote engine (oai.h). Only the fields the measurement needs are read:
 * content text (text, delta.content, message.content and reasoning_content),
 * finish_reason, usage and error; anything else in an event is ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "remote/oai.h"

lle_status lle_text_append(lle_text *t, const char *s, size_t len)
{
    if (t->len + len + 1 > t->cap) {
        size_t ncap = t->cap > 0 ? t->cap : 256;
        char *n;
        while (ncap < t->len + len + 1)
            ncap *= 2;
        n = realloc(t->s, ncap);
        if (n == NULL)
            return LLE_ERR_NOMEM;
        t->s = n;
        t->cap = ncap;
    }
    memcpy(t->s + t->len, s, len);
    t->len += len;
    t->s[t->len] = '\0';
    return LLE_OK;
}

void lle_text_free(lle_text *t)
{
    free(t->s);
    t->s = NULL;
    t->len = t->cap = 0;
}

static void merge_extra(cJSON *root, const cJSON *extra)
{
    const cJSON *it;

    if (extra == NULL)
        return;
    cJSON_ArrayForEach(it, extra)
    {
        cJSON *copy = cJSON_Duplicate(it, 1);
        if (copy == NULL)
            continue;
        if (cJSON_GetObjectItemCaseSensitive(root, it->string) != NULL)
            cJSON_ReplaceItemInObjectCaseSensitive(root, it->string, copy);
        else
            cJSON_AddItemToObject(root, it->string, copy);
    }
}

char *lle_oai_body(const lle_oai_params *p)
{
    cJSON *root = cJSON_CreateObject();
    char *out = NULL;

    if (root == NULL)
        return NULL;
    cJSON_AddStringToObject(root, "model", p->model);
    if (p->chat) {
        cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", p->prompt);
        cJSON_AddItemToArray(msgs, m);
    } else {
        cJSON_AddStringToObject(root, "prompt", p->prompt);
    }
    cJSON_AddNumberToObject(root, "max_tokens", p->max_tokens);
    if (p->min_tokens > 0)
        cJSON_AddNumberToObject(root, "min_tokens", p->min_tokens);
    if (p->ignore_eos)
        cJSON_AddBoolToObject(root, "ignore_eos", 1);
    cJSON_AddNumberToObject(root, "temperature", p->temperature);
    cJSON_AddNumberToObject(root, "seed", (double)(p->seed & 0x7fffffffULL));
    cJSON_AddBoolToObject(root, "stream", p->stream);
    if (p->stream) {
        cJSON *so = cJSON_AddObjectToObject(root, "stream_options");
        cJSON_AddBoolToObject(so, "include_usage", 1);
    }
    merge_extra(root, p->extra);
    out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static int usage_int(const cJSON *usage, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(usage, key);

    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 2e9)
        return -1;
    return (int)v->valuedouble;
}

static void read_error(const cJSON *e, lle_oai_event *ev)
{
    const cJSON *msg = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;

    ev->error = true;
    snprintf(ev->error_msg, sizeof ev->error_msg, "%s",
             cJSON_IsString(msg) ? msg->valuestring : "server sent an error event");
}

/* Content of one string field (absent or null: none; another type: an error). */
static lle_status take_text(const cJSON *obj, const char *key, lle_oai_event *ev, lle_text *out, lle_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (v == NULL || cJSON_IsNull(v))
        return LLE_OK;
    if (!cJSON_IsString(v))
        return lle_fail(err, LLE_ERR_FORMAT, "\"%s\" is not a string", key);
    if (v->valuestring[0] == '\0')
        return LLE_OK;
    ev->text_len += strlen(v->valuestring);
    return lle_text_append(out, v->valuestring, strlen(v->valuestring)) == LLE_OK
               ? LLE_OK
               : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
}

static lle_status read_choice(const cJSON *c, bool chat, lle_oai_event *ev, lle_text *out, lle_error *err)
{
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c, "finish_reason");
    lle_status st = LLE_OK;

    if (!cJSON_IsObject(c))
        return lle_fail(err, LLE_ERR_FORMAT, "a choice is not an object");
    if (cJSON_IsString(fr))
        snprintf(ev->finish_reason, sizeof ev->finish_reason, "%s", fr->valuestring);
    if (chat) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, "delta");
        if (d == NULL)
            d = cJSON_GetObjectItemCaseSensitive(c, "message");
        if (d != NULL && !cJSON_IsObject(d))
            return lle_fail(err, LLE_ERR_FORMAT, "\"delta\" is not an object");
        if (d != NULL)
            st = take_text(d, "reasoning_content", ev, out, err);
        if (st == LLE_OK && d != NULL)
            st = take_text(d, "content", ev, out, err);
    } else {
        st = take_text(c, "text", ev, out, err);
    }
    if (st == LLE_OK && ev->text_len == 0)
        ev->role_only = true;
    return st;
}

static bool is_done(const char *data, size_t len)
{
    while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    while (len > 0 && data[0] == ' ') {
        data++;
        len--;
    }
    return len == 6 && memcmp(data, "[DONE]", 6) == 0;
}

lle_status lle_oai_parse(const char *data, size_t len, bool chat, lle_oai_event *ev, lle_text *out, lle_error *err)
{
    cJSON *root = NULL;
    const cJSON *choices, *usage, *e;
    lle_status st = LLE_OK;

    memset(ev, 0, sizeof *ev);
    ev->usage_prompt = ev->usage_completion = -1;
    if (is_done(data, len)) {
        ev->done = true;
        return LLE_OK;
    }
    root = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(root)) {
        st = lle_fail(err, LLE_ERR_FORMAT, root == NULL ? "event is not valid JSON" : "event is not a JSON object");
        goto cleanup;
    }
    e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e != NULL && !cJSON_IsNull(e))
        read_error(e, ev);
    usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage)) {
        ev->usage_prompt = usage_int(usage, "prompt_tokens");
        ev->usage_completion = usage_int(usage, "completion_tokens");
    }
    choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (choices != NULL && !cJSON_IsArray(choices)) {
        st = lle_fail(err, LLE_ERR_FORMAT, "\"choices\" is not an array");
        goto cleanup;
    }
    if (cJSON_GetArraySize(choices) > 0)
        st = read_choice(cJSON_GetArrayItem(choices, 0), chat, ev, out, err);
    else
        ev->role_only = !ev->error;
cleanup:
    cJSON_Delete(root);
    return st;
}
