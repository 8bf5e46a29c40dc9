/* The pkcs11: signer backend: a private key on a token, reached through any PKCS#11 module
 * (dlopen + C_GetFunctionList), selected by an RFC 7512 URI (grammar in p11_uri.c):
 *
 *   pkcs11:token=LABEL;object=LABEL;id=%01;type=private?module-path=/lib.so&pin-source=file:/f
 *
 * Selection. The token: the one initialised token whose token/manufacturer/serial/model,
 * slot-id/slot-description/slot-manufacturer match (library-* must match the module's
 * C_GetInfo). The key: the one CKO_PRIVATE_KEY with the given CKA_LABEL (object=) and/or
 * CKA_ID (id=); none is LTS_E_NOTFOUND naming it, several is LTS_E_CONFIG. The certificate:
 * a CKO_CERTIFICATE with the key's CKA_ID (else its CKA_LABEL) whose public key fits the key
 * (RSA modulus, EC curve), the latest-issued if several; then its issuers found on the token,
 * leaf first. Keys that want the PIN for each use (CKA_ALWAYS_AUTHENTICATE) are refused.
 *
 * Module and PIN. The module comes from module-path=, else env LTS_PKCS11_MODULE, else
 * LTS_P11_DEFAULT_MODULE (module-name= is refused: give a path). The PIN comes from
 * opts->passin or from pin-source= (never both, never pin-value=); it is wiped as soon as
 * C_Login returned, and no message ever holds it.
 *
 * Sessions. One login per signer (shared with the other signers of the process on the same
 * token, see p11_mod.h); signing uses a pool of up to x-sessions= (default
 * LTS_P11_DEFAULT_SESSIONS) sessions, a batch taking one, so concurrent callers do not queue
 * on one session and nobody logs in per signature. The token only ever sees digests:
 * CKM_RSA_PKCS over a DigestInfo we encode, CKM_RSA_PKCS_PSS (MGF1 with the same hash, salt
 * = hash length), CKM_ECDSA (r||s turned into DER). */
#define LTS_MODULE "signer-pkcs11"
#include "p11_int.h"
#include "p11_mod.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "backend_int.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/mem.h"

#define MAX_CERTS 256        /* certificates we look at on one token */
#define MAX_CERT_LEN (64 << 10)
#define MAX_SIG_LEN 1024     /* RSA 8192 bits; ECDSA P-521 is 132 */
#define MAX_CHAIN 10

typedef struct {
    lts_signer base; /* first member */
    p11_module *mod;
    CK_FUNCTION_LIST_PTR f;
    CK_SLOT_ID slot;
    int logged_in;              /* holds a login reference on the slot */
    int has_anchor;
    CK_SESSION_HANDLE anchor;   /* logged-in session kept open for the signer's life */
    CK_OBJECT_HANDLE key;
    CK_KEY_TYPE ktype;
    STACK_OF(X509) *chain;
    char what[200];             /* "key 'signer-rsa' on token 'ltsig-test'" for messages */
    /* the session pool */
    int sync_ok;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    CK_SESSION_HANDLE *idle;    /* free list, capacity max_sessions */
    size_t n_idle, n_open, max_sessions;
} p11_signer;

static const lts_signer_ops p11_ops;

static lts_status ck_err(lts_status code, CK_RV rv, const char *fmt, ...) LTS_PRINTF(3, 4);
static lts_status ck_err(lts_status code, CK_RV rv, const char *fmt, ...)
{
    char msg[400], b[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lts_err__set(code, LTS_MODULE, (int)rv, "%s: %s", msg,
                        lts_p11__rv_name(rv, b, sizeof b));
}

#define CK_TRY(call, code, ...)                                                            \
    do {                                                                                   \
        CK_RV rv_ = (call);                                                                \
        if (rv_ != CKR_OK) {                                                               \
            rc = ck_err((code), rv_, __VA_ARGS__);                                         \
            goto out;                                                                      \
        }                                                                                  \
    } while (0)

/* ---- the session pool ------------------------------------------------------------------ */

static lts_status pool_take(p11_signer *p, CK_SESSION_HANDLE *out)
{
    lts_status rc = LTS_OK;
    int open_new = 0;
    CK_RV rv;
    pthread_mutex_lock(&p->mu);
    while (p->n_idle == 0 && p->n_open >= p->max_sessions)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->n_idle > 0) {
        *out = p->idle[--p->n_idle];
    } else {
        p->n_open++;
        open_new = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (open_new) {
        /* The token's login covers every session this process opens with it. */
        rv = p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, out);
        if (rv != CKR_OK) {
            pthread_mutex_lock(&p->mu);
            p->n_open--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
            rc = ck_err(LTS_E_CRYPTO, rv, "%s: C_OpenSession failed", p->what);
        }
    }
    return rc;
}

/* Give a session back; a session that failed half-way (an operation may still be active)
 * is closed instead. */
static void pool_give(p11_signer *p, CK_SESSION_HANDLE h, int healthy)
{
    if (!healthy)
        p->f->C_CloseSession(h);
    pthread_mutex_lock(&p->mu);
    if (healthy)
        p->idle[p->n_idle++] = h;
    else
        p->n_open--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* ---- signing --------------------------------------------------------------------------- */

/* DER DigestInfo (RFC 8017 §9.2) through OpenSSL's X509_SIG encoder. */
static lts_status digest_info(lts_hash h, lts_span dg, lts_buf *out)
{
    lts_status rc = LTS_OK;
    X509_SIG *sig = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_OCTET_STRING *os = NULL;
    unsigned char *der = NULL;
    int len;
    LTS_ALLOC(sig = X509_SIG_new());
    X509_SIG_getm(sig, &alg, &os);
    LTS_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(lts_hash__nid(h)), V_ASN1_NULL, NULL) == 1,
             "X509_ALGOR_set0");
    LTS_OSSL(ASN1_OCTET_STRING_set(os, dg.p, (int)dg.n) == 1, "ASN1_OCTET_STRING_set");
    len = i2d_X509_SIG(sig, &der);
    LTS_OSSL(len > 0, "i2d_X509_SIG");
    LTS_TRY(lts_buf_set(out, lts_span_of(der, (size_t)len)));
out:
    OPENSSL_free(der);
    X509_SIG_free(sig);
    return rc;
}

static CK_MECHANISM_TYPE ck_hash(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA256:
        return CKM_SHA256;
    case LTS_HASH_SHA384:
        return CKM_SHA384;
    case LTS_HASH_SHA512:
        return CKM_SHA512;
    default:
        return CKM_VENDOR_DEFINED;
    }
}

static CK_RSA_PKCS_MGF_TYPE ck_mgf(lts_hash h)
{
    switch (h) {
    case LTS_HASH_SHA256:
        return CKG_MGF1_SHA256;
    case LTS_HASH_SHA384:
        return CKG_MGF1_SHA384;
    case LTS_HASH_SHA512:
        return CKG_MGF1_SHA512;
    default:
        return 0;
    }
}

/* The status for a failed C_SignInit/C_Sign: the login lost (another part of the process
 * logged out, or the token was reset) is an authentication matter; a mechanism the token or
 * the key refuses is unsupported; the rest is a crypto failure. */
static lts_status sign_code(CK_RV rv)
{
    switch (rv) {
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_PIN_EXPIRED:
        return LTS_E_AUTH;
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_KEY_TYPE_INCONSISTENT:
        return LTS_E_UNSUPPORTED;
    default:
        return LTS_E_CRYPTO;
    }
}

/* Sign one digest on session h. *dirty is set when the session may hold an active
 * operation (it must then be closed rather than reused). */
static lts_status sign_one(p11_signer *p, CK_SESSION_HANDLE h, lts_sig_alg alg, lts_span dg,
                           lts_buf *out, int *dirty)
{
    lts_status rc = LTS_OK;
    lts_buf di = LTS_BUF_INIT;
    lts_buf raw = LTS_BUF_INIT_MAX(MAX_SIG_LEN);
    CK_RSA_PKCS_PSS_PARAMS pss;
    CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
    lts_span data = dg;
    CK_ULONG siglen = 0;
    CK_RV rv;

    switch (alg.scheme) {
    case LTS_SCHEME_RSA_PKCS1:
        LTS_TRY(digest_info(alg.hash, dg, &di));
        data = lts_buf_span(&di);
        break;
    case LTS_SCHEME_RSA_PSS:
        pss.hashAlg = ck_hash(alg.hash);
        pss.mgf = ck_mgf(alg.hash);
        pss.sLen = dg.n;
        LTS_ENSURE(pss.hashAlg != CKM_VENDOR_DEFINED && pss.mgf != 0, LTS_E_UNSUPPORTED,
                   "RSA-PSS with %s is not supported", lts_hash_name(alg.hash));
        mech.mechanism = CKM_RSA_PKCS_PSS;
        mech.pParameter = &pss;
        mech.ulParameterLen = sizeof pss;
        break;
    case LTS_SCHEME_ECDSA:
        mech.mechanism = CKM_ECDSA; /* over the digest: SoftHSM 2.6 has no CKM_ECDSA_SHA256 */
        break;
    default:
        LTS_FAIL(LTS_E_UNSUPPORTED, "signature scheme %d is not supported", (int)alg.scheme);
    }
    rv = p->f->C_SignInit(h, &mech, p->key);
    CK_TRY(rv, sign_code(rv), "%s: C_SignInit (%s) failed", p->what,
           lts_scheme_name(alg.scheme));
    *dirty = 1;
    rv = p->f->C_Sign(h, (CK_BYTE_PTR)data.p, data.n, NULL, &siglen);
    CK_TRY(rv, sign_code(rv), "%s: C_Sign (length) failed", p->what);
    LTS_ENSURE(siglen > 0 && siglen <= MAX_SIG_LEN, LTS_E_CRYPTO,
               "%s: the token announces a %lu-byte signature", p->what, (unsigned long)siglen);
    LTS_TRY(lts_buf_reserve(&raw, siglen));
    rv = p->f->C_Sign(h, (CK_BYTE_PTR)data.p, data.n, raw.p, &siglen);
    CK_TRY(rv, sign_code(rv), "%s: C_Sign failed", p->what);
    *dirty = 0; /* C_Sign returned a value: the operation is over */
    raw.n = siglen;
    if (alg.scheme == LTS_SCHEME_ECDSA)
        LTS_TRY(lts_backend__ecdsa_raw_to_der(out, lts_buf_span(&raw)));
    else
        LTS_TRY(lts_buf_set(out, lts_buf_span(&raw)));
out:
    lts_buf_dispose(&di);
    lts_buf_dispose(&raw);
    return rc;
}

static lts_status p11_sign(lts_signer *s, lts_sig_alg alg, const lts_span *digests, size_t n,
                           lts_buf *out)
{
    p11_signer *p = (p11_signer *)s;
    lts_status rc = LTS_OK;
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    int have = 0, dirty = 0;
    int is_rsa = p->ktype == CKK_RSA;
    LTS_ENSURE(alg.scheme == LTS_SCHEME_ECDSA ? !is_rsa : is_rsa, LTS_E_UNSUPPORTED,
               "%s: %s needs %s key", p->what, lts_scheme_name(alg.scheme),
               is_rsa ? "an EC" : "an RSA");
    LTS_TRY(pool_take(p, &h));
    have = 1;
    for (size_t i = 0; i < n; i++)
        LTS_TRY(sign_one(p, h, alg, digests[i], &out[i], &dirty));
out:
    if (have)
        pool_give(p, h, !dirty);
    return rc;
}

/* ---- chain ----------------------------------------------------------------------------- */

static lts_status p11_chain(lts_signer *s, STACK_OF(X509) **out)
{
    p11_signer *p = (p11_signer *)s;
    lts_status rc = LTS_OK;
    /* a new stack holding a reference to each certificate: the caller frees it */
    LTS_OSSL(*out = X509_chain_up_ref(p->chain), "X509_chain_up_ref");
out:
    return rc;
}

/* ---- close ----------------------------------------------------------------------------- */

static void p11_close(lts_signer *s)
{
    p11_signer *p = (p11_signer *)s;
    if (p->mod) {
        /* Every session, the anchor last: closing the last one logs the token out. */
        if (p->has_anchor && p->idle != NULL)
            p->idle[p->n_idle++] = p->anchor;
        else if (p->has_anchor)
            p->f->C_CloseSession(p->anchor);
        lts_p11__slot_close(p->mod, p->slot, p->logged_in, p->idle, p->n_idle);
        lts_p11__module_put(p->mod);
    }
    if (p->sync_ok) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    lts_free(p->idle);
    sk_X509_pop_free(p->chain, X509_free);
    OPENSSL_cleanse(p, sizeof *p);
    lts_free(p);
}

static const lts_signer_ops p11_ops = {
    LTS_SIGNER_OPS_VERSION, "pkcs11", p11_chain, p11_sign, p11_close,
};

/* ---- opening: the token ---------------------------------------------------------------- */

/* Compare a URI value with a blank-padded fixed-size CK field. */
static int field_eq(const char *want, const CK_UTF8CHAR *field, size_t n)
{
    size_t len = n;
    while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\0'))
        len--;
    return strlen(want) == len && memcmp(want, field, len) == 0;
}

static lts_status check_library(p11_signer *p, const lts_p11_uri *u, const char *path)
{
    lts_status rc = LTS_OK;
    CK_INFO info;
    if (u->lib_manuf == NULL && u->lib_desc == NULL && !u->has_lib_ver)
        return LTS_OK;
    CK_TRY(p->f->C_GetInfo(&info), LTS_E_CONFIG, "PKCS#11 module %s: C_GetInfo failed", path);
    LTS_ENSURE(!u->lib_manuf || field_eq(u->lib_manuf, info.manufacturerID,
                                         sizeof info.manufacturerID),
               LTS_E_NOTFOUND, "PKCS#11 module %s is not from library-manufacturer '%s'", path,
               u->lib_manuf);
    LTS_ENSURE(!u->lib_desc || field_eq(u->lib_desc, info.libraryDescription,
                                        sizeof info.libraryDescription),
               LTS_E_NOTFOUND, "PKCS#11 module %s is not library-description '%s'", path,
               u->lib_desc);
    LTS_ENSURE(!u->has_lib_ver || (info.libraryVersion.major == u->lib_major &&
                                   info.libraryVersion.minor == u->lib_minor),
               LTS_E_NOTFOUND, "PKCS#11 module %s has library-version %u.%u, not %u.%u", path,
               info.libraryVersion.major, info.libraryVersion.minor, u->lib_major,
               u->lib_minor);
out:
    return rc;
}

static int slot_matches(p11_signer *p, const lts_p11_uri *u, CK_SLOT_ID id, CK_TOKEN_INFO *ti)
{
    CK_SLOT_INFO si;
    if (u->has_slot_num && u->slot_num != id)
        return 0;
    if (p->f->C_GetSlotInfo(id, &si) != CKR_OK || !(si.flags & CKF_TOKEN_PRESENT))
        return 0;
    if (u->slot_desc && !field_eq(u->slot_desc, si.slotDescription, sizeof si.slotDescription))
        return 0;
    if (u->slot_manuf && !field_eq(u->slot_manuf, si.manufacturerID, sizeof si.manufacturerID))
        return 0;
    if (p->f->C_GetTokenInfo(id, ti) != CKR_OK || !(ti->flags & CKF_TOKEN_INITIALIZED))
        return 0;
    if (u->token && !field_eq(u->token, ti->label, sizeof ti->label))
        return 0;
    if (u->manuf && !field_eq(u->manuf, ti->manufacturerID, sizeof ti->manufacturerID))
        return 0;
    if (u->tok_serial && !field_eq(u->tok_serial, ti->serialNumber, sizeof ti->serialNumber))
        return 0;
    if (u->tok_model && !field_eq(u->tok_model, ti->model, sizeof ti->model))
        return 0;
    return 1;
}

static lts_status find_token(p11_signer *p, const lts_p11_uri *u, const char *path,
                             CK_TOKEN_INFO *ti_out)
{
    lts_status rc = LTS_OK;
    CK_SLOT_ID *ids = NULL;
    CK_ULONG n = 0;
    CK_TOKEN_INFO ti;
    int found = 0;
    CK_TRY(p->f->C_GetSlotList(CK_TRUE, NULL, &n), LTS_E_CONFIG,
           "PKCS#11 module %s: C_GetSlotList failed", path);
    LTS_ENSURE(n <= 4096, LTS_E_CONFIG, "PKCS#11 module %s reports %lu slots", path,
               (unsigned long)n);
    LTS_ALLOC(ids = lts_calloc(n ? n : 1, sizeof *ids));
    CK_TRY(p->f->C_GetSlotList(CK_TRUE, ids, &n), LTS_E_CONFIG,
           "PKCS#11 module %s: C_GetSlotList failed", path);
    for (CK_ULONG i = 0; i < n; i++) {
        if (!slot_matches(p, u, ids[i], &ti))
            continue;
        if (found++ == 0) {
            p->slot = ids[i];
            *ti_out = ti;
        }
    }
    if (found == 0 && u->token)
        LTS_FAIL(LTS_E_NOTFOUND, "no initialised token labelled '%s' in PKCS#11 module %s",
                 u->token, path);
    LTS_ENSURE(found > 0, LTS_E_NOTFOUND,
               "no initialised token matches the pkcs11: URI in PKCS#11 module %s", path);
    LTS_ENSURE(found == 1, LTS_E_CONFIG,
               "%d tokens match the pkcs11: URI in PKCS#11 module %s; add token= or serial=",
               found, path);
out:
    lts_free(ids);
    return rc;
}

static void token_label(const CK_TOKEN_INFO *ti, char *out, size_t outsz)
{
    size_t len = sizeof ti->label;
    while (len > 0 && (ti->label[len - 1] == ' ' || ti->label[len - 1] == '\0'))
        len--;
    snprintf(out, outsz, "%.*s", (int)len, (const char *)ti->label);
}

/* ---- opening: objects ------------------------------------------------------------------ */

/* Read one attribute of variable length into a new buffer (NUL-terminated, len excludes it). */
static lts_status get_attr(p11_signer *p, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, size_t max,
                           lts_buf *out)
{
    lts_status rc = LTS_OK;
    CK_ATTRIBUTE a = { t, NULL, 0 };
    CK_TRY(p->f->C_GetAttributeValue(p->anchor, o, &a, 1), LTS_E_INPUT,
           "%s: cannot read attribute 0x%lx", p->what, (unsigned long)t);
    LTS_ENSURE(a.ulValueLen != (CK_ULONG)-1 && a.ulValueLen <= max, LTS_E_INPUT,
               "%s: attribute 0x%lx is unavailable or too long", p->what, (unsigned long)t);
    out->n = 0;
    LTS_TRY(lts_buf_reserve(out, a.ulValueLen + 1));
    a.pValue = out->p;
    CK_TRY(p->f->C_GetAttributeValue(p->anchor, o, &a, 1), LTS_E_INPUT,
           "%s: cannot read attribute 0x%lx", p->what, (unsigned long)t);
    out->n = a.ulValueLen;
    out->p[out->n] = 0;
out:
    return rc;
}

static void describe_key(char *out, size_t outsz, const lts_p11_uri *u, const char *token)
{
    char idhex[2 * 16 + 4] = "";
    if (u->has_key_id) {
        size_t n = u->key_id_len > 16 ? 16 : u->key_id_len;
        for (size_t i = 0; i < n; i++)
            snprintf(idhex + 2 * i, 3, "%02x", u->key_id[i]);
        if (u->key_id_len > 16)
            strcat(idhex, "..");
    }
    snprintf(out, outsz, "private key%s%.64s%s%s%s on token '%s'", u->object ? " '" : "",
             u->object ? u->object : "", u->object ? "'" : "", u->has_key_id ? " id " : "",
             idhex, token);
}

static lts_status find_key(p11_signer *p, const lts_p11_uri *u)
{
    lts_status rc = LTS_OK;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG nt = 0, found = 0;
    CK_OBJECT_HANDLE objs[2];
    CK_BBOOL can_sign = CK_FALSE;
    int active = 0;
    tmpl[nt++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof cls };
    if (u->object)
        tmpl[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, u->object, strlen(u->object) };
    if (u->has_key_id)
        tmpl[nt++] = (CK_ATTRIBUTE){ CKA_ID, u->key_id, u->key_id_len };
    CK_TRY(p->f->C_FindObjectsInit(p->anchor, tmpl, nt), LTS_E_CONFIG,
           "%s: C_FindObjectsInit failed", p->what);
    active = 1;
    CK_TRY(p->f->C_FindObjects(p->anchor, objs, 2, &found), LTS_E_CONFIG,
           "%s: C_FindObjects failed", p->what);
    LTS_ENSURE(found > 0, LTS_E_NOTFOUND, "no %s", p->what);
    LTS_ENSURE(found == 1, LTS_E_CONFIG, "more than one %s matches; add object= or id=",
               p->what);
    p->key = objs[0];
    {
        CK_ATTRIBUTE a[2] = { { CKA_KEY_TYPE, &p->ktype, sizeof p->ktype },
                              { CKA_SIGN, &can_sign, sizeof can_sign } };
        CK_TRY(p->f->C_GetAttributeValue(p->anchor, p->key, a, 2), LTS_E_INPUT,
               "%s: cannot read CKA_KEY_TYPE/CKA_SIGN", p->what);
    }
    LTS_ENSURE(p->ktype == CKK_RSA || p->ktype == CKK_EC, LTS_E_UNSUPPORTED,
               "%s: key type 0x%lx is not supported (RSA or EC keys only)", p->what,
               (unsigned long)p->ktype);
    LTS_ENSURE(can_sign == CK_TRUE, LTS_E_CONFIG, "%s may not sign (CKA_SIGN is false)",
               p->what);
    {
        /* A key that wants the PIN again before every signature would need the PIN kept in
         * memory, which we refuse to do: say so now rather than fail at the first C_Sign.
         * (Tokens older than v2.20 do not know the attribute: then it is not set.) */
        CK_BBOOL always = CK_FALSE;
        CK_ATTRIBUTE a = { CKA_ALWAYS_AUTHENTICATE, &always, sizeof always };
        if (p->f->C_GetAttributeValue(p->anchor, p->key, &a, 1) != CKR_OK)
            always = CK_FALSE;
        LTS_ENSURE(always != CK_TRUE, LTS_E_UNSUPPORTED,
                   "%s needs the PIN for every signature (CKA_ALWAYS_AUTHENTICATE); this signer "
                   "logs in once and does not keep the PIN", p->what);
    }
out:
    if (active)
        p->f->C_FindObjectsFinal(p->anchor);
    return rc;
}

/* Every X.509 certificate on the token, with its CKA_ID and CKA_LABEL. */
typedef struct {
    X509 *cert;
    lts_buf id, label;
} tok_cert;

static void tok_certs_free(tok_cert *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) {
        X509_free(c[i].cert);
        lts_buf_dispose(&c[i].id);
        lts_buf_dispose(&c[i].label);
    }
    lts_free(c);
}

static lts_status read_certs(p11_signer *p, tok_cert **out, size_t *nout)
{
    lts_status rc = LTS_OK;
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ATTRIBUTE tmpl[2] = { { CKA_CLASS, &cls, sizeof cls },
                             { CKA_CERTIFICATE_TYPE, &ct, sizeof ct } };
    CK_OBJECT_HANDLE *objs = NULL;
    CK_ULONG found = 0;
    tok_cert *c = NULL;
    lts_buf der = LTS_BUF_INIT;
    size_t n = 0;
    int active = 0;
    *out = NULL;
    *nout = 0;
    LTS_ALLOC(objs = lts_calloc(MAX_CERTS, sizeof *objs));
    CK_TRY(p->f->C_FindObjectsInit(p->anchor, tmpl, 2), LTS_E_CONFIG,
           "%s: C_FindObjectsInit (certificates) failed", p->what);
    active = 1;
    CK_TRY(p->f->C_FindObjects(p->anchor, objs, MAX_CERTS, &found), LTS_E_CONFIG,
           "%s: C_FindObjects (certificates) failed", p->what);
    p->f->C_FindObjectsFinal(p->anchor);
    active = 0;
    LTS_ALLOC(c = lts_calloc(found ? found : 1, sizeof *c));
    for (CK_ULONG i = 0; i < found; i++) {
        const unsigned char *q;
        X509 *x;
        LTS_TRY(get_attr(p, objs[i], CKA_VALUE, MAX_CERT_LEN, &der));
        q = der.p;
        x = d2i_X509(NULL, &q, (long)der.n);
        if (x == NULL || q != der.p + der.n) {
            X509_free(x);
            ERR_clear_error();
            continue; /* a broken certificate object is not ours to judge here */
        }
        c[n].cert = x;
        LTS_TRY(get_attr(p, objs[i], CKA_ID, 1024, &c[n].id));
        LTS_TRY(get_attr(p, objs[i], CKA_LABEL, 1024, &c[n].label));
        n++;
    }
    *out = c;
    *nout = n;
    c = NULL;
out:
    if (active)
        p->f->C_FindObjectsFinal(p->anchor);
    tok_certs_free(c, found); /* zeroed past n: NULL-safe */
    lts_buf_dispose(&der);
    lts_free(objs);
    return rc;
}

/* For RSA keys, compare the modulus with the certificate's: a clear error beats a STRICT
 * verification failure at the first signature. */
static int rsa_matches(p11_signer *p, X509 *cert)
{
    lts_buf mod = LTS_BUF_INIT;
    BIGNUM *kn = NULL, *cn = NULL;
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    int ok = 0;
    if (pk == NULL || !EVP_PKEY_is_a(pk, "RSA"))
        goto out;
    if (get_attr(p, p->key, CKA_MODULUS, 2048, &mod) != LTS_OK) {
        ok = 1; /* the token hides it: leave the check to the signature verification */
        lts_error_clear();
        goto out;
    }
    kn = BN_bin2bn(mod.p, (int)mod.n, NULL);
    ok = kn && EVP_PKEY_get_bn_param(pk, "n", &cn) == 1 && BN_cmp(kn, cn) == 0;
out:
    ERR_clear_error();
    BN_free(kn);
    BN_free(cn);
    lts_buf_dispose(&mod);
    return ok;
}

/* For EC keys, compare the curve (CKA_EC_PARAMS holds the named curve's OID in DER). */
static int ec_matches(p11_signer *p, X509 *cert)
{
    lts_buf params = LTS_BUF_INIT;
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    char group[80];
    unsigned char *der = NULL;
    int len, ok = 0;
    if (pk == NULL || !EVP_PKEY_is_a(pk, "EC"))
        goto out;
    if (get_attr(p, p->key, CKA_EC_PARAMS, 1024, &params) != LTS_OK) {
        ok = 1; /* not readable: leave the check to the signature verification */
        lts_error_clear();
        goto out;
    }
    if (EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, NULL) != 1)
        goto out;
    len = i2d_ASN1_OBJECT(OBJ_nid2obj(OBJ_txt2nid(group)), &der);
    ok = len > 0 && lts_span_eq(lts_buf_span(&params), lts_span_of(der, (size_t)len));
out:
    ERR_clear_error();
    OPENSSL_free(der);
    lts_buf_dispose(&params);
    return ok;
}

static int cert_fits_key(p11_signer *p, X509 *cert)
{
    return p->ktype == CKK_EC ? ec_matches(p, cert) : rsa_matches(p, cert);
}

/* The leaf: a certificate with the key's CKA_ID (when it has one), else its CKA_LABEL; then
 * the issuers found on the token, leaf first. */
static lts_status build_chain(p11_signer *p)
{
    lts_status rc = LTS_OK;
    tok_cert *c = NULL;
    size_t n = 0;
    lts_buf kid = LTS_BUF_INIT, klabel = LTS_BUF_INIT;
    int leaf = -1;
    unsigned char *used = NULL;
    X509 *cur;
    LTS_TRY(get_attr(p, p->key, CKA_ID, 1024, &kid));
    LTS_TRY(get_attr(p, p->key, CKA_LABEL, 1024, &klabel));
    LTS_TRY(read_certs(p, &c, &n));
    /* By CKA_ID first, then by CKA_LABEL. Several matches (a renewed certificate for the
     * same key): the one issued last, i.e. the latest notBefore. */
    for (int pass = 0; pass < 2 && leaf < 0; pass++) {
        const lts_buf *want = pass == 0 ? &kid : &klabel;
        if (want->n == 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            const lts_buf *have = pass == 0 ? &c[i].id : &c[i].label;
            if (!lts_span_eq(lts_buf_span(want), lts_buf_span(have)) ||
                !cert_fits_key(p, c[i].cert))
                continue;
            if (leaf < 0 || ASN1_TIME_compare(X509_get0_notBefore(c[i].cert),
                                              X509_get0_notBefore(c[leaf].cert)) > 0)
                leaf = (int)i;
        }
    }
    ERR_clear_error();
    LTS_ENSURE(leaf >= 0, LTS_E_NOTFOUND,
               "%s: no certificate on the token has the key's CKA_ID or CKA_LABEL and its "
               "public key", p->what);
    LTS_ALLOC(used = lts_calloc(n, 1));
    LTS_ALLOC(p->chain = sk_X509_new_null());
    LTS_OSSL(sk_X509_push(p->chain, c[leaf].cert) > 0, "sk_X509_push");
    c[leaf].cert = NULL;
    used[leaf] = 1;
    cur = sk_X509_value(p->chain, 0);
    for (int depth = 0; depth < MAX_CHAIN; depth++) {
        int next = -1;
        if (X509_check_issued(cur, cur) == X509_V_OK)
            break; /* self-signed: the root */
        for (size_t i = 0; i < n && next < 0; i++) {
            if (!used[i] && c[i].cert && X509_check_issued(c[i].cert, cur) == X509_V_OK)
                next = (int)i;
        }
        if (next < 0)
            break;
        LTS_OSSL(sk_X509_push(p->chain, c[next].cert) > 0, "sk_X509_push");
        cur = c[next].cert;
        c[next].cert = NULL;
        used[next] = 1;
    }
    ERR_clear_error();
out:
    lts_free(used);
    tok_certs_free(c, n);
    lts_buf_dispose(&kid);
    lts_buf_dispose(&klabel);
    return rc;
}

/* ---- opening: the PIN and the whole ------------------------------------------------------ */

static lts_status read_pin(lts_buf *pin, const lts_p11_uri *u, const lts_signer_opts *opts,
                           int *have)
{
    lts_status rc = LTS_OK;
    char *src = NULL;
    *have = 0;
    LTS_ENSURE(!u->has_pin_value, LTS_E_CONFIG,
               "pkcs11: URI: pin-value is refused (a PIN must not sit in a URI); use "
               "--passin or pin-source=file:PATH");
    LTS_ENSURE(!(u->pin_source && opts->passin), LTS_E_CONFIG,
               "pkcs11: URI has pin-source and --passin is given too; keep one");
    if (opts->passin) {
        LTS_TRY(lts_secret_read(pin, opts->passin));
    } else if (u->pin_source) {
        const char *path = u->pin_source;
        if (strncmp(path, "file:", 5) == 0)
            path += 5;
        LTS_ENSURE(path[0] == '/', LTS_E_CONFIG,
                   "pkcs11: URI: pin-source must be file:/ABSOLUTE/PATH or /ABSOLUTE/PATH");
        LTS_ALLOC(src = lts_malloc(strlen(path) + 6));
        memcpy(src, "file:", 5);
        memcpy(src + 5, path, strlen(path) + 1);
        LTS_TRY(lts_secret_read(pin, src));
    } else {
        goto out;
    }
    *have = 1;
out:
    lts_free(src);
    return rc;
}

static lts_status open_in(p11_signer *p, const lts_p11_uri *u, lts_buf *pin, int have_pin)
{
    lts_status rc = LTS_OK;
    const char *path = u->module_path;
    CK_TOKEN_INFO ti;
    char tok[40];
    if (path == NULL)
        path = getenv("LTS_PKCS11_MODULE");
    if (path == NULL || *path == '\0')
        path = LTS_P11_DEFAULT_MODULE;
    LTS_TRY(lts_p11__module_get(&p->mod, &p->f, path));
    LTS_TRY(check_library(p, u, path));
    LTS_TRY(find_token(p, u, path, &ti));
    token_label(&ti, tok, sizeof tok);
    describe_key(p->what, sizeof p->what, u, tok);
    CK_TRY(p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->anchor),
           LTS_E_CONFIG, "token '%s': C_OpenSession failed", tok);
    p->has_anchor = 1;
    if (have_pin) {
        /* A locked PIN: say so without spending another try. */
        LTS_ENSURE(!(ti.flags & CKF_USER_PIN_LOCKED), LTS_E_AUTH,
                   "token '%s': the user PIN is LOCKED after too many wrong tries "
                   "(CKF_USER_PIN_LOCKED); the security officer must unlock or reset it", tok);
        rc = lts_p11__login(p->mod, p->slot, p->anchor, lts_buf_span(pin), tok);
        lts_buf_wipe(pin);
        LTS_TRY(rc);
        p->logged_in = 1;
    } else {
        LTS_ENSURE(!(ti.flags & CKF_LOGIN_REQUIRED), LTS_E_CONFIG,
                   "token '%s' needs a PIN: give --passin or pin-source=file:PATH", tok);
    }
    LTS_TRY(find_key(p, u));
    LTS_TRY(build_chain(p));
out:
    lts_buf_wipe(pin);
    return rc;
}

lts_status lts_pkcs11__open(lts_signer **out, const char *uri, const lts_signer_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_p11_uri u;
    lts_buf pin = LTS_BUF_INIT;
    p11_signer *p = NULL;
    int have_pin = 0;

    *out = NULL;
    memset(&u, 0, sizeof u);
    LTS_TRY(lts_p11__uri_parse(&u, uri));
    LTS_ENSURE(u.module_name == NULL, LTS_E_UNSUPPORTED,
               "pkcs11: URI: module-name is not supported; give module-path=/path/module.so");
    LTS_ENSURE(u.obj_type == NULL || strcmp(u.obj_type, "private") == 0, LTS_E_CONFIG,
               "pkcs11: URI: a signer needs type=private (or no type), not type=%.20s",
               u.obj_type);
    LTS_TRY(read_pin(&pin, &u, opts, &have_pin));
    LTS_ALLOC(p = lts_calloc(1, sizeof *p));
    p->base.ops = &p11_ops;
    p->max_sessions = u.sessions ? u.sessions : LTS_P11_DEFAULT_SESSIONS;
    LTS_ALLOC(p->idle = lts_calloc(p->max_sessions + 1, sizeof *p->idle)); /* +1: anchor at close */
    LTS_ENSURE(pthread_mutex_init(&p->mu, NULL) == 0, LTS_E_NOMEM, "pthread_mutex_init failed");
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        LTS_FAIL(LTS_E_NOMEM, "pthread_cond_init failed");
    }
    p->sync_ok = 1;
    LTS_TRY(open_in(p, &u, &pin, have_pin));
    *out = &p->base;
    p = NULL;
out:
    lts_buf_wipe(&pin);
    if (p)
        p11_close(&p->base);
    lts_p11__uri_free(&u);
    return rc;
}

lts_status lts_pkcs11__probe_key(lts_signer *s, unsigned long *value_rv, int *sensitive,
                                 int *extractable)
{
    lts_status rc = LTS_OK;
    p11_signer *p = (p11_signer *)s;
    CK_BBOOL sens = CK_FALSE, extr = CK_TRUE;
    CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };
    CK_ATTRIBUTE a;
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    int have = 0;
    LTS_ENSURE(s != NULL && s->ops == &p11_ops, LTS_E_CONFIG, "not a pkcs11 signer");
    LTS_TRY(pool_take(p, &h));
    have = 1;
    *value_rv = p->f->C_GetAttributeValue(h, p->key, &v, 1);
    a = (CK_ATTRIBUTE){ CKA_SENSITIVE, &sens, sizeof sens };
    *sensitive = p->f->C_GetAttributeValue(h, p->key, &a, 1) == CKR_OK ? sens == CK_TRUE : -1;
    a = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &extr, sizeof extr };
    *extractable = p->f->C_GetAttributeValue(h, p->key, &a, 1) == CKR_OK ? extr == CK_TRUE : -1;
out:
    if (have)
        pool_give(p, h, 1);
    return rc;
}
