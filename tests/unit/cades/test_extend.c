/* tests for formats/cades/extend.c and tscheck.c: B-T with a real RFC 3161 responder
 * (tsa/ module, in process on a free loopback port), checked by openssl cms / openssl ts. */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "lts_test.h"
#include "cades_test.h"
#include "cades_int.h"
#include "core/der.h"
#include "core/digest.h"
#include "core/io.h"

static lts_signer *tsa_signer;
static lts_tsa_responder *responder;
static lts_tsa_server *server;
static lts_tsa *tsa;

static int setup(void)
{
    lts_signer_opts so = LTS_SIGNER_OPTS_INIT;
    lts_tsa_responder_opts ro = LTS_TSA_RESPONDER_OPTS_INIT;
    lts_tsa_server_opts sv = LTS_TSA_SERVER_OPTS_INIT;
    char uri[1100], url[64];
    const char *urls[1] = { url };
    snprintf(uri, sizeof uri, "file:%s", lts_test_pki_file(0, "tsa.p12"));
    so.passin = "pass:test1234";
    if (lts_signer_open(&tsa_signer, uri, &so) != LTS_OK ||
        lts_tsa_responder_new(&responder, tsa_signer, &ro) != LTS_OK ||
        lts_tsa_server_start(&server, responder, &sv) != LTS_OK) {
        fprintf(stderr, "TSA setup: %s\n", lts_error_last()->message);
        return 1;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", lts_tsa_server_port(server));
    return lts_tsa_open_http(&tsa, urls, 1, NULL) != LTS_OK;
}

static int teardown(void)
{
    lts_tsa_close(tsa);
    lts_tsa_server_stop(server);
    lts_tsa_responder_free(responder);
    lts_signer_close(tsa_signer);
    return 0;
}

/* openssl ts -verify of token t over the signature value of SignerInfo 0 of c */
static int ts_verify_with_openssl(const lts_cades *c, const lts_cades_ts_check *t)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(c->cms);
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(sk_CMS_SignerInfo_value(sis, 0));
    uint8_t dg[LTS_HASH_MAX];
    size_t dn = 0;
    char hex[2 * LTS_HASH_MAX + 1];
    if (lts_digest__span(t->imprint_hash, lts_span_of(ASN1_STRING_get0_data(sig),
                                                      (size_t)ASN1_STRING_length(sig)), dg, &dn))
        return -1;
    for (size_t i = 0; i < dn; i++)
        snprintf(hex + 2 * i, 3, "%02x", dg[i]);
    const char *tok = ct_write(2, "token.der", lts_cades_der(t->token));
    return ct_sh("openssl ts -verify -token_in -in '%s' -digest %s -CAfile '%s' "
                 ">/dev/null 2>&1", tok, hex, lts_test_pki_file(3, "root.pem"));
}

static void test_cades_extend__sign_bt(void)
{
    lts_signer *s = ct_signer("ec");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf out = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_ts_check t;
    lts_cades_signer_check k;
    if (s == NULL)
        return;
    o.level = LTS_LEVEL_B_T;
    o.hash = LTS_HASH_SHA384;
    o.tsa = tsa;
    LTS_ASSERT_OK(ct_sign(&out, s, "time-stamped content\n", &o));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    LTS_ASSERT_OK(lts_cades_check_signer(c, 0, NULL, &k));
    CU_ASSERT_EQUAL(k.signature, LTS_CADES_OK);
    CU_ASSERT_EQUAL(k.message_digest, LTS_CADES_OK);
    CU_ASSERT_EQUAL_FATAL(lts_cades_timestamp_count(c, 0), 1);
    LTS_ASSERT_OK(lts_cades_check_timestamp(c, 0, 0, &t));
    CU_ASSERT_PTR_NOT_NULL_FATAL(t.token);
    CU_ASSERT_STRING_EQUAL(t.kind, "signature-time-stamp");
    CU_ASSERT_EQUAL(t.imprint, LTS_CADES_OK);
    CU_ASSERT_EQUAL(t.imprint_hash, LTS_HASH_SHA384);
    CU_ASSERT_EQUAL(t.token_check.signature, LTS_CADES_OK);
    CU_ASSERT_EQUAL(t.token_check.message_digest, LTS_CADES_OK);
    CU_ASSERT_EQUAL(t.token_check.signing_cert, LTS_CADES_OK);
    CU_ASSERT(t.has_gen_time && t.gen_time > lts_clock_now(NULL) - 600 &&
              t.gen_time <= lts_clock_now(NULL) + 5);
    CU_ASSERT_EQUAL(ts_verify_with_openssl(c, &t), 0);
    lts_cades_ts_check_dispose(&t);
    CU_ASSERT_EQUAL(lts_cades_check_timestamp(c, 0, 1, &t), LTS_E_NOTFOUND);
    CU_ASSERT_PTR_NULL(t.token);
    const char *sig = ct_write(0, "bt.p7m", lts_buf_span(&out));
    CU_ASSERT_EQUAL(ct_sh("openssl cms -verify -binary -inform DER -in '%s' -CAfile '%s' "
                          "-purpose any -out /dev/null 2>/dev/null", sig,
                          lts_test_pki_file(1, "root.pem")), 0);
    CU_ASSERT_EQUAL(ct_sh("openssl cms -cmsout -print -inform DER -in '%s' | "
                          "grep -q id-smime-aa-timeStampToken", sig), 0);
    /* the whole validation: B-T, time-stamp passed, best signature time = genTime */
    {
        lts_validate_opts vo = LTS_VALIDATE_OPTS_INIT;
        lts_report *r = NULL;
        vo.trust = lts_test_pki_file(1, "root.pem");
        LTS_ASSERT_OK(lts_validate_file(sig, &vo, &r));
        CU_ASSERT_EQUAL(r->indication, LTS_IND_TOTAL_PASSED);
        CU_ASSERT_STRING_EQUAL(r->sigs[0].level, "B-T");
        CU_ASSERT_EQUAL_FATAL(r->sigs[0].n_timestamps, 1);
        CU_ASSERT_EQUAL(r->sigs[0].timestamps[0].indication, LTS_IND_TOTAL_PASSED);
        CU_ASSERT_PTR_NOT_NULL(r->sigs[0].timestamps[0].tsa);
        CU_ASSERT(r->sigs[0].best_signature_time <= r->validation_time);
        CU_ASSERT_EQUAL(r->sigs[0].best_signature_time, r->sigs[0].timestamps[0].gen_time);
        lts_report_free(r);
    }
    lts_cades_free(c);
    lts_buf_dispose(&out);
    lts_signer_close(s);
}

/* The SignerInfo of der without its header, as a span into der. */
static lts_span signer_info(lts_span der)
{
    lts_der_tlv t, kids[8];
    size_t n = 0;
    lts_span v;
    CU_ASSERT_FATAL(lts_der__one(der, &t) == LTS_OK);
    v = t.value;
    CU_ASSERT_FATAL(lts_der__next(&v, &kids[0]) == LTS_OK);
    CU_ASSERT_FATAL(lts_der__next(&v, &kids[1]) == LTS_OK); /* [0] */
    CU_ASSERT_FATAL(lts_der__one(kids[1].value, &t) == LTS_OK); /* SignedData */
    v = t.value;
    while (v.n && n < 8)
        CU_ASSERT_FATAL(lts_der__next(&v, &kids[n++]) == LTS_OK);
    CU_ASSERT_FATAL(lts_der__one(kids[n - 1].value, &t) == LTS_OK); /* the one SignerInfo */
    return t.value;
}

/* Another tool's B-B: every byte of it is kept, the attribute is appended. */
static void test_cades_extend__keeps_bytes(void)
{
    const char *in = ct_write(0, "doc.txt", lts_span_of("kept\n", 5));
    const char *p7 = lts_test_tmp_file(1, "ossl.p7s");
    lts_buf orig = LTS_BUF_INIT, ext = LTS_BUF_INIT, again = LTS_BUF_INIT;
    lts_cades_extend_opts eo = LTS_CADES_EXTEND_OPTS_INIT;
    char cert[1024], key[1024], chain[1024];
    snprintf(cert, sizeof cert, "%s", lts_test_pki_file(3, "signer-rsa.pem"));
    snprintf(key, sizeof key, "%s", lts_test_pki_file(3, "signer-rsa.key"));
    snprintf(chain, sizeof chain, "%s", lts_test_pki_file(3, "chain.pem"));
    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -sign -cades -binary -in '%s' -signer '%s' "
                                "-inkey '%s' -certfile '%s' -outform DER -out '%s'",
                                in, cert, key, chain, p7), 0);
    LTS_ASSERT_OK(lts_io__read_file(&orig, p7, 0));
    eo.level = LTS_LEVEL_ES_T;
    eo.tsa = tsa;
    LTS_ASSERT_OK(lts_cades_extend(&ext, lts_buf_span(&orig), &eo));
    lts_span a = signer_info(lts_buf_span(&orig)), b = signer_info(lts_buf_span(&ext));
    CU_ASSERT(b.n > a.n && memcmp(a.p, b.p, a.n) == 0); /* same prefix, unsigned attrs after */
    /* the certificates and encapContentInfo before the SignerInfos are unchanged too */
    CU_ASSERT(memmem(ext.p, ext.n, orig.p + 30, (size_t)(a.p - orig.p) - 60) != NULL);
    const char *e = ct_write(2, "ext.p7s", lts_buf_span(&ext));
    CU_ASSERT_EQUAL(ct_sh("openssl cms -verify -binary -inform DER -in '%s' -content '%s' "
                          "-CAfile '%s' -purpose any -out /dev/null 2>/dev/null", e, in,
                          lts_test_pki_file(4, "root.pem")), 0);
    /* already B-T: nothing to add, the same bytes */
    LTS_ASSERT_OK(lts_cades_extend(&again, lts_buf_span(&ext), &eo));
    CU_ASSERT(lts_span_eq(lts_buf_span(&again), lts_buf_span(&ext)));
    lts_buf_dispose(&orig);
    lts_buf_dispose(&ext);
    lts_buf_dispose(&again);
}

static void test_cades_extend__rejects(void)
{
    const char *in = ct_write(0, "doc.txt", lts_span_of("x\n", 2));
    const char *ber = lts_test_tmp_file(1, "ber.p7m");
    lts_buf b = LTS_BUF_INIT, out = LTS_BUF_INIT;
    lts_cades_extend_opts eo = LTS_CADES_EXTEND_OPTS_INIT;
    char cert[1024], key[1024];
    snprintf(cert, sizeof cert, "%s", lts_test_pki_file(3, "signer-rsa.pem"));
    snprintf(key, sizeof key, "%s", lts_test_pki_file(4, "signer-rsa.key"));
    CU_ASSERT_EQUAL_FATAL(ct_sh("openssl cms -sign -cades -binary -nodetach -stream -in '%s' "
                                "-signer '%s' -inkey '%s' -outform DER -out '%s'",
                                in, cert, key, ber), 0);
    LTS_ASSERT_OK(lts_io__read_file(&b, ber, 0));
    eo.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_cades_extend(&out, lts_buf_span(&b), &eo), LTS_E_CONFIG); /* no TSA */
    eo.tsa = tsa;
    CU_ASSERT_EQUAL(lts_cades_extend(&out, lts_buf_span(&b), &eo), LTS_E_INPUT); /* indefinite */
    CU_ASSERT_EQUAL(out.n, 0);
    eo.level = (lts_level)99;
    CU_ASSERT_EQUAL(lts_cades_extend(&out, lts_buf_span(&b), &eo), LTS_E_UNSUPPORTED);
    eo.level = LTS_LEVEL_ES_XL; /* without a validation data source */
    CU_ASSERT_EQUAL(lts_cades_extend(&out, lts_buf_span(&b), &eo), LTS_E_CONFIG);
    eo.level = LTS_LEVEL_B_LTA; /* without a validation data source */
    CU_ASSERT_EQUAL(lts_cades_extend(&out, lts_buf_span(&b), &eo), LTS_E_CONFIG);
    eo.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_cades_extend(&out, lts_span_of("junk", 4), &eo), LTS_E_INPUT);
    CU_ASSERT_EQUAL(out.n, 0);
    lts_buf_dispose(&b);
}

/* A token over another digest: the imprint check fails, the time-stamp is no proof. */
static void test_cades_extend__wrong_imprint(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf bb = LTS_BUF_INIT, tok = LTS_BUF_INIT, attr = LTS_BUF_INIT, out = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_ts_check t;
    uint8_t other[32];
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&bb, s, "content\n", &o));
    memset(other, 7, sizeof other);
    LTS_ASSERT_OK(lts_tsa_stamp(tsa, LTS_HASH_SHA256, lts_span_of(other, 32), &tok));
    {
        /* Attribute { id-aa-signatureTimeStampToken, SET { token } } */
        ASN1_OBJECT *oid = OBJ_nid2obj(NID_id_smime_aa_timeStampToken);
        unsigned char *od = NULL;
        int on = i2d_ASN1_OBJECT(oid, &od);
        lts_buf set = LTS_BUF_INIT;
        lts_span ts = lts_buf_span(&tok);
        LTS_ASSERT_OK(lts_der__append_set_of(&set, &ts, 1));
        lts_span parts[] = { lts_span_of(od, (size_t)on), lts_buf_span(&set) };
        LTS_ASSERT_OK(lts_der__append_cons(&attr, LTS_DER_SEQUENCE, parts, 2));
        OPENSSL_free(od);
        lts_buf_dispose(&set);
    }
    const lts_buf *add[1] = { &attr };
    size_t n_add[1] = { 1 };
    LTS_ASSERT_OK(lts_cades__splice(&out, lts_buf_span(&bb), add, n_add, 1));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    LTS_ASSERT_OK(lts_cades_check_timestamp(c, 0, 0, &t));
    CU_ASSERT_EQUAL(t.imprint, LTS_CADES_BAD);
    CU_ASSERT_EQUAL(t.token_check.signature, LTS_CADES_OK);
    lts_cades_ts_check_dispose(&t);
    {
        const char *p = ct_write(0, "badts.p7m", lts_buf_span(&out));
        lts_validate_opts vo = LTS_VALIDATE_OPTS_INIT;
        lts_report *r = NULL;
        vo.trust = lts_test_pki_file(1, "root.pem");
        LTS_ASSERT_OK(lts_validate_file(p, &vo, &r));
        /* a time-stamp that does not match what it covers fails the signature: the file
         * was changed after it was made (validation/validate.c) */
        CU_ASSERT_EQUAL(r->sigs[0].indication, LTS_IND_TOTAL_FAILED);
        CU_ASSERT_EQUAL(r->sigs[0].subindication, LTS_SUB_HASH_FAILURE);
        CU_ASSERT_EQUAL_FATAL(r->sigs[0].n_timestamps, 1);
        CU_ASSERT_EQUAL(r->sigs[0].timestamps[0].indication, LTS_IND_TOTAL_FAILED);
        CU_ASSERT_EQUAL(r->sigs[0].timestamps[0].subindication, LTS_SUB_HASH_FAILURE);
        CU_ASSERT_EQUAL(r->sigs[0].best_signature_time, r->validation_time);
        lts_report_free(r);
    }
    lts_cades_free(c);
    lts_buf_dispose(&bb);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&attr);
    lts_buf_dispose(&out);
    lts_signer_close(s);
}

static void der_of_pem_cert(lts_buf *out, const char *name)
{
    FILE *f = fopen(lts_test_pki_file(5, name), "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    CU_ASSERT_FATAL(n > 0);
    LTS_ASSERT_OK(lts_buf_set(out, lts_span_of(d, (size_t)n)));
    OPENSSL_free(d);
    X509_free(x);
}

/* certificates and revocation values added to SignedData (what B-LT does), duplicates
 * skipped, version 5; the signature still verifies */
static void test_cades_extend__splice_certs_crls(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_buf bb = LTS_BUF_INIT, out = LTS_BUF_INIT, crl = LTS_BUF_INIT, c1 = LTS_BUF_INIT,
            c2 = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades__splice_in in;
    if (s == NULL)
        return;
    LTS_ASSERT_OK(ct_sign(&bb, s, "content\n", &o));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&bb)));
    size_t before = lts_cades_cert_count(c);
    CU_ASSERT_EQUAL(lts_cades_revocation_count(c), 0);
    lts_cades_free(c);
    c = NULL;
    LTS_ASSERT_OK(lts_io__read_file(&crl, lts_test_pki_file(4, "inter.crl"), 0));
    der_of_pem_cert(&c1, "inter.pem");          /* already embedded */
    der_of_pem_cert(&c2, "untrusted-root.pem"); /* new */
    lts_span certs[] = { lts_buf_span(&c1), lts_buf_span(&c2) };
    lts_span revs[] = { lts_buf_span(&crl) };
    memset(&in, 0, sizeof in);
    in.n_signers = 1;
    in.certs = certs;
    in.n_certs = 2;
    in.revs = revs;
    in.n_revs = 1;
    in.version = 5;
    LTS_ASSERT_OK(lts_cades__splice2(&out, lts_buf_span(&bb), &in));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    CU_ASSERT_EQUAL(lts_cades_cert_count(c), before + 1);
    CU_ASSERT_EQUAL(lts_cades_revocation_count(c), 1);
    const char *p = ct_write(0, "ltv.p7m", lts_buf_span(&out));
    CU_ASSERT_EQUAL(ct_sh("openssl cms -verify -binary -inform DER -in '%s' -CAfile '%s' "
                          "-purpose any -out /dev/null 2>/dev/null", p,
                          lts_test_pki_file(1, "root.pem")), 0);
    CU_ASSERT_EQUAL(ct_sh("openssl cms -cmsout -print -inform DER -in '%s' | "
                          "grep -q '^    version: 5'", p), 0);
    lts_cades_free(c);
    lts_buf_dispose(&bb);
    lts_buf_dispose(&out);
    lts_buf_dispose(&crl);
    lts_buf_dispose(&c1);
    lts_buf_dispose(&c2);
    lts_signer_close(s);
}

/* B-LT end to end with the online collector, when the suite's HTTP/OCSP services run */
static void test_cades_extend__blt_online(void)
{
    lts_signer *s = NULL;
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_vdata_source *src = NULL;
    lts_buf out = LTS_BUF_INIT;
    lts_cades *c = NULL;
    if (ct_sh(". '%s' && curl -s -f -m 3 -o /dev/null "
              "http://127.0.0.1:$LTS_TEST_HTTP_PORT/inter.crl", lts_test_pki_file(0, "env.sh")) != 0) {
        fprintf(stderr, "(no HTTP/OCSP services: online B-LT skipped) ");
        return;
    }
    s = ct_signer("ec");
    vo.trust_file = lts_test_pki_file(2, "root.pem");
    LTS_ASSERT_OK(lts_vdata_online_new(&src, &vo));
    o.level = LTS_LEVEL_B_LT;
    o.tsa = tsa;
    /* no vdata source: a configuration error */
    CU_ASSERT_EQUAL(ct_sign(&out, s, "long-term content\n", &o), LTS_E_CONFIG);
    o.vdata = src;
    LTS_ASSERT_OK(ct_sign(&out, s, "long-term content\n", &o));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&out)));
    CU_ASSERT(lts_cades_revocation_count(c) >= 2); /* signer and TSA paths */
    CU_ASSERT_EQUAL(lts_cades_timestamp_count(c, 0), 1);
    const char *p = ct_write(0, "blt.p7m", lts_buf_span(&out));
    CU_ASSERT_EQUAL(ct_sh("openssl cms -verify -binary -inform DER -in '%s' -CAfile '%s' "
                          "-purpose any -out /dev/null 2>/dev/null", p,
                          lts_test_pki_file(1, "root.pem")), 0);
    {
        lts_validate_opts vopt = LTS_VALIDATE_OPTS_INIT;
        lts_report *r = NULL;
        vopt.trust = lts_test_pki_file(1, "root.pem");
        LTS_ASSERT_OK(lts_validate_file(p, &vopt, &r));
        CU_ASSERT_EQUAL(r->indication, LTS_IND_TOTAL_PASSED);
        CU_ASSERT_STRING_EQUAL(r->sigs[0].level, "B-LT");
        lts_report_free(r);
    }
    lts_cades_free(c);
    lts_buf_dispose(&out);
    lts_vdata_free(src);
    lts_signer_close(s);
}

/* B-LTA offline: B-T, a CRL and a certificate added, then an archive-time-stamp-v3; the
 * archive time-stamp verifies with openssl ts -verify against the imprint we recompute,
 * and a changed CRL byte afterwards breaks its hash index. */
static void test_cades_extend__archive_v3(void)
{
    lts_signer *s = ct_signer("rsa");
    lts_cades_sign_opts o = LTS_CADES_SIGN_OPTS_INIT;
    lts_cades_extend_opts eo = LTS_CADES_EXTEND_OPTS_INIT;
    lts_buf bt = LTS_BUF_INIT, lt = LTS_BUF_INIT, lta = LTS_BUF_INIT, crl = LTS_BUF_INIT;
    lts_cades *c = NULL;
    lts_cades_ts_check t;
    lts_cades__splice_in in;
    if (s == NULL)
        return;
    o.level = LTS_LEVEL_B_T;
    o.tsa = tsa;
    LTS_ASSERT_OK(ct_sign(&bt, s, "archived content\n", &o));
    LTS_ASSERT_OK(lts_io__read_file(&crl, lts_test_pki_file(4, "inter.crl"), 0));
    lts_span revs[] = { lts_buf_span(&crl) };
    memset(&in, 0, sizeof in);
    in.n_signers = 1;
    in.revs = revs;
    in.n_revs = 1;
    LTS_ASSERT_OK(lts_cades__splice2(&lt, lts_buf_span(&bt), &in));
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&lt)));
    eo.level = LTS_LEVEL_B_LTA;
    eo.tsa = tsa;
    LTS_ASSERT_OK(lts_cades__add_ats(&lta, c, &eo));
    lts_cades_free(c);
    c = NULL;
    LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&lta)));
    CU_ASSERT_EQUAL_FATAL(lts_cades_timestamp_count(c, 0), 2);
    LTS_ASSERT_OK(lts_cades_check_timestamp(c, 0, 1, &t));
    CU_ASSERT_STRING_EQUAL(t.kind, "archive-time-stamp-v3");
    CU_ASSERT_EQUAL(t.imprint, LTS_CADES_OK);
    CU_ASSERT_EQUAL(t.token_check.signature, LTS_CADES_OK);
    CU_ASSERT_STRING_EQUAL(t.detail, "");
    lts_cades_ts_check_dispose(&t);
    const char *p = ct_write(0, "lta.p7m", lts_buf_span(&lta));
    CU_ASSERT_EQUAL(ct_sh("openssl cms -verify -binary -inform DER -in '%s' -CAfile '%s' "
                          "-purpose any -out /dev/null 2>/dev/null", p,
                          lts_test_pki_file(1, "root.pem")), 0);
    {
        lts_validate_opts vo = LTS_VALIDATE_OPTS_INIT;
        lts_report *r = NULL;
        vo.trust = lts_test_pki_file(1, "root.pem");
        LTS_ASSERT_OK(lts_validate_file(p, &vo, &r));
        CU_ASSERT_EQUAL(r->indication, LTS_IND_TOTAL_PASSED);
        CU_ASSERT_STRING_EQUAL(r->sigs[0].level, "B-LTA");
        CU_ASSERT_EQUAL_FATAL(r->sigs[0].n_timestamps, 2);
        CU_ASSERT_EQUAL(r->sigs[0].timestamps[1].indication, LTS_IND_TOTAL_PASSED);
        lts_report_free(r);
    }
    /* a second archive time-stamp (renewal) covers the first */
    {
        lts_buf lta2 = LTS_BUF_INIT;
        lts_cades_free(c);
        c = NULL;
        LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&lta)));
        LTS_ASSERT_OK(lts_cades__add_ats(&lta2, c, &eo));
        lts_cades_free(c);
        c = NULL;
        LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&lta2)));
        CU_ASSERT_EQUAL(lts_cades_timestamp_count(c, 0), 3);
        for (size_t k = 0; k < 3; k++) {
            LTS_ASSERT_OK(lts_cades_check_timestamp(c, 0, k, &t));
            CU_ASSERT_EQUAL(t.imprint, LTS_CADES_OK);
            lts_cades_ts_check_dispose(&t);
        }
        lts_buf_dispose(&lta2);
    }
    /* a CRL byte changed after archiving: the index no longer matches */
    {
        uint8_t *hit = memmem(lta.p, lta.n, crl.p + crl.n - 40, 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
        hit[3] ^= 0x01;
        lts_cades_free(c);
        c = NULL;
        LTS_ASSERT_OK(lts_cades_parse(&c, lts_buf_span(&lta)));
        LTS_ASSERT_OK(lts_cades_check_timestamp(c, 0, 1, &t));
        CU_ASSERT_EQUAL(t.imprint, LTS_CADES_BAD);
        CU_ASSERT_PTR_NOT_NULL(strstr(t.detail, "ats-hash-index-v3"));
        lts_cades_ts_check_dispose(&t);
        p = ct_write(0, "lta-bad.p7m", lts_buf_span(&lta));
        lts_validate_opts vo = LTS_VALIDATE_OPTS_INIT;
        lts_report *r = NULL;
        vo.trust = lts_test_pki_file(1, "root.pem");
        LTS_ASSERT_OK(lts_validate_file(p, &vo, &r));
        CU_ASSERT_EQUAL(r->sigs[0].timestamps[1].indication, LTS_IND_TOTAL_FAILED);
        CU_ASSERT_EQUAL(r->sigs[0].timestamps[1].subindication, LTS_SUB_HASH_FAILURE);
        lts_report_free(r);
    }
    lts_cades_free(c);
    lts_buf_dispose(&bt);
    lts_buf_dispose(&lt);
    lts_buf_dispose(&lta);
    lts_buf_dispose(&crl);
    lts_signer_close(s);
}

int lts_suite_cades_extend(void)
{
    static CU_TestInfo tests[] = {
        { "sign_bt", test_cades_extend__sign_bt },
        { "keeps_bytes", test_cades_extend__keeps_bytes },
        { "rejects", test_cades_extend__rejects },
        { "wrong_imprint", test_cades_extend__wrong_imprint },
        { "splice_certs_crls", test_cades_extend__splice_certs_crls },
        { "blt_online", test_cades_extend__blt_online },
        { "archive_v3", test_cades_extend__archive_v3 },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("cades_extend", setup, teardown, tests);
}
