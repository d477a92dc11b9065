/* run.c — `llm-efficiency run single`: parse flags into an lle_run_config, run
 * the experiment with a TTY-only progress bar, save the result JSON into the
 * results directory, and print a table (or the JSON with --json). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lle/config.h"
#ifdef LLE_MPI
#include "lle/cluster.h"
#endif

static const char RUN_USAGE[] =
    "usage: llm-efficiency run single [CONFIG] (--model FILE | --preset NAME) [options]\n"
    "       llm-efficiency run models|controlled|scenarios|grid CONFIG [options]  (campaigns:\n"
    "       see llm-efficiency run grid --help and docs/campaigns.md)\n"
    "\n"
    "Run one measured experiment in-process through llama.cpp. CONFIG, a YAML or\n"
    "JSON experiment file (docs/config-files.md), comes first; flags override it.\n"
    "Under mpirun (builds with -DLLE_MPI=ON) the ranks share the prompts and rank 0\n"
    "reports the merged experiment (docs/cluster.md).\n"
    "\n"
    "model and engine:\n"
    "  --model FILE              GGUF model file\n"
    "  --preset NAME             synthesised preset (cached), see `model presets`\n"
    "  --type TYPE               weight type of the preset model (default q4_k_m)\n"
    "  --kv-type TYPE            KV cache type: f16 (default), q8_0, q4_0, f32, bf16, ...\n"
    "  --flash-attn auto|on|off  flash attention (default auto)\n"
    "  --ctx N                   context cells (default: batch x (input + output tokens))\n"
    "  --threads N               decode threads (default: all cores)\n"
    "  --threads-batch N         prompt-processing threads (default: --threads)\n"
    "  --n-batch N, --n-ubatch N llama.cpp logical/physical batch (default 512)\n"
    "  --ngl N                   layers offloaded to the GPU (GPU builds)\n"
    "  --split-mode none|layer|row, --main-gpu N, --tensor-split A,B,...  (GPU builds)\n"
    "batching:\n"
    "  --batch-size N            prompts decoded together (default 1)\n"
    "  --adaptive-batching TOKENS  group prompts longest first under this token budget\n"
    "  --adaptive-max-batch N    most prompts in an adaptive batch (default 100)\n"
    "decoding:\n"
    "  --decoding-preset NAME    deterministic | standard | creative | factual\n"
    "  --temperature X           0 = greedy (default)\n"
    "  --top-k N, --top-p X, --min-p X, --repeat-penalty X, --repeat-last-n N\n"
    "  --no-ignore-eos           stop at end-of-generation (default: ignore it)\n"
    "  --min-output-tokens N     with --no-ignore-eos: no EOS before N tokens\n"
    "  --seed N                  seed of prompts, order, traffic and sampling (default 42)\n"
    "workload:\n"
    "  --prompts N               number of prompts (default 8)\n"
    "  --prompt-file FILE        JSONL (prompt/text field) or ShareGPT JSON; default synthetic\n"
    "  --prompt-format F         auto (default) | jsonl | sharegpt\n"
    "  --prompt-order O          as_given (default) | sorted | shuffled\n"
    "  --max-input-tokens N      prompts cut to N tokens; synthetic length (default 128)\n"
    "  --min-input-tokens N      synthetic lengths uniform in [N, max] (default: fixed)\n"
    "  --max-output-tokens N     tokens generated per prompt (default 64)\n"
    "traffic simulation (idle time is not compute time; waiting shows as queue delay):\n"
    "  --traffic MODE            none (default) | constant | uniform | burst | poisson\n"
    "  --delay S                 constant: seconds between batches\n"
    "  --delay-min S, --delay-max S   uniform: seconds between batches\n"
    "  --burst-size N, --burst-interval S   burst: N requests every S seconds\n"
    "  --rate R                  poisson: mean requests per second\n"
    "  --warmup N                unmeasured batches first (default 1)\n"
    "  --repeat N                measured passes over the prompts (default 1)\n"
    "FLOPs and utilisation (docs/flops.md, docs/devices.md):\n"
    "  --no-flops                do not count FLOPs (no calibration pass, no per-decode accounting)\n"
    "  --peak-flops X            peak FLOP/s for MFU (default: `devices --calibrate`)\n"
    "  --peak-bandwidth X        peak bytes/s for MBU (default: `devices --calibrate`)\n"
    "energy (docs/energy.md):\n"
    "  --no-energy               do not measure energy\n"
    "  --energy-interval S       power sampler period (default 0.1)\n"
    "  --idle-baseline S         idle power measured first, cached (default 10; 0 = none)\n"
    "  --baseline-ttl S          reuse a cached baseline younger than this (default 3600)\n"
    "  --energy-sources LIST     rapl,perf,nvml,amdsmi,estimate (default: all found)\n"
    "  --no-energy-estimates     no labelled CPU/RAM estimates where no counter exists\n"
    "  --cpu-tdp W               CPU TDP for estimates (default: looked up)\n"
    "  --carbon-intensity X      g CO2e/kWh, ISO alpha-3 country or cloud region (default 475)\n"
    "  --pue X                   power usage effectiveness (default 1.0)\n"
    "output:\n"
    "  --results-dir DIR         where results are written (default ./results)\n"
    "  --no-save                 do not write results\n"
    "  --json                    print the full result object on stdout\n"
    "  -q, --quiet               errors only;  -v, --verbose  more log output\n"
    "  -h, --help                this help\n";

typedef struct run_opts {
    lle_run_config cfg;
    lle_config *file; /* CONFIG: owns the strings cfg borrows; freed after the run */
    const char *results_dir;
    bool json;
    bool save;
} run_opts;

#define CFG(f) offsetof(run_opts, cfg.f)
#define OPT(f) offsetof(run_opts, f)
#define BIG    16777216.0

static const cli_flag FLAGS[] = {
    {"model", CLI_F_STR, CFG(model_path), 0, 0},
    {"preset", CLI_F_STR, CFG(preset), 0, 0},
    {"type", CLI_F_STR, CFG(preset_type), 0, 0},
    {"kv-type", CLI_F_STR, CFG(kv_type), 0, 0},
    {"ctx", CLI_F_INT, CFG(n_ctx), 1, BIG},
    {"threads", CLI_F_INT, CFG(n_threads), 1, 4096},
    {"threads-batch", CLI_F_INT, CFG(n_threads_batch), 1, 4096},
    {"n-batch", CLI_F_INT, CFG(n_batch), 1, BIG},
    {"n-ubatch", CLI_F_INT, CFG(n_ubatch), 1, BIG},
    {"ngl", CLI_F_INT, CFG(n_gpu_layers), -1, 100000},
    {"split-mode", CLI_F_STR, CFG(split_mode), 0, 0},
    {"main-gpu", CLI_F_INT, CFG(main_gpu), 0, 1024},
    {"batch-size", CLI_F_INT, CFG(batch_size), 1, 4096},
    {"adaptive-batching", CLI_F_INT, CFG(adaptive_tokens), 1, BIG},
    {"adaptive-max-batch", CLI_F_INT, CFG(adaptive_max_batch), 1, 4096},
    {"decoding-preset", CLI_F_STR, CFG(decoding_preset), 0, 0},
    {"temperature", CLI_F_FLOAT, CFG(temperature), 0, 100},
    {"top-k", CLI_F_INT, CFG(top_k), 0, 1000000},
    {"top-p", CLI_F_FLOAT, CFG(top_p), 0, 1},
    {"min-p", CLI_F_FLOAT, CFG(min_p), 0, 1},
    {"repeat-penalty", CLI_F_FLOAT, CFG(repeat_penalty), 0, 100},
    {"repeat-last-n", CLI_F_INT, CFG(repeat_last_n), 0, BIG},
    {"min-output-tokens", CLI_F_INT, CFG(min_output_tokens), 0, BIG},
    {"seed", CLI_F_U64, CFG(seed), 0, 0},
    {"prompts", CLI_F_INT, CFG(n_prompts), 1, 10000000},
    {"prompt-file", CLI_F_STR, CFG(prompt_file), 0, 0},
    {"prompt-format", CLI_F_STR, CFG(prompt_format), 0, 0},
    {"prompt-order", CLI_F_STR, CFG(prompt_order), 0, 0},
    {"max-input-tokens", CLI_F_INT, CFG(max_input_tokens), 1, BIG},
    {"min-input-tokens", CLI_F_INT, CFG(min_input_tokens), 1, BIG},
    {"max-output-tokens", CLI_F_INT, CFG(max_output_tokens), 1, BIG},
    {"traffic", CLI_F_STR, CFG(traffic), 0, 0},
    {"delay", CLI_F_DOUBLE, CFG(delay_s), 0, 86400},
    {"delay-min", CLI_F_DOUBLE, CFG(delay_min_s), 0, 86400},
    {"delay-max", CLI_F_DOUBLE, CFG(delay_max_s), 0, 86400},
    {"burst-size", CLI_F_INT, CFG(burst_size), 1, 10000000},
    {"burst-interval", CLI_F_DOUBLE, CFG(burst_interval_s), 0, 86400},
    {"rate", CLI_F_DOUBLE, CFG(rate), 0, 1e9},
    {"warmup", CLI_F_INT, CFG(warmup), 0, 1000},
    {"repeat", CLI_F_INT, CFG(repeat), 1, 100000},
    {"energy-interval", CLI_F_DOUBLE, CFG(energy_interval_s), 0.01, 60},
    {"idle-baseline", CLI_F_DOUBLE, CFG(idle_baseline_s), 0, 3600},
    {"baseline-ttl", CLI_F_DOUBLE, CFG(baseline_ttl_s), 0, 31536000},
    {"energy-sources", CLI_F_STR, CFG(energy_sources), 0, 0},
    {"cpu-tdp", CLI_F_DOUBLE, CFG(cpu_tdp_w), 0, 10000},
    {"carbon-intensity", CLI_F_STR, CFG(carbon_intensity), 0, 0},
    {"pue", CLI_F_DOUBLE, CFG(pue), 1, 10},
    {"peak-flops", CLI_F_DOUBLE, CFG(peak_flops_per_s), 0, 1e20},
    {"peak-bandwidth", CLI_F_DOUBLE, CFG(peak_bandwidth_bytes_per_s), 0, 1e16},
    {"no-energy", CLI_F_FALSE, CFG(energy), 0, 0},
    {"no-flops", CLI_F_FALSE, CFG(flops), 0, 0},
    {"no-energy-estimates", CLI_F_FALSE, CFG(energy_estimates), 0, 0},
    {"flash-attn", CLI_F_CUSTOM, 0, 0, 0},
    {"tensor-split", CLI_F_CUSTOM, 0, 0, 0},
    {"no-ignore-eos", CLI_F_FALSE, CFG(ignore_eos), 0, 0},
    {"results-dir", CLI_F_STR, OPT(results_dir), 0, 0},
    {"no-save", CLI_F_FALSE, OPT(save), 0, 0},
    {"json", CLI_F_TRUE, OPT(json), 0, 0},
};

static bool parse_tensor_split(const char *val, lle_run_config *cfg)
{
    char buf[512], *save = NULL;
    int n = 0;

    if (snprintf(buf, sizeof buf, "%s", val) >= (int)sizeof buf) {
        cli_errorf("--tensor-split: value too long");
        return false;
    }
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        double d;
        if (n >= LLE_MAX_TENSOR_SPLIT) {
            cli_errorf("--tensor-split: at most %d values", LLE_MAX_TENSOR_SPLIT);
            return false;
        }
        if (!cli_parse_double("--tensor-split", tok, 0, 1e6, &d))
            return false;
        cfg->tensor_split[n++] = (float)d;
    }
    cfg->n_tensor_split = n;
    return true;
}

/* The CLI_F_CUSTOM flags: --flash-attn and --tensor-split. */
static int set_custom(const char *name, const char *val, void *opts)
{
    static const struct {
        const char *name;
        int value;
    } FLASH_ATTN[] = {{"auto", -1}, {"on", 1}, {"off", 0}};
    run_opts *o = opts;

    if (strcmp(name, "tensor-split") == 0)
        return parse_tensor_split(val, &o->cfg) ? -1 : CLI_USAGE;
    for (size_t k = 0; k < sizeof FLASH_ATTN / sizeof FLASH_ATTN[0]; k++) {
        if (strcmp(val, FLASH_ATTN[k].name) == 0) {
            o->cfg.flash_attn = FLASH_ATTN[k].value;
            return -1;
        }
    }
    cli_errorf("--flash-attn: '%s' is not one of auto, on, off", val);
    return CLI_USAGE;
}

static const cli_flag_table RUN_FLAGS = {
    .flags = FLAGS,
    .n_flags = sizeof FLAGS / sizeof FLAGS[0],
    .command = "run single",
    .unknown = "run single",
    .help = "llm-efficiency run single",
    .usage = RUN_USAGE,
    .custom = set_custom,
};

/* Load CONFIG into o->cfg, printing its diagnostics; -1 continue, else exit code. */
static int load_config_file(const char *path, run_opts *o)
{
    lle_error err = {0};
    lle_status st = lle_config_load(path, &o->file, &err);
    char *diags = o->file != NULL ? lle_config_diag_text(o->file) : NULL;

    if (diags != NULL && (st != LLE_OK || cli_verbosity > 0))
        fputs(diags, stderr);
    free(diags);
    if (st != LLE_OK && o->file != NULL) {
        cli_errorf("%s: %zu error(s); nothing was run", path, lle_config_error_count(o->file));
        return CLI_USAGE;
    }
    if (st == LLE_OK)
        st = lle_config_apply(o->file, &o->cfg, &err);
    return st == LLE_OK ? -1 : cli_fail(&err);
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    const char *file_model = NULL, *file_preset = NULL;
    int first = 1, rc;

    lle_run_config_init(&o->cfg);
    o->results_dir = "results";
    o->save = true;
    o->json = false;
    o->file = NULL;
    if (argc > 1 && argv[1][0] != '-') { /* CONFIG first; a model flag replaces its model */
        rc = load_config_file(argv[1], o);
        if (rc >= 0)
            return rc;
        file_model = o->cfg.model_path;
        file_preset = o->cfg.preset;
        o->cfg.model_path = o->cfg.preset = NULL;
        first = 2;
    }
    rc = cli_parse_args(&RUN_FLAGS, argc, argv, first, o);
    if (rc >= 0)
        return rc;
    if (o->cfg.model_path == NULL && o->cfg.preset == NULL) {
        o->cfg.model_path = file_model;
        o->cfg.preset = file_preset;
    }
    if ((o->cfg.model_path == NULL) == (o->cfg.preset == NULL)) {
        cli_errorf("run single: give exactly one of --model FILE or --preset NAME");
        return CLI_USAGE;
    }
    return -1;
}

typedef struct progress_state {
    double t0;
    bool tty;
} progress_state;

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_progress(int done, int total, double tok_s, double watts, const char *how, void *user)
{
    progress_state *p = user;
    double el = wall_now() - p->t0;
    double eta = done > 0 ? el / done * (total - done) : 0.0;
    int width = 24, fill = total > 0 ? done * width / total : 0;

    if (!p->tty)
        return;
    fprintf(stderr, "\r[%.*s%*s] %d/%d requests  %.1f tok/s  %.0fs elapsed  ETA %.0fs", fill,
            "########################", width - fill, "", done, total, tok_s, el, eta);
    if (isfinite(watts))
        fprintf(stderr, "  %.1f W %s", watts, how ? how : "");
    fputs("\033[K", stderr);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static double jnum(const cJSON *o, const char *path)
{
    char buf[128], *save = NULL;

    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok_r(buf, ".", &save); k != NULL && o != NULL; k = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    return o != NULL && cJSON_IsNumber(o) ? o->valuedouble : NAN;
}

static const char *jstr(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);

    return cJSON_IsString(v) ? v->valuestring : "?";
}

static void print_util(const char *name, const lle_utilisation *u)
{
    if (u->known && isfinite(u->value))
        printf("  %-26s %13.2f%%  (peak: %s)\n", name, u->value * 100.0, u->peak_source);
    else if (u->known)
        printf("  %-26s %14s  (peak: %s)\n", name, "n/a", u->peak_source);
    else
        printf("  %-26s %14s  (%s)\n", name, "unknown", u->why);
}

static void print_flops(const lle_run_result *r)
{
    const lle_flops_summary *f = &r->flops;

    printf("\n  FLOPs\n");
    if (f->has_model)
        printf("  %-26s %14.4g\n", "model FLOPs", (double)(f->model_prefill.total + f->model_decode.total));
    if (f->has_executed)
        printf("  %-26s %14.4g\n", "executed FLOPs", (double)(f->exec_prefill.total + f->exec_decode.total));
    else
        printf("  %-26s %14s  (%s)\n", "executed FLOPs", "not counted", r->flops_error);
    print_util("MFU", &r->mfu);
    print_util("MBU (decode)", &r->mbu);
}

/* The energy summary: every figure says measured or estimated. */
static void print_energy(const lle_run_result *r)
{
    cJSON *e = r->energy_json != NULL ? cJSON_Parse(r->energy_json) : NULL;
    const cJSON *why;

    if (e == NULL) {
        printf("\n  energy: not measured (--no-energy)\n");
        return;
    }
    printf("\n  energy (%s)\n", jstr(e, "total", "method"));
    cli_print_value(26, "energy (J)", 3, jnum(e, "total.energy_j"));
    cli_print_value(26, "net of idle (J)", 3, jnum(e, "total.net_energy_j"));
    cli_print_value(26, "average power (W)", 2, jnum(e, "total.avg_power_w"));
    cli_print_value(26, "J per output token", 4, jnum(e, "derived.j_per_output_token"));
    cli_print_value(26, "prefill energy (J)", 3, jnum(e, "phases.prefill.energy_j"));
    cli_print_value(26, "decode energy (J)", 3, jnum(e, "phases.decode.energy_j"));
    cli_print_value(26, "carbon (g CO2e)", 4, jnum(e, "carbon.g_co2e"));
    why = cJSON_GetObjectItemCaseSensitive(e, "phases_omitted");
    if (cJSON_IsString(why)) /* MPI: ranks sharing a node (docs/cluster.md) */
        printf("  (prefill/decode energy n/a: %s)\n", why->valuestring);
    if (strcmp(jstr(e, "total", "method"), "measured") != 0)
        printf("  (estimates: see the JSON's energy.window.sources[].how for each formula)\n");
    cJSON_Delete(e);
}

static void print_table(const lle_run_result *r, const char *saved)
{
    printf("experiment %s  [%s]\n", r->id, r->status);
    printf("  model      %s (%s, %s, %.2fB params, %.1f MiB)\n", r->model_path, r->model.arch, r->model.file_type,
           (double)r->model.n_params / 1e9, (double)r->model_bytes / 1048576.0);
    printf("  workload   %zu requests in %zu batches, up to %d input + %d output tokens, %d threads, ctx %d\n",
           r->n_requests, r->n_batches, r->config.max_input_tokens, r->config.max_output_tokens, r->n_threads,
           r->n_ctx);
    printf("\n  %-26s %14s\n", "metric", "value");
    printf("  %-26s %14llu\n", "input tokens", (unsigned long long)r->total_input_tokens);
    printf("  %-26s %14llu\n", "output tokens", (unsigned long long)r->total_output_tokens);
    cli_print_value(26, "wall time (s)", 3, r->wall_s);
    cli_print_value(26, "busy time (s)", 3, r->busy_s);
    cli_print_value(26, "simulated idle (s)", 3, r->idle_s);
    cli_print_value(26, "prefill time (s)", 3, r->prefill_s);
    cli_print_value(26, "decode time (s)", 3, r->decode_s);
    cli_print_value(26, "prefill tokens/s", 2, r->prefill_tok_s);
    cli_print_value(26, "decode tokens/s", 2, r->decode_tok_s);
    cli_print_value(26, "output tokens/s", 2, r->output_tok_s);
    cli_print_value(26, "total tokens/s", 2, r->total_tok_s);
    cli_print_value(26, "requests/s", 3, r->requests_per_s);
    cli_print_value(26, "peak RSS (MiB)", 1, (double)r->peak_rss_bytes / 1048576.0);
    cli_print_value(26, "KV cache (MiB)", 1, (double)r->kv_cache_bytes / 1048576.0);
    printf("\n  %-6s %10s %10s %10s %10s %10s %10s\n", "ms", "mean", "p50", "p90", "p99", "min", "max");
    cli_print_stats_row(6, "TTFT", &r->ttft, 1e3);
    cli_print_stats_row(6, "TPOT", &r->tpot, 1e3);
    cli_print_stats_row(6, "ITL", &r->itl, 1e3);
    cli_print_stats_row(6, "E2E", &r->e2e, 1e3);
    cli_print_stats_row(6, "queue", &r->queue, 1e3);
    print_flops(r);
    print_energy(r);
    if (r->prompts_truncated > 0)
        printf("\n  %d prompts were cut to %d tokens (max_input_tokens)\n", r->prompts_truncated,
               r->config.max_input_tokens);
    if (saved != NULL)
        printf("\n  saved to %s\n", saved);
}

static int report(const run_opts *o, const lle_run_result *r)
{
    char saved[4200] = "";
    lle_error err = {0};
    int rc = CLI_OK;

    if (o->save && lle_run_result_save(r, o->results_dir, saved, sizeof saved, &err) != LLE_OK)
        rc = cli_fail(&err);
    if (!o->json)
        print_table(r, saved[0] != '\0' ? saved : NULL);
    else if (cli_print_json(lle_run_result_to_json(r, true)) != CLI_OK)
        return CLI_FAILED;
    return rc;
}

/* In-process, or over the MPI ranks when an MPI launcher started us (rank 0
 * then gets the merged result and reports; the others get none). Without
 * MPI support, several ranks would each run and save the whole experiment. */
static lle_status run_one(run_opts *o, progress_state *ps, lle_run_result **r, lle_error *err)
{
#ifdef LLE_MPI
    if (lle_cluster_launched())
        return lle_cluster_run_single(&o->cfg, on_progress, ps, &cli_interrupted, r, err);
#else
    const char *n = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
    if (n != NULL && strcmp(n, "1") != 0) {
        *r = NULL;
        snprintf(err->msg, sizeof err->msg,
                 "started by mpirun with %s ranks, but this build has no MPI "
                 "support: rebuild with -DLLE_MPI=ON (docs/cluster.md)",
                 n);
        err->code = LLE_ERR_INVALID;
        return LLE_ERR_INVALID;
    }
#endif
    return lle_run_single(&o->cfg, on_progress, ps, &cli_interrupted, r, err);
}

/* Ranks other than 0 leave the report, errors included, to rank 0. */
static bool quiet_rank(void)
{
#ifdef LLE_MPI
    return lle_cluster_rank() > 0;
#else
    return false;
#endif
}

static int run_single(int argc, char **argv)
{
    run_opts o;
    progress_state ps;
    lle_run_result *r = NULL;
    lle_error err = {0};
    lle_status st;
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0) {
        lle_config_free(o.file);
        return rc;
    }
    ps.t0 = wall_now();
    ps.tty = isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL && cli_verbosity > 0;
    cli_install_signals();
    st = run_one(&o, &ps, &r, &err);
    rc = r != NULL ? report(&o, r) : CLI_OK;
    if (st != LLE_OK && quiet_rank())
        rc = st == LLE_ERR_INTERRUPTED ? CLI_INTERRUPTED : lle_status_is_input_error(st) ? CLI_USAGE : CLI_FAILED;
    else if (st != LLE_OK)
        rc = cli_fail(&err);
    lle_run_result_free(r);
    lle_config_free(o.file);
    return rc;
}

/* `run single --engine openai ...` measures a server (src/cli/remote.c). */
static bool wants_remote(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--engine=openai") == 0 ||
            (strcmp(argv[i], "--engine") == 0 && i + 1 < argc && strcmp(argv[i + 1], "openai") == 0))
            return true;
    return false;
}

int cli_run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(RUN_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "single") == 0 && wants_remote(argc - 1, argv + 1))
        return cli_run_remote(argc - 1, argv + 1);
    if (strcmp(argv[1], "single") == 0 && argc > 2 && argv[2][0] != '-' && cli_is_campaign_file(argv[2]))
        return cli_campaign("single", argc - 1, argv + 1);
    if (strcmp(argv[1], "single") == 0)
        return run_single(argc - 1, argv + 1);
    if (strcmp(argv[1], "models") == 0 || strcmp(argv[1], "controlled") == 0 || strcmp(argv[1], "scenarios") == 0 ||
        strcmp(argv[1], "grid") == 0)
        return cli_campaign(argv[1], argc - 1, argv + 1);
    cli_errorf("run: unknown suite '%s' (available: single, models, controlled, scenarios, grid)", argv[1]);
    return CLI_USAGE;
}
