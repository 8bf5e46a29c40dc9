/* validation/vdata_cache.c — a cache in front of another validation data source, so that a
 * batch asks for each issuer, OCSP response and CRL once (failures included). One mutex
 * guards the table; the fetch itself runs outside it, and concurrent askers of the same
 * item wait on a condition variable for the first asker's answer. See ltsig/vdata.h. */
#define LTS_MODULE "vdata"
#include "validation/validation_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "core/err.h"
#include "core/mem.h"

enum { K_ISSUER = 1, K_OCSP = 2, K_CRL = 3 };

typedef struct entry {
    struct entry *next;
    int kind;
    unsigned char key[32];
    int done;
    int stale;         /* a failure for lack of memory: answered once, then forgotten */
    lts_status rc;     /* the answer: a status ... */
    int reason;
    char module[32];
    char *msg;
    lts_buf data;      /* ... and, on success, the DER (OCSP, CRL) */
    X509 *x;           /* ... or the issuer */
} entry;

typedef struct {
    lts_vdata_source base;
    lts_vdata_source *inner;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    entry *entries;
} cache_src;

/* key = SHA-256(kind || parts...) */
static lts_status make_key(int kind, const lts_span *parts, size_t n, unsigned char key[32])
{
    lts_status rc = LTS_OK;
    EVP_MD_CTX *ctx = NULL;
    unsigned char k = (unsigned char)kind;
    unsigned int len = 0;
    LTS_ALLOC(ctx = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1, "EVP_DigestInit_ex");
    LTS_OSSL(EVP_DigestUpdate(ctx, &k, 1) == 1, "EVP_DigestUpdate");
    for (size_t i = 0; i < n; i++) {
        unsigned char lenb[8];
        for (int j = 0; j < 8; j++)
            lenb[j] = (unsigned char)((uint64_t)parts[i].n >> (8 * j));
        LTS_OSSL(EVP_DigestUpdate(ctx, lenb, sizeof lenb) == 1, "EVP_DigestUpdate");
        if (parts[i].n)
            LTS_OSSL(EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) == 1, "EVP_DigestUpdate");
    }
    LTS_OSSL(EVP_DigestFinal_ex(ctx, key, &len) == 1 && len == 32, "EVP_DigestFinal_ex");
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static lts_span ext_value(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    if (i < 0)
        return lts_span_of(NULL, 0);
    ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(x, i));
    return lts_span_of(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
}

/* Key parts; *der1 is an encoding to free with OPENSSL_free. */
static lts_status key_of(int kind, X509 *cert, X509 *issuer, unsigned char key[32])
{
    lts_status rc = LTS_OK;
    unsigned char *der = NULL;
    int n;
    lts_span parts[2];
    if (kind == K_ISSUER) {
        n = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
        LTS_OSSL(n > 0, "i2d_X509_NAME");
        parts[0] = lts_span_of(der, (size_t)n);
        parts[1] = ext_value(cert, NID_authority_key_identifier);
    } else {
        n = i2d_X509(issuer, &der);
        LTS_OSSL(n > 0, "i2d_X509");
        parts[0] = lts_span_of(der, (size_t)n);
        if (kind == K_OCSP) {
            const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
            parts[1] = lts_span_of(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn));
        } else {
            parts[1] = ext_value(cert, NID_crl_distribution_points);
        }
    }
    LTS_TRY(make_key(kind, parts, 2, key));
out:
    OPENSSL_free(der);
    return rc;
}

/* Ask the inner source; store the answer in e (under the lock by the caller's protocol). */
static void fill(cache_src *c, entry *e, X509 *cert, X509 *issuer)
{
    lts_buf data = LTS_BUF_INIT;
    X509 *x = NULL;
    lts_status rc;
    if (e->kind == K_ISSUER)
        rc = lts_vdata_get_issuer(c->inner, cert, &x);
    else if (e->kind == K_OCSP)
        rc = lts_vdata_get_ocsp(c->inner, cert, issuer, &data);
    else
        rc = lts_vdata_get_crl(c->inner, cert, issuer, &data);
    pthread_mutex_lock(&c->mu);
    e->rc = rc;
    if (rc != LTS_OK) {
        e->reason = lts_error_last()->reason;
        snprintf(e->module, sizeof e->module, "%s", lts_error_last()->module);
        e->msg = lts_strdup(lts_error_last()->message); /* NULL on OOM: replayed as such */
    }
    e->data = data;
    e->x = x;
    e->stale = rc == LTS_E_NOMEM;
    e->done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static lts_status ask(cache_src *c, int kind, X509 *cert, X509 *issuer, lts_buf *data_out,
                      X509 **x_out)
{
    lts_status rc = LTS_OK;
    unsigned char key[32];
    entry *e;
    int owner = 0;
    LTS_TRY(key_of(kind, cert, issuer, key));
    pthread_mutex_lock(&c->mu);
    for (e = c->entries; e != NULL; e = e->next)
        if (e->kind == kind && !e->stale && memcmp(e->key, key, sizeof key) == 0)
            break;
    if (e == NULL) {
        e = lts_calloc(1, sizeof *e);
        if (e == NULL) {
            pthread_mutex_unlock(&c->mu);
            LTS_FAIL(LTS_E_NOMEM, "out of memory");
        }
        e->kind = kind;
        memcpy(e->key, key, sizeof key);
        e->next = c->entries;
        c->entries = e;
        owner = 1;
    } else {
        while (!e->done)
            pthread_cond_wait(&c->cv, &c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    if (owner)
        fill(c, e, cert, issuer);
    /* e is immutable once done; entries live until the cache is freed. */
    if (e->rc != LTS_OK) {
        rc = lts_err__set(e->rc, e->module[0] ? e->module : LTS_MODULE, e->reason, "%s",
                          e->msg ? e->msg : "(cached failure; its message was lost to low memory)");
        goto out;
    }
    if (kind == K_ISSUER) {
        if (!lts_vdata__issued_by(cert, e->x)) { /* same issuer name and AKI, other CA */
            rc = lts_vdata_get_issuer(c->inner, cert, x_out);
            goto out;
        }
        LTS_OSSL(X509_up_ref(e->x), "X509_up_ref");
        *x_out = e->x;
    } else {
        LTS_TRY(lts_buf_set(data_out, lts_buf_span(&e->data)));
    }
out:
    return rc;
}

static lts_status cache_issuer(lts_vdata_source *s, X509 *cert, X509 **out)
{
    *out = NULL;
    return ask((cache_src *)s, K_ISSUER, cert, NULL, NULL, out);
}

static lts_status cache_ocsp(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    return ask((cache_src *)s, K_OCSP, cert, issuer, out, NULL);
}

static lts_status cache_crl(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out)
{
    return ask((cache_src *)s, K_CRL, cert, issuer, out, NULL);
}

static lts_status cache_anchors(lts_vdata_source *s, STACK_OF(X509) **out)
{
    lts_vdata_source *in = ((cache_src *)s)->inner;
    *out = NULL;
    if (in->ops->anchors == NULL)
        return LTS_OK;
    return in->ops->anchors(in, out);
}

static void cache_close(lts_vdata_source *s)
{
    cache_src *c = (cache_src *)s;
    entry *e = c->entries, *next;
    for (; e != NULL; e = next) {
        next = e->next;
        lts_free(e->msg);
        lts_buf_dispose(&e->data);
        X509_free(e->x);
        lts_free(e);
    }
    lts_vdata_free(c->inner);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    lts_free(c);
}

static const lts_vdata_ops cache_ops = {
    LTS_VDATA_OPS_VERSION, "cached", cache_issuer, cache_ocsp, cache_crl, cache_anchors,
    cache_close
};

/* see ltsig/vdata.h */
lts_status lts_vdata_cached_new(lts_vdata_source **out, lts_vdata_source *inner)
{
    lts_status rc = LTS_OK;
    cache_src *c = NULL;
    int mu = 0;
    *out = NULL;
    LTS_ENSURE(inner != NULL && inner->ops != NULL && inner->ops->version >= 1
               && inner->ops->version <= LTS_VDATA_OPS_VERSION && inner->ops->issuer != NULL
               && inner->ops->close != NULL, LTS_E_CONFIG,
               "lts_vdata_cached_new: not a usable validation data source");
    LTS_ALLOC(c = lts_calloc(1, sizeof *c));
    LTS_ENSURE(pthread_mutex_init(&c->mu, NULL) == 0, LTS_E_NOMEM, "pthread_mutex_init failed");
    mu = 1;
    LTS_ENSURE(pthread_cond_init(&c->cv, NULL) == 0, LTS_E_NOMEM, "pthread_cond_init failed");
    c->base.ops = &cache_ops;
    c->inner = inner;
    inner = NULL;
    *out = &c->base;
    c = NULL;
out:
    if (c) {
        if (mu)
            pthread_mutex_destroy(&c->mu);
        lts_free(c);
    }
    lts_vdata_free(inner);
    return rc;
}
