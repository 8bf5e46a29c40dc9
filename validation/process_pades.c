/* The PAdES validation process: EN 319 102-1 §5.3 for each signature dictionary of a PDF,
 * with the PDF checks of EN 319 142-1 §5.1 / ISO 32000-2 §12.8.1 (the /ByteRange covers
 * the whole revision except the /Contents hole) done by formats/pades, and the CMS checks
 * by formats/cades against the /ByteRange digest. */
#define LTS_MODULE "validate"
#include "validation_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <ltsig/cades.h>
#include <ltsig/pades.h>
#include <ltsig/vdata.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

/* The outcome of one document time-stamp (ISO 32000-2 §12.8.5), computed once. */
typedef struct {
    const lts_pades_sig *ps;
    lts_indication ind;
    lts_subindication sub;
    int has_gen_time;
    lts_time gen_time;
    char *tsa;          /* subject of the TSA certificate (owned) */
    char msg[320];
} docts;

typedef struct {
    const char *path;
    const lts_validate_opts *o;
    lts_report *r;
    const lts_pades_doc *doc;
    X509_STORE *store;
    docts *ts;
    size_t n_ts;
} ctx;

static void lower(lts_sig_result *s, lts_indication i, lts_subindication sub)
{
    lts_report__lower(&s->indication, &s->subindication, i, sub);
}

static const char *verdict(lts_cades_verdict v)
{
    return v == LTS_CADES_OK ? "OK" : v == LTS_CADES_BAD ? "FAILED" : "not checked";
}

/* "D:YYYYMMDDHHmmSS" followed by Z, +HH'mm' or -HH'mm' (ISO 32000-2 §7.9.4); 0 when the
 * text cannot be read. */
static int pdf_date(const char *m, lts_time *out)
{
    int f[6] = { 0, 1, 1, 0, 0, 0 }, w[6] = { 4, 2, 2, 2, 2, 2 }, oh = 0, om = 0, sign = 0;
    const char *p = m;
    struct tm tm;
    if (!m || strncmp(p, "D:", 2) != 0)
        return 0;
    p += 2;
    for (int i = 0; i < 6; i++) {
        int v = 0;
        for (int k = 0; k < w[i]; k++, p++) {
            if (*p < '0' || *p > '9')
                return 0;
            v = v * 10 + (*p - '0');
        }
        f[i] = v;
    }
    if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        if (sscanf(p + 1, "%2d'%2d", &oh, &om) < 1)
            return 0;
    }
    memset(&tm, 0, sizeof tm);
    tm.tm_year = f[0] - 1900;
    tm.tm_mon = f[1] - 1;
    tm.tm_mday = f[2];
    tm.tm_hour = f[3];
    tm.tm_min = f[4];
    tm.tm_sec = f[5];
    *out = (lts_time)timegm(&tm) - (lts_time)sign * (oh * 3600 + om * 60);
    return 1;
}

/* The CMS checks (EN 319 102-1 §5.2.7, §5.2.8) against the /ByteRange digest. */
static lts_status judge(lts_sig_result *s, const lts_cades_signer_check *k)
{
    lts_status rc = LTS_OK;
    if (!k->has_signed_attrs) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: no signed attributes in the CMS"));
        goto out;
    }
    LTS_TRY(lts_report__msg(s, "content-type attribute: %s", verdict(k->content_type)));
    if (k->content_type == LTS_CADES_BAD)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
    LTS_TRY(lts_report__msg(s, "message-digest attribute vs. the /ByteRange digest: %s",
                            k->message_digest == LTS_CADES_OK ? "matches"
                            : k->message_digest == LTS_CADES_BAD ? "DOES NOT MATCH (the signed "
                                                                   "bytes were changed)"
                                                                 : "not checked"));
    if (k->message_digest == LTS_CADES_BAD)
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    else if (k->message_digest != LTS_CADES_OK)
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_SIGNED_DATA_NOT_FOUND);
    LTS_TRY(lts_validation__cms_signer(s, k, "the CMS"));
out:
    if (rc == LTS_OK && k->detail[0] && s->indication != LTS_IND_TOTAL_PASSED)
        rc = lts_report__msg(s, "first problem: %s", k->detail);
    return rc;
}

static lts_status coverage_msg(ctx *x, lts_sig_result *s, const lts_pades_sig *ps)
{
    uint64_t size = lts_pades_file_size(x->doc);
    if (ps->covers_whole_file)
        return lts_report__msg(s, "/ByteRange covers the whole file (%llu bytes) except the "
                                  "/Contents hole", (unsigned long long)size);
    return lts_report__msg(s, "/ByteRange covers the revision ending at byte %llu; later "
                              "incremental updates add %llu bytes that this signature does "
                              "not cover",
                           (unsigned long long)ps->revision_end,
                           (unsigned long long)(size - ps->revision_end));
}

/* The first DSS OCSP response (then CRL) that checks for cert: *found, *src. Data that
 * does not check is skipped; running out of memory is an error. */
static lts_status dss_status(ctx *x, lts_span cert, lts_span issuer, lts_revocation_info *info,
                             int *found, const char **src)
{
    lts_status rc = LTS_OK, st;
    *found = 0;
    for (size_t i = 0; !*found && i < lts_pades_dss_count(x->doc, LTS_PADES_DSS_OCSP); i++) {
        st = lts_vdata_ocsp_check(lts_pades_dss_item(x->doc, LTS_PADES_DSS_OCSP, i), cert,
                                  issuer, LTS_VDATA_NO_FRESHNESS, info);
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        if (st == LTS_OK && info->status != LTS_CERT_UNKNOWN) {
            *found = 1;
            *src = "OCSP response";
        }
    }
    for (size_t i = 0; !*found && i < lts_pades_dss_count(x->doc, LTS_PADES_DSS_CRL); i++) {
        st = lts_vdata_crl_check(lts_pades_dss_item(x->doc, LTS_PADES_DSS_CRL, i), cert, issuer,
                                 LTS_VDATA_NO_FRESHNESS, info);
        if (st == LTS_E_NOMEM)
            LTS_TRY(st);
        if (st == LTS_OK) {
            *found = 1;
            *src = "CRL";
        }
    }
    lts_error_clear();
out:
    return rc;
}

/* The signer certificate's status from the DSS (EN 319 102-1 §5.2.6, §5.6.2.4): an OCSP
 * response or CRL that checks for it. Revoked before the best signature time (a proof of
 * existence) -> TOTAL_FAILED / REVOKED; revoked without such proof -> INDETERMINATE /
 * REVOKED_NO_POE; revoked after it -> still valid, said in a message. */
static lts_status check_revocation(ctx *x, lts_sig_result *s, X509 *leaf, X509 *issuer,
                                   int have_poe, lts_time poe)
{
    lts_status rc = LTS_OK;
    lts_buf lb = LTS_BUF_INIT, ib = LTS_BUF_INIT;
    lts_revocation_info info;
    unsigned char *p;
    int n, found = 0;
    const char *src = "";
    char when[LTS_TIME_RFC3339_LEN] = "";

    memset(&info, 0, sizeof info);
    if (lts_pades_dss_count(x->doc, LTS_PADES_DSS_OCSP) == 0 &&
        lts_pades_dss_count(x->doc, LTS_PADES_DSS_CRL) == 0) {
        LTS_TRY(lts_report__msg(s, "revocation: not checked (no validation data in the PDF)"));
        goto out;
    }
    LTS_OSSL((n = i2d_X509(leaf, NULL)) > 0, "i2d_X509");
    LTS_TRY(lts_buf_reserve(&lb, (size_t)n));
    p = lb.p;
    lb.n = (size_t)i2d_X509(leaf, &p);
    LTS_OSSL((n = i2d_X509(issuer, NULL)) > 0, "i2d_X509");
    LTS_TRY(lts_buf_reserve(&ib, (size_t)n));
    p = ib.p;
    ib.n = (size_t)i2d_X509(issuer, &p);
    LTS_TRY(dss_status(x, lts_buf_span(&lb), lts_buf_span(&ib), &info, &found, &src));
    if (!found) {
        LTS_TRY(lts_report__msg(s, "revocation: the DSS has no OCSP response or CRL for the "
                                   "signer certificate"));
        goto out;
    }
    if (info.status == LTS_CERT_GOOD) {
        LTS_TRY(lts_report__msg(s, "revocation (DSS %s): the signer certificate is good", src));
        goto out;
    }
    if (lts_time_format_rfc3339(when, sizeof when, info.revocation_time) != LTS_OK)
        snprintf(when, sizeof when, "?");
    if (have_poe && poe < info.revocation_time) {
        LTS_TRY(lts_report__msg(s, "revocation (DSS %s): the signer certificate was revoked at "
                                   "%s (%s), after the signature existed (time-stamp)",
                                src, when, lts_crl_reason_name(info.reason)));
    } else if (have_poe) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_REVOKED);
        LTS_TRY(lts_report__msg(s, "revocation (DSS %s): the signer certificate was revoked at "
                                   "%s (%s), before the signature's time-stamp",
                                src, when, lts_crl_reason_name(info.reason)));
    } else {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE);
        LTS_TRY(lts_report__msg(s, "revocation (DSS %s): the signer certificate was revoked at "
                                   "%s (%s) and nothing proves the signature existed before",
                                src, when, lts_crl_reason_name(info.reason)));
    }
out:
    lts_buf_dispose(&lb);
    lts_buf_dispose(&ib);
    return rc;
}

static lts_status check_chain(ctx *x, lts_sig_result *s, X509 *cert, STACK_OF(X509) *certs,
                              int have_poe, lts_time poe)
{
    lts_status rc = LTS_OK;
    lts_chain_result cr, at_poe;
    memset(&cr, 0, sizeof cr);
    memset(&at_poe, 0, sizeof at_poe);
    LTS_TRY(lts_chain__verify(x->store, cert, certs, x->r->validation_time, &cr));
    if (cr.sub == LTS_SUB_OUT_OF_BOUNDS_NO_POE && have_poe) {
        LTS_TRY(lts_chain__verify(x->store, cert, certs, poe, &at_poe));
        if (at_poe.indication == LTS_IND_TOTAL_PASSED) {
            LTS_TRY(lts_report__msg(s, "%s at the validation time, but the chain was valid at "
                                       "the time-stamp's genTime (proof of existence)",
                                    cr.detail));
            goto out;
        }
    }
    lower(s, cr.indication, cr.sub);
    LTS_TRY(lts_report__msg(s, "%s%s", cr.detail,
                            x->o->trust ? "" : " (no --trust anchors were given)"));
    if (cr.chain != NULL && sk_X509_num(cr.chain) >= 2)
        LTS_TRY(check_revocation(x, s, sk_X509_value(cr.chain, 0), sk_X509_value(cr.chain, 1),
                                 have_poe, poe));
out:
    lts_chain_result__dispose(&cr);
    lts_chain_result__dispose(&at_poe);
    return rc;
}

/* The chain of a TSA certificate (DER), pool = the token's certificates. */
static lts_status tsa_chain(ctx *x, lts_span der, const lts_cades *token, char **name,
                            lts_indication *ind, lts_subindication *sub, char *msg, size_t cap)
{
    lts_status rc = LTS_OK;
    STACK_OF(X509) *pool = NULL;
    X509 *tsa = NULL;
    lts_chain_result cr;
    size_t n = lts_cades_cert_count(token);
    lts_span *ders = NULL;
    const unsigned char *p = der.p;

    memset(&cr, 0, sizeof cr);
    LTS_ALLOC(ders = lts_calloc(n ? n : 1, sizeof *ders));
    for (size_t i = 0; i < n; i++)
        ders[i] = lts_cades_cert(token, i);
    LTS_TRY(lts_chain__certs_from_der(&pool, ders, n, NULL));
    LTS_OSSL((tsa = d2i_X509(NULL, &p, (long)der.n)) != NULL, "TSA certificate");
    LTS_TRY(lts_report__name_text(name, X509_get_subject_name(tsa)));
    LTS_TRY(lts_chain__verify_tsa(x->store, tsa, pool, x->r->validation_time, &cr));
    lts_report__lower(ind, sub, cr.indication, cr.sub);
    snprintf(msg, cap, "TSA %s", cr.detail);
out:
    lts_free(ders);
    X509_free(tsa);
    sk_X509_pop_free(pool, X509_free);
    lts_chain_result__dispose(&cr);
    return rc;
}

/* The TSTInfo of a token: imprint algorithm and value, genTime. 0 when unreadable. */
static int tst_info(lts_span token, lts_hash *h, uint8_t *md, size_t *md_n, lts_time *gen)
{
    const unsigned char *p = token.p;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)token.n);
    TS_TST_INFO *tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
    int ok = 0;
    if (tst != NULL) {
        TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
        X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
        ASN1_OCTET_STRING *v = TS_MSG_IMPRINT_get_msg(mi);
        const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(tst);
        struct tm tm;
        *h = lts_hash__from_nid(OBJ_obj2nid(alg->algorithm));
        if (v && ASN1_STRING_length(v) > 0 && ASN1_STRING_length(v) <= LTS_HASH_MAX && t &&
            ASN1_TIME_to_tm(t, &tm) == 1) {
            *md_n = (size_t)ASN1_STRING_length(v);
            memcpy(md, ASN1_STRING_get0_data(v), *md_n);
            *gen = (lts_time)timegm(&tm);
            ok = 1;
        }
    }
    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    ERR_clear_error();
    return ok;
}

/* Check one document time-stamp: /ByteRange, token, imprint over the /ByteRange, TSA chain. */
static lts_status check_doc_ts(ctx *x, docts *t)
{
    lts_status rc = LTS_OK;
    const lts_pades_sig *ps = t->ps;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    uint8_t md[LTS_HASH_MAX], dg[LTS_HASH_MAX];
    size_t md_n = 0, dg_n = 0;
    lts_hash h = LTS_HASH_NONE;

    t->ind = LTS_IND_TOTAL_PASSED;
    t->sub = LTS_SUB_NONE;
    if (!ps->byte_range_ok) {
        lts_report__lower(&t->ind, &t->sub, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        snprintf(t->msg, sizeof t->msg, "%s", ps->problem ? ps->problem : "bad /ByteRange");
        goto out;
    }
    if ((rc = lts_cades_parse(&c, ps->contents)) == LTS_E_NOMEM)
        goto out; /* out of memory is an error, not a verdict on the file */
    rc = LTS_OK;
    if (c == NULL || !tst_info(ps->contents, &h, md, &md_n, &t->gen_time)) {
        lts_error_clear();
        lts_report__lower(&t->ind, &t->sub, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        snprintf(t->msg, sizeof t->msg, "/Contents is not an RFC 3161 time-stamp token");
        goto out;
    }
    t->has_gen_time = 1;
    LTS_TRY(lts_cades_check_signer(c, 0, NULL, &k));
    if (k.message_digest != LTS_CADES_OK)
        lts_report__lower(&t->ind, &t->sub, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    if (k.signature == LTS_CADES_BAD)
        lts_report__lower(&t->ind, &t->sub, LTS_IND_TOTAL_FAILED, LTS_SUB_SIG_CRYPTO_FAILURE);
    if (h == LTS_HASH_NONE) {
        lts_report__lower(&t->ind, &t->sub, LTS_IND_INDETERMINATE,
                          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
        snprintf(t->msg, sizeof t->msg, "imprint algorithm not supported");
        goto out;
    }
    LTS_TRY(lts_pades_digest(x->path, ps, h, dg, &dg_n));
    if (dg_n != md_n || memcmp(dg, md, md_n) != 0) {
        lts_report__lower(&t->ind, &t->sub, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
        snprintf(t->msg, sizeof t->msg, "the messageImprint does not match the /ByteRange "
                                        "(the time-stamped bytes were changed)");
        goto out;
    }
    if (k.signer_cert < 0 || k.signing_cert != LTS_CADES_OK) {
        lts_report__lower(&t->ind, &t->sub, LTS_IND_INDETERMINATE,
                          LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
        snprintf(t->msg, sizeof t->msg, "%s", k.detail[0] ? k.detail : "no TSA certificate");
        goto out;
    }
    LTS_TRY(tsa_chain(x, lts_cades_cert(c, (size_t)k.signer_cert), c, &t->tsa, &t->ind,
                      &t->sub, t->msg, sizeof t->msg));
    if (t->ind != LTS_IND_TOTAL_PASSED && k.detail[0])
        snprintf(t->msg, sizeof t->msg, "%s", k.detail);
out:
    lts_cades_free(c);
    return rc;
}

/* A signature-time-stamp inside the CMS (EN 319 122-1 §5.3). */
static lts_status cms_ts(ctx *x, lts_sig_result *s, const lts_cades *c, size_t k, int *have_poe,
                         lts_time *poe, int *n_passed)
{
    lts_status rc = LTS_OK;
    lts_cades_ts_check t;
    lts_ts_result *tr = NULL;
    lts_indication ind = LTS_IND_TOTAL_PASSED;
    lts_subindication sub = LTS_SUB_NONE;
    const lts_cades_signer_check *tk = &t.token_check;
    char msg[320] = "";
    char *name = NULL;

    memset(&t, 0, sizeof t);
    LTS_TRY(lts_cades_check_timestamp(c, 0, k, &t));
    LTS_TRY(lts_report__add_ts(s, t.kind, &tr));
    tr->gen_time = t.gen_time;
    if (t.token == NULL) {
        lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
    } else {
        if (t.imprint == LTS_CADES_BAD || tk->message_digest != LTS_CADES_OK)
            lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
        if (tk->signature == LTS_CADES_BAD)
            lts_report__lower(&ind, &sub, LTS_IND_TOTAL_FAILED, LTS_SUB_SIG_CRYPTO_FAILURE);
        if (tk->signer_cert < 0 || tk->signing_cert != LTS_CADES_OK)
            lts_report__lower(&ind, &sub, LTS_IND_INDETERMINATE,
                              LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND);
        if (tk->signer_cert >= 0) {
            LTS_TRY(tsa_chain(x, lts_cades_cert(t.token, (size_t)tk->signer_cert), t.token,
                              &name, &ind, &sub, msg, sizeof msg));
            LTS_TRY(lts_report__set_str(&tr->tsa, name));
        }
    }
    tr->indication = ind;
    tr->subindication = sub;
    if (ind != LTS_IND_TOTAL_PASSED && (t.detail[0] || tk->detail[0]))
        snprintf(msg, sizeof msg, "%s", t.detail[0] ? t.detail : tk->detail);
    LTS_TRY(lts_report__set_str(&tr->message, msg[0] ? msg : NULL));
    LTS_TRY(lts_report__msg(s, "%s: %s%s%s", t.kind, lts_indication_name(ind),
                            sub ? " / " : "", lts_subindication_name(sub)));
    if (ind == LTS_IND_TOTAL_PASSED && t.has_gen_time) {
        (*n_passed)++;
        if (!*have_poe || t.gen_time < *poe) {
            *have_poe = 1;
            *poe = t.gen_time;
        }
    }
out:
    lts_free(name);
    lts_cades_ts_check_dispose(&t);
    return rc;
}

/* The document time-stamps added after the signature: proofs of existence for it. Sets the
 * level from what passed (EN 319 142-1 §6: B-T, B-LT, B-LTA). */
static lts_status doc_timestamps(ctx *x, lts_sig_result *s, const lts_pades_sig *ps,
                                 int *have_poe, lts_time *poe, int n_passed)
{
    lts_status rc = LTS_OK;
    uint64_t dss_off = 0;
    int dss = lts_pades_has_dss(x->doc, &dss_off), lta = 0, n_doc = 0;

    /* a DSS written before this signature does not hold its validation data */
    if (dss && dss_off > 0 && dss_off < ps->revision_end)
        dss = 0;

    for (size_t i = 0; i < x->n_ts; i++) {
        docts *t = &x->ts[i];
        lts_ts_result *tr = NULL;
        if (!t->ps->byte_range_ok || t->ps->revision_end <= ps->revision_end)
            continue; /* not after this signature */
        LTS_TRY(lts_report__add_ts(s, "document-time-stamp", &tr));
        tr->gen_time = t->gen_time;
        tr->indication = t->ind;
        tr->subindication = t->sub;
        LTS_TRY(lts_report__set_str(&tr->tsa, t->tsa));
        LTS_TRY(lts_report__set_str(&tr->message, t->msg[0] ? t->msg : NULL));
        LTS_TRY(lts_report__msg(s, "document-time-stamp %s: %s%s%s",
                                t->ps->field_name ? t->ps->field_name : "", lts_indication_name(t->ind),
                                t->sub ? " / " : "", lts_subindication_name(t->sub)));
        if (t->ind != LTS_IND_TOTAL_PASSED)
            continue;
        n_passed++;
        n_doc++;
        if (dss && ((dss_off > 0 && (uint64_t)t->ps->byte_range[1] > dss_off) ||
                    (dss_off == 0 && n_doc >= 2)))
            lta = 1;
        if (t->has_gen_time && (!*have_poe || t->gen_time < *poe)) {
            *have_poe = 1;
            *poe = t->gen_time;
        }
    }
    if (n_passed > 0)
        LTS_TRY(lts_report__set_str(&s->level, lta ? "B-LTA" : dss ? "B-LT" : "B-T"));
    if (dss)
        LTS_TRY(lts_report__msg(s, "a DSS (validation data) was added after the signature%s",
                                lta ? ", covered by a document time-stamp" : ""));
out:
    return rc;
}

/* The untrusted pool for chain building: the CMS's certificates, then the DSS's. */
static lts_status untrusted_pool(ctx *x, const lts_cades *c, STACK_OF(X509) **out)
{
    lts_status rc = LTS_OK;
    size_t nd = lts_pades_dss_count(x->doc, LTS_PADES_DSS_CERT);
    size_t n = lts_cades_cert_count(c);
    lts_span *ders = NULL;
    LTS_ALLOC(ders = lts_calloc(n + nd + 1, sizeof *ders));
    for (size_t i = 0; i < n; i++)
        ders[i] = lts_cades_cert(c, i);
    for (size_t i = 0; i < nd; i++)
        ders[n + i] = lts_pades_dss_item(x->doc, LTS_PADES_DSS_CERT, i);
    LTS_TRY(lts_chain__certs_from_der(out, ders, n + nd, NULL));
out:
    lts_free(ders);
    return rc;
}

/* Check the SignerInfo against the /ByteRange digest, made with its own digest algorithm
 * (learnt in a first pass). k->alg.hash NONE: not supported, already reported. */
static lts_status check_signer(ctx *x, lts_sig_result *s, const lts_pades_sig *ps,
                               const lts_cades *c, lts_cades_signer_check *k)
{
    lts_status rc = LTS_OK;
    lts_cades_check_opts co = LTS_CADES_CHECK_OPTS_INIT;
    uint8_t dg[LTS_HASH_MAX];
    size_t dg_n = 0;
    LTS_TRY(lts_cades_check_signer(c, 0, &co, k));
    if (k->alg.hash == LTS_HASH_NONE) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
        LTS_TRY(lts_report__msg(s, "digest algorithm of the SignerInfo not supported"));
        goto out;
    }
    LTS_TRY(lts_pades_digest(x->path, ps, k->alg.hash, dg, &dg_n));
    co.digest = lts_span_of(dg, dg_n);
    LTS_TRY(lts_cades_check_signer(c, 0, &co, k));
out:
    return rc;
}

/* The CMS of one signature dictionary. */
static lts_status check_cms(ctx *x, lts_sig_result *s, const lts_pades_sig *ps)
{
    lts_status rc = LTS_OK;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    STACK_OF(X509) *certs = NULL;
    X509 *cert = NULL;
    int have_poe = 0, n_passed = 0;
    lts_time poe = 0;

    if ((rc = lts_cades_parse(&c, ps->contents)) == LTS_E_NOMEM)
        goto out; /* out of memory is an error, not a verdict on the file */
    rc = LTS_OK;
    if (c == NULL) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: /Contents is not a CMS SignedData: %s",
                                lts_error_last()->message));
        lts_error_clear();
        goto out;
    }
    if (lts_cades_signer_count(c) != 1 || lts_cades_has_content(c)) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: the CMS must be detached with one SignerInfo "
                                   "(EN 319 142-1 §5.1); it has %zu%s",
                                lts_cades_signer_count(c),
                                lts_cades_has_content(c) ? " and embedded content" : ""));
        goto out;
    }
    LTS_TRY(check_signer(x, s, ps, c, &k));
    if (k.alg.hash == LTS_HASH_NONE)
        goto out;
    LTS_TRY(lts_report__set_str(&s->digest_algorithm, lts_hash_name(k.alg.hash)));
    if (k.alg.scheme != LTS_SCHEME_NONE)
        LTS_TRY(lts_report__set_str(&s->signature_algorithm, lts_scheme_name(k.alg.scheme)));
    if (k.has_signing_time) {
        LTS_TRY(lts_report__msg(s, "the CMS has a signing-time attribute, which EN 319 142-1 "
                                   "§5.1 forbids in PAdES baseline (the time belongs in /M)"));
        if (!s->has_signing_time) {
            s->has_signing_time = 1;
            s->signing_time = k.signing_time;
        }
    }
    if (k.signer_cert >= 0) {
        lts_span der = lts_cades_cert(c, (size_t)k.signer_cert);
        const unsigned char *p = der.p;
        LTS_OSSL((cert = d2i_X509(NULL, &p, (long)der.n)) != NULL, "signer certificate");
        LTS_TRY(lts_report__fill_signer(s, cert));
    }
    LTS_TRY(judge(s, &k));
    for (size_t t = 0; t < lts_cades_timestamp_count(c, 0); t++)
        LTS_TRY(cms_ts(x, s, c, t, &have_poe, &poe, &n_passed));
    LTS_TRY(doc_timestamps(x, s, ps, &have_poe, &poe, n_passed));
    if (have_poe)
        s->best_signature_time = poe;
    if (cert != NULL) {
        LTS_TRY(untrusted_pool(x, c, &certs));
        LTS_TRY(check_chain(x, s, cert, certs, have_poe, poe));
    }
out:
    sk_X509_pop_free(certs, X509_free);
    X509_free(cert);
    lts_cades_free(c);
    return rc;
}

/* ISO 32000-2 §12.8.2.2: the DocMDP permissions of the certification signature, 0 when
 * the document is not certified. Only the first signature can certify: a DocMDP claimed by
 * a later one (which could loosen what the first allows) is ignored. */
static const lts_pades_sig *first_sig(const lts_pades_doc *doc)
{
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++)
        if (lts_pades_sig_get(doc, i)->kind == LTS_PADES_SIG)
            return lts_pades_sig_get(doc, i);
    return NULL;
}

static int docmdp_p(const lts_pades_doc *doc)
{
    const lts_pades_sig *s = first_sig(doc);
    return s && s->byte_range_ok ? s->docmdp_p : 0;
}

/* Whether a change made after a signature is allowed: DSS and document time-stamps always
 * (EN 319 142-1 §5.4, ISO 32000-2 §12.8.5); more signatures (with the form's /DR) and XMP
 * metadata updates unless certified with /P 1;
 * form filling with /P 2 or 3; annotations with /P 3; nothing else. */
static int change_allowed(lts_pades_change_kind k, int p)
{
    switch (k) {
    case LTS_PADES_CHANGE_DSS:
    case LTS_PADES_CHANGE_DOC_TIMESTAMP:
        return 1;
    case LTS_PADES_CHANGE_SIGNATURE:
    case LTS_PADES_CHANGE_METADATA:
        return p != 1;
    case LTS_PADES_CHANGE_FORM_FILL:
        return p >= 2;
    case LTS_PADES_CHANGE_ANNOTATION:
        return p == 3;
    default:
        return 0;
    }
}

/* What the revisions after this signature changed (the modification detection of
 * ISO 32000-2 §12.8.2.2 / the DSS "PDF revision" check). A change that is not allowed
 * fails the signature (TOTAL_FAILED / FORMAT_FAILURE) although its own bytes are intact. */
static lts_status changes_after(ctx *x, lts_sig_result *s, const lts_pades_sig *ps)
{
    lts_status rc = LTS_OK;
    int p = docmdp_p(x->doc), bad = 0;
    size_t n_allowed = 0;

    if (ps->docmdp_p > 0 && ps != first_sig(x->doc))
        LTS_TRY(lts_report__msg(s, "a DocMDP transform in a signature that is not the first "
                                   "is ignored (ISO 32000-2 §12.8.2.2)"));
    else if (ps->docmdp_p > 0)
        LTS_TRY(lts_report__msg(s, "certification signature: DocMDP /P %d (%s)", ps->docmdp_p,
                                ps->docmdp_p == 1 ? "no changes allowed"
                                : ps->docmdp_p == 2 ? "form filling and signing allowed"
                                                    : "form filling, signing and annotations "
                                                      "allowed"));
    if (ps->covers_whole_file)
        goto out;
    for (size_t i = 0; i < lts_pades_change_count(x->doc); i++) {
        const lts_pades_change *c = lts_pades_change_get(x->doc, i);
        if (!lts_pades_change_after(c, ps))
            continue;
        if (c->kind == LTS_PADES_CHANGE_UNCHECKED) {
            /* what could not be compared cannot be called unchanged */
            lower(s, LTS_IND_INDETERMINATE, LTS_SUB_GENERIC);
            LTS_TRY(lts_report__msg(s, "revision %u: not fully compared: %s; whether it "
                                       "changes what was signed is not known", c->revision,
                                    c->what));
        } else if (change_allowed(c->kind, p)) {
            n_allowed++;
            LTS_TRY(lts_report__msg(s, "allowed change after signing: %s in revision %u",
                                    c->what, c->revision));
        } else {
            bad++;
            LTS_TRY(lts_report__msg(s, "MODIFICATION after signing: %s in revision %u%s",
                                    c->what, c->revision,
                                    p ? " (not allowed by the DocMDP permissions)" : ""));
        }
    }
    if (bad) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "the document was modified after signing: the signed bytes "
                                   "are intact, but %d later change%s alter%s what was signed",
                                bad, bad == 1 ? "" : "s", bad == 1 ? "s" : ""));
    } else {
        LTS_TRY(lts_report__msg(s, "later revisions make only allowed changes (%zu found: "
                                   "signatures, document time-stamps, DSS%s)",
                                n_allowed, p >= 2 ? ", form filling" : ""));
    }
out:
    return rc;
}

static lts_status one_sig(ctx *x, size_t i)
{
    lts_status rc = LTS_OK;
    const lts_pades_sig *ps = lts_pades_sig_get(x->doc, i);
    lts_sig_result *s = NULL;

    if (ps->kind == LTS_PADES_DOC_TIMESTAMP)
        goto out; /* reported with the signatures it covers */
    {
    int etsi = ps->subfilter && strcmp(ps->subfilter, "ETSI.CAdES.detached") == 0;
    int adbe = ps->subfilter && strcmp(ps->subfilter, "adbe.pkcs7.detached") == 0;

    LTS_TRY(lts_report__add_sig(x->r, "PAdES", &s));
    if (ps->field_name)
        LTS_TRY(lts_report__set_str(&s->id, ps->field_name));
    LTS_TRY(lts_report__set_str(&s->level, etsi ? "B-B" : ps->subfilter ? ps->subfilter : "?"));
    s->best_signature_time = x->r->validation_time; /* B-B: no proof of existence yet */
    if (ps->m && pdf_date(ps->m, &s->signing_time))
        s->has_signing_time = 1;
    LTS_TRY(lts_report__msg(s, "signature field %s, /SubFilter /%s", ps->field_name ? ps->field_name : "(unnamed)",
                            ps->subfilter ? ps->subfilter : "(none)"));
    if (!etsi && !adbe) {
        lower(s, LTS_IND_INDETERMINATE, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: /SubFilter /%s is not supported",
                                ps->subfilter ? ps->subfilter : "(none)"));
        goto out;
    }
    if (!ps->byte_range_ok) {
        lower(s, LTS_IND_TOTAL_FAILED, LTS_SUB_FORMAT_FAILURE);
        LTS_TRY(lts_report__msg(s, "format: %s", ps->problem ? ps->problem : "bad /ByteRange"));
        goto out;
    }
    LTS_TRY(coverage_msg(x, s, ps));
    LTS_TRY(check_cms(x, s, ps));
    LTS_TRY(changes_after(x, s, ps));
    }
out:
    return rc;
}

lts_status lts_validation__pades(const char *path, const lts_validate_opts *o, lts_report *r)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *doc = NULL;
    ctx x;

    memset(&x, 0, sizeof x);
    LTS_TRY(lts_pades_open(&doc, path));
    if (lts_pades_sig_count(doc) == 0)
        LTS_FAIL(LTS_E_NOTFOUND, "%s: the PDF has no signature", path);
    LTS_TRY(lts_pades_analyse_changes(doc));
    if ((rc = lts_trust__load(&x.store, o->trust)) != LTS_OK)
        goto out;
    x.path = path;
    x.o = o;
    x.r = r;
    x.doc = doc;
    LTS_ALLOC(x.ts = lts_calloc(lts_pades_sig_count(doc), sizeof *x.ts));
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++) {
        if (lts_pades_sig_get(doc, i)->kind != LTS_PADES_DOC_TIMESTAMP)
            continue;
        x.ts[x.n_ts].ps = lts_pades_sig_get(doc, i);
        LTS_TRY(check_doc_ts(&x, &x.ts[x.n_ts++]));
    }
    LTS_ENSURE(x.n_ts < lts_pades_sig_count(doc), LTS_E_NOTFOUND,
               "%s: the PDF has document time-stamps but no signature", path);
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++)
        LTS_TRY(one_sig(&x, i));
out:
    for (size_t i = 0; i < x.n_ts; i++)
        lts_free(x.ts[i].tsa);
    lts_free(x.ts);
    X509_STORE_free(x.store);
    lts_pades_free(doc);
    return rc;
}
