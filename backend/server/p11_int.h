/* backend/server/p11_int.h — what p11.c (sessions, key generation, signing) and
 * p11_backup.c (import, backup and restore of keys) share. Not installed. */
#ifndef LTSIGD_P11_INT_H
#define LTSIGD_P11_INT_H
#include "srv_int.h"

#include <pthread.h>
#include <p11-kit/pkcs11.h>
#include "core/err.h"

/* The private-key handles the signing path has found, by CKA_ID: C_FindObjects costs more
 * than the RSA operation on SoftHSMv2 (it walks the token's objects), and a token
 * object's handle is valid in every session of the application. A handle that stops
 * working (the key was destroyed, e.g. by an admin command in another process) is
 * dropped and looked up again once; a handle that names another key cannot pass
 * unnoticed either, as every value is verified with the credential's public key before
 * it leaves (api_cred.c value_verifies). */
#define KEY_BUCKETS 256
#define KEY_CACHE_MAX 4096
#define KEY_ID_MAX 64
struct key_ent {
    struct key_ent *next;
    size_t n;
    unsigned char id[KEY_ID_MAX];
    CK_OBJECT_HANDLE h;
};

struct srv_p11 {
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    CK_SESSION_HANDLE sess;
    int initialized;
    int have_session;
    pthread_mutex_t mu;
    CK_SLOT_ID slot;
    /* the signing pool: pool[0..npool) open sessions, free_[0..nfree) the idle ones */
    CK_SESSION_HANDLE *pool, *free_;
    size_t npool, nfree;
    int pool_mu_ok, pool_cv_ok;
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    /* CKA_ID -> private key handle, under pool_mu (see key_cached) */
    struct key_ent *keys[KEY_BUCKETS];
    size_t nkeys;
};

const char *srv_p11__ckr_name(CK_RV rv);

#define P11(call, what)                                                                   \
    do {                                                                                  \
        CK_RV rv_ = (call);                                                               \
        if (rv_ != CKR_OK)                                                                \
            LTS_FAIL(LTS_E_CRYPTO, "PKCS#11 %s failed: %s (0x%lx)", what, srv_p11__ckr_name(rv_),    \
                     (unsigned long)rv_);                                                 \
    } while (0)

/* Open the module, find the token and log in as `who` with the PIN in pin_file. */
lts_status srv_p11__open_as(srv_p11 **out, const srv_conf *conf, CK_USER_TYPE who,
                            const char *pin_file);
/* The private key's attributes say it cannot leave the token in clear (see p11.c). */
lts_status srv_p11__check_private(srv_p11 *p, CK_OBJECT_HANDLE priv, int generated);
/* The key of class cls with CKA_ID id, through the key-management session (hold p->mu). */
lts_status srv_p11__find_key(srv_p11 *p, CK_OBJECT_CLASS cls, lts_span id,
                             CK_OBJECT_HANDLE *out);

#endif
