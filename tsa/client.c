/* RFC 3161 client. Not implemented yet (issue 3). */
#define LTS_MODULE "tsa"
#include <ltsig/tsa.h>
#include "core/err.h"

lts_status lts_tsa_open_http(lts_tsa **out, const char *const *urls, size_t n_urls,
                             const lts_tsa_opts *opts)
{
    (void)urls; (void)n_urls; (void)opts;
    *out = NULL;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "timestamping is not built yet");
}

lts_status lts_tsa_stamp(lts_tsa *t, lts_hash h, lts_span digest, lts_buf *token)
{
    (void)t; (void)h; (void)digest; (void)token;
    return lts_err__set(LTS_E_UNSUPPORTED, LTS_MODULE, 0, "timestamping is not built yet");
}

void lts_tsa_close(lts_tsa *t)
{
    (void)t;
}
