/* ltsig sign --format pades: not built yet. */
#include <stdio.h>
#include "cli.h"

int cli_sign_pades(const cli_sign_args *a, lts_signer *signer)
{
    (void)a;
    (void)signer;
    fprintf(stderr, "ltsig: --format pades is not supported yet\n");
    return CLI_USAGE;
}
