/* Fuzz harness: GGUF inspection (lle_model_inspect through ggml's gguf.h) on
 * the input written to a temporary .gguf file; the seeds are small valid GGUF
 * files so mutations exercise the header, key/value and tensor-info parsing. */
#include "fuzz_util.h"

#include <lle/model.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    lle_model_info info;
    lle_error err = {0};
    char *json = NULL;

    if (fz_dir() == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/model.gguf", fz_dir());
    if (fz_write(path, data, size) != 0)
        return 0;
    memset(&info, 0, sizeof info);
    if (lle_model_inspect(path, &info, &err) == LLE_OK)
        json = lle_model_info_to_json(&info);
    free(json);
    return 0;
}
