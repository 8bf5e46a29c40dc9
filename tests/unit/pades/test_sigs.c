/* Unit tests of formats/pades: the incremental update writer and the signature
 * dictionary checks, with a stand-in DER value as /Contents (no CMS needed here; the
 * CMS side is covered by tests/integration/test_pades_*.sh with pdfsig). */
#include <stdio.h>
#include <string.h>
#include "lts_test.h"
#include "pades_int.h"
#include "core/io.h"

static const uint8_t fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

/* Sign src into dst with fake_der in /Contents (hex_n placeholder digits). */
static lts_status make_signed(const char *src, const char *dst, size_t hex_n)
{
    lts_status rc;
    lts_pdf pdf;
    lts_pdf_update u;
    lts_pades_layout lay;
    lts_pades_stage o;
    lts_buf all = LTS_BUF_INIT;
    lts_range rg[2];
    static const char hx[] = "0123456789ABCDEF";

    memset(&u, 0, sizeof u);
    memset(&o, 0, sizeof o);
    o.hash = LTS_HASH_SHA256;
    rc = lts_pades__pdf_open(&pdf, src);
    if (rc != LTS_OK)
        return rc;
    rc = lts_pades__build_sig_update(&u, &pdf, &o, hex_n, &lay);
    if (rc == LTS_OK)
        rc = lts_pades__set_byte_range(&u, &lay, rg);
    for (size_t i = 0; rc == LTS_OK && i < sizeof fake_der && 2 * i + 1 < hex_n; i++) {
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

/* Replace the first occurrence of `from` (after offset `after`) by `to` (same length). */
static int patch_file(const char *path, const char *from, const char *to, size_t after)
{
    lts_buf b = LTS_BUF_INIT;
    int ok = 0;
    if (lts_io__read_file(&b, path, 0) != LTS_OK)
        return 0;
    for (size_t i = after; i + strlen(from) <= b.n; i++) {
        if (memcmp(b.p + i, from, strlen(from)) == 0) {
            memcpy(b.p + i, to, strlen(to));
            ok = lts_io__write_atomic(path, lts_buf_span(&b), 0) == LTS_OK;
            break;
        }
    }
    lts_buf_dispose(&b);
    return ok;
}

static void check_one(const char *sample, int want_stream)
{
    const char *out = lts_test_tmp_file(1, "one.pdf");
    lts_pades_doc *d = NULL;
    const lts_pades_sig *s;
    lts_buf b = LTS_BUF_INIT;
    uint64_t in_size = 0;

    LTS_ASSERT_OK(lts_io__file_size(sample, &in_size));
    LTS_ASSERT_OK(make_signed(sample, out, 64));
    LTS_ASSERT_OK(lts_pades_open(&d, out));
    CU_ASSERT_EQUAL_FATAL(lts_pades_sig_count(d), 1);
    s = lts_pades_sig_get(d, 0);
    CU_ASSERT_PTR_NULL(s->problem);
    CU_ASSERT(s->byte_range_ok);
    CU_ASSERT(s->covers_whole_file);
    CU_ASSERT_EQUAL(s->kind, LTS_PADES_SIG);
    CU_ASSERT_STRING_EQUAL(s->subfilter, "ETSI.CAdES.detached");
    CU_ASSERT_STRING_EQUAL(s->field_name, "Signature1");
    CU_ASSERT_PTR_NOT_NULL(s->m);
    CU_ASSERT(lts_span_eq(s->contents, lts_span_of(fake_der, sizeof fake_der)));
    CU_ASSERT_EQUAL(s->byte_range[0], 0);
    CU_ASSERT_EQUAL((uint64_t)(s->byte_range[2] + s->byte_range[3]), lts_pades_file_size(d));
    /* the update has the xref style of the original */
    LTS_ASSERT_OK(lts_io__read_file(&b, out, 0));
    CU_ASSERT_EQUAL(memmem(b.p + in_size, b.n - in_size, "/Type /XRef", 11) != NULL, want_stream);
    CU_ASSERT_EQUAL(memmem(b.p + in_size, b.n - in_size, "\nxref\n", 6) != NULL, !want_stream);
    CU_ASSERT_PTR_NOT_NULL(memmem(b.p + in_size, b.n - in_size, "/SigFlags 3", 11));
    CU_ASSERT_PTR_NOT_NULL(memmem(b.p + in_size, b.n - in_size, "/Prev ", 6));
    lts_buf_dispose(&b);
    lts_pades_free(d);
}

static void test_pades_sigs__classic_xref(void)
{
    check_one(lts_test_src_file(0, "testdata/docs/sample.pdf"), 0);
}

static void test_pades_sigs__xref_stream(void)
{
    check_one(lts_test_src_file(0, "testdata/docs/sample-objstm.pdf"), 1);
}

static void test_pades_sigs__second_signature(void)
{
    const char *one = lts_test_tmp_file(1, "a.pdf"), *two = lts_test_tmp_file(2, "b.pdf");
    lts_pades_doc *d = NULL;
    LTS_ASSERT_OK(make_signed(lts_test_src_file(0, "testdata/docs/sample-objstm.pdf"), one, 64));
    LTS_ASSERT_OK(make_signed(one, two, 64));
    LTS_ASSERT_OK(lts_pades_open(&d, two));
    CU_ASSERT_EQUAL_FATAL(lts_pades_sig_count(d), 2);
    CU_ASSERT(lts_pades_sig_get(d, 0)->byte_range_ok);
    CU_ASSERT(lts_pades_sig_get(d, 1)->byte_range_ok);
    CU_ASSERT(!lts_pades_sig_get(d, 0)->covers_whole_file);
    CU_ASSERT(lts_pades_sig_get(d, 1)->covers_whole_file);
    CU_ASSERT_STRING_EQUAL(lts_pades_sig_get(d, 0)->field_name, "Signature1");
    CU_ASSERT_STRING_EQUAL(lts_pades_sig_get(d, 1)->field_name, "Signature2");
    lts_pades_free(d);
}

static void test_pades_sigs__digest_skips_the_gap(void)
{
    const char *out = lts_test_tmp_file(1, "dg.pdf");
    lts_pades_doc *d = NULL;
    lts_buf b = LTS_BUF_INIT, cat = LTS_BUF_INIT;
    uint8_t d1[LTS_HASH_MAX], d2[LTS_HASH_MAX];
    size_t n1 = 0, n2 = 0;
    const lts_pades_sig *s;

    LTS_ASSERT_OK(make_signed(lts_test_src_file(0, "testdata/docs/sample.pdf"), out, 64));
    LTS_ASSERT_OK(lts_pades_open(&d, out));
    s = lts_pades_sig_get(d, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    LTS_ASSERT_OK(lts_pades_digest(out, s, LTS_HASH_SHA256, d1, &n1));
    LTS_ASSERT_OK(lts_io__read_file(&b, out, 0));
    CU_ASSERT_EQUAL(b.p[s->byte_range[1]], '<');
    CU_ASSERT_EQUAL(b.p[s->byte_range[2] - 1], '>');
    LTS_ASSERT_OK(lts_buf_append(&cat, b.p, (size_t)s->byte_range[1]));
    LTS_ASSERT_OK(lts_buf_append(&cat, b.p + s->byte_range[2], (size_t)s->byte_range[3]));
    LTS_ASSERT_OK(lts_digest__span(LTS_HASH_SHA256, lts_buf_span(&cat), d2, &n2));
    CU_ASSERT_EQUAL(n1, 32);
    CU_ASSERT(n1 == n2 && memcmp(d1, d2, n1) == 0);
    lts_buf_dispose(&b);
    lts_buf_dispose(&cat);
    lts_pades_free(d);
}

/* A tampered /ByteRange is a finding (problem set), never an error or a crash. */
static void expect_problem(const char *from, const char *to, const char *what)
{
    const char *out = lts_test_tmp_file(1, "bad.pdf");
    lts_pades_doc *d = NULL;
    uint64_t in_size = 0;
    const char *src = lts_test_src_file(0, "testdata/docs/sample.pdf");
    LTS_ASSERT_OK(lts_io__file_size(src, &in_size));
    LTS_ASSERT_OK(make_signed(src, out, 64));
    CU_ASSERT_FATAL(patch_file(out, from, to, (size_t)in_size));
    LTS_ASSERT_OK(lts_pades_open(&d, out));
    CU_ASSERT_EQUAL_FATAL(lts_pades_sig_count(d), 1);
    CU_ASSERT(!lts_pades_sig_get(d, 0)->byte_range_ok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lts_pades_sig_get(d, 0)->problem);
    if (!strstr(lts_pades_sig_get(d, 0)->problem, what))
        fprintf(stderr, "\nproblem: %s (wanted %s)\n", lts_pades_sig_get(d, 0)->problem, what);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_pades_sig_get(d, 0)->problem, what));
    lts_pades_free(d);
}

static void test_pades_sigs__byte_range_not_at_zero(void)
{
    expect_problem("/ByteRange [0 ", "/ByteRange [1 ", "does not start at 0");
}

static void test_pades_sigs__byte_range_negative(void)
{
    expect_problem("/ByteRange [0 ", "/ByteRange[-1 ", "negative");
}

static void test_pades_sigs__byte_range_real(void)
{
    expect_problem("]     ", ".5]   ", "four integers");
}

static void test_pades_sigs__bad_der(void)
{
    expect_problem("/Contents <3003", "/Contents <30FF", "DER");
}

/* Rewrite the /ByteRange of a signed copy with v[] (relative to the good values). */
static void expect_br_problem(const int64_t delta[4], const char *what)
{
    const char *out = lts_test_tmp_file(1, "br.pdf");
    const char *src = lts_test_src_file(0, "testdata/docs/sample.pdf");
    lts_pades_doc *d = NULL;
    lts_buf b = LTS_BUF_INIT;
    int64_t v[4];
    char txt[80];
    uint8_t *at;
    int k;

    LTS_ASSERT_OK(make_signed(src, out, 64));
    LTS_ASSERT_OK(lts_pades_open(&d, out));
    for (int i = 0; i < 4; i++)
        v[i] = lts_pades_sig_get(d, 0)->byte_range[i] + delta[i];
    lts_pades_free(d);
    d = NULL;
    k = snprintf(txt, sizeof txt, "[%lld %lld %lld %lld]", (long long)v[0], (long long)v[1],
                 (long long)v[2], (long long)v[3]);
    LTS_ASSERT_OK(lts_io__read_file(&b, out, 0));
    at = memmem(b.p, b.n, "/ByteRange [", 12);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    memset(at + 11, ' ', 68);
    memcpy(at + 11, txt, (size_t)k);
    LTS_ASSERT_OK(lts_io__write_atomic(out, lts_buf_span(&b), 0));
    lts_buf_dispose(&b);
    LTS_ASSERT_OK(lts_pades_open(&d, out));
    CU_ASSERT_EQUAL_FATAL(lts_pades_sig_count(d), 1);
    CU_ASSERT(!lts_pades_sig_get(d, 0)->byte_range_ok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lts_pades_sig_get(d, 0)->problem);
    if (!strstr(lts_pades_sig_get(d, 0)->problem, what))
        fprintf(stderr, "\nproblem: %s (wanted %s)\n", lts_pades_sig_get(d, 0)->problem, what);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_pades_sig_get(d, 0)->problem, what));
    CU_ASSERT_EQUAL(lts_pades_digest(out, lts_pades_sig_get(d, 0), LTS_HASH_SHA256, (uint8_t[64]){0},
                                     &(size_t){0}), LTS_E_INPUT);
    lts_pades_free(d);
}

static void test_pades_sigs__contents_outside_gap(void)
{
    static const int64_t shifted[4] = { 0, -1, -1, 1 };
    static const int64_t wider[4] = { 0, -3, 0, 0 };
    expect_br_problem(shifted, "not a hex string");
    expect_br_problem(wider, "not a hex string");
}

static void test_pades_sigs__overlapping_ranges(void)
{
    static const int64_t ov[4] = { 0, 0, -200, 200 };
    expect_br_problem(ov, "overlap");
}

static void test_pades_sigs__short_of_revision_end(void)
{
    static const int64_t sh[4] = { 0, 0, 0, -10 };
    expect_br_problem(sh, "end of a revision");
}

static void test_pades_sigs__past_the_file(void)
{
    static const int64_t past[4] = { 0, 0, 0, 100 };
    expect_br_problem(past, "past the end");
}

static void test_pades_sigs__truncated(void)
{
    const char *out = lts_test_tmp_file(1, "t.pdf"), *cut = lts_test_tmp_file(2, "cut.pdf");
    lts_buf b = LTS_BUF_INIT;
    lts_pades_doc *d = NULL;
    LTS_ASSERT_OK(make_signed(lts_test_src_file(0, "testdata/docs/sample.pdf"), out, 64));
    LTS_ASSERT_OK(lts_io__read_file(&b, out, 0));
    LTS_ASSERT_OK(lts_io__write_atomic(cut, lts_span_of(b.p, b.n - 30), 0));
    CU_ASSERT_EQUAL(lts_pades_open(&d, cut), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_PTR_NOT_NULL(strstr(lts_error_last()->message, "cut.pdf"));
    LTS_ASSERT_OK(lts_io__write_atomic(cut, lts_span_of("%PDF-1.7\nnothing else here\n", 27), 0));
    CU_ASSERT_EQUAL(lts_pades_open(&d, cut), LTS_E_INPUT);
    LTS_ASSERT_OK(lts_io__write_atomic(cut, lts_span_of("not a pdf at all, but long enough", 33), 0));
    CU_ASSERT_EQUAL(lts_pades_open(&d, cut), LTS_E_INPUT);
    CU_ASSERT_PTR_NULL(d);
    lts_buf_dispose(&b);
}

static void test_pades_sigs__unsigned_has_none(void)
{
    lts_pades_doc *d = NULL;
    LTS_ASSERT_OK(lts_pades_open(&d, lts_test_src_file(0, "testdata/docs/sample.pdf")));
    CU_ASSERT_EQUAL(lts_pades_sig_count(d), 0);
    CU_ASSERT_PTR_NULL(lts_pades_sig_get(d, 0));
    lts_pades_free(d);
}

/* Building the update twice on the same open file gives the same objects: QPDF's copy of
 * the document is never changed (the retry after a short /Contents estimate relies on it). */
static void test_pades_sigs__rebuild_is_stable(void)
{
    const char *one = lts_test_tmp_file(1, "r1.pdf");
    lts_pdf pdf;
    lts_pdf_update u1, u2;
    lts_pades_layout l1, l2;
    lts_pades_stage o;
    const uint8_t *a1, *a2, *e1;

    memset(&o, 0, sizeof o);
    memset(&u1, 0, sizeof u1);
    memset(&u2, 0, sizeof u2);
    LTS_ASSERT_OK(make_signed(lts_test_src_file(0, "testdata/docs/sample-objstm.pdf"), one, 64));
    LTS_ASSERT_OK(lts_pades__pdf_open(&pdf, one));
    LTS_ASSERT_OK(lts_pades__build_sig_update(&u1, &pdf, &o, 64, &l1));
    LTS_ASSERT_OK(lts_pades__build_sig_update(&u2, &pdf, &o, 64, &l2));
    CU_ASSERT_EQUAL(u1.b.n, u2.b.n);
    a1 = memmem(u1.b.p, u1.b.n, "/Annots [", 9);
    a2 = memmem(u2.b.p, u2.b.n, "/Annots [", 9);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a2);
    e1 = memchr(a1, ']', u1.b.n - (size_t)(a1 - u1.b.p));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e1);
    CU_ASSERT(memcmp(a1, a2, (size_t)(e1 - a1)) == 0);
    /* the earlier widget is still listed: two references */
    CU_ASSERT_PTR_NOT_NULL(memchr(a1 + 9, 'R', (size_t)(e1 - a1 - 9)));
    CU_ASSERT(memmem(a1, (size_t)(e1 - a1), " R ", 3) != NULL &&
              memmem((const uint8_t *)memmem(a1, (size_t)(e1 - a1), " R ", 3) + 3,
                     (size_t)(e1 - a1), " R", 2) != NULL);
    CU_ASSERT_PTR_NOT_NULL(memmem(u2.b.p, u2.b.n, "/Fields [ ", 10));
    lts_pades__upd_dispose(&u1);
    lts_pades__upd_dispose(&u2);
    lts_pades__pdf_close(&pdf);
}

/* Write a classic PDF made of `objs` (bodies of objects 1..n), with `trailer_extra` keys. */
static void write_pdf(const char *path, const char *const *objs, size_t n,
                      const char *trailer_extra)
{
    lts_buf b = LTS_BUF_INIT;
    size_t offs[16], x;
    char line[256];
    CU_ASSERT_FATAL(n < 16);
    LTS_ASSERT_OK(lts_buf_append(&b, "%PDF-1.7\n", 9));
    for (size_t i = 0; i < n; i++) {
        offs[i] = b.n;
        snprintf(line, sizeof line, "%zu 0 obj\n", i + 1);
        LTS_ASSERT_OK(lts_buf_append(&b, line, strlen(line)));
        LTS_ASSERT_OK(lts_buf_append(&b, objs[i], strlen(objs[i])));
        LTS_ASSERT_OK(lts_buf_append(&b, "\nendobj\n", 8));
    }
    x = b.n;
    snprintf(line, sizeof line, "xref\n0 %zu\n0000000000 65535 f\r\n", n + 1);
    LTS_ASSERT_OK(lts_buf_append(&b, line, strlen(line)));
    for (size_t i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%010zu 00000 n\r\n", offs[i]);
        LTS_ASSERT_OK(lts_buf_append(&b, line, strlen(line)));
    }
    snprintf(line, sizeof line, "trailer\n<< /Size %zu /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF",
             n + 1, trailer_extra, x);
    LTS_ASSERT_OK(lts_buf_append(&b, line, strlen(line)));
    LTS_ASSERT_OK(lts_io__write_atomic(path, lts_buf_span(&b), 0));
    lts_buf_dispose(&b);
}

/* No /ID, no EOL after %%EOF, a page with a Link annotation, an indirect /AcroForm with a
 * text field: all kept, and the new update is readable. */
static void test_pades_sigs__keeps_existing_form_and_annots(void)
{
    static const char *const objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [ 4 0 R << /Type /Annot "
        "/Subtype /Text /Rect [1 1 2 2] /Contents (direct \\(note\\)) >> ] >>",
        "<< /Type /Annot /Subtype /Link /Rect [10 10 20 20] /Border [0 0 0] >>",
        "<< /Fields [ 6 0 R ] /DA (/Helv 0 Tf 0 g) /NeedAppearances false >>",
        "<< /FT /Tx /T (name) /V (Alice) /Type /Annot /Subtype /Widget /Rect [30 30 90 40] "
        "/P 3 0 R >>",
    };
    char src[1100], out[1100];
    lts_pades_doc *d = NULL;
    lts_pdf pdf;
    lts_buf b = LTS_BUF_INIT;
    uint64_t in_size = 0;
    const uint8_t *u;
    size_t un;

    snprintf(src, sizeof src, "%s", lts_test_tmp_file(0, "form.pdf"));
    snprintf(out, sizeof out, "%s", lts_test_tmp_file(0, "form-signed.pdf"));
    write_pdf(src, objs, sizeof objs / sizeof objs[0], "");
    LTS_ASSERT_OK(lts_io__file_size(src, &in_size));
    LTS_ASSERT_OK(make_signed(src, out, 64));
    LTS_ASSERT_OK(lts_pades_open(&d, out));
    CU_ASSERT_EQUAL(lts_pades_sig_count(d), 1);
    CU_ASSERT(lts_pades_sig_get(d, 0)->byte_range_ok);
    lts_pades_free(d);
    LTS_ASSERT_OK(lts_io__read_file(&b, out, 0));
    u = b.p + in_size;
    un = b.n - (size_t)in_size;
    CU_ASSERT_EQUAL(u[0], '\n'); /* the original ended right after %%EOF */
    CU_ASSERT_PTR_NOT_NULL(memmem(u, un, "/Annots [ 4 0 R << ", 19));
    CU_ASSERT_PTR_NOT_NULL(memmem(u, un, "/Fields [ 6 0 R 8 0 R ]", 23));
    CU_ASSERT_PTR_NOT_NULL(memmem(u, un, "/DA (/Helv 0 Tf 0 g)", 20));
    CU_ASSERT_PTR_NOT_NULL(memmem(u, un, "/ID [<", 6));
    CU_ASSERT_PTR_NULL(memmem(u, un, "1 0 obj", 7)); /* the catalog is untouched */
    CU_ASSERT_PTR_NOT_NULL(memmem(u, un, "\n5 0 obj", 8)); /* the /AcroForm is rewritten */
    /* the result opens without recovery */
    LTS_ASSERT_OK(lts_pades__pdf_open(&pdf, out));
    CU_ASSERT_EQUAL(pdf.next_num, 9); /* 7 = signature, 8 = field + widget */
    CU_ASSERT(pdf.has_id);
    lts_pades__pdf_close(&pdf);
    lts_buf_dispose(&b);
}

int lts_suite_pades_sigs(void)
{
    static CU_TestInfo tests[] = {
        { "classic_xref", test_pades_sigs__classic_xref },
        { "xref_stream", test_pades_sigs__xref_stream },
        { "second_signature", test_pades_sigs__second_signature },
        { "digest_skips_the_gap", test_pades_sigs__digest_skips_the_gap },
        { "byte_range_not_at_zero", test_pades_sigs__byte_range_not_at_zero },
        { "byte_range_negative", test_pades_sigs__byte_range_negative },
        { "byte_range_real", test_pades_sigs__byte_range_real },
        { "contents_outside_gap", test_pades_sigs__contents_outside_gap },
        { "overlapping_ranges", test_pades_sigs__overlapping_ranges },
        { "short_of_revision_end", test_pades_sigs__short_of_revision_end },
        { "past_the_file", test_pades_sigs__past_the_file },
        { "bad_der", test_pades_sigs__bad_der },
        { "truncated", test_pades_sigs__truncated },
        { "unsigned_has_none", test_pades_sigs__unsigned_has_none },
        { "rebuild_is_stable", test_pades_sigs__rebuild_is_stable },
        { "keeps_existing_form_and_annots", test_pades_sigs__keeps_existing_form_and_annots },
        CU_TEST_INFO_NULL,
    };
    return lts_test_add_suite("pades_sigs", NULL, NULL, tests);
}
