/* Fuzz harness: the legacy (thesis-tool) JSON config migrator
 * (src/config/migrate*.c) through lle_config_migrate on the input written to a
 * temporary file, then the report rendering. */
#include "fuzz_util.h"

#include <lle/config.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    char *yaml = NULL, *text = NULL;
    lle_migrate_report *rep = NULL;
    lle_migrate_opts opts = {.preset = "tinyllama-1.1b"};
    lle_error err = {0};

    if (fz_dir() == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/legacy.json", fz_dir());
    if (fz_write(path, data, size) != 0)
        return 0;
    (void)lle_config_migrate(path, size > 0 && (data[0] & 1) ? &opts : NULL, &yaml, &rep, &err);
    if (rep != NULL)
        text = lle_migrate_report_text(rep, path);
    free(text);
    free(yaml);
    lle_migrate_report_free(rep);
    return 0;
}
