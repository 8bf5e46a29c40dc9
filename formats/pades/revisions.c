/* formats/pades: the revisions of a PDF and the comparison of each one after the first
 * signed revision with the one before it (see changes.c for the comparison itself). */
#define LTS_MODULE "pades"
#include "changes_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

/* ---- revisions ---- */

/* Is the "%%EOF" at absolute offset at the end of a revision ("startxref <digits>" before
 * it)? *re gets its ends. Read with pread (the mapping is not touched: it would count in
 * the resident size of a large file). */
static lts_status rev_at(lts_pdf *pdf, uint64_t at, int *yes, rev_end *re)
{
    lts_status rc = LTS_OK;
    uint8_t t[64 + 7];
    size_t before = at < 64 ? (size_t)at : 64, n, k;
    uint64_t e = at + 5;

    *yes = 0;
    n = before + 5 + (size_t)(pdf->size - e < 2 ? pdf->size - e : 2);
    LTS_TRY(lts_io__pread_full(pdf->fd, t, n, at - before, pdf->path));
    k = before;
#define WS(c) ((c) == ' ' || (c) == '\r' || (c) == '\n' || (c) == '\t' || (c) == '\f' || (c) == 0)
    while (k > 0 && WS(t[k - 1]))
        k--;
    if (k == 0 || t[k - 1] < '0' || t[k - 1] > '9')
        goto out;
    while (k > 0 && t[k - 1] >= '0' && t[k - 1] <= '9')
        k--;
    while (k > 0 && WS(t[k - 1]))
        k--;
#undef WS
    if (k < 9 || memcmp(t + k - 9, "startxref", 9) != 0)
        goto out;
    re->mark = e;
    k = before + 5;
    if (k < n && t[k] == '\r') {
        k++;
        e++;
    }
    if (k < n && t[k] == '\n')
        e++;
    re->end = e;
    *yes = 1;
out:
    return rc;
}

/* The end of every revision: each "%%EOF" preceded by "startxref <digits>", in order,
 * found by reading the file in blocks. */
static lts_status find_revisions(lts_pdf *pdf, rev_end **out, size_t *n)
{
    lts_status rc = LTS_OK;
    rev_end *v = NULL, re;
    size_t cnt = 0, cap = 0;
    uint8_t *blk = NULL;
    uint64_t off = 0, next_hit = 0;
    int yes;

    LTS_ALLOC(blk = lts_malloc(LTS_IO_BLOCK + 8));
    while (off < pdf->size) {
        size_t len = pdf->size - off < LTS_IO_BLOCK + 4 ? (size_t)(pdf->size - off)
                                                        : LTS_IO_BLOCK + 4;
        const uint8_t *p, *hit;
        LTS_TRY(lts_io__pread_full(pdf->fd, blk, len, off, pdf->path));
        for (p = blk; (hit = memmem(p, len - (size_t)(p - blk), "%%EOF", 5)) != NULL;
             p = hit + 1) {
            uint64_t at = off + (uint64_t)(hit - blk);
            if (at < next_hit)
                continue; /* seen in the overlap of the previous block */
            next_hit = at + 1;
            LTS_TRY(rev_at(pdf, at, &yes, &re));
            if (!yes)
                continue;
            if (cnt == cap) {
                rev_end *nv;
                cap = cap ? 2 * cap : 16;
                LTS_ENSURE(cap <= MAX_REVS * 2, LTS_E_INPUT, "%s: more than %d revisions",
                           pdf->path, MAX_REVS);
                LTS_ALLOC(nv = lts_realloc(v, cap * sizeof *nv));
                v = nv;
            }
            v[cnt++] = re;
        }
        if (len < LTS_IO_BLOCK + 4)
            break;
        off += LTS_IO_BLOCK;
    }
    *out = v;
    *n = cnt;
    v = NULL;
out:
    lts_free(blk);
    lts_free(v);
    return rc;
}

static lts_status open_prefix(qpdf_data *q, const uint8_t *base, uint64_t len)
{
    lts_status rc = LTS_OK;
    LTS_ALLOC(*q = qpdf_init());
    qpdf_silence_errors(*q);
    qpdf_set_suppress_warnings(*q, QPDF_TRUE);
    qpdf_set_attempt_recovery(*q, QPDF_FALSE);
    if ((qpdf_read_memory(*q, "revision", (const char *)base, (unsigned long long)len, NULL) &
         QPDF_ERRORS) || qpdf_is_encrypted(*q)) {
        qpdf_cleanup(q);
        *q = NULL;
    }
out:
    return rc;
}

lts_status lts_pades_analyse_changes(lts_pades_doc *doc)
{
    lts_status rc = LTS_OK;
    lts_pades_chglist *l = NULL;
    lts_pdf *pdf = NULL;
    uint8_t *map = MAP_FAILED;
    rev_end *revs = NULL;
    size_t n_revs = 0, first = SIZE_MAX, done = 0;
    uint64_t min_end = UINT64_MAX;
    qpdf_data qa = NULL, qb = NULL;
    cmp c;

    memset(&c, 0, sizeof c);
    LTS_ENSURE(doc != NULL, LTS_E_CONFIG, "missing argument");
    l = lts_pades__doc_changes(doc);
    pdf = lts_pades__doc_pdf(doc);
    if (l->done)
        goto out;
    for (size_t i = 0; i < lts_pades_sig_count(doc); i++) {
        const lts_pades_sig *s = lts_pades_sig_get(doc, i);
        if (s->byte_range_ok && !s->covers_whole_file && s->revision_end < min_end)
            min_end = s->revision_end;
    }
    if (min_end == UINT64_MAX) {
        l->done = 1;
        goto out; /* every signature covers the whole file */
    }
    map = mmap(NULL, (size_t)pdf->size, PROT_READ, MAP_SHARED, pdf->fd, 0);
    LTS_ENSURE(map != MAP_FAILED, LTS_E_IO, "%s: cannot map the file", pdf->path);
    LTS_TRY(find_revisions(pdf, &revs, &n_revs));
    /* the revision a signature covers: its /ByteRange ends at most 2 bytes after %%EOF */
    for (size_t i = 0; i < n_revs; i++) {
        if (revs[i].mark <= min_end && min_end <= revs[i].mark + 2) {
            first = i;
            break;
        }
    }
    c.out = l;
    if (first == SIZE_MAX) {
        /* the /ByteRange check accepted an end this scan does not: compare nothing */
        c.prev_end = UINT64_MAX - 2; /* after every signature */
        c.revision = (unsigned)n_revs + 1;
        LTS_TRY(lts_pades__add_change(&c, LTS_PADES_CHANGE_UNCHECKED, "the end of the signed revision "
                                                           "(byte %llu) was not found",
                           (unsigned long long)min_end));
        l->done = 1;
        goto out;
    }
    LTS_TRY(open_prefix(&qa, map, revs[first].end));
    c.prev_end = revs[first].end;
    if (qa == NULL) {
        /* what the signature covers cannot be read alone: nothing to compare with; later
         * signatures get their comparison from the next revision QPDF reads */
        size_t f = first;
        c.revision = (unsigned)first + 2;
        LTS_TRY(lts_pades__add_change(&c, LTS_PADES_CHANGE_UNCHECKED, "the signed revision (%llu bytes) "
                                                           "cannot be read on its own",
                           (unsigned long long)revs[first].end));
        while (qa == NULL && ++f + 1 < n_revs)
            LTS_TRY(open_prefix(&qa, map, revs[f].end));
        if (qa == NULL) {
            l->done = 1;
            goto out;
        }
        first = f;
        c.prev_end = revs[first].end;
    }
    for (size_t j = first + 1; j < n_revs; j++) {
        int last = j + 1 == n_revs;
        if (!last) {
            LTS_TRY(open_prefix(&qb, map, revs[j].end));
            if (qb == NULL)
                continue; /* not a revision QPDF reads alone: merged with the next */
        } else {
            qb = pdf->q;
        }
        if (++done > MAX_DIFF_REVS) {
            c.revision = (unsigned)j + 1;
            LTS_TRY(lts_pades__add_change(&c, LTS_PADES_CHANGE_UNCHECKED, "more than %d revisions after "
                                                               "the first signature: the rest "
                                                               "was not compared",
                               MAX_DIFF_REVS));
            if (qb != pdf->q)
                qpdf_cleanup(&qb);
            qb = NULL;
            break;
        }
        c.a = qa;
        c.b = qb;
        c.pdf = pdf;
        c.cur_end = last ? pdf->size : revs[j].end;
        c.revision = (unsigned)j + 1;
        c.budget = NODE_BUDGET;
        c.over_budget = 0;
        c.n_seen = 0;
        if (c.seen)
            memset(c.seen, 0, c.cap_seen * sizeof *c.seen);
        LTS_TRY(lts_pades__compare_docs(&c));
        while (qpdf_has_error(qa))
            (void)qpdf_get_error(qa);
        while (qpdf_has_error(qb))
            (void)qpdf_get_error(qb);
        qpdf_cleanup(&qa);
        qa = NULL;
        c.prev_end = revs[j].end;
        if (last) {
            qpdf_oh_release_all(pdf->q);
            qb = NULL;
        } else {
            qa = qb;
            qb = NULL;
        }
    }
    l->done = 1;
out:
    if (qb != NULL && (pdf == NULL || qb != pdf->q))
        qpdf_cleanup(&qb);
    if (qa != NULL)
        qpdf_cleanup(&qa);
    if (map != MAP_FAILED && pdf != NULL)
        munmap(map, (size_t)pdf->size);
    lts_free(revs);
    lts_free(c.seen);
    return rc;
}

size_t lts_pades_change_count(const lts_pades_doc *doc)
{
    return doc ? lts_pades__doc_changes_c(doc)->n : 0;
}

const lts_pades_change *lts_pades_change_get(const lts_pades_doc *doc, size_t i)
{
    const lts_pades_chglist *l = doc ? lts_pades__doc_changes_c(doc) : NULL;
    return (l && i < l->n) ? &l->v[i] : NULL;
}

int lts_pades_change_after(const lts_pades_change *c, const lts_pades_sig *sig)
{
    /* sig->revision_end is at most 2 bytes past its %%EOF, prev_end likewise */
    return c && sig && sig->byte_range_ok && c->prev_end + 2 >= sig->revision_end;
}
