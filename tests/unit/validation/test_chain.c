/* tests for validation/trust.c, validation/chain.c and the CAdES process (process_cades.c) */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "lts_test.h"
#include "validation_int.h"

static X509 *pem_cert(const char *name)
{
    FILE *f = fopen(lts_test_pki_file(0, name), "r");
    X509 *x = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    return x;
}

static STACK_OF(X509) *pem_certs(const char *name)
{
    FILE *f = fopen(lts_test_pki_file(0, name), "r");
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        sk_X509_push(sk, x);
    ERR_clear_error();
    fclose(f);
    return sk;
}

static void test_validation_chain__trust_load(void)
{
    X509_STORE *st = (X509_STORE *)1;
    char path[1100];
    LTS_ASSERT_OK(lts_trust__load(&st, lts_test_pki_file(0, "root.pem")));
    CU_ASSERT_PTR_NOT_NULL(st);
    X509_STORE_free(st);
    LTS_ASSERT_OK(lts_trust__load(&st, NULL)); /* empty store: nothing trusted */
    X509_STORE_free(st);
    CU_ASSERT_EQUAL(lts_trust__load(&st, lts_test_tmp_file(0, "missing.pem")), LTS_E_IO);
    CU_ASSERT_PTR_NULL(st);
    /* a file without certificates */
    FILE *f = fopen(lts_test_tmp_file(0, "notpem.pem"), "w");
    fputs("not a certificate\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(lts_trust__load(&st, lts_test_tmp_file(0, "notpem.pem")), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(st);
    /* a folder of PEM files */
    snprintf(path, sizeof path, "mkdir -p '%s' && cp '%s' '%s'/", lts_test_tmp_file(1, "anchors"),
             lts_test_pki_file(0, "root.pem"), lts_test_tmp_file(1, "anchors"));
    CU_ASSERT_EQUAL_FATAL(system(path), 0);
    LTS_ASSERT_OK(lts_trust__load(&st, lts_test_tmp_file(1, "anchors")));
    X509 *leaf = pem_cert("signer-rsa.pem");
    STACK_OF(X509) *chain = pem_certs("chain.pem");
    lts_chain_result r;
    LTS_ASSERT_OK(lts_chain__verify(st, leaf, chain, lts_clock_now(NULL), &r));
    CU_ASSERT_EQUAL(r.indication, LTS_IND_TOTAL_PASSED);
    CU_ASSERT(r.chain != NULL && sk_X509_num(r.chain) == 3);
    lts_chain_result__dispose(&r);
    X509_STORE_free(st);
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
}

static void test_validation_chain__verdicts(void)
{
    X509_STORE *st = NULL, *other = NULL;
    X509 *leaf = pem_cert("signer-rsa.pem"), *expired = pem_cert("signer-expired.pem");
    STACK_OF(X509) *chain = pem_certs("chain.pem");
    lts_chain_result r;
    lts_time now = lts_clock_now(NULL);
    LTS_ASSERT_OK(lts_trust__load(&st, lts_test_pki_file(0, "root.pem")));
    LTS_ASSERT_OK(lts_trust__load(&other, lts_test_pki_file(0, "untrusted-root.pem")));

    LTS_ASSERT_OK(lts_chain__verify(st, leaf, chain, now, &r));
    CU_ASSERT_EQUAL(r.indication, LTS_IND_TOTAL_PASSED);
    CU_ASSERT_EQUAL(r.sub, LTS_SUB_NONE);
    lts_chain_result__dispose(&r);
    /* no intermediate: no path */
    LTS_ASSERT_OK(lts_chain__verify(st, leaf, NULL, now, &r));
    CU_ASSERT_EQUAL(r.indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(r.sub, LTS_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    lts_chain_result__dispose(&r);
    /* another root */
    LTS_ASSERT_OK(lts_chain__verify(other, leaf, chain, now, &r));
    CU_ASSERT_EQUAL(r.indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(r.sub, LTS_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    CU_ASSERT_NOT_EQUAL(r.detail[0], 0);
    lts_chain_result__dispose(&r);
    /* the validation time after the signer's notAfter */
    {
        const ASN1_TIME *na = X509_get0_notAfter(leaf);
        struct tm tm;
        CU_ASSERT_FATAL(ASN1_TIME_to_tm(na, &tm) == 1);
        lts_time after = (lts_time)timegm(&tm) + 86400;
        LTS_ASSERT_OK(lts_chain__verify(st, leaf, chain, after, &r));
        CU_ASSERT_EQUAL(r.indication, LTS_IND_INDETERMINATE);
        CU_ASSERT_EQUAL(r.sub, LTS_SUB_OUT_OF_BOUNDS_NO_POE);
        lts_chain_result__dispose(&r);
    }
    /* an expired certificate now */
    LTS_ASSERT_OK(lts_chain__verify(st, expired, chain, now, &r));
    CU_ASSERT_EQUAL(r.indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(r.sub, LTS_SUB_OUT_OF_BOUNDS_NO_POE);
    lts_chain_result__dispose(&r);
    X509_STORE_free(st);
    X509_STORE_free(other);
    X509_free(leaf);
    X509_free(expired);
    sk_X509_pop_free(chain, X509_free);
}

static void test_validation_chain__certs_from_der(void)
{
    X509 *x = pem_cert("root.pem");
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    const uint8_t junk[] = { 0x30, 0x01, 0x00 };
    lts_span spans[] = { lts_span_of(der, (size_t)n), lts_span_of(junk, 3),
                         lts_span_of(der, (size_t)n - 1) };
    STACK_OF(X509) *sk = NULL;
    size_t bad = 0;
    LTS_ASSERT_OK(lts_chain__certs_from_der(&sk, spans, 3, &bad));
    CU_ASSERT_EQUAL(sk_X509_num(sk), 1);
    CU_ASSERT_EQUAL(bad, 2);
    sk_X509_pop_free(sk, X509_free);
    OPENSSL_free(der);
    X509_free(x);
}

/* The whole process on a signature made with openssl cms (-cades). */
static void test_validation_chain__process_cades(void)
{
    char cmd[4096];
    const char *doc = lts_test_tmp_file(2, "doc.txt");
    const char *sig = lts_test_tmp_file(3, "doc.p7s");
    lts_validate_opts o = LTS_VALIDATE_OPTS_INIT;
    lts_report *r = NULL;
    FILE *f = fopen(doc, "w");
    fputs("validated content\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "openssl cms -sign -cades -binary -in '%s' -signer '%s' "
             "-inkey '%s' -certfile '%s' -outform DER -out '%s'", doc,
             lts_test_pki_file(4, "signer-ec.pem"), lts_test_pki_file(5, "signer-ec.key"),
             lts_test_pki_file(6, "chain.pem"), sig);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    o.trust = lts_test_pki_file(7, "root.pem");
    o.detached_content = doc;
    LTS_ASSERT_OK(lts_validate_file(sig, &o, &r));
    CU_ASSERT_EQUAL(r->indication, LTS_IND_TOTAL_PASSED);
    CU_ASSERT_EQUAL_FATAL(r->n_sigs, 1);
    CU_ASSERT_STRING_EQUAL(r->sigs[0].format, "CAdES");
    CU_ASSERT_STRING_EQUAL(r->sigs[0].level, "B-B");
    CU_ASSERT_STRING_EQUAL(r->sigs[0].signature_algorithm, "ECDSA");
    CU_ASSERT_PTR_NOT_NULL(strstr(r->sigs[0].signer, "Test Signer EC"));
    CU_ASSERT(r->sigs[0].has_signing_time);
    CU_ASSERT_EQUAL(r->sigs[0].best_signature_time, r->validation_time);
    lts_report_free(r);
    r = NULL;
    /* no content: INDETERMINATE SIGNED_DATA_NOT_FOUND */
    o.detached_content = NULL;
    LTS_ASSERT_OK(lts_validate_file(sig, &o, &r));
    CU_ASSERT_EQUAL(r->indication, LTS_IND_INDETERMINATE);
    CU_ASSERT_EQUAL(r->sigs[0].subindication, LTS_SUB_SIGNED_DATA_NOT_FOUND);
    lts_report_free(r);
    r = NULL;
    /* a trust path that does not exist: an error, no report */
    o.trust = lts_test_tmp_file(7, "missing-anchors.pem");
    CU_ASSERT_EQUAL(lts_validate_file(sig, &o, &r), LTS_E_IO);
    CU_ASSERT_PTR_NULL(r);
}

int lts_suite_validation_chain(void)
{
    static CU_TestInfo tests[] = {
        { "trust_load", test_validation_chain__trust_load },
        { "verdicts", test_validation_chain__verdicts },
        { "certs_from_der", test_validation_chain__certs_from_der },
        { "process_cades", test_validation_chain__process_cades },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("validation_chain", NULL, NULL, tests);
}
