/* test_environment.c — the environment record (src/common/environment.c) read
 * from a fake /proc and /etc tree that the test writes into a temporary
 * directory ($LLE_PROC_ROOT, $LLE_ETC_ROOT): exact CPU model, flags, memory and
 * OS name; nulls (not failures) when the files are missing; and the real
 * machine's record has every field with the right JSON type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/environment.h"
#include "lle/version.h"

static char g_root[256];

static const char CPUINFO_X86[] = "processor\t: 0\n"
                                  "vendor_id\t: GenuineIntel\n"
                                  "cpu family\t: 6\n"
                                  "model name\t: Intel(R) Xeon(R) Platinum 8480+\n"
                                  "cpu MHz\t\t: 2000.000\n"
                                  "flags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 avx512f avx512bw "
                                  "avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8 avx_vnni\n"
                                  "\n"
                                  "processor\t: 1\n"
                                  "model name\t: Another Name That Must Not Win\n"
                                  "flags\t\t: fpu\n"
                                  "\n";

static const char CPUINFO_ARM[] =
    "processor\t: 0\n"
    "BogoMIPS\t: 50.00\n"
    "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm "
    "lrcpc dcpop asimddp\n"
    "CPU implementer\t: 0x41\n"
    "\n";

static const char MEMINFO[] = "MemTotal:       16318412 kB\n"
                              "MemFree:         1234567 kB\n";

static const char OS_RELEASE[] = "# a comment\n"
                                 "NAME=\"Debian GNU/Linux\"\n"
                                 "PRETTY_NAME=\"Debian GNU/Linux 13 (\\\"trixie\\\")\"\n"
                                 "VERSION_ID=\"13\"\n";

static void write_file(const char *rel, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", g_root, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *rel)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", g_root, rel);
    unlink(path);
}

/* A fresh <tmp>/proc and <tmp>/etc, selected through the environment. */
static int setup(void **state)
{
    char dir[512];
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(g_root, sizeof g_root, "%s/lle-envtest-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL)
        return -1;
    snprintf(dir, sizeof dir, "%s/proc", g_root);
    mkdir(dir, 0755);
    setenv("LLE_PROC_ROOT", dir, 1);
    snprintf(dir, sizeof dir, "%s/etc", g_root);
    mkdir(dir, 0755);
    setenv("LLE_ETC_ROOT", dir, 1);
    return 0;
}

static int teardown(void **state)
{
    char dir[512];

    (void)state;
    remove_file("proc/cpuinfo");
    remove_file("proc/meminfo");
    remove_file("etc/os-release");
    snprintf(dir, sizeof dir, "%s/proc", g_root);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/etc", g_root);
    rmdir(dir);
    rmdir(g_root);
    unsetenv("LLE_PROC_ROOT");
    unsetenv("LLE_ETC_ROOT");
    return 0;
}

static const char *str_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static void assert_null_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    assert_non_null(v); /* present, and null */
    assert_true(cJSON_IsNull(v));
}

/* Flags joined with ',' for one exact comparison. */
static void assert_flags(const cJSON *env, const char *want)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(env, "cpu_flags"), *f;
    char got[512] = "";
    size_t len = 0;

    assert_true(cJSON_IsArray(arr));
    cJSON_ArrayForEach(f, arr)
    {
        assert_true(cJSON_IsString(f));
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", len ? "," : "", f->valuestring);
        assert_true(len < sizeof got);
    }
    assert_string_equal(got, want);
}

static void assert_common_fields(const cJSON *env)
{
    struct utsname u;
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(env, "cpu_cores");
    const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(env, "gpus");

    assert_int_equal(uname(&u), 0);
    assert_string_equal(str_field(env, "tool_version"), lle_version());
    assert_string_equal(str_field(env, "git_commit"), lle_git_commit());
    assert_string_equal(str_field(env, "llama_cpp_release"), lle_llama_release());
    assert_string_equal(str_field(env, "llama_cpp_origin"), lle_llama_origin());
    assert_string_equal(str_field(env, "kernel"), u.release);
    assert_string_equal(str_field(env, "machine"), u.machine);
    assert_string_equal(str_field(env, "hostname"), u.nodename);
    assert_true(cJSON_IsNumber(cores));
    assert_int_equal((long)cores->valuedouble, sysconf(_SC_NPROCESSORS_ONLN));
    assert_true(cJSON_IsArray(gpus));
    assert_int_equal(cJSON_GetArraySize(gpus), 0);
}

static void test_fake_x86(void **state)
{
    cJSON *env;

    (void)state;
    write_file("proc/cpuinfo", CPUINFO_X86);
    write_file("proc/meminfo", MEMINFO);
    write_file("etc/os-release", OS_RELEASE);
    env = lle_environment_json();
    assert_non_null(env);
    assert_string_equal(str_field(env, "cpu_model"), "Intel(R) Xeon(R) Platinum 8480+");
    assert_flags(env, "sse4_2,avx,avx2,fma,f16c,avx_vnni,avx512f,avx512_vnni,avx512_bf16,amx_tile,amx_int8");
    assert_true(cJSON_GetObjectItemCaseSensitive(env, "memory_total_bytes")->valuedouble == 16318412.0 * 1024.0);
    assert_string_equal(str_field(env, "os"), "Debian GNU/Linux 13 (\"trixie\")");
    assert_common_fields(env);
    cJSON_Delete(env);
}

static void test_fake_arm_without_model_name(void **state)
{
    cJSON *env;

    (void)state;
    write_file("proc/cpuinfo", CPUINFO_ARM);
    write_file("proc/meminfo", "MemFree: 1 kB\nMemTotal: 2048 kB\n");
    write_file("etc/os-release", "NAME=Alpine\nID=alpine\n");
    env = lle_environment_json();
    assert_non_null(env);
    assert_null_field(env, "cpu_model");
    assert_flags(env, "asimd,asimddp");
    assert_true(cJSON_GetObjectItemCaseSensitive(env, "memory_total_bytes")->valuedouble == 2097152.0);
    assert_string_equal(str_field(env, "os"), "Alpine"); /* NAME when there is no PRETTY_NAME */
    assert_common_fields(env);
    cJSON_Delete(env);
}

static void test_missing_files_give_nulls(void **state)
{
    cJSON *env;

    (void)state;
    remove_file("proc/cpuinfo");
    remove_file("proc/meminfo");
    remove_file("etc/os-release");
    env = lle_environment_json();
    assert_non_null(env);
    assert_null_field(env, "cpu_model");
    assert_null_field(env, "cpu_flags");
    assert_null_field(env, "memory_total_bytes");
    assert_null_field(env, "os");
    assert_common_fields(env);
    cJSON_Delete(env);
}

/* The real machine (roots unset): every field present with its JSON type. */
static void test_real_machine(void **state)
{
    static const char *const keys[] = {
        "tool_version", "git_commit", "llama_cpp_release", "llama_cpp_origin",
        "cpu_model",    "cpu_cores",  "cpu_flags",         "memory_total_bytes",
        "os",           "kernel",     "machine",           "hostname",
        "gpus",
    };
    char *saved_proc = strdup(getenv("LLE_PROC_ROOT")), *saved_etc = strdup(getenv("LLE_ETC_ROOT"));
    cJSON *env;

    (void)state;
    unsetenv("LLE_PROC_ROOT");
    unsetenv("LLE_ETC_ROOT");
    env = lle_environment_json();
    assert_non_null(env);
    assert_int_equal(cJSON_GetArraySize(env), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(cJSON_GetObjectItemCaseSensitive(env, keys[i]));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(env, "memory_total_bytes")));
    assert_true(cJSON_GetObjectItemCaseSensitive(env, "memory_total_bytes")->valuedouble > 0.0);
    assert_common_fields(env);
    cJSON_Delete(env);
    setenv("LLE_PROC_ROOT", saved_proc, 1);
    setenv("LLE_ETC_ROOT", saved_etc, 1);
    free(saved_proc);
    free(saved_etc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_x86),
        cmocka_unit_test(test_fake_arm_without_model_name),
        cmocka_unit_test(test_missing_files_give_nulls),
        cmocka_unit_test(test_real_machine),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
