/* synth_internal.h — internals of the model module shared by presets.c,
 * synth.c, inspect.c and the unit tests: the tensor list a preset synthesises,
 * the metadata-only build step (no weights), the post-write file check, and
 * small helpers. Not installed; the unit tests link the library's objects
 * directly, so they can call these. */
#ifndef LLE_SYNTH_INTERNAL_H
#define LLE_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ggml.h"
#include "gguf.h"
#include "lle/model.h"

typedef enum lle_synth_kind {
    LLE_SYNTH_MATRIX, /* weight matrix or embedding: random, std 0.02 */
    LLE_SYNTH_NORM,   /* RMS-norm weight: 1.0 */
    LLE_SYNTH_BIAS    /* projection bias: 0.0 */
} lle_synth_kind;

typedef struct lle_synth_tensor {
    char name[64];
    int64_t ne0, ne1; /* ggml order: ne0 = row length; ne1 = 1 for vectors */
    lle_synth_kind kind;
} lle_synth_tensor;

/* The tensors of `p`, exactly those llama.cpp's loader creates for the
 * architecture (no output.weight when tied; Q/K/V biases for qwen2). Writes at
 * most `cap` entries to `out` (may be NULL) and returns the full count. */
size_t lle_synth_tensor_specs(const lle_preset *p, lle_synth_tensor *out, size_t cap);

/* Kind of a tensor from its name (used by the fill callback). */
lle_synth_kind lle_synth_kind_of(const char *name);

/* Metadata of the model to synthesise: tokenizer.* keys copied from
 * `vocab_path` (padded with placeholder tokens up to n_vocab when the file has
 * fewer), general.* and <arch>.* keys, and one tensor info per tensor with
 * matrices of type `mat_type` (F32/F16/BF16) and vectors F32. No weights are
 * read or written. Errors: NOT_FOUND (vocab missing), FORMAT (not a GGUF
 * tokenizer, or more tokens than the preset's n_vocab), NOMEM. */
lle_status lle_synth_build_meta(const lle_preset *p, const char *vocab_path, enum ggml_type mat_type,
                                struct gguf_context **out, lle_error *err);

/* Checks a GGUF file that was just written: it parses, holds `n_tensors`
 * tensors (skipped when 0) and its tensor data fits within the file.
 * Errors: FORMAT / IO naming `path`. */
lle_status lle_gguf_check_file(const char *path, int64_t n_tensors, lle_error *err);

/* LLE_OK when `path` opens and starts with the GGUF magic; else IO or FORMAT
 * ("<what><path>: not a GGUF file or truncated"). Checked before gguf.h parses
 * a file so that the common "wrong file" case does not make gguf.h log an
 * error of its own. */
lle_status lle_gguf_check_magic(const char *path, const char *what, lle_error *err);

/* Lower-case name of an llama_ftype value ("q4_k_m"), NULL when unknown. */
const char *lle_model_type_name(int ftype);

/* A float as the double its shortest decimal form denotes, for clean JSON. */
double lle_json_float(float v);

#endif
