/* environment.h — the "environment" record of a result document: which build
 * of the tool and of llama.cpp ran, on which CPU, memory, OS and host. Read
 * from /proc (cpuinfo, meminfo), /etc/os-release and uname(); GPU detection
 * comes later with the energy readers (gpus is an empty array for now).
 * Internal to liblle; not installed.
 *
 * For tests, the roots are overridable: $LLE_PROC_ROOT (default "/proc") and
 * $LLE_ETC_ROOT (default "/etc"; when it is set, /usr/lib/os-release is not
 * consulted). A file that is missing or unreadable gives a JSON null for its
 * fields; it is never a failure.
 *
 * Ownership: the caller owns the returned object and frees it with
 * cJSON_Delete() (or hands it to a parent with cJSON_AddItemToObject()). */
#ifndef LLE_ENVIRONMENT_H
#define LLE_ENVIRONMENT_H

#include <cjson/cJSON.h>

#include "lle/error.h"

/* Fields (docs/results-schema.md): tool_version, git_commit, llama_cpp_release,
 * llama_cpp_origin, cpu_model, cpu_cores (online), cpu_flags (the SIMD/matrix
 * flags relevant to llama.cpp that the CPU has, in a fixed order), memory_total_bytes,
 * os (PRETTY_NAME), kernel, machine, hostname, gpus ([]).
 * Returns NULL when out of memory (a field whose allocation fails is left out). */
cJSON *lle_environment_json(void);

#endif
