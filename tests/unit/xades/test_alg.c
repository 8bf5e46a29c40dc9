/* tests for formats/xades/alg.c: algorithm URIs, ECDSA r||s, IssuerSerialV2. */
#include <string.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include "lts_test.h"
#include "xades_int.h"

static void test_xades_alg__uris(void)
{
    lts_sig_alg a = { LTS_SCHEME_ECDSA, LTS_HASH_SHA384 }, b;
    CU_ASSERT_STRING_EQUAL(lts_xades__sig_uri(a), "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384");
    CU_ASSERT(lts_xades__sig_from_uri(lts_xades__sig_uri(a), &b));
    CU_ASSERT(b.scheme == a.scheme && b.hash == a.hash);
    a.scheme = LTS_SCHEME_RSA_PSS;
    CU_ASSERT_PTR_NULL(lts_xades__sig_uri(a));
    /* rsa-sha1 is read (validation judges it against the SHA-1 sunset), never written */
    CU_ASSERT(lts_xades__sig_from_uri("http://www.w3.org/2000/09/xmldsig#rsa-sha1", &b));
    CU_ASSERT(b.scheme == LTS_SCHEME_RSA_PKCS1 && b.hash == LTS_HASH_SHA1);
    CU_ASSERT_PTR_NULL(lts_xades__sig_uri(b));
    CU_ASSERT_EQUAL(lts_xades__digest_from_uri(lts_xades__digest_uri(LTS_HASH_SHA512)), LTS_HASH_SHA512);
    /* a SHA-1 DigestMethod is read (the policy judges it), never written */
    CU_ASSERT_EQUAL(lts_xades__digest_from_uri("http://www.w3.org/2000/09/xmldsig#sha1"), LTS_HASH_SHA1);
    CU_ASSERT_PTR_NULL(lts_xades__digest_uri(LTS_HASH_SHA1));
    CU_ASSERT_EQUAL(lts_xades__digest_from_uri("http://www.w3.org/2001/04/xmldsig-more#md5"), LTS_HASH_NONE);
    CU_ASSERT(lts_xades__is_transform_uri(LTS_URI_ENVELOPED));
    CU_ASSERT(!lts_xades__is_transform_uri("http://www.w3.org/TR/1999/REC-xslt-19991116"));
    CU_ASSERT(!lts_xades__is_transform_uri("http://www.w3.org/TR/1999/REC-xpath-19991116"));
}

static void test_xades_alg__ecdsa_raw(void)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_new(), *s = BN_new();
    unsigned char *der = NULL;
    lts_buf raw = LTS_BUF_INIT;
    BN_set_word(r, 0x0102);
    BN_set_word(s, 0xffee);
    ECDSA_SIG_set0(sig, r, s);
    int n = i2d_ECDSA_SIG(sig, &der);
    LTS_ASSERT_OK(lts_xades__ecdsa_der_to_raw(lts_span_of(der, (size_t)n), 32, &raw));
    CU_ASSERT_EQUAL(raw.n, 64);
    CU_ASSERT(raw.p[30] == 0x01 && raw.p[31] == 0x02 && raw.p[62] == 0xff && raw.p[63] == 0xee);
    CU_ASSERT(raw.p[0] == 0 && raw.p[32] == 0);
    raw.n = 0;
    /* trailing garbage and a value too large for the field are refused */
    der[1] = (unsigned char)(der[1] - 1);
    CU_ASSERT_NOT_EQUAL(lts_xades__ecdsa_der_to_raw(lts_span_of(der, (size_t)n), 32, &raw), LTS_OK);
    der[1] = (unsigned char)(der[1] + 1);
    CU_ASSERT_NOT_EQUAL(lts_xades__ecdsa_der_to_raw(lts_span_of(der, (size_t)n), 1, &raw), LTS_OK);
    lts_buf_dispose(&raw);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
}

static void test_xades_alg__issuer_serial_v2(void)
{
    const char *pem = lts_test_pki_file(0, "signer-rsa.pem");
    FILE *f;
    X509 *x;
    lts_buf out = LTS_BUF_INIT;
    if (pem == NULL)
        return;
    CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(pem, "r"));
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    LTS_ASSERT_OK(lts_xades__issuer_serial_v2(x, &out));
    /* SEQUENCE { SEQUENCE { [4] { Name } } INTEGER }: decode it back */
    {
        const unsigned char *p = out.p;
        long len;
        int tag, cls;
        CU_ASSERT_EQUAL(ASN1_get_object(&p, &len, &tag, &cls, (long)out.n) & 0x80, 0);
        CU_ASSERT_EQUAL(tag, V_ASN1_SEQUENCE);
        CU_ASSERT_EQUAL(ASN1_get_object(&p, &len, &tag, &cls, (long)out.n) & 0x80, 0);
        CU_ASSERT_EQUAL(tag, V_ASN1_SEQUENCE);
        CU_ASSERT_EQUAL(ASN1_get_object(&p, &len, &tag, &cls, (long)out.n) & 0x80, 0);
        CU_ASSERT(tag == 4 && cls == V_ASN1_CONTEXT_SPECIFIC);
        X509_NAME *nm = d2i_X509_NAME(NULL, &p, len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(nm);
        CU_ASSERT_EQUAL(X509_NAME_cmp(nm, X509_get_issuer_name(x)), 0);
        X509_NAME_free(nm);
        ASN1_INTEGER *sn = d2i_ASN1_INTEGER(NULL, &p, (long)(out.p + out.n - p));
        CU_ASSERT_PTR_NOT_NULL_FATAL(sn);
        CU_ASSERT_EQUAL(ASN1_INTEGER_cmp(sn, X509_get0_serialNumber(x)), 0);
        CU_ASSERT(p == out.p + out.n);
        ASN1_INTEGER_free(sn);
    }
    lts_buf_dispose(&out);
    X509_free(x);
}

int lts_suite_xades_alg(void)
{
    static CU_TestInfo tests[] = {
        { "uris", test_xades_alg__uris },
        { "ecdsa_raw", test_xades_alg__ecdsa_raw },
        { "issuer_serial_v2", test_xades_alg__issuer_serial_v2 },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_alg", NULL, NULL, tests);
}
