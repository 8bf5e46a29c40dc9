/* ltsig — CAdES (CMS SignedData) signatures: ETSI EN 319 122-1/-2, TS 101 733, RFC 5652.
 * Owned by formats/cades. */
#ifndef LTSIG_CADES_H
#define LTSIG_CADES_H

#include "alg.h"
#include "buf.h"
#include "clock.h"
#include "level.h"
#include "signer.h"
#include "tsa.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lts_vdata_source;

typedef struct {
    unsigned int version;   /**< LTS_CADES_SIGN_OPTS_VERSION */
    lts_level level;        /**< 0 = B-B */
    lts_hash hash;          /**< 0 = SHA-256 */
    lts_scheme scheme;      /**< 0 = the key's default (RSA PKCS#1 v1.5 / ECDSA) */
    int detached;           /**< 1: no eContent */
    int no_signing_time;    /**< 1: omit the signing-time attribute (PAdES forbids it) */
    lts_tsa *tsa;           /**< needed above B-B */
    struct lts_vdata_source *vdata; /**< needed at B-LT and above */
    const lts_clock *clock; /**< NULL = system clock */
} lts_cades_sign_opts;
#define LTS_CADES_SIGN_OPTS_VERSION 1
#define LTS_CADES_SIGN_OPTS_INIT { LTS_CADES_SIGN_OPTS_VERSION, 0, 0, 0, 0, 0, NULL, NULL, NULL }

/** Sign the file at content_path (streamed when detached) into DER CMS in out. */
LTS_API LTS_MUST_USE lts_status lts_cades_sign_file(lts_buf *out, lts_signer *signer,
                                                   const char *content_path,
                                                   const lts_cades_sign_opts *opts);

/** Detached signature over content whose digest (made with opts->hash) is given: the
 *  message-digest attribute is `digest`. Used by PAdES for the /ByteRange digest. */
LTS_API LTS_MUST_USE lts_status lts_cades_sign_digest(lts_buf *out, lts_signer *signer,
                                                     lts_span digest,
                                                     const lts_cades_sign_opts *opts);


/* ---- Reading and checking CMS SignedData (any producer; DER, BER or PEM) ---- */

typedef struct lts_cades lts_cades; /**< opaque: a parsed CMS SignedData */

/** Parse a CMS ContentInfo holding SignedData (RFC 5652 §3, §5): DER or BER, or PEM
 *  ("CMS" / "PKCS7" labels). Trailing bytes after the ContentInfo are refused. The bytes
 *  are copied. *out is the caller's (lts_cades_free); NULL on failure (LTS_E_INPUT for
 *  anything that is not a well-formed SignedData). Thread-safe on distinct objects. */
LTS_API LTS_MUST_USE lts_status lts_cades_parse(lts_cades **out, lts_span data);
/** NULL is a no-op. */
LTS_API void lts_cades_free(lts_cades *c);

/** The number of SignerInfos. */
LTS_API size_t lts_cades_signer_count(const lts_cades *c);
/** 1 when the content is embedded (eContent present), 0 for a detached signature. */
LTS_API int lts_cades_has_content(const lts_cades *c);
/** The number of certificates in SignedData.certificates, and the DER of the i-th one
 *  (borrowed from c; an empty span when i is out of range). */
LTS_API size_t lts_cades_cert_count(const lts_cades *c);
LTS_API lts_span lts_cades_cert(const lts_cades *c, size_t i);
/** The number of unsigned attributes of SignerInfo i whose type is the dotted OID `oid`
 *  (0 when i is out of range). */
LTS_API size_t lts_cades_unsigned_attr_count(const lts_cades *c, size_t i, const char *oid);
/** The number of revocation values in SignedData.crls (CRLs and OCSP responses). */
LTS_API size_t lts_cades_revocation_count(const lts_cades *c);
/** Revocation value k of SignedData.crls (borrowed DER): a CertificateList (*is_ocsp 0) or
 *  the OCSPResponse of an id-ri-ocsp-response (*is_ocsp 1). LTS_E_NOTFOUND past the end,
 *  LTS_E_UNSUPPORTED for another format, LTS_E_INPUT for indefinite-length input. */
LTS_API LTS_MUST_USE lts_status lts_cades_revocation(const lts_cades *c, size_t k, int *is_ocsp,
                                                    lts_span *der);
/** Value k of the revocation-values attributes of SignerInfo i (ES-X Long, TS 101 733
 *  §6.3.4), borrowed: a CertificateList (*is_ocsp 0) or a BasicOCSPResponse (*is_ocsp 1).
 *  LTS_E_NOTFOUND past the end. */
LTS_API LTS_MUST_USE lts_status lts_cades_revocation_value(const lts_cades *c, size_t i, size_t k,
                                                          int *is_ocsp, lts_span *der);
/** The bytes that were parsed (DER or BER, PEM decoded); borrowed from c. */
LTS_API lts_span lts_cades_der(const lts_cades *c);

/** Outcome of one check: a verdict (OK/BAD) or UNCHECKED when it could not be made (the
 *  `detail` of the result says why). */
typedef enum {
    LTS_CADES_UNCHECKED = 0,
    LTS_CADES_OK = 1,
    LTS_CADES_BAD = 2
} lts_cades_verdict;

/** Where the signed content comes from when checking the message-digest attribute.
 *  An attached content always wins; else `digest` when digest.n > 0 (made with the
 *  SignerInfo's digest algorithm — PAdES passes its /ByteRange digest); else the file
 *  at detached_path, hashed in blocks; else the digest stays UNCHECKED. */
typedef struct {
    unsigned int version;        /**< LTS_CADES_CHECK_OPTS_VERSION */
    const char *detached_path;
    lts_span digest;
} lts_cades_check_opts;
#define LTS_CADES_CHECK_OPTS_VERSION 1
#define LTS_CADES_CHECK_OPTS_INIT { LTS_CADES_CHECK_OPTS_VERSION, NULL, { NULL, 0 } }

/** What lts_cades_check_signer found about one SignerInfo (caller's storage; holds no
 *  pointers, nothing to free). */
typedef struct {
    int has_signed_attrs;              /**< 0: no signed attributes at all (not CAdES) */
    lts_cades_verdict content_type;    /**< content-type attribute present and = eContentType */
    lts_cades_verdict message_digest;  /**< message-digest attribute vs. the content */
    int content_found;                 /**< 0: detached and no content or digest was given */
    lts_cades_verdict signature;       /**< the value over the signed attributes */
    lts_cades_verdict signing_cert;    /**< signing-certificate(-v2) vs. the signer cert */
    int signing_cert_attr;             /**< 0 none, 1 signing-certificate, 2 -v2 */
    int has_signing_time;
    lts_time signing_time;
    lts_sig_alg alg;                   /**< scheme NONE / hash NONE when not recognised */
    long signer_cert;                  /**< index for lts_cades_cert(), -1 when not embedded */
    char detail[256];                  /**< the first problem found, one line; "" if none */
} lts_cades_signer_check;

/** Check SignerInfo i of c: message digest, signature value, signing certificate
 *  attribute, content type, signing time (EN 319 122-1 §5.2, RFC 5652 §5.4-5.6, RFC 5035).
 *  Verdicts go into *out; a failure status only when the check could not run at all
 *  (LTS_E_NOTFOUND for a bad index, LTS_E_IO when the detached file cannot be read,
 *  LTS_E_NOMEM). o may be NULL (attached content only). */
LTS_API LTS_MUST_USE lts_status lts_cades_check_signer(const lts_cades *c, size_t i,
                                                      const lts_cades_check_opts *o,
                                                      lts_cades_signer_check *out);

/* ---- Extending (levels above B-B) ---- */

typedef struct {
    unsigned int version;           /**< LTS_CADES_EXTEND_OPTS_VERSION */
    lts_level level;                /**< target: B-T, ES-T, B-LT, B-LTA, ES-XL, ES-A */
    lts_tsa *tsa;                   /**< needed for B-T / ES-T */
    struct lts_vdata_source *vdata; /**< needed at B-LT and above */
    const lts_clock *clock;         /**< NULL = system clock */
    const char *trust_file;         /**< B-LT: anchors the collected paths end at; NULL =
                                     *   the vdata source's own */
} lts_cades_extend_opts;
#define LTS_CADES_EXTEND_OPTS_VERSION 1
#define LTS_CADES_EXTEND_OPTS_INIT { LTS_CADES_EXTEND_OPTS_VERSION, 0, NULL, NULL, NULL, NULL }

/** Extend a CMS SignedData (DER, definite-length BER or PEM) to o->level: B-T / ES-T add a
 *  signature-time-stamp (id-aa-signatureTimeStampToken, EN 319 122-1 §5.3) over the
 *  signature value of each SignerInfo that has none; B-LT adds to that the certificates,
 *  CRLs and OCSP responses (id-ri-ocsp-response, SignedData version 5) that validate the
 *  signer and the time-stamping certificates, collected through o->vdata (EN 319 122-1
 *  §5.4, lts_vdata_collect); B-LTA then an archive-time-stamp-v3 with ats-hash-index-v3
 *  (§5.5; each call adds one more: renewal). ES-XL (TS 101 733 / ISO 14533-1) adds instead
 *  complete-certificate-references, complete-revocation-references, certificate-values and
 *  revocation-values as unsigned attributes; ES-A an archive-time-stamp-v3 over that.
 *  The signed part, the certificates and every other byte are kept as they are; only the
 *  enclosing lengths change (and, for B-LT, the certificates/crls sets and the version).
 *  out gets DER (replacing its content) only on success. A signature whose value (or
 *  attached content digest) does not verify is refused (LTS_E_INPUT). LTS_E_CONFIG
 *  without a TSA or (B-LT and above) a vdata source; LTS_E_UNSUPPORTED for other levels;
 *  LTS_E_INPUT for indefinite-length input. */
LTS_API LTS_MUST_USE lts_status lts_cades_extend(lts_buf *out, lts_span cms,
                                                const lts_cades_extend_opts *o);

/** One time-stamp token of a SignerInfo, checked as far as the format allows (the TSA chain
 *  is the validation's business). Dispose with lts_cades_ts_check_dispose. */
typedef struct {
    const char *kind;                 /**< "signature-time-stamp" or "archive-time-stamp-v3"
                                       *   (static string) */
    lts_cades *token;                 /**< the token (a SignedData over TSTInfo), or NULL
                                       *   when it could not be parsed; owned */
    lts_cades_signer_check token_check; /**< the token's own SignerInfo check */
    lts_cades_verdict imprint;        /**< messageImprint vs. the time-stamped data */
    int has_gen_time;
    lts_time gen_time;
    lts_hash imprint_hash;
    char detail[256];                 /**< the first problem, one line */
} lts_cades_ts_check;

/** The number of time-stamp tokens in the unsigned attributes of SignerInfo i (0 when i is
 *  out of range). */
LTS_API size_t lts_cades_timestamp_count(const lts_cades *c, size_t i);
/** Check time-stamp k of SignerInfo i. LTS_E_NOTFOUND for bad indexes; a broken token is a
 *  verdict (token NULL, imprint BAD, detail set). */
LTS_API LTS_MUST_USE lts_status lts_cades_check_timestamp(const lts_cades *c, size_t i, size_t k,
                                                         lts_cades_ts_check *out);
LTS_API void lts_cades_ts_check_dispose(lts_cades_ts_check *t);

#ifdef __cplusplus
}
#endif
#endif
