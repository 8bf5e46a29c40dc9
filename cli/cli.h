/* cli/cli.h — the ltsig command: shared helpers of the command files. */
#ifndef LTS_CLI_H
#define LTS_CLI_H

#include <stdio.h>
#include <ltsig/ltsig.h>
#include <ltsig/vdata.h>

/* Exit codes (DESIGN.md): verify uses 0/1/2 for its verdicts; 3 and above are errors. */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1,
    CLI_INDETERMINATE = 2,
    CLI_USAGE = 3,
    CLI_ERROR = 4
};

/** -1 --quiet, 0 normal, 1 --verbose: given before the command (main.c). */
extern int cli_verbosity;

/** What every signing command needs, parsed from the common flags. */
typedef struct {
    const char *format;   /* cades | xades | pades */
    lts_level level;
    const char *signer_uri;
    lts_signer_opts sopts;
    const char *tsa_urls[8];
    size_t n_tsa;
    const char *trust;
    const char *vdata_dir;
    int offline;
    long timeout_s;
    int detached;
    int enveloping;
    const char *detached_content;
    lts_hash hash;
    const char *out;
    const char *in;
    int certify;          /* PAdES: DocMDP /P 1..3 of a certification signature; 0 = none */
    const char *visible;  /* PAdES: "page,x1,y1,x2,y2" of a visible signature; NULL = none */
} cli_sign_args;

/** Print "ltsig: <context>: <last error>" on stderr and return CLI_ERROR (or CLI_USAGE
 *  for configuration errors). */
int cli_fail(const char *context);
/** Print a usage error and return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) LTS_PRINTF(2, 3);

/** The providers a signing level needs: the TSA client of --tsa (when given) and, at B-LT,
 *  B-LTA, ES-XL and ES-A, a validation data source (--vdata DIR offline, else online).
 *  On failure prints the error, leaves both NULL and returns the exit code. */
int cli_open_providers(const cli_sign_args *a, lts_tsa **tsa, lts_vdata_source **vdata);

int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_extend(int argc, char **argv);
int cmd_tsa_serve(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_renew(int argc, char **argv);

/* One signing function per format, each in its own file (sign_<format>.c). They write
 * a->out atomically, and nothing at all on failure. */
int cli_sign_cades(const cli_sign_args *a, lts_signer *signer);
int cli_sign_xades(const cli_sign_args *a, lts_signer *signer);
int cli_sign_pades(const cli_sign_args *a, lts_signer *signer);

#endif
