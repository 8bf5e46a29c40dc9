/* The csc: signer backend (CSC API v2 client). Not implemented yet: see issue 6. */
#define LTS_MODULE "signer-csc"
#include "backend_int.h"
#include "core/err.h"

lts_status lts_csc__open(lts_signer **out, const char *url, const lts_signer_opts *opts)
{
    (void)url;
    (void)opts;
    *out = NULL;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "the csc: signer is not built yet");
}
