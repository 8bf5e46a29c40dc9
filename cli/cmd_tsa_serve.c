/* ltsig tsa-serve: an RFC 3161 time-stamping authority over HTTP, for tests and demos.
 * Runs until SIGTERM or SIGINT, then stops cleanly (requests in flight finish). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"



static const char help[] =
    "usage: ltsig tsa-serve --signer URI [--passin env:VAR|file:PATH|pass:TEXT]\n"
    "                       [--policy OID] [--hash sha256|sha384|sha512] [--accuracy SECONDS]\n"
    "                       [--threads N] [--bind ADDRESS] [--timeout SECONDS] [-q|-v]\n"
    "                       --port N\n"
    "\n"
    "Serve RFC 3161 timestamps: POST application/timestamp-query to any path of\n"
    "http://ADDRESS:N/ and get an application/timestamp-reply. Tokens are signed by the\n"
    "signer (file:, pkcs11: or csc:), whose certificate must carry the critical\n"
    "timeStamping extended key usage. Runs until SIGTERM or SIGINT.\n"
    "\n"
    "  --signer URI      the TSA key: file:tsa.p12, pkcs11:token=...;object=..., csc:...\n"
    "  --passin SRC      where the PKCS#12 password or PIN comes from (never on the command\n"
    "                    line itself except as pass: in tests)\n"
    "  --policy OID      the TSA policy (default " LTS_TSA_DEFAULT_POLICY ", a test OID)\n"
    "  --hash H          digest of the token signature (default sha256)\n"
    "  --accuracy S      announce an accuracy of S seconds (default: no accuracy field)\n"
    "  --threads N       worker threads (default 4)\n"
    "  --bind ADDRESS    IPv4 address to listen on (default 127.0.0.1: loopback only)\n"
    "  --port N          TCP port (1-65535)\n"
    "  --timeout S       network calls of a csc: signer (default 30)\n"
    "  -q, --quiet       errors only (no \"listening\" / \"stopping\" lines)\n"
    "  -v, --verbose     also the settings in force at start (signer backend, hash,\n"
    "                    accuracy, threads)\n"
    "\n"
    "example:\n"
    "  ltsig tsa-serve --signer file:tsa.p12 --passin env:TSA_PASS --port 8318\n"
    "  openssl ts -query -data doc.pdf -sha256 -cert -out q.tsq\n"
    "  curl -s --data-binary @q.tsq -H 'Content-Type: application/timestamp-query' \\\n"
    "       -o r.tsr http://127.0.0.1:8318/\n";

enum { O_SIGNER = 256, O_PASSIN, O_POLICY, O_HASH, O_ACCURACY, O_THREADS, O_BIND, O_PORT,
       O_TIMEOUT, O_HELP };

static const struct option longopts[] = {
    { "signer", required_argument, NULL, O_SIGNER },
    { "passin", required_argument, NULL, O_PASSIN },
    { "policy", required_argument, NULL, O_POLICY },
    { "hash", required_argument, NULL, O_HASH },
    { "accuracy", required_argument, NULL, O_ACCURACY },
    { "threads", required_argument, NULL, O_THREADS },
    { "bind", required_argument, NULL, O_BIND },
    { "port", required_argument, NULL, O_PORT },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

/* A whole decimal number in [lo, hi], or -1. */
static long number(const char *s, long lo, long hi)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

static int serve(const char *uri, const lts_signer_opts *so, const lts_tsa_responder_opts *ro,
                 const lts_tsa_server_opts *sv)
{
    lts_signer *signer = NULL;
    lts_tsa_responder *r = NULL;
    lts_tsa_server *srv = NULL;
    int ret = CLI_OK, sig = 0;
    char kind[16];
    sigset_t set;

    /* Block the stop signals in every thread (the server's pool inherits the mask), and
     * wait for them here: no handler, no global flag. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    if (lts_signer_open(&signer, uri, so) != LTS_OK) {
        ret = cli_fail("cannot open the TSA signer");
        goto out;
    }
    if (lts_tsa_responder_new(&r, signer, ro) != LTS_OK) {
        ret = cli_fail("cannot make the TSA responder");
        goto out;
    }
    if (lts_tsa_server_start(&srv, r, sv) != LTS_OK) {
        ret = cli_fail("cannot start the TSA server");
        goto out;
    }
    cli_note("tsa-serve", "signer: %s backend; token signature hash %s; accuracy %s%u s; "
                          "%u threads", cli_signer_kind(uri, kind, sizeof kind),
             ro->hash == LTS_HASH_NONE ? "SHA-256" : lts_hash_name(ro->hash),
             ro->accuracy_s ? "" : "none, ", ro->accuracy_s, sv->threads ? sv->threads : 4);
    if (cli_verbosity >= 0)
        fprintf(stderr, "ltsig tsa-serve: listening on http://%s:%u/ (policy %s)\n",
                sv->bind ? sv->bind : "127.0.0.1", lts_tsa_server_port(srv),
                ro->policy ? ro->policy : LTS_TSA_DEFAULT_POLICY);
    fflush(stderr);
    if (sigwait(&set, &sig) != 0)
        sig = 0;
    if (cli_verbosity >= 0)
        fprintf(stderr, "ltsig tsa-serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
out:
    lts_tsa_server_stop(srv);
    lts_tsa_responder_free(r);
    lts_signer_close(signer);
    return ret;
}

int cmd_tsa_serve(int argc, char **argv)
{
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    lts_tsa_responder_opts ro = LTS_TSA_RESPONDER_OPTS_INIT;
    lts_tsa_server_opts sv = LTS_TSA_SERVER_OPTS_INIT;
    const char *uri = NULL;
    long port = -1, v;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "qv", longopts, NULL)) != -1) {
        switch (c) {
        case O_SIGNER: uri = optarg; break;
        case O_PASSIN: so.passin = optarg; break;
        case O_POLICY: ro.policy = optarg; break;
        case O_HASH:
            if (lts_hash_parse(&ro.hash, optarg) != LTS_OK || ro.hash == LTS_HASH_SHA1)
                return cli_usage_error("tsa-serve", "--hash takes sha256, sha384 or sha512");
            break;
        case O_ACCURACY:
            if ((v = number(optarg, 1, 3600)) < 0)
                return cli_usage_error("tsa-serve", "--accuracy takes 1 to 3600 seconds");
            ro.accuracy_s = (unsigned int)v;
            break;
        case O_THREADS:
            if ((v = number(optarg, 1, 64)) < 0)
                return cli_usage_error("tsa-serve", "--threads takes 1 to 64");
            sv.threads = (unsigned int)v;
            break;
        case O_BIND: sv.bind = optarg; break;
        case O_PORT:
            if ((port = number(optarg, 1, 65535)) < 0)
                return cli_usage_error("tsa-serve", "--port takes 1 to 65535");
            break;
        case O_TIMEOUT:
            if ((v = number(optarg, 1, 3600)) < 0)
                return cli_usage_error("tsa-serve", "--timeout takes 1 to 3600 seconds");
            so.timeout_s = v;
            break;
        case 'q':
        case 'v':
            if (cli_set_verbosity("tsa-serve", c == 'q' ? -1 : 1) != 0)
                return CLI_USAGE;
            break;
        case O_HELP: fputs(help, stdout); return CLI_OK;
        default: return cli_usage_error("tsa-serve", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("tsa-serve", "unexpected argument '%s'", argv[optind]);
    if (uri == NULL)
        return cli_usage_error("tsa-serve", "--signer is required");
    if (port < 0)
        return cli_usage_error("tsa-serve", "--port is required");
    sv.port = (unsigned int)port;
    return serve(uri, &so, &ro, &sv);
}
