/* see ltsig/cades.h: parsing CMS SignedData from any producer (RFC 5652 §3, §5). */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <string.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "core/der.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/oid.h"

static int is_pem(lts_span d)
{
    size_t i = 0;
    while (i < d.n && (d.p[i] == ' ' || d.p[i] == '\t' || d.p[i] == '\r' || d.p[i] == '\n'))
        i++;
    return d.n - i >= 10 && memcmp(d.p + i, "-----BEGIN", 10) == 0;
}

/* Decode the first PEM block labelled CMS or PKCS7 into der. */
static lts_status pem_decode(lts_buf *der, lts_span data)
{
    lts_status rc = LTS_OK;
    BIO *bio = NULL;
    char *name = NULL, *header = NULL;
    unsigned char *bytes = NULL;
    long len = 0;
    LTS_ENSURE(data.n <= INT_MAX, LTS_E_INPUT, "PEM input too large");
    LTS_ALLOC(bio = BIO_new_mem_buf(data.p, (int)data.n));
    if (PEM_read_bio(bio, &name, &header, &bytes, &len) != 1)
        LTS_FAIL_OSSL(LTS_E_INPUT, "malformed PEM");
    LTS_ENSURE(strcmp(name, "CMS") == 0 || strcmp(name, "PKCS7") == 0, LTS_E_INPUT,
               "PEM block '%.40s' is not CMS or PKCS7", name);
    LTS_TRY(lts_buf_append(der, bytes, (size_t)len));
out:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(bytes);
    BIO_free(bio);
    return rc;
}

static lts_status collect_certs(lts_cades *c)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *certs = CMS_get1_certs(c->cms);
    int n = certs ? sk_X509_num(certs) : 0;
    ERR_clear_error(); /* no certificates is not an error */
    if (n > 0)
        LTS_ALLOC(c->certs = lts_calloc((size_t)n, sizeof *c->certs));
    for (int i = 0; i < n; i++) {
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(certs, i), &der);
        LTS_TRY(lts_cades__append_i2d(&c->certs[i], der, len, "certificate"));
        c->n_certs++;
    }
out:
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/* Count the RevocationInfoChoices of SignedData.crls (CRLs and other formats such as
 * id-ri-ocsp-response, which OpenSSL does not list). Indefinite-length input: the CRLs
 * OpenSSL found. */
static size_t count_revocations(const lts_cades *c)
{
    lts_der_tlv ci, k, sd;
    lts_span v;
    size_t n = 0;
    STACK_OF(X509_CRL) *crls;
    if (lts_der__one(lts_buf_span(&c->der), &ci) != LTS_OK)
        goto fallback;
    v = ci.value;
    if (lts_der__next(&v, &k) != LTS_OK || lts_der__next(&v, &k) != LTS_OK ||
        lts_der__one(k.value, &sd) != LTS_OK)
        goto fallback;
    v = sd.value;
    while (v.n > 0) {
        if (lts_der__next(&v, &k) != LTS_OK)
            goto fallback;
        if (k.cls == V_ASN1_CONTEXT_SPECIFIC && k.tag == 1) {
            lts_span r = k.value;
            while (r.n > 0) {
                if (lts_der__next(&r, &k) != LTS_OK)
                    goto fallback;
                n++;
            }
            return n;
        }
    }
    return 0;
fallback:
    lts_error_clear();
    crls = CMS_get1_crls(c->cms);
    n = crls ? (size_t)sk_X509_CRL_num(crls) : 0;
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    ERR_clear_error();
    return n;
}

size_t lts_cades_unsigned_attr_count(const lts_cades *c, size_t i, const char *oid)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    CMS_SignerInfo *si;
    char buf[96];
    size_t n = 0;
    if (sis == NULL || oid == NULL || i >= (size_t)sk_CMS_SignerInfo_num(sis))
        return 0;
    si = sk_CMS_SignerInfo_value(sis, (int)i);
    for (int a = 0; a < CMS_unsigned_get_attr_count(si); a++) {
        const ASN1_OBJECT *o = X509_ATTRIBUTE_get0_object(CMS_unsigned_get_attr(si, a));
        if (OBJ_obj2txt(buf, sizeof buf, o, 1) > 0 && strcmp(buf, oid) == 0)
            n++;
    }
    return n;
}

lts_status lts_cades_revocation(const lts_cades *c, size_t k, int *is_ocsp, lts_span *der)
{
    lts_status rc = LTS_OK;
    lts_der_tlv ci, t, sd, item, oid, resp;
    lts_span v;
    size_t n = 0;
    ASN1_OBJECT *o = NULL;
    const unsigned char *p;

    *is_ocsp = 0;
    *der = lts_span_of(NULL, 0);
    LTS_TRY(lts_der__one(lts_buf_span(&c->der), &ci));
    v = ci.value;
    LTS_TRY(lts_der__next(&v, &t));
    LTS_TRY(lts_der__next(&v, &t));
    LTS_TRY(lts_der__one(t.value, &sd));
    v = sd.value;
    while (v.n > 0) {
        LTS_TRY(lts_der__next(&v, &t));
        if (t.cls != V_ASN1_CONTEXT_SPECIFIC || t.tag != 1)
            continue;
        lts_span r = t.value;
        while (r.n > 0) {
            LTS_TRY(lts_der__next(&r, &item));
            if (n++ != k)
                continue;
            if (item.cls == V_ASN1_UNIVERSAL && item.tag == V_ASN1_SEQUENCE) {
                *der = item.all; /* CertificateList */
                goto out;
            }
            /* [1] OtherRevocationInfoFormat { otherRevInfoFormat, otherRevInfo } */
            lts_span in = item.value;
            LTS_TRY(lts_der__next(&in, &oid));
            LTS_TRY(lts_der__next(&in, &resp));
            p = oid.all.p;
            o = d2i_ASN1_OBJECT(NULL, &p, (long)oid.all.n);
            LTS_ENSURE(o != NULL && lts_oid__is(o, LTS_OID_RI_OCSP_RESPONSE), LTS_E_UNSUPPORTED,
                       "revocation value %zu is of an unknown format", k + 1);
            *is_ocsp = 1;
            *der = resp.all;
            goto out;
        }
    }
    LTS_FAIL(LTS_E_NOTFOUND, "no revocation value number %zu", k + 1);
out:
    ASN1_OBJECT_free(o);
    ERR_clear_error();
    return rc;
}

lts_status lts_cades_revocation_value(const lts_cades *c, size_t i, size_t k, int *is_ocsp,
                                      lts_span *der)
{
    lts_status rc = LTS_OK;
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    CMS_SignerInfo *si;
    size_t n = 0;

    *is_ocsp = 0;
    *der = lts_span_of(NULL, 0);
    LTS_ENSURE(sis != NULL && i < (size_t)sk_CMS_SignerInfo_num(sis), LTS_E_NOTFOUND,
               "no SignerInfo number %zu", i + 1);
    si = sk_CMS_SignerInfo_value(sis, (int)i);
    for (int a = 0; a < CMS_unsigned_get_attr_count(si); a++) {
        X509_ATTRIBUTE *at = CMS_unsigned_get_attr(si, a);
        if (!lts_oid__is(X509_ATTRIBUTE_get0_object(at), LTS_OID_AA_REVOC_VALUES))
            continue;
        for (int v = 0; v < X509_ATTRIBUTE_count(at); v++) {
            ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(at, v);
            lts_der_tlv rv, part, lst, item;
            if (ASN1_TYPE_get(t) != V_ASN1_SEQUENCE)
                continue;
            LTS_TRY(lts_der__one(lts_span_of(ASN1_STRING_get0_data(t->value.sequence),
                                             (size_t)ASN1_STRING_length(t->value.sequence)),
                                 &rv));
            lts_span parts = rv.value;
            while (parts.n > 0) {
                LTS_TRY(lts_der__next(&parts, &part)); /* [0] crlVals, [1] ocspVals */
                if (part.cls != V_ASN1_CONTEXT_SPECIFIC || part.tag > 1)
                    continue;
                LTS_TRY(lts_der__one(part.value, &lst));
                lts_span items = lst.value;
                while (items.n > 0) {
                    LTS_TRY(lts_der__next(&items, &item));
                    if (n++ == k) {
                        *is_ocsp = part.tag == 1;
                        *der = item.all;
                        goto out;
                    }
                }
            }
        }
    }
    LTS_FAIL(LTS_E_NOTFOUND, "no revocation value number %zu", k + 1);
out:
    return rc;
}

size_t lts_cades_revocation_count(const lts_cades *c)
{
    return count_revocations(c);
}

lts_status lts_cades_parse(lts_cades **out, lts_span data)
{
    lts_status rc = LTS_OK;
    lts_cades *c = NULL;
    const unsigned char *p;

    *out = NULL;
    LTS_ENSURE(data.n > 0, LTS_E_INPUT, "empty input, not CMS");
    LTS_ALLOC(c = lts_calloc(1, sizeof *c));
    if (is_pem(data))
        LTS_TRY(pem_decode(&c->der, data));
    else
        LTS_TRY(lts_buf_set(&c->der, data));
    LTS_ENSURE(c->der.n <= LONG_MAX, LTS_E_INPUT, "CMS too large");
    p = c->der.p;
    c->cms = d2i_CMS_ContentInfo(NULL, &p, (long)c->der.n);
    if (c->cms == NULL)
        LTS_FAIL_OSSL(LTS_E_INPUT, "not a CMS ContentInfo (truncated or malformed)");
    LTS_ENSURE(p == c->der.p + c->der.n, LTS_E_INPUT, "%zu trailing bytes after the CMS",
               (size_t)(c->der.p + c->der.n - p));
    LTS_ENSURE(OBJ_obj2nid(CMS_get0_type(c->cms)) == NID_pkcs7_signed, LTS_E_INPUT,
               "the CMS is not SignedData");
    LTS_TRY(collect_certs(c));
    *out = c;
    c = NULL;
out:
    lts_cades_free(c);
    return rc;
}

void lts_cades_free(lts_cades *c)
{
    if (c == NULL)
        return;
    CMS_ContentInfo_free(c->cms);
    lts_buf_dispose(&c->der);
    for (size_t i = 0; i < c->n_certs; i++)
        lts_buf_dispose(&c->certs[i]);
    lts_free(c->certs);
    lts_free(c);
}

size_t lts_cades_signer_count(const lts_cades *c)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    int n = sis ? sk_CMS_SignerInfo_num(sis) : 0;
    return n > 0 ? (size_t)n : 0;
}

int lts_cades_has_content(const lts_cades *c)
{
    ASN1_OCTET_STRING **pos = CMS_get0_content(c->cms);
    return pos != NULL && *pos != NULL;
}

size_t lts_cades_cert_count(const lts_cades *c)
{
    return c->n_certs;
}

lts_span lts_cades_cert(const lts_cades *c, size_t i)
{
    return i < c->n_certs ? lts_buf_span(&c->certs[i]) : lts_span_of(NULL, 0);
}

lts_span lts_cades_der(const lts_cades *c)
{
    return lts_buf_span(&c->der);
}
