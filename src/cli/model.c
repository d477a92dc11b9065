/* model.c — the `model` subcommand: `model inspect FILE [--json]` reports a
 * GGUF model's hyperparameters, tensor types and sizes; `model synth` writes a
 * preset's architecture with seeded random weights; `model presets` lists the
 * presets and weight types. Uses only the public library API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char USAGE[] = "usage: llm-efficiency model <command> [<args>]\n"
                            "\n"
                            "commands:\n"
                            "  inspect FILE [--json]   hyperparameters, tensor types and sizes of a GGUF model\n"
                            "  synth --preset NAME [--type T] [--seed N] [-o FILE] [--vocab-dir DIR] [--threads N]\n"
                            "                          write a GGUF with the preset's architecture, a real tokenizer\n"
                            "                          and seeded random weights (same seed: same bytes)\n"
                            "  presets [--json]        list presets (published configs) and weight types\n"
                            "\n"
                            "synth options:\n"
                            "  --preset NAME     tinyllama-1.1b, llama-3.2-1b, llama-3.2-3b, qwen2.5-0.5b, tiny\n"
                            "  --type T          weight type as llama-quantize names it (default f16): f32, f16,\n"
                            "                    bf16, q8_0, q6_k, q5_k_m, q4_k_m, q4_0, iq4_xs, q3_k_m, q2_k, ...\n"
                            "  --seed N          weight seed, a non-negative integer (default 0)\n"
                            "  -o, --output FILE destination (default ./<preset>-<type>.gguf)\n"
                            "  --vocab-dir DIR   directory of ggml-vocab-*.gguf (default: $LLE_VOCAB_DIR or built-in)\n"
                            "  --threads N       quantisation threads (default: all cores)\n";

/* Matches `name` or `name=value` at argv[*i]. 1: matched (value in *val),
 * 0: another argument, -1: the value is missing (error printed). */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_errorf("%s: a value is required", name);
        return -1;
    }
    *i += 1;
    *val = argv[*i];
    return 1;
}

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* 1234567 -> "1,234,567" */
static const char *group(uint64_t v, char *buf, size_t size)
{
    char raw[32];
    size_t n = (size_t)snprintf(raw, sizeof raw, "%llu", (unsigned long long)v), o = 0;

    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double mib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

static void print_info(const lle_model_info *m)
{
    char a[32], b[32];

    printf("file          %s\n", m->path);
    printf("size          %.1f MiB (%s bytes)\n", mib(m->file_bytes), group(m->file_bytes, a, sizeof a));
    printf("name          %s\n", m->name[0] ? m->name : "-");
    printf("arch          %s\n", m->arch);
    printf("file type     %s\n", m->file_type);
    printf("parameters    %s\n", group(m->n_params, a, sizeof a));
    printf("layers        %u\n", m->n_layer);
    printf("embedding     %u\n", m->n_embd);
    printf("heads         %u (kv %u), head dim %u/%u\n", m->n_head, m->n_head_kv, m->head_dim_k, m->head_dim_v);
    printf("ffn           %u\n", m->n_ff);
    if (m->n_expert > 0)
        printf("experts       %u (%u used)\n", m->n_expert, m->n_expert_used);
    printf("vocab         %u\n", m->n_vocab);
    printf("context       %u (training)\n", m->n_ctx_train);
    printf("rope          %u dims, base %g\n", m->n_rot, (double)m->rope_freq_base);
    printf("norm eps      %g\n", (double)m->norm_eps);
    printf("tied embd     %s\n", m->tied_embeddings ? "yes" : "no");
    printf("tokenizer     %s%s%s%s\n", m->tokenizer_model[0] ? m->tokenizer_model : "-",
           m->tokenizer_pre[0] ? " (pre: " : "", m->tokenizer_pre, m->tokenizer_pre[0] ? ")" : "");
    printf("tensors       %s, %s bytes, %.2f bits per weight\n", group(m->n_tensors, a, sizeof a),
           group(m->tensor_bytes, b, sizeof b), m->bits_per_weight);
    printf("types         %-8s %8s %16s %12s\n", "type", "tensors", "elements", "MiB");
    for (size_t i = 0; i < m->n_types; i++)
        printf("              %-8s %8u %16s %12.1f\n", m->types[i].type, m->types[i].n_tensors,
               group(m->types[i].n_elements, a, sizeof a), mib(m->types[i].n_bytes));
}

static int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    lle_model_info *info;
    lle_error err = {0};
    int rc = CLI_OK;

    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs("usage: llm-efficiency model inspect FILE [--json]\n", stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_errorf("model inspect: unknown option '%s'", argv[i]);
            return CLI_USAGE;
        } else if (path != NULL) {
            cli_errorf("model inspect: unexpected argument '%s' (one FILE only)", argv[i]);
            return CLI_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        cli_errorf("model inspect: a FILE is required (usage: model inspect FILE [--json])");
        return CLI_USAGE;
    }
    info = malloc(sizeof *info);
    if (info == NULL) {
        cli_errorf("out of memory");
        return CLI_FAILED;
    }
    if (lle_model_inspect(path, info, &err) != LLE_OK) {
        rc = cli_fail(&err);
    } else if (json) {
        char *s = lle_model_info_to_json(info);
        if (s != NULL)
            printf("%s\n", s);
        rc = s != NULL ? CLI_OK : CLI_FAILED;
        free(s);
    } else {
        print_info(info);
    }
    free(info);
    return rc;
}

/* Returns CLI_OK, CLI_USAGE (error printed) or -1 for --help (usage printed). */
static int parse_synth(int argc, char **argv, lle_synth_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        long long n = 0;
        int m;

        if (is_help(argv[i])) {
            fputs(USAGE, stdout);
            return -1;
        }
        if ((m = opt_value(argc, argv, &i, "--preset", &o->preset)) != 0 ||
            (m = opt_value(argc, argv, &i, "--type", &o->type)) != 0 ||
            (m = opt_value(argc, argv, &i, "--output", &o->out_path)) != 0 ||
            (m = opt_value(argc, argv, &i, "-o", &o->out_path)) != 0 ||
            (m = opt_value(argc, argv, &i, "--vocab-dir", &o->vocab_dir)) != 0) {
            if (m < 0)
                return CLI_USAGE;
        } else if ((m = opt_value(argc, argv, &i, "--seed", &v)) != 0) {
            if (m < 0 || !cli_parse_u64("--seed", v, &o->seed))
                return CLI_USAGE;
        } else if ((m = opt_value(argc, argv, &i, "--threads", &v)) != 0) {
            if (m < 0 || !cli_parse_int("--threads", v, 1, 1024, &n))
                return CLI_USAGE;
            o->n_threads = (int)n;
        } else {
            cli_errorf("model synth: %s '%s' (see llm-efficiency model --help)",
                       argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
            return CLI_USAGE;
        }
    }
    if (o->preset == NULL) {
        cli_errorf("model synth: --preset is required (see llm-efficiency model presets)");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int cmd_synth(int argc, char **argv)
{
    lle_synth_opts o = {0};
    lle_model_info *info = NULL;
    lle_error err = {0};
    char path[4096], a[32];
    double t0;
    int rc = parse_synth(argc, argv, &o);

    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (o.type == NULL)
        o.type = "f16";
    if (o.out_path == NULL) {
        if ((size_t)snprintf(path, sizeof path, "%s-%s.gguf", o.preset, o.type) >= sizeof path) {
            cli_errorf("model synth: --preset/--type too long");
            return CLI_USAGE;
        }
        o.out_path = path;
    }
    t0 = now_s();
    if (lle_model_synth(&o, &err) != LLE_OK)
        return cli_fail(&err);
    info = malloc(sizeof *info);
    if (info == NULL || lle_model_inspect(o.out_path, info, &err) != LLE_OK) {
        free(info);
        return info == NULL ? CLI_FAILED : cli_fail(&err);
    }
    printf("wrote %s\n", o.out_path);
    printf("  preset %s, type %s, seed %llu, %.1f s\n", o.preset, o.type, (unsigned long long)o.seed, now_s() - t0);
    printf("  %s parameters, %.1f MiB, %.2f bits per weight\n", group(info->n_params, a, sizeof a),
           mib(info->file_bytes), info->bits_per_weight);
    free(info);
    return CLI_OK;
}

static void print_presets(void)
{
    char a[32];

    printf("%-15s %-6s %6s %6s %5s %4s %6s %7s %8s %15s  %s\n", "preset", "arch", "layers", "embd", "heads", "kv",
           "ffn", "vocab", "ctx", "parameters", "source");
    for (size_t i = 0; i < lle_preset_count(); i++) {
        const lle_preset *p = lle_preset_at(i);
        printf("%-15s %-6s %6u %6u %5u %4u %6u %7u %8u %15s  %s\n", p->name, p->arch, p->n_layer, p->n_embd, p->n_head,
               p->n_head_kv, p->n_ff, p->n_vocab, p->n_ctx_train, group(lle_preset_param_count(p), a, sizeof a),
               p->source);
    }
    printf("\ntypes:");
    for (size_t i = 0; i < lle_model_type_count(); i++)
        printf(" %s", lle_model_type_at(i));
    printf("\n");
}

static int cmd_presets(int argc, char **argv)
{
    bool json = false;

    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs("usage: llm-efficiency model presets [--json]\n", stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else {
            cli_errorf("model presets: %s '%s'", argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
            return CLI_USAGE;
        }
    }
    if (json) {
        char *s = lle_presets_to_json();
        if (s == NULL) {
            cli_errorf("out of memory");
            return CLI_FAILED;
        }
        printf("%s\n", s);
        free(s);
    } else {
        print_presets();
    }
    return CLI_OK;
}

int cli_model(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "inspect") == 0)
        return cmd_inspect(argc - 1, argv + 1);
    if (strcmp(argv[1], "synth") == 0)
        return cmd_synth(argc - 1, argv + 1);
    if (strcmp(argv[1], "presets") == 0)
        return cmd_presets(argc - 1, argv + 1);
    cli_errorf("model: unknown command '%s' (inspect, synth, presets; see llm-efficiency model --help)", argv[1]);
    return CLI_USAGE;
}
