/* ltsig sign --format pades */
#include <stdio.h>
#include "cli.h"

int cli_sign_pades(const cli_sign_args *a, lts_signer *signer)
{
    lts_pades_sign_opts o = LTS_PADES_SIGN_OPTS_INIT;
    lts_tsa_opts to = LTS_TSA_OPTS_INIT;
    lts_tsa *tsa = NULL;
    int ret = CLI_OK;

    if (a->detached || a->enveloping)
        return cli_usage_error("sign", "--detached and --enveloping do not apply to PAdES");
    o.level = a->level;
    o.hash = a->hash;
    if (a->n_tsa > 0) {
        to.timeout_s = a->timeout_s;
        to.trust_file = a->trust;
        if (lts_tsa_open_http(&tsa, a->tsa_urls, a->n_tsa, &to) != LTS_OK) {
            ret = cli_fail("cannot use the timestamp authority");
            goto out;
        }
        o.tsa = tsa;
    }
    if (lts_pades_sign(signer, a->in, a->out, &o) != LTS_OK)
        ret = cli_fail(NULL);
out:
    lts_tsa_close(tsa);
    return ret;
}
