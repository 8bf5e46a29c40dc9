/* A fault-injecting PKCS#11 module for the pkcs11 backend tests (cf. SQLite's test_vfs.c):
 * it forwards every call to the real module named by env LTS_P11_SHIM_REAL and changes
 * only what the test asks for, through the environment, at call time:
 *   LTS_P11_SHIM_LOGIN=locked|expired   C_Login answers CKR_PIN_LOCKED / CKR_PIN_EXPIRED
 *   LTS_P11_SHIM_SIGN_FAIL=N            the N-th C_Sign from now (1 = the next) answers
 *                                       CKR_DEVICE_ERROR (the operation then ends)
 *   LTS_P11_SHIM_SIGNINIT_RV=HEX        C_SignInit answers that CK_RV (e.g. 0x101)
 *   LTS_P11_SHIM_COUNT=FILE             after each C_Login / C_OpenSession, write
 *                                       "logins opens" (counts since the module loaded)
 * Built by test_pkcs11.c at run time (cc -shared), never part of the library. */
#include <p11-kit/pkcs11.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CK_FUNCTION_LIST shim;
static CK_FUNCTION_LIST_PTR real;
static long sign_calls;
static long n_logins, n_opens;

static void count(void)
{
    const char *path = getenv("LTS_P11_SHIM_COUNT");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%ld %ld\n", n_logins, n_opens);
        fclose(f);
    }
}

static CK_RV shim_open(CK_SLOT_ID slot, CK_FLAGS fl, CK_VOID_PTR app, CK_NOTIFY cb,
                       CK_SESSION_HANDLE_PTR h)
{
    CK_RV rv = real->C_OpenSession(slot, fl, app, cb, h);
    __atomic_add_fetch(&n_opens, 1, __ATOMIC_SEQ_CST);
    count();
    return rv;
}

static CK_RV shim_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG n)
{
    const char *m = getenv("LTS_P11_SHIM_LOGIN");
    if (m && strcmp(m, "locked") == 0)
        return CKR_PIN_LOCKED;
    if (m && strcmp(m, "expired") == 0)
        return CKR_PIN_EXPIRED;
    __atomic_add_fetch(&n_logins, 1, __ATOMIC_SEQ_CST);
    count();
    return real->C_Login(h, u, pin, n);
}

static CK_RV shim_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dn, CK_BYTE_PTR sig,
                       CK_ULONG_PTR sn)
{
    const char *f = getenv("LTS_P11_SHIM_SIGN_FAIL");
    if (f && sig != NULL && ++sign_calls == atol(f)) {
        CK_ULONG len = *sn;
        real->C_Sign(h, d, dn, sig, &len); /* end the operation on the real token */
        return CKR_DEVICE_ERROR;
    }
    if (f == NULL)
        sign_calls = 0;
    return real->C_Sign(h, d, dn, sig, sn);
}

static CK_RV shim_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
    const char *v = getenv("LTS_P11_SHIM_SIGNINIT_RV");
    if (v)
        return (CK_RV)strtoul(v, NULL, 16);
    return real->C_SignInit(h, m, k);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    if (real == NULL) {
        const char *path = getenv("LTS_P11_SHIM_REAL");
        void *dl = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
        CK_C_GetFunctionList g;
        if (dl == NULL)
            return CKR_GENERAL_ERROR;
        *(void **)(&g) = dlsym(dl, "C_GetFunctionList");
        if (g == NULL || g(&real) != CKR_OK)
            return CKR_GENERAL_ERROR;
        shim = *real;
        shim.C_Login = shim_login;
        shim.C_Sign = shim_sign;
        shim.C_OpenSession = shim_open;
        shim.C_SignInit = shim_sign_init;
    }
    *out = &shim;
    return CKR_OK;
}
