/* ltsig info: what is inside a signed file — format, each signature's level, signer,
 * signing time, time-stamps (genTime, TSA, TSA certificate expiry) and until when the
 * newest time-stamp protects it (the date the renewal job works from). The file is
 * validated (without trust anchors unless given) only to read these facts; the verdict is
 * `ltsig verify`'s business. Exit 0 when the file was read, 3 usage, 4 error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <ltsig/policy.h>
#include "cli.h"
#include "core/io.h"



static const char help[] =
    "usage: ltsig info [--report text|json] [--policy FILE] [--trust FILE|DIR]\n"
    "                  [--detached-content FILE] [-q|-v] [-o OUT] FILE\n"
    "\n"
    "Show what is inside a signed file (CAdES, XAdES, PAdES): its format, and for each\n"
    "signature its level, signer, signing time, every time-stamp (type, genTime, TSA,\n"
    "TSA certificate notAfter) and the protection end date: when the newest archive /\n"
    "document time-stamp (or the signature time-stamp) stops protecting the signature,\n"
    "the earliest of its TSA certificate's notAfter, its hash algorithm's sunset and\n"
    "its TSA key's (from the policy; default: built-in TS 119 312 dates, RSA below\n"
    "3072 bits 2030-12-31). Renew before that date.\n"
    "Then a timeline per signature: the dated events in order (signing time, each\n"
    "time-stamp, each certificate's start and end, the protection end) and the validity\n"
    "of every certificate (signer, CAs, TSA) as notBefore..notAfter with a bar.\n"
    "\n"
    "  --report FORMAT   text (default) or json\n"
    "  --policy FILE     validation policy giving the algorithm sunsets (and trust)\n"
    "  --trust T         trust anchors; PAdES levels count only the document\n"
    "                    time-stamps that validate, so give them for PDFs\n"
    "  -o OUT            write to a file (atomically) instead of stdout\n"
    "  -q, --quiet       text: one line per signature, \"ID LEVEL PROTECTION-END\" (the\n"
    "                    end is - when there is no time-stamp), for scripts\n"
    "  -v, --verbose     also say on stderr how the file was read (format, policy,\n"
    "                    trust, the validation verdict behind the facts)\n"
    "\n"
    "example:\n"
    "  ltsig info --report json archive/contract.pdf\n";

enum { O_REPORT = 256, O_POLICY, O_TRUST, O_DETACHED, O_HELP };

static const struct option longopts[] = {
    { "report", required_argument, NULL, O_REPORT },
    { "policy", required_argument, NULL, O_POLICY },
    { "trust", required_argument, NULL, O_TRUST },
    { "detached-content", required_argument, NULL, O_DETACHED },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

/* --quiet: "ID LEVEL PROTECTION-END" per signature. */
static lts_status brief(const lts_report *r, const lts_policy *p, lts_buf *out)
{
    lts_status rc = LTS_OK;
    for (size_t i = 0; i < r->n_sigs && rc == LTS_OK; i++) {
        const lts_sig_result *s = &r->sigs[i];
        char line[256], until[LTS_TIME_RFC3339_LEN] = "-";
        lts_time t = 0;
        if (lts_policy_protection_until(p, s, &t) &&
            lts_time_format_rfc3339(until, sizeof until, t) != LTS_OK)
            snprintf(until, sizeof until, "-");
        int n = snprintf(line, sizeof line, "%s %s %s\n", s->id ? s->id : "?",
                         s->level ? s->level : "?", until);
        rc = lts_buf_append(out, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
    }
    if (rc == LTS_OK)
        rc = lts_buf_nul(out);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    const char *report = "text", *outpath = NULL, *policy_path = NULL;
    lts_policy *policy = NULL;
    lts_report *r = NULL;
    lts_buf text = LTS_BUF_INIT;
    int c, ret = CLI_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case O_REPORT: report = optarg; break;
        case O_POLICY: policy_path = optarg; break;
        case O_TRUST: o.trust = optarg; break;
        case O_DETACHED: o.detached_content = optarg; break;
        case 'o': outpath = optarg; break;
        case 'q':
        case 'v':
            if (cli_set_verbosity("info", c == 'q' ? -1 : 1) != 0)
                return CLI_USAGE;
            break;
        case 'h':
        case O_HELP: fputs(help, stdout); return CLI_OK;
        default: return cli_usage_error("info", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("info", "give exactly one file");
    if (strcmp(report, "text") != 0 && strcmp(report, "json") != 0)
        return cli_usage_error("info", "unknown --report '%s' (text or json)", report);
    if (policy_path && lts_policy_load(&policy, policy_path) != LTS_OK)
        return cli_fail(NULL);
    o.policy = policy;
    o.offline = 1; /* info never reaches the network */
    if (o.trust == NULL && lts_policy_trust_count(policy) == 1)
        o.trust = lts_policy_trust(policy, 0);
    if (lts_validate_file(argv[optind], &o, &r) != LTS_OK) {
        ret = cli_fail(NULL);
        goto out;
    }
    cli_note("info", "%s: %zu signature(s), read offline; sunsets from %s; trust %s; "
                     "validation verdict %s", argv[optind], r->n_sigs,
             policy_path ? policy_path : "the built-in TS 119 312 dates",
             o.trust ? o.trust : "none", lts_indication_name(r->indication));
    if (strcmp(report, "text") == 0 && cli_verbosity < 0) {
        if (brief(r, policy, &text) != LTS_OK) {
            ret = cli_fail("cannot render the summary");
            goto out;
        }
    } else if ((strcmp(report, "json") == 0 ? lts_info_json(r, policy, &text)
                                            : lts_info_text(r, policy, &text)) != LTS_OK) {
        ret = cli_fail("cannot render the summary");
        goto out;
    }
    if (outpath) {
        if (lts_io__write_atomic(outpath, lts_buf_span(&text), 0) != LTS_OK)
            ret = cli_fail(NULL);
    } else {
        fwrite(text.p, 1, text.n, stdout);
        fflush(stdout);
    }
out:
    lts_buf_dispose(&text);
    lts_report_free(r);
    lts_policy_free(policy);
    return ret;
}
