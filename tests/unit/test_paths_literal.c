/* test_paths_literal.c — paths from the user are used as given, never as
 * patterns (issue 10, security): lle_dir_list() matches only the file-name
 * part, so a directory named "a[1]*" lists that directory and not a sibling
 * "a1b" its text would match as a glob; the legacy importer finds the
 * experiments inside such a directory (and not the sibling's), and a raw
 * experiment folder whose id holds '[' ']' still finds its per-process files.
 * The campaign's crash-temp-file cleanup is covered by
 * tests/cli/test_paths_literal.sh. */
#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/util.h"
#include "lle/legacy.h"
#include "lle/store.h"

static char data_dir[4096];

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[16384];

    assert_true((size_t)snprintf(cmd, sizeof cmd, fmt, a, b) < sizeof cmd);
    assert_int_equal(system(cmd), 0);
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/lle-paths-XXXXXX");

    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

/* <base>/<name> into out. */
static void join(char *out, size_t size, const char *base, const char *name)
{
    assert_true((size_t)snprintf(out, size, "%s/%s", base, name) < size);
}

static void touch(const char *dir, const char *name)
{
    char path[4400];
    FILE *f;

    join(path, sizeof path, dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_dir_list_literal(void **state)
{
    char *base = tmpdir(), pat[4200], sib[4200];
    char **names = NULL;
    size_t n = 99;
    lle_error err = {0};

    (void)state;
    join(pat, sizeof pat, base, "a[1]*");
    join(sib, sizeof sib, base, "a1b");
    assert_int_equal(mkdir(pat, 0755), 0);
    assert_int_equal(mkdir(sib, 0755), 0);
    touch(pat, "x.json");
    touch(pat, "b.json");
    touch(pat, ".hidden.json");
    touch(pat, "y.txt");
    touch(sib, "z.json");
    assert_int_equal(lle_dir_list(pat, "", "*.json", &names, &n, &err), LLE_OK);
    assert_int_equal(n, 2); /* sorted; not the hidden file, not the sibling's */
    assert_string_equal(names[0], "b.json");
    assert_string_equal(names[1], "x.json");
    assert_null(names[2]);
    lle_names_free(names);
    /* a literal prefix with pattern characters in it */
    touch(pat, "0[1]_a.json");
    touch(pat, "01_b.json");
    assert_int_equal(lle_dir_list(pat, "0[1]_", "*.json", &names, &n, &err), LLE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "0[1]_a.json");
    lle_names_free(names);
    /* nothing matches: an empty list, not an error */
    assert_int_equal(lle_dir_list(sib, "", "*.csv", &names, &n, &err), LLE_OK);
    assert_int_equal(n, 0);
    assert_null(names[0]);
    lle_names_free(names);
    /* a directory that does not exist */
    join(sib, sizeof sib, base, "a[2]*");
    assert_int_equal(lle_dir_list(sib, "", "*", &names, &n, &err), LLE_ERR_NOT_FOUND);
    assert_null(names);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.msg, "a[2]*"));
    sh("rm -rf '%s'%s", base, "");
    free(base);
}

static void test_legacy_import_literal_dir(void **state)
{
    char *base = tmpdir(), *out = tmpdir(), dir[4200];
    lle_legacy_report *rep = NULL;
    lle_error err = {0};

    (void)state;
    sh("mkdir -p '%s/a[1]*/raw_results' '%s/a1x/raw_results'", base, base);
    sh("cp -r '%s/raw_results/0102' '%s/a[1]*/raw_results/'", data_dir, base);
    sh("cp -r '%s/raw_results/0104' '%s/a1x/raw_results/'", data_dir, base);
    join(dir, sizeof dir, base, "a[1]*");
    assert_int_equal(lle_legacy_import(dir, out, true, &rep, &err), LLE_OK);
    assert_int_equal(rep->n_items, 1);
    assert_int_equal(rep->n_imported, 1);
    assert_string_equal(rep->items[0].id, "legacy-thesis-0102"); /* not the sibling's 0104 */
    lle_legacy_report_free(rep);
    sh("rm -rf '%s' '%s'", base, out);
    free(base);
    free(out);
}

/* energy.total.energy_j of one stored legacy document. */
static double stored_energy(const char *results_dir, const char *id)
{
    lle_store *s = NULL;
    char *json = NULL;
    cJSON *doc, *total;
    double j;

    assert_int_equal(lle_store_open(results_dir, &s, NULL), LLE_OK);
    assert_int_equal(lle_store_get(s, id, &json, NULL), LLE_OK);
    lle_store_close(s);
    doc = cJSON_Parse(json);
    free(json);
    assert_non_null(doc);
    total = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "energy"), "total");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(total, "energy_j")));
    j = cJSON_GetObjectItem(total, "energy_j")->valuedouble;
    cJSON_Delete(doc);
    return j;
}

static void test_legacy_raw_id_with_brackets(void **state)
{
    char *src = tmpdir(), *want = tmpdir(), *got = tmpdir(), dir[4200], orig[4200];
    lle_legacy_report *rep = NULL;
    lle_error err = {0};
    double e_want, e_got;

    (void)state;
    /* 0102's folder as "0[1]02", every file renamed to match: as a glob,
     * "<src>/0[1]02/0[1]02_*.json" would look in <src>/0102/ for 0102_*.json */
    join(orig, sizeof orig, data_dir, "raw_results/0102");
    join(dir, sizeof dir, src, "0[1]02");
    assert_int_equal(mkdir(dir, 0755), 0);
    sh("cd '%s' && for f in 0102_*; do cp \"$f\" '%s'/\"0[1]02${f#0102}\"; done", orig, dir);
    assert_int_equal(lle_legacy_import(orig, want, false, &rep, &err), LLE_OK);
    assert_int_equal(rep->n_imported, 1);
    lle_legacy_report_free(rep);
    assert_int_equal(lle_legacy_import(dir, got, false, &rep, &err), LLE_OK);
    assert_int_equal(rep->n_imported, 1);
    lle_legacy_report_free(rep);
    e_want = stored_energy(want, "legacy-thesis-0102");
    e_got = stored_energy(got, "legacy-thesis-0[1]02");
    assert_true(e_want > 0);
    assert_true(fabs(e_got - e_want) <= 1e-12 * e_want); /* the process file was found */
    sh("rm -rf '%s' '%s'", src, want);
    sh("rm -rf '%s'%s", got, "");
    free(src);
    free(want);
    free(got);
}

int main(void)
{
    const char *root = getenv("LLE_SRC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_list_literal),
        cmocka_unit_test(test_legacy_import_literal_dir),
        cmocka_unit_test(test_legacy_raw_id_with_brackets),
    };

    snprintf(data_dir, sizeof data_dir, "%s/tests/data/legacy", root != NULL ? root : ".");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
