/* tests for backend/signer.c and backend/file/file.c against the test PKI */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <ltsig/openssl.h>
#include "lts_test.h"
#include "core/digest.h"

static lts_signer *open_uri(const char *uri, const char *passin, lts_status want)
{
    lts_signer *s = NULL;
    lts_signer_opts o = LTS_SIGNER_OPTS_INIT;
    o.passin = passin;
    lts_status st = lts_signer_open(&s, uri, &o);
    if (st != want)
        fprintf(stderr, "\nopen %s: %s (%s)\n", uri, lts_status_name(st), lts_error_last()->message);
    CU_ASSERT_EQUAL(st, want);
    if (want != LTS_OK)
        CU_ASSERT_PTR_NULL(s);
    return s;
}

static char uri[3][1200];

static const char *p12_uri(int slot, const char *name)
{
    snprintf(uri[slot], sizeof uri[slot], "file:%s/%s.p12", lts_test_pki(), name);
    return uri[slot];
}

static void sign_and_check(lts_signer *s, lts_sig_alg alg)
{
    uint8_t d1[LTS_HASH_MAX], d2[LTS_HASH_MAX];
    size_t n1 = 0, n2 = 0;
    LTS_ASSERT_OK(lts_digest__span(alg.hash, lts_span_of("one", 3), d1, &n1));
    LTS_ASSERT_OK(lts_digest__span(alg.hash, lts_span_of("two", 3), d2, &n2));
    lts_span dg[2] = { lts_span_of(d1, n1), lts_span_of(d2, n2) };
    lts_buf out[2] = { LTS_BUF_INIT, LTS_BUF_INIT };
    LTS_ASSERT_OK(lts_signer_sign(s, alg, dg, 2, out));
    CU_ASSERT(out[0].n > 0 && out[1].n > 0);
    /* independent check with OpenSSL's one-shot API over the original data */
    EVP_PKEY *pk = X509_get0_pubkey(lts_signer_get0_cert(s));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    CU_ASSERT_EQUAL(EVP_DigestVerifyInit(ctx, &pctx, lts_hash__md(alg.hash), NULL, pk), 1);
    if (alg.scheme == LTS_SCHEME_RSA_PSS) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    CU_ASSERT_EQUAL(EVP_DigestVerify(ctx, out[1].p, out[1].n, (const uint8_t *)"two", 3), 1);
    EVP_MD_CTX_free(ctx);
    lts_buf_dispose(&out[0]);
    lts_buf_dispose(&out[1]);
}

static void test_signer_file__p12_rsa_schemes(void)
{
    lts_signer *s = open_uri(p12_uri(0, "signer-rsa"), "pass:test1234", LTS_OK);
    if (!s)
        return;
    lts_sig_alg alg;
    LTS_ASSERT_OK(lts_signer_default_alg(s, LTS_HASH_SHA256, &alg));
    CU_ASSERT_EQUAL(alg.scheme, LTS_SCHEME_RSA_PKCS1);
    sign_and_check(s, alg);
    sign_and_check(s, (lts_sig_alg){ LTS_SCHEME_RSA_PSS, LTS_HASH_SHA384 });
    sign_and_check(s, (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA512 });
    /* chain: leaf first, then inter and root */
    lts_buf *ders = NULL;
    size_t n = 0;
    LTS_ASSERT_OK(lts_signer_chain_der(s, &ders, &n));
    CU_ASSERT_EQUAL(n, 3);
    lts_signer_chain_free(ders, n);
    X509_NAME *subj = X509_get_subject_name(lts_signer_get0_cert(s));
    char cn[128] = "";
    X509_NAME_get_text_by_NID(subj, NID_commonName, cn, sizeof cn);
    CU_ASSERT_STRING_EQUAL(cn, "Test Signer RSA");
    lts_signer_close(s);
}

static void test_signer_file__p12_ecdsa(void)
{
    lts_signer *s = open_uri(p12_uri(0, "signer-ec"), "pass:test1234", LTS_OK);
    if (!s)
        return;
    lts_sig_alg alg;
    LTS_ASSERT_OK(lts_signer_default_alg(s, LTS_HASH_SHA256, &alg));
    CU_ASSERT_EQUAL(alg.scheme, LTS_SCHEME_ECDSA);
    sign_and_check(s, alg);
    /* an RSA scheme on an EC key is refused before reaching the key */
    uint8_t d[32] = { 0 };
    lts_span dg = lts_span_of(d, 32);
    lts_buf out = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_signer_sign(s, (lts_sig_alg){ LTS_SCHEME_RSA_PKCS1, LTS_HASH_SHA256 }, &dg, 1, &out),
                    LTS_E_UNSUPPORTED);
    /* a digest of the wrong size is refused */
    dg.n = 20;
    CU_ASSERT_EQUAL(lts_signer_sign(s, alg, &dg, 1, &out), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(out.p);
    lts_signer_close(s);
}

static void test_signer_file__pem_key_and_chain(void)
{
    char u[2500];
    snprintf(u, sizeof u, "file:%s/signer-ec384.key?cert=%s/signer-ec384-chain.pem", lts_test_pki(),
             lts_test_pki());
    lts_signer *s = open_uri(u, NULL, LTS_OK);
    if (!s)
        return;
    sign_and_check(s, (lts_sig_alg){ LTS_SCHEME_ECDSA, LTS_HASH_SHA384 });
    lts_signer_close(s);
}

static void test_signer_file__wrong_password(void)
{
    open_uri(p12_uri(0, "signer-rsa"), "pass:notthepassword", LTS_E_AUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "wrong password"));
    CU_ASSERT_PTR_NULL(strstr(lts_error_last()->message, "notthepassword"));
}

static void test_signer_file__bad_inputs(void)
{
    open_uri("file:/nonexistent/key.p12", "pass:x", LTS_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/key.p12"));
    open_uri("gpg:whatever", NULL, LTS_E_UNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "gpg"));
    open_uri("", NULL, LTS_E_CONFIG);
    /* a certificate that does not match the key */
    char u[2500];
    snprintf(u, sizeof u, "file:%s/signer-ec.key?cert=%s/signer-rsa.pem", lts_test_pki(),
             lts_test_pki());
    open_uri(u, NULL, LTS_E_INPUT);
    /* a PEM file given as PKCS#12 */
    const char *fake = lts_test_tmp_file(1, "fake.p12");
    FILE *f = fopen(fake, "w");
    if (f) {
        fputs("not a pkcs12 file", f);
        fclose(f);
    }
    snprintf(u, sizeof u, "file:%s", fake);
    open_uri(u, "pass:x", LTS_E_INPUT);
}

int lts_suite_signer_file(void)
{
    static CU_TestInfo tests[] = {
        { "p12_rsa_schemes", test_signer_file__p12_rsa_schemes },
        { "p12_ecdsa", test_signer_file__p12_ecdsa },
        { "pem_key_and_chain", test_signer_file__pem_key_and_chain },
        { "wrong_password", test_signer_file__wrong_password },
        { "bad_inputs", test_signer_file__bad_inputs },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("signer_file", NULL, NULL, tests);
}
