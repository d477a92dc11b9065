/* override.c — `--set FIELD=VALUE` for campaign commands: one schema field
 * (config_schema names, "section.name" too) parsed from text by its type and
 * bounds, as an lle_config_value the plan applies to every experiment last
 * (command-line values win over the file). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_internal.h"
#include "common/util.h"

static bool in_bounds(const lle_config_field *f, double d)
{
    bool lo = f->min_open ? d > f->min : d >= f->min;
    bool hi = f->max_open ? d < f->max : d <= f->max;

    return isfinite(d) && lo && hi;
}

static bool parse_number(const lle_config_field *f, const char *text, lle_config_value *v)
{
    char *end = NULL;

    errno = 0;
    if (f->type == LLE_CONFIG_U64) {
        v->u = strtoull(text, &end, 10);
        return text[0] != '-' && errno == 0 && end != text && *end == '\0';
    }
    if (f->type == LLE_CONFIG_INT) {
        v->i = strtoll(text, &end, 10);
        return errno == 0 && end != text && *end == '\0' && in_bounds(f, (double)v->i);
    }
    v->d = strtod(text, &end);
    return errno == 0 && end != text && *end == '\0' && in_bounds(f, v->d);
}

static bool in_choices(const char *choices, const char *s)
{
    size_t len = strlen(s);

    for (const char *c = choices; c != NULL && *c != '\0';) {
        const char *bar = strchr(c, '|');
        size_t n = bar != NULL ? (size_t)(bar - c) : strlen(c);
        if (n == len && strncmp(c, s, n) == 0)
            return true;
        c = bar != NULL ? bar + 1 : NULL;
    }
    return false;
}

static bool parse_list(const lle_config_field *f, const char *text, lle_config_value *v)
{
    char buf[512], *save = NULL;

    if (lle_strlcpy(buf, text, sizeof buf) >= sizeof buf)
        return false;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        double d = strtod(tok, &end);
        if (v->n_list >= LLE_MAX_TENSOR_SPLIT || end == tok || *end != '\0' || !in_bounds(f, d))
            return false;
        v->list[v->n_list++] = (float)d;
    }
    return true;
}

static bool parse_value(const lle_config_field *f, const char *text, lle_config_value *v)
{
    switch (f->type) {
    case LLE_CONFIG_STRING:
    case LLE_CONFIG_PATH:
        v->s = text;
        return text[0] != '\0';
    case LLE_CONFIG_ENUM:
        v->s = text;
        return in_choices(f->choices, text);
    case LLE_CONFIG_AUTO_BOOL:
        v->i = strcmp(text, "auto") == 0                                  ? -1
               : (strcmp(text, "on") == 0 || strcmp(text, "true") == 0)   ? 1
               : (strcmp(text, "off") == 0 || strcmp(text, "false") == 0) ? 0
                                                                          : -2;
        return v->i != -2;
    case LLE_CONFIG_BOOL:
        v->b = strcmp(text, "true") == 0;
        return v->b || strcmp(text, "false") == 0;
    case LLE_CONFIG_FLOAT_LIST:
        return parse_list(f, text, v);
    default:
        return parse_number(f, text, v);
    }
}

lle_status lle_campaign_parse_override(const char *text, lle_config_value *out, lle_error *err)
{
    const char *eq = text != NULL ? strchr(text, '=') : NULL;
    char name[96], accepts[160];
    const lle_config_field *f;
    int fi;

    memset(out, 0, sizeof *out);
    if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof name)
        return lle_fail(err, LLE_ERR_INVALID, "--set '%s': expected FIELD=VALUE", text != NULL ? text : "");
    memcpy(name, text, (size_t)(eq - text));
    name[eq - text] = '\0';
    fi = lle_config_field_find(name);
    if (fi < 0)
        return lle_fail(err, LLE_ERR_INVALID, "--set %s: unknown field (see `llm-efficiency config schema`)", name);
    f = lle_config_field_at((size_t)fi);
    out->field = fi;
    if (!parse_value(f, eq + 1, out))
        return lle_fail(err, LLE_ERR_INVALID, "--set %s: expected %s, found '%s'", name,
                        lle_config_field_accepts(f, accepts, sizeof accepts), eq + 1);
    return LLE_OK;
}
