/* Unit tests of formats/pades/changes.c: lts_pades_analyse_changes over signed files
 * (a stand-in DER value as /Contents) followed by updates written with the pades writer
 * itself (lts_pdf_update): what is found, its kind, its revision, what is not reported. */
#include <stdio.h>
#include <string.h>
#include "lts_test.h"
#include "pades_int.h"
#include "core/io.h"

static const uint8_t fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

/* The helpers write only into the test's temporary folder (never a committed input). */
static int safe_dst(const char *src, const char *dst)
{
    return strcmp(src, dst) != 0 && strncmp(dst, lts_test_tmpdir(), strlen(lts_test_tmpdir())) == 0;
}

/* src + a (fake) signature revision -> dst. */
static lts_status add_fake_sig(const char *src, const char *dst)
{
    lts_status rc;
    lts_pdf pdf;
    lts_pdf_update u;
    lts_pades_layout lay;
    lts_pades_stage o;
    lts_buf all = LTS_BUF_INIT;
    lts_range rg[2];
    static const char hx[] = "0123456789ABCDEF";

    if (!safe_dst(src, dst))
        return LTS_E_CONFIG;
    memset(&u, 0, sizeof u);
    memset(&o, 0, sizeof o);
    o.hash = LTS_HASH_SHA256;
    rc = lts_pades__pdf_open(&pdf, src);
    if (rc != LTS_OK)
        return rc;
    rc = lts_pades__build_sig_update(&u, &pdf, &o, 64, &lay);
    if (rc == LTS_OK)
        rc = lts_pades__set_byte_range(&u, &lay, rg);
    for (size_t i = 0; rc == LTS_OK && i < sizeof fake_der; i++) {
        u.b.p[lay.contents_pos + 1 + 2 * i] = (uint8_t)hx[fake_der[i] >> 4];
        u.b.p[lay.contents_pos + 2 + 2 * i] = (uint8_t)hx[fake_der[i] & 15];
    }
    if (rc == LTS_OK)
        rc = lts_io__read_file(&all, src, 0);
    if (rc == LTS_OK)
        rc = lts_buf_append(&all, u.b.p, u.b.n);
    if (rc == LTS_OK)
        rc = lts_io__write_atomic(dst, lts_buf_span(&all), 0);
    lts_pades__upd_dispose(&u);
    lts_pades__pdf_close(&pdf);
    lts_buf_dispose(&all);
    return rc;
}

/* src + an update redefining object num (body) -> dst; body NULL = the object as it is. */
static lts_status add_update(const char *src, const char *dst, int num, const char *body)
{
    lts_status rc;
    lts_pdf pdf;
    lts_pdf_update u;
    lts_buf all = LTS_BUF_INIT;
    static const uint8_t id1[16] = { 1 };

    if (!safe_dst(src, dst))
        return LTS_E_CONFIG;
    memset(&u, 0, sizeof u);
    rc = lts_pades__pdf_open(&pdf, src);
    if (rc != LTS_OK)
        return rc;
    rc = lts_pades__upd_init(&u, &pdf);
    if (rc == LTS_OK && body) {
        rc = lts_pades__upd_object(&u, num, 0, body, strlen(body));
    } else if (rc == LTS_OK) {
        qpdf_oh o = qpdf_get_object_by_id(pdf.q, num, 0);
        rc = lts_pades__upd_begin(&u, num, 0);
        if (rc == LTS_OK)
            rc = lts_pades__put_dict_plus(&pdf, &u.b, o, NULL, lts_span_of("", 0));
        if (rc == LTS_OK)
            rc = lts_pades__upd_end(&u);
    }
    if (rc == LTS_OK)
        rc = lts_pades__upd_finish(&u, id1, sizeof id1);
    if (rc == LTS_OK)
        rc = lts_io__read_file(&all, src, 0);
    if (rc == LTS_OK)
        rc = lts_buf_append(&all, u.b.p, u.b.n);
    if (rc == LTS_OK)
        rc = lts_io__write_atomic(dst, lts_buf_span(&all), 0);
    lts_pades__upd_dispose(&u);
    lts_pades__pdf_close(&pdf);
    lts_buf_dispose(&all);
    return rc;
}

static const char *const new_content =
    "<< /Length 44 >>\nstream\nBT /F1 18 Tf 72 720 Td (changed text) Tj ET\nendstream";

static lts_pades_doc *analysed(const char *path)
{
    lts_pades_doc *d = NULL;
    LTS_ASSERT_OK(lts_pades_open(&d, path));
    if (d)
        LTS_ASSERT_OK(lts_pades_analyse_changes(d));
    return d;
}

static void test_pades_changes__none_when_whole_file(void)
{
    const char *s = lts_test_tmp_file(0, "c-none.pdf");
    lts_pades_doc *d;
    LTS_ASSERT_OK(add_fake_sig(lts_test_src_file(5, "testdata/docs/sample.pdf"), s));
    d = analysed(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(lts_pades_change_count(d), 0);
    CU_ASSERT_PTR_NULL(lts_pades_change_get(d, 0));
    lts_pades_free(d);
}

static void content_changed(const char *sample, int content_num)
{
    const char *s = lts_test_tmp_file(0, "c-sig.pdf"), *m = lts_test_tmp_file(1, "c-mod.pdf");
    lts_pades_doc *d;
    const lts_pades_change *c;
    LTS_ASSERT_OK(add_fake_sig(lts_test_src_file(5, sample), s));
    LTS_ASSERT_OK(add_update(s, m, content_num, new_content));
    d = analysed(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(lts_pades_change_count(d), 1);
    c = lts_pades_change_get(d, 0);
    CU_ASSERT_EQUAL(c->kind, LTS_PADES_CHANGE_OTHER);
    CU_ASSERT_STRING_EQUAL(c->what, "page 1 content stream changed");
    CU_ASSERT_EQUAL(c->revision, 3);
    CU_ASSERT_TRUE(lts_pades_change_after(c, lts_pades_sig_get(d, 0)));
    /* a second call does not analyse again */
    LTS_ASSERT_OK(lts_pades_analyse_changes(d));
    CU_ASSERT_EQUAL(lts_pades_change_count(d), 1);
    lts_pades_free(d);
}

static void test_pades_changes__content_classic(void)
{
    content_changed("testdata/docs/sample.pdf", 5);
}

static void test_pades_changes__content_xref_stream(void)
{
    /* the page's content stream, whatever its number in this layout */
    lts_pades_doc *d = NULL;
    qpdf_oh page, contents;
    int num;
    LTS_ASSERT_OK(lts_pades_open(&d, lts_test_src_file(5, "testdata/docs/sample-objstm.pdf")));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    page = qpdf_get_page_n(lts_pades__doc_pdf(d)->q, 0);
    contents = qpdf_oh_get_key(lts_pades__doc_pdf(d)->q, page, "/Contents");
    num = qpdf_oh_get_object_id(lts_pades__doc_pdf(d)->q, contents);
    lts_pades_free(d);
    CU_ASSERT_FATAL(num > 0);
    content_changed("testdata/docs/sample-objstm.pdf", num);
}

static void test_pades_changes__identical_redefinition_is_silent(void)
{
    const char *s = lts_test_tmp_file(0, "c-sig.pdf"), *m = lts_test_tmp_file(1, "c-same.pdf");
    lts_pades_doc *d;
    LTS_ASSERT_OK(add_fake_sig(lts_test_src_file(5, "testdata/docs/sample.pdf"), s));
    LTS_ASSERT_OK(add_update(s, m, 3, NULL)); /* the page tree node, unchanged */
    d = analysed(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(lts_pades_change_count(d), 0);
    CU_ASSERT_FALSE(lts_pades_sig_get(d, 0)->covers_whole_file);
    lts_pades_free(d);
}

static void test_pades_changes__second_signature_allowed_kind(void)
{
    const char *s = lts_test_tmp_file(0, "c-sig.pdf"), *s2 = lts_test_tmp_file(1, "c-sig2.pdf");
    lts_pades_doc *d;
    const lts_pades_change *c;
    LTS_ASSERT_OK(add_fake_sig(lts_test_src_file(5, "testdata/docs/sample.pdf"), s));
    LTS_ASSERT_OK(add_fake_sig(s, s2));
    d = analysed(s2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(lts_pades_change_count(d), 1);
    c = lts_pades_change_get(d, 0);
    CU_ASSERT_EQUAL(c->kind, LTS_PADES_CHANGE_SIGNATURE);
    CU_ASSERT_STRING_EQUAL(c->what, "signature field Signature2 added");
    CU_ASSERT_TRUE(lts_pades_change_after(c, lts_pades_sig_get(d, 0)));
    CU_ASSERT_FALSE(lts_pades_change_after(c, lts_pades_sig_get(d, 1)));
    lts_pades_free(d);
}

static void test_pades_changes__catalog_and_pages(void)
{
    const char *s = lts_test_tmp_file(0, "c-sig.pdf"), *m = lts_test_tmp_file(1, "c-cat.pdf");
    char body[256];
    lts_pades_doc *d;
    LTS_ASSERT_OK(add_fake_sig(lts_test_src_file(5, "testdata/docs/sample.pdf"), s));
    /* the page tree root with a rotation every page inherits */
    snprintf(body, sizeof body, "<< /Type /Pages /Kids [4 0 R] /Count 1 /Rotate 90 >>");
    LTS_ASSERT_OK(add_update(s, m, 3, body));
    d = analysed(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(lts_pades_change_count(d), 1);
    CU_ASSERT_STRING_EQUAL(lts_pades_change_get(d, 0)->what, "the page tree root changed");
    lts_pades_free(d);
}

static void test_pades_changes__dss_kind(void)
{
    const char *s = lts_test_tmp_file(0, "c-sig.pdf"), *m = lts_test_tmp_file(1, "c-dss.pdf");
    lts_pades_doc *d;
    lts_pdf pdf;
    lts_buf cat = LTS_BUF_INIT;
    LTS_ASSERT_OK(add_fake_sig(lts_test_src_file(5, "testdata/docs/sample.pdf"), s));
    LTS_ASSERT_OK(lts_pades__pdf_open(&pdf, s));
    LTS_ASSERT_OK(lts_pades__put_dict_plus(&pdf, &cat, qpdf_get_root(pdf.q), NULL,
                                           lts_span_of("/DSS << /Certs [] >>", 20)));
    LTS_ASSERT_OK(lts_buf_append(&cat, "", 1));
    LTS_ASSERT_OK(add_update(s, m, pdf.root_num, (const char *)cat.p));
    lts_pades__pdf_close(&pdf);
    lts_buf_dispose(&cat);
    d = analysed(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(lts_pades_change_count(d), 1);
    CU_ASSERT_EQUAL(lts_pades_change_get(d, 0)->kind, LTS_PADES_CHANGE_DSS);
    CU_ASSERT_STRING_EQUAL(lts_pades_change_get(d, 0)->what, "DSS added");
    lts_pades_free(d);
}

int lts_suite_pades_changes(void)
{
    static CU_TestInfo tests[] = {
        { "none_when_whole_file", test_pades_changes__none_when_whole_file },
        { "content_classic", test_pades_changes__content_classic },
        { "content_xref_stream", test_pades_changes__content_xref_stream },
        { "identical_redefinition_is_silent",
          test_pades_changes__identical_redefinition_is_silent },
        { "second_signature_allowed_kind", test_pades_changes__second_signature_allowed_kind },
        { "catalog_and_pages", test_pades_changes__catalog_and_pages },
        { "dss_kind", test_pades_changes__dss_kind },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("pades_changes", NULL, NULL, tests);
}
