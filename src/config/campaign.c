/* campaign.c — the campaign keys of a config file, parsed and checked
 * structurally (types, unknown keys, values typed by the schema): `models`
 * (preset names, GGUF paths or mappings), `factors` and `grid` (field: [values]),
 * `exclude`/`include` (lists of field: value), `scenarios` (named overrides of
 * the experiment's sections), `cycles`, `order`, `cooldown_s`, `max_retries`.
 * Running a campaign is the campaign runner's job; this file only builds the
 * lle_campaign it will read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "lle/model.h"

const char *const CFG_CAMPAIGN_KEYS[] = {"models", "factors", "scenarios",  "grid",        "exclude", "include",
                                         "cycles", "order",   "cooldown_s", "max_retries", NULL};

static const char *const ENTRY_KEYS[] = {"name", "description", NULL};

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_at(load_ctx *x, const yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(x->doc, n->data.sequence.items.start[i]);
}

static const char *entry_text(load_ctx *x, const yaml_node_t *map, const char *key, const char *path)
{
    yaml_node_t *v = y_map_get(x->doc, map, key);
    char p[224], found[64];
    ykind k = y_kind(v);

    if (v == NULL || k == Y_NULL)
        return NULL;
    if (k == Y_STRING || k == Y_INT || k == Y_FLOAT)
        return cfg_strdup(x->c, y_text(v));
    snprintf(p, sizeof p, "%s.%s", path, key);
    y_describe(v, found, sizeof found);
    cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), p, "expected text, found %s", found);
    return NULL;
}

/* ---- models ---- */
static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}

static void model_from_text(load_ctx *x, const yaml_node_t *n, const char *path, lle_config_entry *m)
{
    const char *s = y_text(n);
    bool is_path = strchr(s, '/') != NULL || strstr(s, ".gguf") != NULL;
    int fi = lle_config_field_find(is_path ? "model_path" : "preset");
    lle_config_value v;

    if (!cfg_parse_value(x->c, fi, n, x->doc, path, &v))
        return;
    lle_config_value_apply(&v, &m->overrides);
    m->overrides.pos[fi] = y_pos(n);
    m->name = cfg_strdup(x->c, is_path ? base_name(s) : s);
}

static void model_entry(load_ctx *x, const yaml_node_t *n, const char *path, lle_config_entry *m)
{
    const lle_run_config *r = &m->overrides.run;
    char name[256], found[64];

    lle_config_experiment_init(&m->overrides);
    m->pos = y_pos(n);
    if (y_kind(n) == Y_STRING) {
        model_from_text(x, n, path, m);
        return;
    }
    if (y_kind(n) != Y_MAP) {
        y_describe(n, found, sizeof found);
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(n), path,
                 "expected a preset name, a GGUF path or a mapping (model_path | preset, preset_type), found %s",
                 found);
        return;
    }
    cfg_parse_section(x, "model", n, path, &m->overrides, ENTRY_KEYS);
    m->name = entry_text(x, n, "name", path);
    m->description = entry_text(x, n, "description", path);
    if (m->name == NULL && r->preset != NULL) {
        snprintf(name, sizeof name, "%s%s%s", r->preset, r->preset_type ? "-" : "",
                 r->preset_type ? r->preset_type : "");
        m->name = cfg_strdup(x->c, name);
    } else if (m->name == NULL && r->model_path != NULL) {
        m->name = cfg_strdup(x->c, base_name(r->model_path));
    }
}

static void parse_models(load_ctx *x, const yaml_node_t *v)
{
    lle_campaign *cp = &x->c->campaign;
    char path[64];

    if (!y_expect_list(x->c, v, "models", "a list of models (preset names, GGUF paths or mappings)"))
        return;
    cp->n_models = seq_len(v);
    cp->models = cfg_alloc(x->c, cp->n_models * sizeof *cp->models);
    for (size_t i = 0; cp->models != NULL && i < cp->n_models; i++) {
        snprintf(path, sizeof path, "models[%zu]", i);
        model_entry(x, seq_at(x, v, i), path, &cp->models[i]);
    }
}

/* ---- scenarios ---- */
static void parse_scenarios(load_ctx *x, const yaml_node_t *v)
{
    lle_campaign *cp = &x->c->campaign;
    char path[64];

    if (!y_expect_list(x->c, v, "scenarios", "a list of scenarios (name plus sections)"))
        return;
    cp->n_scenarios = seq_len(v);
    cp->scenarios = cfg_alloc(x->c, cp->n_scenarios * sizeof *cp->scenarios);
    for (size_t i = 0; cp->scenarios != NULL && i < cp->n_scenarios; i++) {
        lle_config_entry *s = &cp->scenarios[i];
        yaml_node_t *n = seq_at(x, v, i);
        snprintf(path, sizeof path, "scenarios[%zu]", i);
        lle_config_experiment_init(&s->overrides);
        s->pos = y_pos(n);
        if (!y_expect_map(x->c, n, path, "a mapping with a name and sections"))
            continue;
        cfg_parse_experiment_map(x, n, path, &s->overrides, ENTRY_KEYS);
        s->name = entry_text(x, n, "name", path);
        s->description = entry_text(x, n, "description", path);
        if (s->name == NULL)
            cfg_diag(x->c, LLE_CONFIG_ERROR, s->pos, path, "expected a `name:`, found none");
        for (size_t j = 0; s->name != NULL && j < i; j++)
            if (cp->scenarios[j].name != NULL && strcmp(cp->scenarios[j].name, s->name) == 0)
                cfg_diag(x->c, LLE_CONFIG_ERROR, s->pos, path, "duplicate scenario name '%s' (also scenarios[%zu])",
                         s->name, j);
    }
}

/* ---- axes: factors and grid ---- */
static int field_key(load_ctx *x, const char *key, const yaml_node_t *k, const char *path)
{
    const char *names[LLE_CONFIG_MAX_FIELDS + 1], *near;
    int fi = lle_config_field_find(key);
    size_t n = lle_config_field_count();

    if (fi >= 0)
        return fi;
    for (size_t i = 0; i < n; i++)
        names[i] = lle_config_field_at(i)->name;
    names[n] = NULL;
    near = cfg_did_you_mean(strchr(key, '.') ? strchr(key, '.') + 1 : key, names);
    if (near != NULL)
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown field; did you mean '%s'?", near);
    else
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), path, "unknown field (see `llm-efficiency config schema`)");
    return -1;
}

typedef struct axes_walk {
    load_ctx *x;
    const char *what;
    lle_config_axis *axes;
    size_t n;
} axes_walk;

static void axis_pair(void *user, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    axes_walk *w = user;
    char path[192], vp[224];
    int fi;
    lle_config_axis *a;

    snprintf(path, sizeof path, "%s.%s", w->what, key);
    fi = field_key(w->x, key, k, path);
    if (fi < 0 || !y_expect_list(w->x->c, v, path, "a list of values"))
        return;
    if (seq_len(v) == 0) {
        cfg_diag(w->x->c, LLE_CONFIG_ERROR, y_pos(v), path, "expected at least one value, found an empty list");
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        if (w->axes[i].field == fi)
            cfg_diag(w->x->c, LLE_CONFIG_ERROR, y_pos(k), path, "field given twice (as %s and %s)",
                     lle_config_field_at((size_t)fi)->name, key);
    a = &w->axes[w->n++];
    a->field = fi;
    a->pos = y_pos(k);
    a->values = cfg_alloc(w->x->c, seq_len(v) * sizeof *a->values);
    for (size_t i = 0; a->values != NULL && i < seq_len(v); i++) {
        snprintf(vp, sizeof vp, "%s[%zu]", path, i);
        if (cfg_parse_value(w->x->c, fi, seq_at(w->x, v, i), w->x->doc, vp, &a->values[a->n_values]))
            a->n_values++;
    }
}

static void parse_axes(load_ctx *x, const yaml_node_t *v, const char *what, lle_config_axis **axes, size_t *n)
{
    axes_walk w = {x, what, NULL, 0};

    if (!y_expect_map(x->c, v, what, "a mapping of field: [values]"))
        return;
    w.axes = cfg_alloc(x->c, (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start + 1) * sizeof *w.axes);
    if (w.axes == NULL)
        return;
    y_each_pair(x->c, x->doc, v, what, axis_pair, &w);
    if (w.n == 0 && y_kind(v) == Y_MAP && v->data.mapping.pairs.top == v->data.mapping.pairs.start)
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), what, "expected at least one field, found an empty mapping");
    *axes = w.axes;
    *n = w.n;
}

/* ---- exclude / include ---- */
typedef struct assign_walk {
    load_ctx *x;
    const char *path;
    lle_config_assign *a;
} assign_walk;

static void assign_pair(void *user, const char *key, yaml_node_t *k, yaml_node_t *v)
{
    assign_walk *w = user;
    char path[224];
    int fi;

    snprintf(path, sizeof path, "%s.%s", w->path, key);
    fi = field_key(w->x, key, k, path);
    if (fi >= 0 && cfg_parse_value(w->x->c, fi, v, w->x->doc, path, &w->a->values[w->a->n_values]))
        w->a->n_values++;
}

static void parse_assigns(load_ctx *x, const yaml_node_t *v, const char *what, lle_config_assign **out, size_t *n)
{
    char path[64];
    lle_config_assign *list;

    if (!y_expect_list(x->c, v, what, "a list of mappings (field: value)"))
        return;
    list = cfg_alloc(x->c, seq_len(v) * sizeof *list);
    for (size_t i = 0; list != NULL && i < seq_len(v); i++) {
        yaml_node_t *m = seq_at(x, v, i);
        assign_walk w = {x, path, &list[i]};
        snprintf(path, sizeof path, "%s[%zu]", what, i);
        list[i].pos = y_pos(m);
        if (!y_expect_map(x->c, m, path, "a mapping of field: value"))
            continue;
        list[i].values = cfg_alloc(x->c, (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start + 1) *
                                             sizeof *list[i].values);
        if (list[i].values != NULL)
            y_each_pair(x->c, x->doc, m, path, assign_pair, &w);
    }
    *out = list;
    *n = list != NULL ? seq_len(v) : 0;
}

/* ---- scalars ---- */
static void parse_int_key(load_ctx *x, const yaml_node_t *v, const char *key, long long min, long long max, int *out)
{
    char found[64];
    long long n = y_kind(v) == Y_INT ? strtoll(y_text(v), NULL, 10) : min - 1;

    if (n >= min && n <= max) {
        *out = (int)n;
        return;
    }
    y_describe(v, found, sizeof found);
    cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), key, "expected an integer in [%lld, %lld], found %s", min, max, found);
}

static void parse_scalar_key(load_ctx *x, const char *key, const yaml_node_t *v)
{
    lle_campaign *cp = &x->c->campaign;
    char found[64];
    ykind k = y_kind(v);

    y_describe(v, found, sizeof found);
    if (strcmp(key, "cycles") == 0) {
        parse_int_key(x, v, key, 1, 1000000, &cp->cycles);
    } else if (strcmp(key, "max_retries") == 0) {
        parse_int_key(x, v, key, 0, 100, &cp->max_retries);
    } else if (strcmp(key, "cooldown_s") == 0) {
        double d = (k == Y_INT || k == Y_FLOAT) ? strtod(y_text(v), NULL) : -1.0;
        if (d >= 0.0 && d <= 86400.0)
            cp->cooldown_s = d;
        else
            cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), key, "expected a number of seconds in [0, 86400], found %s",
                     found);
    } else if (k == Y_STRING && (strcmp(y_text(v), "as_given") == 0 || strcmp(y_text(v), "shuffled") == 0)) {
        cp->order = cfg_strdup(x->c, y_text(v));
    } else {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(v), key, "expected one of as_given, shuffled, found %s", found);
    }
}

/* Which suite a campaign key belongs to (LLE_SUITE_SINGLE: any campaign). */
static lle_suite key_suite(const char *key)
{
    if (strcmp(key, "factors") == 0)
        return LLE_SUITE_CONTROLLED;
    if (strcmp(key, "scenarios") == 0)
        return LLE_SUITE_SCENARIOS;
    if (strcmp(key, "grid") == 0 || strcmp(key, "exclude") == 0 || strcmp(key, "include") == 0)
        return LLE_SUITE_GRID;
    return LLE_SUITE_SINGLE;
}

static bool suite_allows(load_ctx *x, const char *key, const yaml_node_t *k)
{
    lle_suite have = x->c->campaign.suite, want = key_suite(key);

    if (x->c->suite_invalid)
        return true;
    if (have == LLE_SUITE_SINGLE && (want != LLE_SUITE_SINGLE || strcmp(key, "models") == 0)) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), key, "expected `suite: %s` to use %s, found no suite (single)",
                 strcmp(key, "models") == 0 ? "models" : lle_suite_name(want), key);
        return false;
    }
    if (have == LLE_SUITE_SINGLE) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), key,
                 "expected a campaign (suite: models, controlled, scenarios "
                 "or grid) to use %s, found no suite (single)",
                 key);
        return false;
    }
    if (want != LLE_SUITE_SINGLE && want != have) {
        cfg_diag(x->c, LLE_CONFIG_ERROR, y_pos(k), key, "expected `suite: %s` to use %s, found suite %s",
                 lle_suite_name(want), key, lle_suite_name(have));
        return false;
    }
    return true;
}

bool cfg_parse_campaign_key(load_ctx *x, const char *key, yaml_node_t *knode, yaml_node_t *vnode)
{
    lle_campaign *cp = &x->c->campaign;
    size_t i = 0;

    while (CFG_CAMPAIGN_KEYS[i] != NULL && strcmp(CFG_CAMPAIGN_KEYS[i], key) != 0)
        i++;
    if (CFG_CAMPAIGN_KEYS[i] == NULL)
        return false;
    if (!suite_allows(x, key, knode))
        return true;
    if (strcmp(key, "models") == 0)
        parse_models(x, vnode);
    else if (strcmp(key, "scenarios") == 0)
        parse_scenarios(x, vnode);
    else if (strcmp(key, "factors") == 0)
        parse_axes(x, vnode, key, &cp->factors, &cp->n_factors);
    else if (strcmp(key, "grid") == 0)
        parse_axes(x, vnode, key, &cp->grid, &cp->n_grid);
    else if (strcmp(key, "exclude") == 0)
        parse_assigns(x, vnode, key, &cp->exclude, &cp->n_exclude);
    else if (strcmp(key, "include") == 0)
        parse_assigns(x, vnode, key, &cp->include, &cp->n_include);
    else
        parse_scalar_key(x, key, vnode);
    return true;
}
