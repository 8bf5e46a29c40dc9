/* formats/pades: reading a PDF's structure through QPDF's C API (see pades_int.h). */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

int lts_pades__qpdf_failed(lts_pdf *pdf, char *buf, size_t cap)
{
    if (!qpdf_has_error(pdf->q))
        return 0;
    lts_pades__qpdf_err(pdf, buf, cap);
    return 1;
}

const char *lts_pades__qpdf_err(lts_pdf *pdf, char *buf, size_t cap)
{
    qpdf_error e = qpdf_has_error(pdf->q) ? qpdf_get_error(pdf->q) : NULL;
    const char *t = e ? qpdf_get_error_message_detail(pdf->q, e) : NULL;
    snprintf(buf, cap, "%s", (t && *t) ? t : "unknown QPDF error");
    while (qpdf_more_warnings(pdf->q))
        (void)qpdf_next_warning(pdf->q);
    return buf;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

lts_status lts_pades__find_startxref(int fd, uint64_t size, const char *path, uint64_t *out)
{
    lts_status rc = LTS_OK;
    char tail[2049];
    size_t n = size < 2048 ? (size_t)size : 2048, i, k;
    uint64_t v = 0;
    const char *hit = NULL;

    LTS_ENSURE(n >= 20, LTS_E_INPUT, "%s: too short to be a PDF", path);
    LTS_TRY(lts_io__pread_full(fd, tail, n, size - n, path));
    tail[n] = 0;
    for (i = n - 9 + 1; i-- > 0;) {
        if (memcmp(tail + i, "startxref", 9) == 0) {
            hit = tail + i;
            break;
        }
    }
    LTS_ENSURE(hit != NULL, LTS_E_INPUT, "%s: no startxref at the end (truncated?)", path);
    k = (size_t)(hit - tail) + 9;
    while (k < n && is_ws(tail[k]))
        k++;
    LTS_ENSURE(k < n && tail[k] >= '0' && tail[k] <= '9', LTS_E_INPUT,
               "%s: startxref without an offset", path);
    for (; k < n && tail[k] >= '0' && tail[k] <= '9'; k++) {
        LTS_ENSURE(v < ((uint64_t)1 << 50), LTS_E_INPUT, "%s: startxref offset too large", path);
        v = v * 10 + (uint64_t)(tail[k] - '0');
    }
    while (k < n && is_ws(tail[k]))
        k++;
    LTS_ENSURE(k + 5 <= n && memcmp(tail + k, "%%EOF", 5) == 0, LTS_E_INPUT,
               "%s: no %%%%EOF after startxref (truncated?)", path);
    for (k += 5; k < n; k++)
        LTS_ENSURE(is_ws(tail[k]), LTS_E_INPUT,
                   "%s: data after the last %%%%EOF (truncated or damaged)", path);
    LTS_ENSURE(v < size, LTS_E_INPUT, "%s: startxref %llu lies outside the file", path,
               (unsigned long long)v);
    *out = v;
out:
    return rc;
}

static lts_status read_trailer(lts_pdf *pdf)
{
    lts_status rc = LTS_OK;
    char eb[512];
    qpdf_oh tr, v, id, e0;
    const char *s;
    size_t len = 0;

    tr = qpdf_get_trailer(pdf->q);
    LTS_ENSURE(qpdf_oh_is_dictionary(pdf->q, tr), LTS_E_INPUT, "%s: no trailer dictionary",
               pdf->path);
    v = qpdf_oh_get_key(pdf->q, tr, "/Size");
    LTS_ENSURE(qpdf_oh_is_integer(pdf->q, v), LTS_E_INPUT, "%s: trailer without /Size",
               pdf->path);
    pdf->next_num = qpdf_oh_get_int_value(pdf->q, v);
    LTS_ENSURE(pdf->next_num > 0 && pdf->next_num < 8000000, LTS_E_INPUT,
               "%s: trailer /Size %lld out of range", pdf->path, pdf->next_num);
    v = qpdf_oh_get_key(pdf->q, tr, "/Root");
    LTS_ENSURE(qpdf_oh_is_indirect(pdf->q, v) && qpdf_oh_is_dictionary(pdf->q, v),
               LTS_E_INPUT, "%s: trailer /Root is not a dictionary", pdf->path);
    pdf->root_num = qpdf_oh_get_object_id(pdf->q, v);
    pdf->root_gen = qpdf_oh_get_generation(pdf->q, v);
    v = qpdf_oh_get_key(pdf->q, tr, "/Info");
    if (qpdf_oh_is_indirect(pdf->q, v)) {
        pdf->info_num = qpdf_oh_get_object_id(pdf->q, v);
        pdf->info_gen = qpdf_oh_get_generation(pdf->q, v);
    }
    id = qpdf_oh_get_key(pdf->q, tr, "/ID");
    if (qpdf_oh_is_array(pdf->q, id) && qpdf_oh_get_array_n_items(pdf->q, id) == 2) {
        e0 = qpdf_oh_get_array_item(pdf->q, id, 0);
        if (qpdf_oh_is_string(pdf->q, e0)) {
            s = qpdf_oh_get_binary_string_value(pdf->q, e0, &len);
            if (s && len > 0 && len <= sizeof pdf->id0) {
                memcpy(pdf->id0, s, len);
                pdf->id0_n = len;
                pdf->has_id = 1;
            }
        }
    }
    if (lts_pades__qpdf_failed(pdf, eb, sizeof eb))
        LTS_FAIL(LTS_E_INPUT, "%s: %s", pdf->path, eb);
out:
    return rc;
}

lts_status lts_pades__pdf_open(lts_pdf *pdf, const char *path)
{
    lts_status rc = LTS_OK;
    char head[64];
    uint8_t last = 0;
    QPDF_ERROR_CODE qe;

    memset(pdf, 0, sizeof *pdf);
    pdf->fd = -1;
    LTS_ALLOC(pdf->path = lts_strdup(path));
    LTS_TRY(lts_io__file_size(path, &pdf->size));
    pdf->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (pdf->fd < 0)
        LTS_FAIL(LTS_E_IO, "%s: %s", path, strerror(errno));
    LTS_ENSURE(pdf->size >= 20, LTS_E_INPUT, "%s: too short to be a PDF", path);
    LTS_TRY(lts_io__pread_full(pdf->fd, head, 8, 0, path));
    LTS_ENSURE(memcmp(head, "%PDF-", 5) == 0, LTS_E_INPUT, "%s: not a PDF (no %%PDF- header)",
               path);
    LTS_TRY(lts_pades__find_startxref(pdf->fd, pdf->size, path, &pdf->startxref));
    LTS_TRY(lts_io__pread_full(pdf->fd, &last, 1, pdf->size - 1, path));
    pdf->ends_with_eol = last == '\n' || last == '\r';
    memset(head, 0, sizeof head);
    {
        size_t hn = pdf->size - pdf->startxref < sizeof head - 1
                        ? (size_t)(pdf->size - pdf->startxref) : sizeof head - 1;
        LTS_TRY(lts_io__pread_full(pdf->fd, head, hn, pdf->startxref, path));
    }
    if (memcmp(head, "xref", 4) == 0)
        pdf->xref_stream = 0;
    else if (head[0] >= '0' && head[0] <= '9' && strstr(head, "obj") != NULL)
        pdf->xref_stream = 1;
    else
        LTS_FAIL(LTS_E_INPUT, "%s: startxref %llu does not point at a cross-reference section",
                 path, (unsigned long long)pdf->startxref);

    LTS_ALLOC(pdf->q = qpdf_init());
    qpdf_silence_errors(pdf->q);
    qpdf_set_suppress_warnings(pdf->q, QPDF_TRUE);
    qpdf_set_attempt_recovery(pdf->q, QPDF_FALSE);
    qe = qpdf_read(pdf->q, path, NULL);
    if (qe & QPDF_ERRORS) {
        qpdf_error e = qpdf_has_error(pdf->q) ? qpdf_get_error(pdf->q) : NULL;
        const char *t = e ? qpdf_get_error_message_detail(pdf->q, e) : NULL;
        if (e && qpdf_get_error_code(pdf->q, e) == qpdf_e_password)
            LTS_FAIL(LTS_E_UNSUPPORTED, "%s: encrypted PDFs are not supported "
                                        "(password protected)", path);
        LTS_FAIL(LTS_E_INPUT, "%s: damaged PDF: %s", path, (t && *t) ? t : "unreadable");
    }
    LTS_ENSURE(!qpdf_is_encrypted(pdf->q), LTS_E_UNSUPPORTED,
               "%s: encrypted PDFs are not supported", path);
    LTS_TRY(read_trailer(pdf));
out:
    if (rc != LTS_OK)
        lts_pades__pdf_close(pdf);
    return rc;
}

void lts_pades__pdf_close(lts_pdf *pdf)
{
    if (pdf == NULL)
        return;
    if (pdf->q)
        qpdf_cleanup(&pdf->q);
    if (pdf->fd >= 0)
        close(pdf->fd);
    lts_free(pdf->path);
    memset(pdf, 0, sizeof *pdf);
    pdf->fd = -1;
}
