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
void lts_chain_result__dispose(lts_chain_result *r);

#endif
