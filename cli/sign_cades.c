/* ltsig sign --format cades */
#include <stdio.h>
#include "cli.h"
#include "core/io.h"

int cli_sign_cades(const cli_sign_args *a, lts_signer *signer)
{
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_tsa *tsa = NULL;
    lts_vdata_source *vdata = NULL;
    lts_buf out = LTS_BUF_INIT;
    int ret = CLI_OK;

    if (a->enveloping)
        return cli_usage_error("sign", "--enveloping does not apply to CAdES");
    o.level = a->level;
    o.hash = a->hash;
    o.detached = a->detached;
    if ((ret = cli_open_providers(a, &tsa, &vdata)) != CLI_OK)
        goto out;
    o.tsa = tsa;
    o.vdata = vdata;
    if (lts_cades_sign_file(&out, signer, a->in, &o) != LTS_OK) {
        ret = cli_fail(a->in);
        goto out;
    }
    if (lts_io__write_atomic(a->out, lts_buf_span(&out), 0) != LTS_OK)
        ret = cli_fail(NULL); /* the message names the output */
out:
    lts_vdata_free(vdata);
    lts_tsa_close(tsa);
    lts_buf_dispose(&out);
    return ret;
}
