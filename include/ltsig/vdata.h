/* ltsig — validation data: certificates, OCSP responses and CRLs. Owned by validation/.
 *
 * A validation data source (lts_vdata_source) answers three questions about a
 * certificate: who issued it, what does its OCSP responder say, what does its issuer's
 * CRL say. Three sources exist:
 *   - the online collector: AIA caIssuers and OCSP URLs and CRL distribution points over
 *     HTTP (core/http.c: every request has a timeout);
 *   - the offline source: a folder of files (the CLI's --vdata DIR), never the network;
 *   - the cache: wraps another source so that a batch (ltsig renew --jobs N) fetches each
 *     issuer certificate, CRL and OCSP response once; thread-safe.
 * formats/ never reach the network: their callers hand them a source, and they call
 * lts_vdata_collect() to get everything needed to validate a chain offline (B-LT, ES-XL,
 * the PAdES DSS), as plain DER bytes.
 *
 * Every OCSP response and CRL lts_vdata_collect() returns has been checked (and the online
 * collector checks what it fetches before handing it on; the offline source and the cache
 * hand on what they hold) (RFC 6960 §3.2 and §4.2.2.2, RFC 5280 §6.3): OCSP status successful, responder
 * authorised (the CA itself, or a delegated responder issued by the CA with the
 * id-kp-OCSPSigning EKU), signature, thisUpdate/nextUpdate against the clock, our nonce
 * when one was sent and echoed, a SingleResponse for the certificate; CRL issuer name and
 * signature by the certificate's issuer, thisUpdate/nextUpdate. A REVOKED certificate is
 * not an error: the data is returned and lts_vdata_ocsp_check() / lts_vdata_crl_check() /
 * lts_vdata_bundle_status() say what it says.
 *
 * Errors carry a reason (lts_error_last()->reason) from LTS_VDATA_R_* below. */
#ifndef LTSIG_VDATA_H
#define LTSIG_VDATA_H

#include "buf.h"
#include "clock.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_vdata_source lts_vdata_source;

/** Reasons (lts_error.reason, module "vdata"). Append only. */
enum {
    LTS_VDATA_R_NONE = 0,
    LTS_VDATA_R_NO_URL = 1,          /**< the certificate names no usable http URL */
    LTS_VDATA_R_HTTP = 2,            /**< transport failure, timeout, or an HTTP status != 200 */
    LTS_VDATA_R_GARBAGE = 3,         /**< the answer is not what was asked for (not DER ...) */
    LTS_VDATA_R_OCSP_STATUS = 4,     /**< OCSPResponseStatus is not successful */
    LTS_VDATA_R_UNAUTHORISED = 5,    /**< OCSP responder not authorised by the CA */
    LTS_VDATA_R_SIGNATURE = 6,       /**< the OCSP response or CRL signature does not verify */
    LTS_VDATA_R_STALE = 7,           /**< thisUpdate in the future or nextUpdate passed */
    LTS_VDATA_R_NONCE = 8,           /**< the OCSP nonce does not match */
    LTS_VDATA_R_NO_SINGLE = 9,       /**< no SingleResponse / CRL for this certificate */
    LTS_VDATA_R_CRL_ISSUER = 10,     /**< the CRL is not issued by the certificate's issuer */
    LTS_VDATA_R_NO_ISSUER = 11,      /**< no issuer certificate found */
    LTS_VDATA_R_NO_ANCHOR = 12,      /**< the chain does not reach a trust anchor */
    LTS_VDATA_R_NO_REVOCATION = 13,  /**< no revocation data could be obtained */
    LTS_VDATA_R_REVOKED = 14         /**< a path certificate was revoked too early (revoked_before) */
};

/** Which revocation data to fetch (bit flags); 0 means both. */
#define LTS_VDATA_OCSP 1u
#define LTS_VDATA_CRL 2u

/** OCSP nonce policy of the online collector (RFC 6960 §4.4.1). */
typedef enum {
    LTS_VDATA_NONCE_SEND = 0,    /**< send one; reject a different one; accept none echoed */
    LTS_VDATA_NONCE_REQUIRE = 1, /**< send one; reject a response that does not echo it */
    LTS_VDATA_NONCE_OFF = 2      /**< send none (RFC 5019 responders, cached responses) */
} lts_vdata_nonce;

/** Options of the online collector. Initialise with LTS_VDATA_ONLINE_OPTS_INIT. */
typedef struct {
    unsigned int version;      /**< LTS_VDATA_ONLINE_OPTS_VERSION */
    long timeout_s;            /**< per HTTP request; 0 = 10 s. Never unbounded. */
    const char *extra_certs;   /**< PEM file of candidate certificates (intermediates) looked
                                *   at before AIA caIssuers; optional */
    const char *trust_file;    /**< PEM bundle of trust anchors: the default anchors of
                                *   lts_vdata_collect() with this source; optional */
    unsigned int revocation;   /**< LTS_VDATA_OCSP | LTS_VDATA_CRL; 0 = both */
    lts_vdata_nonce nonce;     /**< default LTS_VDATA_NONCE_SEND */
    const char *ocsp_url;      /**< ask this responder instead of the AIA OCSP URL (for the
                                *   certificates that name one); optional */
    const char *ca_file;       /**< CA bundle for https URLs; NULL = system default */
    const lts_clock *clock;    /**< for the freshness checks; NULL = system clock */
} lts_vdata_online_opts;
#define LTS_VDATA_ONLINE_OPTS_VERSION 1
#define LTS_VDATA_ONLINE_OPTS_INIT \
    { LTS_VDATA_ONLINE_OPTS_VERSION, 0, NULL, NULL, 0, LTS_VDATA_NONCE_SEND, NULL, NULL, NULL }

/** The online collector. *out is the caller's: free with lts_vdata_free(). `opts` may be
 *  NULL (defaults); the strings in it are copied or read here (extra_certs and trust_file
 *  are loaded now: LTS_E_IO / LTS_E_INPUT naming the file when they cannot be). The clock
 *  pointer is kept: it must outlive the source. Thread-safe: one source may serve several
 *  threads at once (each call makes its own HTTP handle). */
LTS_API LTS_MUST_USE lts_status lts_vdata_online_new(lts_vdata_source **out,
                                                    const lts_vdata_online_opts *opts);

/** A source answering from the files of folder `dir` only (never the network):
 *  *.pem / *.crt / *.cer certificates (PEM, possibly several, or DER), *.der (a DER
 *  certificate, OCSP response or CRL, whichever it parses as), *.crl CRLs (DER or PEM),
 *  *.ocsp OCSP responses (DER). Files are read now; other names are ignored; an
 *  unreadable or unparsable file of a known kind is an error naming the file. Issuers are
 *  matched by name, key identifier and signature; OCSP responses by CertID (issuer name
 *  and key hashes, serial); CRLs by issuer name and signature (the latest thisUpdate
 *  wins). *out is the caller's: free with lts_vdata_free(). Thread-safe (read only). */
LTS_API LTS_MUST_USE lts_status lts_vdata_offline_new(lts_vdata_source **out, const char *dir);

/** A cache in front of `inner`: each issuer lookup, OCSP response (per CertID) and CRL
 *  (per distribution point and issuer) is asked of `inner` once, failures included, for
 *  the life of the cache; concurrent askers of the same item wait for the first one.
 *  Takes ownership of `inner` (also on failure: then inner is freed). Thread-safe with a
 *  mutex even when `inner` is not (calls to inner are serialised per item, not overall;
 *  `inner` must itself be thread-safe, which the online and offline sources are). */
LTS_API LTS_MUST_USE lts_status lts_vdata_cached_new(lts_vdata_source **out,
                                                    lts_vdata_source *inner);

/** Release a source (any kind). NULL is a no-op. */
LTS_API void lts_vdata_free(lts_vdata_source *src);

/** Everything needed to validate one chain offline, as DER. Caller-provided storage:
 *  initialise with LTS_VDATA_BUNDLE_INIT, release with lts_vdata_bundle_dispose(). */
typedef struct {
    lts_buf *certs;     /**< the path leaf first, ending with the trust anchor ... */
    size_t n_certs;
    size_t chain_len;   /**< ... certs[0 .. chain_len-1]; then the certificates of
                         *   delegated OCSP responders that are not on the path */
    lts_buf *ocsps;     /**< DER OCSPResponse, for path certificates except the anchor */
    size_t n_ocsps;
    lts_buf *crls;      /**< DER CertificateList, likewise, one per distinct CRL */
    size_t n_crls;
} lts_vdata_bundle;
#define LTS_VDATA_BUNDLE_INIT { NULL, 0, 0, NULL, 0, NULL, 0 }

/** Free everything the bundle holds and reset it to LTS_VDATA_BUNDLE_INIT. NULL is a
 *  no-op. */
LTS_API void lts_vdata_bundle_dispose(lts_vdata_bundle *b);

/** Options of lts_vdata_collect(). Initialise with LTS_VDATA_COLLECT_OPTS_INIT. */
typedef struct {
    unsigned int version;        /**< LTS_VDATA_COLLECT_OPTS_VERSION */
    const char *trust_file;      /**< PEM bundle of trust anchors; NULL = the source's
                                  *   (lts_vdata_online_opts.trust_file) */
    const lts_span *anchors;     /**< more anchors as DER certificates; optional */
    size_t n_anchors;
    unsigned int revocation;     /**< LTS_VDATA_OCSP | LTS_VDATA_CRL; 0 = both */
    const lts_clock *clock;      /**< freshness checks; NULL = system clock */
    /** Version 2. When non-zero, a path certificate (but the anchor) that the collected data
     *  shows revoked at or before this time fails the collection with LTS_E_INPUT, reason
     *  LTS_VDATA_R_REVOKED, naming it: a signature made (or first proven to exist) after its
     *  certificate's revocation must not be raised to B-LT. Formats pass the signing time,
     *  or the earliest signature time-stamp of an existing signature. */
    lts_time revoked_before;
} lts_vdata_collect_opts;
#define LTS_VDATA_COLLECT_OPTS_VERSION 2
#define LTS_VDATA_COLLECT_OPTS_INIT { LTS_VDATA_COLLECT_OPTS_VERSION, NULL, NULL, 0, 0, NULL, 0 }

/** Collect what is needed to validate `leaf` (a DER certificate) offline: build its path
 *  to a trust anchor from `candidates` (DER certificates, e.g. those embedded in the
 *  signature; may be NULL/0) and then from `src` (given certificates, AIA caIssuers), and
 *  for every path certificate but the anchor get an OCSP response and/or a CRL from `src`
 *  (as opts->revocation says and as the certificate advertises), each checked as the top
 *  of this header says. Without any anchor (no trust_file, no anchors, a source without
 *  trust), the path ends at the first self-signed certificate.
 *  Per certificate, when another kind of revocation data was obtained for it, a fetch
 *  that yielded nothing usable is tolerated (unreachable, timeout, HTTP error, garbage,
 *  OCSP status not successful, no URL, stale); a response that fails its signature,
 *  responder-authorisation, nonce or CRL-issuer check is always an error (a forgery is
 *  not excused by a good CRL). No revocation data at all for a certificate is
 *  LTS_E_NOTFOUND (reason LTS_VDATA_R_NO_REVOCATION) naming it and the first failure.
 *  The delegated OCSP responders' certificates are returned after the path; for one
 *  without id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) its issuer's CRL is collected too,
 *  best effort (when CRLs are wanted; none obtainable is no error, a bad one is).
 *  `out` is the caller's storage (LTS_VDATA_BUNDLE_INIT); on failure it is left empty.
 *  Thread-safe when `src` is (all sources here are). */
LTS_API LTS_MUST_USE lts_status lts_vdata_collect(lts_vdata_source *src, lts_span leaf,
                                                 const lts_span *candidates,
                                                 size_t n_candidates,
                                                 const lts_vdata_collect_opts *opts,
                                                 lts_vdata_bundle *out);

/** Write the bundle's certificates (.crt), OCSP responses (.ocsp) and CRLs (.crl) into
 *  folder `dir` (created if missing), one DER file each, named by the first 16 hex digits
 *  of the SHA-256 of the content, each written atomically; lts_vdata_offline_new() reads
 *  such a folder. */
LTS_API LTS_MUST_USE lts_status lts_vdata_bundle_save(const lts_vdata_bundle *b,
                                                     const char *dir);

/* ---- what revocation data says (for validation) ------------------------------------ */

typedef enum {
    LTS_CERT_GOOD = 0,
    LTS_CERT_REVOKED = 1,
    LTS_CERT_UNKNOWN = 2 /**< OCSP "unknown", or no data covering the certificate */
} lts_cert_status;

typedef enum { LTS_REVSRC_NONE = 0, LTS_REVSRC_OCSP = 1, LTS_REVSRC_CRL = 2 } lts_revsrc;

typedef struct {
    lts_cert_status status;
    lts_revsrc source;
    lts_time revocation_time; /**< when REVOKED */
    int reason;               /**< CRLReason (RFC 5280 §5.3.1: 1 keyCompromise ...);
                               *   -1 when absent or not revoked */
    lts_time this_update;
    lts_time next_update;     /**< 0 when absent */
    lts_time produced_at;     /**< OCSP only, else 0 */
} lts_revocation_info;

/** Pass as `now` to skip the thisUpdate/nextUpdate checks (e.g. validation at a past
 *  time decides freshness itself from the returned times). */
#define LTS_VDATA_NO_FRESHNESS ((lts_time)INT64_MIN)

/** Check a DER OCSPResponse for `cert` issued by `issuer` (DER certificates) and say what
 *  it says. Checks: response status successful, basic response, the responder is the
 *  issuer or a delegated responder issued by it with id-kp-OCSPSigning (RFC 6960
 *  §4.2.2.2) and valid at `now`, the signature, a SingleResponse for the certificate's
 *  CertID (any hash), and unless now == LTS_VDATA_NO_FRESHNESS: thisUpdate not after
 *  now + 5 min, nextUpdate (when present) not before now - 5 min. A failed check is an
 *  error (reason LTS_VDATA_R_*), `out` then holds LTS_CERT_UNKNOWN. */
LTS_API LTS_MUST_USE lts_status lts_vdata_ocsp_check(lts_span ocsp, lts_span cert,
                                                    lts_span issuer, lts_time now,
                                                    lts_revocation_info *out);

/** Check a DER (or PEM) CRL against `issuer` (the certificate's issuer: name, cRLSign key
 *  usage when present, signature) and freshness as above, and say whether `cert` is
 *  listed (REVOKED with time and reason) or not (GOOD). */
LTS_API LTS_MUST_USE lts_status lts_vdata_crl_check(lts_span crl, lts_span cert,
                                                   lts_span issuer, lts_time now,
                                                   lts_revocation_info *out);

/** The status of certs[i] (i < chain_len - 1) of a bundle from what the bundle holds, each
 *  OCSP response and CRL checked for it with issuer certs[i+1] at `now`: REVOKED when any
 *  of them says so, else GOOD when any says so (OCSP first), else UNKNOWN. Data about other
 *  certificates is skipped. When nothing checks: the first check failure (e.g. STALE at
 *  `now`), or LTS_E_NOTFOUND (LTS_VDATA_R_NO_REVOCATION) when there was nothing for it;
 *  LTS_E_NOTFOUND also for the anchor or an index past the path. */
LTS_API LTS_MUST_USE lts_status lts_vdata_bundle_status(const lts_vdata_bundle *b, size_t i,
                                                       lts_time now,
                                                       lts_revocation_info *out);

/** "good", "revoked", "unknown". Never NULL. */
LTS_API const char *lts_cert_status_name(lts_cert_status st);
/** RFC 5280 CRLReason name ("keyCompromise", ...); "unspecified" for -1 / unknown codes. */
LTS_API const char *lts_crl_reason_name(int reason);

#ifdef __cplusplus
}
#endif
#endif
