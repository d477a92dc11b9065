/* migrate.c — `config migrate`: read one of the thesis tool's JSON config
 * dicts (henrycgbaker/thesis, the configs/ Python dicts transcribed to JSON), map it field
 * by field (migrate_map.c), and write our YAML with the legacy key of every
 * value as a comment and everything not carried over listed at the top. The
 * result is loaded back through the validator before it is returned, so a
 * migrated file always passes `config validate`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "config/migrate_internal.h"

/* ---- reading ---- */
yaml_node_t *mig_get(mig *m, const char *path)
{
    char buf[192], *save = NULL;
    yaml_node_t *n = m->root;

    lle_strlcpy(buf, path, sizeof buf);
    for (char *t = strtok_r(buf, ".", &save); t != NULL && n != NULL; t = strtok_r(NULL, ".", &save))
        n = y_map_get(m->doc, n, t);
    return n;
}

void mig_item(mig *m, lle_migrate_kind kind, const char *key, const char *fmt, ...)
{
    lle_migrate_item *it;
    va_list ap;

    if (m->rep->n_items == m->cap_items) {
        size_t cap = m->cap_items ? m->cap_items * 2 : 16;
        lle_migrate_item *q = realloc(m->rep->items, cap * sizeof *q);
        if (q == NULL) {
            m->oom = true;
            return;
        }
        m->rep->items = q;
        m->cap_items = cap;
    }
    it = &m->rep->items[m->rep->n_items++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->pos = mig_get(m, key) != NULL ? y_pos(mig_get(m, key)) : (lle_config_pos){1, 1};
    lle_strlcpy(it->key, key, sizeof it->key);
    va_start(ap, fmt);
    vsnprintf(it->message, sizeof it->message, fmt, ap);
    va_end(ap);
}

static void wrong(mig *m, const char *key, const char *expected)
{
    char found[64];

    y_describe(mig_get(m, key), found, sizeof found);
    mig_item(m, LLE_MIGRATE_INVALID, key, "expected %s, found %s; not carried over", expected, found);
}

mig_get_status mig_number(mig *m, const char *key, double *out)
{
    yaml_node_t *n = mig_get(m, key);
    ykind k = y_kind(n);

    if (n == NULL)
        return MIG_ABSENT;
    if (k == Y_NULL)
        return MIG_NULL;
    if (k == Y_INT || k == Y_FLOAT) {
        *out = strtod(y_text(n), NULL);
        return MIG_OK;
    }
    wrong(m, key, "a number");
    return MIG_WRONG;
}

mig_get_status mig_bool(mig *m, const char *key, bool *out)
{
    yaml_node_t *n = mig_get(m, key);

    if (n == NULL)
        return MIG_ABSENT;
    if (y_kind(n) == Y_NULL)
        return MIG_NULL;
    if (y_kind(n) == Y_BOOL) {
        *out = y_bool(n);
        return MIG_OK;
    }
    wrong(m, key, "true or false");
    return MIG_WRONG;
}

mig_get_status mig_string(mig *m, const char *key, const char **out)
{
    yaml_node_t *n = mig_get(m, key);

    if (n == NULL)
        return MIG_ABSENT;
    if (y_kind(n) == Y_NULL)
        return MIG_NULL;
    if (y_kind(n) == Y_STRING) {
        *out = y_text(n);
        return MIG_OK;
    }
    wrong(m, key, "text");
    return MIG_WRONG;
}

/* ---- setting fields ---- */
static void set_value(mig *m, const char *field, lle_config_value *v, const char *from)
{
    int fi = lle_config_field_find(field);
    char note[224];

    v->field = fi;
    lle_config_value_apply(v, &m->e);
    snprintf(note, sizeof note, "from %s", from);
    m->comments[fi] = cfg_strdup(m->arena, note);
}

void mig_set_int(mig *m, const char *field, long long x, const char *from)
{
    lle_config_value v = {0};

    v.i = x;
    v.u = (uint64_t)x;
    set_value(m, field, &v, from);
}

void mig_set_num(mig *m, const char *field, double x, const char *from)
{
    lle_config_value v = {0};

    v.d = x;
    set_value(m, field, &v, from);
}

void mig_set_str(mig *m, const char *field, const char *x, const char *from)
{
    lle_config_value v = {0};

    v.s = cfg_strdup(m->arena, x);
    set_value(m, field, &v, from);
}

void mig_set_bool(mig *m, const char *field, bool x, const char *from)
{
    lle_config_value v = {0};

    v.b = x;
    set_value(m, field, &v, from);
}

/* ---- the report ---- */
static const char *kind_name(lle_migrate_kind k)
{
    return k == LLE_MIGRATE_UNMAPPED ? "not mapped" : k == LLE_MIGRATE_INVALID ? "invalid" : "note";
}

char *lle_migrate_report_text(const lle_migrate_report *r, const char *file)
{
    rbuf b = {0};

    rbuf_puts(&b, "");
    for (size_t i = 0; r != NULL && i < r->n_items; i++) {
        const lle_migrate_item *it = &r->items[i];
        rbuf_printf(&b, "%s:%d:%d: %s: %s: %s\n", file, it->pos.line, it->pos.column, it->key, kind_name(it->kind),
                    it->message);
    }
    return rbuf_release(&b);
}

void lle_migrate_report_free(lle_migrate_report *r)
{
    if (r == NULL)
        return;
    free(r->items);
    free(r);
}

/* ---- output ---- */
static void comment_block(rbuf *b, const lle_migrate_report *r, lle_migrate_kind kind, const char *title)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_items; i++)
        n += r->items[i].kind == kind;
    if (n == 0)
        return;
    rbuf_printf(b, "#\n# %s (%zu):\n", title, n);
    for (size_t i = 0; i < r->n_items; i++) {
        if (r->items[i].kind != kind)
            continue;
        rbuf_printf(b, "#   %s (line %d): ", r->items[i].key, r->items[i].pos.line);
        for (const char *p = r->items[i].message; *p != '\0'; p++)
            rbuf_printf(b, "%c", *p == '\n' ? ' ' : *p);
        rbuf_puts(b, "\n");
    }
}

static char *render(mig *m, const char *file)
{
    rbuf b = {0};
    emit_opts o = {false, false, m->comments, 0};

    rbuf_printf(&b, "# Migrated by `llm-efficiency config migrate` from %s,\n", file);
    rbuf_puts(&b, "# a configuration of the thesis tool (github.com/henrycgbaker/thesis). Every value\n"
                  "# names the legacy key it came from; docs/config-files.md explains the mapping.\n");
    comment_block(&b, m->rep, LLE_MIGRATE_UNMAPPED, "Not carried over");
    comment_block(&b, m->rep, LLE_MIGRATE_INVALID, "Invalid legacy values");
    comment_block(&b, m->rep, LLE_MIGRATE_NOTE, "Notes");
    rbuf_printf(&b, "version: %d\n", LLE_CONFIG_FORMAT_VERSION);
    if (m->name != NULL) {
        rbuf_puts(&b, "name: ");
        cfg_yaml_string(&b, m->name);
        rbuf_puts(&b, "\n");
    }
    if (m->description != NULL) {
        rbuf_puts(&b, "description: ");
        cfg_yaml_string(&b, m->description);
        rbuf_puts(&b, "\n");
    }
    cfg_emit_experiment(&b, &m->e, &o);
    return rbuf_release(&b);
}

/* The YAML must load without errors; anything else is a bug of the mapping. */
static lle_status check_output(const char *yaml, lle_error *err)
{
    lle_config *c = NULL;
    lle_status st = lle_config_load_string(yaml, strlen(yaml), "(migrated)", ".", &c, err);
    char *d = c != NULL ? lle_config_diag_text(c) : NULL;

    if (st != LLE_OK && st != LLE_ERR_NOMEM)
        st = lle_fail(err, LLE_ERR_INTERNAL, "migration produced an invalid file (a bug): %s", d ? d : "");
    free(d);
    lle_config_free(c);
    return st;
}

static lle_status read_legacy(mig *m, const char *path, yaml_document_t *doc, lle_error *err)
{
    char *text = NULL, msg[400];
    lle_config_pos pos;
    struct stat sb;
    FILE *f;
    size_t n = 0;

    if (stat(path, &sb) != 0)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode) || sb.st_size > (16 << 20))
        return lle_fail(err, LLE_ERR_INVALID, "%s: expected a JSON file of at most 16 MiB", path);
    f = fopen(path, "rb");
    text = f != NULL ? malloc((size_t)sb.st_size + 1) : NULL;
    if (text != NULL)
        n = fread(text, 1, (size_t)sb.st_size, f);
    if (f != NULL)
        fclose(f);
    if (text == NULL)
        return lle_fail(err, f == NULL ? LLE_ERR_IO : LLE_ERR_NOMEM, "%s: cannot read", path);
    if (!y_load(doc, text, n, &pos, msg, sizeof msg)) {
        free(text);
        return lle_fail(err, LLE_ERR_FORMAT, "%s:%d:%d: not JSON: %s", path, pos.line, pos.column, msg);
    }
    free(text);
    m->doc = doc;
    m->root = yaml_document_get_root_node(doc);
    if (y_kind(m->root) != Y_MAP)
        return lle_fail(err, LLE_ERR_FORMAT, "%s: expected a JSON object (a thesis-tool config dict), found %s", path,
                        m->root == NULL ? "nothing" : "another value");
    return LLE_OK;
}

static void sort_items(lle_migrate_report *r)
{
    for (size_t i = 1; i < r->n_items; i++) {
        lle_migrate_item it = r->items[i];
        size_t j = i;
        while (j > 0 && (r->items[j - 1].pos.line > it.pos.line ||
                         (r->items[j - 1].pos.line == it.pos.line && r->items[j - 1].pos.column > it.pos.column))) {
            r->items[j] = r->items[j - 1];
            j--;
        }
        r->items[j] = it;
    }
}

static void unknown_keys(mig *m)
{
    for (yaml_node_pair_t *p = m->root->data.mapping.pairs.start; p < m->root->data.mapping.pairs.top; p++) {
        const char *k = y_text(yaml_document_get_node(m->doc, p->key));
        bool known = false;
        for (size_t i = 0; k != NULL && MIG_KNOWN_KEYS[i] != NULL; i++)
            known = known || strcmp(k, MIG_KNOWN_KEYS[i]) == 0;
        if (k != NULL && !known)
            mig_item(m, LLE_MIGRATE_UNMAPPED, k, "not a key of the thesis tool's config; ignored");
    }
}

static const char *file_stem(lle_config *arena, const char *path)
{
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    char *s = cfg_strdup(arena, base), *dot = s != NULL ? strrchr(s, '.') : NULL;

    if (dot != NULL && dot != s)
        *dot = '\0';
    return s != NULL ? s : "migrated";
}

lle_status lle_config_migrate(const char *legacy_path, const lle_migrate_opts *opts, char **yaml_out,
                              lle_migrate_report **report, lle_error *err)
{
    static const lle_migrate_opts none = {NULL, NULL};
    mig *m = calloc(1, sizeof *m);
    yaml_document_t doc;
    lle_status st = LLE_ERR_NOMEM;

    *yaml_out = NULL;
    *report = NULL;
    memset(&doc, 0, sizeof doc);
    if (m == NULL || (m->arena = calloc(1, sizeof *m->arena)) == NULL || (m->rep = calloc(1, sizeof *m->rep)) == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    m->opts = opts != NULL ? opts : &none;
    m->stem = file_stem(m->arena, legacy_path);
    lle_config_experiment_init(&m->e);
    st = read_legacy(m, legacy_path, &doc, err);
    if (st != LLE_OK)
        goto cleanup;
    mig_map_all(m);
    unknown_keys(m);
    sort_items(m->rep);
    if (m->oom || m->arena->oom) {
        st = lle_fail(err, LLE_ERR_NOMEM, "out of memory");
    } else if (m->fatal) {
        st = lle_fail(err, LLE_ERR_INVALID, "%s: no model to migrate to: pass --preset NAME or --model FILE",
                      legacy_path);
    } else {
        *yaml_out = render(m, legacy_path);
        st = *yaml_out == NULL ? lle_fail(err, LLE_ERR_NOMEM, "out of memory") : check_output(*yaml_out, err);
    }
    *report = m->rep;
    m->rep = NULL;
cleanup:
    if (doc.nodes.start != NULL)
        yaml_document_delete(&doc);
    if (m != NULL) {
        lle_config_free(m->arena);
        lle_migrate_report_free(m->rep);
        free(m);
    }
    if (st != LLE_OK) {
        free(*yaml_out);
        *yaml_out = NULL;
    }
    return st;
}
