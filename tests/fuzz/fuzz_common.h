/* tests/fuzz/fuzz_common.h — helpers shared by the fuzz targets (tests only).
 *
 * Inputs that need several pieces (a certificate and its issuer for an OCSP response, a
 * request for an RFC 3161 response, detached content for a CMS) are split from the one
 * fuzz input as length-prefixed parts: 2 bytes big-endian length, then the bytes; the last
 * part is whatever remains. tests/fuzz/make-corpus.sh builds the seeds the same way
 * (tests/fuzz/pack.py). A short input gives empty parts, never an error, so the fuzzer
 * reaches every parser with any bytes. */
#ifndef LTS_FUZZ_COMMON_H
#define LTS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ltsig/buf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Take the next length-prefixed part of (*p, *n) into *out (borrowed from the input). */
static inline void fz_take(const uint8_t **p, size_t *n, lts_span *out)
{
    size_t len;
    out->p = *p;
    out->n = 0;
    if (*n < 2) {
        *p += *n;
        *n = 0;
        return;
    }
    len = ((size_t)(*p)[0] << 8) | (*p)[1];
    *p += 2;
    *n -= 2;
    if (len > *n)
        len = *n;
    out->p = *p;
    out->n = len;
    *p += len;
    *n -= len;
}

/** A per-process scratch file under $TMPDIR (or /tmp) with the given suffix, made once
 *  and removed at exit; each call rewrites it with (data, size). Returns its path, or NULL
 *  when it cannot be written (the target then does nothing: that is no finding). */
static char fz_path_[512];
static void fz_cleanup_(void)
{
    if (fz_path_[0])
        unlink(fz_path_);
}
static inline const char *fz_write_tmp(const char *suffix, const uint8_t *data, size_t size)
{
    FILE *f;
    if (!fz_path_[0]) {
        const char *dir = getenv("TMPDIR");
        int fd;
        if (!dir || !*dir)
            dir = "/tmp";
        snprintf(fz_path_, sizeof fz_path_, "%s/lts-fuzz-XXXXXX%s", dir, suffix);
        fd = mkstemps(fz_path_, (int)strlen(suffix));
        if (fd < 0) {
            fz_path_[0] = 0;
            return NULL;
        }
        close(fd);
        atexit(fz_cleanup_);
    }
    f = fopen(fz_path_, "wb");
    if (!f)
        return NULL;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return NULL;
    }
    if (fclose(f) != 0)
        return NULL;
    return fz_path_;
}

/** With LTS_FUZZ_DEBUG set, say on stderr what a call returned (to see how deep the seeds
 *  reach); silent otherwise. */
#include <ltsig/status.h>
static inline void fz_note(const char *what, lts_status rc)
{
    if (getenv("LTS_FUZZ_DEBUG")) {
        const lts_error *e = lts_error_last();
        fprintf(stderr, "  %s: %d %s\n", what, (int)rc,
                rc != LTS_OK && e && e->message ? e->message : "");
    }
}

/** Render a report in every form (the writers see what the hostile file put in it). */
#ifdef LTSIG_REPORT_H
static inline void fz_report(const lts_report *r)
{
    lts_buf b = LTS_BUF_INIT;
    if (lts_report_json(r, &b) == LTS_OK && getenv("LTS_FUZZ_DEBUG"))
        fprintf(stderr, "  %.*s\n", (int)(b.n > 600 ? 600 : b.n), (const char *)b.p);
    lts_buf_dispose(&b);
    if (lts_report_text(r, &b) == LTS_OK) {
    }
    lts_buf_dispose(&b);
    if (lts_report_xml(r, &b) == LTS_OK) {
    }
    lts_buf_dispose(&b);
}
#endif

#endif
