/* tests for core/io.c */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lts_test.h"
#include "core/io.h"

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static void test_core_io__atomic_write_and_read(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/aw", lts_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    LTS_ASSERT_OK(lts_io__write_atomic(path, lts_span_of("first", 5), 0));
    LTS_ASSERT_OK(lts_io__write_atomic(path, lts_span_of("second", 6), 0));
    lts_buf b = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_io__read_file(&b, path, 0));
    CU_ASSERT(lts_span_eq(lts_buf_span(&b), lts_span_of("second", 6)));
    CU_ASSERT_EQUAL(count_entries(dir), 1); /* no temporary file left */
    lts_buf_dispose(&b);
}

static void test_core_io__abort_leaves_nothing(void)
{
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/ab", lts_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    lts_afile af = LTS_AFILE_INIT;
    LTS_ASSERT_OK(lts_io__afile_open(&af, path, 1));
    LTS_ASSERT_OK(lts_io__afile_write(&af, "half", 4));
    CU_ASSERT_EQUAL(count_entries(dir), 1);
    lts_io__afile_abort(&af);
    lts_io__afile_abort(&af); /* twice is safe */
    CU_ASSERT_EQUAL(count_entries(dir), 0);
}

static void test_core_io__errors_name_the_file(void)
{
    lts_buf b = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_io__read_file(&b, "/nonexistent/ltsig-file", 0), LTS_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "/nonexistent/ltsig-file"));
    CU_ASSERT_EQUAL(lts_io__read_file(&b, lts_test_tmpdir(), 0), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_io__write_atomic("/nonexistent/dir/out", lts_span_of("x", 1), 0),
                    LTS_E_IO);
    lts_buf_dispose(&b);
}

static void test_core_io__read_limit(void)
{
    const char *path = lts_test_tmp_file(0, "big.bin");
    char data[100];
    memset(data, 'x', sizeof data);
    LTS_ASSERT_OK(lts_io__write_atomic(path, lts_span_of(data, sizeof data), 0));
    lts_buf b = LTS_BUF_INIT;
    CU_ASSERT_EQUAL(lts_io__read_file(&b, path, 50), LTS_E_INPUT);
    LTS_ASSERT_OK(lts_io__read_file(&b, path, 100));
    CU_ASSERT_EQUAL(b.n, 100);
    uint64_t size = 0;
    LTS_ASSERT_OK(lts_io__file_size(path, &size));
    CU_ASSERT_EQUAL(size, 100);
    lts_buf_dispose(&b);
}

static void test_core_io__read_only_folder(void)
{
    char dir[600], path[700];
    if (geteuid() == 0)
        return; /* root writes anywhere: nothing to check */
    snprintf(dir, sizeof dir, "%s/ro", lts_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0500), 0);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    CU_ASSERT_EQUAL(lts_io__write_atomic(path, lts_span_of("x", 1), 0), LTS_E_IO);
}

int lts_suite_core_io(void)
{
    static CU_TestInfo tests[] = {
        { "atomic_write_and_read", test_core_io__atomic_write_and_read },
        { "abort_leaves_nothing", test_core_io__abort_leaves_nothing },
        { "errors_name_the_file", test_core_io__errors_name_the_file },
        { "read_limit", test_core_io__read_limit },
        { "read_only_folder", test_core_io__read_only_folder },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_io", NULL, NULL, tests);
}
