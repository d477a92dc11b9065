/* report.c — `results report`: one self-contained HTML page, viewable
 * offline. It inlines the pinned uPlot chart library (its minified script and
 * style sheet, read from $LLE_UPLOT_DIR, the build tree's third_party/uplot/
 * that scripts/deps.sh fills, or the install data dir), the page's own style
 * and script (report_js.c) and the data (report_data.c) as JSON islands: the
 * page draws the summary table a page at a time and the power charts six at
 * a time, so it opens at once with 10,000 experiments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "lle/version.h"
#include "results/report.h"

#ifndef LLE_BUILD_DATA_DIR
#define LLE_BUILD_DATA_DIR "data"
#endif
#ifndef LLE_INSTALL_DATA_DIR
#define LLE_INSTALL_DATA_DIR "/usr/local/share/llm-efficiency/data"
#endif

#define UPLOT_JS  "uPlot.iife.min.js"
#define UPLOT_CSS "uPlot.min.css"

static lle_status read_all(const char *path, rbuf *b, lle_error *err)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    lle_status ret = LLE_OK;

    if (f == NULL)
        return lle_fail(err, LLE_ERR_NOT_FOUND, "%s: cannot open", path);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rbuf_put(b, chunk, n);
    if (ferror(f))
        ret = lle_fail(err, LLE_ERR_IO, "%s: read error", path);
    fclose(f);
    return ret;
}

/* The first directory holding both uPlot files. */
static lle_status find_uplot(char *dir, size_t size, lle_error *err)
{
    const char *env = getenv("LLE_UPLOT_DIR");
    char rel[4096];
    const char *cands[4] = {env, lle_share_dir("data/uplot", rel, sizeof rel) ? rel : NULL,
                            LLE_BUILD_DATA_DIR "/../third_party/uplot/dist", LLE_INSTALL_DATA_DIR "/uplot"};
    char js[4300], css[4300];

    for (size_t i = 0; i < 4; i++) {
        FILE *a, *b;
        if (cands[i] == NULL || cands[i][0] == '\0' || (i > 0 && env != NULL && env[0] != '\0'))
            continue; /* $LLE_UPLOT_DIR, when set, is the only place looked at */
        snprintf(js, sizeof js, "%s/%s", cands[i], UPLOT_JS);
        snprintf(css, sizeof css, "%s/%s", cands[i], UPLOT_CSS);
        a = fopen(js, "rb");
        b = fopen(css, "rb");
        if (a != NULL)
            fclose(a);
        if (b != NULL)
            fclose(b);
        if (a != NULL && b != NULL) {
            lle_strlcpy(dir, cands[i], size);
            return LLE_OK;
        }
    }
    return lle_fail(err, LLE_ERR_NOT_FOUND,
                    "the chart library uPlot is not installed (looked in $LLE_UPLOT_DIR, "
                    "%s/../third_party/uplot/dist and %s/uplot): run scripts/deps.sh, or set LLE_UPLOT_DIR to a "
                    "folder with %s and %s",
                    LLE_BUILD_DATA_DIR, LLE_INSTALL_DATA_DIR, UPLOT_JS, UPLOT_CSS);
}

static void html_text(rbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '<')
            rbuf_puts(b, "&lt;");
        else if (*s == '>')
            rbuf_puts(b, "&gt;");
        else if (*s == '&')
            rbuf_puts(b, "&amp;");
        else if (*s == '"')
            rbuf_puts(b, "&quot;");
        else
            rbuf_putc(b, *s);
    }
}

static void head(rbuf *b, const rbuf *css, lle_results *r, const lle_results_filter *f, long long n,
                 const char *methods)
{
    char when[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    rbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>llm-efficiency report</title>\n<style>\n");
    rbuf_put(b, css->data, css->len);
    rbuf_printf(b, "\n%s</style></head>\n<body>\n<header><h1>llm-efficiency report</h1>\n<p>", RES_REPORT_CSS);
    rbuf_printf(b, "%lld experiment%s from ", n, n == 1 ? "" : "s");
    html_text(b, r->path);
    if (f != NULL && f->campaign != NULL) {
        rbuf_puts(b, ", campaign ");
        html_text(b, f->campaign);
    }
    for (size_t i = 0; f != NULL && i < f->n_where; i++) {
        rbuf_puts(b, i ? ", " : ", where ");
        html_text(b, f->where[i]);
    }
    rbuf_printf(b, "; generated %s by llm-efficiency %s</p>\n<p>", when, lle_version());
    html_text(b, methods);
    rbuf_puts(b, ". Measured figures come from counters and sensors; estimated ones from models "
                 "(CPU TDP x utilisation, 3 W per 8 GB RAM): see each experiment's energy method.</p></header>\n"
                 "<nav><a href=\"#summary\">summary</a><a href=\"#factors\">factors</a><a href=\"#latency\">latency</a>"
                 "<a href=\"#power\">power</a><a href=\"#pareto\">Pareto front</a><a href=\"#environment\">environment"
                 "</a></nav>\n");
}

static const char BODY[] =
    "<section id=\"summary\"><h2>Summary</h2><div id=\"summary-body\"></div></section>\n"
    "<section id=\"factors\"><h2>Energy per token and throughput by factor</h2>\n"
    "<p class=\"note\">Each varied factor alone: the mean over every completed run with that value (other factors "
    "pooled), with its 95% confidence interval (Student t).</p><div id=\"factors-body\"></div></section>\n"
    "<section id=\"latency\"><h2>Latency percentiles</h2><p class=\"note\">Per configuration (groups of "
    "<code>results analyze</code>, best J/token first): the mean over its runs of each run's percentile.</p>"
    "<div id=\"latency-body\"></div></section>\n"
    "<section id=\"power\"><h2>Power over time</h2><p class=\"note\">Power of every energy source per experiment; "
    "prefill phases shaded orange, decode phases blue (batch windows; time from the start of the measured "
    "window).</p><div id=\"power-body\"></div></section>\n"
    "<section id=\"pareto\"><h2>Pareto front</h2><div id=\"pareto-body\"></div></section>\n"
    "<section id=\"environment\"><h2>Environment</h2><div id=\"environment-body\"></div></section>\n";

static lle_status assemble(lle_results *r, const lle_results_filter *f, const char *dir, rbuf *out, lle_error *err)
{
    rbuf js = {0}, css = {0}, data = {0}, islands = {0};
    char path[4400], methods[256] = "";
    long long n = 0;
    lle_status ret;

    snprintf(path, sizeof path, "%s/%s", dir, UPLOT_JS);
    ret = read_all(path, &js, err);
    snprintf(path, sizeof path, "%s/%s", dir, UPLOT_CSS);
    if (ret == LLE_OK)
        ret = read_all(path, &css, err);
    if (ret == LLE_OK)
        ret = res_report_data(r, f, &data, &islands, &n, methods, sizeof methods, err);
    if (ret == LLE_OK && (js.data == NULL || css.data == NULL || strstr(js.data, "</script") != NULL))
        ret = lle_fail(err, LLE_ERR_FORMAT, "%s: the uPlot files are empty or not the pinned build", dir);
    if (ret == LLE_OK) {
        head(out, &css, r, f, n, methods);
        rbuf_puts(out, BODY);
        rbuf_puts(out, "<script type=\"application/json\" id=\"lle-data\">");
        res_put_script_json(out, data.data, data.len);
        rbuf_puts(out, "</script>\n");
        rbuf_put(out, islands.data != NULL ? islands.data : "", islands.len);
        rbuf_puts(out, "<script>\n");
        rbuf_put(out, js.data, js.len);
        rbuf_printf(out, "\n</script>\n<script>\n%s</script>\n</body></html>\n", RES_REPORT_JS);
        out->oom = out->oom || data.oom || islands.oom || js.oom || css.oom;
    }
    rbuf_free(&js);
    rbuf_free(&css);
    rbuf_free(&data);
    rbuf_free(&islands);
    return ret;
}

lle_status lle_results_report(lle_results *r, const lle_results_filter *f, char **out, size_t *out_len, lle_error *err)
{
    char dir[4200];
    rbuf b = {0};
    lle_status ret;

    if (r == NULL || out == NULL)
        return lle_fail(err, LLE_ERR_INVALID, "lle_results_report: handle and out are required");
    *out = NULL;
    ret = find_uplot(dir, sizeof dir, err);
    if (ret == LLE_OK)
        ret = assemble(r, f, dir, &b, err);
    if (ret == LLE_OK)
        return rbuf_take(&b, out, out_len, err);
    rbuf_free(&b);
    return ret;
}
