/* ltsig extend: raise the level of an existing signature (CAdES, XAdES, PAdES). The input is
 * never changed; OUT is written atomically, and nothing at all on failure. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "core/io.h"

static const char help[] =
    "usage: ltsig extend --level B-T|B-LT|B-LTA|ES-T|ES-XL|ES-A [--tsa URL]... [--trust FILE]\n"
    "                    [--timeout SECONDS] [--offline] [--vdata DIR] [-q|-v] -o OUT IN\n"
    "\n"
    "Add to the signatures of IN what the level needs and write the result to OUT.\n"
    "What was signed is kept byte for byte. CAdES (.p7s/.p7m), XAdES (.xml), PAdES (.pdf).\n"
    "\n"
    "  --level L     B-T or ES-T: a signature time-stamp on every signature without one\n"
    "  --tsa URL     RFC 3161 timestamp authority (repeat for failover)\n"
    "                B-LT: also the certificates, CRLs and OCSP responses that validate\n"
    "                the signer and the time-stamps (from AIA/CDP/OCSP URLs, or --vdata)\n"
    "                B-LTA: also an archive-time-stamp-v3 (again at each run: renewal)\n"
    "                ES-XL: complete references and values (TS 101 733); ES-A: and an\n"
    "                archive-time-stamp-v3\n"
    "  --trust FILE  trust anchors (PEM) the TSA and the collected paths must chain to\n"
    "  --vdata DIR   take validation data from DIR (offline) instead of the network\n"
    "  --timeout S   per network call (default 30)\n"
    "  -q, --quiet   errors only\n"
    "  -v, --verbose say which format, TSA and validation data are used and the level\n"
    "                reached\n"
    "\n"
    "example:\n"
    "  ltsig extend --level B-T --tsa http://tsa.example/ -o contract.bt.p7s contract.p7s\n";

enum { O_LEVEL = 256, O_TSA, O_TRUST, O_TIMEOUT, O_OFFLINE, O_VDATA, O_HELP };

static const struct option longopts[] = {
    { "level", required_argument, NULL, O_LEVEL },
    { "tsa", required_argument, NULL, O_TSA },
    { "trust", required_argument, NULL, O_TRUST },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "offline", no_argument, NULL, O_OFFLINE },
    { "vdata", required_argument, NULL, O_VDATA },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};



int cmd_extend(int argc, char **argv)
{
    lts_cades_extend_opts eo = LTS_CADES_EXTEND_OPTS_INIT;
    lts_tsa_opts to = LTS_TSA_OPTS_INIT;
    const char *urls[8], *level = NULL, *out = NULL, *in;
    size_t n_tsa = 0;
    lts_tsa *tsa = NULL;
    lts_vdata_source *vdata = NULL;
    lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
    const char *vdata_dir = NULL;
    int offline = 0;
    lts_buf data = LTS_BUF_INIT, res = LTS_BUF_INIT;
    lts_format fmt = LTS_FORMAT_UNKNOWN;
    int c, ret = CLI_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case O_LEVEL: level = optarg; break;
        case O_TSA:
            if (n_tsa == sizeof urls / sizeof urls[0])
                return cli_usage_error("extend", "too many --tsa URLs");
            urls[n_tsa++] = optarg;
            break;
        case O_TRUST: to.trust_file = optarg; break;
        case O_TIMEOUT: {
            char *end = NULL;
            to.timeout_s = strtol(optarg, &end, 10);
            if (!end || *end || to.timeout_s <= 0 || to.timeout_s > 3600)
                return cli_usage_error("extend", "--timeout takes 1 to 3600 seconds");
            break;
        }
        case O_OFFLINE: offline = 1; break;
        case O_VDATA: vdata_dir = optarg; break;
        case 'o': out = optarg; break;
        case 'q':
        case 'v':
            if (cli_set_verbosity("extend", c == 'q' ? -1 : 1) != 0)
                return CLI_USAGE;
            break;
        case 'h':
        case O_HELP: fputs(help, stdout); return CLI_OK;
        default: return cli_usage_error("extend", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("extend", "give exactly one input file");
    in = argv[optind];
    if (!level)
        return cli_usage_error("extend", "--level is required");
    if (lts_level_parse(&eo.level, level) != LTS_OK)
        return cli_usage_error("extend", "%s", lts_error_last()->message);
    if (!out)
        return cli_usage_error("extend", "-o OUT is required");
    if (strcmp(in, out) == 0)
        return cli_usage_error("extend", "the output must not be the input file");
    if (lts_level_needs_tsa(eo.level) && n_tsa == 0)
        return cli_usage_error("extend", "level %s needs a timestamp authority (--tsa URL)",
                               lts_level_name(eo.level));

    if (lts_format_detect(in, &fmt) != LTS_OK)
        return cli_fail(NULL);
    if (fmt != LTS_FORMAT_CADES && fmt != LTS_FORMAT_XADES && fmt != LTS_FORMAT_PADES) {
        fprintf(stderr, "ltsig: %s: extend supports CAdES, XAdES and PAdES signatures\n", in);
        return CLI_ERROR;
    }
    cli_note("extend", "%s: %s signature, to %s", in,
             fmt == LTS_FORMAT_CADES ? "CAdES" : fmt == LTS_FORMAT_XADES ? "XAdES" : "PAdES",
             lts_level_name(eo.level));
    for (size_t i = 0; i < n_tsa; i++)
        cli_note("extend", "time-stamp authority%s: %s", i ? " (failover)" : "", urls[i]);
    if (fmt != LTS_FORMAT_PADES && lts_io__read_file(&data, in, 0) != LTS_OK) {
        ret = cli_fail(NULL);
        goto out;
    }
    if (n_tsa > 0) {
        if (lts_tsa_open_http(&tsa, urls, n_tsa, &to) != LTS_OK) {
            ret = cli_fail("cannot use the timestamp authority");
            goto out;
        }
        eo.tsa = tsa;
    }
    if (eo.level == LTS_LEVEL_B_LT || eo.level == LTS_LEVEL_B_LTA || eo.level == LTS_LEVEL_ES_XL ||
        eo.level == LTS_LEVEL_ES_A) {
        if (vdata_dir) {
            if (lts_vdata_offline_new(&vdata, vdata_dir) != LTS_OK) {
                ret = cli_fail("cannot use the validation data folder");
                goto out;
            }
        } else if (offline) {
            ret = cli_usage_error("extend", "level %s with --offline needs --vdata DIR",
                                  lts_level_name(eo.level));
            goto out;
        } else {
            vo.timeout_s = to.timeout_s;
            vo.trust_file = to.trust_file;
            if (lts_vdata_online_new(&vdata, &vo) != LTS_OK) {
                ret = cli_fail("cannot collect validation data");
                goto out;
            }
        }
        eo.vdata = vdata;
        eo.trust_file = to.trust_file;
        cli_note("extend", "validation data: %s", vdata_dir ? vdata_dir : "online (AIA, CRL, OCSP)");
    }
    if (fmt == LTS_FORMAT_PADES) {
        /* PAdES streams the PDF and writes OUT atomically itself */
        lts_pades_extend_opts po = LTS_PADES_EXTEND_OPTS_INIT;
        po.level = eo.level;
        po.tsa = eo.tsa;
        po.vdata = eo.vdata;
        po.trust_file = to.trust_file;
        if (lts_pades_extend(in, out, &po) != LTS_OK)
            ret = cli_fail(NULL);
        goto out;
    }
    if (fmt == LTS_FORMAT_XADES) {
        lts_xades_extend_opts xo = LTS_XADES_EXTEND_OPTS_INIT;
        xo.level = eo.level;
        xo.tsa = eo.tsa;
        xo.vdata = eo.vdata;
        xo.trust_file = to.trust_file;
        if (lts_xades_extend_file(&res, in, &xo) != LTS_OK) {
            ret = cli_fail(NULL);
            goto out;
        }
    } else if (lts_cades_extend(&res, lts_buf_span(&data), &eo) != LTS_OK) {
        ret = cli_fail(in);
        goto out;
    }
    if (lts_io__write_atomic(out, lts_buf_span(&res), 0) != LTS_OK)
        ret = cli_fail(NULL);
out:
    if (ret == CLI_OK)
        cli_note_result("extend", out, NULL, to.trust_file);
    lts_vdata_free(vdata);
    lts_tsa_close(tsa);
    lts_buf_dispose(&data);
    lts_buf_dispose(&res);
    return ret;
}
