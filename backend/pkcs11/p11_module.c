/* Loaded PKCS#11 modules and their per-process state: see p11_mod.h for why this file holds
 * the backend's only static state. */
#define LTS_MODULE "signer-pkcs11"
#include "p11_mod.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "core/err.h"

#define MAX_MODULES 8
#define MAX_SLOTS 16
#define SALT_LEN 16

typedef struct {
    int used;
    CK_SLOT_ID slot;
    unsigned logins;             /* signers logged in through this slot */
    unsigned char salt[SALT_LEN];
    unsigned char pin_hash[32];  /* SHA-256(salt || PIN) of the PIN that logged in */
} slot_state;

struct p11_module {
    void *dl;
    CK_FUNCTION_LIST_PTR fl;
    unsigned users;
    int we_initialised;
    slot_state slots[MAX_SLOTS];
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static p11_module table[MAX_MODULES];

static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
    { CKR_OK, "CKR_OK" },
    { CKR_CANCEL, "CKR_CANCEL" },
    { CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
    { CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
    { CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
    { CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
    { CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
    { CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
    { CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
    { CKR_DATA_INVALID, "CKR_DATA_INVALID" },
    { CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE" },
    { CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
    { CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
    { CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
    { CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
    { CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
    { CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE" },
    { CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
    { CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
    { CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
    { CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID" },
    { CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
    { CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE" },
    { CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED" },
    { CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
    { CKR_PIN_INVALID, "CKR_PIN_INVALID" },
    { CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
    { CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
    { CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
    { CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
    { CKR_SESSION_COUNT, "CKR_SESSION_COUNT" },
    { CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
    { CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE" },
    { CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
    { CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
    { CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN" },
    { CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
    { CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
    { CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID" },
    { CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
    { CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
    { CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED" },
    { CKR_CANT_LOCK, "CKR_CANT_LOCK" },
};

const char *lts_p11__rv_name(CK_RV rv, char *buf, size_t bufsz)
{
    for (size_t i = 0; i < sizeof rv_names / sizeof rv_names[0]; i++) {
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    }
    snprintf(buf, bufsz, "CKR_0x%lx", (unsigned long)rv);
    return buf;
}

static lts_status ck_fail(lts_status code, CK_RV rv, const char *what, const char *path)
{
    char b[32];
    return lts_err__set(code, LTS_MODULE, (int)rv, "PKCS#11 module %s: %s failed: %s", path,
                        what, lts_p11__rv_name(rv, b, sizeof b));
}

/* Called with table_lock held. */
static lts_status load(p11_module **out, CK_FUNCTION_LIST_PTR *fl, const char *path)
{
    lts_status rc = LTS_OK;
    void *dl = NULL;
    p11_module *m = NULL;
    CK_C_GetFunctionList getfl;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_C_INITIALIZE_ARGS args;
    CK_RV rv;

    LTS_ENSURE(path[0] == '/', LTS_E_CONFIG,
               "PKCS#11 module path '%s' is not absolute (module-path=/path/lib.so)", path);
    LTS_ENSURE(access(path, F_OK) == 0, LTS_E_NOTFOUND, "PKCS#11 module %s: no such file", path);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        const char *e = dlerror();
        LTS_FAIL(LTS_E_CONFIG, "PKCS#11 module %s: cannot load: %s", path, e ? e : "?");
    }
    for (int i = 0; i < MAX_MODULES; i++) {
        if (table[i].users > 0 && table[i].dl == dl) {
            dlclose(dl); /* dlopen counted one more reference; we hold one already */
            dl = NULL;
            table[i].users++;
            *out = &table[i];
            *fl = table[i].fl;
            goto out;
        }
    }
    for (int i = 0; i < MAX_MODULES && m == NULL; i++) {
        if (table[i].users == 0)
            m = &table[i];
    }
    LTS_ENSURE(m != NULL, LTS_E_UNSUPPORTED, "more than %d PKCS#11 modules loaded at once",
               MAX_MODULES);
    *(void **)(&getfl) = dlsym(dl, "C_GetFunctionList");
    LTS_ENSURE(getfl != NULL, LTS_E_CONFIG,
               "PKCS#11 module %s: no C_GetFunctionList (not a PKCS#11 module?)", path);
    rv = getfl(&f);
    if (rv != CKR_OK)
        LTS_TRY(ck_fail(LTS_E_CONFIG, rv, "C_GetFunctionList", path));
    /* 3.x modules hand out the 2.40 table here (their 3.0 one comes from C_GetInterface);
     * its 2.x members, all we call, have the same layout either way. */
    LTS_ENSURE(f != NULL && (f->version.major == 2 || f->version.major == 3), LTS_E_UNSUPPORTED,
               "PKCS#11 module %s: unsupported Cryptoki version %u.%u (2.x or 3.x needed)", path,
               f ? f->version.major : 0, f ? f->version.minor : 0);
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    rv = f->C_Initialize(&args);
    LTS_ENSURE(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED, LTS_E_CONFIG,
               "PKCS#11 module %s: C_Initialize failed: %s", path,
               lts_p11__rv_name(rv, (char[32]){ 0 }, 32));
    memset(m, 0, sizeof *m);
    m->dl = dl;
    m->fl = f;
    m->users = 1;
    m->we_initialised = rv == CKR_OK;
    dl = NULL;
    *out = m;
    *fl = f;
out:
    if (dl)
        dlclose(dl);
    return rc;
}

lts_status lts_p11__module_get(p11_module **out, CK_FUNCTION_LIST_PTR *fl, const char *path)
{
    lts_status rc;
    *out = NULL;
    *fl = NULL;
    pthread_mutex_lock(&table_lock);
    rc = load(out, fl, path);
    pthread_mutex_unlock(&table_lock);
    return rc;
}

void lts_p11__module_put(p11_module *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&table_lock);
    if (m->users > 0 && --m->users == 0) {
        if (m->we_initialised)
            m->fl->C_Finalize(NULL);
        dlclose(m->dl);
        OPENSSL_cleanse(m, sizeof *m);
    }
    pthread_mutex_unlock(&table_lock);
}

static slot_state *find_slot(p11_module *m, CK_SLOT_ID slot, int create)
{
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (m->slots[i].used && m->slots[i].slot == slot)
            return &m->slots[i];
    }
    if (!create)
        return NULL;
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (!m->slots[i].used) {
            memset(&m->slots[i], 0, sizeof m->slots[i]);
            m->slots[i].used = 1;
            m->slots[i].slot = slot;
            return &m->slots[i];
        }
    }
    return NULL;
}

static int pin_hash(const unsigned char *salt, lts_span pin, unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(c, salt, SALT_LEN) == 1 && EVP_DigestUpdate(c, pin.p, pin.n) == 1 &&
             EVP_DigestFinal_ex(c, out, &n) == 1 && n == 32;
    EVP_MD_CTX_free(c);
    return ok;
}

static int session_logged_in(p11_module *m, CK_SESSION_HANDLE h)
{
    CK_SESSION_INFO si;
    if (m->fl->C_GetSessionInfo(h, &si) != CKR_OK)
        return 0;
    return si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS;
}

/* What the token says about the tries left after a refused PIN (v2.40 CK_TOKEN_INFO). */
static const char *tries_hint(p11_module *m, CK_SLOT_ID slot)
{
    CK_TOKEN_INFO ti;
    if (m->fl->C_GetTokenInfo(slot, &ti) != CKR_OK)
        return "";
    if (ti.flags & CKF_USER_PIN_LOCKED)
        return "; the user PIN is now LOCKED (CKR_PIN_LOCKED): the security officer must "
               "unlock it";
    if (ti.flags & CKF_USER_PIN_FINAL_TRY)
        return "; one try left: the next wrong PIN locks the token";
    if (ti.flags & CKF_USER_PIN_COUNT_LOW) /* a wrong PIN since the last good login */
        return "; the token counts this failed try (it may lock the PIN after more)";
    return "";
}

static lts_status login_locked(p11_module *m, CK_SLOT_ID slot, CK_SESSION_HANDLE h, lts_span pin,
                               const char *what)
{
    lts_status rc = LTS_OK;
    slot_state *st = NULL;
    unsigned char hash[32];
    char b[32];
    CK_RV rv;

    LTS_ALLOC(st = find_slot(m, slot, 1));
    if (st->logins > 0 && session_logged_in(m, h)) {
        /* Another signer of this process holds the login: check the PIN against its. */
        LTS_ENSURE(pin_hash(st->salt, pin, hash), LTS_E_CRYPTO, "SHA-256 of the PIN failed");
        LTS_ENSURE(CRYPTO_memcmp(hash, st->pin_hash, sizeof hash) == 0, LTS_E_AUTH,
                   "token '%s': the PIN was refused (it differs from the PIN this process "
                   "logged in with)", what);
        st->logins++;
        goto out;
    }
    rv = m->fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin.p, (CK_ULONG)pin.n);
    switch (rv) {
    case CKR_OK:
        break;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
        LTS_FAIL_R(LTS_E_AUTH, (int)rv, "token '%s': the PIN was refused (%s)%s", what,
                   lts_p11__rv_name(rv, b, sizeof b), tries_hint(m, slot));
    case CKR_PIN_LOCKED:
        LTS_FAIL_R(LTS_E_AUTH, (int)rv,
                   "token '%s': the user PIN is LOCKED after too many wrong tries "
                   "(CKR_PIN_LOCKED); the security officer must unlock or reset it", what);
    case CKR_PIN_EXPIRED:
        LTS_FAIL_R(LTS_E_AUTH, (int)rv, "token '%s': the user PIN has expired (CKR_PIN_EXPIRED)",
                   what);
    case CKR_USER_PIN_NOT_INITIALIZED:
        LTS_FAIL_R(LTS_E_CONFIG, (int)rv, "token '%s': no user PIN is set on the token", what);
    case CKR_USER_ALREADY_LOGGED_IN:
        LTS_FAIL_R(LTS_E_AUTH, (int)rv,
                   "token '%s': already logged in by another part of this process; the PIN "
                   "cannot be checked", what);
    default:
        LTS_FAIL_R(LTS_E_CONFIG, (int)rv, "token '%s': C_Login failed: %s", what,
                   lts_p11__rv_name(rv, b, sizeof b));
    }
    LTS_ENSURE(RAND_bytes(st->salt, SALT_LEN) == 1 && pin_hash(st->salt, pin, st->pin_hash),
               LTS_E_CRYPTO, "random salt or SHA-256 for the PIN check failed");
    st->logins++;
out:
    OPENSSL_cleanse(hash, sizeof hash);
    if (rc != LTS_OK && st != NULL && st->logins == 0) {
        OPENSSL_cleanse(st, sizeof *st);
        st->used = 0;
    }
    return rc;
}

lts_status lts_p11__login(p11_module *m, CK_SLOT_ID slot, CK_SESSION_HANDLE h, lts_span pin,
                          const char *what)
{
    lts_status rc;
    pthread_mutex_lock(&table_lock);
    rc = login_locked(m, slot, h, pin, what);
    pthread_mutex_unlock(&table_lock);
    return rc;
}

void lts_p11__slot_close(p11_module *m, CK_SLOT_ID slot, int logged_in,
                         const CK_SESSION_HANDLE *sessions, size_t n)
{
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < n; i++)
        m->fl->C_CloseSession(sessions[i]);
    if (logged_in) {
        slot_state *st = find_slot(m, slot, 0);
        if (st && st->logins > 0 && --st->logins == 0) {
            OPENSSL_cleanse(st, sizeof *st);
            st->used = 0;
        }
    }
    pthread_mutex_unlock(&table_lock);
}
