/* formats/pades: finding and checking the signature dictionaries of a PDF
 * (ISO 32000-2 §12.8.1, EN 319 142-1 §5.1). see ltsig/pades.h */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <string.h>
#include "core/der.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

#define MAX_SIGS 256
#define MAX_FIELDS 20000
#define MAX_DEPTH 24
#define MAX_GAP ((uint64_t)64 << 20)

typedef struct {
    lts_pades_sig pub;
    lts_buf contents;   /* /Contents as QPDF decoded it (with padding) */
    int objnum;         /* of the signature dictionary, 0 when direct */
} sig_ent;

#define MAX_DSS_ITEMS 2000
#define MAX_DSS_RAW ((size_t)16 << 20)     /* one unfiltered item */
#define MAX_DSS_FILTERED ((size_t)256 << 10) /* one filtered item before decoding */

struct lts_pades_doc {
    lts_pdf pdf;
    int has_dss;
    uint64_t dss_off;       /* where the DSS object starts; 0 when unknown */
    lts_buf *dss[3];        /* certs, OCSP responses, CRLs (decoded stream data) */
    size_t n_dss[3];
    sig_ent *sigs;
    size_t n_sigs, cap;
    size_t fields_seen;
    lts_pades_chglist changes;
};

/* *out = a copy of s, or NULL when s is empty. */
static lts_status dup_or_null(char **out, const char *s)
{
    lts_status rc = LTS_OK;
    *out = NULL;
    if (s && *s)
        LTS_ALLOC(*out = lts_strdup(s));
out:
    return rc;
}

static lts_status set_problem(sig_ent *e, const char *fmt, ...) LTS_PRINTF(2, 3);
static lts_status set_problem(sig_ent *e, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    if (e->pub.problem)
        return LTS_OK;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->pub.problem = lts_strdup(msg);
    return e->pub.problem ? LTS_OK : lts_err__set(LTS_E_NOMEM, LTS_MODULE, 0, "out of memory");
}

static int is_ws(int c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The gap [l1, o2) must be exactly "<hex>" whose value is the dictionary's /Contents, and
 * the token before it must be the /Contents key. */
static lts_status check_gap(lts_pdf *pdf, sig_ent *e, uint64_t l1, uint64_t o2)
{
    lts_status rc = LTS_OK;
    uint8_t *gap = NULL;
    char before[40];
    size_t gn = (size_t)(o2 - l1), bn, k, nd = 0;

    if (o2 - l1 > MAX_GAP) {
        LTS_TRY(set_problem(e, "the /ByteRange gap is too large (%llu bytes)",
                            (unsigned long long)(o2 - l1)));
        goto out;
    }
    LTS_ALLOC(gap = lts_malloc(gn));
    LTS_TRY(lts_io__pread_full(pdf->fd, gap, gn, l1, pdf->path));
    if (gap[0] != '<' || gap[gn - 1] != '>') {
        LTS_TRY(set_problem(e, "the /ByteRange gap is not a hex string"));
        goto out;
    }
    for (k = 1; k + 1 < gn; k++) {
        if (hexval(gap[k]) < 0) {
            LTS_TRY(set_problem(e, "the /ByteRange gap holds more than the /Contents hex "
                                   "string"));
            goto out;
        }
        nd++;
    }
    if (nd % 2 != 0 || nd / 2 != e->contents.n) {
        LTS_TRY(set_problem(e, "the /ByteRange gap is not the /Contents of this signature"));
        goto out;
    }
    for (k = 0; k < e->contents.n; k++) {
        int v = hexval(gap[1 + 2 * k]) << 4 | hexval(gap[2 + 2 * k]);
        if ((uint8_t)v != e->contents.p[k]) {
            LTS_TRY(set_problem(e, "the /ByteRange gap is not the /Contents of this "
                                   "signature"));
            goto out;
        }
    }
    bn = l1 < sizeof before ? (size_t)l1 : sizeof before;
    LTS_TRY(lts_io__pread_full(pdf->fd, before, bn, l1 - bn, pdf->path));
    while (bn > 0 && is_ws((unsigned char)before[bn - 1]))
        bn--;
    if (bn < 9 || memcmp(before + bn - 9, "/Contents", 9) != 0)
        LTS_TRY(set_problem(e, "the /ByteRange gap does not follow the /Contents key"));
out:
    lts_free(gap);
    return rc;
}

/* The revision ends at `end`: "startxref" N "%%EOF" and at most one EOL, as ISO 32000-2
 * §7.5.5 writes the end of a file (a stray "%%EOF" inside data does not qualify). */
static lts_status check_revision_end(lts_pdf *pdf, sig_ent *e, uint64_t end)
{
    lts_status rc = LTS_OK;
    char t[64];
    size_t n = end < sizeof t ? (size_t)end : sizeof t, k;
    int ok = 0;

    LTS_TRY(lts_io__pread_full(pdf->fd, t, n, end - n, pdf->path));
    if (n > 0 && t[n - 1] == '\n')
        n--;
    if (n > 0 && t[n - 1] == '\r')
        n--;
    if (n >= 5 && memcmp(t + n - 5, "%%EOF", 5) == 0) {
        k = n - 5;
        while (k > 0 && is_ws((unsigned char)t[k - 1]))
            k--;
        if (k > 0 && t[k - 1] >= '0' && t[k - 1] <= '9') {
            while (k > 0 && t[k - 1] >= '0' && t[k - 1] <= '9')
                k--;
            while (k > 0 && is_ws((unsigned char)t[k - 1]))
                k--;
            ok = k >= 9 && memcmp(t + k - 9, "startxref", 9) == 0;
        }
    }
    if (!ok)
        LTS_TRY(set_problem(e, "the /ByteRange does not end at the end of a revision "
                               "(startxref, %%%%EOF)"));
out:
    return rc;
}

/* Whitespace only from `from` to the end of the file. */
static lts_status only_ws_after(lts_pdf *pdf, uint64_t from, int *yes)
{
    lts_status rc = LTS_OK;
    char t[64];
    *yes = 0;
    if (pdf->size - from > sizeof t)
        goto out;
    LTS_TRY(lts_io__pread_full(pdf->fd, t, (size_t)(pdf->size - from), from, pdf->path));
    for (size_t i = 0; i < pdf->size - from; i++)
        if (!is_ws((unsigned char)t[i]))
            goto out;
    *yes = 1;
out:
    return rc;
}

/* The length of the BER value at p (definite or indefinite lengths, OpenSSL's header
 * parser), 0 when it is malformed or runs past n. */
static size_t ber_len(const uint8_t *p, size_t n, int depth)
{
    const unsigned char *q = p;
    long len = 0;
    int tag = 0, cls = 0, r;
    size_t hdr, off;

    if (depth > 64 || n < 2 || n > LONG_MAX)
        return 0;
    r = ASN1_get_object(&q, &len, &tag, &cls, (long)n);
    ERR_clear_error();
    if (r & 0x80)
        return 0;
    hdr = (size_t)(q - p);
    if (r != 0x21) /* definite */
        return (len >= 0 && (size_t)len <= n - hdr) ? hdr + (size_t)len : 0;
    for (off = hdr; off + 2 <= n;) {
        size_t c;
        if (p[off] == 0 && p[off + 1] == 0)
            return off + 2; /* end-of-contents */
        c = ber_len(p + off, n - off, depth + 1);
        if (c == 0)
            return 0;
        off += c;
    }
    return 0;
}

static lts_status check_ranges(lts_pdf *pdf, sig_ent *e, qpdf_oh br)
{
    lts_status rc = LTS_OK;
    int64_t v[4];
    uint64_t l1, o2, l2, end;
    size_t used;

    if (!qpdf_oh_is_array(pdf->q, br) || qpdf_oh_get_array_n_items(pdf->q, br) != 4) {
        LTS_TRY(set_problem(e, "/ByteRange is not an array of four integers"));
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        qpdf_oh it = qpdf_oh_get_array_item(pdf->q, br, i);
        if (!qpdf_oh_is_integer(pdf->q, it)) {
            LTS_TRY(set_problem(e, "/ByteRange is not an array of four integers"));
            goto out;
        }
        v[i] = qpdf_oh_get_int_value(pdf->q, it);
        e->pub.byte_range[i] = v[i];
        if (v[i] < 0) {
            LTS_TRY(set_problem(e, "/ByteRange has a negative value"));
            goto out;
        }
    }
    if (v[0] != 0) {
        LTS_TRY(set_problem(e, "/ByteRange does not start at 0"));
        goto out;
    }
    l1 = (uint64_t)v[1];
    o2 = (uint64_t)v[2];
    l2 = (uint64_t)v[3];
    if (l1 == 0 || l2 == 0) {
        LTS_TRY(set_problem(e, "/ByteRange has an empty range"));
        goto out;
    }
    if (o2 < l1 + 2) {
        LTS_TRY(set_problem(e, "/ByteRange ranges overlap or leave no room for /Contents"));
        goto out;
    }
    if (o2 > pdf->size || l2 > pdf->size - o2) {
        LTS_TRY(set_problem(e, "/ByteRange reaches past the end of the file (%llu bytes)",
                            (unsigned long long)pdf->size));
        goto out;
    }
    end = o2 + l2;
    LTS_TRY(check_gap(pdf, e, l1, o2));
    LTS_TRY(check_revision_end(pdf, e, end));
    if (e->pub.problem)
        goto out;
    e->pub.revision_end = end;
    LTS_TRY(only_ws_after(pdf, end, &e->pub.covers_whole_file));
    /* the CMS is one DER/BER value (NSS writes indefinite lengths); what follows is the
     * placeholder's zero padding */
    used = ber_len(e->contents.p, e->contents.n, 0);
    if (used == 0) {
        LTS_TRY(set_problem(e, "/Contents is not a DER value"));
        goto out;
    }
    for (size_t i = used; i < e->contents.n; i++) {
        if (e->contents.p[i] != 0) {
            LTS_TRY(set_problem(e, "/Contents has bytes after its DER value"));
            goto out;
        }
    }
    e->pub.contents = lts_span_of(e->contents.p, used);
    e->pub.byte_range_ok = 1;
out:
    return rc;
}

/* The /P of a /Reference entry with /TransformMethod /DocMDP (ISO 32000-2 §12.8.2.2;
 * absent /P means 2), 0 when the signature is not a certification signature. */
static int docmdp_of(lts_pdf *pdf, qpdf_oh v)
{
    qpdf_oh refs = qpdf_oh_get_key(pdf->q, v, "/Reference");
    int n = qpdf_oh_is_array(pdf->q, refs) ? qpdf_oh_get_array_n_items(pdf->q, refs) : 0;
    for (int i = 0; i < n && i < 64; i++) {
        qpdf_oh r = qpdf_oh_get_array_item(pdf->q, refs, i);
        qpdf_oh tp, p;
        long long pv = 2;
        if (!qpdf_oh_is_name_and_equals(pdf->q, qpdf_oh_get_key_if_dict(pdf->q, r,
                                                                       "/TransformMethod"),
                                        "/DocMDP"))
            continue;
        tp = qpdf_oh_get_key_if_dict(pdf->q, r, "/TransformParams");
        p = qpdf_oh_get_key_if_dict(pdf->q, tp, "/P");
        if (qpdf_oh_is_integer(pdf->q, p))
            pv = qpdf_oh_get_int_value(pdf->q, p);
        return pv >= 1 && pv <= 3 ? (int)pv : 2;
    }
    return 0;
}

static lts_status add_sig(lts_pades_doc *d, qpdf_oh field, qpdf_oh v)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = &d->pdf;
    sig_ent *e;
    qpdf_oh x;
    const char *s;
    size_t len = 0;
    int objnum = qpdf_oh_is_indirect(pdf->q, v) ? qpdf_oh_get_object_id(pdf->q, v) : 0;

    for (size_t i = 0; objnum && i < d->n_sigs; i++)
        if (d->sigs[i].objnum == objnum)
            goto out; /* the same dictionary reached twice */
    LTS_ENSURE(d->n_sigs < MAX_SIGS, LTS_E_INPUT, "%s: more than %d signatures", pdf->path,
               MAX_SIGS);
    if (d->n_sigs == d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 4;
        sig_ent *ns = lts_realloc(d->sigs, nc * sizeof *ns);
        LTS_ALLOC(ns);
        d->sigs = ns;
        d->cap = nc;
    }
    e = &d->sigs[d->n_sigs++];
    memset(e, 0, sizeof *e);
    e->objnum = objnum;
    e->contents.max = MAX_GAP;
    x = qpdf_oh_get_key(pdf->q, v, "/Type");
    e->pub.kind = qpdf_oh_is_name_and_equals(pdf->q, x, "/DocTimeStamp") ? LTS_PADES_DOC_TIMESTAMP
                                                                         : LTS_PADES_SIG;
    x = qpdf_oh_get_key(pdf->q, v, "/SubFilter");
    if (qpdf_oh_is_name(pdf->q, x))
        LTS_ALLOC(e->pub.subfilter = lts_strdup(qpdf_oh_get_name(pdf->q, x) + 1));
    x = qpdf_oh_get_key(pdf->q, v, "/M");
    if (qpdf_oh_is_string(pdf->q, x))
        LTS_TRY(dup_or_null(&e->pub.m, qpdf_oh_get_utf8_value(pdf->q, x)));
    x = qpdf_oh_get_key(pdf->q, field, "/T");
    if (qpdf_oh_is_string(pdf->q, x))
        LTS_TRY(dup_or_null(&e->pub.field_name, qpdf_oh_get_utf8_value(pdf->q, x)));
    e->pub.docmdp_p = docmdp_of(pdf, v);
    x = qpdf_oh_get_key(pdf->q, v, "/Contents");
    if (!qpdf_oh_is_string(pdf->q, x)) {
        LTS_TRY(set_problem(e, "the signature dictionary has no /Contents string"));
        goto out;
    }
    s = qpdf_oh_get_binary_string_value(pdf->q, x, &len);
    LTS_TRY(lts_buf_append(&e->contents, s, len));
    LTS_TRY(check_ranges(pdf, e, qpdf_oh_get_key(pdf->q, v, "/ByteRange")));
out:
    return rc;
}

static lts_status visit(lts_pades_doc *d, qpdf_oh field, int sig_ft, int depth)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = &d->pdf;
    qpdf_oh ft, v, kids;
    int n;

    if (!qpdf_oh_is_dictionary(pdf->q, field))
        goto out;
    LTS_ENSURE(depth < MAX_DEPTH, LTS_E_INPUT, "%s: form fields nested too deep", pdf->path);
    LTS_ENSURE(++d->fields_seen < MAX_FIELDS, LTS_E_INPUT, "%s: too many form fields",
               pdf->path);
    ft = qpdf_oh_get_key(pdf->q, field, "/FT");
    if (qpdf_oh_is_name(pdf->q, ft))
        sig_ft = qpdf_oh_is_name_and_equals(pdf->q, ft, "/Sig");
    v = qpdf_oh_get_key(pdf->q, field, "/V");
    if (sig_ft && qpdf_oh_is_dictionary(pdf->q, v))
        LTS_TRY(add_sig(d, field, v));
    kids = qpdf_oh_get_key(pdf->q, field, "/Kids");
    n = qpdf_oh_is_array(pdf->q, kids) ? qpdf_oh_get_array_n_items(pdf->q, kids) : 0;
    for (int i = 0; i < n; i++)
        LTS_TRY(visit(d, qpdf_oh_get_array_item(pdf->q, kids, i), sig_ft, depth + 1));
out:
    return rc;
}

/* The offset of the last "num gen obj" header in the file (0 when not found, e.g. when the
 * object sits in an object stream), read backwards in blocks. */
static lts_status find_obj_header(lts_pdf *pdf, int num, int gen, uint64_t *out)
{
    lts_status rc = LTS_OK;
    char pat[48], *blk = NULL;
    size_t pn, ov, bs = LTS_IO_BLOCK;
    uint64_t end = pdf->size;

    *out = 0;
    pn = (size_t)snprintf(pat, sizeof pat, "%d %d obj", num, gen);
    ov = pn + 1;
    LTS_ALLOC(blk = lts_malloc(bs + ov));
    while (end > 0) {
        uint64_t start = end > bs ? end - bs : 0;
        size_t n = (size_t)(end - start) + (end < pdf->size ? ov : 0);
        if (start + n > pdf->size)
            n = (size_t)(pdf->size - start);
        LTS_TRY(lts_io__pread_full(pdf->fd, blk, n, start, pdf->path));
        for (size_t i = n >= pn ? n - pn + 1 : 0; i-- > 0;) {
            if (memcmp(blk + i, pat, pn) == 0 &&
                ((i == 0 && start == 0) || (i > 0 && is_ws((unsigned char)blk[i - 1])))) {
                *out = start + i;
                goto out;
            }
        }
        end = start;
    }
out:
    lts_free(blk);
    return rc;
}

/* The stream data of the DSS array `key` into d->dss[k]. Items that are not streams or
 * that are too large are skipped (validation then lacks them, it does not crash). */
static lts_status read_dss_array(lts_pades_doc *d, qpdf_oh dss, const char *key, int k)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = &d->pdf;
    qpdf_oh arr = qpdf_oh_get_key(pdf->q, dss, key);
    int n = qpdf_oh_is_array(pdf->q, arr) ? qpdf_oh_get_array_n_items(pdf->q, arr) : 0;
    unsigned char *data = NULL;

    for (int i = 0; i < n && d->n_dss[k] < MAX_DSS_ITEMS; i++) {
        qpdf_oh st = qpdf_oh_get_array_item(pdf->q, arr, i);
        qpdf_oh len = qpdf_oh_get_key_if_dict(pdf->q, qpdf_oh_get_dict(pdf->q, st), "/Length");
        int filtered = qpdf_oh_has_key(pdf->q, qpdf_oh_get_dict(pdf->q, st), "/Filter");
        size_t dn = 0;
        lts_buf *nb;
        if (!qpdf_oh_is_stream(pdf->q, st) || !qpdf_oh_is_integer(pdf->q, len) ||
            qpdf_oh_get_int_value(pdf->q, len) < 0 ||
            (uint64_t)qpdf_oh_get_int_value(pdf->q, len) >
                (filtered ? MAX_DSS_FILTERED : MAX_DSS_RAW))
            continue;
        if (qpdf_oh_get_stream_data(pdf->q, st, qpdf_dl_generalized, NULL, &data, &dn) &
            QPDF_ERRORS) {
            char eb[256];
            lts_pades__qpdf_failed(pdf, eb, sizeof eb);
            continue;
        }
        if (data == NULL || dn == 0 || dn > MAX_DSS_RAW) {
            free(data);
            data = NULL;
            continue;
        }
        LTS_ALLOC(nb = lts_realloc(d->dss[k], (d->n_dss[k] + 1) * sizeof *nb));
        d->dss[k] = nb;
        memset(&nb[d->n_dss[k]], 0, sizeof *nb);
        LTS_TRY(lts_buf_append(&nb[d->n_dss[k]], data, dn));
        d->n_dss[k]++;
        free(data);
        data = NULL;
    }
out:
    free(data);
    return rc;
}

static int sig_cmp(const void *a, const void *b)
{
    const sig_ent *x = a, *y = b;
    int64_t p = x->pub.byte_range_ok ? x->pub.byte_range[1] : INT64_MAX;
    int64_t q = y->pub.byte_range_ok ? y->pub.byte_range[1] : INT64_MAX;
    return (p > q) - (p < q);
}

lts_status lts_pades_open(lts_pades_doc **out, const char *path)
{
    lts_status rc = LTS_OK;
    lts_pades_doc *d = NULL;
    qpdf_oh root, acro, fields;
    char eb[512];
    int n;

    *out = NULL;
    LTS_ALLOC(d = lts_calloc(1, sizeof *d));
    d->pdf.fd = -1;
    LTS_TRY(lts_pades__pdf_open(&d->pdf, path));
    root = qpdf_get_root(d->pdf.q);
    acro = qpdf_oh_get_key(d->pdf.q, root, "/AcroForm");
    fields = qpdf_oh_get_key_if_dict(d->pdf.q, acro, "/Fields");
    n = qpdf_oh_is_array(d->pdf.q, fields) ? qpdf_oh_get_array_n_items(d->pdf.q, fields) : 0;
    for (int i = 0; i < n; i++)
        LTS_TRY(visit(d, qpdf_oh_get_array_item(d->pdf.q, fields, i), 0, 0));
    {
        qpdf_oh dss = qpdf_oh_get_key(d->pdf.q, root, "/DSS");
        if (qpdf_oh_is_dictionary(d->pdf.q, dss)) {
            d->has_dss = 1;
            if (qpdf_oh_is_indirect(d->pdf.q, dss))
                LTS_TRY(find_obj_header(&d->pdf, qpdf_oh_get_object_id(d->pdf.q, dss),
                                        qpdf_oh_get_generation(d->pdf.q, dss), &d->dss_off));
            LTS_TRY(read_dss_array(d, dss, "/Certs", 0));
            LTS_TRY(read_dss_array(d, dss, "/OCSPs", 1));
            LTS_TRY(read_dss_array(d, dss, "/CRLs", 2));
        }
    }
    if (lts_pades__qpdf_failed(&d->pdf, eb, sizeof eb))
        LTS_FAIL(LTS_E_INPUT, "%s: damaged PDF: %s", path, eb);
    if (d->n_sigs > 1)
        qsort(d->sigs, d->n_sigs, sizeof *d->sigs, sig_cmp);
    /* contents spans point into each entry's own buffer, which qsort does not move */
    *out = d;
    d = NULL;
out:
    lts_pades_free(d);
    return rc;
}

size_t lts_pades_sig_count(const lts_pades_doc *doc)
{
    return doc ? doc->n_sigs : 0;
}

const lts_pades_sig *lts_pades_sig_get(const lts_pades_doc *doc, size_t i)
{
    return (doc && i < doc->n_sigs) ? &doc->sigs[i].pub : NULL;
}

uint64_t lts_pades_file_size(const lts_pades_doc *doc)
{
    return doc ? doc->pdf.size : 0;
}

void lts_pades_free(lts_pades_doc *doc)
{
    if (doc == NULL)
        return;
    for (size_t i = 0; i < doc->n_sigs; i++) {
        sig_ent *e = &doc->sigs[i];
        lts_free(e->pub.field_name);
        lts_free(e->pub.subfilter);
        lts_free(e->pub.m);
        lts_free(e->pub.problem);
        lts_buf_dispose(&e->contents);
    }
    lts_free(doc->sigs);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < doc->n_dss[k]; i++)
            lts_buf_dispose(&doc->dss[k][i]);
        lts_free(doc->dss[k]);
    }
    lts_pades__chglist_free(&doc->changes);
    lts_pades__pdf_close(&doc->pdf);
    lts_free(doc);
}

lts_status lts_pades_digest(const char *path, const lts_pades_sig *sig, lts_hash h,
                            uint8_t *out, size_t *outlen)
{
    lts_status rc = LTS_OK;
    lts_range rg[2];
    LTS_ENSURE(sig && sig->byte_range_ok, LTS_E_INPUT, "%s: the /ByteRange was refused: %s",
               path, sig && sig->problem ? sig->problem : "not checked");
    rg[0].off = 0;
    rg[0].len = (uint64_t)sig->byte_range[1];
    rg[1].off = (uint64_t)sig->byte_range[2];
    rg[1].len = (uint64_t)sig->byte_range[3];
    LTS_TRY(lts_digest__file(h, path, rg, 2, out, outlen));
out:
    return rc;
}

lts_pades_chglist *lts_pades__doc_changes(lts_pades_doc *d)
{
    return &d->changes;
}

const lts_pades_chglist *lts_pades__doc_changes_c(const lts_pades_doc *d)
{
    return &d->changes;
}

lts_pdf *lts_pades__doc_pdf(lts_pades_doc *d)
{
    return &d->pdf;
}

lts_span lts_pades__sig_raw_contents(const lts_pades_doc *d, size_t i)
{
    return i < d->n_sigs ? lts_buf_span(&d->sigs[i].contents) : lts_span_of(NULL, 0);
}

int lts_pades_has_dss(const lts_pades_doc *doc, uint64_t *offset)
{
    if (offset)
        *offset = doc ? doc->dss_off : 0;
    return doc ? doc->has_dss : 0;
}

size_t lts_pades_dss_count(const lts_pades_doc *doc, lts_pades_dss_kind k)
{
    return (doc && (int)k >= 0 && (int)k < 3) ? doc->n_dss[k] : 0;
}

lts_span lts_pades_dss_item(const lts_pades_doc *doc, lts_pades_dss_kind k, size_t i)
{
    if (doc && (int)k >= 0 && (int)k < 3 && i < doc->n_dss[k])
        return lts_buf_span(&doc->dss[k][i]);
    return lts_span_of(NULL, 0);
}
