/* show.c — `results show ID`: everything about one experiment. Identity,
 * configuration, model and environment from the flat row; every metric with
 * its unit and how it was obtained (measured, estimated, computed, or the
 * energy method); and from the stored document the energy of every source,
 * the sources that could not be used and why, and the prefill/decode phases.
 * JSON carries the same plus the whole stored document. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "results/results_internal.h"
#include "results/row.h"

static const char *const GROUP_NAMES[] = {"experiment", "configuration", "model", "metrics", "energy", "environment"};

static const cJSON *get(const cJSON *o, const char *k1, const char *k2)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k1);
    return k2 != NULL ? cJSON_GetObjectItemCaseSensitive(n, k2) : n;
}

static void human_json(const cJSON *n, char *out, size_t size)
{
    if (cJSON_IsNumber(n))
        snprintf(out, size, "%.6g", n->valuedouble);
    else if (cJSON_IsString(n))
        snprintf(out, size, "%s", n->valuestring);
    else if (cJSON_IsBool(n))
        snprintf(out, size, "%s", cJSON_IsTrue(n) ? "yes" : "no");
    else
        snprintf(out, size, "-");
}

static void text_fields(const res_row *row, rbuf *b)
{
    char v[512];

    for (int g = RG_ID; g <= RG_ENV; g++) {
        bool measured = g == RG_METRIC || g == RG_ENERGY;
        rbuf_printf(b, "%s\n", GROUP_NAMES[g]);
        if (measured)
            rbuf_printf(b, "  %-28s %-16s %-10s %s\n", "field", "value", "unit", "how");
        for (size_t i = 0; i < RES_N_FIELDS; i++) {
            if ((int)RES_FIELDS[i].group != g)
                continue;
            res_row_human(row, i, v, sizeof v);
            if (measured)
                rbuf_printf(b, "  %-28s %-16s %-10s %s\n", RES_FIELDS[i].name, v, RES_FIELDS[i].unit,
                            res_row_provenance(row, i));
            else
                rbuf_printf(b, "  %-28s %s\n", RES_FIELDS[i].name, v);
        }
    }
}

static void text_sources(const cJSON *energy, rbuf *b)
{
    const cJSON *s = NULL;
    char e[32], avg[32], peak[32], net[32];

    rbuf_printf(b, "energy sources (measured window)\n  %-18s %-6s %-10s %-12s %-11s %-12s %-12s %s\n", "source",
                "domain", "method", "energy_j", "avg_power_w", "peak_power_w", "net_energy_j", "flags");
    cJSON_ArrayForEach(s, get(get(energy, "window", NULL), "sources", NULL))
    {
        bool partial = cJSON_IsTrue(get(s, "partial", NULL)), low = cJSON_IsTrue(get(s, "low_confidence", NULL));
        human_json(get(s, "energy_j", NULL), e, sizeof e);
        human_json(get(s, "avg_power_w", NULL), avg, sizeof avg);
        human_json(get(s, "peak_power_w", NULL), peak, sizeof peak);
        human_json(get(s, "net_energy_j", NULL), net, sizeof net);
        rbuf_printf(b, "  %-18s %-6s %-10s %-12s %-11s %-12s %-12s %s%s%s%s\n",
                    cJSON_IsString(get(s, "source", NULL)) ? get(s, "source", NULL)->valuestring : "?",
                    cJSON_IsString(get(s, "domain", NULL)) ? get(s, "domain", NULL)->valuestring : "-",
                    cJSON_IsString(get(s, "method", NULL)) ? get(s, "method", NULL)->valuestring : "-", e, avg, peak,
                    net, partial ? "partial " : "", low ? "low-confidence " : "", !partial && !low ? "-" : "",
                    cJSON_IsTrue(get(s, "in_total", NULL)) ? "" : " (not in total)");
        if (cJSON_IsString(get(s, "how", NULL)))
            rbuf_printf(b, "    how: %s\n", get(s, "how", NULL)->valuestring);
        if (cJSON_IsString(get(s, "note", NULL)))
            rbuf_printf(b, "    note: %s\n", get(s, "note", NULL)->valuestring);
    }
    cJSON_ArrayForEach(s, get(energy, "unavailable", NULL))
    {
        const cJSON *id = get(s, "id", NULL), *why = get(s, "status", NULL);
        rbuf_printf(b, "  not used: %s: %s\n", cJSON_IsString(id) ? id->valuestring : "?",
                    cJSON_IsString(why) ? why->valuestring : "");
    }
}

static void text_phases(const cJSON *energy, rbuf *b)
{
    static const char *const names[] = {"prefill", "decode"};
    static const char *const keys[] = {"duration_s", "energy_j",    "net_energy_j",
                                       "tokens",     "j_per_token", "net_j_per_token"};
    char v[32];

    rbuf_printf(b, "energy per phase\n  %-8s %-12s %-12s %-12s %-8s %-12s %-15s %s\n", "phase", "duration_s",
                "energy_j", "net_energy_j", "tokens", "j_per_token", "net_j_per_token", "method");
    for (size_t p = 0; p < 2; p++) {
        const cJSON *ph = get(get(energy, "phases", NULL), names[p], NULL);
        if (!cJSON_IsObject(ph))
            continue;
        rbuf_printf(b, "  %-8s", names[p]);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            human_json(get(ph, keys[k], NULL), v, sizeof v);
            rbuf_printf(b, " %-*s", k == 3 ? 8 : k == 5 ? 15 : 12, v);
        }
        human_json(get(ph, "method", NULL), v, sizeof v);
        rbuf_printf(b, " %s\n", v);
    }
    rbuf_puts(b, "  (prefill j_per_token is per input token, decode per output token)\n");
}

static void show_text(const res_row *row, const cJSON *doc, rbuf *b)
{
    const cJSON *energy = get(doc, "energy", NULL);

    text_fields(row, b);
    if (cJSON_IsObject(energy)) {
        text_sources(energy, b);
        text_phases(energy, b);
    } else {
        rbuf_puts(b, "energy: not measured for this experiment\n");
    }
}

static cJSON *value_json(const res_row *row, size_t i)
{
    if (row->type[i] == SQLITE_NULL)
        return cJSON_CreateNull();
    if (RES_FIELDS[i].kind == RK_BOOL)
        return cJSON_CreateBool(row->num[i] != 0.0);
    if (row->type[i] == SQLITE_TEXT)
        return cJSON_CreateString(row->text[i]);
    return cJSON_CreateNumber(row->num[i]);
}

static cJSON *show_json(const res_row *row, cJSON *doc)
{
    static const char *const keys[] = {"experiment", "configuration", "model", "metrics", "energy", "environment"};
    const cJSON *energy = get(doc, "energy", NULL);
    cJSON *o = cJSON_CreateObject(), *groups[6];

    for (int g = 0; g < 6; g++)
        groups[g] = cJSON_AddObjectToObject(o, keys[g]);
    for (size_t i = 0; i < RES_N_FIELDS; i++) {
        int g = (int)RES_FIELDS[i].group;
        if (g == RG_METRIC || (g == RG_ENERGY && RES_FIELDS[i].kind != RK_TEXT)) {
            cJSON *m = cJSON_AddObjectToObject(groups[g], RES_FIELDS[i].name);
            cJSON_AddItemToObject(m, "value", value_json(row, i));
            cJSON_AddStringToObject(m, "unit", RES_FIELDS[i].unit);
            cJSON_AddStringToObject(m, "method", res_row_provenance(row, i));
        } else {
            cJSON_AddItemToObject(groups[g], RES_FIELDS[i].name, value_json(row, i));
        }
    }
    cJSON_AddItemToObject(o, "energy_sources", cJSON_Duplicate(get(get(energy, "window", NULL), "sources", NULL), 1));
    cJSON_AddItemToObject(o, "energy_unavailable", cJSON_Duplicate(get(energy, "unavailable", NULL), 1));
    cJSON_AddItemToObject(o, "energy_phases", cJSON_Duplicate(get(energy, "phases", NULL), 1));
    cJSON_AddItemReferenceToObject(o, "document", doc);
    return o;
}

static lle_status load_doc(lle_results *r, const char *id, cJSON **doc, lle_error *err)
{
    char *text = NULL;
    lle_status ret = lle_store_get(r->store, id, &text, err);

    *doc = NULL;
    if (ret == LLE_OK && (*doc = cJSON_Parse(text)) == NULL)
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: experiment '%s': stored document is not JSON", r->path, id);
    free(text);
    return ret;
}

lle_status lle_results_show(lle_results *r, const char *id, lle_results_format fmt, char **out, size_t *out_len,
                            lle_error *err)
{
    char full[128];
    res_row row = {0};
    cJSON *doc = NULL, *js = NULL;
    char *text = NULL;
    rbuf b = {0};
    lle_status ret;

    if (r == NULL || id == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_show: handle, id and out are required");
    *out = NULL;
    ret = res_resolve_id(r, id, full, sizeof full, err);
    if (ret == LLE_OK)
        ret = res_row_load(r, full, &row, err);
    if (ret == LLE_OK)
        ret = load_doc(r, full, &doc, err);
    if (ret != LLE_OK)
        goto cleanup;
    if (fmt == LLE_RESULTS_JSON) {
        js = show_json(&row, doc);
        text = js != NULL ? cJSON_Print(js) : NULL;
        if (text == NULL) {
            ret = lle_fail(err, LLE_ERR_NOMEM, "out of memory printing experiment '%s'", full);
            goto cleanup;
        }
        rbuf_puts(&b, text);
        rbuf_putc(&b, '\n');
    } else {
        show_text(&row, doc, &b);
    }
    ret = rbuf_take(&b, out, out_len, err);
cleanup:
    rbuf_free(&b);
    free(text);
    cJSON_Delete(js);
    cJSON_Delete(doc);
    res_row_free(&row);
    return ret;
}
