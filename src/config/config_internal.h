/* config_internal.h — what the files of the config module share: the loaded
 * config object (string arena, diagnostics), a growable string buffer, the
 * libyaml document helpers, value parsing/formatting, the rule checks and the
 * YAML emitter. Not installed.
 *
 * Ownership: every allocation made through cfg_alloc()/cfg_strdup() belongs to
 * the lle_config and is freed by lle_config_free(). An rbuf owns its data
 * until rbuf_release() hands it to the caller. */
#ifndef LLE_CONFIG_INTERNAL_H
#define LLE_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "common/buf.h"
#include "lle/config.h"

/* ---- growable string: common/buf.h (rbuf) ---- */
void sb_indent(rbuf *b, int n);

/* ---- the loaded config ---- */
struct lle_config {
    char *name;     /* file name as given (labels diagnostics) */
    char *base_dir; /* relative paths start here */
    lle_campaign campaign;
    lle_config_diag *diags;
    size_t n_diags, cap_diags, n_errors;
    void **owned; /* arena: freed with the config */
    size_t n_owned, cap_owned;
    bool oom;
    bool yaml_failed;         /* not YAML/JSON at all */
    bool no_root;             /* empty document or not a mapping: no rules to check */
    bool suite_invalid;       /* `suite:` unreadable: campaign keys are parsed without suite checks */
    lle_config_pos model_pos; /* the base experiment's `model:` key (0 when absent) */
};

void *cfg_alloc(lle_config *c, size_t size);
char *cfg_strdup(lle_config *c, const char *s);
void cfg_diag(lle_config *c, lle_config_severity sev, lle_config_pos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void cfg_vdiag(lle_config *c, lle_config_severity sev, lle_config_pos pos, const char *path, const char *fmt,
               va_list ap);

/* Closest of `candidates` (NULL-terminated) to `word` within a small edit
 * distance, else NULL. */
const char *cfg_did_you_mean(const char *word, const char *const *candidates);
/* Optimal-string-alignment (Damerau-Levenshtein) distance. */
size_t cfg_edit_distance(const char *a, const char *b);

/* ---- schema helpers (schema.c) ---- */
extern const char *const CFG_SECTIONS[]; /* NULL-terminated, in file order */
const char *cfg_section_help(const char *section);
bool cfg_is_section(const char *name);
/* "[1, 4096]", "(0, 1]", "one of a, b" ... describing what a field accepts. */
void cfg_expected(const lle_config_field *f, char *buf, size_t size);

/* ---- libyaml document helpers (ydoc.c) ---- */
typedef enum ykind { Y_NULL, Y_BOOL, Y_INT, Y_FLOAT, Y_STRING, Y_LIST, Y_MAP } ykind;

lle_config_pos y_pos(const yaml_node_t *n);
ykind y_kind(const yaml_node_t *n);
const char *y_text(const yaml_node_t *n); /* scalar text, NULL for collections */
bool y_bool(const yaml_node_t *n);        /* value of a Y_BOOL scalar */
/* "a list", "a mapping", "null", "true", "5", "'text'" (shortened). */
void y_describe(const yaml_node_t *n, char *buf, size_t size);
/* Parse `len` bytes; on a syntax error fills *pos and msg and returns false. */
bool y_load(yaml_document_t *doc, const char *text, size_t len, lle_config_pos *pos, char *msg, size_t size);
/* Value of `key` in a mapping node, or NULL. */
yaml_node_t *y_map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key);

/* Walk a mapping: reports non-text and duplicate keys; calls fn for the rest. */
typedef void (*y_pair_fn)(void *user, const char *key, yaml_node_t *knode, yaml_node_t *vnode);
void y_each_pair(lle_config *c, yaml_document_t *doc, const yaml_node_t *map, const char *path, y_pair_fn fn,
                 void *user);
/* Require a mapping (reports "expected ..., found ..." and returns false). */
bool y_expect_map(lle_config *c, const yaml_node_t *n, const char *path, const char *what);
bool y_expect_list(lle_config *c, const yaml_node_t *n, const char *path, const char *what);

/* ---- values (value.c) ---- */
/* Parse `n` as a value of field `fi`; reports and returns false on error.
 * Strings are copied into the config; PATH values are resolved against the
 * config's base directory. */
bool cfg_parse_value(lle_config *c, int fi, const yaml_node_t *n, yaml_document_t *doc, const char *path,
                     lle_config_value *out);
/* The field's current value in an lle_run_config. */
void cfg_value_get(const lle_run_config *r, int fi, lle_config_value *out);
/* Two values of the same field are equal (numbers compared as numbers). */
/* YAML text of a value: plain or double-quoted scalar, flow list, or null. */
void cfg_value_yaml(rbuf *b, const lle_config_value *v);
/* Shortest decimal that reads back as the same float / double. */
void cfg_fmt_float(char *buf, size_t size, float v);
void cfg_fmt_double(char *buf, size_t size, double v);
/* Write `s` as a YAML scalar (plain when safe, else double-quoted). */
void cfg_yaml_string(rbuf *b, const char *s);
/* Dotted path "section.field" of a schema field. */
void cfg_field_path(int fi, char *buf, size_t size);

/* ---- loading (load.c, campaign.c) ---- */
typedef struct load_ctx {
    lle_config *c;
    yaml_document_t *doc;
} load_ctx;

/* Parse the sections of an experiment mapping into *e (reports errors). */
void cfg_parse_experiment_map(load_ctx *x, const yaml_node_t *map, const char *path, lle_config_experiment *e,
                              const char *const *extra_keys);
/* Parse one section mapping (model:, engine:, ...); keys in `extra_keys`
 * (NULL-terminated, may be NULL) are skipped for the caller. */
void cfg_parse_section(load_ctx *x, const char *section, const yaml_node_t *map, const char *path,
                       lle_config_experiment *e, const char *const *extra_keys);
/* Campaign keys of the root mapping: returns true when `key` was one. */
bool cfg_parse_campaign_key(load_ctx *x, const char *key, yaml_node_t *knode, yaml_node_t *vnode);
extern const char *const CFG_CAMPAIGN_KEYS[]; /* NULL-terminated */

/* ---- rules (rules.c) ---- */
/* Validate the whole campaign: base experiment, entries, axes, combinations. */
void cfg_check_campaign(lle_config *c);

/* ---- emitting (emit.c) ---- */
typedef struct emit_opts {
    bool all_fields;             /* every field (show) or only the set ones */
    bool mark_defaults;          /* "# default" after unset fields */
    const char *const *comments; /* per field trailing comment, or NULL */
    int indent;                  /* spaces before section names */
} emit_opts;

/* The sections of `e` as YAML block mappings. */
void cfg_emit_experiment(rbuf *b, const lle_config_experiment *e, const emit_opts *o);
/* A field as show prints it: split_mode NULL is "layer", preset_type NULL is
 * "q4_k_m" with a preset (the runner's defaults). */
void cfg_display_value(const lle_run_config *r, int fi, lle_config_value *v);
/* Apply the decoding preset for display; false when it is unknown. */
bool cfg_resolved_run(const lle_config_experiment *e, lle_run_config *out);

#endif
