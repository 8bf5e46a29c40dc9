/* see validation/validation_int.h (chain/trust): X.509 path building and validation at a
 * given time, with the outcome mapped onto ETSI EN 319 102-1 §5.2.6 sub-indications. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include "core/err.h"

lts_status lts_chain__certs_from_der(STACK_OF(X509) **out, const lts_span *ders, size_t n,
                                     size_t *bad)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *sk = NULL;
    X509 *x = NULL;
    size_t nbad = 0;

    *out = NULL;
    LTS_ALLOC(sk = sk_X509_new_null());
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = ders[i].p;
        if (ders[i].n > LONG_MAX || (x = d2i_X509(NULL, &p, (long)ders[i].n)) == NULL ||
            p != ders[i].p + ders[i].n) {
            X509_free(x);
            x = NULL;
            ERR_clear_error();
            nbad++;
            continue;
        }
        LTS_ALLOC(sk_X509_push(sk, x) > 0 ? sk : NULL);
        x = NULL;
    }
    *out = sk;
    sk = NULL;
    if (bad)
        *bad = nbad;
out:
    X509_free(x);
    sk_X509_pop_free(sk, X509_free);
    return rc;
}

/* X509_V_ERR_* -> (indication, sub-indication). */
static void map_error(int err, lts_chain_result *r)
{
    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_NO_CERTIFICATE_CHAIN_FOUND;
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        /* expired at the validation time; with no proof of existence before expiry this
         * stays open (EN 319 102-1 §5.2.6.4) */
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_OUT_OF_BOUNDS_NO_POE;
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_OUT_OF_BOUNDS_NO_POE;
        break;
    case X509_V_ERR_CERT_REVOKED:
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_REVOKED_NO_POE;
        break;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_INVALID_POLICY_EXTENSION:
    case X509_V_ERR_NO_EXPLICIT_POLICY:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_CHAIN_CONSTRAINTS_FAILURE;
        break;
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE;
        break;
    default:
        r->indication = LTS_IND_INDETERMINATE;
        r->sub = LTS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE;
        break;
    }
}

static lts_status verify_for(X509_STORE *trust, X509 *leaf, STACK_OF(X509) *untrusted,
                             lts_time at, int purpose, lts_chain_result *out);

lts_status lts_chain__verify(X509_STORE *trust, X509 *leaf, STACK_OF(X509) *untrusted,
                             lts_time at, lts_chain_result *out)
{
    return verify_for(trust, leaf, untrusted, at, 0, out);
}

/* RFC 3161 §2.3: the TSA certificate carries one extended key usage, timeStamping, marked
 * critical (OpenSSL's X509_PURPOSE_TIMESTAMP_SIGN checks exactly that, and the key usage).
 * A TSA without it maps to X509_V_ERR_INVALID_PURPOSE: INDETERMINATE
 * CHAIN_CONSTRAINTS_FAILURE. */
lts_status lts_chain__verify_tsa(X509_STORE *trust, X509 *tsa, STACK_OF(X509) *untrusted,
                                 lts_time at, lts_chain_result *out)
{
    return verify_for(trust, tsa, untrusted, at, X509_PURPOSE_TIMESTAMP_SIGN, out);
}

static lts_status verify_for(X509_STORE *trust, X509 *leaf, STACK_OF(X509) *untrusted,
                             lts_time at, int purpose, lts_chain_result *out)
{
    lts_status rc = LTS_OK;
    X509_STORE_CTX *ctx = NULL;
    X509_VERIFY_PARAM *param;
    char subj[128] = "";
    int v;

    memset(out, 0, sizeof *out);
    LTS_ENSURE(trust != NULL && leaf != NULL, LTS_E_INTERNAL, "chain check without store/leaf");
    LTS_ALLOC(ctx = X509_STORE_CTX_new());
    LTS_OSSL(X509_STORE_CTX_init(ctx, trust, leaf, untrusted) == 1, "X509_STORE_CTX_init");
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)at); /* sets X509_V_FLAG_USE_CHECK_TIME */
    /* any certificate given as a trust anchor anchors a path (EN 319 102-1 §5.2.6) */
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (purpose != 0)
        LTS_OSSL(X509_VERIFY_PARAM_set_purpose(param, purpose) == 1, "X509_VERIFY_PARAM_set_purpose");
    v = X509_verify_cert(ctx);
    out->chain = X509_STORE_CTX_get1_chain(ctx);
    if (v == 1) {
        out->indication = LTS_IND_TOTAL_PASSED;
        out->sub = LTS_SUB_NONE;
        out->x509_error = X509_V_OK;
        snprintf(out->detail, sizeof out->detail, "certificate chain of %d verified to a trust anchor",
                 out->chain ? sk_X509_num(out->chain) : 0);
    } else if (v == 0) {
        X509 *at_cert = X509_STORE_CTX_get_current_cert(ctx);
        out->x509_error = X509_STORE_CTX_get_error(ctx);
        out->error_depth = X509_STORE_CTX_get_error_depth(ctx);
        if (at_cert)
            X509_NAME_oneline(X509_get_subject_name(at_cert), subj, sizeof subj);
        map_error(out->x509_error, out);
        snprintf(out->detail, sizeof out->detail, "certificate chain: %s (depth %d%s%s)",
                 X509_verify_cert_error_string(out->x509_error), out->error_depth,
                 subj[0] ? ", " : "", subj);
    } else {
        LTS_FAIL_OSSL(LTS_E_CRYPTO, "cannot verify the certificate chain");
    }
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    if (rc != LTS_OK)
        lts_chain_result__dispose(out);
    return rc;
}

void lts_chain_result__dispose(lts_chain_result *r)
{
    if (r == NULL)
        return;
    sk_X509_pop_free(r->chain, X509_free);
    r->chain = NULL;
}
