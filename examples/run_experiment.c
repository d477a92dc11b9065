/* run_experiment.c — run one measured experiment with liblle and read its
 * metrics: decode throughput from the result struct (include/lle/run.h) and
 * joules per output token from the result's energy section (JSON, schema in
 * docs/results-schema.md), printed with how it was obtained ("measured",
 * "estimated" or "mixed") — a figure without its method would be dishonest.
 *
 * Build against an installed llm-efficiency:
 *   cc -std=c11 -O2 run_experiment.c -o run_experiment \
 *      $(pkg-config --cflags --libs lle libcjson)
 * Run: ./run_experiment [MODEL.gguf]
 *   Without a model, the tiny preset is synthesised (q4_0, cached in
 *   $LLE_CACHE_DIR or ~/.cache/llm-efficiency) and used. Exit status: 0 ok,
 *   1 the run failed, 2 bad model path. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <lle/lle.h>

/* Print energy.derived.j_per_output_token and its method, or why there is none. */
static void print_energy(const lle_run_result *r)
{
    cJSON *root = r->energy_json != NULL ? cJSON_Parse(r->energy_json) : NULL;
    const cJSON *derived = cJSON_GetObjectItemCaseSensitive(root, "derived");
    const cJSON *jpt = cJSON_GetObjectItemCaseSensitive(derived, "j_per_output_token");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(derived, "method");

    if (cJSON_IsNumber(jpt) && cJSON_IsString(method))
        printf("energy:  %.4f J per output token (%s)\n", jpt->valuedouble, method->valuestring);
    else
        printf("energy:  not available on this machine (see `llm-efficiency devices`)\n");
    cJSON_Delete(root);
}

int main(int argc, char **argv)
{
    lle_run_config cfg;
    lle_run_result *res = NULL;
    lle_error err = {0};
    int rc = 0;

    lle_run_config_init(&cfg);
    if (argc > 1) {
        cfg.model_path = argv[1];
    } else {
        cfg.preset = "tiny";
        cfg.preset_type = "q4_0";
    }
    cfg.n_prompts = 4;
    cfg.max_input_tokens = 16;
    cfg.max_output_tokens = 8;
    cfg.idle_baseline_s = 0.0; /* no 10 s idle baseline: net energy is then gross */
    cfg.flops = false;         /* skip the one-off FLOPs calibration */

    lle_status st = lle_run_single(&cfg, NULL, NULL, NULL, &res, &err);
    if (st != LLE_OK) {
        fprintf(stderr, "run_experiment: %s\n", err.msg);
        rc = lle_status_is_input_error(st) ? 2 : 1;
        goto cleanup;
    }
    printf("model:   %s\n", res->model_path);
    printf("tokens:  %llu in, %llu out in %.3f s\n", (unsigned long long)res->total_input_tokens,
           (unsigned long long)res->total_output_tokens, res->wall_s);
    printf("decode:  %.1f tok/s (measured)\n", res->decode_tok_s);
    printf("TTFT:    p50 %.2f ms (measured)\n", res->ttft.p50 * 1e3);
    print_energy(res);

cleanup:
    lle_run_result_free(res);
    return rc;
}
