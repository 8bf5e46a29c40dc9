/* ltsig sign --format pades */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

/* --visible PAGE,X1,Y1,X2,Y2 (page 1 = the first). */
static int parse_visible(const char *v, lts_pades_sign_opts *o)
{
    char *end = NULL;
    long page = strtol(v, &end, 10);
    if (end == v || *end != ',' || page < 1 || page > 100000)
        return cli_usage_error("sign", "--visible takes PAGE,X1,Y1,X2,Y2 (page 1 = first)");
    for (int i = 0; i < 4; i++) {
        const char *p = end + 1;
        o->rect[i] = strtod(p, &end);
        if (end == p || (i < 3 ? *end != ',' : *end != 0) || o->rect[i] < 0 ||
            o->rect[i] > 14400)
            return cli_usage_error("sign", "--visible takes PAGE,X1,Y1,X2,Y2 (points, 0 to "
                                           "14400)");
    }
    if (o->rect[2] <= o->rect[0] || o->rect[3] <= o->rect[1])
        return cli_usage_error("sign", "--visible: X2,Y2 must be above and right of X1,Y1");
    o->visible = 1;
    o->page = (int)page - 1;
    return CLI_OK;
}

/* The validation data source B-LT and B-LTA need: --vdata DIR (offline), else online. */
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

int cli_sign_pades(const cli_sign_args *a, lts_signer *signer)
{
    lts_pades_sign_opts o = LTS_PADES_SIGN_OPTS_INIT;
    lts_tsa_opts to = LTS_TSA_OPTS_INIT;
    lts_tsa *tsa = NULL;
    lts_vdata_source *vdata = NULL;
    int ret = CLI_OK;

    if (a->detached || a->enveloping)
        return cli_usage_error("sign", "--detached and --enveloping do not apply to PAdES");
    o.level = a->level;
    o.hash = a->hash;
    o.certify = a->certify;
    if (a->visible && (ret = parse_visible(a->visible, &o)) != CLI_OK)
        goto out;
    o.trust_file = a->trust;
    if (a->n_tsa > 0) {
        to.timeout_s = a->timeout_s;
        to.trust_file = a->trust;
        if (lts_tsa_open_http(&tsa, a->tsa_urls, a->n_tsa, &to) != LTS_OK) {
            ret = cli_fail("cannot use the timestamp authority");
            goto out;
        }
        o.tsa = tsa;
    }
    if (a->level == LTS_LEVEL_B_LT || a->level == LTS_LEVEL_B_LTA || a->level == LTS_LEVEL_ES_A) {
        ret = open_vdata(a, &vdata);
        if (ret != CLI_OK)
            goto out;
        o.vdata = vdata;
    }
    if (lts_pades_sign(signer, a->in, a->out, &o) != LTS_OK)
        ret = cli_fail(NULL);
out:
    lts_vdata_free(vdata);
    lts_tsa_close(tsa);
    return ret;
}
