/* The pkcs11: signer backend (RFC 7512 URIs). Not implemented yet: see issue 6. */
#define LTS_MODULE "signer-pkcs11"
#include "backend_int.h"
#include "core/err.h"

lts_status lts_pkcs11__open(lts_signer **out, const char *uri, const lts_signer_opts *opts)
{
    (void)uri;
    (void)opts;
    *out = NULL;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "the pkcs11: signer is not built yet");
}
