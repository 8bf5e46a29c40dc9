/* ltsig sign: parse the flags, open the signer, hand over to the format's signing file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char help[] =
    "usage: ltsig sign --format cades|xades|pades --level LEVEL --signer URI\n"
    "                  [--passin env:VAR|file:PATH|pass:TEXT] [--tsa URL]... [--trust FILE]\n"
    "                  [--detached] [--enveloping] [--hash sha256|sha384|sha512]\n"
    "                  [--offline] [--vdata DIR] [--timeout SECONDS]\n"
    "                  [--certify 1|2|3] [--visible PAGE,X1,Y1,X2,Y2] [-q|-v] -o OUT IN\n"
    "\n"
    "Sign IN and write the signed result to OUT (written atomically; IN is never changed).\n"
    "\n"
    "  --format F        cades (CMS, .p7s/.p7m), xades (XML) or pades (PDF)\n"
    "  --level L         B-B, B-T, B-LT, B-LTA (ETSI) or ES-T, ES-XL, ES-A (ISO 14533)\n"
    "  --signer URI      file:KEY.p12 | file:KEY.pem?cert=CHAIN.pem | pkcs11:token=..;object=..\n"
    "                    | csc:https://host/csc/v2\n"
    "  --passin SRC      where the PKCS#12 password or PIN comes from (never on the command\n"
    "                    line in production: prefer env:VAR or file:PATH)\n"
    "  --tsa URL         RFC 3161 timestamp authority, for B-T and above (repeat for failover)\n"
    "  --trust FILE      trust anchors (PEM) used to check the TSA and validation data\n"
    "  --detached        CAdES/XAdES: do not embed the content\n"
    "  --enveloping      XAdES: put the content inside the signature\n"
    "  --hash H          digest algorithm (default sha256)\n"
    "  --offline         never reach the network; with --vdata DIR for validation data\n"
    "  --timeout S       per network call (default 30)\n"
    "  --certify P       PAdES: a certification signature (DocMDP): 1 no changes, 2 form\n"
    "                    filling and signing, 3 also annotations\n"
    "  --visible P,R     PAdES: a visible signature on page P (1 = first) in the rectangle\n"
    "                    X1,Y1,X2,Y2 (PDF points)\n"
    "  -q, --quiet       errors only\n"
    "  -v, --verbose     say which backend and TSA are used and the level reached\n"
    "  csc: signers also take --csc-user NAME --csc-password-file F [--csc-credential ID]\n"
    "                    --csc-pin-file F (--csc-totp-secret-file F | --csc-otp-file F)\n"
    "\n"
    "examples:\n"
    "  ltsig sign --format cades --level B-B --signer file:me.p12 --passin env:P12PASS \\\n"
    "             --detached -o contract.pdf.p7s contract.pdf\n";

enum {
    O_FORMAT = 256, O_LEVEL, O_SIGNER, O_PASSIN, O_TSA, O_TRUST, O_DETACHED, O_ENVELOPING,
    O_HASH, O_OFFLINE, O_VDATA, O_TIMEOUT, O_CSC_USER, O_CSC_PASSWORD_FILE, O_CSC_CREDENTIAL,
    O_CSC_PIN_FILE, O_CSC_TOTP, O_CSC_OTP, O_HELP, O_CERTIFY, O_VISIBLE
};

static const struct option longopts[] = {
    { "format", required_argument, NULL, O_FORMAT },
    { "level", required_argument, NULL, O_LEVEL },
    { "signer", required_argument, NULL, O_SIGNER },
    { "passin", required_argument, NULL, O_PASSIN },
    { "tsa", required_argument, NULL, O_TSA },
    { "trust", required_argument, NULL, O_TRUST },
    { "detached", no_argument, NULL, O_DETACHED },
    { "enveloping", no_argument, NULL, O_ENVELOPING },
    { "hash", required_argument, NULL, O_HASH },
    { "offline", no_argument, NULL, O_OFFLINE },
    { "vdata", required_argument, NULL, O_VDATA },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "csc-user", required_argument, NULL, O_CSC_USER },
    { "csc-password-file", required_argument, NULL, O_CSC_PASSWORD_FILE },
    { "csc-credential", required_argument, NULL, O_CSC_CREDENTIAL },
    { "csc-pin-file", required_argument, NULL, O_CSC_PIN_FILE },
    { "csc-totp-secret-file", required_argument, NULL, O_CSC_TOTP },
    { "csc-otp-file", required_argument, NULL, O_CSC_OTP },
    { "certify", required_argument, NULL, O_CERTIFY },
    { "visible", required_argument, NULL, O_VISIBLE },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse(int argc, char **argv, cli_sign_args *a)
{
    const char *level = NULL, *hash = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case O_FORMAT: a->format = optarg; break;
        case O_LEVEL: level = optarg; break;
        case O_SIGNER: a->signer_uri = optarg; break;
        case O_PASSIN: a->sopts.passin = optarg; break;
        case O_TSA:
            if (a->n_tsa == sizeof a->tsa_urls / sizeof a->tsa_urls[0])
                return cli_usage_error("sign", "too many --tsa URLs");
            a->tsa_urls[a->n_tsa++] = optarg;
            break;
        case O_TRUST: a->trust = optarg; break;
        case O_DETACHED: a->detached = 1; break;
        case O_ENVELOPING: a->enveloping = 1; break;
        case O_HASH: hash = optarg; break;
        case O_OFFLINE: a->offline = 1; break;
        case O_VDATA: a->vdata_dir = optarg; break;
        case O_TIMEOUT: {
            char *end = NULL;
            a->timeout_s = strtol(optarg, &end, 10);
            if (!end || *end || a->timeout_s <= 0 || a->timeout_s > 3600)
                return cli_usage_error("sign", "--timeout takes 1 to 3600 seconds");
            a->sopts.timeout_s = a->timeout_s;
            break;
        }
        case O_CSC_USER: a->sopts.csc_user = optarg; break;
        case O_CSC_PASSWORD_FILE: a->sopts.csc_password_file = optarg; break;
        case O_CSC_CREDENTIAL: a->sopts.csc_credential = optarg; break;
        case O_CSC_PIN_FILE: a->sopts.csc_pin_file = optarg; break;
        case O_CSC_TOTP: a->sopts.csc_totp_secret_file = optarg; break;
        case O_CSC_OTP: a->sopts.csc_otp_file = optarg; break;
        case O_CERTIFY:
            if (strcmp(optarg, "1") && strcmp(optarg, "2") && strcmp(optarg, "3"))
                return cli_usage_error("sign", "--certify takes 1, 2 or 3");
            a->certify = optarg[0] - '0';
            break;
        case O_VISIBLE: a->visible = optarg; break;
        case 'o': a->out = optarg; break;
        case 'q':
        case 'v':
            if (cli_set_verbosity("sign", c == 'q' ? -1 : 1) != 0)
                return CLI_USAGE;
            break;
        case 'h':
        case O_HELP: fputs(help, stdout); return -1;
        default: return cli_usage_error("sign", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("sign", "give exactly one input file");
    a->in = argv[optind];
    if (!a->format)
        return cli_usage_error("sign", "--format is required");
    if (strcmp(a->format, "cades") && strcmp(a->format, "xades") && strcmp(a->format, "pades"))
        return cli_usage_error("sign", "unknown --format '%s' (cades, xades or pades)", a->format);
    if ((a->certify || a->visible) && strcmp(a->format, "pades"))
        return cli_usage_error("sign", "--certify and --visible apply to PAdES only");
    if (!level)
        return cli_usage_error("sign", "--level is required");
    if (lts_level_parse(&a->level, level) != LTS_OK)
        return cli_usage_error("sign", "%s", lts_error_last()->message);
    if (!a->signer_uri)
        return cli_usage_error("sign", "--signer is required");
    if (!a->out)
        return cli_usage_error("sign", "-o OUT is required");
    if (hash && lts_hash_parse(&a->hash, hash) != LTS_OK)
        return cli_usage_error("sign", "%s", lts_error_last()->message);
    if (lts_level_needs_tsa(a->level) && a->n_tsa == 0)
        return cli_usage_error("sign", "level %s needs a timestamp authority (--tsa URL)",
                               lts_level_name(a->level));
    if (strcmp(a->in, a->out) == 0)
        return cli_usage_error("sign", "the output must not be the input file");
    return 0;
}

int cmd_sign(int argc, char **argv)
{
    cli_sign_args a;
    lts_signer_opts def = LTS_SIGNER_OPTS_INIT;
    lts_signer *signer = NULL;
    char kind[16];
    int ret;

    memset(&a, 0, sizeof a);
    a.sopts = def;
    a.hash = LTS_HASH_SHA256;
    ret = parse(argc, argv, &a);
    if (ret != 0)
        return ret < 0 ? CLI_OK : ret;
    cli_note("sign", "signer: %s backend", cli_signer_kind(a.signer_uri, kind, sizeof kind));
    if (lts_signer_open(&signer, a.signer_uri, &a.sopts) != LTS_OK)
        return cli_fail("cannot open the signer");
    cli_note("sign", "%s %s of %s", a.format, lts_level_name(a.level), a.in);
    for (size_t i = 0; i < a.n_tsa; i++)
        cli_note("sign", "time-stamp authority%s: %s", i ? " (failover)" : "", a.tsa_urls[i]);
    if (a.level == LTS_LEVEL_B_LT || a.level == LTS_LEVEL_B_LTA || a.level == LTS_LEVEL_ES_XL ||
        a.level == LTS_LEVEL_ES_A)
        cli_note("sign", "validation data: %s", a.vdata_dir ? a.vdata_dir
                                                : a.offline ? "none (offline)"
                                                            : "online (AIA, CRL, OCSP)");
    if (strcmp(a.format, "cades") == 0)
        ret = cli_sign_cades(&a, signer);
    else if (strcmp(a.format, "xades") == 0)
        ret = cli_sign_xades(&a, signer);
    else
        ret = cli_sign_pades(&a, signer);
    lts_signer_close(signer);
    if (ret == CLI_OK)
        cli_note_result("sign", a.out, a.detached ? a.in : NULL, a.trust);
    return ret;
}
