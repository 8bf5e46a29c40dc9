/* ltsig sign --format xades: enveloped (default), --enveloping, --detached, and the
 * e-prescription layout (recognised from the document) for the enveloped form; B-B;
 * B-T / ES-T with --tsa; B-LT / ES-XL with validation data (--vdata DIR or online). */
#include <stdio.h>
#include "cli.h"
#include "core/io.h"

int cli_sign_xades(const cli_sign_args *a, lts_signer *signer)
{
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_tsa *tsa = NULL;
    lts_vdata_source *vdata = NULL;
    lts_buf out = LTS_BUF_INIT;
    int ret = CLI_OK, found = 0;

    if (a->detached && a->enveloping)
        return cli_usage_error("sign", "--detached and --enveloping exclude each other");
    o.level = a->level;
    o.hash = a->hash;
    if ((ret = cli_open_providers(a, &tsa, &vdata)) != CLI_OK)
        goto out;
    o.tsa = tsa;
    if (vdata) {
        o.vdata = vdata;
        o.trust_file = a->trust;
    }
    if (a->detached) {
        o.packaging = LTS_XADES_DETACHED;
    } else if (a->enveloping) {
        o.packaging = LTS_XADES_ENVELOPING;
    } else {
        o.packaging = LTS_XADES_ENVELOPED;
        if (lts_xades_detect_eprescription(a->in, &o, &found) != LTS_OK) {
            ret = cli_fail(a->in);
            goto out;
        }
    }
    if (lts_xades_sign_file(&out, signer, a->in, &o) != LTS_OK) {
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
