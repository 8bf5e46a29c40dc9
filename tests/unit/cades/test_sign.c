/* tests for formats/cades/sign.c: B-B signing, checked by our parser and by openssl cms. */
#include <string.h>
#include <openssl/cms.h>
#include "lts_test.h"
#include "cades_test.h"
#include "cades_int.h"

static const char *doc = "CAdES unit test content\n";

/* Sign, check every verdict with our checker, and run `openssl cms -verify` on it. */
static void sign_and_verify(const char *key, lts_hash h, lts_scheme sc, int detached)
{
    lts_signer *s = ct_signer(key);
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_cades_check_opts co = LTS_CADES_CHECK_OPTS_INIT;
    lts_buf out = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    if (s == NULL)
        return;
    o.hash = h;
    o.scheme = sc;
    o.detached = detached;
    o.clock = &ct_clock;
    LTS_ASSERT_OK(ct_sign(&out, s, doc, &o));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    CU_ASSERT_EQUAL(lts_cades_signer_count(c), 1);
    CU_ASSERT_EQUAL(lts_cades_has_content(c), !detached);
    CU_ASSERT(lts_cades_cert_count(c) >= 2);
    co.detached_path = detached ? lts_test_tmp_file(6, "content.bin") : NULL;
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, &co, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signing_cert, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signing_cert_attr, 2);
    CU_ASSERT_EQUAL(k.content_type, LTS_CADES_OK);
    CU_ASSERT(k.has_signing_time && k.signing_time == CT_TIME);
    CU_ASSERT_EQUAL(k.alg.hash, h);
    CU_ASSERT_EQUAL(k.alg.scheme, sc);
    CU_ASSERT(k.signer_cert >= 0);
    CU_ASSERT_STRING_EQUAL(k.detail, "");

    /* our DER is canonical: OpenSSL re-encodes it to the same bytes */
    {
        const unsigned char *p = out.p;
        unsigned char *re = NULL;
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)out.n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
        int n = i2d_CMS_ContentInfo(cms, &re);
        CU_ASSERT(n == (int)out.n && memcmp(re, out.p, out.n) == 0);
        OPENSSL_free(re);
        CMS_ContentInfo_free(cms);
    }
    /* the independent verifier (CMS verification checks the certificate at the current
     * time, which is inside the test PKI validity) */
    const char *sig = ct_write(0, "sig.p7s", lts_buf_span(&out));
    CU_ASSERT_EQUAL(ct_sh("openssl cms -verify -binary -inform DER -in '%s' %s%s%s -CAfile '%s' "
                          "-purpose any -out /dev/null 2>/dev/null", sig,
                          detached ? "-content '" : "",
                          detached ? lts_test_tmp_file(6, "content.bin") : "",
                          detached ? "'" : "", lts_test_pki_file(1, "root.pem")), 0);
    if (sc == LTS_SCHEME_RSA_PSS) {
        /* RSASSA-PSS parameters: the hash, MGF1 with it, salt = hash length */
        CU_ASSERT_EQUAL(ct_sh("openssl cms -cmsout -print -inform DER -in '%s' | "
                              "grep -q 'rsassaPss'", sig), 0);
        CU_ASSERT_EQUAL(ct_sh("openssl cms -cmsout -print -inform DER -in '%s' | "
                              "grep -q 'mgf1'", sig), 0);
        STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
        lts_sig_alg a;
        int salt = 0;
        lts_hash mgf = LTS_HASH_NONE;
        LTS_ASSERT_OK(lts_cades__si_alg(sk_CMS_SignerInfo_value(sis, 0), &a, &salt, &mgf));
        CU_ASSERT_EQUAL((size_t)salt, lts_hash_size(h));
        CU_ASSERT_EQUAL(mgf, h);
    }
    lts_cades_free(c);
    lts_buf_dispose(&out);
    lts_signer_close(s);
}

static void test_cades_sign__rsa_pkcs1(void) { sign_and_verify("rsa", LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 0); }
static void test_cades_sign__rsa_sha512_detached(void) { sign_and_verify("rsa", LTS_HASH_SHA512, LTS_SCHEME_RSA_PKCS1, 1); }
static void test_cades_sign__rsa_pss_sha256(void) { sign_and_verify("rsa", LTS_HASH_SHA256, LTS_SCHEME_RSA_PSS, 0); }
static void test_cades_sign__rsa_pss_sha384_detached(void) { sign_and_verify("rsa", LTS_HASH_SHA384, LTS_SCHEME_RSA_PSS, 1); }
static void test_cades_sign__rsa_pss_sha512(void) { sign_and_verify("rsa", LTS_HASH_SHA512, LTS_SCHEME_RSA_PSS, 1); }
static void test_cades_sign__ecdsa_p256(void) { sign_and_verify("ec", LTS_HASH_SHA256, LTS_SCHEME_ECDSA, 0); }
static void test_cades_sign__ecdsa_p384_sha384(void) { sign_and_verify("ec384", LTS_HASH_SHA384, LTS_SCHEME_ECDSA, 1); }

/* PAdES style: a given digest, detached, no signing-time. */
static void test_cades_sign__digest_no_signing_time(void)
{
    lts_signer *s = ct_signer("ec");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_cades_check_opts co = LTS_CADES_CHECK_OPTS_INIT;
    lts_buf out = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    uint8_t dg[32], other[32];
    if (s == NULL)
        return;
    memset(dg, 0x5a, sizeof dg);
    memset(other, 0x5b, sizeof other);
    o.no_signing_time = 1;
    LTS_ASSERT_OK(lts_cades_sign_digest(&out, s, lts_span_of(dg, 32), &o));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    CU_ASSERT_FALSE(lts_cades_has_content(c));
    co.digest = lts_span_of(dg, 32);
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, &co, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    CU_ASSERT_FALSE(k.has_signing_time);
    co.digest = lts_span_of(other, 32);
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, &co, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_BAD);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    CU_ASSERT_NOT_EQUAL(k.detail[0], 0);
    lts_cades_free(c);
    lts_buf_dispose(&out);
    lts_signer_close(s);
}

static void test_cades_sign__rejects(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT, bad = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf out = LTS_BUF_INIT;
    uint8_t dg[20] = { 0 };
    if (s == NULL)
        return;
    /* a digest of the wrong length */
    CU_ASSERT_EQUAL(lts_cades_sign_digest(&out, s, lts_span_of(dg, 20), &o), LTS_E_INPUT);
    CU_ASSERT_EQUAL(out.n, 0);
    /* SHA-1 is never used for new signatures */
    o.hash = LTS_HASH_SHA1;
    CU_ASSERT_NOT_EQUAL(ct_sign(&out, s, doc, &o), LTS_OK);
    CU_ASSERT_EQUAL(out.n, 0);
    o.hash = 0;
    /* ECDSA with an RSA key */
    o.scheme = LTS_SCHEME_ECDSA;
    CU_ASSERT_EQUAL(ct_sign(&out, s, doc, &o), LTS_E_UNSUPPORTED);
    CU_ASSERT_EQUAL(out.n, 0);
    o.scheme = 0;
    /* an unknown level */
    o.level = (lts_level)99;
    CU_ASSERT_EQUAL(ct_sign(&out, s, doc, &o), LTS_E_UNSUPPORTED);
    /* B-T needs a TSA, B-LTA also a validation data source */
    o.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(ct_sign(&out, s, doc, &o), LTS_E_CONFIG);
    o.level = LTS_LEVEL_B_LTA;
    CU_ASSERT_EQUAL(ct_sign(&out, s, doc, &o), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(out.n, 0);
    o.level = 0;
    /* options not initialised */
    bad.version = 0;
    CU_ASSERT_EQUAL(ct_sign(&out, s, doc, &bad), LTS_E_CONFIG);
    /* a missing content file */
    CU_ASSERT_EQUAL(lts_cades_sign_file(&out, s, lts_test_tmp_file(0, "missing"), &o), LTS_E_IO);
    o.detached = 1;
    CU_ASSERT_EQUAL(lts_cades_sign_file(&out, s, lts_test_tmp_file(0, "missing"), &o), LTS_E_IO);
    CU_ASSERT_EQUAL(out.n, 0);
    CU_ASSERT_PTR_NULL(out.p);
    lts_signer_close(s);
}

/* An empty content is signed like any other. */
static void test_cades_sign__empty_content(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf out = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&out, s, "", &o));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    lts_cades_free(c);
    lts_buf_dispose(&out);
    lts_signer_close(s);
}

int lts_suite_cades_sign(void)
{
    static CU_TestInfo tests[] = {
        { "rsa_pkcs1", test_cades_sign__rsa_pkcs1 },
        { "rsa_sha512_detached", test_cades_sign__rsa_sha512_detached },
        { "rsa_pss_sha256", test_cades_sign__rsa_pss_sha256 },
        { "rsa_pss_sha384_detached", test_cades_sign__rsa_pss_sha384_detached },
        { "rsa_pss_sha512", test_cades_sign__rsa_pss_sha512 },
        { "ecdsa_p256", test_cades_sign__ecdsa_p256 },
        { "ecdsa_p384_sha384", test_cades_sign__ecdsa_p384_sha384 },
        { "digest_no_signing_time", test_cades_sign__digest_no_signing_time },
        { "rejects", test_cades_sign__rejects },
        { "empty_content", test_cades_sign__empty_content },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("cades_sign", NULL, NULL, tests);
}
