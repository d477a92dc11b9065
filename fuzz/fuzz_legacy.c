/* Fuzz harness: the legacy-results importer (src/legacy/): a thesis
 * "combined" results JSON file read run by run, each run converted to our
 * result document (legacy_combined_read + legacy_document). */
#include "fuzz_util.h"

#include "legacy/legacy_internal.h"

static lle_status each_run(void *user, legacy_run *run, lle_error *err)
{
    char *doc = legacy_document(run, err);
    (void)user;
    free(doc);
    return LLE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    lle_error err = {0};

    if (fz_dir() == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/combined.json", fz_dir());
    if (fz_write(path, data, size) != 0)
        return 0;
    (void)legacy_combined_read(path, each_run, NULL, &err);
    return 0;
}
