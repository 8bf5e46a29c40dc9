/* Checking a TimeStampResp against our request (RFC 3161 §2.4.2, §2.3; RFC 5816 ESS v2).
 * see tsa/tsa_int.h */
#define LTS_MODULE "tsa"
#include "tsa_int.h"

#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/x509v3.h>
#include "core/der.h"
#include "core/err.h"

#define ENSURE_R(cond, code, reason, ...)                                                 \
    do {                                                                                  \
        if (!(cond))                                                                      \
            LTS_FAIL_R((code), (reason), __VA_ARGS__);                                    \
    } while (0)

/* "rejection (badAlg, badRequest): text" into buf. */
static void describe_status(const TS_STATUS_INFO *si, long st, char *buf, size_t cap)
{
    static const char *const names[] = { "granted", "grantedWithMods", "rejection",
                                         "waiting", "revocationWarning",
                                         "revocationNotification" };
    static const struct { int bit; const char *name; } fails[] = {
        { 0, "badAlg" }, { 2, "badRequest" }, { 5, "badDataFormat" },
        { 14, "timeNotAvailable" }, { 15, "unacceptedPolicy" },
        { 16, "unacceptedExtension" }, { 17, "addInfoNotAvailable" },
        { 25, "systemFailure" },
    };
    size_t used = 0;
    int w = snprintf(buf, cap, "status %s",
                     st >= 0 && st <= 5 ? names[st] : "unknown");
    used = w > 0 && (size_t)w < cap ? (size_t)w : cap - 1;
    const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(si);
    const char *sep = " (";
    for (size_t i = 0; fi && i < sizeof fails / sizeof fails[0]; i++) {
        if (ASN1_BIT_STRING_get_bit(fi, fails[i].bit)) {
            w = snprintf(buf + used, cap - used, "%s%s", sep, fails[i].name);
            used = w > 0 && (size_t)w < cap - used ? used + (size_t)w : cap - 1;
            sep = ", ";
        }
    }
    if (sep[0] == ',') {
        w = snprintf(buf + used, cap - used, ")");
        used = w > 0 && (size_t)w < cap - used ? used + (size_t)w : cap - 1;
    }
    const STACK_OF(ASN1_UTF8STRING) *txt = TS_STATUS_INFO_get0_text(si);
    if (txt != NULL && sk_ASN1_UTF8STRING_num(txt) > 0) {
        const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(txt, 0);
        char clean[121];
        int n = ASN1_STRING_length(s);
        const unsigned char *d = ASN1_STRING_get0_data(s);
        size_t k = 0;
        for (int i = 0; i < n && k < sizeof clean - 1; i++)
            clean[k++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
        clean[k] = '\0';
        snprintf(buf + used, cap - used, ": %s", clean);
    }
}

/* The exact bytes of the timeStampToken inside the TimeStampResp DER. */
static lts_status token_bytes(lts_span resp, lts_span *tok)
{
    lts_status rc = LTS_OK;
    lts_der_tlv outer, status, token;
    LTS_TRY(lts_der__one(resp, &outer));
    lts_span in = outer.value;
    LTS_TRY(lts_der__next(&in, &status));
    LTS_TRY(lts_der__next(&in, &token));
    LTS_ENSURE(in.n == 0, LTS_E_INPUT, "%zu trailing bytes in the TimeStampResp", in.n);
    *tok = token.all;
out:
    return rc;
}

/* see tsa_int.h */
lts_status lts_tsa__check_eku(X509 *x)
{
    lts_status rc = LTS_OK;
    EXTENDED_KEY_USAGE *eku = NULL;
    int crit = 0;
    int idx = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
    ENSURE_R(idx >= 0, LTS_E_CRYPTO, LTS_TSA_R_EKU,
             "TSA certificate has no extendedKeyUsage (RFC 3161 §2.3)");
    ENSURE_R(X509_get_ext_by_NID(x, NID_ext_key_usage, idx) < 0, LTS_E_CRYPTO, LTS_TSA_R_EKU,
             "TSA certificate has two extendedKeyUsage extensions");
    ENSURE_R(X509_EXTENSION_get_critical(X509_get_ext(x, idx)), LTS_E_CRYPTO, LTS_TSA_R_EKU,
             "TSA certificate extendedKeyUsage is not critical (RFC 3161 §2.3)");
    eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
    ENSURE_R(eku != NULL, LTS_E_CRYPTO, LTS_TSA_R_EKU,
             "TSA certificate extendedKeyUsage is malformed");
    ENSURE_R(sk_ASN1_OBJECT_num(eku) == 1 &&
                 OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) == NID_time_stamp,
             LTS_E_CRYPTO, LTS_TSA_R_EKU,
             "TSA certificate extendedKeyUsage is not timeStamping alone (RFC 3161 §2.3)");
out:
    EXTENDED_KEY_USAGE_free(eku);
    ERR_clear_error();
    return rc;
}

/* Status, version, nonce, imprint, policy: the TSTInfo answers our request. */
static lts_status check_tstinfo(const TS_REQ *creq, TS_RESP *r)
{
    lts_status rc = LTS_OK;
    TS_REQ *req = (TS_REQ *)creq; /* the TS_REQ getters are not const-qualified */
    char what[300];
    TS_STATUS_INFO *si = TS_RESP_get_status_info(r);
    long st = si ? ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)) : -1;
    if (st != 0 && st != 1) {
        describe_status(si, st, what, sizeof what);
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_REJECTED, "TSA refused the request: %s", what);
    }
    TS_TST_INFO *tst = TS_RESP_get_tst_info(r);
    ENSURE_R(tst != NULL && TS_RESP_get_token(r) != NULL, LTS_E_INPUT, LTS_TSA_R_MALFORMED,
             "TSA granted the request but sent no token");
    ENSURE_R(TS_TST_INFO_get_version(tst) == 1, LTS_E_INPUT, LTS_TSA_R_MALFORMED,
             "TSTInfo version %ld is not 1", TS_TST_INFO_get_version(tst));

    const ASN1_INTEGER *want = TS_REQ_get_nonce(req), *got = TS_TST_INFO_get_nonce(tst);
    if (want != NULL && got == NULL)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_NONCE, "TSA token has no nonce (we sent one)");
    if (want != NULL && ASN1_INTEGER_cmp(want, got) != 0)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_NONCE, "TSA token nonce differs from the request's");

    TS_MSG_IMPRINT *qi = TS_REQ_get_msg_imprint(req);
    TS_MSG_IMPRINT *ti = TS_TST_INFO_get_msg_imprint(tst);
    X509_ALGOR *qa = TS_MSG_IMPRINT_get_algo(qi), *ta = TS_MSG_IMPRINT_get_algo(ti);
    const ASN1_OBJECT *qo = NULL, *to = NULL;
    const void *tpv = NULL;
    int tpt = V_ASN1_UNDEF;
    X509_ALGOR_get0(&qo, NULL, NULL, qa);
    X509_ALGOR_get0(&to, &tpt, &tpv, ta);
    if (OBJ_cmp(qo, to) != 0 || (tpt != V_ASN1_UNDEF && tpt != V_ASN1_NULL))
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_IMPRINT,
                   "TSA token message imprint algorithm differs from the request's");
    if (ASN1_OCTET_STRING_cmp(TS_MSG_IMPRINT_get_msg(qi), TS_MSG_IMPRINT_get_msg(ti)) != 0)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_IMPRINT,
                   "TSA token message imprint is not the digest we sent");

    const ASN1_OBJECT *qp = TS_REQ_get_policy_id(req);
    if (qp != NULL && OBJ_cmp(qp, TS_TST_INFO_get_policy_id(tst)) != 0)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_POLICY, "TSA used another policy than the one asked");
out:
    return rc;
}

/* The ESS signing-certificate(-v2) attribute binds the signer certificate (RFC 5816). */
static lts_status check_ess(CMS_SignerInfo *si, X509 *signer, STACK_OF(X509) *certs)
{
    lts_status rc = LTS_OK;
    ESS_SIGNING_CERT *v1 = NULL;
    ESS_SIGNING_CERT_V2 *v2 = NULL;
    STACK_OF(X509) *chain = NULL;
    ASN1_OBJECT *o1 = OBJ_nid2obj(NID_id_smime_aa_signingCertificate);
    ASN1_OBJECT *o2 = OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2);
    ASN1_STRING *s1 = CMS_signed_get0_data_by_OBJ(si, o1, -3, V_ASN1_SEQUENCE);
    ASN1_STRING *s2 = CMS_signed_get0_data_by_OBJ(si, o2, -3, V_ASN1_SEQUENCE);
    ENSURE_R(s1 != NULL || s2 != NULL, LTS_E_CRYPTO, LTS_TSA_R_SIGNATURE,
             "TSA token has no ESS signing-certificate attribute");
    if (s1 != NULL) {
        const unsigned char *p = ASN1_STRING_get0_data(s1);
        ENSURE_R((v1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(s1))) != NULL,
                 LTS_E_CRYPTO, LTS_TSA_R_SIGNATURE,
                 "TSA token ESS signing-certificate is malformed");
    }
    if (s2 != NULL) {
        const unsigned char *p = ASN1_STRING_get0_data(s2);
        ENSURE_R((v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(s2))) != NULL,
                 LTS_E_CRYPTO, LTS_TSA_R_SIGNATURE,
                 "TSA token ESS signing-certificate-v2 is malformed");
    }
    LTS_ALLOC(chain = sk_X509_new_null());
    LTS_ALLOC(sk_X509_push(chain, signer) ? chain : NULL);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (x != signer && !sk_X509_push(chain, x))
            LTS_FAIL(LTS_E_NOMEM, "out of memory");
    }
    ENSURE_R(OSSL_ESS_check_signing_certs(v1, v2, chain, 1) > 0, LTS_E_CRYPTO, LTS_TSA_R_SIGNATURE,
             "TSA token ESS signing-certificate does not name the signer certificate");
out:
    ERR_clear_error();
    sk_X509_free(chain); /* borrowed certificates */
    ESS_SIGNING_CERT_free(v1);
    ESS_SIGNING_CERT_V2_free(v2);
    return rc;
}

static lts_status check_chain(X509_STORE *trust, X509 *signer, STACK_OF(X509) *certs)
{
    lts_status rc = LTS_OK;
    X509_STORE_CTX *ctx = NULL;
    LTS_ALLOC(ctx = X509_STORE_CTX_new());
    LTS_OSSL(X509_STORE_CTX_init(ctx, trust, signer, certs) == 1, "X509_STORE_CTX_init");
    LTS_OSSL(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN) == 1,
             "X509_STORE_CTX_set_purpose");
    if (X509_verify_cert(ctx) != 1)
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_TSA_R_UNTRUSTED, "TSA certificate chain does not verify "
                   "to the trust anchors: %s",
                   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    return rc;
}

/* The CMS side of the token: one SignerInfo, its certificate present with the right EKU,
 * the signature, the ESS binding, and the chain when asked. */
static lts_status check_token(lts_span tok, const ASN1_GENERALIZEDTIME *gen_time,
                              X509_STORE *trust)
{
    lts_status rc = LTS_OK;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *certs = NULL;
    X509 *signer = NULL;
    const unsigned char *p = tok.p;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)tok.n);
    if (cms == NULL || p != tok.p + tok.n)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_MALFORMED, "TSA token is not a DER CMS ContentInfo");
    ENSURE_R(OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed &&
             OBJ_obj2nid(CMS_get0_eContentType(cms)) == NID_id_smime_ct_TSTInfo,
             LTS_E_INPUT, LTS_TSA_R_MALFORMED, "TSA token is not a SignedData over a TSTInfo");
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    ENSURE_R(sk_CMS_SignerInfo_num(sis) == 1, LTS_E_INPUT, LTS_TSA_R_MALFORMED,
             "TSA token has %d signatures, RFC 3161 §2.4.2 allows one",
             sk_CMS_SignerInfo_num(sis));
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    certs = CMS_get1_certs(cms);
    for (int i = 0; certs && i < sk_X509_num(certs) && signer == NULL; i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
            signer = sk_X509_value(certs, i);
    if (signer == NULL)
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_TSA_R_NO_CERT,
                   "TSA token does not carry the TSA certificate (certReq was true)");
    LTS_TRY(lts_tsa__check_eku(signer));
    if (ASN1_TIME_compare(X509_get0_notBefore(signer), gen_time) > 0 ||
        ASN1_TIME_compare(gen_time, X509_get0_notAfter(signer)) > 0)
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_TSA_R_CERT_TIME,
                   "TSA token genTime %.20s is outside the TSA certificate's validity",
                   (const char *)ASN1_STRING_get0_data(gen_time));
    if (CMS_verify(cms, certs, NULL, NULL, NULL,
                   CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY | CMS_NOINTERN) != 1) {
        rc = lts_err__ossl(LTS_E_CRYPTO, LTS_MODULE, "TSA token signature does not verify");
        rc = lts_err__set(rc, LTS_MODULE, LTS_TSA_R_SIGNATURE, "%s", lts_error_last()->message);
        goto out;
    }
    LTS_TRY(check_ess(si, signer, certs));
    if (trust != NULL)
        LTS_TRY(check_chain(trust, signer, certs));
out:
    ERR_clear_error();
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    return rc;
}

lts_status lts_tsa__check_resp(const TS_REQ *req, lts_span resp, X509_STORE *trust,
                               lts_buf *token)
{
    lts_status rc = LTS_OK;
    TS_RESP *r = NULL;
    lts_span tok;
    const unsigned char *p = resp.p;

    if (resp.n == 0 || resp.n > LONG_MAX)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_MALFORMED, "TSA response is empty");
    r = d2i_TS_RESP(NULL, &p, (long)resp.n);
    ERR_clear_error();
    if (r == NULL || p != resp.p + resp.n)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_MALFORMED,
                   "TSA response is not a DER TimeStampResp (%zu bytes)", resp.n);
    LTS_TRY(check_tstinfo(req, r));
    rc = token_bytes(resp, &tok);
    if (rc != LTS_OK)
        LTS_FAIL_R(LTS_E_INPUT, LTS_TSA_R_MALFORMED, "TSA response: %s",
                   lts_error_last()->message);
    LTS_TRY(check_token(tok, TS_TST_INFO_get_time(TS_RESP_get_tst_info(r)), trust));
    LTS_TRY(lts_buf_set(token, tok));
out:
    if (rc != LTS_OK)
        lts_buf_dispose(token);
    TS_RESP_free(r);
    return rc;
}
