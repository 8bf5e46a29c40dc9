/* see ltsig/signer.h and ltsig/sys/signer.h */
#define LTS_MODULE "signer"
#include <ltsig/openssl.h>
#include <ltsig/sys/signer.h>

#include <string.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include "backend_int.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

typedef struct {
    const char *scheme; /* with the colon */
    int pass_whole_uri; /* pkcs11: wants the whole RFC 7512 URI */
    lts_signer_open_fn open;
} opener;

static const opener openers[] = {
    { "file:", 0, lts_file__open },
    { "pkcs11:", 1, lts_pkcs11__open },
    { "csc:", 0, lts_csc__open },
};

static lts_status check_ops(const lts_signer *s)
{
    if (s == NULL || s->ops == NULL)
        return lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "backend returned no signer");
    if (s->ops->version < 1 || s->ops->version > LTS_SIGNER_OPS_VERSION)
        return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0,
                            "signer backend '%s' has unknown ops version %u",
                            s->ops->name ? s->ops->name : "?", s->ops->version);
    if (s->ops->chain == NULL || s->ops->sign == NULL || s->ops->close == NULL)
        return lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0,
                            "signer backend '%s' lacks a required method",
                            s->ops->name ? s->ops->name : "?");
    return LTS_OK;
}

lts_status lts_signer_open(lts_signer **out, const char *uri, const lts_signer_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_signer *s = NULL;
    lts_signer_opts def = LTS_SIGNER_OPTS_INIT;
    const opener *op = NULL;

    *out = NULL;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(uri != NULL && *uri, LTS_E_CONFIG, "no signer given (--signer URI)");
    LTS_ENSURE(opts->version >= 1, LTS_E_CONFIG, "signer options not initialised");
    for (size_t i = 0; i < sizeof openers / sizeof openers[0]; i++) {
        if (strncmp(uri, openers[i].scheme, strlen(openers[i].scheme)) == 0)
            op = &openers[i];
    }
    if (op == NULL) {
        const char *colon = strchr(uri, ':');
        int n = colon ? (int)(colon - uri) : (int)strlen(uri);
        LTS_FAIL(LTS_E_UNSUPPORTED,
                 "unknown signer URI scheme '%.*s' (use file:, pkcs11: or csc:)",
                 n > 32 ? 32 : n, uri);
    }
    LTS_TRY(op->open(&s, op->pass_whole_uri ? uri : uri + strlen(op->scheme), opts));
    LTS_TRY(check_ops(s));
    LTS_TRY(s->ops->chain(s, &s->chain));
    LTS_ENSURE(s->chain != NULL && sk_X509_num(s->chain) > 0, LTS_E_INPUT,
               "the signer has no certificate");
    LTS_ENSURE(X509_get0_pubkey(sk_X509_value(s->chain, 0)) != NULL, LTS_E_INPUT,
               "the signer certificate has no usable public key");
    *out = s;
    s = NULL;
out:
    lts_signer_close(s);
    return rc;
}

void lts_signer_close(lts_signer *s)
{
    if (s == NULL)
        return;
    if (s->chain)
        sk_X509_pop_free(s->chain, X509_free);
    s->chain = NULL;
    if (s->ops && s->ops->close)
        s->ops->close(s);
}

X509 *lts_signer_get0_cert(lts_signer *s)
{
    return s && s->chain && sk_X509_num(s->chain) > 0 ? sk_X509_value(s->chain, 0) : NULL;
}

STACK_OF(X509) *lts_signer_get0_chain(lts_signer *s)
{
    return s ? s->chain : NULL;
}

lts_status lts_signer_chain_der(lts_signer *s, lts_buf **out_ders, size_t *out_n)
{
    lts_status rc = LTS_OK;
    lts_buf *ders = NULL;
    int n = sk_X509_num(s->chain);
    *out_ders = NULL;
    *out_n = 0;
    LTS_ALLOC(ders = lts_calloc((size_t)n, sizeof *ders));
    for (int i = 0; i < n; i++) {
        unsigned char *p = NULL;
        int len = i2d_X509(sk_X509_value(s->chain, i), &p);
        LTS_OSSL(len > 0, "i2d_X509");
        rc = lts_buf_append(&ders[i], p, (size_t)len);
        OPENSSL_free(p);
        LTS_TRY(rc);
    }
    *out_ders = ders;
    *out_n = (size_t)n;
    ders = NULL;
out:
    if (ders)
        lts_signer_chain_free(ders, (size_t)n);
    return rc;
}

void lts_signer_chain_free(lts_buf *ders, size_t n)
{
    if (ders == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        lts_buf_dispose(&ders[i]);
    lts_free(ders);
}

lts_status lts_signer_default_alg(lts_signer *s, lts_hash h, lts_sig_alg *out)
{
    EVP_PKEY *pk = X509_get0_pubkey(lts_signer_get0_cert(s));
    out->hash = h;
    if (pk && EVP_PKEY_is_a(pk, "RSA")) {
        out->scheme = LTS_SCHEME_RSA_PKCS1;
        return LTS_OK;
    }
    if (pk && EVP_PKEY_is_a(pk, "RSA-PSS")) {
        out->scheme = LTS_SCHEME_RSA_PSS;
        return LTS_OK;
    }
    if (pk && EVP_PKEY_is_a(pk, "EC")) {
        out->scheme = LTS_SCHEME_ECDSA;
        return LTS_OK;
    }
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0,
                        "the signer key type is not supported (RSA or EC keys only)");
}

/* Check one value against the certificate's key: the STRICT re-verification. */
static lts_status verify_value(EVP_PKEY *pk, lts_sig_alg alg, lts_span dg, lts_span sig)
{
    lts_status rc = LTS_OK;
    EVP_PKEY_CTX *ctx = NULL;
    LTS_ALLOC(ctx = EVP_PKEY_CTX_new(pk, NULL));
    LTS_OSSL(EVP_PKEY_verify_init(ctx) == 1, "EVP_PKEY_verify_init");
    LTS_OSSL(EVP_PKEY_CTX_set_signature_md(ctx, lts_hash__md(alg.hash)) == 1, "set_signature_md");
    if (alg.scheme == LTS_SCHEME_RSA_PSS) {
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1, "set PSS");
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1, "PSS salt");
    } else if (alg.scheme == LTS_SCHEME_RSA_PKCS1) {
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1, "set PKCS1");
    }
    int v = EVP_PKEY_verify(ctx, sig.p, sig.n, dg.p, dg.n);
    if (v != 1)
        LTS_FAIL_OSSL(LTS_E_CRYPTO,
                      "the signature value from the backend does not verify with the "
                      "signer certificate (wrong key for this certificate?)");
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static int scheme_fits_key(EVP_PKEY *pk, lts_scheme sc)
{
    if (sc == LTS_SCHEME_ECDSA)
        return EVP_PKEY_is_a(pk, "EC");
    if (sc == LTS_SCHEME_RSA_PKCS1)
        return EVP_PKEY_is_a(pk, "RSA");
    if (sc == LTS_SCHEME_RSA_PSS)
        return EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS");
    return 0;
}

lts_status lts_signer_sign(lts_signer *s, lts_sig_alg alg, const lts_span *digests, size_t n,
                           lts_buf *out)
{
    lts_status rc = LTS_OK;
    EVP_PKEY *pk = NULL;
    size_t dlen = lts_hash_size(alg.hash);
    LTS_ENSURE(s != NULL && s->chain != NULL, LTS_E_CONFIG, "signer is not open");
    pk = X509_get0_pubkey(lts_signer_get0_cert(s));
    LTS_ENSURE(n > 0, LTS_E_INPUT, "nothing to sign");
    LTS_ENSURE(dlen > 0 && alg.hash != LTS_HASH_SHA1, LTS_E_UNSUPPORTED,
               "digest algorithm not allowed for new signatures");
    LTS_ENSURE(scheme_fits_key(pk, alg.scheme), LTS_E_UNSUPPORTED,
               "%s signatures need a matching key; the signer certificate holds another type",
               lts_scheme_name(alg.scheme));
    for (size_t i = 0; i < n; i++) {
        LTS_ENSURE(digests[i].n == dlen, LTS_E_INPUT, "digest %zu has %zu bytes, %s needs %zu",
                   i, digests[i].n, lts_hash_name(alg.hash), dlen);
        out[i].n = 0;
    }
    LTS_TRY(s->ops->sign(s, alg, digests, n, out));
    for (size_t i = 0; i < n; i++)
        LTS_TRY(verify_value(pk, alg, digests[i], lts_buf_span(&out[i])));
out:
    if (rc != LTS_OK && out != NULL) {
        for (size_t i = 0; i < n; i++)
            lts_buf_dispose(&out[i]);
    }
    return rc;
}

lts_status lts_backend__ecdsa_raw_to_der(lts_buf *out, lts_span raw)
{
    lts_status rc = LTS_OK;
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *sv = NULL;
    unsigned char *der = NULL;
    int len;
    LTS_ENSURE(raw.n >= 2 && raw.n % 2 == 0 && raw.n <= 264, LTS_E_INPUT,
               "ECDSA value of %zu bytes is not r||s", raw.n);
    LTS_ALLOC(sig = ECDSA_SIG_new());
    LTS_ALLOC(r = BN_bin2bn(raw.p, (int)(raw.n / 2), NULL));
    LTS_ALLOC(sv = BN_bin2bn(raw.p + raw.n / 2, (int)(raw.n / 2), NULL));
    LTS_OSSL(ECDSA_SIG_set0(sig, r, sv) == 1, "ECDSA_SIG_set0");
    r = sv = NULL;
    len = i2d_ECDSA_SIG(sig, &der);
    LTS_OSSL(len > 0, "i2d_ECDSA_SIG");
    LTS_TRY(lts_buf_set(out, lts_span_of(der, (size_t)len)));
out:
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    return rc;
}
