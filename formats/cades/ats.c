/* B-LTA: archive-time-stamp-v3 with its ats-hash-index-v3 (EN 319 122-1 §5.5.2-5.5.3).
 *
 * The index holds the hash of every element of SignedData.certificates and .crls (each
 * over its whole encoding as it is in the file) and of every unsigned attribute value of
 * the SignerInfo (over the attrType encoding followed by the value's encoding). The token's
 * message imprint is the hash of: the eContentType encoding, the hash of the content, the
 * SignerInfo fields version .. signature as encoded, and the DER ATSHashIndexV3. The index
 * then travels as an unsigned attribute of the token's own SignerInfo. */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <string.h>
#include <openssl/err.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/oid.h"

enum { MAXK = 16 };

void lts_cades__layout_dispose(lts_cades__layout *l)
{
    lts_free(l->certs);
    lts_free(l->crls);
    lts_free(l->uattrs);
    memset(l, 0, sizeof *l);
}

static lts_status list_of(lts_span value, lts_span **out, size_t *n)
{
    lts_status rc = LTS_OK;
    lts_span v = value;
    lts_der_tlv t;
    size_t cap = 0;
    while (v.n > 0) {
        LTS_TRY(lts_der__next(&v, &t));
        cap++;
    }
    LTS_ALLOC(*out = lts_calloc(cap ? cap : 1, sizeof **out));
    v = value;
    *n = 0;
    while (v.n > 0) {
        LTS_TRY(lts_der__next(&v, &t));
        (*out)[(*n)++] = t.all;
    }
out:
    return rc;
}

lts_status lts_cades__layout_of(lts_span der, size_t signer, lts_cades__layout *l)
{
    lts_status rc = LTS_OK;
    lts_der_tlv ci, k[MAXK], sd, encap, si;
    lts_span v;
    size_t n = 0, idx = 0;

    memset(l, 0, sizeof *l);
    LTS_TRY(lts_der__one(der, &ci));
    v = ci.value;
    LTS_TRY(lts_der__next(&v, &k[0]));
    LTS_TRY(lts_der__next(&v, &k[1]));
    LTS_TRY(lts_der__one(k[1].value, &sd));
    v = sd.value;
    while (v.n > 0) {
        LTS_ENSURE(n < MAXK, LTS_E_INPUT, "SignedData has too many elements");
        LTS_TRY(lts_der__next(&v, &k[n]));
        n++;
    }
    LTS_ENSURE(n >= 4, LTS_E_INPUT, "malformed SignedData");
    v = k[2].value;
    LTS_TRY(lts_der__next(&v, &encap));
    l->econtent_type = encap.all;
    for (size_t i = 3; i + 1 < n; i++) {
        if (k[i].cls == V_ASN1_CONTEXT_SPECIFIC && k[i].tag == 0)
            LTS_TRY(list_of(k[i].value, &l->certs, &l->n_certs));
        else if (k[i].cls == V_ASN1_CONTEXT_SPECIFIC && k[i].tag == 1)
            LTS_TRY(list_of(k[i].value, &l->crls, &l->n_crls));
    }
    v = k[n - 1].value;
    do {
        LTS_ENSURE(v.n > 0, LTS_E_NOTFOUND, "no SignerInfo number %zu", signer + 1);
        LTS_TRY(lts_der__next(&v, &si));
    } while (idx++ < signer);
    v = si.value;
    while (v.n > 0) {
        lts_der_tlv f;
        LTS_TRY(lts_der__next(&v, &f));
        if (f.cls == V_ASN1_CONTEXT_SPECIFIC && f.tag == 1) {
            LTS_TRY(list_of(f.value, &l->uattrs, &l->n_uattrs));
            break;
        }
        LTS_ENSURE(l->n_fields < sizeof l->fields / sizeof l->fields[0], LTS_E_INPUT,
                   "SignerInfo has too many fields");
        l->fields[l->n_fields++] = f.all;
    }
out:
    if (rc != LTS_OK)
        lts_cades__layout_dispose(l);
    return rc;
}

/* Append OCTET STRING H(a || b) to items (b may be empty). */
static lts_status hash_item(lts_buf *items, lts_hash h, lts_span a, lts_span b)
{
    lts_status rc = LTS_OK;
    EVP_MD_CTX *ctx = NULL;
    uint8_t dg[LTS_HASH_MAX];
    unsigned int dn = 0;
    LTS_ALLOC(ctx = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestInit_ex(ctx, lts_hash__md(h), NULL) == 1 &&
             EVP_DigestUpdate(ctx, a.p, a.n) == 1 && EVP_DigestUpdate(ctx, b.p, b.n) == 1 &&
             EVP_DigestFinal_ex(ctx, dg, &dn) == 1, "digest");
    {
        lts_span d = lts_span_of(dg, dn);
        LTS_TRY(lts_der__append_cons(items, LTS_DER_OCTET_STRING, &d, 1));
    }
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* The hashes of the values of one Attribute TLV: H(attrType TLV || value TLV) each. */
static lts_status attr_value_hashes(lts_buf *items, lts_hash h, lts_span attr)
{
    lts_status rc = LTS_OK;
    lts_der_tlv a, type, set, val;
    lts_span v;
    LTS_TRY(lts_der__one(attr, &a));
    v = a.value;
    LTS_TRY(lts_der__next(&v, &type));
    LTS_TRY(lts_der__next(&v, &set));
    v = set.value;
    while (v.n > 0) {
        LTS_TRY(lts_der__next(&v, &val));
        LTS_TRY(hash_item(items, h, type.all, val.all));
    }
out:
    return rc;
}

lts_status lts_cades__ats_index(lts_buf *out, lts_hash h, const lts_cades__layout *l)
{
    lts_status rc = LTS_OK;
    lts_buf alg = LTS_BUF_INIT, c = LTS_BUF_INIT, r = LTS_BUF_INIT, u = LTS_BUF_INIT,
            sc = LTS_BUF_INIT, sr = LTS_BUF_INIT, su = LTS_BUF_INIT;
    lts_span none = lts_span_of(NULL, 0), s;
    for (size_t i = 0; i < l->n_certs; i++)
        LTS_TRY(hash_item(&c, h, l->certs[i], none));
    for (size_t i = 0; i < l->n_crls; i++)
        LTS_TRY(hash_item(&r, h, l->crls[i], none));
    for (size_t i = 0; i < l->n_uattrs; i++)
        LTS_TRY(attr_value_hashes(&u, h, l->uattrs[i]));
    s = lts_buf_span(&c);
    LTS_TRY(lts_der__append_cons(&sc, LTS_DER_SEQUENCE, &s, 1));
    s = lts_buf_span(&r);
    LTS_TRY(lts_der__append_cons(&sr, LTS_DER_SEQUENCE, &s, 1));
    s = lts_buf_span(&u);
    LTS_TRY(lts_der__append_cons(&su, LTS_DER_SEQUENCE, &s, 1));
    if (h != LTS_HASH_SHA256) /* DEFAULT id-sha256: absent in DER */
        LTS_TRY(lts_cades__md_algid(&alg, h));
    {
        lts_span parts[] = { lts_buf_span(&alg), lts_buf_span(&sc), lts_buf_span(&sr),
                             lts_buf_span(&su) };
        out->n = 0;
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 4));
    }
out:
    lts_buf_dispose(&alg);
    lts_buf_dispose(&c);
    lts_buf_dispose(&r);
    lts_buf_dispose(&u);
    lts_buf_dispose(&sc);
    lts_buf_dispose(&sr);
    lts_buf_dispose(&su);
    return rc;
}

lts_status lts_cades__ats_imprint(uint8_t *dg, size_t *dn, lts_hash h,
                                  const lts_cades__layout *l, lts_span content_hash,
                                  lts_span index)
{
    lts_status rc = LTS_OK;
    EVP_MD_CTX *ctx = NULL;
    unsigned int n = 0;
    int ok;
    LTS_ALLOC(ctx = EVP_MD_CTX_new());
    ok = EVP_DigestInit_ex(ctx, lts_hash__md(h), NULL) == 1 &&
         EVP_DigestUpdate(ctx, l->econtent_type.p, l->econtent_type.n) == 1 &&
         EVP_DigestUpdate(ctx, content_hash.p, content_hash.n) == 1;
    for (size_t i = 0; ok && i < l->n_fields; i++)
        ok = EVP_DigestUpdate(ctx, l->fields[i].p, l->fields[i].n) == 1;
    ok = ok && EVP_DigestUpdate(ctx, index.p, index.n) == 1 &&
         EVP_DigestFinal_ex(ctx, dg, &n) == 1;
    LTS_OSSL(ok, "archive time-stamp imprint");
    *dn = n;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* The hash of the content with h: the message-digest attribute when h is the SignerInfo's
 * digest algorithm (it is that very value once the signature verified), else the
 * attached content. */
lts_status lts_cades__content_hash(const lts_cades *c, size_t signer, lts_hash h, uint8_t *dg,
                                   size_t *dn)
{
    lts_status rc = LTS_OK;
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, (int)signer);
    lts_sig_alg alg;
    int salt;
    lts_hash mgf;
    ASN1_OCTET_STRING **pos = CMS_get0_content(c->cms);

    LTS_ENSURE(si != NULL, LTS_E_NOTFOUND, "no SignerInfo number %zu", signer + 1);
    if (lts_cades__si_alg(si, &alg, &salt, &mgf) == LTS_OK && alg.hash == h) {
        ASN1_OCTET_STRING *md = CMS_signed_get0_data_by_OBJ(
            si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
        LTS_ENSURE(md != NULL && (size_t)ASN1_STRING_length(md) == lts_hash_size(h),
                   LTS_E_INPUT, "no usable message-digest attribute");
        memcpy(dg, ASN1_STRING_get0_data(md), (size_t)ASN1_STRING_length(md));
        *dn = (size_t)ASN1_STRING_length(md);
        goto out;
    }
    lts_error_clear();
    LTS_ENSURE(pos != NULL && *pos != NULL, LTS_E_UNSUPPORTED,
               "detached content hashed with another algorithm than the signature's");
    LTS_TRY(lts_digest__span(h, lts_span_of(ASN1_STRING_get0_data(*pos),
                                            (size_t)ASN1_STRING_length(*pos)), dg, dn));
out:
    ERR_clear_error();
    return rc;
}

/* Attribute { oid, SET { value } } as DER. */
lts_status lts_cades__attr(lts_buf *out, lts_oid oid, lts_span value)
{
    lts_status rc = LTS_OK;
    ASN1_OBJECT *o = NULL;
    unsigned char *der = NULL;
    lts_buf od = LTS_BUF_INIT, set = LTS_BUF_INIT;
    int len;
    LTS_ALLOC(o = lts_oid__obj(oid));
    len = i2d_ASN1_OBJECT(o, &der);
    LTS_TRY(lts_cades__append_i2d(&od, der, len, "OID"));
    LTS_TRY(lts_der__append_set_of(&set, &value, 1));
    {
        lts_span parts[] = { lts_buf_span(&od), lts_buf_span(&set) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
    }
out:
    ASN1_OBJECT_free(o);
    lts_buf_dispose(&od);
    lts_buf_dispose(&set);
    return rc;
}

/* archive-time-stamp-v3 for SignerInfo i of c, as a DER Attribute in out. */
static lts_status ats_attr(lts_buf *out, const lts_cades *c, size_t i, lts_tsa *tsa)
{
    lts_status rc = LTS_OK;
    lts_cades__layout l;
    lts_buf index = LTS_BUF_INIT, tok = LTS_BUF_INIT, idx_attr = LTS_BUF_INIT,
            tok2 = LTS_BUF_INIT;
    uint8_t ch[LTS_HASH_MAX], dg[LTS_HASH_MAX];
    size_t chn = 0, dn = 0;
    lts_hash h = LTS_HASH_SHA256;
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    lts_sig_alg alg;
    int salt;
    lts_hash mgf;

    memset(&l, 0, sizeof l);
    if (lts_cades__si_alg(sk_CMS_SignerInfo_value(sis, (int)i), &alg, &salt, &mgf) == LTS_OK &&
        alg.hash != LTS_HASH_SHA1)
        h = alg.hash;
    lts_error_clear();
    LTS_TRY(lts_cades__layout_of(lts_cades_der(c), i, &l));
    LTS_TRY(lts_cades__ats_index(&index, h, &l));
    LTS_TRY(lts_cades__content_hash(c, i, h, ch, &chn));
    LTS_TRY(lts_cades__ats_imprint(dg, &dn, h, &l, lts_span_of(ch, chn), lts_buf_span(&index)));
    LTS_TRY(lts_tsa_stamp(tsa, h, lts_span_of(dg, dn), &tok));
    /* the index goes into the token's own unsigned attributes */
    LTS_TRY(lts_cades__attr(&idx_attr, LTS_OID_ATS_HASH_INDEX_V3, lts_buf_span(&index)));
    {
        const lts_buf *add[1] = { &idx_attr };
        size_t n_add[1] = { 1 };
        LTS_TRY(lts_cades__splice(&tok2, lts_buf_span(&tok), add, n_add, 1));
    }
    LTS_TRY(lts_cades__attr(out, LTS_OID_ARCHIVE_TS_V3, lts_buf_span(&tok2)));
out:
    lts_cades__layout_dispose(&l);
    lts_buf_dispose(&index);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&idx_attr);
    lts_buf_dispose(&tok2);
    return rc;
}

lts_status lts_cades__add_ats(lts_buf *out, const lts_cades *c, const lts_cades_extend_opts *o)
{
    lts_status rc = LTS_OK;
    size_t n = lts_cades_signer_count(c);
    lts_buf *attrs = NULL;
    const lts_buf **add = NULL;
    size_t *n_add = NULL;

    LTS_ENSURE(o->tsa != NULL, LTS_E_CONFIG, "level %s needs a timestamp authority",
               lts_level_name(o->level));
    LTS_ALLOC(attrs = lts_calloc(n ? n : 1, sizeof *attrs));
    LTS_ALLOC(add = lts_calloc(n ? n : 1, sizeof *add));
    LTS_ALLOC(n_add = lts_calloc(n ? n : 1, sizeof *n_add));
    for (size_t i = 0; i < n; i++) {
        LTS_TRY(ats_attr(&attrs[i], c, i, o->tsa));
        add[i] = &attrs[i];
        n_add[i] = 1;
    }
    LTS_TRY(lts_cades__splice(out, lts_cades_der(c), add, n_add, n));
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
