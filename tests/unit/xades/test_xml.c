/* tests for formats/xades/xml.c: the hardened parser and Id registration. */
#include <stdio.h>
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
                            "<e xmlns:f=\"urn:f\" f:Id=\"w\"/><g id=\"q\"/><h Id=\"t\"/>"
                            "<Reference URI=\"#y\"/><Reference URI=\"#xpointer(id('z'))\"/>"
                            "<Reference URI=\"#x\"/><Reference URI=\"#w\"/></r>", &doc));
    LTS_ASSERT_OK(lts_xades__register_ids(doc, "t", &dups));
    CU_ASSERT_EQUAL(dups.n, 1);
    CU_ASSERT(lts_xades__ids_has(&dups, "x"));
    CU_ASSERT(!lts_xades__ids_has(&dups, "y"));
    /* referenced (or asked for): registered */
    CU_ASSERT_PTR_NOT_NULL(xmlGetID(doc, (const xmlChar *)"y"));
    CU_ASSERT_PTR_NOT_NULL(xmlGetID(doc, (const xmlChar *)"z"));
    CU_ASSERT_PTR_NOT_NULL(xmlGetID(doc, (const xmlChar *)"t"));
    CU_ASSERT_PTR_NULL(xmlGetID(doc, (const xmlChar *)"w")); /* namespaced: not an Id */
    /* not referenced: not registered, but taken */
    CU_ASSERT_PTR_NULL(xmlGetID(doc, (const xmlChar *)"q"));
    CU_ASSERT(lts_xades__id_taken(doc, "q"));
    CU_ASSERT(lts_xades__id_taken(doc, "x"));
    CU_ASSERT(!lts_xades__id_taken(doc, "w"));
    CU_ASSERT(!lts_xades__id_taken(doc, "nope"));
    lts_xades__ids_free(&dups);
    xmlFreeDoc(doc);
}

static void test_xades_xml__ids_many(void)
{
    /* enough Ids to need a big table; one duplicate at the end, referenced */
    lts_buf x = LTS_BUF_INIT;
    xmlDocPtr doc = NULL;
    lts_xml_ids dups = { 0 };
    char line[64];
    LTS_ASSERT_OK(lts_buf_append(&x, "<r>", 3));
    for (int i = 0; i < 20000; i++) {
        int k = snprintf(line, sizeof line, "<e id=\"e%d\"/>", i);
        LTS_ASSERT_OK(lts_buf_append(&x, line, (size_t)k));
    }
    {
        const char *tail = "<e Id=\"e17\"/><Reference URI=\"#e17\"/>"
                           "<Reference URI=\"#e5000\"/></r>";
        LTS_ASSERT_OK(lts_buf_append(&x, tail, strlen(tail)));
    }
    LTS_ASSERT_OK(lts_xades__parse(&doc, lts_buf_span(&x), "test"));
    LTS_ASSERT_OK(lts_xades__register_ids(doc, NULL, &dups));
    CU_ASSERT_EQUAL(dups.n, 1);
    CU_ASSERT(lts_xades__ids_has(&dups, "e17"));
    CU_ASSERT_PTR_NOT_NULL(xmlGetID(doc, (const xmlChar *)"e5000"));
    CU_ASSERT_PTR_NULL(xmlGetID(doc, (const xmlChar *)"e5001"));
    CU_ASSERT(lts_xades__id_taken(doc, "e19999"));
    lts_xades__ids_free(&dups);
    xmlFreeDoc(doc);
    lts_buf_dispose(&x);
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
        { "ids_many", test_xades_xml__ids_many },
        { "c14n_exclusive", test_xades_xml__c14n_exclusive },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_xml", NULL, NULL, tests);
}
