/* ltsig sign --format cades */
#include <stdio.h>
#include "cli.h"
#include "core/io.h"

int cli_sign_cades(const cli_sign_args *a, lts_signer *signer)
{
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_tsa_opts to = LTS_TSA_OPTS_INIT;
    lts_tsa *tsa = NULL;
    lts_buf out = LTS_BUF_INIT;
    int ret = CLI_OK;

    o.level = a->level;
    o.hash = a->hash;
    o.detached = a->detached;
    if (a->n_tsa > 0) {
        to.timeout_s = a->timeout_s;
        to.trust_file = a->trust;
        if (lts_tsa_open_http(&tsa, a->tsa_urls, a->n_tsa, &to) != LTS_OK) {
            ret = cli_fail("cannot use the timestamp authority");
            goto out;
        }
        o.tsa = tsa;
    }
    if (lts_cades_sign_file(&out, signer, a->in, &o) != LTS_OK) {
        ret = cli_fail(a->in);
        goto out;
    }
    if (lts_io__write_atomic(a->out, lts_buf_span(&out), 0) != LTS_OK)
        ret = cli_fail(NULL);
out:
    lts_tsa_close(tsa);
    lts_buf_dispose(&out);
    return ret;
}
