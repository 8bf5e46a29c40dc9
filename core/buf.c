/* see ltsig/buf.h */
#define LTS_MODULE "core"
#include <ltsig/buf.h>

#include <string.h>
#include <openssl/crypto.h>
#include "err.h"
#include "mem.h"

lts_status lts_buf_reserve(lts_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : LTS_BUF_DEFAULT_MAX;
    if (extra > max || b->n > max - extra)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0,
                            "data larger than the limit of %zu bytes", max);
    size_t need = b->n + extra;
    if (need <= b->cap)
        return LTS_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > max / 2 ? max : cap * 2;
    uint8_t *p = lts_realloc(b->p, cap);
    if (p == NULL)
        return lts_err__set(LTS_E_NOMEM, LTS_MODULE, 0, "out of memory (%zu bytes)", cap);
    b->p = p;
    b->cap = cap;
    return LTS_OK;
}

lts_status lts_buf_append(lts_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return LTS_OK;
    lts_status rc = lts_buf_reserve(b, n);
    if (rc != LTS_OK)
        return rc;
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return LTS_OK;
}

lts_status lts_buf_set(lts_buf *b, lts_span s)
{
    b->n = 0;
    return lts_buf_append(b, s.p, s.n);
}

lts_status lts_buf_nul(lts_buf *b)
{
    lts_status rc = lts_buf_reserve(b, 1);
    if (rc != LTS_OK)
        return rc;
    b->p[b->n] = '\0';
    return LTS_OK;
}

void lts_buf_dispose(lts_buf *b)
{
    if (b == NULL)
        return;
    lts_free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void lts_buf_wipe(lts_buf *b)
{
    if (b == NULL)
        return;
    if (b->p)
        OPENSSL_cleanse(b->p, b->cap);
    lts_buf_dispose(b);
}

uint8_t *lts_buf_detach(lts_buf *b, size_t *n)
{
    uint8_t *p = b->p;
    if (n)
        *n = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

int lts_span_eq(lts_span a, lts_span b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
