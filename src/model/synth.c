/* synth.c — lle_model_synth(): an architecture-faithful GGUF with seeded
 * random weights and a real tokenizer, built entirely through llama.cpp's API.
 *
 * Steps: the metadata (tokenizer.* keys of a ggml-vocab-*.gguf file, general.*
 * and <arch>.* keys, one tensor info per tensor) goes to
 * llama_model_init_from_user(), whose loader creates the tensors and asks our
 * callback to fill them from a splitmix64 stream seeded by seed ^ hash(name);
 * llama_model_save_to_file() writes that F16 (or F32/BF16) model to a temp
 * file; llama_model_quantize() then writes the requested type (also for f16,
 * so that general.file_type is set) to a second temp file, renamed onto the
 * destination. Temp files live beside the destination and are removed on any
 * failure. Same preset + type + seed give byte-identical files. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "ggml-backend.h"
#include "ggml.h"
#include "gguf.h"
#include "llama.h"
#include "lle/model.h"
#include "model/synth_internal.h"

#define FILL_CHUNK ((int64_t)1 << 20) /* elements generated per tensor_set */
#define MATRIX_STD 0.02f
/* std of a sum of four uniform 16-bit integers: sqrt(4 * (65536^2 - 1) / 12) */
#define IRWIN_HALL4_STD 37837.2269f

typedef struct fill_state {
    uint64_t seed;
    float *f32;     /* FILL_CHUNK floats */
    uint16_t *half; /* FILL_CHUNK f16 or bf16 values */
    int bad_type;   /* a tensor of a type we cannot fill showed up */
} fill_state;

typedef struct synth_job {
    const lle_preset *preset;
    const char *type;
    int ftype;
    enum ggml_type mat_type;
    char vocab_path[4200];
    char tmp_base[4200]; /* unquantised model written by llama.cpp's saver */
    char tmp_out[4200];  /* quantiser output, renamed onto out_path */
    bool out_made;
} synth_job;

/* <dir of the loaded liblle>/../share/llm-efficiency/vocab: an installed copy
 * finds its data wherever the prefix was moved to. */
static const char *relative_vocab_dir(void)
{
    static char dir[4096];

    return lle_share_dir("vocab", dir, sizeof dir) ? dir : NULL;
}

const char *lle_default_vocab_dir(void)
{
    const char *env = getenv("LLE_VOCAB_DIR");
    const char *rel = relative_vocab_dir();
    struct stat sb;

    if (env != NULL && env[0] != '\0')
        return env;
    if (rel != NULL)
        return rel;
    if (stat(LLE_BUILD_VOCAB_DIR, &sb) == 0 && S_ISDIR(sb.st_mode))
        return LLE_BUILD_VOCAB_DIR;
    return LLE_INSTALL_VOCAB_DIR;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001B3ULL;
    return h;
}

/* Matrices: approximately normal (Irwin-Hall of four 16-bit uniforms), std
 * MATRIX_STD, integer arithmetic only so every machine gets the same values.
 * Norm weights 1, biases 0. */
static void gen_values(uint64_t *rng, lle_synth_kind kind, float *out, int64_t n)
{
    const float scale = MATRIX_STD / IRWIN_HALL4_STD;

    for (int64_t i = 0; i < n; i++) {
        if (kind == LLE_SYNTH_NORM) {
            out[i] = 1.0f;
        } else if (kind == LLE_SYNTH_BIAS) {
            out[i] = 0.0f;
        } else {
            uint64_t r = lle_splitmix64(rng);
            int32_t s = (int32_t)((r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48));
            out[i] = (float)(s - 131070) * scale;
        }
    }
}

/* llama_model_set_tensor_data_t: called once per tensor by the loader. */
static void fill_tensor(struct ggml_tensor *t, void *user)
{
    fill_state *fs = user;
    const char *name = ggml_get_name(t);
    lle_synth_kind kind = lle_synth_kind_of(name);
    uint64_t rng = fs->seed ^ fnv1a(name);
    int64_t n = ggml_nelements(t);
    size_t esz;

    if (t->type != GGML_TYPE_F32 && t->type != GGML_TYPE_F16 && t->type != GGML_TYPE_BF16) {
        fs->bad_type = 1;
        return;
    }
    esz = ggml_type_size(t->type);
    for (int64_t off = 0; off < n; off += FILL_CHUNK) {
        int64_t m = n - off < FILL_CHUNK ? n - off : FILL_CHUNK;
        const void *src = fs->f32;

        gen_values(&rng, kind, fs->f32, m);
        if (t->type == GGML_TYPE_F16) {
            ggml_fp32_to_fp16_row(fs->f32, (ggml_fp16_t *)fs->half, m);
            src = fs->half;
        } else if (t->type == GGML_TYPE_BF16) {
            ggml_fp32_to_bf16_row(fs->f32, (ggml_bf16_t *)fs->half, m);
            src = fs->half;
        }
        ggml_backend_tensor_set(t, src, (size_t)off * esz, (size_t)m * esz);
    }
}

static bool quiet_progress(float progress, void *user)
{
    (void)progress;
    (void)user;
    return true;
}

/* Build the model in host memory from `meta`, fill it, save it to `path`. */
static lle_status build_and_save(const synth_job *j, struct gguf_context *meta, uint64_t seed, lle_error *err)
{
    static ggml_backend_dev_t no_devices[1] = {NULL}; /* host memory only: the saver reads tensor->data */
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = NULL;
    fill_state fs = {0};
    lle_status st = LLE_OK;

    fs.seed = seed;
    fs.f32 = malloc((size_t)FILL_CHUNK * sizeof *fs.f32);
    fs.half = malloc((size_t)FILL_CHUNK * sizeof *fs.half);
    if (fs.f32 == NULL || fs.half == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory for the weight buffers");
        goto cleanup;
    }
    mp.devices = no_devices;
    mp.n_gpu_layers = 0;
    mp.progress_callback = quiet_progress;
    model = llama_model_init_from_user(meta, fill_tensor, &fs, mp);
    if (model == NULL) {
        st = lle_fail(err, LLE_ERR_BACKEND,
                      "llama.cpp could not build the %s model from its metadata "
                      "(run with -vv for llama.cpp's log)",
                      j->preset->name);
        goto cleanup;
    }
    if (fs.bad_type) {
        st = lle_fail(err, LLE_ERR_INTERNAL, "llama.cpp created a tensor of an unexpected type");
        goto cleanup;
    }
    llama_model_save_to_file(model, j->tmp_base);
cleanup:
    if (model != NULL)
        llama_model_free(model);
    free(fs.f32);
    free(fs.half);
    return st;
}

static lle_status quantize(const synth_job *j, int n_threads, lle_error *err)
{
    llama_model_quantize_params qp = llama_model_quantize_default_params();

    qp.nthread = n_threads > 0 ? n_threads : lle_cpu_count();
    qp.ftype = (enum llama_ftype)j->ftype;
    if (llama_model_quantize(j->tmp_base, j->tmp_out, &qp) != 0)
        return lle_fail(err, LLE_ERR_BACKEND,
                        "llama.cpp could not quantise the %s model to %s "
                        "(run with -vv for llama.cpp's log)",
                        j->preset->name, j->type);
    return LLE_OK;
}

static lle_status unknown_preset(const char *name, lle_error *err)
{
    char known[512] = "";
    size_t len = 0;

    for (size_t i = 0; i < lle_preset_count() && len < sizeof known; i++) {
        int n = snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", lle_preset_at(i)->name);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return lle_fail(err, LLE_ERR_NOT_FOUND, "unknown preset '%s' (known: %s)", name, known);
}

/* Validate the options and resolve the paths; nothing is written. */
static lle_status job_resolve(const lle_synth_opts *o, synth_job *j, lle_error *err)
{
    const char *dir;
    struct stat sb;
    lle_status st;
    long pid = (long)getpid();

    if (o == NULL || o->preset == NULL || o->preset[0] == '\0')
        return lle_fail(err, LLE_ERR_INVALID, "no preset given");
    j->preset = lle_preset_find(o->preset);
    if (j->preset == NULL)
        return unknown_preset(o->preset, err);
    j->type = o->type != NULL ? o->type : "f16";
    st = lle_model_type_parse(j->type, &j->ftype, err);
    if (st != LLE_OK)
        return st;
    j->mat_type = j->ftype == LLAMA_FTYPE_ALL_F32       ? GGML_TYPE_F32
                  : j->ftype == LLAMA_FTYPE_MOSTLY_BF16 ? GGML_TYPE_BF16
                                                        : GGML_TYPE_F16;
    if (o->out_path == NULL || o->out_path[0] == '\0')
        return lle_fail(err, LLE_ERR_INVALID, "no output path given");
    if (stat(o->out_path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return lle_fail(err, LLE_ERR_INVALID, "%s: is a directory", o->out_path);
    dir = o->vocab_dir != NULL ? o->vocab_dir : lle_default_vocab_dir();
    if ((size_t)snprintf(j->vocab_path, sizeof j->vocab_path, "%s/ggml-vocab-%s.gguf", dir, j->preset->vocab) >=
            sizeof j->vocab_path ||
        (size_t)snprintf(j->tmp_base, sizeof j->tmp_base, "%s.base.tmp.%ld", o->out_path, pid) >= sizeof j->tmp_base ||
        (size_t)snprintf(j->tmp_out, sizeof j->tmp_out, "%s.tmp.%ld", o->out_path, pid) >= sizeof j->tmp_out)
        return lle_fail(err, LLE_ERR_INVALID, "%s: path too long", o->out_path);
    if (stat(j->vocab_path, &sb) != 0)
        return lle_fail(err, LLE_ERR_NOT_FOUND,
                        "tokenizer file %s not found (pass --vocab-dir or set "
                        "LLE_VOCAB_DIR to the directory of ggml-vocab-*.gguf)",
                        j->vocab_path);
    return LLE_OK;
}

/* Prove the destination directory is writable before the expensive work. */
static lle_status job_probe_output(const lle_synth_opts *o, synth_job *j, lle_error *err)
{
    int fd = open(j->tmp_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd < 0)
        return lle_fail(err, LLE_ERR_IO, "%s: cannot write there: %s", o->out_path, strerror(errno));
    j->out_made = true;
    close(fd);
    return LLE_OK;
}

static lle_status commit(const synth_job *j, const char *out_path, lle_error *err)
{
    int fd = open(j->tmp_out, O_RDONLY | O_CLOEXEC);
    lle_status st = LLE_OK;

    if (fd < 0 || fsync(fd) != 0)
        st = lle_fail(err, LLE_ERR_IO, "%s: cannot sync: %s", j->tmp_out, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (st == LLE_OK && rename(j->tmp_out, out_path) != 0)
        st = lle_fail(err, LLE_ERR_IO, "%s: cannot rename into place: %s", out_path, strerror(errno));
    return st;
}

lle_status lle_model_synth(const lle_synth_opts *opts, lle_error *err)
{
    synth_job j;
    struct gguf_context *meta = NULL;
    int64_t n_tensors = 0;
    double t0 = lle_now_s();
    lle_status st;

    memset(&j, 0, sizeof j);
    st = job_resolve(opts, &j, err);
    if (st == LLE_OK)
        st = job_probe_output(opts, &j, err);
    if (st == LLE_OK)
        st = lle_runtime_init(err);
    if (st == LLE_OK)
        st = lle_synth_build_meta(j.preset, j.vocab_path, j.mat_type, &meta, err);
    if (st == LLE_OK) {
        n_tensors = gguf_get_n_tensors(meta);
        st = build_and_save(&j, meta, opts->seed, err);
    }
    if (st == LLE_OK)
        st = lle_gguf_check_file(j.tmp_base, n_tensors, err);
    if (st == LLE_OK) {
        lle_logf(LLE_LOG_INFO, "synth: %s weights written in %.1f s; quantising to %s", j.preset->name,
                 lle_now_s() - t0, j.type);
        st = quantize(&j, opts->n_threads, err);
    }
    if (st == LLE_OK)
        st = lle_gguf_check_file(j.tmp_out, n_tensors, err);
    if (st == LLE_OK)
        st = commit(&j, opts->out_path, err);
    if (st == LLE_OK)
        lle_logf(LLE_LOG_INFO, "synth: wrote %s in %.1f s", opts->out_path, lle_now_s() - t0);
    if (meta != NULL)
        gguf_free(meta);
    if (j.tmp_base[0] != '\0')
        unlink(j.tmp_base);
    if (st != LLE_OK && j.out_made)
        unlink(j.tmp_out);
    return st;
}
