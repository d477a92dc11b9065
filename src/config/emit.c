/* emit.c — writing configurations back out: the sections of an experiment as
 * YAML (every field for `config show`, marked "# default" when the file did not
 * set it, or only the given fields for scenarios, templates and migration),
 * a whole campaign as YAML, and the same as JSON. Output reads back to the same
 * configuration (tests/unit/test_config.c checks the round trip). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

/* What show prints for a field: the resolved value, preset_type only with a preset. */
void cfg_display_value(const lle_run_config *r, int fi, lle_config_value *v)
{
    const lle_config_field *f = lle_config_field_at((size_t)fi);

    cfg_value_get(r, fi, v);
    if (strcmp(f->name, "preset_type") == 0 && r->preset != NULL && v->s == NULL)
        v->s = "q4_k_m";
    if (strcmp(f->name, "split_mode") == 0 && v->s == NULL)
        v->s = "layer";
}

static bool section_has(const lle_config_experiment *e, const char *section, const emit_opts *o)
{
    for (size_t i = 0; i < lle_config_field_count(); i++)
        if (strcmp(lle_config_field_at(i)->section, section) == 0 && (o->all_fields || e->set[i]))
            return true;
    return false;
}

void cfg_emit_experiment(rbuf *b, const lle_config_experiment *e, const emit_opts *o)
{
    lle_config_value v;

    for (size_t s = 0; CFG_SECTIONS[s] != NULL; s++) {
        if (!section_has(e, CFG_SECTIONS[s], o))
            continue;
        sb_indent(b, o->indent);
        rbuf_printf(b, "%s:\n", CFG_SECTIONS[s]);
        for (size_t i = 0; i < lle_config_field_count(); i++) {
            const lle_config_field *f = lle_config_field_at(i);
            if (strcmp(f->section, CFG_SECTIONS[s]) != 0 || !(o->all_fields || e->set[i]))
                continue;
            cfg_display_value(&e->run, (int)i, &v);
            sb_indent(b, o->indent + 2);
            rbuf_printf(b, "%s: ", f->name);
            cfg_value_yaml(b, &v);
            if (o->comments != NULL && o->comments[i] != NULL)
                rbuf_printf(b, "  # %s", o->comments[i]);
            else if (o->mark_defaults && !e->set[i])
                rbuf_puts(b, "  # default");
            rbuf_puts(b, "\n");
        }
    }
}

/* The base experiment as `show` prints it: preset expanded, marks. */
static void emit_resolved(rbuf *b, const lle_config_experiment *e, int indent)
{
    lle_config_experiment shown = *e;
    const char *comments[LLE_CONFIG_MAX_FIELDS] = {0};
    static const char *const sampling[] = {"temperature", "top_k", "top_p", "min_p", "repeat_penalty", NULL};
    char note[96];
    emit_opts o = {true, true, comments, indent};

    cfg_resolved_run(e, &shown.run);
    snprintf(note, sizeof note, "from decoding_preset %s", e->run.decoding_preset ? e->run.decoding_preset : "");
    for (size_t i = 0; e->run.decoding_preset != NULL && sampling[i] != NULL; i++) {
        int fi = lle_config_field_find(sampling[i]);
        if (!e->set[fi])
            comments[fi] = note;
    }
    cfg_emit_experiment(b, &shown, &o);
}

static void emit_text_key(rbuf *b, int indent, const char *key, const char *value)
{
    if (value == NULL)
        return;
    sb_indent(b, indent);
    rbuf_printf(b, "%s: ", key);
    cfg_yaml_string(b, value);
    rbuf_puts(b, "\n");
}

static void emit_entries(rbuf *b, const char *key, const lle_config_entry *list, size_t n, bool flat_model)
{
    emit_opts o = {false, false, NULL, 4};

    if (n == 0)
        return;
    rbuf_printf(b, "%s:\n", key);
    for (size_t i = 0; i < n; i++) {
        rbuf_puts(b, "  - name: ");
        cfg_yaml_string(b, list[i].name ? list[i].name : "");
        rbuf_puts(b, "\n");
        emit_text_key(b, 4, "description", list[i].description);
        if (!flat_model) {
            cfg_emit_experiment(b, &list[i].overrides, &o);
            continue;
        }
        for (size_t f = 0; f < lle_config_field_count(); f++) {
            lle_config_value v;
            if (!list[i].overrides.set[f])
                continue;
            cfg_value_get(&list[i].overrides.run, (int)f, &v);
            rbuf_printf(b, "    %s: ", lle_config_field_at(f)->name);
            cfg_value_yaml(b, &v);
            rbuf_puts(b, "\n");
        }
    }
}

static void emit_axes(rbuf *b, const char *key, const lle_config_axis *axes, size_t n)
{
    if (n == 0)
        return;
    rbuf_printf(b, "%s:\n", key);
    for (size_t a = 0; a < n; a++) {
        rbuf_printf(b, "  %s: [", lle_config_field_at((size_t)axes[a].field)->name);
        for (size_t k = 0; k < axes[a].n_values; k++) {
            rbuf_puts(b, k ? ", " : "");
            cfg_value_yaml(b, &axes[a].values[k]);
        }
        rbuf_puts(b, "]\n");
    }
}

static void emit_assigns(rbuf *b, const char *key, const lle_config_assign *list, size_t n)
{
    if (n == 0)
        return;
    rbuf_printf(b, "%s:\n", key);
    for (size_t i = 0; i < n; i++) {
        rbuf_puts(b, "  - {");
        for (size_t k = 0; k < list[i].n_values; k++) {
            rbuf_printf(b, "%s%s: ", k ? ", " : "", lle_config_field_at((size_t)list[i].values[k].field)->name);
            cfg_value_yaml(b, &list[i].values[k]);
        }
        rbuf_puts(b, "}\n");
    }
}

char *lle_config_to_yaml(const lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    rbuf b = {0};
    char num[40];

    rbuf_printf(&b,
                "# %s, resolved by `llm-efficiency config show` (every field; \"# default\": not set in the file)\n",
                c->name);
    rbuf_printf(&b, "version: %d\n", LLE_CONFIG_FORMAT_VERSION);
    emit_text_key(&b, 0, "name", cp->name);
    emit_text_key(&b, 0, "description", cp->description);
    if (cp->suite == LLE_SUITE_SINGLE) {
        emit_resolved(&b, &cp->experiment, 0);
        return rbuf_release(&b);
    }
    rbuf_printf(&b, "suite: %s\nexperiment:\n", lle_suite_name(cp->suite));
    emit_resolved(&b, &cp->experiment, 2);
    emit_entries(&b, "models", cp->models, cp->n_models, true);
    emit_axes(&b, "factors", cp->factors, cp->n_factors);
    emit_entries(&b, "scenarios", cp->scenarios, cp->n_scenarios, false);
    emit_axes(&b, "grid", cp->grid, cp->n_grid);
    emit_assigns(&b, "exclude", cp->exclude, cp->n_exclude);
    emit_assigns(&b, "include", cp->include, cp->n_include);
    cfg_fmt_double(num, sizeof num, cp->cooldown_s);
    rbuf_printf(&b, "cycles: %d\norder: %s\ncooldown_s: %s\nmax_retries: %d\n", cp->cycles, cp->order, num,
                cp->max_retries);
    return rbuf_release(&b);
}

/* ---- JSON ---- */
static cJSON *value_json(const lle_config_value *v)
{
    lle_config_type t = lle_config_field_at((size_t)v->field)->type;
    rbuf b = {0};
    cJSON *j;
    char *raw;

    if (t == LLE_CONFIG_STRING || t == LLE_CONFIG_PATH || t == LLE_CONFIG_ENUM)
        return v->s != NULL ? cJSON_CreateString(v->s) : cJSON_CreateNull();
    if (t == LLE_CONFIG_AUTO_BOOL)
        return cJSON_CreateString(v->i < 0 ? "auto" : v->i ? "on" : "off");
    cfg_value_yaml(&b, v); /* numbers, booleans and number lists are valid JSON as written */
    raw = rbuf_release(&b);
    j = cJSON_CreateRaw(raw != NULL ? raw : "null");
    free(raw);
    return j;
}

static cJSON *experiment_json(const lle_config_experiment *e, bool all)
{
    cJSON *o = cJSON_CreateObject();
    lle_config_experiment shown = *e;
    lle_config_value v;

    if (all)
        cfg_resolved_run(e, &shown.run);
    for (size_t s = 0; CFG_SECTIONS[s] != NULL; s++) {
        cJSON *sec = NULL;
        for (size_t i = 0; i < lle_config_field_count(); i++) {
            const lle_config_field *f = lle_config_field_at(i);
            if (strcmp(f->section, CFG_SECTIONS[s]) != 0 || !(all || e->set[i]))
                continue;
            if (sec == NULL)
                sec = cJSON_AddObjectToObject(o, CFG_SECTIONS[s]);
            cfg_display_value(&shown.run, (int)i, &v);
            cJSON_AddItemToObject(sec, f->name, value_json(&v));
        }
    }
    return o;
}

static void entries_json(cJSON *root, const char *key, const lle_config_entry *list, size_t n)
{
    cJSON *arr;

    if (n == 0)
        return;
    arr = cJSON_AddArrayToObject(root, key);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = experiment_json(&list[i].overrides, false), *model = cJSON_DetachItemFromObject(o, "model");
        cJSON_AddStringToObject(o, "name", list[i].name ? list[i].name : "");
        if (list[i].description != NULL)
            cJSON_AddStringToObject(o, "description", list[i].description);
        if (model != NULL && strcmp(key, "models") == 0) {
            cJSON_Delete(o);
            o = model;
            cJSON_AddStringToObject(o, "name", list[i].name ? list[i].name : "");
        } else if (model != NULL) {
            cJSON_AddItemToObject(o, "model", model);
        }
        cJSON_AddItemToArray(arr, o);
    }
}

static void axes_json(cJSON *root, const char *key, const lle_config_axis *axes, size_t n)
{
    cJSON *o;

    if (n == 0)
        return;
    o = cJSON_AddObjectToObject(root, key);
    for (size_t a = 0; a < n; a++) {
        cJSON *arr = cJSON_AddArrayToObject(o, lle_config_field_at((size_t)axes[a].field)->name);
        for (size_t k = 0; k < axes[a].n_values; k++)
            cJSON_AddItemToArray(arr, value_json(&axes[a].values[k]));
    }
}

static void assigns_json(cJSON *root, const char *key, const lle_config_assign *list, size_t n)
{
    cJSON *arr;

    if (n == 0)
        return;
    arr = cJSON_AddArrayToObject(root, key);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        for (size_t k = 0; k < list[i].n_values; k++)
            cJSON_AddItemToObject(o, lle_config_field_at((size_t)list[i].values[k].field)->name,
                                  value_json(&list[i].values[k]));
        cJSON_AddItemToArray(arr, o);
    }
}

char *lle_config_to_json(const lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    cJSON *root = cJSON_CreateObject(), *exp = experiment_json(&cp->experiment, true);
    char *s;

    cJSON_AddNumberToObject(root, "version", LLE_CONFIG_FORMAT_VERSION);
    if (cp->name != NULL)
        cJSON_AddStringToObject(root, "name", cp->name);
    if (cp->description != NULL)
        cJSON_AddStringToObject(root, "description", cp->description);
    if (cp->suite == LLE_SUITE_SINGLE) {
        for (cJSON *sec = exp->child; sec != NULL; sec = exp->child)
            cJSON_AddItemToObject(root, sec->string, cJSON_DetachItemViaPointer(exp, sec));
        cJSON_Delete(exp);
    } else {
        cJSON_AddStringToObject(root, "suite", lle_suite_name(cp->suite));
        cJSON_AddItemToObject(root, "experiment", exp);
        entries_json(root, "models", cp->models, cp->n_models);
        axes_json(root, "factors", cp->factors, cp->n_factors);
        entries_json(root, "scenarios", cp->scenarios, cp->n_scenarios);
        axes_json(root, "grid", cp->grid, cp->n_grid);
        assigns_json(root, "exclude", cp->exclude, cp->n_exclude);
        assigns_json(root, "include", cp->include, cp->n_include);
        cJSON_AddNumberToObject(root, "cycles", cp->cycles);
        cJSON_AddStringToObject(root, "order", cp->order);
        cJSON_AddNumberToObject(root, "cooldown_s", cp->cooldown_s);
        cJSON_AddNumberToObject(root, "max_retries", cp->max_retries);
    }
    s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}
