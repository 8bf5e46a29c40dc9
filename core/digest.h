/* core/digest.h — internal: digests of memory, files and byte ranges, streamed in blocks
 * so memory does not grow with the document. */
#ifndef LTS_CORE_DIGEST_H
#define LTS_CORE_DIGEST_H

#include <stdint.h>
#include <openssl/evp.h>
#include <ltsig/alg.h>
#include <ltsig/buf.h>

typedef struct {
    uint64_t off;
    uint64_t len;
} lts_range;

/** The OpenSSL digest for h (a static object, never freed), NULL when unknown. */
const EVP_MD *lts_hash__md(lts_hash h);
/** The lts_hash of an OpenSSL digest NID; LTS_HASH_NONE when we do not know it. */
lts_hash lts_hash__from_nid(int nid);
/** The OpenSSL NID of h. */
int lts_hash__nid(lts_hash h);

/** out must have LTS_HASH_MAX bytes; *outlen gets the digest size. */
lts_status lts_digest__span(lts_hash h, lts_span data, uint8_t *out, size_t *outlen);
/** Digest the concatenation of ranges of a file (the whole file when ranges is NULL).
 *  Every range must lie inside the file: LTS_E_INPUT otherwise. */
lts_status lts_digest__file(lts_hash h, const char *path, const lts_range *ranges, size_t nr,
                            uint8_t *out, size_t *outlen);

#endif
