/* see ltsig/signer.h (lts_secret_read) */
#define LTS_MODULE "core"
#include <ltsig/signer.h>

#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "io.h"

#define SECRET_MAX 4096

lts_status lts_secret_read(lts_buf *out, const char *source)
{
    lts_status rc = LTS_OK;
    lts_buf raw = LTS_BUF_INIT_MAX(SECRET_MAX);
    out->n = 0;
    LTS_ENSURE(source != NULL && *source, LTS_E_CONFIG, "no password source given");
    if (strncmp(source, "pass:", 5) == 0) {
        LTS_TRY(lts_buf_append(out, source + 5, strlen(source + 5)));
    } else if (strncmp(source, "env:", 4) == 0) {
        const char *v = getenv(source + 4);
        LTS_ENSURE(v != NULL, LTS_E_CONFIG, "environment variable %s is not set", source + 4);
        LTS_TRY(lts_buf_append(out, v, strlen(v)));
    } else if (strncmp(source, "file:", 5) == 0) {
        rc = lts_io__read_file(&raw, source + 5, SECRET_MAX);
        if (rc != LTS_OK) {
            lts_err__wrap("cannot read the password file");
            goto out;
        }
        size_t n = 0;
        while (n < raw.n && raw.p[n] != '\n' && raw.p[n] != '\r')
            n++;
        LTS_TRY(lts_buf_append(out, raw.p, n));
    } else {
        LTS_FAIL(LTS_E_CONFIG, "unknown password source (use env:VAR, file:PATH or pass:TEXT)");
    }
    LTS_TRY(lts_buf_nul(out));
out:
    lts_buf_wipe(&raw);
    if (rc != LTS_OK)
        lts_buf_wipe(out);
    return rc;
}
