/* see ltsig/cades.h: the time-stamp tokens of a SignerInfo (EN 319 122-1 §5.3, RFC 3161). */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include "core/digest.h"
#include "core/err.h"

static void note(lts_cades_ts_check *t, const char *fmt, ...) LTS_PRINTF(2, 3);
static void note(lts_cades_ts_check *t, const char *fmt, ...)
{
    va_list ap;
    if (t->detail[0])
        return;
    va_start(ap, fmt);
    vsnprintf(t->detail, sizeof t->detail, fmt, ap);
    va_end(ap);
}

static CMS_SignerInfo *signer_at(const lts_cades *c, size_t i)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    if (sis == NULL || i >= (size_t)sk_CMS_SignerInfo_num(sis))
        return NULL;
    return sk_CMS_SignerInfo_value(sis, (int)i);
}

/* The k-th value of the signature-time-stamp attributes, or NULL. */
static ASN1_TYPE *token_value(CMS_SignerInfo *si, size_t k, size_t *count)
{
    ASN1_TYPE *found = NULL;
    *count = 0;
    for (int a = 0; a < CMS_unsigned_get_attr_count(si); a++) {
        X509_ATTRIBUTE *at = CMS_unsigned_get_attr(si, a);
        if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(at)) != NID_id_smime_aa_timeStampToken)
            continue;
        for (int v = 0; v < X509_ATTRIBUTE_count(at); v++) {
            if (*count == k)
                found = X509_ATTRIBUTE_get0_type(at, v);
            (*count)++;
        }
    }
    return found;
}

size_t lts_cades_timestamp_count(const lts_cades *c, size_t i)
{
    CMS_SignerInfo *si = signer_at(c, i);
    size_t n = 0;
    if (si != NULL)
        (void)token_value(si, 0, &n);
    return n;
}

static void read_tst_info(lts_cades_ts_check *t, CMS_SignerInfo *si)
{
    TS_TST_INFO *tst = NULL;
    ASN1_OCTET_STRING **pos = CMS_get0_content(t->token->cms);
    const unsigned char *p;
    struct tm tm;
    uint8_t dg[LTS_HASH_MAX];
    size_t dn = 0;
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);

    t->imprint = LTS_CADES_BAD;
    if (OBJ_obj2nid(CMS_get0_eContentType(t->token->cms)) != NID_id_smime_ct_TSTInfo ||
        pos == NULL || *pos == NULL) {
        note(t, "the time-stamp token does not hold a TSTInfo");
        goto out;
    }
    p = ASN1_STRING_get0_data(*pos);
    if ((tst = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(*pos))) == NULL) {
        note(t, "malformed TSTInfo");
        goto out;
    }
    if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) == 1) {
        t->has_gen_time = 1;
        t->gen_time = (lts_time)timegm(&tm);
    }
    TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
    X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
    ASN1_OCTET_STRING *md = TS_MSG_IMPRINT_get_msg(mi);
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    t->imprint_hash = lts_hash__from_nid(OBJ_obj2nid(obj));
    if (t->imprint_hash == LTS_HASH_NONE) {
        t->imprint = LTS_CADES_UNCHECKED;
        note(t, "unsupported message imprint algorithm");
        goto out;
    }
    if (lts_digest__span(t->imprint_hash, lts_span_of(ASN1_STRING_get0_data(sig),
                                                      (size_t)ASN1_STRING_length(sig)),
                         dg, &dn) != LTS_OK) {
        lts_error_clear();
        t->imprint = LTS_CADES_UNCHECKED;
        note(t, "cannot compute the time-stamped digest");
        goto out;
    }
    if (lts_span_eq(lts_span_of(dg, dn), lts_span_of(ASN1_STRING_get0_data(md),
                                                     (size_t)ASN1_STRING_length(md))))
        t->imprint = LTS_CADES_OK;
    else
        note(t, "the time-stamp message imprint is not the %s digest of the signature value",
             lts_hash_name(t->imprint_hash));
out:
    ERR_clear_error();
    TS_TST_INFO_free(tst);
}

lts_status lts_cades_check_timestamp(const lts_cades *c, size_t i, size_t k,
                                     lts_cades_ts_check *out)
{
    lts_status rc = LTS_OK;
    CMS_SignerInfo *si = signer_at(c, i);
    ASN1_TYPE *v;
    size_t n = 0;

    memset(out, 0, sizeof *out);
    out->kind = "signature-time-stamp";
    LTS_ENSURE(si != NULL, LTS_E_NOTFOUND, "no SignerInfo number %zu", i + 1);
    v = token_value(si, k, &n);
    LTS_ENSURE(v != NULL, LTS_E_NOTFOUND, "no time-stamp number %zu", k + 1);
    out->imprint = LTS_CADES_BAD;
    if (ASN1_TYPE_get(v) != V_ASN1_SEQUENCE) {
        note(out, "the time-stamp attribute does not hold a token");
        goto out;
    }
    rc = lts_cades_parse(&out->token, lts_span_of(ASN1_STRING_get0_data(v->value.sequence),
                                                  (size_t)ASN1_STRING_length(v->value.sequence)));
    if (rc == LTS_E_INPUT) {
        note(out, "malformed time-stamp token: %s", lts_error_last()->message);
        lts_error_clear();
        rc = LTS_OK;
        goto out;
    }
    LTS_TRY(rc);
    if (lts_cades_signer_count(out->token) != 1) {
        note(out, "the time-stamp token does not have exactly one SignerInfo");
        goto out;
    }
    LTS_TRY(lts_cades_check_signer(out->token, 0, NULL, &out->token_check));
    read_tst_info(out, si);
out:
    return rc;
}

void lts_cades_ts_check_dispose(lts_cades_ts_check *t)
{
    if (t == NULL)
        return;
    lts_cades_free(t->token);
    t->token = NULL;
}
