/* ltsigd storage: the engine-neutral part (locking, transactions, copying a row). The
 * engines implement srv_db_ops; SQLite is db_sqlite.c. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <string.h>
#include "core/err.h"
#include "core/mem.h"

lts_status srv_db__sqlite_open(srv_db **out, const char *path);
lts_status srv_db__pg_open(srv_db **out, const char *uri);

lts_status srv_db_open(srv_db **out, const char *spec)
{
    *out = NULL;
    if (strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0)
        return srv_db__pg_open(out, spec);
    return srv_db__sqlite_open(out, spec);
}

void srv_db_close(srv_db *db)
{
    if (db && db->ops)
        db->ops->close(db);
}

lts_status srv_db_exec(srv_db *db, const char *sql, const char *const *params, int n,
                       srv_row_fn fn, void *ud, long *changes)
{
    pthread_mutex_lock(&db->mu);
    lts_status rc = db->ops->exec(db, sql, params, n, fn, ud, changes);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

lts_status srv_db_begin(srv_db *db)
{
    pthread_mutex_lock(&db->mu);
    lts_status rc = db->ops->begin(db);
    if (rc != LTS_OK)
        pthread_mutex_unlock(&db->mu);
    return rc;
}

lts_status srv_db_commit(srv_db *db)
{
    lts_status rc = db->ops->exec(db, "COMMIT", NULL, 0, NULL, NULL, NULL);
    if (rc != LTS_OK)
        db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

void srv_db_rollback(srv_db *db)
{
    (void)db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    pthread_mutex_unlock(&db->mu);
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
