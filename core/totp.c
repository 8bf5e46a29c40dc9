/* see core/totp.h */
#define LTS_MODULE "core"
#include "totp.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include "err.h"

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

lts_status lts_base32__encode(lts_buf *out, lts_span in)
{
    lts_status rc = LTS_OK;
    uint32_t acc = 0;
    unsigned bits = 0;
    LTS_ENSURE(in.n <= SIZE_MAX / 2, LTS_E_INPUT, "base32 input too large");
    LTS_TRY(lts_buf_reserve(out, (in.n * 8 + 4) / 5 + 1));
    for (size_t i = 0; i < in.n; i++) {
        acc = (acc << 8) | in.p[i];
        bits += 8;
        while (bits >= 5) {
            out->p[out->n++] = (uint8_t)b32_alpha[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out->p[out->n++] = (uint8_t)b32_alpha[(acc << (5 - bits)) & 31];
    LTS_TRY(lts_buf_nul(out));
out:
    return rc;
}

static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

lts_status lts_base32__decode(lts_buf *out, const char *s, size_t n)
{
    lts_status rc = LTS_OK;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t start = out->n;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '-' || c == '=' || c == '\n' || c == '\r' || c == '\t')
            continue;
        int v = b32_value(c);
        LTS_ENSURE(v >= 0, LTS_E_INPUT, "invalid base32 character at offset %zu", i);
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            uint8_t b = (uint8_t)(acc >> (bits - 8));
            LTS_TRY(lts_buf_append(out, &b, 1));
            bits -= 8;
        }
    }
out:
    if (rc != LTS_OK && out->p) {
        OPENSSL_cleanse(out->p + start, out->n - start);
        out->n = start;
    }
    return rc;
}

lts_status lts_hotp__code(lts_span key, uint64_t counter, unsigned digits, char *out)
{
    lts_status rc = LTS_OK;
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    uint32_t mod = 1;
    out[0] = 0;
    LTS_ENSURE(digits >= 6 && digits <= 9, LTS_E_INPUT, "OTP length %u not in 6..9", digits);
    LTS_ENSURE(key.n > 0 && key.n <= 1024, LTS_E_INPUT, "OTP secret of %zu bytes", key.n);
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    LTS_OSSL(HMAC(EVP_sha1(), key.p, (int)key.n, msg, sizeof msg, mac, &maclen) != NULL,
             "HMAC-SHA-1");
    LTS_ENSURE(maclen == 20, LTS_E_INTERNAL, "HMAC-SHA-1 gave %u bytes", maclen);
    unsigned off = mac[19] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    for (unsigned i = 0; i < digits; i++)
        mod *= 10;
    bin %= mod;
    for (int i = (int)digits - 1; i >= 0; i--) {
        out[i] = (char)('0' + bin % 10);
        bin /= 10;
    }
    out[digits] = 0;
out:
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}
