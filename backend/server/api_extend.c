/* CSC API v2 credentials/extendTransaction: a fresh SAD for the hashes an unexpired one
 * still authorises (the old one stops working at once). */
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

/* ---- credentials/extendTransaction ------------------------------------------------------ */

/* CSC v2 §11.8: a SAD that is still valid and has hashes left is exchanged for a new SAD
 * for the same remaining hashes, valid sad_ttl from now; the old SAD stops working at
 * once. Owner, credential and (when given) hashAlgorithmOID and hashes must match. */
typedef struct {
    lts_buf b;
    int nomem;
} left_ud;

static int left_cb(void *ud, int ncol, const char *const *vals)
{
    left_ud *l = ud;
    if (ncol < 1 || vals[0] == NULL)
        return 0;
    size_t n = strlen(vals[0]);
    if (lts_buf_reserve(&l->b, n + 2) != LTS_OK) {
        l->nomem = 1;
        return 1;
    }
    if (l->b.n > 0)
        l->b.p[l->b.n++] = ',';
    memcpy(l->b.p + l->b.n, vals[0], n);
    l->b.n += n;
    return 0;
}

void api_m_extend(api_req *r, json_t *body)
{
    lts_buf left = LTS_BUF_INIT;
    static const char ev[] = "credentials/extendTransaction";
    srv_cred c;
    srv_row row;
    char old[65], neu[65], sad_new[48], exp[24];
    char **hashes = NULL;
    size_t nh = 0;
    int tx = 0;
    const char *why = NULL;
    memset(&row, 0, sizeof row);
    memset(sad_new, 0, sizeof sad_new);
    if (!api_load_cred(r, body, ev, &c))
        return;
    if (!api_cred_usable(r, ev, &c))
        goto out;
    const char *sad = api_str(body, "SAD");
    if (sad == NULL) {
        api_error(r, 400, "invalid_request", "Missing (or invalid type) string parameter SAD");
        goto out;
    }
    const char *hoid = api_str(body, "hashAlgorithmOID");
    if (json_object_get(body, "hashes") != NULL) {
        lts_hash alg = api_hash_of_oid(hoid);
        if (alg == LTS_HASH_NONE) {
            api_error(r, 400, "invalid_request", "Invalid parameter hashAlgorithmOID");
            goto out;
        }
        if (!api_parse_hashes(r, body, alg, &hashes, &nh))
            goto out;
    }
    srv_sha256_hex(sad, strlen(sad), old);
    if (srv_new_token(sad_new) != LTS_OK)
        goto err;
    srv_sha256_hex(sad_new, strlen(sad_new), neu);
    const char *p[] = { old };
    if (srv_db_begin(r->ctx->db) != LTS_OK)
        goto err;
    tx = 1;
    if (srv_db_get(r->ctx->db, "SELECT owner, credential, hash_alg, expires FROM sads "
                               "WHERE hash = $1", p, 1, &row) != LTS_OK)
        goto err;
    /* the hashes it still authorises, in order, as "h1,h2,..." (the log entry's detail) */
    left_ud lu = { LTS_BUF_INIT, 0 };
    lts_status lrc = srv_db_exec(r->ctx->db, "SELECT hash FROM sad_hashes WHERE sad = $1 "
                                             "ORDER BY n", p, 1, left_cb, &lu, NULL);
    left = lu.b;
    if (lrc != LTS_OK || lu.nomem || lts_buf_reserve(&left, 1) != LTS_OK)
        goto err;
    left.p[left.n] = 0;
    if (!row.found || !row.v[0] || strcmp(row.v[0], r->user) || !row.v[1] ||
        strcmp(row.v[1], c.id))
        why = "Invalid parameter SAD";
    else if (!row.v[3] || atoll(row.v[3]) <= api_now())
        why = "SAD expired";
    else if (left.n == 0)
        why = "The SAD has been used for every signature it authorised";
    else if (hoid && (!row.v[2] || strcmp(row.v[2], hoid) != 0))
        why = "Invalid parameter hashAlgorithmOID";
    for (size_t i = 0; !why && i < nh; i++) {
        /* each given hash must still be authorised by the SAD */
        srv_row one;
        const char *ph[] = { old, hashes[i] };
        if (srv_db_get(r->ctx->db, "SELECT 1 FROM sad_hashes WHERE sad = $1 AND hash = $2 "
                                   "LIMIT 1", ph, 2, &one) != LTS_OK)
            goto err;
        if (!one.found)
            why = "Hash is not authorized by the SAD";
        srv_row_dispose(&one);
    }
    if (why) {
        srv_db_rollback(r->ctx->db);
        tx = 0;
        api_refuse(r, ev, c.id, 400, "invalid_request", why);
        goto out;
    }
    snprintf(exp, sizeof exp, "%lld", api_now() + r->ctx->conf->sad_ttl);
    const char *pu[] = { old, neu, exp };
    long changes = 0;
    if (srv_db_exec(r->ctx->db, "UPDATE sads SET hash = $2, expires = CAST($3 AS BIGINT) "
                                "WHERE hash = $1", pu, 3, NULL, NULL, &changes) != LTS_OK ||
        changes != 1 ||
        srv_db_exec(r->ctx->db, "UPDATE sad_hashes SET sad = $2 WHERE sad = $1", pu, 2, NULL,
                    NULL, NULL) != LTS_OK)
        goto err;
    tx = 0;
    srv_authcache_sad_drop(r->ctx->ac, old); /* renamed: the new SAD is checked in the database */
    if (srv_db_commit(r->ctx->db) != LTS_OK ||
        srv_audit(r->ctx->db, ev, r->user, c.id, "ok", (const char *)left.p) != LTS_OK)
        goto err;
    r->resp = json_pack("{s:s, s:I}", "SAD", sad_new, "expiresIn",
                        (json_int_t)r->ctx->conf->sad_ttl);
    r->status = r->resp ? 200 : 500;
    goto out;
err:
    api_server_error(r, ev);
out:
    if (tx)
        srv_db_rollback(r->ctx->db);
    OPENSSL_cleanse(sad_new, sizeof sad_new);
    lts_buf_dispose(&left);
    api_free_hashes(hashes);
    srv_row_dispose(&row);
    srv_cred_dispose(&c);
}
