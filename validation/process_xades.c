/* The XAdES validation process: ETSI EN 319 102-1 §5.3 (basic signature validation) for each
 * ds:Signature of an XML document, with the format checks of EN 319 132-1. The XML work
 * (structure, signing certificate, references, SignatureValue) is done by formats/xades
 * (lts_xades_check_file); here the results become indications and the chain is judged. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <ltsig/policy.h>
#include <ltsig/vdata.h>
#include <ltsig/xades.h>
#include "core/err.h"
#include "core/mem.h"

static void lower(lts_sig_result *s, lts_indication i, lts_subindication sub)
{
    lts_report__lower(&s->indication, &s->subindication, i, sub);
}

/* Indications from what formats/xades found, in the order of EN 319 102-1 §5.3: format,
 * signing certificate identification, then cryptographic verification. */
static void judge(lts_sig_result *s, const lts_xades_check *k)
{
    if (!k->format_ok)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
    if (!k->refs_ok)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    if (k->sig_checked && !k->sig_ok)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_SIG_CRYPTO_FAILURE);
    if (!k->data_found)
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_SIGNED_DATA_NOT_FOUND);
    if (k->format_ok && !k->signer_found)
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
}

/* SignatureTimeStamp t: token, imprint, TSA chain. A passed one is a proof of existence
 * of the signature at its genTime (*poe, the earliest). */
static lts_status one_ts(lts_report *r, X509_STORE *store, lts_sig_result *s,
                         const lts_xades_ts_check *t, const lts_xades_check *k, int *have_poe,
                         lts_time *poe)
{
    lts_status rc = LTS_OK;
    lts_ts_result *tr = NULL;
    lts_indication ind = LTS_IND_TOTAL_PASSED;
    lts_subindication sub = LTS_SUB_NONE;
    STACK_OF(X509) *pool = NULL;
    X509 *tsa = NULL;
    lts_span *ders = NULL;
    lts_chain_result cr;
    char *name = NULL;
    char msg[320] = "";

    memset(&cr, 0, sizeof cr);
    LTS_TRY(lts_report__add_ts(s, t->kind ? t->kind : "signature-time-stamp", &tr));
    tr->gen_time = t->gen_time;
    if (!t->imprint_checked)
        lts_report__lower(&ind, &sub, LTS_IND_INDETERMINATE, LTS_SUB_SIGNED_DATA_NOT_FOUND);
    else if (!t->imprint_ok)
        lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    if (!t->token_ok)
        lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_SIG_CRYPTO_FAILURE);
    if (t->tsa_cert.n > 0) {
        const unsigned char *p = t->tsa_cert.p;
        size_t n = t->n_certs + k->n_certs;
        LTS_OSSL((tsa = d2i_X509(NULL, &p, (long)t->tsa_cert.n)) != NULL, "TSA certificate");
        LTS_TRY(lts_report__name_text(&name, X509_get_subject_name(tsa)));
        LTS_TRY(lts_report__set_str(&tr->tsa, name));
        LTS_ALLOC(ders = lts_calloc(n ? n : 1, sizeof *ders));
        for (size_t i = 0; i < t->n_certs; i++)
            ders[i] = lts_buf_span(&t->certs[i]);
        for (size_t i = 0; i < k->n_certs; i++)
            ders[t->n_certs + i] = lts_buf_span(&k->certs[i]);
        LTS_TRY(lts_chain__certs_from_der(&pool, ders, n, NULL));
        LTS_TRY(lts_chain__verify_tsa(store, tsa, pool, r->validation_time, &cr));
        lts_report__lower(&ind, &sub, cr.indication, cr.sub);
        snprintf(msg, sizeof msg, "TSA %s", cr.detail);
    } else {
        lts_report__lower(&ind, &sub, LTS_IND_INDETERMINATE, LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
    }
    tr->indication = ind;
    tr->subindication = sub;
    if (ind != LTS_IND_TOTAL_PASSED && t->problem)
        snprintf(msg, sizeof msg, "%s", t->problem);
    LTS_TRY(lts_report__set_str(&tr->message, msg[0] ? msg : NULL));
    LTS_TRY(lts_report__msg(s, "%s: %s%s%s", t->kind ? t->kind : "signature-time-stamp",
                            lts_indication_name(ind),
                            sub ? " / " : "", lts_subindication_name(sub)));
    if (ind == LTS_IND_TOTAL_PASSED && t->has_gen_time && (!*have_poe || t->gen_time < *poe)) {
        *have_poe = 1;
        *poe = t->gen_time;
    }
out:
    lts_chain_result__dispose(&cr);
    lts_free(name);
    lts_free(ders);
    X509_free(tsa);
    sk_X509_pop_free(pool, X509_free);
    return rc;
}

/* The signer certificate's status from the revocation values the signature carries
 * (B-LT and above); the issuer is the next certificate of the verified path. Revoked with
 * no proof of existence before the revocation: INDETERMINATE REVOKED_NO_POE. */
static lts_status embedded_revocation(lts_sig_result *s, const lts_xades_check *k,
                                      const lts_chain_result *cr, int have_poe, lts_time poe)
{
    lts_status rc = LTS_OK;
    unsigned char *issuer = NULL;
    int n;
    lts_revocation_info info;
    int found = 0;
    char when[LTS_TIME_RFC3339_LEN];

    if (k->n_ocsps + k->n_crls == 0 || cr->chain == NULL || sk_X509_num(cr->chain) < 2)
        goto out;
    n = i2d_X509(sk_X509_value(cr->chain, 1), &issuer);
    LTS_OSSL(n > 0, "i2d_X509");
    for (size_t i = 0; i < k->n_ocsps + k->n_crls && !found; i++) {
        lts_status st;
        lts_span issuer_der = lts_span_of(issuer, (size_t)n);
        memset(&info, 0, sizeof info);
        if (i < k->n_ocsps)
            st = lts_vdata_ocsp_check(lts_buf_span(&k->ocsps[i]), lts_buf_span(&k->signer_cert),
                                      issuer_der, LTS_VDATA_NO_FRESHNESS, &info);
        else
            st = lts_vdata_crl_check(lts_buf_span(&k->crls[i - k->n_ocsps]),
                                     lts_buf_span(&k->signer_cert), issuer_der,
                                     LTS_VDATA_NO_FRESHNESS, &info);
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        if (st == LTS_OK && info.status != LTS_CERT_UNKNOWN)
            found = 1;
        lts_error_clear();
    }
    if (!found) {
        LTS_TRY(lts_report__msg(s, "no embedded revocation value covers the signer certificate"));
        goto out;
    }
    if (info.status == LTS_CERT_GOOD) {
        LTS_TRY(lts_report__msg(s, "signer certificate not revoked (embedded %s)",
                                info.source == LTS_REVSRC_OCSP ? "OCSP response" : "CRL"));
        goto out;
    }
    LTS_TRY(lts_time_format_rfc3339(when, sizeof when, info.revocation_time));
    if (have_poe && poe < info.revocation_time) {
        LTS_TRY(lts_report__msg(s, "signer certificate revoked on %s, after the signature's "
                                   "proof of existence", when));
    } else {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE);
        LTS_TRY(lts_report__msg(s, "signer certificate revoked on %s (%s)", when,
                                lts_crl_reason_name(info.reason)));
    }
out:
    OPENSSL_free(issuer);
    return rc;
}

/* The signer's chain at the validation time; when it is only out of bounds then and a
 * time-stamp proves the signature existed earlier, at that time (EN 319 102-1 §5.5, as the
 * CAdES process does). *cr gets the chain that counts (for the revocation check). */
static lts_status signer_chain(const lts_validate_opts *o, X509_STORE *store, lts_sig_result *s,
                               X509 *cert, STACK_OF(X509) *certs, lts_time now, int have_poe,
                               lts_time poe, lts_chain_result *cr)
{
    lts_status rc = LTS_OK;
    lts_chain_result at_poe;

    memset(&at_poe, 0, sizeof at_poe);
    LTS_TRY(lts_chain__verify(store, cert, certs, now, cr));
    if (cr->sub == LTS_SUB_OUT_OF_BOUNDS_NO_POE && have_poe) {
        LTS_TRY(lts_chain__verify(store, cert, certs, poe, &at_poe));
        if (at_poe.indication == LTS_IND_TOTAL_PASSED) {
            LTS_TRY(lts_report__msg(s, "%s at the validation time, but the chain was valid at "
                                       "the time-stamp's genTime (proof of existence)",
                                    cr->detail));
            lts_chain_result__dispose(cr);
            *cr = at_poe;
            memset(&at_poe, 0, sizeof at_poe);
            goto out;
        }
    }
    lower(s, cr->indication, cr->sub);
    LTS_TRY(lts_report__msg(s, "%s%s", cr->detail,
                            o->trust ? "" : " (no --trust anchors were given)"));
out:
    lts_chain_result__dispose(&at_poe);
    return rc;
}

/* A reference DigestMethod weaker than the SignatureMethod's digest (e.g. SHA-1 references
 * under rsa-sha256) is judged by the policy at the best signature time, as the signature
 * algorithm is in lts_validation__after (EN 319 102-1 §5.2.8, TS 119 312 sunsets). */
static lts_status ref_digest_policy(const lts_validate_opts *o, lts_sig_result *s, lts_hash h)
{
    lts_status rc = LTS_OK;
    lts_indication ind;
    lts_subindication sub;
    char why[300];

    lts_policy_check_algorithm(o->version >= 2 ? o->policy : NULL, h, LTS_SCHEME_NONE, 0,
                               s->best_signature_time, &ind, &sub, why, sizeof why);
    if (ind != LTS_IND_TOTAL_PASSED) {
        lower(s, ind, sub);
        LTS_TRY(lts_report__msg(s, "policy: reference digest: %s", why));
    }
out:
    return rc;
}

static lts_status one_signature(const lts_validate_opts *o, lts_report *r, X509_STORE *store,
                                const lts_xades_check *k)
{
    lts_status rc = LTS_OK;
    lts_sig_result *s = NULL;
    STACK_OF(X509) *certs = NULL;
    X509 *cert = NULL;
    lts_span *ders = NULL;
    lts_chain_result cr;

    memset(&cr, 0, sizeof cr);
    LTS_TRY(lts_report__add_sig(r, "XAdES", &s));
    if (k->signature_id)
        LTS_TRY(lts_report__set_str(&s->id, k->signature_id));
    LTS_TRY(lts_report__set_str(&s->level, k->level ? k->level : "XMLDSig"));
    if (k->hash != LTS_HASH_NONE)
        LTS_TRY(lts_report__set_str(&s->digest_algorithm, lts_hash_name(k->hash)));
    if (k->scheme != LTS_SCHEME_NONE)
        LTS_TRY(lts_report__set_str(&s->signature_algorithm, lts_scheme_name(k->scheme)));
    s->has_signing_time = k->has_signing_time;
    s->signing_time = k->signing_time;
    s->best_signature_time = r->validation_time; /* B-B: no proof of existence yet */
    for (size_t i = 0; i < k->n_notes; i++)
        LTS_TRY(lts_report__msg(s, "%s", k->notes[i]));
    judge(s, k);
    if (k->signer_found) {
        const unsigned char *p = k->signer_cert.p;
        LTS_OSSL((cert = d2i_X509(NULL, &p, (long)k->signer_cert.n)) != NULL,
                 "signer certificate");
        LTS_TRY(lts_report__fill_signer(s, cert));
        LTS_ALLOC(ders = lts_calloc(k->n_certs ? k->n_certs : 1, sizeof *ders));
        for (size_t i = 0; i < k->n_certs; i++)
            ders[i] = lts_buf_span(&k->certs[i]);
        LTS_TRY(lts_chain__certs_from_der(&certs, ders, k->n_certs, NULL));
    }
    {
        int have_poe = 0;
        lts_time poe = 0;
        for (size_t i = 0; i < k->n_timestamps; i++)
            LTS_TRY(one_ts(r, store, s, &k->timestamps[i], k, &have_poe, &poe));
        if (have_poe)
            s->best_signature_time = poe;
        if (k->ref_hash != LTS_HASH_NONE && k->ref_hash != k->hash)
            LTS_TRY(ref_digest_policy(o, s, k->ref_hash));
        if (k->signer_found) {
            LTS_TRY(signer_chain(o, store, s, cert, certs, r->validation_time, have_poe, poe, &cr));
            LTS_TRY(embedded_revocation(s, k, &cr, have_poe, poe));
        }
    }
    if (k->problem && s->indication != LTS_IND_TOTAL_PASSED)
        LTS_TRY(lts_report__msg(s, "first problem: %s", k->problem));
out:
    lts_chain_result__dispose(&cr);
    lts_free(ders);
    sk_X509_pop_free(certs, X509_free);
    X509_free(cert);
    return rc;
}

lts_status lts_validation__xades(const char *path, const lts_validate_opts *o, lts_report *r)
{
    lts_status rc = LTS_OK;
    lts_xades_check *k = NULL;
    X509_STORE *store = NULL;
    size_t n = 0;

    LTS_TRY(lts_xades_check_file(path, o->detached_content, &k, &n));
    LTS_TRY(lts_trust__load(&store, o->trust));
    for (size_t i = 0; i < n; i++)
        LTS_TRY(one_signature(o, r, store, &k[i]));
out:
    X509_STORE_free(store);
    lts_xades_checks_free(k, n);
    return rc;
}
