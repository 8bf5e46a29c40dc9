/* CAdES signing. Not implemented yet (issue 2). */
#define LTS_MODULE "cades"
#include <ltsig/cades.h>
#include "core/err.h"

lts_status lts_cades_sign_file(lts_buf *out, lts_signer *signer, const char *content_path,
                               const lts_cades_sign_opts *opts)
{
    (void)out; (void)signer; (void)opts;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "%s: CAdES signing not built yet",
                        content_path);
}

lts_status lts_cades_sign_digest(lts_buf *out, lts_signer *signer, lts_span digest,
                                 const lts_cades_sign_opts *opts)
{
    (void)out; (void)signer; (void)digest; (void)opts;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "CAdES signing not built yet");
}
