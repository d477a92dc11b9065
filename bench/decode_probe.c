/* decode_probe.c — diagnostic for bench/run_single_vs_llama_bench.sh: splits
 * batch-1 decode time into llama_decode() and sampling, with and without a
 * persistent CPU threadpool, at KV depth 0 and after a prompt, so a gap between
 * `llm-efficiency run single` and llama-bench can be attributed to a cause.
 *
 *   decode_probe MODEL THREADS PP TG REPS
 *
 * Per configuration it prints one JSON line:
 *   threadpool  "attached" (like llama-bench: ggml_threadpool_new + llama_attach_threadpool,
 *               poll 50) or "none" (like run single: ggml creates a throw-away pool for
 *               every graph when no pool is attached and ggml has no OpenMP)
 *   depth       tokens in the KV cache before the TG decoded tokens (0 or PP)
 *   sampler     "none" (random next token, like llama-bench) or "greedy+bias" (run single's
 *               chain: logit bias -inf on every EOG token, then greedy)
 *   pp_tok_s    PP / time of the prompt llama_decode (depth PP only)
 *   decode_tok_s  TG / time inside llama_decode only
 *   step_tok_s    TG / time of decode + sampling (what run single's timestamps see)
 *   sample_us     time of one llama_sampler_sample()
 * Each is the median over REPS measured passes (robust to stalls on a shared
 * machine); one unmeasured warm-up pass precedes them.
 * Built by bench/build_llama_bench.sh; not part of the main build. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

#ifndef PROBE_BACKEND_DIR
#define PROBE_BACKEND_DIR NULL
#endif

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void quiet(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

static struct llama_sampler *make_sampler(const struct llama_vocab *vocab)
{
    struct llama_sampler_chain_params sp = llama_sampler_chain_default_params();
    int n_vocab = llama_vocab_n_tokens(vocab), n_bias = 0;
    llama_logit_bias *bias = calloc((size_t)n_vocab, sizeof *bias);
    struct llama_sampler *s;

    sp.no_perf = true;
    s = llama_sampler_chain_init(sp);
    for (int t = 0; bias != NULL && t < n_vocab; t++)
        if (llama_vocab_is_eog(vocab, t)) {
            bias[n_bias].token = t;
            bias[n_bias].bias = -INFINITY;
            n_bias++;
        }
    if (n_bias > 0)
        llama_sampler_chain_add(s, llama_sampler_init_logit_bias(n_vocab, n_bias, bias));
    free(bias);
    llama_sampler_chain_add(s, llama_sampler_init_greedy());
    return s;
}

typedef struct {
    double pp_s, decode_s, sample_s;
} pass_times;

/* One pass: optional prompt of `depth` tokens, then tg single-token decodes. */
static int one_pass(struct llama_context *ctx, struct llama_sampler *smpl, int n_vocab, int depth, int tg,
                    pass_times *pt)
{
    llama_token *prompt = malloc((size_t)(depth > 0 ? depth : 1) * sizeof *prompt);
    llama_token tok = 1;
    double t0;

    if (prompt == NULL)
        return -1;
    pt->pp_s = pt->decode_s = pt->sample_s = 0.0;
    llama_memory_clear(llama_get_memory(ctx), true);
    if (smpl != NULL)
        llama_sampler_reset(smpl);
    if (depth > 0) {
        for (int i = 0; i < depth; i++)
            prompt[i] = 1 + rand() % (n_vocab - 1);
        t0 = now_s();
        if (llama_decode(ctx, llama_batch_get_one(prompt, depth)) != 0) {
            free(prompt);
            return -1;
        }
        llama_synchronize(ctx);
        pt->pp_s = now_s() - t0;
    }
    free(prompt);
    for (int i = 0; i < tg; i++) {
        t0 = now_s();
        if (llama_decode(ctx, llama_batch_get_one(&tok, 1)) != 0)
            return -1;
        llama_synchronize(ctx);
        pt->decode_s += now_s() - t0;
        t0 = now_s();
        if (smpl != NULL)
            tok = llama_sampler_sample(smpl, ctx, -1);
        else
            tok = 1 + rand() % (n_vocab - 1);
        pt->sample_s += now_s() - t0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct llama_model_params mp = llama_model_default_params();
    struct llama_context_params cp = llama_context_default_params();
    struct llama_model *model;
    ggml_backend_reg_t cpu_reg;
    struct ggml_threadpool *(*tp_new)(struct ggml_threadpool_params *);
    void (*tp_free)(struct ggml_threadpool *);
    int threads, pp, tg, reps, n_vocab;

    if (argc != 6) {
        fprintf(stderr, "usage: %s MODEL THREADS PP TG REPS\n", argv[0]);
        return 2;
    }
    threads = atoi(argv[2]);
    pp = atoi(argv[3]);
    tg = atoi(argv[4]);
    reps = atoi(argv[5]);
    if (threads < 1 || pp < 1 || tg < 1 || reps < 1) {
        fprintf(stderr, "decode_probe: THREADS, PP, TG and REPS must be positive\n");
        return 2;
    }
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(PROBE_BACKEND_DIR);
    cpu_reg = ggml_backend_dev_backend_reg(ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU));
    if (cpu_reg == NULL) {
        fprintf(stderr, "decode_probe: no CPU backend loaded\n");
        return 1;
    }
    tp_new = (struct ggml_threadpool * (*)(struct ggml_threadpool_params *))
        ggml_backend_reg_get_proc_address(cpu_reg, "ggml_threadpool_new");
    tp_free = (void (*)(struct ggml_threadpool *))ggml_backend_reg_get_proc_address(cpu_reg, "ggml_threadpool_free");
    llama_backend_init();
    model = llama_model_load_from_file(argv[1], mp);
    if (model == NULL) {
        fprintf(stderr, "decode_probe: cannot load %s\n", argv[1]);
        return 1;
    }
    n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    cp.n_ctx = (uint32_t)(pp + tg);
    cp.n_batch = cp.n_ubatch = (uint32_t)(pp < 512 ? pp : 512);
    cp.n_seq_max = 1;
    cp.n_threads = cp.n_threads_batch = threads;
    cp.no_perf = true;
    if ((int)cp.n_batch < pp)
        cp.n_batch = (uint32_t)pp; /* one llama_decode for the prompt, split into ubatches */

    for (int attach = 0; attach < 2; attach++) {
        struct llama_context *ctx = llama_init_from_model(model, cp);
        struct ggml_threadpool *tp = NULL;
        struct llama_sampler *greedy;

        if (ctx == NULL) {
            fprintf(stderr, "decode_probe: cannot create a context\n");
            return 1;
        }
        if (attach) {
            struct ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
            if (tp_new == NULL || (tp = tp_new(&tpp)) == NULL) {
                fprintf(stderr, "decode_probe: cannot create a threadpool\n");
                return 1;
            }
            llama_attach_threadpool(ctx, tp, NULL);
        }
        greedy = make_sampler(llama_model_get_vocab(model));
        for (int depth_i = 0; depth_i < 2; depth_i++) {
            int depth = depth_i ? pp : 0;
            for (int s = 0; s < 2; s++) {
                struct llama_sampler *smpl = s ? greedy : NULL;
                double *m = calloc((size_t)reps * 4, sizeof *m);
                pass_times pt;

                if (m == NULL)
                    return 1;

                if (one_pass(ctx, smpl, n_vocab, depth, tg, &pt) != 0) { /* warm-up */
                    fprintf(stderr, "decode_probe: llama_decode failed\n");
                    return 1;
                }
                for (int r = 0; r < reps; r++) {
                    if (one_pass(ctx, smpl, n_vocab, depth, tg, &pt) != 0) {
                        fprintf(stderr, "decode_probe: llama_decode failed\n");
                        return 1;
                    }
                    m[r] = depth > 0 ? depth / pt.pp_s : 0.0;
                    m[reps + r] = tg / pt.decode_s;
                    m[2 * reps + r] = tg / (pt.decode_s + pt.sample_s);
                    m[3 * reps + r] = pt.sample_s / tg * 1e6;
                }
                printf("{\"threadpool\": \"%s\", \"threads\": %d, \"depth\": %d, \"sampler\": \"%s\", "
                       "\"pp_tok_s\": %.3f, \"decode_tok_s\": %.3f, \"step_tok_s\": %.3f, \"sample_us\": %.2f}\n",
                       attach ? "attached" : "none", threads, depth, s ? "greedy+bias" : "none", median(m, reps),
                       median(m + reps, reps), median(m + 2 * reps, reps), median(m + 3 * reps, reps));
                fflush(stdout);
                free(m);
            }
        }
        llama_sampler_free(greedy);
        llama_free(ctx);
        if (tp != NULL && tp_free != NULL)
            tp_free(tp);
    }
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
