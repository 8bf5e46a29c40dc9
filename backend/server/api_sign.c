/* CSC API v2 signatures/signHash: check the SAD, sign every hash with the credential's key
 * in the token, verify each value, then consume the SAD and log the values in one group
 * commit before any value is returned. */
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

static const char ev[] = "signatures/signHash"; /* the log's event name */

const api_sign_algo api_sign_algos[] = {
    { "1.2.840.113549.1.1.1", 0, LTS_HASH_NONE, SRV_SIG_RSA_PKCS1 },    /* rsaEncryption */
    { "1.2.840.113549.1.1.11", 0, LTS_HASH_SHA256, SRV_SIG_RSA_PKCS1 }, /* sha256WithRSA */
    { "1.2.840.113549.1.1.12", 0, LTS_HASH_SHA384, SRV_SIG_RSA_PKCS1 },
    { "1.2.840.113549.1.1.13", 0, LTS_HASH_SHA512, SRV_SIG_RSA_PKCS1 },
    { "1.2.840.113549.1.1.10", 0, LTS_HASH_NONE, SRV_SIG_RSA_PSS },     /* RSASSA-PSS */
    { "1.2.840.10045.2.1", 1, LTS_HASH_NONE, SRV_SIG_ECDSA },           /* id-ecPublicKey */
    { "1.2.840.10045.4.3.2", 1, LTS_HASH_SHA256, SRV_SIG_ECDSA },       /* ecdsa-with-SHA256 */
    { "1.2.840.10045.4.3.3", 1, LTS_HASH_SHA384, SRV_SIG_ECDSA },
    { "1.2.840.10045.4.3.4", 1, LTS_HASH_SHA512, SRV_SIG_ECDSA },
};
const size_t api_sign_algos_n = sizeof api_sign_algos / sizeof api_sign_algos[0];

/* RSASSA-PSS-params (RFC 4055 §3.1) as we sign them: hash = MGF1 hash = h, salt = hash
 * length, trailer 1. Anything else is refused rather than signed differently. */
static int pss_params_ok(const char *b64, lts_hash h)
{
    lts_buf der = LTS_BUF_INIT_MAX(1024);
    RSA_PSS_PARAMS *pp = NULL;
    X509_ALGOR *mgf_hash = NULL;
    const unsigned char *q;
    int ok = 0, nid = lts_hash__nid(h);
    if (b64 == NULL || lts_b64__decode(&der, b64, strlen(b64)) != LTS_OK)
        goto out;
    q = der.p;
    pp = d2i_RSA_PSS_PARAMS(NULL, &q, (long)der.n);
    if (pp == NULL || q != der.p + der.n)
        goto out;
    /* the MGF1 hash is the AlgorithmIdentifier inside maskGenAlgorithm's parameters */
    if (pp->maskGenAlgorithm && pp->maskGenAlgorithm->parameter &&
        pp->maskGenAlgorithm->parameter->type == V_ASN1_SEQUENCE)
        mgf_hash = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
                                             pp->maskGenAlgorithm->parameter);
    ok = pp->hashAlgorithm && OBJ_obj2nid(pp->hashAlgorithm->algorithm) == nid &&
         OBJ_obj2nid(pp->maskGenAlgorithm->algorithm) == NID_mgf1 && mgf_hash &&
         OBJ_obj2nid(mgf_hash->algorithm) == nid && pp->saltLength &&
         ASN1_INTEGER_get(pp->saltLength) == (long)lts_hash_size(h) &&
         (pp->trailerField == NULL || ASN1_INTEGER_get(pp->trailerField) == 1);
out:
    X509_ALGOR_free(mgf_hash);
    RSA_PSS_PARAMS_free(pp);
    lts_buf_dispose(&der);
    ERR_clear_error();
    lts_error_clear();
    return ok;
}


/* ---- the SAD --------------------------------------------------------------------------- */

/* The order is: check the SAD (from memory, authcache.c, or the database; outside any
 * transaction), sign every hash (outside any lock), then consume the hashes and log every
 * value in one group-committed job (srv_db_group), and only after that commit build the
 * response.
 *
 * Why consuming AFTER signing is safe (a SAD hash is never usable twice): a value leaves
 * the service only when its job returned 1, and a job returns 1 only when, inside the
 * write transaction, its DELETE of one sad_hashes row per requested hash changed exactly
 * one row each. Jobs run one after the other on the one write connection (in a batch or
 * in different batches; other processes wait on BEGIN IMMEDIATE / the PostgreSQL advisory
 * lock), and a refused job is rolled back to its savepoint, so each row is deleted by at
 * most one job that is then committed. Two requests that race for the same hash - also
 * in the same batch - may both have it signed by the token, but only the first job gets
 * the row; the second is refused and its value is dropped, never logged, never
 * returned. The cost is a wasted C_Sign in that (misbehaving-client) case; reserving
 * before signing would need a second durable commit per request, or a reservation
 * that a crash must clean up. A crash after the commit and before the response leaves a
 * logged value the client never saw, which the contract allows (the log holds every
 * value a client saw, not only those).
 *
 * The job also decides on the access token and the credential: it reads auth_gen in its
 * transaction and, when that is not the generation the request was checked at, reads
 * both again there. A revocation or a lock committed before the job therefore always
 * refuses its value, even when the request was checked from the cache. */
typedef struct {
    const char *user, *cred, *alg_oid, *token_hash;
    char sad_hash[65];
    char **hashes;
    size_t nh;
    char *const *details; /* the audit details, one per hash (consume only) */
    long long gen;        /* auth_gen the token and credential were checked at */
    long long gen_now;    /* auth_gen inside the job's transaction, -1 before */
    int status;           /* the refusal: HTTP status, CSC error and description */
    const char *err, *why;
} sad_job;

static void job_refuse(sad_job *j, int status, const char *err, const char *why)
{
    j->status = status;
    j->err = err;
    j->why = why;
}

/* The SAD belongs to the user and credential, has not expired, is for this hash
 * algorithm and still has hashes: 1, or 0 with j->why, or -1 on a database error. With
 * `hash`, *have gets how many of the SAD's rows hold it, in the same statement (the check
 * before signing of a one-hash request is then one query). */
static int sad_usable(srv_db *db, sad_job *j, const char *hash, long long *have)
{
    srv_row row;
    int ret = -1;
    const char *p[] = { j->sad_hash, hash };
    memset(&row, 0, sizeof row);
    /* CASE: EXISTS is 1/0 on SQLite but t/f on PostgreSQL */
    if (srv_db_get(db,
                   hash ? "SELECT owner, credential, hash_alg, expires, CASE WHEN EXISTS (SELECT "
                          "1 FROM sad_hashes WHERE sad = $1) THEN 1 ELSE 0 END, (SELECT COUNT(*) "
                          "FROM sad_hashes WHERE sad = $1 AND hash = $2) FROM sads WHERE hash = $1"
                        : "SELECT owner, credential, hash_alg, expires, CASE WHEN EXISTS (SELECT "
                          "1 FROM sad_hashes WHERE sad = $1) THEN 1 ELSE 0 END FROM sads "
                          "WHERE hash = $1",
                   p, hash ? 2 : 1, &row) != LTS_OK)
        goto out;
    ret = 0;
    if (!row.found || !row.v[0] || strcmp(row.v[0], j->user) || !row.v[1] ||
        strcmp(row.v[1], j->cred))
        j->why = "Invalid parameter SAD";
    else if (!row.v[3] || atoll(row.v[3]) <= api_now())
        j->why = "SAD expired";
    else if (!row.v[2] || strcmp(row.v[2], j->alg_oid) != 0)
        j->why = "Invalid parameter hashAlgorithmOID";
    else if (!row.v[4] || atoi(row.v[4]) == 0)
        j->why = "The SAD has been used for every signature it authorised";
    else
        ret = 1;
    if (hash)
        *have = row.v[5] ? atoll(row.v[5]) : 0;
out:
    srv_row_dispose(&row);
    return ret;
}

/* The check before signing in the database (no transaction, no change): the SAD is
 * usable and holds each hash as often as the request has it. The job checks again:
 * another request may use the SAD in between. */
static int sad_precheck(srv_db *db, sad_job *j)
{
    long long have = 0;
    int u = sad_usable(db, j, j->nh == 1 ? j->hashes[0] : NULL, &have);
    if (u != 1)
        return u;
    if (j->nh == 1) {
        if (have < 1) {
            j->why = "Hash is not authorized by the SAD";
            return 0;
        }
        return 1;
    }
    for (size_t i = 0; i < j->nh; i++) {
        srv_row cnt;
        long long want = 0;
        const char *ph[] = { j->sad_hash, j->hashes[i] };
        for (size_t k = 0; k < j->nh; k++)
            want += strcmp(j->hashes[k], j->hashes[i]) == 0;
        if (srv_db_get(db, "SELECT COUNT(*) FROM sad_hashes WHERE sad = $1 AND hash = $2", ph,
                       2, &cnt) != LTS_OK)
            return -1;
        have = cnt.found && cnt.v[0] ? atoll(cnt.v[0]) : 0;
        srv_row_dispose(&cnt);
        if (have < want) {
            j->why = "Hash is not authorized by the SAD";
            return 0;
        }
    }
    return 1;
}

/* In the job, when auth_gen moved since the request was checked: the access token and
 * the credential as they are now (on the write connection), with the answers the
 * checks before signing give. */
static int auth_recheck(srv_db *db, sad_job *j)
{
    char owner[80];
    long long expires = 0;
    int status = 0;
    const char *err = NULL, *desc = NULL, *why;
    srv_cred c;
    int t = api_token_check(db, j->token_hash, owner, sizeof owner, &expires, &status, &err,
                            &desc);
    if (t < 0)
        return -1;
    if (t == 0) {
        job_refuse(j, status, err, desc);
        return 0;
    }
    if (strcmp(owner, j->user) != 0) {
        job_refuse(j, 401, "invalid_token", "Invalid or revoked access token");
        return 0;
    }
    lts_status st = srv_cred_get(db, j->cred, &c);
    if (st == LTS_E_NOTFOUND || (st == LTS_OK && strcmp(c.user, j->user) != 0)) {
        srv_cred_dispose(&c);
        job_refuse(j, 400, "invalid_request", "Invalid parameter credentialID");
        return 0;
    }
    if (st != LTS_OK)
        return -1;
    why = api_cred_refusal(&c);
    srv_cred_dispose(&c);
    if (why != NULL) {
        job_refuse(j, 400, "invalid_request", why);
        return 0;
    }
    return 1;
}

/* The group-commit job (srv_tx_fn): decide on the token and credential when they may have
 * changed, take the requested hashes out of the SAD, all or none (a refusal is rolled
 * back to the job's savepoint), and append the audit records. Each DELETE also requires
 * the SAD row as the check before signing found it (owner, credential, algorithm, not
 * expired), so the database decides, whatever the cache said. */
static int sad_consume(srv_db *db, void *ud)
{
    sad_job *j = ud;
    if (srv_authcache_read_gen(db, &j->gen_now) != LTS_OK)
        return -1;
    if (j->gen_now != j->gen) {
        int a = auth_recheck(db, j);
        if (a != 1)
            return a;
    }
    char now[24];
    snprintf(now, sizeof now, "%lld", api_now());
    for (size_t i = 0; i < j->nh; i++) {
        const char *ph[] = { j->sad_hash, j->hashes[i], now, j->user, j->cred, j->alg_oid };
        long changes = 0;
        if (srv_db_exec(db, "DELETE FROM sad_hashes WHERE sad = $1 AND hash = $2 AND n = "
                            "(SELECT MIN(n) FROM sad_hashes WHERE sad = $1 AND hash = $2) AND "
                            "EXISTS (SELECT 1 FROM sads WHERE hash = $1 AND expires > "
                            "CAST($3 AS BIGINT) AND owner = $4 AND credential = $5 AND "
                            "hash_alg = $6)",
                        ph, 6, NULL, NULL, &changes) != LTS_OK)
            return -1;
        if (changes != 1) {
            /* why: the SAD as it is now (rare: a race, a replay, an expiry) */
            int u = sad_usable(db, j, NULL, NULL);
            if (u == 1)
                j->why = "Hash is not authorized by the SAD";
            return u < 0 ? -1 : 0;
        }
    }
    for (size_t i = 0; i < j->nh; i++) {
        if (srv_audit_in_tx(db, ev, j->user, j->cred, "ok", j->details[i]) != LTS_OK)
            return -1;
    }
    return 1;
}

static void sad_job_init(sad_job *j, api_req *r, const srv_cred *c, const char *sad,
                         const char *alg_oid, char **hashes, size_t nh)
{
    memset(j, 0, sizeof *j);
    j->user = r->user;
    j->cred = c->id;
    j->token_hash = r->token_hash;
    j->alg_oid = alg_oid;
    j->hashes = hashes;
    j->nh = nh;
    j->gen = r->gen;
    j->gen_now = -1;
    j->status = 400;
    j->err = "invalid_request";
    srv_sha256_hex(sad, strlen(sad), j->sad_hash);
}

/* The response for a check or job that did not return 1. */
static void sad_answer(api_req *r, const sad_job *j, int res)
{
    if (res == 0)
        api_refuse(r, ev, j->cred, j->status, j->err, j->why);
    else
        api_server_error(r, ev);
}

/* The check before signing: 1, or 0 with the response set. */
static int sad_check(api_req *r, sad_job *j)
{
    int res = srv_authcache_sad_check(r->ctx->ac, j->sad_hash, j->user, j->cred, j->alg_oid,
                                      j->hashes, j->nh, &j->why);
    if (res < 0)
        res = sad_precheck(r->ctx->db, j);
    if (res != 1)
        sad_answer(r, j, res);
    return res == 1;
}

/* Consume the SAD and log the values (details) in a group commit: 1, or 0 with the
 * response set. */
static int sad_commit(api_req *r, sad_job *j, char *const *details)
{
    j->details = details;
    int res = srv_db_group(r->ctx->db, sad_consume, j);
    if (j->gen_now >= 0)
        srv_authcache_observe(r->ctx->ac, j->gen_now);
    if (res == 1)
        srv_authcache_sad_consumed(r->ctx->ac, j->sad_hash, j->hashes, j->nh);
    else
        sad_answer(r, j, res);
    return res == 1;
}

/* signHash's credential: from the cache at the request's generation, else from the
 * database (then cached). A cached copy has pin_hash "": signHash does not use it. */
static int load_cred(api_req *r, json_t *body, const char *event, srv_cred *c)
{
    const char *id = api_str(body, "credentialID");
    int hit = id ? srv_authcache_cred(r->ctx->ac, id, r->gen, c) : 0;
    if (hit < 0) {
        api_server_error(r, event);
        return 0;
    }
    if (hit == 0) {
        if (!api_load_cred(r, body, event, c))
            return 0;
        srv_authcache_cred_put(r->ctx->ac, r->gen, c);
        return 1;
    }
    if (strcmp(c->user, r->user) == 0)
        return 1;
    srv_cred_dispose(c);
    api_refuse(r, event, NULL, 400, "invalid_request", "Invalid parameter credentialID");
    return 0;
}

/* STRICT: the value must verify with the certified key before it leaves the service. */
static int value_verifies(EVP_PKEY *pk, int scheme, lts_hash alg, lts_span dg, lts_span sig)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, lts_hash__md(alg)) == 1;
    if (ok && scheme == SRV_SIG_RSA_PKCS1)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    if (ok && scheme == SRV_SIG_RSA_PSS)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, lts_hash__md(alg)) == 1;
    ok = ok && EVP_PKEY_verify(ctx, sig.p, sig.n, dg.p, dg.n) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* Sign every hash into out and make its audit record's detail in details[i] (lts_malloc);
 * nothing is logged or returned here (sad_commit does both). */
static int sign_all(api_req *r, const srv_cred *c, int scheme, lts_hash alg,
                    const char *alg_oid, char **hashes, size_t nh, json_t *out, char **details)
{
    lts_buf id = LTS_BUF_INIT, dg = LTS_BUF_INIT, sig = LTS_BUF_INIT, b64 = LTS_BUF_INIT;
    EVP_PKEY *pk = NULL;
    int ok = 0;
    char detail[200];
    if (lts_hex__decode(&id, c->id, strlen(c->id)) != LTS_OK ||
        srv_pkcache_get(r->ctx->pkc, c->spki, &pk) != LTS_OK)
        goto out;
    for (size_t i = 0; i < nh; i++) {
        dg.n = sig.n = b64.n = 0;
        if (lts_hex__decode(&dg, hashes[i], strlen(hashes[i])) != LTS_OK ||
            srv_p11_sign(r->ctx->p11, lts_buf_span(&id), scheme, alg, lts_buf_span(&dg), &sig) !=
                LTS_OK)
            goto out;
        if (!value_verifies(pk, scheme, alg, lts_buf_span(&dg), lts_buf_span(&sig))) {
            lts_err__set(LTS_E_CRYPTO, LTS_MODULE, 0, "the token's value does not verify");
            goto out;
        }
        if (lts_b64__encode(&b64, lts_buf_span(&sig)) != LTS_OK)
            goto out;
        json_array_append_new(out, json_string((const char *)b64.p));
        snprintf(detail, sizeof detail, "%s %s", alg_oid, hashes[i]);
        if ((details[i] = lts_strdup(detail)) == NULL)
            goto out;
    }
    ok = 1;
out:
    EVP_PKEY_free(pk);
    lts_buf_dispose(&id);
    lts_buf_dispose(&dg);
    lts_buf_dispose(&sig);
    lts_buf_dispose(&b64);
    return ok;
}

void api_m_sign_hash(api_req *r, json_t *body)
{
    srv_cred c;
    char **hashes = NULL;
    size_t nh = 0;
    json_t *sigs = NULL;
    char **details = NULL;
    const api_sign_algo *sa = NULL;
    sad_job j;
    if (!load_cred(r, body, ev, &c))
        return;
    if (!api_cred_usable(r, ev, &c))
        goto out;
    const char *sad = api_str(body, "SAD");
    if (sad == NULL) {
        api_error(r, 400, "invalid_request", "Missing (or invalid type) string parameter SAD");
        goto out;
    }
    const char *mode = api_str(body, "operationMode");
    if (mode && strcmp(mode, "S") != 0) {
        api_error(r, 501, "not_implemented_method", "Only operationMode S is supported");
        goto out;
    }
    const char *so = api_str(body, "signAlgo");
    for (size_t i = 0; so && i < api_sign_algos_n; i++) {
        if (strcmp(api_sign_algos[i].oid, so) == 0)
            sa = &api_sign_algos[i];
    }
    if (sa == NULL || sa->ec != srv_algo_is_ec(c.algo)) {
        api_error(r, 400, "invalid_request", "Invalid parameter signAlgo");
        goto out;
    }
    if (sa->scheme != SRV_SIG_RSA_PSS && json_object_get(body, "signAlgoParams") != NULL) {
        api_error(r, 400, "invalid_request", "signAlgoParams is not supported for this signAlgo");
        goto out;
    }
    const char *hoid = api_str(body, "hashAlgorithmOID");
    lts_hash alg = api_hash_of_oid(hoid);
    if ((hoid && alg == LTS_HASH_NONE) || (sa->hash == LTS_HASH_NONE && alg == LTS_HASH_NONE) ||
        (sa->hash != LTS_HASH_NONE && alg != LTS_HASH_NONE && sa->hash != alg)) {
        api_error(r, 400, "invalid_request", "Invalid parameter hashAlgorithmOID");
        goto out;
    }
    if (alg == LTS_HASH_NONE)
        alg = sa->hash;
    if (sa->scheme == SRV_SIG_RSA_PSS && !pss_params_ok(api_str(body, "signAlgoParams"), alg)) {
        api_error(r, 400, "invalid_request", "Invalid parameter signAlgoParams (RSASSA-PSS "
                  "with MGF1 of the same hash and a salt of the hash length only)");
        goto out;
    }
    const char *alg_oid = alg == LTS_HASH_SHA256 ? OID_SHA256
                          : alg == LTS_HASH_SHA384 ? OID_SHA384
                                                   : OID_SHA512;
    if (!api_parse_hashes(r, body, alg, &hashes, &nh))
        goto out;
    /* check the SAD, sign, then consume it and log the values in one commit before they
     * are returned */
    sad_job_init(&j, r, &c, sad, alg_oid, hashes, nh);
    if (!sad_check(r, &j))
        goto out;
    if ((details = lts_calloc(nh, sizeof *details)) == NULL || (sigs = json_array()) == NULL ||
        !sign_all(r, &c, sa->scheme, alg, alg_oid, hashes, nh, sigs, details)) {
        api_server_error(r, ev);
        goto out;
    }
    if (!sad_commit(r, &j, details))
        goto out;
    r->resp = json_pack("{s:O}", "signatures", sigs);
    r->status = r->resp ? 200 : 500;
out:
    for (size_t i = 0; details && i < nh; i++)
        lts_free(details[i]);
    lts_free(details);
    json_decref(sigs);
    api_free_hashes(hashes);
    srv_cred_dispose(&c);
}
