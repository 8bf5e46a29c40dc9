/* see core/der.h */
#define LTS_MODULE "der"
#include "der.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/asn1.h>
#include "err.h"

size_t lts_der__put_hdr(uint8_t *out, unsigned tag, size_t len)
{
    uint8_t lenbytes[sizeof(size_t)];
    size_t nl = 0;
    if (len >= 0x80) {
        for (size_t v = len; v > 0; v >>= 8)
            lenbytes[sizeof lenbytes - ++nl] = (uint8_t)(v & 0xff);
    }
    if (out != NULL) {
        out[0] = (uint8_t)tag;
        if (nl == 0) {
            out[1] = (uint8_t)len;
        } else {
            out[1] = (uint8_t)(0x80 | nl);
            memcpy(out + 2, lenbytes + sizeof lenbytes - nl, nl);
        }
    }
    return 2 + nl;
}

size_t lts_der__put_tlv(uint8_t *out, unsigned tag, lts_span value)
{
    size_t h = lts_der__put_hdr(out, tag, value.n);
    if (out != NULL && value.n)
        memcpy(out + h, value.p, value.n);
    return h + value.n;
}

size_t lts_der__put_cons(uint8_t *out, unsigned tag, const lts_span *items, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += items[i].n;
    size_t h = lts_der__put_hdr(out, tag, len);
    if (out != NULL) {
        uint8_t *p = out + h;
        for (size_t i = 0; i < n; i++) {
            if (items[i].n)
                memcpy(p, items[i].p, items[i].n);
            p += items[i].n;
        }
    }
    return h + len;
}

lts_status lts_der__append_cons(lts_buf *b, unsigned tag, const lts_span *items, size_t n)
{
    size_t need = lts_der__put_cons(NULL, tag, items, n);
    lts_status rc = lts_buf_reserve(b, need);
    if (rc != LTS_OK)
        return rc;
    b->n += lts_der__put_cons(b->p + b->n, tag, items, n);
    return LTS_OK;
}

static int cmp_der(const void *a, const void *b)
{
    const lts_span *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = m ? memcmp(x->p, y->p, m) : 0;
    if (c != 0)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

lts_status lts_der__append_set_of(lts_buf *b, lts_span *items, size_t n)
{
    if (n > 1)
        qsort(items, n, sizeof *items, cmp_der);
    return lts_der__append_cons(b, LTS_DER_SET, items, n);
}

lts_status lts_der__next(lts_span *in, lts_der_tlv *out)
{
    const unsigned char *p = in->p;
    long len = 0;
    int tag = 0, cls = 0;
    if (in->n == 0)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "unexpected end of DER data");
    long max = in->n > (size_t)LONG_MAX ? LONG_MAX : (long)in->n;
    int r = ASN1_get_object(&p, &len, &tag, &cls, max);
    if (r & 0x80)
        return lts_err__ossl(LTS_E_INPUT, LTS_MODULE, "malformed DER header");
    if (r == (V_ASN1_CONSTRUCTED | 1)) /* indefinite length */
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "indefinite length where DER is needed");
    size_t hdr = (size_t)(p - in->p);
    if ((size_t)len > in->n - hdr)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "DER length runs past the data");
    out->tag = tag;
    out->cls = cls;
    out->constructed = (r & V_ASN1_CONSTRUCTED) != 0;
    out->all = lts_span_of(in->p, hdr + (size_t)len);
    out->value = lts_span_of(p, (size_t)len);
    in->p += hdr + (size_t)len;
    in->n -= hdr + (size_t)len;
    return LTS_OK;
}

lts_status lts_der__one(lts_span in, lts_der_tlv *out)
{
    lts_status rc = lts_der__next(&in, out);
    if (rc == LTS_OK && in.n != 0)
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "%zu trailing bytes after DER value",
                            in.n);
    return rc;
}
