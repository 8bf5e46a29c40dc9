/* tests for backend/pkcs11/p11_uri.c: the RFC 7512 URI parser */
#include <string.h>
#include "lts_test.h"
#include "core/mem.h"
#include "p11_int.h"

static void test_pkcs11_p11_uri__full(void)
{
    lts_p11_uri u;
    LTS_ASSERT_OK(lts_p11__uri_parse(
        &u, "pkcs11:token=ltsig-test;manufacturer=SoftHSM%20project;serial=abc;model=SoftHSM%20v2;"
            "object=signer-rsa;id=%01%AbZ;type=private;slot-id=7;slot-description=S%3bD;"
            "slot-manufacturer=M;library-manufacturer=L;library-description=D;library-version=2.6"
            "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/tmp/pin&x-sessions=8"
            "&x-vendor-thing=whatever"));
    CU_ASSERT_STRING_EQUAL(u.token, "ltsig-test");
    CU_ASSERT_STRING_EQUAL(u.manuf, "SoftHSM project");
    CU_ASSERT_STRING_EQUAL(u.tok_serial, "abc");
    CU_ASSERT_STRING_EQUAL(u.tok_model, "SoftHSM v2");
    CU_ASSERT_STRING_EQUAL(u.object, "signer-rsa");
    CU_ASSERT_EQUAL(u.has_key_id, 1);
    CU_ASSERT_EQUAL(u.key_id_len, 3);
    CU_ASSERT(u.key_id_len == 3 && memcmp(u.key_id, "\x01\xab" "Z", 3) == 0);
    CU_ASSERT_STRING_EQUAL(u.obj_type, "private");
    CU_ASSERT_EQUAL(u.has_slot_num, 1);
    CU_ASSERT_EQUAL(u.slot_num, 7);
    CU_ASSERT_STRING_EQUAL(u.slot_desc, "S;D");
    CU_ASSERT_STRING_EQUAL(u.slot_manuf, "M");
    CU_ASSERT_STRING_EQUAL(u.lib_manuf, "L");
    CU_ASSERT_STRING_EQUAL(u.lib_desc, "D");
    CU_ASSERT(u.has_lib_ver && u.lib_major == 2 && u.lib_minor == 6);
    CU_ASSERT_STRING_EQUAL(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
    CU_ASSERT_STRING_EQUAL(u.pin_source, "file:/tmp/pin");
    CU_ASSERT_EQUAL(u.sessions, 8);
    CU_ASSERT_EQUAL(u.has_pin_value, 0);
    lts_p11__uri_free(&u);
    CU_ASSERT_PTR_NULL(u.token);
}

static void test_pkcs11_p11_uri__minimal_and_empty(void)
{
    lts_p11_uri u;
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, "pkcs11:"));
    CU_ASSERT_PTR_NULL(u.token);
    CU_ASSERT_PTR_NULL(u.object);
    CU_ASSERT_EQUAL(u.has_key_id, 0);
    lts_p11__uri_free(&u);
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, "pkcs11:object=a&b=c?"));
    CU_ASSERT_STRING_EQUAL(u.object, "a&b=c"); /* '&' and '=' are plain in the path */
    lts_p11__uri_free(&u);
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, "pkcs11:object=;token=t"));
    CU_ASSERT_STRING_EQUAL(u.object, ""); /* an empty value is a value */
    lts_p11__uri_free(&u);
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, "pkcs11:?module-path=/a/b.so&pin-source=/p/q%3Fr"));
    CU_ASSERT_STRING_EQUAL(u.pin_source, "/p/q?r");
    lts_p11__uri_free(&u);
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, "pkcs11:library-version=3"));
    CU_ASSERT(u.has_lib_ver && u.lib_major == 3 && u.lib_minor == 0);
    lts_p11__uri_free(&u);
}

static void test_pkcs11_p11_uri__pin_value_flagged_not_kept(void)
{
    lts_p11_uri u;
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, "pkcs11:token=t?pin-value=s3cr3t-pin"));
    CU_ASSERT_EQUAL(u.has_pin_value, 1);
    CU_ASSERT_PTR_NULL(u.pin_source);
    lts_p11__uri_free(&u);
    /* a malformed pin-value: the message must not echo it */
    CU_ASSERT_EQUAL(lts_p11__uri_parse(&u, "pkcs11:token=t?pin-value=s3cr3t%zz"), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(strstr(lts_error_last()->message, "s3cr3t"));
    CU_ASSERT_EQUAL(lts_p11__uri_parse(&u, "pkcs11:token=t?pin-value=s3cr3t pin"), LTS_E_CONFIG);
    CU_ASSERT_PTR_NULL(strstr(lts_error_last()->message, "s3cr3t"));
}

static const struct {
    const char *uri;
    const char *needle; /* expected in the message */
} bad[] = {
    { "pkcs12:token=x", "must start with" },
    { "PKCS11token=x", "must start with" },
    { "pkcs11:token=a;token=b", "appears twice" },
    { "pkcs11:tokn=a", "unknown path attribute 'tokn'" },
    { "pkcs11:token=a?module=x", "unknown query attribute 'module'" },
    { "pkcs11:object=a%2", "percent-encoding" },
    { "pkcs11:object=a%", "percent-encoding" },
    { "pkcs11:object=a%G1", "percent-encoding" },
    { "pkcs11:object=a/b", "'/' at offset 15" },
    { "pkcs11:object=a b", "0x20" },
    { "pkcs11:object=a\tb", "0x09" },
    { "pkcs11:object=a\"b", "'\"'" },
    { "pkcs11:object=a#frag", "fragment" },
    { "pkcs11:token=a;;object=b", "empty attribute" },
    { "pkcs11:token=a;", "empty attribute" },
    { "pkcs11:token=a?module-path=/x&&pin-source=/y", "empty attribute" },
    { "pkcs11:token", "no '='" },
    { "pkcs11:=x", "no name" },
    { "pkcs11:to%6ben=x", "bad character in attribute name" },
    { "pkcs11:module-path=/x.so", "query attribute" },
    { "pkcs11:?token=x", "path attribute" },
    { "pkcs11:slot-id=abc", "slot-id must be a decimal" },
    { "pkcs11:slot-id=-1", "slot-id must be a decimal" },
    { "pkcs11:slot-id=99999999999", "slot-id must be a decimal" },
    { "pkcs11:library-version=2.x", "library-version" },
    { "pkcs11:library-version=.1", "library-version" },
    { "pkcs11:library-version=300", "library-version" },
    { "pkcs11:id=", "id must hold" },
    { "pkcs11:object=a%00b", "NUL" },
    { "pkcs11:?x-sessions=0", "x-sessions" },
    { "pkcs11:?x-sessions=65", "x-sessions" },
    { "pkcs11:?x-sessions=4x", "x-sessions" },
};

static void test_pkcs11_p11_uri__malformed(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lts_p11_uri u;
        lts_status st = lts_p11__uri_parse(&u, bad[i].uri);
        const char *msg = lts_error_last()->message;
        if (st != LTS_E_CONFIG || strstr(msg, bad[i].needle) == NULL)
            fprintf(stderr, "\n%s -> %s: %s (want '%s')\n", bad[i].uri, lts_status_name(st), msg,
                    bad[i].needle);
        CU_ASSERT_EQUAL(st, LTS_E_CONFIG);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[i].needle));
        CU_ASSERT_PTR_NULL(u.token); /* nothing half-built escapes */
        CU_ASSERT_PTR_NULL(u.key_id);
    }
}

static void test_pkcs11_p11_uri__length_limits(void)
{
    static char big[LTS_P11_URI_MAX + 64];
    lts_p11_uri u;
    /* an id of LTS_P11_ID_MAX bytes is fine, one more is refused */
    strcpy(big, "pkcs11:id=");
    for (int i = 0; i < LTS_P11_ID_MAX; i++)
        strcat(big, "%41");
    LTS_ASSERT_OK(lts_p11__uri_parse(&u, big));
    CU_ASSERT_EQUAL(u.key_id_len, LTS_P11_ID_MAX);
    lts_p11__uri_free(&u);
    strcat(big, "%41");
    CU_ASSERT_EQUAL(lts_p11__uri_parse(&u, big), LTS_E_CONFIG);
    /* a URI over the limit is refused before any parsing */
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    memcpy(big, "pkcs11:object=", 14);
    CU_ASSERT_EQUAL(lts_p11__uri_parse(&u, big), LTS_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "longer than"));
    CU_ASSERT_EQUAL(lts_p11__uri_parse(&u, NULL), LTS_E_CONFIG);
}

static void test_pkcs11_p11_uri__oom(void)
{
    const char *uri = "pkcs11:token=ltsig-test;object=signer%2Drsa;id=%01;type=private"
                      "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/tmp/p";
    int ok_seen = 0;
    for (long i = 0; i < 40 && !ok_seen; i++) {
        lts_p11_uri u;
        lts_mem__fail_after(i, 0);
        lts_status st = lts_p11__uri_parse(&u, uri);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        if (st == LTS_OK) {
            ok_seen = 1;
            CU_ASSERT_STRING_EQUAL(u.object, "signer-rsa");
            lts_p11__uri_free(&u);
        } else {
            CU_ASSERT_PTR_NULL(u.token);
        }
    }
    CU_ASSERT(ok_seen);
}

/* Deterministic mutation fuzzing: every mutant of valid URIs either parses or is refused
 * with LTS_E_CONFIG, never anything else; ASan checks the bounds and the frees. */
static void test_pkcs11_p11_uri__mutations(void)
{
    static const char *seeds[] = {
        "pkcs11:token=ltsig-test;object=signer-rsa;id=%01;type=private"
        "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/tmp/pin",
        "pkcs11:slot-id=3;library-version=2.6;serial=0123?x-sessions=4&x-a=b",
        "pkcs11:object=a%20b%3b%25;manufacturer=M?pin-value=1234",
    };
    static const char alphabet[] = "%;?&=#/ abcdefxyz0129-_.~:[]@!$'()*+,|\"\x01\x7f\xff";
    uint32_t x = 0x2545f491u; /* xorshift32: the same run every time */
    char buf[256];
    int ok = 0, refused = 0;
    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[iter % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        for (int k = 0; k < 1 + iter % 4; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t pos = 7 + x % (n - 7);
            char c = alphabet[(x >> 8) % (sizeof alphabet - 1)];
            switch ((x >> 16) % 3) {
            case 0: /* replace */
                buf[pos] = c;
                break;
            case 1: /* insert */
                if (n + 1 < sizeof buf) {
                    memmove(buf + pos + 1, buf + pos, n - pos + 1);
                    buf[pos] = c;
                    n++;
                }
                break;
            default: /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos);
                n--;
                break;
            }
            if (n <= 8)
                break;
        }
        lts_p11_uri u;
        lts_status st = lts_p11__uri_parse(&u, buf);
        if (st == LTS_OK) {
            ok++;
            lts_p11__uri_free(&u);
        } else {
            refused++;
            if (st != LTS_E_CONFIG)
                fprintf(stderr, "\n'%s' -> %s\n", buf, lts_status_name(st));
            CU_ASSERT_EQUAL(st, LTS_E_CONFIG);
            CU_ASSERT_PTR_NULL(u.token);
        }
    }
    CU_ASSERT(ok > 100 && refused > 100); /* both outcomes were exercised */
}

int lts_suite_p11_uri(void)
{
    static CU_TestInfo tests[] = {
        { "full", test_pkcs11_p11_uri__full },
        { "minimal_and_empty", test_pkcs11_p11_uri__minimal_and_empty },
        { "pin_value_flagged_not_kept", test_pkcs11_p11_uri__pin_value_flagged_not_kept },
        { "malformed", test_pkcs11_p11_uri__malformed },
        { "length_limits", test_pkcs11_p11_uri__length_limits },
        { "oom", test_pkcs11_p11_uri__oom },
        { "mutations", test_pkcs11_p11_uri__mutations },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("pkcs11_p11_uri", NULL, NULL, tests);
}
