/* The decoded public keys of the credentials, by their stored base64 SubjectPublicKeyInfo:
 * signHash verifies every value with the credential's key (STRICT), and decoding the
 * SPKI through OpenSSL 3.0's decoders costs about as much as that verification. The key
 * is the exact stored text, so a credential whose key changes simply misses. An EVP_PKEY
 * is used read-only (EVP_PKEY_verify with a context of its own per call), which OpenSSL
 * allows from several threads at once. */
#define LTS_MODULE "ltsigd"
#include "srv_int.h"

#include <string.h>
#include "core/err.h"
#include "core/mem.h"

#define PK_BUCKETS 256
#define PK_MAX 4096

typedef struct pk_ent {
    struct pk_ent *next;
    char *spki;
    EVP_PKEY *pk;
} pk_ent;

struct srv_pkcache {
    pthread_mutex_t mu;
    pk_ent *b[PK_BUCKETS];
    size_t n;
};

lts_status srv_pkcache_new(srv_pkcache **out)
{
    lts_status rc = LTS_OK;
    srv_pkcache *c = NULL;
    *out = NULL;
    LTS_ALLOC(c = lts_calloc(1, sizeof *c));
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        lts_free(c);
        c = NULL;
        LTS_FAIL(LTS_E_INTERNAL, "pthread_mutex_init failed");
    }
    *out = c;
out:
    return rc;
}

static void clear(srv_pkcache *c)
{
    for (size_t i = 0; i < PK_BUCKETS; i++) {
        while (c->b[i]) {
            pk_ent *e = c->b[i];
            c->b[i] = e->next;
            EVP_PKEY_free(e->pk);
            lts_free(e->spki);
            lts_free(e);
        }
    }
    c->n = 0;
}

void srv_pkcache_free(srv_pkcache *c)
{
    if (c == NULL)
        return;
    clear(c);
    pthread_mutex_destroy(&c->mu);
    lts_free(c);
}

static size_t bucket(const char *s)
{
    size_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h % PK_BUCKETS;
}

lts_status srv_pkcache_get(srv_pkcache *c, const char *spki, EVP_PKEY **out)
{
    lts_status rc = LTS_OK;
    EVP_PKEY *pk = NULL;
    pk_ent *e = NULL;
    *out = NULL;
    if (c == NULL)
        return srv_spki_decode(spki, out);
    size_t b = bucket(spki);
    pthread_mutex_lock(&c->mu);
    for (pk_ent *x = c->b[b]; x; x = x->next) {
        if (strcmp(x->spki, spki) == 0 && EVP_PKEY_up_ref(x->pk) == 1) {
            *out = x->pk;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (*out)
        goto out;
    LTS_TRY(srv_spki_decode(spki, &pk));
    e = lts_calloc(1, sizeof *e);
    if (e && (e->spki = lts_strdup(spki)) != NULL && EVP_PKEY_up_ref(pk) == 1) {
        e->pk = pk;
        pthread_mutex_lock(&c->mu);
        if (c->n >= PK_MAX)
            clear(c);
        e->next = c->b[b];
        c->b[b] = e;
        c->n++;
        pthread_mutex_unlock(&c->mu);
        e = NULL;
    }
    *out = pk; /* cached or not: the caller has its own reference */
    pk = NULL;
out:
    if (e) {
        lts_free(e->spki);
        lts_free(e);
    }
    EVP_PKEY_free(pk);
    return rc;
}
