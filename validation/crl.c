/* validation/crl.c — CRLs (RFC 5280 §5, §6.3): fetch from a distribution point (DER or
 * PEM), check issuer, signature and freshness, look a certificate up. See ltsig/vdata.h. */
#define LTS_MODULE "vdata"
#include "validation/validation_int.h"

#include <limits.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "core/err.h"

lts_status lts_vdata__crl_parse(lts_span data, X509_CRL **out, const char *where)
{
    lts_status rc = LTS_OK;
    X509_CRL *crl = NULL;
    BIO *bio = NULL;
    *out = NULL;
    LTS_ENSURE(data.n > 0 && data.n < (size_t)INT_MAX, LTS_E_INPUT, "%s: empty CRL", where);
    if (data.n > 11 && memmem(data.p, data.n < 1024 ? data.n : 1024, "-----BEGIN X509 CRL-----", 24)) {
        LTS_ALLOC(bio = BIO_new_mem_buf(data.p, (int)data.n));
        crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
    } else {
        const unsigned char *p = data.p;
        crl = d2i_X509_CRL(NULL, &p, (long)data.n);
        if (crl != NULL && p != data.p + data.n) {
            X509_CRL_free(crl);
            crl = NULL;
        }
    }
    if (crl == NULL) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_GARBAGE, "%s: not a CRL (%zu bytes that parse as "
                   "neither DER nor PEM CertificateList)", where, data.n);
    }
    *out = crl;
    crl = NULL;
out:
    BIO_free(bio);
    X509_CRL_free(crl);
    return rc;
}

static void fmt_time(char *out, size_t cap, lts_time t)
{
    if (lts_time_format_rfc3339(out, cap, t) != LTS_OK)
        snprintf(out, cap, "?");
}

lts_status lts_vdata__crl_verify(X509_CRL *crl, X509 *cert, X509 *issuer, lts_time now,
                                 const char *where, lts_revocation_info *info)
{
    lts_status rc = LTS_OK;
    lts_revocation_info ri;
    X509_REVOKED *rev = NULL;
    ASN1_ENUMERATED *reason = NULL;
    EVP_PKEY *pk;
    char iname[256], cname[256], a[LTS_TIME_RFC3339_LEN], b[LTS_TIME_RFC3339_LEN];
    int crit = 0;

    memset(&ri, 0, sizeof ri);
    ri.status = LTS_CERT_UNKNOWN;
    ri.reason = -1;
    if (info)
        *info = ri;
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
        char cri[256] = "?";
        X509_NAME_oneline(X509_CRL_get_issuer(crl), cri, sizeof cri);
        LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_CRL_ISSUER, "%s is issued by %s, not by %s", where,
                   cri, lts_vdata__name(issuer, iname, sizeof iname));
    }
    if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE)
        && !(X509_get_key_usage(issuer) & KU_CRL_SIGN))
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_CRL_ISSUER, "%s: %s may not sign CRLs (no cRLSign "
                   "key usage)", where, lts_vdata__name(issuer, iname, sizeof iname));
    pk = X509_get0_pubkey(issuer);
    if (pk == NULL || X509_CRL_verify(crl, pk) != 1) {
        ERR_clear_error();
        LTS_FAIL_R(LTS_E_CRYPTO, LTS_VDATA_R_SIGNATURE, "%s is not signed by %s", where,
                   lts_vdata__name(issuer, iname, sizeof iname));
    }
    /* An unknown critical CRL extension means we cannot tell what the CRL covers. */
    for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
        X509_EXTENSION *e = X509_CRL_get_ext(crl, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
        if (X509_EXTENSION_get_critical(e) && nid != NID_crl_number && nid != NID_authority_key_identifier)
            crit = nid == NID_undef ? -1 : nid;
    }
    LTS_ENSURE(crit == 0, LTS_E_UNSUPPORTED, "%s: CRL with a critical %s extension (partitioned "
               "or delta CRLs are not supported)", where, crit > 0 ? OBJ_nid2sn(crit) : "unknown");
    LTS_TRY(lts_vdata__time(X509_CRL_get0_lastUpdate(crl), &ri.this_update));
    if (X509_CRL_get0_nextUpdate(crl))
        LTS_TRY(lts_vdata__time(X509_CRL_get0_nextUpdate(crl), &ri.next_update));
    if (now != LTS_VDATA_NO_FRESHNESS) {
        if (ri.this_update > now + LTS_VDATA_SKEW) {
            fmt_time(a, sizeof a, ri.this_update);
            LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_STALE, "%s: thisUpdate %s is in the future",
                       where, a);
        }
        if (ri.next_update != 0 && ri.next_update < now - LTS_VDATA_SKEW) {
            fmt_time(a, sizeof a, ri.next_update);
            fmt_time(b, sizeof b, now);
            LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_STALE, "%s is stale: nextUpdate %s is before "
                       "%s", where, a, b);
        }
    }
    ri.source = LTS_REVSRC_CRL;
    ri.status = LTS_CERT_GOOD;
    if (cert != NULL) {
        if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_CRL_get_issuer(crl)) != 0)
            LTS_FAIL_R(LTS_E_INPUT, LTS_VDATA_R_NO_SINGLE, "%s: CRL does not cover %s (another "
                       "issuer)", where, lts_vdata__name(cert, cname, sizeof cname));
        int r = X509_CRL_get0_by_cert(crl, &rev, cert);
        if (r == 1) {
            ri.status = LTS_CERT_REVOKED;
            LTS_TRY(lts_vdata__time(X509_REVOKED_get0_revocationDate(rev), &ri.revocation_time));
            reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
            if (reason != NULL)
                ri.reason = (int)ASN1_ENUMERATED_get(reason);
        }
    }
    if (info)
        *info = ri;
out:
    ERR_clear_error();
    ASN1_ENUMERATED_free(reason);
    return rc;
}

lts_status lts_vdata__fetch_crl(const char *url, X509 *issuer, long timeout_s,
                                const char *ca_file, lts_time now, lts_buf *out)
{
    lts_status rc = LTS_OK;
    lts_buf body = LTS_BUF_INIT;
    X509_CRL *crl = NULL;
    unsigned char *der = NULL;
    int n;
    char where[600];
    snprintf(where, sizeof where, "CRL at %s", url);
    LTS_TRY(lts_vdata__http("CRL server", url, NULL, NULL, timeout_s, ca_file, LTS_VDATA_MAX_CRL,
                            &body));
    LTS_TRY(lts_vdata__crl_parse(lts_buf_span(&body), &crl, where));
    LTS_TRY(lts_vdata__crl_verify(crl, NULL, issuer, now, where, NULL));
    n = i2d_X509_CRL(crl, &der);
    LTS_OSSL(n > 0, "i2d_X509_CRL");
    LTS_TRY(lts_buf_set(out, lts_span_of(der, (size_t)n)));
out:
    OPENSSL_free(der);
    X509_CRL_free(crl);
    lts_buf_dispose(&body);
    return rc;
}

/* see ltsig/vdata.h */
lts_status lts_vdata_crl_check(lts_span crl, lts_span cert, lts_span issuer, lts_time now,
                               lts_revocation_info *out)
{
    lts_status rc = LTS_OK;
    X509_CRL *c = NULL;
    X509 *x = NULL, *i = NULL;
    if (out) {
        memset(out, 0, sizeof *out);
        out->status = LTS_CERT_UNKNOWN;
        out->reason = -1;
    }
    LTS_TRY(lts_vdata__x509_from_der(&x, cert, "certificate"));
    LTS_TRY(lts_vdata__x509_from_der(&i, issuer, "issuer certificate"));
    LTS_TRY(lts_vdata__crl_parse(crl, &c, "CRL"));
    LTS_TRY(lts_vdata__crl_verify(c, x, i, now, "CRL", out));
out:
    X509_CRL_free(c);
    X509_free(x);
    X509_free(i);
    return rc;
}

const char *lts_cert_status_name(lts_cert_status st)
{
    switch (st) {
    case LTS_CERT_GOOD: return "good";
    case LTS_CERT_REVOKED: return "revoked";
    default: return "unknown";
    }
}

const char *lts_crl_reason_name(int reason)
{
    static const char *const names[] = {
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "unspecified", "removeFromCRL",
        "privilegeWithdrawn", "aACompromise"
    };
    if (reason < 0 || reason >= (int)(sizeof names / sizeof names[0]))
        return "unspecified";
    return names[reason];
}
