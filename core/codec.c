/* see core/codec.h */
#define LTS_MODULE "core"
#include "codec.h"

#include <ctype.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "err.h"
#include "mem.h"

lts_status lts_hex__encode(lts_buf *out, lts_span in)
{
    static const char digits[] = "0123456789abcdef";
    lts_status rc = LTS_OK;
    LTS_ENSURE(in.n <= (SIZE_MAX - 1) / 2, LTS_E_INPUT, "hex input too large");
    LTS_TRY(lts_buf_reserve(out, in.n * 2 + 1));
    for (size_t i = 0; i < in.n; i++) {
        out->p[out->n++] = (uint8_t)digits[in.p[i] >> 4];
        out->p[out->n++] = (uint8_t)digits[in.p[i] & 15];
    }
    out->p[out->n] = '\0';
out:
    return rc;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

lts_status lts_hex__decode(lts_buf *out, const char *hex, size_t n)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(n % 2 == 0, LTS_E_INPUT, "hex string has an odd length (%zu)", n);
    LTS_TRY(lts_buf_reserve(out, n / 2));
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval((unsigned char)hex[i]), lo = hexval((unsigned char)hex[i + 1]);
        LTS_ENSURE(hi >= 0 && lo >= 0, LTS_E_INPUT, "invalid hex digit at offset %zu", i);
        out->p[out->n++] = (uint8_t)(hi << 4 | lo);
    }
out:
    return rc;
}

lts_status lts_b64__encode(lts_buf *out, lts_span in)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(in.n < (size_t)1 << 30, LTS_E_INPUT, "base64 input too large");
    size_t need = 4 * ((in.n + 2) / 3) + 1;
    LTS_TRY(lts_buf_reserve(out, need));
    int w = EVP_EncodeBlock(out->p + out->n, in.p, (int)in.n);
    LTS_OSSL(w >= 0, "EVP_EncodeBlock");
    out->n += (size_t)w;
    out->p[out->n] = '\0';
out:
    return rc;
}

lts_status lts_b64__decode(lts_buf *out, const char *b64, size_t n)
{
    lts_status rc = LTS_OK;
    char *clean = NULL;
    size_t m = 0, pad = 0;
    LTS_ENSURE(n < (size_t)1 << 31, LTS_E_INPUT, "base64 input too large");
    LTS_ALLOC(clean = lts_malloc(n + 1));
    for (size_t i = 0; i < n; i++) {
        if (!isspace((unsigned char)b64[i]))
            clean[m++] = b64[i];
    }
    LTS_ENSURE(m % 4 == 0, LTS_E_INPUT, "base64 length is not a multiple of 4");
    if (m == 0)
        goto out; /* nothing to decode; out->p may still be NULL */
    if (m >= 1 && clean[m - 1] == '=')
        pad++;
    if (m >= 2 && clean[m - 2] == '=')
        pad++;
    LTS_TRY(lts_buf_reserve(out, m / 4 * 3));
    int w = EVP_DecodeBlock(out->p + out->n, (const unsigned char *)clean, (int)m);
    LTS_ENSURE(w >= 0, LTS_E_INPUT, "invalid base64");
    LTS_ENSURE((size_t)w >= pad, LTS_E_INPUT, "invalid base64 padding");
    out->n += (size_t)w - pad; /* EVP_DecodeBlock counts padding as zero bytes */
out:
    lts_free(clean);
    return rc;
}
