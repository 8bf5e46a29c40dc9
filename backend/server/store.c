/* ltsigd data: the schema and the reads every part needs. Timestamps are Unix seconds;
 * binary values are stored as hex or base64 text so the SQL stays engine-neutral. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/mem.h"
#include <openssl/crypto.h>

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS users("
    " name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL, totp_secret TEXT NOT NULL,"
    " failures BIGINT NOT NULL DEFAULT 0, locked BIGINT NOT NULL DEFAULT 0,"
    " totp_last BIGINT NOT NULL DEFAULT 0, created BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS credentials("
    " id TEXT PRIMARY KEY, owner TEXT NOT NULL REFERENCES users(name), algo TEXT NOT NULL,"
    " spki TEXT NOT NULL, pin_hash TEXT NOT NULL, chain TEXT,"
    " failures BIGINT NOT NULL DEFAULT 0, locked BIGINT NOT NULL DEFAULT 0,"
    " created BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS credentials_owner ON credentials(owner);"
    "CREATE TABLE IF NOT EXISTS tokens("
    " hash TEXT PRIMARY KEY, owner TEXT NOT NULL REFERENCES users(name),"
    " expires BIGINT NOT NULL, revoked BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS sads("
    " hash TEXT PRIMARY KEY, owner TEXT NOT NULL, credential TEXT NOT NULL,"
    " hash_alg TEXT NOT NULL, hashes TEXT NOT NULL, expires BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit("
    " seq BIGINT PRIMARY KEY, ts TEXT NOT NULL, event TEXT NOT NULL, actor TEXT NOT NULL,"
    " credential TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL,"
    " prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS audit_event ON audit(event, seq);"
    "CREATE TABLE IF NOT EXISTS audit_head("
    " id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);"
    /* the generation of the rows signHash's checks read (authcache.c): raised by the
     * triggers below in the transaction of any change that matters to those checks */
    "CREATE TABLE IF NOT EXISTS auth_gen(id BIGINT PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);"
    "INSERT INTO auth_gen(id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;"
    "INSERT INTO meta(k, v) VALUES ('schema_version', '1') ON CONFLICT (k) DO NOTHING;";

/* The same triggers in each engine's words: a change of these columns, or a deleted row,
 * raises auth_gen.n (failure counters and TOTP steps do not: signHash does not read them). */
#define GEN_TRIGGERS(T)                                                                     \
    T("users_u", "UPDATE OF name, locked", "users")                                         \
    T("users_d", "DELETE", "users")                                                         \
    T("tokens_u", "UPDATE OF hash, owner, expires, revoked", "tokens")                      \
    T("tokens_d", "DELETE", "tokens")                                                       \
    T("creds_u", "UPDATE OF id, owner, algo, spki, pin_hash, chain, locked", "credentials") \
    T("creds_d", "DELETE", "credentials")
#define SQLITE_T(name, what, table)                                                         \
    "CREATE TRIGGER IF NOT EXISTS auth_gen_" name " AFTER " what " ON " table               \
    " BEGIN UPDATE auth_gen SET n = n + 1 WHERE id = 1; END;"
#define PG_T(name, what, table)                                                             \
    "CREATE OR REPLACE TRIGGER auth_gen_" name " AFTER " what " ON " table                  \
    " FOR EACH STATEMENT EXECUTE FUNCTION lts_auth_gen_bump();"

/* sad_hashes: the hashes a SAD still authorises, one row each, deleted as they are signed
 * (sads.hashes keeps the list as authorised); signHash deletes by (sad, hash, MIN(n)). On
 * SQLite one B-tree keyed that way (WITHOUT ROWID): a rowid table, its primary key and an
 * index on (sad, hash) were three pages to write per SAD in every group commit. */
#define SAD_HASHES_SQLITE                                                                   \
    "(sad TEXT NOT NULL, n BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (sad, hash, n))" \
    " WITHOUT ROWID;"
static const char sqlite_more[] =
    "CREATE TABLE IF NOT EXISTS sad_hashes" SAD_HASHES_SQLITE GEN_TRIGGERS(SQLITE_T);
/* a database made before: the same rows into the new table, in one transaction */
static const char sqlite_sad_hashes_v2[] =
    "CREATE TABLE sad_hashes_v2" SAD_HASHES_SQLITE
    "INSERT INTO sad_hashes_v2(sad, n, hash) SELECT sad, n, hash FROM sad_hashes;"
    "DROP TABLE sad_hashes;"
    "ALTER TABLE sad_hashes_v2 RENAME TO sad_hashes;";
static const char pg_more[] =
    "CREATE TABLE IF NOT EXISTS sad_hashes("
    " sad TEXT NOT NULL, n BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (sad, n));"
    "CREATE INDEX IF NOT EXISTS sad_hashes_hash ON sad_hashes(sad, hash);"
    "CREATE OR REPLACE FUNCTION lts_auth_gen_bump() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN UPDATE auth_gen SET n = n + 1 WHERE id = 1; RETURN NULL; END $$;" GEN_TRIGGERS(PG_T);

static int has_rowid_cb(void *ud, int ncol, const char *const *vals)
{
    *(int *)ud = ncol > 0 && vals[0] && strstr(vals[0], "WITHOUT ROWID") == NULL;
    return 0;
}

/* SQLite: move a sad_hashes table of an older schema to the WITHOUT ROWID one, once, under
 * the write lock (another process may run the same check). */
static lts_status sqlite_migrate(srv_db *db)
{
    lts_status rc = LTS_OK;
    int old = 0, tx = 0;
    LTS_TRY(db->ops->begin(db));
    tx = 1;
    LTS_TRY(db->ops->exec(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'sad_hashes'", NULL, 0, has_rowid_cb, &old, NULL));
    if (old)
        LTS_TRY(db->ops->script(db, sqlite_sad_hashes_v2));
    tx = 0;
    LTS_TRY(db->ops->exec(db, "COMMIT", NULL, 0, NULL, NULL, NULL));
out:
    if (tx)
        (void)db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    return rc;
}

lts_status srv_store_schema(srv_db *db)
{
    lts_status rc = LTS_OK;
    int pg = strcmp(db->ops->name, "postgresql") == 0;
    pthread_mutex_lock(&db->mu);
    rc = db->ops->script(db, schema);
    if (rc == LTS_OK && !pg)
        rc = sqlite_migrate(db);
    if (rc == LTS_OK)
        rc = db->ops->script(db, pg ? pg_more : sqlite_more);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

static char *take(srv_row *r, int i)
{
    char *v = r->v[i];
    r->v[i] = NULL;
    return v;
}

lts_status srv_user_get(srv_db *db, const char *name, srv_user *u)
{
    lts_status rc = LTS_OK;
    srv_row r;
    const char *p[] = { name };
    memset(u, 0, sizeof *u);
    LTS_TRY(srv_db_get(db, "SELECT name, pw_hash, totp_secret, failures, locked, totp_last "
                           "FROM users WHERE name = $1", p, 1, &r));
    if (!r.found) {
        rc = lts_err__set(LTS_E_NOTFOUND, LTS_MODULE, 0, "no such user");
        goto out;
    }
    u->name = take(&r, 0);
    u->pw_hash = take(&r, 1);
    u->totp_secret = take(&r, 2);
    u->failures = r.v[3] ? atol(r.v[3]) : 0;
    u->locked = r.v[4] ? atol(r.v[4]) : 0;
    u->totp_last = r.v[5] ? atoll(r.v[5]) : 0;
    LTS_ENSURE(u->name && u->pw_hash && u->totp_secret, LTS_E_NOMEM, "out of memory");
out:
    srv_row_dispose(&r);
    if (rc != LTS_OK)
        srv_user_dispose(u);
    return rc;
}

void srv_user_dispose(srv_user *u)
{
    lts_free(u->name);
    if (u->totp_secret)
        OPENSSL_cleanse(u->totp_secret, strlen(u->totp_secret));
    lts_free(u->totp_secret);
    lts_free(u->pw_hash);
    memset(u, 0, sizeof *u);
}

lts_status srv_cred_get(srv_db *db, const char *id, srv_cred *c)
{
    lts_status rc = LTS_OK;
    srv_row r;
    const char *p[] = { id };
    memset(c, 0, sizeof *c);
    LTS_TRY(srv_db_get(db, "SELECT id, owner, algo, spki, pin_hash, chain, failures, locked "
                           "FROM credentials WHERE id = $1", p, 1, &r));
    if (!r.found) {
        rc = lts_err__set(LTS_E_NOTFOUND, LTS_MODULE, 0, "no such credential");
        goto out;
    }
    c->id = take(&r, 0);
    c->user = take(&r, 1);
    c->algo = take(&r, 2);
    c->spki = take(&r, 3);
    c->pin_hash = take(&r, 4);
    c->chain = take(&r, 5);
    c->failures = r.v[6] ? atol(r.v[6]) : 0;
    c->locked = r.v[7] ? atol(r.v[7]) : 0;
    LTS_ENSURE(c->id && c->user && c->algo && c->spki && c->pin_hash, LTS_E_NOMEM,
               "out of memory");
out:
    srv_row_dispose(&r);
    if (rc != LTS_OK)
        srv_cred_dispose(c);
    return rc;
}

void srv_cred_dispose(srv_cred *c)
{
    lts_free(c->id);
    lts_free(c->user);
    lts_free(c->algo);
    lts_free(c->spki);
    lts_free(c->pin_hash);
    lts_free(c->chain);
    memset(c, 0, sizeof *c);
}
