/* What signatures/signHash checks before it asks the token to sign, kept in memory: the
 * access tokens and credentials it has read, and the SADs this process issued. Without
 * it every signHash made three reads (token, credential, SAD), each the first read after
 * another request's group commit, which costs about as much as the rest of the request
 * outside the token (docs/performance.md).
 *
 * Nothing here decides alone. The rows of `tokens`, `users` and `credentials` that matter
 * are covered by a generation number, auth_gen.n, which database triggers raise in the
 * same transaction as any change to them (store.c), whoever makes it: the admin
 * commands in another process, auth/revoke, another ltsigd on the same PostgreSQL. The
 * cache holds rows read at one generation and drops them all when it sees a newer one.
 * The group-commit job of every signHash reads auth_gen inside its write transaction and,
 * when it differs from the generation the request was checked at, checks the token and
 * the credential again there (api_sign.c): no value leaves after a change that was
 * committed before its job. The generation the requests use is confirmed by every job
 * and otherwise read again after auth_cache_ms (50 ms by default), so on an idle service
 * a cached row can let the token sign for a just-revoked token for that long, and that
 * value is then refused by its job, logged and never returned. This process's own
 * changes (auth/revoke, a lockout) call srv_authcache_stale(): no row is used until
 * auth_gen has been read again.
 *
 * A SAD's owner, credential, algorithm, expiry and authorised hashes do not change once
 * issued; only its remaining hashes do. The counts here are lowered after each committed
 * job of this process. The job's DELETE decides in the database (the SAD row and its
 * hashes as they are then), so a SAD used through another server, renamed by
 * credentials/extendTransaction there, or changed in the database by hand can pass this
 * check and is then refused by the job (a wasted C_Sign, as for two requests racing for
 * one hash). */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/err.h"
#include "core/mem.h"

#define AC_BUCKETS 512
#define AC_MAX_ROWS 8192          /* tokens and credentials held at once */
#define AC_MAX_SADS 4096          /* SADs held at once */
#define AC_MAX_SAD_HASHES 262144  /* their hashes, all together */

typedef struct ac_tok {
    struct ac_tok *next;
    char hash[65];
    char owner[80];
    long long expires;
} ac_tok;

typedef struct ac_cred {
    struct ac_cred *next;
    srv_cred c; /* without pin_hash (signHash does not need it) */
} ac_cred;

typedef struct {
    char hash[SRV_HASH_HEX_MAX + 1];
    long left;
} ac_hash;

typedef struct ac_sad {
    struct ac_sad *next;
    char hash[65];
    char *owner, *cred, *alg;
    long long expires;
    size_t n;      /* distinct hashes, sorted */
    long left;     /* hashes left, all together */
    ac_hash *h;
} ac_sad;

struct srv_authcache {
    pthread_mutex_t mu;
    long long gen;
    int have_gen;
    long long confirmed_ms;
    long max_age_ms;
    int stale;           /* this process changed the rows: no row is used until a read */
    unsigned long epoch; /* ... of auth_gen started after the change (srv_authcache_gen) */
    ac_tok *tok[AC_BUCKETS];
    ac_cred *cred[AC_BUCKETS];
    size_t nrows;
    ac_sad *sad[AC_BUCKETS];
    size_t nsads, nhashes;
};

static size_t bucket(const char *s)
{
    unsigned long h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % AC_BUCKETS;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

lts_status srv_authcache_new(srv_authcache **out, long max_age_ms)
{
    lts_status rc = LTS_OK;
    srv_authcache *c = NULL;
    *out = NULL;
    LTS_ALLOC(c = lts_calloc(1, sizeof *c));
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        lts_free(c);
        LTS_FAIL(LTS_E_INTERNAL, "pthread_mutex_init failed");
    }
    c->max_age_ms = max_age_ms;
    *out = c;
out:
    return rc;
}

static void clear_rows(srv_authcache *c)
{
    for (size_t i = 0; i < AC_BUCKETS; i++) {
        while (c->tok[i]) {
            ac_tok *t = c->tok[i];
            c->tok[i] = t->next;
            lts_free(t);
        }
        while (c->cred[i]) {
            ac_cred *e = c->cred[i];
            c->cred[i] = e->next;
            srv_cred_dispose(&e->c);
            lts_free(e);
        }
    }
    c->nrows = 0;
}

static void sad_free(ac_sad *s)
{
    lts_free(s->owner);
    lts_free(s->cred);
    lts_free(s->alg);
    lts_free(s->h);
    lts_free(s);
}

/* Unlink *link (a SAD entry) and free it. */
static void sad_unlink(srv_authcache *c, ac_sad **link)
{
    ac_sad *s = *link;
    *link = s->next;
    c->nsads--;
    c->nhashes -= s->n;
    sad_free(s);
}

void srv_authcache_free(srv_authcache *c)
{
    if (c == NULL)
        return;
    clear_rows(c);
    for (size_t i = 0; i < AC_BUCKETS; i++) {
        while (c->sad[i])
            sad_unlink(c, &c->sad[i]);
    }
    pthread_mutex_destroy(&c->mu);
    lts_free(c);
}

/* ---- the generation ------------------------------------------------------------------ */

/* Adopt gen under c->mu: a newer one drops the rows; the current one is confirmed. */
static void adopt(srv_authcache *c, long long gen)
{
    if (!c->have_gen || gen > c->gen) {
        clear_rows(c);
        c->gen = gen;
        c->have_gen = 1;
    }
    if (gen >= c->gen)
        c->confirmed_ms = now_ms();
}

void srv_authcache_observe(srv_authcache *c, long long gen)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    /* only forward: a thread that read an older value must not take the cache back; and
     * after stale() only a read that started after it counts (a job may have read its
     * value before this process's change) */
    if (!c->stale)
        adopt(c, gen);
    pthread_mutex_unlock(&c->mu);
}

void srv_authcache_stale(srv_authcache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stale = 1;
    c->epoch++;
    pthread_mutex_unlock(&c->mu);
}

lts_status srv_authcache_read_gen(srv_db *db, long long *gen)
{
    lts_status rc = LTS_OK;
    srv_row row;
    LTS_TRY(srv_db_get(db, "SELECT n FROM auth_gen WHERE id = 1", NULL, 0, &row));
    LTS_ENSURE(row.found && row.v[0], LTS_E_IO, "the database has no auth_gen row");
    *gen = atoll(row.v[0]);
out:
    srv_row_dispose(&row);
    return rc;
}

lts_status srv_authcache_gen(srv_authcache *c, srv_db *db, long long *gen)
{
    lts_status rc = LTS_OK;
    unsigned long epoch;
    if (c == NULL) {
        *gen = -1; /* unknown: the job checks again */
        return LTS_OK;
    }
    pthread_mutex_lock(&c->mu);
    int fresh = c->have_gen && !c->stale && now_ms() - c->confirmed_ms <= c->max_age_ms;
    *gen = c->gen;
    epoch = c->epoch;
    pthread_mutex_unlock(&c->mu);
    if (fresh)
        return LTS_OK;
    LTS_TRY(srv_authcache_read_gen(db, gen));
    pthread_mutex_lock(&c->mu);
    if (c->stale && epoch == c->epoch) {
        /* read after this process's change: the value to go on from (rows kept only
         * when it did not move) */
        if (*gen != c->gen)
            clear_rows(c);
        c->gen = *gen;
        c->have_gen = 1;
        c->stale = 0;
        c->confirmed_ms = now_ms();
    } else if (!c->stale) {
        adopt(c, *gen);
    }
    pthread_mutex_unlock(&c->mu);
out:
    return rc;
}

/* ---- access tokens and credentials --------------------------------------------------- */

/* Whether rows checked at gen may be used or stored now (under c->mu). */
static int rows_at(const srv_authcache *c, long long gen)
{
    return c->have_gen && !c->stale && c->gen == gen;
}

static ac_tok *token_find(srv_authcache *c, const char *hash)
{
    ac_tok *t = c->tok[bucket(hash)];
    while (t && strcmp(t->hash, hash) != 0)
        t = t->next;
    return t;
}

static ac_cred *cred_find(srv_authcache *c, const char *id)
{
    ac_cred *e = c->cred[bucket(id)];
    while (e && strcmp(e->c.id, id) != 0)
        e = e->next;
    return e;
}

int srv_authcache_token(srv_authcache *c, const char *hash, long long gen, char *owner,
                        size_t owner_size, long long *expires)
{
    ac_tok *t = NULL;
    if (c == NULL)
        return 0;
    pthread_mutex_lock(&c->mu);
    if (rows_at(c, gen) && (t = token_find(c, hash)) != NULL) {
        snprintf(owner, owner_size, "%s", t->owner);
        *expires = t->expires;
    }
    pthread_mutex_unlock(&c->mu);
    return t != NULL;
}

void srv_authcache_token_put(srv_authcache *c, const char *hash, long long gen,
                             const char *owner, long long expires)
{
    ac_tok *t;
    if (c == NULL || strlen(hash) >= sizeof t->hash || strlen(owner) >= sizeof t->owner)
        return;
    pthread_mutex_lock(&c->mu);
    /* a second put of the same token would only duplicate its row */
    if (rows_at(c, gen) && !token_find(c, hash) &&
        (t = lts_calloc(1, sizeof *t)) != NULL) {
        if (c->nrows >= AC_MAX_ROWS)
            clear_rows(c);
        size_t b = bucket(hash);
        memcpy(t->hash, hash, strlen(hash) + 1);
        memcpy(t->owner, owner, strlen(owner) + 1);
        t->expires = expires;
        t->next = c->tok[b];
        c->tok[b] = t;
        c->nrows++;
    }
    pthread_mutex_unlock(&c->mu);
}

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    return src == NULL || (*dst = lts_strdup(src)) != NULL;
}

/* A copy of the fields signHash uses (pin_hash is "", not the stored hash). */
static int cred_copy(srv_cred *dst, const srv_cred *src)
{
    memset(dst, 0, sizeof *dst);
    int ok = dup_str(&dst->id, src->id) && dup_str(&dst->user, src->user) &&
             dup_str(&dst->algo, src->algo) && dup_str(&dst->spki, src->spki) &&
             dup_str(&dst->chain, src->chain) && dup_str(&dst->pin_hash, "");
    dst->failures = src->failures;
    dst->locked = src->locked;
    if (!ok)
        srv_cred_dispose(dst);
    return ok;
}

int srv_authcache_cred(srv_authcache *c, const char *id, long long gen, srv_cred *out)
{
    int res = 0;
    ac_cred *e;
    if (c == NULL)
        return 0;
    pthread_mutex_lock(&c->mu);
    if (rows_at(c, gen) && (e = cred_find(c, id)) != NULL)
        res = cred_copy(out, &e->c) ? 1 : -1;
    pthread_mutex_unlock(&c->mu);
    return res;
}

void srv_authcache_cred_put(srv_authcache *c, long long gen, const srv_cred *cred)
{
    ac_cred *e;
    if (c == NULL || cred->id == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    if (rows_at(c, gen) && !cred_find(c, cred->id) &&
        (e = lts_calloc(1, sizeof *e)) != NULL) {
        if (!cred_copy(&e->c, cred)) {
            lts_free(e);
        } else {
            if (c->nrows >= AC_MAX_ROWS)
                clear_rows(c);
            size_t b = bucket(cred->id);
            e->next = c->cred[b];
            c->cred[b] = e;
            c->nrows++;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- SADs ----------------------------------------------------------------------------- */

static int hash_cmp(const void *a, const void *b)
{
    return strcmp(((const ac_hash *)a)->hash, ((const ac_hash *)b)->hash);
}

static ac_hash *sad_find_hash(ac_sad *s, const char *hash)
{
    ac_hash key;
    if (strlen(hash) >= sizeof key.hash)
        return NULL;
    memcpy(key.hash, hash, strlen(hash) + 1);
    return bsearch(&key, s->h, s->n, sizeof *s->h, hash_cmp);
}

static ac_sad **sad_link(srv_authcache *c, const char *sad_hash)
{
    ac_sad **l = &c->sad[bucket(sad_hash)];
    while (*l && strcmp((*l)->hash, sad_hash) != 0)
        l = &(*l)->next;
    return l;
}

/* Drop the SADs that expired; called when the cache is full. */
static void sad_purge(srv_authcache *c, long long now)
{
    for (size_t i = 0; i < AC_BUCKETS; i++) {
        ac_sad **l = &c->sad[i];
        while (*l) {
            if ((*l)->expires <= now)
                sad_unlink(c, l);
            else
                l = &(*l)->next;
        }
    }
}

lts_status srv_authcache_sad_put(srv_authcache *c, const char *sad_hash, const char *owner,
                                 const char *cred, const char *alg, long long expires,
                                 char *const *hashes, size_t nh)
{
    lts_status rc = LTS_OK;
    ac_sad *s = NULL;
    if (c == NULL || nh == 0 || strlen(sad_hash) >= sizeof s->hash)
        return LTS_OK;
    LTS_ALLOC(s = lts_calloc(1, sizeof *s));
    LTS_ALLOC(s->h = lts_calloc(nh, sizeof *s->h));
    LTS_ALLOC(s->owner = lts_strdup(owner));
    LTS_ALLOC(s->cred = lts_strdup(cred));
    LTS_ALLOC(s->alg = lts_strdup(alg));
    memcpy(s->hash, sad_hash, strlen(sad_hash) + 1);
    s->expires = expires;
    for (size_t i = 0; i < nh; i++) {
        LTS_ENSURE(strlen(hashes[i]) < sizeof s->h[0].hash, LTS_E_INPUT, "hash too long");
        memcpy(s->h[i].hash, hashes[i], strlen(hashes[i]) + 1);
        s->h[i].left = 1;
    }
    /* sort, then fold repeated hashes into one entry with a count */
    qsort(s->h, nh, sizeof *s->h, hash_cmp);
    for (size_t i = 0; i < nh; i++) {
        if (s->n > 0 && strcmp(s->h[s->n - 1].hash, s->h[i].hash) == 0)
            s->h[s->n - 1].left++;
        else
            s->h[s->n++] = s->h[i];
    }
    s->left = (long)nh;
    pthread_mutex_lock(&c->mu);
    if (c->nsads >= AC_MAX_SADS || c->nhashes + s->n > AC_MAX_SAD_HASHES)
        sad_purge(c, (long long)time(NULL));
    ac_sad **l = sad_link(c, sad_hash);
    if (*l == NULL && c->nsads < AC_MAX_SADS && c->nhashes + s->n <= AC_MAX_SAD_HASHES) {
        *l = s;
        c->nsads++;
        c->nhashes += s->n;
        s = NULL;
    }
    pthread_mutex_unlock(&c->mu);
out:
    if (s)
        sad_free(s);
    return rc;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int srv_authcache_sad_check(srv_authcache *c, const char *sad_hash, const char *user,
                            const char *cred, const char *alg, char *const *hashes, size_t nh,
                            const char **why)
{
    int res = -1;
    char **sorted;
    if (c == NULL || nh == 0)
        return -1;
    /* the request's hashes sorted (outside the lock), so that each distinct one is counted
     * once: O(n log n) for the largest numSignatures, not O(n^2) under the mutex */
    if ((sorted = lts_malloc(nh * sizeof *sorted)) == NULL)
        return -1;
    memcpy(sorted, hashes, nh * sizeof *sorted);
    qsort(sorted, nh, sizeof *sorted, str_ptr_cmp);
    pthread_mutex_lock(&c->mu);
    ac_sad *s = *sad_link(c, sad_hash);
    if (s == NULL)
        goto out;
    /* the same checks, in the same order and with the same words, as sad_usable and
     * sad_precheck in api_sign.c */
    res = 0;
    if (strcmp(s->owner, user) != 0 || strcmp(s->cred, cred) != 0)
        *why = "Invalid parameter SAD";
    else if (s->expires <= (long long)time(NULL))
        *why = "SAD expired";
    else if (strcmp(s->alg, alg) != 0)
        *why = "Invalid parameter hashAlgorithmOID";
    else if (s->left <= 0)
        *why = "The SAD has been used for every signature it authorised";
    else
        res = 1;
    for (size_t i = 0; res == 1 && i < nh;) {
        size_t k = i + 1;
        while (k < nh && strcmp(sorted[k], sorted[i]) == 0)
            k++;
        ac_hash *h = sad_find_hash(s, sorted[i]);
        if (h == NULL || h->left < (long)(k - i)) {
            *why = "Hash is not authorized by the SAD";
            res = 0;
        }
        i = k;
    }
out:
    pthread_mutex_unlock(&c->mu);
    lts_free(sorted);
    return res;
}

void srv_authcache_sad_consumed(srv_authcache *c, const char *sad_hash, char *const *hashes,
                                size_t nh)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    ac_sad **l = sad_link(c, sad_hash);
    for (size_t i = 0; *l && i < nh; i++) {
        ac_hash *h = sad_find_hash(*l, hashes[i]);
        if (h && h->left > 0) {
            h->left--;
            (*l)->left--;
        }
    }
    if (*l && (*l)->left <= 0)
        sad_unlink(c, l);
    pthread_mutex_unlock(&c->mu);
}

void srv_authcache_sad_drop(srv_authcache *c, const char *sad_hash)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    ac_sad **l = sad_link(c, sad_hash);
    if (*l)
        sad_unlink(c, l);
    pthread_mutex_unlock(&c->mu);
}
