/* ltsigd administration commands: init, user add, audit verify, serve. The key commands
 * are in cmd_key.c. Spellings are fixed by DESIGN.md. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include "core/err.h"
#include "core/mem.h"
#include "core/totp.h"
#include "cmd_int.h"

int srv_fail(const char *what)
{
    const lts_error *e = lts_error_last();
    fprintf(stderr, "ltsigd: %s%s%s\n", what ? what : "", what ? ": " : "",
            e->message && *e->message ? e->message : lts_status_name(e->code));
    return 1;
}

int srv_usage(const char *text)
{
    fprintf(stderr, "usage: %s\n", text);
    return 2;
}

lts_status srv_open_ctx(srv_ctx *ctx, const char *config, int with_token)
{
    lts_status rc = LTS_OK;
    memset(ctx, 0, sizeof *ctx);
    LTS_TRY(srv_conf_load(&ctx->conf, config));
    ctx->log_level = srv_log_level_parse(ctx->conf->log_level);
    LTS_TRY(srv_db_open(&ctx->db, ctx->conf->database));
    LTS_TRY(srv_store_schema(ctx->db));
    if (with_token)
        LTS_TRY(srv_p11_open(&ctx->p11, ctx->conf));
out:
    return rc;
}

void srv_close_ctx(srv_ctx *ctx)
{
    srv_pkcache_free(ctx->pkc);
    srv_authcache_free(ctx->ac);
    srv_p11_close(ctx->p11);
    srv_db_close(ctx->db);
    srv_conf_free(ctx->conf);
    memset(ctx, 0, sizeof *ctx);
}

int srv_name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@')
            return 0;
    }
    return 1;
}

void srv_now_str(char out[24])
{
    snprintf(out, 24, "%lld", (long long)time(NULL));
}

/* ---- option parsing shared by the commands ----------------------------------------- */

int srv_parse_opts(int argc, char **argv, srv_opts *o)
{
    static const struct option lo[] = {
        { "config", required_argument, NULL, 'c' },
        { "user", required_argument, NULL, 'u' },
        { "password-file", required_argument, NULL, 'P' },
        { "pin-file", required_argument, NULL, 'p' },
        { "algo", required_argument, NULL, 'a' },
        { "credential", required_argument, NULL, 'C' },
        { "subject", required_argument, NULL, 's' },
        { "chain", required_argument, NULL, 'k' },
        { "output", required_argument, NULL, 'o' },
        { "p12", required_argument, NULL, '1' },
        { "passin", required_argument, NULL, 'n' },
        { "input", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "o:i:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'c': o->config = optarg; break;
        case 'u': o->user = optarg; break;
        case 'P': o->password_file = optarg; break;
        case 'p': o->pin_file = optarg; break;
        case 'a': o->algo = optarg; break;
        case 'C': o->credential = optarg; break;
        case 's': o->subject = optarg; break;
        case 'k': o->chain = optarg; break;
        case 'o': o->output = optarg; break;
        case '1': o->p12 = optarg; break;
        case 'n': o->passin = optarg; break;
        case 'i': o->input = optarg; break;
        default: return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ltsigd: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->config == NULL) {
        fprintf(stderr, "ltsigd: --config FILE is required\n");
        return -1;
    }
    return 0;
}

/* ---- init ----------------------------------------------------------------------------- */

int srv_cmd_init(int argc, char **argv)
{
    srv_opts o;
    srv_ctx ctx;
    int ret = 1, made = 0;
    if (srv_parse_opts(argc, argv, &o) != 0)
        return srv_usage("ltsigd init --config FILE");
    if (srv_open_ctx(&ctx, o.config, 0) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    /* the backup key first: it needs an SO session, and the user session excludes one */
    if (ctx.conf->token_so_pin_file) {
        if (srv_p11_backup_key_ensure(ctx.conf, &made) != LTS_OK) {
            ret = srv_fail("backup key");
            goto out;
        }
        if (made && srv_audit(ctx.db, "key.backup_key", "admin", "", "ok",
                              "created " SRV_BACKUP_KEY_LABEL) != LTS_OK) {
            ret = srv_fail("audit log");
            goto out;
        }
    }
    if (srv_p11_open(&ctx.p11, ctx.conf) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    if (srv_audit(ctx.db, "init", "admin", "", "ok", "schema created, token checked") != LTS_OK) {
        ret = srv_fail("audit log");
        goto out;
    }
    /* a postgresql:// URI may hold a password: name the engine only */
    printf("ltsigd: database %s ready, token '%s' reachable\n",
           strstr(ctx.conf->database, "://") ? "(PostgreSQL)" : ctx.conf->database,
           ctx.conf->token_label);
    if (ctx.conf->token_so_pin_file)
        printf("ltsigd: backup key '%s' %s\n", SRV_BACKUP_KEY_LABEL,
               made ? "created" : "present");
    ret = 0;
out:
    srv_close_ctx(&ctx);
    return ret;
}

/* ---- user add -------------------------------------------------------------------------- */

static lts_status user_add(srv_ctx *ctx, const srv_opts *o)
{
    lts_status rc = LTS_OK;
    lts_buf pw = LTS_BUF_INIT_MAX(4096), secret_b32 = LTS_BUF_INIT;
    uint8_t secret[20];
    char *hash = NULL, now[24];
    LTS_ENSURE(srv_name_ok(o->user, 64), LTS_E_INPUT,
               "user name must be 1..64 of A-Z a-z 0-9 . _ - @");
    LTS_TRY(srv_secret_file(&pw, o->password_file, "password"));
    LTS_ENSURE(pw.n >= 8, LTS_E_INPUT, "%s: the password must have at least 8 characters",
               o->password_file);
    LTS_TRY(srv_pw_hash(ctx->conf, (const char *)pw.p, pw.n, &hash));
    LTS_TRY(srv_random(secret, sizeof secret));
    LTS_TRY(lts_base32__encode(&secret_b32, lts_span_of(secret, sizeof secret)));
    srv_now_str(now);
    const char *p[] = { o->user, hash, (const char *)secret_b32.p, now };
    long changes = 0;
    LTS_TRY(srv_db_exec(ctx->db, "INSERT INTO users(name, pw_hash, totp_secret, created) "
                                 "VALUES ($1, $2, $3, $4) ON CONFLICT(name) DO NOTHING",
                        p, 4, NULL, NULL, &changes));
    LTS_ENSURE(changes == 1, LTS_E_INPUT, "user '%s' exists already", o->user);
    LTS_TRY(srv_audit(ctx->db, "user.add", "admin", "", "ok", o->user));
    printf("otpauth://totp/ltsigd:%s?secret=%s&issuer=ltsigd&algorithm=SHA1&digits=6&period=30\n",
           o->user, (const char *)secret_b32.p);
out:
    OPENSSL_cleanse(secret, sizeof secret);
    lts_buf_wipe(&secret_b32);
    lts_buf_wipe(&pw);
    lts_free(hash);
    return rc;
}

/* Lock (lock != 0) or unlock a user or one credential. A lock takes effect for the next
 * request of a running ltsigd, also one already checked from its cache: the triggers on
 * these columns raise auth_gen (authcache.c). Unlocking also clears the failure count. */
static lts_status set_lock(srv_ctx *ctx, const srv_opts *o, int lock)
{
    lts_status rc = LTS_OK;
    long changes = 0;
    const char *ev;
    if (o->credential) {
        const char *p[] = { o->credential };
        LTS_TRY(srv_db_exec(ctx->db, lock ? "UPDATE credentials SET locked = 1 WHERE id = $1"
                                          : "UPDATE credentials SET failures = 0, locked = 0 "
                                            "WHERE id = $1",
                            p, 1, NULL, NULL, &changes));
        LTS_ENSURE(changes == 1, LTS_E_NOTFOUND, "no credential '%.64s'", o->credential);
        ev = lock ? "credential.lock" : "credential.unlock";
        LTS_TRY(srv_audit(ctx->db, ev, "admin", o->credential, "ok", ""));
    } else {
        const char *p[] = { o->user };
        LTS_TRY(srv_db_exec(ctx->db, lock ? "UPDATE users SET locked = 1 WHERE name = $1"
                                          : "UPDATE users SET failures = 0, locked = 0 "
                                            "WHERE name = $1",
                            p, 1, NULL, NULL, &changes));
        LTS_ENSURE(changes == 1, LTS_E_NOTFOUND, "no user '%.64s'", o->user);
        ev = lock ? "user.lock" : "user.unlock";
        LTS_TRY(srv_audit(ctx->db, ev, "admin", "", "ok", o->user));
    }
out:
    return rc;
}

int srv_cmd_user(int argc, char **argv)
{
    static const char use[] =
        "ltsigd user add --config FILE --user NAME --password-file F\n"
        "       ltsigd user lock --config FILE (--user NAME | --credential ID)\n"
        "       ltsigd user unlock --config FILE (--user NAME | --credential ID)";
    srv_opts o;
    srv_ctx ctx;
    int ret = 1;
    if (argc < 2)
        return srv_usage(use);
    int add = strcmp(argv[1], "add") == 0, lck = strcmp(argv[1], "lock") == 0;
    int unl = lck || strcmp(argv[1], "unlock") == 0;
    if ((!add && !unl) || srv_parse_opts(argc - 1, argv + 1, &o) != 0)
        return srv_usage(use);
    if ((add && (!o.user || !o.password_file)) || (unl && !o.user == !o.credential))
        return srv_usage(use);
    if (srv_open_ctx(&ctx, o.config, 0) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    if ((add ? user_add(&ctx, &o) : set_lock(&ctx, &o, lck)) != LTS_OK) {
        ret = srv_fail(add ? "user add" : argv[1]);
        goto out;
    }
    ret = 0;
out:
    srv_close_ctx(&ctx);
    return ret;
}

/* ---- audit verify ---------------------------------------------------------------------- */

static int audit_anchor_now(const srv_opts *o)
{
    srv_ctx ctx;
    int ret = 1, made = 0;
    if (srv_open_ctx(&ctx, o->config, 0) != LTS_OK) {
        ret = srv_fail(o->config);
        goto out;
    }
    if (ctx.conf->tsa_url == NULL) {
        fprintf(stderr, "ltsigd: %s: 'tsa_url' is needed to anchor the log\n", o->config);
        goto out;
    }
    if (srv_audit_anchor(ctx.conf, ctx.db, 1, &made) != LTS_OK) {
        ret = srv_fail("audit anchor");
        goto out;
    }
    printf("ltsigd: %s\n", made ? "head of the log time-stamped"
                                 : "nothing to anchor (the head is anchored already)");
    ret = 0;
out:
    srv_close_ctx(&ctx);
    return ret;
}

int srv_cmd_audit(int argc, char **argv)
{
    static const char use[] = "ltsigd audit verify --config FILE\n"
                              "       ltsigd audit anchor --config FILE";
    srv_opts o;
    srv_ctx ctx;
    char *bad = NULL;
    long count = 0, anchors = 0;
    int ret = 1;
    if (argc < 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "anchor") != 0) ||
        srv_parse_opts(argc - 1, argv + 1, &o))
        return srv_usage(use);
    if (strcmp(argv[1], "anchor") == 0)
        return audit_anchor_now(&o);
    if (srv_open_ctx(&ctx, o.config, 0) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    if (srv_audit_verify(ctx.db, &bad, &count, &anchors) != LTS_OK) {
        if (bad)
            fprintf(stderr, "ltsigd: the signature generation log is broken at %s\n", bad);
        else
            srv_fail("audit verify");
        goto out;
    }
    printf("ltsigd: signature generation log intact (%ld entries, %ld time-stamp anchors "
           "checked)\n", count, anchors);
    ret = 0;
out:
    lts_free(bad);
    srv_close_ctx(&ctx);
    return ret;
}

/* ---- serve ----------------------------------------------------------------------------- */

int srv_cmd_serve(int argc, char **argv)
{
    srv_opts o;
    srv_ctx ctx;
    int ret = 1;
    if (srv_parse_opts(argc, argv, &o) != 0)
        return srv_usage("ltsigd serve --config FILE");
    if (srv_open_ctx(&ctx, o.config, 1) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    if (ctx.conf->listen == NULL) {
        fprintf(stderr, "ltsigd: %s: 'listen' is required to serve\n", o.config);
        goto out;
    }
    /* reads outside a transaction do not wait behind a commit's flush */
    if (srv_db_open_reader(ctx.db, ctx.conf->database) != LTS_OK ||
        srv_pkcache_new(&ctx.pkc) != LTS_OK || srv_authcache_new(&ctx.ac, ctx.conf->auth_cache_ms) != LTS_OK) {
        ret = srv_fail(o.config);
        goto out;
    }
    if (srv_httpd_run(&ctx) != LTS_OK) {
        ret = srv_fail("serve");
        goto out;
    }
    ret = 0;
out:
    srv_close_ctx(&ctx);
    return ret;
}
