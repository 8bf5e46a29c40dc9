/* ltsig — where signature values come from.
 *
 * A signer holds (or reaches) one private key and its certificate chain, and turns
 * digests into signature values. It never sees a document. Signers are opened from a
 * URI; the scheme picks the backend:
 *   file:PATH.p12            PKCS#12 (password from opts.passin)
 *   file:KEY.pem?cert=CHAIN.pem   PEM key and a PEM chain (leaf first); key password from passin
 *   pkcs11:token=...;object=...   RFC 7512 (PIN from opts.passin)
 *   csc:https://host/csc/v2       a CSC API v2 remote signing service (opts.csc_*)
 * Every value a backend returns is checked against the signer certificate's public key
 * before it is handed to the caller (s2n's STRICT async-pkey mode). */
#ifndef LTSIG_SIGNER_H
#define LTSIG_SIGNER_H

#include "alg.h"
#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_signer lts_signer;

/** How to open a signer. Initialise with LTS_SIGNER_OPTS_INIT; unused members stay NULL. */
typedef struct {
    unsigned int version;       /**< LTS_SIGNER_OPTS_VERSION */
    const char *passin;         /**< "env:VAR" | "file:PATH" | "pass:TEXT": PKCS#12 password or PIN */
    long timeout_s;             /**< network calls (csc:), 0 = 30 s */
    const char *csc_user;
    const char *csc_password_file;
    const char *csc_credential;
    const char *csc_pin_file;
    const char *csc_totp_secret_file;
    const char *csc_otp_file;
    const char *tls_ca_file;    /**< CA bundle for https: services; NULL = system default */
} lts_signer_opts;
#define LTS_SIGNER_OPTS_VERSION 1
#define LTS_SIGNER_OPTS_INIT { LTS_SIGNER_OPTS_VERSION, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/** Open the signer named by `uri`. On failure *out is NULL and lts_error_last() says why
 *  (LTS_E_UNSUPPORTED for an unknown scheme, LTS_E_AUTH for a wrong password/PIN,
 *  LTS_E_IO / LTS_E_INPUT for a missing or broken key file). */
LTS_API LTS_MUST_USE lts_status lts_signer_open(lts_signer **out, const char *uri,
                                               const lts_signer_opts *opts);

/** The chain of the key as DER certificates, leaf first. *out_ders is an array of *out_n
 *  lts_buf owned by the caller; free it with lts_signer_chain_free(). */
LTS_API LTS_MUST_USE lts_status lts_signer_chain_der(lts_signer *s, lts_buf **out_ders,
                                                    size_t *out_n);
LTS_API void lts_signer_chain_free(lts_buf *ders, size_t n);

/** The algorithm this signer uses by default with hash h (RSA PKCS#1 v1.5 for RSA keys,
 *  ECDSA for EC keys). */
LTS_API LTS_MUST_USE lts_status lts_signer_default_alg(lts_signer *s, lts_hash h,
                                                      lts_sig_alg *out);

/** Sign n digests with one authorisation. `out` is an array of n lts_buf the caller
 *  provides (LTS_BUF_INIT each) and disposes; on failure every out[i] is left empty.
 *  Each digest must be lts_hash_size(alg.hash) bytes. ECDSA values are DER. */
LTS_API LTS_MUST_USE lts_status lts_signer_sign(lts_signer *s, lts_sig_alg alg,
                                               const lts_span *digests, size_t n, lts_buf *out);

/** Close the signer, wiping what it holds. NULL is a no-op. */
LTS_API void lts_signer_close(lts_signer *s);

/** Read a secret named "env:VAR", "file:PATH" (first line) or "pass:TEXT" into out (the
 *  caller wipes it with lts_buf_wipe). The message of a failure never holds the secret. */
LTS_API LTS_MUST_USE lts_status lts_secret_read(lts_buf *out, const char *source);

#ifdef __cplusplus
}
#endif
#endif
