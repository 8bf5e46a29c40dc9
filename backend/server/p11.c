/* ltsigd key management through PKCS#11: key pairs are generated inside the token with
 * the private half sensitive, private, and extractable only wrapped under a trusted key
 * (CKA_WRAP_WITH_TRUSTED: the backup key) (EN 419 241-1 / ETDA SRA_SKM.1: the key never
 * leaves the HSM in clear), found again by CKA_ID, and used to sign digests; backups wrap
 * them with CKM_AES_KEY_WRAP_PAD and restores unwrap them not extractable. One session,
 * logged in once, does the key management under a mutex; signatures go through a pool of
 * further sessions of the same login (the config's `threads` of them, a mutex + condvar
 * free list), so they run on all cores. A session that fails is closed and replaced. */
#define LTS_MODULE "ltsigd-p11"
#include "p11_int.h"

#include <dlfcn.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"


static void keys_clear(srv_p11 *p);

const char *srv_p11__ckr_name(CK_RV rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
    case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
    case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_KEY_NOT_WRAPPABLE: return "CKR_KEY_NOT_WRAPPABLE";
    case CKR_KEY_UNEXTRACTABLE: return "CKR_KEY_UNEXTRACTABLE";
    case CKR_WRAPPED_KEY_INVALID: return "CKR_WRAPPED_KEY_INVALID";
    case CKR_ATTRIBUTE_READ_ONLY: return "CKR_ATTRIBUTE_READ_ONLY";
    case CKR_USER_ANOTHER_ALREADY_LOGGED_IN: return "CKR_USER_ANOTHER_ALREADY_LOGGED_IN";
    default: return "CKR_?";
    }
}


static int label_eq(const CK_UTF8CHAR *padded, size_t n, const char *want)
{
    size_t len = n;
    while (len > 0 && (padded[len - 1] == ' ' || padded[len - 1] == 0))
        len--;
    return len == strlen(want) && memcmp(padded, want, len) == 0;
}

static lts_status find_slot(srv_p11 *p, const char *label, CK_SLOT_ID *out)
{
    lts_status rc = LTS_OK;
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    int found = 0;
    P11(p->f->C_GetSlotList(CK_TRUE, NULL, &n), "C_GetSlotList");
    LTS_ENSURE(n > 0, LTS_E_NOTFOUND, "the PKCS#11 module has no token");
    LTS_ALLOC(slots = lts_calloc(n, sizeof *slots));
    P11(p->f->C_GetSlotList(CK_TRUE, slots, &n), "C_GetSlotList");
    for (CK_ULONG i = 0; i < n && !found; i++) {
        CK_TOKEN_INFO ti;
        if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
            continue;
        if (label_eq(ti.label, sizeof ti.label, label)) {
            *out = slots[i];
            found = 1;
        }
    }
    LTS_ENSURE(found, LTS_E_NOTFOUND, "no PKCS#11 token labelled '%.32s' (token_label)", label);
out:
    lts_free(slots);
    return rc;
}

lts_status srv_p11__open_as(srv_p11 **out, const srv_conf *conf, CK_USER_TYPE who,
                              const char *pin_file)
{
    lts_status rc = LTS_OK;
    srv_p11 *p = NULL;
    lts_buf pin = LTS_BUF_INIT_MAX(1024);
    CK_C_GetFunctionList gfl;
    CK_C_INITIALIZE_ARGS ia;
    CK_SLOT_ID slot = 0;
    *out = NULL;
    LTS_ALLOC(p = lts_calloc(1, sizeof *p));
    LTS_ENSURE(pthread_mutex_init(&p->mu, NULL) == 0, LTS_E_INTERNAL, "mutex");
    p->pool_mu_ok = pthread_mutex_init(&p->pool_mu, NULL) == 0;
    p->pool_cv_ok = pthread_cond_init(&p->pool_cv, NULL) == 0;
    LTS_ENSURE(p->pool_mu_ok && p->pool_cv_ok, LTS_E_INTERNAL, "mutex");
    p->dl = dlopen(conf->pkcs11_module, RTLD_NOW | RTLD_LOCAL);
    LTS_ENSURE(p->dl != NULL, LTS_E_CONFIG, "%s: cannot load the PKCS#11 module (pkcs11_module)",
               conf->pkcs11_module);
    *(void **)&gfl = dlsym(p->dl, "C_GetFunctionList");
    LTS_ENSURE(gfl != NULL, LTS_E_CONFIG, "%s: not a PKCS#11 module (no C_GetFunctionList)",
               conf->pkcs11_module);
    P11(gfl(&p->f), "C_GetFunctionList");
    memset(&ia, 0, sizeof ia);
    ia.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = p->f->C_Initialize(&ia);
    LTS_ENSURE(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED, LTS_E_CRYPTO,
               "PKCS#11 C_Initialize failed: %s (0x%lx)", srv_p11__ckr_name(rv), (unsigned long)rv);
    p->initialized = rv == CKR_OK;
    LTS_TRY(find_slot(p, conf->token_label, &slot));
    p->slot = slot;
    P11(p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &p->sess),
        "C_OpenSession");
    p->have_session = 1;
    LTS_TRY(srv_secret_file(&pin, pin_file, who == CKU_SO ? "token SO PIN" : "token PIN"));
    rv = p->f->C_Login(p->sess, who, pin.p, (CK_ULONG)pin.n);
    LTS_ENSURE(rv != CKR_PIN_INCORRECT && rv != CKR_PIN_LOCKED, LTS_E_AUTH,
               "the token refused the PIN from %s (%s)", pin_file, srv_p11__ckr_name(rv));
    LTS_ENSURE(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN, LTS_E_CRYPTO,
               "PKCS#11 C_Login failed: %s (0x%lx)", srv_p11__ckr_name(rv), (unsigned long)rv);
    *out = p;
    p = NULL;
out:
    lts_buf_wipe(&pin);
    srv_p11_close(p);
    return rc;
}

lts_status srv_p11_open(srv_p11 **out, const srv_conf *conf)
{
    lts_status rc = LTS_OK;
    srv_p11 *p = NULL;
    size_t n = conf->threads > 0 ? (size_t)conf->threads : 1;
    *out = NULL;
    LTS_TRY(srv_p11__open_as(&p, conf, CKU_USER, conf->token_pin_file));
    /* the login is the application's: sessions opened after it are logged in too */
    LTS_ALLOC(p->pool = lts_calloc(n, sizeof *p->pool));
    LTS_ALLOC(p->free_ = lts_calloc(n, sizeof *p->free_));
    for (; p->npool < n; p->npool++) {
        P11(p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->pool[p->npool]),
            "C_OpenSession (signing pool)");
        p->free_[p->nfree++] = p->pool[p->npool];
    }
    *out = p;
    p = NULL;
out:
    srv_p11_close(p);
    return rc;
}

/* Take an idle signing session, waiting for one; 0 when the pool has lost every session. */
static int pool_get(srv_p11 *p, CK_SESSION_HANDLE *s)
{
    int ok = 0;
    pthread_mutex_lock(&p->pool_mu);
    while (p->nfree == 0 && p->npool > 0)
        pthread_cond_wait(&p->pool_cv, &p->pool_mu);
    if (p->nfree > 0) {
        *s = p->free_[--p->nfree];
        ok = 1;
    }
    pthread_mutex_unlock(&p->pool_mu);
    return ok;
}

/* Give a signing session back; a failed one (bad != 0) is closed and replaced by a new
 * session (logged in already: the login is the application's). If no new one can be
 * opened the pool shrinks; with none left, signing fails rather than waits forever. */
static void pool_put(srv_p11 *p, CK_SESSION_HANDLE s, int bad)
{
    if (bad) {
        CK_SESSION_HANDLE neu = CK_INVALID_HANDLE;
        p->f->C_CloseSession(s);
        if (p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &neu) != CKR_OK)
            neu = CK_INVALID_HANDLE;
        pthread_mutex_lock(&p->pool_mu);
        for (size_t i = 0; i < p->npool; i++) {
            if (p->pool[i] == s) {
                if (neu != CK_INVALID_HANDLE)
                    p->pool[i] = neu;
                else
                    p->pool[i] = p->pool[--p->npool];
                break;
            }
        }
        if (neu != CK_INVALID_HANDLE)
            p->free_[p->nfree++] = neu;
        pthread_cond_broadcast(&p->pool_cv);
        pthread_mutex_unlock(&p->pool_mu);
        return;
    }
    pthread_mutex_lock(&p->pool_mu);
    p->free_[p->nfree++] = s;
    pthread_cond_signal(&p->pool_cv);
    pthread_mutex_unlock(&p->pool_mu);
}

void srv_p11_close(srv_p11 *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->npool; i++)
        p->f->C_CloseSession(p->pool[i]);
    lts_free(p->pool);
    lts_free(p->free_);
    keys_clear(p);
    if (p->have_session) {
        p->f->C_Logout(p->sess);
        p->f->C_CloseSession(p->sess);
    }
    if (p->initialized)
        p->f->C_Finalize(NULL);
    if (p->dl)
        dlclose(p->dl);
    pthread_mutex_destroy(&p->mu);
    if (p->pool_mu_ok)
        pthread_mutex_destroy(&p->pool_mu);
    if (p->pool_cv_ok)
        pthread_cond_destroy(&p->pool_cv);
    lts_free(p);
}

/* Read one attribute of any length into out. */
static lts_status get_attr(srv_p11 *p, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, lts_buf *out)
{
    lts_status rc = LTS_OK;
    CK_ATTRIBUTE a = { t, NULL, 0 };
    P11(p->f->C_GetAttributeValue(p->sess, o, &a, 1), "C_GetAttributeValue (size)");
    LTS_ENSURE(a.ulValueLen != (CK_ULONG)-1 && a.ulValueLen > 0 && a.ulValueLen < 65536,
               LTS_E_CRYPTO, "PKCS#11 attribute 0x%lx unavailable", (unsigned long)t);
    LTS_TRY(lts_buf_reserve(out, a.ulValueLen));
    a.pValue = out->p;
    P11(p->f->C_GetAttributeValue(p->sess, o, &a, 1), "C_GetAttributeValue");
    out->n = a.ulValueLen;
out:
    return rc;
}

static lts_status rsa_pub(srv_p11 *p, CK_OBJECT_HANDLE o, EVP_PKEY **pub)
{
    lts_status rc = LTS_OK;
    lts_buf mod = LTS_BUF_INIT, exp = LTS_BUF_INIT;
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    LTS_TRY(get_attr(p, o, CKA_MODULUS, &mod));
    LTS_TRY(get_attr(p, o, CKA_PUBLIC_EXPONENT, &exp));
    LTS_ALLOC(n = BN_bin2bn(mod.p, (int)mod.n, NULL));
    LTS_ALLOC(e = BN_bin2bn(exp.p, (int)exp.n, NULL));
    LTS_ALLOC(bld = OSSL_PARAM_BLD_new());
    LTS_OSSL(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
                 OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1,
             "OSSL_PARAM_BLD_push_BN");
    LTS_OSSL((params = OSSL_PARAM_BLD_to_param(bld)) != NULL, "OSSL_PARAM_BLD_to_param");
    LTS_OSSL((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL, "EVP_PKEY_CTX");
    LTS_OSSL(EVP_PKEY_fromdata_init(ctx) == 1 &&
                 EVP_PKEY_fromdata(ctx, pub, EVP_PKEY_PUBLIC_KEY, params) == 1,
             "EVP_PKEY_fromdata (RSA public key)");
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    lts_buf_dispose(&mod);
    lts_buf_dispose(&exp);
    return rc;
}

static lts_status ec_pub(srv_p11 *p, CK_OBJECT_HANDLE o, const char *group, EVP_PKEY **pub)
{
    lts_status rc = LTS_OK;
    lts_buf pt = LTS_BUF_INIT;
    ASN1_OCTET_STRING *os = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    const unsigned char *q;
    const uint8_t *point;
    size_t plen;
    OSSL_PARAM params[3];
    LTS_TRY(get_attr(p, o, CKA_EC_POINT, &pt));
    q = pt.p;
    /* CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 2.40 §2.3.3) */
    if (pt.n > 2 && pt.p[0] == 0x04 && (os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)pt.n)) &&
        q == pt.p + pt.n) {
        point = ASN1_STRING_get0_data(os);
        plen = (size_t)ASN1_STRING_length(os);
    } else {
        point = pt.p; /* some modules give the raw point */
        plen = pt.n;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, plen);
    params[2] = OSSL_PARAM_construct_end();
    LTS_OSSL((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL, "EVP_PKEY_CTX");
    LTS_OSSL(EVP_PKEY_fromdata_init(ctx) == 1 &&
                 EVP_PKEY_fromdata(ctx, pub, EVP_PKEY_PUBLIC_KEY, params) == 1,
             "EVP_PKEY_fromdata (EC public key)");
out:
    ERR_clear_error();
    ASN1_OCTET_STRING_free(os);
    EVP_PKEY_CTX_free(ctx);
    lts_buf_dispose(&pt);
    return rc;
}

/* The private key must have come out sensitive and private, and either not extractable
 * or extractable only by wrapping under a trusted key (CKA_WRAP_WITH_TRUSTED: the backup
 * key, see srv_p11_wrap); a key generated in the token must be "always sensitive". */
lts_status srv_p11__check_private(srv_p11 *p, CK_OBJECT_HANDLE priv, int generated)
{
    lts_status rc = LTS_OK;
    CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, always = CK_FALSE, priv_attr = CK_FALSE,
             wwt = CK_FALSE;
    CK_ATTRIBUTE a[] = {
        { CKA_SENSITIVE, &sens, sizeof sens },
        { CKA_EXTRACTABLE, &extr, sizeof extr },
        { CKA_ALWAYS_SENSITIVE, &always, sizeof always },
        { CKA_PRIVATE, &priv_attr, sizeof priv_attr },
        { CKA_WRAP_WITH_TRUSTED, &wwt, sizeof wwt },
    };
    P11(p->f->C_GetAttributeValue(p->sess, priv, a, 5), "C_GetAttributeValue (key flags)");
    LTS_ENSURE(sens == CK_TRUE && (extr == CK_FALSE || wwt == CK_TRUE) &&
                   (always == CK_TRUE || !generated) && priv_attr == CK_TRUE,
               LTS_E_CRYPTO, "the token made a private key that is extractable or not "
               "sensitive; refusing to use it");
out:
    return rc;
}

lts_status srv_p11_generate(srv_p11 *p, const char *algo, lts_span id, const char *label,
                            EVP_PKEY **pub)
{
    lts_status rc = LTS_OK;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG bits = 0;
    CK_BYTE e65537[] = { 1, 0, 1 };
    unsigned char *ecparams = NULL;
    int eclen = 0, nid = NID_undef, locked = 0;
    const char *group = NULL;
    CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
    CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
    *pub = NULL;

    if (strcmp(algo, "rsa2048") == 0)
        bits = 2048;
    else if (strcmp(algo, "rsa3072") == 0)
        bits = 3072;
    else if (strcmp(algo, "ec-p256") == 0)
        nid = NID_X9_62_prime256v1, group = "prime256v1";
    else if (strcmp(algo, "ec-p384") == 0)
        nid = NID_secp384r1, group = "secp384r1";
    else
        LTS_FAIL(LTS_E_UNSUPPORTED, "unknown key algorithm '%.32s' "
                 "(use rsa2048, rsa3072, ec-p256 or ec-p384)", algo);
    if (group) {
        mech.mechanism = CKM_EC_KEY_PAIR_GEN;
        eclen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &ecparams);
        LTS_OSSL(eclen > 0, "i2d_ASN1_OBJECT");
    }
    CK_ATTRIBUTE pub_t[8] = {
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_PRIVATE, &no, sizeof no },
        { CKA_VERIFY, &yes, sizeof yes },
        { CKA_ID, (void *)id.p, id.n },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    CK_ULONG npub = 5;
    if (group) {
        pub_t[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, ecparams, (CK_ULONG)eclen };
    } else {
        pub_t[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof bits };
        pub_t[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e65537, sizeof e65537 };
    }
    CK_ATTRIBUTE priv_t[] = {
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },
        /* extractable only wrapped under a trusted key (the backup key): the value
         * itself stays unreadable */
        { CKA_EXTRACTABLE, &yes, sizeof yes },
        { CKA_WRAP_WITH_TRUSTED, &yes, sizeof yes },
        { CKA_SIGN, &yes, sizeof yes },
        { CKA_DECRYPT, &no, sizeof no },
        { CKA_UNWRAP, &no, sizeof no },
        { CKA_DERIVE, &no, sizeof no },
        { CKA_ID, (void *)id.p, id.n },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    pthread_mutex_lock(&p->mu);
    locked = 1;
    P11(p->f->C_GenerateKeyPair(p->sess, &mech, pub_t, npub, priv_t,
                                sizeof priv_t / sizeof priv_t[0], &hpub, &hpriv),
        "C_GenerateKeyPair");
    LTS_TRY(srv_p11__check_private(p, hpriv, 1));
    if (group)
        LTS_TRY(ec_pub(p, hpub, group, pub));
    else
        LTS_TRY(rsa_pub(p, hpub, pub));
out:
    if (rc != LTS_OK && hpriv) {
        p->f->C_DestroyObject(p->sess, hpriv);
        p->f->C_DestroyObject(p->sess, hpub);
    }
    if (locked)
        pthread_mutex_unlock(&p->mu);
    OPENSSL_free(ecparams);
    return rc;
}

static lts_status find_key_in(srv_p11 *p, CK_SESSION_HANDLE sess, CK_OBJECT_CLASS cls,
                              lts_span id, CK_OBJECT_HANDLE *out)
{
    lts_status rc = LTS_OK;
    CK_ULONG n = 0;
    int active = 0;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_ID, (void *)id.p, id.n },
    };
    P11(p->f->C_FindObjectsInit(sess, t, 2), "C_FindObjectsInit");
    active = 1;
    P11(p->f->C_FindObjects(sess, out, 1, &n), "C_FindObjects");
    LTS_ENSURE(n == 1, LTS_E_NOTFOUND, "the key of this credential is not in the token");
out:
    if (active)
        p->f->C_FindObjectsFinal(sess);
    return rc;
}

lts_status srv_p11__find_key(srv_p11 *p, CK_OBJECT_CLASS cls, lts_span id, CK_OBJECT_HANDLE *out)
{
    return find_key_in(p, p->sess, cls, id, out);
}

static size_t key_bucket(lts_span id)
{
    size_t h = 5381;
    for (size_t i = 0; i < id.n; i++)
        h = h * 33 + id.p[i];
    return h % KEY_BUCKETS;
}

static void keys_clear(srv_p11 *p)
{
    for (size_t b = 0; b < KEY_BUCKETS; b++) {
        while (p->keys[b]) {
            struct key_ent *e = p->keys[b];
            p->keys[b] = e->next;
            lts_free(e);
        }
    }
    p->nkeys = 0;
}

/* The cached handle of the private key CKA_ID id: 1 and *h, or 0. */
static int key_cached(srv_p11 *p, lts_span id, CK_OBJECT_HANDLE *h)
{
    int found = 0;
    pthread_mutex_lock(&p->pool_mu);
    for (struct key_ent *e = p->keys[key_bucket(id)]; e; e = e->next) {
        if (e->n == id.n && memcmp(e->id, id.p, id.n) == 0) {
            *h = e->h;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&p->pool_mu);
    return found;
}

/* Remember (h != CK_INVALID_HANDLE) or forget (CK_INVALID_HANDLE) the key of id. */
static void key_remember(srv_p11 *p, lts_span id, CK_OBJECT_HANDLE h)
{
    size_t b = key_bucket(id);
    struct key_ent **pp, *e;
    if (id.n > KEY_ID_MAX)
        return;
    pthread_mutex_lock(&p->pool_mu);
    for (pp = &p->keys[b]; *pp; pp = &(*pp)->next) {
        if ((*pp)->n == id.n && memcmp((*pp)->id, id.p, id.n) == 0)
            break;
    }
    if (*pp && h == CK_INVALID_HANDLE) {
        e = *pp;
        *pp = e->next;
        lts_free(e);
        p->nkeys--;
    } else if (*pp) {
        (*pp)->h = h;
    } else if (h != CK_INVALID_HANDLE) {
        if (p->nkeys >= KEY_CACHE_MAX)
            keys_clear(p);
        if ((e = lts_calloc(1, sizeof *e)) != NULL) {
            e->n = id.n;
            memcpy(e->id, id.p, id.n);
            e->h = h;
            e->next = p->keys[b];
            p->keys[b] = e;
            p->nkeys++;
        }
    }
    pthread_mutex_unlock(&p->pool_mu);
}

static lts_status digest_info(lts_hash h, lts_span digest, lts_buf *out)
{
    lts_status rc = LTS_OK;
    X509_SIG *sig = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_OCTET_STRING *dg = NULL;
    unsigned char *der = NULL;
    int len;
    LTS_ALLOC(sig = X509_SIG_new());
    X509_SIG_getm(sig, &alg, &dg);
    LTS_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(lts_hash__nid(h)), V_ASN1_NULL, NULL) == 1,
             "X509_ALGOR_set0");
    LTS_OSSL(ASN1_OCTET_STRING_set(dg, digest.p, (int)digest.n) == 1, "ASN1_OCTET_STRING_set");
    len = i2d_X509_SIG(sig, &der);
    LTS_OSSL(len > 0, "i2d_X509_SIG (DigestInfo)");
    LTS_TRY(lts_buf_set(out, lts_span_of(der, (size_t)len)));
out:
    OPENSSL_free(der);
    X509_SIG_free(sig);
    return rc;
}

static lts_status ecdsa_der(lts_span raw, lts_buf *out)
{
    lts_status rc = LTS_OK;
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    int len;
    LTS_ENSURE(raw.n >= 2 && raw.n % 2 == 0 && raw.n <= 264, LTS_E_CRYPTO,
               "ECDSA value of %zu bytes is not r||s", raw.n);
    LTS_ALLOC(sig = ECDSA_SIG_new());
    LTS_ALLOC(r = BN_bin2bn(raw.p, (int)(raw.n / 2), NULL));
    LTS_ALLOC(s = BN_bin2bn(raw.p + raw.n / 2, (int)(raw.n / 2), NULL));
    LTS_OSSL(ECDSA_SIG_set0(sig, r, s) == 1, "ECDSA_SIG_set0");
    r = s = NULL;
    len = i2d_ECDSA_SIG(sig, &der);
    LTS_OSSL(len > 0, "i2d_ECDSA_SIG");
    LTS_TRY(lts_buf_set(out, lts_span_of(der, (size_t)len)));
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    return rc;
}

lts_status srv_p11_sign(srv_p11 *p, lts_span id, int scheme, lts_hash h, lts_span digest,
                        lts_buf *out)
{
    lts_status rc = LTS_OK;
    lts_buf in = LTS_BUF_INIT, raw = LTS_BUF_INIT;
    CK_OBJECT_HANDLE key = 0;
    int is_ec = scheme == SRV_SIG_ECDSA;
    CK_RSA_PKCS_PSS_PARAMS pss = { 0, 0, 0 };
    CK_MECHANISM mech = { is_ec ? CKM_ECDSA : CKM_RSA_PKCS, NULL, 0 };
    CK_ULONG len = 0;
    CK_SESSION_HANDLE sess = CK_INVALID_HANDLE;
    int have = 0, bad = 0;
    LTS_ENSURE(digest.n == lts_hash_size(h) && digest.n > 0, LTS_E_INPUT,
               "digest of %zu bytes does not fit %s", digest.n, lts_hash_name(h));
    if (scheme == SRV_SIG_RSA_PSS) {
        pss.hashAlg = h == LTS_HASH_SHA256 ? CKM_SHA256 : h == LTS_HASH_SHA384 ? CKM_SHA384
                                                                              : CKM_SHA512;
        pss.mgf = h == LTS_HASH_SHA256 ? CKG_MGF1_SHA256 : h == LTS_HASH_SHA384 ? CKG_MGF1_SHA384
                                                                                : CKG_MGF1_SHA512;
        pss.sLen = digest.n;
        mech.mechanism = CKM_RSA_PKCS_PSS;
        mech.pParameter = &pss;
        mech.ulParameterLen = sizeof pss;
    }
    if (scheme == SRV_SIG_RSA_PKCS1)
        LTS_TRY(digest_info(h, digest, &in));
    else
        LTS_TRY(lts_buf_set(&in, digest));
    LTS_ENSURE(pool_get(p, &sess), LTS_E_CRYPTO, "no PKCS#11 signing session left");
    have = 1;
    bad = 1; /* until the session is known to be back in a clean state */
    CK_RV rv = CKR_KEY_HANDLE_INVALID;
    if (key_cached(p, id, &key)) {
        rv = p->f->C_SignInit(sess, &mech, key);
        if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID)
            key_remember(p, id, CK_INVALID_HANDLE); /* gone: look it up again */
    }
    if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) {
        LTS_TRY(find_key_in(p, sess, CKO_PRIVATE_KEY, id, &key));
        rv = p->f->C_SignInit(sess, &mech, key);
        if (rv == CKR_OK)
            key_remember(p, id, key);
    }
    P11(rv, "C_SignInit");
    /* one call with room for any signature of our key sizes (RSA-3072: 384 bytes, P-384:
     * 96) instead of a size query first: a C_Sign less per value */
    LTS_TRY(lts_buf_reserve(&raw, 1024));
    len = 1024;
    P11(p->f->C_Sign(sess, in.p, (CK_ULONG)in.n, raw.p, &len), "C_Sign");
    LTS_ENSURE(len > 0 && len <= 1024, LTS_E_CRYPTO, "PKCS#11 signature of %lu bytes",
               (unsigned long)len);
    raw.n = len;
    bad = 0;
    pool_put(p, sess, 0);
    have = 0;
    if (is_ec)
        LTS_TRY(ecdsa_der(lts_buf_span(&raw), out));
    else
        LTS_TRY(lts_buf_set(out, lts_buf_span(&raw)));
out:
    if (have) {
        /* a key that is not there leaves the session clean (C_FindObjectsFinal ran) */
        if (rc == LTS_E_NOTFOUND)
            bad = 0;
        pool_put(p, sess, bad);
    }
    lts_buf_dispose(&in);
    lts_buf_dispose(&raw);
    return rc;
}

void srv_p11_destroy(srv_p11 *p, lts_span id)
{
    CK_OBJECT_HANDLE h = 0;
    key_remember(p, id, CK_INVALID_HANDLE);
    pthread_mutex_lock(&p->mu);
    for (CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY; cls <= CKO_PRIVATE_KEY; cls++) {
        if (srv_p11__find_key(p, cls, id, &h) == LTS_OK)
            p->f->C_DestroyObject(p->sess, h);
    }
    pthread_mutex_unlock(&p->mu);
}

int srv_p11_has_key(srv_p11 *p, lts_span id)
{
    CK_OBJECT_HANDLE h = 0;
    pthread_mutex_lock(&p->mu);
    int found = srv_p11__find_key(p, CKO_PRIVATE_KEY, id, &h) == LTS_OK;
    pthread_mutex_unlock(&p->mu);
    lts_error_clear();
    return found;
}
