/* tests/support/lts_test.h — CUnit helpers shared by every unit test executable. */
#ifndef LTS_TEST_H
#define LTS_TEST_H

#include <CUnit/Basic.h>
#include <ltsig/ltsig.h>

/** Run the registered suites; exit status 0 when every test passed. */
int lts_test_main(int argc, char **argv, const char *module, int (*reg)(void));

/** Add a suite with the given tests (NULL-terminated CU_TestInfo array). 0 on success. */
int lts_test_add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                       CU_TestInfo *tests);

/** The test PKI folder (env LTS_TEST_PKI), or NULL when unset. */
const char *lts_test_pki(void);
/** Path of a file in the test PKI, in a static buffer per call slot (slot 0..7). */
const char *lts_test_pki_file(int slot, const char *name);
/** Path of a committed test input under the source tree (env LTS_SRC). */
const char *lts_test_src_file(int slot, const char *relpath);
/** A fresh temporary folder for this process (created once, removed at exit). */
const char *lts_test_tmpdir(void);
/** Path in the temporary folder (static buffer per slot). */
const char *lts_test_tmp_file(int slot, const char *name);

#define LTS_ASSERT_OK(expr)                                                               \
    do {                                                                                  \
        lts_status st_ = (expr);                                                          \
        if (st_ != LTS_OK)                                                                \
            fprintf(stderr, "\n%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #expr,         \
                    lts_status_name(st_), lts_error_last()->message);                     \
        CU_ASSERT_EQUAL_FATAL(st_, LTS_OK);                                               \
    } while (0)

#endif
