/* ltsigd storage: the engine-neutral part (locking, transactions, group commit, the
 * read connection, copying a row). The engines implement srv_db_ops; SQLite is
 * db_sqlite.c, PostgreSQL db_pg.c. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/err.h"
#include "core/mem.h"

lts_status srv_db__sqlite_open(srv_db **out, const char *path);
lts_status srv_db__pg_open(srv_db **out, const char *uri);

static lts_status open_engine(srv_db **out, const char *spec)
{
    if (strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0)
        return srv_db__pg_open(out, spec);
    return srv_db__sqlite_open(out, spec);
}

lts_status srv_db_open(srv_db **out, const char *spec)
{
    lts_status rc = LTS_OK;
    srv_db *db = NULL;
    *out = NULL;
    LTS_TRY(open_engine(&db, spec));
    if (pthread_mutex_init(&db->gmu, NULL) != 0) {
        db->ops->close(db);
        LTS_FAIL(LTS_E_INTERNAL, "pthread_mutex_init failed");
    }
    db->group_ok = 1;
    db->qhead = NULL;
    db->qtail = &db->qhead;
    *out = db;
out:
    return rc;
}

lts_status srv_db_open_reader(srv_db *db, const char *spec)
{
    lts_status rc = LTS_OK;
    srv_db *rd = NULL;
    LTS_ENSURE(db->rd == NULL, LTS_E_INTERNAL, "the read connection is open already");
    LTS_TRY(open_engine(&rd, spec));
    LTS_TRY(rd->ops->exec(rd, rd->ops->read_only_sql, NULL, 0, NULL, NULL, NULL));
    db->rd = rd;
    rd = NULL;
out:
    if (rd)
        rd->ops->close(rd);
    return rc;
}

void srv_db_close(srv_db *db)
{
    if (db == NULL || db->ops == NULL)
        return;
    if (db->rd)
        db->rd->ops->close(db->rd);
    if (db->group_ok) {
        pthread_mutex_destroy(&db->gmu);
    }
    db->ops->close(db);
}

/* A statement that only reads (may go to the read connection). */
static int is_select(const char *sql)
{
    while (*sql == ' ' || *sql == '\n')
        sql++;
    return strncasecmp(sql, "SELECT", 6) == 0;
}

lts_status srv_db_exec(srv_db *db, const char *sql, const char *const *params, int n,
                       srv_row_fn fn, void *ud, long *changes)
{
    lts_status rc;
    if (db->rd && is_select(sql)) {
        /* The write connection is needed only by the thread inside its own transaction
         * (it must see its uncommitted changes); the mutex is recursive, so trylock
         * succeeds for that thread. Anyone else reads committed data on the reader and
         * does not wait for a commit's flush. */
        if (pthread_mutex_trylock(&db->mu) == 0) {
            if (db->in_tx) {
                rc = db->ops->exec(db, sql, params, n, fn, ud, changes);
                pthread_mutex_unlock(&db->mu);
                return rc;
            }
            pthread_mutex_unlock(&db->mu);
        }
        return srv_db_exec(db->rd, sql, params, n, fn, ud, changes);
    }
    pthread_mutex_lock(&db->mu);
    rc = db->ops->exec(db, sql, params, n, fn, ud, changes);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

lts_status srv_db_begin(srv_db *db)
{
    pthread_mutex_lock(&db->mu);
    lts_status rc = db->ops->begin(db);
    if (rc != LTS_OK)
        pthread_mutex_unlock(&db->mu);
    else
        db->in_tx = 1;
    return rc;
}

lts_status srv_db_commit(srv_db *db)
{
    lts_status rc = db->ops->exec(db, "COMMIT", NULL, 0, NULL, NULL, NULL);
    if (rc != LTS_OK)
        db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    db->in_tx = 0;
    pthread_mutex_unlock(&db->mu);
    return rc;
}

void srv_db_rollback(srv_db *db)
{
    (void)db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    db->in_tx = 0;
    pthread_mutex_unlock(&db->mu);
}

/* ---- group commit ------------------------------------------------------------------------
 *
 * Durability costs one flush per commit (fdatasync of the WAL, ~3.5 ms on a plain disk),
 * and commits are serialised, so one commit per request caps the service at a few hundred
 * requests per second however many cores sign. Here concurrent requests share a commit:
 * a request queues its job and waits; the first waiting thread that finds no batch
 * running becomes the leader, takes EVERY queued job, runs them in queue order inside one
 * transaction and commits once; the jobs queued meanwhile form the next batch. Nothing is
 * weakened: a job's result is reported only after the COMMIT that holds its changes has
 * returned, so a caller that returns a value after srv_db_group() == 1 returns it after
 * its audit record is durable, as before. The log's hash chain stays linear because the
 * leader appends the jobs' records one after the other on the one write connection.
 *
 * Each job runs between SAVEPOINT and RELEASE; a job that refuses (0) is rolled back to
 * its savepoint, so it leaves nothing and the jobs after it see the state as if it had
 * never run. A job that fails (-1, or a savepoint statement fails) may have left the
 * transaction unusable (SQLite rolls back the whole transaction on some I/O errors): the
 * leader rolls the whole batch back, reports the error to that job only, and runs the
 * others again in a new transaction (each round drops one job, so it ends). When the
 * COMMIT fails nothing of the batch is kept and every job of it gets the error. */

struct srv_db_job {
    srv_db_job *next;
    srv_tx_fn fn;
    void *ud;
    int result;        /* 1, 0, -1 */
    int final;         /* leader only: its error is final, do not run it again */
    int done;          /* under gmu: the result is final */
    pthread_cond_t cv; /* this job's waiter: woken when done, or to lead the next batch */
    lts_status code;   /* for -1: the error, copied to the waiting thread */
    char msg[256];
};

static void job_fail(srv_db_job *j, const char *what)
{
    const lts_error *e = lts_error_last();
    j->result = -1;
    j->code = e->code != LTS_OK ? e->code : LTS_E_IO;
    snprintf(j->msg, sizeof j->msg, "%s%s%s", what, *e->message ? ": " : "", e->message);
}

/* Run the n jobs of `batch` in one transaction (rounds: see above). Leader only. */
static void run_batch(srv_db *db, srv_db_job **batch, size_t n)
{
    size_t left = n;
    while (left > 0) {
        int broken = 0;
        if (srv_db_begin(db) != LTS_OK) {
            for (size_t i = 0; i < n; i++) {
                if (!batch[i]->final)
                    job_fail(batch[i], "group commit: BEGIN");
            }
            return;
        }
        for (size_t i = 0; i < n && !broken; i++) {
            srv_db_job *j = batch[i];
            if (j->final)
                continue;
            if (db->ops->exec(db, "SAVEPOINT lts_job", NULL, 0, NULL, NULL, NULL) != LTS_OK) {
                job_fail(j, "group commit: SAVEPOINT");
                broken = 1;
                break;
            }
            j->result = j->fn(db, j->ud);
            if (j->result < 0) {
                job_fail(j, "group commit");
                broken = 1;
            } else if ((j->result == 0 &&
                        db->ops->exec(db, "ROLLBACK TO SAVEPOINT lts_job", NULL, 0, NULL, NULL,
                                      NULL) != LTS_OK) ||
                       db->ops->exec(db, "RELEASE SAVEPOINT lts_job", NULL, 0, NULL, NULL,
                                     NULL) != LTS_OK) {
                job_fail(j, "group commit: savepoint");
                broken = 1;
            }
            if (broken) {
                j->final = 1; /* this job's error is final; the others run again */
                left--;
            }
        }
        if (broken) {
            srv_db_rollback(db);
            continue;
        }
        if (srv_db_commit(db) != LTS_OK) {
            for (size_t i = 0; i < n; i++) {
                if (!batch[i]->final)
                    job_fail(batch[i], "group commit: COMMIT");
            }
            return;
        }
        return;
    }
}

/* Each waiting job sleeps on its own condition variable: the leader wakes exactly the jobs
 * it finished, and the first job still queued so that it leads the next batch (a broadcast
 * on one shared variable woke every waiter after every batch, most of them only to sleep
 * again). */
int srv_db_group(srv_db *db, srv_tx_fn fn, void *ud)
{
    srv_db_job job;
    memset(&job, 0, sizeof job);
    job.fn = fn;
    job.ud = ud;
    if (pthread_cond_init(&job.cv, NULL) != 0) {
        lts_err__set(LTS_E_INTERNAL, LTS_MODULE, 0, "pthread_cond_init failed");
        return -1;
    }
    pthread_mutex_lock(&db->gmu);
    *db->qtail = &job;
    db->qtail = &job.next;
    while (!job.done) {
        if (db->leader) {
            pthread_cond_wait(&job.cv, &db->gmu);
            continue;
        }
        /* lead: take the whole queue (this job is in it) */
        size_t n = 0, i = 0;
        for (srv_db_job *j = db->qhead; j; j = j->next)
            n++;
        srv_db_job *small[64], **batch = small;
        if (n > sizeof small / sizeof small[0] &&
            (batch = lts_malloc(n * sizeof *batch)) == NULL) {
            /* cannot take them all: take what fits, the rest waits for the next round */
            batch = small;
            n = sizeof small / sizeof small[0];
        }
        srv_db_job *j = db->qhead;
        for (; i < n; i++, j = j->next)
            batch[i] = j;
        db->qhead = j;
        if (j == NULL)
            db->qtail = &db->qhead;
        db->leader = 1;
        pthread_mutex_unlock(&db->gmu);

        run_batch(db, batch, n);

        pthread_mutex_lock(&db->gmu);
        db->leader = 0;
        db->groups++;
        db->grouped += n;
        for (i = 0; i < n; i++) {
            batch[i]->done = 1;
            if (batch[i] != &job)
                pthread_cond_signal(&batch[i]->cv);
        }
        if (batch != small)
            lts_free(batch);
        if (db->qhead)
            pthread_cond_signal(&db->qhead->cv); /* it leads the next batch */
    }
    pthread_mutex_unlock(&db->gmu);
    pthread_cond_destroy(&job.cv);
    if (job.result < 0)
        lts_err__set(job.code, LTS_MODULE, 0, "%s", job.msg);
    return job.result;
}

typedef struct {
    srv_row *row;
    int nomem;
} get_ud;

static int get_cb(void *ud, int ncol, const char *const *vals)
{
    get_ud *g = ud;
    srv_row *r = g->row;
    r->found = 1;
    r->n = ncol < SRV_ROW_MAX ? ncol : SRV_ROW_MAX;
    for (int i = 0; i < r->n; i++) {
        if (vals[i] && (r->v[i] = lts_strdup(vals[i])) == NULL)
            g->nomem = 1;
    }
    return 1;
}

lts_status srv_db_get(srv_db *db, const char *sql, const char *const *params, int n,
                      srv_row *row)
{
    lts_status rc = LTS_OK;
    get_ud g = { row, 0 };
    memset(row, 0, sizeof *row);
    LTS_TRY(srv_db_exec(db, sql, params, n, get_cb, &g, NULL));
    LTS_ENSURE(!g.nomem, LTS_E_NOMEM, "out of memory reading a database row");
out:
    if (rc != LTS_OK)
        srv_row_dispose(row);
    return rc;
}

void srv_row_dispose(srv_row *row)
{
    for (int i = 0; i < SRV_ROW_MAX; i++) {
        lts_free(row->v[i]);
        row->v[i] = NULL;
    }
    row->n = row->found = 0;
}

void srv_db_group_stats(srv_db *db, unsigned long *groups, unsigned long *jobs)
{
    pthread_mutex_lock(&db->gmu);
    *groups = db->groups;
    *jobs = db->grouped;
    pthread_mutex_unlock(&db->gmu);
}
