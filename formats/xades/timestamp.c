/* formats/xades/timestamp.c — xades:SignatureTimeStamp (EN 319 132-1 §5.3.4): the
 * time-stamped data is the canonicalised ds:SignatureValue element. */
#define LTS_MODULE "xades"
#include "xades_int.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <ltsig/cades.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

#define URI_C14N10 "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

lts_status lts_xades__add_sig_timestamp(xmlNodePtr qp, xmlNsPtr ds, xmlNsPtr xa, xmlNodePtr sv,
                                        lts_tsa *tsa, lts_hash h, const char *id)
{
    lts_status rc = LTS_OK;
    xmlNodePtr up, usp, sts, cm;
    lts_buf c14n = LTS_BUF_INIT, tok = LTS_BUF_INIT, b64 = LTS_BUF_INIT;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    xmlAttrPtr a;

    LTS_ENSURE(tsa != NULL, LTS_E_CONFIG, "a signature timestamp needs a TSA");
    up = lts_xades__child(qp, "UnsignedProperties", LTS_NS_XADES);
    if (up == NULL)
        LTS_ALLOC(up = xmlNewChild(qp, xa, (const xmlChar *)"UnsignedProperties", NULL));
    usp = lts_xades__child(up, "UnsignedSignatureProperties", LTS_NS_XADES);
    if (usp == NULL)
        LTS_ALLOC(usp = xmlNewChild(up, xa, (const xmlChar *)"UnsignedSignatureProperties", NULL));
    LTS_ENSURE(!lts_xades__id_taken(qp->doc, id), LTS_E_INPUT,
               "the document already has an element with Id '%s'", id);
    LTS_ALLOC(sts = xmlNewChild(usp, xa, (const xmlChar *)"SignatureTimeStamp", NULL));
    LTS_ALLOC(a = xmlSetProp(sts, (const xmlChar *)"Id", (const xmlChar *)id));
    LTS_ALLOC(xmlAddID(NULL, qp->doc, (const xmlChar *)id, a));
    LTS_ALLOC(cm = xmlNewChild(sts, ds, (const xmlChar *)"CanonicalizationMethod", NULL));
    LTS_ALLOC(xmlSetProp(cm, (const xmlChar *)"Algorithm", (const xmlChar *)LTS_URI_EXC_C14N));
    LTS_TRY(lts_xades__c14n(cm, sv, &c14n));
    LTS_TRY(lts_digest__span(h, lts_buf_span(&c14n), md, &mdlen));
    LTS_TRY(lts_tsa_stamp(tsa, h, lts_span_of(md, mdlen), &tok));
    LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&tok)));
    LTS_ALLOC(xmlNewTextChild(sts, xa, (const xmlChar *)"EncapsulatedTimeStamp",
                              (const xmlChar *)b64.p));
out:
    lts_buf_dispose(&c14n);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&b64);
    return rc;
}

static lts_status ts_problem(lts_xades_ts_check *t, const char *msg)
{
    lts_status rc = LTS_OK;
    if (t->problem == NULL)
        LTS_ALLOC(t->problem = lts_strdup(msg));
out:
    return rc;
}

/* TSTInfo: imprint against the time-stamped data (digested by `dg` with the imprint's
 * algorithm), genTime. */
static lts_status read_tst_info(lts_span der, lts_xades_digest_fn dg, void *arg,
                                lts_xades_ts_check *t)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = der.p;
    PKCS7 *p7 = NULL;
    TS_TST_INFO *ti = NULL;
    TS_MSG_IMPRINT *mi;
    const ASN1_OCTET_STRING *got;
    const ASN1_GENERALIZEDTIME *gt;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;
    lts_hash h;
    char txt[40];

    p7 = d2i_PKCS7(NULL, &p, (long)der.n);
    if (p7 == NULL || (ti = PKCS7_to_TS_TST_INFO(p7)) == NULL) {
        ERR_clear_error();
        LTS_TRY(ts_problem(t, "the EncapsulatedTimeStamp is not a TimeStampToken"));
        goto out;
    }
    gt = TS_TST_INFO_get_time(ti);
    if (gt && (size_t)ASN1_STRING_length(gt) < sizeof txt) {
        memcpy(txt, ASN1_STRING_get0_data(gt), (size_t)ASN1_STRING_length(gt));
        txt[ASN1_STRING_length(gt)] = '\0';
        if (lts_time_parse_asn1(&t->gen_time, txt) == LTS_OK)
            t->has_gen_time = 1;
        else
            lts_error_clear();
    }
    mi = TS_TST_INFO_get_msg_imprint(ti);
    h = lts_hash__from_nid(OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(mi)->algorithm));
    got = TS_MSG_IMPRINT_get_msg(mi);
    if (h == LTS_HASH_NONE) {
        LTS_TRY(ts_problem(t, "unsupported messageImprint hash algorithm"));
    } else {
        lts_status st = dg(arg, h, md, &mdlen);
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        if (st != LTS_OK) {
            LTS_TRY(ts_problem(t, lts_error_last()->message));
            lts_error_clear();
            goto out;
        }
        t->imprint_checked = 1;
        t->imprint_ok = (size_t)ASN1_STRING_length(got) == mdlen &&
                        memcmp(ASN1_STRING_get0_data(got), md, mdlen) == 0;
        if (!t->imprint_ok)
            LTS_TRY(ts_problem(t, "the messageImprint is not the digest of the canonicalised "
                                  "ds:SignatureValue"));
    }
out:
    TS_TST_INFO_free(ti);
    PKCS7_free(p7);
    return rc;
}

/* The token as CMS: its own SignerInfo (message digest over the TSTInfo, signature, ESS
 * signing-certificate) and its certificates. */
static lts_status check_token(lts_span der, lts_xades_ts_check *t)
{
    lts_status rc = LTS_OK;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    size_t n;

    if (lts_cades_parse(&c, der) != LTS_OK) {
        if (lts_error_last()->code == LTS_E_NOMEM)
            LTS_FAIL(LTS_E_NOMEM, "out of memory");
        lts_error_clear();
        LTS_TRY(ts_problem(t, "the timestamp token is not a CMS SignedData"));
        goto out;
    }
    LTS_TRY(lts_cades_check_signer(c, 0, NULL, &k));
    t->token_ok = k.message_digest == LTS_CADES_OK && k.signature == LTS_CADES_OK &&
                  k.signing_cert == LTS_CADES_OK && k.signer_cert >= 0;
    if (!t->token_ok)
        LTS_TRY(ts_problem(t, k.detail[0] ? k.detail : "the timestamp token does not verify"));
    n = lts_cades_cert_count(c);
    if (n > 0)
        LTS_ALLOC(t->certs = lts_calloc(n, sizeof *t->certs));
    for (size_t i = 0; i < n; i++) {
        LTS_TRY(lts_buf_set(&t->certs[i], lts_cades_cert(c, i)));
        t->n_certs++;
    }
    if (k.signer_cert >= 0)
        LTS_TRY(lts_buf_set(&t->tsa_cert, lts_cades_cert(c, (size_t)k.signer_cert)));
out:
    lts_cades_free(c);
    return rc;
}

lts_status lts_xades__check_token(lts_span der, lts_xades_digest_fn dg, void *arg,
                                  lts_xades_ts_check *t)
{
    lts_status rc = LTS_OK;
    LTS_TRY(read_tst_info(der, dg, arg, t));
    LTS_TRY(check_token(der, t));
out:
    return rc;
}

static lts_status digest_span(void *arg, lts_hash h, uint8_t *md, size_t *mdlen)
{
    return lts_digest__span(h, *(const lts_span *)arg, md, mdlen);
}

static lts_status check_one(xmlNodePtr sts, xmlNodePtr sv, lts_xades_ts_check *t)
{
    lts_status rc = LTS_OK;
    xmlNodePtr cm = lts_xades__child(sts, "CanonicalizationMethod", LTS_NS_DS);
    xmlNodePtr ets = lts_xades__child(sts, "EncapsulatedTimeStamp", LTS_NS_XADES);
    xmlNodePtr tmp = NULL;
    lts_buf c14n = LTS_BUF_INIT, text = LTS_BUF_INIT, der = LTS_BUF_INIT;
    lts_status st;

    if (ets == NULL) {
        LTS_TRY(ts_problem(t, "SignatureTimeStamp without EncapsulatedTimeStamp"));
        goto out;
    }
    if (cm == NULL) { /* absent: inclusive C14N 1.0 (TS 101 903 §7.1.4.3) */
        LTS_ALLOC(tmp = xmlNewDocNode(sts->doc, NULL, (const xmlChar *)"CanonicalizationMethod", NULL));
        LTS_ALLOC(xmlSetProp(tmp, (const xmlChar *)"Algorithm", (const xmlChar *)URI_C14N10));
        cm = tmp;
    }
    if ((st = lts_xades__c14n(cm, sv, &c14n)) != LTS_OK) {
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        LTS_TRY(ts_problem(t, lts_error_last()->message));
        lts_error_clear();
        goto out;
    }
    LTS_TRY(lts_xades__text(ets, &text));
    if ((st = lts_b64__decode(&der, (const char *)text.p, text.n)) != LTS_OK) {
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        lts_error_clear();
        LTS_TRY(ts_problem(t, "EncapsulatedTimeStamp is not base64"));
        goto out;
    }
    {
        lts_span data = lts_buf_span(&c14n);
        LTS_TRY(lts_xades__check_token(lts_buf_span(&der), digest_span, &data, t));
    }
out:
    xmlFreeNode(tmp);
    lts_buf_dispose(&c14n);
    lts_buf_dispose(&text);
    lts_buf_dispose(&der);
    return rc;
}

lts_status lts_xades__check_sig_timestamps(xmlNodePtr usp, xmlNodePtr sv, lts_xades_check *res)
{
    lts_status rc = LTS_OK;
    size_t n = 0;
    for (xmlNodePtr s = lts_xades__first_el(usp); s; s = lts_xades__next_el(s))
        if (lts_xades__is(s, "SignatureTimeStamp", LTS_NS_XADES))
            n++;
    if (n == 0)
        goto out;
    LTS_ALLOC(res->timestamps = lts_calloc(n, sizeof *res->timestamps));
    for (xmlNodePtr s = lts_xades__first_el(usp); s; s = lts_xades__next_el(s)) {
        if (!lts_xades__is(s, "SignatureTimeStamp", LTS_NS_XADES))
            continue;
        res->n_timestamps++;
        res->timestamps[res->n_timestamps - 1].kind = "signature-time-stamp";
        LTS_TRY(check_one(s, sv, &res->timestamps[res->n_timestamps - 1]));
    }
out:
    return rc;
}

void lts_xades__ts_checks_free(lts_xades_ts_check *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        lts_buf_dispose(&t[i].tsa_cert);
        for (size_t j = 0; j < t[i].n_certs; j++)
            lts_buf_dispose(&t[i].certs[j]);
        lts_free(t[i].certs);
        lts_free(t[i].problem);
    }
    lts_free(t);
}
