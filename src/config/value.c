/* value.c — typed values of schema fields: parsing a YAML node into a value
 * with a precise "expected ..., found ..." message (types, bounds, choices with
 * did-you-mean, presets and weight types checked against their tables),
 * reading and writing the field inside lle_run_config, comparing values, and
 * writing them back as YAML scalars that read back to the same value. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "config/config_internal.h"
#include "lle/model.h"

#define FIELD_PTR(r, f) ((char *)(r) + (f)->offset)

void cfg_field_path(int fi, char *buf, size_t size)
{
    const lle_config_field *f = lle_config_field_at((size_t)fi);

    snprintf(buf, size, "%s.%s", f->section, f->name);
}

static void report(lle_config *c, const yaml_node_t *n, const char *path, const lle_config_field *f, const char *extra)
{
    char exp[256], found[64];

    cfg_expected(f, exp, sizeof exp);
    y_describe(n, found, sizeof found);
    cfg_diag(c, LLE_CONFIG_ERROR, y_pos(n), path, "expected %s, found %s%s", exp, found, extra ? extra : "");
}

static bool in_range(const lle_config_field *f, double v)
{
    if (f->min_open ? !(v > f->min) : !(v >= f->min))
        return false;
    return f->max_open ? v < f->max : v <= f->max;
}

/* Split "a|b|c" into a NULL-terminated array inside buf. */
static size_t split_choices(const char *choices, char *buf, size_t size, const char **out, size_t max)
{
    size_t n = 0;

    lle_strlcpy(buf, choices, size);
    for (char *p = buf, *save = NULL, *t = strtok_r(p, "|", &save); t != NULL && n + 1 < max;
         t = strtok_r(NULL, "|", &save))
        out[n++] = t;
    out[n] = NULL;
    return n;
}

static bool parse_enum(lle_config *c, const lle_config_field *f, const yaml_node_t *n, const char *path,
                       lle_config_value *out)
{
    char buf[160], hint[96] = "";
    const char *names[16], *s = y_text(n), *near;

    split_choices(f->choices, buf, sizeof buf, names, 16);
    for (size_t i = 0; s != NULL && y_kind(n) == Y_STRING && names[i] != NULL; i++) {
        if (strcmp(s, names[i]) == 0) {
            out->s = cfg_strdup(c, names[i]);
            return out->s != NULL;
        }
    }
    near = s != NULL && y_kind(n) == Y_STRING ? cfg_did_you_mean(s, names) : NULL;
    if (near != NULL)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    report(c, n, path, f, hint);
    return false;
}

static bool parse_auto_bool(lle_config *c, const lle_config_field *f, const yaml_node_t *n, const char *path,
                            lle_config_value *out)
{
    const char *s = y_text(n);

    if (y_kind(n) == Y_BOOL) {
        out->i = y_bool(n) ? 1 : 0;
        return true;
    }
    if (y_kind(n) == Y_STRING && (strcmp(s, "auto") == 0 || strcmp(s, "on") == 0 || strcmp(s, "off") == 0)) {
        out->i = s[0] == 'a' ? -1 : s[1] == 'n' ? 1 : 0;
        return true;
    }
    report(c, n, path, f, NULL);
    return false;
}

/* Presets and weight types are checked against the model module's tables. */
static bool check_named(lle_config *c, const lle_config_field *f, const yaml_node_t *n, const char *path)
{
    const char *s = y_text(n), *names[64], *near;
    bool preset = strcmp(f->name, "preset") == 0;
    size_t k = 0, count = preset ? lle_preset_count() : lle_model_type_count();
    char hint[96] = "";

    if (!preset && strcmp(f->name, "preset_type") != 0)
        return true;
    for (size_t i = 0; k + 1 < 64 && i < count; i++)
        names[k++] = preset ? lle_preset_at(i)->name : lle_model_type_at(i);
    names[k] = NULL;
    for (size_t i = 0; i < k; i++)
        if (strcmp(names[i], s) == 0)
            return true;
    near = cfg_did_you_mean(s, names);
    if (near != NULL)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    cfg_diag(c, LLE_CONFIG_ERROR, y_pos(n), path, "expected %s (see `llm-efficiency model presets`), found '%s'%s",
             preset ? "a preset" : "a weight type", s, hint);
    return false;
}

static char *resolve_path(lle_config *c, const char *s)
{
    char *out;
    size_t n;

    if (s[0] == '/' || c->base_dir == NULL || strcmp(c->base_dir, ".") == 0)
        return cfg_strdup(c, s);
    n = strlen(c->base_dir) + strlen(s) + 2;
    out = cfg_alloc(c, n);
    if (out != NULL)
        snprintf(out, n, "%s/%s", c->base_dir, s);
    return out;
}

static bool parse_text(lle_config *c, const lle_config_field *f, const yaml_node_t *n, const char *path,
                       lle_config_value *out)
{
    const char *s = y_text(n);

    if (y_kind(n) == Y_LIST || y_kind(n) == Y_MAP || y_kind(n) == Y_BOOL || s[0] == '\0') {
        report(c, n, path, f, NULL);
        return false;
    }
    if (!check_named(c, f, n, path))
        return false;
    out->s = f->type == LLE_CONFIG_PATH ? resolve_path(c, s) : cfg_strdup(c, s);
    return out->s != NULL;
}

static bool parse_number(lle_config *c, const lle_config_field *f, const yaml_node_t *n, const char *path, double *out)
{
    ykind k = y_kind(n);
    double v;

    if (k != Y_INT && k != Y_FLOAT) {
        report(c, n, path, f, NULL);
        return false;
    }
    v = strtod(y_text(n), NULL);
    if (strcmp(y_text(n), ".nan") == 0 || strcmp(y_text(n), ".inf") == 0 || strcmp(y_text(n), "-.inf") == 0 ||
        !isfinite(v) || !in_range(f, v)) {
        report(c, n, path, f, NULL);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_integer(lle_config *c, const lle_config_field *f, const yaml_node_t *n, const char *path,
                          lle_config_value *out)
{
    const char *s = y_text(n);
    char *end = NULL;

    if (y_kind(n) != Y_INT) {
        report(c, n, path, f, NULL);
        return false;
    }
    errno = 0;
    if (f->type == LLE_CONFIG_U64) {
        out->u = strtoull(s, &end, 10);
        if (s[0] == '-' || errno != 0) {
            report(c, n, path, f, NULL);
            return false;
        }
        return true;
    }
    out->i = strtoll(s, &end, 10);
    if (errno != 0 || !in_range(f, (double)out->i)) {
        report(c, n, path, f, NULL);
        return false;
    }
    return true;
}

static bool parse_list(lle_config *c, const lle_config_field *f, const yaml_node_t *n, yaml_document_t *doc,
                       const char *path, lle_config_value *out)
{
    char ip[224];
    bool ok = true;
    lle_config_field item;

    if (y_kind(n) == Y_NULL) {
        out->n_list = 0;
        return true;
    }
    if (y_kind(n) != Y_LIST || n->data.sequence.items.top - n->data.sequence.items.start > LLE_MAX_TENSOR_SPLIT) {
        report(c, n, path, f, NULL);
        return false;
    }
    item = *f;
    item.type = LLE_CONFIG_DOUBLE; /* items are reported as numbers */
    out->n_list = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        double d = 0;
        snprintf(ip, sizeof ip, "%s[%d]", path, out->n_list);
        if (parse_number(c, &item, yaml_document_get_node(doc, *it), ip, &d))
            out->list[out->n_list] = (float)d;
        else
            ok = false;
        out->n_list++;
    }
    return ok;
}

bool cfg_parse_value(lle_config *c, int fi, const yaml_node_t *n, yaml_document_t *doc, const char *path,
                     lle_config_value *out)
{
    const lle_config_field *f = lle_config_field_at((size_t)fi);
    lle_run_config defaults;

    memset(out, 0, sizeof *out);
    out->field = fi;
    out->pos = y_pos(n);
    if (y_kind(n) == Y_NULL && f->type != LLE_CONFIG_FLOAT_LIST) {
        lle_run_config_init(&defaults); /* null: the default value */
        cfg_value_get(&defaults, fi, out);
        out->pos = y_pos(n);
        return true;
    }
    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
        return parse_text(c, f, n, path, out);
    case LLE_CONFIG_ENUM:
        return parse_enum(c, f, n, path, out);
    case LLE_CONFIG_AUTO_BOOL:
        return parse_auto_bool(c, f, n, path, out);
    case LLE_CONFIG_INT:
    case LLE_CONFIG_U64:
        return parse_integer(c, f, n, path, out);
    case LLE_CONFIG_FLOAT:
    case LLE_CONFIG_DOUBLE:
        return parse_number(c, f, n, path, &out->d);
    case LLE_CONFIG_BOOL:
        if (y_kind(n) != Y_BOOL) {
            report(c, n, path, f, NULL);
            return false;
        }
        out->b = y_bool(n);
        return true;
    case LLE_CONFIG_FLOAT_LIST:
        return parse_list(c, f, n, doc, path, out);
    }
    return false;
}

void cfg_value_get(const lle_run_config *r, int fi, lle_config_value *out)
{
    const lle_config_field *f = lle_config_field_at((size_t)fi);
    const char *p = (const char *)r + f->offset;

    memset(out, 0, sizeof *out);
    out->field = fi;
    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
    case LLE_CONFIG_ENUM:
        memcpy(&out->s, p, sizeof out->s);
        break;
    case LLE_CONFIG_AUTO_BOOL:
    case LLE_CONFIG_INT: {
        int v;
        memcpy(&v, p, sizeof v);
        out->i = v;
        break;
    }
    case LLE_CONFIG_U64:
        memcpy(&out->u, p, sizeof out->u);
        break;
    case LLE_CONFIG_FLOAT: {
        float v;
        memcpy(&v, p, sizeof v);
        out->d = v;
        break;
    }
    case LLE_CONFIG_DOUBLE:
        memcpy(&out->d, p, sizeof out->d);
        break;
    case LLE_CONFIG_BOOL:
        memcpy(&out->b, p, sizeof out->b);
        break;
    case LLE_CONFIG_FLOAT_LIST:
        out->n_list = r->n_tensor_split;
        memcpy(out->list, r->tensor_split, sizeof out->list);
        break;
    }
}

static void value_store(const lle_config_value *v, lle_run_config *r)
{
    const lle_config_field *f = lle_config_field_at((size_t)v->field);
    char *p = FIELD_PTR(r, f);
    int iv = (int)v->i;
    float fv = (float)v->d;

    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
    case LLE_CONFIG_ENUM:
        memcpy(p, &v->s, sizeof v->s);
        break;
    case LLE_CONFIG_AUTO_BOOL:
    case LLE_CONFIG_INT:
        memcpy(p, &iv, sizeof iv);
        break;
    case LLE_CONFIG_U64:
        memcpy(p, &v->u, sizeof v->u);
        break;
    case LLE_CONFIG_FLOAT:
        memcpy(p, &fv, sizeof fv);
        break;
    case LLE_CONFIG_DOUBLE:
        memcpy(p, &v->d, sizeof v->d);
        break;
    case LLE_CONFIG_BOOL:
        memcpy(p, &v->b, sizeof v->b);
        break;
    case LLE_CONFIG_FLOAT_LIST:
        r->n_tensor_split = v->n_list;
        memcpy(r->tensor_split, v->list, sizeof r->tensor_split);
        break;
    }
}

void lle_config_value_apply(const lle_config_value *v, lle_config_experiment *e)
{
    value_store(v, &e->run);
    e->set[v->field] = true;
    e->pos[v->field] = v->pos;
}

void lle_config_experiment_init(lle_config_experiment *e)
{
    memset(e, 0, sizeof *e);
    lle_run_config_init(&e->run);
}

void lle_config_overlay(lle_config_experiment *dst, const lle_config_experiment *over)
{
    lle_config_value v;

    for (size_t i = 0; i < lle_config_field_count(); i++) {
        if (!over->set[i])
            continue;
        cfg_value_get(&over->run, (int)i, &v);
        v.pos = over->pos[i];
        lle_config_value_apply(&v, dst);
    }
}

bool lle_config_value_equal(const lle_config_value *a, const lle_config_value *b)
{
    const lle_config_field *f = lle_config_field_at((size_t)a->field);

    if (a->field != b->field)
        return false;
    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
    case LLE_CONFIG_ENUM:
        return (a->s == NULL && b->s == NULL) || (a->s != NULL && b->s != NULL && strcmp(a->s, b->s) == 0);
    case LLE_CONFIG_AUTO_BOOL:
    case LLE_CONFIG_INT:
        return a->i == b->i;
    case LLE_CONFIG_U64:
        return a->u == b->u;
    case LLE_CONFIG_FLOAT:
        return (float)a->d == (float)b->d;
    case LLE_CONFIG_DOUBLE:
        return a->d == b->d;
    case LLE_CONFIG_BOOL:
        return a->b == b->b;
    case LLE_CONFIG_FLOAT_LIST:
        return a->n_list == b->n_list && memcmp(a->list, b->list, (size_t)a->n_list * sizeof(float)) == 0;
    }
    return false;
}

void cfg_fmt_float(char *buf, size_t size, float v)
{
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, size, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            return;
    }
}

void cfg_fmt_double(char *buf, size_t size, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Plain scalars are safe when they read back as the same text. */
static bool plain_safe(const char *s)
{
    static const char *const reserved[] = {"null",  "Null", "NULL", "~",  "true", "True", "TRUE", "false", "False",
                                           "FALSE", "yes",  "no",   "on", "off",  "y",    "n",    NULL};

    if (s[0] == '\0' || strchr("-?:,[]{}#&*!|>'\"%@`. ", s[0]) != NULL)
        return false;
    for (size_t i = 0; reserved[i] != NULL; i++)
        if (strcmp(s, reserved[i]) == 0)
            return false;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch >= 0x7f || strchr(":#,[]{}\"'\\", ch) != NULL)
            return false;
    }
    if (s[strlen(s) - 1] == ' ' || strchr("+-.0123456789", s[0]) != NULL)
        return false;
    return true;
}

void cfg_yaml_string(rbuf *b, const char *s)
{
    if (plain_safe(s)) {
        rbuf_puts(b, s);
        return;
    }
    rbuf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            rbuf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            rbuf_puts(b, "\\n");
        else if (*p == '\t')
            rbuf_puts(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            rbuf_printf(b, "\\x%02x", *p);
        else
            rbuf_printf(b, "%c", *p);
    }
    rbuf_puts(b, "\"");
}

void cfg_value_yaml(rbuf *b, const lle_config_value *v)
{
    const lle_config_field *f = lle_config_field_at((size_t)v->field);
    char num[40];

    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
    case LLE_CONFIG_ENUM:
        if (v->s == NULL)
            rbuf_puts(b, "null");
        else
            cfg_yaml_string(b, v->s);
        break;
    case LLE_CONFIG_AUTO_BOOL:
        rbuf_puts(b, v->i < 0 ? "auto" : v->i ? "on" : "off");
        break;
    case LLE_CONFIG_INT:
        rbuf_printf(b, "%lld", v->i);
        break;
    case LLE_CONFIG_U64:
        rbuf_printf(b, "%llu", (unsigned long long)v->u);
        break;
    case LLE_CONFIG_FLOAT:
        cfg_fmt_float(num, sizeof num, (float)v->d);
        rbuf_puts(b, num);
        break;
    case LLE_CONFIG_DOUBLE:
        cfg_fmt_double(num, sizeof num, v->d);
        rbuf_puts(b, num);
        break;
    case LLE_CONFIG_BOOL:
        rbuf_puts(b, v->b ? "true" : "false");
        break;
    case LLE_CONFIG_FLOAT_LIST:
        rbuf_puts(b, "[");
        for (int i = 0; i < v->n_list; i++) {
            cfg_fmt_float(num, sizeof num, v->list[i]);
            rbuf_printf(b, "%s%s", i ? ", " : "", num);
        }
        rbuf_puts(b, "]");
        break;
    }
}
