/* ltsig — the optional bridge to OpenSSL types. Nothing else in the public API exposes
 * OpenSSL; include this only if you already use OpenSSL. */
#ifndef LTSIG_OPENSSL_H
#define LTSIG_OPENSSL_H

#include <openssl/x509.h>
#include "signer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The signer's certificate (borrowed: valid while the signer is open). */
LTS_API X509 *lts_signer_get0_cert(lts_signer *s);
/** The signer's chain, leaf first (borrowed: valid while the signer is open). */
LTS_API STACK_OF(X509) *lts_signer_get0_chain(lts_signer *s);

#ifdef __cplusplus
}
#endif
#endif
