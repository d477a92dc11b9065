/* ydoc.c — thin helpers over libyaml's document API: load a buffer (YAML or
 * JSON) keeping line:column marks, classify plain scalars the way YAML 1.2's
 * core schema does (null, true/false, integers, floats; quoted scalars are
 * always text), describe a node for "found ..." messages, and walk mappings
 * while rejecting duplicate and non-text keys. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

lle_config_pos y_pos(const yaml_node_t *n)
{
    lle_config_pos p = {1, 1};

    if (n != NULL) {
        p.line = (int)n->start_mark.line + 1;
        p.column = (int)n->start_mark.column + 1;
    }
    return p;
}

static bool is_int_text(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool is_float_text(const char *s)
{
    char *end = NULL;

    if (*s == '\0' || strchr("+-.0123456789", *s) == NULL)
        return false;
    errno = 0;
    (void)strtod(s, &end);
    return end != s && *end == '\0' && strpbrk(s, "xXpP") == NULL;
}

ykind y_kind(const yaml_node_t *n)
{
    const char *s;

    if (n == NULL)
        return Y_NULL;
    if (n->type == YAML_SEQUENCE_NODE)
        return Y_LIST;
    if (n->type == YAML_MAPPING_NODE)
        return Y_MAP;
    s = (const char *)n->data.scalar.value;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return Y_STRING;
    if (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0)
        return Y_NULL;
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0 || strcmp(s, "false") == 0 ||
        strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        return Y_BOOL;
    if (is_int_text(s))
        return Y_INT;
    if (is_float_text(s) || strcmp(s, ".inf") == 0 || strcmp(s, "-.inf") == 0 || strcmp(s, ".nan") == 0)
        return Y_FLOAT;
    return Y_STRING;
}

const char *y_text(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool y_bool(const yaml_node_t *n)
{
    const char *s = y_text(n);

    return s != NULL && (s[0] == 't' || s[0] == 'T');
}

void y_describe(const yaml_node_t *n, char *buf, size_t size)
{
    const char *s = y_text(n);

    switch (y_kind(n)) {
    case Y_LIST:
        snprintf(buf, size, "a list");
        break;
    case Y_MAP:
        snprintf(buf, size, "a mapping");
        break;
    case Y_NULL:
        snprintf(buf, size, "null");
        break;
    case Y_BOOL:
    case Y_INT:
    case Y_FLOAT:
        snprintf(buf, size, "%.40s", s);
        break;
    case Y_STRING:
        if (strlen(s) > 40)
            snprintf(buf, size, "'%.37s...'", s);
        else
            snprintf(buf, size, "'%s'", s);
        break;
    }
}

bool y_load(yaml_document_t *doc, const char *text, size_t len, lle_config_pos *pos, char *msg, size_t size)
{
    yaml_parser_t p;
    yaml_document_t extra;
    bool ok;

    memset(doc, 0, sizeof *doc);
    if (!yaml_parser_initialize(&p)) {
        snprintf(msg, size, "out of memory");
        return false;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    ok = yaml_parser_load(&p, doc) != 0;
    if (ok && yaml_document_get_root_node(doc) != NULL) {
        ok = yaml_parser_load(&p, &extra) != 0;
        if (ok && yaml_document_get_root_node(&extra) != NULL) {
            *pos = (lle_config_pos){(int)extra.start_mark.line + 1, (int)extra.start_mark.column + 1};
            snprintf(msg, size, "expected one document, found a second one");
            yaml_document_delete(&extra);
            yaml_document_delete(doc);
            yaml_parser_delete(&p);
            return false;
        }
        if (ok)
            yaml_document_delete(&extra);
    }
    if (!ok) {
        *pos = (lle_config_pos){(int)p.problem_mark.line + 1, (int)p.problem_mark.column + 1};
        if (p.context != NULL)
            snprintf(msg, size, "%s %s (line %d)", p.problem ? p.problem : "syntax error", p.context,
                     (int)p.context_mark.line + 1);
        else
            snprintf(msg, size, "%s", p.problem ? p.problem : "syntax error");
        if (doc->nodes.start != NULL)
            yaml_document_delete(doc);
        memset(doc, 0, sizeof *doc);
    }
    yaml_parser_delete(&p);
    return ok;
}

yaml_node_t *y_map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        const char *t = y_text(k);
        if (t != NULL && strcmp(t, key) == 0)
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

static void join_path(char *buf, size_t size, const char *path, const char *key)
{
    if (path == NULL || path[0] == '\0')
        snprintf(buf, size, "%s", key);
    else
        snprintf(buf, size, "%s.%s", path, key);
}

/* Earlier key with the same text, else NULL. */
static yaml_node_t *earlier_key(yaml_document_t *doc, const yaml_node_t *map, const yaml_node_pair_t *upto,
                                const char *key)
{
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < upto; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        const char *t = y_text(k);
        if (t != NULL && strcmp(t, key) == 0)
            return k;
    }
    return NULL;
}

void y_each_pair(lle_config *c, yaml_document_t *doc, const yaml_node_t *map, const char *path, y_pair_fn fn,
                 void *user)
{
    char kp[192], found[64];

    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key), *v = yaml_document_get_node(doc, pr->value);
        const char *key = y_text(k);
        yaml_node_t *first;
        if (key == NULL) {
            y_describe(k, found, sizeof found);
            cfg_diag(c, LLE_CONFIG_ERROR, y_pos(k), path, "expected a text key, found %s", found);
            continue;
        }
        first = earlier_key(doc, map, pr, key);
        join_path(kp, sizeof kp, path, key);
        if (strcmp(key, "<<") == 0 && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            cfg_diag(c, LLE_CONFIG_ERROR, y_pos(k), kp,
                     "YAML merge keys are not supported; use an alias (*name) "
                     "for a whole section instead");
            continue;
        }
        if (first != NULL) {
            cfg_diag(c, LLE_CONFIG_ERROR, y_pos(k), kp, "duplicate key (first given at line %d)", y_pos(first).line);
            continue;
        }
        fn(user, key, k, v);
    }
}

static bool expect_kind(lle_config *c, const yaml_node_t *n, const char *path, const char *what, ykind want)
{
    char found[64];

    if (y_kind(n) == want)
        return true;
    y_describe(n, found, sizeof found);
    cfg_diag(c, LLE_CONFIG_ERROR, y_pos(n), path, "expected %s, found %s", what, found);
    return false;
}

bool y_expect_map(lle_config *c, const yaml_node_t *n, const char *path, const char *what)
{
    return expect_kind(c, n, path, what, Y_MAP);
}

bool y_expect_list(lle_config *c, const yaml_node_t *n, const char *path, const char *what)
{
    return expect_kind(c, n, path, what, Y_LIST);
}
