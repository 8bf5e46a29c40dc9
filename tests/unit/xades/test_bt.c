/* tests for formats/xades/timestamp.c: B-T signing through an in-process TSA responder;
 * the token is checked by lts_xades_check_file and by `openssl ts -verify` against the
 * digest of the canonicalised ds:SignatureValue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "lts_test.h"
#include "xades_int.h"
#include "core/codec.h"

static lts_signer *open_p12(const char *name)
{
    lts_signer *s = NULL;
    lts_signer_opts o = LTS_SIGNER_OPTS_INIT;
    char uri[600];
    const char *p12 = lts_test_pki_file(7, name);
    if (p12 == NULL)
        return NULL;
    snprintf(uri, sizeof uri, "file:%s", p12);
    o.passin = "pass:test1234";
    LTS_ASSERT_OK(lts_signer_open(&s, uri, &o));
    return s;
}

static const char *write_tmp(int slot, const char *name, const void *p, size_t n)
{
    const char *path = lts_test_tmp_file(slot, name);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
    return path;
}

static void test_xades_bt__sign_and_check(void)
{
    lts_signer *s = open_p12("signer-ec.p12"), *ts = open_p12("tsa.p12");
    lts_tsa_responder *resp = NULL;
    lts_tsa *tsa = NULL;
    lts_xades_sign_opts o = LTS_XADES_SIGN_OPTS_INIT;
    lts_buf sig = LTS_BUF_INIT, c14n = LTS_BUF_INIT, tok = LTS_BUF_INIT, hex = LTS_BUF_INIT;
    lts_xades_check *k = NULL;
    size_t n = 0;
    xmlDocPtr doc = NULL;
    static const char xml[] = "<a xmlns=\"urn:a\"><b>bt</b></a>";
    if (s == NULL || ts == NULL)
        return;
    LTS_ASSERT_OK(lts_tsa_responder_new(&resp, ts, NULL));
    LTS_ASSERT_OK(lts_tsa_open_responder(&tsa, resp, NULL));
    const char *in = write_tmp(0, "bt.xml", xml, sizeof xml - 1);

    o.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_xades_sign_file(&sig, s, in, &o), LTS_E_CONFIG); /* no TSA */
    o.tsa = tsa;
    LTS_ASSERT_OK(lts_xades_sign_file(&sig, s, in, &o));
    const char *out = write_tmp(1, "bt-signed.xml", sig.p, sig.n);
    LTS_ASSERT_OK(lts_xades_check_file(out, NULL, &k, &n));
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(k->level, "B-T");
    CU_ASSERT(k->sig_ok);
    CU_ASSERT_EQUAL_FATAL(k->n_timestamps, 1);
    CU_ASSERT(k->timestamps[0].imprint_ok);
    CU_ASSERT(k->timestamps[0].token_ok);
    CU_ASSERT(k->timestamps[0].has_gen_time);
    CU_ASSERT(k->timestamps[0].tsa_cert.n > 0);
    CU_ASSERT_PTR_NULL(k->timestamps[0].problem);
    lts_xades_checks_free(k, n);

    /* openssl ts -verify: the token against the digest of C14N(ds:SignatureValue) */
    LTS_ASSERT_OK(lts_xades__parse(&doc, lts_buf_span(&sig), "bt"));
    xmlNodePtr root = xmlDocGetRootElement(doc), sv = NULL, sts = NULL;
    for (xmlNodePtr x = root; x; x = lts_xades__next(x, root)) {
        if (lts_xades__is(x, "SignatureValue", LTS_NS_DS))
            sv = x;
        if (lts_xades__is(x, "SignatureTimeStamp", LTS_NS_XADES))
            sts = x;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(sv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sts);
    LTS_ASSERT_OK(lts_xades__c14n(lts_xades__child(sts, "CanonicalizationMethod", LTS_NS_DS), sv,
                                  &c14n));
    CU_ASSERT(c14n.n > 20 && memcmp(c14n.p, "<ds:SignatureValue xmlns:ds=", 28) == 0);
    {
        uint8_t md[32];
        unsigned int mdlen = 0;
        lts_buf b64 = LTS_BUF_INIT;
        char cmd[2048];
        EVP_Digest(c14n.p, c14n.n, md, &mdlen, EVP_sha256(), NULL);
        LTS_ASSERT_OK(lts_hex__encode(&hex, lts_span_of(md, mdlen)));
        LTS_ASSERT_OK(lts_xades__text(lts_xades__child(sts, "EncapsulatedTimeStamp", LTS_NS_XADES),
                                      &b64));
        LTS_ASSERT_OK(lts_b64__decode(&tok, (const char *)b64.p, b64.n));
        lts_buf_dispose(&b64);
        const char *tokf = write_tmp(2, "token.der", tok.p, tok.n);
        snprintf(cmd, sizeof cmd,
                 "openssl ts -verify -token_in -in '%s' -digest %s -CAfile '%s' -untrusted '%s' "
                 ">/dev/null 2>&1", tokf, (const char *)hex.p, lts_test_pki_file(0, "root.pem"),
                 lts_test_pki_file(1, "tsa-chain.pem"));
        CU_ASSERT_EQUAL(system(cmd), 0);
        /* and not against another digest */
        ((char *)hex.p)[0] = hex.p[0] == '0' ? '1' : '0';
        snprintf(cmd, sizeof cmd,
                 "openssl ts -verify -token_in -in '%s' -digest %s -CAfile '%s' -untrusted '%s' "
                 ">/dev/null 2>&1", tokf, (const char *)hex.p, lts_test_pki_file(0, "root.pem"),
                 lts_test_pki_file(1, "tsa-chain.pem"));
        CU_ASSERT_NOT_EQUAL(system(cmd), 0);
    }

    /* a SignatureValue changed after time-stamping: the imprint no longer matches */
    {
        xmlChar *v = xmlNodeGetContent(sv);
        v[3] = v[3] == 'A' ? 'B' : 'A';
        xmlNodeSetContent(sv, v);
        xmlFree(v);
        xmlChar *mem = NULL;
        int len = 0;
        xmlDocDumpMemory(doc, &mem, &len);
        const char *bad = write_tmp(3, "bt-bad.xml", mem, (size_t)len);
        xmlFree(mem);
        LTS_ASSERT_OK(lts_xades_check_file(bad, NULL, &k, &n));
        CU_ASSERT(!k->sig_ok);
        CU_ASSERT_EQUAL_FATAL(k->n_timestamps, 1);
        CU_ASSERT(!k->timestamps[0].imprint_ok);
        CU_ASSERT(k->timestamps[0].token_ok);
        lts_xades_checks_free(k, n);
    }

    xmlFreeDoc(doc);
    lts_buf_dispose(&sig);
    lts_buf_dispose(&c14n);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&hex);
    lts_tsa_close(tsa);
    lts_tsa_responder_free(resp);
    lts_signer_close(ts);
    lts_signer_close(s);
}

int lts_suite_xades_bt(void)
{
    static CU_TestInfo tests[] = {
        { "sign_and_check", test_xades_bt__sign_and_check },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_bt", NULL, NULL, tests);
}

/* Extend B-B -> B-T -> B-LTA -> B-LTA again (renewal): every timestamp verifies, the second
 * archive timestamp is preceded by the validation data of the first one's TSA. Needs the
 * suite's HTTP/OCSP services (the fixture) for the validation data. */
static void test_xades_bt__extend_and_renew(void)
{
    lts_signer *s = open_p12("signer-rsa.p12"), *ts = open_p12("tsa.p12");
    lts_tsa_responder *resp = NULL;
    lts_tsa *tsa = NULL;
    lts_vdata_source *src = NULL;
    lts_vdata_online_opts vo = LTS_VDATA_ONLINE_OPTS_INIT;
    lts_xades_sign_opts so = LTS_XADES_SIGN_OPTS_INIT;
    lts_xades_extend_opts eo = LTS_XADES_EXTEND_OPTS_INIT;
    lts_buf b0 = LTS_BUF_INIT, b1 = LTS_BUF_INIT, b2 = LTS_BUF_INIT, b3 = LTS_BUF_INIT;
    lts_xades_check *k = NULL;
    size_t n = 0;
    static const char xml[] = "<a xmlns=\"urn:a\"><b>extend</b></a>";
    if (s == NULL || ts == NULL)
        return;
    LTS_ASSERT_OK(lts_tsa_responder_new(&resp, ts, NULL));
    LTS_ASSERT_OK(lts_tsa_open_responder(&tsa, resp, NULL));
    char root[512];
    snprintf(root, sizeof root, "%s", lts_test_pki_file(0, "root.pem"));
    vo.trust_file = root;
    LTS_ASSERT_OK(lts_vdata_online_new(&src, &vo));
    const char *in = write_tmp(0, "ext.xml", xml, sizeof xml - 1);
    LTS_ASSERT_OK(lts_xades_sign_file(&b0, s, in, &so));
    const char *f0 = write_tmp(1, "ext-bb.xml", b0.p, b0.n);

    eo.level = LTS_LEVEL_B_T;
    CU_ASSERT_EQUAL(lts_xades_extend_file(&b1, f0, &eo), LTS_E_CONFIG); /* no TSA */
    eo.tsa = tsa;
    LTS_ASSERT_OK(lts_xades_extend_file(&b1, f0, &eo));
    const char *f1 = write_tmp(2, "ext-bt.xml", b1.p, b1.n);
    LTS_ASSERT_OK(lts_xades_check_file(f1, NULL, &k, &n));
    CU_ASSERT_STRING_EQUAL(k->level, "B-T");
    CU_ASSERT(k->sig_ok && k->n_timestamps == 1 && k->timestamps[0].imprint_ok);
    lts_xades_checks_free(k, n);

    eo.level = LTS_LEVEL_B_LTA;
    eo.vdata = src;
    eo.trust_file = vo.trust_file;
    LTS_ASSERT_OK(lts_xades_extend_file(&b2, f1, &eo));
    const char *f2 = write_tmp(3, "ext-lta.xml", b2.p, b2.n);
    LTS_ASSERT_OK(lts_xades_check_file(f2, NULL, &k, &n));
    CU_ASSERT_STRING_EQUAL(k->level, "B-LTA");
    CU_ASSERT_EQUAL_FATAL(k->n_timestamps, 2);
    CU_ASSERT(k->timestamps[1].imprint_ok && k->timestamps[1].token_ok);
    CU_ASSERT_STRING_EQUAL(k->timestamps[1].kind, "archive-time-stamp");
    CU_ASSERT(k->n_ocsps + k->n_crls > 0);
    lts_xades_checks_free(k, n);

    LTS_ASSERT_OK(lts_xades_extend_file(&b3, f2, &eo)); /* renewal */
    const char *f3 = write_tmp(4, "ext-lta2.xml", b3.p, b3.n);
    LTS_ASSERT_OK(lts_xades_check_file(f3, NULL, &k, &n));
    CU_ASSERT_EQUAL_FATAL(k->n_timestamps, 3);
    for (size_t i = 0; i < 3; i++)
        CU_ASSERT(k->timestamps[i].imprint_ok && k->timestamps[i].token_ok);
    CU_ASSERT(k->sig_ok);
    lts_xades_checks_free(k, n);
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)b3.p, "TimeStampValidationData"));
    /* the signed part did not move: the B-B text from the root element up to SignatureValue
     * is unchanged (signing keeps the input's bytes; extending writes an XML declaration) */
    {
        const char *sv0 = strstr((char *)b0.p, "</ds:SignatureValue>");
        const char *r0 = strstr((char *)b0.p, "<a "), *r3 = strstr((char *)b3.p, "<a ");
        CU_ASSERT_PTR_NOT_NULL_FATAL(sv0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r3);
        CU_ASSERT_EQUAL(memcmp(r0, r3, (size_t)(sv0 - r0)), 0);
    }

    /* a broken signature is not extended */
    {
        lts_buf bad = LTS_BUF_INIT, o2 = LTS_BUF_INIT;
        LTS_ASSERT_OK(lts_buf_set(&bad, lts_buf_span(&b0)));
        char *p = strstr((char *)bad.p, "extend</b>");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p[0] = 'E';
        const char *fb = write_tmp(5, "ext-bad.xml", bad.p, bad.n);
        eo.level = LTS_LEVEL_B_T;
        CU_ASSERT_EQUAL(lts_xades_extend_file(&o2, fb, &eo), LTS_E_INPUT);
        CU_ASSERT_EQUAL(o2.n, 0);
        lts_buf_dispose(&bad);
        lts_buf_dispose(&o2);
    }

    lts_buf_dispose(&b0);
    lts_buf_dispose(&b1);
    lts_buf_dispose(&b2);
    lts_buf_dispose(&b3);
    lts_vdata_free(src);
    lts_tsa_close(tsa);
    lts_tsa_responder_free(resp);
    lts_signer_close(ts);
    lts_signer_close(s);
}

int lts_suite_xades_extend(void)
{
    static CU_TestInfo tests[] = {
        { "extend_and_renew", test_xades_bt__extend_and_renew },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_extend", NULL, NULL, tests);
}
