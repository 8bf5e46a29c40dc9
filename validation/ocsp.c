/* validation/ocsp.c — OCSP (RFC 6960): the request over HTTP POST (appendix A.1), and the
 * checks of a response: status, responder authorisation (§4.2.2.2), signature, CertID,
 * thisUpdate/nextUpdate, nonce (§4.4.1). See ltsig/vdata.h. */
#define LTS_MODULE "vdata"
#include "validation/validation_int.h"

#include <limits.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "core/err.h"

lts_status lts_vdata__ocsp_parse(lts_span der, OCSP_RESPONSE **out, const char *where)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = der.p;
    OCSP_RESPONSE *r = NULL;
    *out = NULL;
    LTS_ENSURE(der.n > 0 && der.n < (size_t)LONG_MAX, LTS_E_INPUT, "%s: empty OCSP response", where);
    r = d2i_OCSP_RESPONSE(NULL, &p, (long)der.n);
    if (r == NULL || p != der.p + der.n) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_GARBAGE,
                   "%s: not an OCSP response (%zu bytes that do not parse as DER OCSPResponse)",
                   where, der.n);
    }
    *out = r;
    r = NULL;
out:
    OCSP_RESPONSE_free(r);
    return rc;
}

int lts_vdata__ocsp_find(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, OCSP_SINGLERESP **single)
{
    int found = 0;
    int n = OCSP_resp_count(bs);
    for (int i = 0; i < n && !found; i++) {
        OCSP_SINGLERESP *s = OCSP_resp_get0(bs, i);
        const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(s);
        ASN1_OBJECT *mdobj = NULL;
        OCSP_CERTID *mine = NULL;
        if (OCSP_id_get0_info(NULL, &mdobj, NULL, NULL, (OCSP_CERTID *)cid) != 1)
            continue;
        const EVP_MD *md = EVP_get_digestbyobj(mdobj);
        if (md != NULL && (mine = OCSP_cert_to_id(md, cert, issuer)) != NULL
            && OCSP_id_cmp(mine, cid) == 0) {
            found = 1;
            if (single)
                *single = s;
        }
        OCSP_CERTID_free(mine);
    }
    ERR_clear_error();
    return found;
}

/* The responder is the CA itself, or a certificate the CA issued for OCSP signing. */
static lts_status check_responder(X509 *signer, X509 *issuer, lts_time at, const char *where)
{
    lts_status rc = LTS_OK;
    char sname[256], iname[256];
    EVP_PKEY *spk = X509_get0_pubkey(signer), *ipk = X509_get0_pubkey(issuer);
    if (spk != NULL && ipk != NULL && EVP_PKEY_eq(spk, ipk) == 1
        && X509_NAME_cmp(X509_get_subject_name(signer), X509_get_subject_name(issuer)) == 0)
        goto out; /* signed by the CA itself */
    if (!lts_vdata__issued_by(signer, issuer))
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_UNAUTHORISED,
                   "%s: OCSP response signed by %s, which is neither %s nor issued by it "
                   "(RFC 6960 §4.2.2.2)", where, lts_vdata__name(signer, sname, sizeof sname),
                   lts_vdata__name(issuer, iname, sizeof iname));
    if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE)
        || !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_UNAUTHORISED,
                   "%s: OCSP response signed by %s, which %s issued but not for OCSP signing "
                   "(no id-kp-OCSPSigning EKU, RFC 6960 §4.2.2.2)", where,
                   lts_vdata__name(signer, sname, sizeof sname),
                   lts_vdata__name(issuer, iname, sizeof iname));
    if (at != 0) {
        time_t t = (time_t)at;
        if (X509_cmp_time(X509_get0_notBefore(signer), &t) > 0
            || X509_cmp_time(X509_get0_notAfter(signer), &t) < 0)
            LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_UNAUTHORISED,
                       "%s: the OCSP responder certificate %s was not valid when the response "
                       "was produced", where, lts_vdata__name(signer, sname, sizeof sname));
    }
out:
    ERR_clear_error();
    return rc;
}

static lts_status check_times(lts_time thisupd, lts_time nextupd, int has_next, lts_time now,
                              const char *what, const char *where)
{
    lts_status rc = LTS_OK;
    char a[LTS_TIME_RFC3339_LEN], b[LTS_TIME_RFC3339_LEN];
    if (now == LTS_VDATA_NO_FRESHNESS)
        goto out;
    if (thisupd > now + LTS_VDATA_SKEW) {
        if (lts_time_format_rfc3339(a, sizeof a, thisupd) != LTS_OK)
            snprintf(a, sizeof a, "?");
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_STALE, "%s: %s thisUpdate %s is in the future", where,
                   what, a);
    }
    if (has_next && nextupd < now - LTS_VDATA_SKEW) {
        if (lts_time_format_rfc3339(a, sizeof a, nextupd) != LTS_OK)
            snprintf(a, sizeof a, "?");
        if (lts_time_format_rfc3339(b, sizeof b, now) != LTS_OK)
            snprintf(b, sizeof b, "?");
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_STALE, "%s: %s is stale: nextUpdate %s is before %s",
                   where, what, a, b);
    }
    if (has_next && nextupd < thisupd)
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_STALE, "%s: %s nextUpdate is before thisUpdate",
                   where, what);
out:
    return rc;
}

lts_status lts_vdata__ocsp_verify(OCSP_RESPONSE *resp, X509 *cert, X509 *issuer, lts_time now,
                                  const char *where, lts_revocation_info *info, X509 **signer_out)
{
    lts_status rc = LTS_OK;
    OCSP_BASICRESP *bs = NULL;
    STACK_OF(X509) *extra = NULL;
    X509_STORE *empty = NULL;
    X509 *signer = NULL; /* borrowed from bs or extra */
    OCSP_SINGLERESP *single = NULL;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    lts_revocation_info ri;
    char name[256];
    int st, reason = -1;

    memset(&ri, 0, sizeof ri);
    ri.status = LTS_CERT_UNKNOWN;
    ri.reason = -1;
    if (info)
        *info = ri;
    if (signer_out)
        *signer_out = NULL;

    st = OCSP_response_status(resp);
    if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        LTS_FAIL_R(LTS_E_NET, LTS_VDATA_R_OCSP_STATUS, "%s: OCSP response status %s (%d)", where,
                   OCSP_response_status_str(st), st);
    bs = OCSP_response_get1_basic(resp);
    if (bs == NULL) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_GARBAGE, "%s: not a basic OCSP response", where);
    }
    LTS_ALLOC(extra = sk_X509_new_null());
    LTS_ALLOC(sk_X509_push(extra, issuer) ? extra : NULL);
    if (OCSP_resp_get0_signer(bs, &signer, extra) != 1 || signer == NULL) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_UNAUTHORISED,
                   "%s: the OCSP responder's certificate is neither in the response nor the "
                   "issuer %s", where, lts_vdata__name(issuer, name, sizeof name));
    }
    /* The signature, with the signer found above: no chain building here (the issuer's
     * chain is the caller's business), so OCSP_NOVERIFY and an empty store. */
    LTS_ALLOC(empty = X509_STORE_new());
    if (OCSP_basic_verify(bs, extra, empty, OCSP_NOVERIFY) != 1) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_SIGNATURE,
                   "%s: the OCSP response signature does not verify with the key of %s", where,
                   lts_vdata__name(signer, name, sizeof name));
    }
    LTS_TRY(lts_vdata__time(OCSP_resp_get0_produced_at(bs), &ri.produced_at));
    LTS_TRY(check_responder(signer, issuer, ri.produced_at, where));

    if (!lts_vdata__ocsp_find(bs, cert, issuer, &single))
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_NO_SINGLE,
                   "%s: the OCSP response says nothing about %s (serial and issuer)", where,
                   lts_vdata__name(cert, name, sizeof name));
    st = OCSP_single_get0_status(single, &reason, &rev, &thisupd, &nextupd);
    LTS_ENSURE(thisupd != NULL, LTS_E_INPUT, "%s: SingleResponse without thisUpdate", where);
    LTS_TRY(lts_vdata__time(thisupd, &ri.this_update));
    if (nextupd)
        LTS_TRY(lts_vdata__time(nextupd, &ri.next_update));
    LTS_TRY(check_times(ri.this_update, ri.next_update, nextupd != NULL, now, "OCSP response",
                        where));
    ri.source = LTS_REVSRC_OCSP;
    if (st == V_OCSP_CERTSTATUS_GOOD) {
        ri.status = LTS_CERT_GOOD;
    } else if (st == V_OCSP_CERTSTATUS_REVOKED) {
        ri.status = LTS_CERT_REVOKED;
        ri.reason = reason;
        LTS_TRY(lts_vdata__time(rev, &ri.revocation_time));
    } else {
        ri.status = LTS_CERT_UNKNOWN;
    }
    if (signer_out) {
        LTS_OSSL(X509_up_ref(signer), "X509_up_ref");
        *signer_out = signer;
    }
    if (info)
        *info = ri;
out:
    ERR_clear_error();
    X509_STORE_free(empty);
    sk_X509_free(extra); /* the issuer is borrowed */
    OCSP_BASICRESP_free(bs);
    return rc;
}

static lts_status make_request(X509 *cert, X509 *issuer, lts_vdata_nonce nonce,
                               OCSP_REQUEST **out)
{
    lts_status rc = LTS_OK;
    OCSP_REQUEST *req = NULL;
    OCSP_CERTID *id = NULL;
    *out = NULL;
    LTS_ALLOC(req = OCSP_REQUEST_new());
    LTS_OSSL(id = OCSP_cert_to_id(EVP_sha1(), cert, issuer), "OCSP_cert_to_id");
    LTS_OSSL(OCSP_request_add0_id(req, id) != NULL, "OCSP_request_add0_id");
    id = NULL; /* the request owns it */
    if (nonce != LTS_VDATA_NONCE_OFF)
        LTS_OSSL(OCSP_request_add1_nonce(req, NULL, -1) == 1, "OCSP_request_add1_nonce");
    *out = req;
    req = NULL;
out:
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    return rc;
}

lts_status lts_vdata__fetch_ocsp(const char *url, X509 *cert, X509 *issuer, lts_vdata_nonce nonce,
                                 long timeout_s, const char *ca_file, lts_time now, lts_buf *out)
{
    lts_status rc = LTS_OK;
    OCSP_REQUEST *req = NULL;
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    unsigned char *reqder = NULL;
    int reqlen;
    lts_buf body = LTS_BUF_INIT;
    lts_span rs;
    char where[600];

    snprintf(where, sizeof where, "OCSP responder %s", url);
    LTS_TRY(make_request(cert, issuer, nonce, &req));
    reqlen = i2d_OCSP_REQUEST(req, &reqder);
    LTS_OSSL(reqlen > 0, "i2d_OCSP_REQUEST");
    rs = lts_span_of(reqder, (size_t)reqlen);
    LTS_TRY(lts_vdata__http("OCSP responder", url, &rs, "application/ocsp-request", timeout_s,
                            ca_file, LTS_VDATA_MAX_OCSP, &body));
    LTS_TRY(lts_vdata__ocsp_parse(lts_buf_span(&body), &resp, where));
    if (OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL && nonce != LTS_VDATA_NONCE_OFF) {
        bs = OCSP_response_get1_basic(resp);
        if (bs == NULL) {
            ERR_clear_error();
            LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_GARBAGE, "%s: not a basic OCSP response", where);
        }
        int nc = OCSP_check_nonce(req, bs);
        if (nc == 0)
            LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_NONCE, "%s: the OCSP nonce in the response is "
                       "not ours (replayed or forged response)", where);
        if (nc == -1 && nonce == LTS_VDATA_NONCE_REQUIRE)
            LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_NONCE,
                       "%s: the OCSP response does not echo our nonce", where);
    }
    rc = lts_vdata__ocsp_verify(resp, cert, issuer, now, where, NULL, NULL);
    if (rc != LTS_OK)
        goto out;
    LTS_TRY(lts_buf_set(out, lts_buf_span(&body)));
out:
    ERR_clear_error();
    OPENSSL_free(reqder);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    OCSP_REQUEST_free(req);
    lts_buf_dispose(&body);
    return rc;
}

/* see ltsig/vdata.h */
lts_status lts_vdata_ocsp_check(lts_span ocsp, lts_span cert, lts_span issuer, lts_time now,
                                lts_revocation_info *out)
{
    lts_status rc = LTS_OK;
    OCSP_RESPONSE *resp = NULL;
    X509 *c = NULL, *i = NULL;
    if (out) {
        memset(out, 0, sizeof *out);
        out->status = LTS_CERT_UNKNOWN;
        out->reason = -1;
    }
    LTS_TRY(lts_vdata__x509_from_der(&c, cert, "certificate"));
    LTS_TRY(lts_vdata__x509_from_der(&i, issuer, "issuer certificate"));
    LTS_TRY(lts_vdata__ocsp_parse(ocsp, &resp, "OCSP response"));
    LTS_TRY(lts_vdata__ocsp_verify(resp, c, i, now, "OCSP response", out, NULL));
out:
    OCSP_RESPONSE_free(resp);
    X509_free(c);
    X509_free(i);
    return rc;
}
