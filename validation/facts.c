/* What a signature contains (properties), its signer certificate and key size, and the
 * facts of its time-stamps (token, TSA certificate notAfter, imprint hash), read from the
 * file after a format's process has run, for whatever the process left empty. Read only
 * through the public format APIs (cades.h, pades.h) and OpenSSL / libxml2; see
 * validation_int.h. Failures to read a detail are not errors (the detail stays empty);
 * only running out of memory is. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <ltsig/cades.h>
#include <ltsig/pades.h>
#include <ltsig/policy.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

lts_status lts_report__prop(lts_sig_result *s, const char *name)
{
    lts_status rc = LTS_OK;
    char **n = NULL;
    if (lts_report__has_prop(s, name))
        goto out;
    LTS_ALLOC(n = lts_realloc(s->properties, (s->n_properties + 1) * sizeof *n));
    s->properties = n;
    LTS_ALLOC(s->properties[s->n_properties] = lts_strdup(name));
    s->n_properties++;
out:
    return rc;
}

int lts_report__has_prop(const lts_sig_result *s, const char *name)
{
    for (size_t i = 0; i < s->n_properties; i++)
        if (strcmp(s->properties[i], name) == 0)
            return 1;
    return 0;
}

/* A time-stamp token found in the file. */
typedef struct {
    const char *kind;
    lts_span der;      /* borrowed from the parsed file or from `own` */
    lts_buf own;
    int has_gen;
    lts_time gen;
    lts_hash imprint;
    lts_time not_after;
    int key_bits;   /* the TSA certificate's key */
    lts_scheme key_scheme;
    int used;
} token;

typedef struct {
    token *v;
    size_t n;
} tokens;

static void tokens_free(tokens *t)
{
    for (size_t i = 0; i < t->n; i++)
        lts_buf_dispose(&t->v[i].own);
    lts_free(t->v);
    t->v = NULL;
    t->n = 0;
}

static lts_status asn1_time(const ASN1_TIME *a, lts_time *out)
{
    struct tm tm;
    if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
        return LTS_E_INPUT;
    *out = (lts_time)timegm(&tm);
    return LTS_OK;
}

/* genTime, imprint hash and TSA certificate notAfter of a token (what can be read). */
static void token_read(token *t)
{
    const unsigned char *p = t->der.p;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)t->der.n);
    TS_TST_INFO *tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
    lts_cades *c = NULL;
    lts_cades_signer_check k;

    if (tst != NULL) {
        X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
        t->imprint = alg ? lts_hash__from_nid(OBJ_obj2nid(alg->algorithm)) : LTS_HASH_NONE;
        t->has_gen = asn1_time(TS_TST_INFO_get_time(tst), &t->gen) == LTS_OK;
    }
    if (lts_cades_parse(&c, t->der) == LTS_OK && lts_cades_check_signer(c, 0, NULL, &k) == LTS_OK &&
        k.signer_cert >= 0) {
        lts_span d = lts_cades_cert(c, (size_t)k.signer_cert);
        const unsigned char *q = d.p;
        X509 *x = d2i_X509(NULL, &q, (long)d.n);
        EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
        if (x != NULL && asn1_time(X509_get0_notAfter(x), &t->not_after) != LTS_OK)
            t->not_after = 0;
        if (pk != NULL) {
            int id = EVP_PKEY_get_base_id(pk);
            t->key_bits = EVP_PKEY_get_bits(pk);
            t->key_scheme = id == EVP_PKEY_RSA ? LTS_SCHEME_RSA_PKCS1
                            : id == EVP_PKEY_RSA_PSS ? LTS_SCHEME_RSA_PSS
                            : id == EVP_PKEY_EC ? LTS_SCHEME_ECDSA : LTS_SCHEME_NONE;
        }
        X509_free(x);
    }
    lts_error_clear();
    lts_cades_free(c);
    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    ERR_clear_error();
}

static lts_status tokens_add(tokens *ts, const char *kind, lts_span der, int copy)
{
    lts_status rc = LTS_OK;
    token *n = NULL;
    LTS_ALLOC(n = lts_realloc(ts->v, (ts->n + 1) * sizeof *n));
    ts->v = n;
    memset(&n[ts->n], 0, sizeof *n);
    n[ts->n].kind = kind;
    if (copy) {
        LTS_TRY(lts_buf_set(&n[ts->n].own, der));
        n[ts->n].der = lts_buf_span(&n[ts->n].own);
    } else {
        n[ts->n].der = der;
    }
    token_read(&n[ts->n]);
    ts->n++;
out:
    return rc;
}

/* The token behind a timestamp result: the same bytes when the result kept them, else the
 * first unused one of the same kind and genTime, else the first unused of that genTime.
 * Both lists are in file order, and genTime has a resolution of a second: two time-stamps
 * of one second (a renewal right after signing) must not swap. */
static token *token_for(tokens *ts, const lts_ts_result *r)
{
    token *same_time = NULL;
    for (size_t k = 0; k < ts->n; k++) {
        token *t = &ts->v[k];
        if (!t->used && r->token.n != 0 && t->der.n == r->token.n &&
            memcmp(t->der.p, r->token.p, r->token.n) == 0)
            return t;
    }
    for (size_t k = 0; k < ts->n; k++) {
        token *t = &ts->v[k];
        if (t->used || !t->has_gen || t->gen != r->gen_time)
            continue;
        if (r->kind && t->kind && strcmp(r->kind, t->kind) == 0)
            return t;
        if (same_time == NULL)
            same_time = t;
    }
    return same_time;
}

/* Fill each timestamp result of s from its token (token_for). */
static lts_status tokens_apply(tokens *ts, lts_sig_result *s)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; i < s->n_timestamps; i++) {
        lts_ts_result *r = &s->timestamps[i];
        token *best = token_for(ts, r);
        if (best == NULL)
            continue;
        best->used = 1;
        if (r->tsa_not_after == 0)
            r->tsa_not_after = best->not_after;
        if (r->tsa_key_bits == 0) {
            r->tsa_key_bits = best->key_bits;
            r->tsa_key_scheme = (int)best->key_scheme;
        }
        if (r->digest_algorithm == NULL && best->imprint != LTS_HASH_NONE)
            LTS_TRY(lts_report__set_str(&r->digest_algorithm, lts_hash_name(best->imprint)));
        if (r->token.n == 0)
            LTS_TRY(lts_buf_set(&r->token, best->der));
    }
out:
    return rc;
}

/* One more certificate the signature carries (s->certs), unless already there. */
static lts_status add_cert(lts_sig_result *s, lts_span der)
{
    lts_status rc = LTS_OK;
    lts_buf *n = NULL;
    if (der.n == 0)
        goto out;
    for (size_t i = 0; i < s->n_certs; i++)
        if (s->certs[i].n == der.n && memcmp(s->certs[i].p, der.p, der.n) == 0)
            goto out;
    LTS_ALLOC(n = lts_realloc(s->certs, (s->n_certs + 1) * sizeof *n));
    s->certs = n;
    memset(&s->certs[s->n_certs], 0, sizeof *n);
    LTS_TRY(lts_buf_set(&s->certs[s->n_certs], der));
    s->n_certs++;
out:
    return rc;
}

static lts_status set_signer_cert(lts_sig_result *s, lts_span der)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = der.p;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    if (der.n == 0)
        goto out;
    if ((x = d2i_X509(NULL, &p, (long)der.n)) == NULL) {
        ERR_clear_error();
        goto out;
    }
    if (s->signer_cert.n == 0)
        LTS_TRY(lts_buf_set(&s->signer_cert, der));
    if (s->key_bits == 0 && (k = X509_get0_pubkey(x)) != NULL)
        s->key_bits = EVP_PKEY_get_bits(k);
out:
    X509_free(x);
    ERR_clear_error();
    return rc;
}

/* ---- CMS (CAdES, and the CMS inside a PAdES signature) ---- */

typedef struct {
    const char *oid;
    const char *name;
    int token; /* 1: the value is a time-stamp token */
} attr_name;

static const attr_name cms_attrs[] = {
    { "1.2.840.113549.1.9.5", "signing-time", 0 },
    { "1.2.840.113549.1.9.16.2.12", "signing-certificate", 0 },
    { "1.2.840.113549.1.9.16.2.47", "signing-certificate-v2", 0 },
    { "1.2.840.113549.1.9.16.2.15", "signature-policy-identifier", 0 },
    { "1.2.840.113549.1.9.16.2.20", "content-time-stamp", 0 },
    { "1.2.840.113549.1.9.16.2.14", "signature-time-stamp", 1 },
    { "1.2.840.113549.1.9.16.2.21", "complete-certificate-refs", 0 },
    { "1.2.840.113549.1.9.16.2.22", "complete-revocation-refs", 0 },
    { "1.2.840.113549.1.9.16.2.23", "certificate-values", 0 },
    { "1.2.840.113549.1.9.16.2.24", "revocation-values", 0 },
    { "1.2.840.113549.1.9.16.2.25", "cades-c-time-stamp", 0 },
    { "1.2.840.113549.1.9.16.2.26", "time-stamped-certs-crls-refs", 0 },
    { "1.2.840.113549.1.9.16.2.27", "archive-time-stamp-v1", 1 },
    { "1.2.840.113549.1.9.16.2.48", "archive-time-stamp-v2", 1 },
    { "0.4.0.1733.2.4", "archive-time-stamp-v3", 1 },
    { "0.4.0.19122.1.5", "ats-hash-index-v3", 0 },
};

static const attr_name *attr_lookup(const ASN1_OBJECT *o)
{
    char txt[80];
    if (OBJ_obj2txt(txt, sizeof txt, o, 1) <= 0)
        return NULL;
    for (size_t i = 0; i < sizeof cms_attrs / sizeof cms_attrs[0]; i++)
        if (strcmp(cms_attrs[i].oid, txt) == 0)
            return &cms_attrs[i];
    return NULL;
}

static lts_status attr_tokens(X509_ATTRIBUTE *a, const attr_name *an, tokens *ts)
{
    lts_status rc = LTS_OK;
    unsigned char *der = NULL;
    for (int v = 0; v < X509_ATTRIBUTE_count(a); v++) {
        ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, v);
        int n;
        if (t == NULL || t->type != V_ASN1_SEQUENCE)
            continue;
        n = i2d_ASN1_TYPE(t, &der);
        if (n > 0)
            LTS_TRY(tokens_add(ts, an->name, lts_span_of(der, (size_t)n), 1));
        OPENSSL_free(der);
        der = NULL;
    }
out:
    OPENSSL_free(der);
    return rc;
}

/* Properties and tokens of SignerInfo `idx` of the CMS in `der`. */
static lts_status cms_facts(lts_span der, size_t idx, lts_sig_result *s, tokens *ts)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = der.p;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.n);
    STACK_OF(CMS_SignerInfo) *sis = cms ? CMS_get0_SignerInfos(cms) : NULL;
    CMS_SignerInfo *si = NULL;
    STACK_OF(X509) *certs = NULL;

    if (sis == NULL || idx >= (size_t)sk_CMS_SignerInfo_num(sis))
        goto out;
    si = sk_CMS_SignerInfo_value(sis, (int)idx);
    for (int i = 0; i < CMS_signed_get_attr_count(si); i++) {
        const attr_name *an = attr_lookup(X509_ATTRIBUTE_get0_object(CMS_signed_get_attr(si, i)));
        if (an)
            LTS_TRY(lts_report__prop(s, an->name));
    }
    for (int i = 0; i < CMS_unsigned_get_attr_count(si); i++) {
        X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, i);
        const attr_name *an = attr_lookup(X509_ATTRIBUTE_get0_object(a));
        if (an == NULL)
            continue;
        LTS_TRY(lts_report__prop(s, an->name));
        if (an->token)
            LTS_TRY(attr_tokens(a, an, ts));
    }
    if ((certs = CMS_get1_certs(cms)) != NULL && sk_X509_num(certs) > 0)
        LTS_TRY(lts_report__prop(s, "signed-data-certificates"));
    for (int i = 0; certs && i < sk_X509_num(certs); i++) {
        unsigned char *d = NULL;
        int n = i2d_X509(sk_X509_value(certs, i), &d);
        rc = n > 0 ? add_cert(s, lts_span_of(d, (size_t)n)) : LTS_OK;
        OPENSSL_free(d);
        if (rc != LTS_OK)
            goto out;
    }
out:
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return rc;
}

/* The signer certificate of SignerInfo idx through the public cades.h API. */
static lts_status cades_signer(const lts_cades *c, size_t idx, lts_sig_result *s)
{
    lts_cades_signer_check k;
    if (lts_cades_check_signer(c, idx, NULL, &k) != LTS_OK) {
        lts_error_clear();
        return LTS_OK;
    }
    return k.signer_cert >= 0 ? set_signer_cert(s, lts_cades_cert(c, (size_t)k.signer_cert))
                              : LTS_OK;
}

static lts_status facts_cades(const char *path, lts_report *r)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    lts_cades *c = NULL;
    tokens ts = { NULL, 0 };

    if (lts_io__read_file(&data, path, 0) != LTS_OK || lts_cades_parse(&c, lts_buf_span(&data)) != LTS_OK)
        goto out;
    for (size_t i = 0; i < r->n_sigs && i < lts_cades_signer_count(c); i++) {
        lts_sig_result *s = &r->sigs[i];
        tokens_free(&ts);
        LTS_TRY(cms_facts(lts_cades_der(c), i, s, &ts));
        if (lts_cades_revocation_count(c) > 0)
            LTS_TRY(lts_report__prop(s, "signed-data-revocation"));
        LTS_TRY(cades_signer(c, i, s));
        LTS_TRY(tokens_apply(&ts, s));
    }
out:
    if (rc == LTS_OK)
        lts_error_clear();
    tokens_free(&ts);
    lts_cades_free(c);
    lts_buf_dispose(&data);
    return rc;
}

/* ---- PAdES ---- */

static lts_status pades_sig(const lts_pades_doc *doc, const lts_pades_sig *ps, lts_sig_result *s)
{
    lts_status rc = LTS_OK;
    lts_cades *c = NULL;
    tokens ts = { NULL, 0 };
    uint64_t dss_off = 0;

    LTS_TRY(cms_facts(ps->contents, 0, s, &ts));
    if (lts_cades_parse(&c, ps->contents) == LTS_OK)
        LTS_TRY(cades_signer(c, 0, s));
    if (lts_pades_has_dss(doc, &dss_off) && (dss_off == 0 || dss_off > ps->revision_end))
        LTS_TRY(lts_report__prop(s, "DSS"));
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++) {
        const lts_pades_sig *t = lts_pades_sig_get(doc, i);
        if (t->kind != LTS_PADES_DOC_TIMESTAMP || !t->byte_range_ok ||
            t->revision_end <= ps->revision_end)
            continue;
        LTS_TRY(lts_report__prop(s, "document-time-stamp"));
        LTS_TRY(tokens_add(&ts, "document-time-stamp", t->contents, 0));
    }
    LTS_TRY(tokens_apply(&ts, s));
out:
    lts_error_clear();
    tokens_free(&ts);
    lts_cades_free(c);
    return rc;
}

static lts_status facts_pades(const char *path, lts_report *r)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *doc = NULL;
    size_t k = 0;

    if (lts_pades_open(&doc, path) != LTS_OK)
        goto out;
    for (size_t i = 0; i < lts_pades_sig_count(doc) && k < r->n_sigs; i++) {
        const lts_pades_sig *ps = lts_pades_sig_get(doc, i);
        if (ps->kind == LTS_PADES_DOC_TIMESTAMP)
            continue;
        LTS_TRY(pades_sig(doc, ps, &r->sigs[k++]));
    }
out:
    if (rc == LTS_OK)
        lts_error_clear();
    lts_pades_free(doc);
    return rc;
}

/* ---- XAdES ---- */

#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define NS_XADES "http://uri.etsi.org/01903/v1.3.2#"
#define NS_XADES141 "http://uri.etsi.org/01903/v1.4.1#"

static const struct {
    const char *local;
    const char *name;
    int token;
} xades_elems[] = {
    { "SigningTime", "signing-time", 0 },
    { "SigningCertificate", "signing-certificate", 0 },
    { "SigningCertificateV2", "signing-certificate-v2", 0 },
    { "SignaturePolicyIdentifier", "signature-policy-identifier", 0 },
    { "AllDataObjectsTimeStamp", "content-time-stamp", 0 },
    { "IndividualDataObjectsTimeStamp", "content-time-stamp", 0 },
    { "SignatureTimeStamp", "signature-time-stamp", 1 },
    { "CompleteCertificateRefs", "complete-certificate-refs", 0 },
    { "CompleteCertificateRefsV2", "complete-certificate-refs", 0 },
    { "CompleteRevocationRefs", "complete-revocation-refs", 0 },
    { "SigAndRefsTimeStamp", "sig-and-refs-time-stamp", 0 },
    { "SigAndRefsTimeStampV2", "sig-and-refs-time-stamp", 0 },
    { "RefsOnlyTimeStamp", "refs-only-time-stamp", 0 },
    { "RefsOnlyTimeStampV2", "refs-only-time-stamp", 0 },
    { "CertificateValues", "certificate-values", 0 },
    { "RevocationValues", "revocation-values", 0 },
    { "TimeStampValidationData", "time-stamp-validation-data", 0 },
    { "ArchiveTimeStamp", "archive-time-stamp", 1 },
};

static int in_ns(const xmlNode *n, const char *ns)
{
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static lts_status xades_token(const xmlNode *el, const char *kind, tokens *ts)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    xmlChar *txt = NULL;
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "EncapsulatedTimeStamp"))
            continue;
        LTS_ALLOC(txt = xmlNodeGetContent(c));
        der.n = 0;
        if (lts_b64__decode(&der, (const char *)txt, strlen((const char *)txt)) == LTS_OK)
            LTS_TRY(tokens_add(ts, kind, lts_buf_span(&der), 1));
        else
            lts_error_clear();
        xmlFree(txt);
        txt = NULL;
    }
out:
    xmlFree(txt);
    lts_buf_dispose(&der);
    return rc;
}

/* A base64 certificate element into s->certs (not an error when it does not decode). */
static lts_status xades_cert(const xmlNode *el, lts_sig_result *s)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    xmlChar *txt = NULL;
    LTS_ALLOC(txt = xmlNodeGetContent(el));
    if (lts_b64__decode(&der, (const char *)txt, strlen((const char *)txt)) == LTS_OK)
        LTS_TRY(add_cert(s, lts_buf_span(&der)));
    else
        lts_error_clear();
out:
    xmlFree(txt);
    lts_buf_dispose(&der);
    return rc;
}

/* Walk the descendants of ds:Signature `n` (not into a nested ds:Signature). */
static lts_status xades_walk(const xmlNode *n, lts_sig_result *s, tokens *ts)
{
    lts_status rc = LTS_OK;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (in_ns(c, NS_DS) && strcmp((const char *)c->name, "Signature") == 0)
            continue;
        if ((in_ns(c, NS_DS) && strcmp((const char *)c->name, "X509Certificate") == 0) ||
            ((in_ns(c, NS_XADES) || in_ns(c, NS_XADES141)) &&
             strcmp((const char *)c->name, "EncapsulatedX509Certificate") == 0))
            LTS_TRY(xades_cert(c, s));
        if (in_ns(c, NS_XADES) || in_ns(c, NS_XADES141)) {
            for (size_t i = 0; i < sizeof xades_elems / sizeof xades_elems[0]; i++) {
                if (strcmp((const char *)c->name, xades_elems[i].local) != 0)
                    continue;
                LTS_TRY(lts_report__prop(s, xades_elems[i].name));
                if (xades_elems[i].token)
                    LTS_TRY(xades_token(c, xades_elems[i].name, ts));
            }
        }
        LTS_TRY(xades_walk(c, s, ts));
    }
out:
    return rc;
}

/* The ds:X509Certificate of ds:KeyInfo whose subject is s->signer. */
static lts_status xades_signer(const xmlNode *n, lts_sig_result *s)
{
    lts_status rc = LTS_OK;
    lts_buf der = LTS_BUF_INIT;
    xmlChar *txt = NULL;
    for (const xmlNode *c = n->children; c && s->signer_cert.n == 0; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || (in_ns(c, NS_DS) && !strcmp((const char *)c->name, "Signature")))
            continue;
        if (in_ns(c, NS_DS) && strcmp((const char *)c->name, "X509Certificate") == 0) {
            const unsigned char *p;
            X509 *x;
            char name[512] = "";
            LTS_ALLOC(txt = xmlNodeGetContent(c));
            der.n = 0;
            if (lts_b64__decode(&der, (const char *)txt, strlen((const char *)txt)) == LTS_OK) {
                p = der.p;
                if ((x = d2i_X509(NULL, &p, (long)der.n)) != NULL) {
                    BIO *b = BIO_new(BIO_s_mem());
                    if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
                        int got = BIO_read(b, name, (int)sizeof name - 1);
                        name[got > 0 ? got : 0] = '\0';
                    }
                    BIO_free(b);
                    X509_free(x);
                }
                if (s->signer && strcmp(name, s->signer) == 0)
                    LTS_TRY(set_signer_cert(s, lts_buf_span(&der)));
            }
            lts_error_clear();
            ERR_clear_error();
            xmlFree(txt);
            txt = NULL;
        } else {
            LTS_TRY(xades_signer(c, s));
        }
    }
out:
    xmlFree(txt);
    lts_buf_dispose(&der);
    return rc;
}

/* The result whose id is the ds:Signature's Id (the XAdES process names them so). */
static lts_sig_result *by_id(lts_report *r, xmlNode *sig)
{
    xmlChar *id = xmlGetProp(sig, (const xmlChar *)"Id");
    lts_sig_result *found = NULL;
    for (size_t i = 0; id && i < r->n_sigs && !found; i++)
        if (r->sigs[i].id && strcmp(r->sigs[i].id, (const char *)id) == 0)
            found = &r->sigs[i];
    xmlFree(id);
    return found;
}

static lts_status xades_sigs(xmlNode *n, lts_report *r, size_t *k)
{
    lts_status rc = LTS_OK;
    tokens ts = { NULL, 0 };
    for (xmlNode *c = n; c && *k < r->n_sigs; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (in_ns(c, NS_DS) && strcmp((const char *)c->name, "Signature") == 0) {
            lts_sig_result *s = by_id(r, c);
            if (s == NULL)
                s = &r->sigs[*k];
            (*k)++;
            tokens_free(&ts);
            LTS_TRY(xades_walk(c, s, &ts));
            LTS_TRY(xades_signer(c, s));
            LTS_TRY(tokens_apply(&ts, s));
            continue;
        }
        LTS_TRY(xades_sigs(c->children, r, k));
    }
out:
    tokens_free(&ts);
    return rc;
}

/* A tree of the ds:Signature elements alone, from one SAX pass over the file: only the
 * root element's start tag and each ds:Signature subtree (at any depth) are built, so a
 * large signed document is never held whole (formats/xades has checked it already,
 * hostile input included; the parser options are the same: no network, no entity
 * substitution). A signature below the root's children becomes a child of the root and
 * declares every namespace in scope where it stood, so its names resolve as they did. */
typedef struct {
    xmlParserCtxtPtr ctxt;
    int depth, capture, failed;
    const xmlChar **nsd; /* scratch: the in-scope namespaces, innermost of each prefix */
    size_t cap;
} sig_tree;

static void st_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **nsd, int nb_attr, int nb_def, const xmlChar **at)
{
    sig_tree *t = ctx;
    int fwd = t->depth == 0 || t->capture;
    if (!t->capture && uri && strcmp((const char *)local, "Signature") == 0 &&
        strcmp((const char *)uri, NS_DS) == 0) {
        t->capture = t->depth + 1;
        fwd = 1;
        if (t->depth > 1) {
            int n = 0, all = t->ctxt->nsNr / 2;
            if ((size_t)all * 2 > t->cap) {
                const xmlChar **m = lts_realloc(t->nsd, (size_t)all * 2 * sizeof *m);
                if (m == NULL) {
                    t->failed = 1;
                    xmlStopParser(t->ctxt);
                    return;
                }
                t->nsd = m;
                t->cap = (size_t)all * 2;
            }
            for (int i = all - 1; i >= 0; i--) {
                const xmlChar *p = t->ctxt->nsTab[2 * i], *u = t->ctxt->nsTab[2 * i + 1];
                int seen = 0;
                for (int j = 0; j < n && !seen; j++)
                    seen = (p == NULL) ? t->nsd[2 * j] == NULL
                                       : t->nsd[2 * j] && xmlStrEqual(p, t->nsd[2 * j]);
                if (!seen) {
                    t->nsd[2 * n] = p;
                    t->nsd[2 * n + 1] = u;
                    n++;
                }
            }
            nb_ns = n;
            nsd = t->nsd;
        }
    }
    t->depth++;
    if (fwd)
        xmlSAX2StartElementNs(t->ctxt, local, prefix, uri, nb_ns, nsd, nb_attr, nb_def, at);
}

static void st_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    sig_tree *t = ctx;
    if (t->depth == 1 || t->capture)
        xmlSAX2EndElementNs(t->ctxt, local, prefix, uri);
    if (t->capture == t->depth)
        t->capture = 0;
    t->depth--;
}

static void st_text(void *ctx, const xmlChar *p, int n)
{
    sig_tree *t = ctx;
    if (t->capture)
        xmlSAX2Characters(t->ctxt, p, n);
}

static void st_cdata(void *ctx, const xmlChar *p, int n)
{
    sig_tree *t = ctx;
    if (t->capture)
        xmlSAX2CDataBlock(t->ctxt, p, n);
}

static void st_doc(void *ctx)
{
    xmlSAX2StartDocument(((sig_tree *)ctx)->ctxt);
}

static void st_doc_end(void *ctx)
{
    xmlSAX2EndDocument(((sig_tree *)ctx)->ctxt);
}

static void st_quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

static lts_status facts_xades(const char *path, lts_report *r)
{
    lts_status rc = LTS_OK;
    xmlSAXHandler h;
    sig_tree t;
    xmlDocPtr doc = NULL;
    size_t k = 0;
    int fd = -1;
    char buf[65536];
    ssize_t got;

    memset(&t, 0, sizeof t);
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startDocument = st_doc;
    h.endDocument = st_doc_end;
    h.startElementNs = st_start;
    h.endElementNs = st_end;
    h.characters = st_text;
    h.ignorableWhitespace = st_text;
    h.cdataBlock = st_cdata;
    h.serror = st_quiet;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        goto out;
    got = read(fd, buf, sizeof buf);
    if (got <= 0)
        goto out;
    LTS_ALLOC(t.ctxt = xmlCreatePushParserCtxt(&h, &t, buf, (int)got, NULL));
    xmlCtxtUseOptions(t.ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    for (;;) {
        got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || xmlParseChunk(t.ctxt, buf, got > 0 ? (int)got : 0, got == 0) != 0)
            break;
        if (got == 0)
            break;
    }
    LTS_ENSURE(!t.failed, LTS_E_NOMEM, "out of memory");
    doc = t.ctxt->myDoc;
    t.ctxt->myDoc = NULL;
    if (doc && xmlDocGetRootElement(doc))
        LTS_TRY(xades_sigs(xmlDocGetRootElement(doc), r, &k));
out:
    if (rc == LTS_OK)
        lts_error_clear();
    if (t.ctxt) {
        xmlFreeDoc(t.ctxt->myDoc);
        xmlFreeParserCtxt(t.ctxt);
    }
    xmlFreeDoc(doc);
    lts_free(t.nsd);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- policy over the report ---- */

static lts_scheme scheme_of(const char *name)
{
    if (name == NULL)
        return LTS_SCHEME_NONE;
    if (strcmp(name, "RSA") == 0)
        return LTS_SCHEME_RSA_PKCS1;
    if (strcmp(name, "RSA-PSS") == 0)
        return LTS_SCHEME_RSA_PSS;
    if (strcmp(name, "ECDSA") == 0)
        return LTS_SCHEME_ECDSA;
    return LTS_SCHEME_NONE;
}

static lts_status policy_sig(const lts_policy *p, lts_sig_result *s, lts_time vt)
{
    lts_status rc = LTS_OK;
    lts_hash h = LTS_HASH_NONE;
    lts_indication ind;
    lts_subindication sub;
    char why[300];
    lts_level req;

    if (s->digest_algorithm && lts_validation__hash_name(&h, s->digest_algorithm) != LTS_OK) {
        lts_error_clear();
        h = LTS_HASH_NONE;
    }
    lts_policy_check_algorithm(p, h, scheme_of(s->signature_algorithm), s->key_bits,
                               s->best_signature_time ? s->best_signature_time : vt, &ind, &sub,
                               why, sizeof why);
    if (ind != LTS_IND_TOTAL_PASSED) {
        lts_report__lower(&s->indication, &s->subindication, ind, sub);
        LTS_TRY(lts_report__msg(s, "policy: %s", why));
    }
    if (!lts_policy_level_ok(p, s->level) && lts_policy_required_level(p, &req)) {
        lts_report__lower(&s->indication, &s->subindication, LTS_IND_INDETERMINATE,
                          LTS_SUB_SIG_CONSTRAINTS_FAILURE);
        LTS_TRY(lts_report__msg(s, "policy: level %s is below the required %s",
                                s->level ? s->level : "(unknown)", lts_level_name(req)));
    }
    for (size_t i = 0; i < s->n_timestamps; i++) {
        lts_ts_result *t = &s->timestamps[i];
        lts_hash th = LTS_HASH_NONE;
        lts_time sun;
        if (t->digest_algorithm == NULL || lts_validation__hash_name(&th, t->digest_algorithm) != LTS_OK) {
            lts_error_clear();
            continue;
        }
        sun = lts_policy_hash_sunset(p, th);
        if (sun && t->gen_time >= sun) {
            lts_report__lower(&t->indication, &t->subindication, LTS_IND_INDETERMINATE,
                              LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
            LTS_TRY(lts_report__msg(s, "policy: %s imprint of the %s is past its sunset",
                                    t->digest_algorithm, t->kind ? t->kind : "time-stamp"));
        }
    }
out:
    return rc;
}

lts_status lts_validation__after(const char *path, int format, const lts_validate_opts *o,
                                 lts_report *r)
{
    lts_status rc = LTS_OK;
    const lts_policy *policy = o->version >= 2 ? o->policy : NULL;
    switch (format) {
    case LTS_FORMAT_CADES: LTS_TRY(facts_cades(path, r)); break;
    case LTS_FORMAT_XADES: LTS_TRY(facts_xades(path, r)); break;
    case LTS_FORMAT_PADES: LTS_TRY(facts_pades(path, r)); break;
    default: break;
    }
    for (size_t i = 0; i < r->n_sigs; i++)
        if (!r->sigs[i].policy_applied)
            LTS_TRY(policy_sig(policy, &r->sigs[i], r->validation_time));
    if (o->version >= 2 && o->profile != LTS_PROFILE_NONE)
        LTS_TRY(lts_profile_check(r, (lts_profile)o->profile));
out:
    return rc;
}
