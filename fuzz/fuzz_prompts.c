/* Fuzz harness: prompt files (src/run/prompt_source.c): JSON Lines and
 * ShareGPT JSON, format picked by the first input byte (auto, jsonl, sharegpt),
 * then ordering and cycling of the loaded set. */
#include "fuzz_util.h"

#include "run/prompt_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *formats[] = {"auto", "jsonl", "sharegpt"};
    char path[128];
    lle_prompt_set set = {0};
    lle_error err = {0};
    const char *fmt = formats[size > 0 ? data[0] % 3 : 0];

    if (fz_dir() == NULL || size == 0)
        return 0;
    snprintf(path, sizeof path, "%s/prompts.txt", fz_dir());
    if (fz_write(path, data + 1, size - 1) != 0)
        return 0;
    if (lle_prompts_load(path, fmt, &set, &err) == LLE_OK && set.n > 0) {
        (void)lle_prompts_order(&set, (data[0] & 4) ? "length" : "random", 1, &err);
        (void)lle_prompts_take(&set, set.n + 3, &err);
    }
    lle_prompt_set_free(&set);
    return 0;
}
