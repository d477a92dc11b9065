/* load.c — reading a config file: the file itself (size limit, a directory,
 * missing), the YAML/JSON document, the top-level keys (version, name,
 * description, suite, experiment, the sections of a single experiment, the
 * campaign keys), the sections and their fields. Unknown keys get a
 * did-you-mean; every error is collected, then the rules run, and the
 * diagnostics are sorted by position. lle_config_apply() hands the values to
 * the runner. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "config/config_internal.h"

#define MAX_FILE_BYTES (16u << 20)

static const char *const ROOT_KEYS[] = {"version", "name", "description", "suite", "experiment", NULL};

/* ---- sections ---- */
typedef struct section_walk {
    load_ctx *x;
    const char *section, *path;
    lle_config_experiment *e;
    const char *const *extra;
} section_walk;

static bool in_list(const char *key, const char *const *list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        if (strcmp(list[i], key) == 0)
            return true;
    return false;
}

static void unknown_field(load_ctx *x, const char *section, const char *key, const yaml_node_t *k, const char *path)
{
    const char *names[LLE_CONFIG_MAX_FIELDS + 1], *near;
    size_t n = 0;
    int other = lle_config_field_find(key);

    if (other >= 0) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown key in %s; %s belongs in section %s", section, key,
                 lle_config_field_at((size_t)other)->section);
        return;
    }
    for (size_t i = 0; i < lle_config_field_count(); i++)
        if (strcmp(lle_config_field_at(i)->section, section) == 0)
            names[n++] = lle_config_field_at(i)->name;
    names[n] = NULL;
    near = cfg_did_you_mean(key, names);
    if (near == NULL) {
        for (n = 0; n < lle_config_field_count(); n++)
            names[n] = lle_config_field_at(n)->name;
        names[n] = NULL;
        near = cfg_did_you_mean(key, names);
    }
    if (near == NULL) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown key (see `llm-efficiency config schema`)");
        return;
    }
    other = lle_config_field_find(near);
    if (strcmp(lle_config_field_at((size_t)other)->section, section) == 0)
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown key; did you mean '%s'?", near);
    else
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown key; did you mean '%s' (in section %s)?", near,
                 lle_config_field_at((size_t)other)->section);
}

static void section_pair(void *user, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    section_walk *w = user;
    int fi = lle_config_field_find(key);
    char path[192];
    lle_config_value val;

    if (in_list(key, w->extra))
        return;
    snprintf(path, sizeof path, "%s.%s", w->path, key);
    if (fi < 0 || strcmp(lle_config_field_at((size_t)fi)->section, w->section) != 0) {
        unknown_field(w->x, w->section, key, k, path);
        return;
    }
    if (!cfg_parse_value(w->x->c, fi, v, w->x->doc, path, &val)) {
        w->e->pos[fi] = y_pos(k); /* given but invalid: rules know it was there */
        return;
    }
    lle_config_value_apply(&val, w->e);
    w->e->pos[fi] = y_pos(k);
}

void cfg_parse_section(load_ctx *x, const char *section, const yaml_node_t *map, const char *path,
                       lle_config_experiment *e, const char *const *extra_keys)
{
    section_walk w = {x, section, path, e, extra_keys};
    char what[160];

    if (y_kind(map) == Y_NULL)
        return;
    snprintf(what, sizeof what, "a mapping of %s fields", section);
    if (!y_expect_map(x->c, map, path, what))
        return;
    y_each_pair(x->c, x->doc, map, path, section_pair, &w);
}

/* ---- an experiment: a mapping of sections ---- */
typedef struct exp_walk {
    load_ctx *x;
    const char *path;
    lle_config_experiment *e;
    const char *const *extra;
} exp_walk;

static void misplaced_or_unknown(load_ctx *x, const char *key, const yaml_node_t *k, const char *path,
                                 const char *const *candidates)
{
    int fi = lle_config_field_find(key);
    const char *near;

    if (fi >= 0) {
        const char *sec = lle_config_field_at((size_t)fi)->section;
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown key here; %s belongs in section %s (%s: {%s: ...})",
                 key, sec, sec, key);
        return;
    }
    near = cfg_did_you_mean(key, candidates);
    if (near != NULL)
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown key; did you mean '%s'?", near);
    else
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path,
                 "unknown key (sections: model, engine, batching, decoding, workload, simulation)");
}

static void exp_pair(void *user, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    exp_walk *w = user;
    const char *cands[24];
    size_t n = 0;
    char path[192];

    if (in_list(key, w->extra))
        return;
    snprintf(path, sizeof path, "%s%s%s", w->path, w->path[0] ? "." : "", key);
    if (cfg_is_section(key)) {
        if (strcmp(key, "model") == 0 && w->e == &w->x->c->campaign.experiment)
            w->x->c->model_pos = y_pos(k);
        cfg_parse_section(w->x, key, v, path, w->e, NULL);
        return;
    }
    for (size_t i = 0; CFG_SECTIONS[i] != NULL; i++)
        cands[n++] = CFG_SECTIONS[i];
    for (size_t i = 0; w->extra != NULL && w->extra[i] != NULL && n + 1 < 24; i++)
        cands[n++] = w->extra[i];
    cands[n] = NULL;
    misplaced_or_unknown(w->x, key, k, path, cands);
}

void cfg_parse_experiment_map(load_ctx *x, const yaml_node_t *map, const char *path, lle_config_experiment *e,
                              const char *const *extra_keys)
{
    exp_walk w = {x, path, e, extra_keys};

    if (y_kind(map) == Y_NULL)
        return;
    if (!y_expect_map(x->c, map, path, "a mapping of sections (model, engine, batching, ...)"))
        return;
    y_each_pair(x->c, x->doc, map, path, exp_pair, &w);
}

/* ---- the root ---- */
typedef struct root_walk {
    load_ctx *x;
    bool top_sections, experiment;
    lle_config_pos top_pos;
} root_walk;

static const char *text_value(load_ctx *x, const yaml_node_t *v, const char *path)
{
    char found[64];
    ykind k = y_kind(v);

    if (k == Y_STRING || k == Y_INT || k == Y_FLOAT)
        return cfg_strdup(x->c, y_text(v));
    if (k == Y_NULL)
        return NULL;
    y_describe(v, found, sizeof found);
    cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), path, "expected text, found %s", found);
    return NULL;
}

static void parse_version(load_ctx *x, const yaml_node_t *v)
{
    char found[64];

    if (y_kind(v) == Y_INT && strcmp(y_text(v), "1") == 0)
        return;
    y_describe(v, found, sizeof found);
    cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), "version", "expected %d, found %s%s", LLE_CONFIG_FORMAT_VERSION, found,
             y_kind(v) == Y_INT ? " (written for a newer llm-efficiency?)" : "");
}

static void unknown_root(load_ctx *x, const char *key, const yaml_node_t *k)
{
    const char *cands[40];
    size_t n = 0;

    for (size_t i = 0; ROOT_KEYS[i] != NULL; i++)
        cands[n++] = ROOT_KEYS[i];
    for (size_t i = 0; CFG_SECTIONS[i] != NULL; i++)
        cands[n++] = CFG_SECTIONS[i];
    for (size_t i = 0; CFG_CAMPAIGN_KEYS[i] != NULL && n + 1 < 40; i++)
        cands[n++] = CFG_CAMPAIGN_KEYS[i];
    cands[n] = NULL;
    misplaced_or_unknown(x, key, k, key, cands);
}

static void root_pair(void *user, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    root_walk *w = user;
    lle_campaign *cp = &w->x->c->campaign;

    if (strcmp(key, "suite") == 0)
        return; /* read first, in parse_suite() */
    if (strcmp(key, "version") == 0) {
        parse_version(w->x, v);
    } else if (strcmp(key, "name") == 0) {
        cp->name = text_value(w->x, v, key);
    } else if (strcmp(key, "description") == 0) {
        cp->description = text_value(w->x, v, key);
    } else if (strcmp(key, "experiment") == 0) {
        w->experiment = true;
        cfg_parse_experiment_map(w->x, v, "experiment", &cp->experiment, NULL);
    } else if (cfg_is_section(key)) {
        if (cp->suite != LLE_SUITE_SINGLE && !w->x->c->suite_invalid) {
            cfg_diag(w->x->c, LLE_CONFIG_ERROR, y_pos(k), key,
                     "expected the experiment's sections under `experiment:` in a campaign (suite: %s), found %s at "
                     "the top level",
                     lle_suite_name(cp->suite), key);
            return;
        }
        if (!w->top_sections)
            w->top_pos = y_pos(k);
        w->top_sections = true;
        if (strcmp(key, "model") == 0)
            w->x->c->model_pos = y_pos(k);
        cfg_parse_section(w->x, key, v, key, &cp->experiment, NULL);
    } else if (!cfg_parse_campaign_key(w->x, key, k, v)) {
        unknown_root(w->x, key, k);
    }
}

static void parse_suite(load_ctx *x, const yaml_node_t *root)
{
    static const char *const names[] = {"single", "models", "controlled", "scenarios", "grid", NULL};
    const yaml_node_t *v = y_map_get(x->doc, root, "suite");
    const char *s = y_text(v), *near;
    char found[64];

    if (v == NULL || y_kind(v) == Y_NULL)
        return;
    for (int i = 0; s != NULL && y_kind(v) == Y_STRING && names[i] != NULL; i++) {
        if (strcmp(s, names[i]) == 0) {
            x->c->campaign.suite = (lle_suite)i;
            return;
        }
    }
    x->c->suite_invalid = true;
    y_describe(v, found, sizeof found);
    near = y_kind(v) == Y_STRING ? cfg_did_you_mean(s, names) : NULL;
    cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), "suite",
             "expected one of single, models, controlled, scenarios, grid, found %s%s%s%s", found,
             near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

static void parse_root(load_ctx *x)
{
    yaml_node_t *root = yaml_document_get_root_node(x->doc);
    root_walk w = {x, false, false, {0, 0}};
    lle_campaign *cp = &x->c->campaign;

    x->c->no_root = true;
    if (root == NULL) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, (lle_config_pos){1, 1}, "",
                 "expected a mapping of sections, found an empty document");
        return;
    }
    if (!y_expect_map(x->c, root, "", "a mapping of sections (model, engine, ...) or a campaign"))
        return;
    x->c->no_root = false;
    if (y_map_get(x->doc, root, "model_name") != NULL &&
        (y_map_get(x->doc, root, "batching_options") != NULL || y_map_get(x->doc, root, "decoder_config") != NULL)) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(root), "",
                 "expected an llm-efficiency config, found a thesis-tool config (model_name, batching_options, ...): "
                 "convert it with `llm-efficiency config migrate %s`",
                 x->c->name);
        x->c->no_root = true;
        return;
    }
    parse_suite(x, root);
    y_each_pair(x->c, x->doc, root, "", root_pair, &w);
    if (w.top_sections && w.experiment)
        cfg_diag(x->c, LLE_CONFIG_ERROR, w.top_pos, "experiment",
                 "expected the sections either at the top level or under `experiment:`, found both");
    if (cp->cycles == 0)
        cp->cycles = 1;
    if (cp->order == NULL)
        cp->order = "as_given";
}

/* ---- entry points ---- */
static void sort_diags(lle_config *c)
{
    for (size_t i = 1; i < c->n_diags; i++) {
        lle_config_diag d = c->diags[i];
        size_t j = i;
        while (j > 0 && (c->diags[j - 1].pos.line > d.pos.line ||
                         (c->diags[j - 1].pos.line == d.pos.line && c->diags[j - 1].pos.column > d.pos.column))) {
            c->diags[j] = c->diags[j - 1];
            j--;
        }
        c->diags[j] = d;
    }
}

static lle_status finish(lle_config *c, lle_error *err)
{
    const lle_config_diag *d = NULL;

    if (c->oom)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory reading %s", c->name);
    sort_diags(c);
    for (size_t i = 0; i < c->n_diags && d == NULL; i++)
        if (c->diags[i].severity == LLE_CONFIG_ERROR)
            d = &c->diags[i];
    if (d == NULL)
        return LLE_OK;
    if (c->n_errors > 1)
        return lle_fail(err, c->yaml_failed ? LLE_ERR_FORMAT : LLE_ERR_INVALID,
                        "%s:%d:%d: %s: %s (and %zu more errors)", c->name, d->pos.line, d->pos.column, d->path,
                        d->message, c->n_errors - 1);
    return lle_fail(err, c->yaml_failed ? LLE_ERR_FORMAT : LLE_ERR_INVALID, "%s:%d:%d: %s: %s", c->name, d->pos.line,
                    d->pos.column, d->path, d->message);
}

lle_status lle_config_load_string(const char *text, size_t len, const char *name, const char *base_dir,
                                  lle_config **out, lle_error *err)
{
    lle_config *c = calloc(1, sizeof *c);
    yaml_document_t doc;
    load_ctx x;
    char msg[400];
    lle_config_pos pos = {1, 1};
    lle_status st;

    *out = NULL;
    if (c == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    c->name = strdup(name != NULL ? name : "(string)");
    c->base_dir = strdup(base_dir != NULL ? base_dir : ".");
    if (c->name == NULL || c->base_dir == NULL) {
        lle_config_free(c);
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    }
    lle_config_experiment_init(&c->campaign.experiment);
    if (!y_load(&doc, text, len, &pos, msg, sizeof msg)) {
        c->yaml_failed = true;
        cfg_diag(c, LLE_CONFIG_ERROR, pos, "(syntax)", "%s", msg);
    } else {
        x.c = c;
        x.doc = &doc;
        parse_root(&x);
        if (!c->oom && !c->no_root)
            cfg_check_campaign(c);
        yaml_document_delete(&doc);
    }
    st = finish(c, err);
    if (st == LLE_ERR_NOMEM) {
        lle_config_free(c);
        return st;
    }
    *out = c;
    return st;
}

static lle_status read_file(const char *path, char **text, size_t *len, lle_error *err)
{
    struct stat sb;
    FILE *f;
    size_t n;

    if (stat(path, &sb) != 0)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return lle_fail(err, LLE_ERR_INVALID, "%s: is a directory, expected a YAML or JSON file", path);
    if ((uint64_t)sb.st_size > MAX_FILE_BYTES)
        return lle_fail(err, LLE_ERR_INVALID, "%s: %lld bytes, expected a config file of at most %u bytes", path,
                        (long long)sb.st_size, MAX_FILE_BYTES);
    f = fopen(path, "rb");
    if (f == NULL)
        return lle_fail(err, LLE_ERR_IO, "%s: %s", path, strerror(errno));
    *text = malloc((size_t)sb.st_size + 1);
    n = *text != NULL ? fread(*text, 1, (size_t)sb.st_size, f) : 0;
    fclose(f);
    if (*text == NULL)
        return lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    (*text)[n] = '\0';
    *len = n;
    return LLE_OK;
}

lle_status lle_config_load(const char *path, lle_config **out, lle_error *err)
{
    char *text = NULL, *dcopy = NULL, dir[PATH_MAX];
    size_t len = 0;
    lle_status st;

    *out = NULL;
    if (path == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "config: no file given");
    st = read_file(path, &text, &len, err);
    if (st == LLE_OK) {
        dcopy = strdup(path);
        if (dcopy == NULL || realpath(dirname(dcopy), dir) == NULL)
            lle_strlcpy(dir, ".", sizeof dir);
        st = lle_config_load_string(text, len, path, dir, out, err);
    }
    free(dcopy);
    free(text);
    return st;
}

lle_status lle_config_apply(const lle_config *c, lle_run_config *cfg, lle_error *err)
{
    const lle_campaign *cp = &c->campaign;
    lle_config_experiment e;

    if (c->n_errors > 0)
        return lle_fail(err, LLE_ERR_INVALID, "%s: %zu error%s (run `llm-efficiency config validate %s`)", c->name,
                        c->n_errors, c->n_errors == 1 ? "" : "s", c->name);
    if (cp->suite != LLE_SUITE_SINGLE)
        return lle_fail(err, LLE_ERR_INVALID, "%s: a %s campaign, expected a single experiment here", c->name,
                        lle_suite_name(cp->suite));
    memset(&e, 0, sizeof e);
    e.run = *cfg;
    lle_config_overlay(&e, &cp->experiment);
    *cfg = e.run;
    return LLE_OK;
}
