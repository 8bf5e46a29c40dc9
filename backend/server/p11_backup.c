/* backend/server/p11_backup.c — keys entering and leaving the token: import of a key pair
 * (from PKCS#12), backup wrapped under the trusted backup key (CKM_AES_KEY_WRAP_PAD),
 * restore (unwrapped not extractable, under an unwrap template), and the HSM-resident MAC
 * key. The sessions and the signing path are in p11.c. */
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

/* ---- import ----------------------------------------------------------------------------- */

/* The big-endian bytes of a BIGNUM parameter of key, left-padded to `pad` bytes (0: none).
 * *out is wiped and freed by the caller. */
static lts_status bn_param(const EVP_PKEY *key, const char *name, int pad, lts_buf *out)
{
    lts_status rc = LTS_OK;
    BIGNUM *bn = NULL;
    LTS_OSSL(EVP_PKEY_get_bn_param(key, name, &bn) == 1, "the key has no %s", name);
    int n = BN_num_bytes(bn);
    int len = pad > n ? pad : n;
    LTS_TRY(lts_buf_reserve(out, (size_t)(len > 0 ? len : 1)));
    LTS_OSSL(BN_bn2binpad(bn, out->p, len) == len, "BN_bn2binpad");
    out->n = (size_t)len;
out:
    BN_clear_free(bn);
    return rc;
}

lts_status srv_p11_import(srv_p11 *p, EVP_PKEY *key, lts_span id, const char *label)
{
    lts_status rc = LTS_OK;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt;
    CK_OBJECT_HANDLE h = 0;
    lts_buf v[8];
    unsigned char *ecparams = NULL;
    int eclen = 0, locked = 0, nv = 0;
    CK_ATTRIBUTE t[20];
    CK_ULONG n = 0;
    memset(v, 0, sizeof v);
    t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof cls };
    t[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof kt };
    t[n++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof yes };
    t[n++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof yes };
    t[n++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof yes };
    t[n++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof no };
    t[n++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof yes };
    t[n++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, sizeof no };
    t[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id.p, id.n };
    t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
    if (EVP_PKEY_is_a(key, "RSA")) {
        static const char *names[] = {
            OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
            OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
            OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
            OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
        };
        static const CK_ATTRIBUTE_TYPE types[] = {
            CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
            CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
        };
        LTS_ENSURE(EVP_PKEY_get_bits(key) >= 2048, LTS_E_UNSUPPORTED,
                   "RSA keys under 2048 bits are not accepted (TS 119 312)");
        kt = CKK_RSA;
        for (nv = 0; nv < 8; nv++) {
            LTS_TRY(bn_param(key, names[nv], 0, &v[nv]));
            t[n++] = (CK_ATTRIBUTE){ types[nv], v[nv].p, v[nv].n };
        }
    } else if (EVP_PKEY_is_a(key, "EC")) {
        char group[64];
        size_t glen = 0;
        LTS_OSSL(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                sizeof group, &glen) == 1, "EC group name");
        int nid = OBJ_sn2nid(group);
        LTS_ENSURE(nid == NID_X9_62_prime256v1 || nid == NID_secp384r1, LTS_E_UNSUPPORTED,
                   "EC curve %s not accepted (P-256 or P-384)", group);
        kt = CKK_EC;
        eclen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &ecparams);
        LTS_OSSL(eclen > 0, "i2d_ASN1_OBJECT");
        t[n++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, ecparams, (CK_ULONG)eclen };
        LTS_TRY(bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, (EVP_PKEY_get_bits(key) + 7) / 8, &v[0]));
        nv = 1;
        t[n++] = (CK_ATTRIBUTE){ CKA_VALUE, v[0].p, v[0].n };
    } else {
        LTS_FAIL(LTS_E_UNSUPPORTED, "only RSA and EC keys can be imported");
    }
    pthread_mutex_lock(&p->mu);
    locked = 1;
    P11(p->f->C_CreateObject(p->sess, t, n, &h), "C_CreateObject (private key)");
    rc = srv_p11__check_private(p, h, 0);
    if (rc != LTS_OK)
        p->f->C_DestroyObject(p->sess, h);
out:
    if (locked)
        pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < 8; i++)
        lts_buf_wipe(&v[i]);
    OPENSSL_free(ecparams);
    return rc;
}

/* ---- backup: wrap under the trusted backup key, unwrap, MAC ------------------------------- */

static lts_status find_secret(srv_p11 *p, const char *label, CK_OBJECT_HANDLE *out, int *found)
{
    lts_status rc = LTS_OK;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ULONG n = 0;
    int active = 0;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    *found = 0;
    P11(p->f->C_FindObjectsInit(p->sess, t, 2), "C_FindObjectsInit");
    active = 1;
    P11(p->f->C_FindObjects(p->sess, out, 1, &n), "C_FindObjects");
    *found = n == 1;
out:
    if (active)
        p->f->C_FindObjectsFinal(p->sess);
    return rc;
}

/* A backup key made without CKA_UNWRAP_TEMPLATE (it is public) would let anyone unwrap a
 * readable copy of a key: refuse to use one. */
static lts_status check_backup_key(srv_p11 *p, CK_OBJECT_HANDLE h)
{
    lts_status rc = LTS_OK;
    CK_BBOOL trusted = CK_FALSE;
    CK_ATTRIBUTE a[] = {
        { CKA_UNWRAP_TEMPLATE, NULL, 0 },
        { CKA_TRUSTED, &trusted, sizeof trusted },
    };
    CK_RV rv = p->f->C_GetAttributeValue(p->sess, h, a, 2);
    LTS_ENSURE((rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID) && trusted == CK_TRUE &&
                   a[0].ulValueLen != (CK_ULONG)-1 && a[0].ulValueLen >= 3 * sizeof(CK_ATTRIBUTE),
               LTS_E_CRYPTO, "the token's backup key '%s' is not trusted or has no unwrap "
               "template; delete it (SO) and run ltsigd init again", SRV_BACKUP_KEY_LABEL);
out:
    return rc;
}

lts_status srv_p11_backup_key_ensure(const srv_conf *conf, int *created)
{
    lts_status rc = LTS_OK;
    srv_p11 *p = NULL;
    CK_OBJECT_HANDLE h = 0;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG len = 32;
    CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
    const char *label = SRV_BACKUP_KEY_LABEL;
    int found = 0;
    *created = 0;
    LTS_ENSURE(conf->token_so_pin_file != NULL, LTS_E_CONFIG,
               "%s: 'token_so_pin_file' is needed to create the backup key", conf->path);
    /* only the security officer may set CKA_TRUSTED (PKCS#11 2.40 §4.9); an SO session sees
     * public objects only, so the key is public — but sensitive, never extractable, and
     * only for wrapping and unwrapping */
    LTS_TRY(srv_p11__open_as(&p, conf, CKU_SO, conf->token_so_pin_file));
    LTS_TRY(find_secret(p, label, &h, &found));
    if (!found) {
        /* whatever unwraps with it makes a private, sensitive, non-extractable key: the key
         * is public, so without this anyone with the token files and a backup file could
         * unwrap a readable copy without any PIN (checked in test_ltsigd_backup.sh) */
        CK_ATTRIBUTE unwrap_t[] = {
            { CKA_PRIVATE, &yes, sizeof yes },
            { CKA_SENSITIVE, &yes, sizeof yes },
            { CKA_EXTRACTABLE, &no, sizeof no },
        };
        CK_ATTRIBUTE t[] = {
            { CKA_UNWRAP_TEMPLATE, unwrap_t, sizeof unwrap_t },
            { CKA_TOKEN, &yes, sizeof yes },
            { CKA_PRIVATE, &no, sizeof no },
            { CKA_VALUE_LEN, &len, sizeof len },
            { CKA_SENSITIVE, &yes, sizeof yes },
            { CKA_EXTRACTABLE, &no, sizeof no },
            { CKA_TRUSTED, &yes, sizeof yes },
            { CKA_WRAP, &yes, sizeof yes },
            { CKA_UNWRAP, &yes, sizeof yes },
            { CKA_ENCRYPT, &no, sizeof no },
            { CKA_DECRYPT, &no, sizeof no },
            { CKA_SIGN, &no, sizeof no },
            { CKA_VERIFY, &no, sizeof no },
            { CKA_LABEL, (void *)label, strlen(label) },
        };
        P11(p->f->C_GenerateKey(p->sess, &mech, t, sizeof t / sizeof t[0], &h),
            "C_GenerateKey (backup key)");
        *created = 1;
    }
    LTS_TRY(check_backup_key(p, h));
out:
    srv_p11_close(p);
    return rc;
}

/* The HMAC key that tags backup files: made in the token on first use (private,
 * sensitive, not extractable, sign/verify only). Called with p->mu held. */
static lts_status mac_key(srv_p11 *p, CK_OBJECT_HANDLE *out)
{
    lts_status rc = LTS_OK;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG len = 32;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_MECHANISM mech = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
    const char *label = SRV_BACKUP_MAC_LABEL;
    int found = 0;
    LTS_TRY(find_secret(p, label, out, &found));
    if (!found) {
        CK_ATTRIBUTE t[] = {
            { CKA_TOKEN, &yes, sizeof yes },
            { CKA_PRIVATE, &yes, sizeof yes },
            { CKA_KEY_TYPE, &kt, sizeof kt },
            { CKA_VALUE_LEN, &len, sizeof len },
            { CKA_SENSITIVE, &yes, sizeof yes },
            { CKA_EXTRACTABLE, &no, sizeof no },
            { CKA_SIGN, &yes, sizeof yes },
            { CKA_VERIFY, &yes, sizeof yes },
            { CKA_ENCRYPT, &no, sizeof no },
            { CKA_DECRYPT, &no, sizeof no },
            { CKA_WRAP, &no, sizeof no },
            { CKA_UNWRAP, &no, sizeof no },
            { CKA_DERIVE, &no, sizeof no },
            { CKA_LABEL, (void *)label, strlen(label) },
        };
        P11(p->f->C_GenerateKey(p->sess, &mech, t, sizeof t / sizeof t[0], out),
            "C_GenerateKey (backup MAC key)");
    }
out:
    return rc;
}

lts_status srv_p11_mac(srv_p11 *p, lts_span data, uint8_t out[32])
{
    lts_status rc = LTS_OK;
    CK_OBJECT_HANDLE k = 0;
    CK_MECHANISM mech = { CKM_SHA256_HMAC, NULL, 0 };
    CK_ULONG len = 32;
    pthread_mutex_lock(&p->mu);
    LTS_TRY(mac_key(p, &k));
    P11(p->f->C_SignInit(p->sess, &mech, k), "C_SignInit (HMAC)");
    P11(p->f->C_Sign(p->sess, (CK_BYTE_PTR)data.p, (CK_ULONG)data.n, out, &len), "C_Sign (HMAC)");
    LTS_ENSURE(len == 32, LTS_E_CRYPTO, "HMAC-SHA256 of %lu bytes", (unsigned long)len);
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static lts_status backup_key(srv_p11 *p, CK_OBJECT_HANDLE *out)
{
    lts_status rc = LTS_OK;
    int found = 0;
    LTS_TRY(find_secret(p, SRV_BACKUP_KEY_LABEL, out, &found));
    LTS_ENSURE(found, LTS_E_NOTFOUND, "the token has no backup key '%s' (run ltsigd init "
               "with token_so_pin_file set)", SRV_BACKUP_KEY_LABEL);
    LTS_TRY(check_backup_key(p, *out));
out:
    return rc;
}

lts_status srv_p11_wrap(srv_p11 *p, lts_span id, lts_buf *out)
{
    lts_status rc = LTS_OK;
    CK_OBJECT_HANDLE wk = 0, key = 0;
    CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
    CK_ULONG len = 0;
    pthread_mutex_lock(&p->mu);
    LTS_TRY(backup_key(p, &wk));
    LTS_TRY(srv_p11__find_key(p, CKO_PRIVATE_KEY, id, &key));
    CK_RV rv = p->f->C_WrapKey(p->sess, &mech, wk, key, NULL, &len);
    LTS_ENSURE(rv != CKR_KEY_UNEXTRACTABLE, LTS_E_UNSUPPORTED, "this credential's key is not "
               "extractable even wrapped (imported, restored or made before backups existed)");
    LTS_ENSURE(rv == CKR_OK, LTS_E_CRYPTO, "PKCS#11 C_WrapKey failed: %s (0x%lx)",
               srv_p11__ckr_name(rv), (unsigned long)rv);
    LTS_ENSURE(len > 0 && len < 16384, LTS_E_CRYPTO, "wrapped key of %lu bytes",
               (unsigned long)len);
    LTS_TRY(lts_buf_reserve(out, len));
    P11(p->f->C_WrapKey(p->sess, &mech, wk, key, out->p, &len), "C_WrapKey");
    out->n = len;
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

lts_status srv_p11_unwrap(srv_p11 *p, lts_span wrapped, const char *algo, lts_span id,
                          const char *label)
{
    lts_status rc = LTS_OK;
    CK_OBJECT_HANDLE wk = 0, h = 0;
    CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = srv_algo_is_ec(algo) ? CKK_EC : CKK_RSA;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_KEY_TYPE, &kt, sizeof kt },
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },
        { CKA_EXTRACTABLE, &no, sizeof no },
        { CKA_SIGN, &yes, sizeof yes },
        { CKA_DECRYPT, &no, sizeof no },
        { CKA_UNWRAP, &no, sizeof no },
        { CKA_DERIVE, &no, sizeof no },
        { CKA_ID, (void *)id.p, id.n },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    pthread_mutex_lock(&p->mu);
    LTS_TRY(backup_key(p, &wk));
    P11(p->f->C_UnwrapKey(p->sess, &mech, wk, (CK_BYTE_PTR)wrapped.p, (CK_ULONG)wrapped.n, t,
                          sizeof t / sizeof t[0], &h),
        "C_UnwrapKey");
    rc = srv_p11__check_private(p, h, 0);
    if (rc != LTS_OK) {
        p->f->C_DestroyObject(p->sess, h);
        h = 0;
    }
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}
