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
