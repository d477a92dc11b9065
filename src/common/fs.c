/* fs.c — filesystem helpers: atomic whole-file writes (temp + fsync + rename),
 * mkdir -p, bounded string copy, clocks and core counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
