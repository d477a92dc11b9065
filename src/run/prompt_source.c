/* prompt_source.c — prompts from dataset files: JSON Lines (one {"prompt"}
 * object per line, read line by line with getline so lines have no length
 * limit) and ShareGPT JSON arrays (read whole, bounded by
 * LLE_PROMPTS_MAX_FILE_BYTES), plus ordering (stable length sort, seeded
 * splitmix64 Fisher-Yates shuffle) and truncation/cycling to a prompt count.
 * JSON is parsed with cJSON. The rules are in prompt_source.h and docs/prompts.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "run/prompt_source.h"

enum prompt_format { FMT_JSONL, FMT_SHAREGPT };

void lle_prompt_set_free(lle_prompt_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->texts[i]);
    free(s->texts);
    memset(s, 0, sizeof *s);
}

/* Append a copy of `text`; *cap tracks the allocated length of s->texts. */
static lle_status set_push(lle_prompt_set *s, size_t *cap, const char *text, lle_error *err)
{
    char *copy = NULL;

    if (s->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char **grown = realloc(s->texts, ncap * sizeof *grown);
        if (grown == NULL)
            return lle_fail(err, LLE_ERR_NOMEM, "out of memory reading prompts");
        s->texts = grown;
        *cap = ncap;
    }
    copy = strdup(text);
    if (copy == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory reading prompts");
    s->texts[s->n++] = copy;
    return LLE_OK;
}

/* Open a regular file for reading; *size gets its size as stat() reports it. */
static lle_status open_prompt_file(const char *path, FILE **fp, size_t *size, lle_error *err)
{
    struct stat st;
    lle_status rc = LLE_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *fp = NULL;
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            rc = lle_fail(err, LLE_ERR_NOT_FOUND, "prompt file not found: %s", path);
        else
            rc = lle_fail(err, LLE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        goto cleanup;
    }
    if (fstat(fd, &st) != 0) {
        rc = lle_fail(err, LLE_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto cleanup;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = lle_fail(err, LLE_ERR_INVALID, "%s is a directory, not a prompt file", path);
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = lle_fail(err, LLE_ERR_INVALID, "%s is not a regular file", path);
        goto cleanup;
    }
    if ((unsigned long long)st.st_size > LLE_PROMPTS_MAX_FILE_BYTES) {
        rc = lle_fail(err, LLE_ERR_UNSUPPORTED, "%s: %lld bytes; prompt files are limited to %zu MiB", path,
                      (long long)st.st_size, LLE_PROMPTS_MAX_FILE_BYTES >> 20);
        goto cleanup;
    }
    *size = (size_t)st.st_size;
    *fp = fdopen(fd, "rb");
    if (*fp == NULL)
        rc = lle_fail(err, LLE_ERR_NOMEM, "%s: cannot open stream: %s", path, strerror(errno));
    else
        fd = -1;
cleanup:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Skip a UTF-8 byte order mark at the start of a buffer. */
static const char *skip_bom(const char *s)
{
    return strncmp(s, "\xEF\xBB\xBF", 3) == 0 ? s + 3 : s;
}

/* "auto": the first non-space byte (after a BOM) decides. The stream is rewound. */
static lle_status detect_format(FILE *fp, const char *path, enum prompt_format *fmt, lle_error *err)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    lle_status rc = LLE_OK;
    size_t pos = 0;
    int c;

    while ((c = getc(fp)) != EOF) {
        if (pos < 3 && c == bom[pos]) {
            pos++;
            continue;
        }
        pos = 3;
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            break;
    }
    if (ferror(fp))
        rc = lle_fail(err, LLE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    else if (c == EOF)
        rc = lle_fail(err, LLE_ERR_FORMAT, "no prompts in %s", path);
    else if (c == '[')
        *fmt = FMT_SHAREGPT;
    else if (c == '{')
        *fmt = FMT_JSONL;
    else
        rc = lle_fail(err, LLE_ERR_FORMAT,
                      "%s: cannot tell the format (starts with neither '{' nor '['); "
                      "name it: jsonl or sharegpt",
                      path);
    rewind(fp);
    return rc;
}

/* 1 when the line holds only white space. */
static int is_blank(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* 1 when an object has keys and all of them start with '_' (a metadata line). */
static int only_metadata_keys(const cJSON *obj)
{
    const cJSON *k = obj->child;

    if (k == NULL)
        return 0;
    for (; k != NULL; k = k->next)
        if (k->string == NULL || k->string[0] != '_')
            return 0;
    return 1;
}

/* Check one parsed JSONL object; *text is its prompt, or NULL for a metadata line. */
static lle_status jsonl_prompt(const cJSON *obj, const char *path, size_t lineno, const char **text, lle_error *err)
{
    const char *key = "prompt";
    const cJSON *v = NULL;

    *text = NULL;
    if (!cJSON_IsObject(obj))
        return lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: not a JSON object", path, lineno);
    v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        key = "text";
        v = cJSON_GetObjectItemCaseSensitive(obj, key);
    }
    if (v == NULL) {
        if (only_metadata_keys(obj))
            return LLE_OK;
        return lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: no \"prompt\" (or \"text\") field", path, lineno);
    }
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: \"%s\" is not a string", path, lineno, key);
    if (v->valuestring[0] == '\0')
        return lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: \"%s\" is empty", path, lineno, key);
    *text = v->valuestring;
    return LLE_OK;
}

/* Parse one non-blank JSONL line (len bytes, NUL-terminated) into the set. */
static lle_status jsonl_line(const char *line, size_t len, const char *path, size_t lineno, lle_prompt_set *s,
                             size_t *cap, lle_error *err)
{
    const char *end = NULL, *text = NULL;
    cJSON *obj = NULL;
    lle_status rc = LLE_OK;

    if (strlen(line) != len) {
        rc = lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: contains a NUL byte", path, lineno);
        goto cleanup;
    }
    obj = cJSON_ParseWithOpts(line, &end, 1);
    if (obj == NULL) {
        size_t col = end != NULL && end >= line ? (size_t)(end - line) + 1 : 1;
        rc = lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: invalid JSON (near column %zu)", path, lineno, col);
        goto cleanup;
    }
    rc = jsonl_prompt(obj, path, lineno, &text, err);
    if (rc == LLE_OK && text != NULL)
        rc = set_push(s, cap, text, err);
cleanup:
    cJSON_Delete(obj);
    return rc;
}

static lle_status load_jsonl(FILE *fp, const char *path, lle_prompt_set *s, lle_error *err)
{
    char *line = NULL;
    size_t line_cap = 0, cap = 0, lineno = 0, total = 0;
    ssize_t got;
    lle_status rc = LLE_OK;

    errno = 0;
    while (rc == LLE_OK && (got = getline(&line, &line_cap, fp)) >= 0) {
        const char *start = lineno == 0 ? skip_bom(line) : line;
        lineno++;
        total += (size_t)got;
        if (total > LLE_PROMPTS_MAX_FILE_BYTES) {
            rc = lle_fail(err, LLE_ERR_UNSUPPORTED, "%s: prompt files are limited to %zu MiB", path,
                          LLE_PROMPTS_MAX_FILE_BYTES >> 20);
            break;
        }
        if (memchr(line, '\0', (size_t)got) == NULL && is_blank(start))
            continue;
        rc = jsonl_line(start, (size_t)got - (size_t)(start - line), path, lineno, s, &cap, err);
    }
    if (rc == LLE_OK && ferror(fp))
        rc = lle_fail(err, LLE_ERR_IO, "%s: read failed: %s", path, strerror(errno ? errno : EIO));
    free(line);
    return rc;
}

/* Read the whole stream (size is a hint) into a NUL-terminated buffer (*buf, caller frees). */
static lle_status read_all(FILE *fp, const char *path, size_t size, char **buf, size_t *len, lle_error *err)
{
    size_t cap = size + 2, n = 0, got;
    char *b = malloc(cap), *grown;
    lle_status rc = LLE_OK;

    *buf = NULL;
    *len = 0;
    if (b == NULL) {
        rc = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading %s", path);
        goto cleanup;
    }
    do {
        if (cap - n < 2) {
            grown = realloc(b, cap * 2);
            if (grown == NULL) {
                rc = lle_fail(err, LLE_ERR_NOMEM, "out of memory reading %s", path);
                goto cleanup;
            }
            b = grown;
            cap *= 2;
        }
        got = fread(b + n, 1, cap - n - 1, fp);
        n += got;
        if (n > LLE_PROMPTS_MAX_FILE_BYTES) {
            rc = lle_fail(err, LLE_ERR_UNSUPPORTED, "%s: prompt files are limited to %zu MiB", path,
                          LLE_PROMPTS_MAX_FILE_BYTES >> 20);
            goto cleanup;
        }
    } while (got > 0);
    if (ferror(fp)) {
        rc = lle_fail(err, LLE_ERR_IO, "%s: read failed: %s", path, strerror(errno ? errno : EIO));
        goto cleanup;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
cleanup:
    free(b);
    return rc;
}

/* The first human/user turn of one conversation list (`where` is "[i].key" for
 * messages): *text is its string, or NULL when there is none or it is empty. */
static lle_status first_human_turn(const cJSON *turns, const char *path, const char *where, const char **text,
                                   lle_error *err)
{
    const cJSON *t, *who, *val;
    size_t j = 0;

    *text = NULL;
    cJSON_ArrayForEach(t, turns)
    {
        if (!cJSON_IsObject(t))
            return lle_fail(err, LLE_ERR_FORMAT, "%s: %s[%zu]: not an object", path, where, j);
        who = cJSON_GetObjectItemCaseSensitive(t, "from");
        val = cJSON_GetObjectItemCaseSensitive(t, "value");
        if (who == NULL) {
            who = cJSON_GetObjectItemCaseSensitive(t, "role");
            val = cJSON_GetObjectItemCaseSensitive(t, "content");
        }
        if (!cJSON_IsString(who) || who->valuestring == NULL)
            return lle_fail(err, LLE_ERR_FORMAT, "%s: %s[%zu]: no string \"from\" (or \"role\")", path, where, j);
        if (strcmp(who->valuestring, "human") == 0 || strcmp(who->valuestring, "user") == 0) {
            if (!cJSON_IsString(val) || val->valuestring == NULL)
                return lle_fail(err, LLE_ERR_FORMAT, "%s: %s[%zu]: %s is not a string", path, where, j,
                                val == NULL ? "no \"value\" (or \"content\"); it" : "the text");
            *text = val->valuestring[0] != '\0' ? val->valuestring : NULL;
            return LLE_OK;
        }
        j++;
    }
    return LLE_OK;
}

/* Array entry i: push its prompt or count it as skipped. */
static lle_status sharegpt_entry(const cJSON *entry, size_t i, const char *path, lle_prompt_set *s, size_t *cap,
                                 lle_error *err)
{
    const char *key = "conversations", *text = NULL;
    const cJSON *turns = NULL;
    char where[96];
    lle_status rc;

    if (!cJSON_IsObject(entry))
        return lle_fail(err, LLE_ERR_FORMAT, "%s: [%zu]: not an object", path, i);
    turns = cJSON_GetObjectItemCaseSensitive(entry, key);
    if (turns == NULL) {
        key = "messages";
        turns = cJSON_GetObjectItemCaseSensitive(entry, key);
    }
    if (!cJSON_IsArray(turns))
        return lle_fail(err, LLE_ERR_FORMAT, "%s: [%zu]: no \"conversations\" (or \"messages\") array", path, i);
    snprintf(where, sizeof where, "[%zu].%s", i, key);
    rc = first_human_turn(turns, path, where, &text, err);
    if (rc != LLE_OK)
        return rc;
    if (text == NULL) {
        s->n_skipped++;
        return LLE_OK;
    }
    return set_push(s, cap, text, err);
}

/* 1-based line of a position in a buffer (for parse errors). */
static size_t line_of(const char *buf, const char *pos)
{
    size_t line = 1;

    for (const char *p = buf; p < pos && *p != '\0'; p++)
        line += *p == '\n';
    return line;
}

static lle_status load_sharegpt(FILE *fp, const char *path, size_t size, lle_prompt_set *s, lle_error *err)
{
    char *buf = NULL;
    const char *end = NULL, *json;
    size_t len = 0, cap = 0, i = 0;
    cJSON *root = NULL;
    const cJSON *entry;
    lle_status rc = read_all(fp, path, size, &buf, &len, err);

    if (rc != LLE_OK)
        goto cleanup;
    if (strlen(buf) != len) {
        rc = lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: contains a NUL byte", path, line_of(buf, buf + strlen(buf)));
        goto cleanup;
    }
    json = skip_bom(buf);
    root = cJSON_ParseWithOpts(json, &end, 1);
    if (root == NULL) {
        rc = lle_fail(err, LLE_ERR_FORMAT, "%s:%zu: invalid JSON", path,
                      end != NULL && end >= json ? line_of(json, end) : 1);
        goto cleanup;
    }
    if (!cJSON_IsArray(root)) {
        rc = lle_fail(err, LLE_ERR_FORMAT, "%s: expected a JSON array of ShareGPT conversations", path);
        goto cleanup;
    }
    cJSON_ArrayForEach(entry, root)
    {
        rc = sharegpt_entry(entry, i++, path, s, &cap, err);
        if (rc != LLE_OK)
            break;
    }
cleanup:
    cJSON_Delete(root);
    free(buf);
    return rc;
}

static lle_status parse_format(const char *format, int *is_auto, enum prompt_format *fmt, lle_error *err)
{
    *is_auto = 0;
    if (format == NULL || strcmp(format, "auto") == 0)
        *is_auto = 1;
    else if (strcmp(format, "jsonl") == 0)
        *fmt = FMT_JSONL;
    else if (strcmp(format, "sharegpt") == 0)
        *fmt = FMT_SHAREGPT;
    else
        return lle_fail(err, LLE_ERR_INVALID, "unknown prompt format '%s' (use jsonl, sharegpt or auto)", format);
    return LLE_OK;
}

lle_status lle_prompts_load(const char *path, const char *format, lle_prompt_set *out, lle_error *err)
{
    enum prompt_format fmt = FMT_JSONL;
    int is_auto = 0;
    size_t size = 0;
    FILE *fp = NULL;
    lle_status rc;

    memset(out, 0, sizeof *out);
    rc = parse_format(format, &is_auto, &fmt, err);
    if (rc == LLE_OK && (path == NULL || path[0] == '\0'))
        rc = lle_fail(err, LLE_ERR_INVALID, "no prompt file given");
    if (rc != LLE_OK)
        goto cleanup;
    rc = open_prompt_file(path, &fp, &size, err);
    if (rc == LLE_OK && is_auto)
        rc = detect_format(fp, path, &fmt, err);
    if (rc != LLE_OK)
        goto cleanup;
    if (fmt == FMT_JSONL)
        rc = load_jsonl(fp, path, out, err);
    else
        rc = load_sharegpt(fp, path, size, out, err);
    if (rc == LLE_OK && out->n == 0)
        rc = lle_fail(err, LLE_ERR_FORMAT, "no prompts in %s", path);
cleanup:
    if (fp != NULL)
        fclose(fp);
    if (rc != LLE_OK)
        lle_prompt_set_free(out);
    return rc;
}

/* ---- ordering ------------------------------------------------------------- */

typedef struct sort_item {
    size_t len, index;
    char *text;
} sort_item;

static int by_length(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;

    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static lle_status sort_by_length(lle_prompt_set *s, lle_error *err)
{
    sort_item *items = NULL;
    lle_status rc = LLE_OK;

    if (s->n < 2)
        goto cleanup;
    items = calloc(s->n, sizeof *items);
    if (items == NULL) {
        rc = lle_fail(err, LLE_ERR_NOMEM, "out of memory sorting prompts");
        goto cleanup;
    }
    for (size_t i = 0; i < s->n; i++)
        items[i] = (sort_item){strlen(s->texts[i]), i, s->texts[i]};
    qsort(items, s->n, sizeof *items, by_length);
    for (size_t i = 0; i < s->n; i++)
        s->texts[i] = items[i].text;
cleanup:
    free(items);
    return rc;
}

lle_status lle_prompts_order(lle_prompt_set *s, const char *order, uint64_t seed, lle_error *err)
{
    uint64_t state = seed;

    if (order == NULL || strcmp(order, "as_given") == 0)
        return LLE_OK;
    if (strcmp(order, "sorted") == 0)
        return sort_by_length(s, err);
    if (strcmp(order, "shuffled") != 0)
        return lle_fail(err, LLE_ERR_INVALID, "unknown prompt order '%s' (use as_given, sorted or shuffled)", order);
    for (size_t i = s->n; i > 1; i--) {
        size_t j = (size_t)lle_rand_below(&state, (uint64_t)i);
        char *t = s->texts[i - 1];
        s->texts[i - 1] = s->texts[j];
        s->texts[j] = t;
    }
    return LLE_OK;
}

/* ---- count ---------------------------------------------------------------- */

/* Grow a set of old_n >= 1 prompts to n > old_n by copying prompt i mod old_n. */
static lle_status cycle_to(lle_prompt_set *s, size_t n, lle_error *err)
{
    size_t old_n = s->n, i = old_n;
    char **grown = NULL;
    lle_status rc = LLE_OK;

    if (n > SIZE_MAX / sizeof *grown) {
        rc = lle_fail(err, LLE_ERR_NOMEM, "too many prompts: %zu", n);
        goto cleanup;
    }
    grown = realloc(s->texts, n * sizeof *grown);
    if (grown == NULL) {
        rc = lle_fail(err, LLE_ERR_NOMEM, "out of memory repeating prompts");
        goto cleanup;
    }
    s->texts = grown;
    for (; i < n; i++) {
        s->texts[i] = strdup(s->texts[i % old_n]);
        if (s->texts[i] == NULL) {
            rc = lle_fail(err, LLE_ERR_NOMEM, "out of memory repeating prompts");
            goto cleanup;
        }
    }
    s->n = n;
cleanup:
    if (rc != LLE_OK) /* undo the copies made so far; the set is as it was */
        while (i-- > old_n)
            free(s->texts[i]);
    return rc;
}

lle_status lle_prompts_take(lle_prompt_set *s, size_t n, lle_error *err)
{
    if (n == 0)
        return lle_fail(err, LLE_ERR_INVALID, "the prompt count must be at least 1");
    if (s->n == 0)
        return lle_fail(err, LLE_ERR_INVALID, "no prompts to take %zu from", n);
    if (n > s->n)
        return cycle_to(s, n, err);
    for (size_t i = n; i < s->n; i++)
        free(s->texts[i]);
    s->n = n;
    return LLE_OK;
}
