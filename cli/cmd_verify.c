/* ltsig verify: validate and report. Exit 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE,
 * 3 and above for usage or I/O errors (DESIGN.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ltsig/policy.h>
#include "cli.h"
#include "core/io.h"

static const char help[] =
    "usage: ltsig verify [--trust FILE|DIR] [--detached-content FILE] [--at TIME]\n"
    "                    [--report text|json|xml] [-o REPORT] [--offline] [--vdata DIR]\n"
    "                    [--timeout SECONDS] [--policy FILE] [--profile iso14533]\n"
    "                    [-q|-v] FILE\n"
    "\n"
    "Validate every signature in FILE (CAdES .p7s/.p7m, XAdES .xml, PAdES .pdf) along\n"
    "ETSI EN 319 102-1 and print a report (text by default) on stdout or into REPORT.\n"
    "The text report ends each signature with its timeline (dated events, and every\n"
    "certificate's validity with a bar); the JSON lists the certificates' validity.\n"
    "\n"
    "  --trust T             trust anchors: a PEM bundle, or a folder of PEM files\n"
    "  --detached-content F  the signed data of a detached signature\n"
    "  --at TIME             validate as at TIME (RFC 3339, e.g. 2026-01-31T12:00:00Z)\n"
    "  --report FORMAT       text, json, or xml (ETSI TS 119 102-2 validation report)\n"
    "  -o REPORT             write the report to a file (atomically) instead of stdout\n"
    "  --offline             never reach the network: use only embedded data and --vdata\n"
    "  --policy FILE         validation policy (key = value: trust, allow_online,\n"
    "                        min_rsa_bits, sunset.<alg>, required_level; docs/validation.md)\n"
    "  --profile iso14533    also check ISO 14533-1/-2/-3 conformance, element by element\n"
    "  -q, --quiet           print no report (unless --report or -o asks for one): the\n"
    "                        exit status alone gives the verdict\n"
    "  -v, --verbose         also one line per check on stderr (each signature, time-stamp\n"
    "                        and finding)\n"
    "\n"
    "exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage, 4 error\n"
    "\n"
    "example:\n"
    "  ltsig verify --trust root.pem --detached-content contract.pdf contract.pdf.p7s\n";

enum { O_TRUST = 256, O_DETACHED, O_AT, O_REPORT, O_OFFLINE, O_VDATA, O_TIMEOUT, O_HELP, O_POLICY,
       O_PROFILE };

static const struct option longopts[] = {
    { "trust", required_argument, NULL, O_TRUST },
    { "detached-content", required_argument, NULL, O_DETACHED },
    { "at", required_argument, NULL, O_AT },
    { "report", required_argument, NULL, O_REPORT },
    { "offline", no_argument, NULL, O_OFFLINE },
    { "vdata", required_argument, NULL, O_VDATA },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, O_HELP },
    { "policy", required_argument, NULL, O_POLICY },
    { "profile", required_argument, NULL, O_PROFILE },
    { NULL, 0, NULL, 0 },
};

static int exit_for(lts_indication ind)
{
    switch (ind) {
    case LTS_IND_TOTAL_PASSED: return CLI_OK;
    case LTS_IND_TOTAL_FAILED: return CLI_FAILED;
    case LTS_IND_INDETERMINATE:
    default: return CLI_INDETERMINATE;
    }
}

/* The trust anchors of the policy when --trust was not given: its one entry, or all of
 * them as one temporary PEM bundle (*tmp, removed by the caller). */
static int policy_trust(const lts_policy *p, lts_validate_opts *o, char *tmp, size_t cap)
{
    lts_buf pem = LTS_BUF_INIT;
    int fd = -1, ret = CLI_OK;
    size_t n = lts_policy_trust_count(p);
    if (o->trust != NULL || n == 0)
        return CLI_OK;
    if (n == 1) {
        o->trust = lts_policy_trust(p, 0);
        return CLI_OK;
    }
    snprintf(tmp, cap, "%s/ltsig-trust.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (lts_policy_trust_bundle(p, &pem) != LTS_OK) {
        ret = cli_fail("policy");
        tmp[0] = '\0';
        goto out;
    }
    if ((fd = mkstemp(tmp)) < 0 || write(fd, pem.p, pem.n) != (ssize_t)pem.n) {
        fprintf(stderr, "ltsig: cannot write a temporary trust bundle in %s\n", tmp);
        ret = CLI_ERROR;
        goto out;
    }
    o->trust = tmp;
out:
    if (fd >= 0)
        close(fd);
    lts_buf_dispose(&pem);
    return ret;
}

static lts_status render(const char *report, const lts_report *r, lts_buf *text)
{
    if (strcmp(report, "json") == 0)
        return lts_report_json(r, text);
    if (strcmp(report, "xml") == 0)
        return lts_report_xml(r, text);
    return lts_report_text(r, text);
}

int cmd_verify(int argc, char **argv)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    const char *report = "text", *outpath = NULL, *policy_path = NULL;
    lts_report *r = NULL;
    lts_policy *policy = NULL;
    lts_buf text = LTS_BUF_INIT;
    lts_profile profile = LTS_PROFILE_NONE;
    char tmp_trust[4200] = "";
    int c, ret, report_given = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case O_TRUST: o.trust = optarg; break;
        case O_DETACHED: o.detached_content = optarg; break;
        case O_AT:
            if (lts_time_parse_rfc3339(&o.at, optarg) != LTS_OK)
                return cli_usage_error("verify", "%s", lts_error_last()->message);
            o.has_at = 1;
            break;
        case O_REPORT: report = optarg; report_given = 1; break;
        case O_OFFLINE: o.offline = 1; break;
        case O_VDATA: o.vdata_dir = optarg; break;
        case O_TIMEOUT: {
            char *end = NULL;
            o.timeout_s = strtol(optarg, &end, 10);
            if (!end || *end || o.timeout_s <= 0 || o.timeout_s > 3600)
                return cli_usage_error("verify", "--timeout takes 1 to 3600 seconds");
            break;
        }
        case 'o': outpath = optarg; break;
        case 'q':
        case 'v':
            if (cli_set_verbosity("verify", c == 'q' ? -1 : 1) != 0)
                return CLI_USAGE;
            break;
        case O_POLICY: policy_path = optarg; break;
        case O_PROFILE:
            if (lts_profile_parse(&profile, optarg) != LTS_OK)
                return cli_usage_error("verify", "%s", lts_error_last()->message);
            break;
        case 'h':
        case O_HELP: fputs(help, stdout); return CLI_OK;
        default: return cli_usage_error("verify", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("verify", "give exactly one file to verify");
    if (strcmp(report, "text") != 0 && strcmp(report, "json") != 0 && strcmp(report, "xml") != 0)
        return cli_usage_error("verify", "unknown --report '%s' (text, json or xml)", report);
    if (policy_path && lts_policy_load(&policy, policy_path) != LTS_OK)
        return cli_fail(NULL);
    o.policy = policy;
    o.profile = (int)profile;
    if (policy && !lts_policy_allow_online(policy))
        o.offline = 1;
    if ((ret = policy_trust(policy, &o, tmp_trust, sizeof tmp_trust)) != CLI_OK)
        goto out;

    cli_note("verify", "%s: trust %s, %s%s%s", argv[optind], o.trust ? o.trust : "none",
             o.offline ? "offline" : "online allowed", policy_path ? ", policy " : "",
             policy_path ? policy_path : "");
    if (lts_validate_file(argv[optind], &o, &r) != LTS_OK) {
        ret = cli_fail(NULL);
        goto out;
    }
    cli_note_report("verify", r);
    if (cli_verbosity < 0 && !report_given && !outpath) {
        ret = exit_for(r->indication); /* --quiet: the exit status speaks */
        goto out;
    }
    if (render(report, r, &text) != LTS_OK) {
        ret = cli_fail("cannot render the report");
        goto out;
    }
    if (outpath) {
        if (lts_io__write_atomic(outpath, lts_buf_span(&text), 0) != LTS_OK) {
            ret = cli_fail(NULL);
            goto out;
        }
    } else {
        fwrite(text.p, 1, text.n, stdout);
        fflush(stdout);
    }
    ret = exit_for(r->indication);
out:
    if (tmp_trust[0])
        unlink(tmp_trust);
    lts_buf_dispose(&text);
    lts_report_free(r);
    lts_policy_free(policy);
    return ret;
}
