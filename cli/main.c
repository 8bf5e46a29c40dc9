/* ltsig: the command line. One file per command; this one dispatches. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* -1 --quiet, 0 normal, 1 --verbose, given before the command (cli.h). */
int cli_verbosity = 0;

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "sign", cmd_sign, "sign a file (CAdES, XAdES or PAdES) at a chosen level" },
    { "extend", cmd_extend, "raise a signature to a higher level (B-T, B-LT, B-LTA, ES-*)" },
    { "verify", cmd_verify, "validate the signatures of a file and print a report" },
    { "info", cmd_info, "what is inside a signed file: levels, timestamps, protection end" },
    { "renew", cmd_renew, "archival renewal job: re-timestamp what is about to expire" },
    { "tsa-serve", cmd_tsa_serve, "run an RFC 3161 timestamp authority over HTTP" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ltsig [-q|--quiet | -v|--verbose] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexamples:\n"
               "  ltsig sign --format pades --level B-LTA --signer file:me.p12 --passin env:PASS \\\n"
               "             --tsa http://tsa.example/ -o signed.pdf contract.pdf\n"
               "  ltsig verify --trust roots.pem --report json signed.pdf\n"
               "  ltsig renew --within 90 --jobs 4 --tsa http://tsa.example/ /archive\n");
    fprintf(f, "\n'ltsig <command> --help' describes a command.\n"
               "  -q, --quiet    errors and the requested output only (also after the\n"
               "                 command name; verify: no report unless --report or -o,\n"
               "                 the exit code speaks; renew: failures and the summary)\n"
               "  -v, --verbose  progress and detail lines on stderr (sign/extend: backend,\n"
               "                 TSA, level reached; verify: one line per check; renew:\n"
               "                 one line for every file)\n"
               "exit codes: 0 success (verify: TOTAL_PASSED; renew: no file failed)\n"
               "            1 verify: TOTAL_FAILED; renew: some files failed (see its report)\n"
               "            2 verify: INDETERMINATE    3 usage error\n"
               "            4 other error (input, I/O, network, key, TSA)\n");
}

int main(int argc, char **argv)
{
    while (argc > 1 && (strcmp(argv[1], "-q") == 0 || strcmp(argv[1], "--quiet") == 0 ||
                        strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--verbose") == 0)) {
        int v = argv[1][1] == 'q' || argv[1][2] == 'q' ? -1 : 1;
        if (cli_verbosity != 0 && cli_verbosity != v) {
            fprintf(stderr, "ltsig: --quiet and --verbose exclude each other\n");
            return CLI_USAGE;
        }
        cli_verbosity = v;
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ltsig 0.1.0\n");
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "ltsig: unknown command '%s' (see ltsig --help)\n", argv[1]);
    return CLI_USAGE;
}
