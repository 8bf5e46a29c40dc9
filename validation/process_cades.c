/* The CAdES validation process: ETSI EN 319 102-1 §5.3 (basic signature validation) for each
 * SignerInfo of a CMS SignedData, with the format checks of EN 319 122-1. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <ltsig/cades.h>
#include <ltsig/vdata.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

typedef struct {
    const char *path;
    const lts_validate_opts *o;
    lts_report *r;
    const lts_cades *c;
    X509_STORE *store;
    STACK_OF(X509) *certs;   /* every embedded certificate: the untrusted pool */
} ctx;

static void lower(lts_sig_result *s, lts_indication i, lts_subindication sub)
{
    lts_report__lower(&s->indication, &s->subindication, i, sub);
}

static const char *verdict(lts_cades_verdict v)
{
    return v == LTS_CADES_OK ? "OK" : v == LTS_CADES_BAD ? "FAILED" : "not checked";
}

/* Decide the indication from the format's checks (EN 319 102-1 §5.2.3, §5.2.7). */
static lts_status judge(lts_sig_result *s, const lts_cades_signer_check *k, int attached,
                        const char *detached)
{
    lts_status rc = LTS_OK;
    if (!k->has_signed_attrs) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: no signed attributes, not a CAdES signature"));
        goto out;
    }
    if (k->content_type == LTS_CADES_BAD ||
        (k->message_digest == LTS_CADES_BAD && !k->content_found))
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
    LTS_TRY(lts_report__msg(s, "content-type attribute: %s", verdict(k->content_type)));
    if (k->content_found) {
        LTS_TRY(lts_report__msg(s, "message-digest attribute vs. %s: %s",
                                attached ? "the attached content" :
                                detached ? "the detached content" : "the given digest",
                                k->message_digest == LTS_CADES_OK ? "matches" : "DOES NOT MATCH"));
        if (k->message_digest == LTS_CADES_BAD)
            lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    } else if (k->message_digest != LTS_CADES_BAD) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_SIGNED_DATA_NOT_FOUND);
        LTS_TRY(lts_report__msg(s, "message-digest: detached signature and no content given "
                                   "(--detached-content FILE)"));
    }
    LTS_TRY(lts_validation__cms_signer(s, k, "the SignedData"));
out:
    if (rc == LTS_OK && k->detail[0] && s->indication != LTS_IND_TOTAL_PASSED)
        rc = lts_report__msg(s, "first problem: %s", k->detail);
    return rc;
}

static lts_status der_of(X509 *x, lts_buf *out)
{
    lts_status rc = LTS_OK;
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    LTS_OSSL(n > 0, "i2d_X509");
    rc = lts_buf_set(out, lts_span_of(d, (size_t)n));
out:
    OPENSSL_free(d);
    return rc;
}

/* The signer certificate's status from the revocation data the signature carries
 * (SignedData.crls: CRLs and id-ri-ocsp-response, B-LT and above). Offline only; nothing
 * embedded leaves it unchecked (a later issue: collecting it). EN 319 102-1 §5.2.6: a
 * revoked signing certificate is INDETERMINATE REVOKED_NO_POE unless a proof of existence
 * predates the revocation. */
/* A BasicOCSPResponse (ES-XL revocation-values) as an OCSPResponse. */
static lts_status ocsp_response_of(lts_span basic, lts_buf *out)
{
    lts_status rc = LTS_OK;
    const unsigned char *p = basic.p;
    OCSP_BASICRESP *bs = NULL;
    OCSP_RESPONSE *resp = NULL;
    unsigned char *d = NULL;
    int n;
    LTS_ENSURE((bs = d2i_OCSP_BASICRESP(NULL, &p, (long)basic.n)) != NULL, LTS_E_INPUT,
               "malformed BasicOCSPResponse");
    LTS_OSSL((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) != NULL,
             "OCSP_response_create");
    n = i2d_OCSP_RESPONSE(resp, &d);
    LTS_OSSL(n > 0, "i2d_OCSP_RESPONSE");
    rc = lts_buf_set(out, lts_span_of(d, (size_t)n));
out:
    OPENSSL_free(d);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    ERR_clear_error();
    return rc;
}

/* Revocation value k the signature carries: SignedData.crls first, then the
 * revocation-values attribute of SignerInfo i. */
static lts_status revocation_value(ctx *x, size_t i, size_t k, int *is_ocsp, lts_span *der,
                                   lts_buf *tmp)
{
    size_t n = lts_cades_revocation_count(x->c);
    if (k < n)
        return lts_cades_revocation(x->c, k, is_ocsp, der);
    lts_status rc = lts_cades_revocation_value(x->c, i, k - n, is_ocsp, der);
    if (rc == LTS_OK && *is_ocsp) {
        tmp->n = 0;
        rc = ocsp_response_of(*der, tmp);
        *der = lts_buf_span(tmp);
    }
    return rc;
}

static lts_status check_revocation(ctx *x, lts_sig_result *s, size_t i, STACK_OF(X509) *chain)
{
    lts_status rc = LTS_OK;
    lts_buf cert = LTS_BUF_INIT, issuer = LTS_BUF_INIT, tmp = LTS_BUF_INIT;
    int good = 0, revoked = 0, any = 0;
    lts_revocation_info info, rev;
    char when[LTS_TIME_RFC3339_LEN] = "";

    memset(&rev, 0, sizeof rev);
    if (chain == NULL || sk_X509_num(chain) < 2)
        goto out;
    LTS_TRY(der_of(sk_X509_value(chain, 0), &cert));
    LTS_TRY(der_of(sk_X509_value(chain, 1), &issuer));
    for (size_t k = 0;; k++) {
        int is_ocsp = 0;
        lts_span der;
        lts_status vr = revocation_value(x, i, k, &is_ocsp, &der, &tmp);
        if (vr == LTS_E_NOTFOUND) {
            lts_error_clear();
            break;
        }
        if (vr != LTS_OK) {
            lts_error_clear();
            continue;
        }
        any = 1;
        lts_status r = is_ocsp ? lts_vdata_ocsp_check(der, lts_buf_span(&cert),
                                                       lts_buf_span(&issuer),
                                                       LTS_VDATA_NO_FRESHNESS, &info)
                               : lts_vdata_crl_check(der, lts_buf_span(&cert),
                                                     lts_buf_span(&issuer),
                                                     LTS_VDATA_NO_FRESHNESS, &info);
        if (r != LTS_OK) {
            lts_error_clear(); /* data about another certificate, or unusable */
            continue;
        }
        if (info.status == LTS_CERT_REVOKED && !revoked) {
            revoked = 1;
            rev = info;
        } else if (info.status == LTS_CERT_GOOD) {
            good = 1;
        }
    }
    if (revoked) {
        if (lts_time_format_rfc3339(when, sizeof when, rev.revocation_time) != LTS_OK)
            lts_error_clear();
        if (s->best_signature_time < rev.revocation_time) {
            LTS_TRY(lts_report__msg(s, "revocation: the signer certificate was revoked at %s "
                                       "(%s), after the proof of existence of the signature",
                                    when, lts_crl_reason_name(rev.reason)));
        } else {
            lower(s, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE);
            LTS_TRY(lts_report__msg(s, "revocation: the signer certificate was revoked at %s "
                                       "(%s, from the embedded %s)", when,
                                    lts_crl_reason_name(rev.reason),
                                    rev.source == LTS_REVSRC_OCSP ? "OCSP response" : "CRL"));
        }
    } else if (good) {
        LTS_TRY(lts_report__msg(s, "revocation: the signer certificate is not revoked "
                                   "(embedded OCSP response / CRL)"));
    } else if (any) {
        LTS_TRY(lts_report__msg(s, "revocation: the embedded data does not cover the signer "
                                   "certificate"));
    }
out:
    lts_buf_dispose(&cert);
    lts_buf_dispose(&issuer);
    lts_buf_dispose(&tmp);
    return rc;
}

/* The signer's chain at the validation time; when it is only out of bounds then and a
 * time-stamp proves the signature existed earlier, at that time (EN 319 102-1 §5.5). */
static lts_status check_chain(ctx *x, lts_sig_result *s, size_t i, X509 *cert, int have_poe,
                              lts_time poe)
{
    lts_status rc = LTS_OK;
    lts_chain_result cr, at_poe;
    memset(&cr, 0, sizeof cr);
    memset(&at_poe, 0, sizeof at_poe);
    LTS_TRY(lts_chain__verify(x->store, cert, x->certs, x->r->validation_time, &cr));
    if (cr.sub == LTS_SUB_OUT_OF_BOUNDS_NO_POE && have_poe) {
        LTS_TRY(lts_chain__verify(x->store, cert, x->certs, poe, &at_poe));
        if (at_poe.indication == LTS_IND_TOTAL_PASSED) {
            LTS_TRY(lts_report__msg(s, "%s at the validation time, but the chain was valid at "
                                       "the time-stamp's genTime (proof of existence)",
                                    cr.detail));
            LTS_TRY(check_revocation(x, s, i, at_poe.chain));
            goto out;
        }
    }
    lower(s, cr.indication, cr.sub);
    LTS_TRY(lts_report__msg(s, "%s%s", cr.detail,
                            x->o->trust ? "" : " (no --trust anchors were given)"));
    if (cr.indication == LTS_IND_TOTAL_PASSED)
        LTS_TRY(check_revocation(x, s, i, cr.chain));
out:
    lts_chain_result__dispose(&cr);
    lts_chain_result__dispose(&at_poe);
    return rc;
}

/* The TSA's certificate and chain; *ind / *sub lowered, *msg the chain text. */
/* The TSA's certificate and chain, at the validation time; when only out of bounds then,
 * at the genTime of a later time-stamp that passed (it covers this one: a proof of
 * existence, EN 319 102-1 §5.6.2.4 simplified). */
static lts_status check_tsa_chain(ctx *x, lts_cades_ts_check *t, lts_ts_result *tr,
                                  int have_later, lts_time later, lts_indication *ind,
                                  lts_subindication *sub, char *msg, size_t cap)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *pool = NULL;
    X509 *tsa = NULL;
    lts_chain_result cr;
    char *name = NULL;
    size_t n = lts_cades_cert_count(t->token);
    lts_span *ders = NULL;

    memset(&cr, 0, sizeof cr);
    LTS_ALLOC(ders = lts_calloc(n ? n : 1, sizeof *ders));
    for (size_t i = 0; i < n; i++)
        ders[i] = lts_cades_cert(t->token, i);
    LTS_TRY(lts_chain__certs_from_der(&pool, ders, n, NULL));
    for (int i = 0; i < sk_X509_num(x->certs); i++)
        LTS_ALLOC(sk_X509_push(pool, X509_dup(sk_X509_value(x->certs, i))) > 0 ? pool : NULL);
    {
        lts_span d = lts_cades_cert(t->token, (size_t)t->token_check.signer_cert);
        const unsigned char *p = d.p;
        LTS_OSSL((tsa = d2i_X509(NULL, &p, (long)d.n)) != NULL, "TSA certificate");
    }
    LTS_TRY(lts_report__name_text(&name, X509_get_subject_name(tsa)));
    LTS_TRY(lts_report__set_str(&tr->tsa, name));
    LTS_TRY(lts_chain__verify_tsa(x->store, tsa, pool, x->r->validation_time, &cr));
    if (cr.sub == LTS_SUB_OUT_OF_BOUNDS_NO_POE && have_later) {
        char d[sizeof cr.detail];
        snprintf(d, sizeof d, "%s", cr.detail);
        lts_chain_result__dispose(&cr);
        LTS_TRY(lts_chain__verify_tsa(x->store, tsa, pool, later, &cr));
        if (cr.indication == LTS_IND_TOTAL_PASSED) {
            if (snprintf(msg, cap, "TSA %.160s at the validation time; valid at the genTime "
                                   "of a later time-stamp (proof of existence)", d) < 0)
                msg[0] = 0;
            goto out;
        }
    }
    lts_report__lower(ind, sub, cr.indication, cr.sub);
    snprintf(msg, cap, "TSA %s", cr.detail);
out:
    lts_free(name);
    lts_free(ders);
    X509_free(tsa);
    sk_X509_pop_free(pool, X509_free);
    lts_chain_result__dispose(&cr);
    return rc;
}

/* Time-stamp k of SignerInfo i: token, imprint, TSA chain. A passed one is a proof of
 * existence of the signature at its genTime. */
static lts_status one_ts(ctx *x, lts_sig_result *s, size_t i, size_t k, int *have_poe,
                         lts_time *poe)
{
    lts_status rc = LTS_OK;
    lts_cades_ts_check t;
    lts_ts_result *tr = NULL;
    lts_indication ind = LTS_IND_TOTAL_PASSED;
    lts_subindication sub = LTS_SUB_NONE;
    char msg[300] = "";
    const lts_cades_signer_check *tk = &t.token_check;

    memset(&t, 0, sizeof t);
    LTS_TRY(lts_cades_check_timestamp(x->c, i, k, &t));
    LTS_TRY(lts_report__add_ts(s, t.kind, &tr));
    tr->gen_time = t.gen_time;
    if (t.token == NULL) {
        lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
    } else {
        if (t.imprint == LTS_CADES_BAD)
            lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
        if (tk->message_digest != LTS_CADES_OK)
            lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
        if (tk->signature == LTS_CADES_BAD)
            lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_SIG_CRYPTO_FAILURE);
        if (tk->signer_cert < 0 || tk->signing_cert != LTS_CADES_OK)
            lts_report__lower(&ind, &sub, LTS_IND_INDETERMINATE,
                              LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
        if (tk->signer_cert >= 0)
            LTS_TRY(check_tsa_chain(x, &t, tr, *have_poe, *poe, &ind, &sub, msg, sizeof msg));
    }
    tr->indication = ind;
    tr->subindication = sub;
    if (ind != LTS_IND_TOTAL_PASSED && (t.detail[0] || tk->detail[0]))
        snprintf(msg, sizeof msg, "%s", t.detail[0] ? t.detail : tk->detail);
    LTS_TRY(lts_report__set_str(&tr->message, msg[0] ? msg : NULL));
    LTS_TRY(lts_report__msg(s, "%s: %s%s%s", t.kind, lts_indication_name(ind),
                            sub ? " / " : "", lts_subindication_name(sub)));
    if (ind == LTS_IND_TOTAL_PASSED && t.has_gen_time && (!*have_poe || t.gen_time < *poe)) {
        *have_poe = 1;
        *poe = t.gen_time;
    }
out:
    lts_cades_ts_check_dispose(&t);
    return rc;
}

static lts_status one_signer(ctx *x, size_t i)
{
    lts_status rc = LTS_OK;
    lts_sig_result *s = NULL;
    lts_cades_check_opts co = LTS_CADES_CHECK_OPTS_INIT;
    lts_cades_signer_check k;
    X509 *cert = NULL;
    int attached = lts_cades_has_content(x->c);
    int have_poe = 0, xl = 0;
    lts_time poe = 0;
    size_t n_ts;

    LTS_TRY(lts_report__add_sig(x->r, "CAdES", &s));
    if (!attached)
        co.detached_path = x->o->detached_content;
    LTS_TRY(lts_cades_check_signer(x->c, i, &co, &k));
    if (k.alg.hash != LTS_HASH_NONE)
        LTS_TRY(lts_report__set_str(&s->digest_algorithm, lts_hash_name(k.alg.hash)));
    if (k.alg.scheme != LTS_SCHEME_NONE)
        LTS_TRY(lts_report__set_str(&s->signature_algorithm, lts_scheme_name(k.alg.scheme)));
    s->has_signing_time = k.has_signing_time;
    s->signing_time = k.signing_time;
    s->best_signature_time = x->r->validation_time; /* until a time-stamp proves earlier */
    n_ts = lts_cades_timestamp_count(x->c, i);
    LTS_TRY(lts_report__set_str(&s->level, !k.signing_cert_attr ? "CMS"
                                           : !n_ts ? "B-B"
                                           : lts_cades_revocation_count(x->c) ? "B-LT" : "B-T"));
    /* the latest first: each passed one is a proof of existence for those it covers */
    for (size_t t = n_ts; t-- > 0;)
        LTS_TRY(one_ts(x, s, i, t, &have_poe, &poe));
    for (size_t a = 0, b = s->n_timestamps; a + 1 < b; a++, b--) { /* back in file order */
        lts_ts_result tmp = s->timestamps[a];
        s->timestamps[a] = s->timestamps[b - 1];
        s->timestamps[b - 1] = tmp;
    }
    /* ES-X Long: certificate-values and revocation-values (TS 101 733 §6.3.4) */
    xl = lts_cades_unsigned_attr_count(x->c, i, "1.2.840.113549.1.9.16.2.23") > 0 &&
         lts_cades_unsigned_attr_count(x->c, i, "1.2.840.113549.1.9.16.2.24") > 0 &&
         lts_cades_unsigned_attr_count(x->c, i, "1.2.840.113549.1.9.16.2.21") > 0;
    if (xl && n_ts && k.signing_cert_attr)
        LTS_TRY(lts_report__set_str(&s->level, "ES-XL"));
    for (size_t t = 0; t < s->n_timestamps && k.signing_cert_attr; t++) {
        if (strcmp(s->timestamps[t].kind, "archive-time-stamp-v3") == 0)
            LTS_TRY(lts_report__set_str(&s->level, xl ? "ES-A" : "B-LTA"));
    }
    if (have_poe)
        s->best_signature_time = poe;
    if (have_poe && k.has_signing_time && k.signing_time > poe + 300)
        LTS_TRY(lts_report__msg(s, "the claimed signing time is after the time-stamp"));
    if (attached && x->o->detached_content)
        LTS_TRY(lts_report__msg(s, "the content is attached; --detached-content was not used"));
    if (k.signer_cert >= 0) {
        lts_span der = lts_cades_cert(x->c, (size_t)k.signer_cert);
        const unsigned char *p = der.p;
        LTS_OSSL((cert = d2i_X509(NULL, &p, (long)der.n)) != NULL, "signer certificate");
        LTS_TRY(lts_report__fill_signer(s, cert));
    }
    LTS_TRY(judge(s, &k, attached, co.detached_path));
    if (cert != NULL)
        LTS_TRY(check_chain(x, s, i, cert, have_poe, poe));
out:
    X509_free(cert);
    return rc;
}

lts_status lts_validation__cades(const char *path, const lts_validate_opts *o, lts_report *r)
{
    lts_status rc = LTS_OK;
    lts_buf data = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_span *ders = NULL;
    ctx x;
    size_t n;

    memset(&x, 0, sizeof x);
    LTS_TRY(lts_io__read_file(&data, path, 0));
    if ((rc = lts_cades_parse(&c, lts_buf_span(&data))) != LTS_OK) {
        lts_err__wrap("%s", path);
        goto out;
    }
    if ((rc = lts_trust__load(&x.store, o->trust)) != LTS_OK)
        goto out;
    n = lts_cades_cert_count(c);
    LTS_ALLOC(ders = lts_calloc(n ? n : 1, sizeof *ders));
    for (size_t i = 0; i < n; i++)
        ders[i] = lts_cades_cert(c, i);
    LTS_TRY(lts_chain__certs_from_der(&x.certs, ders, n, NULL));
    x.path = path;
    x.o = o;
    x.r = r;
    x.c = c;
    for (size_t i = 0; i < lts_cades_signer_count(c); i++)
        LTS_TRY(one_signer(&x, i));
out:
    lts_free(ders);
    sk_X509_pop_free(x.certs, X509_free);
    X509_STORE_free(x.store);
    lts_cades_free(c);
    lts_buf_dispose(&data);
    return rc;
}
