/* tests for core/ltime.c and core/level.c */
#include <string.h>
#include "lts_test.h"

static void test_core_time__rfc3339(void)
{
    lts_time t = 0;
    char buf[LTS_TIME_RFC3339_LEN];
    LTS_ASSERT_OK(lts_time_parse_rfc3339(&t, "2026-11-26T10:00:00Z"));
    CU_ASSERT_EQUAL(t, 1795687200);
    LTS_ASSERT_OK(lts_time_parse_rfc3339(&t, "2026-11-26T19:00:00.123+09:00"));
    CU_ASSERT_EQUAL(t, 1795687200);
    LTS_ASSERT_OK(lts_time_parse_rfc3339(&t, "2026-11-26"));
    CU_ASSERT_EQUAL(t, 1795651200);
    LTS_ASSERT_OK(lts_time_format_rfc3339(buf, sizeof buf, 1795687200));
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-26T10:00:00Z");
    CU_ASSERT_EQUAL(lts_time_format_rfc3339(buf, 5, 0), LTS_E_INPUT);
}

static void test_core_time__rfc3339_rejects(void)
{
    lts_time t = 0;
    const char *bad[] = { "", "2026-13-01", "2026-02-30", "2026-11-26T25:00:00Z",
                          "2026-11-26T10:00:00", "2026-11-26T10:00:00Zjunk", "yesterday",
                          "2025-02-29" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(lts_time_parse_rfc3339(&t, bad[i]), LTS_E_INPUT);
    LTS_ASSERT_OK(lts_time_parse_rfc3339(&t, "2024-02-29"));
}

static void test_core_time__asn1(void)
{
    lts_time t = 0;
    char buf[16];
    LTS_ASSERT_OK(lts_time_parse_asn1(&t, "20261126100000Z"));
    CU_ASSERT_EQUAL(t, 1795687200);
    LTS_ASSERT_OK(lts_time_parse_asn1(&t, "20261126100000.5Z"));
    CU_ASSERT_EQUAL(t, 1795687200);
    LTS_ASSERT_OK(lts_time_parse_asn1(&t, "261126100000Z")); /* UTCTime */
    CU_ASSERT_EQUAL(t, 1795687200);
    LTS_ASSERT_OK(lts_time_parse_asn1(&t, "491231235959Z"));
    CU_ASSERT_EQUAL(t, 2524607999);
    LTS_ASSERT_OK(lts_time_parse_asn1(&t, "500101000000Z")); /* 1950 */
    CU_ASSERT(t < 0);
    CU_ASSERT_EQUAL(lts_time_parse_asn1(&t, "20261126100000"), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_time_parse_asn1(&t, "2026112610000Z"), LTS_E_INPUT);
    LTS_ASSERT_OK(lts_time_format_asn1(buf, sizeof buf, 1795687200));
    CU_ASSERT_STRING_EQUAL(buf, "20261126100000Z");
}

static void test_core_time__levels(void)
{
    lts_level l;
    LTS_ASSERT_OK(lts_level_parse(&l, "b-lta"));
    CU_ASSERT_EQUAL(l, LTS_LEVEL_B_LTA);
    LTS_ASSERT_OK(lts_level_parse(&l, "ES-XL"));
    CU_ASSERT_STRING_EQUAL(lts_level_name(l), "ES-XL");
    CU_ASSERT_EQUAL(lts_level_parse(&l, "B-C"), LTS_E_CONFIG);
    CU_ASSERT(!lts_level_needs_tsa(LTS_LEVEL_B_B));
    CU_ASSERT(lts_level_needs_tsa(LTS_LEVEL_ES_T));
}

int lts_suite_core_time(void)
{
    static CU_TestInfo tests[] = {
        { "rfc3339", test_core_time__rfc3339 },
        { "rfc3339_rejects", test_core_time__rfc3339_rejects },
        { "asn1", test_core_time__asn1 },
        { "levels", test_core_time__levels },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_time", NULL, NULL, tests);
}
