/* ltsigd secrets: reading secret files, random tokens, Argon2id (RFC 9106) password and
 * PIN hashes, TOTP (RFC 6238) checks. Nothing here ever puts a secret into a message. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <ltsig/signer.h>
#include "core/err.h"
#include "core/mem.h"
#include "core/totp.h"

lts_status srv_secret_file(lts_buf *out, const char *path, const char *what)
{
    lts_status rc = LTS_OK;
    char src[4096 + 8];
    LTS_ENSURE(path != NULL && *path, LTS_E_CONFIG, "no %s file given", what);
    LTS_ENSURE(strlen(path) < 4096, LTS_E_CONFIG, "%s file name too long", what);
    snprintf(src, sizeof src, "file:%s", path);
    rc = lts_secret_read(out, src);
    if (rc != LTS_OK) {
        lts_err__wrap("%s (%s file)", path, what);
        goto out;
    }
    LTS_ENSURE(out->n > 0, LTS_E_INPUT, "%s: the %s file is empty", path, what);
out:
    if (rc != LTS_OK)
        lts_buf_wipe(out);
    return rc;
}

lts_status srv_random(uint8_t *p, size_t n)
{
    if (RAND_priv_bytes(p, (int)n) != 1)
        return lts_err__ossl(LTS_E_CRYPTO, LTS_MODULE, "RAND_priv_bytes");
    return LTS_OK;
}

void srv_sha256_hex(const void *data, size_t n, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    uint8_t md[32];
    unsigned int len = 0;
    if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
        memset(out, '0', 64); /* cannot happen with the default provider */
        out[64] = 0;
        return;
    }
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[md[i] >> 4];
        out[2 * i + 1] = hx[md[i] & 15];
    }
    out[64] = 0;
}

lts_status srv_new_token(char out[48])
{
    static const char b64u[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t r[33];
    lts_status rc = srv_random(r, sizeof r);
    if (rc != LTS_OK)
        return rc;
    /* 32 random bytes (256 bits); 33 read so the groups of 3 come out even, 43 chars used */
    int o = 0;
    for (int i = 0; i < 33; i += 3) {
        uint32_t v = ((uint32_t)r[i] << 16) | ((uint32_t)r[i + 1] << 8) | r[i + 2];
        out[o++] = b64u[(v >> 18) & 63];
        out[o++] = b64u[(v >> 12) & 63];
        out[o++] = b64u[(v >> 6) & 63];
        out[o++] = b64u[v & 63];
    }
    out[43] = 0;
    OPENSSL_cleanse(r, sizeof r);
    return LTS_OK;
}

lts_status srv_pw_hash(const srv_conf *c, const char *pw, size_t n, char **out)
{
    lts_status rc = LTS_OK;
    uint8_t salt[16];
    char *enc = NULL;
    size_t enclen;
    *out = NULL;
    LTS_TRY(srv_random(salt, sizeof salt));
    enclen = argon2_encodedlen((uint32_t)c->argon2_t, (uint32_t)c->argon2_m_kib, 1,
                               sizeof salt, 32, Argon2_id);
    LTS_ALLOC(enc = lts_malloc(enclen));
    int r = argon2id_hash_encoded((uint32_t)c->argon2_t, (uint32_t)c->argon2_m_kib, 1, pw, n,
                                  salt, sizeof salt, 32, enc, enclen);
    LTS_ENSURE(r == ARGON2_OK, LTS_E_CRYPTO, "Argon2id: %s", argon2_error_message(r));
    *out = enc;
    enc = NULL;
out:
    lts_free(enc);
    return rc;
}

lts_status srv_pw_verify(const char *encoded, const char *pw, size_t n)
{
    int r = argon2id_verify(encoded, pw, n);
    if (r == ARGON2_OK)
        return LTS_OK;
    if (r == ARGON2_VERIFY_MISMATCH)
        return lts_err__set(LTS_E_AUTH, LTS_MODULE, 0, "wrong password or PIN");
    return lts_err__set(LTS_E_CRYPTO, LTS_MODULE, 0, "Argon2id: %s", argon2_error_message(r));
}

int srv_str_ct_eq(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na != nb)
        return 0;
    return CRYPTO_memcmp(a, b, na) == 0;
}

lts_status srv_totp_check(const char *secret_b32, const char *code, int64_t now,
                          long long *last)
{
    lts_status rc = LTS_OK;
    lts_buf key = LTS_BUF_INIT_MAX(1024);
    char want[16];
    int ok = 0;
    uint64_t step = lts_totp__step(now, 30), used = 0;
    LTS_ENSURE(code != NULL && strlen(code) == 6, LTS_E_AUTH, "the OTP is not 6 digits");
    LTS_TRY(lts_base32__decode(&key, secret_b32, strlen(secret_b32)));
    for (int d = -1; d <= 1; d++) {
        uint64_t s = step + (uint64_t)(int64_t)d;
        if (d < 0 && step == 0)
            continue;
        LTS_TRY(lts_hotp__code(lts_buf_span(&key), s, 6, want));
        /* evaluate every step: the time taken does not depend on which one matched */
        if (srv_str_ct_eq(want, code) && (long long)s > *last && !ok) {
            ok = 1;
            used = s;
        }
    }
    LTS_ENSURE(ok, LTS_E_AUTH, "wrong or reused OTP");
    *last = (long long)used;
out:
    OPENSSL_cleanse(want, sizeof want);
    lts_buf_wipe(&key);
    return rc;
}
