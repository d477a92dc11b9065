/* energy_merge.c — the "energy" section of a data-parallel experiment: one
 * section per node (measured by that node's lowest rank, whose sources cover
 * every rank on the node) summed into job totals, so a node's counters are
 * counted once, never once per rank. Every node's section is kept whole under
 * "nodes"; "window.sources" lists every node's sources tagged with the node;
 * totals keep measured and estimated apart and combine the methods (measured
 * + estimated = mixed); derived figures are recomputed for the whole job's
 * work; carbon is summed (each node's own intensity and PUE). Phases are
 * summed only when every node ran one rank: with several ranks on a node the
 * measuring rank's prefill/decode windows also hold the other ranks' work. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/mpi_internal.h"

typedef struct sums {
    double measured_j, estimated_j, net_measured_j, net_estimated_j;
    double avg_power_w, duration_s;
    bool power_known, partial, has_m, has_e;
} sums;

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static double nz(double v)
{
    return isfinite(v) ? v : 0.0;
}

static void note_method(sums *s, const char *method)
{
    s->has_m = s->has_m || strcmp(method, "measured") == 0 || strcmp(method, "mixed") == 0;
    s->has_e = s->has_e || strcmp(method, "estimated") == 0 || strcmp(method, "mixed") == 0;
}

static const char *method_of(const sums *s)
{
    return s->has_m && s->has_e ? "mixed" : s->has_m ? "measured" : s->has_e ? "estimated" : "none";
}

/* Add one node's total (or one phase: the same keys) to the sums. */
static void add_part(sums *s, const cJSON *o)
{
    s->measured_j += nz(jnum(o, "measured_j"));
    s->estimated_j += nz(jnum(o, "estimated_j"));
    s->net_measured_j += nz(jnum(o, "net_measured_j"));
    s->net_estimated_j += nz(jnum(o, "net_estimated_j"));
    s->partial = s->partial || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "partial"));
    note_method(s, jstr(o, "method"));
}

static cJSON *num_or_null(double num, double den)
{
    return den > 0.0 && isfinite(num / den) ? cJSON_CreateNumber(num / den) : cJSON_CreateNull();
}

static void add_sums(cJSON *o, const sums *s)
{
    cJSON_AddNumberToObject(o, "energy_j", s->measured_j + s->estimated_j);
    cJSON_AddNumberToObject(o, "net_energy_j", s->net_measured_j + s->net_estimated_j);
    cJSON_AddStringToObject(o, "method", method_of(s));
    cJSON_AddNumberToObject(o, "measured_j", s->measured_j);
    cJSON_AddNumberToObject(o, "estimated_j", s->estimated_j);
    cJSON_AddNumberToObject(o, "net_measured_j", s->net_measured_j);
    cJSON_AddNumberToObject(o, "net_estimated_j", s->net_estimated_j);
    cJSON_AddBoolToObject(o, "partial", s->partial);
}

/* Per joule figures as section.c gives them for one process. */
static void add_derived_set(cJSON *o, const char *suffix, double e, const lle_energy_work *wk)
{
    char name[64];

    if (e < 1e-6) /* rounding noise of a subtraction: per-joule ratios would be meaningless */
        e = 0.0;
#define ADD(key, value)                                                                                                \
    do {                                                                                                               \
        snprintf(name, sizeof name, "%s%s", key, suffix);                                                              \
        cJSON_AddItemToObject(o, name, value);                                                                         \
    } while (0)
    ADD("j_per_output_token", num_or_null(e, (double)wk->output_tokens));
    ADD("j_per_request", num_or_null(e, (double)wk->requests));
    ADD("output_tokens_per_j", num_or_null((double)wk->output_tokens, e));
    ADD("wh_per_1000_requests", num_or_null(e / 3.6, (double)wk->requests));
    ADD("flops_per_j", wk->flops > 0.0 ? num_or_null(wk->flops, e) : cJSON_CreateNull());
#undef ADD
}

static cJSON *derived_json(const sums *s, const lle_energy_work *wk)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "basis",
                            "total energy_j (gross, every node) over the whole job's work; "
                            "*_net from net_energy_j");
    cJSON_AddStringToObject(o, "method", method_of(s));
    add_derived_set(o, "", s->measured_j + s->estimated_j, wk);
    add_derived_set(o, "_net", s->net_measured_j + s->net_estimated_j, wk);
    return o;
}

/* The whole-window sum, with every node's sources tagged with the node. */
static cJSON *window_json(cJSON *const *secs, const mpi_node_energy *nodes, int n, sums *s)
{
    cJSON *o = cJSON_CreateObject(), *arr;

    cJSON_AddStringToObject(o, "name", "experiment (all nodes)");
    arr = cJSON_CreateArray();
    for (int j = 0; j < n; j++) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(secs[j], "window"), *src;
        double d = jnum(w, "duration_s");
        s->duration_s = isfinite(d) && d > s->duration_s ? d : s->duration_s;
        cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(w, "sources"))
        {
            cJSON *c = cJSON_Duplicate(src, 1);
            cJSON_AddStringToObject(c, "node", nodes[j].host);
            cJSON_AddItemToArray(arr, c);
        }
    }
    cJSON_AddNumberToObject(o, "duration_s", s->duration_s);
    cJSON_AddNumberToObject(o, "measured_j", s->measured_j);
    cJSON_AddNumberToObject(o, "estimated_j", s->estimated_j);
    cJSON_AddNumberToObject(o, "net_measured_j", s->net_measured_j);
    cJSON_AddNumberToObject(o, "net_estimated_j", s->net_estimated_j);
    cJSON_AddBoolToObject(o, "partial", s->partial);
    cJSON_AddItemToObject(o, "sources", arr);
    return o;
}

static cJSON *total_json(cJSON *const *secs, int n, sums *s)
{
    cJSON *o = cJSON_CreateObject();

    s->power_known = true;
    for (int j = 0; j < n; j++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(secs[j], "total");
        double p = jnum(t, "avg_power_w");
        add_part(s, t);
        if (isfinite(p))
            s->avg_power_w += p;
        else
            s->power_known = false;
    }
    add_sums(o, s);
    /* the nodes' windows span the same barrier-to-barrier interval: their powers add */
    if (s->power_known)
        cJSON_AddNumberToObject(o, "avg_power_w", s->avg_power_w);
    else
        cJSON_AddNullToObject(o, "avg_power_w");
    return o;
}

static cJSON *phase_json(cJSON *const *secs, int n, const char *name, uint64_t tokens)
{
    cJSON *o = cJSON_CreateObject();
    sums s;

    memset(&s, 0, sizeof s);
    for (int j = 0; j < n; j++) {
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(secs[j], "phases"), name);
        if (!cJSON_IsObject(ph)) {
            cJSON_Delete(o);
            return NULL;
        }
        add_part(&s, ph);
        s.duration_s += nz(jnum(ph, "duration_s"));
    }
    add_sums(o, &s);
    cJSON_AddNumberToObject(o, "duration_s", s.duration_s);
    cJSON_AddNumberToObject(o, "tokens", (double)tokens);
    cJSON_AddItemToObject(o, "j_per_token", num_or_null(s.measured_j + s.estimated_j, (double)tokens));
    cJSON_AddItemToObject(o, "net_j_per_token", num_or_null(s.net_measured_j + s.net_estimated_j, (double)tokens));
    return o;
}

/* Phases only when each node ran one rank; otherwise the reason. */
static void add_phases(cJSON *root, cJSON *const *secs, const mpi_node_energy *nodes, int n, const lle_energy_work *wk)
{
    cJSON *pre = NULL, *dec = NULL, *ph;
    bool one_each = true;

    for (int j = 0; j < n; j++)
        one_each = one_each && nodes[j].n_ranks == 1;
    if (one_each) {
        pre = phase_json(secs, n, "prefill", wk->input_tokens);
        dec = phase_json(secs, n, "decode", wk->output_tokens);
    }
    if (pre != NULL && dec != NULL) {
        ph = cJSON_AddObjectToObject(root, "phases");
        cJSON_AddItemToObject(ph, "prefill", pre);
        cJSON_AddItemToObject(ph, "decode", dec);
        return;
    }
    cJSON_Delete(pre);
    cJSON_Delete(dec);
    cJSON_AddStringToObject(root, "phases_omitted",
                            one_each ? "a node's section has no phases"
                                     : "several ranks share a node: the measuring rank's prefill and decode "
                                       "windows also hold the other ranks' work, so no phase split is given");
}

/* Carbon summed over nodes; intensity, PUE and region kept when all agree. */
static cJSON *carbon_json(cJSON *const *secs, int n, const sums *s)
{
    cJSON *o = cJSON_CreateObject(), *c0 = cJSON_GetObjectItemCaseSensitive(secs[0], "carbon");
    double g = 0.0, gn = 0.0, kwh = 0.0;
    bool same = true;

    for (int j = 0; j < n; j++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(secs[j], "carbon");
        g += nz(jnum(c, "g_co2e"));
        gn += nz(jnum(c, "g_co2e_net"));
        kwh += nz(jnum(c, "kwh"));
        same = same && jnum(c, "intensity_g_per_kwh") == jnum(c0, "intensity_g_per_kwh") &&
               jnum(c, "pue") == jnum(c0, "pue") && strcmp(jstr(c, "region"), jstr(c0, "region")) == 0;
    }
    cJSON_AddNumberToObject(o, "g_co2e", g);
    cJSON_AddNumberToObject(o, "g_co2e_net", gn);
    cJSON_AddNumberToObject(o, "kwh", kwh);
    if (same) {
        cJSON_AddNumberToObject(o, "intensity_g_per_kwh", jnum(c0, "intensity_g_per_kwh"));
        cJSON_AddNumberToObject(o, "pue", jnum(c0, "pue"));
        cJSON_AddStringToObject(o, "region", jstr(c0, "region"));
        cJSON_AddStringToObject(o, "intensity_source", jstr(c0, "intensity_source"));
    } else {
        cJSON_AddNullToObject(o, "intensity_g_per_kwh");
        cJSON_AddNullToObject(o, "pue");
        cJSON_AddStringToObject(o, "region", "per node (see nodes[].energy.carbon)");
    }
    cJSON_AddStringToObject(o, "method", method_of(s));
    cJSON_AddStringToObject(o, "formula", "sum over nodes of kWh x intensity_g_per_kwh x pue");
    return o;
}

static cJSON *nodes_json(cJSON *const *secs, const mpi_node_energy *nodes, int n)
{
    cJSON *arr = cJSON_CreateArray();

    for (int j = 0; j < n; j++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "node", nodes[j].host);
        cJSON_AddItemToObject(o, "ranks", cJSON_CreateIntArray(nodes[j].ranks, nodes[j].n_ranks));
        cJSON_AddNumberToObject(o, "measured_by_rank", nodes[j].measured_by);
        cJSON_AddItemToObject(o, "energy", nodes[j].section != NULL ? cJSON_Duplicate(secs[j], 1) : cJSON_CreateNull());
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *attribution_json(const mpi_node_energy *nodes, int n)
{
    cJSON *o = cJSON_CreateObject();
    int ranks = 0;

    for (int j = 0; j < n; j++)
        ranks += nodes[j].n_ranks;
    cJSON_AddStringToObject(o, "scheme", "per node");
    cJSON_AddNumberToObject(o, "nodes", n);
    cJSON_AddNumberToObject(o, "ranks", ranks);
    cJSON_AddStringToObject(o, "rule",
                            "each node's sources are read once, by its lowest rank, over the window "
                            "all ranks share (barrier after warmup to barrier after the slowest rank); "
                            "the nodes' figures are summed");
    cJSON_AddStringToObject(o, "timeseries", "the results database holds the time series of rank 0's node only");
    return o;
}

char *mpi_energy_merge(const mpi_node_energy *nodes, int n_nodes, const lle_energy_work *work)
{
    cJSON **secs = calloc((size_t)(n_nodes > 0 ? n_nodes : 1), sizeof(cJSON *)), *root = NULL;
    char *out = NULL;
    int missing = 0;
    sums s;

    memset(&s, 0, sizeof s);
    for (int j = 0; secs != NULL && j < n_nodes; j++) {
        secs[j] = nodes[j].section != NULL ? cJSON_Parse(nodes[j].section) : NULL;
        if (secs[j] == NULL) { /* no section from this node: its energy is not in the totals */
            secs[j] = cJSON_CreateObject();
            missing++;
        }
    }
    s.partial = missing > 0;
    if (secs != NULL && missing < n_nodes && (root = cJSON_CreateObject()) != NULL) {
        cJSON_AddItemToObject(root, "attribution", attribution_json(nodes, n_nodes));
        if (missing > 0)
            cJSON_AddNumberToObject(root, "nodes_without_energy", missing);
        cJSON_AddItemToObject(root, "total", total_json(secs, n_nodes, &s));
        cJSON_AddItemToObject(root, "window", window_json(secs, nodes, n_nodes, &s));
        add_phases(root, secs, nodes, n_nodes, work);
        cJSON_AddItemToObject(root, "derived", derived_json(&s, work));
        cJSON_AddItemToObject(root, "carbon", carbon_json(secs, n_nodes, &s));
        cJSON_AddItemToObject(root, "nodes", nodes_json(secs, nodes, n_nodes));
        out = cJSON_Print(root);
    }
    for (int j = 0; secs != NULL && j < n_nodes; j++)
        cJSON_Delete(secs[j]);
    free(secs);
    cJSON_Delete(root);
    return out;
}
