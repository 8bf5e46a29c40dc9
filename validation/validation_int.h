/* validation/validation_int.h — private to validation/: the per-format processes and the
 * helpers that build a report. */
#ifndef LTS_VALIDATION_INT_H
#define LTS_VALIDATION_INT_H

#include <ltsig/validate.h>
#include <ltsig/report.h>

/* Each format's process appends its signatures' results to r (r->file is set). A
 * verdict is LTS_OK; an error (unreadable, not this format) is a failure status. */
lts_status lts_validation__cades(const char *path, const lts_validate_opts *o, lts_report *r);
lts_status lts_validation__xades(const char *path, const lts_validate_opts *o, lts_report *r);
lts_status lts_validation__pades(const char *path, const lts_validate_opts *o, lts_report *r);

/** Append an empty signature result (indication TOTAL_PASSED until lowered); *out is
 *  borrowed from r. */
lts_status lts_report__add_sig(lts_report *r, const char *format, lts_sig_result **out);
/** Append an empty timestamp result to s; *out is borrowed from s. */
lts_status lts_report__add_ts(lts_sig_result *s, const char *kind, lts_ts_result **out);
/** Append a formatted line to s->messages. */
lts_status lts_report__msg(lts_sig_result *s, const char *fmt, ...) LTS_PRINTF(2, 3);
/** Set a string member (copy); NULL clears it. */
lts_status lts_report__set_str(char **field, const char *value);
/** Lower s to (ind, sub) when that is worse than what it holds:
 *  TOTAL_FAILED > INDETERMINATE > TOTAL_PASSED; the first sub-indication of the worst
 *  indication wins. */
void lts_report__lower(lts_indication *ind, lts_subindication *sub, lts_indication nind,
                       lts_subindication nsub);
/** Compute r->indication from its signatures. */
void lts_report__finish(lts_report *r);

#endif

/* ---- chain/trust (cades engineer) ----
 * Shared by the CAdES, XAdES and PAdES processes. */
#ifndef LTS_VALIDATION_CHAIN_INT_H
#define LTS_VALIDATION_CHAIN_INT_H
#include <openssl/x509.h>

/** Load trust anchors into a new X509_STORE: `path` is a PEM bundle file or a folder of
 *  PEM files (every regular file in it holding PEM certificates; others are skipped).
 *  path NULL gives an empty store (nothing is trusted). LTS_E_IO for a missing path,
 *  LTS_E_INPUT when no certificate could be read from it. *out is the caller's
 *  (X509_STORE_free). */
lts_status lts_trust__load(X509_STORE **out, const char *path);

/** Certificates from DER spans (a failing one is skipped and counted in *bad, which may
 *  be NULL). *out is the caller's (sk_X509_pop_free(.., X509_free)). */
lts_status lts_chain__certs_from_der(STACK_OF(X509) **out, const lts_span *ders, size_t n,
                                     size_t *bad);

/** The outcome of building and verifying one certificate's chain. */
typedef struct {
    lts_indication indication;   /**< TOTAL_PASSED when the chain verified */
    lts_subindication sub;       /**< EN 319 102-1 name when not passed */
    int x509_error;              /**< X509_V_ERR_* (X509_V_OK when passed) */
    int error_depth;             /**< where in the chain it happened */
    char detail[256];            /**< one line: what was found */
    STACK_OF(X509) *chain;       /**< the path built, leaf first (owned), may be NULL */
} lts_chain_result;

/** Build and verify the chain of `leaf` at time `at` (X509_V_FLAG_USE_CHECK_TIME),
 *  `untrusted` (may be NULL) being the certificates the signature carries, anchored in
 *  `trust`. No revocation checking and no network (a later issue). Mapping onto
 *  EN 319 102-1 §5.2.6: no path to an anchor -> INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND;
 *  a certificate expired at `at` -> INDETERMINATE OUT_OF_BOUNDS_NO_POE (no PoE logic yet);
 *  the full table is in chain.c.
 *  A verdict is LTS_OK with *out filled; failure only when the check could not run.
 *  Dispose *out with lts_chain_result__dispose. */
lts_status lts_chain__verify(X509_STORE *trust, X509 *leaf, STACK_OF(X509) *untrusted,
                             lts_time at, lts_chain_result *out);
/** lts_chain__verify for a TSA certificate: also requires the sole, critical timeStamping
 *  extended key usage of RFC 3161 §2.3 (else INDETERMINATE CHAIN_CONSTRAINTS_FAILURE). */
lts_status lts_chain__verify_tsa(X509_STORE *trust, X509 *tsa, STACK_OF(X509) *untrusted,
                                 lts_time at, lts_chain_result *out);
void lts_chain_result__dispose(lts_chain_result *r);

#endif

/* ---- validation data (vdata engineer): shared by collect.c, ocsp.c, crl.c, aia.c,
 * vdata_offline.c, vdata_cache.c. Outside the guard above, so it has its own. ---- */
#ifndef LTS_VALIDATION_VDATA_INT_H
#define LTS_VALIDATION_VDATA_INT_H

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <ltsig/sys/vdata.h>

/** Clock skew allowed on thisUpdate / nextUpdate (seconds). */
#define LTS_VDATA_SKEW 300
/** Default timeout of the online collector (seconds). */
#define LTS_VDATA_TIMEOUT 10L
/** Largest OCSP response / CRL / caIssuers answer we accept. */
#define LTS_VDATA_MAX_OCSP ((size_t)1 << 20)
#define LTS_VDATA_MAX_CRL ((size_t)64 << 20)
#define LTS_VDATA_MAX_CERTS ((size_t)1 << 20)

/* aia.c: helpers */
lts_status lts_vdata__x509_from_der(X509 **out, lts_span der, const char *what);
lts_status lts_vdata__x509_to_der(X509 *x, lts_buf *out);
/** ASN1_TIME to seconds since the epoch; LTS_E_INPUT when unreadable. */
lts_status lts_vdata__time(const ASN1_TIME *t, lts_time *out);
/** Subject of x for messages ("/O=.../CN=..."), into buf. */
const char *lts_vdata__name(X509 *x, char *buf, size_t cap);
/** 1 when `cand` issued `cert`: name/AKI/keyCertSign (X509_check_issued) and signature. */
int lts_vdata__issued_by(X509 *cert, X509 *cand);
/** 1 when x is self-signed (issued by itself, signature verifies). */
int lts_vdata__self_signed(X509 *x);
/** The http(s) URLs of cert: kind NID_ad_OCSP or NID_ad_ca_issuers (AIA), or
 *  NID_crl_distribution_points. *out is a NULL-terminated array freed with
 *  lts_vdata__urls_free(); an empty array when none. */
lts_status lts_vdata__urls(X509 *cert, int kind, char ***out, size_t *n);
void lts_vdata__urls_free(char **urls);
/** Certificates from DER, PEM (several), or PKCS#7 certs-only (DER or PEM), appended to
 *  `into`. `where` names the origin in messages. */
lts_status lts_vdata__parse_certs(lts_span data, STACK_OF(X509) *into, const char *where);
/** Certificates of a PEM/DER file (new stack). */
lts_status lts_vdata__load_certs(const char *path, STACK_OF(X509) **out);
/** Re-record the last error with `reason` (and "prefix " before the message when
 *  non-NULL); returns rc. */
lts_status lts_vdata__reason(lts_status rc, int reason, const char *prefix);
/** One HTTP exchange with messages of the form "<what> <url> did not answer within N s".
 *  GET when body is NULL. Fails unless the status is 200. */
lts_status lts_vdata__http(const char *what, const char *url, const lts_span *body,
                           const char *content_type, long timeout_s, const char *ca_file,
                           size_t max, lts_buf *out);
/** GET caIssuers `url` and pick the certificate that issued `cert` (new, caller's). */
lts_status lts_vdata__fetch_issuer(const char *url, X509 *cert, long timeout_s,
                                   const char *ca_file, X509 **out);

/* ocsp.c */
/** Check resp for (cert, issuer) as lts_vdata_ocsp_check() says; `where` names its origin.
 *  *signer (optional) gets the responder certificate (new reference). */
lts_status lts_vdata__ocsp_verify(OCSP_RESPONSE *resp, X509 *cert, X509 *issuer, lts_time now,
                                  const char *where, lts_revocation_info *info, X509 **signer);
/** POST an OCSP request for (cert, issuer) to url; check the answer (nonce per policy,
 *  then lts_vdata__ocsp_verify at `now`); out gets the DER response. */
lts_status lts_vdata__fetch_ocsp(const char *url, X509 *cert, X509 *issuer, lts_vdata_nonce nonce,
                                 long timeout_s, const char *ca_file, lts_time now, lts_buf *out);
/** Parse a DER OCSPResponse that must fill `der` exactly. */
lts_status lts_vdata__ocsp_parse(lts_span der, OCSP_RESPONSE **out, const char *where);
/** 1 when resp has a SingleResponse for (cert, issuer); *single (optional) gets it. */
int lts_vdata__ocsp_find(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, OCSP_SINGLERESP **single);

/* crl.c */
/** Parse a DER or PEM CRL. */
lts_status lts_vdata__crl_parse(lts_span data, X509_CRL **out, const char *where);
/** Check crl against issuer (and cert when non-NULL) as lts_vdata_crl_check() says. */
lts_status lts_vdata__crl_verify(X509_CRL *crl, X509 *cert, X509 *issuer, lts_time now,
                                 const char *where, lts_revocation_info *info);
/** GET a CRL from url (DER or PEM), check it against issuer at now; out gets DER. */
lts_status lts_vdata__fetch_crl(const char *url, X509 *issuer, long timeout_s,
                                const char *ca_file, lts_time now, lts_buf *out);

#endif

/* ---- validation policy, facts, ISO 14533 profile (validation-policy engineer) ---- */
#ifndef LTS_VALIDATION_POLICY_INT_H
#define LTS_VALIDATION_POLICY_INT_H
/** Record that signature s contains `name` (a format-neutral property name, see
 *  lts_sig_result.properties); a name already there is not added twice. */
lts_status lts_report__prop(lts_sig_result *s, const char *name);
/** 1 when s has property `name`. */
int lts_report__has_prop(const lts_sig_result *s, const char *name);
/** After a format's process: fill what the process left empty (properties, key size,
 *  signer certificate, timestamp tokens, TSA notAfter, imprint hash) from the file, then
 *  apply o->policy (algorithms, required level) and o->profile. Called by
 *  lts_validate_file before lts_report__finish. */
/** lts_hash_parse that also knows "SHA-1" (validation of old signatures). */
#include <ltsig/alg.h>
lts_status lts_validation__hash_name(lts_hash *out, const char *name);
lts_status lts_validation__after(const char *path, int format, const lts_validate_opts *o,
                                 lts_report *r);
#endif

/* ---- signer identity (validation/signer_info.c) ---- */
#ifndef LTS_VALIDATION_SIGNER_INFO_H
#define LTS_VALIDATION_SIGNER_INFO_H
#include <openssl/x509.h>
/** RFC 2253 text of a name into a new string (*out, lts_free). */
lts_status lts_report__name_text(char **out, const X509_NAME *name);
/** signer, signer_issuer and signer_serial of s from the signing certificate. */
lts_status lts_report__fill_signer(lts_sig_result *s, X509 *cert);
#endif


/* ---- CMS signer checks shared by CAdES and PAdES (validation/cms_verdict.c) ---- */
#ifndef LTS_VALIDATION_CMS_VERDICT_H
#define LTS_VALIDATION_CMS_VERDICT_H
#include <ltsig/cades.h>
/** Report and judge the signer certificate, the signature value and the signing-certificate
 *  attribute of a checked SignerInfo; `where` names the container in messages. */
lts_status lts_validation__cms_signer(lts_sig_result *s, const lts_cades_signer_check *k,
                                      const char *where);
#endif

/* ---- past signature validation of revocation data (validation/past.c, revchain.c) ---- */
#ifndef LTS_VALIDATION_PAST_H
#define LTS_VALIDATION_PAST_H
#include <ltsig/vdata.h>

/** Whose revocation is judged: it decides the sub-indication of a revocation without an
 *  earlier proof of existence (EN 319 102-1 §5.2.6: REVOKED_NO_POE for the signing or TSA
 *  certificate, REVOKED_CA_NO_POE for a CA certificate of the path). */
typedef enum { LTS_PAST_SIGNER = 0, LTS_PAST_CA = 1, LTS_PAST_TSA = 2 } lts_past_role;

/** The facts of one certificate at one time of interest. */
typedef struct {
    lts_past_role role;
    int have_data;            /**< 0: no revocation data covering the certificate was found */
    lts_revocation_info info; /**< what the data says (the worst of what was found) */
    lts_time issued;          /**< when that data was issued: producedAt (OCSP) or thisUpdate */
    lts_time control_time;    /**< when the certificate had to be valid: the signature's best
                               *   signature time, or the time-stamp's genTime */
    lts_time cert_not_after;  /**< the certificate's notAfter; 0 unknown */
    int has_poe;
    lts_time poe;             /**< earliest proof of existence of the signed object */
    int has_claim;
    lts_time claim;           /**< its signed claim of when it was made: the signing-time
                               *   attribute, or the time-stamp's genTime */
    lts_time max_age;         /**< policy's max_revocation_age in seconds; 0 = none */
    int data_required;        /**< 1: missing data is INDETERMINATE (long-term levels) */
} lts_past_in;

typedef struct {
    lts_indication indication;
    lts_subindication sub;
    char why[200];            /**< one line: what decided it */
} lts_past_out;

/** Past signature validation for the revocation of one certificate (EN 319 102-1 §5.6.2.1
 *  with §5.2.5.4 freshness and §5.2.6 sub-indications); the steps are in past.c. Pure: no
 *  I/O, no clock. */
void lts_past__revocation(const lts_past_in *in, lts_past_out *out);

/** The policy's max_revocation_age in seconds; 0 when not set (or p NULL). */
lts_time lts_policy__max_revocation_age(const struct lts_policy *p);
/** The policy's require_revocation (yes: missing revocation data is INDETERMINATE/TRY_LATER
 *  at every level, not only at the long-term ones); 0 when not set (or p NULL). */
int lts_policy__require_revocation(const struct lts_policy *p);

/** After the format process: revocation of the signer's CA certificates and of every
 *  time-stamp's TSA (and its CAs), from the file's embedded data, the --vdata folder
 *  (o->vdata_dir) and, when allowed, online; the signer itself at levels without embedded
 *  revocation data (revchain.c). */
lts_status lts_validation__revocation(const char *path, int format, const lts_validate_opts *o,
                                      lts_report *r);
#endif
