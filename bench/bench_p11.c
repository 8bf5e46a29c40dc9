/* bench_p11: RSA/EC signing rate of a PKCS#11 key at N threads for S seconds, two ways:
 *   bench_p11 ltsig URI PASSIN THREADS SECONDS
 *       through libltsig: one lts_signer opened on the pkcs11: URI, shared by the threads,
 *       lts_signer_sign() of one SHA-256 digest per call (STRICT re-verification included)
 *   bench_p11 raw MODULE TOKEN_LABEL PIN_FILE KEY_ID_HEX THREADS SECONDS
 *       the token alone: C_Initialize (OS locking), one session per thread, C_SignInit +
 *       C_Sign with CKM_RSA_PKCS over a SHA-256 DigestInfo (what the pkcs11: signer sends
 *       for RSA), or CKM_ECDSA over the digest for an EC key
 * Prints "ops_per_s=<rate>" for bench/run.sh. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <p11-kit/pkcs11.h>
#include <ltsig/ltsig.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
    lts_signer *signer;
    lts_sig_alg alg;
    CK_FUNCTION_LIST_PTR fl;
    CK_SLOT_ID slot;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM_TYPE mech;
    double until;
    long ops;
    int failed;
} worker;

static void *run_ltsig(void *arg)
{
    worker *w = arg;
    unsigned char dg[32];
    memset(dg, 0x5a, sizeof dg);
    while (now_s() < w->until) {
        lts_span sp = { dg, sizeof dg };
        lts_buf out = LTS_BUF_INIT;
        dg[0] = (unsigned char)w->ops;
        if (lts_signer_sign(w->signer, w->alg, &sp, 1, &out) != LTS_OK) {
            fprintf(stderr, "bench_p11: %s\n", lts_error_last()->message);
            w->failed = 1;
            return NULL;
        }
        lts_buf_dispose(&out);
        w->ops++;
    }
    return NULL;
}

static void *run_raw(void *arg)
{
    worker *w = arg;
    CK_SESSION_HANDLE h;
    /* SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1) + the digest */
    unsigned char di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                             0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
    unsigned char sig[1024];
    if (w->fl->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK) {
        w->failed = 1;
        return NULL;
    }
    unsigned char *in = w->mech == CKM_RSA_PKCS ? di : di + 19;
    CK_ULONG inlen = w->mech == CKM_RSA_PKCS ? sizeof di : 32;
    memset(di + 19, 0x5a, 32);
    while (now_s() < w->until) {
        CK_MECHANISM m = { w->mech, NULL, 0 };
        CK_ULONG n = sizeof sig;
        di[19] = (unsigned char)w->ops;
        if (w->fl->C_SignInit(h, &m, w->key) != CKR_OK ||
            w->fl->C_Sign(h, in, inlen, sig, &n) != CKR_OK) {
            w->failed = 1;
            break;
        }
        w->ops++;
    }
    w->fl->C_CloseSession(h);
    return NULL;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Load MODULE, log in on the token labelled LABEL, find the private key with CKA_ID. */
static int raw_setup(worker *proto, const char *module, const char *label, const char *pinfile,
                     const char *idhex)
{
    void *dl = dlopen(module, RTLD_NOW);
    CK_C_GetFunctionList gfl;
    if (dl == NULL || (gfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")) == NULL ||
        gfl(&proto->fl) != CKR_OK) {
        fprintf(stderr, "bench_p11: cannot load %s\n", module);
        return -1;
    }
    CK_C_INITIALIZE_ARGS ia = { 0 };
    ia.flags = CKF_OS_LOCKING_OK;
    CK_FUNCTION_LIST_PTR fl = proto->fl;
    CK_SLOT_ID slots[64];
    CK_ULONG ns = 64;
    if (fl->C_Initialize(&ia) != CKR_OK || fl->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
        return -1;
    size_t ll = strlen(label);
    int found = 0;
    for (CK_ULONG i = 0; i < ns && !found; i++) {
        CK_TOKEN_INFO ti;
        if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK && ll <= 32 &&
            memcmp(ti.label, label, ll) == 0 && (ll == 32 || ti.label[ll] == ' ')) {
            proto->slot = slots[i];
            found = 1;
        }
    }
    if (!found) {
        fprintf(stderr, "bench_p11: no token %s\n", label);
        return -1;
    }
    char pin[256];
    FILE *f = fopen(pinfile, "r");
    if (f == NULL || fgets(pin, sizeof pin, f) == NULL) {
        fprintf(stderr, "bench_p11: cannot read %s\n", pinfile);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    pin[strcspn(pin, "\r\n")] = 0;
    unsigned char id[128];
    size_t idlen = 0;
    for (const char *p = idhex; p[0] && p[1] && idlen < sizeof id; p += 2)
        id[idlen++] = (unsigned char)(hexval(p[0]) << 4 | hexval(p[1]));
    CK_SESSION_HANDLE h;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_ID, id, idlen } };
    CK_ULONG cnt = 0;
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE kta = { CKA_KEY_TYPE, &kt, sizeof kt };
    if (fl->C_OpenSession(proto->slot, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK ||
        fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK ||
        fl->C_FindObjectsInit(h, t, 2) != CKR_OK ||
        fl->C_FindObjects(h, &proto->key, 1, &cnt) != CKR_OK || cnt != 1 ||
        fl->C_FindObjectsFinal(h) != CKR_OK ||
        fl->C_GetAttributeValue(h, proto->key, &kta, 1) != CKR_OK) {
        fprintf(stderr, "bench_p11: login or key %s not found\n", idhex);
        return -1;
    }
    proto->mech = kt == CKK_EC ? CKM_ECDSA : CKM_RSA_PKCS;
    /* the session stays open: it keeps the login for the threads' sessions */
    return 0;
}

int main(int argc, char **argv)
{
    int raw = argc == 8 && strcmp(argv[1], "raw") == 0;
    if (!raw && !(argc == 6 && strcmp(argv[1], "ltsig") == 0)) {
        fprintf(stderr, "usage: bench_p11 ltsig URI PASSIN THREADS SECONDS\n"
                        "       bench_p11 raw MODULE TOKEN_LABEL PIN_FILE KEY_ID_HEX THREADS SECONDS\n");
        return 3;
    }
    int nt = atoi(argv[argc - 2]);
    double secs = atof(argv[argc - 1]);
    if (nt < 1 || nt > 256 || secs <= 0) {
        fprintf(stderr, "bench_p11: bad THREADS or SECONDS\n");
        return 3;
    }
    worker proto;
    memset(&proto, 0, sizeof proto);
    if (raw) {
        if (raw_setup(&proto, argv[2], argv[3], argv[4], argv[5]) != 0)
            return 4;
    } else {
        lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
        so.passin = argv[3];
        if (lts_signer_open(&proto.signer, argv[2], &so) != LTS_OK ||
            lts_signer_default_alg(proto.signer, LTS_HASH_SHA256, &proto.alg) != LTS_OK) {
            fprintf(stderr, "bench_p11: %s\n", lts_error_last()->message);
            lts_signer_close(proto.signer);
            return 4;
        }
    }
    worker *ws = calloc((size_t)nt, sizeof *ws);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (ws == NULL || th == NULL)
        return 4;
    double t0 = now_s();
    proto.until = t0 + secs;
    for (int i = 0; i < nt; i++) {
        ws[i] = proto;
        pthread_create(&th[i], NULL, raw ? run_raw : run_ltsig, &ws[i]);
    }
    long ops = 0;
    int failed = 0;
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        ops += ws[i].ops;
        failed |= ws[i].failed;
    }
    double dt = now_s() - t0;
    if (!failed)
        printf("ops_per_s=%.1f\n", ops / dt);
    else
        fprintf(stderr, "bench_p11: a signature failed\n");
    free(ws);
    free(th);
    lts_signer_close(proto.signer);
    return failed ? 4 : 0;
}
