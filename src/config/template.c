/* template.c — `config init`: an annotated template per suite, generated from
 * the schema table so it always lists every field (set ones for the tiny
 * preset, the rest commented out with their default and meaning), plus the
 * suite's own lists with small working examples. Every template validates and
 * the single one runs as is in seconds (tests/cli/test_config.sh). Also the
 * atomic write used by `config init -o` and `config migrate -o`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "config/config_internal.h"

#define COMMENT_COL 40

static const char *const SUITE_HELP[] = {
    "one experiment",
    "the experiment once per model of `models`",
    "the experiment with one factor varied at a time (`factors`)",
    "named variations of the experiment (`scenarios`)",
    "the cross product of `grid`, minus `exclude`, plus `include`",
};

/* Example values for commented-out fields whose default is null. */
static const char *example(const char *field)
{
    if (strcmp(field, "model_path") == 0)
        return "model.gguf";
    if (strcmp(field, "cache_dir") == 0)
        return "cache";
    if (strcmp(field, "prompt_file") == 0)
        return "prompts.jsonl";
    if (strcmp(field, "decoding_preset") == 0)
        return "standard";
    if (strcmp(field, "split_mode") == 0)
        return "layer";
    return NULL;
}

static void line_with_comment(rbuf *b, const char *text, const char *comment)
{
    size_t len = strlen(text);

    rbuf_puts(b, text);
    sb_indent(b, len < COMMENT_COL ? (int)(COMMENT_COL - len) : 1);
    rbuf_printf(b, "# %s\n", comment);
}

static void template_field(rbuf *b, const lle_config_experiment *e, size_t i, int indent)
{
    const lle_config_field *f = lle_config_field_at(i);
    lle_config_value v;
    rbuf line = {0};
    char *text;

    cfg_value_get(&e->run, (int)i, &v);
    if (!e->set[i] && example(f->name) != NULL)
        v.s = example(f->name);
    sb_indent(&line, indent);
    rbuf_printf(&line, "%s%s: ", e->set[i] ? "" : "# ", f->name);
    cfg_value_yaml(&line, &v);
    text = rbuf_release(&line);
    line_with_comment(b, text ? text : "", f->help);
    free(text);
}

static void template_experiment(rbuf *b, const lle_config_experiment *e, int indent)
{
    for (size_t s = 0; CFG_SECTIONS[s] != NULL; s++) {
        char head[64];
        if (s > 0)
            rbuf_puts(b, "\n");
        snprintf(head, sizeof head, "%*s%s:", indent, "", CFG_SECTIONS[s]);
        line_with_comment(b, head, cfg_section_help(CFG_SECTIONS[s]));
        for (size_t i = 0; i < lle_config_field_count(); i++)
            if (strcmp(lle_config_field_at(i)->section, CFG_SECTIONS[s]) == 0)
                template_field(b, e, i, indent + 2);
    }
}

static void set_field(lle_config_experiment *e, const char *name, const char *s, long long i)
{
    lle_config_value v;
    int fi = lle_config_field_find(name);

    cfg_value_get(&e->run, fi, &v);
    if (s != NULL)
        v.s = s;
    else
        v.i = i;
    lle_config_value_apply(&v, e);
}

static const char MODELS_TAIL[] = "\n# Each entry replaces the experiment's model: a preset name, a GGUF path, or a\n"
                                  "# mapping (name, model_path | preset, preset_type).\n"
                                  "models:\n"
                                  "  - {name: tiny-q8_0, preset: tiny, preset_type: q8_0}\n"
                                  "  - {name: tiny-q4_0, preset: tiny, preset_type: q4_0}\n"
                                  "  # - ../models/my-model.gguf\n";

static const char CONTROLLED_TAIL[] =
    "\n# One factor varies at a time; every other field keeps the experiment's value.\n"
    "factors:\n"
    "  batch_size: [1, 2, 4]\n"
    "  max_output_tokens: [8, 16]\n";

static const char SCENARIOS_TAIL[] = "\n# Each scenario overrides sections of the experiment; `name` is required.\n"
                                     "scenarios:\n"
                                     "  - name: greedy-batch1\n"
                                     "    description: one request at a time, greedy\n"
                                     "    batching:\n"
                                     "      batch_size: 1\n"
                                     "  - name: sampled-batch4\n"
                                     "    batching:\n"
                                     "      batch_size: 4\n"
                                     "    decoding:\n"
                                     "      decoding_preset: standard\n"
                                     "  - name: uniform-arrivals\n"
                                     "    simulation:\n"
                                     "      traffic: uniform\n"
                                     "      delay_min_s: 0.01\n"
                                     "      delay_max_s: 0.05\n";

static const char GRID_TAIL[] = "\n# Every combination of the values below (field names as in the sections).\n"
                                "grid:\n"
                                "  batch_size: [1, 4]\n"
                                "  temperature: [0, 0.7]\n"
                                "  top_k: [0, 40]\n"
                                "# Combinations to leave out: every field given must match.\n"
                                "exclude:\n"
                                "  - {temperature: 0, top_k: 40}         # greedy ignores top_k\n"
                                "# Extra experiments: the experiment with these fields set.\n"
                                "# include:\n"
                                "#   - {batch_size: 8, temperature: 0}\n";

static const char CAMPAIGN_TAIL[] =
    "\ncycles: 1                               # passes over the whole campaign\n"
    "order: as_given                         # as_given | shuffled (order of experiments in a cycle)\n"
    "cooldown_s: 0                           # idle seconds between experiments\n"
    "max_retries: 0                          # reruns of a failed experiment\n";

static void template_head(rbuf *b, lle_suite s)
{
    rbuf_printf(b, "# llm-efficiency %s — written by `llm-efficiency config init --suite %s`.\n",
                s == LLE_SUITE_SINGLE ? "experiment" : "campaign", lle_suite_name(s));
    rbuf_printf(b, "# Suite %s: %s.\n", lle_suite_name(s), SUITE_HELP[s]);
    rbuf_puts(b, "# As written it runs in seconds: the synthesised `tiny` preset (a 9.4M-parameter\n"
                 "# llama, synthesised once into the cache) and 4 short synthetic prompts.\n"
                 "# Commented-out fields show their default. Format: docs/config-files.md;\n"
                 "# every field: `llm-efficiency config schema`.\n");
    rbuf_printf(b, "# Check it: llm-efficiency config validate FILE%s\n",
                s == LLE_SUITE_SINGLE ? "\n# Run it:   llm-efficiency run single FILE [flags override the file]" : "");
    rbuf_printf(b, "version: %d\nname: my-%s\n", LLE_CONFIG_FORMAT_VERSION, lle_suite_name(s));
}

lle_status lle_config_template(const char *suite, char **out, lle_error *err)
{
    static const char *const tails[] = {"", MODELS_TAIL, CONTROLLED_TAIL, SCENARIOS_TAIL, GRID_TAIL};
    lle_config_experiment e;
    rbuf b = {0};
    int s = 0;

    *out = NULL;
    while (s < 5 && strcmp(lle_suite_name((lle_suite)s), suite ? suite : "single") != 0)
        s++;
    if (s == 5)
        return lle_fail(err, LLE_ERR_INVALID, "--suite: unknown '%s' (single, models, controlled, scenarios, grid)",
                        suite);
    lle_config_experiment_init(&e);
    set_field(&e, "preset", "tiny", 0);
    set_field(&e, "preset_type", "q8_0", 0);
    set_field(&e, "prompts", NULL, 4);
    set_field(&e, "max_input_tokens", NULL, 32);
    set_field(&e, "max_output_tokens", NULL, 16);
    template_head(&b, (lle_suite)s);
    if (s != LLE_SUITE_SINGLE)
        rbuf_printf(&b, "suite: %s\n\n# The base experiment every run of the campaign starts from.\nexperiment:\n",
                    lle_suite_name((lle_suite)s));
    template_experiment(&b, &e, s == LLE_SUITE_SINGLE ? 0 : 2);
    rbuf_puts(&b, tails[s]);
    if (s != LLE_SUITE_SINGLE)
        rbuf_puts(&b, CAMPAIGN_TAIL);
    *out = rbuf_release(&b);
    return *out != NULL ? LLE_OK : lle_fail(err, LLE_ERR_NOMEM, "out of memory");
}

lle_status lle_config_write_text(const char *path, const char *text, bool overwrite, lle_error *err)
{
    struct stat sb;

    if (!overwrite && stat(path, &sb) == 0)
        return lle_fail(err, LLE_ERR_INVALID, "%s: already exists (use --force to overwrite)", path);
    return lle_write_file_atomic(path, text, strlen(text), err);
}
