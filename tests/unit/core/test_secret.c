/* tests for core/secret.c and core/err.c */
#include <stdlib.h>
#include <string.h>
#include "lts_test.h"
#include "core/err.h"
#include "core/io.h"

static void test_core_secret__sources(void)
{
    lts_buf s = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_secret_read(&s, "pass:hunter2"));
    CU_ASSERT_STRING_EQUAL((char *)s.p, "hunter2");
    lts_buf_wipe(&s);
    setenv("LTS_TEST_SECRET", "from-env", 1);
    LTS_ASSERT_OK(lts_secret_read(&s, "env:LTS_TEST_SECRET"));
    CU_ASSERT_STRING_EQUAL((char *)s.p, "from-env");
    lts_buf_wipe(&s);
    const char *path = lts_test_tmp_file(0, "pw.txt");
    LTS_ASSERT_OK(lts_io__write_atomic(path, lts_span_of("filepass\nsecond line\n", 21), 1));
    char src[1100];
    snprintf(src, sizeof src, "file:%s", path);
    LTS_ASSERT_OK(lts_secret_read(&s, src));
    CU_ASSERT_STRING_EQUAL((char *)s.p, "filepass");
    lts_buf_wipe(&s);
}

static void test_core_secret__errors_hide_the_secret(void)
{
    lts_buf s = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_secret_read(&s, "env:LTS_TEST_UNSET_VAR_X"), LTS_E_CONFIG);
    CU_ASSERT_EQUAL(lts_secret_read(&s, "file:/nonexistent/pw"), LTS_E_IO);
    CU_ASSERT_EQUAL(lts_secret_read(&s, "topsecretword"), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(strstr(lts_error_last()->message, "topsecretword"));
    CU_ASSERT_PTR_NULL(s.p);
}

static lts_status fails_twice(void)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(1 == 2, LTS_E_INPUT, "inner %d", 42);
out:
    return rc;
}

static void test_core_err__last_error(void)
{
    lts_error_clear();
    CU_ASSERT_EQUAL(lts_error_last()->code, LTS_OK);
    CU_ASSERT_STRING_EQUAL(lts_error_last()->message, "");
    CU_ASSERT_EQUAL(fails_twice(), LTS_E_INPUT);
    CU_ASSERT_STRING_EQUAL(lts_error_last()->message, "inner 42");
    lts_err__wrap("outer %s", "ctx");
    CU_ASSERT_STRING_EQUAL(lts_error_last()->message, "outer ctx: inner 42");
    CU_ASSERT_EQUAL(lts_error_last()->code, LTS_E_INPUT);
    CU_ASSERT_STRING_EQUAL(lts_status_name(LTS_E_AUTH), "LTS_E_AUTH");
}

int lts_suite_core_secret(void)
{
    static CU_TestInfo tests[] = {
        { "sources", test_core_secret__sources },
        { "errors_hide_the_secret", test_core_secret__errors_hide_the_secret },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_secret", NULL, NULL, tests);
}

int lts_suite_core_err(void)
{
    static CU_TestInfo tests[] = {
        { "last_error", test_core_err__last_error },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_err", NULL, NULL, tests);
}
