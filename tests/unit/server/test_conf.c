/* tests for backend/server/conf.c */
#include <stdio.h>
#include <string.h>
#include "lts_test.h"
#include "srv_int.h"

static const char *write_conf(int slot, const char *text)
{
    const char *p = lts_test_tmp_file(slot, slot ? "b.conf" : "a.conf");
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return p;
}

#define BASE "database = /tmp/x.db\npkcs11_module = /m.so\ntoken_label = t\n" \
             "token_pin_file = /p\n"

static void test_server_conf__defaults_and_values(void)
{
    srv_conf *c = NULL;
    const char *p = write_conf(0, "# comment\n\n  listen = 127.0.0.1:18810  \n" BASE
                                  "token_ttl = 60\n");
    LTS_ASSERT_OK(srv_conf_load(&c, p));
    CU_ASSERT_STRING_EQUAL(c->listen, "127.0.0.1:18810");
    CU_ASSERT_STRING_EQUAL(c->database, "/tmp/x.db");
    CU_ASSERT_STRING_EQUAL(c->log_level, "info");
    CU_ASSERT_EQUAL(c->token_ttl, 60);
    CU_ASSERT_EQUAL(c->sad_ttl, 300);
    CU_ASSERT_EQUAL(c->max_failures, 5);
    CU_ASSERT_EQUAL(c->max_body, 1L << 20);
    CU_ASSERT_EQUAL(c->argon2_m_kib, 65536);
    srv_conf_free(c);
}

static void expect_error(const char *text, lts_status code, const char *msg_part)
{
    srv_conf *c = NULL;
    const char *p = write_conf(1, text);
    CU_ASSERT_EQUAL(srv_conf_load(&c, p), code);
    CU_ASSERT_PTR_NULL(c);
    if (strstr(lts_error_last()->message, msg_part) == NULL) {
        fprintf(stderr, "\nmessage '%s' lacks '%s'\n", lts_error_last()->message, msg_part);
        CU_FAIL("error message");
    }
}

static void test_server_conf__errors(void)
{
    expect_error(BASE "colour = blue\n", LTS_E_CONFIG, "b.conf:5: unknown key 'colour'");
    expect_error(BASE "listen\n", LTS_E_CONFIG, "b.conf:5: expected 'key = value'");
    expect_error(BASE "listen =\n", LTS_E_CONFIG, "has no value");
    expect_error(BASE "database = /y\n", LTS_E_CONFIG, "given twice");
    expect_error(BASE "sad_ttl = 0\n", LTS_E_CONFIG, "must be a number in 1..3600");
    expect_error(BASE "sad_ttl = 12x\n", LTS_E_CONFIG, "must be a number");
    expect_error("token_label = t\n", LTS_E_CONFIG, "'database' is required");
    expect_error(BASE "listen = 10.1.2.3:443\n", LTS_E_CONFIG, "tls_cert");
    expect_error(BASE "listen = 127.0.0.1:99999\n", LTS_E_CONFIG, "host:port");
    expect_error(BASE "tls_cert = /c.pem\n", LTS_E_CONFIG, "both");
    expect_error(BASE "log_level = loud\n", LTS_E_CONFIG, "log_level");
}

static void test_server_conf__tls_makes_remote_listen_ok(void)
{
    srv_conf *c = NULL;
    const char *p = write_conf(0, BASE "listen = 10.1.2.3:443\ntls_cert = /c\ntls_key = /k\n");
    LTS_ASSERT_OK(srv_conf_load(&c, p));
    srv_conf_free(c);
}

static void test_server_conf__loopback(void)
{
    CU_ASSERT_TRUE(srv_listen_is_loopback("127.0.0.1:80"));
    CU_ASSERT_TRUE(srv_listen_is_loopback("127.9.9.9:80"));
    CU_ASSERT_TRUE(srv_listen_is_loopback("[::1]:80"));
    CU_ASSERT_TRUE(srv_listen_is_loopback("localhost:80"));
    CU_ASSERT_FALSE(srv_listen_is_loopback("0.0.0.0:80"));
    CU_ASSERT_FALSE(srv_listen_is_loopback("128.0.0.1:80"));
    CU_ASSERT_FALSE(srv_listen_is_loopback("[::]:80"));
    CU_ASSERT_FALSE(srv_listen_is_loopback("example.org:80"));
    CU_ASSERT_FALSE(srv_listen_is_loopback(":80"));
}

int lts_suite_server_conf(void)
{
    static CU_TestInfo tests[] = {
        { "defaults_and_values", test_server_conf__defaults_and_values },
        { "errors", test_server_conf__errors },
        { "tls_makes_remote_listen_ok", test_server_conf__tls_makes_remote_listen_ok },
        { "loopback", test_server_conf__loopback },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("server_conf", NULL, NULL, tests);
}
