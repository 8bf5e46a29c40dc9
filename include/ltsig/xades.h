/* ltsig — XAdES (XML) signatures: ETSI EN 319 132-1/-2, TS 101 903, W3C XML DSig 1.1.
 * Owned by formats/xades.
 *
 * Built on libxml2 + xmlsec1 (OpenSSL): xmlsec computes the references' digests and
 * canonicalises SignedInfo; the signature value itself always comes from an lts_signer.
 * Documents are parsed without network access, without entity substitution and without
 * DTD loading; a document that declares entities or attribute types is refused. */
#ifndef LTSIG_XADES_H
#define LTSIG_XADES_H

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

/** Where the signed data lives relative to ds:Signature. */
typedef enum {
    LTS_XADES_ENVELOPED = 0,  /**< ds:Signature appended to the document's root element,
                                   Reference URI="" with the enveloped-signature transform */
    LTS_XADES_ENVELOPING = 1, /**< the content goes inside a ds:Object of the signature
                                   (as XML when it parses as XML, else base64) */
    LTS_XADES_DETACHED = 2,   /**< a Reference to an external file by URI (its base name);
                                   the content is digested block by block */
    LTS_XADES_INTERNAL = 3    /**< "internally detached" (the Japanese e-prescription layout):
                                   ds:Signature sits beside the signed element, which is
                                   referenced by its Id (target_id) */
} lts_xades_packaging;

typedef struct {
    unsigned int version;          /**< LTS_XADES_SIGN_OPTS_VERSION */
    lts_level level;               /**< 0 = B-B */
    lts_hash hash;                 /**< 0 = SHA-256 (digests and signature) */
    lts_xades_packaging packaging;
    const char *target_id;         /**< INTERNAL: Id / id of the signed element (unique) */
    const char *placement;         /**< INTERNAL: local name of the (unique) element that
                                        receives ds:Signature as its last child; NULL =
                                        right after the signed element */
    const char *signature_id;      /**< Id of ds:Signature; NULL = generated */
    const char *mime_type;         /**< DataObjectFormat/MimeType; NULL = text/xml for XML
                                        content, application/octet-stream otherwise */
    const char *detached_uri;      /**< DETACHED: URI to write; NULL = the file's base name */
    int keyinfo_reference;         /**< 1: also sign ds:KeyInfo (a Reference to its Id) */
    lts_tsa *tsa;                  /**< needed above B-B: B-T / ES-T add a
                                        xades:SignatureTimeStamp over the exclusively
                                        canonicalised ds:SignatureValue */
    struct lts_vdata_source *vdata;/**< needed at B-LT / ES-XL and above:
                                        xades:CertificateValues and xades:RevocationValues
                                        for the signer's and the TSAs' chains (ES-XL also
                                        adds the Complete*Refs); B-LTA / ES-A then add a
                                        xades141:ArchiveTimeStamp */
    const lts_clock *clock;        /**< NULL = system clock (SigningTime) */
    const char *trust_file;        /**< trust anchors (PEM) ending the collected chains;
                                        NULL = the vdata source's own */
} lts_xades_sign_opts;
#define LTS_XADES_SIGN_OPTS_VERSION 1
#define LTS_XADES_SIGN_OPTS_INIT                                                          \
    { LTS_XADES_SIGN_OPTS_VERSION, 0, 0, LTS_XADES_ENVELOPED, NULL, NULL, NULL, NULL,      \
      NULL, 0, NULL, NULL, NULL, NULL }

/** Sign the file at `path` and append the signed XML document (UTF-8) to out.
 *  ENVELOPED and INTERNAL need `path` to be XML; DETACHED streams it. On failure out is
 *  left as it was and lts_error_last() names the file and the problem. */
LTS_API LTS_MUST_USE lts_status lts_xades_sign_file(lts_buf *out, lts_signer *signer,
                                                   const char *path,
                                                   const lts_xades_sign_opts *opts);

/** When the XML file at `path` has the Japanese e-prescription layout (a non-root element
 *  PrescriptionDocument whose Id (or id) is "PrescriptionDocument"), set
 *  opts->packaging = LTS_XADES_INTERNAL, target_id = "PrescriptionDocument", placement =
 *  "PrescriptionSign" when the document has an empty PrescriptionSign element (else NULL:
 *  the signature goes right after PrescriptionDocument), signature_id = "PrescriptionSign"
 *  when unset, keyinfo_reference = 1, and *found = 1; otherwise *found = 0 and opts is
 *  untouched. The strings set are static. */
LTS_API LTS_MUST_USE lts_status lts_xades_detect_eprescription(const char *path,
                                                              lts_xades_sign_opts *opts,
                                                              int *found);

/** One xades:SignatureTimeStamp, checked as far as the format allows (the TSA chain is the
 *  validation's business). */
typedef struct {
    int has_gen_time;
    lts_time gen_time;       /**< TSTInfo genTime */
    int imprint_checked;     /**< the time-stamped data could be computed (0: e.g. detached
                                  content missing) */
    int imprint_ok;          /**< messageImprint = digest of the time-stamped data (signature
                                  timestamp: the canonicalised ds:SignatureValue) */
    int token_ok;            /**< the token's CMS signature, message digest and ESS binding */
    lts_buf tsa_cert;        /**< DER of the TSA certificate (empty when not found) */
    lts_buf *certs;          /**< every certificate the token carries (DER) */
    size_t n_certs;
    char *problem;           /**< the first problem, or NULL */
    const char *kind;        /**< "signature-time-stamp" or "archive-time-stamp" (static) */
} lts_xades_ts_check;

/** Extending existing XAdES signatures. */
typedef struct {
    unsigned int version;          /**< LTS_XADES_EXTEND_OPTS_VERSION */
    lts_level level;               /**< target: B-T, B-LT, B-LTA, ES-T, ES-XL, ES-A */
    lts_tsa *tsa;                  /**< needed for every target */
    struct lts_vdata_source *vdata;/**< needed at B-LT / ES-XL and above */
    const char *trust_file;        /**< anchors for the collected chains and the check */
    const char *detached_content;  /**< the content of a detached signature (B-LTA / ES-A) */
    const lts_clock *clock;        /**< NULL = system clock */
} lts_xades_extend_opts;
#define LTS_XADES_EXTEND_OPTS_VERSION 1
#define LTS_XADES_EXTEND_OPTS_INIT { LTS_XADES_EXTEND_OPTS_VERSION, 0, NULL, NULL, NULL, NULL, NULL }

/** Extend every XAdES signature of the XML file at `path` to o->level and append the
 *  document to out. Each signature is checked first (lts_xades_check_file: it must verify;
 *  LTS_E_INPUT otherwise) and gets what it lacks: a SignatureTimeStamp (B-T / ES-T); the
 *  values (B-LT), with the Complete*Refs (ES-XL) when it has no values yet; and, at B-LTA /
 *  ES-A, a new xades141:ArchiveTimeStamp, preceded, when one exists already (renewal), by a
 *  xades141:TimeStampValidationData holding the validation data of the last one's TSA.
 *  Nothing else in the document changes. LTS_E_UNSUPPORTED: ES-XL asked for a signature that
 *  already has values without references. */
LTS_API LTS_MUST_USE lts_status lts_xades_extend_file(lts_buf *out, const char *path,
                                                     const lts_xades_extend_opts *o);

/** What was found and checked in one ds:Signature (read-only for callers). */
typedef struct {
    char *signature_id;      /**< ds:Signature/@Id, or NULL */
    char *level;             /**< "B-B", "B-T", "B-LT", "B-LTA"; "XMLDSig" without XAdES */
    int format_ok;           /**< 0: the structure is broken (see problem) */
    int data_found;          /**< 0: a detached reference and no content was given */
    int refs_ok;             /**< every reference's digest matched */
    char *bad_ref;           /**< URI of the first reference whose digest differs */
    int signer_found;        /**< the signing certificate was identified */
    int sig_checked;         /**< the SignatureValue was checked (signer found, refs ok) */
    int sig_ok;              /**< ... and it verified */
    char *problem;           /**< the first problem, one line, or NULL */
    lts_buf signer_cert;     /**< DER of the signing certificate (empty if not found) */
    lts_buf *certs;          /**< every certificate of ds:KeyInfo and of CertificateValues
                                  (DER), for chain building */
    size_t n_certs;
    int has_signing_time;
    lts_time signing_time;   /**< SignedSignatureProperties/SigningTime */
    lts_hash hash;           /**< digest of the SignatureMethod */
    lts_scheme scheme;       /**< scheme of the SignatureMethod */
    char **notes;            /**< what was checked, one line each */
    size_t n_notes;
    lts_buf *ocsps;          /**< RevocationValues: OCSP responses (DER), unchecked */
    size_t n_ocsps;
    lts_buf *crls;           /**< RevocationValues: CRLs (DER), unchecked */
    size_t n_crls;
    lts_xades_ts_check *timestamps; /**< SignatureTimeStamps (B-T and above), then
                                         ArchiveTimeStamps (B-LTA / ES-A), in order */
    size_t n_timestamps;
    lts_hash ref_hash;       /**< the weakest DigestMethod of the references (SHA-1 below
                                  SHA-256 below SHA-384 below SHA-512), LTS_HASH_NONE when
                                  none was read; judged by the policy like `hash` */
} lts_xades_check;

/** Check every ds:Signature of the XML file at `path`: structure, signing certificate
 *  (SigningCertificateV2 / SigningCertificate against ds:KeyInfo), references (digests
 *  computed by xmlsec; an external reference is checked against `detached_content`,
 *  streamed) and SignatureValue (xmlsec, with the signing certificate's key). Trust is
 *  not judged here. A broken signature is a verdict in the results (LTS_OK); a file that
 *  is not XML, is hostile (entities) or has no ds:Signature is an error. *out is an array
 *  of *n results; free with lts_xades_checks_free(). */
LTS_API LTS_MUST_USE lts_status lts_xades_check_file(const char *path,
                                                    const char *detached_content,
                                                    lts_xades_check **out, size_t *n);
LTS_API void lts_xades_checks_free(lts_xades_check *c, size_t n);

#ifdef __cplusplus
}
#endif
#endif
