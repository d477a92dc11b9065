/* Fuzz harness: YAML/JSON experiment configs through lle_config_load_string
 * (libyaml parse, schema validation, campaign/template expansion). Any input
 * must give LLE_OK or a diagnosed error, never a crash or leak. */
#include "fuzz_util.h"

#include <lle/config.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lle_config *cfg = NULL;
    lle_error err = {0};

    if (lle_config_load_string((const char *)data, size, "fuzz.yaml", "/nonexistent-fuzz-base", &cfg, &err) == LLE_OK) {
        for (size_t i = 0; i < lle_config_diag_count(cfg); i++)
            (void)lle_config_diag_at(cfg, i);
    }
    lle_config_free(cfg);
    return 0;
}
