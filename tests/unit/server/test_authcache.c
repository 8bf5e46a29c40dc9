/* tests for backend/server/authcache.c: the generation (auth_gen, its triggers in store.c,
 * max_age, stale/observe), the cached tokens and credentials, the SADs and their limits,
 * and a concurrency smoke test (on SQLite) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lts_test.h"
#include "core/err.h"
#include "core/mem.h"
#include "srv_int.h"

static srv_db *fresh_db(int slot, const char *name, int schema)
{
    srv_db *db = NULL;
    const char *path = lts_test_tmp_file(slot, name);
    unlink(path);
    LTS_ASSERT_OK(srv_db_open(&db, path));
    if (schema)
        LTS_ASSERT_OK(srv_store_schema(db));
    return db;
}

static long long db_gen(srv_db *db)
{
    long long g = -100;
    LTS_ASSERT_OK(srv_authcache_read_gen(db, &g));
    return g;
}

static void exec_sql(srv_db *db, const char *sql)
{
    long changes = -1;
    LTS_ASSERT_OK(srv_db_exec(db, sql, NULL, 0, NULL, NULL, &changes));
    CU_ASSERT_EQUAL(changes, 1); /* each statement here changes exactly one row */
}

/* a 64-character lowercase hex string made of one repeated digit */
static void hex64(char out[65], char digit)
{
    memset(out, digit, 64);
    out[64] = '\0';
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- the generation ------------------------------------------------------------------- */

static void test_server_authcache__gen_without_cache(void)
{
    /* a database without the schema: reading auth_gen from it fails, so a -1 with LTS_OK
     * shows the db was not read */
    srv_db *db = fresh_db(0, "acnone.db", 0);
    long long g = 12345, r = 0;
    CU_ASSERT_NOT_EQUAL(srv_authcache_read_gen(db, &r), LTS_OK);
    LTS_ASSERT_OK(srv_authcache_gen(NULL, db, &g));
    CU_ASSERT_EQUAL(g, -1);
    /* and the other calls accept no cache */
    srv_authcache_observe(NULL, 3);
    srv_authcache_stale(NULL);
    srv_authcache_free(NULL);
    srv_db_close(db);
}

static void test_server_authcache__triggers(void)
{
    srv_db *db = fresh_db(1, "actrig.db", 1);
    long long g, g2;
    CU_ASSERT_EQUAL(db_gen(db), 0); /* a fresh schema */
    /* inserts do not count (nothing can be cached about a row that did not exist) */
    exec_sql(db, "INSERT INTO users(name, pw_hash, totp_secret, created) "
                 "VALUES ('alice', 'pw', 'totp', 0)");
    exec_sql(db, "INSERT INTO credentials(id, owner, algo, spki, pin_hash, chain, created) "
                 "VALUES ('cred1', 'alice', 'ec-p256', 'spki', 'pin', NULL, 0)");
    exec_sql(db, "INSERT INTO tokens(hash, owner, expires) VALUES ('tok1', 'alice', 99)");
    exec_sql(db, "INSERT INTO tokens(hash, owner, expires) VALUES ('tok2', 'alice', 99)");
    g = db_gen(db);
    CU_ASSERT_EQUAL(g, 0);

    /* counters and TOTP steps do not move it */
    exec_sql(db, "UPDATE users SET failures = 3 WHERE name = 'alice'");
    CU_ASSERT_EQUAL(db_gen(db), g);
    exec_sql(db, "UPDATE users SET totp_last = 5 WHERE name = 'alice'");
    CU_ASSERT_EQUAL(db_gen(db), g);
    exec_sql(db, "UPDATE credentials SET failures = 1 WHERE id = 'cred1'");
    CU_ASSERT_EQUAL(db_gen(db), g);

    /* what signHash reads does */
    exec_sql(db, "UPDATE credentials SET locked = 1 WHERE id = 'cred1'");
    g2 = db_gen(db);
    CU_ASSERT(g2 > g);
    g = g2;
    exec_sql(db, "UPDATE credentials SET chain = 'x' WHERE id = 'cred1'");
    g2 = db_gen(db);
    CU_ASSERT(g2 > g);
    g = g2;
    exec_sql(db, "UPDATE users SET locked = 1 WHERE name = 'alice'");
    g2 = db_gen(db);
    CU_ASSERT(g2 > g);
    g = g2;
    exec_sql(db, "UPDATE tokens SET revoked = 1 WHERE hash = 'tok1'");
    g2 = db_gen(db);
    CU_ASSERT(g2 > g);
    g = g2;
    exec_sql(db, "DELETE FROM tokens WHERE hash = 'tok2'");
    g2 = db_gen(db);
    CU_ASSERT(g2 > g);
    g = g2;
    exec_sql(db, "DELETE FROM credentials WHERE id = 'cred1'");
    g2 = db_gen(db);
    CU_ASSERT(g2 > g);
    srv_db_close(db);
}

static void test_server_authcache__gen_max_age(void)
{
    srv_db *db = fresh_db(2, "acage.db", 1);
    srv_authcache *c = NULL;
    long long g = -100, g0;
    exec_sql(db, "INSERT INTO users(name, pw_hash, totp_secret, created) "
                 "VALUES ('bob', 'pw', 'totp', 0)");
    /* a value the cache cannot have made up: the first call reads it */
    exec_sql(db, "UPDATE auth_gen SET n = 7 WHERE id = 1");
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, 7);

    /* a change in the database: within max_age the cached value is used */
    exec_sql(db, "UPDATE users SET locked = 1 WHERE name = 'bob'");
    g0 = db_gen(db);
    CU_ASSERT(g0 > 7);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, 7);
    /* stale: the next call reads the new value, and keeps it */
    srv_authcache_stale(c);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, g0);
    exec_sql(db, "UPDATE users SET locked = 0 WHERE name = 'bob'");
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, g0);
    /* a newer value observed (a job read it) is used without reading */
    srv_authcache_observe(c, g0 + 100);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, g0 + 100);
    srv_authcache_free(c);

    /* max_age 1 ms: after 5 ms the value is read again */
    c = NULL;
    LTS_ASSERT_OK(srv_authcache_new(&c, 1));
    g0 = db_gen(db);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, g0);
    exec_sql(db, "UPDATE users SET locked = 1 WHERE name = 'bob'");
    CU_ASSERT(db_gen(db) > g0);
    sleep_ms(5);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, db_gen(db));
    CU_ASSERT(g > g0);
    srv_authcache_free(c);

    /* a read failure is reported, not turned into a generation */
    c = NULL;
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    exec_sql(db, "DELETE FROM auth_gen WHERE id = 1");
    CU_ASSERT_NOT_EQUAL(srv_authcache_gen(c, db, &g), LTS_OK);
    CU_ASSERT_NOT_EQUAL(srv_authcache_read_gen(db, &g), LTS_OK);
    srv_authcache_free(c);
    srv_db_close(db);
}

/* ---- tokens and credentials ----------------------------------------------------------- */

static void test_server_authcache__tokens(void)
{
    srv_authcache *c = NULL;
    char tok[65], other[65], owner[80], longname[100];
    long long exp = 0;
    const long long G = 41;
    hex64(tok, 'a');
    hex64(other, 'b');
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    /* no generation yet: nothing is stored */
    srv_authcache_token_put(c, tok, 0, "alice", 1000);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, 0, owner, sizeof owner, &exp), 0);

    srv_authcache_observe(c, G);
    srv_authcache_token_put(c, tok, G, "alice", 1000);
    strcpy(owner, "?");
    exp = 0;
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G, owner, sizeof owner, &exp), 1);
    CU_ASSERT_STRING_EQUAL(owner, "alice");
    CU_ASSERT_EQUAL(exp, 1000);
    CU_ASSERT_EQUAL(srv_authcache_token(c, other, G, owner, sizeof owner, &exp), 0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G + 1, owner, sizeof owner, &exp), 0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G - 1, owner, sizeof owner, &exp), 0);
    /* a put at another generation than the cache's is ignored */
    srv_authcache_token_put(c, other, G + 1, "bob", 5);
    CU_ASSERT_EQUAL(srv_authcache_token(c, other, G + 1, owner, sizeof owner, &exp), 0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, other, G, owner, sizeof owner, &exp), 0);
    /* an owner too long to hold is not cached (rather than cut) */
    memset(longname, 'x', 90);
    longname[90] = '\0';
    srv_authcache_token_put(c, other, G, longname, 5);
    CU_ASSERT_EQUAL(srv_authcache_token(c, other, G, owner, sizeof owner, &exp), 0);

    /* the same generation observed again keeps the rows */
    srv_authcache_observe(c, G);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G, owner, sizeof owner, &exp), 1);
    /* a newer one drops them */
    srv_authcache_observe(c, G + 1);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G, owner, sizeof owner, &exp), 0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G + 1, owner, sizeof owner, &exp), 0);
    srv_authcache_token_put(c, tok, G + 1, "carol", 2000);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G + 1, owner, sizeof owner, &exp), 1);
    CU_ASSERT_STRING_EQUAL(owner, "carol");
    CU_ASSERT_EQUAL(exp, 2000);
    /* an older value does not take the cache back */
    srv_authcache_observe(c, G);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G + 1, owner, sizeof owner, &exp), 1);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, G, owner, sizeof owner, &exp), 0);
    srv_authcache_token_put(c, other, G, "dave", 1);
    CU_ASSERT_EQUAL(srv_authcache_token(c, other, G, owner, sizeof owner, &exp), 0);

    /* no cache: misses, puts do nothing */
    srv_authcache_token_put(NULL, tok, G + 1, "alice", 1);
    CU_ASSERT_EQUAL(srv_authcache_token(NULL, tok, G + 1, owner, sizeof owner, &exp), 0);
    srv_authcache_free(c);
}

static void test_server_authcache__credentials(void)
{
    srv_authcache *c = NULL;
    const long long G = 5;
    char id[] = "cred-1", user[] = "alice", algo[] = "rsa2048", spki[] = "MFkwEw==",
         pin[] = "$argon2id$secret", chain[] = "MIIB,MIIC";
    srv_cred in = { id, user, algo, spki, pin, chain, 2, 0 };
    srv_cred out, out2;
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    srv_authcache_observe(c, G);
    srv_authcache_cred_put(c, G, &in);
    /* the cache holds its own copy: changing the caller's strings changes nothing */
    id[0] = 'X';
    user[0] = 'X';
    chain[0] = 'X';
    memset(&out, 0, sizeof out);
    CU_ASSERT_EQUAL_FATAL(srv_authcache_cred(c, "cred-1", G, &out), 1);
    CU_ASSERT_STRING_EQUAL(out.id, "cred-1");
    CU_ASSERT_STRING_EQUAL(out.user, "alice");
    CU_ASSERT_STRING_EQUAL(out.algo, "rsa2048");
    CU_ASSERT_STRING_EQUAL(out.spki, "MFkwEw==");
    CU_ASSERT_STRING_EQUAL(out.chain, "MIIB,MIIC");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out.pin_hash);
    CU_ASSERT_STRING_EQUAL(out.pin_hash, ""); /* never the stored hash */
    CU_ASSERT_EQUAL(out.failures, 2);
    CU_ASSERT_EQUAL(out.locked, 0);
    /* a deep copy: changing it leaves the cache as it was */
    out.user[0] = 'Z';
    out.spki[0] = 'Z';
    out.locked = 1;
    memset(&out2, 0, sizeof out2);
    CU_ASSERT_EQUAL_FATAL(srv_authcache_cred(c, "cred-1", G, &out2), 1);
    CU_ASSERT_PTR_NOT_EQUAL(out2.user, out.user);
    CU_ASSERT_STRING_EQUAL(out2.user, "alice");
    CU_ASSERT_STRING_EQUAL(out2.spki, "MFkwEw==");
    CU_ASSERT_EQUAL(out2.locked, 0);
    srv_cred_dispose(&out);
    srv_cred_dispose(&out2);

    /* a NULL chain stays NULL */
    {
        srv_cred nc = { "cred-2", "bob", "ec-p256", "spki2", "pin", NULL, 0, 1 };
        srv_authcache_cred_put(c, G, &nc);
        memset(&out, 0, sizeof out);
        CU_ASSERT_EQUAL_FATAL(srv_authcache_cred(c, "cred-2", G, &out), 1);
        CU_ASSERT_PTR_NULL(out.chain);
        CU_ASSERT_STRING_EQUAL(out.user, "bob");
        CU_ASSERT_EQUAL(out.locked, 1);
        srv_cred_dispose(&out);
    }

    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-1", G + 1, &out), 0);
    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-9", G, &out), 0);
    /* a put at another generation is ignored */
    {
        srv_cred nc = { "cred-3", "bob", "ec-p256", "spki3", "pin", NULL, 0, 0 };
        srv_authcache_cred_put(c, G + 1, &nc);
        CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-3", G + 1, &out), 0);
        CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-3", G, &out), 0);
    }
    /* a newer generation drops every row; an older one does not come back */
    srv_authcache_observe(c, G + 1);
    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-1", G, &out), 0);
    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-1", G + 1, &out), 0);
    strcpy(id, "cred-1");
    strcpy(user, "erin");
    srv_authcache_cred_put(c, G + 1, &in);
    srv_authcache_observe(c, G);
    memset(&out, 0, sizeof out);
    CU_ASSERT_EQUAL_FATAL(srv_authcache_cred(c, "cred-1", G + 1, &out), 1);
    CU_ASSERT_STRING_EQUAL(out.user, "erin");
    srv_cred_dispose(&out);
    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-1", G, &out), 0);

    /* stale keeps nothing of the old generation once a newer one is read */
    srv_authcache_stale(c);
    srv_authcache_observe(c, G + 2);
    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-1", G + 1, &out), 0);
    CU_ASSERT_EQUAL(srv_authcache_cred(c, "cred-1", G + 2, &out), 0);

    /* no cache */
    srv_authcache_cred_put(NULL, G + 2, &in);
    CU_ASSERT_EQUAL(srv_authcache_cred(NULL, "cred-1", G + 2, &out), 0);
    srv_authcache_free(c);
}

/* ---- SADs ----------------------------------------------------------------------------- */

#define ALG "2.16.840.1.101.3.4.2.1"
#define ALG2 "2.16.840.1.101.3.4.2.3"

static void test_server_authcache__sads(void)
{
    srv_authcache *c = NULL;
    char sad[65], sad2[65], A[65], B[65], C[65];
    const char *why = NULL;
    long long future = (long long)time(NULL) + 300, past = (long long)time(NULL) - 1;
    hex64(sad, '1');
    hex64(sad2, '2');
    hex64(A, 'a');
    hex64(B, 'b');
    hex64(C, 'c');
    char *put[] = { A, B, A };
    char *aa[] = { A, A }, *aaa[] = { A, A, A }, *a1[] = { A }, *b1[] = { B }, *ab[] = { A, B },
         *bb[] = { B, B }, *c1[] = { C }, *ac[] = { A, C };

    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), -1);
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, put, 3));

    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "bob", "cred1", ALG, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Invalid parameter SAD");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred2", ALG, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Invalid parameter SAD");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG2, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Invalid parameter hashAlgorithmOID");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, c1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, ac, 2, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, aaa, 3, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, bb, 2, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
    /* an upper-case hash is another string */
    {
        char AU[65], *au[] = { AU };
        hex64(AU, 'A');
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, au, 1, &why), 0);
    }
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, aa, 2, &why), 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, ab, 2, &why), 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, b1, 1, &why), 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, put, 3, &why), 1);
    /* a check takes nothing */
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, aa, 2, &why), 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad2, "alice", "cred1", ALG, a1, 1, &why), -1);
    /* a second put of the same SAD does not replace the first */
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "mallory", "cred9", ALG2, future, c1, 1));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, put, 3, &why), 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "mallory", "cred9", ALG2, c1, 1, &why), 0);

    /* one A signed */
    srv_authcache_sad_consumed(c, sad, a1, 1);
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, aa, 2, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, ab, 2, &why), 1);
    /* a hash the SAD does not hold takes nothing */
    srv_authcache_sad_consumed(c, sad, c1, 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, ab, 2, &why), 1);
    /* the last A, then B: the entry goes */
    srv_authcache_sad_consumed(c, sad, a1, 1);
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, b1, 1, &why), 1);
    /* an A more than the SAD held (another server signed it): B is still there */
    srv_authcache_sad_consumed(c, sad, a1, 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, b1, 1, &why), 1);
    srv_authcache_sad_consumed(c, sad, b1, 1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, b1, 1, &why), -1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), -1);
    /* consuming what is gone is harmless */
    srv_authcache_sad_consumed(c, sad, b1, 1);

    /* all at once */
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, put, 3));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, put, 3, &why), 1);
    srv_authcache_sad_consumed(c, sad, put, 3);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), -1);

    /* drop */
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, put, 3));
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad2, "alice", "cred1", ALG, future, put, 3));
    srv_authcache_sad_drop(c, sad);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), -1);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad2, "alice", "cred1", ALG, a1, 1, &why), 1);
    srv_authcache_sad_drop(c, sad); /* twice: nothing */
    srv_authcache_sad_drop(c, sad2);
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad2, "alice", "cred1", ALG, a1, 1, &why), -1);

    /* expired: refused as such (owner checked first, then expiry, then algorithm) */
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, past, put, 3));
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "SAD expired");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG2, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "SAD expired");
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "bob", "cred1", ALG, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "Invalid parameter SAD");
    srv_authcache_sad_drop(c, sad);

    /* nothing to hold, or a hash too long: not cached (the database decides) */
    LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, put, 0));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), -1);
    {
        char big[SRV_HASH_HEX_MAX + 2], *bl[] = { A, big };
        memset(big, 'f', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        CU_ASSERT_NOT_EQUAL(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, bl, 2),
                            LTS_OK);
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, a1, 1, &why), -1);
        /* and a check with such a hash is refused, not read past */
        LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, put, 3));
        why = NULL;
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, bl, 2, &why), 0);
        CU_ASSERT_STRING_EQUAL(why ? why : "", "Hash is not authorized by the SAD");
        srv_authcache_sad_consumed(c, sad, bl, 2); /* takes the A only */
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, aa, 2, &why), 0);
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, ab, 2, &why), 1);
        srv_authcache_sad_drop(c, sad);
    }
    /* a SHA-512 digest in hex (128 characters) is held */
    {
        char h512[SRV_HASH_HEX_MAX + 1], *hl[] = { h512 };
        memset(h512, 'e', SRV_HASH_HEX_MAX);
        h512[SRV_HASH_HEX_MAX] = '\0';
        LTS_ASSERT_OK(srv_authcache_sad_put(c, sad, "alice", "cred1", ALG, future, hl, 1));
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, sad, "alice", "cred1", ALG, hl, 1, &why), 1);
        srv_authcache_sad_drop(c, sad);
    }

    /* no cache: puts do nothing, checks say "ask the database" */
    LTS_ASSERT_OK(srv_authcache_sad_put(NULL, sad, "alice", "cred1", ALG, future, put, 3));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(NULL, sad, "alice", "cred1", ALG, a1, 1, &why), -1);
    srv_authcache_sad_consumed(NULL, sad, a1, 1);
    srv_authcache_sad_drop(NULL, sad);
    srv_authcache_free(c);
}

/* ---- limits --------------------------------------------------------------------------- */

#define MAX_SADS 4096 /* AC_MAX_SADS */

static void sad_name(char out[65], int i)
{
    snprintf(out, 65, "%064x", (unsigned)i);
}

static void test_server_authcache__sad_limit(void)
{
    srv_authcache *c = NULL;
    char name[65], A[65], *a1[] = { A };
    const char *why = NULL;
    long long future = (long long)time(NULL) + 300, past = (long long)time(NULL) - 10;
    int held = 0;
    hex64(A, 'a');

    /* all live: the ones over the limit are not cached */
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    for (int i = 0; i < MAX_SADS + 10; i++) {
        sad_name(name, i);
        LTS_ASSERT_OK(srv_authcache_sad_put(c, name, "u", "c", ALG, future, a1, 1));
    }
    for (int i = 0; i < MAX_SADS + 10; i++) {
        sad_name(name, i);
        int r = srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why);
        if (i < MAX_SADS) {
            held += r == 1;
        } else {
            CU_ASSERT_EQUAL(r, -1);
        }
    }
    CU_ASSERT_EQUAL(held, MAX_SADS);
    /* a used-up SAD makes room */
    sad_name(name, 0);
    srv_authcache_sad_consumed(c, name, a1, 1);
    sad_name(name, MAX_SADS);
    LTS_ASSERT_OK(srv_authcache_sad_put(c, name, "u", "c", ALG, future, a1, 1));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why), 1);
    sad_name(name, MAX_SADS + 1);
    LTS_ASSERT_OK(srv_authcache_sad_put(c, name, "u", "c", ALG, future, a1, 1));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why), -1);
    srv_authcache_free(c);

    /* full, with 10 expired ones: the next put purges them and is cached */
    c = NULL;
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    for (int i = 0; i < MAX_SADS; i++) {
        sad_name(name, i);
        LTS_ASSERT_OK(srv_authcache_sad_put(c, name, "u", "c", ALG, i < 10 ? past : future,
                                            a1, 1));
    }
    sad_name(name, 3);
    why = NULL;
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why), 0);
    CU_ASSERT_STRING_EQUAL(why ? why : "", "SAD expired");
    sad_name(name, MAX_SADS);
    LTS_ASSERT_OK(srv_authcache_sad_put(c, name, "u", "c", ALG, future, a1, 1));
    CU_ASSERT_EQUAL(srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why), 1);
    held = 0;
    for (int i = 0; i < MAX_SADS; i++) {
        sad_name(name, i);
        int r = srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why);
        if (i < 10) {
            CU_ASSERT_EQUAL(r, -1); /* purged */
        } else {
            held += r == 1;
        }
    }
    CU_ASSERT_EQUAL(held, MAX_SADS - 10);
    /* 9 more fit, then it is full again */
    for (int i = MAX_SADS + 1; i < MAX_SADS + 11; i++) {
        sad_name(name, i);
        LTS_ASSERT_OK(srv_authcache_sad_put(c, name, "u", "c", ALG, future, a1, 1));
        CU_ASSERT_EQUAL(srv_authcache_sad_check(c, name, "u", "c", ALG, a1, 1, &why),
                        i < MAX_SADS + 10 ? 1 : -1);
    }
    srv_authcache_free(c);
}

/* ---- concurrency smoke test ----------------------------------------------------------- */

#define CC_THREADS 4
#define CC_ITERS 3000

typedef struct {
    srv_authcache *c;
    srv_db *db;
    int id;
    int bad;       /* results that must never happen */
    int sad_ok;    /* own SADs checked usable */
    int tok_hits;
} cc_arg;

static void *cc_work(void *arg)
{
    cc_arg *a = arg;
    char tok[65], sad[65], owner[80], want[80], H[65], Hb[65], id[32];
    char *hh[] = { H, H }, *h1[] = { H }, *hb[] = { Hb };
    const char *why;
    long long exp, g;
    hex64(H, 'a' + a->id);
    hex64(Hb, '0' + a->id);
    for (int i = 0; i < CC_ITERS; i++) {
        int k = i % 97;
        sad_name(tok, a->id * 1000 + k);
        snprintf(want, sizeof want, "user-%d-%d", a->id, k);
        snprintf(id, sizeof id, "cred-%d-%d", a->id, k);
        /* the database moves on now and then (thread 0 plays the admin) */
        if (a->id == 0 && i % 100 == 0 &&
            srv_db_exec(a->db, "UPDATE auth_gen SET n = n + 1 WHERE id = 1", NULL, 0, NULL,
                        NULL, NULL) != LTS_OK)
            a->bad++;
        /* a job confirms what it read in its transaction */
        if (i % 50 == 0) {
            if (srv_authcache_read_gen(a->db, &g) != LTS_OK)
                a->bad++;
            else
                srv_authcache_observe(a->c, g);
        }
        if (i % 200 == 0)
            srv_authcache_stale(a->c);
        /* the generation this request is checked at */
        if (srv_authcache_gen(a->c, a->db, &g) != LTS_OK || g < 0)
            a->bad++;
        srv_authcache_token_put(a->c, tok, g, want, i);
        owner[0] = '\0';
        exp = -1;
        if (srv_authcache_token(a->c, tok, g, owner, sizeof owner, &exp) == 1) {
            a->tok_hits++;
            if (strcmp(owner, want) != 0 || exp < 0)
                a->bad++;
        }
        {
            srv_cred in = { id, want, "ec-p256", "spki", "pin", NULL, 0, 0 }, out;
            srv_authcache_cred_put(a->c, g, &in);
            memset(&out, 0, sizeof out);
            int r = srv_authcache_cred(a->c, id, g, &out);
            if (r == 1) {
                if (strcmp(out.user, want) != 0 || strcmp(out.pin_hash, "") != 0)
                    a->bad++;
                srv_cred_dispose(&out);
            } else if (r != 0) {
                a->bad++;
            }
        }
        /* each thread's own SADs: nobody else touches them */
        sad_name(sad, (a->id + 100) * 1000 + k);
        if (srv_authcache_sad_put(a->c, sad, want, id, ALG, (long long)time(NULL) + 300, hh,
                                  2) != LTS_OK)
            a->bad++;
        why = NULL;
        int r = srv_authcache_sad_check(a->c, sad, want, id, ALG, hh, 2, &why);
        if (r == 1)
            a->sad_ok++;
        else
            a->bad++;
        if (srv_authcache_sad_check(a->c, sad, want, id, ALG, hb, 1, &why) != 0)
            a->bad++;
        srv_authcache_sad_consumed(a->c, sad, h1, 1);
        if (srv_authcache_sad_check(a->c, sad, want, id, ALG, hh, 2, &why) != 0)
            a->bad++;
        if (i % 2)
            srv_authcache_sad_consumed(a->c, sad, h1, 1);
        else
            srv_authcache_sad_drop(a->c, sad);
        if (srv_authcache_sad_check(a->c, sad, want, id, ALG, h1, 1, &why) != -1)
            a->bad++;
    }
    return NULL;
}

static void test_server_authcache__concurrent(void)
{
    srv_db *db = fresh_db(3, "acconc.db", 1);
    srv_authcache *c = NULL;
    pthread_t th[CC_THREADS];
    cc_arg a[CC_THREADS];
    long long g = -1;
    int hits = 0;
    LTS_ASSERT_OK(srv_authcache_new(&c, 1));
    memset(a, 0, sizeof a);
    for (int i = 0; i < CC_THREADS; i++) {
        a[i].c = c;
        a[i].db = db;
        a[i].id = i;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, cc_work, &a[i]), 0);
    }
    for (int i = 0; i < CC_THREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(a[i].bad, 0);
        CU_ASSERT_EQUAL(a[i].sad_ok, CC_ITERS);
        hits += a[i].tok_hits;
    }
    CU_ASSERT(hits > 0); /* the cache was used, not only missed */
    /* the cache still answers, at the database's generation once told to read it */
    srv_authcache_stale(c);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, db_gen(db));
    CU_ASSERT(g >= CC_ITERS / 100);
    srv_authcache_free(c);
    srv_db_close(db);
}

/* After stale() (this process changed a token, user or credential), a value a job read
 * BEFORE that change must not make the cache trusted again: only a read of auth_gen that
 * started after stale() does, and no row is used or stored meanwhile. */
static void test_server_authcache__stale_ignores_earlier_reads(void)
{
    srv_db *db = fresh_db(0, "ac-stale.db", 1);
    srv_authcache *c = NULL;
    long long g = 0, exp = 0, g0;
    char tok[65], owner[80];
    hex64(tok, 'a');
    LTS_ASSERT_OK(srv_authcache_new(&c, 60000));
    g0 = db_gen(db);
    srv_authcache_observe(c, g0);
    srv_authcache_token_put(c, tok, g0, "ann", 4102444800LL);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, g0, owner, sizeof owner, &exp), 1);
    /* the change, then stale(); a job that read g0 before the change reports it late */
    exec_sql(db, "INSERT INTO users(name, pw_hash, totp_secret, created) VALUES ('ann', 'x', 'x', 0)");
    exec_sql(db, "UPDATE users SET locked = 1 WHERE name = 'ann'");
    srv_authcache_stale(c);
    srv_authcache_observe(c, g0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, g0, owner, sizeof owner, &exp), 0);
    srv_authcache_token_put(c, tok, g0, "ann", 4102444800LL);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, g0, owner, sizeof owner, &exp), 0);
    /* the next request reads the database: the new generation, the old row gone */
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &g));
    CU_ASSERT_EQUAL(g, db_gen(db));
    CU_ASSERT(g > g0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, g, owner, sizeof owner, &exp), 0);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, g0, owner, sizeof owner, &exp), 0);
    /* trusted again: an older value observed later does not take it back */
    srv_authcache_observe(c, g0);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &exp));
    CU_ASSERT_EQUAL(exp, g);
    /* stale() when nothing moved (a revoke of an unknown token): the read keeps the rows */
    srv_authcache_token_put(c, tok, g, "ann", 4102444800LL);
    srv_authcache_token_put(c, tok, g, "ann", 4102444800LL); /* a second put is a no-op */
    srv_authcache_stale(c);
    LTS_ASSERT_OK(srv_authcache_gen(c, db, &exp));
    CU_ASSERT_EQUAL(exp, g);
    CU_ASSERT_EQUAL(srv_authcache_token(c, tok, g, owner, sizeof owner, &exp), 1);
    srv_authcache_free(c);
    srv_db_close(db);
}

int lts_suite_server_authcache(void)
{
    static CU_TestInfo tests[] = {
        { "gen_without_cache", test_server_authcache__gen_without_cache },
        { "triggers", test_server_authcache__triggers },
        { "gen_max_age", test_server_authcache__gen_max_age },
        { "tokens", test_server_authcache__tokens },
        { "credentials", test_server_authcache__credentials },
        { "sads", test_server_authcache__sads },
        { "sad_limit", test_server_authcache__sad_limit },
        { "concurrent", test_server_authcache__concurrent },
        { "stale_ignores_earlier_reads", test_server_authcache__stale_ignores_earlier_reads },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_authcache", NULL, NULL, tests);
}
