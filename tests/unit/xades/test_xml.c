/* tests for formats/xades/xml.c: the hardened parser and Id registration. */
#include <string.h>
#include "lts_test.h"
#include "xades_int.h"

static lts_status parse_str(const char *s, xmlDocPtr *doc)
{
    return lts_xades__parse(doc, lts_span_of(s, strlen(s)), "test.xml");
}

static void test_xades_xml__accepts_plain_xml(void)
{
    xmlDocPtr doc = NULL;
    LTS_ASSERT_OK(parse_str("<?xml version=\"1.0\"?><!DOCTYPE a><a x=\"1\">t&amp;&#65;</a>", &doc));
    CU_ASSERT_PTR_NOT_NULL(doc);
    xmlFreeDoc(doc);
}

static void test_xades_xml__refuses_entities(void)
{
    static const char *bad[] = {
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
        "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]><r>&b;</r>",
        "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x.dtd\"> %p;]><r/>",
        "<!DOCTYPE r [<!ENTITY u SYSTEM \"x.bin\" NDATA n>]><r/>",
        "<!DOCTYPE r [<!ATTLIST r Id ID #IMPLIED>]><r Id=\"a\"/>",
        "<r>&undeclared;</r>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xmlDocPtr doc = (xmlDocPtr)1;
        lts_status st = parse_str(bad[i], &doc);
        CU_ASSERT_EQUAL(st, LTS_E_INPUT);
        CU_ASSERT_PTR_NULL(doc);
        CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "test.xml"));
    }
}

static void test_xades_xml__refuses_malformed(void)
{
    xmlDocPtr doc = NULL;
    CU_ASSERT_EQUAL(parse_str("<a><b></a>", &doc), LTS_E_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "not well-formed"));
    CU_ASSERT_EQUAL(parse_str("", &doc), LTS_E_INPUT);
    CU_ASSERT_EQUAL(parse_str("just text", &doc), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(doc);
}

static void test_xades_xml__ids_and_duplicates(void)
{
    xmlDocPtr doc = NULL;
    lts_xml_ids dups = { 0 };
    LTS_ASSERT_OK(parse_str("<r><a Id=\"x\"/><b id=\"y\"/><c ID=\"z\"/><d Id=\"x\"/>"
                            "<e xmlns:f=\"urn:f\" f:Id=\"w\"/></r>", &doc));
    LTS_ASSERT_OK(lts_xades__register_ids(doc, &dups));
    CU_ASSERT_EQUAL(dups.n, 1);
    CU_ASSERT(lts_xades__ids_has(&dups, "x"));
    CU_ASSERT(!lts_xades__ids_has(&dups, "y"));
    CU_ASSERT_PTR_NOT_NULL(xmlGetID(doc, (const xmlChar *)"y"));
    CU_ASSERT_PTR_NOT_NULL(xmlGetID(doc, (const xmlChar *)"z"));
    CU_ASSERT_PTR_NULL(xmlGetID(doc, (const xmlChar *)"w")); /* namespaced: not an Id */
    lts_xades__ids_free(&dups);
    xmlFreeDoc(doc);
}

static void test_xades_xml__c14n_exclusive(void)
{
    xmlDocPtr doc = NULL;
    lts_buf out = LTS_BUF_INIT;
    LTS_ASSERT_OK(parse_str("<r xmlns=\"urn:r\" xmlns:u=\"urn:unused\"><m Algorithm=\""
                            "http://www.w3.org/2001/10/xml-exc-c14n#\"/><s b=\"2\"   a=\"1\">x<!--c--></s></r>",
                            &doc));
    xmlNodePtr r = xmlDocGetRootElement(doc);
    xmlNodePtr m = lts_xades__first_el(r), s = lts_xades__next_el(m);
    LTS_ASSERT_OK(lts_xades__c14n(m, s, &out));
    LTS_ASSERT_OK(lts_buf_nul(&out));
    CU_ASSERT_STRING_EQUAL((char *)out.p, "<s xmlns=\"urn:r\" a=\"1\" b=\"2\">x</s>");
    /* an unknown algorithm is refused */
    xmlSetProp(m, (const xmlChar *)"Algorithm", (const xmlChar *)"http://www.w3.org/TR/1999/REC-xslt-19991116");
    out.n = 0;
    CU_ASSERT_EQUAL(lts_xades__c14n(m, s, &out), LTS_E_UNSUPPORTED);
    lts_buf_dispose(&out);
    xmlFreeDoc(doc);
}

int lts_suite_xades_xml(void)
{
    static CU_TestInfo tests[] = {
        { "accepts_plain_xml", test_xades_xml__accepts_plain_xml },
        { "refuses_entities", test_xades_xml__refuses_entities },
        { "refuses_malformed", test_xades_xml__refuses_malformed },
        { "ids_and_duplicates", test_xades_xml__ids_and_duplicates },
        { "c14n_exclusive", test_xades_xml__c14n_exclusive },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_xml", NULL, NULL, tests);
}
