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

#ifdef __cplusplus
}
#endif
#endif
