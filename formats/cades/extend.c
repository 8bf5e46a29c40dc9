/* see ltsig/cades.h: extending CMS SignedData with unsigned attributes (EN 319 122-1 §5.3
 * signature-time-stamp) without touching a byte of what was signed.
 *
 * The bytes of the input are walked with lts_der__next and copied as they are; only the
 * lengths of the SignerInfo that grows and of its ancestors are written again, by
 * core/der.c. OpenSSL never re-encodes the structure, so other tools' encodings (unsorted
 * sets, non-minimal choices) survive. Indefinite lengths (BER streaming) are refused. */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <limits.h>
#include <string.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

enum { MAX_CHILDREN = 16 };

/* The children of a constructed TLV. */
static lts_status children(lts_span value, lts_der_tlv *kids, size_t *n, const char *what)
{
    lts_status rc = LTS_OK;
    *n = 0;
    while (value.n > 0) {
        LTS_ENSURE(*n < MAX_CHILDREN, LTS_E_INPUT, "%s has too many elements", what);
        rc = lts_der__next(&value, &kids[*n]);
        if (rc != LTS_OK) {
            lts_err__wrap("cannot extend %s (indefinite lengths or malformed)", what);
            goto out;
        }
        (*n)++;
    }
out:
    return rc;
}

static int is_ctx(const lts_der_tlv *t, int tag)
{
    return t->cls == V_ASN1_CONTEXT_SPECIFIC && t->tag == tag;
}

/* SignerInfo with `add` appended to its unsignedAttrs [1] (created when absent). */
static lts_status grow_signer_info(lts_buf *out, const lts_der_tlv *si, const lts_buf *add,
                                   size_t n_add)
{
    lts_status rc = LTS_OK;
    lts_der_tlv kids[MAX_CHILDREN];
    lts_span parts[MAX_CHILDREN], uparts[64];
    lts_buf unsigned_attrs = LTS_BUF_INIT;
    lts_der_tlv ukids[48];
    size_t n = 0, nu = 0, np = 0;

    LTS_TRY(children(si->value, kids, &n, "SignerInfo"));
    LTS_ENSURE(n >= 5, LTS_E_INPUT, "SignerInfo too short");
    for (size_t i = 0; i < n; i++) {
        if (i == n - 1 && is_ctx(&kids[i], 1)) {
            LTS_ENSURE(kids[i].constructed, LTS_E_INPUT, "malformed unsignedAttrs");
            lts_span v = kids[i].value;
            while (v.n > 0) {
                LTS_ENSURE(nu < sizeof ukids / sizeof ukids[0], LTS_E_INPUT,
                           "too many unsigned attributes");
                LTS_TRY(lts_der__next(&v, &ukids[nu]));
                uparts[nu] = ukids[nu].all;
                nu++;
            }
        } else {
            parts[np++] = kids[i].all;
        }
    }
    LTS_ENSURE(nu + n_add <= sizeof uparts / sizeof uparts[0], LTS_E_INPUT,
               "too many unsigned attributes");
    for (size_t i = 0; i < n_add; i++)
        uparts[nu++] = lts_buf_span(&add[i]);
    /* appended in order: later archive time-stamps cover the earlier attributes as they
     * are, so the SET is not re-sorted (EN 319 122-1 §4.4) */
    LTS_TRY(lts_der__append_cons(&unsigned_attrs, LTS_DER_CTX_CONS(1), uparts, nu));
    parts[np++] = lts_buf_span(&unsigned_attrs);
    LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, np));
out:
    lts_buf_dispose(&unsigned_attrs);
    return rc;
}

/* [tag] IMPLICIT SET OF with `extra` appended to the existing elements (when old is not
 * NULL). Certificates and revocation data already present are not added twice. */
static lts_status grow_set(lts_buf *out, unsigned tag, const lts_der_tlv *old,
                           const lts_span *extra, size_t n_extra)
{
    lts_status rc = LTS_OK;
    lts_span *items = NULL;
    size_t n = 0, cap = n_extra + 1;
    lts_span v = old ? old->value : lts_span_of(NULL, 0);
    lts_der_tlv t;
    lts_span probe = v;
    while (probe.n > 0) {
        LTS_TRY(lts_der__next(&probe, &t));
        cap++;
    }
    LTS_ALLOC(items = lts_calloc(cap, sizeof *items));
    while (v.n > 0) {
        LTS_TRY(lts_der__next(&v, &t));
        items[n++] = t.all;
    }
    for (size_t i = 0; i < n_extra; i++) {
        int dup = 0;
        for (size_t j = 0; j < n && !dup; j++)
            dup = lts_span_eq(items[j], extra[i]);
        if (!dup)
            items[n++] = extra[i];
    }
    LTS_TRY(lts_der__append_cons(out, tag, items, n));
out:
    lts_free(items);
    return rc;
}

static const uint8_t v5[] = { 0x05 };

lts_status lts_cades__splice2(lts_buf *out, lts_span der, const lts_cades__splice_in *in)
{
    lts_status rc = LTS_OK;
    lts_der_tlv ci, ci_kids[MAX_CHILDREN], sd, sd_kids[MAX_CHILDREN], si_kids[64];
    lts_buf *new_si = NULL, sis = LTS_BUF_INIT, sdbuf = LTS_BUF_INIT, wrap = LTS_BUF_INIT,
            certs = LTS_BUF_INIT, crls = LTS_BUF_INIT, ver = LTS_BUF_INIT;
    lts_span parts[MAX_CHILDREN + 2], *si_parts = NULL;
    const lts_der_tlv *old_certs = NULL, *old_crls = NULL;
    size_t nci = 0, nsd = 0, nsi = 0, np = 0;

    LTS_TRY(lts_der__one(der, &ci));
    LTS_TRY(children(ci.value, ci_kids, &nci, "ContentInfo"));
    LTS_ENSURE(nci == 2 && is_ctx(&ci_kids[1], 0), LTS_E_INPUT, "malformed ContentInfo");
    LTS_TRY(lts_der__one(ci_kids[1].value, &sd));
    LTS_TRY(children(sd.value, sd_kids, &nsd, "SignedData"));
    LTS_ENSURE(nsd >= 4 && sd_kids[nsd - 1].tag == V_ASN1_SET, LTS_E_INPUT,
               "malformed SignedData");
    for (size_t i = 3; i + 1 < nsd; i++) {
        if (is_ctx(&sd_kids[i], 0))
            old_certs = &sd_kids[i];
        else if (is_ctx(&sd_kids[i], 1))
            old_crls = &sd_kids[i];
    }
    {
        lts_span v = sd_kids[nsd - 1].value;
        while (v.n > 0) {
            LTS_ENSURE(nsi < sizeof si_kids / sizeof si_kids[0], LTS_E_INPUT,
                       "too many SignerInfos");
            LTS_TRY(lts_der__next(&v, &si_kids[nsi]));
            nsi++;
        }
    }
    LTS_ENSURE(nsi == in->n_signers, LTS_E_INTERNAL, "SignerInfo count differs (%zu, %zu)", nsi,
               in->n_signers);
    LTS_ALLOC(new_si = lts_calloc(nsi ? nsi : 1, sizeof *new_si));
    LTS_ALLOC(si_parts = lts_calloc(nsi ? nsi : 1, sizeof *si_parts));
    for (size_t i = 0; i < nsi; i++) {
        if (in->n_add == NULL || in->n_add[i] == 0) {
            si_parts[i] = si_kids[i].all;
            continue;
        }
        LTS_TRY(grow_signer_info(&new_si[i], &si_kids[i], in->add[i], in->n_add[i]));
        si_parts[i] = lts_buf_span(&new_si[i]);
    }
    LTS_TRY(lts_der__append_cons(&sis, LTS_DER_SET, si_parts, nsi));
    if (in->n_certs > 0)
        LTS_TRY(grow_set(&certs, LTS_DER_CTX_CONS(0), old_certs, in->certs, in->n_certs));
    if (in->n_revs > 0)
        LTS_TRY(grow_set(&crls, LTS_DER_CTX_CONS(1), old_crls, in->revs, in->n_revs));
    if (in->version == 5) {
        lts_span one = lts_span_of(v5, 1);
        LTS_TRY(lts_der__append_cons(&ver, LTS_DER_INTEGER, &one, 1));
    }
    /* version, digestAlgorithms, encapContentInfo, [certificates], [crls], signerInfos */
    parts[np++] = ver.n ? lts_buf_span(&ver) : sd_kids[0].all;
    parts[np++] = sd_kids[1].all;
    parts[np++] = sd_kids[2].all;
    if (certs.n)
        parts[np++] = lts_buf_span(&certs);
    else if (old_certs)
        parts[np++] = old_certs->all;
    if (crls.n)
        parts[np++] = lts_buf_span(&crls);
    else if (old_crls)
        parts[np++] = old_crls->all;
    parts[np++] = lts_buf_span(&sis);
    LTS_TRY(lts_der__append_cons(&sdbuf, LTS_DER_SEQUENCE, parts, np));
    parts[0] = lts_buf_span(&sdbuf);
    LTS_TRY(lts_der__append_cons(&wrap, LTS_DER_CTX_CONS(0), parts, 1));
    parts[0] = ci_kids[0].all;
    parts[1] = lts_buf_span(&wrap);
    out->n = 0;
    LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
out:
    if (new_si) {
        for (size_t i = 0; i < nsi; i++)
            lts_buf_dispose(&new_si[i]);
    }
    lts_free(new_si);
    lts_free(si_parts);
    lts_buf_dispose(&sis);
    lts_buf_dispose(&sdbuf);
    lts_buf_dispose(&wrap);
    lts_buf_dispose(&certs);
    lts_buf_dispose(&crls);
    lts_buf_dispose(&ver);
    return rc;
}

lts_status lts_cades__splice(lts_buf *out, lts_span der, const lts_buf *const *add,
                             const size_t *n_add, size_t n_signers)
{
    lts_cades__splice_in in;
    memset(&in, 0, sizeof in);
    in.add = add;
    in.n_add = n_add;
    in.n_signers = n_signers;
    return lts_cades__splice2(out, der, &in);
}

/* An Attribute { oid, SET { token } } holding a TimeStampToken as it came. */
static lts_status token_attr(lts_buf *out, int nid, lts_span token)
{
    lts_status rc = LTS_OK;
    ASN1_STRING *seq = NULL;
    X509_ATTRIBUTE *a = NULL;
    unsigned char *der = NULL;
    int len;
    LTS_ENSURE(token.n <= INT_MAX, LTS_E_INPUT, "time-stamp token too large");
    LTS_ALLOC(seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE));
    LTS_OSSL(ASN1_STRING_set(seq, token.p, (int)token.n) == 1, "ASN1_STRING_set");
    LTS_OSSL((a = X509_ATTRIBUTE_create(nid, V_ASN1_SEQUENCE, seq)) != NULL,
             "X509_ATTRIBUTE_create");
    seq = NULL; /* owned by the attribute */
    len = i2d_X509_ATTRIBUTE(a, &der);
    LTS_TRY(lts_cades__append_i2d(out, der, len, "unsigned attribute"));
out:
    X509_ATTRIBUTE_free(a);
    ASN1_STRING_free(seq);
    return rc;
}

/* signature-time-stamp over the signature value of si (EN 319 122-1 §5.3). */
static lts_status signature_ts_attr(lts_buf *out, CMS_SignerInfo *si, lts_tsa *tsa)
{
    lts_status rc = LTS_OK;
    lts_buf tok = LTS_BUF_INIT;
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
    uint8_t dg[LTS_HASH_MAX];
    size_t dn = 0;
    lts_sig_alg alg;
    int salt;
    lts_hash mgf, h = LTS_HASH_SHA256;

    if (lts_cades__si_alg(si, &alg, &salt, &mgf) == LTS_OK && alg.hash != LTS_HASH_SHA1)
        h = alg.hash;
    lts_error_clear();
    LTS_TRY(lts_digest__span(h, lts_span_of(ASN1_STRING_get0_data(sig),
                                            (size_t)ASN1_STRING_length(sig)), dg, &dn));
    LTS_TRY(lts_tsa_stamp(tsa, h, lts_span_of(dg, dn), &tok));
    LTS_TRY(token_attr(out, NID_id_smime_aa_timeStampToken, lts_buf_span(&tok)));
out:
    lts_buf_dispose(&tok);
    return rc;
}

static int has_signature_ts(CMS_SignerInfo *si)
{
    return CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) >= 0;
}

lts_status lts_cades__extend_der(lts_buf *out, const lts_cades *c,
                                 const lts_cades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    size_t n = lts_cades_signer_count(c);
    lts_buf *attrs = NULL;
    const lts_buf **add = NULL;
    size_t *n_add = NULL;

    LTS_ENSURE(n > 0, LTS_E_INPUT, "the SignedData has no SignerInfo to extend");
    LTS_ALLOC(attrs = lts_calloc(n, sizeof *attrs));
    LTS_ALLOC(add = lts_calloc(n, sizeof *add));
    LTS_ALLOC(n_add = lts_calloc(n, sizeof *n_add));
    for (size_t i = 0; i < n; i++) {
        CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, (int)i);
        add[i] = &attrs[i];
        if (has_signature_ts(si))
            continue; /* already B-T */
        LTS_ENSURE(o->tsa != NULL, LTS_E_CONFIG,
                   "level %s needs a timestamp authority", lts_level_name(o->level));
        LTS_TRY(signature_ts_attr(&attrs[i], si, o->tsa));
        n_add[i] = 1;
    }
    LTS_TRY(lts_cades__splice(out, lts_buf_span(&c->der), add, n_add, n));
out:
    if (attrs) {
        for (size_t i = 0; i < n; i++)
            lts_buf_dispose(&attrs[i]);
    }
    lts_free(attrs);
    lts_free(add);
    lts_free(n_add);
    return rc;
}

/* A broken signature is not time-stamped: its value must verify with the signer's
 * certificate (the content is not needed for that). */
static lts_status refuse_broken(const lts_cades *c)
{
    lts_status rc = LTS_OK;
    lts_cades_signer_check k;
    for (size_t i = 0; i < lts_cades_signer_count(c); i++) {
        LTS_TRY(lts_cades_check_signer(c, i, NULL, &k));
        LTS_ENSURE(k.has_signed_attrs && k.signature != LTS_CADES_BAD &&
                       k.message_digest != LTS_CADES_BAD, LTS_E_INPUT,
                   "signature %zu is broken (%s); it is not extended", i + 1,
                   k.detail[0] ? k.detail : "no signed attributes");
    }
out:
    return rc;
}

lts_status lts_cades_extend(lts_buf *out, lts_span cms, const lts_cades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    lts_cades *c = NULL;
    lts_buf res = LTS_BUF_INIT;
    LTS_ENSURE(o != NULL && o->version >= 1, LTS_E_CONFIG, "extend options not initialised");
    int lt = o->level == LTS_LEVEL_B_LT || o->level == LTS_LEVEL_B_LTA;
    int xl = o->level == LTS_LEVEL_ES_XL || o->level == LTS_LEVEL_ES_A;
    LTS_ENSURE(o->level == LTS_LEVEL_B_T || o->level == LTS_LEVEL_ES_T || lt || xl,
               LTS_E_UNSUPPORTED, "extending CAdES to %s is not supported",
               lts_level_name(o->level));
    LTS_ENSURE(!(lt || xl) || o->vdata != NULL, LTS_E_CONFIG,
               "level %s needs a validation data source", lts_level_name(o->level));
    LTS_TRY(lts_cades_parse(&c, cms));
    LTS_TRY(refuse_broken(c));
    LTS_TRY(lts_cades__extend_der(&res, c, o));
    if (lt) {
        lts_cades_free(c);
        c = NULL;
        LTS_TRY(lts_cades_parse(&c, lts_buf_span(&res)));
        LTS_TRY(lts_cades__add_ltv(&res, c, o));
    }
    if (xl) {
        /* ES-X Long: complete references and values as unsigned attributes */
        lts_cades_free(c);
        c = NULL;
        LTS_TRY(lts_cades_parse(&c, lts_buf_span(&res)));
        LTS_TRY(lts_cades__add_xl(&res, c, o));
    }
    if (o->level == LTS_LEVEL_B_LTA || o->level == LTS_LEVEL_ES_A) {
        /* a new archive time-stamp each time: this is also how an archive is renewed */
        lts_cades_free(c);
        c = NULL;
        LTS_TRY(lts_cades_parse(&c, lts_buf_span(&res)));
        LTS_TRY(lts_cades__add_ats(&res, c, o));
    }
    LTS_TRY(lts_buf_set(out, lts_buf_span(&res)));
out:
    lts_buf_dispose(&res);
    lts_cades_free(c);
    return rc;
}
