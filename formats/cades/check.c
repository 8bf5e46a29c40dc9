/* see ltsig/cades.h: checking one SignerInfo (RFC 5652 §5.4-5.6, RFC 5035, EN 319 122-1
 * §5.2). Verdicts are written into the result; only "could not check at all" fails. */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/rsa.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

static void note(lts_cades_signer_check *r, const char *fmt, ...) LTS_PRINTF(2, 3);
static void note(lts_cades_signer_check *r, const char *fmt, ...)
{
    va_list ap;
    if (r->detail[0])
        return; /* keep the first problem */
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

/* The OpenSSL error text, for a detail line; clears the queue. */
static const char *ossl_text(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    buf[0] = 0;
    if (e)
        ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

lts_status lts_cades__signed_attrs_der(CMS_SignerInfo *si, lts_buf *out)
{
    lts_status rc = LTS_OK;
    int n = CMS_signed_get_attr_count(si);
    lts_buf *items = NULL;
    lts_span *spans = NULL;
    LTS_ENSURE(n > 0, LTS_E_INPUT, "no signed attributes");
    LTS_ALLOC(items = lts_calloc((size_t)n, sizeof *items));
    LTS_ALLOC(spans = lts_calloc((size_t)n, sizeof *spans));
    for (int i = 0; i < n; i++) {
        unsigned char *der = NULL;
        int len = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &der);
        LTS_TRY(lts_cades__append_i2d(&items[i], der, len, "signed attribute"));
        spans[i] = lts_buf_span(&items[i]);
    }
    LTS_TRY(lts_der__append_set_of(out, spans, (size_t)n));
out:
    if (items) {
        for (int i = 0; i < n; i++)
            lts_buf_dispose(&items[i]);
    }
    lts_free(items);
    lts_free(spans);
    return rc;
}

/* The single value of a signed attribute, or NULL (absent, repeated, or multi-valued). */
static ASN1_TYPE *one_value(CMS_SignerInfo *si, int nid, int *count)
{
    int loc = CMS_signed_get_attr_by_NID(si, nid, -1);
    *count = 0;
    if (loc < 0)
        return NULL;
    *count = 1;
    if (CMS_signed_get_attr_by_NID(si, nid, loc) >= 0)
        *count = 2;
    X509_ATTRIBUTE *a = CMS_signed_get_attr(si, loc);
    if (*count != 1 || X509_ATTRIBUTE_count(a) != 1)
        return NULL;
    return X509_ATTRIBUTE_get0_type(a, 0);
}

static void check_content_type(CMS_ContentInfo *cms, CMS_SignerInfo *si,
                               lts_cades_signer_check *r)
{
    int cnt = 0;
    ASN1_TYPE *t = one_value(si, NID_pkcs9_contentType, &cnt);
    if (t == NULL || ASN1_TYPE_get(t) != V_ASN1_OBJECT) {
        r->content_type = LTS_CADES_BAD;
        note(r, cnt ? "malformed content-type attribute" : "no content-type attribute");
    } else if (OBJ_cmp(t->value.object, CMS_get0_eContentType(cms)) != 0) {
        r->content_type = LTS_CADES_BAD;
        note(r, "content-type attribute differs from eContentType");
    } else {
        r->content_type = LTS_CADES_OK;
    }
}

static lts_status check_digest(CMS_ContentInfo *cms, CMS_SignerInfo *si,
                               const lts_cades_check_opts *o, lts_cades_signer_check *r)
{
    lts_status rc = LTS_OK;
    ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
    uint8_t dg[LTS_HASH_MAX];
    size_t dn = 0;
    lts_span have = lts_span_of(NULL, 0);
    int cnt = 0;
    ASN1_TYPE *t = one_value(si, NID_pkcs9_messageDigest, &cnt);

    if (t == NULL || ASN1_TYPE_get(t) != V_ASN1_OCTET_STRING) {
        r->message_digest = LTS_CADES_BAD;
        note(r, cnt ? "malformed message-digest attribute" : "no message-digest attribute");
        goto out;
    }
    if (r->alg.hash == LTS_HASH_NONE)
        goto out; /* unknown digest algorithm: detail already says so */
    if (pos != NULL && *pos != NULL) {
        LTS_TRY(lts_digest__span(r->alg.hash,
                                 lts_span_of(ASN1_STRING_get0_data(*pos),
                                             (size_t)ASN1_STRING_length(*pos)), dg, &dn));
        have = lts_span_of(dg, dn);
    } else if (o->digest.n > 0) {
        have = o->digest;
    } else if (o->detached_path != NULL) {
        LTS_TRY(lts_digest__file(r->alg.hash, o->detached_path, NULL, 0, dg, &dn));
        have = lts_span_of(dg, dn);
    } else {
        note(r, "detached signature and no signed content given");
        goto out;
    }
    r->content_found = 1;
    if (lts_span_eq(have, lts_span_of(ASN1_STRING_get0_data(t->value.octet_string),
                                      (size_t)ASN1_STRING_length(t->value.octet_string)))) {
        r->message_digest = LTS_CADES_OK;
    } else {
        r->message_digest = LTS_CADES_BAD;
        note(r, "the message-digest attribute does not match the %s digest of the content",
             lts_hash_name(r->alg.hash));
    }
out:
    return rc;
}

static int key_fits(EVP_PKEY *pk, lts_scheme s)
{
    if (s == LTS_SCHEME_ECDSA)
        return EVP_PKEY_is_a(pk, "EC");
    return EVP_PKEY_is_a(pk, "RSA") || (s == LTS_SCHEME_RSA_PSS && EVP_PKEY_is_a(pk, "RSA-PSS"));
}

static lts_status check_signature(CMS_SignerInfo *si, X509 *cert, int salt, lts_hash mgf,
                                  lts_cades_signer_check *r)
{
    lts_status rc = LTS_OK;
    lts_buf tbs = LTS_BUF_INIT;
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
    char err[160];
    int v;

    if (pk == NULL || !key_fits(pk, r->alg.scheme)) {
        r->signature = LTS_CADES_BAD;
        note(r, "the signer certificate's key does not fit %s", lts_scheme_name(r->alg.scheme));
        ERR_clear_error();
        goto out;
    }
    LTS_TRY(lts_cades__signed_attrs_der(si, &tbs));
    LTS_ALLOC(mctx = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestVerifyInit(mctx, &pctx, lts_hash__md(r->alg.hash), NULL, pk) == 1,
             "EVP_DigestVerifyInit");
    if (r->alg.scheme == LTS_SCHEME_RSA_PSS) {
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1, "PSS padding");
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1, "PSS salt length");
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, lts_hash__md(mgf)) == 1, "MGF1 digest");
    } else if (r->alg.scheme == LTS_SCHEME_RSA_PKCS1) {
        LTS_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1, "PKCS#1 padding");
    }
    /* the key and parameters are set: from here on a failure is about the value itself
     * (a malformed ECDSA value makes OpenSSL return -1), so it is a verdict */
    v = EVP_DigestVerify(mctx, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
                         tbs.p, tbs.n);
    if (v == 1) {
        r->signature = LTS_CADES_OK;
    } else {
        r->signature = LTS_CADES_BAD;
        note(r, "the signature value does not verify with the signer certificate%s%s",
             ossl_text(err, sizeof err)[0] ? ": " : "", err);
    }
out:
    ERR_clear_error();
    EVP_MD_CTX_free(mctx);
    lts_buf_dispose(&tbs);
    return rc;
}

static void check_signing_cert(CMS_SignerInfo *si, X509 *cert, lts_cades_signer_check *r)
{
    ESS_SIGNING_CERT *v1 = NULL;
    ESS_SIGNING_CERT_V2 *v2 = NULL;
    STACK_OF(X509) *chain = NULL;
    int c1 = 0, c2 = 0;
    ASN1_TYPE *t2 = one_value(si, NID_id_smime_aa_signingCertificateV2, &c2);
    ASN1_TYPE *t1 = one_value(si, NID_id_smime_aa_signingCertificate, &c1);
    const unsigned char *p;
    char err[160];

    r->signing_cert = LTS_CADES_BAD;
    if (c1 == 0 && c2 == 0) {
        note(r, "no signing-certificate-v2 (or signing-certificate) attribute");
        goto out;
    }
    r->signing_cert_attr = c2 ? 2 : 1;
    if ((c2 && (t2 == NULL || ASN1_TYPE_get(t2) != V_ASN1_SEQUENCE)) ||
        (c1 && (t1 == NULL || ASN1_TYPE_get(t1) != V_ASN1_SEQUENCE))) {
        note(r, "malformed signing-certificate attribute");
        goto out;
    }
    if (c2) {
        p = ASN1_STRING_get0_data(t2->value.sequence);
        v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(t2->value.sequence));
    }
    if (c1) {
        p = ASN1_STRING_get0_data(t1->value.sequence);
        v1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(t1->value.sequence));
    }
    if ((c2 && v2 == NULL) || (c1 && v1 == NULL)) {
        note(r, "malformed signing-certificate attribute");
        goto out;
    }
    if (cert == NULL) {
        r->signing_cert = LTS_CADES_UNCHECKED;
        goto out;
    }
    if ((chain = sk_X509_new_null()) == NULL || sk_X509_push(chain, cert) <= 0) {
        r->signing_cert = LTS_CADES_UNCHECKED;
        note(r, "out of memory");
        goto out;
    }
    if (OSSL_ESS_check_signing_certs(v1, v2, chain, 1) == 1) {
        r->signing_cert = LTS_CADES_OK;
    } else {
        note(r, "the signing-certificate%s attribute does not match the signer certificate (%s)",
             c2 ? "-v2" : "", ossl_text(err, sizeof err));
    }
out:
    ERR_clear_error();
    sk_X509_free(chain); /* cert is borrowed */
    ESS_SIGNING_CERT_free(v1);
    ESS_SIGNING_CERT_V2_free(v2);
}

static void read_signing_time(CMS_SignerInfo *si, lts_cades_signer_check *r)
{
    int cnt = 0;
    ASN1_TYPE *t = one_value(si, NID_pkcs9_signingTime, &cnt);
    struct tm tm;
    if (t == NULL)
        return;
    if ((ASN1_TYPE_get(t) != V_ASN1_UTCTIME && ASN1_TYPE_get(t) != V_ASN1_GENERALIZEDTIME) ||
        ASN1_TIME_to_tm(t->value.utctime, &tm) != 1) {
        ERR_clear_error();
        return;
    }
    r->has_signing_time = 1;
    r->signing_time = (lts_time)timegm(&tm);
}

/* The embedded certificate that the SignerIdentifier names, as an index; -1 if none. */
static long find_signer(CMS_ContentInfo *cms, CMS_SignerInfo *si, X509 **out)
{
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    long found = -1;
    *out = NULL;
    for (int i = 0; certs && i < sk_X509_num(certs) && found < 0; i++) {
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
            found = i;
            *out = sk_X509_value(certs, i);
            X509_up_ref(*out);
        }
    }
    sk_X509_pop_free(certs, X509_free);
    ERR_clear_error();
    return found;
}

lts_status lts_cades_check_signer(const lts_cades *c, size_t i, const lts_cades_check_opts *o,
                                  lts_cades_signer_check *out)
{
    lts_status rc = LTS_OK;
    lts_cades_check_opts def = LTS_CADES_CHECK_OPTS_INIT;
    CMS_ContentInfo *cms = c->cms;
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    CMS_SignerInfo *si = NULL;
    X509 *cert = NULL;
    int salt = -1;
    lts_hash mgf = LTS_HASH_NONE;
    lts_status arc;

    memset(out, 0, sizeof *out);
    out->signer_cert = -1;
    if (o == NULL)
        o = &def;
    LTS_ENSURE(o->version >= 1, LTS_E_CONFIG, "check options not initialised");
    LTS_ENSURE(sis != NULL && i < (size_t)sk_CMS_SignerInfo_num(sis), LTS_E_NOTFOUND,
               "no SignerInfo number %zu", i + 1);
    si = sk_CMS_SignerInfo_value(sis, (int)i);
    out->signer_cert = find_signer(cms, si, &cert);
    if (out->signer_cert < 0)
        note(out, "the signer certificate is not in the SignedData");
    arc = lts_cades__si_alg(si, &out->alg, &salt, &mgf);
    if (arc != LTS_OK) {
        note(out, "%s", lts_error_last()->message);
        lts_error_clear();
        if (arc != LTS_E_UNSUPPORTED && arc != LTS_E_INPUT)
            LTS_FAIL(arc, "cannot read the signature algorithm");
    }
    out->has_signed_attrs = CMS_signed_get_attr_count(si) > 0;
    if (!out->has_signed_attrs) {
        note(out, "the SignerInfo has no signed attributes (not CAdES)");
        goto out;
    }
    check_content_type(cms, si, out);
    LTS_TRY(check_digest(cms, si, o, out));
    if (cert != NULL && arc == LTS_OK)
        LTS_TRY(check_signature(si, cert, salt, mgf, out));
    check_signing_cert(si, cert, out);
    read_signing_time(si, out);
out:
    X509_free(cert);
    return rc;
}
