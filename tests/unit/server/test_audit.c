/* tests for backend/server/audit.c and the SQLite store under it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lts_test.h"
#include "core/mem.h"
#include "srv_int.h"

static srv_db *fresh_db(int slot)
{
    srv_db *db = NULL;
    char name[32];
    snprintf(name, sizeof name, "audit%d.db", slot);
    const char *p = lts_test_tmp_file(slot, name);
    unlink(p);
    LTS_ASSERT_OK(srv_db_open(&db, p));
    LTS_ASSERT_OK(srv_store_schema(db));
    for (int i = 0; i < 6; i++) {
        char d[16];
        snprintf(d, sizeof d, "detail %d", i);
        LTS_ASSERT_OK(srv_audit(db, "event", "alice", "cred", "ok", d));
    }
    return db;
}

static void test_server_audit__canonical_form(void)
{
    lts_buf b = LTS_BUF_INIT;
    const char *f[7] = { "1", "ts", "e", "", "c,d", "ok", NULL };
    LTS_ASSERT_OK(srv_audit_canon(&b, f));
    CU_ASSERT_EQUAL(b.n, strlen("1:1,2:ts,1:e,0:,3:c,d,2:ok,0:,"));
    CU_ASSERT(memcmp(b.p, "1:1,2:ts,1:e,0:,3:c,d,2:ok,0:,", b.n) == 0);
    lts_buf_dispose(&b);
}

static void expect_broken(srv_db *db, const char *sql, const char *want)
{
    char *bad = NULL;
    long n = 0;
    LTS_ASSERT_OK(srv_db_exec(db, sql, NULL, 0, NULL, NULL, NULL));
    CU_ASSERT_EQUAL(srv_audit_verify(db, &bad, &n, NULL), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(bad);
    if (bad && strncmp(bad, want, strlen(want)) != 0) {
        fprintf(stderr, "\n'%s' does not start with '%s'\n", bad, want);
        CU_FAIL("first bad entry");
    }
    lts_free(bad);
}

static void test_server_audit__intact_chain_verifies(void)
{
    srv_db *db = fresh_db(0);
    char *bad = NULL;
    long n = 0;
    LTS_ASSERT_OK(srv_audit_verify(db, &bad, &n, NULL));
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_EQUAL(n, 6);
    srv_db_close(db);
}

static void test_server_audit__tampering_is_named(void)
{
    srv_db *db = fresh_db(1);
    expect_broken(db, "UPDATE audit SET status = 'refused' WHERE seq = 4", "entry 4:");
    srv_db_close(db);
    db = fresh_db(2);
    expect_broken(db, "DELETE FROM audit WHERE seq = 2", "entry 2:");
    srv_db_close(db);
    db = fresh_db(3);
    expect_broken(db, "UPDATE audit SET seq = 100 WHERE seq = 5;"
                      "UPDATE audit SET seq = 5 WHERE seq = 6;"
                      "UPDATE audit SET seq = 6 WHERE seq = 100", "entry 5:");
    srv_db_close(db);
    db = fresh_db(4);
    expect_broken(db, "DELETE FROM audit WHERE seq = 6", "entry 6:");
    srv_db_close(db);
    db = fresh_db(5);
    expect_broken(db, "UPDATE audit SET prev = hash WHERE seq = 1", "entry 1:");
    srv_db_close(db);
}

static void test_server_audit__appends_after_verify(void)
{
    srv_db *db = fresh_db(6);
    char *bad = NULL;
    long n = 0;
    LTS_ASSERT_OK(srv_audit(db, "more", NULL, NULL, "ok", NULL));
    LTS_ASSERT_OK(srv_audit_verify(db, &bad, &n, NULL));
    CU_ASSERT_EQUAL(n, 7);
    srv_db_close(db);
}

/* an anchor entry whose detail is wrong is named, with why. `detail` may hold one %s for
 * the hash of entry 3. */
static void expect_bad_anchor(int slot, const char *detail, const char *want)
{
    srv_db *db = fresh_db(slot);
    char *bad = NULL, d[256];
    long n = 0, anchors = -1;
    srv_row r;
    const char *p[] = { "3" };
    LTS_ASSERT_OK(srv_db_get(db, "SELECT hash FROM audit WHERE seq = $1", p, 1, &r));
    CU_ASSERT_FATAL(r.found && r.v[0] != NULL);
    snprintf(d, sizeof d, detail, r.v[0]);
    srv_row_dispose(&r);
    LTS_ASSERT_OK(srv_audit(db, "audit.anchor", "ltsigd", "", "ok", d));
    CU_ASSERT_EQUAL(srv_audit_verify(db, &bad, &n, &anchors), LTS_E_INPUT);
    CU_ASSERT_EQUAL(anchors, 0);
    if (bad == NULL || strstr(bad, want) == NULL || strncmp(bad, "entry 7: anchor", 15) != 0) {
        fprintf(stderr, "\n'%s' does not name entry 7 with '%s'\n", bad ? bad : "(null)", want);
        CU_FAIL("bad anchor not named");
    }
    lts_free(bad);
    srv_db_close(db);
}

static void test_server_audit__bad_anchors_are_named(void)
{
    expect_bad_anchor(7, "garbage", "malformed");
    /* names a later entry */
    expect_bad_anchor(7, "9 %s AAAA", "malformed");
    expect_bad_anchor(7, "3 0000000000000000000000000000000000000000000000000000000000000000 AAAA",
                      "is not the hash of that entry");
    /* the right hash of entry 3, but no valid token */
    expect_bad_anchor(7, "3 %s MIIBAA==", "time-stamp token is invalid");
    expect_bad_anchor(7, "3 %s !!notbase64", "time-stamp token is invalid");
}

static void test_server_audit__anchor_needs_a_tsa(void)
{
    srv_db *db = fresh_db(7);
    srv_conf c;
    int made = -1;
    char *bad = NULL;
    long n = 0, anchors = -1;
    memset(&c, 0, sizeof c);
    c.audit_anchor_every = 1;
    c.audit_anchor_seconds = 1;
    LTS_ASSERT_OK(srv_audit_anchor(&c, db, 1, &made)); /* no tsa_url: nothing to do */
    CU_ASSERT_EQUAL(made, 0);
    c.tsa_url = (char *)"http://127.0.0.1:1/"; /* nothing listens there */
    CU_ASSERT_NOT_EQUAL(srv_audit_anchor(&c, db, 1, &made), LTS_OK);
    CU_ASSERT_EQUAL(made, 0);
    lts_error_clear();
    LTS_ASSERT_OK(srv_audit_verify(db, &bad, &n, &anchors));
    CU_ASSERT_EQUAL(n, 6); /* no half-written anchor */
    CU_ASSERT_EQUAL(anchors, 0);
    srv_db_close(db);
}

int lts_suite_server_audit(void)
{
    static CU_TestInfo tests[] = {
        { "canonical_form", test_server_audit__canonical_form },
        { "intact_chain_verifies", test_server_audit__intact_chain_verifies },
        { "tampering_is_named", test_server_audit__tampering_is_named },
        { "appends_after_verify", test_server_audit__appends_after_verify },
        { "bad_anchors_are_named", test_server_audit__bad_anchors_are_named },
        { "anchor_needs_a_tsa", test_server_audit__anchor_needs_a_tsa },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_audit", NULL, NULL, tests);
}
