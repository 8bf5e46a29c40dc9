/* ltsig — for people writing validation data sources (less stable than ltsig/vdata.h).
 *
 * A source embeds `lts_vdata_source` as the FIRST member of its own struct and points
 * base.ops at a static const ops table whose `version` is LTS_VDATA_OPS_VERSION.
 * lts_vdata_collect() refuses an unknown version or a missing required method; a NULL
 * optional method means "this source has none of that". New methods are only ever
 * appended, with a version bump (cf. sys/signer.h, SQLite's sqlite3_vfs).
 *
 * Methods may be called from several threads at once (ltsig renew --jobs N): a source must
 * be thread-safe. lts_vdata_cached_new() does not make its inner source thread-safe: it
 * asks each item once, but different items concurrently.
 * What methods return need not be checked by the source: lts_vdata_collect() checks every
 * OCSP response and CRL (the built-in online source checks them too, for its nonce). */
#ifndef LTSIG_SYS_VDATA_H
#define LTSIG_SYS_VDATA_H

#include <openssl/x509.h>
#include "../vdata.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lts_vdata_ops {
    unsigned int version; /**< LTS_VDATA_OPS_VERSION */
    const char *name;     /**< "online", "offline", "cached", ... */
    /** Required. The certificate that issued `cert` (subject = cert's issuer, its key
     *  verifies cert's signature): from the certificates the source was given first, then
     *  (online) the AIA caIssuers URL. *out is new, owned by the caller (X509_free).
     *  LTS_E_NOTFOUND (reason LTS_VDATA_R_NO_ISSUER / _NO_URL) when there is none. */
    lts_status (*issuer)(lts_vdata_source *s, X509 *cert, X509 **out);
    /** Optional. A DER OCSPResponse about `cert` from its responder; `out` is an empty
     *  lts_buf of the caller's. LTS_E_NOTFOUND when the source has none (no AIA OCSP URL,
     *  nothing in the folder); LTS_E_NET / LTS_E_TIMEOUT / LTS_E_INPUT / LTS_E_CRYPTO
     *  otherwise, naming the URL. */
    lts_status (*ocsp)(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out);
    /** Optional. A DER CRL of `issuer` covering `cert` (its CRL distribution point);
     *  `out` as above; errors as above. */
    lts_status (*crl)(lts_vdata_source *s, X509 *cert, X509 *issuer, lts_buf *out);
    /** Optional. The trust anchors the source was configured with (a new stack, owned by
     *  the caller: sk_X509_pop_free(.., X509_free)); *out NULL when it has none. */
    lts_status (*anchors)(lts_vdata_source *s, STACK_OF(X509) **out);
    /** Required. Release everything, including s itself. */
    void (*close)(lts_vdata_source *s);
} lts_vdata_ops;
#define LTS_VDATA_OPS_VERSION 1

/** The part of every source the library sees. Implementations set `ops`. */
struct lts_vdata_source {
    const lts_vdata_ops *ops;
};

/* Calling a source's methods (they check the version and the method's presence):
 * return LTS_E_UNSUPPORTED for a missing optional method, LTS_E_CONFIG for a bad table. */
LTS_API LTS_MUST_USE lts_status lts_vdata_get_issuer(lts_vdata_source *s, X509 *cert,
                                                    X509 **out);
LTS_API LTS_MUST_USE lts_status lts_vdata_get_ocsp(lts_vdata_source *s, X509 *cert,
                                                  X509 *issuer, lts_buf *out);
LTS_API LTS_MUST_USE lts_status lts_vdata_get_crl(lts_vdata_source *s, X509 *cert,
                                                 X509 *issuer, lts_buf *out);

#ifdef __cplusplus
}
#endif
#endif
