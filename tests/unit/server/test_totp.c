/* tests for core/totp.c (base32, HOTP, TOTP), used by ltsigd and the csc: client */
#include <string.h>
#include "lts_test.h"
#include "core/totp.h"

static void test_server_totp__base32_vectors(void)
{
    /* RFC 4648 §10, without padding */
    static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *enc[] = { "", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI" };
    for (size_t i = 0; i < 7; i++) {
        lts_buf e = LTS_BUF_INIT, d = LTS_BUF_INIT;
        LTS_ASSERT_OK(lts_base32__encode(&e, lts_span_of(plain[i], strlen(plain[i]))));
        CU_ASSERT_STRING_EQUAL(e.p ? (char *)e.p : "", enc[i]);
        LTS_ASSERT_OK(lts_base32__decode(&d, enc[i], strlen(enc[i])));
        CU_ASSERT(lts_span_eq(lts_buf_span(&d), lts_span_of(plain[i], strlen(plain[i]))));
        lts_buf_dispose(&e);
        lts_buf_dispose(&d);
    }
}

static void test_server_totp__base32_lenient_and_strict(void)
{
    lts_buf d = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_base32__decode(&d, "mzxw 6ytb-oi======", 18));
    CU_ASSERT_EQUAL(d.n, 6);
    CU_ASSERT(memcmp(d.p, "foobar", 6) == 0);
    CU_ASSERT_EQUAL(lts_base32__decode(&d, "MZX1", 4), LTS_E_INPUT); /* '1' not base32 */
    CU_ASSERT_EQUAL(d.n, 6);                                        /* nothing appended */
    lts_buf_dispose(&d);
}

static void test_server_totp__hotp_rfc4226(void)
{
    /* RFC 4226 Appendix D */
    static const char *want[] = { "755224", "287082", "359152", "969429", "338314",
                                  "254676", "287922", "162583", "399871", "520489" };
    const char *key = "12345678901234567890";
    char code[16];
    for (unsigned i = 0; i < 10; i++) {
        LTS_ASSERT_OK(lts_hotp__code(lts_span_of(key, 20), i, 6, code));
        CU_ASSERT_STRING_EQUAL(code, want[i]);
    }
}

static void test_server_totp__totp_rfc6238(void)
{
    /* RFC 6238 Appendix B, SHA-1, 8 digits */
    static const struct { long long t; const char *code; } v[] = {
        { 59, "94287082" }, { 1111111109, "07081804" }, { 1111111111, "14050471" },
        { 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000LL, "65353130" },
    };
    const char *key = "12345678901234567890";
    char code[16];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        LTS_ASSERT_OK(lts_hotp__code(lts_span_of(key, 20), lts_totp__step(v[i].t, 30), 8, code));
        CU_ASSERT_STRING_EQUAL(code, v[i].code);
    }
}

static void test_server_totp__rejects_bad_parameters(void)
{
    char code[16];
    CU_ASSERT_EQUAL(lts_hotp__code(lts_span_of("k", 1), 0, 5, code), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_hotp__code(lts_span_of("k", 1), 0, 10, code), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_hotp__code(lts_span_of(NULL, 0), 0, 6, code), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_totp__step(-5, 30), 0);
}

int lts_suite_server_totp(void)
{
    static CU_TestInfo tests[] = {
        { "base32_vectors", test_server_totp__base32_vectors },
        { "base32_lenient_and_strict", test_server_totp__base32_lenient_and_strict },
        { "hotp_rfc4226", test_server_totp__hotp_rfc4226 },
        { "totp_rfc6238", test_server_totp__totp_rfc6238 },
        { "rejects_bad_parameters", test_server_totp__rejects_bad_parameters },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_totp", NULL, NULL, tests);
}
