/* tests for backend/server/secrets.c */
#include <string.h>
#include "lts_test.h"
#include "core/mem.h"
#include "core/totp.h"
#include "srv_int.h"

static void test_server_secrets__argon2id(void)
{
    srv_conf c;
    char *h = NULL;
    memset(&c, 0, sizeof c);
    c.argon2_t = 1;
    c.argon2_m_kib = 1024;
    LTS_ASSERT_OK(srv_pw_hash(&c, "correct horse", 13, &h));
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT(strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0);
    CU_ASSERT(strstr(h, "correct") == NULL);
    LTS_ASSERT_OK(srv_pw_verify(h, "correct horse", 13));
    CU_ASSERT_EQUAL(srv_pw_verify(h, "correct hors", 12), LTS_E_AUTH);
    CU_ASSERT_EQUAL(srv_pw_verify(h, "correct horsE", 13), LTS_E_AUTH);
    CU_ASSERT_EQUAL(srv_pw_verify("$argon2id$garbage", "x", 1), LTS_E_CRYPTO);
    lts_free(h);
}

static void code_at(const char *b32, long long step, char out[16])
{
    lts_buf k = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_base32__decode(&k, b32, strlen(b32)));
    LTS_ASSERT_OK(lts_hotp__code(lts_buf_span(&k), (uint64_t)step, 6, out));
    lts_buf_dispose(&k);
}

static void test_server_secrets__totp_window_and_replay(void)
{
    const char *sec = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; /* "12345678901234567890" */
    const int64_t now = 1700000000;
    const long long step = now / 30;
    char c[16];
    long long last = 0;
    code_at(sec, step, c);
    LTS_ASSERT_OK(srv_totp_check(sec, c, now, &last));
    CU_ASSERT_EQUAL(last, step);
    CU_ASSERT_EQUAL(srv_totp_check(sec, c, now, &last), LTS_E_AUTH); /* used once only */
    code_at(sec, step - 1, c);
    CU_ASSERT_EQUAL(srv_totp_check(sec, c, now, &last), LTS_E_AUTH); /* older than the last */
    code_at(sec, step + 1, c);
    LTS_ASSERT_OK(srv_totp_check(sec, c, now, &last));               /* clock skew +1 */
    CU_ASSERT_EQUAL(last, step + 1);
    code_at(sec, step + 3, c);
    CU_ASSERT_EQUAL(srv_totp_check(sec, c, now, &last), LTS_E_AUTH); /* outside the window */
    last = 0;
    code_at(sec, step - 1, c);
    LTS_ASSERT_OK(srv_totp_check(sec, c, now, &last));               /* clock skew -1 */
    CU_ASSERT_EQUAL(srv_totp_check(sec, "12345", now, &last), LTS_E_AUTH);
    CU_ASSERT_EQUAL(srv_totp_check(sec, "1234567", now, &last), LTS_E_AUTH);
    CU_ASSERT_EQUAL(srv_totp_check(sec, NULL, now, &last), LTS_E_AUTH);
}

static void test_server_secrets__tokens(void)
{
    char a[48], b[48], h[65];
    LTS_ASSERT_OK(srv_new_token(a));
    LTS_ASSERT_OK(srv_new_token(b));
    CU_ASSERT_EQUAL(strlen(a), 43);
    CU_ASSERT(strcmp(a, b) != 0);
    CU_ASSERT(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
    srv_sha256_hex("abc", 3, h);
    CU_ASSERT_STRING_EQUAL(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CU_ASSERT_TRUE(srv_str_ct_eq("abc", "abc"));
    CU_ASSERT_FALSE(srv_str_ct_eq("abc", "abd"));
    CU_ASSERT_FALSE(srv_str_ct_eq("abc", "abcd"));
}

int lts_suite_server_secrets(void)
{
    static CU_TestInfo tests[] = {
        { "argon2id", test_server_secrets__argon2id },
        { "totp_window_and_replay", test_server_secrets__totp_window_and_replay },
        { "tokens", test_server_secrets__tokens },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_secrets", NULL, NULL, tests);
}
