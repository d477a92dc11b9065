/* tok.c — the local tokenizer of the remote engine: a llama.cpp vocabulary
 * loaded from a GGUF model or a ggml-vocab-*.gguf file with vocab_only (no
 * weights), used to count tokens when a server sends no usage and to compare
 * with the usage it sends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "llama.h"
#include "remote/remote_internal.h"

struct lle_tokenizer {
    struct llama_model *model;
    const struct llama_vocab *vocab;
    llama_token *buf;
    int32_t cap;
};

lle_status lle_tokenizer_open(const char *path, lle_tokenizer **out, lle_error *err)
{
    struct llama_model_params mp = llama_model_default_params();
    lle_tokenizer *t = NULL;
    struct stat sb;
    lle_status st;

    *out = NULL;
    if (stat(path, &sb) != 0)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "tokenizer: %s: %s", path,
                        strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return lle_fail(err, LLE_ERR_INVALID, "tokenizer: %s is not a file", path);
    st = lle_runtime_init(err);
    if (st != LLE_OK)
        return st;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    mp.vocab_only = true;
    t->model = llama_model_load_from_file(path, mp);
    if (t->model == NULL) {
        free(t);
        return lle_fail(err, LLE_ERR_FORMAT, "tokenizer: %s is not a GGUF file with a vocabulary llama.cpp can load",
                        path);
    }
    t->vocab = llama_model_get_vocab(t->model);
    *out = t;
    return LLE_OK;
}

int lle_tokenizer_count(lle_tokenizer *t, const char *text, size_t len, bool add_special)
{
    int32_t n;

    if (len > (size_t)INT32_MAX / 2)
        return -1;
    n = llama_tokenize(t->vocab, text, (int32_t)len, t->buf, t->cap, add_special, false);
    if (n < 0) {
        int32_t need = -n + 16;
        llama_token *nb = realloc(t->buf, (size_t)need * sizeof *nb);
        if (nb == NULL)
            return -1;
        t->buf = nb;
        t->cap = need;
        n = llama_tokenize(t->vocab, text, (int32_t)len, t->buf, t->cap, add_special, false);
    }
    return n < 0 ? -1 : (int)n;
}

void lle_tokenizer_close(lle_tokenizer *t)
{
    if (t == NULL)
        return;
    llama_model_free(t->model);
    free(t->buf);
    free(t);
}
