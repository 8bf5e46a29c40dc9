/* tsa/tsa_int.h — internal to the tsa module (and its unit tests). */
#ifndef LTS_TSA_INT_H
#define LTS_TSA_INT_H

#include <openssl/ts.h>
#include <openssl/x509.h>
#include <ltsig/tsa.h>

/** The EVP_MD of h, NULL when unknown. */
const EVP_MD *lts_tsa__md(lts_hash h);

/** Build a TimeStampReq (RFC 3161 §2.4.1): version 1, imprint (h, digest), a random 64-bit
 *  nonce, certReq true, the policy when not NULL. *out is new (TS_REQ_free). */
lts_status lts_tsa__req_new(TS_REQ **out, lts_hash h, lts_span digest, const char *policy);

/** Check a DER TimeStampResp against the request `req` (RFC 3161 §2.4.2, §2.3): status
 *  granted or grantedWithMods, version, nonce, imprint, policy (when req has one), the
 *  signer certificate in the token with the sole critical timeStamping EKU, the CMS
 *  signature and ESS signing-certificate(-v2) binding, and when trust is not NULL the TSA
 *  chain to trust (purpose timestamping). token gets the exact DER TimeStampToken bytes.
 *  Errors carry an LTS_TSA_R_* reason; on failure token is left empty. */
lts_status lts_tsa__check_resp(const TS_REQ *req, lts_span resp, X509_STORE *trust,
                               lts_buf *token);

/** RFC 3161 §2.3: the TSA certificate has exactly one extended key usage,
 *  id-kp-timeStamping, in a critical extension. LTS_E_CRYPTO, reason LTS_TSA_R_EKU. */
lts_status lts_tsa__check_eku(X509 *x);

/** lts_tsa_responder_new, with the signer certificate's EKU check optional: tests use
 *  check_eku = 0 to make tokens a client must refuse. Never 0 outside tests. */
lts_status lts_tsa__responder_new(lts_tsa_responder **out, lts_signer *signer,
                                  const lts_tsa_responder_opts *opts, int check_eku);

/** Load a PEM bundle into a new X509_STORE (purpose timestamping). */
lts_status lts_tsa__load_trust(X509_STORE **out, const char *pem_file);

#endif
