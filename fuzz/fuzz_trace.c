/* Fuzz harness: the trace file of the remote load generator
 * (src/remote/workload.c, lle_trace_load: JSON Lines of t_s / input_tokens /
 * output_tokens / prompt). */
#include "fuzz_util.h"

#include "remote/remote_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    lle_trace_entry *tr = NULL;
    int n = 0;
    lle_error err = {0};

    if (fz_dir() == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/trace.jsonl", fz_dir());
    if (fz_write(path, data, size) != 0)
        return 0;
    if (lle_trace_load(path, &tr, &n, &err) == LLE_OK)
        lle_trace_free(tr, n);
    return 0;
}
