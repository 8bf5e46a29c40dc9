/* see core/io.h */
#define LTS_MODULE "core"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "err.h"
#include "mem.h"

lts_status lts_io__file_size(const char *path, uint64_t *out)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return lts_err__set(LTS_E_IO, LTS_MODULE, errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "%s: not a regular file", path);
    *out = (uint64_t)st.st_size;
    return LTS_OK;
}

lts_status lts_io__read_file(lts_buf *out, const char *path, size_t max)
{
    lts_status rc = LTS_OK;
    int fd = -1;
    struct stat st;
    size_t lim = max ? max : (out->max ? out->max : LTS_BUF_DEFAULT_MAX);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    LTS_ENSURE(!S_ISDIR(st.st_mode), LTS_E_INPUT, "%s: is a folder, not a file", path);
    LTS_ENSURE(S_ISREG(st.st_mode) || st.st_size == 0, LTS_E_INPUT, "%s: not a regular file", path);
    LTS_ENSURE((uint64_t)st.st_size <= lim, LTS_E_INPUT,
               "%s: file too large (%lld bytes, limit %zu)", path, (long long)st.st_size, lim);
    /* sized from fstat and read straight into the buffer (no block copy); past that size
     * (a file that grows while read) through a small block, still capped at `lim` */
    LTS_TRY(lts_buf_reserve(out, (size_t)st.st_size));
    for (;;) {
        uint8_t tmp[4096];
        size_t room = out->cap - out->n;
        ssize_t r = room ? read(fd, out->p + out->n, room) : read(fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
        if (r == 0)
            break;
        LTS_ENSURE(out->n + (size_t)r <= lim, LTS_E_INPUT, "%s: file too large", path);
        if (room)
            out->n += (size_t)r;
        else
            LTS_TRY(lts_buf_append(out, tmp, (size_t)r));
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

lts_status lts_io__pread_full(int fd, void *p, size_t n, uint64_t off, const char *what)
{
    uint8_t *d = p;
    while (n > 0) {
        ssize_t r = pread(fd, d, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return lts_err__set(LTS_E_IO, LTS_MODULE, errno, "%s: %s", what, strerror(errno));
        if (r == 0)
            return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "%s: unexpected end of file", what);
        d += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return LTS_OK;
}

static void afile_free(lts_afile *af)
{
    lts_free(af->tmp);
    lts_free(af->path);
    af->tmp = af->path = NULL;
    af->fd = -1;
}

lts_status lts_io__afile_open(lts_afile *af, const char *path, int private_mode)
{
    lts_status rc = LTS_OK;
    size_t n = strlen(path);
    af->fd = -1;
    af->tmp = af->path = NULL;
    LTS_ENSURE(n > 0, LTS_E_INPUT, "empty output path");
    LTS_ALLOC(af->path = lts_strdup(path));
    LTS_ALLOC(af->tmp = lts_malloc(n + 16));
    {
        /* ".NAME.XXXXXX" in the same folder, so rename() stays on one file system */
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
        snprintf(af->tmp, n + 16, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    }
    af->fd = mkostemp(af->tmp, O_CLOEXEC);
    if (af->fd < 0)
        LTS_FAIL(LTS_E_IO, "%s: cannot create output file: %s", path, strerror(errno));
    if (!private_mode) {
        mode_t um = umask(0);
        umask(um);
        (void)fchmod(af->fd, 0666 & ~um);
    }
out:
    if (rc != LTS_OK)
        afile_free(af);
    return rc;
}

lts_status lts_io__afile_write(lts_afile *af, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n > 0) {
        ssize_t w = write(af->fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return lts_err__set(LTS_E_IO, LTS_MODULE, errno, "%s: write failed: %s", af->path,
                                strerror(errno));
        s += w;
        n -= (size_t)w;
    }
    return LTS_OK;
}

static void fsync_dir_of(const char *path)
{
    char *copy = lts_strdup(path);
    if (copy == NULL)
        return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    lts_free(copy);
}

lts_status lts_io__afile_commit(lts_afile *af)
{
    lts_status rc = LTS_OK;
    if (fsync(af->fd) != 0)
        LTS_FAIL(LTS_E_IO, "%s: fsync failed: %s", af->path, strerror(errno));
    if (close(af->fd) != 0) {
        af->fd = -1;
        LTS_FAIL(LTS_E_IO, "%s: close failed: %s", af->path, strerror(errno));
    }
    af->fd = -1;
    if (rename(af->tmp, af->path) != 0)
        LTS_FAIL(LTS_E_IO, "%s: rename failed: %s", af->path, strerror(errno));
    fsync_dir_of(af->path);
    afile_free(af);
out:
    if (rc != LTS_OK)
        lts_io__afile_abort(af);
    return rc;
}

void lts_io__afile_abort(lts_afile *af)
{
    if (af->fd >= 0)
        close(af->fd);
    if (af->tmp)
        unlink(af->tmp);
    afile_free(af);
}

lts_status lts_io__write_atomic(const char *path, lts_span data, int private_mode)
{
    lts_status rc = LTS_OK;
    lts_afile af = LTS_AFILE_INIT;
    LTS_TRY(lts_io__afile_open(&af, path, private_mode));
    LTS_TRY(lts_io__afile_write(&af, data.p, data.n));
    LTS_TRY(lts_io__afile_commit(&af));
out:
    if (rc != LTS_OK)
        lts_io__afile_abort(&af);
    return rc;
}
