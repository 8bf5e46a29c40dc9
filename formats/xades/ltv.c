/* formats/xades/ltv.c — validation data in the unsigned signature properties:
 * B-LT (EN 319 132-1 §5.4: xades:CertificateValues, xades:RevocationValues) and the
 * ISO 14533-2 / TS 101 903 ES-XL form, which adds xades:CompleteCertificateRefs and
 * xades:CompleteRevocationRefs before the values. The data comes from lts_vdata_collect for
 * the signer's chain and for the chain of every SignatureTimeStamp's TSA. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <ltsig/cades.h>
#include <ltsig/vdata.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

/* A set of DER blobs without duplicates, in the order first seen. */
typedef struct {
    lts_buf *v;
    size_t n;
} blobs;

static lts_status blobs_add(blobs *s, lts_span x)
{
    lts_status rc = LTS_OK;
    lts_buf *nv;
    for (size_t i = 0; i < s->n; i++)
        if (lts_span_eq(lts_buf_span(&s->v[i]), x))
            goto out;
    LTS_ALLOC(nv = lts_realloc(s->v, (s->n + 1) * sizeof *nv));
    s->v = nv;
    memset(&s->v[s->n], 0, sizeof s->v[s->n]);
    LTS_TRY(lts_buf_set(&s->v[s->n], x));
    s->n++;
out:
    return rc;
}

static void blobs_free(blobs *s)
{
    for (size_t i = 0; i < s->n; i++)
        lts_buf_dispose(&s->v[i]);
    lts_free(s->v);
    memset(s, 0, sizeof *s);
}

typedef struct {
    blobs certs, ocsps, crls;
} vdata_sets;

static lts_status add_bundle(vdata_sets *v, const lts_vdata_bundle *b)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; i < b->n_certs; i++)
        LTS_TRY(blobs_add(&v->certs, lts_buf_span(&b->certs[i])));
    for (size_t i = 0; i < b->n_ocsps; i++)
        LTS_TRY(blobs_add(&v->ocsps, lts_buf_span(&b->ocsps[i])));
    for (size_t i = 0; i < b->n_crls; i++)
        LTS_TRY(blobs_add(&v->crls, lts_buf_span(&b->crls[i])));
out:
    return rc;
}

/* The chain of the TSA of one SignatureTimeStamp. */
static lts_status collect_tsa(vdata_sets *v, xmlNodePtr sts, lts_vdata_source *src,
                              const lts_vdata_collect_opts *co)
{
    lts_status rc = LTS_OK;
    lts_buf text = LTS_BUF_INIT, der = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_span *cands = NULL;
    size_t n;
    xmlNodePtr ets = lts_xades__child(sts, "EncapsulatedTimeStamp", LTS_NS_XADES);

    LTS_ENSURE(ets != NULL, LTS_E_INPUT, "SignatureTimeStamp without EncapsulatedTimeStamp");
    LTS_TRY(lts_xades__text(ets, &text));
    LTS_TRY(lts_b64__decode(&der, (const char *)text.p, text.n));
    LTS_TRY(lts_cades_parse(&c, lts_buf_span(&der)));
    LTS_TRY(lts_cades_check_signer(c, 0, NULL, &k));
    LTS_ENSURE(k.signer_cert >= 0, LTS_E_INPUT, "the timestamp token does not carry the TSA "
                                                "certificate");
    n = lts_cades_cert_count(c);
    LTS_ALLOC(cands = lts_calloc(n ? n : 1, sizeof *cands));
    for (size_t i = 0; i < n; i++)
        cands[i] = lts_cades_cert(c, i);
    if ((rc = lts_vdata_collect(src, lts_cades_cert(c, (size_t)k.signer_cert), cands, n, co,
                                &b)) != LTS_OK) {
        lts_err__wrap("validation data of the TSA");
        goto out;
    }
    LTS_TRY(add_bundle(v, &b));
out:
    lts_vdata_bundle_dispose(&b);
    lts_free(cands);
    lts_cades_free(c);
    lts_buf_dispose(&text);
    lts_buf_dispose(&der);
    return rc;
}

/* The signature's first proof of existence: the earliest genTime of its SignatureTimeStamps,
 * or now when it has none (a token that cannot be read does not count). */
static lts_time first_poe(xmlNodePtr usp, const lts_clock *clock)
{
    lts_time poe = lts_clock_now(clock);
    for (xmlNodePtr s = usp ? lts_xades__first_el(usp) : NULL; s; s = lts_xades__next_el(s)) {
        xmlNodePtr ets;
        lts_buf text = LTS_BUF_INIT, der = LTS_BUF_INIT;
        PKCS7 *p7 = NULL;
        TS_TST_INFO *tst = NULL;
        struct tm tm;
        if (!lts_xades__is(s, "SignatureTimeStamp", LTS_NS_XADES) ||
            (ets = lts_xades__child(s, "EncapsulatedTimeStamp", LTS_NS_XADES)) == NULL)
            continue;
        if (lts_xades__text(ets, &text) == LTS_OK &&
            lts_b64__decode(&der, (const char *)text.p, text.n) == LTS_OK) {
            const unsigned char *p = der.p;
            p7 = d2i_PKCS7(NULL, &p, (long)der.n);
            tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
            if (tst && ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) == 1 &&
                (lts_time)timegm(&tm) < poe)
                poe = (lts_time)timegm(&tm);
        }
        TS_TST_INFO_free(tst);
        PKCS7_free(p7);
        lts_buf_dispose(&text);
        lts_buf_dispose(&der);
    }
    ERR_clear_error();
    lts_error_clear();
    return poe;
}

static lts_status collect_all(vdata_sets *v, xmlNodePtr usp, lts_vdata_source *src,
                              const char *trust, const lts_clock *clock, STACK_OF(X509) *chain)
{
    lts_status rc = LTS_OK;
    lts_vdata_collect_opts co = LTS_VDATA_COLLECT_OPTS_INIT;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    unsigned char **ders = NULL;
    lts_span *cands = NULL;
    int n = sk_X509_num(chain);

    co.trust_file = trust;
    co.clock = clock;
    LTS_ENSURE(n > 0, LTS_E_INTERNAL, "the signer has no certificate");
    LTS_ALLOC(ders = lts_calloc((size_t)n, sizeof *ders));
    LTS_ALLOC(cands = lts_calloc((size_t)n, sizeof *cands));
    for (int i = 0; i < n; i++) {
        int len = i2d_X509(sk_X509_value(chain, i), &ders[i]);
        LTS_OSSL(len > 0, "i2d_X509");
        cands[i] = lts_span_of(ders[i], (size_t)len);
    }
    co.revoked_before = first_poe(usp, clock); /* no signature after its revocation */
    rc = lts_vdata_collect(src, cands[0], cands, (size_t)n, &co, &b);
    co.revoked_before = 0;
    if (rc != LTS_OK) {
        lts_err__wrap("validation data of the signer");
        goto out;
    }
    LTS_TRY(add_bundle(v, &b));
    for (xmlNodePtr s = lts_xades__first_el(usp); s; s = lts_xades__next_el(s))
        if (lts_xades__is(s, "SignatureTimeStamp", LTS_NS_XADES))
            LTS_TRY(collect_tsa(v, s, src, &co));
out:
    for (int i = 0; ders && i < n; i++)
        OPENSSL_free(ders[i]);
    lts_free(ders);
    lts_free(cands);
    lts_vdata_bundle_dispose(&b);
    return rc;
}

/* <DigestMethod/><DigestValue/> of data under parent. */
static lts_status digest_pair(xmlNodePtr parent, xmlNsPtr ds, lts_span data)
{
    lts_status rc = LTS_OK;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    lts_buf b64 = LTS_BUF_INIT;
    xmlNodePtr dm;
    LTS_ALLOC(dm = xmlNewChild(parent, ds, (const xmlChar *)"DigestMethod", NULL));
    LTS_ALLOC(xmlSetProp(dm, (const xmlChar *)"Algorithm",
                         (const xmlChar *)lts_xades__digest_uri(LTS_HASH_SHA256)));
    LTS_TRY(lts_digest__span(LTS_HASH_SHA256, data, md, &mdlen));
    LTS_TRY(lts_b64__encode(&b64, lts_span_of(md, mdlen)));
    LTS_ALLOC(xmlNewTextChild(parent, ds, (const xmlChar *)"DigestValue", (const xmlChar *)b64.p));
out:
    lts_buf_dispose(&b64);
    return rc;
}

static lts_status name_rfc2253(const X509_NAME *name, lts_buf *out)
{
    lts_status rc = LTS_OK;
    BIO *bio = NULL;
    char *p = NULL;
    long n;
    LTS_ALLOC(bio = BIO_new(BIO_s_mem()));
    LTS_OSSL(X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0, "X509_NAME_print_ex");
    n = BIO_get_mem_data(bio, &p);
    out->n = 0;
    LTS_TRY(lts_buf_append(out, p, (size_t)n));
    LTS_TRY(lts_buf_nul(out));
out:
    BIO_free(bio);
    return rc;
}

static lts_status asn1_time_text(const ASN1_TIME *t, char *out, size_t cap) /* cap >= 64 */
{
    lts_status rc = LTS_OK;
    struct tm tm;
    LTS_OSSL(ASN1_TIME_to_tm(t, &tm) == 1, "ASN1_TIME_to_tm");
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
out:
    return rc;
}

/* xades:CompleteCertificateRefs: every collected certificate but the signer's (TS 101 903
 * §7.4.1), with CertDigest and IssuerSerial. */
static lts_status cert_refs(xmlNodePtr usp, xmlNsPtr ds, xmlNsPtr xa, const blobs *certs,
                            lts_span signer)
{
    lts_status rc = LTS_OK;
    xmlNodePtr ccr, refs, cert, cd, is;
    X509 *x = NULL;
    lts_buf name = LTS_BUF_INIT;
    BIGNUM *bn = NULL;
    char *dec = NULL;

    LTS_ALLOC(ccr = xmlNewChild(usp, xa, (const xmlChar *)"CompleteCertificateRefs", NULL));
    LTS_ALLOC(refs = xmlNewChild(ccr, xa, (const xmlChar *)"CertRefs", NULL));
    for (size_t i = 0; i < certs->n; i++) {
        const unsigned char *p = certs->v[i].p;
        if (lts_span_eq(lts_buf_span(&certs->v[i]), signer))
            continue;
        LTS_OSSL((x = d2i_X509(NULL, &p, (long)certs->v[i].n)) != NULL, "d2i_X509");
        LTS_ALLOC(cert = xmlNewChild(refs, xa, (const xmlChar *)"Cert", NULL));
        LTS_ALLOC(cd = xmlNewChild(cert, xa, (const xmlChar *)"CertDigest", NULL));
        LTS_TRY(digest_pair(cd, ds, lts_buf_span(&certs->v[i])));
        LTS_ALLOC(is = xmlNewChild(cert, xa, (const xmlChar *)"IssuerSerial", NULL));
        LTS_TRY(name_rfc2253(X509_get_issuer_name(x), &name));
        LTS_ALLOC(xmlNewTextChild(is, ds, (const xmlChar *)"X509IssuerName", name.p));
        LTS_OSSL((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL,
                 "ASN1_INTEGER_to_BN");
        LTS_OSSL((dec = BN_bn2dec(bn)) != NULL, "BN_bn2dec");
        LTS_ALLOC(xmlNewTextChild(is, ds, (const xmlChar *)"X509SerialNumber", (xmlChar *)dec));
        OPENSSL_free(dec);
        dec = NULL;
        BN_free(bn);
        bn = NULL;
        X509_free(x);
        x = NULL;
    }
out:
    OPENSSL_free(dec);
    BN_free(bn);
    X509_free(x);
    lts_buf_dispose(&name);
    return rc;
}

/* xades:CompleteRevocationRefs: CRLRefs (digest, issuer, issue time) and OCSPRefs
 * (responder id, producedAt, digest). */
static lts_status revocation_refs(xmlNodePtr usp, xmlNsPtr ds, xmlNsPtr xa, const vdata_sets *v)
{
    lts_status rc = LTS_OK;
    xmlNodePtr crr, list, ref, n, id, rid;
    X509_CRL *crl = NULL;
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    lts_buf name = LTS_BUF_INIT, b64 = LTS_BUF_INIT;
    char t[64];

    LTS_ALLOC(crr = xmlNewChild(usp, xa, (const xmlChar *)"CompleteRevocationRefs", NULL));
    if (v->crls.n > 0) {
        LTS_ALLOC(list = xmlNewChild(crr, xa, (const xmlChar *)"CRLRefs", NULL));
        for (size_t i = 0; i < v->crls.n; i++) {
            const unsigned char *p = v->crls.v[i].p;
            LTS_OSSL((crl = d2i_X509_CRL(NULL, &p, (long)v->crls.v[i].n)) != NULL, "d2i_X509_CRL");
            LTS_ALLOC(ref = xmlNewChild(list, xa, (const xmlChar *)"CRLRef", NULL));
            LTS_ALLOC(n = xmlNewChild(ref, xa, (const xmlChar *)"DigestAlgAndValue", NULL));
            LTS_TRY(digest_pair(n, ds, lts_buf_span(&v->crls.v[i])));
            LTS_ALLOC(id = xmlNewChild(ref, xa, (const xmlChar *)"CRLIdentifier", NULL));
            LTS_TRY(name_rfc2253(X509_CRL_get_issuer(crl), &name));
            LTS_ALLOC(xmlNewTextChild(id, xa, (const xmlChar *)"Issuer", name.p));
            LTS_TRY(asn1_time_text(X509_CRL_get0_lastUpdate(crl), t, sizeof t));
            LTS_ALLOC(xmlNewTextChild(id, xa, (const xmlChar *)"IssueTime", (xmlChar *)t));
            X509_CRL_free(crl);
            crl = NULL;
        }
    }
    if (v->ocsps.n > 0) {
        LTS_ALLOC(list = xmlNewChild(crr, xa, (const xmlChar *)"OCSPRefs", NULL));
        for (size_t i = 0; i < v->ocsps.n; i++) {
            const unsigned char *p = v->ocsps.v[i].p;
            const ASN1_OCTET_STRING *keyid = NULL;
            const X509_NAME *rname = NULL;
            LTS_OSSL((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)v->ocsps.v[i].n)) != NULL,
                     "d2i_OCSP_RESPONSE");
            LTS_OSSL((bs = OCSP_response_get1_basic(resp)) != NULL, "OCSP_response_get1_basic");
            LTS_ALLOC(ref = xmlNewChild(list, xa, (const xmlChar *)"OCSPRef", NULL));
            LTS_ALLOC(id = xmlNewChild(ref, xa, (const xmlChar *)"OCSPIdentifier", NULL));
            LTS_ALLOC(rid = xmlNewChild(id, xa, (const xmlChar *)"ResponderID", NULL));
            LTS_OSSL(OCSP_resp_get0_id(bs, &keyid, &rname) == 1, "OCSP_resp_get0_id");
            if (rname) {
                LTS_TRY(name_rfc2253(rname, &name));
                LTS_ALLOC(xmlNewTextChild(rid, xa, (const xmlChar *)"ByName", name.p));
            } else {
                b64.n = 0;
                LTS_TRY(lts_b64__encode(&b64, lts_span_of(ASN1_STRING_get0_data(keyid),
                                                          (size_t)ASN1_STRING_length(keyid))));
                LTS_ALLOC(xmlNewTextChild(rid, xa, (const xmlChar *)"ByKey", b64.p));
            }
            LTS_TRY(asn1_time_text(OCSP_resp_get0_produced_at(bs), t, sizeof t));
            LTS_ALLOC(xmlNewTextChild(id, xa, (const xmlChar *)"ProducedAt", (xmlChar *)t));
            LTS_ALLOC(n = xmlNewChild(ref, xa, (const xmlChar *)"DigestAlgAndValue", NULL));
            LTS_TRY(digest_pair(n, ds, lts_buf_span(&v->ocsps.v[i])));
            OCSP_BASICRESP_free(bs);
            bs = NULL;
            OCSP_RESPONSE_free(resp);
            resp = NULL;
        }
    }
out:
    X509_CRL_free(crl);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    lts_buf_dispose(&name);
    lts_buf_dispose(&b64);
    return rc;
}

static lts_status encapsulate(xmlNodePtr parent, xmlNsPtr xa, const char *name, const blobs *s)
{
    lts_status rc = LTS_OK;
    lts_buf b64 = LTS_BUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        b64.n = 0;
        LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&s->v[i])));
        LTS_ALLOC(xmlNewTextChild(parent, xa, (const xmlChar *)name, b64.p));
    }
out:
    lts_buf_dispose(&b64);
    return rc;
}

/* xades:CertificateValues and xades:RevocationValues children of parent. */
static lts_status write_values(xmlNodePtr parent, xmlNsPtr xa, const vdata_sets *v)
{
    lts_status rc = LTS_OK;
    xmlNodePtr cv, rv, n;
    LTS_ALLOC(cv = xmlNewChild(parent, xa, (const xmlChar *)"CertificateValues", NULL));
    LTS_TRY(encapsulate(cv, xa, "EncapsulatedX509Certificate", &v->certs));
    LTS_ALLOC(rv = xmlNewChild(parent, xa, (const xmlChar *)"RevocationValues", NULL));
    if (v->crls.n > 0) {
        LTS_ALLOC(n = xmlNewChild(rv, xa, (const xmlChar *)"CRLValues", NULL));
        LTS_TRY(encapsulate(n, xa, "EncapsulatedCRLValue", &v->crls));
    }
    if (v->ocsps.n > 0) {
        LTS_ALLOC(n = xmlNewChild(rv, xa, (const xmlChar *)"OCSPValues", NULL));
        LTS_TRY(encapsulate(n, xa, "EncapsulatedOCSPValue", &v->ocsps));
    }
out:
    return rc;
}

lts_status lts_xades__add_ts_validation_data(xmlNodePtr usp, xmlNsPtr xa, xmlNodePtr ts,
                                             struct lts_vdata_source *src, const char *trust,
                                             const lts_clock *clock)
{
    lts_status rc = LTS_OK;
    lts_vdata_collect_opts co = LTS_VDATA_COLLECT_OPTS_INIT;
    vdata_sets v;
    xmlNodePtr tvd = NULL;
    xmlNsPtr x141;

    memset(&v, 0, sizeof v);
    LTS_ENSURE(src != NULL, LTS_E_CONFIG, "renewing an archive timestamp needs a validation "
                                          "data source");
    co.trust_file = trust;
    co.clock = clock;
    LTS_TRY(collect_tsa(&v, ts, src, &co));
    LTS_ALLOC(tvd = xmlNewDocNode(usp->doc, NULL, (const xmlChar *)"TimeStampValidationData", NULL));
    LTS_ALLOC(x141 = xmlNewNs(tvd, (const xmlChar *)LTS_NS_XADES141, (const xmlChar *)"xades141"));
    xmlSetNs(tvd, x141);
    LTS_TRY(write_values(tvd, xa, &v));
    LTS_ALLOC(xmlAddChild(usp, tvd));
    tvd = NULL;
out:
    xmlFreeNode(tvd);
    blobs_free(&v.certs);
    blobs_free(&v.ocsps);
    blobs_free(&v.crls);
    return rc;
}

lts_status lts_xades__add_ltv(xmlNodePtr qp, xmlNsPtr ds, xmlNsPtr xa, lts_vdata_source *src,
                              const char *trust, const lts_clock *clock, STACK_OF(X509) *chain,
                              int with_refs)
{
    lts_status rc = LTS_OK;
    vdata_sets v;
    xmlNodePtr up, usp;
    unsigned char *leaf = NULL;
    int leaf_n;

    memset(&v, 0, sizeof v);
    LTS_ENSURE(src != NULL, LTS_E_CONFIG, "validation data (B-LT, ES-XL and above) needs a "
                                          "validation data source");
    up = lts_xades__child(qp, "UnsignedProperties", LTS_NS_XADES);
    usp = up ? lts_xades__child(up, "UnsignedSignatureProperties", LTS_NS_XADES) : NULL;
    LTS_ENSURE(usp && lts_xades__child(usp, "SignatureTimeStamp", LTS_NS_XADES), LTS_E_INPUT,
               "validation data needs a signature timestamp first (B-T)");
    LTS_TRY(collect_all(&v, usp, src, trust, clock, chain));
    leaf_n = i2d_X509(sk_X509_value(chain, 0), &leaf);
    LTS_OSSL(leaf_n > 0, "i2d_X509");
    if (with_refs) {
        LTS_TRY(cert_refs(usp, ds, xa, &v.certs, lts_span_of(leaf, (size_t)leaf_n)));
        LTS_TRY(revocation_refs(usp, ds, xa, &v));
    }
    LTS_TRY(write_values(usp, xa, &v));
out:
    OPENSSL_free(leaf);
    blobs_free(&v.certs);
    blobs_free(&v.ocsps);
    blobs_free(&v.crls);
    return rc;
}
