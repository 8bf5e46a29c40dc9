/* see ltsig/cades.h: the time-stamp tokens of a SignerInfo (EN 319 122-1 §5.3, RFC 3161). */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include "core/der.h"
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

static const char KIND_SIG[] = "signature-time-stamp";
static const char KIND_ATS3[] = "archive-time-stamp-v3";

/* The kind of time-stamp an unsigned attribute holds, or NULL. */
static const char *ts_kind(X509_ATTRIBUTE *at)
{
    const ASN1_OBJECT *o = X509_ATTRIBUTE_get0_object(at);
    if (OBJ_obj2nid(o) == NID_id_smime_aa_timeStampToken)
        return KIND_SIG;
    if (lts_oid__is(o, LTS_OID_ARCHIVE_TS_V3))
        return KIND_ATS3;
    return NULL;
}

/* The k-th value of the time-stamp attributes (in their order), or NULL. */
static ASN1_TYPE *token_value(CMS_SignerInfo *si, size_t k, size_t *count, const char **kind)
{
    ASN1_TYPE *found = NULL;
    *count = 0;
    for (int a = 0; a < CMS_unsigned_get_attr_count(si); a++) {
        X509_ATTRIBUTE *at = CMS_unsigned_get_attr(si, a);
        const char *kd = ts_kind(at);
        if (kd == NULL)
            continue;
        for (int v = 0; v < X509_ATTRIBUTE_count(at); v++) {
            if (*count == k) {
                found = X509_ATTRIBUTE_get0_type(at, v);
                *kind = kd;
            }
            (*count)++;
        }
    }
    return found;
}

size_t lts_cades_timestamp_count(const lts_cades *c, size_t i)
{
    CMS_SignerInfo *si = signer_at(c, i);
    size_t n = 0;
    const char *kind = NULL;
    if (si != NULL)
        (void)token_value(si, 0, &n, &kind);
    return n;
}

/* 1 when every entry of the stored index list `have` is among the `now` hashes. */
static int subset(lts_span have, lts_span now)
{
    lts_der_tlv a, b;
    while (have.n > 0) {
        lts_span n2 = now;
        int found = 0;
        if (lts_der__next(&have, &a) != LTS_OK)
            return 0;
        while (!found && n2.n > 0) {
            if (lts_der__next(&n2, &b) != LTS_OK)
                return 0;
            found = lts_span_eq(a.all, b.all);
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The three hash lists of an ATSHashIndexV3. */
static lts_status index_lists(lts_span index, lts_span lists[3])
{
    lts_status rc = LTS_OK;
    lts_der_tlv t, k[4];
    size_t n = 0;
    LTS_TRY(lts_der__one(index, &t));
    lts_span v = t.value;
    while (v.n > 0) {
        LTS_ENSURE(n < 4, LTS_E_INPUT, "malformed ats-hash-index-v3");
        LTS_TRY(lts_der__next(&v, &k[n]));
        n++;
    }
    LTS_ENSURE(n == 3 || n == 4, LTS_E_INPUT, "malformed ats-hash-index-v3");
    for (size_t j = 0; j < 3; j++)
        lists[j] = k[n - 3 + j].value;
out:
    return rc;
}

/* The ats-hash-index-v3 of an archive token (DER of the value), or an empty span. */
static lts_span token_index(const lts_cades *token)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(token->cms);
    CMS_SignerInfo *tsi = sis ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
    for (int a = 0; tsi && a < CMS_unsigned_get_attr_count(tsi); a++) {
        X509_ATTRIBUTE *at = CMS_unsigned_get_attr(tsi, a);
        if (!lts_oid__is(X509_ATTRIBUTE_get0_object(at), LTS_OID_ATS_HASH_INDEX_V3) ||
            X509_ATTRIBUTE_count(at) != 1)
            continue;
        ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(at, 0);
        if (ASN1_TYPE_get(v) == V_ASN1_SEQUENCE)
            return lts_span_of(ASN1_STRING_get0_data(v->value.sequence),
                               (size_t)ASN1_STRING_length(v->value.sequence));
    }
    return lts_span_of(NULL, 0);
}

/* What an archive-time-stamp-v3 imprint must be; the index entries are checked against
 * what the SignedData holds now (EN 319 122-1 §5.5.2-5.5.3). */
static lts_status ats_expected(lts_cades_ts_check *t, const lts_cades *c, size_t i, lts_hash h,
                               uint8_t *dg, size_t *dn)
{
    lts_status rc = LTS_OK;
    lts_cades__layout l;
    lts_buf now = LTS_BUF_INIT;
    uint8_t ch[LTS_HASH_MAX];
    size_t chn = 0;
    lts_span index = token_index(t->token), have[3], cur[3];

    memset(&l, 0, sizeof l);
    LTS_ENSURE(index.n > 0, LTS_E_INPUT, "the archive time-stamp has no ats-hash-index-v3");
    LTS_TRY(lts_cades__layout_of(lts_cades_der(c), i, &l));
    LTS_TRY(lts_cades__content_hash(c, i, h, ch, &chn));
    LTS_TRY(lts_cades__ats_imprint(dg, dn, h, &l, lts_span_of(ch, chn), index));
    LTS_TRY(index_lists(index, have));
    LTS_TRY(lts_cades__ats_index(&now, h, &l));
    LTS_TRY(index_lists(lts_buf_span(&now), cur));
    for (int j = 0; j < 3; j++)
        LTS_ENSURE(subset(have[j], cur[j]), LTS_E_INPUT,
                   "an ats-hash-index-v3 entry matches nothing in the signature");
out:
    lts_buf_dispose(&now);
    lts_cades__layout_dispose(&l);
    return rc;
}

static void read_tst_info(lts_cades_ts_check *t, const lts_cades *c, size_t i,
                          CMS_SignerInfo *si)
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
    if (t->kind == KIND_ATS3) {
        lts_status r = ats_expected(t, c, i, t->imprint_hash, dg, &dn);
        if (r != LTS_OK) {
            t->imprint = r == LTS_E_INPUT ? LTS_CADES_BAD : LTS_CADES_UNCHECKED;
            note(t, "%s", lts_error_last()->message);
            lts_error_clear();
            goto out;
        }
    } else if (lts_digest__span(t->imprint_hash,
                                lts_span_of(ASN1_STRING_get0_data(sig),
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
        note(t, "the time-stamp message imprint is not the %s digest of the %s",
             lts_hash_name(t->imprint_hash),
             t->kind == KIND_ATS3 ? "archived data" : "signature value");
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
    out->kind = KIND_SIG;
    LTS_ENSURE(si != NULL, LTS_E_NOTFOUND, "no SignerInfo number %zu", i + 1);
    v = token_value(si, k, &n, &out->kind);
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
    read_tst_info(out, c, i, si);
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
