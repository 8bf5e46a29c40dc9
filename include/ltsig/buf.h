/* ltsig — byte spans and bounded, growable buffers.
 *
 * lts_span is a borrowed view: never freed by whoever receives it.
 * lts_buf is storage the caller provides and disposes with lts_buf_dispose() (or
 * lts_buf_wipe() when it held a secret). Growth stops at `max` (0 = LTS_BUF_DEFAULT_MAX),
 * so a hostile length cannot make us allocate without bound (cf. curl's dynbuf). */
#ifndef LTSIG_BUF_H
#define LTSIG_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const uint8_t *p;
    size_t n;
} lts_span;

typedef struct {
    uint8_t *p;
    size_t n;   /**< bytes in use */
    size_t cap; /**< bytes allocated */
    size_t max; /**< growth ceiling; 0 means LTS_BUF_DEFAULT_MAX */
} lts_buf;

/** Default ceiling of a buffer: 4 GiB (a signed document may be large; a token is not). */
#define LTS_BUF_DEFAULT_MAX ((size_t)4 << 30)
#define LTS_BUF_INIT { NULL, 0, 0, 0 }
#define LTS_BUF_INIT_MAX(m) { NULL, 0, 0, (m) }

/** A span over n bytes at p (p may be NULL when n is 0). */
static inline lts_span lts_span_of(const void *p, size_t n)
{
    lts_span s;
    s.p = (const uint8_t *)p;
    s.n = n;
    return s;
}

/** The span over what buf holds (borrowed from buf). */
static inline lts_span lts_buf_span(const lts_buf *b)
{
    return lts_span_of(b->p, b->n);
}

/** Make room for `extra` more bytes. LTS_E_NOMEM, or LTS_E_INPUT when max would be passed. */
LTS_API LTS_MUST_USE lts_status lts_buf_reserve(lts_buf *b, size_t extra);
/** Append n bytes. */
LTS_API LTS_MUST_USE lts_status lts_buf_append(lts_buf *b, const void *p, size_t n);
/** Replace the content with a copy of s. */
LTS_API LTS_MUST_USE lts_status lts_buf_set(lts_buf *b, lts_span s);
/** Append a NUL after the data without counting it in n (for C string use). */
LTS_API LTS_MUST_USE lts_status lts_buf_nul(lts_buf *b);
/** Free the storage and reset to empty (keeps max). NULL is a no-op. */
LTS_API void lts_buf_dispose(lts_buf *b);
/** Cleanse, then free: for buffers that held a secret. NULL is a no-op. */
LTS_API void lts_buf_wipe(lts_buf *b);
/** Hand the storage over: *out gets the pointer (caller frees with lts_free), b becomes empty. */
LTS_API uint8_t *lts_buf_detach(lts_buf *b, size_t *n);
/** Free memory handed out by the library (lts_buf_detach, string results). */
LTS_API void lts_free(void *p);

/** Equal length and bytes (not constant time). */
LTS_API int lts_span_eq(lts_span a, lts_span b);

#ifdef __cplusplus
}
#endif
#endif
