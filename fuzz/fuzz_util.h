/* Helpers shared by the fuzz harnesses (fuzz/fuzz_*.c): a per-process scratch
 * directory for parsers that read files, writing the fuzz input there, and
 * splitting one input into several fields. Each harness defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang,
 * -fsanitize=fuzzer, `make fuzz`) or with fuzz/replay_main.c (any compiler) to
 * replay the committed corpus in ctest.
 * Ownership: fz_dir() returns a static buffer (the directory is removed at exit); fz_part() returns a malloc'd
 * NUL-terminated copy the caller frees. */
#ifndef LLE_FUZZ_UTIL_H
#define LLE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir_path[64];

static inline int fz_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path); /* best effort: a leftover only wastes /tmp space */
    return 0;
}

static inline void fz_cleanup(void)
{
    if (fz_dir_path[0] != '\0')
        nftw(fz_dir_path, fz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* The scratch directory of this process (created on first use, removed at
 * exit; kept between inputs so the per-input cost stays low). NULL if it
 * cannot be made. */
static inline const char *fz_dir(void)
{
    if (fz_dir_path[0] == '\0') {
        snprintf(fz_dir_path, sizeof fz_dir_path, "/tmp/lle-fuzz-XXXXXX");
        if (mkdtemp(fz_dir_path) == NULL) {
            fz_dir_path[0] = '\0';
            return NULL;
        }
        atexit(fz_cleanup);
    }
    return fz_dir_path;
}

/* Write `size` bytes to `path`; 0 on success. */
static inline int fz_write(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    int rc = -1;
    if (fp == NULL)
        return -1;
    if (size == 0 || fwrite(data, 1, size, fp) == size)
        rc = 0;
    if (fclose(fp) != 0)
        rc = -1;
    return rc;
}

/* The idx-th field of the input split on the separator byte 0x1e ("record
 * separator"); an empty string when there are fewer fields. Caller frees. */
static inline char *fz_part(const uint8_t *data, size_t size, int idx)
{
    size_t start = 0, i;
    int field = 0;
    char *out;
    for (i = 0; i <= size; i++) {
        if (i == size || data[i] == 0x1e) {
            if (field == idx)
                break;
            field++;
            start = i + 1;
        }
    }
    if (field != idx || start > size)
        start = i = size;
    out = malloc(i - start + 1);
    if (out != NULL) {
        memcpy(out, data + start, i - start);
        out[i - start] = '\0';
    }
    return out;
}

#endif
