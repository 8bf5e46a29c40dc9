/* ltsig sign --format xades: enveloped (default), --enveloping, --detached, and the
 * e-prescription layout (recognised from the document) for the enveloped form; B-B;
 * B-T / ES-T with --tsa; B-LT / ES-XL with validation data (--vdata DIR or online). */
#include <stdio.h>
#include "cli.h"
#include "core/io.h"

/* The validation data source B-LT and ES-XL need: --vdata DIR (offline), else online. */
static int open_vdata(const cli_sign_args *a, lts_vdata_source **out)
{
    lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
    if (a->vdata_dir) {
        if (lts_vdata_offline_new(out, a->vdata_dir) != LTS_OK)
            return cli_fail("cannot use the validation data folder");
        return CLI_OK;
    }
    if (a->offline)
        return cli_usage_error("sign", "level %s with --offline needs --vdata DIR",
                               lts_level_name(a->level));
    vo.timeout_s = a->timeout_s;
    vo.trust_file = a->trust;
    if (lts_vdata_online_new(out, &vo) != LTS_OK)
        return cli_fail("cannot collect validation data");
    return CLI_OK;
}

int cli_sign_xades(const cli_sign_args *a, lts_signer *signer)
{
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_tsa_opts to = LTS_TSA_OPTS_INIT;
    lts_tsa *tsa = NULL;
    lts_vdata_source *vdata = NULL;
    lts_buf out = LTS_BUF_INIT;
    int ret = CLI_OK, found = 0;

    if (a->detached && a->enveloping)
        return cli_usage_error("sign", "--detached and --enveloping exclude each other");
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
    if (a->level == LTS_LEVEL_B_LT || a->level == LTS_LEVEL_ES_XL ||
        a->level == LTS_LEVEL_B_LTA || a->level == LTS_LEVEL_ES_A) {
        ret = open_vdata(a, &vdata);
        if (ret != CLI_OK)
            goto out;
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
            ret = cli_fail(NULL);
            goto out;
        }
    }
    if (lts_xades_sign_file(&out, signer, a->in, &o) != LTS_OK) {
        ret = cli_fail(NULL);
        goto out;
    }
    if (lts_io__write_atomic(a->out, lts_buf_span(&out), 0) != LTS_OK)
        ret = cli_fail(NULL);
out:
    lts_vdata_free(vdata);
    lts_tsa_close(tsa);
    lts_buf_dispose(&out);
    return ret;
}
