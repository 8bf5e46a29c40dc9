/* tests for validation/policy.c (include/ltsig/policy.h) */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <ltsig/policy.h>
#include "report_test.h"
#include "core/mem.h"

static lts_policy *parse_ok(const char *text)
{
    lts_policy *p = NULL;
    LTS_ASSERT_OK(lts_policy_parse(&p, lts_span_of((const uint8_t *)text, strlen(text)), "t.conf"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

static void check(const lts_policy *p, lts_hash h, lts_scheme s, int bits, const char *at,
                  lts_indication want, lts_subindication want_sub)
{
    lts_indication ind = LTS_IND_TOTAL_FAILED;
    lts_subindication sub = LTS_SUB_GENERIC;
    char why[256];
    lts_policy_check_algorithm(p, h, s, bits, rt_time(at), &ind, &sub, why, sizeof why);
    if (ind != want || sub != want_sub)
        fprintf(stderr, "\n  %s/%s/%d at %s: got %s %s (%s)\n", lts_hash_name(h),
                lts_scheme_name(s), bits, at, lts_indication_name(ind),
                lts_subindication_name(sub), why);
    CU_ASSERT_EQUAL(ind, want);
    CU_ASSERT_EQUAL(sub, want_sub);
    CU_ASSERT(want == LTS_IND_TOTAL_PASSED ? why[0] == '\0' : why[0] != '\0');
}

static void test_report_policy__defaults(void)
{
    lts_policy *p = NULL;
    lts_time t = 0;
    lts_level l;
    LTS_ASSERT_OK(lts_policy_new_default(&p));
    CU_ASSERT_EQUAL(lts_policy_allow_online(p), 1);
    CU_ASSERT_EQUAL(lts_policy_trust_count(p), 0);
    CU_ASSERT_PTR_NULL(lts_policy_trust(p, 0));
    CU_ASSERT_EQUAL(lts_policy_required_level(p, &l), 0);
    CU_ASSERT_EQUAL(lts_policy_sunset(p, "sha1", &t), 1);
    CU_ASSERT_EQUAL(t, rt_time("2016-01-01"));
    CU_ASSERT_EQUAL(lts_policy_sunset(p, "rsa1024", &t), 1);
    CU_ASSERT_EQUAL(t, rt_time("2019-01-01"));
    CU_ASSERT_EQUAL(lts_policy_sunset(p, "sha256", &t), 0);
    CU_ASSERT_EQUAL(lts_policy_hash_sunset(p, LTS_HASH_SHA1), rt_time("2016-01-01"));
    CU_ASSERT_EQUAL(lts_policy_hash_sunset(NULL, LTS_HASH_SHA1), rt_time("2016-01-01"));
    CU_ASSERT_EQUAL(lts_policy_hash_sunset(p, LTS_HASH_SHA256), 0);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, "B-B"), 1);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, NULL), 1);
    lts_policy_free(p);
    lts_policy_free(NULL);
}

static void test_report_policy__algorithms(void)
{
    const lts_policy *d = NULL; /* NULL = the defaults */
    lts_policy *p = NULL;
    check(d, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 2048, "2026-01-01", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE);
    check(d, LTS_HASH_SHA1, LTS_SCHEME_RSA_PKCS1, 2048, "2015-12-31", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE);
    check(d, LTS_HASH_SHA1, LTS_SCHEME_RSA_PKCS1, 2048, "2016-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    check(d, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 1024, "2018-06-01", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE);
    check(d, LTS_HASH_SHA256, LTS_SCHEME_RSA_PSS, 1024, "2020-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    check(d, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 512, "2000-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    /* never acceptable wins over acceptable-before-a-date */
    check(d, LTS_HASH_SHA1, LTS_SCHEME_RSA_PKCS1, 512, "2020-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    check(d, LTS_HASH_SHA384, LTS_SCHEME_ECDSA, 384, "2026-01-01", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE);
    check(d, LTS_HASH_SHA256, LTS_SCHEME_ECDSA, 192, "2026-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    check(d, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 0, "2026-01-01", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE); /* key size unknown: not judged */
    check(d, LTS_HASH_NONE, LTS_SCHEME_NONE, 0, "2026-01-01", LTS_IND_TOTAL_PASSED, LTS_SUB_NONE);
    p = parse_ok("min_rsa_bits = 3072\nsunset.sha256 = 2030-01-01\nsunset.ecdsa = 2040-01-01\n");
    check(p, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 4096, "2029-12-31", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE);
    check(p, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 4096, "2030-01-02", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    /* 2048 < min 3072 and no sunset.rsa2048 in the policy: not accepted at all */
    check(p, LTS_HASH_SHA384, LTS_SCHEME_RSA_PKCS1, 2048, "2026-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    check(p, LTS_HASH_SHA384, LTS_SCHEME_ECDSA, 256, "2040-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    lts_policy_free(p);
    p = parse_ok("min_ec_bits = 384\nlegacy_rsa_bits = 2048\n");
    check(p, LTS_HASH_SHA256, LTS_SCHEME_ECDSA, 256, "2026-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    check(p, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 1024, "2018-01-01", LTS_IND_INDETERMINATE,
          LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE);
    check(p, LTS_HASH_SHA256, LTS_SCHEME_RSA_PKCS1, 2048, "2026-01-01", LTS_IND_TOTAL_PASSED,
          LTS_SUB_NONE);
    lts_policy_free(p);
}

static void test_report_policy__file(void)
{
    const char *text = "# a policy\n"
                       "trust = /etc/a.pem   # first\n"
                       "  trust=/etc/b   \n"
                       "\n"
                       "allow_online = NO\n"
                       "min_rsa_bits = 3072\n"
                       "sunset.SHA1 = 2010-06-01T00:00:00Z\n"
                       "required_level = ES-XL\n";
    lts_policy *p = parse_ok(text);
    lts_time t = 0;
    lts_level l = 0;
    FILE *f;
    CU_ASSERT_EQUAL(lts_policy_trust_count(p), 2);
    CU_ASSERT_STRING_EQUAL(lts_policy_trust(p, 0), "/etc/a.pem");
    CU_ASSERT_STRING_EQUAL(lts_policy_trust(p, 1), "/etc/b");
    CU_ASSERT_EQUAL(lts_policy_allow_online(p), 0);
    CU_ASSERT_EQUAL(lts_policy_sunset(p, "sha1", &t), 1);
    CU_ASSERT_EQUAL(t, rt_time("2010-06-01"));
    CU_ASSERT_EQUAL(lts_policy_required_level(p, &l), 1);
    CU_ASSERT_EQUAL(l, LTS_LEVEL_ES_XL);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, "B-LT"), 1);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, "B-LTA"), 1);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, "ES-A"), 1);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, "B-T"), 0);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, "CMS"), 0);
    CU_ASSERT_EQUAL(lts_policy_level_ok(p, NULL), 0);
    lts_policy_free(p);
    /* the same through a file */
    f = fopen(lts_test_tmp_file(0, "p.conf"), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    p = NULL;
    LTS_ASSERT_OK(lts_policy_load(&p, lts_test_tmp_file(0, "p.conf")));
    CU_ASSERT_EQUAL(lts_policy_trust_count(p), 2);
    lts_policy_free(p);
}

static void expect_error(const char *text, lts_status code, const char *needle)
{
    lts_policy *p = (lts_policy *)1;
    lts_status st = lts_policy_parse(&p, lts_span_of((const uint8_t *)text, strlen(text)), "x.conf");
    CU_ASSERT_EQUAL(st, code);
    CU_ASSERT_PTR_NULL(p);
    if (st != LTS_OK && strstr(lts_error_last()->message, needle) == NULL) {
        fprintf(stderr, "\n  message '%s' lacks '%s'\n", lts_error_last()->message, needle);
        CU_FAIL("message");
    }
    if (st == LTS_OK)
        lts_policy_free(p);
}

static void test_report_policy__bad_input(void)
{
    lts_policy *p = (lts_policy *)1;
    expect_error("# ok\n\nfoo = 1\n", LTS_E_CONFIG, "x.conf:3: unknown key 'foo'");
    expect_error("allow_online = maybe\n", LTS_E_CONFIG, "x.conf:1: allow_online");
    expect_error("trust\n", LTS_E_CONFIG, "x.conf:1: expected 'key = value'");
    expect_error("trust =\n", LTS_E_CONFIG, "trust needs");
    expect_error("min_rsa_bits = 20x\n", LTS_E_CONFIG, "min_rsa_bits takes");
    expect_error("min_rsa_bits = 64\n", LTS_E_CONFIG, "min_rsa_bits takes");
    expect_error("sunset.md5 = 2000-01-01\n", LTS_E_CONFIG, "unknown algorithm 'md5'");
    expect_error("sunset.sha1 = yesterday\n", LTS_E_CONFIG, "takes a date");
    expect_error("required_level = B-XX\n", LTS_E_CONFIG, "required_level takes");
    {
        const uint8_t nul[] = { 't', 'r', 0, '=' };
        CU_ASSERT_EQUAL(lts_policy_parse(&p, lts_span_of(nul, sizeof nul), "n.conf"), LTS_E_CONFIG);
        CU_ASSERT_PTR_NULL(p);
    }
    p = (lts_policy *)1;
    CU_ASSERT_EQUAL(lts_policy_load(&p, lts_test_tmp_file(1, "does-not-exist.conf")), LTS_E_IO);
    CU_ASSERT_PTR_NULL(p);
    p = NULL;
    LTS_ASSERT_OK(lts_policy_parse(&p, lts_span_of(NULL, 0), NULL)); /* empty = defaults */
    CU_ASSERT_EQUAL(lts_policy_allow_online(p), 1);
    lts_policy_free(p);
}

static void test_report_policy__protection_until(void)
{
    lts_report *r = rt_report("f", rt_time("2026-11-26"));
    lts_sig_result *s = NULL;
    lts_ts_result *t = NULL;
    lts_policy *p = NULL;
    lts_time until = 0;
    LTS_ASSERT_OK(lts_report__add_sig(r, "CAdES", &s));
    CU_ASSERT_EQUAL(lts_policy_protection_until(NULL, s, &until), 0); /* no time-stamp */
    LTS_ASSERT_OK(lts_report__add_ts(s, "signature-time-stamp", &t));
    t->gen_time = rt_time("2026-01-01");
    t->tsa_not_after = rt_time("2029-01-01");
    LTS_ASSERT_OK(lts_report__set_str(&t->digest_algorithm, "SHA-256"));
    CU_ASSERT_EQUAL(lts_policy_protection_until(NULL, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2029-01-01"));
    /* a newer archive time-stamp decides, even with an older genTime order in the list */
    LTS_ASSERT_OK(lts_report__add_ts(s, "archive-time-stamp-v3", &t));
    t->gen_time = rt_time("2026-06-01");
    t->tsa_not_after = rt_time("2031-01-01");
    LTS_ASSERT_OK(lts_report__set_str(&t->digest_algorithm, "SHA-256"));
    CU_ASSERT_EQUAL(lts_policy_protection_until(NULL, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2031-01-01"));
    /* its hash has a sunset before the TSA certificate expires: the sunset decides */
    p = parse_ok("sunset.sha256 = 2030-03-01\n");
    CU_ASSERT_EQUAL(lts_policy_protection_until(p, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2030-03-01"));
    /* a renewal in the same second (genTime has a resolution of a second): the later one
     * in the file is the newer */
    LTS_ASSERT_OK(lts_report__add_ts(s, "archive-time-stamp-v3", &t));
    t->gen_time = rt_time("2026-06-01");
    t->tsa_not_after = rt_time("2035-01-01");
    LTS_ASSERT_OK(lts_report__set_str(&t->digest_algorithm, "SHA-256"));
    CU_ASSERT_EQUAL(lts_policy_protection_until(NULL, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2035-01-01"));
    /* its TSA key is RSA-2048: 112-bit security ends 2030-12-31, unless the policy says */
    t->tsa_key_bits = 2048;
    t->tsa_key_scheme = LTS_SCHEME_RSA_PKCS1;
    CU_ASSERT_EQUAL(lts_policy_protection_until(NULL, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2030-12-31"));
    lts_policy_free(p);
    p = parse_ok("sunset.rsa2048 = 2033-06-01\n");
    CU_ASSERT_EQUAL(lts_policy_protection_until(p, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2033-06-01"));
    t->tsa_key_bits = 4096; /* no known limit: the certificate decides */
    CU_ASSERT_EQUAL(lts_policy_protection_until(p, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2035-01-01"));
    /* the rule alone (also used by ltsig renew on the tokens it reads) */
    CU_ASSERT_EQUAL(lts_policy_key_protection(NULL, LTS_SCHEME_RSA_PKCS1, 1024), rt_time("2019-01-01"));
    CU_ASSERT_EQUAL(lts_policy_key_protection(NULL, LTS_SCHEME_RSA_PSS, 2048), rt_time("2030-12-31"));
    CU_ASSERT_EQUAL(lts_policy_key_protection(NULL, LTS_SCHEME_RSA_PKCS1, 3072), 0);
    CU_ASSERT_EQUAL(lts_policy_key_protection(NULL, LTS_SCHEME_ECDSA, 224), rt_time("2030-12-31"));
    CU_ASSERT_EQUAL(lts_policy_key_protection(NULL, LTS_SCHEME_ECDSA, 256), 0);
    CU_ASSERT_EQUAL(lts_policy_key_protection(p, LTS_SCHEME_RSA_PKCS1, 2048), rt_time("2033-06-01"));
    CU_ASSERT_EQUAL(lts_policy_key_protection(NULL, LTS_SCHEME_RSA_PKCS1, 0), 0);
    t->tsa_key_bits = 256;
    t->tsa_key_scheme = LTS_SCHEME_ECDSA;
    CU_ASSERT_EQUAL(lts_policy_protection_until(p, s, &until), 1);
    CU_ASSERT_EQUAL(until, rt_time("2035-01-01"));
    lts_policy_free(p);
    lts_report_free(r);
}

static void test_report_policy__trust_bundle(void)
{
    lts_policy *p = NULL;
    lts_buf b = LTS_BUF_INIT;
    char text[3000], cmd[2000];
    const char *dir = lts_test_tmp_file(2, "anchors");
    FILE *f;
    if (lts_test_pki() == NULL) {
        CU_PASS("no LTS_TEST_PKI");
        return;
    }
    mkdir(dir, 0700);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/inter.pem' && echo junk > '%s/README'",
             lts_test_pki_file(0, "inter.pem"), dir, dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    snprintf(text, sizeof text, "trust = %s\ntrust = %s\n", lts_test_pki_file(0, "root.pem"), dir);
    p = parse_ok(text);
    LTS_ASSERT_OK(lts_policy_trust_bundle(p, &b));
    {
        size_t n = 0;
        for (const char *c = (const char *)b.p; (c = strstr(c, "-----BEGIN CERTIFICATE-----")); c++)
            n++;
        CU_ASSERT_EQUAL(n, 2);
    }
    lts_buf_dispose(&b);
    lts_policy_free(p);
    /* a missing entry, and a file without certificates */
    snprintf(text, sizeof text, "trust = %s/nope.pem\n", dir);
    p = parse_ok(text);
    CU_ASSERT_EQUAL(lts_policy_trust_bundle(p, &b), LTS_E_IO);
    CU_ASSERT_EQUAL(b.n, 0);
    lts_policy_free(p);
    snprintf(text, sizeof text, "trust = %s/README\n", dir);
    p = parse_ok(text);
    CU_ASSERT_EQUAL(lts_policy_trust_bundle(p, &b), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "no PEM certificate"));
    lts_policy_free(p);
    lts_buf_dispose(&b);
    (void)f;
}

static void test_report_policy__oom(void)
{
    const char *text = "trust = a\ntrust = b\nsunset.sha256 = 2030-01-01\nrequired_level = B-T\n";
    for (long i = 0; i < 64; i++) {
        lts_policy *p = NULL;
        lts_status st;
        lts_mem__fail_after(i, 0);
        st = lts_policy_parse(&p, lts_span_of((const uint8_t *)text, strlen(text)), "o");
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        CU_ASSERT((st == LTS_OK) == (p != NULL));
        lts_policy_free(p);
        if (st == LTS_OK)
            break;
    }
}

int lts_suite_report_policy(void)
{
    static CU_TestInfo tests[] = {
        { "defaults", test_report_policy__defaults },
        { "algorithms", test_report_policy__algorithms },
        { "file", test_report_policy__file },
        { "bad_input", test_report_policy__bad_input },
        { "protection_until", test_report_policy__protection_until },
        { "trust_bundle", test_report_policy__trust_bundle },
        { "oom", test_report_policy__oom },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("report_policy", NULL, NULL, tests);
}
