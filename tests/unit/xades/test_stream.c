/* tests for formats/xades/stream.c: the streamed exclusive C14N gives the same octets as
 * libxml2's exclusive C14N (without comments) of the parsed document, and it hands what it
 * does not handle (DTD, other encodings, relative namespaces, bad input) to the tree path. */
#include <stdio.h>
#include <string.h>
#include <libxml/c14n.h>
#include "lts_test.h"
#include "xades_int.h"
#include "core/digest.h"

static const char *const same[] = {
    "<a></a>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>x</a>\n",
    "<?xml version='1.0' encoding='utf-8'?><a b='1'></a>",
    "\xef\xbb\xbf<a>bom</a>",
    "<?pi one?><!-- c --><a><?p  x\ty ?><!--in--><b/>t<![CDATA[<&>\"]]></a><?after?><!--z-->",
    "<a xmlns=\"urn:d\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><b><p:c q:z=\"1\" y=\"2\" p:y=\"3\"/>"
    "</b><c xmlns=\"\"><d xmlns=\"urn:d\"/></c></a>",
    "<p:a xmlns:p=\"urn:p\" xmlns:unused=\"urn:u\"><p:b xmlns:p=\"urn:p2\"><p:c/></p:b>"
    "<x:b xmlns:x=\"urn:p\"/></p:a>",
    "<a z=\"&amp;&lt;&gt;&quot;&apos;&#9;&#10;&#13; \t\n x\" b=\"&#38;&#x26;\">"
    "&amp;&lt;&gt;&quot;&#13;\r\n\xc3\xa9&#x10000;</a>",
    "<a xml:lang=\"fr\" xml:id=\"i1\" Id=\"i2\"><b xml:space=\"preserve\"> </b></a>",
    "<r xmlns:a=\"urn:b\" xmlns:b=\"urn:a\"><e a:x=\"1\" b:x=\"2\" x=\"0\" b:a=\"3\"/></r>",
    "<ledger xmlns=\"urn:ltsig:bench\">\n<entry id=\"e0\" amount=\"0\">payment 0</entry>\n"
    "<entry id=\"e1\" amount=\"7\">payment 1</entry>\n</ledger   >\n\n",
    "<a><b></b><c>\n  </c></a  >",
};

static void canon_lib(const char *s, lts_buf *out)
{
    xmlDocPtr doc = NULL;
    xmlChar *mem = NULL;
    int n;
    LTS_ASSERT_OK(lts_xades__parse(&doc, lts_span_of(s, strlen(s)), "t.xml"));
    if (doc == NULL)
        return;
    n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &mem);
    CU_ASSERT(n >= 0);
    if (n >= 0)
        LTS_ASSERT_OK(lts_buf_append(out, mem, (size_t)n));
    xmlFree(mem);
    xmlFreeDoc(doc);
}

static void test_xades_stream__same_octets_as_libxml2(void)
{
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        lts_buf want = LTS_BUF_INIT, got = LTS_BUF_INIT;
        lts_xades_stream st;
        uint8_t md[LTS_HASH_MAX];
        size_t mdlen = 0;
        memset(&st, 0, sizeof st);
        st.hash = LTS_HASH_SHA256;
        st.octets = &got;
        canon_lib(same[i], &want);
        LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(same[i], strlen(same[i])), &st));
        CU_ASSERT_FALSE(st.fallback);
        if (want.n != got.n || memcmp(want.p, got.p, want.n) != 0)
            fprintf(stderr, "\ncase %zu:\n want [%.*s]\n got  [%.*s]\n", i, (int)want.n,
                    (const char *)want.p, (int)got.n, (const char *)got.p);
        CU_ASSERT_EQUAL(want.n, got.n);
        CU_ASSERT(want.n == got.n && memcmp(want.p, got.p, want.n) == 0);
        LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA256, lts_buf_span(&want), md, &mdlen));
        CU_ASSERT(st.mdlen == mdlen && memcmp(st.md, md, mdlen) == 0);
        /* the document element's end tag */
        CU_ASSERT(st.has_root_end);
        CU_ASSERT(st.root_end + 1 < strlen(same[i]) && same[i][st.root_end] == '<' &&
                  same[i][st.root_end + 1] == '/' && strrchr(same[i], '<') >= same[i] + st.root_end);
        lts_buf_dispose(&want);
        lts_buf_dispose(&got);
    }
}

static void test_xades_stream__id_prefix(void)
{
    static const char *doc = "<a><b Id=\"xades-1\"/><c xml:id=\"zz-9\"/></a>";
    lts_xades_stream st;
    memset(&st, 0, sizeof st);
    st.hash = LTS_HASH_SHA256;
    st.id_prefix = "xades-";
    LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(doc, strlen(doc)), &st));
    CU_ASSERT(st.id_prefix_taken);
    st.id_prefix = "zz-";
    LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(doc, strlen(doc)), &st));
    CU_ASSERT(st.id_prefix_taken);
    st.id_prefix = "other";
    LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(doc, strlen(doc)), &st));
    CU_ASSERT_FALSE(st.id_prefix_taken);
}

static void test_xades_stream__falls_back(void)
{
    static const char *const other[] = {
        "<!DOCTYPE a><a/>",
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
        "<r>&undeclared;</r>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>",
        "<a xmlns:p=\"relative/uri\"><p:b/></a>",
        "<a><b></a>",
        "<a></a><b/>",
        "<a/>trailing",
        "",
        "<a",
        "<a/>", /* no end tag to insert before: the tree path */
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        lts_xades_stream st;
        memset(&st, 0, sizeof st);
        st.hash = LTS_HASH_SHA256;
        LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(other[i], strlen(other[i])), &st));
        if (!st.fallback)
            fprintf(stderr, "\nno fallback for case %zu\n", i);
        CU_ASSERT(st.fallback);
    }
}

/* light mode (checking): the tree holds the root's start tag and its ds:Signature child;
 * the digest is the document's exclusive C14N without that signature (enveloped) */
static void test_xades_stream__light(void)
{
    static const char *doc =
        "<?xml version=\"1.0\"?>\n<r xmlns=\"urn:r\" a=\"1\"><x Id=\"d1\">t</x><y id=\"d1\"/>\n"
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"S\"><ds:SignedInfo>"
        "<!--c--><ds:Reference URI=\"\">v</ds:Reference></ds:SignedInfo></ds:Signature>\n"
        "<z Id=\"once\"/></r>";
    lts_xades_stream st;
    xmlDocPtr full = NULL;
    xmlNodePtr root, sig;
    xmlChar *mem = NULL;
    int n;
    uint8_t md[LTS_HASH_MAX];
    size_t mdlen = 0;

    memset(&st, 0, sizeof st);
    st.hash = LTS_HASH_SHA256;
    st.light = 1;
    LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(doc, strlen(doc)), &st));
    CU_ASSERT_FALSE_FATAL(st.fallback);
    CU_ASSERT_EQUAL(st.n_sigs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st.light_doc);
    root = xmlDocGetRootElement(st.light_doc);
    sig = lts_xades__first_el(root);
    CU_ASSERT(lts_xades__is(root, "r", "urn:r"));
    CU_ASSERT(lts_xades__is(sig, "Signature", LTS_NS_DS));
    CU_ASSERT_PTR_NULL(lts_xades__next_el(sig)); /* x, y, z are not in the tree */
    CU_ASSERT(lts_xades__is(lts_xades__first_el(lts_xades__first_el(sig)), "Reference", LTS_NS_DS));
    CU_ASSERT(lts_xades__stream_id_dup(&st, "d1"));
    CU_ASSERT_FALSE(lts_xades__stream_id_dup(&st, "once"));
    CU_ASSERT_FALSE(lts_xades__stream_id_dup(&st, "S"));
    /* the digest: libxml2's exclusive C14N of the whole tree without the signature */
    LTS_ASSERT_OK(lts_xades__parse(&full, lts_span_of(doc, strlen(doc)), "t.xml"));
    sig = lts_xades__child(xmlDocGetRootElement(full), "Signature", LTS_NS_DS);
    xmlUnlinkNode(sig);
    xmlFreeNode(sig);
    n = xmlC14NDocDumpMemory(full, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &mem);
    CU_ASSERT_FATAL(n > 0);
    LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA256, lts_span_of(mem, (size_t)n), md, &mdlen));
    CU_ASSERT(st.mdlen == mdlen && memcmp(st.md, md, mdlen) == 0);
    xmlFree(mem);
    xmlFreeDoc(full);
    lts_xades__stream_dispose(&st);
    CU_ASSERT_PTR_NULL(st.light_doc);
}

static void test_xades_stream__light_falls_back(void)
{
    static const char *const other[] = {
        /* two signatures under the root */
        "<r><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>"
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></r>",
        /* a signature deeper than the root's children */
        "<r><a><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></a></r>",
        "<!DOCTYPE r><r><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></r>",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        lts_xades_stream st;
        memset(&st, 0, sizeof st);
        st.hash = LTS_HASH_SHA256;
        st.light = 1;
        LTS_ASSERT_OK(lts_xades__stream_c14n(lts_span_of(other[i], strlen(other[i])), &st));
        CU_ASSERT(st.fallback);
        CU_ASSERT_PTR_NULL(st.light_doc);
        lts_xades__stream_dispose(&st);
    }
}

int lts_suite_xades_stream(void)
{
    static CU_TestInfo tests[] = {
        { "same_octets_as_libxml2", test_xades_stream__same_octets_as_libxml2 },
        { "id_prefix", test_xades_stream__id_prefix },
        { "falls_back", test_xades_stream__falls_back },
        { "light", test_xades_stream__light },
        { "light_falls_back", test_xades_stream__light_falls_back },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("xades_stream", NULL, NULL, tests);
}
