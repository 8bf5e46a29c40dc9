/* The file: signer backend: a PKCS#12 file, or a PEM private key with its PEM chain.
 *   file:signer.p12                     password from opts->passin (empty when none)
 *   file:key.pem?cert=chain.pem         chain leaf first; key password from passin
 *   file:combined.pem                   key and chain in one PEM file
 * The key is held in memory for the life of the signer and freed with it. */
#define LTS_MODULE "signer-file"
#include <ltsig/sys/signer.h>

#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include "backend_int.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

typedef struct {
    lts_signer base; /* first member */
    EVP_PKEY *key;
    STACK_OF(X509) *chain;
} file_signer;

static lts_status file_chain(lts_signer *s, STACK_OF(X509) **out)
{
    file_signer *f = (file_signer *)s;
    lts_status rc = LTS_OK;
    /* a new stack holding a reference to each certificate: the caller frees it */
    LTS_OSSL(*out = X509_chain_up_ref(f->chain), "X509_chain_up_ref");
out:
    return rc;
}

static lts_status sign_one(EVP_PKEY *key, lts_sig_alg alg, lts_span dg, lts_buf *out)
{
    lts_status rc = LTS_OK;
    EVP_PKEY_CTX *ctx = NULL;
    size_t len = 0;
    LTS_ALLOC(ctx = EVP_PKEY_CTX_new(key, NULL));
    LTS_OSSL(EVP_PKEY_sign_init(ctx) == 1, "EVP_PKEY_sign_init");
    LTS_OSSL(EVP_PKEY_CTX_set_signature_md(ctx, lts_hash__md(alg.hash)) == 1, "set_signature_md");
    if (alg.scheme == LTS_SCHEME_RSA_PSS) {
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1, "set PSS");
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1, "PSS salt");
    } else if (alg.scheme == LTS_SCHEME_RSA_PKCS1) {
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1, "set PKCS1");
    }
    LTS_OSSL(EVP_PKEY_sign(ctx, NULL, &len, dg.p, dg.n) == 1, "EVP_PKEY_sign (size)");
    LTS_TRY(lts_buf_reserve(out, len));
    LTS_OSSL(EVP_PKEY_sign(ctx, out->p, &len, dg.p, dg.n) == 1, "EVP_PKEY_sign");
    out->n = len;
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static lts_status file_sign(lts_signer *s, lts_sig_alg alg, const lts_span *digests, size_t n,
                            lts_buf *out)
{
    file_signer *f = (file_signer *)s;
    for (size_t i = 0; i < n; i++) {
        lts_status rc = sign_one(f->key, alg, digests[i], &out[i]);
        if (rc != LTS_OK)
            return rc;
    }
    return LTS_OK;
}

static void file_close(lts_signer *s)
{
    file_signer *f = (file_signer *)s;
    EVP_PKEY_free(f->key);
    sk_X509_pop_free(f->chain, X509_free);
    OPENSSL_cleanse(f, sizeof *f);
    lts_free(f);
}

static const lts_signer_ops file_ops = {
    LTS_SIGNER_OPS_VERSION, "file", file_chain, file_sign, file_close,
};

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Put the certificate matching the key first; keep the rest in their order. */
static lts_status order_chain(file_signer *f, const char *path)
{
    lts_status rc = LTS_OK;
    int leaf = -1;
    for (int i = 0; i < sk_X509_num(f->chain); i++) {
        if (X509_check_private_key(sk_X509_value(f->chain, i), f->key) == 1) {
            leaf = i;
            break;
        }
    }
    ERR_clear_error();
    LTS_ENSURE(leaf >= 0, LTS_E_INPUT, "%s: no certificate matches the private key", path);
    if (leaf > 0) {
        X509 *c = sk_X509_delete(f->chain, leaf);
        LTS_OSSL(sk_X509_unshift(f->chain, c) > 0, "sk_X509_unshift");
    }
out:
    return rc;
}

static lts_status open_p12(file_signer *f, const char *path, const char *pass)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT_MAX((size_t)16 << 20);
    PKCS12 *p12 = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    const unsigned char *p;

    LTS_TRY(lts_io__read_file(&der, path, 0));
    LTS_ENSURE(der.n > 0, LTS_E_INPUT, "%s: empty file", path);
    p = der.p;
    p12 = d2i_PKCS12(NULL, &p, (long)der.n);
    if (p12 == NULL)
        LTS_FAIL_OSSL(LTS_E_INPUT, "%s: not a PKCS#12 file", path);
    if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, pass, -1) != 1) {
        ERR_clear_error();
        LTS_FAIL(LTS_E_AUTH, "%s: wrong password for the PKCS#12 file", path);
    }
    if (PKCS12_parse(p12, pass, &f->key, &cert, &ca) != 1)
        LTS_FAIL_OSSL(LTS_E_AUTH, "%s: cannot decrypt the PKCS#12 file", path);
    LTS_ENSURE(f->key != NULL, LTS_E_INPUT, "%s: the PKCS#12 file holds no private key", path);
    LTS_ENSURE(cert != NULL, LTS_E_INPUT, "%s: the PKCS#12 file holds no certificate", path);
    LTS_ALLOC(f->chain = sk_X509_new_null());
    LTS_OSSL(sk_X509_push(f->chain, cert) > 0, "sk_X509_push");
    cert = NULL;
    while (ca && sk_X509_num(ca) > 0) {
        X509 *c = sk_X509_shift(ca);
        if (sk_X509_push(f->chain, c) <= 0) {
            X509_free(c);
            LTS_FAIL_OSSL(LTS_E_NOMEM, "sk_X509_push");
        }
    }
    LTS_TRY(order_chain(f, path));
out:
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    lts_buf_dispose(&der);
    return rc;
}

static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pass = u;
    (void)rwflag;
    if (pass == NULL)
        return 0;
    int n = (int)strlen(pass);
    if (n > size)
        n = size;
    memcpy(buf, pass, (size_t)n);
    return n;
}

static lts_status read_certs(STACK_OF(X509) *chain, const char *path)
{
    lts_status rc = LTS_OK;
    BIO *b = NULL;
    X509 *c = NULL;
    b = BIO_new_file(path, "r");
    if (b == NULL)
        LTS_FAIL_OSSL(LTS_E_IO, "%s: cannot open", path);
    while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        LTS_OSSL(sk_X509_push(chain, c) > 0, "sk_X509_push");
        c = NULL;
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
out:
    X509_free(c);
    BIO_free(b);
    return rc;
}

static lts_status open_pem(file_signer *f, const char *keypath, const char *certpath,
                           const char *pass)
{
    lts_status rc = LTS_OK;
    BIO *b = NULL;
    b = BIO_new_file(keypath, "r");
    if (b == NULL)
        LTS_FAIL_OSSL(LTS_E_IO, "%s: cannot open the key file", keypath);
    f->key = PEM_read_bio_PrivateKey(b, NULL, pem_pass_cb, (void *)pass);
    if (f->key == NULL) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_REASON(e) == EVP_R_BAD_DECRYPT || ERR_GET_REASON(e) == PEM_R_BAD_DECRYPT ||
            ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ) {
            ERR_clear_error();
            LTS_FAIL(LTS_E_AUTH, "%s: wrong password for the private key", keypath);
        }
        LTS_FAIL_OSSL(LTS_E_INPUT, "%s: no PEM private key found", keypath);
    }
    LTS_ALLOC(f->chain = sk_X509_new_null());
    LTS_TRY(read_certs(f->chain, certpath ? certpath : keypath));
    LTS_ENSURE(sk_X509_num(f->chain) > 0, LTS_E_INPUT,
               "%s: no certificate found (give one with file:KEY.pem?cert=CHAIN.pem)",
               certpath ? certpath : keypath);
    LTS_TRY(order_chain(f, certpath ? certpath : keypath));
out:
    BIO_free(b);
    return rc;
}

lts_status lts_file__open(lts_signer **out, const char *rest, const lts_signer_opts *opts)
{
    lts_status rc = LTS_OK;
    file_signer *f = NULL;
    lts_buf pass = LTS_BUF_INIT;
    char *path = NULL;
    const char *certpath = NULL;

    *out = NULL;
    LTS_ENSURE(rest != NULL && *rest, LTS_E_CONFIG, "file: signer URI names no file");
    LTS_ALLOC(path = lts_strdup(rest));
    {
        char *q = strstr(path, "?cert=");
        if (q) {
            *q = '\0';
            certpath = q + 6;
        }
    }
    if (opts->passin)
        LTS_TRY(lts_secret_read(&pass, opts->passin));
    LTS_ALLOC(f = lts_calloc(1, sizeof *f));
    f->base.ops = &file_ops;
    if (ends_with(path, ".p12") || ends_with(path, ".pfx"))
        rc = open_p12(f, path, pass.p ? (const char *)pass.p : "");
    else
        rc = open_pem(f, path, certpath, pass.p ? (const char *)pass.p : NULL);
    if (rc != LTS_OK)
        goto out;
    *out = &f->base;
    f = NULL;
out:
    if (f)
        file_close(&f->base);
    lts_buf_wipe(&pass);
    lts_free(path);
    return rc;
}
