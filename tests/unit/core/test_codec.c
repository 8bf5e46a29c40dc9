/* tests for core/codec.c */
#include <string.h>
#include "lts_test.h"
#include "core/codec.h"

static void test_core_codec__hex_roundtrip(void)
{
    lts_buf h = LTS_BUF_INIT, d = LTS_BUF_INIT;
    const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff };
    LTS_ASSERT_OK(lts_hex__encode(&h, lts_span_of(in, sizeof in)));
    CU_ASSERT_STRING_EQUAL((char *)h.p, "0001abff");
    LTS_ASSERT_OK(lts_hex__decode(&d, "0001ABff", 8));
    CU_ASSERT(lts_span_eq(lts_buf_span(&d), lts_span_of(in, sizeof in)));
    d.n = 0;
    CU_ASSERT_EQUAL(lts_hex__decode(&d, "abc", 3), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_hex__decode(&d, "zz", 2), LTS_E_INPUT);
    lts_buf_dispose(&h);
    lts_buf_dispose(&d);
}

static void test_core_codec__base64_vectors(void)
{
    /* RFC 4648 §10 test vectors */
    static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    for (size_t i = 0; i < 7; i++) {
        lts_buf e = LTS_BUF_INIT, d = LTS_BUF_INIT;
        LTS_ASSERT_OK(lts_b64__encode(&e, lts_span_of(plain[i], strlen(plain[i]))));
        CU_ASSERT_STRING_EQUAL((char *)e.p, enc[i]);
        LTS_ASSERT_OK(lts_b64__decode(&d, enc[i], strlen(enc[i])));
        CU_ASSERT(lts_span_eq(lts_buf_span(&d), lts_span_of(plain[i], strlen(plain[i]))));
        lts_buf_dispose(&e);
        lts_buf_dispose(&d);
    }
}

static void test_core_codec__base64_rejects_garbage(void)
{
    lts_buf d = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_b64__decode(&d, "Zm9", 3), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_b64__decode(&d, "Zm9*", 4), LTS_E_INPUT);
    LTS_ASSERT_OK(lts_b64__decode(&d, "Zm9v\nYmFy", 9)); /* line breaks are fine */
    CU_ASSERT_EQUAL(d.n, 6);
    lts_buf_dispose(&d);
}

int lts_suite_core_codec(void)
{
    static CU_TestInfo tests[] = {
        { "hex_roundtrip", test_core_codec__hex_roundtrip },
        { "base64_vectors", test_core_codec__base64_vectors },
        { "base64_rejects_garbage", test_core_codec__base64_rejects_garbage },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_codec", NULL, NULL, tests);
}
