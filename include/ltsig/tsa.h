/* ltsig — timestamp providers (RFC 3161 / RFC 5816).
 * Owned by the tsa/ module; this first version fixes the shape callers use. */
#ifndef LTSIG_TSA_H
#define LTSIG_TSA_H

#include "alg.h"
#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_tsa lts_tsa;

typedef struct {
    unsigned int version;  /**< LTS_TSA_OPTS_VERSION */
    long timeout_s;        /**< per request, 0 = 30 s */
    const char *policy;    /**< requested policy OID (dotted), optional */
    const char *trust_file;/**< PEM bundle to check the TSA certificate chain, optional */
    const char *ca_file;   /**< CA bundle for https TSA URLs, optional */
} lts_tsa_opts;
#define LTS_TSA_OPTS_VERSION 1
#define LTS_TSA_OPTS_INIT { LTS_TSA_OPTS_VERSION, 0, NULL, NULL, NULL }

/** An RFC 3161 client over HTTP(S) trying `urls` in order. */
LTS_API LTS_MUST_USE lts_status lts_tsa_open_http(lts_tsa **out, const char *const *urls,
                                                 size_t n_urls, const lts_tsa_opts *opts);

/** Timestamp `digest` (made with h). token gets the DER TimeStampToken (a CMS
 *  ContentInfo), already checked: status granted, nonce, imprint, TSA certificate with the
 *  critical timeStamping EKU, signature. */
LTS_API LTS_MUST_USE lts_status lts_tsa_stamp(lts_tsa *t, lts_hash h, lts_span digest,
                                             lts_buf *token);

LTS_API void lts_tsa_close(lts_tsa *t);

#ifdef __cplusplus
}
#endif
#endif
