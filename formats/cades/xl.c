/* ES-C / ES-X Long (ETSI TS 101 733 §6.2-6.3, §7.4, §7.5; ISO 14533-1 ES-XL): the complete
 * references of the signer's certification path and revocation data, and the values
 * themselves (of the signer's and the time-stamping authorities' paths), as unsigned
 * attributes. The ASN.1 module of TS 101 733 uses EXPLICIT tags. */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

typedef struct {
    lts_buf *v;
    size_t n, cap;
} list;

static lts_status list_add(list *l, lts_span s, int dedupe)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; dedupe && i < l->n; i++) {
        if (lts_span_eq(lts_buf_span(&l->v[i]), s))
            goto out;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 8;
        lts_buf *nv = lts_realloc(l->v, nc * sizeof *nv);
        LTS_ALLOC(nv);
        memset(nv + l->cap, 0, (nc - l->cap) * sizeof *nv);
        l->v = nv;
        l->cap = nc;
    }
    LTS_TRY(lts_buf_set(&l->v[l->n], s));
    l->n++;
out:
    return rc;
}

static void list_dispose(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        lts_buf_dispose(&l->v[i]);
    lts_free(l->v);
    memset(l, 0, sizeof *l);
}

/* tag { concatenation of the list } */
static lts_status wrap_list(lts_buf *out, unsigned tag, const list *l)
{
    lts_status rc = LTS_OK;
    lts_span *s = NULL;
    LTS_ALLOC(s = lts_calloc(l->n + 1, sizeof *s));
    for (size_t i = 0; i < l->n; i++)
        s[i] = lts_buf_span(&l->v[i]);
    LTS_TRY(lts_der__append_cons(out, tag, s, l->n));
out:
    lts_free(s);
    return rc;
}

/* tag { SEQUENCE { list } } (an EXPLICIT tag around a SEQUENCE OF) */
static lts_status tagged_seq(lts_buf *out, unsigned tag, const list *l)
{
    lts_status rc = LTS_OK;
    lts_buf seq = LTS_BUF_INIT;
    LTS_TRY(wrap_list(&seq, LTS_DER_SEQUENCE, l));
    lts_span s = lts_buf_span(&seq);
    LTS_TRY(lts_der__append_cons(out, tag, &s, 1));
out:
    lts_buf_dispose(&seq);
    return rc;
}

/* OtherHash as OtherHashAlgAndValue { hashAlgorithm, hashValue } over data (SHA-256). */
static lts_status other_hash(lts_buf *out, lts_span data)
{
    lts_status rc = LTS_OK;
    lts_buf alg = LTS_BUF_INIT, val = LTS_BUF_INIT;
    uint8_t dg[LTS_HASH_MAX];
    size_t dn = 0;
    LTS_TRY(lts_digest__span(LTS_HASH_SHA256, data, dg, &dn));
    LTS_TRY(lts_cades__md_algid(&alg, LTS_HASH_SHA256));
    lts_span d = lts_span_of(dg, dn);
    LTS_TRY(lts_der__append_cons(&val, LTS_DER_OCTET_STRING, &d, 1));
    {
        lts_span parts[] = { lts_buf_span(&alg), lts_buf_span(&val) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
    }
out:
    lts_buf_dispose(&alg);
    lts_buf_dispose(&val);
    return rc;
}

/* The BasicOCSPResponse bytes inside an OCSPResponse, as they are (RFC 6960 §4.2.1). */
static lts_status basic_of(lts_span resp, lts_span *basic)
{
    lts_status rc = LTS_OK;
    lts_der_tlv r, status, rb, rbs, oid, os;
    lts_span v;
    LTS_TRY(lts_der__one(resp, &r));
    v = r.value;
    LTS_TRY(lts_der__next(&v, &status));
    LTS_TRY(lts_der__next(&v, &rb));   /* [0] EXPLICIT ResponseBytes */
    LTS_TRY(lts_der__one(rb.value, &rbs));
    v = rbs.value;
    LTS_TRY(lts_der__next(&v, &oid));
    LTS_TRY(lts_der__next(&v, &os));
    LTS_ENSURE(os.tag == V_ASN1_OCTET_STRING, LTS_E_INPUT, "malformed OCSP response");
    *basic = os.value;
out:
    return rc;
}

/* OcspResponsesID { OcspIdentifier { responderID, producedAt }, ocspRepHash } */
static lts_status ocsp_responses_id(lts_buf *out, lts_span basic)
{
    lts_status rc = LTS_OK;
    lts_der_tlv b, tbs, f;
    lts_span v, rid = { NULL, 0 }, produced = { NULL, 0 };
    lts_buf ident = LTS_BUF_INIT, hash = LTS_BUF_INIT;
    LTS_TRY(lts_der__one(basic, &b));
    v = b.value;
    LTS_TRY(lts_der__next(&v, &tbs));
    v = tbs.value;
    LTS_TRY(lts_der__next(&v, &f));
    if (f.cls == V_ASN1_CONTEXT_SPECIFIC && f.tag == 0) /* version */
        LTS_TRY(lts_der__next(&v, &f));
    rid = f.all;
    LTS_TRY(lts_der__next(&v, &f));
    LTS_ENSURE(f.tag == V_ASN1_GENERALIZEDTIME, LTS_E_INPUT, "malformed OCSP producedAt");
    produced = f.all;
    {
        lts_span parts[] = { rid, produced };
        LTS_TRY(lts_der__append_cons(&ident, LTS_DER_SEQUENCE, parts, 2));
    }
    LTS_TRY(other_hash(&hash, basic));
    {
        lts_span parts[] = { lts_buf_span(&ident), lts_buf_span(&hash) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
    }
out:
    lts_buf_dispose(&ident);
    lts_buf_dispose(&hash);
    return rc;
}

static X509 *x509_of(lts_span d)
{
    const unsigned char *p = d.p;
    return d.n ? d2i_X509(NULL, &p, (long)d.n) : NULL;
}

/* 1 when the OCSP response answers for cert (issued by issuer). */
static int ocsp_covers(lts_span basic, X509 *cert, X509 *issuer)
{
    const unsigned char *p = basic.p;
    OCSP_BASICRESP *bs = d2i_OCSP_BASICRESP(NULL, &p, (long)basic.n);
    OCSP_CERTID *id = bs ? OCSP_cert_to_id(EVP_sha1(), cert, issuer) : NULL;
    int found = id && OCSP_resp_find(bs, id, -1) >= 0;
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    ERR_clear_error();
    return found;
}

static int crl_covers(lts_span der, X509 *issuer)
{
    const unsigned char *p = der.p;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)der.n);
    int ok = crl && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0;
    X509_CRL_free(crl);
    ERR_clear_error();
    return ok;
}

/* CrlOcspRef for cert i of the path (EXPLICIT [0] CRLListID, [1] OcspListID). */
static lts_status crl_ocsp_ref(lts_buf *out, const lts_vdata_bundle *b, size_t i)
{
    lts_status rc = LTS_OK;
    X509 *cert = x509_of(lts_buf_span(&b->certs[i]));
    X509 *issuer = x509_of(lts_buf_span(&b->certs[i + 1]));
    list crls = { 0 }, ocsps = { 0 };
    lts_buf item = LTS_BUF_INIT, c0 = LTS_BUF_INIT, c1 = LTS_BUF_INIT, tmp = LTS_BUF_INIT;
    LTS_ENSURE(cert && issuer, LTS_E_INPUT, "malformed certificate in the collected path");
    for (size_t k = 0; k < b->n_crls; k++) {
        if (!crl_covers(lts_buf_span(&b->crls[k]), issuer))
            continue;
        item.n = 0;
        LTS_TRY(other_hash(&tmp, lts_buf_span(&b->crls[k])));
        lts_span s = lts_buf_span(&tmp);
        LTS_TRY(lts_der__append_cons(&item, LTS_DER_SEQUENCE, &s, 1)); /* CrlValidatedID */
        tmp.n = 0;
        LTS_TRY(list_add(&crls, lts_buf_span(&item), 1));
    }
    for (size_t k = 0; k < b->n_ocsps; k++) {
        lts_span basic;
        LTS_TRY(basic_of(lts_buf_span(&b->ocsps[k]), &basic));
        if (!ocsp_covers(basic, cert, issuer))
            continue;
        item.n = 0;
        LTS_TRY(ocsp_responses_id(&item, basic));
        LTS_TRY(list_add(&ocsps, lts_buf_span(&item), 1));
    }
    if (crls.n) {
        LTS_TRY(wrap_list(&tmp, LTS_DER_SEQUENCE, &crls)); /* crls SEQUENCE OF */
        lts_span s = lts_buf_span(&tmp);
        lts_buf l = LTS_BUF_INIT;
        rc = lts_der__append_cons(&l, LTS_DER_SEQUENCE, &s, 1); /* CRLListID */
        if (rc == LTS_OK) {
            s = lts_buf_span(&l);
            rc = lts_der__append_cons(&c0, LTS_DER_CTX_CONS(0), &s, 1);
        }
        lts_buf_dispose(&l);
        LTS_TRY(rc);
        tmp.n = 0;
    }
    if (ocsps.n) {
        LTS_TRY(wrap_list(&tmp, LTS_DER_SEQUENCE, &ocsps));
        lts_span s = lts_buf_span(&tmp);
        lts_buf l = LTS_BUF_INIT;
        rc = lts_der__append_cons(&l, LTS_DER_SEQUENCE, &s, 1); /* OcspListID */
        if (rc == LTS_OK) {
            s = lts_buf_span(&l);
            rc = lts_der__append_cons(&c1, LTS_DER_CTX_CONS(1), &s, 1);
        }
        lts_buf_dispose(&l);
        LTS_TRY(rc);
    }
    {
        lts_span parts[] = { lts_buf_span(&c0), lts_buf_span(&c1) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
    }
out:
    X509_free(cert);
    X509_free(issuer);
    list_dispose(&crls);
    list_dispose(&ocsps);
    lts_buf_dispose(&item);
    lts_buf_dispose(&c0);
    lts_buf_dispose(&c1);
    lts_buf_dispose(&tmp);
    return rc;
}

typedef struct {
    list cert_refs, rev_refs, cert_vals, crl_vals, ocsp_vals;
} xl_data;

static void xl_dispose(xl_data *x)
{
    list_dispose(&x->cert_refs);
    list_dispose(&x->rev_refs);
    list_dispose(&x->cert_vals);
    list_dispose(&x->crl_vals);
    list_dispose(&x->ocsp_vals);
}

/* Values of a bundle (certificates other than `skip`, CRLs, BasicOCSPResponses). */
static lts_status add_values(xl_data *x, const lts_vdata_bundle *b, lts_span skip)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; i < b->n_certs; i++) {
        if (!lts_span_eq(lts_buf_span(&b->certs[i]), skip))
            LTS_TRY(list_add(&x->cert_vals, lts_buf_span(&b->certs[i]), 1));
    }
    for (size_t i = 0; i < b->n_crls; i++)
        LTS_TRY(list_add(&x->crl_vals, lts_buf_span(&b->crls[i]), 1));
    for (size_t i = 0; i < b->n_ocsps; i++) {
        lts_span basic;
        LTS_TRY(basic_of(lts_buf_span(&b->ocsps[i]), &basic));
        LTS_TRY(list_add(&x->ocsp_vals, basic, 1));
    }
out:
    return rc;
}

/* The four attributes for SignerInfo i, appended to attrs (4 lts_buf). */
static lts_status xl_attrs(lts_buf *attrs, const lts_cades *c, size_t i,
                           const lts_cades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    xl_data x;
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_cades_signer_check k;
    lts_cades_ts_check t;
    lts_buf item = LTS_BUF_INIT, v = LTS_BUF_INIT, rv0 = LTS_BUF_INIT, rv1 = LTS_BUF_INIT;
    lts_span signer;

    memset(&x, 0, sizeof x);
    memset(&t, 0, sizeof t);
    lts_time poe = 0;
    LTS_TRY(lts_cades__first_poe(c, i, o, &poe));
    LTS_TRY(lts_cades_check_signer(c, i, NULL, &k));
    LTS_TRY(lts_cades__collect(c, k.signer_cert, o, "signer", poe, &b));
    signer = lts_cades_cert(c, (size_t)k.signer_cert);
    /* references: the path after the signer's own certificate (which signing-certificate
     * names), and the revocation data of every path certificate but the anchor */
    for (size_t j = 1; j < b.n_certs; j++) {
        item.n = 0;
        LTS_TRY(other_hash(&v, lts_buf_span(&b.certs[j])));
        lts_span s = lts_buf_span(&v);
        LTS_TRY(lts_der__append_cons(&item, LTS_DER_SEQUENCE, &s, 1)); /* OtherCertID */
        v.n = 0;
        LTS_TRY(list_add(&x.cert_refs, lts_buf_span(&item), 0));
    }
    for (size_t j = 0; j + 1 < b.chain_len; j++) {
        item.n = 0;
        LTS_TRY(crl_ocsp_ref(&item, &b, j));
        LTS_TRY(list_add(&x.rev_refs, lts_buf_span(&item), 0));
    }
    LTS_TRY(add_values(&x, &b, signer));
    lts_vdata_bundle_dispose(&b);
    for (size_t j = 0; j < lts_cades_timestamp_count(c, i); j++) {
        LTS_TRY(lts_cades_check_timestamp(c, i, j, &t));
        LTS_ENSURE(t.token != NULL, LTS_E_INPUT, "time-stamp %zu: %s", j + 1, t.detail);
        LTS_TRY(lts_cades__collect(t.token, t.token_check.signer_cert, o, "time-stamping", 0, &b));
        LTS_TRY(add_values(&x, &b, signer));
        lts_vdata_bundle_dispose(&b);
        lts_cades_ts_check_dispose(&t);
    }
    v.n = 0;
    LTS_TRY(wrap_list(&v, LTS_DER_SEQUENCE, &x.cert_refs));
    LTS_TRY(lts_cades__attr(&attrs[0], LTS_OID_AA_CERT_REFS, lts_buf_span(&v)));
    v.n = 0;
    LTS_TRY(wrap_list(&v, LTS_DER_SEQUENCE, &x.rev_refs));
    LTS_TRY(lts_cades__attr(&attrs[1], LTS_OID_AA_REVOC_REFS, lts_buf_span(&v)));
    v.n = 0;
    LTS_TRY(wrap_list(&v, LTS_DER_SEQUENCE, &x.cert_vals));
    LTS_TRY(lts_cades__attr(&attrs[2], LTS_OID_AA_CERT_VALUES, lts_buf_span(&v)));
    if (x.crl_vals.n)
        LTS_TRY(tagged_seq(&rv0, LTS_DER_CTX_CONS(0), &x.crl_vals));
    if (x.ocsp_vals.n)
        LTS_TRY(tagged_seq(&rv1, LTS_DER_CTX_CONS(1), &x.ocsp_vals));
    {
        lts_span parts[] = { lts_buf_span(&rv0), lts_buf_span(&rv1) };
        v.n = 0;
        LTS_TRY(lts_der__append_cons(&v, LTS_DER_SEQUENCE, parts, 2));
    }
    LTS_TRY(lts_cades__attr(&attrs[3], LTS_OID_AA_REVOC_VALUES, lts_buf_span(&v)));
out:
    lts_cades_ts_check_dispose(&t);
    lts_vdata_bundle_dispose(&b);
    xl_dispose(&x);
    lts_buf_dispose(&item);
    lts_buf_dispose(&v);
    lts_buf_dispose(&rv0);
    lts_buf_dispose(&rv1);
    return rc;
}

static int has_xl(const lts_cades *c, size_t i)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, (int)i);
    for (int a = 0; si && a < CMS_unsigned_get_attr_count(si); a++) {
        if (lts_oid__is(X509_ATTRIBUTE_get0_object(CMS_unsigned_get_attr(si, a)),
                        LTS_OID_AA_CERT_VALUES))
            return 1;
    }
    return 0;
}

int lts_cades__has_xl(const lts_cades *c, size_t i)
{
    return has_xl(c, i);
}

lts_status lts_cades__add_xl(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    size_t n = lts_cades_signer_count(c);
    lts_buf *attrs = NULL;
    const lts_buf **add = NULL;
    size_t *n_add = NULL;

    LTS_ALLOC(attrs = lts_calloc(4 * (n ? n : 1), sizeof *attrs));
    LTS_ALLOC(add = lts_calloc(n ? n : 1, sizeof *add));
    LTS_ALLOC(n_add = lts_calloc(n ? n : 1, sizeof *n_add));
    for (size_t i = 0; i < n; i++) {
        add[i] = &attrs[4 * i];
        if (has_xl(c, i))
            continue;
        LTS_TRY(xl_attrs(&attrs[4 * i], c, i, o));
        n_add[i] = 4;
    }
    LTS_TRY(lts_cades__splice(out, lts_cades_der(c), add, n_add, n));
out:
    if (attrs) {
        for (size_t i = 0; i < 4 * n; i++)
            lts_buf_dispose(&attrs[i]);
    }
    lts_free(attrs);
    lts_free(add);
    lts_free(n_add);
    return rc;
}
