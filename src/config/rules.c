/* rules.c — the rules between fields of one experiment, reported all at once
 * with the position of the offending key (the same rules as
 * lle_run_config_validate() in src/run/config.c, whose message is the last
 * resort), warnings for fields that have no effect, and the same checks on
 * every variant a campaign defines: each model, scenario, factor value,
 * include entry and (non-excluded) grid combination, merged over the base
 * experiment. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "config/config_internal.h"
#include "lle/model.h"

#define MAX_GRID_COMBOS  100000
#define MAX_GRID_REPORTS 10

typedef struct rule_ctx {
    lle_config *c;
    const lle_config_experiment *e;
    const lle_run_config *r;  /* e->run with the decoding preset expanded */
    const bool *only;         /* report only rules touching these fields (NULL: all) */
    const char *prefix;       /* path prefix: "", "experiment.", "scenarios[1].", "grid." */
    bool short_names;         /* path is prefix + field name (axes, include), not section.field */
    const char *msg_prefix;   /* "with top_k = 50: " */
    bool skip_model_presence; /* the model comes from a `models:` list */
    size_t n_errors;
} rule_ctx;

static int F(const char *name)
{
    return lle_config_field_find(name);
}

/* Report a rule about fields `inv` (-1 terminated; inv[0] names the path). */
static void fail(rule_ctx *x, lle_config_severity sev, const int *inv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(rule_ctx *x, lle_config_severity sev, const int *inv, const char *fmt, ...)
{
    char path[192], field[96], msg[512];
    lle_config_pos pos = {0, 0};
    bool touched = x->only == NULL;
    va_list ap;

    for (size_t i = 0; inv[i] >= 0; i++) {
        bool mine = x->only != NULL && x->only[inv[i]];
        touched = touched || mine;
        if (mine && pos.line == 0 && x->e->set[inv[i]])
            pos = x->e->pos[inv[i]];
    }
    for (size_t i = 0; inv[i] >= 0 && pos.line == 0; i++)
        if (x->e->set[inv[i]])
            pos = x->e->pos[inv[i]];
    if (!touched)
        return;
    if (x->short_names)
        lle_strlcpy(field, lle_config_field_at((size_t)inv[0])->name, sizeof field);
    else
        cfg_field_path(inv[0], field, sizeof field);
    snprintf(path, sizeof path, "%s%s", x->prefix, field);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_diag(x->c, sev, pos, path, "%s%s", x->msg_prefix, msg);
    if (sev == LLE_CONFIG_ERROR)
        x->n_errors++;
}

#define INV(...) ((const int[]){__VA_ARGS__, -1})

/* ---- model ---- */
static void check_file(rule_ctx *x, int fi, const char *p, bool want_dir)
{
    struct stat sb;

    if (p == NULL || (x->only != NULL && !x->only[fi]))
        return;
    if (stat(p, &sb) != 0) {
        if (!want_dir)
            fail(x, LLE_CONFIG_ERROR, INV(fi), "expected an existing file, found nothing at %s", p);
    } else if (want_dir != (bool)S_ISDIR(sb.st_mode)) {
        fail(x, LLE_CONFIG_ERROR, INV(fi), "expected %s, found %s at %s", want_dir ? "a directory" : "a file",
             want_dir ? "a file" : "a directory", p);
    }
}

static void check_model(rule_ctx *x)
{
    const lle_run_config *r = x->r;
    int mp = F("model_path"), pr = F("preset"), pt = F("preset_type");
    lle_model_info *info;

    if (r->model_path == NULL && r->preset == NULL && !x->skip_model_presence && x->e->pos[mp].line == 0 &&
        x->e->pos[pr].line == 0 && x->only == NULL)
        cfg_diag(x->c, LLE_CONFIG_ERROR, x->c->model_pos, x->prefix[0] ? "experiment.model" : "model",
                 "expected exactly one of model_path and preset, found neither");
    if (r->model_path != NULL && r->preset != NULL)
        fail(x, LLE_CONFIG_ERROR, INV(pr, mp), "expected exactly one of model_path and preset, found both");
    check_file(x, mp, r->model_path, false);
    check_file(x, F("prompt_file"), r->prompt_file, false);
    check_file(x, F("cache_dir"), r->cache_dir, true);
    if (r->model_path == NULL || r->preset != NULL || !x->e->set[pt] || r->preset_type == NULL)
        return;
    info = calloc(1, sizeof *info);
    if (info != NULL && lle_model_inspect(r->model_path, info, NULL) == LLE_OK)
        fail(x, LLE_CONFIG_ERROR, INV(pt, mp),
             "conflicts with model_path: the file's weights are %s, which is the precision of the run; preset_type "
             "'%s' applies only to a preset (remove it)",
             info->file_type, r->preset_type);
    else
        fail(x, LLE_CONFIG_ERROR, INV(pt, mp),
             "conflicts with model_path: a GGUF file's own weight type is the precision of the run; preset_type "
             "'%s' applies only to a preset (remove it)",
             r->preset_type);
    free(info);
}

static void check_engine(rule_ctx *x)
{
    const lle_run_config *r = x->r;
    int per_seq = r->max_input_tokens + r->max_output_tokens;
    bool quantised_v = r->kv_type != NULL && strcmp(r->kv_type, "f32") != 0 && strcmp(r->kv_type, "f16") != 0 &&
                       strcmp(r->kv_type, "bf16") != 0;

    if (r->n_batch > 0 && r->n_ubatch > r->n_batch)
        fail(x, LLE_CONFIG_ERROR, INV(F("n_ubatch"), F("n_batch")), "expected at most n_batch (%d), found %d",
             r->n_batch, r->n_ubatch);
    if (r->n_ctx > 0 && r->n_ctx < per_seq)
        fail(x, LLE_CONFIG_ERROR, INV(F("n_ctx"), F("max_input_tokens"), F("max_output_tokens")),
             "expected at least max_input_tokens + max_output_tokens = %d, found %d", per_seq, r->n_ctx);
    if (quantised_v && r->flash_attn == 0)
        fail(x, LLE_CONFIG_ERROR, INV(F("kv_type"), F("flash_attn")),
             "a quantised V cache (%s) needs flash attention: expected flash_attn auto or on, found off", r->kv_type);
}

static void check_workload(rule_ctx *x)
{
    const lle_run_config *r = x->r;
    int per_seq = r->max_input_tokens + r->max_output_tokens;

    if (r->min_input_tokens > r->max_input_tokens)
        fail(x, LLE_CONFIG_ERROR, INV(F("min_input_tokens"), F("max_input_tokens")),
             "expected at most max_input_tokens (%d), found %d", r->max_input_tokens, r->min_input_tokens);
    if (r->min_output_tokens > r->max_output_tokens)
        fail(x, LLE_CONFIG_ERROR, INV(F("min_output_tokens"), F("max_output_tokens")),
             "expected at most max_output_tokens (%d), found %d", r->max_output_tokens, r->min_output_tokens);
    if (r->adaptive_tokens > 0 && r->adaptive_tokens < per_seq)
        fail(x, LLE_CONFIG_ERROR, INV(F("adaptive_tokens"), F("max_input_tokens"), F("max_output_tokens")),
             "expected a budget of at least max_input_tokens + max_output_tokens = %d, found %d", per_seq,
             r->adaptive_tokens);
}

/* ---- decoding ---- */
static void check_preset_conflicts(rule_ctx *x)
{
    static const char *const fields[] = {"temperature", "top_k", "top_p", "min_p", "repeat_penalty", NULL};
    lle_config_value mine, preset;
    char a[40], b[40];

    if (x->e->run.decoding_preset == NULL)
        return;
    for (size_t i = 0; fields[i] != NULL; i++) {
        int fi = F(fields[i]);
        rbuf sa = {0}, sb = {0};
        char *ta, *tb;
        if (!x->e->set[fi])
            continue;
        cfg_value_get(&x->e->run, fi, &mine);
        cfg_value_get(x->r, fi, &preset);
        if (lle_config_value_equal(&mine, &preset))
            continue;
        cfg_value_yaml(&sa, &preset);
        cfg_value_yaml(&sb, &mine);
        ta = rbuf_release(&sa);
        tb = rbuf_release(&sb);
        lle_strlcpy(a, ta ? ta : "?", sizeof a);
        lle_strlcpy(b, tb ? tb : "?", sizeof b);
        free(ta);
        free(tb);
        fail(x, LLE_CONFIG_ERROR, INV(fi, F("decoding_preset")),
             "conflicts with decoding_preset '%s', which sets %s %s; found %s (remove one)", x->e->run.decoding_preset,
             fields[i], a, b);
    }
}

static void check_decoding(rule_ctx *x)
{
    const lle_run_config *r = x->r;
    int t = F("temperature");

    check_preset_conflicts(x);
    if (r->temperature > 0.0f)
        return;
    if (r->top_k > 0)
        fail(x, LLE_CONFIG_ERROR, INV(F("top_k"), t),
             "only applies with sampling: expected temperature > 0, found temperature 0 (greedy ignores top_k %d)",
             r->top_k);
    if (r->top_p < 1.0f)
        fail(x, LLE_CONFIG_ERROR, INV(F("top_p"), t),
             "only applies with sampling: expected temperature > 0, found temperature 0 (greedy ignores top_p %g)",
             (double)r->top_p);
    if (r->min_p > 0.0f)
        fail(x, LLE_CONFIG_ERROR, INV(F("min_p"), t),
             "only applies with sampling: expected temperature > 0, found temperature 0 (greedy ignores min_p %g)",
             (double)r->min_p);
}

/* ---- traffic ---- */
static bool traffic_is(const lle_run_config *r, const char *mode)
{
    return r->traffic != NULL && strcmp(r->traffic, mode) == 0;
}

static void check_traffic(rule_ctx *x)
{
    const lle_run_config *r = x->r;
    int tr = F("traffic");

    if (r->delay_min_s > r->delay_max_s)
        fail(x, LLE_CONFIG_ERROR, INV(F("delay_min_s"), F("delay_max_s")),
             "expected at most delay_max_s (%g), found %g", r->delay_max_s, r->delay_min_s);
    if (traffic_is(r, "burst") && r->burst_size < 1)
        fail(x, LLE_CONFIG_ERROR, INV(F("burst_size"), tr), "burst traffic: expected burst_size >= 1, found %d",
             r->burst_size);
    if (traffic_is(r, "burst") && !(r->burst_interval_s > 0.0))
        fail(x, LLE_CONFIG_ERROR, INV(F("burst_interval_s"), tr),
             "burst traffic: expected burst_interval_s > 0, found %g", r->burst_interval_s);
    if (traffic_is(r, "poisson") && !(r->rate > 0.0))
        fail(x, LLE_CONFIG_ERROR, INV(F("rate_per_s"), tr), "poisson traffic: expected rate_per_s > 0, found %g",
             r->rate);
}

/* ---- warnings: fields given that have no effect ---- */
static void no_effect(rule_ctx *x, const char *field, bool applies, const char *when)
{
    int fi = F(field);
    lle_run_config defaults;
    lle_config_value mine, def;

    lle_run_config_init(&defaults);
    cfg_value_get(&x->e->run, fi, &mine);
    cfg_value_get(&defaults, fi, &def);
    if (x->e->set[fi] && !applies && !lle_config_value_equal(&mine, &def))
        fail(x, LLE_CONFIG_WARNING, INV(fi), "has no effect here; it applies %s", when);
}

static void check_warnings(rule_ctx *x)
{
    const lle_run_config *r = x->r;

    no_effect(x, "delay_s", traffic_is(r, "constant"), "with traffic: constant");
    no_effect(x, "delay_min_s", traffic_is(r, "uniform"), "with traffic: uniform");
    no_effect(x, "delay_max_s", traffic_is(r, "uniform"), "with traffic: uniform");
    no_effect(x, "burst_size", traffic_is(r, "burst"), "with traffic: burst");
    no_effect(x, "burst_interval_s", traffic_is(r, "burst"), "with traffic: burst");
    no_effect(x, "rate_per_s", traffic_is(r, "poisson"), "with traffic: poisson");
    no_effect(x, "min_output_tokens", !r->ignore_eos, "with ignore_eos: false");
    no_effect(x, "adaptive_max_batch", r->adaptive_tokens > 0, "with adaptive batching (adaptive_tokens > 0)");
    no_effect(x, "batch_size", r->adaptive_tokens == 0, "to fixed batching (adaptive_tokens 0)");
    no_effect(x, "prompt_format", r->prompt_file != NULL, "with a prompt_file");
    no_effect(x, "min_input_tokens", r->prompt_file == NULL, "to synthetic prompts (no prompt_file)");
}

bool cfg_resolved_run(const lle_config_experiment *e, lle_run_config *out)
{
    *out = e->run;
    return lle_run_config_apply_preset(out, NULL) == LLE_OK;
}

static void run_rules(rule_ctx *x, bool warnings, bool last_resort)
{
    lle_run_config r;
    lle_error err = {0};

    cfg_resolved_run(x->e, &r);
    x->r = &r;
    check_model(x);
    check_engine(x);
    check_workload(x);
    check_decoding(x);
    check_traffic(x);
    if (warnings)
        check_warnings(x);
    if (last_resort && x->c->n_errors == 0 && !x->skip_model_presence && lle_run_config_validate(&r, &err) != LLE_OK)
        cfg_diag(x->c, LLE_CONFIG_ERROR, (lle_config_pos){1, 1}, x->prefix[0] ? "experiment" : "(experiment)", "%s%s",
                 x->msg_prefix, err.msg);
    x->r = NULL;
}

/* ---- campaigns ---- */
static void unset_field(lle_config_experiment *e, int fi)
{
    lle_run_config def;
    lle_config_value v;

    lle_run_config_init(&def);
    cfg_value_get(&def, fi, &v);
    lle_config_value_apply(&v, e);
    e->set[fi] = false;
    e->pos[fi] = (lle_config_pos){0, 0};
}

void lle_config_merge(const lle_config_experiment *base, const lle_config_experiment *over, lle_config_experiment *out)
{
    static const char *const sampling[] = {"temperature", "top_k", "top_p", "min_p", "repeat_penalty", NULL};
    int mp = F("model_path"), pr = F("preset"), pt = F("preset_type");

    *out = *base;
    if (over->set[F("decoding_preset")])
        for (size_t i = 0; sampling[i] != NULL; i++)
            unset_field(out, F(sampling[i]));
    if (over->set[mp] || over->set[pr]) {
        out->run.model_path = NULL;
        out->run.preset = NULL;
        out->set[mp] = out->set[pr] = false;
        if (over->set[mp]) {
            out->run.preset_type = NULL;
            out->set[pt] = false;
        }
    }
    lle_config_overlay(out, over);
}

static void check_entries(lle_config *c, const lle_config_entry *list, size_t n, const char *what, bool warn)
{
    const lle_campaign *cp = &c->campaign;
    lle_config_experiment *m = malloc(sizeof *m);
    char prefix[64];

    for (size_t i = 0; m != NULL && i < n; i++) {
        rule_ctx x = {c, m, NULL, list[i].overrides.set, prefix, strcmp(what, "models") == 0, "", false, 0};
        lle_config_merge(&cp->experiment, &list[i].overrides, m);
        snprintf(prefix, sizeof prefix, "%s[%zu].", what, i);
        run_rules(&x, warn, false);
    }
    free(m);
}

static void check_axis_values(lle_config *c, const lle_config_axis *axes, size_t n, const char *what)
{
    lle_config_experiment *m = malloc(sizeof *m), *one = malloc(sizeof *one);
    char prefix[64], msg[160];

    snprintf(prefix, sizeof prefix, "%s.", what);
    for (size_t a = 0; m != NULL && one != NULL && a < n; a++) {
        const lle_config_field *f = lle_config_field_at((size_t)axes[a].field);
        for (size_t v = 0; v < axes[a].n_values; v++) {
            rbuf b = {0};
            char *t;
            rule_ctx x = {c, m, NULL, one->set, prefix, true, msg, false, 0};
            lle_config_experiment_init(one);
            lle_config_value_apply(&axes[a].values[v], one);
            lle_config_merge(&c->campaign.experiment, one, m);
            cfg_value_yaml(&b, &axes[a].values[v]);
            t = rbuf_release(&b);
            snprintf(msg, sizeof msg, "with %s = %s: ", f->name, t ? t : "?");
            free(t);
            run_rules(&x, false, false);
        }
    }
    free(m);
    free(one);
}

static void check_includes(lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    lle_config_experiment *m = malloc(sizeof *m), *one = malloc(sizeof *one);
    char prefix[64];

    for (size_t i = 0; m != NULL && one != NULL && i < cp->n_include; i++) {
        rule_ctx x = {c, m, NULL, one->set, prefix, true, "", false, 0};
        lle_config_experiment_init(one);
        for (size_t k = 0; k < cp->include[i].n_values; k++)
            lle_config_value_apply(&cp->include[i].values[k], one);
        lle_config_merge(&cp->experiment, one, m);
        snprintf(prefix, sizeof prefix, "include[%zu].", i);
        run_rules(&x, false, false);
    }
    free(m);
    free(one);
}

/* ---- grid: every combination not excluded ---- */
static bool value_in_axis(const lle_config_value *v, const lle_campaign *cp, int *axis)
{
    *axis = -1;
    for (size_t a = 0; a < cp->n_grid; a++) {
        if (cp->grid[a].field != v->field)
            continue;
        *axis = (int)a;
        for (size_t k = 0; k < cp->grid[a].n_values; k++)
            if (lle_config_value_equal(v, &cp->grid[a].values[k]))
                return true;
    }
    return false;
}

static void check_excludes(lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    char path[96];
    int axis;

    for (size_t i = 0; i < cp->n_exclude; i++) {
        for (size_t k = 0; k < cp->exclude[i].n_values; k++) {
            const lle_config_value *v = &cp->exclude[i].values[k];
            const char *name = lle_config_field_at((size_t)v->field)->name;
            snprintf(path, sizeof path, "exclude[%zu].%s", i, name);
            if (!value_in_axis(v, cp, &axis) && axis < 0)
                cfg_diag(c, LLE_CONFIG_ERROR, v->pos, path, "expected a field of grid, found %s (not varied)", name);
            else if (axis >= 0 && !value_in_axis(v, cp, &axis))
                cfg_diag(c, LLE_CONFIG_WARNING, v->pos, path, "matches no combination: the value is not in grid.%s",
                         name);
        }
    }
}

static void combo_text(const lle_campaign *cp, const size_t *idx, char *buf, size_t size)
{
    rbuf b = {0};
    char *t;

    rbuf_puts(&b, "combination {");
    for (size_t a = 0; a < cp->n_grid; a++) {
        rbuf_printf(&b, "%s%s: ", a ? ", " : "", lle_config_field_at((size_t)cp->grid[a].field)->name);
        cfg_value_yaml(&b, &cp->grid[a].values[idx[a]]);
    }
    rbuf_puts(&b, "}: ");
    t = rbuf_release(&b);
    lle_strlcpy(buf, t ? t : "", size);
    free(t);
}

/* Validate one combination; returns true when it is invalid. */
static bool check_combo(lle_config *c, const size_t *idx, bool report, lle_config_experiment *one,
                        lle_config_experiment *m)
{
    const lle_campaign *cp = &c->campaign;
    lle_config scratch;
    char msg[400];
    rule_ctx x = {report ? c : &scratch, m, NULL, one->set, "grid.", true, msg, false, 0};

    memset(&scratch, 0, sizeof scratch);
    lle_config_experiment_init(one);
    for (size_t a = 0; a < cp->n_grid; a++)
        lle_config_value_apply(&cp->grid[a].values[idx[a]], one);
    lle_config_merge(&cp->experiment, one, m);
    combo_text(cp, idx, msg, sizeof msg);
    run_rules(&x, false, false);
    free(scratch.diags);
    return x.n_errors > 0;
}

static void check_grid(lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    size_t total = 1, kept = 0, bad = 0, *idx = calloc(cp->n_grid + 1, sizeof *idx);
    lle_config_experiment *one = malloc(sizeof *one), *m = malloc(sizeof *m);
    bool more = cp->n_grid > 0;

    for (size_t a = 0; a < cp->n_grid && total <= MAX_GRID_COMBOS; a++)
        total *= cp->grid[a].n_values;
    if (total == 0 || idx == NULL || one == NULL || m == NULL)
        more = false;
    if (more && total > MAX_GRID_COMBOS) {
        cfg_diag(c, LLE_CONFIG_ERROR, cp->grid[0].pos, "grid", "expected at most %d combinations, found more",
                 MAX_GRID_COMBOS);
        more = false;
    }
    check_excludes(c);
    for (; more; more = lle_campaign_grid_next(cp, idx)) {
        if (lle_campaign_grid_excluded(cp, idx))
            continue;
        kept++;
        bad += check_combo(c, idx, bad < MAX_GRID_REPORTS, one, m) ? 1 : 0;
    }
    if (bad > MAX_GRID_REPORTS)
        cfg_diag(c, LLE_CONFIG_ERROR, cp->grid[0].pos, "grid",
                 "%zu invalid combinations in all (the first %d are listed); drop them with exclude:", bad,
                 MAX_GRID_REPORTS);
    if (total > 0 && total <= MAX_GRID_COMBOS && kept == 0 && cp->n_grid > 0)
        cfg_diag(c, LLE_CONFIG_ERROR, cp->grid[0].pos, "grid",
                 "expected at least one combination, found every one "
                 "excluded");
    free(idx);
    free(one);
    free(m);
}

static void check_required(lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    static const char *const need[] = {NULL, "models", "factors", "scenarios", "grid"};
    size_t have[] = {1, cp->n_models, cp->n_factors, cp->n_scenarios, cp->n_grid};

    if (cp->suite != LLE_SUITE_SINGLE && have[cp->suite] == 0 && !c->suite_invalid)
        cfg_diag(c, LLE_CONFIG_ERROR, (lle_config_pos){1, 1}, need[cp->suite],
                 "expected a non-empty `%s:` for suite %s, found none", need[cp->suite], lle_suite_name(cp->suite));
}

void cfg_check_campaign(lle_config *c)
{
    const lle_campaign *cp = &c->campaign;
    rule_ctx x = {c,  &cp->experiment,  NULL, NULL, cp->suite == LLE_SUITE_SINGLE ? "" : "experiment.", false,
                  "", cp->n_models > 0, 0};

    check_required(c);
    /* a campaign's variants may make a base field take effect: no warnings on the base */
    run_rules(&x, cp->suite == LLE_SUITE_SINGLE, true);
    check_entries(c, cp->models, cp->n_models, "models", false);
    check_entries(c, cp->scenarios, cp->n_scenarios, "scenarios", true);
    check_axis_values(c, cp->factors, cp->n_factors, "factors");
    check_includes(c);
    check_grid(c);
}
