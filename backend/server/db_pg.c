/* ltsigd storage on PostgreSQL (libpq): the same SQL as SQLite, parameters sent as text
 * ($1..$n are native here), every transaction serialised with a transaction-scoped
 * advisory lock so the audit chain and SAD consumption behave as under SQLite's single
 * writer, across every ltsigd process sharing the database. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "core/err.h"
#include "core/mem.h"

/* an arbitrary application-wide key for pg_advisory_xact_lock ("ltsg") */
#define LTS_PG_LOCK_KEY "1819571047"

typedef struct {
    srv_db base; /* first member */
    PGconn *conn;
} pg_db;

/* The first line of libpq's message (it never holds the password). */
static const char *pg_msg(PGconn *c, char *buf, size_t cap)
{
    const char *m = c ? PQerrorMessage(c) : "out of memory";
    size_t n = strcspn(m, "\n");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), m);
    return buf;
}

static lts_status pg_exec(srv_db *db, const char *sql, const char *const *params, int n,
                          srv_row_fn fn, void *ud, long *changes)
{
    pg_db *s = (pg_db *)db;
    lts_status rc = LTS_OK;
    PGresult *res = NULL;
    const char *vals[SRV_ROW_MAX];
    char msg[256];
    res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        LTS_FAIL(state && strncmp(state, "23", 2) == 0 ? LTS_E_INPUT : LTS_E_IO,
                 "database: %s", pg_msg(s->conn, msg, sizeof msg));
    }
    if (fn != NULL) {
        int rows = PQntuples(res), nc = PQnfields(res);
        if (nc > SRV_ROW_MAX)
            nc = SRV_ROW_MAX;
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < nc; i++)
                vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
            if (fn(ud, nc, vals))
                break;
        }
    }
    if (changes) {
        const char *t = PQcmdTuples(res);
        *changes = t && *t ? atol(t) : 0;
    }
out:
    PQclear(res);
    return rc;
}

static lts_status pg_script(srv_db *db, const char *sql)
{
    pg_db *s = (pg_db *)db;
    lts_status rc = LTS_OK;
    char msg[256];
    /* concurrent CREATE ... IF NOT EXISTS may still collide: serialise it */
    PGresult *res = PQexec(s->conn, "BEGIN; SELECT pg_advisory_xact_lock(" LTS_PG_LOCK_KEY ");");
    PQclear(res);
    res = PQexec(s->conn, sql);
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = lts_err__set(LTS_E_IO, LTS_MODULE, 0, "database: %s",
                          pg_msg(s->conn, msg, sizeof msg));
    PQclear(res);
    res = PQexec(s->conn, rc == LTS_OK ? "COMMIT" : "ROLLBACK");
    PQclear(res);
    return rc;
}

static lts_status pg_begin(srv_db *db)
{
    lts_status rc = pg_exec(db, "BEGIN", NULL, 0, NULL, NULL, NULL);
    if (rc == LTS_OK) {
        rc = pg_exec(db, "SELECT pg_advisory_xact_lock(" LTS_PG_LOCK_KEY ")", NULL, 0, NULL,
                     NULL, NULL);
        if (rc != LTS_OK)
            (void)pg_exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    }
    return rc;
}

static void pg_close(srv_db *db)
{
    pg_db *s = (pg_db *)db;
    PQfinish(s->conn);
    pthread_mutex_destroy(&s->base.mu);
    lts_free(s);
}

static const srv_db_ops pg_ops = { 1, "postgresql", pg_exec, pg_script, pg_begin, pg_close,
                                   "SET default_transaction_read_only = on" };

lts_status srv_db__pg_open(srv_db **out, const char *uri)
{
    lts_status rc = LTS_OK;
    pg_db *s = NULL;
    pthread_mutexattr_t ma;
    int mu_ok = 0;
    char msg[256];
    *out = NULL;
    LTS_ALLOC(s = lts_calloc(1, sizeof *s));
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    mu_ok = pthread_mutex_init(&s->base.mu, &ma) == 0;
    pthread_mutexattr_destroy(&ma);
    LTS_ENSURE(mu_ok, LTS_E_INTERNAL, "pthread_mutex_init failed");
    s->base.ops = &pg_ops;
    s->conn = PQconnectdb(uri);
    /* the URI may hold a password: never repeat it, only libpq's first line */
    LTS_ENSURE(s->conn && PQstatus(s->conn) == CONNECTION_OK, LTS_E_IO,
               "cannot connect to the PostgreSQL database (database): %s",
               pg_msg(s->conn, msg, sizeof msg));
    LTS_TRY(pg_exec(&s->base, "SET client_min_messages = warning", NULL, 0, NULL, NULL, NULL));
    *out = &s->base;
    s = NULL;
out:
    if (s) {
        PQfinish(s->conn);
        if (mu_ok)
            pthread_mutex_destroy(&s->base.mu);
        lts_free(s);
    }
    return rc;
}
