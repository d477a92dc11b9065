/* carbon.c — grid carbon intensity and emissions: gCO2e = kWh x intensity x
 * PUE. The intensity is the world average (475 g/kWh, IEA 2019 as CodeCarbon
 * lists it), a number the user gives, a country's from CodeCarbon's
 * global_energy_mix.json (ISO 3166 alpha-3) or a cloud region's from its
 * cloud/impact.csv. Also where that reference data lives (lle_energy_data_dir):
 * $LLE_DATA_DIR, the build or install directory compiled in, else next to the
 * library (<libdir>/../data in a build tree, <libdir>/../share/llm-efficiency/
 * data when installed). Data attribution: data/README.md. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/util.h"
#include "energy/energy_internal.h"

#define WORLD_AVERAGE_G_PER_KWH 475.0
#define WORLD_AVERAGE_SOURCE    "world average 475 g/kWh (IEA 2019, CodeCarbon carbon_intensity_per_source.json)"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_data_dir[4096];

static bool has_data(const char *dir)
{
    char path[4200];
    struct stat sb;

    if ((size_t)snprintf(path, sizeof path, "%s/codecarbon/cpu_power.csv", dir) >= sizeof path)
        return false;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void try_dir(const char *dir)
{
    if (g_data_dir[0] == '\0' && dir != NULL && dir[0] != '\0' && has_data(dir))
        lle_strlcpy(g_data_dir, dir, sizeof g_data_dir);
}

static void find_data_dir(void)
{
    Dl_info info;
    char lib[4096], dir[4200];

#ifdef LLE_BUILD_DATA_DIR
    try_dir(LLE_BUILD_DATA_DIR);
#endif
#ifdef LLE_INSTALL_DATA_DIR
    try_dir(LLE_INSTALL_DATA_DIR);
#endif
    if (g_data_dir[0] == '\0' && lle_share_dir("data", dir, sizeof dir))
        try_dir(dir);
    /* g_data_dir lives in liblle: dladdr on it names the loaded library */
    if (g_data_dir[0] == '\0' && dladdr(g_data_dir, &info) != 0 && info.dli_fname != NULL) {
        lle_strlcpy(lib, info.dli_fname, sizeof lib);
        lle_energy_fmt(dir, sizeof dir, "%s/../data", dirname(lib));
        try_dir(dir);
    }
}

const char *lle_energy_data_dir(void)
{
    const char *env = getenv("LLE_DATA_DIR");

    if (env != NULL && env[0] != '\0')
        return env;
    pthread_once(&g_once, find_data_dir);
    return g_data_dir[0] != '\0' ? g_data_dir : NULL;
}

double lle_carbon_grams(double energy_j, const lle_carbon *c)
{
    return energy_j / 3.6e6 * c->intensity_g_per_kwh * c->pue;
}

static lle_status data_path(const char *file, char *out, size_t size, lle_error *err)
{
    const char *dir = lle_energy_data_dir();

    if (dir == NULL)
        return lle_fail(err, LLE_ERR_NOT_FOUND,
                        "CodeCarbon data not found (%s): set LLE_DATA_DIR to the "
                        "directory holding codecarbon/",
                        file);
    lle_energy_fmt(out, size, "%s/codecarbon/%s", dir, file);
    return LLE_OK;
}

static lle_status read_whole(const char *path, char **out, lle_error *err)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return lle_fail(err, errno == ENOENT ? LLE_ERR_NOT_FOUND : LLE_ERR_IO, "%s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = '\0';
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *out = buf;
    return buf != NULL ? LLE_OK : lle_fail(err, LLE_ERR_IO, "%s: cannot be read", path);
}

/* Country by ISO 3166 alpha-3 code in global_energy_mix.json. */
static lle_status country(const char *code, lle_carbon *c, bool *found, lle_error *err)
{
    char path[4200], key[4];
    char *text = NULL;
    cJSON *root = NULL;
    const cJSON *e, *ci, *name, *year;
    lle_status st = data_path("global_energy_mix.json", path, sizeof path, err);

    for (int i = 0; i < 3; i++)
        key[i] = (char)toupper((unsigned char)code[i]);
    key[3] = '\0';
    if (st == LLE_OK)
        st = read_whole(path, &text, err);
    if (st == LLE_OK && (root = cJSON_Parse(text)) == NULL)
        st = lle_fail(err, LLE_ERR_FORMAT, "%s: not valid JSON", path);
    e = cJSON_GetObjectItemCaseSensitive(root, key);
    ci = cJSON_GetObjectItemCaseSensitive(e, "carbon_intensity");
    if (st == LLE_OK && cJSON_IsNumber(ci)) {
        name = cJSON_GetObjectItemCaseSensitive(e, "country_name");
        year = cJSON_GetObjectItemCaseSensitive(e, "year");
        c->intensity_g_per_kwh = ci->valuedouble;
        lle_strlcpy(c->region, key, sizeof c->region);
        lle_energy_fmt(c->source, sizeof c->source, "%s %d grid mix (CodeCarbon global_energy_mix.json)",
                       cJSON_IsString(name) ? name->valuestring : key,
                       cJSON_IsNumber(year) ? (int)year->valuedouble : 0);
        *found = true;
    }
    cJSON_Delete(root);
    free(text);
    return st;
}

/* Cloud region in impact.csv (columns provider,...,region,...,impact at 0-based 3 and 9). */
static lle_status cloud_region(const char *region, lle_carbon *c, bool *found, lle_error *err)
{
    char path[4200], line[1024];
    lle_status st = data_path("impact.csv", path, sizeof path, err);
    FILE *f = st == LLE_OK ? fopen(path, "re") : NULL;

    if (st == LLE_OK && f == NULL)
        st = lle_fail(err, LLE_ERR_NOT_FOUND, "%s: %s", path, strerror(errno));
    while (f != NULL && !*found && fgets(line, sizeof line, f) != NULL) {
        char *field[12] = {NULL}, *p = line;
        int n = 0;
        line[strcspn(line, "\r\n")] = '\0';
        for (char *tok = strsep(&p, ","); tok != NULL && n < 12; tok = strsep(&p, ","))
            field[n++] = tok;
        if (n >= 10 && strcmp(field[3], region) == 0) {
            c->intensity_g_per_kwh = strtod(field[9], NULL);
            lle_strlcpy(c->region, region, sizeof c->region);
            lle_energy_fmt(c->source, sizeof c->source, "%s region %s (%s, %s) (CodeCarbon cloud/impact.csv)", field[0],
                           region, field[8], field[5]);
            *found = true;
        }
    }
    if (f != NULL)
        fclose(f);
    return st;
}

static bool is_alpha3(const char *s)
{
    return strlen(s) == 3 && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
           isalpha((unsigned char)s[2]);
}

lle_status lle_carbon_resolve(const char *spec, double pue, lle_carbon *out, lle_error *err)
{
    char *end = NULL;
    double v;
    bool found = false;
    lle_status st = LLE_OK;

    memset(out, 0, sizeof *out);
    out->pue = pue == 0.0 ? 1.0 : pue;
    if (!(out->pue >= 1.0 && out->pue <= 10.0))
        return lle_fail(err, LLE_ERR_INVALID, "PUE %g: must be between 1 and 10", pue);
    if (spec == NULL || spec[0] == '\0' || strcasecmp(spec, "world") == 0) {
        out->intensity_g_per_kwh = WORLD_AVERAGE_G_PER_KWH;
        lle_strlcpy(out->region, "world", sizeof out->region);
        lle_strlcpy(out->source, WORLD_AVERAGE_SOURCE, sizeof out->source);
        return LLE_OK;
    }
    v = strtod(spec, &end);
    if (end != spec && *end == '\0') {
        if (!(v >= 0.0 && v <= 5000.0))
            return lle_fail(err, LLE_ERR_INVALID, "carbon intensity %s g/kWh: must be between 0 and 5000", spec);
        out->intensity_g_per_kwh = v;
        lle_strlcpy(out->region, "custom", sizeof out->region);
        lle_strlcpy(out->source, "given by the user (g CO2e per kWh)", sizeof out->source);
        return LLE_OK;
    }
    if (is_alpha3(spec))
        st = country(spec, out, &found, err);
    if (st == LLE_OK && !found)
        st = cloud_region(spec, out, &found, err);
    if (st == LLE_OK && !found)
        st = lle_fail(err, LLE_ERR_INVALID,
                      "carbon intensity '%s': not a number (g/kWh), a country code "
                      "(ISO 3166 alpha-3, e.g. FRA) or a cloud region (e.g. europe-west1)",
                      spec);
    return st;
}
