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

/** -q/--quiet (v = -1) or -v/--verbose (v = 1), before or after the command name: sets
 *  cli_verbosity. Returns 0, or CLI_USAGE (printed) when the other one was given too. */
int cli_set_verbosity(const char *cmd, int v);
/** With --verbose only: "ltsig CMD: <text>" on stderr (progress and detail lines). */
void cli_note(const char *cmd, const char *fmt, ...) LTS_PRINTF(2, 3);
/** With --verbose only, after a signed file was written: read it back (offline, never the
 *  network) and say its format, the level reached, the signer and its time-stamps. */
void cli_note_result(const char *cmd, const char *path, const char *detached, const char *trust);
/** With --verbose only: the per-check lines of a validation report (each signature's
 *  verdict, each time-stamp, each message) on stderr. */
void cli_note_report(const char *cmd, const lts_report *r);
/** The kind of signer a URI names ("file", "pkcs11", "csc"): never the rest of the URI,
 *  which may carry a PIN. */
const char *cli_signer_kind(const char *uri, char *buf, size_t cap);

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
