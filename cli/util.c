/* cli/util.c — error printing shared by the commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cli_fail(const char *context)
{
    const lts_error *e = lts_error_last();
    if (context && strncmp(e->message, context, strlen(context)) == 0)
        context = NULL; /* the message names it already */
    if (context && *context)
        fprintf(stderr, "ltsig: %s: %s\n", context, e->message[0] ? e->message : "failed");
    else
        fprintf(stderr, "ltsig: %s\n", e->message[0] ? e->message : "failed");
    return e->code == LTS_E_CONFIG ? CLI_USAGE : CLI_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ltsig %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see ltsig %s --help)\n", cmd);
    return CLI_USAGE;
}

/* see cli.h */
int cli_open_providers(const cli_sign_args *a, lts_tsa **tsa, lts_vdata_source **vdata)
{
    lts_tsa_opts to = LTS_TSA_OPTS_INIT;
    lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
    int lt = a->level == LTS_LEVEL_B_LT || a->level == LTS_LEVEL_B_LTA ||
             a->level == LTS_LEVEL_ES_XL || a->level == LTS_LEVEL_ES_A;

    *tsa = NULL;
    *vdata = NULL;
    if (a->n_tsa > 0) {
        to.timeout_s = a->timeout_s;
        to.trust_file = a->trust;
        if (lts_tsa_open_http(tsa, a->tsa_urls, a->n_tsa, &to) != LTS_OK)
            return cli_fail("cannot use the timestamp authority");
    }
    if (!lt)
        return CLI_OK;
    if (a->vdata_dir) {
        if (lts_vdata_offline_new(vdata, a->vdata_dir) == LTS_OK)
            return CLI_OK;
        lts_tsa_close(*tsa);
        *tsa = NULL;
        return cli_fail("cannot use the validation data folder");
    }
    if (a->offline) {
        lts_tsa_close(*tsa);
        *tsa = NULL;
        return cli_usage_error("sign", "level %s with --offline needs --vdata DIR",
                               lts_level_name(a->level));
    }
    vo.timeout_s = a->timeout_s;
    vo.trust_file = a->trust;
    if (lts_vdata_online_new(vdata, &vo) == LTS_OK)
        return CLI_OK;
    lts_tsa_close(*tsa);
    *tsa = NULL;
    return cli_fail("cannot collect validation data");
}
