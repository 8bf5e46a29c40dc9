/* formats/pades: the signature field, its widget, the page's /Annots and the /AcroForm
 * (ISO 32000-2 §12.7.5.5, §12.8). Changed objects are serialised from QPDF's unparsed
 * form with our keys added; nothing else of them changes. */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/err.h"
#include "core/mem.h"

#define QERR(pdf, what)                                                                   \
    do {                                                                                  \
        char eb_[512];                                                                    \
        if (lts_pades__qpdf_failed((pdf), eb_, sizeof eb_))                               \
            LTS_FAIL(LTS_E_INPUT, "%s: %s: %s", (pdf)->path, (what), eb_);                \
    } while (0)

/* Append the items of `arr` (if it is an array) unparsed, each followed by a space. */
static lts_status put_items(lts_pdf *pdf, lts_buf *b, qpdf_oh arr)
{
    lts_status rc = LTS_OK;
    int n;
    if (!qpdf_oh_is_array(pdf->q, arr))
        goto out;
    n = qpdf_oh_get_array_n_items(pdf->q, arr);
    LTS_ENSURE(n >= 0 && n < 100000, LTS_E_INPUT, "%s: array too large", pdf->path);
    for (int i = 0; i < n; i++) {
        qpdf_oh it = qpdf_oh_get_array_item(pdf->q, arr, i);
        const char *t = qpdf_oh_unparse(pdf->q, it);
        LTS_TRY(lts_buf_append(b, t, strlen(t)));
        LTS_TRY(lts_buf_append(b, " ", 1));
    }
    QERR(pdf, "reading an array");
out:
    return rc;
}

/* Append dictionary `d` with the keys of `skip` left out and `extra` (keys) added. The
 * objects QPDF holds are never changed (a failed attempt may be retried), so this walks
 * the keys instead of removing them. */
lts_status lts_pades__put_dict_plus(lts_pdf *pdf, lts_buf *b, qpdf_oh d,
                                    const char *const *skip, lts_span extra)
{
    lts_status rc = LTS_OK;
    char **keys = NULL;
    size_t n = 0, cap = 0;

    LTS_ENSURE(qpdf_oh_is_dictionary(pdf->q, d), LTS_E_INPUT, "%s: expected a dictionary",
               pdf->path);
    qpdf_oh_begin_dict_key_iter(pdf->q, d);
    while (qpdf_oh_dict_more_keys(pdf->q)) {
        const char *k = qpdf_oh_dict_next_key(pdf->q);
        int skipped = 0;
        for (size_t i = 0; skip && skip[i]; i++)
            skipped |= strcmp(k, skip[i]) == 0;
        if (skipped)
            continue;
        if (n == cap) {
            char **nk = lts_realloc(keys, (cap ? 2 * cap : 16) * sizeof *nk);
            LTS_ALLOC(nk);
            keys = nk;
            cap = cap ? 2 * cap : 16;
        }
        LTS_ALLOC(keys[n] = lts_strdup(k));
        n++;
        LTS_ENSURE(n < 100000, LTS_E_INPUT, "%s: dictionary too large", pdf->path);
    }
    QERR(pdf, "reading a dictionary");
    LTS_TRY(lts_buf_append(b, "<< ", 3));
    for (size_t i = 0; i < n; i++) {
        const char *t = qpdf_oh_unparse(pdf->q, qpdf_oh_new_name(pdf->q, keys[i]));
        LTS_TRY(lts_buf_append(b, t, strlen(t)));
        LTS_TRY(lts_buf_append(b, " ", 1));
        t = qpdf_oh_unparse(pdf->q, qpdf_oh_get_key(pdf->q, d, keys[i]));
        LTS_TRY(lts_buf_append(b, t, strlen(t)));
        LTS_TRY(lts_buf_append(b, " ", 1));
    }
    QERR(pdf, "unparsing a dictionary");
    LTS_TRY(lts_buf_append(b, extra.p, extra.n));
    LTS_TRY(lts_buf_append(b, " >>", 3));
out:
    for (size_t i = 0; i < n; i++)
        lts_free(keys[i]);
    lts_free(keys);
    return rc;
}

/* 1 when a top-level field is named `name`. */
static int field_name_used(lts_pdf *pdf, qpdf_oh fields, const char *name)
{
    int n = qpdf_oh_is_array(pdf->q, fields) ? qpdf_oh_get_array_n_items(pdf->q, fields) : 0;
    for (int i = 0; i < n && i < 100000; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(pdf->q, fields, i);
        qpdf_oh t = qpdf_oh_get_key_if_dict(pdf->q, f, "/T");
        if (qpdf_oh_is_string(pdf->q, t) && strcmp(qpdf_oh_get_utf8_value(pdf->q, t), name) == 0)
            return 1;
    }
    return 0;
}

static const char *const skip_annots[] = { "/Annots", NULL };
static const char *const skip_form[] = { "/Fields", "/SigFlags", NULL };
static const char *const skip_acroform[] = { "/AcroForm", NULL };
static const char *const skip_acroform_perms[] = { "/AcroForm", "/Perms", NULL };
static const char *const skip_perms[] = { "/Perms", NULL };

/* UTF-8 to WinAnsiEncoding (ISO 32000-2 Annex D): ASCII and Latin-1 as they are, the rest
 * as '?'. Control characters become spaces. */
static void to_winansi(const char *in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;
    while (*p && o + 1 < cap) {
        unsigned cp;
        int extra;
        if (*p < 0x80) {
            cp = *p++;
            extra = 0;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p++ & 0x1fu;
            extra = 1;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p++ & 0x0fu;
            extra = 2;
        } else {
            cp = 0x110000;
            p++;
            extra = 0;
            while ((*p & 0xc0) == 0x80)
                p++;
        }
        for (; extra > 0 && (*p & 0xc0) == 0x80; extra--)
            cp = cp << 6 | (*p++ & 0x3fu);
        if (extra > 0)
            cp = 0x110000;
        out[o++] = cp < 0x20 ? ' ' : (cp < 0x7f || (cp >= 0xa0 && cp <= 0xff)) ? (char)cp : '?';
    }
    out[o] = 0;
}

/* The appearance of a visible signature (ISO 32000-2 §12.7.4.3 /AP /N): a framed box with
 * the signer's name and the signing time in Helvetica (a standard 14 font). */
static lts_status write_appearance(lts_pdf_update *u, int apnum, const lts_pades_stage *st,
                                   lts_time when)
{
    lts_status rc = LTS_OK;
    lts_buf c = LTS_BUF_INIT;
    char name[200], l1[260], l2[64];
    struct tm tm;
    time_t tt = (time_t)when;
    double w = st->rect[2] - st->rect[0], h = st->rect[3] - st->rect[1], fs, fw;
    size_t longest;
    int fnum = lts_pades__upd_new_num(u);

    LTS_ENSURE(gmtime_r(&tt, &tm) != NULL, LTS_E_INPUT, "signing time out of range");
    to_winansi(st->signer_name ? st->signer_name : "(unknown signer)", name, sizeof name);
    snprintf(l1, sizeof l1, "Digitally signed by %s", name);
    snprintf(l2, sizeof l2, "Date: %04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    longest = strlen(l1) > strlen(l2) ? strlen(l1) : strlen(l2);
    /* two lines in the height, the longest line (~0.55 em a glyph) in the width */
    fs = (h - 4) / 2.4;
    fw = (w - 6) / (0.55 * (double)longest);
    if (fw < fs)
        fs = fw;
    if (fs > 24)
        fs = 24;
    if (fs < 1)
        fs = 1;
    LTS_TRY(lts_pades__putf(&c, "q 1 1 1 rg 0 0 %.2f %.2f re f 0 0 0.5 RG 1 w 0.5 0.5 %.2f "
                                "%.2f re S Q\nBT 0 0 0 rg /Helv %.2f Tf 3 %.2f Td ",
                            w, h, w - 1, h - 1, fs, h / 2 + fs * 0.25));
    LTS_TRY(lts_pades__put_string(&c, l1));
    LTS_TRY(lts_pades__putf(&c, " Tj 0 %.2f Td ", -fs * 1.2));
    LTS_TRY(lts_pades__put_string(&c, l2));
    LTS_TRY(lts_pades__putf(&c, " Tj ET\n"));

    LTS_TRY(lts_pades__upd_begin(u, fnum, 0));
    LTS_TRY(lts_pades__putf(&u->b, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                                   "/Encoding /WinAnsiEncoding >>"));
    LTS_TRY(lts_pades__upd_end(u));
    LTS_TRY(lts_pades__upd_begin(u, apnum, 0));
    LTS_TRY(lts_pades__putf(&u->b, "<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] "
                                   "/Resources << /Font << /Helv %d 0 R >> >> /Length %zu >>\n"
                                   "stream\n", w, h, fnum, c.n));
    LTS_TRY(lts_buf_append(&u->b, c.p, c.n));
    LTS_TRY(lts_pades__putf(&u->b, "\nendstream"));
    LTS_TRY(lts_pades__upd_end(u));
out:
    lts_buf_dispose(&c);
    return rc;
}

static lts_status write_widget(lts_pdf_update *u, int wnum, const char *name, int sig_num,
                               int pnum, int pgen, const lts_pades_stage *st, lts_time when)
{
    lts_status rc = LTS_OK;
    int apnum = 0;
    if (st && st->visible) {
        apnum = lts_pades__upd_new_num(u);
        LTS_TRY(write_appearance(u, apnum, st, when));
    }
    LTS_TRY(lts_pades__upd_begin(u, wnum, 0));
    LTS_TRY(lts_pades__putf(&u->b, "<< /Type /Annot /Subtype /Widget /FT /Sig /T "));
    LTS_TRY(lts_pades__put_string(&u->b, name));
    if (apnum > 0)
        LTS_TRY(lts_pades__putf(&u->b, " /V %d 0 R /F 4 /Rect [%.2f %.2f %.2f %.2f] "
                                       "/AP << /N %d 0 R >> /P %d %d R >>", sig_num,
                                st->rect[0], st->rect[1], st->rect[2], st->rect[3], apnum,
                                pnum, pgen));
    else
        LTS_TRY(lts_pades__putf(&u->b, " /V %d 0 R /F 132 /Rect [0 0 0 0] /P %d %d R >>",
                                sig_num, pnum, pgen));
    LTS_TRY(lts_pades__upd_end(u));
out:
    return rc;
}

static lts_status write_page(lts_pdf_update *u, qpdf_oh page, int wnum)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = u->pdf;
    lts_buf extra = LTS_BUF_INIT;
    qpdf_oh annots = qpdf_oh_get_key(pdf->q, page, "/Annots");

    LTS_TRY(lts_buf_append(&extra, "/Annots [ ", 10));
    LTS_TRY(put_items(pdf, &extra, annots));
    LTS_TRY(lts_pades__putf(&extra, "%d 0 R ]", wnum));
    LTS_TRY(lts_pades__upd_begin(u, qpdf_oh_get_object_id(pdf->q, page),
                                 qpdf_oh_get_generation(pdf->q, page)));
    LTS_TRY(lts_pades__put_dict_plus(pdf, &u->b, page, skip_annots, lts_buf_span(&extra)));
    LTS_TRY(lts_pades__upd_end(u));
out:
    lts_buf_dispose(&extra);
    return rc;
}

/* cat_extra (e.g. "/Perms << /DocMDP n 0 R >>") goes into the catalog, which is then
 * rewritten even when the /AcroForm is an object of its own. */
static lts_status write_form(lts_pdf_update *u, int wnum, lts_span cat_extra)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = u->pdf;
    lts_buf keys = LTS_BUF_INIT, form = LTS_BUF_INIT;
    qpdf_oh root = qpdf_get_root(pdf->q);
    qpdf_oh acro = qpdf_oh_get_key(pdf->q, root, "/AcroForm");
    int is_dict = qpdf_oh_is_dictionary(pdf->q, acro);

    LTS_TRY(lts_buf_append(&keys, "/Fields [ ", 10));
    if (is_dict)
        LTS_TRY(put_items(pdf, &keys, qpdf_oh_get_key(pdf->q, acro, "/Fields")));
    LTS_TRY(lts_pades__putf(&keys, "%d 0 R ] /SigFlags 3", wnum));
    if (is_dict && qpdf_oh_is_indirect(pdf->q, acro)) {
        LTS_TRY(lts_pades__upd_begin(u, qpdf_oh_get_object_id(pdf->q, acro),
                                     qpdf_oh_get_generation(pdf->q, acro)));
        LTS_TRY(lts_pades__put_dict_plus(pdf, &u->b, acro, skip_form, lts_buf_span(&keys)));
        LTS_TRY(lts_pades__upd_end(u));
        if (cat_extra.n > 0)
            LTS_TRY(lts_pades__rewrite_catalog(u, skip_perms, cat_extra));
        goto out;
    }
    LTS_TRY(lts_buf_append(&form, "/AcroForm ", 10));
    if (is_dict) {
        LTS_TRY(lts_pades__put_dict_plus(pdf, &form, acro, skip_form, lts_buf_span(&keys)));
    } else {
        LTS_TRY(lts_buf_append(&form, "<< ", 3));
        LTS_TRY(lts_buf_append(&form, keys.p, keys.n));
        LTS_TRY(lts_buf_append(&form, " >>", 3));
    }
    if (cat_extra.n > 0) {
        LTS_TRY(lts_buf_append(&form, " ", 1));
        LTS_TRY(lts_buf_append(&form, cat_extra.p, cat_extra.n));
    }
    LTS_TRY(lts_pades__upd_begin(u, pdf->root_num, pdf->root_gen));
    LTS_TRY(lts_pades__put_dict_plus(pdf, &u->b, root,
                                     cat_extra.n > 0 ? skip_acroform_perms : skip_acroform,
                                     lts_buf_span(&form)));
    LTS_TRY(lts_pades__upd_end(u));
out:
    lts_buf_dispose(&keys);
    lts_buf_dispose(&form);
    return rc;
}

lts_status lts_pades__add_sig_field(lts_pdf_update *u, int page_ix, const char *name,
                                    const char *prefix, int sig_num,
                                    const struct lts_pades_stage_s *st, lts_time when)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = u->pdf;
    char auto_name[32], perms[64] = "";
    int npages, wnum, pnum, pgen;
    qpdf_oh page, root, acro, fields;

    npages = qpdf_get_num_pages(pdf->q);
    QERR(pdf, "reading the page tree");
    LTS_ENSURE(npages > 0, LTS_E_INPUT, "%s: the document has no pages", pdf->path);
    LTS_ENSURE(page_ix >= 0 && page_ix < npages, LTS_E_CONFIG,
               "%s: page %d does not exist (%d pages)", pdf->path, page_ix + 1, npages);
    page = qpdf_get_page_n(pdf->q, (size_t)page_ix);
    QERR(pdf, "reading a page");
    LTS_ENSURE(qpdf_oh_is_indirect(pdf->q, page) && qpdf_oh_is_dictionary(pdf->q, page),
               LTS_E_INPUT, "%s: page %d is not an indirect dictionary", pdf->path, page_ix + 1);
    pnum = qpdf_oh_get_object_id(pdf->q, page);
    pgen = qpdf_oh_get_generation(pdf->q, page);

    root = qpdf_get_root(pdf->q);
    acro = qpdf_oh_get_key(pdf->q, root, "/AcroForm");
    fields = qpdf_oh_get_key_if_dict(pdf->q, acro, "/Fields");
    if (name == NULL) {
        for (int k = 1; k < 10000; k++) {
            snprintf(auto_name, sizeof auto_name, "%s%d", prefix, k);
            if (!field_name_used(pdf, fields, auto_name))
                break;
        }
        name = auto_name;
    } else {
        LTS_ENSURE(!field_name_used(pdf, fields, name), LTS_E_CONFIG,
                   "%s: a field named '%s' exists already", pdf->path, name);
    }
    QERR(pdf, "reading /AcroForm");

    if (st && st->visible) {
        /* the rectangle must lie on the page (its /MediaBox, inherited or not) */
        qpdf_oh node = page, mb = qpdf_oh_get_key(pdf->q, page, "/MediaBox");
        for (int d = 0; d < 32 && !qpdf_oh_is_array(pdf->q, mb) &&
                        qpdf_oh_is_dictionary(pdf->q, node); d++) {
            node = qpdf_oh_get_key(pdf->q, node, "/Parent");
            mb = qpdf_oh_get_key_if_dict(pdf->q, node, "/MediaBox");
        }
        LTS_ENSURE(st->rect[2] - st->rect[0] >= 10 && st->rect[3] - st->rect[1] >= 5,
                   LTS_E_CONFIG, "%s: the visible signature rectangle is too small "
                                 "(at least 10 x 5 points)", pdf->path);
        if (qpdf_oh_is_array(pdf->q, mb) && qpdf_oh_get_array_n_items(pdf->q, mb) == 4) {
            double b[4];
            for (int k = 0; k < 4; k++)
                b[k] = qpdf_oh_get_numeric_value(pdf->q, qpdf_oh_get_array_item(pdf->q, mb, k));
            LTS_ENSURE(st->rect[0] >= b[0] && st->rect[1] >= b[1] && st->rect[2] <= b[2] &&
                           st->rect[3] <= b[3], LTS_E_CONFIG,
                       "%s: the visible signature rectangle lies outside page %d "
                       "(%g %g %g %g)", pdf->path, page_ix + 1, b[0], b[1], b[2], b[3]);
        }
    }
    if (st && st->certify)
        snprintf(perms, sizeof perms, "/Perms << /DocMDP %d 0 R >>", sig_num);
    wnum = lts_pades__upd_new_num(u);
    LTS_TRY(write_widget(u, wnum, name, sig_num, pnum, pgen, st, when));
    LTS_TRY(write_page(u, page, wnum));
    LTS_TRY(write_form(u, wnum, lts_span_of(perms, strlen(perms))));
out:
    return rc;
}

lts_status lts_pades__rewrite_catalog(lts_pdf_update *u, const char *const *skip,
                                      lts_span extra)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = u->pdf;
    LTS_TRY(lts_pades__upd_begin(u, pdf->root_num, pdf->root_gen));
    LTS_TRY(lts_pades__put_dict_plus(pdf, &u->b, qpdf_get_root(pdf->q), skip, extra));
    LTS_TRY(lts_pades__upd_end(u));
out:
    return rc;
}
