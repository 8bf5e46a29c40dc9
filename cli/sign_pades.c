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

int cli_sign_pades(const cli_sign_args *a, lts_signer *signer)
{
    lts_pades_sign_opts o = LTS_PADES_SIGN_OPTS_INIT;
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
    if ((ret = cli_open_providers(a, &tsa, &vdata)) != CLI_OK)
        goto out;
    o.tsa = tsa;
    o.vdata = vdata;
    if (lts_pades_sign(signer, a->in, a->out, &o) != LTS_OK)
        ret = cli_fail(a->in);
out:
    lts_vdata_free(vdata);
    lts_tsa_close(tsa);
    return ret;
}
