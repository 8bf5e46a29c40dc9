/* ltsig verify: validate and report. Exit 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE,
 * 3 and above for usage or I/O errors (DESIGN.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "core/io.h"

static const char help[] =
    "usage: ltsig verify [--trust FILE|DIR] [--detached-content FILE] [--at TIME]\n"
    "                    [--report text|json] [-o REPORT] [--offline] [--vdata DIR]\n"
    "                    [--timeout SECONDS] FILE\n"
    "\n"
    "Validate every signature in FILE (CAdES .p7s/.p7m, XAdES .xml, PAdES .pdf) along\n"
    "ETSI EN 319 102-1 and print a report (text by default) on stdout or into REPORT.\n"
    "\n"
    "  --trust T             trust anchors: a PEM bundle, or a folder of PEM files\n"
    "  --detached-content F  the signed data of a detached signature\n"
    "  --at TIME             validate as at TIME (RFC 3339, e.g. 2026-01-31T12:00:00Z)\n"
    "  --report FORMAT       text or json\n"
    "  -o REPORT             write the report to a file (atomically) instead of stdout\n"
    "  --offline             never reach the network: use only embedded data and --vdata\n"
    "\n"
    "exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage, 4 error\n"
    "\n"
    "example:\n"
    "  ltsig verify --trust root.pem --detached-content contract.pdf contract.pdf.p7s\n";

enum { O_TRUST = 256, O_DETACHED, O_AT, O_REPORT, O_OFFLINE, O_VDATA, O_TIMEOUT, O_HELP };

static const struct option longopts[] = {
    { "trust", required_argument, NULL, O_TRUST },
    { "detached-content", required_argument, NULL, O_DETACHED },
    { "at", required_argument, NULL, O_AT },
    { "report", required_argument, NULL, O_REPORT },
    { "offline", no_argument, NULL, O_OFFLINE },
    { "vdata", required_argument, NULL, O_VDATA },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, O_HELP },
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

int cmd_verify(int argc, char **argv)
{
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    const char *report = "text", *outpath = NULL;
    lts_report *r = NULL;
    lts_buf text = LTS_BUF_INIT;
    int c, ret;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case O_TRUST: o.trust = optarg; break;
        case O_DETACHED: o.detached_content = optarg; break;
        case O_AT:
            if (lts_time_parse_rfc3339(&o.at, optarg) != LTS_OK)
                return cli_usage_error("verify", "%s", lts_error_last()->message);
            o.has_at = 1;
            break;
        case O_REPORT: report = optarg; break;
        case O_OFFLINE: o.offline = 1; break;
        case O_VDATA: break; /* read by the validation data source once it exists */
        case O_TIMEOUT: {
            char *end = NULL;
            o.timeout_s = strtol(optarg, &end, 10);
            if (!end || *end || o.timeout_s <= 0 || o.timeout_s > 3600)
                return cli_usage_error("verify", "--timeout takes 1 to 3600 seconds");
            break;
        }
        case 'o': outpath = optarg; break;
        case 'h':
        case O_HELP: fputs(help, stdout); return CLI_OK;
        default: return cli_usage_error("verify", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("verify", "give exactly one file to verify");
    if (strcmp(report, "text") != 0 && strcmp(report, "json") != 0)
        return cli_usage_error("verify", "unknown --report '%s' (text or json)", report);

    if (lts_validate_file(argv[optind], &o, &r) != LTS_OK)
        return cli_fail(NULL);
    if ((strcmp(report, "json") == 0 ? lts_report_json(r, &text) : lts_report_text(r, &text)) !=
        LTS_OK) {
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
    lts_buf_dispose(&text);
    lts_report_free(r);
    return ret;
}
