/* tests for core/buf.c */
#include <string.h>
#include "lts_test.h"
#include "core/mem.h"

static void test_core_buf__append_grows(void)
{
    lts_buf b = LTS_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        LTS_ASSERT_OK(lts_buf_append(&b, "abc", 3));
    CU_ASSERT_EQUAL(b.n, 3000);
    CU_ASSERT(b.cap >= 3000);
    CU_ASSERT(memcmp(b.p + 2997, "abc", 3) == 0);
    lts_buf_dispose(&b);
    CU_ASSERT_PTR_NULL(b.p);
    CU_ASSERT_EQUAL(b.n, 0);
}

static void test_core_buf__max_is_a_ceiling(void)
{
    lts_buf b = LTS_BUF_INIT_MAX(10);
    LTS_ASSERT_OK(lts_buf_append(&b, "0123456789", 10));
    CU_ASSERT_EQUAL(lts_buf_append(&b, "x", 1), LTS_E_INPUT);
    CU_ASSERT_EQUAL(b.n, 10); /* unchanged on failure */
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "limit"));
    lts_buf_dispose(&b);
}

static void test_core_buf__overflow_refused(void)
{
    lts_buf b = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_buf_append(&b, "a", 1));
    CU_ASSERT_EQUAL(lts_buf_reserve(&b, SIZE_MAX), LTS_E_INPUT);
    lts_buf_dispose(&b);
}

static void test_core_buf__oom_reported(void)
{
    lts_buf b = LTS_BUF_INIT;
    lts_mem__fail_after(0, 0);
    CU_ASSERT_EQUAL(lts_buf_append(&b, "abc", 3), LTS_E_NOMEM);
    lts_mem__fail_after(-1, 0);
    CU_ASSERT_PTR_NULL(b.p);
    LTS_ASSERT_OK(lts_buf_append(&b, "abc", 3));
    lts_buf_wipe(&b);
    CU_ASSERT_PTR_NULL(b.p);
}

static void test_core_buf__detach_and_set(void)
{
    lts_buf b = LTS_BUF_INIT;
    size_t n = 0;
    LTS_ASSERT_OK(lts_buf_set(&b, lts_span_of("hello", 5)));
    LTS_ASSERT_OK(lts_buf_set(&b, lts_span_of("hi", 2)));
    CU_ASSERT(lts_span_eq(lts_buf_span(&b), lts_span_of("hi", 2)));
    CU_ASSERT(!lts_span_eq(lts_buf_span(&b), lts_span_of("ho", 2)));
    uint8_t *p = lts_buf_detach(&b, &n);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_PTR_NULL(b.p);
    lts_free(p);
}

int lts_suite_core_buf(void)
{
    static CU_TestInfo tests[] = {
        { "append_grows", test_core_buf__append_grows },
        { "max_is_a_ceiling", test_core_buf__max_is_a_ceiling },
        { "overflow_refused", test_core_buf__overflow_refused },
        { "oom_reported", test_core_buf__oom_reported },
        { "detach_and_set", test_core_buf__detach_and_set },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_buf", NULL, NULL, tests);
}
