/* tests for backend/pkcs11/pkcs11.c against a real SoftHSMv2 token made by
 * tests/support/softhsm.sh from the test PKI (env LTS_TEST_PKI, LTS_SRC). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <ltsig/openssl.h>
#include "lts_test.h"
#include "core/digest.h"
#include "core/mem.h"
#include "p11_int.h"

#define PIN "ltsig-user-7391" /* the user PIN softhsm.sh sets */

static char tokdir[1024];
static char module[512];
static char passin[1100];
static char uribuf[4][4096];
static char shim[1100]; /* the fault-injecting module, built by suite_init */

static int run(const char *cmd)
{
    int st = system(cmd);
    if (st != 0)
        fprintf(stderr, "\n'%s' failed (%d)\n", cmd, st);
    return st;
}

static int suite_init(void)
{
    char cmd[4096];
    const char *pki = lts_test_pki(), *src = getenv("LTS_SRC");
    FILE *f;
    if (pki == NULL || src == NULL) {
        fprintf(stderr, "LTS_TEST_PKI and LTS_SRC must be set\n");
        return 1;
    }
    snprintf(tokdir, sizeof tokdir, "%s/softhsm", lts_test_tmpdir());
    snprintf(cmd, sizeof cmd, "bash '%s/tests/support/softhsm.sh' create '%s' '%s'", src, tokdir,
             pki);
    if (run(cmd) != 0)
        return 1;
    snprintf(cmd, sizeof cmd, "%s/softhsm2.conf", tokdir);
    setenv("SOFTHSM2_CONF", cmd, 1);
    unsetenv("LTS_PKCS11_MODULE");
    snprintf(cmd, sizeof cmd, "bash '%s/tests/support/softhsm.sh' module", src);
    f = popen(cmd, "r");
    if (f == NULL || fgets(module, sizeof module, f) == NULL) {
        if (f)
            pclose(f);
        return 1;
    }
    pclose(f);
    module[strcspn(module, "\n")] = 0;
    snprintf(passin, sizeof passin, "file:%s/user.pin", tokdir);
    snprintf(shim, sizeof shim, "%s/p11shim.so", lts_test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "%s -shared -fPIC -o '%s' '%s/tests/unit/pkcs11/shim/p11shim.c' "
             "$(pkg-config --cflags p11-kit-1) -ldl",
             getenv("CC") ? getenv("CC") : "cc", shim, src);
    if (run(cmd) != 0)
        return 1;
    setenv("LTS_P11_SHIM_REAL", module, 1);
    return 0;
}

/* "pkcs11:<path>?module-path=<module><query>" in slot i */
static const char *p11uri(int i, const char *path, const char *query)
{
    snprintf(uribuf[i], sizeof uribuf[i], "pkcs11:%s?module-path=%s%s", path, module,
             query ? query : "");
    return uribuf[i];
}

static lts_signer *open_p11(const char *uri, const char *pass, lts_status want)
{
    lts_signer *s = NULL;
    lts_signer_opts o = LTS_SIGNER_OPTS_INIT;
    o.passin = pass;
    lts_status st = lts_signer_open(&s, uri, &o);
    if (st != want)
        fprintf(stderr, "\nopen %s: %s (%s)\n", uri, lts_status_name(st),
                lts_error_last()->message);
    CU_ASSERT_EQUAL(st, want);
    if (want != LTS_OK)
        CU_ASSERT_PTR_NULL(s);
    return s;
}

static X509 *pki_cert(const char *name)
{
    X509 *x = NULL;
    FILE *f = fopen(name[0] == '/' ? name : lts_test_pki_file(7, name), "r");
    if (f) {
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    return x;
}

/* Verify sig over `data` with the key of `cert` (an independent OpenSSL check). */
static int verify_data(X509 *cert, lts_sig_alg alg, const char *data, lts_span sig)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = EVP_DigestVerifyInit(ctx, &pctx, lts_hash__md(alg.hash), NULL,
                                  X509_get0_pubkey(cert)) == 1;
    if (ok && alg.scheme == LTS_SCHEME_RSA_PSS)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    ok = ok && EVP_DigestVerify(ctx, sig.p, sig.n, (const uint8_t *)data, strlen(data)) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* Sign a batch of n messages' digests and check every value against the PKI certificate. */
static void sign_batch(lts_signer *s, const char *certname, lts_sig_alg alg, size_t n)
{
    uint8_t d[8][LTS_HASH_MAX];
    char msg[8][32];
    lts_span dg[8];
    lts_buf out[8];
    X509 *cert = pki_cert(certname);
    CU_ASSERT_FATAL(n <= 8);
    for (size_t i = 0; i < n; i++) {
        size_t dl = 0;
        snprintf(msg[i], sizeof msg[i], "document %zu", i);
        LTS_ASSERT_OK(lts_digest__span(alg.hash, lts_span_of(msg[i], strlen(msg[i])), d[i], &dl));
        dg[i] = lts_span_of(d[i], dl);
        out[i] = (lts_buf)LTS_BUF_INIT;
    }
    LTS_ASSERT_OK(lts_signer_sign(s, alg, dg, n, out));
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT(out[i].n > 0);
        CU_ASSERT(verify_data(cert, alg, msg[i], lts_buf_span(&out[i])));
        /* a value for another document must not verify */
        CU_ASSERT(!verify_data(cert, alg, "another document", lts_buf_span(&out[i])));
        lts_buf_dispose(&out[i]);
    }
    X509_free(cert);
}

static void test_pkcs11__rsa_pkcs1_and_pss_batches(void)
{
    lts_signer *s = open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa;type=private", NULL),
                             passin, LTS_OK);
    if (!s)
        return;
    sign_batch(s, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 }, 5);
    sign_batch(s, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA384 }, 2);
    sign_batch(s, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA512 }, 1);
    sign_batch(s, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PSS, LTS_HASH_SHA256 }, 5);
    sign_batch(s, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PSS, LTS_HASH_SHA512 }, 2);
    /* PKCS#1 v1.5 is deterministic: the token's value equals OpenSSL's with the key file */
    {
        uint8_t d[LTS_HASH_MAX];
        size_t dl = 0, reflen = 0;
        unsigned char ref[512];
        lts_buf out = LTS_BUF_INIT;
        EVP_PKEY *key = NULL;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        FILE *f = fopen(lts_test_pki_file(0, "signer-rsa.key"), "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA256, lts_span_of("abc", 3), d, &dl));
        LTS_ASSERT_OK(lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 },
                                      &(lts_span){ d, dl }, 1, &out));
        reflen = sizeof ref;
        CU_ASSERT(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
                  EVP_DigestSign(ctx, ref, &reflen, (const uint8_t *)"abc", 3) == 1);
        CU_ASSERT(lts_span_eq(lts_buf_span(&out), lts_span_of(ref, reflen)));
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
        lts_buf_dispose(&out);
    }
    lts_signer_close(s);
}

static void test_pkcs11__ecdsa_batches(void)
{
    lts_signer *s = open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", NULL), passin, LTS_OK);
    lts_sig_alg def;
    if (!s)
        return;
    LTS_ASSERT_OK(lts_signer_default_alg(s, LTS_HASH_SHA256, &def));
    CU_ASSERT_EQUAL(def.scheme, LTS_SCHEME_ECDSA);
    sign_batch(s, "signer-ec.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 }, 6);
    sign_batch(s, "signer-ec.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA384 }, 2);
    /* an RSA scheme on an EC key is refused */
    {
        uint8_t d[32] = { 0 };
        lts_buf out = LTS_BUF_INIT;
        CU_ASSERT_EQUAL(lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_RSA_PSS, LTS_HASH_SHA256 },
                                        &(lts_span){ d, 32 }, 1, &out),
                        LTS_E_UNSUPPORTED);
        CU_ASSERT_EQUAL(out.n, 0);
    }
    lts_signer_close(s);
    /* P-384, selected by id alone */
    s = open_p11(p11uri(0, "token=ltsig-test;id=%03", NULL), passin, LTS_OK);
    if (!s)
        return;
    sign_batch(s, "signer-ec384.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA384 }, 3);
    lts_signer_close(s);
}

static void test_pkcs11__chain_leaf_first(void)
{
    lts_signer *s = open_p11(p11uri(0, "object=signer-rsa;id=%01", NULL), passin, LTS_OK);
    const char *names[] = { "signer-rsa.pem", "inter.pem", "root.pem" };
    STACK_OF(X509) *chain;
    if (!s)
        return;
    chain = lts_signer_get0_chain(s);
    CU_ASSERT_EQUAL_FATAL(sk_X509_num(chain), 3);
    for (int i = 0; i < 3; i++) {
        X509 *x = pki_cert(names[i]);
        CU_ASSERT_EQUAL(X509_cmp(x, sk_X509_value(chain, i)), 0);
        X509_free(x);
    }
    {
        lts_buf *ders = NULL;
        size_t n = 0;
        LTS_ASSERT_OK(lts_signer_chain_der(s, &ders, &n));
        CU_ASSERT_EQUAL(n, 3);
        lts_signer_chain_free(ders, n);
    }
    lts_signer_close(s);
}

static void test_pkcs11__pin_source_in_uri(void)
{
    char q[1200];
    lts_signer *s;
    snprintf(q, sizeof q, "&pin-source=file:%s/user.pin", tokdir);
    s = open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", q), NULL, LTS_OK);
    if (s)
        sign_batch(s, "signer-ec.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 }, 1);
    lts_signer_close(s);
    /* a plain absolute path works too */
    snprintf(q, sizeof q, "&pin-source=%s/user.pin", tokdir);
    s = open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", q), NULL, LTS_OK);
    lts_signer_close(s);
    /* both pin-source and --passin: refused as ambiguous */
    open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", q), passin, LTS_E_CONFIG);
    /* a relative pin-source is refused */
    open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", "&pin-source=user.pin"), NULL,
             LTS_E_CONFIG);
    /* a missing PIN file */
    open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", "&pin-source=file:/nonexistent/pin"),
             NULL, LTS_E_IO);
}

static void test_pkcs11__wrong_pin_is_auth_without_pin_text(void)
{
    const char *msg;
    open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), "pass:Wr0ng-PIN-31337",
             LTS_E_AUTH);
    msg = lts_error_last()->message;
    CU_ASSERT_PTR_NULL(strstr(msg, "Wr0ng-PIN-31337"));
    CU_ASSERT_PTR_NULL(strstr(msg, PIN));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "PIN was refused"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "ltsig-test"));
    /* the right PIN still works afterwards */
    lts_signer_close(open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), passin,
                              LTS_OK));
}

static void test_pkcs11__pin_rules(void)
{
    const char *msg;
    /* no PIN for a login-required token */
    open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), NULL, LTS_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "needs a PIN"));
    /* pin-value in the URI is refused, and not echoed */
    open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", "&pin-value=" PIN), NULL,
             LTS_E_CONFIG);
    msg = lts_error_last()->message;
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "pin-value is refused"));
    CU_ASSERT_PTR_NULL(strstr(msg, PIN));
}

static void test_pkcs11__not_found_names_the_label(void)
{
    open_p11(p11uri(0, "token=no-such-token;object=signer-rsa", NULL), passin, LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no-such-token"));
    open_p11(p11uri(0, "token=ltsig-test;object=no-such-key", NULL), passin, LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no-such-key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "ltsig-test"));
    /* a label that exists with another id */
    open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa;id=%02", NULL), passin,
             LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "signer-rsa"));
    /* a certificate-only object is not a private key */
    open_p11(p11uri(0, "token=ltsig-test;object=inter", NULL), passin, LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "inter"));
    /* several private keys match a token-only URI */
    open_p11(p11uri(0, "token=ltsig-test", NULL), passin, LTS_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "more than one"));
    /* other token attributes take part in the match */
    open_p11(p11uri(0, "token=ltsig-test;model=NoSuchModel;object=signer-rsa", NULL), passin,
             LTS_E_NOTFOUND);
    lts_signer_close(open_p11(p11uri(0, "token=ltsig-test;manufacturer=SoftHSM%20project;"
                                        "model=SoftHSM%20v2;object=signer-rsa", NULL),
                              passin, LTS_OK));
    open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa;library-manufacturer=Nobody", NULL),
             passin, LTS_E_NOTFOUND);
}

static void test_pkcs11__bad_uri_and_module(void)
{
    open_p11("pkcs11:token=ltsig-test;object=signer rsa", passin, LTS_E_CONFIG);
    open_p11("pkcs11:token=ltsig-test;bogus=1", passin, LTS_E_CONFIG);
    open_p11("pkcs11:token=ltsig-test;object=a;object=b", passin, LTS_E_CONFIG);
    open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa;type=cert", NULL), passin,
             LTS_E_CONFIG);
    open_p11("pkcs11:token=ltsig-test;object=signer-rsa?module-name=softhsm2", passin,
             LTS_E_UNSUPPORTED);
    open_p11("pkcs11:object=signer-rsa?module-path=/nonexistent/libp11.so", passin,
             LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/libp11.so"));
    open_p11("pkcs11:object=signer-rsa?module-path=libsofthsm2.so", passin, LTS_E_CONFIG);
    /* a shared library that is not a PKCS#11 module */
    {
        char q[600];
        const char *libs[] = { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                               "/lib64/libz.so.1" };
        for (size_t i = 0; i < 3; i++) {
            FILE *f = fopen(libs[i], "r");
            if (f == NULL)
                continue;
            fclose(f);
            snprintf(q, sizeof q, "pkcs11:object=signer-rsa?module-path=%s", libs[i]);
            open_p11(q, passin, LTS_E_CONFIG);
            CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "C_GetFunctionList"));
            break;
        }
    }
}

static void test_pkcs11__module_from_env(void)
{
    setenv("LTS_PKCS11_MODULE", "/nonexistent/from-env.so", 1);
    open_p11("pkcs11:token=ltsig-test;object=signer-rsa", passin, LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/from-env.so"));
    setenv("LTS_PKCS11_MODULE", module, 1);
    lts_signer_close(open_p11("pkcs11:token=ltsig-test;object=signer-rsa", passin, LTS_OK));
    /* module-path in the URI wins over the environment */
    setenv("LTS_PKCS11_MODULE", "/nonexistent/from-env.so", 1);
    lts_signer_close(open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), passin,
                              LTS_OK));
    unsetenv("LTS_PKCS11_MODULE");
}

static void test_pkcs11__generated_key_is_not_extractable(void)
{
    unsigned long rv = 0;
    int sens = -1, extr = -1;
    lts_signer *s = open_p11(p11uri(0, "token=ltsig-test;object=gen-ec", NULL), passin, LTS_OK);
    char cert[1200];
    if (!s)
        return;
    LTS_ASSERT_OK(lts_pkcs11__probe_key(s, &rv, &sens, &extr));
    CU_ASSERT_EQUAL(rv, 0x11UL); /* CKR_ATTRIBUTE_SENSITIVE: CKA_VALUE is not given out */
    CU_ASSERT_EQUAL(sens, 1);
    CU_ASSERT_EQUAL(extr, 0);
    snprintf(cert, sizeof cert, "%s/gen-ec.pem", tokdir);
    sign_batch(s, cert, (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 }, 3);
    lts_signer_close(s);
}

/* ---- concurrency --------------------------------------------------------------------- */

typedef struct {
    lts_signer *s;
    X509 *cert;
    int idx;
    int failures;
    int done;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lts_sig_alg alg = { w->idx % 2 ? LTS_SCHEME_RSA_PSS : LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 };
    for (int i = 0; i < 50; i++) {
        char msg[64];
        uint8_t d[LTS_HASH_MAX];
        size_t dl = 0;
        lts_buf out = LTS_BUF_INIT;
        snprintf(msg, sizeof msg, "thread %d message %d", w->idx, i);
        if (lts_digest__span(alg.hash, lts_span_of(msg, strlen(msg)), d, &dl) != LTS_OK ||
            lts_signer_sign(w->s, alg, &(lts_span){ d, dl }, 1, &out) != LTS_OK ||
            !verify_data(w->cert, alg, msg, lts_buf_span(&out)))
            w->failures++;
        else
            w->done++;
        lts_buf_dispose(&out);
    }
    return NULL;
}

static void run_threads(const char *query)
{
    lts_signer *s = open_p11(p11uri(1, "token=ltsig-test;object=signer-rsa", query), passin,
                             LTS_OK);
    worker w[4];
    pthread_t t[4];
    X509 *cert = pki_cert("signer-rsa.pem");
    if (!s) {
        X509_free(cert);
        return;
    }
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){ s, cert, i, 0, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
        CU_ASSERT_EQUAL(w[i].done, 50);
    }
    lts_signer_close(s);
    X509_free(cert);
}

static void test_pkcs11__four_threads_fifty_each(void)
{
    run_threads(NULL);          /* default pool: 4 sessions */
    run_threads("&x-sessions=1"); /* one session: the threads take turns */
}

static void test_pkcs11__two_signers_share_the_login(void)
{
    lts_signer *a = open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), passin,
                             LTS_OK);
    lts_signer *b = open_p11(p11uri(1, "token=ltsig-test;object=signer-ec", NULL), passin,
                             LTS_OK);
    /* while a and b hold the login, a wrong PIN is still refused */
    open_p11(p11uri(2, "token=ltsig-test;object=signer-ec384", NULL), "pass:not-the-pin",
             LTS_E_AUTH);
    CU_ASSERT_PTR_NULL(strstr(lts_error_last()->message, "not-the-pin"));
    if (a)
        sign_batch(a, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 }, 2);
    lts_signer_close(a);
    /* b keeps working after a closed */
    if (b)
        sign_batch(b, "signer-ec.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 }, 2);
    lts_signer_close(b);
    /* and after everything closed (module finalised), a fresh open works */
    a = open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), passin, LTS_OK);
    if (a)
        sign_batch(a, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PSS, LTS_HASH_SHA384 }, 1);
    lts_signer_close(a);
}

/* ---- allocation failures: every one gives LTS_E_NOMEM and leaks nothing (ASan) ------- */

static void test_pkcs11__oom_open_and_sign(void)
{
    const char *uri = p11uri(0, "token=ltsig-test;object=signer-ec", NULL);
    int opened = 0;
    long i;
    for (i = 0; i < 400 && !opened; i++) {
        lts_signer *s = NULL;
        lts_signer_opts o = LTS_SIGNER_OPTS_INIT;
        lts_status st;
        o.passin = passin;
        lts_mem__fail_after(i, 0);
        st = lts_signer_open(&s, uri, &o);
        lts_mem__fail_after(-1, 0);
        if (st == LTS_OK) {
            opened = 1;
        } else {
            if (st != LTS_E_NOMEM)
                fprintf(stderr, "\nallocation %ld failed: %s: %s\n", i, lts_status_name(st),
                        lts_error_last()->message);
            CU_ASSERT_EQUAL(st, LTS_E_NOMEM);
            CU_ASSERT_PTR_NULL(s);
        }
        if (s) {
            /* and the signing path, on this signer */
            uint8_t d[32];
            int signed_ok = 0;
            memset(d, 7, sizeof d);
            for (long j = 0; j < 50 && !signed_ok; j++) {
                lts_buf out = LTS_BUF_INIT;
                lts_mem__fail_after(j, 0);
                st = lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 },
                                     &(lts_span){ d, 32 }, 1, &out);
                lts_mem__fail_after(-1, 0);
                if (st == LTS_OK)
                    signed_ok = 1;
                else
                    CU_ASSERT_EQUAL(st, LTS_E_NOMEM);
                CU_ASSERT(st == LTS_OK ? out.n > 0 : out.n == 0);
                lts_buf_dispose(&out);
            }
            CU_ASSERT(signed_ok);
        }
        lts_signer_close(s);
    }
    CU_ASSERT(opened);
    CU_ASSERT(i > 5); /* the loop did go through failures */
}

/* ---- faults injected by shim/p11shim.c around the real SoftHSM ------------------------- */

static const char *shim_uri(const char *path, const char *query)
{
    snprintf(uribuf[3], sizeof uribuf[3], "pkcs11:%s?module-path=%s%s", path, shim,
             query ? query : "");
    return uribuf[3];
}

static void test_pkcs11__pin_locked_said_clearly(void)
{
    const char *msg;
    /* through the shim with no fault: it is a working module */
    lts_signer_close(open_p11(shim_uri("token=ltsig-test;object=signer-ec", NULL), passin, LTS_OK));
    setenv("LTS_P11_SHIM_LOGIN", "locked", 1);
    open_p11(shim_uri("token=ltsig-test;object=signer-ec", NULL), passin, LTS_E_AUTH);
    msg = lts_error_last()->message;
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "LOCKED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "CKR_PIN_LOCKED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "ltsig-test"));
    CU_ASSERT_PTR_NULL(strstr(msg, PIN));
    CU_ASSERT_EQUAL(lts_error_last()->reason, 0xa4); /* the CK_RV is kept as the reason */
    setenv("LTS_P11_SHIM_LOGIN", "expired", 1);
    open_p11(shim_uri("token=ltsig-test;object=signer-ec", NULL), passin, LTS_E_AUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "expired"));
    unsetenv("LTS_P11_SHIM_LOGIN");
}

static void test_pkcs11__failed_sign_leaves_nothing_and_recovers(void)
{
    uint8_t d[3][32];
    lts_span dg[3];
    lts_buf out[3] = { LTS_BUF_INIT, LTS_BUF_INIT, LTS_BUF_INIT };
    /* one session only: if the broken session were not replaced, the next call would hang
     * or fail with CKR_OPERATION_ACTIVE */
    lts_signer *s = open_p11(shim_uri("token=ltsig-test;object=signer-rsa", "&x-sessions=1"),
                             passin, LTS_OK);
    if (!s)
        return;
    for (int i = 0; i < 3; i++) {
        memset(d[i], 'a' + i, 32);
        dg[i] = lts_span_of(d[i], 32);
    }
    setenv("LTS_P11_SHIM_SIGN_FAIL", "2", 1); /* the second value of the batch fails */
    CU_ASSERT_EQUAL(lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 },
                                    dg, 3, out),
                    LTS_E_CRYPTO);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "CKR_DEVICE_ERROR"));
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(out[i].n, 0); /* all or nothing */
    unsetenv("LTS_P11_SHIM_SIGN_FAIL");
    for (int round = 0; round < 3; round++) {
        LTS_ASSERT_OK(lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_RSA_PSS, LTS_HASH_SHA256 },
                                      dg, 3, out));
        for (int i = 0; i < 3; i++) {
            CU_ASSERT(out[i].n == 256);
            lts_buf_dispose(&out[i]);
        }
    }
    lts_signer_close(s);
}

static void test_pkcs11__sign_errors_mapped(void)
{
    static const struct {
        const char *rv;
        lts_status want;
        const char *name;
    } cases[] = {
        { "0x101", LTS_E_AUTH, "CKR_USER_NOT_LOGGED_IN" },
        { "0x70", LTS_E_UNSUPPORTED, "CKR_MECHANISM_INVALID" },
        { "0x68", LTS_E_UNSUPPORTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
        { "0x30", LTS_E_CRYPTO, "CKR_DEVICE_ERROR" },
        { "0x80001234", LTS_E_CRYPTO, "CKR_0x80001234" },
    };
    uint8_t d[32] = { 1 };
    lts_signer *s = open_p11(shim_uri("token=ltsig-test;object=signer-ec", NULL), passin, LTS_OK);
    if (!s)
        return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lts_buf out = LTS_BUF_INIT;
        setenv("LTS_P11_SHIM_SIGNINIT_RV", cases[i].rv, 1);
        CU_ASSERT_EQUAL(lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 },
                                        &(lts_span){ d, 32 }, 1, &out),
                        cases[i].want);
        CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, cases[i].name));
        CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "signer-ec"));
        CU_ASSERT_EQUAL(out.n, 0);
    }
    unsetenv("LTS_P11_SHIM_SIGNINIT_RV");
    sign_batch(s, "signer-ec.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 }, 2);
    lts_signer_close(s);
}

static int read_counts(const char *path, long *logins, long *opens)
{
    FILE *f = fopen(path, "r");
    int n = f ? fscanf(f, "%ld %ld", logins, opens) : 0;
    if (f)
        fclose(f);
    return n == 2;
}

static void test_pkcs11__one_login_and_a_bounded_pool(void)
{
    char path[1200];
    long l0 = -1, o0 = -1, l1 = -1, o1 = -1;
    worker w[4];
    pthread_t t[4];
    X509 *cert = pki_cert("signer-rsa.pem");
    lts_signer *s;
    snprintf(path, sizeof path, "%s/shim-count", lts_test_tmpdir());
    remove(path);
    setenv("LTS_P11_SHIM_COUNT", path, 1);
    s = open_p11(shim_uri("token=ltsig-test;object=signer-rsa", "&x-sessions=3"), passin, LTS_OK);
    if (s == NULL)
        goto out;
    /* opening: one login, through one (anchor) session */
    CU_ASSERT_FATAL(read_counts(path, &l0, &o0));
    CU_ASSERT(l0 >= 1);
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){ s, cert, i, 0, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].done, 50);
    }
    CU_ASSERT_FATAL(read_counts(path, &l1, &o1));
    CU_ASSERT_EQUAL(l1, l0);                   /* 200 signatures, no further login */
    CU_ASSERT(o1 - o0 >= 1 && o1 - o0 <= 3);   /* at most x-sessions signing sessions */
out:
    lts_signer_close(s);
    unsetenv("LTS_P11_SHIM_COUNT");
    X509_free(cert);
}

/* ---- the leaf certificate choice (changes the suite's token: keep these last) --------- */

static void test_pkcs11__leaf_choice(void)
{
    char cmd[8192];
    const char *pki = lts_test_pki();
    lts_signer *s;
    X509 *want;
    snprintf(cmd, sizeof cmd,
             "set -e; export SOFTHSM2_CONF='%s/softhsm2.conf'; cd '%s/work';"
             "p11() { pkcs11-tool --module '%s' --token-label ltsig-test --login "
             "--pin %s \"$@\" >/dev/null 2>&1; };"
             /* a P-384 certificate under signer-ec's id, issued after signer-ec's (so the
              * latest-notBefore rule alone would take it): must not be taken for the P-256 key */
             "openssl req -new -key '%s/signer-ec384.key' -subj '/CN=wrong curve' -out wrong.csr;"
             "openssl x509 -req -in wrong.csr -CA '%s/inter.pem' -CAkey '%s/inter.key' "
             "-set_serial 0x0bad -days 30 -out wrong.pem 2>/dev/null;"
             "openssl x509 -in wrong.pem -outform DER -out wrong.der;"
             "p11 --write-object wrong.der --type cert --id 02 --label signer-ec-wrong;"
             /* a renewed certificate for signer-rsa's key, issued now (the first: a day ago) */
             "openssl req -new -key '%s/signer-rsa.key' -subj '/O=ltsig test/CN=Test Signer RSA' "
             "-out renew.csr;"
             "openssl x509 -req -in renew.csr -CA '%s/inter.pem' -CAkey '%s/inter.key' "
             "-set_serial 0x5eed -days 30 -out renewed.pem 2>/dev/null;"
             "openssl x509 -in renewed.pem -outform DER -out renewed.der;"
             "p11 --write-object renewed.der --type cert --id 01 --label signer-rsa-renewed;"
             /* a key with no certificate at all */
             "p11 --keypairgen --key-type EC:prime256v1 --id 30 --label nocert --usage-sign;"
             /* a key that wants the PIN for each use (a certificate is not even needed) */
             "p11 --keypairgen --key-type EC:prime256v1 --id 31 --label always-auth "
             "--usage-sign --always-auth",
             tokdir, tokdir, module, PIN, pki, pki, pki, pki, pki, pki);
    CU_ASSERT_EQUAL_FATAL(run(cmd), 0);

    s = open_p11(p11uri(0, "token=ltsig-test;object=signer-ec", NULL), passin, LTS_OK);
    want = pki_cert("signer-ec.pem");
    CU_ASSERT(s && X509_cmp(lts_signer_get0_cert(s), want) == 0);
    X509_free(want);
    if (s)
        sign_batch(s, "signer-ec.pem", (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA256 }, 1);
    lts_signer_close(s);

    s = open_p11(p11uri(0, "token=ltsig-test;object=signer-rsa", NULL), passin, LTS_OK);
    if (s) {
        ASN1_INTEGER *sn = X509_get_serialNumber(lts_signer_get0_cert(s));
        CU_ASSERT_EQUAL(ASN1_INTEGER_get(sn), 0x5eed);
        CU_ASSERT_EQUAL(sk_X509_num(lts_signer_get0_chain(s)), 3);
        sign_batch(s, "signer-rsa.pem", (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 }, 1);
    }
    lts_signer_close(s);

    open_p11(p11uri(0, "token=ltsig-test;object=nocert", NULL), passin, LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no certificate"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "nocert"));

    open_p11(p11uri(0, "token=ltsig-test;object=always-auth", NULL), passin, LTS_E_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "CKA_ALWAYS_AUTHENTICATE"));
}

int lts_suite_pkcs11(void)
{
    static CU_TestInfo tests[] = {
        { "rsa_pkcs1_and_pss_batches", test_pkcs11__rsa_pkcs1_and_pss_batches },
        { "ecdsa_batches", test_pkcs11__ecdsa_batches },
        { "chain_leaf_first", test_pkcs11__chain_leaf_first },
        { "pin_source_in_uri", test_pkcs11__pin_source_in_uri },
        { "wrong_pin_is_auth_without_pin_text", test_pkcs11__wrong_pin_is_auth_without_pin_text },
        { "pin_rules", test_pkcs11__pin_rules },
        { "not_found_names_the_label", test_pkcs11__not_found_names_the_label },
        { "bad_uri_and_module", test_pkcs11__bad_uri_and_module },
        { "module_from_env", test_pkcs11__module_from_env },
        { "generated_key_is_not_extractable", test_pkcs11__generated_key_is_not_extractable },
        { "four_threads_fifty_each", test_pkcs11__four_threads_fifty_each },
        { "two_signers_share_the_login", test_pkcs11__two_signers_share_the_login },
        { "oom_open_and_sign", test_pkcs11__oom_open_and_sign },
        { "pin_locked_said_clearly", test_pkcs11__pin_locked_said_clearly },
        { "failed_sign_leaves_nothing_and_recovers",
          test_pkcs11__failed_sign_leaves_nothing_and_recovers },
        { "sign_errors_mapped", test_pkcs11__sign_errors_mapped },
        { "one_login_and_a_bounded_pool", test_pkcs11__one_login_and_a_bounded_pool },
        { "leaf_choice", test_pkcs11__leaf_choice },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("pkcs11", suite_init, NULL, tests);
}
