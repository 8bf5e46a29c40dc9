/* ltsigd key backup / restore: a credential's private key wrapped inside the token under
 * the trusted backup key (CKM_AES_KEY_WRAP_PAD, RFC 5649), with the credential's record
 * (owner, algorithm, public key, PIN hash, certificate chain), tagged with HMAC-SHA256
 * under a MAC key that never leaves the token either. Operator commands only: the CSC
 * API has no way to ask for them.
 *
 * The file is text, one "name value" per line, in this order:
 *     ltsigd-backup 1
 *     credential ID / owner USER / algo ALGO / spki B64 / pin_hash PHC / chain B64,..|-
 *     created UNIXTIME / wrapped B64
 *     tag HEX            (HMAC-SHA256 of every byte before this line)
 */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include "core/codec.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"
#include "cmd_int.h"

#define BACKUP_MAGIC "ltsigd-backup 1\n"
#define BACKUP_MAX ((size_t)1 << 20)

static lts_status line(lts_buf *b, const char *name, const char *value)
{
    lts_status rc = LTS_OK;
    LTS_TRY(lts_buf_append(b, name, strlen(name)));
    LTS_TRY(lts_buf_append(b, " ", 1));
    LTS_TRY(lts_buf_append(b, value, strlen(value)));
    LTS_TRY(lts_buf_append(b, "\n", 1));
out:
    return rc;
}

lts_status srv_key_backup(srv_ctx *ctx, const char *cred_id, const char *path)
{
    lts_status rc = LTS_OK;
    srv_cred c;
    lts_buf id = LTS_BUF_INIT, wrapped = LTS_BUF_INIT, b64 = LTS_BUF_INIT, text = LTS_BUF_INIT,
            hex = LTS_BUF_INIT;
    uint8_t tag[32];
    char now[24];
    memset(&c, 0, sizeof c);
    rc = srv_cred_get(ctx->db, cred_id, &c);
    if (rc == LTS_E_NOTFOUND)
        LTS_FAIL(LTS_E_NOTFOUND, "no credential '%.64s'", cred_id);
    LTS_TRY(rc);
    LTS_TRY(lts_hex__decode(&id, c.id, strlen(c.id)));
    LTS_TRY(srv_p11_wrap(ctx->p11, lts_buf_span(&id), &wrapped));
    LTS_TRY(lts_b64__encode(&b64, lts_buf_span(&wrapped)));
    srv_now_str(now);
    LTS_TRY(lts_buf_append(&text, BACKUP_MAGIC, strlen(BACKUP_MAGIC)));
    LTS_TRY(line(&text, "credential", c.id));
    LTS_TRY(line(&text, "owner", c.user));
    LTS_TRY(line(&text, "algo", c.algo));
    LTS_TRY(line(&text, "spki", c.spki));
    LTS_TRY(line(&text, "pin_hash", c.pin_hash));
    LTS_TRY(line(&text, "chain", c.chain && *c.chain ? c.chain : "-"));
    LTS_TRY(line(&text, "created", now));
    LTS_TRY(line(&text, "wrapped", (const char *)b64.p));
    LTS_TRY(srv_p11_mac(ctx->p11, lts_buf_span(&text), tag));
    LTS_TRY(lts_hex__encode(&hex, lts_span_of(tag, sizeof tag)));
    LTS_TRY(line(&text, "tag", (const char *)hex.p));
    LTS_TRY(lts_io__write_atomic(path, lts_buf_span(&text), 1));
    LTS_TRY(srv_audit(ctx->db, "key.backup", "admin", c.id, "ok", path));
out:
    if (rc != LTS_OK && c.id)
        (void)srv_audit(ctx->db, "key.backup", "admin", c.id, "error",
                        lts_error_last()->message);
    srv_cred_dispose(&c);
    lts_buf_dispose(&id);
    lts_buf_dispose(&wrapped);
    lts_buf_dispose(&b64);
    lts_buf_dispose(&text);
    lts_buf_dispose(&hex);
    return rc;
}

/* ---- restore -------------------------------------------------------------------------------- */

enum { F_CRED, F_OWNER, F_ALGO, F_SPKI, F_PIN, F_CHAIN, F_CREATED, F_WRAPPED, F_TAG, F_N };
static const char *const field_names[F_N] = { "credential", "owner",   "algo",
                                              "spki",       "pin_hash", "chain",
                                              "created",    "wrapped", "tag" };

/* Split the (NUL-terminated, writable) text after the magic line into the fields, in
 * their fixed order. */
static lts_status parse(char *s, const char *path, char *f[F_N])
{
    lts_status rc = LTS_OK;
    for (int i = 0; i < F_N; i++) {
        size_t n = strlen(field_names[i]);
        char *nl = strchr(s, '\n');
        LTS_ENSURE(nl != NULL && strncmp(s, field_names[i], n) == 0 && s[n] == ' ' &&
                       s + n + 1 < nl,
                   LTS_E_INPUT, "%s: line %d should be '%s VALUE'", path, i + 2,
                   field_names[i]);
        *nl = 0;
        f[i] = s + n + 1;
        LTS_ENSURE(strchr(f[i], ' ') == NULL, LTS_E_INPUT, "%s: line %d: a space in the value",
                   path, i + 2);
        s = nl + 1;
    }
    LTS_ENSURE(*s == 0, LTS_E_INPUT, "%s: text after the tag line", path);
out:
    return rc;
}

/* Sign a test digest with the restored key and check it with the recorded public key. */
static lts_status key_matches(srv_ctx *ctx, lts_span id, const char *algo, const char *spki)
{
    lts_status rc = LTS_OK;
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *vc = NULL;
    lts_buf sig = LTS_BUF_INIT;
    uint8_t dg[32];
    int ec = srv_algo_is_ec(algo);
    LTS_TRY(srv_random(dg, sizeof dg));
    LTS_TRY(srv_spki_decode(spki, &pk));
    LTS_TRY(srv_p11_sign(ctx->p11, id, ec ? SRV_SIG_ECDSA : SRV_SIG_RSA_PKCS1, LTS_HASH_SHA256,
                         lts_span_of(dg, sizeof dg), &sig));
    LTS_ALLOC(vc = EVP_PKEY_CTX_new(pk, NULL));
    LTS_ENSURE(EVP_PKEY_verify_init(vc) == 1 &&
                   EVP_PKEY_CTX_set_signature_md(vc, EVP_sha256()) == 1 &&
                   (ec || EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PADDING) == 1) &&
                   EVP_PKEY_verify(vc, sig.p, sig.n, dg, sizeof dg) == 1,
               LTS_E_CRYPTO, "the restored key does not match the credential's public key");
out:
    ERR_clear_error();
    EVP_PKEY_CTX_free(vc);
    EVP_PKEY_free(pk);
    lts_buf_dispose(&sig);
    return rc;
}

lts_status srv_key_restore(srv_ctx *ctx, const char *path, char **cred_out)
{
    lts_status rc = LTS_OK;
    lts_buf raw = LTS_BUF_INIT_MAX(BACKUP_MAX), id = LTS_BUF_INIT, wrapped = LTS_BUF_INIT,
            want = LTS_BUF_INIT;
    char *f[F_N], label[64], now[24];
    uint8_t tag[32];
    srv_cred c;
    srv_user u;
    int made = 0, tx = 0, existing = 0;
    memset(&c, 0, sizeof c);
    memset(&u, 0, sizeof u);
    memset(f, 0, sizeof f);
    *cred_out = NULL;
    LTS_TRY(lts_io__read_file(&raw, path, BACKUP_MAX));
    LTS_TRY(lts_buf_nul(&raw));
    LTS_ENSURE(raw.n > strlen(BACKUP_MAGIC) && memcmp(raw.p, BACKUP_MAGIC,
                                                      strlen(BACKUP_MAGIC)) == 0 &&
                   memchr(raw.p, 0, raw.n) == NULL,
               LTS_E_INPUT, "%s: not an ltsigd backup file", path);
    /* the tag covers every byte before the last line */
    char *s = (char *)raw.p;
    char *tagline = strstr(s, "\ntag ");
    LTS_ENSURE(tagline != NULL, LTS_E_INPUT, "%s: no tag line", path);
    tagline++;
    LTS_TRY(srv_p11_mac(ctx->p11, lts_span_of(raw.p, (size_t)(tagline - s)), tag));
    LTS_TRY(parse(s + strlen(BACKUP_MAGIC), path, f));
    LTS_ENSURE(strlen(f[F_TAG]) == 64 && lts_hex__decode(&want, f[F_TAG], 64) == LTS_OK &&
                   CRYPTO_memcmp(want.p, tag, sizeof tag) == 0,
               LTS_E_INPUT, "%s: the integrity tag does not match (the file was altered, or "
               "made with another token's backup MAC key)", path);
    LTS_ENSURE(strlen(f[F_CRED]) == 32 &&
                   lts_hex__decode(&id, f[F_CRED], 32) == LTS_OK && srv_name_ok(f[F_OWNER], 64),
               LTS_E_INPUT, "%s: bad credential ID or owner", path);
    LTS_ENSURE(strncmp(f[F_ALGO], "rsa", 3) == 0 || strcmp(f[F_ALGO], "ec-p256") == 0 ||
                   strcmp(f[F_ALGO], "ec-p384") == 0,
               LTS_E_INPUT, "%s: unknown key algorithm", path);
    LTS_TRY(lts_b64__decode(&wrapped, f[F_WRAPPED], strlen(f[F_WRAPPED])));
    LTS_ENSURE(!srv_p11_has_key(ctx->p11, lts_buf_span(&id)), LTS_E_INPUT,
               "credential %s still has its key in the token; nothing to restore", f[F_CRED]);
    rc = srv_user_get(ctx->db, f[F_OWNER], &u);
    if (rc == LTS_E_NOTFOUND)
        LTS_FAIL(LTS_E_NOTFOUND, "%s: the owner '%s' is not a user (ltsigd user add first)",
                 path, f[F_OWNER]);
    LTS_TRY(rc);
    rc = srv_cred_get(ctx->db, f[F_CRED], &c);
    if (rc == LTS_OK) {
        existing = 1;
        LTS_ENSURE(strcmp(c.user, f[F_OWNER]) == 0 && strcmp(c.spki, f[F_SPKI]) == 0,
                   LTS_E_INPUT, "%s: credential %s exists with another owner or key", path,
                   f[F_CRED]);
    } else if (rc == LTS_E_NOTFOUND) {
        lts_error_clear();
        rc = LTS_OK;
    }
    LTS_TRY(rc);
    snprintf(label, sizeof label, "ltsigd-%s", f[F_CRED]);
    LTS_TRY(srv_p11_unwrap(ctx->p11, lts_buf_span(&wrapped), f[F_ALGO], lts_buf_span(&id),
                           label));
    made = 1;
    LTS_TRY(key_matches(ctx, lts_buf_span(&id), f[F_ALGO], f[F_SPKI]));
    srv_now_str(now);
    const char *chain = strcmp(f[F_CHAIN], "-") == 0 ? NULL : f[F_CHAIN];
    LTS_TRY(srv_db_begin(ctx->db));
    tx = 1;
    if (existing) {
        const char *p[] = { f[F_CRED], f[F_PIN], chain };
        LTS_TRY(srv_db_exec(ctx->db, "UPDATE credentials SET pin_hash = $2, chain = $3, "
                                     "failures = 0, locked = 0 WHERE id = $1",
                            p, 3, NULL, NULL, NULL));
    } else {
        const char *p[] = { f[F_CRED], f[F_OWNER], f[F_ALGO], f[F_SPKI], f[F_PIN], now, chain };
        LTS_TRY(srv_db_exec(ctx->db, "INSERT INTO credentials(id, owner, algo, spki, pin_hash, "
                                     "created, chain) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            p, 7, NULL, NULL, NULL));
    }
    tx = 0;
    LTS_TRY(srv_db_commit(ctx->db));
    made = 0;
    LTS_TRY(srv_audit(ctx->db, "key.restore", "admin", f[F_CRED], "ok", f[F_OWNER]));
    LTS_ALLOC(*cred_out = lts_strdup(f[F_CRED]));
out:
    if (tx)
        srv_db_rollback(ctx->db);
    if (made)
        srv_p11_destroy(ctx->p11, lts_buf_span(&id));
    if (rc != LTS_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: %s", path, lts_error_last()->message);
        lts_status keep = rc;
        (void)srv_audit(ctx->db, "key.restore", "admin", f[F_CRED] ? f[F_CRED] : "", "refused",
                        msg);
        rc = keep;
    }
    srv_cred_dispose(&c);
    srv_user_dispose(&u);
    lts_buf_dispose(&raw);
    lts_buf_dispose(&id);
    lts_buf_wipe(&wrapped);
    lts_buf_dispose(&want);
    return rc;
}
