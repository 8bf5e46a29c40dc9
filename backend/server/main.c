/* ltsigd — the remote signing service (CSC API v2) and its administration commands.
 * See docs/ltsigd.md. */
#include "srv_int.h"

#include <stdio.h>
#include <string.h>

static int usage(void)
{
    fputs("usage: ltsigd init     --config FILE\n"
          "       ltsigd serve    --config FILE\n"
          "       ltsigd user add --config FILE --user NAME --password-file F\n"
          "       ltsigd user lock --config FILE (--user NAME | --credential ID)\n"
          "       ltsigd user unlock --config FILE (--user NAME | --credential ID)\n"
          "       ltsigd key generate --config FILE --user NAME "
          "--algo rsa2048|rsa3072|ec-p256|ec-p384 --pin-file F\n"
          "       ltsigd key csr  --config FILE --credential ID --subject DN -o REQ.pem\n"
          "       ltsigd key cert --config FILE --credential ID --chain CHAIN.pem\n"
          "       ltsigd key import --config FILE --user NAME --p12 FILE --passin SRC "
          "--pin-file F\n"
          "       ltsigd key backup --config FILE --credential ID -o BLOB\n"
          "       ltsigd key restore --config FILE -i BLOB\n"
          "       ltsigd audit verify --config FILE\n"
          "       ltsigd audit anchor --config FILE\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "init") == 0)
        return srv_cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return srv_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "user") == 0)
        return srv_cmd_user(argc - 1, argv + 1);
    if (strcmp(cmd, "key") == 0)
        return srv_cmd_key(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0)
        return srv_cmd_audit(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage();
        return 0;
    }
    fprintf(stderr, "ltsigd: unknown command '%s'\n", cmd);
    return usage();
}
