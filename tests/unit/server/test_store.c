/* tests for backend/server/store.c: the schema, and the move of a sad_hashes table made by
 * an older ltsigd (rowid table + index) to the WITHOUT ROWID one, on SQLite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lts_test.h"
#include "core/err.h"
#include "core/mem.h"
#include "srv_int.h"

static char *get_one(srv_db *db, const char *sql)
{
    srv_row r;
    char *v = NULL;
    LTS_ASSERT_OK(srv_db_get(db, sql, NULL, 0, &r));
    if (r.found && r.v[0])
        v = lts_strdup(r.v[0]);
    srv_row_dispose(&r);
    return v;
}

static void exec_ok(srv_db *db, const char *sql)
{
    LTS_ASSERT_OK(srv_db_exec(db, sql, NULL, 0, NULL, NULL, NULL));
}

static void test_server_store__sad_hashes_migrated(void)
{
    const char *path = lts_test_tmp_file(0, "store-old.db");
    srv_db *db = NULL;
    char *v;
    unlink(path);
    /* a database as ltsigd made it before: sad_hashes with a rowid, its own index */
    LTS_ASSERT_OK(srv_db_open(&db, path));
    exec_ok(db, "CREATE TABLE sad_hashes(sad TEXT NOT NULL, n BIGINT NOT NULL, hash TEXT NOT "
                "NULL, PRIMARY KEY (sad, n))");
    exec_ok(db, "CREATE INDEX sad_hashes_hash ON sad_hashes(sad, hash)");
    exec_ok(db, "INSERT INTO sad_hashes VALUES ('s1', 0, 'aa'), ('s1', 1, 'bb'), ('s1', 2, 'aa'),"
                " ('s2', 0, 'cc')");
    LTS_ASSERT_OK(srv_store_schema(db));
    v = get_one(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sad_hashes'");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "WITHOUT ROWID"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "PRIMARY KEY (sad, hash, n)"));
    lts_free(v);
    /* every row kept, with its n; the old index and the temporary table gone */
    v = get_one(db, "SELECT group_concat(sad || ':' || n || ':' || hash, ' ') FROM (SELECT * FROM "
                    "sad_hashes ORDER BY sad, n)");
    CU_ASSERT_STRING_EQUAL(v ? v : "", "s1:0:aa s1:1:bb s1:2:aa s2:0:cc");
    lts_free(v);
    v = get_one(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('sad_hashes_hash', "
                    "'sad_hashes_v2')");
    CU_ASSERT_STRING_EQUAL(v ? v : "", "0");
    lts_free(v);
    /* signHash's DELETE on the new table: the lowest n of that hash */
    exec_ok(db, "DELETE FROM sad_hashes WHERE sad = 's1' AND hash = 'aa' AND n = (SELECT MIN(n) "
                "FROM sad_hashes WHERE sad = 's1' AND hash = 'aa')");
    v = get_one(db, "SELECT group_concat(n, ',') FROM (SELECT n FROM sad_hashes WHERE sad = 's1' "
                    "ORDER BY n)");
    CU_ASSERT_STRING_EQUAL(v ? v : "", "1,2");
    lts_free(v);
    /* a second run (every command runs the schema) changes nothing */
    LTS_ASSERT_OK(srv_store_schema(db));
    v = get_one(db, "SELECT COUNT(*) FROM sad_hashes");
    CU_ASSERT_STRING_EQUAL(v ? v : "", "3");
    lts_free(v);
    srv_db_close(db);
}

static void test_server_store__fresh_schema(void)
{
    const char *path = lts_test_tmp_file(0, "store-new.db");
    srv_db *db = NULL;
    char *v;
    unlink(path);
    LTS_ASSERT_OK(srv_db_open(&db, path));
    LTS_ASSERT_OK(srv_store_schema(db));
    LTS_ASSERT_OK(srv_store_schema(db));
    v = get_one(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sad_hashes'");
    CU_ASSERT_PTR_NOT_NULL(v && strstr(v, "WITHOUT ROWID"));
    lts_free(v);
    v = get_one(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                    "'auth_gen_%'");
    CU_ASSERT_STRING_EQUAL(v ? v : "", "6");
    lts_free(v);
    v = get_one(db, "SELECT n FROM auth_gen WHERE id = 1");
    CU_ASSERT_STRING_EQUAL(v ? v : "", "0");
    lts_free(v);
    srv_db_close(db);
}

int lts_suite_server_store(void)
{
    static CU_TestInfo tests[] = {
        { "sad_hashes_migrated", test_server_store__sad_hashes_migrated },
        { "fresh_schema", test_server_store__fresh_schema },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_store", NULL, NULL, tests);
}
