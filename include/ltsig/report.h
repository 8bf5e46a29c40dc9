/* ltsig — validation results (ETSI EN 319 102-1 indications) and their renderings.
 *
 * A report is built by validation/ and read by callers. Its structs are transparent and
 * read-only for callers; everything inside belongs to the report and is freed with
 * lts_report_free(). */
#ifndef LTSIG_REPORT_H
#define LTSIG_REPORT_H

#include <stddef.h>
#include "buf.h"
#include "clock.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LTS_IND_TOTAL_PASSED = 0,
    LTS_IND_TOTAL_FAILED = 1,
    LTS_IND_INDETERMINATE = 2
} lts_indication;

/** EN 319 102-1 §5.1.3 sub-indications. Append only. */
typedef enum {
    LTS_SUB_NONE = 0,
    LTS_SUB_FORMAT_FAILURE,
    LTS_SUB_HASH_FAILURE,
    LTS_SUB_SIG_CRYPTO_FAILURE,
    LTS_SUB_REVOKED,
    LTS_SUB_SIG_CONSTRAINTS_FAILURE,
    LTS_SUB_CHAIN_CONSTRAINTS_FAILURE,
    LTS_SUB_CERTIFICATE_CHAIN_GENERAL_FAILURE,
    LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE,
    LTS_SUB_EXPIRED,
    LTS_SUB_NOT_YET_VALID,
    LTS_SUB_POLICY_PROCESSING_ERROR,
    LTS_SUB_SIGNATURE_POLICY_NOT_AVAILABLE,
    LTS_SUB_TIMESTAMP_ORDER_FAILURE,
    LTS_SUB_NO_SIGNING_CERTIFICATE_FOUND,
    LTS_SUB_NO_CERTIFICATE_CHAIN_FOUND,
    LTS_SUB_REVOKED_NO_POE,
    LTS_SUB_REVOKED_CA_NO_POE,
    LTS_SUB_OUT_OF_BOUNDS_NO_POE,
    LTS_SUB_OUT_OF_BOUNDS_NOT_REVOKED,
    LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    LTS_SUB_NO_POE,
    LTS_SUB_TRY_LATER,
    LTS_SUB_SIGNED_DATA_NOT_FOUND,
    LTS_SUB_GENERIC
} lts_subindication;

/** Result of one timestamp (signature, archive or document timestamp). */
typedef struct {
    char *kind;               /**< "signature-time-stamp", "archive-time-stamp-v3", ... */
    lts_time gen_time;        /**< genTime of the token */
    char *tsa;                /**< subject of the TSA certificate, or NULL */
    lts_indication indication;
    lts_subindication subindication;
    char *message;            /**< why, in one line; may be NULL when passed */
    /* appended (validation-policy engineer) */
    lts_time tsa_not_after;   /**< notAfter of the TSA certificate; 0 when unknown */
    char *digest_algorithm;   /**< hash of the messageImprint ("SHA-256" ...), or NULL */
    lts_buf token;            /**< DER of the time-stamp token (empty when unknown) */
    /* appended (lead): the TSA key, for the protection date (lts_policy_protection_until) */
    int tsa_key_bits;         /**< bits of the TSA certificate's key; 0 when unknown */
    int tsa_key_scheme;       /**< an lts_scheme (ltsig/alg.h) of that key; 0 when unknown */
} lts_ts_result;

/** Result of one signature. */
typedef struct {
    char *id;                 /**< "S1", "S2" ... or the signature's own Id */
    char *format;             /**< "CAdES", "XAdES", "PAdES" */
    char *level;              /**< "B-B", "B-T", "B-LT", "B-LTA", "ES-XL", "ES-A" ... */
    lts_indication indication;
    lts_subindication subindication;
    int has_signing_time;
    lts_time signing_time;    /**< the claimed signing time (signed attribute) */
    lts_time best_signature_time; /**< earliest proof of existence of the signature */
    char *signer;             /**< subject DN of the signing certificate, or NULL */
    char *signer_issuer;
    char *signer_serial;      /**< hex */
    char *digest_algorithm;   /**< "SHA-256" ... */
    char *signature_algorithm;/**< "RSA", "RSA-PSS", "ECDSA" */
    lts_ts_result *timestamps;
    size_t n_timestamps;
    char **messages;          /**< what was checked and found, one line each */
    size_t n_messages;
    /* appended (validation-policy engineer) */
    char **properties;        /**< what the signature contains, format-neutral names:
                               *   "signing-certificate-v2", "signing-time",
                               *   "signature-time-stamp", "complete-certificate-refs",
                               *   "complete-revocation-refs", "certificate-values",
                               *   "revocation-values", "archive-time-stamp-v2",
                               *   "archive-time-stamp-v3", "archive-time-stamp", "DSS",
                               *   "document-time-stamp", "signed-data-certificates",
                               *   "signed-data-revocation" (one entry per name) */
    size_t n_properties;
    int key_bits;             /**< size of the signer's public key in bits; 0 unknown */
    lts_buf signer_cert;      /**< DER of the signing certificate (empty when unknown) */
    char *profile;            /**< profile checked ("ISO 14533-1 CAdES ES-A" ...), or NULL */
    int profile_conformant;   /**< 1 when `profile` is met (meaningful when profile set) */
    int policy_applied;       /**< set by a format process that called
                               *   lts_policy_check_algorithm / lts_policy_level_ok itself:
                               *   validation then does not apply them again */
    /* appended (renew engineer) */
    lts_buf *certs;           /**< DER of the certificates the signature carries (CMS
                               *   SignedData certificates; XAdES ds:X509Certificate and
                               *   EncapsulatedX509Certificate), file order, no duplicates:
                               *   the validity periods of the timelines */
    size_t n_certs;
} lts_sig_result;

typedef struct {
    char *file;
    lts_time validation_time;
    lts_indication indication; /**< the worst of the signatures'; FAILED when none */
    lts_subindication subindication;
    lts_sig_result *sigs;
    size_t n_sigs;
} lts_report;

/** "TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE". */
LTS_API const char *lts_indication_name(lts_indication i);
/** "HASH_FAILURE" ...; "" for LTS_SUB_NONE. */
LTS_API const char *lts_subindication_name(lts_subindication s);

/** Render as JSON (the fields of DESIGN.md), appended to out, NUL-terminated. */
LTS_API LTS_MUST_USE lts_status lts_report_json(const lts_report *r, lts_buf *out);
/** Render as readable text, appended to out, NUL-terminated. */
LTS_API LTS_MUST_USE lts_status lts_report_text(const lts_report *r, lts_buf *out);

LTS_API void lts_report_free(lts_report *r);

/** Render as an ETSI TS 119 102-2 (v1.2.1) XML validation report (namespace
 *  http://uri.etsi.org/19102/v1.2.1#), built with libxml2's tree API, appended to out,
 *  NUL-terminated: one SignatureValidationReport per signature and, when timestamps are
 *  present, SignatureValidationObjects with one ValidationObject per timestamp (and the
 *  signer certificates). Thread-safe. */
LTS_API LTS_MUST_USE lts_status lts_report_xml(const lts_report *r, lts_buf *out);

#ifdef __cplusplus
}
#endif
#endif
