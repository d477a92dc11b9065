/* plan.c — a campaign file into the list of experiments it declares: the
 * suite's variants (the experiment; each model; the base and one factor value
 * at a time; each scenario, built-in presets expanded; every grid combination
 * not excluded plus the includes), crossed with `models:` when the file lists
 * them, merged over the base experiment (lle_config_merge) with command-line
 * overrides last, validated with the runner's own rules, deduplicated on the
 * resolved configuration hash, then laid out over the cycles in the chosen
 * order. Order semantics: docs/campaigns.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign/campaign_internal.h"
#include "common/util.h"

#define MAX_REPORTED 3

typedef struct builder {
    const lle_campaign *cp;
    lle_campaign_plan *p;
    size_t cap_exp, cap_notes;
    size_t *table; /* open addressing: experiment index + 1, 0 empty */
    size_t table_size;
    lle_config_experiment cli; /* command-line overrides */
    bool has_cli;
    lle_config_experiment *m, *v, *e; /* scratch: model merged, variant, final */
    size_t n_invalid;
    char first_error[LLE_ERROR_MSG_MAX];
    lle_status st; /* first fatal error (NOMEM) */
} builder;

static lle_status add_note(builder *b, const char *text)
{
    char *copy = strdup(text);

    if (copy != NULL && b->p->n_notes == b->cap_notes) {
        size_t ncap = b->cap_notes ? b->cap_notes * 2 : 16;
        char **grown = realloc(b->p->notes, ncap * sizeof *grown);
        if (grown == NULL) {
            free(copy);
            copy = NULL;
        } else {
            b->p->notes = grown;
            b->cap_notes = ncap;
        }
    }
    if (copy == NULL)
        return b->st = LLE_ERR_NOMEM;
    b->p->notes[b->p->n_notes++] = copy;
    return LLE_OK;
}

static uint64_t hash_key(const char *hex)
{
    return strtoull((char[17]){hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7], hex[8], hex[9], hex[10],
                               hex[11], hex[12], hex[13], hex[14], hex[15], 0},
                    NULL, 16);
}

/* Index + 1 of the experiment with this hash, 0 when new. */
static size_t table_find(const builder *b, const char *hash, size_t *slot)
{
    size_t mask = b->table_size - 1, i = (size_t)hash_key(hash) & mask;

    while (b->table[i] != 0 && strcmp(b->p->experiments[b->table[i] - 1].hash, hash) != 0)
        i = (i + 1) & mask;
    *slot = i;
    return b->table[i];
}

static lle_status table_grow(builder *b)
{
    size_t old_size = b->table_size, *old = b->table, slot;

    b->table_size = old_size ? old_size * 2 : 1024;
    b->table = calloc(b->table_size, sizeof *b->table);
    if (b->table == NULL) {
        b->table = old;
        b->table_size = old_size;
        return b->st = LLE_ERR_NOMEM;
    }
    for (size_t i = 0; i < old_size; i++)
        if (old[i] != 0 && table_find(b, b->p->experiments[old[i] - 1].hash, &slot) == 0)
            b->table[slot] = old[i];
    free(old);
    return LLE_OK;
}

static lle_status append_experiment(builder *b, const char *label, const lle_run_config *run, char *json,
                                    const char *hash)
{
    lle_campaign_experiment *x;
    size_t slot;

    if ((b->p->n_experiments + 1) * 2 > b->table_size && table_grow(b) != LLE_OK)
        return b->st;
    if (b->p->n_experiments == b->cap_exp) {
        size_t ncap = b->cap_exp ? b->cap_exp * 2 : 64;
        lle_campaign_experiment *grown = realloc(b->p->experiments, ncap * sizeof *grown);
        if (grown == NULL)
            return b->st = LLE_ERR_NOMEM;
        b->p->experiments = grown;
        b->cap_exp = ncap;
    }
    x = &b->p->experiments[b->p->n_experiments];
    memset(x, 0, sizeof *x);
    lle_strlcpy(x->label, label, sizeof x->label);
    lle_strlcpy(x->hash, hash, sizeof x->hash);
    x->run = *run;
    x->config_json = json;
    table_find(b, hash, &slot);
    b->table[slot] = ++b->p->n_experiments;
    return LLE_OK;
}

/* Validate, hash and add (or drop as a duplicate) one resolved experiment. */
static void add_resolved(builder *b, const char *label, const lle_run_config *run)
{
    lle_run_config check = *run, norm;
    lle_error e = {0};
    char hash[LLE_CAMPAIGN_HASH_MAX], note[LLE_CAMPAIGN_LABEL_MAX * 2 + 64], *json;
    size_t slot, found;

    if (lle_run_config_apply_preset(&check, &e) != LLE_OK || lle_run_config_validate(&check, &e) != LLE_OK ||
        cmp_normalize(run, &norm, &e) != LLE_OK) {
        if (b->n_invalid++ == 0)
            snprintf(b->first_error, sizeof b->first_error, "%.255s: %.700s", label, e.msg);
        return;
    }
    json = cmp_config_json(&norm);
    if (json == NULL) {
        b->st = LLE_ERR_NOMEM;
        return;
    }
    cmp_sha256_hex(json, strlen(json), hash);
    found = b->table_size > 0 ? table_find(b, hash, &slot) : 0;
    if (found != 0) {
        snprintf(note, sizeof note, "%s: same configuration as %s; run once", label,
                 b->p->experiments[found - 1].label);
        free(json);
        add_note(b, note);
        return;
    }
    if (append_experiment(b, label, run, json, hash) != LLE_OK)
        free(json);
}

static bool sets_model(const lle_config_experiment *e)
{
    return e->set[lle_config_field_find("model_path")] || e->set[lle_config_field_find("preset")];
}

/* One variant over one model entry (NULL: the base's model). `builtin` (may
 * be NULL) comes first, the variant's own fields on top of it. */
static void emit(builder *b, const lle_config_entry *model, const char *vlabel, const lle_config_experiment *over,
                 const lle_builtin_scenario *builtin)
{
    char label[LLE_CAMPAIGN_LABEL_MAX], note[LLE_CAMPAIGN_LABEL_MAX + 160];
    const lle_config_experiment *variant = over;
    bool file;

    if (model != NULL)
        lle_config_merge(&b->cp->experiment, &model->overrides, b->m);
    else
        *b->m = b->cp->experiment;
    snprintf(label, sizeof label, "%s%s%s%s", model != NULL ? "models/" : "", model != NULL ? model->name : "",
             model != NULL && vlabel[0] != '\0' ? " / " : "", vlabel);
    if (builtin != NULL) {
        lle_config_experiment bo;
        file = sets_model(over) ? over->set[lle_config_field_find("model_path")] : b->m->run.model_path != NULL;
        cmp_builtin_overrides(builtin, file, &bo);
        lle_config_merge(&bo, over, b->v);
        variant = b->v;
        if (file) {
            snprintf(note, sizeof note,
                     "%s: built-in %s weight type %s not applied: the model is a GGUF file, whose "
                     "own type is the precision of the run",
                     label, builtin->id, builtin->preset_type);
            add_note(b, note);
        }
    }
    lle_config_merge(b->m, variant, b->e);
    if (builtin != NULL && !over->set[lle_config_field_find("decoding_preset")])
        b->e->run.decoding_preset = NULL; /* the scenario sets the sampling fields */
    if (b->has_cli)
        lle_config_merge(b->e, &b->cli, b->e); /* exact self-assignment is well defined */
    add_resolved(b, label[0] != '\0' ? label : "experiment", &b->e->run);
}

/* ---- the suites' variants ---- */
static void append_value(char *buf, size_t size, const lle_config_value *v, bool first)
{
    char text[96];
    size_t used = strlen(buf);

    cmp_value_text(v, text, sizeof text);
    snprintf(buf + used, size - used, "%s%s: %s", first ? "" : ", ", lle_config_field_at((size_t)v->field)->name, text);
}

static void controlled(builder *b, const lle_config_entry *model)
{
    lle_config_experiment one;
    char label[LLE_CAMPAIGN_LABEL_MAX], text[96];

    lle_config_experiment_init(&one);
    emit(b, model, "base", &one, NULL);
    for (size_t a = 0; a < b->cp->n_factors && b->st == LLE_OK; a++) {
        const lle_config_axis *ax = &b->cp->factors[a];
        for (size_t k = 0; k < ax->n_values && b->st == LLE_OK; k++) {
            lle_config_experiment_init(&one);
            lle_config_value_apply(&ax->values[k], &one);
            cmp_value_text(&ax->values[k], text, sizeof text);
            snprintf(label, sizeof label, "factors.%s=%s", lle_config_field_at((size_t)ax->field)->name, text);
            emit(b, model, label, &one, NULL);
        }
    }
}

static void scenarios(builder *b, const lle_config_entry *model)
{
    char label[LLE_CAMPAIGN_LABEL_MAX];

    for (size_t i = 0; i < b->cp->n_scenarios && b->st == LLE_OK; i++) {
        const lle_config_entry *s = &b->cp->scenarios[i];
        const lle_builtin_scenario *bi = lle_builtin_scenario_find(s->name);
        if (s->name != NULL && strcasecmp(s->name, "thesis") == 0) {
            for (size_t k = 0; k < lle_builtin_scenario_count() && b->st == LLE_OK; k++) {
                bi = lle_builtin_scenario_at(k);
                snprintf(label, sizeof label, "scenarios[%zu] %s (built-in %s)", i, bi->id, bi->name);
                emit(b, model, label, &s->overrides, bi);
            }
            continue;
        }
        if (bi != NULL)
            snprintf(label, sizeof label, "scenarios[%zu] %s (built-in %s)", i, s->name, bi->name);
        else
            snprintf(label, sizeof label, "scenarios[%zu] %s", i, s->name != NULL ? s->name : "?");
        emit(b, model, label, &s->overrides, bi);
    }
}

static void grid(builder *b, const lle_config_entry *model)
{
    const lle_campaign *cp = b->cp;
    size_t *idx = calloc(cp->n_grid + 1, sizeof *idx);
    lle_config_experiment one;
    char label[LLE_CAMPAIGN_LABEL_MAX];
    bool more = idx != NULL && cp->n_grid > 0;

    if (idx == NULL)
        b->st = LLE_ERR_NOMEM;
    for (; more && b->st == LLE_OK; more = lle_campaign_grid_next(cp, idx)) {
        if (lle_campaign_grid_excluded(cp, idx))
            continue;
        lle_config_experiment_init(&one);
        snprintf(label, sizeof label, "grid{");
        for (size_t a = 0; a < cp->n_grid; a++) {
            lle_config_value_apply(&cp->grid[a].values[idx[a]], &one);
            append_value(label, sizeof label - 1, &cp->grid[a].values[idx[a]], a == 0);
        }
        lle_strlcpy(label + strlen(label), "}", sizeof label - strlen(label));
        emit(b, model, label, &one, NULL);
    }
    for (size_t i = 0; i < cp->n_include && b->st == LLE_OK; i++) {
        lle_config_experiment_init(&one);
        snprintf(label, sizeof label, "include[%zu]{", i);
        for (size_t k = 0; k < cp->include[i].n_values; k++) {
            lle_config_value_apply(&cp->include[i].values[k], &one);
            append_value(label, sizeof label - 1, &cp->include[i].values[k], k == 0);
        }
        lle_strlcpy(label + strlen(label), "}", sizeof label - strlen(label));
        emit(b, model, label, &one, NULL);
    }
    free(idx);
}

static void variants(builder *b, const lle_config_entry *model)
{
    lle_config_experiment none;

    lle_config_experiment_init(&none);
    switch (b->cp->suite) {
    case LLE_SUITE_SINGLE:
        emit(b, model, model != NULL ? "" : "experiment", &none, NULL);
        break;
    case LLE_SUITE_MODELS:
        emit(b, model, "", &none, NULL);
        break;
    case LLE_SUITE_CONTROLLED:
        controlled(b, model);
        break;
    case LLE_SUITE_SCENARIOS:
        scenarios(b, model);
        break;
    case LLE_SUITE_GRID:
        grid(b, model);
        break;
    }
}

/* ---- order over cycles ---- */
static lle_status lay_out(lle_campaign_plan *p)
{
    size_t n = p->n_experiments, k = 0;
    size_t *perm = malloc((n > 0 ? n : 1) * sizeof *perm);

    p->n_items = n * (size_t)p->cycles;
    p->items = calloc(p->n_items > 0 ? p->n_items : 1, sizeof *p->items);
    if (perm == NULL || p->items == NULL) {
        free(perm);
        return LLE_ERR_NOMEM;
    }
    if (p->order == LLE_ORDER_INTERLEAVE) {
        for (size_t e = 0; e < n; e++)
            for (int c = 1; c <= p->cycles; c++)
                p->items[k++] = (lle_campaign_item){e, c};
    }
    for (int c = 1; p->order != LLE_ORDER_INTERLEAVE && c <= p->cycles; c++) {
        uint64_t state = p->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)c);
        for (size_t e = 0; e < n; e++)
            perm[e] = e;
        for (size_t e = n; p->order == LLE_ORDER_SHUFFLE && e > 1; e--) {
            size_t j = (size_t)lle_rand_below(&state, e), t = perm[e - 1];
            perm[e - 1] = perm[j];
            perm[j] = t;
        }
        for (size_t e = 0; e < n; e++)
            p->items[k++] = (lle_campaign_item){perm[e], c};
    }
    free(perm);
    return LLE_OK;
}

/* ---- options, names ---- */
void lle_campaign_opts_init(lle_campaign_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cooldown_s = -1.0;
    o->cooldown_timeout_s = 600.0;
    o->max_retries = -1;
}

static const char *const ORDER_NAMES[] = {"sequential", "shuffle", "interleave"};

const char *lle_campaign_order_name(lle_campaign_order o)
{
    return (unsigned)o < 3 ? ORDER_NAMES[o] : "?";
}

lle_status lle_campaign_order_parse(const char *name, lle_campaign_order *out, lle_error *err)
{
    for (int i = 0; name != NULL && i < 3; i++)
        if (strcmp(name, ORDER_NAMES[i]) == 0) {
            *out = (lle_campaign_order)i;
            return LLE_OK;
        }
    if (name != NULL && (strcmp(name, "as_given") == 0 || strcmp(name, "shuffled") == 0)) {
        *out = name[0] == 'a' ? LLE_ORDER_SEQUENTIAL : LLE_ORDER_SHUFFLE;
        return LLE_OK;
    }
    return lle_fail(err, LLE_ERR_INVALID, "order: '%s' is not one of sequential, shuffle, interleave",
                    name != NULL ? name : "");
}

/* Campaign id: option, the file's name:, else the file name without extension. */
static void campaign_id(const lle_config *c, const lle_campaign *cp, const lle_campaign_opts *o, char *out, size_t size)
{
    const char *name = lle_config_name(c), *slash = name != NULL ? strrchr(name, '/') : NULL, *dot;

    if (o->campaign_id != NULL && o->campaign_id[0] != '\0') {
        lle_strlcpy(out, o->campaign_id, size);
        return;
    }
    if (cp->name != NULL && cp->name[0] != '\0') {
        lle_strlcpy(out, cp->name, size);
        return;
    }
    lle_strlcpy(out, slash != NULL ? slash + 1 : name != NULL ? name : "campaign", size);
    dot = strrchr(out, '.');
    if (dot != NULL && dot != out)
        out[dot - out] = '\0';
}

static lle_status settings(const lle_config *c, const lle_campaign *cp, const lle_campaign_opts *o,
                           lle_campaign_plan *p, lle_error *err)
{
    lle_status st = LLE_OK;

    campaign_id(c, cp, o, p->id, sizeof p->id);
    p->suite = cp->suite;
    p->name = cp->name;
    p->config_path = o->config_path;
    p->cycles = o->cycles > 0 ? o->cycles : cp->cycles > 0 ? cp->cycles : 1;
    p->order = LLE_ORDER_SEQUENTIAL;
    if (o->order_set)
        p->order = o->order;
    else if (cp->order != NULL)
        st = lle_campaign_order_parse(cp->order, &p->order, err);
    p->seed = o->seed_set ? o->seed : cp->experiment.run.seed;
    p->cooldown_s = o->cooldown_s >= 0.0 ? o->cooldown_s : cp->cooldown_s;
    p->max_retries = o->max_retries >= 0 ? o->max_retries : cp->max_retries;
    return st;
}

static lle_status build(const lle_config *c, const lle_campaign_opts *o, builder *b, lle_error *err)
{
    const lle_campaign *cp = b->cp;
    lle_status st = settings(c, cp, o, b->p, err);

    for (size_t i = 0; st == LLE_OK && i < o->n_overrides; i++) {
        lle_config_value_apply(&o->overrides[i], &b->cli);
        b->has_cli = true;
    }
    for (size_t m = 0; st == LLE_OK && b->st == LLE_OK && m < (cp->n_models > 0 ? cp->n_models : 1); m++)
        variants(b, cp->n_models > 0 ? &cp->models[m] : NULL);
    if (st == LLE_OK && b->st != LLE_OK)
        st = lle_fail(err, b->st, "out of memory planning the campaign");
    if (st == LLE_OK && b->n_invalid > 0)
        st = b->n_invalid == 1 ? lle_fail(err, LLE_ERR_INVALID, "%s", b->first_error)
                               : lle_fail(err, LLE_ERR_INVALID, "%s (and %zu more invalid experiments)", b->first_error,
                                          b->n_invalid - 1);
    if (st == LLE_OK && b->p->n_experiments == 0)
        st = lle_fail(err, LLE_ERR_INVALID, "the campaign plans no experiment");
    if (st == LLE_OK && lay_out(b->p) != LLE_OK)
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory planning the campaign");
    return st;
}

lle_status lle_campaign_plan_build(const lle_config *c, const lle_campaign_opts *o, lle_campaign_plan **out,
                                   lle_error *err)
{
    builder b;
    lle_campaign_opts defaults;
    lle_status st = LLE_OK;

    *out = NULL;
    memset(&b, 0, sizeof b);
    if (o == NULL) {
        lle_campaign_opts_init(&defaults);
        o = &defaults;
    }
    if (c == NULL || lle_config_error_count(c) > 0)
        return lle_fail(err, LLE_ERR_INVALID, "%s: the file has errors; nothing is planned",
                        c != NULL ? lle_config_name(c) : "(no config)");
    b.cp = lle_config_campaign(c);
    b.p = calloc(1, sizeof *b.p);
    b.m = malloc(3 * sizeof *b.m);
    if (b.p == NULL || b.m == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory planning the campaign");
        goto cleanup;
    }
    b.v = b.m + 1;
    b.e = b.m + 2;
    lle_config_experiment_init(&b.cli);
    st = build(c, o, &b, err);
cleanup:
    free(b.m);
    free(b.table);
    if (st == LLE_OK)
        *out = b.p;
    else
        lle_campaign_plan_free(b.p);
    return st;
}

void lle_campaign_plan_free(lle_campaign_plan *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_experiments; i++)
        free(p->experiments[i].config_json);
    for (size_t i = 0; i < p->n_notes; i++)
        free(p->notes[i]);
    free(p->experiments);
    free(p->items);
    free(p->notes);
    free(p);
}
