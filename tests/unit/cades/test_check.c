/* tests for formats/cades/parse.c and check.c: any producer's CMS, and the negative cases. */
#include <string.h>
#include "lts_test.h"
#include "cades_test.h"
#include "core/io.h"
#include "core/mem.h"

static const char *doc = "content checked by the cades unit tests\n";

static lts_status load(lts_cades **c, const char *path)
{
    lts_buf b = LTS_BUF_INIT;
    lts_status rc = lts_io__read_file(&b, path, 0);
    if (rc == LTS_OK)
        rc = lts_cades_parse(c, lts_buf_span(&b));
    lts_buf_dispose(&b);
    return rc;
}

static void test_cades_check__parse_rejects(void)
{
    lts_cades *c = (lts_cades *)1;
    const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    CU_ASSERT_EQUAL(lts_cades_parse(&c, lts_span_of(NULL, 0)), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(lts_cades_parse(&c, lts_span_of(junk, sizeof junk)), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(lts_cades_parse(&c, lts_span_of("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                    "-----END CERTIFICATE-----\n", 60)),
                    LTS_E_INPUT);
    /* CMS that is not SignedData */
    const char *in = ct_write(0, "data.txt", lts_span_of(doc, strlen(doc)));
    const char *out = lts_test_tmp_file(1, "data.cms");
    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -data_create -binary -in '%s' -outform DER -out '%s'",
                                in, out), 0);
    CU_ASSERT_EQUAL(load(&c, out), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(c);
}

static void test_cades_check__truncated_and_trailing(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT, more = LTS_BUF_INIT;
    lts_cades *c = NULL;
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&sig, s, doc, &o));
    for (size_t cut = 1; cut < sig.n; cut += sig.n / 17 + 1) {
        CU_ASSERT_EQUAL(lts_cades_parse(&c, lts_span_of(sig.p, cut)), LTS_E_INPUT);
        CU_ASSERT_PTR_NULL(c);
    }
    LTS_ASSERT_OK(lts_buf_set(&more, lts_buf_span(&sig)));
    LTS_ASSERT_OK(lts_buf_append(&more, "\0", 1));
    CU_ASSERT_EQUAL(lts_cades_parse(&c, lts_buf_span(&more)), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "trailing"));
    lts_buf_dispose(&sig);
    lts_buf_dispose(&more);
    lts_signer_close(s);
}

/* openssl cms -sign -cades, attached and detached, DER and PEM */
static void test_cades_check__openssl_made(void)
{
    const char *in = ct_write(0, "doc.txt", lts_span_of(doc, strlen(doc)));
    const char *att = lts_test_tmp_file(1, "att.pem");
    const char *det = lts_test_tmp_file(2, "det.p7s");
    char cert[1024], key[1024], chain[1024];
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    lts_cades_check_opts co = LTS_CADES_CHECK_OPTS_INIT;
    snprintf(cert, sizeof cert, "%s", lts_test_pki_file(3, "signer-ec384.pem"));
    snprintf(key, sizeof key, "%s", lts_test_pki_file(3, "signer-ec384.key"));
    snprintf(chain, sizeof chain, "%s", lts_test_pki_file(3, "chain.pem"));
    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -sign -cades -binary -nodetach -md sha512 -in '%s' "
                                "-signer '%s' -inkey '%s' -certfile '%s' -outform PEM -out '%s'",
                                in, cert, key, chain, att), 0);
    LTS_ASSERT_OK(load(&c, att));
    CU_ASSERT(lts_cades_has_content(c));
    CU_ASSERT_EQUAL(lts_cades_cert_count(c), 3);
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signing_cert, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.alg.hash, LTS_HASH_SHA512);
    CU_ASSERT_EQUAL(k.alg.scheme, LTS_SCHEME_ECDSA);
    CU_ASSERT_EQUAL(lts_cades_check_signer(c, 1, NULL, &k), LTS_E_NOTFOUND);
    lts_cades_free(c);
    c = NULL;

    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -sign -cades -binary -in '%s' -signer '%s' -inkey '%s' "
                                "-outform DER -out '%s'", in, cert, key, det), 0);
    LTS_ASSERT_OK(load(&c, det));
    CU_ASSERT_FALSE(lts_cades_has_content(c));
    /* no content given: the digest stays unchecked */
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_FALSE(k.content_found);
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_UNCHECKED);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    /* the right content */
    co.detached_path = in;
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, &co, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    /* other content */
    co.detached_path = ct_write(4, "other.txt", lts_span_of("other", 5));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, &co, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_BAD);
    /* a content file that is missing: could not check, an error */
    co.detached_path = lts_test_tmp_file(4, "missing.txt");
    CU_ASSERT_EQUAL(lts_cades_check_signer(c, 0, &co, &k), LTS_E_IO);
    lts_cades_free(c);
}

/* plain CMS without ESS attribute, and without the signer's certificate */
static void test_cades_check__no_signing_cert(void)
{
    const char *in = ct_write(0, "doc.txt", lts_span_of(doc, strlen(doc)));
    const char *a = lts_test_tmp_file(1, "noess.p7m");
    const char *b = lts_test_tmp_file(2, "nocerts.p7m");
    char cert[1024], key[1024];
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    snprintf(cert, sizeof cert, "%s", lts_test_pki_file(3, "signer-rsa.pem"));
    snprintf(key, sizeof key, "%s", lts_test_pki_file(4, "signer-rsa.key"));
    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -sign -binary -nodetach -in '%s' -signer '%s' "
                                "-inkey '%s' -outform DER -out '%s'", in, cert, key, a), 0);
    LTS_ASSERT_OK(load(&c, a));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.signing_cert_attr, 0);
    CU_ASSERT_EQUAL(k.signing_cert, LTS_CADES_BAD);
    lts_cades_free(c);
    c = NULL;
    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -sign -cades -nocerts -binary -nodetach -in '%s' "
                                "-signer '%s' -inkey '%s' -outform DER -out '%s'",
                                in, cert, key, b), 0);
    LTS_ASSERT_OK(load(&c, b));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.signer_cert, -1);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_UNCHECKED);
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    lts_cades_free(c);
}

/* one flipped bit in the signature value, then in the content */
static void test_cades_check__tampered(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_signer_check k;
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&sig, s, doc, &o));
    /* the RSA value is the last 256 bytes of the SignerInfo, at the end of the file */
    sig.p[sig.n - 10] ^= 0x01;
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&sig)));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_BAD);
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(k.detail, "does not verify"));
    lts_cades_free(c);
    c = NULL;
    sig.p[sig.n - 10] ^= 0x01;
    uint8_t *hit = memmem(sig.p, sig.n, "checked", 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
    hit[0] = 'C';
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&sig)));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_BAD);
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    lts_cades_free(c);
    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

/* Deterministic mutations of a B-T-less signature: parse and check never crash, and
 * either refuse (LTS_E_INPUT) or give verdicts. */
static void test_cades_check__mutations(void)
{
    lts_signer *s = ct_signer("ec");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT, m = LTS_BUF_INIT;
    unsigned seed = 12345;
    size_t parsed = 0, bad_sig = 0;
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&sig, s, doc, &o));
    for (int i = 0; i < 3000; i++) {
        lts_cades *c = NULL;
        lts_cades_signer_check k;
        LTS_ASSERT_OK(lts_buf_set(&m, lts_buf_span(&sig)));
        for (int j = 0; j < 1 + i % 3; j++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % m.n;
            seed = seed * 1103515245u + 12345u;
            m.p[at] ^= (uint8_t)(1u << ((seed >> 16) % 8));
        }
        lts_status rc = lts_cades_parse(&c, lts_buf_span(&m));
        CU_ASSERT(rc == LTS_OK || rc == LTS_E_INPUT);
        if (rc != LTS_OK)
            continue;
        parsed++;
        for (size_t n = 0; n < lts_cades_signer_count(c); n++) {
            rc = lts_cades_check_signer(c, n, NULL, &k);
            CU_ASSERT(rc == LTS_OK);
            if (rc == LTS_OK && k.signature == LTS_CADES_BAD)
                bad_sig++;
            for (size_t t = 0; t < lts_cades_timestamp_count(c, n); t++) {
                lts_cades_ts_check tc;
                lts_status trc = lts_cades_check_timestamp(c, n, t, &tc);
                CU_ASSERT(trc == LTS_OK || trc == LTS_E_INPUT);
                lts_cades_ts_check_dispose(&tc);
            }
        }
        lts_cades_free(c);
    }
    CU_ASSERT(parsed > 0);
    CU_ASSERT(bad_sig > 0);
    lts_buf_dispose(&sig);
    lts_buf_dispose(&m);
    lts_signer_close(s);
}

/* Allocation failures: each one gives LTS_E_NOMEM (or success), never a crash or leak. */
static void test_cades_check__oom(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT;
    int ok_at = -1;
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&sig, s, doc, &o));
    for (long i = 0; i < 200 && ok_at < 0; i++) {
        lts_cades *c = NULL;
        lts_cades_signer_check k;
        lts_mem__fail_after(i, 0);
        lts_status rc = lts_cades_parse(&c, lts_buf_span(&sig));
        if (rc == LTS_OK)
            rc = lts_cades_check_signer(c, 0, NULL, &k);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(rc == LTS_OK || rc == LTS_E_NOMEM);
        if (rc == LTS_OK)
            ok_at = (int)i;
        lts_cades_free(c);
    }
    CU_ASSERT(ok_at > 0);
    for (long i = 0; i < 400; i++) {
        lts_buf out = LTS_BUF_INIT;
        lts_mem__fail_after(i, 0);
        lts_status rc = ct_sign(&out, s, doc, &o);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(rc == LTS_OK || rc == LTS_E_NOMEM || rc == LTS_E_IO);
        if (rc != LTS_OK)
            CU_ASSERT_EQUAL(out.n, 0);
        lts_buf_dispose(&out);
        if (rc == LTS_OK)
            break;
    }
    lts_buf_dispose(&sig);
    lts_signer_close(s);
}

int lts_suite_cades_check(void)
{
    static CU_TestInfo tests[] = {
        { "parse_rejects", test_cades_check__parse_rejects },
        { "truncated_and_trailing", test_cades_check__truncated_and_trailing },
        { "openssl_made", test_cades_check__openssl_made },
        { "no_signing_cert", test_cades_check__no_signing_cert },
        { "tampered", test_cades_check__tampered },
        { "mutations", test_cades_check__mutations },
        { "oom", test_cades_check__oom },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("cades_check", NULL, NULL, tests);
}
