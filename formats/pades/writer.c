/* formats/pades: the incremental update writer (ISO 32000-2 §7.5.6). The update is built
 * in memory (it is small: a few dictionaries and the /Contents placeholder) with every
 * object's offset recorded; the original bytes are never touched. */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include "core/err.h"
#include "core/mem.h"

lts_status lts_pades__putf(lts_buf *b, const char *fmt, ...)
{
    lts_status rc = LTS_OK;
    va_list ap;
    int n;
    char small[256];

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    LTS_ENSURE(n >= 0, LTS_E_INTERNAL, "vsnprintf failed");
    if ((size_t)n < sizeof small) {
        LTS_TRY(lts_buf_append(b, small, (size_t)n));
        goto out;
    }
    LTS_TRY(lts_buf_reserve(b, (size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
out:
    return rc;
}

lts_status lts_pades__put_string(lts_buf *b, const char *s)
{
    lts_status rc = LTS_OK;
    LTS_TRY(lts_buf_append(b, "(", 1));
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '(' || *p == ')' || *p == '\\') {
            char e[2] = { '\\', (char)*p };
            LTS_TRY(lts_buf_append(b, e, 2));
        } else if (*p < 0x20 || *p > 0x7e) {
            LTS_TRY(lts_pades__putf(b, "\\%03o", *p));
        } else {
            LTS_TRY(lts_buf_append(b, p, 1));
        }
    }
    LTS_TRY(lts_buf_append(b, ")", 1));
out:
    return rc;
}

lts_status lts_pades__put_hexstr(lts_buf *b, const uint8_t *p, size_t n)
{
    lts_status rc = LTS_OK;
    static const char hx[] = "0123456789ABCDEF";
    LTS_TRY(lts_buf_reserve(b, 2 * n + 2));
    b->p[b->n++] = '<';
    for (size_t i = 0; i < n; i++) {
        b->p[b->n++] = (uint8_t)hx[p[i] >> 4];
        b->p[b->n++] = (uint8_t)hx[p[i] & 15];
    }
    b->p[b->n++] = '>';
out:
    return rc;
}

lts_status lts_pades__upd_init(lts_pdf_update *u, lts_pdf *pdf)
{
    lts_status rc = LTS_OK;
    lts_buf init = LTS_BUF_INIT_MAX((size_t)64 << 20);
    memset(u, 0, sizeof *u);
    u->pdf = pdf;
    u->b = init;
    u->next_num = pdf->next_num;
    if (!pdf->ends_with_eol)
        LTS_TRY(lts_buf_append(&u->b, "\n", 1));
out:
    return rc;
}

void lts_pades__upd_dispose(lts_pdf_update *u)
{
    lts_buf_dispose(&u->b);
    lts_free(u->ents);
    u->ents = NULL;
    u->n_ents = u->cap_ents = 0;
}

static lts_status add_ent(lts_pdf_update *u, int num, int gen, uint64_t off)
{
    lts_status rc = LTS_OK;
    if (u->n_ents == u->cap_ents) {
        size_t nc = u->cap_ents ? 2 * u->cap_ents : 16;
        lts_pdf_xent *ne;
        LTS_ENSURE(nc < 1000000, LTS_E_INPUT, "too many objects in one incremental update");
        LTS_ALLOC(ne = lts_realloc(u->ents, nc * sizeof *ne));
        u->ents = ne;
        u->cap_ents = nc;
    }
    u->ents[u->n_ents].num = num;
    u->ents[u->n_ents].gen = gen;
    u->ents[u->n_ents].off = off;
    u->n_ents++;
out:
    return rc;
}

int lts_pades__upd_new_num(lts_pdf_update *u)
{
    return (int)u->next_num++;
}

lts_status lts_pades__upd_begin(lts_pdf_update *u, int num, int gen)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(num > 0 && gen >= 0 && gen <= 65535, LTS_E_INPUT, "bad object number %d %d",
               num, gen);
    for (size_t i = 0; i < u->n_ents; i++)
        LTS_ENSURE(u->ents[i].num != num, LTS_E_INTERNAL, "object %d written twice", num);
    LTS_TRY(add_ent(u, num, gen, u->pdf->size + u->b.n));
    LTS_TRY(lts_pades__putf(&u->b, "%d %d obj\n", num, gen));
out:
    return rc;
}

lts_status lts_pades__upd_end(lts_pdf_update *u)
{
    return lts_buf_append(&u->b, "\nendobj\n", 8);
}

lts_status lts_pades__upd_object(lts_pdf_update *u, int num, int gen, const char *body,
                                 size_t body_n)
{
    lts_status rc = LTS_OK;
    LTS_TRY(lts_pades__upd_begin(u, num, gen));
    LTS_TRY(lts_buf_append(&u->b, body, body_n));
    LTS_TRY(lts_pades__upd_end(u));
out:
    return rc;
}

static int ent_cmp(const void *a, const void *b)
{
    const lts_pdf_xent *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

/* The common trailer keys: /Size /Root /Info /Prev /ID. */
static lts_status put_trailer_keys(lts_pdf_update *u, const uint8_t *id1, size_t id1_n)
{
    lts_status rc = LTS_OK;
    lts_pdf *pdf = u->pdf;
    LTS_TRY(lts_pades__putf(&u->b, "/Size %lld /Root %d %d R", u->next_num, pdf->root_num,
                            pdf->root_gen));
    if (pdf->info_num > 0)
        LTS_TRY(lts_pades__putf(&u->b, " /Info %d %d R", pdf->info_num, pdf->info_gen));
    LTS_TRY(lts_pades__putf(&u->b, " /Prev %llu /ID [", (unsigned long long)pdf->startxref));
    if (pdf->has_id)
        LTS_TRY(lts_pades__put_hexstr(&u->b, pdf->id0, pdf->id0_n));
    else
        LTS_TRY(lts_pades__put_hexstr(&u->b, id1, id1_n));
    LTS_TRY(lts_pades__put_hexstr(&u->b, id1, id1_n));
    LTS_TRY(lts_buf_append(&u->b, "]", 1));
out:
    return rc;
}

static lts_status finish_table(lts_pdf_update *u, const uint8_t *id1, size_t id1_n)
{
    lts_status rc = LTS_OK;
    uint64_t xref_off = u->pdf->size + u->b.n;
    size_t i = 0, j;

    LTS_TRY(lts_buf_append(&u->b, "xref\n", 5));
    while (i < u->n_ents) {
        for (j = i + 1; j < u->n_ents && u->ents[j].num == u->ents[j - 1].num + 1; j++)
            ;
        LTS_TRY(lts_pades__putf(&u->b, "%d %zu\n", u->ents[i].num, j - i));
        for (; i < j; i++) {
            LTS_ENSURE(u->ents[i].off <= 9999999999ULL, LTS_E_UNSUPPORTED,
                       "offset too large for a cross-reference table");
            LTS_TRY(lts_pades__putf(&u->b, "%010llu %05d n\r\n",
                                    (unsigned long long)u->ents[i].off, u->ents[i].gen));
        }
    }
    LTS_TRY(lts_buf_append(&u->b, "trailer\n<< ", 11));
    LTS_TRY(put_trailer_keys(u, id1, id1_n));
    LTS_TRY(lts_pades__putf(&u->b, " >>\nstartxref\n%llu\n%%%%EOF\n",
                            (unsigned long long)xref_off));
out:
    return rc;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int k = n - 1; k >= 0; k--) {
        p[k] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static lts_status finish_stream(lts_pdf_update *u, const uint8_t *id1, size_t id1_n)
{
    lts_status rc = LTS_OK;
    int xnum = lts_pades__upd_new_num(u);
    uint64_t xref_off = u->pdf->size + u->b.n;
    uint8_t row[1 + 8 + 2];
    int w;
    size_t i = 0, j, body_n;

    /* the xref stream lists itself */
    LTS_TRY(add_ent(u, xnum, 0, xref_off));
    w = xref_off > 0xffffffffULL ? 8 : 4;
    body_n = u->n_ents * (size_t)(1 + w + 2);
    LTS_TRY(lts_pades__putf(&u->b, "%d 0 obj\n<< /Type /XRef ", xnum));
    LTS_TRY(put_trailer_keys(u, id1, id1_n));
    LTS_TRY(lts_pades__putf(&u->b, " /W [1 %d 2] /Index [", w));
    while (i < u->n_ents) {
        for (j = i + 1; j < u->n_ents && u->ents[j].num == u->ents[j - 1].num + 1; j++)
            ;
        LTS_TRY(lts_pades__putf(&u->b, "%s%d %zu", i ? " " : "", u->ents[i].num, j - i));
        i = j;
    }
    LTS_TRY(lts_pades__putf(&u->b, "] /Length %zu >>\nstream\n", body_n));
    for (i = 0; i < u->n_ents; i++) {
        row[0] = 1;
        put_be(row + 1, u->ents[i].off, w);
        put_be(row + 1 + w, (uint64_t)u->ents[i].gen, 2);
        LTS_TRY(lts_buf_append(&u->b, row, (size_t)(1 + w + 2)));
    }
    LTS_TRY(lts_pades__putf(&u->b, "\nendstream\nendobj\nstartxref\n%llu\n%%%%EOF\n",
                            (unsigned long long)xref_off));
out:
    return rc;
}

lts_status lts_pades__upd_finish(lts_pdf_update *u, const uint8_t *id1, size_t id1_n)
{
    lts_status rc = LTS_OK;
    LTS_ENSURE(u->n_ents > 0, LTS_E_INTERNAL, "empty incremental update");
    /* the xref stream number is the largest, so sorting first keeps the order */
    qsort(u->ents, u->n_ents, sizeof u->ents[0], ent_cmp);
    if (u->pdf->xref_stream)
        LTS_TRY(finish_stream(u, id1, id1_n));
    else
        LTS_TRY(finish_table(u, id1, id1_n));
out:
    return rc;
}

#define WRITEBACK_STEP ((uint64_t)8 << 20)

lts_status lts_pades__copy_original(lts_pdf *pdf, lts_afile *af, EVP_MD_CTX *md)
{
    lts_status rc = LTS_OK;
    uint8_t *block = NULL;
    uint64_t off = 0, started = 0;
    LTS_ALLOC(block = lts_malloc(LTS_IO_BLOCK));
    while (off < pdf->size) {
        size_t chunk = pdf->size - off < LTS_IO_BLOCK ? (size_t)(pdf->size - off) : LTS_IO_BLOCK;
        LTS_TRY(lts_io__pread_full(pdf->fd, block, chunk, off, pdf->path));
        LTS_TRY(lts_io__afile_write(af, block, chunk));
        if (md != NULL)
            LTS_OSSL(EVP_DigestUpdate(md, block, chunk) == 1, "EVP_DigestUpdate");
        off += chunk;
        /* start the disk writes now (a hint, errors ignored) so the commit's fsync of a
         * big file does not wait for all of it at the end */
        if (off - started >= WRITEBACK_STEP || off == pdf->size) {
            (void)sync_file_range(af->fd, (off_t)started, (off_t)(off - started),
                                  SYNC_FILE_RANGE_WRITE);
            started = off;
        }
    }
out:
    lts_free(block);
    return rc;
}
