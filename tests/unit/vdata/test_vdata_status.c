/* Suite vdata_status: lts_vdata_crl_check / lts_vdata_ocsp_check on the files of the test
 * PKI (no network): REVOKED with time and reason, GOOD, wrong issuer, broken signature,
 * stale, garbage; the name helpers. */
#include "vdata_test.h"

#include <string.h>

static lts_buf crl, inter, root, rsa, revoked;

static int init(void)
{
    lts_status rc = LTS_OK;
    rc |= lts_io__read_file(&crl, lts_test_pki_file(0, "inter.crl"), 0);
    rc |= vt_cert_der("inter.pem", &inter);
    rc |= vt_cert_der("root.pem", &root);
    rc |= vt_cert_der("signer-rsa.pem", &rsa);
    rc |= vt_cert_der("signer-revoked.pem", &revoked);
    return rc != LTS_OK;
}

static int clean(void)
{
    lts_buf_dispose(&crl);
    lts_buf_dispose(&inter);
    lts_buf_dispose(&root);
    lts_buf_dispose(&rsa);
    lts_buf_dispose(&revoked);
    return 0;
}

static void test_vdata_status__crl_lists_revoked(void)
{
    lts_revocation_info ri;
    lts_time now = lts_clock_now(NULL);
    LTS_ASSERT_OK(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&revoked),
                                      lts_buf_span(&inter), now, &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_REVOKED);
    CU_ASSERT_EQUAL(ri.source, LTS_REVSRC_CRL);
    CU_ASSERT_EQUAL(ri.reason, 1); /* keyCompromise (make-pki.sh) */
    CU_ASSERT_STRING_EQUAL(lts_crl_reason_name(ri.reason), "keyCompromise");
    CU_ASSERT(ri.revocation_time <= now && ri.revocation_time > now - 30 * 86400);
    CU_ASSERT(ri.this_update <= now && ri.next_update > now);
}

static void test_vdata_status__crl_good(void)
{
    lts_revocation_info ri;
    LTS_ASSERT_OK(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&rsa), lts_buf_span(&inter),
                                      lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_GOOD);
    CU_ASSERT_EQUAL(ri.reason, -1);
    CU_ASSERT_STRING_EQUAL(lts_cert_status_name(ri.status), "good");
}

static void test_vdata_status__crl_wrong_issuer(void)
{
    lts_revocation_info ri;
    CU_ASSERT_EQUAL(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&rsa), lts_buf_span(&root),
                                        lts_clock_now(NULL), &ri), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_CRL_ISSUER);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "not by"));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_UNKNOWN);
}

static void test_vdata_status__crl_bad_signature(void)
{
    lts_buf bad = LTS_BUF_INIT;
    lts_revocation_info ri;
    LTS_ASSERT_OK(lts_buf_set(&bad, lts_buf_span(&crl)));
    bad.p[bad.n - 5] ^= 0x55; /* inside the signature value */
    CU_ASSERT_EQUAL(lts_vdata_crl_check(lts_buf_span(&bad), lts_buf_span(&rsa), lts_buf_span(&inter),
                                        lts_clock_now(NULL), &ri), LTS_E_CRYPTO);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_SIGNATURE);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "is not signed by"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "Intermediate"));
    lts_buf_dispose(&bad);
}

static void test_vdata_status__crl_stale(void)
{
    lts_revocation_info ri;
    lts_time later = lts_clock_now(NULL) + 60 * 86400; /* the CRL is good for 30 days */
    CU_ASSERT_EQUAL(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&rsa), lts_buf_span(&inter),
                                        later, &ri), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_STALE);
    /* the same without freshness checks: validation at a chosen time decides itself */
    LTS_ASSERT_OK(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&rsa), lts_buf_span(&inter),
                                      LTS_VDATA_NO_FRESHNESS, &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_GOOD);
    /* thisUpdate in the future */
    CU_ASSERT_EQUAL(lts_vdata_crl_check(lts_buf_span(&crl), lts_buf_span(&rsa), lts_buf_span(&inter),
                                        lts_clock_now(NULL) - 86400, &ri), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_STALE);
}

static void test_vdata_status__crl_garbage(void)
{
    static const uint8_t junk[] = "<html>404 not found</html>";
    lts_revocation_info ri;
    CU_ASSERT_EQUAL(lts_vdata_crl_check(lts_span_of(junk, sizeof junk), lts_buf_span(&rsa),
                                        lts_buf_span(&inter), lts_clock_now(NULL), &ri), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_GARBAGE);
    /* a truncated CRL */
    CU_ASSERT_EQUAL(lts_vdata_crl_check(lts_span_of(crl.p, crl.n - 1), lts_buf_span(&rsa),
                                        lts_buf_span(&inter), lts_clock_now(NULL), &ri), LTS_E_INPUT);
}

static void test_vdata_status__crl_pem(void)
{
    lts_buf pem = LTS_BUF_INIT;
    lts_revocation_info ri;
    LTS_ASSERT_OK(lts_io__read_file(&pem, lts_test_pki_file(0, "work/inter.crl.pem"), 0));
    LTS_ASSERT_OK(lts_vdata_crl_check(lts_buf_span(&pem), lts_buf_span(&revoked),
                                      lts_buf_span(&inter), lts_clock_now(NULL), &ri));
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_REVOKED);
    lts_buf_dispose(&pem);
}

static void test_vdata_status__ocsp_garbage(void)
{
    lts_revocation_info ri;
    CU_ASSERT_EQUAL(lts_vdata_ocsp_check(lts_buf_span(&crl), lts_buf_span(&rsa), lts_buf_span(&inter),
                                         lts_clock_now(NULL), &ri), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_error_last()->reason, LTS_VDATA_R_GARBAGE);
    CU_ASSERT_EQUAL(ri.status, LTS_CERT_UNKNOWN);
    CU_ASSERT_EQUAL(lts_vdata_ocsp_check(lts_span_of(NULL, 0), lts_buf_span(&rsa),
                                         lts_buf_span(&inter), lts_clock_now(NULL), &ri), LTS_E_INPUT);
    /* a bad certificate is named */
    CU_ASSERT_EQUAL(lts_vdata_ocsp_check(lts_buf_span(&crl), lts_span_of(rsa.p, 10),
                                         lts_buf_span(&inter), lts_clock_now(NULL), &ri), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "certificate"));
}

static void test_vdata_status__names(void)
{
    CU_ASSERT_STRING_EQUAL(lts_cert_status_name(LTS_CERT_REVOKED), "revoked");
    CU_ASSERT_STRING_EQUAL(lts_cert_status_name(LTS_CERT_UNKNOWN), "unknown");
    CU_ASSERT_STRING_EQUAL(lts_cert_status_name((lts_cert_status)42), "unknown");
    CU_ASSERT_STRING_EQUAL(lts_crl_reason_name(-1), "unspecified");
    CU_ASSERT_STRING_EQUAL(lts_crl_reason_name(4), "superseded");
    CU_ASSERT_STRING_EQUAL(lts_crl_reason_name(99), "unspecified");
}

static void test_vdata_status__bundle_status_bounds(void)
{
    lts_vdata_bundle b = LTS_VDATA_BUNDLE_INIT;
    lts_revocation_info ri;
    CU_ASSERT_EQUAL(lts_vdata_bundle_status(&b, 0, 0, &ri), LTS_E_NOTFOUND);
    CU_ASSERT_EQUAL(lts_vdata_bundle_status(NULL, 0, 0, &ri), LTS_E_NOTFOUND);
    lts_vdata_bundle_dispose(&b);
    lts_vdata_bundle_dispose(NULL);
}

int lts_suite_vdata_status(void)
{
    static CU_TestInfo tests[] = {
        { "crl_lists_revoked", test_vdata_status__crl_lists_revoked },
        { "crl_good", test_vdata_status__crl_good },
        { "crl_wrong_issuer", test_vdata_status__crl_wrong_issuer },
        { "crl_bad_signature", test_vdata_status__crl_bad_signature },
        { "crl_stale", test_vdata_status__crl_stale },
        { "crl_garbage", test_vdata_status__crl_garbage },
        { "crl_pem", test_vdata_status__crl_pem },
        { "ocsp_garbage", test_vdata_status__ocsp_garbage },
        { "names", test_vdata_status__names },
        { "bundle_status_bounds", test_vdata_status__bundle_status_bounds },
        CU_TEST_INFO_NULL
    };
    if (!vt_phase("all"))
        return 0;
    return lts_test_add_suite("vdata_status", init, clean, tests);
}
