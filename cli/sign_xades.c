/* ltsig sign --format xades: not built yet. */
#include <stdio.h>
#include "cli.h"

int cli_sign_xades(const cli_sign_args *a, lts_signer *signer)
{
    (void)a;
    (void)signer;
    fprintf(stderr, "ltsig: --format xades is not supported yet\n");
    return CLI_USAGE;
}
