/* tests for backend/server/db.c: group commit (srv_db_group) and the read connection
 * (srv_db_open_reader), on SQLite */
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

static srv_db *fresh_db(int slot, const char *name, char *path, size_t cap)
{
    srv_db *db = NULL;
    snprintf(path, cap, "%s", lts_test_tmp_file(slot, name));
    unlink(path);
    LTS_ASSERT_OK(srv_db_open(&db, path));
    LTS_ASSERT_OK(srv_store_schema(db));
    return db;
}

static long count_rows(srv_db *db, const char *sql)
{
    srv_row r;
    long n = -1;
    if (srv_db_get(db, sql, NULL, 0, &r) == LTS_OK && r.found && r.v[0])
        n = atol(r.v[0]);
    srv_row_dispose(&r);
    return n;
}

/* a job: append one audit entry, then keep (1), refuse (0) or fail (-1) */
typedef struct {
    int want;
    const char *detail;
} append_job;

static int append_fn(srv_db *db, void *ud)
{
    append_job *j = ud;
    if (srv_audit_in_tx(db, "test.group", "alice", "", "ok", j->detail) != LTS_OK)
        return -1;
    if (j->want < 0) {
        lts_err__set(LTS_E_IO, "test", 0, "the job failed on purpose");
        return -1;
    }
    return j->want;
}

static void test_server_group__keep_refuse_fail(void)
{
    char path[512], *bad = NULL;
    long n = 0;
    srv_db *db = fresh_db(0, "group0.db", path, sizeof path);
    append_job keep = { 1, "kept" }, refuse = { 0, "refused" }, fail = { -1, "failed" };
    CU_ASSERT_EQUAL(srv_db_group(db, append_fn, &keep), 1);
    CU_ASSERT_EQUAL(srv_db_group(db, append_fn, &refuse), 0);
    CU_ASSERT_EQUAL(srv_db_group(db, append_fn, &fail), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "the job failed on purpose"));
    CU_ASSERT_EQUAL(srv_db_group(db, append_fn, &keep), 1);
    /* only the two kept entries are in the log, and the chain is whole */
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), 2);
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit WHERE detail <> 'kept'"), 0);
    LTS_ASSERT_OK(srv_audit_verify(db, &bad, &n, NULL));
    CU_ASSERT_EQUAL(n, 2);
    lts_free(bad);
    /* the work is durable: another connection sees it */
    srv_db_close(db);
    LTS_ASSERT_OK(srv_db_open(&db, path));
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), 2);
    srv_db_close(db);
}

/* many threads, many jobs: every kept job is in the log exactly once, every refused one
 * is not, the chain verifies, and one-use rows are taken once */
#define THREADS 8
#define JOBS 40

typedef struct {
    srv_db *db;
    int id;
    int kept, refused, failed, took;
} worker;

/* take the single row of `once` (like a SAD hash): 1 when this job got it */
static int take_fn(srv_db *db, void *ud)
{
    long changes = 0;
    (void)ud;
    if (srv_db_exec(db, "DELETE FROM users WHERE name = 'once'", NULL, 0, NULL, NULL,
                    &changes) != LTS_OK)
        return -1;
    return changes == 1 ? 1 : 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    char d[32];
    for (int i = 0; i < JOBS; i++) {
        snprintf(d, sizeof d, "w%d-%d-%s", w->id, i, i % 5 == 4 ? "refused" : "kept");
        append_job j = { i % 5 == 4 ? 0 : 1, d };
        int r = srv_db_group(w->db, append_fn, &j);
        if (r == 1)
            w->kept++;
        else if (r == 0)
            w->refused++;
        else
            w->failed++;
        if (i == JOBS / 2 && srv_db_group(w->db, take_fn, NULL) == 1)
            w->took++;
    }
    return NULL;
}

static void test_server_group__concurrent_jobs(void)
{
    char path[512], *bad = NULL;
    long n = 0;
    unsigned long groups = 0, jobs = 0;
    srv_db *db = fresh_db(1, "group1.db", path, sizeof path);
    pthread_t th[THREADS];
    worker w[THREADS];
    int kept = 0, refused = 0, failed = 0, took = 0;
    const char *u[] = { "once" };
    LTS_ASSERT_OK(srv_db_exec(db, "INSERT INTO users(name, pw_hash, totp_secret, created) "
                                  "VALUES ($1, 'x', 'x', 0)", u, 1, NULL, NULL, NULL));
    LTS_ASSERT_OK(srv_db_open_reader(db, path));
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].db = db;
        w[i].id = i;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        kept += w[i].kept;
        refused += w[i].refused;
        failed += w[i].failed;
        took += w[i].took;
    }
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(kept, THREADS * JOBS * 4 / 5);
    CU_ASSERT_EQUAL(refused, THREADS * JOBS / 5);
    CU_ASSERT_EQUAL(took, 1);
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), kept);
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit WHERE detail LIKE '%refused'"), 0);
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(DISTINCT detail) FROM audit"), kept);
    LTS_ASSERT_OK(srv_audit_verify(db, &bad, &n, NULL));
    CU_ASSERT_EQUAL(n, kept);
    lts_free(bad);
    srv_db_group_stats(db, &groups, &jobs);
    CU_ASSERT_EQUAL(jobs, (unsigned long)(THREADS * JOBS + THREADS));
    CU_ASSERT(groups >= 1 && groups <= jobs);
    srv_db_close(db);
}

/* the hand-over between batches: while a slow leader runs its batch, other jobs queue;
 * when it ends, exactly the jobs it ran are woken as done and the first queued job is
 * woken to lead the next batch (each waiter sleeps on its own condition variable: a
 * missed wake-up would hang here). */
typedef struct {
    srv_db *db;
    volatile int started;
    int result;
} slow_arg;

static int slow_fn(srv_db *db, void *ud)
{
    slow_arg *a = ud;
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    a->started = 1;
    nanosleep(&ts, NULL); /* the others queue meanwhile */
    return srv_audit_in_tx(db, "test.group", "alice", "", "ok", "slow") == LTS_OK ? 1 : -1;
}

static void *run_slow(void *arg)
{
    slow_arg *a = arg;
    a->result = srv_db_group(a->db, slow_fn, a);
    return NULL;
}

#define QUEUED 6

typedef struct {
    srv_db *db;
    int id, result;
} queued_arg;

static void *run_queued(void *arg)
{
    queued_arg *q = arg;
    char d[32];
    snprintf(d, sizeof d, "queued-%d", q->id);
    append_job j = { 1, d };
    q->result = srv_db_group(q->db, append_fn, &j);
    return NULL;
}

static void test_server_group__next_leader_woken(void)
{
    char path[512], *bad = NULL;
    long n = 0;
    unsigned long groups = 0, jobs = 0;
    srv_db *db = fresh_db(3, "group3.db", path, sizeof path);
    pthread_t slow, th[QUEUED];
    slow_arg a = { db, 0, 0 };
    queued_arg q[QUEUED];
    CU_ASSERT_EQUAL_FATAL(pthread_create(&slow, NULL, run_slow, &a), 0);
    for (int i = 0; i < 500 && !a.started; i++) {
        struct timespec ts = { 0, 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    CU_ASSERT_FATAL(a.started);
    for (int i = 0; i < QUEUED; i++) {
        q[i].db = db;
        q[i].id = i;
        q[i].result = -2;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, run_queued, &q[i]), 0);
    }
    pthread_join(slow, NULL);
    for (int i = 0; i < QUEUED; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(q[i].result, 1);
    }
    CU_ASSERT_EQUAL(a.result, 1);
    srv_db_group_stats(db, &groups, &jobs);
    CU_ASSERT_EQUAL(jobs, 1 + QUEUED);
    /* the slow job ran alone; the queued ones were batched after it (fewer batches than
     * jobs: at least two of them shared one) */
    CU_ASSERT(groups >= 2 && groups < jobs);
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), 1 + QUEUED);
    LTS_ASSERT_OK(srv_audit_verify(db, &bad, &n, NULL));
    CU_ASSERT_EQUAL(n, 1 + QUEUED);
    lts_free(bad);
    srv_db_close(db);
}

/* the reader: a thread outside the transaction reads committed data without waiting for
 * the transaction; the thread inside reads its own uncommitted rows */
typedef struct {
    srv_db *db;
    long seen;
} reader_arg;

static void *read_count(void *arg)
{
    reader_arg *a = arg;
    a->seen = count_rows(a->db, "SELECT COUNT(*) FROM audit");
    return NULL;
}

static void test_server_group__reader_outside_transaction(void)
{
    char path[512];
    srv_db *db = fresh_db(2, "group2.db", path, sizeof path);
    pthread_t th;
    reader_arg a = { db, -1 };
    LTS_ASSERT_OK(srv_audit(db, "test", "alice", "", "ok", "committed"));
    LTS_ASSERT_OK(srv_db_open_reader(db, path));
    CU_ASSERT_EQUAL(srv_db_open_reader(db, path), LTS_E_INTERNAL); /* only one */
    LTS_ASSERT_OK(srv_db_begin(db));
    LTS_ASSERT_OK(srv_audit_in_tx(db, "test", "alice", "", "ok", "pending"));
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), 2); /* its own write */
    /* another thread, while the transaction (and the write connection) is held: without
     * the reader it would block here until the commit, i.e. forever */
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, read_count, &a), 0);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(a.seen, 1);
    LTS_ASSERT_OK(srv_db_commit(db));
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), 2);
    /* the reader refuses writes (a bug routing one there must not go unnoticed) */
    srv_db *rd = db->rd;
    CU_ASSERT_NOT_EQUAL(srv_db_exec(rd, "DELETE FROM audit", NULL, 0, NULL, NULL, NULL), LTS_OK);
    CU_ASSERT_EQUAL(count_rows(db, "SELECT COUNT(*) FROM audit"), 2);
    srv_db_close(db);
}

int lts_suite_server_group(void)
{
    static CU_TestInfo tests[] = {
        { "keep_refuse_fail", test_server_group__keep_refuse_fail },
        { "concurrent_jobs", test_server_group__concurrent_jobs },
        { "reader_outside_transaction", test_server_group__reader_outside_transaction },
        { "next_leader_woken", test_server_group__next_leader_woken },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_group", NULL, NULL, tests);
}
