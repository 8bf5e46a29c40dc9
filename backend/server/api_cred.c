/* CSC API v2 credential methods: credentials/list, credentials/info,
 * credentials/authorize (PIN + TOTP -> SAD); signatures/signHash is in api_sign.c. */
#define LTS_MODULE "ltsigd-api"
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"


lts_hash api_hash_of_oid(const char *oid)
{
    if (oid == NULL)
        return LTS_HASH_NONE;
    if (strcmp(oid, OID_SHA256) == 0)
        return LTS_HASH_SHA256;
    if (strcmp(oid, OID_SHA384) == 0)
        return LTS_HASH_SHA384;
    if (strcmp(oid, OID_SHA512) == 0)
        return LTS_HASH_SHA512;
    return LTS_HASH_NONE; /* SHA-1 and anything unknown are refused (TS 119 312) */
}

/* ---- shared checks ----------------------------------------------------------------------- */

/* The credential named in the body, owned by the caller. Another user's credential gets
 * the same answer as a missing one (R7 isolation, CSC S9). */
int api_load_cred(api_req *r, json_t *body, const char *event, srv_cred *c)
{
    const char *id = api_str(body, "credentialID");
    memset(c, 0, sizeof *c);
    if (id == NULL) {
        api_error(r, 400, "invalid_request",
                  "Missing (or invalid type) string parameter credentialID");
        return 0;
    }
    lts_status st = srv_cred_get(r->ctx->db, id, c);
    if (st == LTS_OK && strcmp(c->user, r->user) == 0)
        return 1;
    srv_cred_dispose(c);
    if (st != LTS_OK && st != LTS_E_NOTFOUND) {
        api_server_error(r, event);
        return 0;
    }
    api_refuse(r, event, NULL, 400, "invalid_request", "Invalid parameter credentialID");
    return 0;
}

const char *api_cred_refusal(const srv_cred *c)
{
    if (c->locked)
        return "Credential locked";
    if (c->chain == NULL || *c->chain == 0)
        return "The credential has no certificate yet";
    return NULL;
}

int api_cred_usable(api_req *r, const char *event, const srv_cred *c)
{
    const char *why = api_cred_refusal(c);
    if (why != NULL)
        api_refuse(r, event, c->id, 400, "invalid_request", why);
    return why == NULL;
}

/* Decode the base64 hashes of `key` (or the v1 name `alt`) to lowercase hex, each of
 * hash size. *out gets a NULL-terminated array of strings (free with free_hashes). */
void api_free_hashes(char **h)
{
    for (size_t i = 0; h && h[i]; i++)
        lts_free(h[i]);
    lts_free(h);
}

int api_parse_hashes(api_req *r, json_t *body, lts_hash alg, char ***out, size_t *count)
{
    json_t *a = json_object_get(body, "hashes");
    char **h = NULL;
    lts_buf raw = LTS_BUF_INIT_MAX(256), hex = LTS_BUF_INIT;
    int ok = 0;
    size_t n;
    if (a == NULL)
        a = json_object_get(body, "hash");
    n = json_is_array(a) ? json_array_size(a) : 0;
    if (n == 0) {
        api_error(r, 400, "invalid_request", "Missing (or invalid type) array parameter hashes");
        goto out;
    }
    if (n > (size_t)r->ctx->conf->max_signatures) {
        api_error(r, 400, "invalid_request", "Numbers of signatures is too high");
        goto out;
    }
    h = lts_calloc(n + 1, sizeof *h);
    if (h == NULL)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        raw.n = hex.n = 0;
        if (!json_is_string(v) || lts_b64__decode(&raw, json_string_value(v),
                                                   json_string_length(v)) != LTS_OK) {
            api_error(r, 400, "invalid_request", "Invalid base64 in parameter hashes");
            goto out;
        }
        if (raw.n != lts_hash_size(alg)) {
            api_error(r, 400, "invalid_request", "Invalid digest value length");
            goto out;
        }
        if (lts_hex__encode(&hex, lts_buf_span(&raw)) != LTS_OK ||
            (h[i] = lts_strdup((const char *)hex.p)) == NULL)
            goto nomem;
    }
    *out = h;
    *count = n;
    h = NULL;
    ok = 1;
    goto out;
nomem:
    api_server_error(r, "hashes");
out:
    lts_error_clear();
    api_free_hashes(h);
    lts_buf_dispose(&raw);
    lts_buf_dispose(&hex);
    return ok;
}

/* ---- credentials/list, credentials/info --------------------------------------------------- */

static int list_row(void *ud, int ncol, const char *const *v)
{
    if (ncol > 0 && v[0])
        json_array_append_new((json_t *)ud, json_string(v[0]));
    return 0;
}

static void asn1_time_str(const ASN1_TIME *t, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;
    out[0] = 0;
    if (b && ASN1_TIME_print_ex(b, t, ASN1_DTFLGS_ISO8601) == 1) {
        n = BIO_get_mem_data(b, &p);
        snprintf(out, cap, "%.*s", (int)n, p);
    }
    BIO_free(b);
}

static void name_str(const X509_NAME *nm, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;
    out[0] = 0;
    if (b && X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(b, &p);
        snprintf(out, cap, "%.*s", (int)n, p);
    }
    BIO_free(b);
}

static json_t *cert_info(api_req *r, const srv_cred *c, const char *mode, int with_info)
{
    json_t *cert = json_object(), *list = json_array();
    lts_buf der = LTS_BUF_INIT;
    X509 *x = NULL;
    char *copy = lts_strdup(c->chain), *save = NULL;
    char buf[512];
    int i = 0;
    if (cert == NULL || list == NULL || copy == NULL)
        goto fail;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save), i++) {
        if (strcmp(mode, "chain") == 0 || (strcmp(mode, "single") == 0 && i == 0))
            json_array_append_new(list, json_string(t));
        if (i == 0) {
            if (lts_b64__decode(&der, t, strlen(t)) != LTS_OK)
                goto fail;
            const unsigned char *p = der.p;
            x = d2i_X509(NULL, &p, (long)der.n);
            if (x == NULL)
                goto fail;
        }
    }
    if (x == NULL)
        goto fail;
    int valid = X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
                X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
    json_object_set_new(cert, "status", json_string(valid ? "valid" : "expired"));
    if (strcmp(mode, "none") != 0)
        json_object_set(cert, "certificates", list);
    if (with_info) {
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;
        name_str(X509_get_issuer_name(x), buf, sizeof buf);
        json_object_set_new(cert, "issuerDN", json_string(buf));
        name_str(X509_get_subject_name(x), buf, sizeof buf);
        json_object_set_new(cert, "subjectDN", json_string(buf));
        json_object_set_new(cert, "serialNumber", json_string(hex ? hex : ""));
        asn1_time_str(X509_get0_notBefore(x), buf, sizeof buf);
        json_object_set_new(cert, "validFrom", json_string(buf));
        asn1_time_str(X509_get0_notAfter(x), buf, sizeof buf);
        json_object_set_new(cert, "validTo", json_string(buf));
        OPENSSL_free(hex);
        BN_free(bn);
    }
    goto out;
fail:
    json_decref(cert);
    cert = NULL;
    (void)r;
out:
    ERR_clear_error();
    json_decref(list);
    X509_free(x);
    lts_free(copy);
    lts_buf_dispose(&der);
    return cert;
}

static json_t *cred_info(api_req *r, const srv_cred *c, const char *certs, int with_info)
{
    int ec = srv_algo_is_ec(c->algo);
    /* algo is rsa<bits> or ec-p<bits> */
    int bits = atoi(c->algo + (ec ? 4 : 3));
    json_t *algos = json_array();
    for (size_t i = 0; i < api_sign_algos_n; i++) {
        if (api_sign_algos[i].ec == ec)
            json_array_append_new(algos, json_string(api_sign_algos[i].oid));
    }
    json_t *key = json_pack("{s:s, s:o, s:i}", "status", c->locked || !c->chain ? "disabled"
                                                                                 : "enabled",
                            "algo", algos, "len", bits);
    if (key && ec)
        json_object_set_new(key, "curve", json_string(bits == 256 ? "1.2.840.10045.3.1.7"
                                                                  : "1.3.132.0.34"));
    json_t *o = json_pack(
        "{s:s, s:o*, s:s, s:s, s:I, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s},"
        " s:{s:s, s:s, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s}]}}",
        "description", "ltsigd credential", "key", key, "authMode", "explicit", "SCAL", "2",
        "multisign", (json_int_t)r->ctx->conf->max_signatures, "lang", "en", "PIN",
        "presence", "true", "format", "A", "label", "PIN", "OTP", "presence", "true", "type",
        "offline", "format", "N", "ID", "totp", "provider", "ltsigd", "auth", "mode",
        "explicit", "expression", "PIN AND OTP", "objects", "type", "Password", "id", "PIN",
        "format", "A", "label", "PIN", "type", "Password", "id", "OTP", "format", "N",
        "generator", "totp", "label", "OTP");
    if (o && c->chain) {
        json_t *cert = cert_info(r, c, certs, with_info);
        if (cert)
            json_object_set_new(o, "cert", cert);
    }
    return o;
}

static const char *certs_mode(api_req *r, json_t *body)
{
    const char *m = api_str(body, "certificates");
    if (m == NULL)
        return "single";
    if (strcmp(m, "none") && strcmp(m, "single") && strcmp(m, "chain")) {
        api_error(r, 400, "invalid_request", "Invalid parameter certificates");
        return NULL;
    }
    return m;
}

void api_m_list(api_req *r, json_t *body)
{
    const char *uid = api_str(body, "userID");
    json_t *ids = json_array(), *infos = NULL;
    json_t *ci = json_object_get(body, "credentialInfo");
    const char *mode = certs_mode(r, body);
    if (mode == NULL)
        goto out;
    if (json_object_get(body, "userID") && !json_is_null(json_object_get(body, "userID")) &&
        (uid == NULL || strcmp(uid, r->user) != 0)) {
        api_refuse(r, "credentials/list", NULL, 400, "invalid_request",
                   "userID parameter MUST be null");
        goto out;
    }
    const char *p[] = { r->user };
    if (ids == NULL || srv_db_exec(r->ctx->db, "SELECT id FROM credentials WHERE owner = $1 "
                                               "ORDER BY created, id",
                                   p, 1, list_row, ids, NULL) != LTS_OK) {
        api_server_error(r, "credentials/list");
        goto out;
    }
    if (json_is_true(ci)) {
        infos = json_array();
        for (size_t i = 0; i < json_array_size(ids); i++) {
            srv_cred c;
            if (srv_cred_get(r->ctx->db, json_string_value(json_array_get(ids, i)), &c) ==
                LTS_OK) {
                json_t *o = cred_info(r, &c, mode, json_is_true(json_object_get(body, "certInfo")));
                if (o) {
                    json_object_set_new(o, "credentialID", json_string(c.id));
                    json_array_append_new(infos, o);
                }
                srv_cred_dispose(&c);
            }
        }
    }
    r->resp = json_pack("{s:O, s:o*}", "credentialIDs", ids, "credentialInfos", infos);
    infos = NULL;
    r->status = r->resp ? 200 : 500;
out:
    json_decref(infos);
    json_decref(ids);
}

void api_m_info(api_req *r, json_t *body)
{
    srv_cred c;
    const char *mode = certs_mode(r, body);
    if (mode == NULL || !api_load_cred(r, body, "credentials/info", &c))
        return;
    r->resp = cred_info(r, &c, mode, json_is_true(json_object_get(body, "certInfo")));
    r->status = r->resp ? 200 : 500;
    srv_cred_dispose(&c);
}

/* ---- credentials/authorize -------------------------------------------------------------- */

static const char *auth_value(json_t *body, const char *id)
{
    json_t *a = json_object_get(body, "authData");
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        const char *oid = api_str(o, "id");
        if (oid && strcmp(oid, id) == 0)
            return api_str(o, "value");
    }
    return api_str(body, id); /* CSC v1: top-level PIN / OTP */
}

static int check_factors(api_req *r, const srv_cred *c, const char *pin, const char *otp)
{
    srv_user u;
    lts_status st;
    int ok = 0;
    long long step;
    char stepstr[24];
    long changes = 0;
    memset(&u, 0, sizeof u);
    st = srv_pw_verify(c->pin_hash, pin, strlen(pin));
    if (st != LTS_OK && st != LTS_E_AUTH)
        return -1;
    if (st != LTS_OK)
        return 0;
    if (srv_user_get(r->ctx->db, r->user, &u) != LTS_OK)
        return -1;
    step = u.totp_last;
    if (srv_totp_check(u.totp_secret, otp, api_now(), &step) == LTS_OK) {
        /* accept each TOTP step once, even against concurrent requests */
        snprintf(stepstr, sizeof stepstr, "%lld", step);
        const char *p[] = { u.name, stepstr };
        if (srv_db_exec(r->ctx->db, "UPDATE users SET totp_last = CAST($2 AS BIGINT) "
                                    "WHERE name = $1 AND totp_last < CAST($2 AS BIGINT)",
                        p, 2, NULL, NULL, &changes) != LTS_OK) {
            srv_user_dispose(&u);
            return -1;
        }
        ok = changes == 1;
    }
    srv_user_dispose(&u);
    return ok;
}

static void hashes_detail(char **h, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", h[i]);
}

void api_m_authorize(api_req *r, json_t *body)
{
    static const char ev[] = "credentials/authorize";
    srv_cred c;
    char **hashes = NULL, sad[48], h[65], exp[24], *list = NULL;
    size_t nh = 0;
    memset(sad, 0, sizeof sad);
    if (!api_load_cred(r, body, ev, &c))
        return;
    if (!api_cred_usable(r, ev, &c))
        goto out;
    json_t *ns = json_object_get(body, "numSignatures");
    json_int_t num = json_is_integer(ns) ? json_integer_value(ns) : 0;
    if (num < 1) {
        api_error(r, 400, "invalid_request", "Invalid value for parameter numSignatures");
        goto out;
    }
    if (num > r->ctx->conf->max_signatures) {
        api_refuse(r, ev, c.id, 400, "invalid_request", "Numbers of signatures is too high");
        goto out;
    }
    lts_hash alg = api_hash_of_oid(api_str(body, "hashAlgorithmOID"));
    if (alg == LTS_HASH_NONE) {
        api_error(r, 400, "invalid_request", "Invalid parameter hashAlgorithmOID");
        goto out;
    }
    if (!api_parse_hashes(r, body, alg, &hashes, &nh))
        goto out;
    if ((json_int_t)nh != num) {
        api_error(r, 400, "invalid_request", "Invalid value for parameter numSignatures");
        goto out;
    }
    const char *pin = auth_value(body, "PIN"), *otp = auth_value(body, "OTP");
    if (pin == NULL || otp == NULL) {
        api_error(r, 400, "invalid_request", "Missing PIN or OTP");
        goto out;
    }
    int f = check_factors(r, &c, pin, otp);
    if (f < 0) {
        api_server_error(r, ev);
        goto out;
    }
    if (f == 0) {
        char max[24];
        snprintf(max, sizeof max, "%ld", r->ctx->conf->max_failures);
        const char *p[] = { c.id, max };
        (void)srv_db_exec(r->ctx->db, "UPDATE credentials SET failures = failures + 1, locked "
                                      "= CASE WHEN failures + 1 >= CAST($2 AS BIGINT) "
                                      "THEN 1 ELSE locked END WHERE id = $1",
                          p, 2, NULL, NULL, NULL);
        srv_authcache_stale(r->ctx->ac);
        api_refuse(r, ev, c.id, 400, "invalid_request", "Invalid PIN or OTP");
        goto out;
    }
    size_t cap = nh * 130 + 1;
    if ((list = lts_malloc(cap)) == NULL || srv_new_token(sad) != LTS_OK) {
        api_server_error(r, ev);
        goto out;
    }
    hashes_detail(hashes, nh, list, cap);
    srv_sha256_hex(sad, strlen(sad), h);
    snprintf(exp, sizeof exp, "%lld", api_now() + r->ctx->conf->sad_ttl);
    const char *pz[] = { c.id };
    const char *ps[] = { h, r->user, c.id, api_str(body, "hashAlgorithmOID"), list, exp };
    /* the SAD, one sad_hashes row per hash and the log entry: one commit */
    int ok = srv_db_begin(r->ctx->db) == LTS_OK;
    if (ok) {
        ok = srv_db_exec(r->ctx->db, "UPDATE credentials SET failures = 0 WHERE id = $1", pz, 1,
                         NULL, NULL, NULL) == LTS_OK &&
             srv_db_exec(r->ctx->db, "INSERT INTO sads(hash, owner, credential, hash_alg, "
                                     "hashes, expires) VALUES ($1, $2, $3, $4, $5, $6)",
                         ps, 6, NULL, NULL, NULL) == LTS_OK;
        for (size_t i = 0; ok && i < nh; i++) {
            char n[24];
            snprintf(n, sizeof n, "%zu", i);
            const char *ph[] = { h, n, hashes[i] };
            ok = srv_db_exec(r->ctx->db, "INSERT INTO sad_hashes(sad, n, hash) "
                                         "VALUES ($1, CAST($2 AS BIGINT), $3)",
                             ph, 3, NULL, NULL, NULL) == LTS_OK;
        }
        ok = ok && srv_audit_in_tx(r->ctx->db, ev, r->user, c.id, "ok", list) == LTS_OK;
        if (ok)
            ok = srv_db_commit(r->ctx->db) == LTS_OK;
        else
            srv_db_rollback(r->ctx->db);
    }
    /* signHash checks this SAD from memory (authcache.c); not cached: from the database */
    if (ok)
        (void)srv_authcache_sad_put(r->ctx->ac, h, r->user, c.id, ps[3], atoll(exp), hashes, nh);
    if (!ok) {
        api_server_error(r, ev);
        goto out;
    }
    r->resp = json_pack("{s:s, s:I}", "SAD", sad, "expiresIn", (json_int_t)r->ctx->conf->sad_ttl);
    r->status = r->resp ? 200 : 500;
out:
    OPENSSL_cleanse(sad, sizeof sad);
    lts_free(list);
    api_free_hashes(hashes);
    srv_cred_dispose(&c);
}
