/* backend/server/cmd_int.h — private to ltsigd: what the command files share. */
#ifndef LTS_SRV_CMD_INT_H
#define LTS_SRV_CMD_INT_H

#include "srv_int.h"

typedef struct {
    const char *config, *user, *password_file, *pin_file, *algo, *credential, *subject,
        *chain, *output, *p12, *passin, *input;
} srv_opts;

/** getopt_long over the ltsigd options; -1 on a usage error (already printed). */
int srv_parse_opts(int argc, char **argv, srv_opts *o);
/** Print "ltsigd: what: <last error>" to stderr; returns 1. */
int srv_fail(const char *what);
/** Print the usage; returns 2. */
int srv_usage(const char *text);
/** Load the configuration, open (and create) the database, and the token if asked. */
lts_status srv_open_ctx(srv_ctx *ctx, const char *config, int with_token);
void srv_close_ctx(srv_ctx *ctx);
/** 1 when s is 1..max of [A-Za-z0-9._@-]. */
int srv_name_ok(const char *s, size_t max);
/** Unix time now, as text. */
void srv_now_str(char out[24]);

/** ltsigd key backup: wrap the credential's key under the token's backup key and write
 *  it with the credential's record and an HMAC tag to path (cmd_backup.c). */
lts_status srv_key_backup(srv_ctx *ctx, const char *cred_id, const char *path);
/** ltsigd key restore: check the tag, unwrap the key into the token, re-register the
 *  credential for its owner. *cred_out (lts_malloc) gets the credential ID. */
lts_status srv_key_restore(srv_ctx *ctx, const char *path, char **cred_out);

#endif
