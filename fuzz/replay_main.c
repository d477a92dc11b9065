/* Corpus replay driver: runs every file named on the command line (a directory
 * means every regular file inside it) through a harness's
 * LLVMFuzzerTestOneInput, so ctest exercises the committed fuzz corpora (and
 * the regression inputs of crashes found by fuzzing) without libFuzzer, with any
 * compiler, and under the sanitizer build. Exits 0 when every input ran, 1 when
 * one could not be read, 2 when no input was found. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;
    int rc = 1;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
        goto cleanup;
    buf = malloc((size_t)len + 1);
    if (buf == NULL || fread(buf, 1, (size_t)len, fp) != (size_t)len)
        goto cleanup;
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    rc = 0;
cleanup:
    if (rc != 0)
        fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    if (fp != NULL)
        fclose(fp);
    return rc;
}

static int run_dir(const char *dir, int *count)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort), rc = 0;
    char path[4096];
    struct stat sb;

    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        if (list[i]->d_name[0] != '.' && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            rc |= run_file(path);
            (*count)++;
        }
        free(list[i]);
    }
    free(list);
    return n < 0 ? 1 : rc;
}

int main(int argc, char **argv)
{
    int rc = 0, count = 0;
    struct stat sb;

    for (int i = 1; i < argc; i++) {
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            rc |= run_dir(argv[i], &count);
        else {
            rc |= run_file(argv[i]);
            count++;
        }
    }
    printf("replay: %d input(s)\n", count);
    return rc != 0 ? 1 : count == 0 ? 2 : 0;
}
