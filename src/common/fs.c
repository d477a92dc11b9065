/* fs.c — filesystem helpers: atomic whole-file writes (temp + fsync + rename),
 * mkdir -p, directory listing that matches only the file-name part against a
 * pattern (never the caller's directory text, unlike glob(3)), bounded string
 * copy, clocks and core counts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

size_t lle_strlcpy(char *dst, const char *src, size_t dst_size)
{
    size_t n = strlen(src);

    if (dst_size > 0) {
        size_t c = n < dst_size - 1 ? n : dst_size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

double lle_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int lle_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : (int)n;
}

static lle_status write_all(int fd, const char *data, size_t len, const char *path, lle_error *err)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return lle_fail(err, LLE_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        }
        data += w;
        len -= (size_t)w;
    }
    return LLE_OK;
}

lle_status lle_write_file_atomic(const char *path, const void *data, size_t len, lle_error *err)
{
    char tmp[4200];
    lle_status st = LLE_OK;
    int fd = -1;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return lle_fail(err, LLE_ERR_INVALID, "%s: path too long", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = lle_fail(err, LLE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        goto cleanup;
    }
    st = write_all(fd, data, len, path, err);
    if (st != LLE_OK)
        goto cleanup;
    if (fsync(fd) != 0) {
        st = lle_fail(err, LLE_ERR_IO, "%s: fsync failed: %s", path, strerror(errno));
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = lle_fail(err, LLE_ERR_IO, "%s: close failed: %s", path, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        st = lle_fail(err, LLE_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
cleanup:
    if (fd >= 0)
        close(fd);
    if (st != LLE_OK)
        unlink(tmp);
    return st;
}

lle_status lle_mkdir_p(const char *path, lle_error *err)
{
    char buf[4096];
    size_t n = lle_strlcpy(buf, path, sizeof buf);
    lle_status st = LLE_OK;

    if (n == 0 || n >= sizeof buf)
        return lle_fail(err, LLE_ERR_INVALID, "bad directory path '%s'", path);
    for (char *p = buf + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            st = lle_fail(err, LLE_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
            break;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    if (st == LLE_OK) {
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = lle_fail(err, LLE_ERR_IO, "%s: not a directory", path);
    }
    return st;
}

void lle_names_free(char **names)
{
    if (names == NULL)
        return;
    for (char **p = names; *p != NULL; p++)
        free(*p);
    free(names);
}

static bool name_matches(const char *name, const char *prefix, const char *pattern)
{
    size_t n = strlen(prefix);

    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strncmp(name, prefix, n) != 0)
        return false;
    return fnmatch(pattern, name + n, n == 0 ? FNM_PERIOD : 0) == 0;
}

/* Append a copy of `name` to the NULL-terminated *v (n entries, room for *cap). */
static bool push_name(char ***v, size_t *n, size_t *cap, const char *name)
{
    char *copy = strdup(name);

    if (copy == NULL)
        return false;
    if (*n + 2 > *cap) {
        size_t ncap = *cap * 2;
        char **nv = realloc(*v, ncap * sizeof *nv);
        if (nv == NULL) {
            free(copy);
            return false;
        }
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = copy;
    (*v)[*n] = NULL;
    return true;
}

/* Byte order of the names (strcmp), the same in every locale, unlike alphasort. */
static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

lle_status lle_dir_list(const char *dir, const char *prefix, const char *pattern, char ***names, size_t *count,
                        lle_error *err)
{
    size_t n = 0, cap = 8;
    char **v = calloc(cap, sizeof *v);
    struct dirent **list = NULL;
    int n_list = -1;
    lle_status st = LLE_OK;

    *names = NULL;
    if (v == NULL) {
        st = lle_fail(err, LLE_ERR_NOMEM, "%s: out of memory listing the directory", dir);
        goto cleanup;
    }
    n_list = scandir(dir, &list, NULL, cmp_dirent);
    if (n_list < 0) {
        st = lle_fail(err, errno == ENOENT || errno == ENOTDIR ? LLE_ERR_NOT_FOUND : LLE_ERR_IO,
                      "%s: cannot list directory: %s", dir, strerror(errno));
        goto cleanup;
    }
    for (int i = 0; i < n_list && st == LLE_OK; i++)
        if (name_matches(list[i]->d_name, prefix, pattern) && !push_name(&v, &n, &cap, list[i]->d_name))
            st = lle_fail(err, LLE_ERR_NOMEM, "%s: out of memory listing the directory", dir);
cleanup:
    for (int i = 0; i < n_list; i++)
        free(list[i]);
    free(list);
    if (st != LLE_OK) {
        lle_names_free(v);
        v = NULL;
        n = 0;
    }
    *names = v;
    if (count != NULL)
        *count = n;
    return st;
}

void lle_remove_temp_files(const char *dir, const char *name)
{
    char prefix[300], path[4400], **names = NULL;

    if ((size_t)snprintf(prefix, sizeof prefix, "%s.tmp.", name) < sizeof prefix &&
        lle_dir_list(dir, prefix, "*", &names, NULL, NULL) == LLE_OK)
        for (size_t i = 0; names[i] != NULL; i++)
            if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) < sizeof path)
                unlink(path);
    lle_names_free(names);
}
