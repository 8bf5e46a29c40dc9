/* tests/fuzz/fuzz_csc.c — ltsigd's CSC API request handler (srv_api_handle, backend/server):
 * a JSON body for any method path, with any Authorization header, against a real SQLite
 * database that holds one user ("fuzz", password "pw") and no credential; no PKCS#11 token
 * (ctx.p11 = NULL: no path may reach it without a credential). Input: a length-prefixed
 * method path ("auth/login", "credentials/list", ...), a length-prefixed Authorization
 * part, then the body. The Authorization part "B" stands for a valid bearer token (made by a
 * real login at start-up), "L" for valid Basic credentials; anything else is used as is.
 * Argon2id runs with t=1, m=8 KiB so that logins stay fast. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <ltsig/status.h>
#include "api_int.h"
#include "cmd_int.h"
#include "core/mem.h"
#include "fuzz_common.h"

static srv_ctx ctx;
static int ready = -1;
static char bearer[64];
static const char basic[] = "Basic ZnV6ejpwdw=="; /* fuzz:pw */
static char dir[512];

static void cleanup(void)
{
    char p[600];
    srv_close_ctx(&ctx);
    snprintf(p, sizeof p, "%s/db.sqlite", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/ltsigd.conf", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/pin", dir);
    unlink(p);
    rmdir(dir);
}

static int init(void)
{
    const char *tmp = getenv("TMPDIR");
    char conf[600], *hash = NULL, *resp = NULL;
    FILE *f;
    int status = 0;
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(dir, sizeof dir, "%s/lts-fuzz-csc-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return 0;
    snprintf(conf, sizeof conf, "%s/ltsigd.conf", dir);
    f = fopen(conf, "w");
    if (!f)
        return 0;
    fprintf(f, "listen = 127.0.0.1:1\ndatabase = %s/db.sqlite\n"
               "pkcs11_module = /nonexistent.so\ntoken_label = fuzz\n"
               "token_pin_file = %s/pin\nlog_level = error\nargon2_t = 1\n"
               "argon2_m_kib = 8\n", dir, dir);
    fclose(f);
    if (srv_open_ctx(&ctx, conf, 0) != LTS_OK)
        goto fail;
    atexit(cleanup);
    ctx.log_level = SRV_LOG_ERROR + 1; /* quiet */
    if (srv_pw_hash(ctx.conf, "pw", 2, &hash) != LTS_OK)
        goto fail;
    {
        const char *p[] = { "fuzz", hash, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "0" };
        if (srv_db_exec(ctx.db, "INSERT INTO users(name, pw_hash, totp_secret, created) "
                                "VALUES ($1, $2, $3, $4)", p, 4, NULL, NULL, NULL) != LTS_OK)
            goto fail;
    }
    lts_free(hash);
    hash = NULL;
    srv_api_handle(&ctx, "auth/login", basic, "127.0.0.1", NULL, 0, &status, &resp);
    if (status != 200 || !resp)
        goto fail;
    {
        const char *t = strstr(resp, "\"access_token\":\"");
        if (!t || strlen(t + 16) < 43)
            goto fail;
        snprintf(bearer, sizeof bearer, "Bearer %.43s", t + 16);
    }
    lts_free(resp);
    return 1;
fail:
    fprintf(stderr, "fuzz_csc: set-up failed: %s\n", lts_error_last()->message);
    lts_free(hash);
    lts_free(resp);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t n = size;
    lts_span path, authz;
    char path_s[256], authz_s[512];
    const char *a = NULL;
    char *resp = NULL;
    int status = 0;

    if (ready < 0)
        ready = init();
    if (!ready)
        return 0;
    fz_take(&p, &n, &path);
    fz_take(&p, &n, &authz);
    snprintf(path_s, sizeof path_s, "%.*s", (int)path.n, (const char *)path.p);
    if (authz.n == 1 && authz.p[0] == 'B')
        a = bearer;
    else if (authz.n == 1 && authz.p[0] == 'L')
        a = basic;
    else if (authz.n > 0) {
        snprintf(authz_s, sizeof authz_s, "%.*s", (int)authz.n, (const char *)authz.p);
        a = authz_s;
    }
    srv_api_handle(&ctx, path_s, a, "127.0.0.1", p, n, &status, &resp);
    fz_note("srv_api_handle", status >= 100 && status < 600 ? LTS_OK : LTS_E_INTERNAL);
    if (getenv("LTS_FUZZ_DEBUG"))
        fprintf(stderr, "  %s -> %d %s\n", path_s, status, resp ? resp : "");
    if (status < 100 || status > 599)
        abort();
    if (resp && resp[0] != '{')
        abort(); /* every answer body is a JSON object */
    lts_free(resp);
    ERR_clear_error();
    return 0;
}
