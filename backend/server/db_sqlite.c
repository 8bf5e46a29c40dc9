/* ltsigd storage on SQLite: WAL journal, a busy timeout so the admin commands and the
 * running service can share the file, every value bound as text. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include "core/err.h"
#include "core/mem.h"

/* Prepared statements kept for reuse, by SQL text: parsing the SQL again on every call
 * cost as much as running it. The statements are few and fixed (string literals), so
 * a small table with round-robin replacement holds them all. Used under the
 * connection's mutex (every sq_exec is); `busy` covers a row callback that runs another
 * statement on the same connection. */
#define STMT_CACHE 48
typedef struct {
    char *sql;
    sqlite3_stmt *st;
    int busy;
} stmt_ent;

typedef struct {
    srv_db base; /* first member */
    sqlite3 *h;
    stmt_ent cache[STMT_CACHE];
    size_t next; /* the entry to replace next */
} sqlite_db;

/* A prepared statement for sql: from the cache (*ent set, mark it busy) or new (*ent NULL,
 * finalize it after use). */
static int stmt_get(sqlite_db *s, const char *sql, sqlite3_stmt **st, stmt_ent **ent)
{
    stmt_ent *e = NULL;
    *ent = NULL;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (s->cache[i].sql && strcmp(s->cache[i].sql, sql) == 0) {
            if (s->cache[i].busy)
                return sqlite3_prepare_v2(s->h, sql, -1, st, NULL);
            s->cache[i].busy = 1;
            *st = s->cache[i].st;
            *ent = &s->cache[i];
            return SQLITE_OK;
        }
    }
    for (size_t k = 0; k < STMT_CACHE && e == NULL; k++) {
        stmt_ent *c = &s->cache[(s->next + k) % STMT_CACHE];
        if (!c->busy)
            e = c;
    }
    int r = sqlite3_prepare_v3(s->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    char *copy = r == SQLITE_OK && e ? lts_strdup(sql) : NULL;
    if (copy == NULL)
        return r; /* not cached: the caller finalizes it */
    sqlite3_finalize(e->st);
    lts_free(e->sql);
    e->sql = copy;
    e->st = *st;
    e->busy = 1;
    s->next = (size_t)(e - s->cache + 1) % STMT_CACHE;
    *ent = e;
    return r;
}

static void stmt_put(sqlite3_stmt *st, stmt_ent *ent)
{
    if (ent == NULL) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    ent->busy = 0;
}

static lts_status sq_exec(srv_db *db, const char *sql, const char *const *params, int n,
                          srv_row_fn fn, void *ud, long *changes)
{
    sqlite_db *s = (sqlite_db *)db;
    lts_status rc = LTS_OK;
    sqlite3_stmt *st = NULL;
    stmt_ent *ent = NULL;
    const char *vals[SRV_ROW_MAX];
    int r = stmt_get(s, sql, &st, &ent);
    LTS_ENSURE(r == SQLITE_OK, LTS_E_IO, "database: %s", sqlite3_errmsg(s->h));
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue;
        r = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT)
                      : sqlite3_bind_null(st, idx);
        LTS_ENSURE(r == SQLITE_OK, LTS_E_IO, "database: %s", sqlite3_errmsg(s->h));
    }
    for (;;) {
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        LTS_ENSURE(r == SQLITE_ROW, r == SQLITE_CONSTRAINT ? LTS_E_INPUT : LTS_E_IO,
                   "database: %s", sqlite3_errmsg(s->h));
        if (fn == NULL)
            continue;
        int nc = sqlite3_column_count(st);
        if (nc > SRV_ROW_MAX)
            nc = SRV_ROW_MAX;
        for (int i = 0; i < nc; i++)
            vals[i] = (const char *)sqlite3_column_text(st, i);
        if (fn(ud, nc, vals))
            break;
    }
    if (changes)
        *changes = (long)sqlite3_changes(s->h);
out:
    if (st)
        stmt_put(st, ent);
    return rc;
}

static lts_status sq_script(srv_db *db, const char *sql)
{
    sqlite_db *s = (sqlite_db *)db;
    char *err = NULL;
    lts_status rc = LTS_OK;
    if (sqlite3_exec(s->h, sql, NULL, NULL, &err) != SQLITE_OK)
        rc = lts_err__set(LTS_E_IO, LTS_MODULE, 0, "database: %s", err ? err : "?");
    sqlite3_free(err);
    return rc;
}

static lts_status sq_begin(srv_db *db)
{
    return sq_exec(db, "BEGIN IMMEDIATE", NULL, 0, NULL, NULL, NULL);
}

static void stmt_cache_clear(sqlite_db *s)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(s->cache[i].st);
        lts_free(s->cache[i].sql);
        s->cache[i].st = NULL;
        s->cache[i].sql = NULL;
    }
}

static void sq_close(srv_db *db)
{
    sqlite_db *s = (sqlite_db *)db;
    stmt_cache_clear(s);
    sqlite3_close_v2(s->h);
    pthread_mutex_destroy(&s->base.mu);
    lts_free(s);
}

static const srv_db_ops sqlite_ops = { 1, "sqlite", sq_exec, sq_script, sq_begin, sq_close,
                                       "PRAGMA query_only = ON" };

lts_status srv_db__sqlite_open(srv_db **out, const char *path)
{
    lts_status rc = LTS_OK;
    sqlite_db *s = NULL;
    pthread_mutexattr_t ma;
    int mu_ok = 0;
    *out = NULL;
    LTS_ALLOC(s = lts_calloc(1, sizeof *s));
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    mu_ok = pthread_mutex_init(&s->base.mu, &ma) == 0;
    pthread_mutexattr_destroy(&ma);
    LTS_ENSURE(mu_ok, LTS_E_INTERNAL, "pthread_mutex_init failed");
    s->base.ops = &sqlite_ops;
    int r = sqlite3_open_v2(path, &s->h,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            NULL);
    LTS_ENSURE(r == SQLITE_OK, LTS_E_IO, "%s: cannot open the database: %s", path,
               s->h ? sqlite3_errmsg(s->h) : sqlite3_errstr(r));
    sqlite3_busy_timeout(s->h, 10000);
    sqlite3_extended_result_codes(s->h, 0);
    /* mmap_size: pages of the database file are read through a mapping instead of a
     * pread each time another connection's commit made this one's cache stale */
    LTS_TRY(sq_script(&s->base, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                                "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; "
                                "PRAGMA mmap_size=268435456;"));
    *out = &s->base;
    s = NULL;
out:
    if (s) {
        if (rc != LTS_OK)
            lts_err__wrap("%s", path);
        sqlite3_close_v2(s->h);
        if (mu_ok)
            pthread_mutex_destroy(&s->base.mu);
        lts_free(s);
    }
    return rc;
}
