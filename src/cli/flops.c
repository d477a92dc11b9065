/* flops.c — the `flops` subcommand: FLOPs of a workload on a GGUF model, two
 * ways side by side — the architecture formula (model FLOPs) and the count of
 * llama.cpp's real graph (executed FLOPs, from a cached or freshly calibrated
 * fit) — split into prefill and decode and by component (attention
 * projections, attention scores, FFN, LM head, other), with FLOPs per token.
 * Uses only the public library API. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lle/flops.h"

static const char USAGE[] = "usage: llm-efficiency flops MODEL --prompt-len P --gen-len G [options]\n"
                            "\n"
                            "FLOPs of decoding B sequences of P prompt tokens generating G tokens each, as the\n"
                            "runner schedules them: model FLOPs (architecture formula, GGUF hyperparameters) and\n"
                            "executed FLOPs (llama.cpp's graph, counted in a short calibration, cached per\n"
                            "architecture). See docs/flops.md.\n"
                            "\n"
                            "options:\n"
                            "  --prompt-len P            prompt tokens per sequence (required)\n"
                            "  --gen-len G               generated tokens per sequence (required; G-1 decode steps)\n"
                            "  --batch B                 sequences decoded together (default 1)\n"
                            "  --flash-attn auto|on|off  flash attention of the counted graph (default auto)\n"
                            "  --kv-type TYPE            KV cache type: f16 (default), q8_0, q4_0, f32, bf16, ...\n"
                            "  --n-batch N, --n-ubatch N llama.cpp logical/physical batch (default: as run single)\n"
                            "  --threads N               calibration threads (default: all cores)\n"
                            "  --model-only              formula only: no llama.cpp graph, no calibration\n"
                            "  --no-cache                calibrate even when a cached fit exists; write none\n"
                            "  --cache-dir DIR           fit cache (default $LLE_CACHE_DIR/flops or ~/.cache/...)\n"
                            "  --json                    print a JSON object instead of the table\n"
                            "  -h, --help                this help\n";

typedef struct flops_opts {
    const char *model;
    lle_flops_workload w;
    lle_flops_settings s;
    bool model_only, json;
} flops_opts;

typedef struct flops_out {
    lle_model_info info;
    lle_flops_summary sum;
} flops_out;

/* `--name value` or `--name=value` at argv[*i]: 1 matched, 0 not this flag, -1 value missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0 || (argv[*i][n] != '\0' && argv[*i][n] != '='))
        return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_errorf("%s: a value is required", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

static bool parse_count(const char *flag, const char *v, long long max, int *out)
{
    long long n = 0;

    if (!cli_parse_int(flag, v, 1, max, &n))
        return false;
    *out = (int)n;
    return true;
}

/* 1 matched and parsed, 0 not a numeric flag, -1 error printed. */
static int parse_numeric(int argc, char **argv, int *i, flops_opts *o)
{
    static const struct {
        const char *name;
        size_t off;
        long long max;
    } flags[] = {
        {"--prompt-len", offsetof(lle_flops_workload, n_prompt), 1 << 24},
        {"--gen-len", offsetof(lle_flops_workload, n_gen), 1 << 24},
        {"--batch", offsetof(lle_flops_workload, n_seqs), 4096},
        {"--n-batch", offsetof(lle_flops_workload, n_batch), 1 << 20},
        {"--n-ubatch", offsetof(lle_flops_workload, n_ubatch), 1 << 20},
    };
    const char *v = NULL;
    int m;

    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        if ((m = opt_value(argc, argv, i, flags[k].name, &v)) != 0)
            return m < 0 || !parse_count(flags[k].name, v, flags[k].max, (int *)((char *)&o->w + flags[k].off)) ? -1
                                                                                                                : 1;
    }
    if ((m = opt_value(argc, argv, i, "--threads", &v)) != 0)
        return m < 0 || !parse_count("--threads", v, 1024, &o->s.n_threads) ? -1 : 1;
    return 0;
}

/* 1 matched and parsed, 0 not a settings flag, -1 error printed. */
static int parse_setting(int argc, char **argv, int *i, flops_opts *o)
{
    const char *v = NULL;
    int m;

    if ((m = opt_value(argc, argv, i, "--flash-attn", &v)) != 0) {
        if (m < 0)
            return -1;
        o->s.flash_attn = strcmp(v, "on") == 0 ? 1 : strcmp(v, "off") == 0 ? 0 : strcmp(v, "auto") == 0 ? -1 : -2;
        if (o->s.flash_attn == -2)
            cli_errorf("--flash-attn: '%s' is not one of auto, on, off", v);
        return o->s.flash_attn == -2 ? -1 : 1;
    }
    if ((m = opt_value(argc, argv, i, "--kv-type", &o->s.kv_type)) != 0 ||
        (m = opt_value(argc, argv, i, "--cache-dir", &o->s.cache_dir)) != 0)
        return m;
    return 0;
}

/* CLI_OK, CLI_USAGE (error printed) or -1 for --help. */
static int parse(int argc, char **argv, flops_opts *o)
{
    lle_error err = {0};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int m;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(USAGE, stdout);
            return -1;
        }
        if ((m = parse_numeric(argc, argv, &i, o)) != 0 || (m = parse_setting(argc, argv, &i, o)) != 0) {
            if (m < 0)
                return CLI_USAGE;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--model-only") == 0) {
            o->model_only = true;
        } else if (strcmp(a, "--no-cache") == 0) {
            o->s.no_cache = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_errorf("flops: unknown option '%s' (see llm-efficiency flops --help)", a);
            return CLI_USAGE;
        } else if (o->model != NULL) {
            cli_errorf("flops: unexpected argument '%s' (one MODEL only)", a);
            return CLI_USAGE;
        } else {
            o->model = a;
        }
    }
    if (o->model == NULL || o->w.n_prompt == 0 || o->w.n_gen == 0) {
        cli_errorf("flops: %s is required (usage: flops MODEL --prompt-len P --gen-len G)", o->model == NULL ? "MODEL"
                                                                                            : o->w.n_prompt == 0
                                                                                                ? "--prompt-len"
                                                                                                : "--gen-len");
        return CLI_USAGE;
    }
    return lle_flops_workload_resolve(&o->w, &o->w, &err) == LLE_OK ? CLI_OK : cli_fail(&err);
}

static void scale_parts(lle_flops_parts *p, uint64_t k)
{
    for (int i = 0; i < LLE_FLOPS_N_PARTS; i++)
        p->part[i] *= k;
    p->total *= k;
}

static int compute(const flops_opts *o, flops_out *r)
{
    lle_flops_summary *s = &r->sum;
    lle_error err = {0};
    uint64_t b = (uint64_t)o->w.n_seqs;

    if (lle_model_inspect(o->model, &r->info, &err) != LLE_OK || lle_flops_model_check(&r->info, &err) != LLE_OK)
        return cli_fail(&err);
    lle_flops_model_request(&r->info, (uint64_t)o->w.n_prompt, (uint64_t)o->w.n_gen, &s->model_prefill,
                            &s->model_decode);
    scale_parts(&s->model_prefill, b);
    scale_parts(&s->model_decode, b);
    s->has_model = true;
    s->n_input_tokens = b * (uint64_t)o->w.n_prompt;
    s->n_output_tokens = b * (uint64_t)o->w.n_gen;
    if (o->model_only)
        return CLI_OK;
    if (lle_flops_calibrate(o->model, &o->s, &s->fit, &err) != LLE_OK ||
        lle_flops_fit_workload(&s->fit, &o->w, &s->exec_prefill, &s->exec_decode, &err) != LLE_OK)
        return cli_fail(&err);
    s->has_executed = true;
    return CLI_OK;
}

/* 1234567890 -> "1.235 GFLOP" */
static const char *human(double v, char *buf, size_t size)
{
    static const char *const units[] = {"", "k", "M", "G", "T", "P", "E"};
    int u = 0;

    while (v >= 1000.0 && u < 6) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, size, u == 0 ? "%.0f %sFLOP" : "%.3f %sFLOP", v, units[u]);
    return buf;
}

static void print_row(const char *label, uint64_t model, uint64_t exec, bool has_exec)
{
    char a[32], b[32];

    if (has_exec && model > 0)
        printf("  %-24s %16s %18s %10.3f\n", label, human((double)model, a, sizeof a), human((double)exec, b, sizeof b),
               (double)exec / (double)model);
    else if (has_exec)
        printf("  %-24s %16s %18s %10s\n", label, human((double)model, a, sizeof a), human((double)exec, b, sizeof b),
               "-");
    else
        printf("  %-24s %16s\n", label, human((double)model, a, sizeof a));
}

static void print_phase(const char *title, const lle_flops_parts *m, const lle_flops_parts *e, bool has_exec)
{
    static const lle_flops_parts zero;
    static const char *const labels[LLE_FLOPS_N_PARTS] = {"attention projections", "attention scores", "ffn", "lm head",
                                                          "other"};

    printf("%s\n", title);
    if (e == NULL)
        e = &zero;
    for (int k = 0; k < LLE_FLOPS_N_PARTS; k++)
        print_row(labels[k], m->part[k], e->part[k], has_exec);
    print_row("total", m->total, e->total, has_exec);
}

static void print_header(const flops_opts *o, const flops_out *r)
{
    const lle_flops_fit *f = &r->sum.fit;

    printf("model         %s (%s, %s, %llu parameters)\n", o->model, r->info.arch, r->info.file_type,
           (unsigned long long)r->info.n_params);
    printf("workload      batch %d x (prompt %d + generate %d tokens): 1 prefill pass, %d decode steps\n", o->w.n_seqs,
           o->w.n_prompt, o->w.n_gen, o->w.n_gen - 1);
    if (!r->sum.has_executed) {
        printf("executed      not counted (--model-only)\n\n");
        return;
    }
    if (strcmp(f->source, "cache") == 0)
        printf("executed      fit from the cache (fingerprint %s, calibrated in %.2f s)\n", f->fingerprint,
               f->calibration_seconds);
    else
        printf("executed      fit calibrated in %.2f s, checked at %u extra shapes (fingerprint %s)\n",
               f->calibration_seconds, f->n_check_points, f->fingerprint);
    printf("              flash attention %s, KV %s, KV span min %u pad %u, llama.cpp %s%s%s\n\n",
           f->flash_attn_used ? "on" : "off", f->kv_type, f->kv_span_min, f->kv_span_pad, f->llama_release,
           f->uncounted_ops[0] ? ", ops without a rule: " : "", f->uncounted_ops);
}

static void print_table(const flops_opts *o, const flops_out *r)
{
    const lle_flops_summary *s = &r->sum;
    bool ex = s->has_executed;
    lle_flops_parts mt = s->model_prefill, et = s->exec_prefill;
    uint64_t steps = (uint64_t)o->w.n_seqs * (uint64_t)(o->w.n_gen - 1);

    lle_flops_parts_add(&mt, &s->model_decode);
    lle_flops_parts_add(&et, &s->exec_decode);
    print_header(o, r);
    printf("  %-24s %16s %18s %10s\n", "", "model (formula)", ex ? "executed (graph)" : "", ex ? "exec/model" : "");
    print_phase("prefill", &s->model_prefill, ex ? &s->exec_prefill : NULL, ex);
    print_phase("decode", &s->model_decode, ex ? &s->exec_decode : NULL, ex);
    print_phase("prefill + decode", &mt, ex ? &et : NULL, ex);
    printf("per token\n");
    print_row("prefill, per prompt tok", s->model_prefill.total / s->n_input_tokens,
              s->exec_prefill.total / s->n_input_tokens, ex);
    if (steps > 0)
        print_row("decode, per step token", s->model_decode.total / steps, s->exec_decode.total / steps, ex);
    print_row("all, per output token", mt.total / s->n_output_tokens, et.total / s->n_output_tokens, ex);
}

static int print_json(const flops_opts *o, const flops_out *r)
{
    char *model = lle_model_info_to_json(&r->info), *flops = lle_flops_summary_to_json(&r->sum);
    char *fit = r->sum.has_executed ? lle_flops_fit_to_json(&r->sum.fit) : NULL;
    int rc = CLI_OK;

    if (model == NULL || flops == NULL || (r->sum.has_executed && fit == NULL)) {
        cli_errorf("out of memory");
        rc = CLI_FAILED;
    } else {
        printf("{\n\"model\": %s,\n\"workload\": {\"batch\": %d, \"prompt_len\": %d, \"gen_len\": %d, "
               "\"n_batch\": %d, \"n_ubatch\": %d},\n\"flops\": %s,\n\"fit\": %s\n}\n",
               model, o->w.n_seqs, o->w.n_prompt, o->w.n_gen, o->w.n_batch, o->w.n_ubatch, flops,
               fit != NULL ? fit : "null");
    }
    free(model);
    free(flops);
    free(fit);
    return rc;
}

int cli_flops(int argc, char **argv)
{
    flops_opts o;
    flops_out *r = NULL;
    int rc;

    memset(&o, 0, sizeof o);
    lle_flops_settings_init(&o.s);
    o.w.n_seqs = 1;
    rc = parse(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        cli_errorf("out of memory");
        return CLI_FAILED;
    }
    rc = compute(&o, r);
    if (rc == CLI_OK && o.json)
        rc = print_json(&o, r);
    else if (rc == CLI_OK)
        print_table(&o, r);
    free(r);
    return rc;
}
