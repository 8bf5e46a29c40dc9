/* see ltsig/cades.h: CAdES baseline B-B signing (ETSI EN 319 122-1 §5.2, RFC 5652 §5).
 *
 * The SignedData is assembled here rather than with CMS_sign, because the private key is
 * not ours: the value comes from lts_signer_sign over the digest of the DER SET OF signed
 * attributes. OpenSSL encodes the pieces it knows (attributes, names, certificates,
 * algorithm identifiers, ESS); core/der.c writes every tag and length around them. */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <string.h>
#include <openssl/ess.h>
#include <openssl/objects.h>
#include <ltsig/openssl.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"
#include "core/oid.h"

enum { N_ATTRS_MAX = 4 };

static const uint8_t one[] = { 0x01 };

/* The attribute takes *value over on success (*value becomes NULL); on failure the
 * caller still owns it. */
static lts_status attr_der(lts_buf *out, int nid, int atype, void **value)
{
    lts_status rc = LTS_OK;
    X509_ATTRIBUTE *a = NULL;
    unsigned char *der = NULL;
    int len;
    a = X509_ATTRIBUTE_create(nid, atype, *value);
    LTS_OSSL(a != NULL, "X509_ATTRIBUTE_create");
    *value = NULL;
    len = i2d_X509_ATTRIBUTE(a, &der);
    LTS_TRY(lts_cades__append_i2d(out, der, len, "signed attribute"));
out:
    X509_ATTRIBUTE_free(a);
    return rc;
}

static lts_status content_type_attr(lts_buf *out)
{
    /* OBJ_nid2obj gives a static object; the attribute may "free" it safely */
    void *obj = OBJ_nid2obj(NID_pkcs7_data);
    return attr_der(out, NID_pkcs9_contentType, V_ASN1_OBJECT, &obj);
}

static lts_status message_digest_attr(lts_buf *out, lts_span digest)
{
    lts_status rc = LTS_OK;
    ASN1_OCTET_STRING *os = NULL;
    LTS_ALLOC(os = ASN1_OCTET_STRING_new());
    LTS_OSSL(ASN1_OCTET_STRING_set(os, digest.p, (int)digest.n) == 1, "ASN1_OCTET_STRING_set");
    LTS_TRY(attr_der(out, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, (void **)&os));
out:
    ASN1_OCTET_STRING_free(os);
    return rc;
}

static lts_status signing_time_attr(lts_buf *out, lts_time now)
{
    lts_status rc = LTS_OK;
    ASN1_TIME *t = NULL;
    /* UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5652 §11.3) */
    LTS_OSSL((t = ASN1_TIME_set(NULL, (time_t)now)) != NULL, "ASN1_TIME_set");
    LTS_TRY(attr_der(out, NID_pkcs9_signingTime, ASN1_STRING_type(t), (void **)&t));
out:
    ASN1_TIME_free(t);
    return rc;
}

/* signing-certificate-v2 (RFC 5035 §3): one ESSCertIDv2 with SHA-256 and issuerSerial. */
static lts_status signing_cert_v2_attr(lts_buf *out, X509 *cert)
{
    lts_status rc = LTS_OK;
    ESS_SIGNING_CERT_V2 *sc = NULL;
    ASN1_STRING *seq = NULL;
    unsigned char *der = NULL;
    int len;
    sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), cert, NULL, 1);
    LTS_OSSL(sc != NULL, "OSSL_ESS_signing_cert_v2_new_init");
    len = i2d_ESS_SIGNING_CERT_V2(sc, &der);
    LTS_OSSL(len > 0, "i2d_ESS_SIGNING_CERT_V2");
    LTS_ALLOC(seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE));
    LTS_OSSL(ASN1_STRING_set(seq, der, len) == 1, "ASN1_STRING_set");
    LTS_TRY(attr_der(out, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE, (void **)&seq));
out:
    OPENSSL_free(der);
    ASN1_STRING_free(seq);
    ESS_SIGNING_CERT_V2_free(sc);
    return rc;
}

static lts_status oid_der(lts_buf *out, lts_oid id)
{
    lts_status rc = LTS_OK;
    ASN1_OBJECT *o = NULL;
    unsigned char *der = NULL;
    int len;
    LTS_ALLOC(o = lts_oid__obj(id));
    len = i2d_ASN1_OBJECT(o, &der);
    LTS_TRY(lts_cades__append_i2d(out, der, len, "OID"));
out:
    ASN1_OBJECT_free(o);
    return rc;
}

/* IssuerAndSerialNumber of the signer certificate (RFC 5652 §10.2.4). */
static lts_status issuer_serial_der(lts_buf *out, X509 *cert)
{
    lts_status rc = LTS_OK;
    lts_buf name = LTS_BUF_INIT, serial = LTS_BUF_INIT;
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
    LTS_TRY(lts_cades__append_i2d(&name, der, len, "issuer name"));
    der = NULL;
    len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
    LTS_TRY(lts_cades__append_i2d(&serial, der, len, "serial number"));
    {
        lts_span parts[] = { lts_buf_span(&name), lts_buf_span(&serial) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
    }
out:
    lts_buf_dispose(&name);
    lts_buf_dispose(&serial);
    return rc;
}

/* certificates [0] IMPLICIT CertificateSet: the signer's chain as DER, sorted (SET OF). */
static lts_status certificates_der(lts_buf *out, lts_signer *signer)
{
    lts_status rc = LTS_OK;
    lts_buf *ders = NULL, sorted = LTS_BUF_INIT;
    lts_span *items = NULL;
    size_t n = 0;
    lts_der_tlv set;
    LTS_TRY(lts_signer_chain_der(signer, &ders, &n));
    LTS_ALLOC(items = lts_calloc(n ? n : 1, sizeof *items));
    for (size_t i = 0; i < n; i++)
        items[i] = lts_buf_span(&ders[i]);
    /* sort as a SET OF, then carry the same contents under the [0] IMPLICIT tag */
    LTS_TRY(lts_der__append_set_of(&sorted, items, n));
    LTS_TRY(lts_der__one(lts_buf_span(&sorted), &set));
    LTS_TRY(lts_der__append_cons(out, LTS_DER_CTX_CONS(0), &set.value, 1));
out:
    lts_buf_dispose(&sorted);
    lts_free(items);
    lts_signer_chain_free(ders, n);
    return rc;
}

typedef struct {
    lts_buf attrs[N_ATTRS_MAX];
    lts_span items[N_ATTRS_MAX];
    size_t n;
    lts_buf set;   /* SET OF Attribute: what is signed */
} signed_attrs;

static void signed_attrs_dispose(signed_attrs *sa)
{
    for (size_t i = 0; i < N_ATTRS_MAX; i++)
        lts_buf_dispose(&sa->attrs[i]);
    lts_buf_dispose(&sa->set);
}

static lts_status build_signed_attrs(signed_attrs *sa, lts_signer *signer, lts_span digest,
                                     const lts_cades_sign_opts *o)
{
    lts_status rc = LTS_OK;
    LTS_TRY(content_type_attr(&sa->attrs[sa->n++]));
    LTS_TRY(message_digest_attr(&sa->attrs[sa->n++], digest));
    if (!o->no_signing_time)
        LTS_TRY(signing_time_attr(&sa->attrs[sa->n++], lts_clock_now(o->clock)));
    LTS_TRY(signing_cert_v2_attr(&sa->attrs[sa->n++], lts_signer_get0_cert(signer)));
    for (size_t i = 0; i < sa->n; i++)
        sa->items[i] = lts_buf_span(&sa->attrs[i]);
    LTS_TRY(lts_der__append_set_of(&sa->set, sa->items, sa->n)); /* sorts items */
out:
    return rc;
}

static lts_status signer_info_der(lts_buf *out, lts_signer *signer, lts_sig_alg alg,
                                  const signed_attrs *sa, lts_span sigval)
{
    lts_status rc = LTS_OK;
    lts_buf sid = LTS_BUF_INIT, mdalg = LTS_BUF_INIT, attrs = LTS_BUF_INIT,
            sigalg = LTS_BUF_INIT, sig = LTS_BUF_INIT;
    LTS_TRY(issuer_serial_der(&sid, lts_signer_get0_cert(signer)));
    LTS_TRY(lts_cades__md_algid(&mdalg, alg.hash));
    LTS_TRY(lts_der__append_cons(&attrs, LTS_DER_CTX_CONS(0), sa->items, sa->n));
    LTS_TRY(lts_cades__sig_algid(&sigalg, alg));
    LTS_TRY(lts_der__append_cons(&sig, LTS_DER_OCTET_STRING, &sigval, 1));
    {
        lts_span parts[] = { lts_span_of(one, 1), lts_buf_span(&sid), lts_buf_span(&mdalg),
                             lts_buf_span(&attrs), lts_buf_span(&sigalg), lts_buf_span(&sig) };
        lts_buf ver = LTS_BUF_INIT;
        LTS_TRY(lts_der__append_cons(&ver, LTS_DER_INTEGER, parts, 1));
        parts[0] = lts_buf_span(&ver);
        rc = lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 6);
        lts_buf_dispose(&ver);
        LTS_TRY(rc);
    }
out:
    lts_buf_dispose(&sid);
    lts_buf_dispose(&mdalg);
    lts_buf_dispose(&attrs);
    lts_buf_dispose(&sigalg);
    lts_buf_dispose(&sig);
    return rc;
}

/* encapContentInfo: id-data, with the content when attached (RFC 5652 §5.2). */
static lts_status encap_der(lts_buf *out, const lts_span *content)
{
    lts_status rc = LTS_OK;
    lts_buf oid = LTS_BUF_INIT, os = LTS_BUF_INIT, ex = LTS_BUF_INIT;
    size_t n = 1;
    LTS_TRY(oid_der(&oid, LTS_OID_DATA));
    if (content != NULL) {
        LTS_TRY(lts_der__append_cons(&os, LTS_DER_OCTET_STRING, content, 1));
        lts_span s = lts_buf_span(&os);
        LTS_TRY(lts_der__append_cons(&ex, LTS_DER_CTX_CONS(0), &s, 1));
        lts_buf_dispose(&os);
        n = 2;
    }
    {
        lts_span parts[] = { lts_buf_span(&oid), lts_buf_span(&ex) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, n));
    }
out:
    lts_buf_dispose(&oid);
    lts_buf_dispose(&os);
    lts_buf_dispose(&ex);
    return rc;
}

static lts_status content_info_der(lts_buf *out, lts_signer *signer, lts_hash h,
                                   const lts_span *content, lts_span signer_info)
{
    lts_status rc = LTS_OK;
    lts_buf ver = LTS_BUF_INIT, mdalg = LTS_BUF_INIT, mdset = LTS_BUF_INIT, encap = LTS_BUF_INIT,
            certs = LTS_BUF_INIT, sis = LTS_BUF_INIT, sd = LTS_BUF_INIT, sdx = LTS_BUF_INIT,
            oid = LTS_BUF_INIT;
    lts_span s;
    LTS_TRY(lts_der__append_cons(&ver, LTS_DER_INTEGER, &(lts_span){ one, 1 }, 1));
    LTS_TRY(lts_cades__md_algid(&mdalg, h));
    s = lts_buf_span(&mdalg);
    LTS_TRY(lts_der__append_set_of(&mdset, &s, 1));
    LTS_TRY(encap_der(&encap, content));
    LTS_TRY(certificates_der(&certs, signer));
    LTS_TRY(lts_der__append_set_of(&sis, &signer_info, 1));
    {
        /* version 1: id-data, issuerAndSerialNumber, no attribute certificates (§5.1) */
        lts_span parts[] = { lts_buf_span(&ver), lts_buf_span(&mdset), lts_buf_span(&encap),
                             lts_buf_span(&certs), lts_buf_span(&sis) };
        LTS_TRY(lts_der__append_cons(&sd, LTS_DER_SEQUENCE, parts, 5));
    }
    lts_buf_dispose(&encap);
    s = lts_buf_span(&sd);
    LTS_TRY(lts_der__append_cons(&sdx, LTS_DER_CTX_CONS(0), &s, 1));
    lts_buf_dispose(&sd);
    LTS_TRY(oid_der(&oid, LTS_OID_SIGNED_DATA));
    {
        lts_span parts[] = { lts_buf_span(&oid), lts_buf_span(&sdx) };
        LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, parts, 2));
    }
out:
    lts_buf_dispose(&ver);
    lts_buf_dispose(&mdalg);
    lts_buf_dispose(&mdset);
    lts_buf_dispose(&encap);
    lts_buf_dispose(&certs);
    lts_buf_dispose(&sis);
    lts_buf_dispose(&sd);
    lts_buf_dispose(&sdx);
    lts_buf_dispose(&oid);
    return rc;
}

static int needs_ts(const lts_cades_sign_opts *o)
{
    return o->level == LTS_LEVEL_B_T || o->level == LTS_LEVEL_ES_T || o->level == LTS_LEVEL_B_LT ||
           o->level == LTS_LEVEL_B_LTA || o->level == LTS_LEVEL_ES_XL || o->level == LTS_LEVEL_ES_A;
}

/* B-T / ES-T: the signature-time-stamp is added to what was just signed. */
static lts_status add_levels(lts_buf *der, const lts_cades_sign_opts *o)
{
    lts_status rc = LTS_OK;
    lts_buf ext = LTS_BUF_INIT;
    lts_cades_extend_opts eo = LTS_CADES_EXTEND_OPTS_INIT;
    if (!needs_ts(o))
        goto out;
    eo.level = o->level;
    eo.tsa = o->tsa;
    eo.vdata = o->vdata;
    eo.clock = o->clock;
    LTS_TRY(lts_cades_extend(&ext, lts_buf_span(der), &eo));
    LTS_TRY(lts_buf_set(der, lts_buf_span(&ext)));
out:
    lts_buf_dispose(&ext);
    return rc;
}

static lts_status check_opts(const lts_cades_sign_opts *o, lts_signer *signer)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(o != NULL && o->version >= 1, LTS_E_CONFIG, "CAdES options not initialised");
    LTS_ENSURE(signer != NULL, LTS_E_CONFIG, "no signer");
    LTS_ENSURE(o->level == 0 || o->level == LTS_LEVEL_B_B || needs_ts(o), LTS_E_UNSUPPORTED,
               "CAdES level %s is not supported",
               lts_level_name(o->level));
    LTS_ENSURE(o->level == LTS_LEVEL_B_T || o->level == LTS_LEVEL_ES_T || o->level == 0 ||
               o->level == LTS_LEVEL_B_B || o->vdata != NULL,
               LTS_E_CONFIG,
               "level %s needs a validation data source", lts_level_name(o->level));
    LTS_ENSURE(!needs_ts(o) || o->tsa != NULL, LTS_E_CONFIG,
               "level %s needs a timestamp authority", lts_level_name(o->level));
out:
    return rc;
}

static lts_status pick_alg(lts_signer *signer, const lts_cades_sign_opts *o, lts_sig_alg *alg)
{
    lts_hash h = o->hash ? o->hash : LTS_HASH_SHA256;
    lts_status rc = lts_signer_default_alg(signer, h, alg);
    if (rc == LTS_OK && o->scheme != LTS_SCHEME_NONE)
        alg->scheme = o->scheme;
    return rc;
}

/* Everything after the content digest: attributes, value, SignedData. */
static lts_status build(lts_buf *out, lts_signer *signer, lts_sig_alg alg, lts_span digest,
                        const lts_span *content, const lts_cades_sign_opts *o)
{
    lts_status rc = LTS_OK;
    signed_attrs sa;
    lts_buf sigval = LTS_BUF_INIT, si = LTS_BUF_INIT, der = LTS_BUF_INIT;
    uint8_t tbs[LTS_HASH_MAX];
    size_t tbs_n = 0;

    memset(&sa, 0, sizeof sa);
    LTS_ENSURE(digest.n == lts_hash_size(alg.hash), LTS_E_INPUT,
               "the content digest has %zu bytes, %s needs %zu", digest.n,
               lts_hash_name(alg.hash), lts_hash_size(alg.hash));
    LTS_TRY(build_signed_attrs(&sa, signer, digest, o));
    LTS_TRY(lts_digest__span(alg.hash, lts_buf_span(&sa.set), tbs, &tbs_n));
    {
        lts_span d = lts_span_of(tbs, tbs_n);
        LTS_TRY(lts_signer_sign(signer, alg, &d, 1, &sigval));
    }
    LTS_TRY(signer_info_der(&si, signer, alg, &sa, lts_buf_span(&sigval)));
    LTS_TRY(content_info_der(&der, signer, alg.hash, content, lts_buf_span(&si)));
    LTS_TRY(add_levels(&der, o));
    LTS_TRY(lts_buf_set(out, lts_buf_span(&der)));
out:
    signed_attrs_dispose(&sa);
    lts_buf_dispose(&sigval);
    lts_buf_dispose(&si);
    lts_buf_dispose(&der);
    return rc;
}

lts_status lts_cades_sign_file(lts_buf *out, lts_signer *signer, const char *content_path,
                               const lts_cades_sign_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_buf content = LTS_BUF_INIT;
    lts_sig_alg alg;
    uint8_t dg[LTS_HASH_MAX];
    size_t dn = 0;
    lts_span cs;

    LTS_TRY(check_opts(opts, signer));
    LTS_ENSURE(content_path != NULL, LTS_E_CONFIG, "no content file");
    LTS_TRY(pick_alg(signer, opts, &alg));
    if (opts->detached) {
        LTS_TRY(lts_digest__file(alg.hash, content_path, NULL, 0, dg, &dn));
    } else {
        LTS_TRY(lts_io__read_file(&content, content_path, 0));
        LTS_TRY(lts_digest__span(alg.hash, lts_buf_span(&content), dg, &dn));
    }
    cs = lts_buf_span(&content);
    LTS_TRY(build(out, signer, alg, lts_span_of(dg, dn), opts->detached ? NULL : &cs, opts));
out:
    lts_buf_dispose(&content);
    return rc;
}

lts_status lts_cades_sign_digest(lts_buf *out, lts_signer *signer, lts_span digest,
                                 const lts_cades_sign_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_sig_alg alg;
    LTS_TRY(check_opts(opts, signer));
    LTS_TRY(pick_alg(signer, opts, &alg));
    LTS_TRY(build(out, signer, alg, digest, NULL, opts));
out:
    return rc;
}
