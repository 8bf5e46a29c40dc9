/* The CSC API v2 methods served by ltsigd (see /csc/v2/ in docs/ltsigd.md):
 *   info, auth/login, auth/revoke, credentials/list, credentials/info,
 *   credentials/authorize, signatures/signHash
 * Access tokens and SADs are 256-bit random values handed to the client once and stored
 * only as SHA-256. A SAD is bound to the user, the credential, the hash algorithm and
 * the exact hashes (SCAL 2); each authorised hash signs once, so a SAD makes at most
 * numSignatures signatures (EN 419 241-1 SRA_SAP, CSC v2 §9). Errors use the CSC shape
 * {"error", "error_description"}. */
#define LTS_MODULE "ltsigd-api"
#include "srv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include "core/codec.h"
#include "core/err.h"
#include "core/mem.h"
#include "api_int.h"

void api_error(api_req *r, int status, const char *error, const char *desc)
{
    json_decref(r->resp);
    r->resp = json_pack("{s:s, s:s}", "error", error, "error_description", desc);
    r->status = status;
}

void api_refuse(api_req *r, const char *event, const char *cred, int status, const char *error,
                const char *desc)
{
    api_error(r, status, error, desc);
    (void)srv_audit(r->ctx->db, event, r->user[0] ? r->user : "-", cred ? cred : "",
                    "refused", desc);
    r->audited = 1;
    srv_log(r->ctx->log_level, SRV_LOG_WARN, "refused", "method", event, "user",
            r->user[0] ? r->user : NULL, "credential", cred, "reason", desc, "peer", r->peer,
            NULL);
}

void api_server_error(api_req *r, const char *event)
{
    const lts_error *e = lts_error_last();
    srv_log(r->ctx->log_level, SRV_LOG_ERROR, "error", "method", event, "user",
            r->user[0] ? r->user : NULL, "message", e->message, NULL);
    api_error(r, 500, "server_error", "The service could not complete the request");
}

long long api_now(void)
{
    return (long long)time(NULL);
}

const char *api_str(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- access tokens --------------------------------------------------------------------- */

int api_token_check(srv_db *db, const char *hash, char *owner, size_t owner_size,
                    long long *expires, int *status, const char **err, const char **desc)
{
    srv_row row;
    const char *p[] = { hash };
    int res = 0;
    if (srv_db_get(db, "SELECT t.owner, t.expires, t.revoked, u.locked FROM tokens t "
                       "JOIN users u ON u.name = t.owner WHERE t.hash = $1",
                   p, 1, &row) != LTS_OK)
        return -1;
    *status = 401;
    *err = "invalid_token";
    if (!row.found || !row.v[0] || (row.v[2] && atoi(row.v[2]) != 0)) {
        *desc = "Invalid or revoked access token";
    } else if (!row.v[1] || atoll(row.v[1]) <= api_now()) {
        *err = "expired_token";
        *desc = "The access token has expired";
    } else if (row.v[3] && atoi(row.v[3]) != 0) {
        *desc = "The account is locked";
    } else {
        snprintf(owner, owner_size, "%s", row.v[0]);
        *expires = atoll(row.v[1]);
        res = 1;
    }
    srv_row_dispose(&row);
    return res;
}

/* Authenticate the bearer token: with `cached`, from the cache at the current generation
 * (authcache.c) when it holds it, else from the database. On failure the response is set
 * and 0 returned. */
static int check_bearer(api_req *r, const char *authz, int cached)
{
    char h[65];
    long long expires = 0;
    int status = 0;
    const char *err = NULL, *desc = NULL;
    if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) != 43) {
        api_error(r, 401, "invalid_token", "Missing or invalid access token");
        return 0;
    }
    srv_sha256_hex(authz + 7, 43, h);
    srv_authcache *ac = cached ? r->ctx->ac : NULL;
    if (srv_authcache_gen(ac, r->ctx->db, &r->gen) != LTS_OK) {
        api_server_error(r, "auth");
        return 0;
    }
    int res = srv_authcache_token(ac, h, r->gen, r->user, sizeof r->user, &expires);
    if (res == 1 && expires <= api_now()) {
        r->user[0] = 0;
        res = 0;
        status = 401;
        err = "expired_token";
        desc = "The access token has expired";
    } else if (res == 0) {
        res = api_token_check(r->ctx->db, h, r->user, sizeof r->user, &expires, &status, &err,
                              &desc);
        if (res == 1)
            srv_authcache_token_put(ac, h, r->gen, r->user, expires);
    }
    if (res < 0) {
        r->user[0] = 0;
        api_server_error(r, "auth");
        return 0;
    }
    if (res == 0) {
        api_error(r, status, err, desc);
        return 0;
    }
    memcpy(r->token_hash, h, sizeof h);
    return 1;
}

/* ---- info ------------------------------------------------------------------------------ */

static void m_info(api_req *r, json_t *body)
{
    (void)body;
    r->resp = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s,s,s,s,s,s,s,s], s:{s:[s,s,s,s,s,s,s,s,s]}}",
        "specs", "2.0.0.2", "name", "ltsigd", "logo", "", "region", "", "lang", "en",
        "description", "ltsig remote signing service", "authType", "basic", "methods", "info",
        "auth/login", "auth/revoke", "credentials/list", "credentials/info",
        "credentials/authorize", "credentials/extendTransaction", "signatures/signHash",
        "signAlgorithms", "algos",
        "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12",
        "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10", "1.2.840.10045.2.1",
        "1.2.840.10045.4.3.2",
        "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4");
    if (r->resp && r->ctx->conf->tsa_url)
        json_array_append_new(json_object_get(r->resp, "methods"),
                              json_string("signatures/timestamp"));
    r->status = r->resp ? 200 : 500;
}

/* ---- auth/login, auth/revoke ------------------------------------------------------------ */

static int parse_basic(const char *authz, lts_buf *user, lts_buf *pw)
{
    lts_buf dec = LTS_BUF_INIT_MAX(4096);
    int ok = 0;
    if (authz == NULL || strncasecmp(authz, "Basic ", 6) != 0)
        return 0;
    const char *b = authz + 6;
    while (*b == ' ')
        b++;
    if (lts_b64__decode(&dec, b, strlen(b)) != LTS_OK)
        goto out;
    uint8_t *colon = dec.n ? memchr(dec.p, ':', dec.n) : NULL;
    if (colon == NULL || memchr(dec.p, 0, dec.n) != NULL)
        goto out;
    size_t un = (size_t)(colon - dec.p);
    if (lts_buf_append(user, dec.p, un) != LTS_OK || lts_buf_nul(user) != LTS_OK ||
        lts_buf_append(pw, colon + 1, dec.n - un - 1) != LTS_OK || lts_buf_nul(pw) != LTS_OK)
        goto out;
    ok = 1;
out:
    lts_error_clear();
    lts_buf_wipe(&dec);
    return ok;
}

static void m_login(api_req *r, json_t *body, const char *authz)
{
    lts_buf user = LTS_BUF_INIT_MAX(256), pw = LTS_BUF_INIT_MAX(4096);
    srv_user u;
    char tok[48], h[65], exp[24], now[24];
    lts_status st;
    memset(&u, 0, sizeof u);
    memset(tok, 0, sizeof tok);
    if (json_object_get(body, "refresh_token") != NULL) {
        api_error(r, 400, "invalid_request", "refresh_token is not supported");
        goto out;
    }
    if (!parse_basic(authz, &user, &pw) || user.n == 0 || user.n > 64) {
        api_error(r, 401, "authentication_error", "HTTP Basic credentials required");
        goto out;
    }
    snprintf(r->user, sizeof r->user, "%s", (const char *)user.p);
    st = srv_user_get(r->ctx->db, (const char *)user.p, &u);
    if (st == LTS_E_NOTFOUND) {
        char *dummy = NULL;
        /* spend the time a password check takes, so timing does not reveal user names */
        if (srv_pw_hash(r->ctx->conf, (const char *)pw.p, pw.n, &dummy) == LTS_OK)
            lts_free(dummy);
        r->user[0] = 0;
        api_refuse(r, "auth/login", NULL, 401, "authentication_error", "Authentication failed");
        goto out;
    }
    if (st != LTS_OK) {
        api_server_error(r, "auth/login");
        goto out;
    }
    if (u.locked) {
        api_refuse(r, "auth/login", NULL, 401, "authentication_error", "Account locked");
        goto out;
    }
    st = srv_pw_verify(u.pw_hash, (const char *)pw.p, pw.n);
    if (st == LTS_E_AUTH) {
        char max[24];
        snprintf(max, sizeof max, "%ld", r->ctx->conf->max_failures);
        const char *p[] = { u.name, max };
        (void)srv_db_exec(r->ctx->db, "UPDATE users SET failures = failures + 1, locked = "
                                      "CASE WHEN failures + 1 >= CAST($2 AS BIGINT) "
                                      "THEN 1 ELSE locked END WHERE name = $1",
                          p, 2, NULL, NULL, NULL);
        srv_authcache_stale(r->ctx->ac);
        api_refuse(r, "auth/login", NULL, 401, "authentication_error", "Authentication failed");
        goto out;
    }
    if (st != LTS_OK) {
        api_server_error(r, "auth/login");
        goto out;
    }
    if (srv_new_token(tok) != LTS_OK) {
        api_server_error(r, "auth/login");
        goto out;
    }
    srv_sha256_hex(tok, strlen(tok), h);
    snprintf(now, sizeof now, "%lld", api_now());
    snprintf(exp, sizeof exp, "%lld", api_now() + r->ctx->conf->token_ttl);
    const char *p1[] = { u.name };
    const char *p2[] = { h, u.name, exp };
    const char *p3[] = { now };
    if (srv_db_exec(r->ctx->db, "UPDATE users SET failures = 0 WHERE name = $1", p1, 1, NULL,
                    NULL, NULL) != LTS_OK ||
        srv_db_exec(r->ctx->db, "DELETE FROM tokens WHERE expires < $1", p3, 1, NULL, NULL,
                    NULL) != LTS_OK ||
        srv_db_exec(r->ctx->db, "DELETE FROM sads WHERE expires < $1", p3, 1, NULL, NULL,
                    NULL) != LTS_OK ||
        srv_db_exec(r->ctx->db, "DELETE FROM sad_hashes WHERE sad NOT IN (SELECT hash FROM sads)",
                    NULL, 0, NULL, NULL, NULL) != LTS_OK ||
        srv_db_exec(r->ctx->db, "INSERT INTO tokens(hash, owner, expires) VALUES ($1, $2, $3)",
                    p2, 3, NULL, NULL, NULL) != LTS_OK ||
        srv_audit(r->ctx->db, "auth/login", u.name, "", "ok", "") != LTS_OK) {
        api_server_error(r, "auth/login");
        goto out;
    }
    r->resp = json_pack("{s:s, s:I}", "access_token", tok, "expires_in",
                        (json_int_t)r->ctx->conf->token_ttl);
    r->status = r->resp ? 200 : 500;
out:
    OPENSSL_cleanse(tok, sizeof tok);
    srv_user_dispose(&u);
    lts_buf_wipe(&user);
    lts_buf_wipe(&pw);
}

static void m_revoke(api_req *r, json_t *body)
{
    const char *tok = api_str(body, "token");
    const char *hint = api_str(body, "token_type_hint");
    char h[65];
    if (tok == NULL) {
        api_error(r, 400, "invalid_request", "Missing (or invalid type) string parameter token");
        return;
    }
    if (hint && strcmp(hint, "access_token") != 0) {
        api_error(r, 400, "invalid_request", "Only access tokens can be revoked");
        return;
    }
    srv_sha256_hex(tok, strlen(tok), h);
    const char *p[] = { h, r->user };
    /* RFC 7009 §2.2: an unknown token is not an error; another user's is left alone */
    if (srv_db_exec(r->ctx->db, "UPDATE tokens SET revoked = 1 WHERE hash = $1 AND owner = $2",
                    p, 2, NULL, NULL, NULL) != LTS_OK ||
        srv_audit(r->ctx->db, "auth/revoke", r->user, "", "ok", "") != LTS_OK) {
        api_server_error(r, "auth/revoke");
        return;
    }
    srv_authcache_stale(r->ctx->ac);
    r->status = 204;
}

/* ---- dispatch --------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    /* 0: no access token; 1: one, read from the database; 2: one, checked from the cache
     * (authcache.c) because the method's own commit checks it again (signHash) */
    int bearer;
    void (*fn)(api_req *r, json_t *body);
} method;

static const method methods[] = {
    { "info", 0, m_info },
    { "auth/revoke", 1, m_revoke },
    { "credentials/list", 1, api_m_list },
    { "credentials/info", 1, api_m_info },
    { "credentials/authorize", 1, api_m_authorize },
    { "credentials/extendTransaction", 1, api_m_extend },
    { "signatures/signHash", 2, api_m_sign_hash },
    { "signatures/timestamp", 1, api_m_timestamp },
};

void srv_api_handle(srv_ctx *ctx, const char *path, const char *authz, const char *peer,
                    const uint8_t *body, size_t n, int *status, char **resp)
{
    api_req r;
    json_t *in = NULL;
    json_error_t jerr;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.peer = peer;
    r.status = 500;
    *resp = NULL;
    if (n == 0) {
        in = json_object();
    } else {
        in = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, &jerr);
        if (in == NULL || !json_is_object(in)) {
            api_error(&r, 400, "invalid_request", "The request body is not a JSON object");
            goto out;
        }
    }
    if (strcmp(path, "auth/login") == 0) {
        m_login(&r, in, authz);
        goto out;
    }
    const method *m = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(methods[i].name, path) == 0)
            m = &methods[i];
    }
    if (m == NULL) {
        api_error(&r, 501, "not_implemented_method", "Unknown or unsupported CSC API method");
        goto out;
    }
    if (m->bearer && !check_bearer(&r, authz, m->bearer == 2))
        goto out;
    m->fn(&r, in);
out:
    ERR_clear_error();
    lts_error_clear();
    if (r.status >= 400 && !r.audited) {
        /* every refusal goes into the log, with what the client was told */
        const char *desc = r.resp ? api_str(r.resp, "error_description") : NULL;
        const char *cred = in ? api_str(in, "credentialID") : NULL;
        char cbuf[72], pbuf[72];
        snprintf(cbuf, sizeof cbuf, "%.64s", cred ? cred : "");
        snprintf(pbuf, sizeof pbuf, "%.64s", path);
        (void)srv_audit(ctx->db, pbuf, r.user[0] ? r.user : "-", cbuf,
                        r.status >= 500 ? "error" : "refused", desc ? desc : "");
    }
    if (r.resp) {
        char *txt = json_dumps(r.resp, JSON_COMPACT);
        if (txt) {
            *resp = lts_strdup(txt);
            free(txt);
        }
        if (*resp == NULL)
            r.status = 500;
    }
    *status = r.status;
    char st[8];
    snprintf(st, sizeof st, "%d", r.status);
    srv_log(ctx->log_level, SRV_LOG_INFO, "request", "method", path, "user",
            r.user[0] ? r.user : NULL, "status", st, "peer", peer, NULL);
    json_decref(r.resp);
    json_decref(in);
}
