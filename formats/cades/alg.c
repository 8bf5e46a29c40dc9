/* Algorithm identifiers of CMS signatures: building them for signing and reading them back
 * for checking. RFC 5754 (SHA-2 in CMS), RFC 4055/4056 (RSASSA-PSS), RFC 5758 (ECDSA). */
#define LTS_MODULE "cades"
#include "cades_int.h"

#include <openssl/rsa.h>
#include <openssl/objects.h>
#include "core/digest.h"
#include "core/err.h"

lts_status lts_cades__append_i2d(lts_buf *b, unsigned char *der, int len, const char *what)
{
    lts_status rc = LTS_OK;
    if (len <= 0 || der == NULL)
        LTS_FAIL_OSSL(LTS_E_CRYPTO, "cannot encode %s", what);
    LTS_TRY(lts_buf_append(b, der, (size_t)len));
out:
    OPENSSL_free(der);
    return rc;
}

static lts_status algor_der(lts_buf *out, const X509_ALGOR *a)
{
    unsigned char *der = NULL;
    int len = i2d_X509_ALGOR(a, &der);
    return lts_cades__append_i2d(out, der, len, "AlgorithmIdentifier");
}

lts_status lts_cades__md_algid(lts_buf *out, lts_hash h)
{
    lts_status rc = LTS_OK;
    X509_ALGOR *a = NULL;
    const EVP_MD *md = lts_hash__md(h);
    LTS_ENSURE(md != NULL, LTS_E_UNSUPPORTED, "unknown digest algorithm %d", (int)h);
    LTS_ALLOC(a = X509_ALGOR_new());
    X509_ALGOR_set_md(a, md); /* SHA-2: parameters absent (RFC 5754 §2) */
    LTS_TRY(algor_der(out, a));
out:
    X509_ALGOR_free(a);
    return rc;
}

/* A SEQUENCE-typed ASN1_STRING holding the DER of an X509_ALGOR (for nested parameters). */
static lts_status algor_as_seq(ASN1_STRING **out, const X509_ALGOR *a)
{
    lts_status rc = LTS_OK;
    unsigned char *der = NULL;
    ASN1_STRING *s = NULL;
    int len = i2d_X509_ALGOR(a, &der);
    LTS_OSSL(len > 0, "i2d_X509_ALGOR");
    LTS_ALLOC(s = ASN1_STRING_type_new(V_ASN1_SEQUENCE));
    LTS_OSSL(ASN1_STRING_set(s, der, len) == 1, "ASN1_STRING_set");
    *out = s;
    s = NULL;
out:
    OPENSSL_free(der);
    ASN1_STRING_free(s);
    return rc;
}

/* RSASSA-PSS-params: hash, MGF1 with the same hash, salt = hash length, trailerField 1
 * (the DEFAULT, so absent in DER). RFC 4055 §3.1. */
static lts_status pss_algid(X509_ALGOR *alg, lts_hash h)
{
    lts_status rc = LTS_OK;
    RSA_PSS_PARAMS *pp = NULL;
    ASN1_STRING *mgfparam = NULL, *params = NULL;
    unsigned char *der = NULL;
    const EVP_MD *md = lts_hash__md(h);
    int len;

    LTS_ALLOC(pp = RSA_PSS_PARAMS_new());
    LTS_ALLOC(pp->hashAlgorithm = X509_ALGOR_new());
    X509_ALGOR_set_md(pp->hashAlgorithm, md);
    LTS_TRY(algor_as_seq(&mgfparam, pp->hashAlgorithm));
    LTS_ALLOC(pp->maskGenAlgorithm = X509_ALGOR_new());
    LTS_OSSL(X509_ALGOR_set0(pp->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE,
                             mgfparam) == 1, "X509_ALGOR_set0");
    mgfparam = NULL;
    LTS_ALLOC(pp->saltLength = ASN1_INTEGER_new());
    LTS_OSSL(ASN1_INTEGER_set(pp->saltLength, (long)lts_hash_size(h)) == 1, "ASN1_INTEGER_set");
    len = i2d_RSA_PSS_PARAMS(pp, &der);
    LTS_OSSL(len > 0, "i2d_RSA_PSS_PARAMS");
    LTS_ALLOC(params = ASN1_STRING_type_new(V_ASN1_SEQUENCE));
    LTS_OSSL(ASN1_STRING_set(params, der, len) == 1, "ASN1_STRING_set");
    LTS_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, params) == 1,
             "X509_ALGOR_set0");
    params = NULL;
out:
    OPENSSL_free(der);
    ASN1_STRING_free(params);
    ASN1_STRING_free(mgfparam);
    RSA_PSS_PARAMS_free(pp);
    return rc;
}

static int sig_nid(lts_sig_alg alg)
{
    static const struct { lts_scheme s; lts_hash h; int nid; } map[] = {
        { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256, NID_sha256WithRSAEncryption },
        { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA384, NID_sha384WithRSAEncryption },
        { LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA512, NID_sha512WithRSAEncryption },
        { LTS_SCHEME_ECDSA, LTS_HASH_SHA256, NID_ecdsa_with_SHA256 },
        { LTS_SCHEME_ECDSA, LTS_HASH_SHA384, NID_ecdsa_with_SHA384 },
        { LTS_SCHEME_ECDSA, LTS_HASH_SHA512, NID_ecdsa_with_SHA512 },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].s == alg.scheme && map[i].h == alg.hash)
            return map[i].nid;
    }
    return NID_undef;
}

lts_status lts_cades__sig_algid(lts_buf *out, lts_sig_alg alg)
{
    lts_status rc = LTS_OK;
    X509_ALGOR *a = NULL;
    int nid;

    LTS_ALLOC(a = X509_ALGOR_new());
    if (alg.scheme == LTS_SCHEME_RSA_PSS) {
        LTS_ENSURE(lts_hash__md(alg.hash) != NULL, LTS_E_UNSUPPORTED,
                   "unknown digest algorithm for RSA-PSS");
        LTS_TRY(pss_algid(a, alg.hash));
    } else {
        nid = sig_nid(alg);
        LTS_ENSURE(nid != NID_undef, LTS_E_UNSUPPORTED, "%s with %s is not supported",
                   lts_scheme_name(alg.scheme), lts_hash_name(alg.hash));
        /* PKCS#1 v1.5: NULL parameters (RFC 4055 §5); ECDSA: absent (RFC 5758 §3.2) */
        LTS_OSSL(X509_ALGOR_set0(a, OBJ_nid2obj(nid),
                                 alg.scheme == LTS_SCHEME_ECDSA ? V_ASN1_UNDEF : V_ASN1_NULL,
                                 NULL) == 1, "X509_ALGOR_set0");
    }
    LTS_TRY(algor_der(out, a));
out:
    X509_ALGOR_free(a);
    return rc;
}

/* The hash named by an AlgorithmIdentifier; LTS_HASH_NONE when unknown. */
static lts_hash algor_hash(const X509_ALGOR *a)
{
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR_get0(&obj, NULL, NULL, a);
    return lts_hash__from_nid(OBJ_obj2nid(obj));
}

static lts_status read_pss(const X509_ALGOR *sig, lts_hash *hash, int *salt, lts_hash *mgf)
{
    lts_status rc = LTS_OK;
    RSA_PSS_PARAMS *pp = NULL;
    X509_ALGOR *mgfhash = NULL;
    const void *pval = NULL;
    int ptype = 0;
    const unsigned char *p;

    X509_ALGOR_get0(NULL, &ptype, &pval, sig);
    LTS_ENSURE(ptype == V_ASN1_SEQUENCE && pval != NULL, LTS_E_INPUT,
               "RSASSA-PSS without parameters");
    p = ASN1_STRING_get0_data(pval);
    LTS_ENSURE((pp = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(pval))) != NULL,
               LTS_E_INPUT, "malformed RSASSA-PSS parameters");
    *hash = pp->hashAlgorithm ? algor_hash(pp->hashAlgorithm) : LTS_HASH_SHA1;
    *mgf = LTS_HASH_SHA1;
    if (pp->maskGenAlgorithm) {
        const ASN1_OBJECT *mobj = NULL;
        const void *mval = NULL;
        int mtype = 0;
        X509_ALGOR_get0(&mobj, &mtype, &mval, pp->maskGenAlgorithm);
        LTS_ENSURE(OBJ_obj2nid(mobj) == NID_mgf1 && mtype == V_ASN1_SEQUENCE, LTS_E_UNSUPPORTED,
                   "RSASSA-PSS mask generation other than MGF1");
        p = ASN1_STRING_get0_data(mval);
        LTS_ENSURE((mgfhash = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(mval))) != NULL,
                   LTS_E_INPUT, "malformed MGF1 parameters");
        *mgf = algor_hash(mgfhash);
    }
    *salt = 20;
    if (pp->saltLength) {
        long v = ASN1_INTEGER_get(pp->saltLength);
        LTS_ENSURE(v >= 0 && v <= 1024, LTS_E_INPUT, "RSASSA-PSS salt length out of range");
        *salt = (int)v;
    }
    LTS_ENSURE(pp->trailerField == NULL || ASN1_INTEGER_get(pp->trailerField) == 1,
               LTS_E_UNSUPPORTED, "RSASSA-PSS trailer field other than 1");
out:
    X509_ALGOR_free(mgfhash);
    RSA_PSS_PARAMS_free(pp);
    return rc;
}

lts_status lts_cades__si_alg(CMS_SignerInfo *si, lts_sig_alg *out, int *pss_saltlen,
                             lts_hash *pss_mgf_hash)
{
    lts_status rc = LTS_OK;
    X509_ALGOR *dig = NULL, *sig = NULL;
    const ASN1_OBJECT *obj = NULL;
    int nid, mdnid = NID_undef, pknid = NID_undef;

    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
    out->hash = algor_hash(dig);
    out->scheme = LTS_SCHEME_NONE;
    *pss_saltlen = -1;
    *pss_mgf_hash = LTS_HASH_NONE;
    X509_ALGOR_get0(&obj, NULL, NULL, dig);
    LTS_ENSURE(out->hash != LTS_HASH_NONE, LTS_E_UNSUPPORTED, "unsupported digest algorithm %s",
               OBJ_nid2sn(OBJ_obj2nid(obj)));
    X509_ALGOR_get0(&obj, NULL, NULL, sig);
    nid = OBJ_obj2nid(obj);
    if (nid == NID_rsassaPss) {
        lts_hash ph = LTS_HASH_NONE;
        LTS_TRY(read_pss(sig, &ph, pss_saltlen, pss_mgf_hash));
        LTS_ENSURE(ph == out->hash, LTS_E_INPUT,
                   "RSASSA-PSS hash differs from the SignerInfo digest algorithm");
        LTS_ENSURE(*pss_mgf_hash != LTS_HASH_NONE, LTS_E_UNSUPPORTED, "unsupported MGF1 hash");
        out->scheme = LTS_SCHEME_RSA_PSS;
    } else if (nid == NID_rsaEncryption) {
        out->scheme = LTS_SCHEME_RSA_PKCS1;
    } else if (nid == NID_X9_62_id_ecPublicKey) {
        out->scheme = LTS_SCHEME_ECDSA;
    } else if (OBJ_find_sigid_algs(nid, &mdnid, &pknid) == 1 && pknid == NID_rsaEncryption) {
        out->scheme = LTS_SCHEME_RSA_PKCS1;
    } else if (OBJ_find_sigid_algs(nid, &mdnid, &pknid) == 1 && pknid == NID_X9_62_id_ecPublicKey) {
        out->scheme = LTS_SCHEME_ECDSA;
    } else {
        LTS_FAIL(LTS_E_UNSUPPORTED, "unsupported signature algorithm %s", OBJ_nid2sn(nid));
    }
out:
    return rc;
}
