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

/* see cli.h */
int cli_set_verbosity(const char *cmd, int v)
{
    if (cli_verbosity != 0 && cli_verbosity != v)
        return cli_usage_error(cmd, "--quiet and --verbose exclude each other");
    cli_verbosity = v;
    return 0;
}

void cli_note(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    if (cli_verbosity <= 0)
        return;
    fprintf(stderr, "ltsig %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *cli_signer_kind(const char *uri, char *buf, size_t cap)
{
    size_t n = strcspn(uri, ":");
    if (uri[n] != ':' || n == 0)
        n = 0;
    snprintf(buf, cap, "%.*s", (int)n, uri);
    if (n == 0)
        snprintf(buf, cap, "?");
    return buf;
}

static const char *when(char *buf, size_t cap, lts_time t)
{
    if (lts_time_format_rfc3339(buf, cap, t) != LTS_OK)
        snprintf(buf, cap, "?");
    return buf;
}

static const char *verdict(char *buf, size_t cap, lts_indication i, lts_subindication s)
{
    snprintf(buf, cap, "%s%s%s", lts_indication_name(i), s != LTS_SUB_NONE ? " / " : "",
             lts_subindication_name(s));
    return buf;
}

void cli_note_report(const char *cmd, const lts_report *r)
{
    char t[32], v[96];
    if (cli_verbosity <= 0 || r == NULL)
        return;
    for (size_t i = 0; i < r->n_sigs; i++) {
        const lts_sig_result *s = &r->sigs[i];
        const char *id = s->id ? s->id : "?";
        cli_note(cmd, "%s: %s %s, signer %s: %s", id, s->format ? s->format : "?",
                 s->level ? s->level : "?", s->signer ? s->signer : "?",
                 verdict(v, sizeof v, s->indication, s->subindication));
        for (size_t k = 0; k < s->n_timestamps; k++) {
            const lts_ts_result *ts = &s->timestamps[k];
            cli_note(cmd, "%s: %s at %s by %s: %s%s%s", id, ts->kind ? ts->kind : "time-stamp",
                     when(t, sizeof t, ts->gen_time), ts->tsa ? ts->tsa : "?",
                     verdict(v, sizeof v, ts->indication, ts->subindication),
                     ts->message ? " - " : "", ts->message ? ts->message : "");
        }
        for (size_t k = 0; k < s->n_messages; k++)
            cli_note(cmd, "%s: check: %s", id, s->messages[k]);
    }
    cli_note(cmd, "result: %s", verdict(v, sizeof v, r->indication, r->subindication));
}

void cli_note_result(const char *cmd, const char *path, const char *detached, const char *trust)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    char t[32];
    if (cli_verbosity <= 0)
        return;
    o.offline = 1;
    o.trust = trust;
    o.detached_content = detached;
    if (lts_validate_file(path, &o, &r) != LTS_OK) {
        cli_note(cmd, "wrote %s (cannot read it back: %s)", path, lts_error_last()->message);
        lts_error_clear();
        return;
    }
    for (size_t i = 0; i < r->n_sigs; i++) {
        const lts_sig_result *s = &r->sigs[i];
        cli_note(cmd, "wrote %s: %s %s, level reached %s, signer %s", path,
                 s->format ? s->format : "?", s->id ? s->id : "?", s->level ? s->level : "?",
                 s->signer ? s->signer : "?");
        for (size_t k = 0; k < s->n_timestamps; k++) {
            const lts_ts_result *ts = &s->timestamps[k];
            cli_note(cmd, "  %s at %s by %s", ts->kind ? ts->kind : "time-stamp",
                     when(t, sizeof t, ts->gen_time), ts->tsa ? ts->tsa : "?");
        }
    }
    lts_report_free(r);
}
