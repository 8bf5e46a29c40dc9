/* tests for validation/report_xml.c: the ETSI TS 119 102-2 report, parsed back with libxml2
 * and queried with namespace-aware XPath. */
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include "report_test.h"
#include "core/mem.h"

typedef struct {
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
} parsed;

static void parse(parsed *p, const lts_report *r)
{
    lts_buf b = LTS_BUF_INIT;
    LTS_ASSERT_OK(lts_report_xml(r, &b));
    p->doc = xmlReadMemory((const char *)b.p, (int)b.n, NULL, NULL, XML_PARSE_NONET);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p->doc); /* well-formed */
    p->xp = xmlXPathNewContext(p->doc);
    xmlXPathRegisterNs(p->xp, (const xmlChar *)"vr", (const xmlChar *)"http://uri.etsi.org/19102/v1.2.1#");
    lts_buf_dispose(&b);
}

static void done(parsed *p)
{
    xmlXPathFreeContext(p->xp);
    xmlFreeDoc(p->doc);
}

static int count(parsed *p, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, p->xp);
    int n = o && o->nodesetval ? o->nodesetval->nodeNr : -1;
    xmlXPathFreeObject(o);
    return n;
}

/* The text of the first node matching expr, into buf. */
static const char *text(parsed *p, const char *expr, char *buf, size_t cap)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, p->xp);
    buf[0] = '\0';
    if (o && o->nodesetval && o->nodesetval->nodeNr > 0) {
        xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        snprintf(buf, cap, "%s", c ? (const char *)c : "");
        xmlFree(c);
    }
    xmlXPathFreeObject(o);
    return buf;
}

static lts_report *sample(lts_indication ind, lts_subindication sub)
{
    lts_report *r = rt_report("doc.p7s", rt_time("2026-11-26T10:00:00Z"));
    lts_sig_result *s = NULL;
    lts_ts_result *t = NULL;
    static const uint8_t fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    LTS_ASSERT_OK(lts_report__add_sig(r, "CAdES", &s));
    s->indication = ind;
    s->subindication = sub;
    LTS_ASSERT_OK(lts_report__set_str(&s->level, "B-T"));
    LTS_ASSERT_OK(lts_report__set_str(&s->digest_algorithm, "SHA-256"));
    LTS_ASSERT_OK(lts_report__set_str(&s->signature_algorithm, "RSA"));
    LTS_ASSERT_OK(lts_report__set_str(&s->signer, "CN=Signer <&> \"x\",O=ltsig test"));
    s->has_signing_time = 1;
    s->signing_time = rt_time("2026-11-26T09:00:00Z");
    s->best_signature_time = rt_time("2026-11-26T09:00:05Z");
    LTS_ASSERT_OK(lts_buf_set(&s->signer_cert, lts_span_of(fake_der, sizeof fake_der)));
    LTS_ASSERT_OK(lts_report__msg(s, "a message with <markup> & \xff\xfe bytes"));
    LTS_ASSERT_OK(lts_report__add_ts(s, "signature-time-stamp", &t));
    t->gen_time = rt_time("2026-11-26T09:00:05Z");
    t->indication = LTS_IND_TOTAL_PASSED;
    LTS_ASSERT_OK(lts_report__set_str(&t->tsa, "CN=TSA"));
    LTS_ASSERT_OK(lts_buf_set(&t->token, lts_span_of(fake_der, sizeof fake_der)));
    r->indication = ind;
    r->subindication = sub;
    return r;
}

static void test_report_xml__passed(void)
{
    lts_report *r = sample(LTS_IND_TOTAL_PASSED, LTS_SUB_NONE);
    parsed p;
    char b[512];
    parse(&p, r);
    CU_ASSERT_EQUAL(count(&p, "/vr:ValidationReport"), 1);
    CU_ASSERT_EQUAL(count(&p, "/vr:ValidationReport/vr:SignatureValidationReport"), 1);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:MainIndication", b, sizeof b),
                           "urn:etsi:019102:mainindication:total-passed");
    CU_ASSERT_EQUAL(count(&p, "//vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:SubIndication"), 0);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:ValidationTimeInfo/vr:ValidationTime", b, sizeof b),
                           "2026-11-26T10:00:00Z");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:BestSignatureTime/vr:POETime", b, sizeof b),
                           "2026-11-26T09:00:05Z");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureAttributes/vr:SigningTime/vr:Time", b, sizeof b),
                           "2026-11-26T09:00:00Z");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignerInformation/vr:Signer", b, sizeof b),
                           "CN=Signer <&> \"x\",O=ltsig test");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationProcessID", b, sizeof b),
                           "urn:etsi:019102:validationprocess:LTVM");
    /* every VOReference points at a ValidationObject */
    CU_ASSERT_EQUAL(count(&p, "//@VOReference[not(. = //vr:ValidationObject/@id)]"), 0);
    CU_ASSERT_EQUAL(count(&p, "//vr:ValidationObject"), 2);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:ValidationObject[vr:ObjectType='urn:etsi:019102:validationObject:timestamp']/vr:ValidationObjectRepresentation/vr:base64", b, sizeof b),
                           "MAMCAQE=");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:BestSignatureTime/vr:POEObject/@VOReference", b, sizeof b),
                           text(&p, "//vr:SignatureTimeStamp/vr:AttributeObject/@VOReference", b + 256, 256));
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:CryptoInformation/vr:Algorithm", b, sizeof b),
                           "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:CryptoInformation/vr:SecureAlgorithm", b, sizeof b), "true");
    /* CryptoInformation precedes AdditionalValidationReportData (schema order) */
    CU_ASSERT_EQUAL(count(&p, "//vr:AssociatedValidationReportData/*[1][self::vr:CryptoInformation]"), 1);
    /* SignatureValidationObjects comes after the reports */
    CU_ASSERT_EQUAL(count(&p, "/vr:ValidationReport/*[last()][self::vr:SignatureValidationObjects]"), 1);
    /* the bad bytes became '?', the markup text survived */
    CU_ASSERT_PTR_NOT_NULL(strstr(text(&p, "//vr:ReportData[1]/vr:Value", b, sizeof b), "<markup> & ??"));
    done(&p);
    lts_report_free(r);
}

static void test_report_xml__failed_and_indeterminate(void)
{
    lts_report *r = sample(LTS_IND_TOTAL_FAILED, LTS_SUB_HASH_FAILURE);
    parsed p;
    char b[256];
    parse(&p, r);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:MainIndication", b, sizeof b),
                           "urn:etsi:019102:mainindication:total-failed");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:SubIndication", b, sizeof b),
                           "urn:etsi:019102:subindication:HASH_FAILURE");
    done(&p);
    lts_report_free(r);
    r = sample(LTS_IND_INDETERMINATE, LTS_SUB_CRYPTO_CONSTRAINTS_FAILURE_NO_POE);
    parse(&p, r);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:CryptoInformation/vr:SecureAlgorithm", b, sizeof b), "false");
    done(&p);
    lts_report_free(r);
    r = sample(LTS_IND_INDETERMINATE, LTS_SUB_NO_CERTIFICATE_CHAIN_FOUND);
    parse(&p, r);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:MainIndication", b, sizeof b),
                           "urn:etsi:019102:mainindication:indeterminate");
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:SubIndication", b, sizeof b),
                           "urn:etsi:019102:subindication:NO_CERTIFICATE_CHAIN_FOUND");
    done(&p);
    lts_report_free(r);
}

static void test_report_xml__empty_and_bare(void)
{
    lts_report *r = rt_report("x", rt_time("2026-01-01"));
    lts_sig_result *s = NULL;
    parsed p;
    char b[256];
    r->indication = LTS_IND_TOTAL_FAILED;
    r->subindication = LTS_SUB_SIGNED_DATA_NOT_FOUND;
    parse(&p, r);
    CU_ASSERT_EQUAL(count(&p, "//vr:SignatureValidationReport"), 1);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SubIndication", b, sizeof b),
                           "urn:etsi:019102:subindication:SIGNED_DATA_NOT_FOUND");
    CU_ASSERT_EQUAL(count(&p, "//vr:SignatureValidationObjects"), 0);
    done(&p);
    /* a signature with nothing known: no attributes, no signer, Basic process */
    LTS_ASSERT_OK(lts_report__add_sig(r, "XAdES", &s));
    parse(&p, r);
    CU_ASSERT_EQUAL(count(&p, "//vr:SignatureAttributes"), 0);
    CU_ASSERT_EQUAL(count(&p, "//vr:SignerInformation"), 0);
    CU_ASSERT_STRING_EQUAL(text(&p, "//vr:SignatureValidationProcessID", b, sizeof b),
                           "urn:etsi:019102:validationprocess:Basic");
    done(&p);
    lts_report_free(r);
}

static void test_report_xml__oom(void)
{
    lts_report *r = sample(LTS_IND_TOTAL_PASSED, LTS_SUB_NONE);
    for (long i = 0; i < 200; i++) {
        lts_buf b = LTS_BUF_INIT;
        lts_status st;
        lts_mem__fail_after(i, 0);
        st = lts_report_xml(r, &b);
        lts_mem__fail_after(-1, 0);
        CU_ASSERT(st == LTS_OK || st == LTS_E_NOMEM);
        lts_buf_dispose(&b);
        if (st == LTS_OK)
            break;
    }
    lts_report_free(r);
}

int lts_suite_report_xml(void)
{
    static CU_TestInfo tests[] = {
        { "passed", test_report_xml__passed },
        { "failed_and_indeterminate", test_report_xml__failed_and_indeterminate },
        { "empty_and_bare", test_report_xml__empty_and_bare },
        { "oom", test_report_xml__oom },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("report_xml", NULL, NULL, tests);
}
