/* core/io.h — internal: reading files, atomic output, block-wise reading.
 *
 * Outputs are never written in place: lts_afile writes a temporary file in the same
 * folder, and commit fsyncs it and renames it over the target, so a reader sees the old
 * file or the complete new one, never half of it. */
#ifndef LTS_CORE_IO_H
#define LTS_CORE_IO_H

#include <stdint.h>
#include <stdio.h>
#include <ltsig/buf.h>

/** Read a whole file into out (appended). Refuses files over `max` bytes (0 = buf max). */
lts_status lts_io__read_file(lts_buf *out, const char *path, size_t max);

/** Size of a regular file. LTS_E_IO for a missing file, LTS_E_INPUT for a non-regular one. */
lts_status lts_io__file_size(const char *path, uint64_t *out);

typedef struct {
    int fd;
    char *tmp;   /* temporary path, owned */
    char *path;  /* final path, owned */
} lts_afile;
#define LTS_AFILE_INIT { -1, NULL, NULL }

/** Create a temporary file beside `path` (mode 0644 less umask, or 0600 when private). */
lts_status lts_io__afile_open(lts_afile *af, const char *path, int private_mode);
lts_status lts_io__afile_write(lts_afile *af, const void *p, size_t n);
/** fsync, rename into place, fsync the folder. Frees af. */
lts_status lts_io__afile_commit(lts_afile *af);
/** Remove the temporary file and free af. Safe to call after commit or twice. */
void lts_io__afile_abort(lts_afile *af);

/** Write `data` to `path` atomically. */
lts_status lts_io__write_atomic(const char *path, lts_span data, int private_mode);

/** Read exactly n bytes at offset off of an open file (pread; EINTR retried). */
lts_status lts_io__pread_full(int fd, void *p, size_t n, uint64_t off, const char *what);

/** Block size for streaming reads. */
#define LTS_IO_BLOCK ((size_t)1 << 16)

#endif
