/* see tests/support/lts_test.h */
#include "lts_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];
static char paths[8][1024];

static void remove_tmpdir(void)
{
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *lts_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/lts-unit-XXXXXX", base ? base : "/tmp");
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *lts_test_pki(void)
{
    return getenv("LTS_TEST_PKI");
}

static const char *join(int slot, const char *dir, const char *name)
{
    if (slot < 0 || slot > 7)
        slot = 0;
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir ? dir : ".", name);
    return paths[slot];
}

const char *lts_test_pki_file(int slot, const char *name)
{
    return join(slot, lts_test_pki(), name);
}

const char *lts_test_src_file(int slot, const char *rel)
{
    return join(slot, getenv("LTS_SRC"), rel);
}

const char *lts_test_tmp_file(int slot, const char *name)
{
    return join(slot, lts_test_tmpdir(), name);
}

int lts_test_add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                       CU_TestInfo *tests)
{
    CU_pSuite s = CU_add_suite(name, init, clean);
    if (s == NULL)
        return 1;
    for (CU_TestInfo *t = tests; t->pName; t++) {
        if (CU_add_test(s, t->pName, t->pTestFunc) == NULL)
            return 1;
    }
    return 0;
}

int lts_test_main(int argc, char **argv, const char *module, int (*reg)(void))
{
    (void)argc;
    (void)argv;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (reg() != 0) {
        fprintf(stderr, "%s: cannot register the suites: %s\n", module, CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "%s: no test ran\n", module);
        return 1;
    }
    return failed ? 1 : 0;
}
