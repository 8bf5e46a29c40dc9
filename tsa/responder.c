/* RFC 3161 responder signing through any lts_signer. see ltsig/tsa.h.
 *
 * The TSTInfo is built with OpenSSL's TS_TST_INFO API. The token is a PKCS7/CMS
 * SignedData assembled with OpenSSL's PKCS7 types (as OpenSSL's own TS_RESP_CTX does in
 * crypto/ts/ts_rsp_sign.c), except that the signature value over the DER signed
 * attributes comes from lts_signer_sign: the key never leaves the signer. Only the small
 * rejection PKIStatusInfo, which OpenSSL offers no setter for, is written with core/der. */
#define LTS_MODULE "tsa"
#include "tsa_int.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <ltsig/clock.h>
#include <ltsig/openssl.h>
#include "core/der.h"
#include "core/err.h"
#include "core/mem.h"

struct lts_tsa_responder {
    lts_signer *signer;     /* borrowed */
    X509 *cert;             /* borrowed from the signer */
    STACK_OF(X509) *chain;  /* borrowed from the signer, leaf first */
    ASN1_OBJECT *policy;
    lts_sig_alg alg;
    const EVP_MD *md;
    const lts_clock *clock;
    unsigned int accuracy_s;
    pthread_mutex_t lock;   /* serialises lts_signer_sign */
};

/* PKIFailureInfo bits (RFC 3161 §2.4.2). */
enum { F_BAD_ALG = 0, F_BAD_REQUEST = 2, F_BAD_DATA_FORMAT = 5, F_UNACCEPTED_POLICY = 15,
       F_UNACCEPTED_EXTENSION = 16, F_SYSTEM_FAILURE = 25 };

/* A TimeStampResp with status rejection, one failInfo bit and a statusString (DER). */
static lts_status make_rejection(lts_buf *out, int bit, const char *text)
{
    lts_status rc = LTS_OK;
    lts_buf info = LTS_BUF_INIT, free_text = LTS_BUF_INIT;
    uint8_t status = 2; /* rejection */
    uint8_t bits[5] = { 0 };
    size_t nbytes = (size_t)bit / 8 + 1;
    uint8_t u8[160];
    bits[0] = (uint8_t)(7 - bit % 8); /* unused bits: named-bit DER drops trailing zeros */
    bits[nbytes] = (uint8_t)(0x80 >> (bit % 8));

    size_t n = lts_der__put_tlv(NULL, LTS_DER_UTF8, lts_span_of(text, strlen(text)));
    LTS_ENSURE(n <= sizeof u8, LTS_E_INTERNAL, "rejection text too long");
    n = lts_der__put_tlv(u8, LTS_DER_UTF8, lts_span_of(text, strlen(text)));
    lts_span one = lts_span_of(u8, n);
    LTS_TRY(lts_der__append_cons(&free_text, LTS_DER_SEQUENCE, &one, 1));

    uint8_t st[3], bs[8];
    size_t sn = lts_der__put_tlv(st, LTS_DER_INTEGER, lts_span_of(&status, 1));
    size_t bn = lts_der__put_tlv(bs, LTS_DER_BIT_STRING, lts_span_of(bits, nbytes + 1));
    lts_span parts[3] = { lts_span_of(st, sn), lts_buf_span(&free_text), lts_span_of(bs, bn) };
    LTS_TRY(lts_der__append_cons(&info, LTS_DER_SEQUENCE, parts, 3));
    lts_span whole = lts_buf_span(&info);
    out->n = 0;
    LTS_TRY(lts_der__append_cons(out, LTS_DER_SEQUENCE, &whole, 1));
out:
    lts_buf_dispose(&info);
    lts_buf_dispose(&free_text);
    return rc;
}

/* see ltsig/tsa.h */
lts_status lts_tsa_responder_new(lts_tsa_responder **out, lts_signer *signer,
                                 const lts_tsa_responder_opts *opts)
{
    return lts_tsa__responder_new(out, signer, opts, 1);
}

/* see tsa_int.h */
lts_status lts_tsa__responder_new(lts_tsa_responder **out, lts_signer *signer,
                                  const lts_tsa_responder_opts *opts, int check_eku)
{
    lts_status rc = LTS_OK;
    lts_tsa_responder *r = NULL;
    lts_tsa_responder_opts def = LTS_TSA_RESPONDER_OPTS_INIT;
    int locked_init = 0;
    *out = NULL;
    if (opts == NULL)
        opts = &def;
    LTS_ENSURE(opts->version == LTS_TSA_RESPONDER_OPTS_VERSION, LTS_E_CONFIG,
               "lts_tsa_responder_opts version %u is not %u", opts->version,
               LTS_TSA_RESPONDER_OPTS_VERSION);
    LTS_ENSURE(signer != NULL, LTS_E_CONFIG, "TSA responder needs a signer");
    LTS_ALLOC(r = lts_calloc(1, sizeof *r));
    r->signer = signer;
    r->cert = lts_signer_get0_cert(signer);
    r->chain = lts_signer_get0_chain(signer);
    LTS_ENSURE(r->cert != NULL, LTS_E_CONFIG, "TSA signer has no certificate");
    lts_hash h = opts->hash != LTS_HASH_NONE ? opts->hash : LTS_HASH_SHA256;
    LTS_ENSURE(h != LTS_HASH_SHA1 && (r->md = lts_tsa__md(h)) != NULL, LTS_E_UNSUPPORTED,
               "TSA signature hash %s is not supported", lts_hash_name(h));
    LTS_TRY(lts_signer_default_alg(signer, h, &r->alg));
    LTS_ENSURE(r->alg.scheme == LTS_SCHEME_RSA_PKCS1 || r->alg.scheme == LTS_SCHEME_ECDSA,
               LTS_E_UNSUPPORTED, "TSA responder signs with RSA PKCS#1 v1.5 or ECDSA keys only");
    const char *pol = opts->policy ? opts->policy : LTS_TSA_DEFAULT_POLICY;
    LTS_ENSURE((r->policy = OBJ_txt2obj(pol, 1)) != NULL, LTS_E_CONFIG,
               "TSA policy is not a dotted OID: %.100s", pol);
    rc = check_eku ? lts_tsa__check_eku(r->cert) : LTS_OK;
    if (rc != LTS_OK) {
        rc = lts_err__set(LTS_E_CONFIG, LTS_MODULE, LTS_TSA_R_EKU, "TSA signer: %s",
                          lts_error_last()->message);
        goto out;
    }
    r->clock = opts->clock;
    r->accuracy_s = opts->accuracy_s;
    LTS_ENSURE(pthread_mutex_init(&r->lock, NULL) == 0, LTS_E_INTERNAL, "pthread_mutex_init");
    locked_init = 1;
    *out = r;
    r = NULL;
out:
    if (r != NULL) {
        ASN1_OBJECT_free(r->policy);
        if (locked_init)
            pthread_mutex_destroy(&r->lock);
        lts_free(r);
    }
    return rc;
}

/* see ltsig/tsa.h */
void lts_tsa_responder_free(lts_tsa_responder *r)
{
    if (r == NULL)
        return;
    ASN1_OBJECT_free(r->policy);
    pthread_mutex_destroy(&r->lock);
    lts_free(r);
}

static int refuse(const char **why, const char *text, int bit)
{
    *why = text;
    return bit;
}

/* Why a request cannot be served: -1 = serve it; else the failInfo bit, text in *why. */
static int judge_request(const lts_tsa_responder *r, TS_REQ *req, const char **why)
{
    if (TS_REQ_get_version(req) != 1)
        return refuse(why, "unsupported request version", F_BAD_DATA_FORMAT);
    TS_MSG_IMPRINT *mi = TS_REQ_get_msg_imprint(req);
    const ASN1_OBJECT *ao = NULL;
    int pt = V_ASN1_UNDEF;
    const void *pv = NULL;
    X509_ALGOR_get0(&ao, &pt, &pv, TS_MSG_IMPRINT_get_algo(mi));
    int nid = OBJ_obj2nid(ao);
    if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512)
        return refuse(why, "unsupported imprint algorithm (SHA-256/384/512 only)", F_BAD_ALG);
    if (pt != V_ASN1_UNDEF && pt != V_ASN1_NULL)
        return refuse(why, "imprint algorithm parameters must be absent or NULL", F_BAD_ALG);
    const EVP_MD *md = EVP_get_digestbynid(nid);
    if (md == NULL ||
        ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(mi)) != EVP_MD_get_size(md))
        return refuse(why, "imprint length does not match its algorithm", F_BAD_DATA_FORMAT);
    const ASN1_OBJECT *pol = TS_REQ_get_policy_id(req);
    if (pol != NULL && OBJ_cmp(pol, r->policy) != 0)
        return refuse(why, "unaccepted policy", F_UNACCEPTED_POLICY);
    const STACK_OF(X509_EXTENSION) *ext = TS_REQ_get_exts(req);
    if (ext != NULL && sk_X509_EXTENSION_num(ext) > 0)
        return refuse(why, "request extensions are not supported", F_UNACCEPTED_EXTENSION);
    return -1;
}

/* A TSTInfo answering req at the responder clock's now. */
static lts_status make_tstinfo(const lts_tsa_responder *r, TS_REQ *req, TS_TST_INFO **out)
{
    lts_status rc = LTS_OK;
    TS_TST_INFO *tst = NULL;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_GENERALIZEDTIME *gt = NULL;
    TS_ACCURACY *acc = NULL;
    ASN1_INTEGER *secs = NULL;
    unsigned char raw[16];
    *out = NULL;
    LTS_ALLOC(tst = TS_TST_INFO_new());
    LTS_OSSL(TS_TST_INFO_set_version(tst, 1), "TS_TST_INFO_set_version");
    LTS_OSSL(TS_TST_INFO_set_policy_id(tst, r->policy), "TS_TST_INFO_set_policy_id");
    LTS_OSSL(TS_TST_INFO_set_msg_imprint(tst, TS_REQ_get_msg_imprint(req)),
             "TS_TST_INFO_set_msg_imprint");
    LTS_OSSL(RAND_bytes(raw, sizeof raw) == 1, "RAND_bytes");
    raw[0] &= 0x7f; /* positive, at most 16 octets */
    LTS_OSSL(bn = BN_bin2bn(raw, sizeof raw, NULL), "BN_bin2bn");
    LTS_OSSL(serial = BN_to_ASN1_INTEGER(bn, NULL), "BN_to_ASN1_INTEGER");
    LTS_OSSL(TS_TST_INFO_set_serial(tst, serial), "TS_TST_INFO_set_serial");
    lts_time now = lts_clock_now(r->clock);
    LTS_OSSL(gt = ASN1_GENERALIZEDTIME_set(NULL, (time_t)now), "ASN1_GENERALIZEDTIME_set");
    LTS_OSSL(TS_TST_INFO_set_time(tst, gt), "TS_TST_INFO_set_time");
    if (r->accuracy_s > 0) {
        LTS_ALLOC(acc = TS_ACCURACY_new());
        LTS_ALLOC(secs = ASN1_INTEGER_new());
        LTS_OSSL(ASN1_INTEGER_set(secs, (long)r->accuracy_s), "ASN1_INTEGER_set");
        LTS_OSSL(TS_ACCURACY_set_seconds(acc, secs), "TS_ACCURACY_set_seconds");
        LTS_OSSL(TS_TST_INFO_set_accuracy(tst, acc), "TS_TST_INFO_set_accuracy");
    }
    if (TS_REQ_get_nonce(req) != NULL)
        LTS_OSSL(TS_TST_INFO_set_nonce(tst, TS_REQ_get_nonce(req)), "TS_TST_INFO_set_nonce");
    *out = tst;
    tst = NULL;
out:
    TS_TST_INFO_free(tst);
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    ASN1_GENERALIZEDTIME_free(gt);
    TS_ACCURACY_free(acc);
    ASN1_INTEGER_free(secs);
    return rc;
}

/* The eContent: id-ct-TSTInfo with the TSTInfo DER in an OCTET STRING. */
static lts_status set_content(PKCS7 *p7, lts_span tst_der)
{
    lts_status rc = LTS_OK;
    PKCS7 *inner = NULL;
    ASN1_OCTET_STRING *os = NULL;
    LTS_ALLOC(inner = PKCS7_new());
    LTS_ALLOC(inner->d.other = ASN1_TYPE_new());
    inner->type = OBJ_nid2obj(NID_id_smime_ct_TSTInfo);
    LTS_ALLOC(os = ASN1_OCTET_STRING_new());
    LTS_OSSL(ASN1_OCTET_STRING_set(os, tst_der.p, (int)tst_der.n), "ASN1_OCTET_STRING_set");
    ASN1_TYPE_set(inner->d.other, V_ASN1_OCTET_STRING, os);
    os = NULL;
    LTS_OSSL(PKCS7_set_content(p7, inner), "PKCS7_set_content");
    inner = NULL;
out:
    ASN1_OCTET_STRING_free(os);
    PKCS7_free(inner);
    return rc;
}

/* Signed attributes: content-type, message-digest, ESS signing-certificate-v2. */
static lts_status add_signed_attrs(const lts_tsa_responder *r, PKCS7_SIGNER_INFO *si,
                                   lts_span tst_der)
{
    lts_status rc = LTS_OK;
    ESS_SIGNING_CERT_V2 *sc = NULL;
    unsigned char *der = NULL;
    ASN1_STRING *seq = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    LTS_OSSL(PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                        OBJ_nid2obj(NID_id_smime_ct_TSTInfo)),
             "content-type attribute");
    LTS_OSSL(EVP_Digest(tst_der.p, tst_der.n, md, &mdlen, r->md, NULL), "EVP_Digest");
    LTS_OSSL(PKCS7_add1_attrib_digest(si, md, (int)mdlen), "message-digest attribute");
    LTS_OSSL(sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), r->cert, NULL, 1),
             "OSSL_ESS_signing_cert_v2_new_init");
    int len = i2d_ESS_SIGNING_CERT_V2(sc, &der);
    LTS_OSSL(len > 0, "i2d_ESS_SIGNING_CERT_V2");
    LTS_ALLOC(seq = ASN1_STRING_new());
    LTS_OSSL(ASN1_STRING_set(seq, der, len), "ASN1_STRING_set");
    LTS_OSSL(PKCS7_add_signed_attribute(si, NID_id_smime_aa_signingCertificateV2,
                                        V_ASN1_SEQUENCE, seq), "signing-certificate-v2");
    seq = NULL;
out:
    ESS_SIGNING_CERT_V2_free(sc);
    OPENSSL_free(der);
    ASN1_STRING_free(seq);
    return rc;
}

/* Digest the DER signed attributes and have the signer sign them. */
static lts_status sign_attrs(lts_tsa_responder *r, PKCS7_SIGNER_INFO *si)
{
    lts_status rc = LTS_OK;
    unsigned char *abuf = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    lts_buf sig = LTS_BUF_INIT;
    int locked = 0;
    int alen = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &abuf, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
    LTS_OSSL(alen > 0, "encoding the signed attributes");
    LTS_OSSL(EVP_Digest(abuf, (size_t)alen, md, &mdlen, r->md, NULL), "EVP_Digest");
    lts_span dg = lts_span_of(md, mdlen);
    LTS_ENSURE(pthread_mutex_lock(&r->lock) == 0, LTS_E_INTERNAL, "pthread_mutex_lock");
    locked = 1;
    LTS_TRY(lts_signer_sign(r->signer, r->alg, &dg, 1, &sig));
    LTS_OSSL(ASN1_STRING_set(si->enc_digest, sig.p, (int)sig.n), "ASN1_STRING_set");
out:
    if (locked)
        pthread_mutex_unlock(&r->lock);
    OPENSSL_free(abuf);
    lts_buf_dispose(&sig);
    return rc;
}

/* The TimeStampToken (a PKCS7 SignedData) over tst_der. */
static lts_status make_token(lts_tsa_responder *r, lts_span tst_der, int cert_req,
                             PKCS7 **out)
{
    lts_status rc = LTS_OK;
    PKCS7 *p7 = NULL;
    PKCS7_SIGNER_INFO *si = NULL;
    *out = NULL;
    LTS_ALLOC(p7 = PKCS7_new());
    LTS_OSSL(PKCS7_set_type(p7, NID_pkcs7_signed), "PKCS7_set_type");
    LTS_TRY(set_content(p7, tst_der));
    for (int i = 0; cert_req && i < sk_X509_num(r->chain); i++)
        LTS_OSSL(PKCS7_add_certificate(p7, sk_X509_value(r->chain, i)), "PKCS7_add_certificate");
    if (cert_req && sk_X509_num(r->chain) == 0)
        LTS_OSSL(PKCS7_add_certificate(p7, r->cert), "PKCS7_add_certificate");
    LTS_ALLOC(si = PKCS7_SIGNER_INFO_new());
    /* the public key only picks the algorithm identifiers; nothing is signed with it */
    LTS_OSSL(PKCS7_SIGNER_INFO_set(si, r->cert, X509_get0_pubkey(r->cert), r->md),
             "PKCS7_SIGNER_INFO_set");
    LTS_OSSL(PKCS7_add_signer(p7, si), "PKCS7_add_signer");
    PKCS7_SIGNER_INFO *s = si;
    si = NULL; /* owned by p7 now */
    LTS_TRY(add_signed_attrs(r, s, tst_der));
    LTS_TRY(sign_attrs(r, s));
    *out = p7;
    p7 = NULL;
out:
    PKCS7_SIGNER_INFO_free(si);
    PKCS7_free(p7);
    return rc;
}

/* see ltsig/tsa.h */
lts_status lts_tsa_responder_respond(lts_tsa_responder *r, lts_span reqd, lts_buf *resp)
{
    lts_status rc = LTS_OK;
    TS_REQ *req = NULL;
    TS_TST_INFO *tst = NULL;
    PKCS7 *p7 = NULL;
    TS_RESP *tr = NULL;
    TS_STATUS_INFO *st = NULL;
    unsigned char *tst_der = NULL, *der = NULL;
    const char *why = "request is not a DER TimeStampReq";
    int fail = F_BAD_DATA_FORMAT;
    const unsigned char *p = reqd.p;

    LTS_ENSURE(r != NULL && resp != NULL, LTS_E_INTERNAL, "lts_tsa_responder_respond: NULL");
    resp->n = 0;
    if (reqd.n > 0 && reqd.n <= (size_t)LONG_MAX)
        req = d2i_TS_REQ(NULL, &p, (long)reqd.n);
    ERR_clear_error();
    if (req != NULL && p == reqd.p + reqd.n)
        fail = judge_request(r, req, &why);
    if (fail >= 0) {
        LTS_TRY(make_rejection(resp, fail, why));
        goto out;
    }
    LTS_TRY(make_tstinfo(r, req, &tst));
    int tlen = i2d_TS_TST_INFO(tst, &tst_der);
    LTS_OSSL(tlen > 0, "i2d_TS_TST_INFO");
    LTS_TRY(make_token(r, lts_span_of(tst_der, (size_t)tlen), TS_REQ_get_cert_req(req), &p7));
    LTS_ALLOC(tr = TS_RESP_new());
    LTS_ALLOC(st = TS_STATUS_INFO_new());
    LTS_OSSL(TS_STATUS_INFO_set_status(st, TS_STATUS_GRANTED), "TS_STATUS_INFO_set_status");
    LTS_OSSL(TS_RESP_set_status_info(tr, st), "TS_RESP_set_status_info");
    TS_RESP_set_tst_info(tr, p7, tst); /* takes both */
    p7 = NULL;
    tst = NULL;
    int len = i2d_TS_RESP(tr, &der);
    LTS_OSSL(len > 0, "i2d_TS_RESP");
    LTS_TRY(lts_buf_set(resp, lts_span_of(der, (size_t)len)));
out:
    if (rc != LTS_OK && resp != NULL)
        lts_buf_dispose(resp);
    TS_REQ_free(req);
    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    TS_RESP_free(tr);
    TS_STATUS_INFO_free(st);
    OPENSSL_free(tst_der);
    OPENSSL_free(der);
    return rc;
}
