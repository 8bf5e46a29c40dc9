/* ltsig — digest and signature algorithm names (ETSI TS 119 312). */
#ifndef LTSIG_ALG_H
#define LTSIG_ALG_H

#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LTS_HASH_NONE = 0,
    LTS_HASH_SHA256 = 1,
    LTS_HASH_SHA384 = 2,
    LTS_HASH_SHA512 = 3,
    LTS_HASH_SHA1 = 4 /**< validation of old signatures only; never used to sign */
} lts_hash;

/** Largest digest we produce, in bytes. */
#define LTS_HASH_MAX 64

typedef enum {
    LTS_SCHEME_NONE = 0,
    LTS_SCHEME_RSA_PKCS1 = 1, /**< RSASSA-PKCS1-v1_5 */
    LTS_SCHEME_RSA_PSS = 2,   /**< RSASSA-PSS, MGF1 with the same hash, salt = hash length */
    LTS_SCHEME_ECDSA = 3      /**< ECDSA; values travel DER-encoded (Ecdsa-Sig-Value) */
} lts_scheme;

/** A signature algorithm: a scheme over a digest. */
typedef struct {
    lts_scheme scheme;
    lts_hash hash;
} lts_sig_alg;

/** Digest length in bytes, 0 for LTS_HASH_NONE or an unknown value. */
LTS_API size_t lts_hash_size(lts_hash h);
/** "SHA-256" ...; "?" when unknown. */
LTS_API const char *lts_hash_name(lts_hash h);
/** Parse "sha256", "SHA-256", "sha384" ... (case-insensitive). LTS_E_UNSUPPORTED otherwise. */
LTS_API LTS_MUST_USE lts_status lts_hash_parse(lts_hash *out, const char *name);
/** "RSA", "RSA-PSS", "ECDSA"; "?" when unknown. */
LTS_API const char *lts_scheme_name(lts_scheme s);

#ifdef __cplusplus
}
#endif
#endif
