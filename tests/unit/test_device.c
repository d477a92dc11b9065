/* test_device.c — unit tests of the device module: KV cell and decode-step
 * bytes against hand-computed values (f16, q8_0, q4_0 KV; tied and untied
 * embeddings), MFU/MBU and the choice of peak (user, calibrated with the
 * element-weighted harmonic mean, none -> unknown, never guessed), the
 * calibration cache (round trip, key mismatch -> miss, foreign key inside the
 * file -> miss, corrupt file -> FORMAT naming the field), the workload sizes,
 * and a short real calibration with tiny shapes. Fixtures: $LLE_TESTDATA. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "common/util.h"
#include "device/device_internal.h"
#include "lle/device.h"
#include "lle/model.h"

#define MIB (1024ULL * 1024ULL)

static char g_tmp[256];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/lle-test-device-XXXXXX");
    return mkdtemp(g_tmp) == NULL ? -1 : 0;
}

static int teardown_tmp(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

/* The "tiny" preset's shape: 2 layers, 256 wide, 4 heads, 2 KV heads of 64. */
static lle_model_info tiny_info(void)
{
    lle_model_info m;

    memset(&m, 0, sizeof m);
    m.n_layer = 2;
    m.n_embd = 256;
    m.n_head = 4;
    m.n_head_kv = 2;
    m.head_dim_k = m.head_dim_v = 64;
    return m;
}

/* ---- bytes ---- */

static void test_kv_cell_bytes(void **state)
{
    lle_model_info m = tiny_info();
    lle_error err = {0};

    (void)state;
    /* d_kv = 2 x 64 = 128 values per layer for K and for V */
    assert_int_equal(lle_kv_cell_bytes(&m, "f16", "f16", &err), 2 * (128 * 2 + 128 * 2)); /* 1024 */
    assert_int_equal(lle_kv_cell_bytes(&m, NULL, NULL, &err), 1024);                      /* default f16 */
    assert_int_equal(lle_kv_cell_bytes(&m, "q8_0", "q8_0", &err), 2 * (4 * 34 + 4 * 34)); /* 544 */
    assert_int_equal(lle_kv_cell_bytes(&m, "q4_0", "q4_0", &err), 2 * (4 * 18 + 4 * 18)); /* 288 */
    assert_int_equal(lle_kv_cell_bytes(&m, "f16", "q8_0", &err), 2 * (256 + 136));        /* 784 */
    assert_int_equal(lle_kv_cell_bytes(&m, "f32", "f32", &err), 2 * (512 + 512));         /* 2048 */
    assert_int_equal(lle_kv_cell_bytes(&m, "q9_9", "f16", &err), 0);
    assert_int_equal(err.code, LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "q9_9"));
    m.head_dim_k = m.head_dim_v = 8; /* rows of 16 values: not whole q8_0 blocks */
    assert_int_equal(lle_kv_cell_bytes(&m, "q8_0", "q8_0", &err), 0);
    assert_non_null(strstr(err.msg, "block"));
}

static void test_decode_step_bytes_untied(void **state)
{
    /* 1000-token vocabulary, 320-byte rows: token_embd is 320,000 of 1,000,000 bytes */
    lle_model_traffic t = {1000000, 320000, 320, false, 0, 1024};
    lle_step_bytes b = lle_decode_step_bytes(&t, 4, 100);

    (void)state;
    assert_int_equal(b.weights, 1000000 - 320000 + 4 * 320); /* 681,280: only 4 rows looked up */
    assert_int_equal(b.kv_read, 100 * 1024);                 /* 102,400 */
    assert_int_equal(b.kv_written, 4 * 1024);                /* 4,096 */
    assert_int_equal(b.total, 681280 + 102400 + 4096);       /* 787,776 */
    b = lle_decode_step_bytes(&t, 5000, 0);                  /* more tokens than rows: every row, once */
    assert_int_equal(b.weights, 1000000);
    assert_int_equal(b.kv_read, 0);
    b = lle_decode_step_bytes(&t, -3, -1); /* nonsense counts read nothing extra */
    assert_int_equal(b.weights, 1000000 - 320000);
    assert_int_equal(b.kv_written, 0);
}

static void test_decode_step_bytes_tied(void **state)
{
    /* tied: the output matmul reads all of token_embd every step */
    lle_model_traffic t = {1000000, 320000, 320, true, 0, 544};
    lle_step_bytes b = lle_decode_step_bytes(&t, 2, 10);

    (void)state;
    assert_int_equal(b.weights, 1000000);
    assert_int_equal(b.kv_read, 5440);
    assert_int_equal(b.kv_written, 1088);
    assert_int_equal(b.total, 1000000 + 5440 + 1088);
}

static const char *fixture(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("LLE_TESTDATA");

    if (dir == NULL)
        return NULL;
    snprintf(buf, size, "%s/%s", dir, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static void test_traffic_from_fixture(void **state)
{
    char path[512];
    lle_model_info *m = malloc(sizeof *m);
    lle_model_traffic t;
    lle_error err = {0};

    (void)state;
    if (fixture("tiny-q8_0.gguf", path, sizeof path) == NULL) {
        free(m);
        skip();
    }
    assert_int_equal(lle_model_inspect(path, m, &err), LLE_OK);
    assert_int_equal(lle_model_traffic_init(m, "q8_0", "f16", &t, &err), LLE_OK);
    assert_int_equal(t.tensor_bytes, m->tensor_bytes);
    assert_true(t.embd_is_output); /* the tiny preset ties embeddings */
    assert_int_equal(t.kv_cell_bytes, 2 * (136 + 256));
    assert_true(t.token_embd_row_bytes > 0);
    assert_int_equal(t.token_embd_bytes, (uint64_t)m->n_vocab * t.token_embd_row_bytes);
    assert_int_equal(lle_decode_step_bytes(&t, 1, 7).weights, m->tensor_bytes);
    assert_int_equal(lle_model_traffic_init(m, "bogus", "f16", &t, &err), LLE_ERR_INVALID);
    lle_strlcpy(m->path, "/nonexistent/x.gguf", sizeof m->path);
    assert_int_equal(lle_model_traffic_init(m, "f16", "f16", &t, &err), LLE_ERR_NOT_FOUND);
    free(m);
}

/* ---- peaks, MFU, MBU ---- */

static void fill_calibration(lle_calibration *c)
{
    memset(c, 0, sizeof *c);
    lle_strlcpy(c->key.cpu_model, "Test CPU @ 1 GHz", sizeof c->key.cpu_model);
    c->key.cpu_cores = 8;
    c->key.n_threads = 4;
    lle_strlcpy(c->key.llama_release, "v0.0.1", sizeof c->key.llama_release);
    lle_strlcpy(c->key.workload, "full", sizeof c->key.workload);
    lle_strlcpy(c->measured_at, "2025-01-02T03:04:05Z", sizeof c->measured_at);
    c->measured_at_unix = 1735787045;
    lle_strlcpy(c->tool_version, "0.1.0", sizeof c->tool_version);
    lle_strlcpy(c->backend_description, "Test CPU", sizeof c->backend_description);
    c->duration_s = 12.5;
    c->repetitions = 5;
    c->prefill_m = c->prefill_k = 2048;
    c->prefill_n = 512;
    c->decode_k = 4096;
    c->decode_weight_bytes_target = 600 * MIB;
    c->stream_bytes = 1200 * MIB;
    c->llc_bytes = 300 * MIB;
    c->stream_read_bytes_per_s = (lle_measure){3.5e9, 3.25e9};
    c->stream_copy_bytes_per_s = (lle_measure){4e9, 3.75e9};
    c->peak_bandwidth_bytes_per_s = 4e9;
    lle_strlcpy(c->peak_bandwidth_from, "stream_copy", sizeof c->peak_bandwidth_from);
    c->n_types = 2;
    c->types[0] = (lle_calibration_type){"q4_K", "CPU_REPACK", {1e11, 9e10}, {2e10, 1.5e10}, {2.5e9, 2e9}};
    c->types[1] = (lle_calibration_type){"q6_K", "CPU", {5e10, 4.5e10}, {1e10, 9e9}, {3e9, 2.75e9}};
}

static lle_model_info mixed_model(void)
{
    lle_model_info m = tiny_info();

    m.n_types = 3;
    m.types[0] = (lle_tensor_type_count){"q4_K", 10, 800, 450};
    m.types[1] = (lle_tensor_type_count){"q6_K", 3, 200, 164};
    m.types[2] = (lle_tensor_type_count){"f32", 5, 5, 20}; /* 0.5% of the elements: left out */
    return m;
}

static void test_peaks_calibrated(void **state)
{
    lle_calibration *c = malloc(sizeof *c);
    lle_model_info m = mixed_model();
    lle_peaks p;
    lle_utilisation u;
    lle_error err = {0};

    (void)state;
    fill_calibration(c);
    assert_int_equal(lle_peaks_resolve(NULL, c, &m, &p, &err), LLE_OK);
    /* 1000 / (800 / 1e11 + 200 / 5e10) = 1000 / 1.2e-8 = 8.3333e10 */
    assert_true(near(p.flops_per_s, 1000.0 / 1.2e-8));
    assert_string_equal(p.flops_source, "calibrated 2025-01-02T03:04:05Z");
    assert_non_null(strstr(p.flops_basis, "q4_K 80%"));
    assert_non_null(strstr(p.flops_basis, "q6_K 20%"));
    assert_true(near(p.bandwidth_bytes_per_s, 4e9));
    assert_string_equal(p.bandwidth_source, "calibrated 2025-01-02T03:04:05Z");
    assert_non_null(strstr(p.bandwidth_basis, "stream_copy"));
    u = lle_mfu(2e10, &p);
    assert_true(u.known);
    assert_true(near(u.value, 2e10 / (1000.0 / 1.2e-8))); /* 0.24 */
    assert_true(near(u.value, 0.24));
    /* 10 steps of 787,776 bytes in 4 ms against 4 GB/s: 1.96944e9 / 4e9 */
    u = lle_mbu(7877760.0, 0.004, NULL, &p);
    assert_true(u.known);
    assert_true(near(u.value, 0.49236));
    assert_string_equal(u.peak_source, "calibrated 2025-01-02T03:04:05Z");
    free(c);
}

static void test_peaks_uncalibrated_type(void **state)
{
    lle_calibration *c = malloc(sizeof *c);
    lle_model_info m = mixed_model();
    lle_peaks p;
    lle_error err = {0};

    (void)state;
    fill_calibration(c);
    lle_strlcpy(m.types[1].type, "iq4_xs", sizeof m.types[1].type);
    assert_int_equal(lle_peaks_resolve(NULL, c, &m, &p, &err), LLE_OK);
    assert_true(p.flops_per_s == 0.0);
    assert_string_equal(p.flops_source, "none");
    assert_non_null(strstr(p.flops_basis, "iq4_xs"));
    assert_false(lle_mfu(2e10, &p).known);
    assert_true(p.bandwidth_bytes_per_s > 0.0); /* bandwidth does not depend on the type */
    free(c);
}

static void test_peaks_user_and_none(void **state)
{
    lle_calibration *c = malloc(sizeof *c);
    lle_model_info m = mixed_model();
    lle_peak_overrides ov = {1e12, 0.0};
    lle_model_traffic moe = {0, 0, 0, false, 8, 1024};
    lle_peaks p;
    lle_utilisation u;
    lle_error err = {0};

    (void)state;
    fill_calibration(c);
    assert_int_equal(lle_peaks_resolve(&ov, c, &m, &p, &err), LLE_OK);
    assert_string_equal(p.flops_source, "user");
    assert_true(near(lle_mfu(2e10, &p).value, 0.02));
    assert_string_equal(p.bandwidth_source, "calibrated 2025-01-02T03:04:05Z"); /* not overridden */
    ov = (lle_peak_overrides){0.0, 8e9};
    assert_int_equal(lle_peaks_resolve(&ov, NULL, &m, &p, &err), LLE_OK);
    assert_string_equal(p.flops_source, "none");
    assert_string_equal(p.bandwidth_source, "user");
    u = lle_mbu(4e9, 1.0, NULL, &p);
    assert_true(u.known && near(u.value, 0.5));
    u = lle_mbu(4e9, 1.0, &moe, &p); /* mixture of experts: not counted */
    assert_false(u.known);
    assert_non_null(strstr(u.why, "experts"));
    u = lle_mbu(4e9, 0.0, NULL, &p); /* no time: unknown, not infinite */
    assert_false(u.known);
    assert_int_equal(lle_peaks_resolve(NULL, NULL, &m, &p, &err), LLE_OK);
    assert_string_equal(p.flops_source, "none");
    assert_string_equal(p.bandwidth_source, "none");
    u = lle_mfu(2e10, &p);
    assert_false(u.known);
    assert_string_equal(u.peak_source, "none");
    ov = (lle_peak_overrides){-1.0, 0.0};
    assert_int_equal(lle_peaks_resolve(&ov, c, &m, &p, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "peak_flops_per_s"));
    ov = (lle_peak_overrides){0.0, NAN};
    assert_int_equal(lle_peaks_resolve(&ov, c, &m, &p, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "peak_bandwidth_bytes_per_s"));
    free(c);
}

static void test_utilisation_json(void **state)
{
    lle_peaks p;
    lle_utilisation u;
    cJSON *o;
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_peaks_resolve(NULL, NULL, NULL, &p, &err), LLE_OK);
    u = lle_mfu(1e9, &p);
    o = lle_utilisation_json(&u);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "value")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "peak")));
    assert_string_equal(cJSON_GetObjectItem(o, "peak_source")->valuestring, "none");
    cJSON_Delete(o);
    o = lle_peaks_json(&p);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "flops_per_s")));
    assert_string_equal(cJSON_GetObjectItem(o, "bandwidth_source")->valuestring, "none");
    cJSON_Delete(o);
    p.bandwidth_bytes_per_s = 1e10;
    lle_strlcpy(p.bandwidth_source, "user", sizeof p.bandwidth_source);
    u = lle_mbu(5e9, 1.0, NULL, &p);
    o = lle_utilisation_json(&u);
    assert_true(near(cJSON_GetObjectItem(o, "value")->valuedouble, 0.5));
    assert_true(near(cJSON_GetObjectItem(o, "peak")->valuedouble, 1e10));
    assert_string_equal(cJSON_GetObjectItem(o, "peak_source")->valuestring, "user");
    cJSON_Delete(o);
}

/* ---- the calibration cache ---- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_cache_round_trip(void **state)
{
    lle_calibration *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    char path[4200], path2[4200], name[64];
    lle_error err = {0};

    (void)state;
    fill_calibration(c);
    assert_int_equal(lle_calibration_save(c, g_tmp, path, sizeof path, &err), LLE_OK);
    lle_calibration_file_name(&c->key, name, sizeof name);
    assert_non_null(strstr(path, "/calibration/peaks-"));
    assert_non_null(strstr(path, name));
    assert_int_equal(lle_calibration_load(&c->key, g_tmp, back, path2, sizeof path2, &err), LLE_OK);
    assert_string_equal(path, path2);
    assert_true(lle_calibration_key_equal(&c->key, &back->key));
    assert_string_equal(back->measured_at, c->measured_at);
    assert_true(back->measured_at_unix == c->measured_at_unix);
    assert_true(back->stream_bytes == c->stream_bytes && back->llc_bytes == c->llc_bytes);
    assert_true(back->prefill_m == 2048 && back->prefill_n == 512 && back->decode_k == 4096);
    assert_true(near(back->stream_copy_bytes_per_s.median, 3.75e9));
    assert_true(near(back->peak_bandwidth_bytes_per_s, 4e9));
    assert_string_equal(back->peak_bandwidth_from, "stream_copy");
    assert_int_equal(back->n_types, 2);
    assert_string_equal(back->types[0].weight_buffer, "CPU_REPACK");
    assert_true(near(lle_calibration_find_type(back, "q6_K")->prefill_flops_per_s.best, 5e10));
    assert_null(lle_calibration_find_type(back, "q8_0"));
    free(c);
    free(back);
}

static void test_cache_miss(void **state)
{
    lle_calibration *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    lle_calibration_key other;
    char path[4200];
    lle_error err = {0};

    (void)state;
    fill_calibration(c);
    assert_int_equal(lle_calibration_save(c, g_tmp, path, sizeof path, &err), LLE_OK);
    other = c->key;
    other.n_threads = 3; /* another thread count: another key */
    assert_int_equal(lle_calibration_load(&other, g_tmp, back, NULL, 0, &err), LLE_ERR_NOT_FOUND);
    other = c->key;
    lle_strlcpy(other.llama_release, "v9.9.9", sizeof other.llama_release);
    assert_int_equal(lle_calibration_load(&other, g_tmp, back, NULL, 0, &err), LLE_ERR_NOT_FOUND);
    other = c->key;
    lle_strlcpy(other.workload, "quick", sizeof other.workload);
    assert_int_equal(lle_calibration_load(&other, g_tmp, back, NULL, 0, &err), LLE_ERR_NOT_FOUND);
    /* a file at the key's path holding another key (collision, edit) is a miss too */
    other = c->key;
    other.n_threads = 3;
    lle_calibration_save(c, g_tmp, path, sizeof path, &err);
    {
        char other_path[4200], dir[4096], name[64];
        char *json = lle_calibration_to_json(c);
        lle_calibration_dir(g_tmp, dir, sizeof dir, &err);
        lle_calibration_file_name(&other, name, sizeof name);
        snprintf(other_path, sizeof other_path, "%s/%s", dir, name);
        write_text(other_path, json);
        free(json);
        assert_int_equal(lle_calibration_load(&other, g_tmp, back, NULL, 0, &err), LLE_ERR_NOT_FOUND);
        assert_non_null(strstr(err.msg, "another key"));
        write_text(other_path, "{\"schema\": \"llm-efficiency/calibration\", \"schema_version\": 1}");
        assert_int_equal(lle_calibration_load(&other, g_tmp, back, NULL, 0, &err), LLE_ERR_FORMAT);
        assert_non_null(strstr(err.msg, other_path));
        assert_non_null(strstr(err.msg, "'key'"));
        write_text(other_path, "not json");
        assert_int_equal(lle_calibration_load(&other, g_tmp, back, NULL, 0, &err), LLE_ERR_FORMAT);
    }
    free(c);
    free(back);
}

static void test_calibration_json_errors(void **state)
{
    lle_calibration *c = malloc(sizeof *c), *back = malloc(sizeof *back);
    char *json;
    cJSON *o;
    lle_error err = {0};

    (void)state;
    fill_calibration(c);
    json = lle_calibration_to_json(c);
    o = cJSON_Parse(json);
    free(json);
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "types"), 1), "prefill_flops_per_s",
                              cJSON_CreateString("fast"));
    json = cJSON_Print(o);
    assert_int_equal(lle_calibration_from_json(json, back, &err), LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "types[1]"));
    assert_non_null(strstr(err.msg, "prefill_flops_per_s"));
    free(json);
    cJSON_DeleteItemFromObject(o, "schema");
    json = cJSON_Print(o);
    assert_int_equal(lle_calibration_from_json(json, back, &err), LLE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "schema"));
    free(json);
    cJSON_Delete(o);
    free(c);
    free(back);
}

static void test_peaks_for_run_from_cache(void **state)
{
    lle_calibration *c = malloc(sizeof *c);
    lle_model_info m = mixed_model();
    lle_peaks p;
    lle_error err = {0};

    (void)state;
    unsetenv("LLE_CALIBRATE_QUICK");
    fill_calibration(c);
    assert_int_equal(lle_calibration_key_current(3, false, &c->key, &err), LLE_OK);
    assert_int_equal(c->key.n_threads, 3);
    assert_int_equal(lle_peaks_for_run(NULL, 3, g_tmp, &m, &p, &err), LLE_OK); /* nothing cached yet */
    assert_string_equal(p.flops_source, "none");
    assert_non_null(strstr(p.flops_basis, "no calibration cached"));
    assert_int_equal(lle_calibration_save(c, g_tmp, NULL, 0, &err), LLE_OK);
    assert_int_equal(lle_peaks_for_run(NULL, 3, g_tmp, &m, &p, &err), LLE_OK);
    assert_string_equal(p.flops_source, "calibrated 2025-01-02T03:04:05Z");
    assert_true(near(p.bandwidth_bytes_per_s, 4e9));
    assert_int_equal(lle_peaks_for_run(NULL, 1, g_tmp, &m, &p, &err), LLE_OK); /* other thread count */
    assert_string_equal(p.bandwidth_source, "none");
    free(c);
}

/* ---- workload and a real (tiny) calibration ---- */

static void test_workload_sizes(void **state)
{
    lle_calib_workload w;

    (void)state;
    lle_calib_workload_init(&w, false, 300 * MIB, 0);
    assert_int_equal(w.decode_bytes, 600 * MIB);  /* 2 x LLC */
    assert_int_equal(w.stream_bytes, 1024 * MIB); /* 4 x LLC, capped by the 1 GiB default cap */
    lle_calib_workload_init(&w, false, 300 * MIB, 16384 * MIB);
    assert_int_equal(w.stream_bytes, 1200 * MIB); /* 4 x LLC */
    lle_calib_workload_init(&w, false, 8 * MIB, 16384 * MIB);
    assert_int_equal(w.decode_bytes, 256 * MIB); /* floor */
    assert_int_equal(w.stream_bytes, 256 * MIB);
    lle_calib_workload_init(&w, false, 300 * MIB, 512 * MIB);
    assert_int_equal(w.decode_bytes, 128 * MIB); /* a quarter of the available memory */
    assert_int_equal(w.stream_bytes, 128 * MIB);
    assert_int_equal(w.prefill_m * w.prefill_k, 2048 * 2048);
    lle_calib_workload_init(&w, true, 300 * MIB, 0);
    assert_string_equal(w.name, "quick");
    assert_true(w.stream_bytes <= 4 * MIB && w.reps >= 1);
}

static void test_measure_of(void **state)
{
    double v[] = {3.0, 1.0, 2.0, 5.0};
    double one[] = {7.0};
    lle_measure m = lle_measure_of(v, 4);

    (void)state;
    assert_true(m.best == 5.0 && m.median == 2.5);
    m = lle_measure_of(one, 1);
    assert_true(m.best == 7.0 && m.median == 7.0);
    m = lle_measure_of(NULL, 0);
    assert_true(m.best == 0.0);
}

static int positive(double v)
{
    return isfinite(v) && v > 0.0;
}

static void test_quick_calibration(void **state)
{
    lle_calibrate_opts o = {1, true, "f32,q4_0,q4_K", NULL, NULL};
    lle_calibration *c = malloc(sizeof *c);
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_calibrate(&o, c, &err), LLE_OK);
    assert_string_equal(c->key.workload, "quick");
    assert_int_equal(c->key.n_threads, 1);
    assert_int_equal(c->n_types, 3);
    assert_true(positive(c->stream_read_bytes_per_s.best) && positive(c->stream_copy_bytes_per_s.median));
    assert_true(c->stream_read_bytes_per_s.best >= c->stream_read_bytes_per_s.median);
    for (size_t i = 0; i < c->n_types; i++) {
        assert_true(positive(c->types[i].prefill_flops_per_s.best));
        assert_true(positive(c->types[i].prefill_flops_per_s.median));
        assert_true(positive(c->types[i].decode_flops_per_s.best));
        assert_true(positive(c->types[i].decode_bytes_per_s.best));
        assert_true(c->types[i].weight_buffer[0] != '\0');
    }
    assert_true(positive(c->peak_bandwidth_bytes_per_s));
    assert_true(c->peak_bandwidth_from[0] != '\0');
    assert_true(c->measured_at_unix > 0 && c->duration_s > 0.0);
    o.types = "f32,q7_7";
    assert_int_equal(lle_calibrate(&o, c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "q7_7"));
    o.types = "q4_0,Q4_0";
    assert_int_equal(lle_calibrate(&o, c, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "twice"));
    free(c);
}

static void test_devices_report(void **state)
{
    lle_devices_report *r = malloc(sizeof *r);
    char *json, *text;
    cJSON *o;
    lle_error err = {0};

    (void)state;
    assert_int_equal(lle_devices_report_get(2, true, g_tmp, r, &err), LLE_OK);
    assert_false(r->have_calibration);
    assert_non_null(strstr(r->calibration_note, "no calibration cached"));
    assert_true(r->machine.n_devices >= 1);
    assert_string_equal(r->machine.devices[0].type, "cpu");
    json = lle_devices_report_to_json(r);
    o = cJSON_Parse(json);
    assert_non_null(o);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "backends")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "calibration"), "found")));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_sources"), "sources"));
    cJSON_Delete(o);
    free(json);
    text = lle_energy_sources_text();
    assert_non_null(strstr(text, "estimate:cpu")); /* the energy module reports its sources */
    free(text);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_cell_bytes),
        cmocka_unit_test(test_decode_step_bytes_untied),
        cmocka_unit_test(test_decode_step_bytes_tied),
        cmocka_unit_test(test_traffic_from_fixture),
        cmocka_unit_test(test_peaks_calibrated),
        cmocka_unit_test(test_peaks_uncalibrated_type),
        cmocka_unit_test(test_peaks_user_and_none),
        cmocka_unit_test(test_utilisation_json),
        cmocka_unit_test_setup_teardown(test_cache_round_trip, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_cache_miss, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_calibration_json_errors),
        cmocka_unit_test_setup_teardown(test_peaks_for_run_from_cache, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_workload_sizes),
        cmocka_unit_test(test_measure_of),
        cmocka_unit_test(test_quick_calibration),
        cmocka_unit_test_setup_teardown(test_devices_report, setup_tmp, teardown_tmp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
