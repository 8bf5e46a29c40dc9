/* validation/aia.c — certificate helpers of the vdata sources: DER/PEM/PKCS#7 parsing,
 * issuer matching, the URLs a certificate names (AIA caIssuers and OCSP, CRL distribution
 * points, RFC 5280 §4.2.2.1 and §4.2.1.13), the HTTP exchange with clear messages, and
 * the caIssuers fetch. See ltsig/vdata.h. */
#define LTS_MODULE "vdata"
#include "validation/validation_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>
#include "core/err.h"
#include "core/http.h"
#include "core/io.h"
#include "core/mem.h"

lts_status lts_vdata__x509_from_der(X509 **out, lts_span der, const char *what)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = der.p;
    X509 *x = NULL;
    *out = NULL;
    LTS_ENSURE(der.n > 0 && der.n < (size_t)LONG_MAX, LTS_E_INPUT, "%s: empty certificate", what);
    x = d2i_X509(NULL, &p, (long)der.n);
    if (x == NULL)
        LTS_FAIL_OSSL(LTS_E_INPUT, "%s: not a DER certificate", what);
    LTS_ENSURE(p == der.p + der.n, LTS_E_INPUT, "%s: %zu trailing bytes after the certificate",
               what, (size_t)(der.p + der.n - p));
    *out = x;
    x = NULL;
out:
    X509_free(x);
    return rc;
}

lts_status lts_vdata__x509_to_der(X509 *x, lts_buf *out)
{
    lts_status rc = LTS_OK;
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);
    if (n <= 0)
        LTS_FAIL_OSSL(LTS_E_CRYPTO, "i2d_X509");
    LTS_TRY(lts_buf_set(out, lts_span_of(p, (size_t)n)));
out:
    OPENSSL_free(p);
    return rc;
}

lts_status lts_vdata__time(const ASN1_TIME *t, lts_time *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    *out = 0;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        ERR_clear_error();
        return lts_err__set(LTS_E_INPUT, LTS_MODULE, 0, "unreadable ASN.1 time");
    }
    *out = (lts_time)timegm(&tm);
    return LTS_OK;
}

const char *lts_vdata__name(X509 *x, char *buf, size_t cap)
{
    if (cap == 0)
        return "";
    buf[0] = '\0';
    if (x == NULL || X509_NAME_oneline(X509_get_subject_name(x), buf, (int)cap) == NULL)
        snprintf(buf, cap, "(unnamed certificate)");
    ERR_clear_error();
    return buf;
}

int lts_vdata__issued_by(X509 *cert, X509 *cand)
{
    int ok = 0;
    EVP_PKEY *pk;
    if (cert == NULL || cand == NULL)
        return 0;
    if (X509_check_issued(cand, cert) == X509_V_OK && (pk = X509_get0_pubkey(cand)) != NULL
        && X509_verify(cert, pk) == 1)
        ok = 1;
    ERR_clear_error();
    return ok;
}

int lts_vdata__self_signed(X509 *x)
{
    return lts_vdata__issued_by(x, x);
}

static lts_status push_url(char ***urls, size_t *n, const ASN1_IA5STRING *s)
{
    lts_status rc = LTS_OK;
    char **grown = NULL;
    char *u = NULL;
    size_t len = (size_t)ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);
    if (len < 8 || memchr(d, 0, len) != NULL
        || (strncmp((const char *)d, "http://", 7) != 0 && strncmp((const char *)d, "https://", 8) != 0))
        return LTS_OK; /* ldap:, file: ... are not ours to follow */
    LTS_ALLOC(u = lts_malloc(len + 1));
    memcpy(u, d, len);
    u[len] = '\0';
    LTS_ALLOC(grown = lts_realloc(*urls, (*n + 2) * sizeof *grown));
    *urls = grown;
    grown[(*n)++] = u;
    grown[*n] = NULL;
    u = NULL;
out:
    lts_free(u);
    return rc;
}

lts_status lts_vdata__urls(X509 *cert, int kind, char ***out, size_t *n_out)
{
    lts_status rc = LTS_OK;
    char **urls = NULL;
    size_t n = 0;
    AUTHORITY_INFO_ACCESS *aia = NULL;
    STACK_OF(DIST_POINT) *cdp = NULL;
    *out = NULL;
    if (n_out)
        *n_out = 0;
    LTS_ALLOC(urls = lts_calloc(1, sizeof *urls));
    if (kind == NID_crl_distribution_points) {
        cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
        for (int i = 0; cdp != NULL && i < sk_DIST_POINT_num(cdp); i++) {
            DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
            if (dp->distpoint == NULL || dp->distpoint->type != 0)
                continue; /* nameRelativeToCRLIssuer: not a URL */
            GENERAL_NAMES *gn = dp->distpoint->name.fullname;
            for (int j = 0; j < sk_GENERAL_NAME_num(gn); j++) {
                GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, j);
                if (g->type == GEN_URI)
                    LTS_TRY(push_url(&urls, &n, g->d.uniformResourceIdentifier));
            }
        }
    } else {
        aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
        for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
            ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
            if (OBJ_obj2nid(ad->method) == kind && ad->location->type == GEN_URI)
                LTS_TRY(push_url(&urls, &n, ad->location->d.uniformResourceIdentifier));
        }
    }
    *out = urls;
    if (n_out)
        *n_out = n;
    urls = NULL;
out:
    ERR_clear_error();
    AUTHORITY_INFO_ACCESS_free(aia);
    sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
    lts_vdata__urls_free(urls);
    return rc;
}

void lts_vdata__urls_free(char **urls)
{
    if (urls == NULL)
        return;
    for (char **u = urls; *u; u++)
        lts_free(*u);
    lts_free(urls);
}

/* The certificates of a DER PKCS#7 (certs-only SignedData, RFC 5280 §4.2.2.1). */
static lts_status p7_certs(PKCS7 *p7, STACK_OF(X509) *into, const char *where)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *certs = NULL;
    if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL)
        certs = p7->d.sign->cert;
    LTS_ENSURE(certs != NULL && sk_X509_num(certs) > 0, LTS_E_INPUT,
               "%s: PKCS#7 without certificates", where);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        LTS_OSSL(X509_up_ref(x), "X509_up_ref");
        if (!sk_X509_push(into, x)) {
            X509_free(x);
            LTS_FAIL(LTS_E_NOMEM, "out of memory");
        }
    }
out:
    return rc;
}

static lts_status der_certs(const unsigned char *d, long len, STACK_OF(X509) *into,
                            const char *where)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = d;
    X509 *x = NULL;
    PKCS7 *p7 = NULL;
    x = d2i_X509(NULL, &p, len);
    if (x != NULL && p == d + len) {
        LTS_ENSURE(sk_X509_push(into, x), LTS_E_NOMEM, "out of memory");
        x = NULL;
        goto out;
    }
    p = d;
    p7 = d2i_PKCS7(NULL, &p, len);
    if (p7 != NULL && p == d + len) {
        LTS_TRY(p7_certs(p7, into, where));
        goto out;
    }
    LTS_FAIL(LTS_E_INPUT, "%s: neither a DER certificate nor a PKCS#7 certs-only bundle", where);
out:
    ERR_clear_error();
    X509_free(x);
    PKCS7_free(p7);
    return rc;
}

lts_status lts_vdata__parse_certs(lts_span data, STACK_OF(X509) *into, const char *where)
{
    lts_status rc = LTS_OK;
    BIO *bio = NULL;
    char *name = NULL, *hdr = NULL;
    unsigned char *der = NULL;
    long len = 0;
    int found = 0;
    LTS_ENSURE(data.n > 0 && data.n < (size_t)INT_MAX, LTS_E_INPUT, "%s: empty or too large", where);
    if (data.n < 11 || memmem(data.p, data.n < 4096 ? data.n : 4096, "-----BEGIN ", 11) == NULL) {
        LTS_TRY(der_certs(data.p, (long)data.n, into, where));
        goto out;
    }
    LTS_ALLOC(bio = BIO_new_mem_buf(data.p, (int)data.n));
    while (PEM_read_bio(bio, &name, &hdr, &der, &len) == 1) {
        if (strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0
            || strcmp(name, "TRUSTED CERTIFICATE") == 0 || strcmp(name, "PKCS7") == 0) {
            if (strcmp(name, "TRUSTED CERTIFICATE") == 0) {
                const unsigned char *p = der;
                X509 *x = d2i_X509_AUX(NULL, &p, len);
                LTS_ENSURE(x != NULL, LTS_E_INPUT, "%s: bad TRUSTED CERTIFICATE block", where);
                if (!sk_X509_push(into, x)) {
                    X509_free(x);
                    LTS_FAIL(LTS_E_NOMEM, "out of memory");
                }
            } else {
                LTS_TRY(der_certs(der, len, into, where));
            }
            found++;
        }
        OPENSSL_free(name);
        OPENSSL_free(hdr);
        OPENSSL_free(der);
        name = hdr = NULL;
        der = NULL;
    }
    LTS_ENSURE(found > 0, LTS_E_INPUT, "%s: no certificate in this PEM", where);
out:
    ERR_clear_error();
    OPENSSL_free(name);
    OPENSSL_free(hdr);
    OPENSSL_free(der);
    BIO_free(bio);
    return rc;
}

lts_status lts_vdata__load_certs(const char *path, STACK_OF(X509) **out)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    STACK_OF(X509) *sk = NULL;
    *out = NULL;
    LTS_TRY(lts_io__read_file(&data, path, LTS_VDATA_MAX_CRL));
    LTS_ALLOC(sk = sk_X509_new_null());
    LTS_TRY(lts_vdata__parse_certs(lts_buf_span(&data), sk, path));
    *out = sk;
    sk = NULL;
out:
    sk_X509_pop_free(sk, X509_free);
    lts_buf_dispose(&data);
    return rc;
}

lts_status lts_vdata__reason(lts_status rc, int reason, const char *prefix)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", lts_error_last()->message);
    if (prefix != NULL)
        return lts_err__set(rc, LTS_MODULE, reason, "%s %s", prefix, msg);
    return lts_err__set(rc, LTS_MODULE, reason, "%s", msg);
}

lts_status lts_vdata__http(const char *what, const char *url, const lts_span *body,
                           const char *content_type, long timeout_s, const char *ca_file,
                           size_t max, lts_buf *out)
{
    lts_status rc = LTS_OK;
    lts_http_opts ho = LTS_HTTP_OPTS_INIT;
    long status = 0;
    long t = timeout_s > 0 ? timeout_s : LTS_VDATA_TIMEOUT;
    ho.timeout_s = t;
    ho.max_response = max;
    ho.content_type = content_type;
    ho.ca_file = ca_file;
    out->n = 0;
    rc = lts_http__request(url, body, &ho, &status, out);
    if (rc == LTS_E_TIMEOUT)
        LTS_FAIL_R(LTS_E_TIMEOUT, LTS_VDATA_R_HTTP, "%s %s did not answer within %ld s", what, url, t);
    if (rc != LTS_OK) { /* the message starts with the URL */
        rc = lts_vdata__reason(rc, rc == LTS_E_NET ? LTS_VDATA_R_HTTP : 0, what);
        goto out;
    }
    LTS_ENSURE(status == 200, LTS_E_NET, "%s %s answered HTTP %ld", what, url, status);
    LTS_ENSURE(out->n > 0, LTS_E_NET, "%s %s answered with an empty body", what, url);
out:
    if (rc != LTS_OK)
        out->n = 0;
    return rc;
}

lts_status lts_vdata__fetch_issuer(const char *url, X509 *cert, long timeout_s,
                                   const char *ca_file, X509 **out)
{
    lts_status rc = LTS_OK;
    lts_buf body = LTS_BUF_INIT;
    STACK_OF(X509) *sk = NULL;
    char where[600], name[256];
    *out = NULL;
    snprintf(where, sizeof where, "caIssuers at %s", url);
    LTS_TRY(lts_vdata__http("caIssuers server", url, NULL, NULL, timeout_s, ca_file,
                            LTS_VDATA_MAX_CERTS, &body));
    LTS_ALLOC(sk = sk_X509_new_null());
    rc = lts_vdata__parse_certs(lts_buf_span(&body), sk, where);
    if (rc != LTS_OK) {
        rc = lts_vdata__reason(rc, LTS_VDATA_R_GARBAGE, NULL);
        goto out;
    }
    for (int i = 0; i < sk_X509_num(sk); i++) {
        X509 *x = sk_X509_value(sk, i);
        if (lts_vdata__issued_by(cert, x)) {
            LTS_OSSL(X509_up_ref(x), "X509_up_ref");
            *out = x;
            goto out;
        }
    }
    LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_NO_ISSUER, "%s: no certificate there issued %s", where,
               lts_vdata__name(cert, name, sizeof name));
out:
    sk_X509_pop_free(sk, X509_free);
    lts_buf_dispose(&body);
    return rc;
}
