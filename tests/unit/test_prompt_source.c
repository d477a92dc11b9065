/* test_prompt_source.c — prompt files (src/run/prompt_source.c): the JSONL and
 * ShareGPT fixtures in tests/data/prompts/ (excerpts of the real AIEnergyScore
 * and ML.ENERGY ShareGPT sets plus hand-made broken files), the "file:line"
 * error messages, ordering (length sort, seeded shuffle) and take/cycle.
 * Fixtures are found through $LLE_SRC (set by ctest to the source dir). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/prompt_source.h"

/* Full path of a fixture; static buffer, valid until the next call. */
static const char *fixture(const char *name)
{
    static char path[4096];
    const char *src = getenv("LLE_SRC");

    if (src == NULL)
        fail_msg("LLE_SRC is not set (ctest sets it to the source directory)");
    snprintf(path, sizeof path, "%s/tests/data/prompts/%s", src, name);
    return path;
}

static void assert_starts_ends(const char *text, size_t len, const char *head, const char *tail)
{
    size_t tl = strlen(tail);

    assert_int_equal(strlen(text), len);
    assert_memory_equal(text, head, strlen(head));
    assert_true(len >= tl);
    assert_string_equal(text + len - tl, tail);
}

/* Load a file expected to fail; check the status and the exact message. */
static void assert_load_fails(const char *name, const char *format, lle_status want, const char *msg_fmt)
{
    lle_prompt_set s = {0};
    lle_error err = {0};
    char want_msg[8192];
    const char *path = fixture(name);

    snprintf(want_msg, sizeof want_msg, msg_fmt, path);
    assert_int_equal(lle_prompts_load(path, format, &s, &err), want);
    assert_int_equal(err.code, want);
    assert_string_equal(err.msg, want_msg);
    assert_int_equal(s.n, 0);
    assert_null(s.texts);
}

static void load_ok(const char *name, const char *format, lle_prompt_set *s)
{
    lle_error err = {0};
    lle_status st = lle_prompts_load(fixture(name), format, s, &err);

    if (st != LLE_OK)
        fail_msg("%s: %s", name, err.msg);
}

static void test_aienergyscore_jsonl(void **state)
{
    lle_prompt_set s = {0};

    (void)state;
    load_ok("aienergyscore_head.jsonl", "jsonl", &s);
    assert_int_equal(s.n, 20); /* 21 lines, the first is the provenance header */
    assert_int_equal(s.n_skipped, 0);
    assert_starts_ends(s.texts[0], 1276, "Du Fu 's work is notable above all for its range . Chinese",
                       "ignited a controversy that has persisted to the present day .");
    assert_starts_ends(s.texts[19], 427, "While current news is concentrating on Costilla County\u2019s",
                       "to Waverly, which is part of the heritage of Alamosa County.");
    assert_int_equal(strlen(s.texts[7]), 13396); /* a long line (13 KB) read whole */
    lle_prompt_set_free(&s);
    assert_int_equal(s.n, 0);
    assert_null(s.texts);

    load_ok("aienergyscore_head.jsonl", "auto", &s);
    assert_int_equal(s.n, 20);
    lle_prompt_set_free(&s);
}

static void test_sharegpt_array(void **state)
{
    lle_prompt_set s = {0};

    (void)state;
    load_ok("sharegpt_head.json", "sharegpt", &s);
    assert_int_equal(s.n, 10);
    assert_int_equal(s.n_skipped, 0);
    assert_string_equal(s.texts[0], "How to stop automatic updates from the WSUS Server to a target machine");
    assert_string_equal(s.texts[9], "i get \"undefined undefined\" at the respons placeholder on the html page");
    lle_prompt_set_free(&s);

    load_ok("sharegpt_head.json", NULL, &s); /* NULL = auto */
    assert_int_equal(s.n, 10);
    assert_string_equal(s.texts[3], "Suggest subchapters for chapter 5");
    lle_prompt_set_free(&s);
}

static void test_sharegpt_turns_and_skips(void **state)
{
    lle_prompt_set s = {0};

    (void)state;
    load_ok("sharegpt_mixed.json", "auto", &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.n_skipped, 3); /* gpt only, no turns, empty human value */
    assert_string_equal(s.texts[0], "First human turn.");
    assert_string_equal(s.texts[1], "Human after system.");
    assert_string_equal(s.texts[2], "User message.");
    assert_string_equal(s.texts[3], "From user.");
    lle_prompt_set_free(&s);
}

static void test_jsonl_edge_cases(void **state)
{
    lle_prompt_set s = {0};

    (void)state;
    /* BOM, CRLF, blank and white-space lines, "text", "prompt" over "text",
     * a 20000-byte line, JSON escapes, no final newline */
    load_ok("edge.jsonl", "auto", &s);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.texts[0], "from text");
    assert_string_equal(s.texts[1], "prompt wins");
    assert_int_equal(strlen(s.texts[2]), 20000);
    assert_string_equal(s.texts[3], "caf\xc3\xa9 \"quoted\"\nnewline");
    lle_prompt_set_free(&s);
}

static void test_broken_files(void **state)
{
    (void)state;
    assert_load_fails("broken_json_line3.jsonl", "jsonl", LLE_ERR_FORMAT, "%s:3: invalid JSON (near column 13)");
    assert_load_fails("missing_prompt_line2.jsonl", "jsonl", LLE_ERR_FORMAT, "%s:2: no \"prompt\" (or \"text\") field");
    assert_load_fails("nonstring_prompt_line4.jsonl", "auto", LLE_ERR_FORMAT, "%s:4: \"prompt\" is not a string");
    assert_load_fails("not_object_line2.jsonl", "jsonl", LLE_ERR_FORMAT, "%s:2: not a JSON object");
    assert_load_fails("empty.jsonl", "jsonl", LLE_ERR_FORMAT, "no prompts in %s");
    assert_load_fails("empty.jsonl", "auto", LLE_ERR_FORMAT, "no prompts in %s");
    assert_load_fails("header_only.jsonl", "auto", LLE_ERR_FORMAT, "no prompts in %s");
    assert_load_fails("sharegpt_invalid.json", "auto", LLE_ERR_FORMAT, "%s:5: invalid JSON");
    assert_load_fails("sharegpt_bad_turn.json", "sharegpt", LLE_ERR_FORMAT,
                      "%s: [1].conversations[0]: the text is not a string");
    assert_load_fails("sharegpt_no_human.json", "sharegpt", LLE_ERR_FORMAT, "no prompts in %s");
    /* a JSONL file read as a ShareGPT array: the second object is unexpected */
    assert_load_fails("aienergyscore_head.jsonl", "sharegpt", LLE_ERR_FORMAT, "%s:2: invalid JSON");
    /* a ShareGPT array read as JSONL: line 1 is an array */
    assert_load_fails("sharegpt_head.json", "jsonl", LLE_ERR_FORMAT, "%s:1: not a JSON object");
}

static void test_bad_paths_and_args(void **state)
{
    lle_prompt_set s = {0};
    lle_error err = {0};
    char dir[4096];

    (void)state;
    assert_load_fails("no_such_file.jsonl", "auto", LLE_ERR_NOT_FOUND, "prompt file not found: %s");
    snprintf(dir, sizeof dir, "%s", fixture(""));
    assert_int_equal(lle_prompts_load(dir, "auto", &s, &err), LLE_ERR_INVALID);
    assert_non_null(strstr(err.msg, "is a directory"));
    assert_non_null(strstr(err.msg, dir));
    assert_int_equal(lle_prompts_load(fixture("edge.jsonl"), "csv", &s, &err), LLE_ERR_INVALID);
    assert_string_equal(err.msg, "unknown prompt format 'csv' (use jsonl, sharegpt or auto)");
    assert_int_equal(lle_prompts_load("", "auto", &s, &err), LLE_ERR_INVALID);
    assert_int_equal(s.n, 0);
}

/* 1 when a holds the same strings as b, each as often, in any order. */
static int is_permutation_of(const lle_prompt_set *a, const lle_prompt_set *b)
{
    int *used = calloc(b->n + 1, sizeof *used), ok = a->n == b->n;

    for (size_t i = 0; ok && i < a->n; i++) {
        size_t j = 0;
        while (j < b->n && (used[j] || strcmp(a->texts[i], b->texts[j]) != 0))
            j++;
        ok = j < b->n;
        if (ok)
            used[j] = 1;
    }
    free(used);
    return ok;
}

static void test_order_sorted(void **state)
{
    lle_prompt_set s = {0};
    lle_error err = {0};

    (void)state;
    load_ok("aienergyscore_head.jsonl", "jsonl", &s);
    assert_int_equal(lle_prompts_order(&s, "as_given", 1, &err), LLE_OK);
    assert_int_equal(strlen(s.texts[0]), 1276);
    assert_int_equal(lle_prompts_order(&s, "sorted", 1, &err), LLE_OK);
    for (size_t i = 1; i < s.n; i++)
        assert_true(strlen(s.texts[i - 1]) <= strlen(s.texts[i]));
    assert_int_equal(strlen(s.texts[0]), 17);
    assert_int_equal(strlen(s.texts[19]), 13396);
    assert_int_equal(lle_prompts_order(&s, "random", 1, &err), LLE_ERR_INVALID);
    assert_string_equal(err.msg, "unknown prompt order 'random' (use as_given, sorted or shuffled)");
    lle_prompt_set_free(&s);
}

static void test_order_sorted_is_stable(void **state)
{
    char a[] = "bb", b[] = "a", c[] = "cc", d[] = "d", e[] = "eee";
    char *texts[] = {a, b, c, d, e};
    lle_prompt_set s = {5, texts, 0};

    (void)state;
    assert_int_equal(lle_prompts_order(&s, "sorted", 0, NULL), LLE_OK);
    assert_ptr_equal(s.texts[0], b);
    assert_ptr_equal(s.texts[1], d);
    assert_ptr_equal(s.texts[2], a);
    assert_ptr_equal(s.texts[3], c);
    assert_ptr_equal(s.texts[4], e);
}

static void test_order_shuffled(void **state)
{
    lle_prompt_set base = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    lle_error err = {0};
    size_t moved = 0, differ = 0;

    (void)state;
    load_ok("aienergyscore_head.jsonl", "jsonl", &base);
    load_ok("aienergyscore_head.jsonl", "jsonl", &s1);
    load_ok("aienergyscore_head.jsonl", "jsonl", &s2);
    load_ok("aienergyscore_head.jsonl", "jsonl", &s3);
    assert_int_equal(lle_prompts_order(&s1, "shuffled", 42, &err), LLE_OK);
    assert_int_equal(lle_prompts_order(&s2, "shuffled", 42, &err), LLE_OK);
    assert_int_equal(lle_prompts_order(&s3, "shuffled", 43, &err), LLE_OK);
    for (size_t i = 0; i < base.n; i++) {
        assert_string_equal(s1.texts[i], s2.texts[i]); /* same seed, same order */
        moved += strcmp(s1.texts[i], base.texts[i]) != 0;
        differ += strcmp(s1.texts[i], s3.texts[i]) != 0;
    }
    assert_true(moved > 0);
    assert_true(differ > 0);
    assert_true(is_permutation_of(&s1, &base));
    assert_true(is_permutation_of(&s3, &base));
    lle_prompt_set_free(&base);
    lle_prompt_set_free(&s1);
    lle_prompt_set_free(&s2);
    lle_prompt_set_free(&s3);
}

/* The documented algorithm (docs/prompts.md), checked against an independent
 * Python implementation: position k holds original prompt want[k]. */
static void test_shuffle_reference(void **state)
{
    static const char *const digits[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    static const int want42[10] = {0, 9, 5, 8, 6, 4, 7, 2, 1, 3};
    static const int want0[10] = {6, 3, 2, 9, 8, 1, 4, 7, 0, 5};
    char *texts[10];
    lle_prompt_set s = {10, texts, 0};

    (void)state;
    memcpy(texts, digits, sizeof texts);
    assert_int_equal(lle_prompts_order(&s, "shuffled", 42, NULL), LLE_OK);
    for (int k = 0; k < 10; k++)
        assert_int_equal(texts[k][0] - '0', want42[k]);
    memcpy(texts, digits, sizeof texts);
    assert_int_equal(lle_prompts_order(&s, "shuffled", 0, NULL), LLE_OK);
    for (int k = 0; k < 10; k++)
        assert_int_equal(texts[k][0] - '0', want0[k]);
}

static void test_take_and_cycle(void **state)
{
    lle_prompt_set s = {0};
    lle_error err = {0};

    (void)state;
    load_ok("sharegpt_mixed.json", "sharegpt", &s); /* 4 prompts */
    assert_int_equal(lle_prompts_take(&s, 10, &err), LLE_OK);
    assert_int_equal(s.n, 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(s.texts[i], s.texts[i % 4]);
    assert_ptr_not_equal(s.texts[4], s.texts[0]); /* copies, each owned */
    assert_string_equal(s.texts[9], "Human after system.");
    assert_int_equal(lle_prompts_take(&s, 3, &err), LLE_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.texts[2], "User message.");
    assert_int_equal(lle_prompts_take(&s, 3, &err), LLE_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(lle_prompts_take(&s, 0, &err), LLE_ERR_INVALID);
    assert_int_equal(s.n, 3);
    lle_prompt_set_free(&s);
    assert_int_equal(lle_prompts_take(&s, 1, &err), LLE_ERR_INVALID);
    lle_prompt_set_free(&s); /* freeing an empty set is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aienergyscore_jsonl),
        cmocka_unit_test(test_sharegpt_array),
        cmocka_unit_test(test_sharegpt_turns_and_skips),
        cmocka_unit_test(test_jsonl_edge_cases),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_bad_paths_and_args),
        cmocka_unit_test(test_order_sorted),
        cmocka_unit_test(test_order_sorted_is_stable),
        cmocka_unit_test(test_order_shuffled),
        cmocka_unit_test(test_shuffle_reference),
        cmocka_unit_test(test_take_and_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
