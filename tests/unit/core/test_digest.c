/* tests for core/digest.c */
#include <string.h>
#include "lts_test.h"
#include "core/codec.h"
#include "core/digest.h"
#include "core/io.h"

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    lts_buf h = LTS_BUF_INIT;
    if (lts_hex__encode(&h, lts_span_of(d, n)) == LTS_OK)
        memcpy(out, h.p, h.n + 1);
    lts_buf_dispose(&h);
}

static void test_core_digest__span_vector(void)
{
    uint8_t d[LTS_HASH_MAX];
    size_t n = 0;
    char hex[200];
    LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA256, lts_span_of("abc", 3), d, &n));
    CU_ASSERT_EQUAL(n, 32);
    hex_of(d, n, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CU_ASSERT_EQUAL(lts_digest__span(LTS_HASH_NONE, lts_span_of("abc", 3), d, &n),
                    LTS_E_UNSUPPORTED);
}

static void test_core_digest__file_ranges(void)
{
    /* 200 KiB so blocks are crossed; ranges equal to hashing the concatenation */
    static uint8_t data[200 * 1024];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    const char *path = lts_test_tmp_file(0, "ranges.bin");
    LTS_ASSERT_OK(lts_io__write_atomic(path, lts_span_of(data, sizeof data), 0));
    lts_range r[2] = { { 0, 1000 }, { 150000, 50000 } };
    uint8_t a[LTS_HASH_MAX], b[LTS_HASH_MAX];
    size_t na = 0, nb = 0;
    LTS_ASSERT_OK(lts_digest__file(LTS_HASH_SHA384, path, r, 2, a, &na));
    static uint8_t cat[51000];
    memcpy(cat, data, 1000);
    memcpy(cat + 1000, data + 150000, 50000);
    LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA384, lts_span_of(cat, sizeof cat), b, &nb));
    CU_ASSERT_EQUAL(na, 48);
    CU_ASSERT(na == nb && memcmp(a, b, na) == 0);
    /* whole file */
    LTS_ASSERT_OK(lts_digest__file(LTS_HASH_SHA256, path, NULL, 0, a, &na));
    LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA256, lts_span_of(data, sizeof data), b, &nb));
    CU_ASSERT(memcmp(a, b, 32) == 0);
    /* out of the file */
    lts_range bad = { 200000, 10000 };
    CU_ASSERT_EQUAL(lts_digest__file(LTS_HASH_SHA256, path, &bad, 1, a, &na), LTS_E_INPUT);
    lts_range wrap = { 10, UINT64_MAX };
    CU_ASSERT_EQUAL(lts_digest__file(LTS_HASH_SHA256, path, &wrap, 1, a, &na), LTS_E_INPUT);
    CU_ASSERT_EQUAL(lts_digest__file(LTS_HASH_SHA256, "/nonexistent", NULL, 0, a, &na), LTS_E_IO);
}

static void test_core_digest__names(void)
{
    lts_hash h;
    LTS_ASSERT_OK(lts_hash_parse(&h, "SHA-384"));
    CU_ASSERT_EQUAL(h, LTS_HASH_SHA384);
    CU_ASSERT_EQUAL(lts_hash_parse(&h, "md5"), LTS_E_UNSUPPORTED);
    CU_ASSERT_EQUAL(lts_hash_parse(&h, "sha1"), LTS_E_UNSUPPORTED); /* never for signing */
    CU_ASSERT_EQUAL(lts_hash_size(LTS_HASH_SHA512), 64);
    CU_ASSERT_EQUAL(lts_hash__from_nid(lts_hash__nid(LTS_HASH_SHA256)), LTS_HASH_SHA256);
}

int lts_suite_core_digest(void)
{
    static CU_TestInfo tests[] = {
        { "span_vector", test_core_digest__span_vector },
        { "file_ranges", test_core_digest__file_ranges },
        { "names", test_core_digest__names },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("core_digest", NULL, NULL, tests);
}
