/* session.c — lle_run_session (lle/campaign.h): runs experiments one after
 * another through the runner's engine source hook (run_internal.h) and keeps
 * the loaded engine between them. The next experiment reuses it only when its
 * engine parameters are identical — model file (path, and the same file:
 * device, inode, size, mtime), context and batch sizes, sequences, threads,
 * GPU placement, KV types, flash attention and sampling — because the engine
 * bakes all of them in when it opens. Anything else closes it and opens a new
 * one; a failed run closes it too. The per-run decode hook (energy phases,
 * FLOPs; its user pointer is the run's own state) cannot be baked in: the
 * engine is opened with the session's trampoline, which forwards each call to
 * the hook of the run in progress. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "lle/campaign.h"
#include "run/run_internal.h"

struct lle_run_session {
    lle_engine *eng;       /* the kept engine, NULL when none */
    lle_engine_params key; /* what it was opened with; key.model_path -> path */
    char path[4096];
    float split[LLE_MAX_TENSOR_SPLIT];
    struct stat file; /* identity of the model file when it was loaded */
    bool reused;      /* the current run got the kept engine */
    int loads, reuses;
    /* the decode hook of the run in progress (NULL between runs) */
    void (*on_decode)(void *user, int n_tokens, int n_kv_used, const int8_t *logits);
    void *on_decode_user;
};

/* The hook every engine of the session is opened with. */
static void trampoline(void *user, int n_tokens, int n_kv_used, const int8_t *logits)
{
    lle_run_session *s = user;

    if (s->on_decode != NULL)
        s->on_decode(s->on_decode_user, n_tokens, n_kv_used, logits);
}

lle_status lle_run_session_open(lle_run_session **out, lle_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory opening a run session");
}

static void drop_engine(lle_run_session *s)
{
    if (s->eng != NULL)
        s->eng->vt->close(s->eng);
    s->eng = NULL;
}

void lle_run_session_close(lle_run_session *s)
{
    if (s == NULL)
        return;
    drop_engine(s);
    free(s);
}

void lle_run_session_counts(const lle_run_session *s, int *loads, int *reuses)
{
    if (loads != NULL)
        *loads = s->loads;
    if (reuses != NULL)
        *reuses = s->reuses;
}

static bool same_sampling(const lle_sampling *a, const lle_sampling *b)
{
    return a->temperature == b->temperature && a->top_k == b->top_k && a->top_p == b->top_p && a->min_p == b->min_p &&
           a->repeat_penalty == b->repeat_penalty && a->repeat_last_n == b->repeat_last_n &&
           a->ignore_eos == b->ignore_eos && a->min_output_tokens == b->min_output_tokens;
}

static bool same_file(const struct stat *a, const char *path)
{
    struct stat b;

    return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino && a->st_size == b.st_size &&
           a->st_mtim.tv_sec == b.st_mtim.tv_sec && a->st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

/* Tensor splits compared by value (memcmp would tell -0.0 from 0.0). */
static bool same_split(const float *a, const float *b)
{
    for (size_t i = 0; i < LLE_MAX_TENSOR_SPLIT; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The kept engine serves `p` unchanged (the decode hook goes through the
 * trampoline, so it is not compared). */
static bool same_params(const lle_run_session *s, const lle_engine_params *p)
{
    const lle_engine_params *k = &s->key;

    if (s->eng == NULL || p->model_path == NULL || strcmp(s->path, p->model_path) != 0)
        return false;
    if (k->n_ctx != p->n_ctx || k->n_batch != p->n_batch || k->n_ubatch != p->n_ubatch ||
        k->n_seq_max != p->n_seq_max || k->n_threads != p->n_threads || k->n_threads_batch != p->n_threads_batch ||
        k->n_gpu_layers != p->n_gpu_layers || k->split_mode != p->split_mode || k->main_gpu != p->main_gpu ||
        k->flash_attn != p->flash_attn || k->type_k != p->type_k || k->type_v != p->type_v)
        return false;
    if ((k->tensor_split == NULL) != (p->tensor_split == NULL) ||
        (p->tensor_split != NULL && !same_split(s->split, p->tensor_split)))
        return false;
    return same_sampling(&k->sampling, &p->sampling) && same_file(&s->file, p->model_path);
}

static lle_status acquire(void *user, const lle_engine_params *p, lle_engine **out, lle_error *err)
{
    lle_run_session *s = user;
    lle_engine_params hooked = *p;
    lle_status st;

    s->on_decode = p->on_decode;
    s->on_decode_user = p->on_decode_user;
    hooked.on_decode = trampoline;
    hooked.on_decode_user = s;
    s->reused = same_params(s, p);
    if (s->reused) {
        *out = s->eng;
        s->eng = NULL; /* lent to the run until release() */
        s->reuses++;
        return LLE_OK;
    }
    drop_engine(s);
    st = lle_llama_engine.open(&hooked, out, err);
    if (st != LLE_OK)
        return st;
    s->loads++;
    s->key = hooked;
    lle_strlcpy(s->path, p->model_path, sizeof s->path);
    s->key.model_path = s->path;
    if (p->tensor_split != NULL) {
        memcpy(s->split, p->tensor_split, sizeof s->split);
        s->key.tensor_split = s->split;
    }
    if (stat(p->model_path, &s->file) != 0)
        memset(&s->file, 0, sizeof s->file);
    return LLE_OK;
}

static void release(void *user, lle_engine *e, lle_status run_status)
{
    lle_run_session *s = user;

    s->on_decode = NULL; /* the run's state is gone after this */
    s->on_decode_user = NULL;
    if (run_status == LLE_OK) {
        s->eng = e;
        return;
    }
    e->vt->close(e); /* a failed or interrupted run may leave the context in any state */
}

lle_status lle_run_session_run(lle_run_session *s, const lle_run_config *cfg, lle_progress_fn progress, void *user,
                               const volatile int *stop, lle_run_result **out, bool *reused, lle_error *err)
{
    lle_engine_source src = {acquire, release, s};
    lle_status st;

    s->reused = false;
    st = lle_run_single_ex(cfg, &src, progress, user, stop, out, err);
    if (reused != NULL)
        *reused = s->reused;
    return st;
}
